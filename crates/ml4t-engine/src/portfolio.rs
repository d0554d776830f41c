//! Cash, positions, average entry prices, marks and equity; a round trip is recorded as a trade
//! when a fill makes a position flat or takes it through zero (SEMANTICS.md decision 8: one trade
//! per flat-to-flat round trip, however often the position was resized in between).

use crate::execution::{EquityRecorder, Fill, OpenPosition, Trade};
use crate::market::Bars;
use crate::types::{AssetId, Side, TimestampNs};

/// One asset's position. `qty` is signed (negative = short).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Position {
    pub qty: f64,
    /// Average entry price of the open quantity (slippage included, commission excluded).
    pub avg_price: f64,
    /// Time and feed index of the fill that opened the position (from flat).
    pub entry_ts: TimestampNs,
    pub entry_bar: usize,
    /// Entry commission of the open quantity not yet allocated to closed trades.
    pub entry_commission: f64,
}

impl Position {
    pub fn is_flat(&self) -> bool {
        self.qty == 0.0
    }
}

/// The account: what the broker changes with fills and the engine reads for equity.
#[derive(Debug, Clone)]
pub struct Portfolio {
    initial_cash: f64,
    cash: f64,
    positions: Vec<Position>,
    last_price: Vec<f64>,
    /// Assets with a non-zero position, in id (name) order.
    held: Vec<AssetId>,
    /// The round trip in progress of each asset (zero when flat).
    trips: Vec<Trip>,
    trades: Vec<Trade>,
}

/// What a round trip has done so far: its increasing and reducing fills (count, quantity,
/// notional, last price), its commissions and the borrow fee paid while it was short.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Trip {
    inc_n: u32,
    inc_qty: f64,
    inc_notional: f64,
    inc_price: f64,
    inc_commission: f64,
    red_n: u32,
    red_qty: f64,
    red_notional: f64,
    red_price: f64,
    red_commission: f64,
    borrow_fee: f64,
}

impl Trip {
    fn add(&mut self, qty: f64, price: f64, commission: f64) {
        self.inc_n += 1;
        self.inc_qty += qty;
        self.inc_notional += qty * price;
        self.inc_price = price;
        self.inc_commission += commission;
    }

    fn reduce(&mut self, qty: f64, price: f64, commission: f64) {
        self.red_n += 1;
        self.red_qty += qty;
        self.red_notional += qty * price;
        self.red_price = price;
        self.red_commission += commission;
    }

    /// Size-weighted mean price, or the fill price itself when one fill made the side (exact,
    /// as the result JSON reports it).
    fn mean(n: u32, price: f64, notional: f64, qty: f64) -> f64 {
        if n == 1 { price } else { notional / qty }
    }
}

impl Portfolio {
    pub fn new(initial_cash: f64, n_assets: usize) -> Self {
        Portfolio {
            initial_cash,
            cash: initial_cash,
            positions: vec![Position::default(); n_assets],
            last_price: vec![f64::NAN; n_assets],
            held: Vec::new(),
            trips: vec![Trip::default(); n_assets],
            trades: Vec::new(),
        }
    }

    pub fn initial_cash(&self) -> f64 {
        self.initial_cash
    }

    #[inline]
    pub fn cash(&self) -> f64 {
        self.cash
    }

    #[inline]
    pub fn position(&self, asset: AssetId) -> &Position {
        &self.positions[asset.index()]
    }

    /// Signed quantity held (0 when flat or unknown asset).
    #[inline]
    pub fn qty(&self, asset: AssetId) -> f64 {
        self.positions.get(asset.index()).map_or(0.0, |p| p.qty)
    }

    /// Last close seen for the asset (NaN before its first bar).
    #[inline]
    pub fn last_price(&self, asset: AssetId) -> f64 {
        self.last_price.get(asset.index()).copied().unwrap_or(f64::NAN)
    }

    /// Assets with an open position, in name order.
    #[inline]
    pub fn held(&self) -> &[AssetId] {
        &self.held
    }

    pub fn n_assets(&self) -> usize {
        self.positions.len()
    }

    /// Closed round trips so far.
    pub fn trades(&self) -> &[Trade] {
        &self.trades
    }

    /// Reserves room for `n` more closed trades (virtual memory: pages are touched only as trades
    /// are recorded, and come as huge pages where the kernel allows).
    pub(crate) fn reserve_trades(&mut self, n: usize) {
        self.trades.reserve(n);
        crate::results::advise_huge_pages(&mut self.trades);
    }

    /// Records trades into `buffer` (emptied) if none were recorded yet and it is larger.
    pub(crate) fn reuse_trades(&mut self, mut buffer: Vec<Trade>) {
        if self.trades.is_empty() && self.trades.capacity() < buffer.capacity() {
            buffer.clear();
            self.trades = buffer;
        }
    }

