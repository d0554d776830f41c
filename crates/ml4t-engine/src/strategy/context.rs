//! The strategy's view of the account and its order helpers (the seed's `ctx` API).

use crate::execution::{Order, OrderKind};
use crate::portfolio::{Portfolio, Position};
use crate::types::{AssetId, OrderId, Side, SignalId, TimestampNs};

use super::StrategyError;

/// What `position_info` returns for an id outside the data.
static FLAT: Position = Position {
    qty: 0.0,
    avg_price: 0.0,
    entry_ts: TimestampNs(0),
    entry_bar: 0,
    entry_commission: 0.0,
};

/// What a strategy asks the broker for; the engine applies requests after the callbacks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Request {
    Submit(Order),
    Cancel(OrderId),
}

/// Read access to the account at the current bar, plus order helpers. Sizing helpers use the cash
/// after this bar's fills and the asset's latest close; they return `None` (and place nothing)
/// when the quantity rounds to zero, the price is unknown, or no order can fill any more (the
/// last bar of a historical feed).
pub struct Context<'a> {
    portfolio: &'a Portfolio,
    open_orders: &'a [Order],
    assets: &'a [String],
    signals: &'a [String],
    requests: &'a mut Vec<Request>,
    next_id: &'a mut u64,
    ts: TimestampNs,
    bar_index: usize,
    accept_orders: bool,
}