    /// Moves the closed trades out (the end of a run).
    pub(crate) fn take_trades(&mut self) -> Vec<Trade> {
        std::mem::take(&mut self.trades)
    }

    /// `cash + Σ qty * last price` over open positions.
    #[inline]
    pub fn equity(&self) -> f64 {
        let mut eq = self.cash;
        for a in &self.held {
            eq += self.positions[a.index()].qty * self.last_price[a.index()];
        }
        eq
    }

    /// (equity, gross exposure, net exposure) in one pass over the open positions.
    #[inline]
    pub fn marked(&self) -> (f64, f64, f64) {
        let (mut gross, mut net) = (0.0, 0.0);
        for a in &self.held {
            let v = self.positions[a.index()].qty * self.last_price[a.index()];
            gross += v.abs();
            net += v;
        }
        (self.cash + net, gross, net)
    }

    /// Marks every row of `rows` (in time order) and records equity at the end of each of the
    /// timestamps `from..to`: the fast-forward for stretches without orders.
    pub(crate) fn mark_quiet(&mut self, bars: &Bars, from: usize, to: usize, eq: &mut dyn EquityRecorder) {
        let (ts, close, assets) = (bars.ts(), bars.close(), bars.asset_ids());
        if from >= to {
            return;
        }
        let rows = bars.timestamp_start(from)..bars.timestamp_start(to);
        if self.held.is_empty() {
            // Flat: equity is the cash throughout; only the final marks matter.
            if self.last_price.len() == 1 {
                self.last_price[0] = close[rows.end - 1];
            } else {
                for r in rows.clone() {
                    self.last_price[assets[r].index()] = close[r];
                }
            }
            eq.record_flat(bars.times(), from, to);
        } else if self.positions.len() == 1 {
            // One asset: a row per timestamp.
            let (q, cash) = (self.positions[0].qty, self.cash);
            self.last_price[0] = close[rows.end - 1];
            eq.record_held(bars.times(), from, to, &close[rows], q, cash);
        } else {
            for t in from..to {
                for r in bars.timestamp_start(t)..bars.timestamp_start(t + 1) {
                    self.last_price[assets[r].index()] = close[r];
                }
                let (e, gross, _) = self.marked();
                eq.record(TimestampNs(ts[bars.timestamp_start(t)]), e, self.cash, gross);
            }
        }
    }

    #[inline]
    pub(crate) fn mark(&mut self, asset: AssetId, price: f64) {
        self.last_price[asset.index()] = price;
    }

    /// Takes a short position's borrow fee out of the cash; the round trip's `pnl_net` includes
    /// it (a cash flow of the trade).
    #[inline]
    pub(crate) fn charge_borrow(&mut self, asset: AssetId, amount: f64) {
        self.cash -= amount;
        if let Some(t) = self.trips.get_mut(asset.index()) {
            t.borrow_fee += amount;
        }
    }

    /// Applies a fill to cash and the position; records a trade when the position becomes flat.
    pub(crate) fn apply_fill(&mut self, fill: &Fill) {
        let notional = fill.qty * fill.price;
        match fill.side {
            Side::Buy => self.cash -= notional + fill.commission,
            Side::Sell => self.cash += notional - fill.commission,
        }
        let i = fill.asset.index();
        let pos = self.positions[i];
        let delta = fill.side.sign() * fill.qty;
        let was_flat = pos.qty == 0.0;
        if was_flat || pos.qty.signum() == delta.signum() {
            let new_qty = pos.qty + delta;
            let p = &mut self.positions[i];
            p.avg_price = if was_flat {
                fill.price
            } else {
                (pos.qty.abs() * pos.avg_price + fill.qty * fill.price) / new_qty.abs()
            };
            if was_flat {
                p.entry_ts = fill.ts;
                p.entry_bar = fill.bar_index;
                p.entry_commission = 0.0;
                self.trips[i] = Trip::default();
            }
            p.qty = new_qty;
            p.entry_commission += fill.commission;
            self.trips[i].add(fill.qty, fill.price, fill.commission);
            if was_flat {
                self.hold(fill.asset);
            }
            return;
        }
        // Reducing, closing or flipping.
        let open = pos.qty.abs();
        let closed = fill.qty.min(open);
        let (entry_comm, exit_comm) = if closed == open && closed == fill.qty {
            (pos.entry_commission, fill.commission)
        } else {
            let entry = if closed == open {
                pos.entry_commission
            } else {
                pos.entry_commission * closed / open
            };
            let exit = if closed == fill.qty {
                fill.commission
            } else {
                fill.commission * closed / fill.qty
            };
            (entry, exit)
        };
        let side = if pos.qty > 0.0 { Side::Buy } else { Side::Sell };
        self.trips[i].reduce(closed, fill.price, exit_comm);
        let rest = fill.qty - closed;
        // Whole or fractional quantities: snap float dust to flat.
        if closed >= open || open - closed <= open * 1e-12 {
            self.close_trip(fill, side, &pos);
        }
        let p = &mut self.positions[i];
        if closed < open {
            let remaining = open - closed;
            // Whole or fractional quantities: snap float dust to flat.
            if remaining <= open * 1e-12 {
                *p = Position::default();
                self.unhold(fill.asset);
            } else {
                p.qty = pos.qty.signum() * remaining;
                p.entry_commission = pos.entry_commission - entry_comm;
            }
        } else if rest > 0.0 {
            // Flip: the rest opens a position on the other side at the fill price.
            *p = Position {
                qty: fill.side.sign() * rest,
                avg_price: fill.price,
                entry_ts: fill.ts,
                entry_bar: fill.bar_index,
                entry_commission: fill.commission - exit_comm,
            };
            self.trips[i] = Trip::default();
            self.trips[i].add(rest, fill.price, fill.commission - exit_comm);
        } else {
            *p = Position::default();
            self.unhold(fill.asset);
        }
    }

    /// Records the finished round trip of `fill.asset` (`pos`: the position before the fill).
    fn close_trip(&mut self, fill: &Fill, side: Side, pos: &Position) {
        let t = self.trips[fill.asset.index()];
        let entry_price = Trip::mean(t.inc_n, t.inc_price, t.inc_notional, t.inc_qty);
        let exit_price = Trip::mean(t.red_n, t.red_price, t.red_notional, t.red_qty);
        self.trades.push(Trade {
            asset: fill.asset,
            side,
            qty: t.inc_qty,
            entry_ts: pos.entry_ts,
            entry_price,
            entry_bar: pos.entry_bar,
            exit_ts: fill.ts,
            exit_price,
            exit_bar: fill.bar_index,
            entry_commission: t.inc_commission,
            exit_commission: t.red_commission,
            pnl_net: side.sign() * (t.red_notional - t.inc_notional)
                - t.inc_commission
                - t.red_commission
                - t.borrow_fee,
        });
    }

    fn hold(&mut self, asset: AssetId) {
        if let Err(at) = self.held.binary_search(&asset) {
            self.held.insert(at, asset);
        }
    }

    fn unhold(&mut self, asset: AssetId) {
        if let Ok(at) = self.held.binary_search(&asset) {
            self.held.remove(at);
        }
    }