impl<'a> Context<'a> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        portfolio: &'a Portfolio,
        open_orders: &'a [Order],
        assets: &'a [String],
        signals: &'a [String],
        requests: &'a mut Vec<Request>,
        next_id: &'a mut u64,
        ts: TimestampNs,
        bar_index: usize,
        accept_orders: bool,
    ) -> Self {
        Context {
            portfolio,
            open_orders,
            assets,
            signals,
            requests,
            next_id,
            ts,
            bar_index,
            accept_orders,
        }
    }

    // ---- data and names ----

    /// Resolves a signal column name once (in `on_start`); use `bar.signal(id)` in the loop.
    pub fn signal_id(&self, name: &str) -> Result<SignalId, StrategyError> {
        self.signals
            .iter()
            .position(|s| s == name)
            .map(|i| SignalId(i as u32))
            .ok_or_else(|| {
                StrategyError(format!(
                    "unknown signal column '{name}'; the data has: {}",
                    self.signals.join(", ")
                ))
            })
    }
    pub fn signal_names(&self) -> &'a [String] {
        self.signals
    }
    pub fn asset_id(&self, name: &str) -> Option<AssetId> {
        self.assets.iter().position(|s| s == name).map(|i| AssetId(i as u32))
    }
    pub fn asset_name(&self, asset: AssetId) -> &'a str {
        self.assets.get(asset.index()).map_or("?", String::as_str)
    }
    pub fn assets(&self) -> &'a [String] {
        self.assets
    }
    /// The current timestamp (default before the first bar).
    pub fn ts(&self) -> TimestampNs {
        self.ts
    }
    /// Index of the current timestamp in the feed.
    pub fn bar_index(&self) -> usize {
        self.bar_index
    }
    /// False on the last bar of a historical feed, where no order could fill.
    pub fn can_trade(&self) -> bool {
        self.accept_orders
    }

    // ---- account ----

    /// Signed quantity held.
    #[inline]
    pub fn position(&self, asset: AssetId) -> f64 {
        self.portfolio.qty(asset)
    }
    /// Position details (average entry price, entry time); a flat position for an unknown id.
    pub fn position_info(&self, asset: AssetId) -> &'a Position {
        self.checked_position(asset)
    }
    /// Like `Portfolio::position`, but an id outside the data (a script's or a callback's
    /// arithmetic) reads as flat instead of panicking, as `position()` reads 0.
    #[inline]
    fn checked_position(&self, asset: AssetId) -> &'a Position {
        if asset.index() < self.portfolio.n_assets() {
            self.portfolio.position(asset)
        } else {
            &FLAT
        }
    }
    /// Assets with an open position and their signed quantities, in name order.
    pub fn positions(&self) -> impl Iterator<Item = (AssetId, f64)> + 'a {
        let p = self.portfolio;
        p.held().iter().map(move |&a| (a, p.qty(a)))
    }
    /// `qty * last close`.
    #[inline]
    pub fn position_value(&self, asset: AssetId) -> f64 {
        let q = self.portfolio.qty(asset);
        if q == 0.0 {
            0.0
        } else {
            q * self.portfolio.last_price(asset)
        }
    }
    /// `qty * (last close - average entry)`.
    #[inline]
    pub fn unrealized_pnl(&self, asset: AssetId) -> f64 {
        let p = self.checked_position(asset);
        if p.qty == 0.0 {
            0.0
        } else {
            p.qty * (self.portfolio.last_price(asset) - p.avg_price)
        }
    }
    /// `close / avg_entry - 1` for a long, `1 - close / avg_entry` for a short; 0 when flat.
    /// Commissions are not included (SEMANTICS.md).
    #[inline]
    pub fn unrealized_pnl_pct(&self, asset: AssetId) -> f64 {
        let p = self.checked_position(asset);
        if p.qty == 0.0 {
            return 0.0;
        }
        let r = self.portfolio.last_price(asset) / p.avg_price - 1.0;
        if p.qty > 0.0 { r } else { -r }
    }
    #[inline]
    pub fn cash(&self) -> f64 {
        self.portfolio.cash()
    }
    /// Cash plus positions marked at their latest close.
    #[inline]
    pub fn equity(&self) -> f64 {
        self.portfolio.equity()
    }
    /// Latest close of the asset (NaN before its first bar).
    #[inline]
    pub fn price(&self, asset: AssetId) -> f64 {
        self.portfolio.last_price(asset)
    }
    /// Orders not yet filled, in submission order (as of the start of this bar's callbacks).
    pub fn open_orders(&self) -> &'a [Order] {
        self.open_orders
    }

    // ---- orders ----

    /// Places an order of any kind. `None` when nothing was placed.
    pub fn order(&mut self, asset: AssetId, side: Side, qty: f64, kind: OrderKind) -> Option<OrderId> {
        self.order_oco(asset, side, qty, kind, None)
    }

    /// Places an order in one-cancels-other group `oco` (see [`Context::new_group`]): when an
    /// order of the group fills, the broker cancels the others.
    pub fn order_oco(
        &mut self,
        asset: AssetId,
        side: Side,
        qty: f64,
        kind: OrderKind,
        oco: Option<u64>,
    ) -> Option<OrderId> {
        if !(self.accept_orders && qty > 0.0 && qty.is_finite()) || asset.index() >= self.assets.len() {
            return None;
        }
        let id = OrderId(*self.next_id);
        *self.next_id += 1;
        let order = Order {
            id,
            asset,
            side,
            qty,
            kind,
            submitted_ts: self.ts,
            submitted_bar: self.bar_index,
            oco,
        };
        self.requests.push(Request::Submit(order));
        Some(id)
    }

    /// A fresh one-cancels-other group id for [`Context::order_oco`] (the id the next order
    /// will get, which no pending order's group uses).
    pub fn new_group(&self) -> u64 {
        *self.next_id
    }

    /// Market buy of `qty` units.
    #[inline]
    pub fn buy(&mut self, asset: AssetId, qty: f64) -> Option<OrderId> {
        self.order(asset, Side::Buy, qty, OrderKind::Market)
    }
    /// Market sell of `qty` units (cut to the position in a long-only account).
    #[inline]
    pub fn sell(&mut self, asset: AssetId, qty: f64) -> Option<OrderId> {
        self.order(asset, Side::Sell, qty, OrderKind::Market)
    }
    /// Market short sale of `qty` units (needs a broker that allows shorts; a long-only account
    /// cuts the sell to the position held).
    #[inline]
    pub fn sell_short(&mut self, asset: AssetId, qty: f64) -> Option<OrderId> {
        self.order(asset, Side::Sell, qty, OrderKind::Market)
    }
    /// Buys `floor(cash * pct / close)` units (the seed's PercentSizer; SEMANTICS.md).
    #[inline]
    pub fn buy_percent(&mut self, asset: AssetId, pct: f64) -> Option<OrderId> {
        let qty = (self.portfolio.cash() * pct / self.portfolio.last_price(asset)).floor();
        self.buy(asset, qty)
    }
    /// Sells `floor(position * pct)` units of a long position.
    pub fn sell_percent(&mut self, asset: AssetId, pct: f64) -> Option<OrderId> {
        let qty = (self.portfolio.qty(asset).max(0.0) * pct).floor();
        self.sell(asset, qty)
    }
    /// Closes the whole position (sells a long, buys back a short).
    #[inline]
    pub fn close_position(&mut self, asset: AssetId) -> Option<OrderId> {
        let q = self.portfolio.qty(asset);
        if q > 0.0 {
            self.sell(asset, q)
        } else {
            self.buy(asset, -q)
        }
    }
    /// Reduces the position's size by `qty` units towards flat (never past it).
    pub fn reduce_position(&mut self, asset: AssetId, qty: f64) -> Option<OrderId> {
        let q = self.portfolio.qty(asset);
        let n = qty.min(q.abs());
        if q > 0.0 {
            self.sell(asset, n)
        } else {
            self.buy(asset, n)
        }
    }
    /// Trades towards a position worth `pct` of equity (whole units, rounded towards zero).
    pub fn order_target_percent(&mut self, asset: AssetId, pct: f64) -> Option<OrderId> {
        let price = self.portfolio.last_price(asset);
        let target = (self.portfolio.equity() * pct / price).trunc();
        self.order_target_qty(asset, target)
    }
    /// Trades towards a signed position of `target` units.
    pub fn order_target_qty(&mut self, asset: AssetId, target: f64) -> Option<OrderId> {
        let delta = target - self.portfolio.qty(asset);
        if delta > 0.0 {
            self.buy(asset, delta)
        } else {
            self.sell(asset, -delta)
        }
    }
    pub fn buy_limit(&mut self, asset: AssetId, qty: f64, limit: f64) -> Option<OrderId> {
        self.order(asset, Side::Buy, qty, OrderKind::Limit(limit))
    }
    pub fn sell_limit(&mut self, asset: AssetId, qty: f64, limit: f64) -> Option<OrderId> {
        self.order(asset, Side::Sell, qty, OrderKind::Limit(limit))
    }
    pub fn buy_stop(&mut self, asset: AssetId, qty: f64, stop: f64) -> Option<OrderId> {
        self.order(asset, Side::Buy, qty, OrderKind::Stop(stop))
    }
    pub fn sell_stop(&mut self, asset: AssetId, qty: f64, stop: f64) -> Option<OrderId> {
        self.order(asset, Side::Sell, qty, OrderKind::Stop(stop))
    }
    /// A sell stop trailing `pct` below the highest high since it was placed.
    pub fn sell_trailing_stop(&mut self, asset: AssetId, qty: f64, pct: f64) -> Option<OrderId> {
        self.order(
            asset,
            Side::Sell,
            qty,
            OrderKind::TrailingStop { pct, extreme: f64::NAN },
        )
    }
    /// Protects a long position with an intrabar stop loss and take profit (one cancels the
    /// other). Returns the (stop, take-profit) order ids.
    pub fn bracket(&mut self, asset: AssetId, qty: f64, stop: f64, take_profit: f64) -> Option<(OrderId, OrderId)> {
        let group = *self.next_id;
        let s = self.order_oco(asset, Side::Sell, qty, OrderKind::Stop(stop), Some(group))?;
        let t = self.order_oco(asset, Side::Sell, qty, OrderKind::Limit(take_profit), Some(group))?;
        Some((s, t))
    }
    /// Cancels a pending order (applied after this bar's callbacks).
    pub fn cancel(&mut self, id: OrderId) {
        self.requests.push(Request::Cancel(id));
    }

    /// Trades every asset towards a signed target quantity (`targets[asset id]`; missing
    /// entries mean flat), as a rebalance does (SEMANTICS.md): reductions first (sells and
    /// covers, in asset-name order; a target through zero closes the position here), then
    /// additions (in asset-name order; the new side of such a position opens here).
    /// Differences below `min_trade` units or worth less than `min_notional` at the latest
    /// close are not traded.
    pub fn order_targets(&mut self, targets: &[f64], min_trade: f64, min_notional: f64) {
        let min = min_trade.max(f64::MIN_POSITIVE);
        let n = self.assets.len();
        let target = |a: usize| targets.get(a).copied().unwrap_or(0.0);
        for a in 0..n {
            let asset = AssetId(a as u32);
            let (cur, tgt) = (self.portfolio.qty(asset), target(a));
            if cur == 0.0 {
                continue;
            }
            let reduce = if tgt == 0.0 || tgt.signum() != cur.signum() {
                cur.abs()
            } else {
                cur.abs() - tgt.abs()
            };
            let worth = |q: f64| min_notional <= 0.0 || q * self.portfolio.last_price(asset) >= min_notional;
            if reduce >= min && worth(reduce) {
                let side = if cur > 0.0 { Side::Sell } else { Side::Buy };
                self.order(asset, side, reduce, OrderKind::Market);
            }
        }
        for a in 0..n {
            let asset = AssetId(a as u32);
            let (cur, tgt) = (self.portfolio.qty(asset), target(a));
            if tgt == 0.0 || tgt.is_nan() {
                continue;
            }
            let base = if cur != 0.0 && cur.signum() == tgt.signum() {
                cur.abs()
            } else {
                0.0
            };
            let add = tgt.abs() - base;
            let worth = |q: f64| min_notional <= 0.0 || q * self.portfolio.last_price(asset) >= min_notional;
            if add >= min && worth(add) {
                let side = if tgt > 0.0 { Side::Buy } else { Side::Sell };
                self.order(asset, side, add, OrderKind::Market);
            }
        }
    }

    /// Trades towards a portfolio of signed weights of equity: each listed asset to
    /// `trunc(equity * weight / close)` units, every other asset to flat; reductions first (see
    /// [`Context::order_targets`]).
    pub fn order_target_weights(&mut self, weights: &[(AssetId, f64)]) {
        let equity = self.portfolio.equity();
        let mut targets = vec![0.0; self.assets.len()];
        for &(asset, w) in weights {
            if let Some(t) = targets.get_mut(asset.index()) {
                let q = (equity * w / self.portfolio.last_price(asset)).trunc();
                // An asset without a price yet (NaN) or a non-finite weight stays as it is.
                *t = if q.is_finite() { q } else { self.portfolio.qty(asset) };
            }
        }
        self.order_targets(&targets, 1.0, 0.0);
    }
}