    /// Positions still open, with their marks.
    pub fn open_positions(&self) -> Vec<OpenPosition> {
        self.held
            .iter()
            .map(|&a| {
                let p = &self.positions[a.index()];
                let last = self.last_price[a.index()];
                OpenPosition {
                    asset: a,
                    qty: p.qty,
                    entry_ts: p.entry_ts,
                    entry_bar: p.entry_bar,
                    entry_price: p.avg_price,
                    last_price: last,
                    unrealized_pnl: p.qty * (last - p.avg_price),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::OrderId;

    fn fill(side: Side, qty: f64, price: f64, commission: f64, bar: usize) -> Fill {
        Fill {
            order_id: OrderId(bar as u64),
            asset: AssetId(0),
            side,
            qty,
            price,
            commission,
            ts: TimestampNs(bar as i64),
            bar_index: bar,
            position_after: 0.0,
        }
    }

    #[test]
    fn portfolio_round_trip_books_cash_and_trade() {
        let mut p = Portfolio::new(10_000.0, 1);
        // Buy 10 @ 100, commission 1: cash 10000 - 1000 - 1 = 8999.
        p.apply_fill(&fill(Side::Buy, 10.0, 100.0, 1.0, 1));
        assert_eq!(p.cash(), 8_999.0);
        p.mark(AssetId(0), 105.0);
        assert_eq!(p.equity(), 8_999.0 + 1_050.0);
        assert_eq!(p.marked(), (8_999.0 + 1_050.0, 1_050.0, 1_050.0));
        // Sell 10 @ 110, commission 1.1: cash 8999 + 1100 - 1.1 = 10097.9.
        p.apply_fill(&fill(Side::Sell, 10.0, 110.0, 1.1, 3));
        assert!((p.cash() - 10_097.9).abs() < 1e-9);
        assert!(p.held().is_empty());
        let t = p.trades()[0];
        // pnl = 10 * (110 - 100) - 1 - 1.1 = 97.9
        assert!((t.pnl_net - 97.9).abs() < 1e-9);
        assert_eq!((t.entry_bar, t.exit_bar, t.qty), (1, 3, 10.0));
    }

    #[test]
    fn portfolio_partial_close_is_one_trade_at_flat() {
        let mut p = Portfolio::new(10_000.0, 1);
        p.apply_fill(&fill(Side::Buy, 10.0, 100.0, 2.0, 0));
        p.apply_fill(&fill(Side::Sell, 4.0, 110.0, 0.4, 1));
        // A reduction is not a trade: the round trip is still open.
        assert!(p.trades().is_empty());
        let pos = p.position(AssetId(0));
        assert_eq!(pos.qty, 6.0);
        assert!((pos.entry_commission - 1.2).abs() < 1e-12);
        assert_eq!(pos.avg_price, 100.0);
        // Add 2 @ 105 (comm 0.2), then sell the 8 left @ 120 (comm 0.96).
        p.apply_fill(&fill(Side::Buy, 2.0, 105.0, 0.2, 2));
        p.apply_fill(&fill(Side::Sell, 8.0, 120.0, 0.96, 3));
        assert_eq!(p.trades().len(), 1);
        let t = p.trades()[0];
        // qty = 10 + 2; entry = (1000 + 210) / 12; exit = (440 + 960) / 12.
        assert_eq!((t.qty, t.entry_bar, t.exit_bar), (12.0, 0, 3));
        assert!((t.entry_price - 1_210.0 / 12.0).abs() < 1e-12);
        assert!((t.exit_price - 1_400.0 / 12.0).abs() < 1e-12);
        // pnl = 1400 - 1210 - (2 + 0.2) - (0.4 + 0.96) = 186.44
        assert!((t.pnl_net - 186.44).abs() < 1e-9, "{}", t.pnl_net);
        assert!((t.entry_commission - 2.2).abs() < 1e-12);
        assert!((t.exit_commission - 1.36).abs() < 1e-12);
        assert!(p.held().is_empty());
    }

    #[test]
    fn portfolio_borrow_fee_is_in_the_short_trade_pnl() {
        let mut p = Portfolio::new(10_000.0, 1);
        p.apply_fill(&fill(Side::Sell, 10.0, 100.0, 0.0, 0));
        p.charge_borrow(AssetId(0), 0.5);
        p.charge_borrow(AssetId(0), 0.25);
        p.apply_fill(&fill(Side::Buy, 10.0, 90.0, 0.0, 2));
        // 10 * (100 - 90) - 0.75 borrow = 99.25, and the cash paid the same fee.
        let t = p.trades()[0];
        assert!((t.pnl_net - 99.25).abs() < 1e-12);
        assert!((p.cash() - (10_000.0 + 1_000.0 - 900.0 - 0.75)).abs() < 1e-9);
        // The next round trip starts with no fee.
        p.apply_fill(&fill(Side::Sell, 1.0, 100.0, 0.0, 3));
        p.apply_fill(&fill(Side::Buy, 1.0, 100.0, 0.0, 4));
        assert_eq!(p.trades()[1].pnl_net, 0.0);
    }

    #[test]
    fn portfolio_adding_averages_the_entry_price() {
        let mut p = Portfolio::new(10_000.0, 1);
        p.apply_fill(&fill(Side::Buy, 10.0, 100.0, 0.0, 0));
        p.apply_fill(&fill(Side::Buy, 30.0, 104.0, 0.0, 1));
        // (10*100 + 30*104) / 40 = 103
        assert_eq!(p.position(AssetId(0)).avg_price, 103.0);
        assert_eq!(p.position(AssetId(0)).entry_bar, 0);
    }

    #[test]
    fn portfolio_flip_closes_then_opens_short() {
        let mut p = Portfolio::new(10_000.0, 1);
        p.apply_fill(&fill(Side::Buy, 10.0, 100.0, 0.0, 0));
        p.apply_fill(&fill(Side::Sell, 15.0, 90.0, 3.0, 1));
        // Close 10: exit comm 3 * 10/15 = 2; pnl = 10 * (90 - 100) - 0 - 2 = -102
        assert!((p.trades()[0].pnl_net + 102.0).abs() < 1e-12);
        let pos = *p.position(AssetId(0));
        assert_eq!(pos.qty, -5.0);
        assert_eq!(pos.avg_price, 90.0);
        assert!((pos.entry_commission - 1.0).abs() < 1e-12);
        // Cover at 80: short pnl = 5 * (90 - 80) - 1 - 0 = 49
        p.apply_fill(&fill(Side::Buy, 5.0, 80.0, 0.0, 2));
        assert!((p.trades()[1].pnl_net - 49.0).abs() < 1e-12);
        assert_eq!(p.trades()[1].side, Side::Sell);
        // cash: 10000 - 1000 + (1350 - 3) - 400 = 9947
        assert!((p.cash() - 9_947.0).abs() < 1e-9);
    }
}
