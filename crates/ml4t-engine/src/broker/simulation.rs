//! The simulation broker: SEMANTICS.md's fill and accounting rules over historical or live bars.

use super::{Broker, BrokerError};
use crate::execution::{
    BrokerConfig, CashRule, EquityRecorder, ExecutionNotes, Fill, FillKind, FillTiming, IntrabarPriority,
    MAX_EXACT_QTY, Order, OrderKind, RejectReason, Rejection, Trade,
};
use crate::market::{Bar, BarSlice, Bars};
use crate::portfolio::Portfolio;
use crate::types::{OrderId, Side, TimestampNs};

/// Fills orders against bars: market orders at the next open, stops and limits intrabar, with the
/// configured commission, slippage, cash rule and volume cap.
#[derive(Debug, Clone)]
pub struct SimulationBroker {
    config: BrokerConfig,
    portfolio: Portfolio,
    pending: Vec<Order>,
    /// Reused buffer for the orders that stay pending after a bar.
    kept: Vec<Order>,
    /// OCO groups filled during the current bar.
    /// OCO groups with a fill at the current timestamp, and the order that filled.
    filled_groups: Vec<(u64, OrderId)>,
    rejections: Vec<Rejection>,
    slip: f64,
    /// Each fill's kind, and the ambiguous-bar count.
    notes: ExecutionNotes,
    /// Borrow fee per bar, a fraction of a short's value.
    borrow: f64,
}

/// What the cash allows of a buy (see `SimulationBroker::affordable_buy`).
enum Afford {
    /// All of it.
    Full,
    /// This much (the cover, or what the cash pays for).
    Part(f64),
    /// Nothing: the order is rejected.
    Refused,
}

enum Outcome {
    /// Nothing (more) to do with the order: filled completely, or dropped.
    Done,
    /// The order stays pending (not triggered, no bar, or a volume-capped partial fill).
    Keep,
}

impl SimulationBroker {
    pub fn new(config: BrokerConfig, n_assets: usize) -> Self {
        SimulationBroker {
            config,
            portfolio: Portfolio::new(config.initial_cash, n_assets),
            pending: Vec::new(),
            kept: Vec::new(),
            filled_groups: Vec::new(),
            rejections: Vec::new(),
            slip: config.slippage_bps / 10_000.0,
            notes: ExecutionNotes::default(),
            borrow: config.borrow_rate / config.bars_per_year,
        }
    }

    /// Storage of an earlier run's trades and fill kinds (emptied) for this run's records, if
    /// it has none yet (see [`crate::results::ResultBuffers`]).
    pub(crate) fn reuse_records(
        &mut self,
        trades: Vec<Trade>,
        mut fill_kinds: Vec<FillKind>,
        mut rejections: Vec<Rejection>,
    ) {
        self.portfolio.reuse_trades(trades);
        if self.rejections.is_empty() && self.rejections.capacity() < rejections.capacity() {
            rejections.clear();
            self.rejections = rejections;
        }
        if self.notes.fill_kinds.is_empty() && self.notes.fill_kinds.capacity() < fill_kinds.capacity() {
            fill_kinds.clear();
            self.notes.fill_kinds = fill_kinds;
        }
    }

    #[inline]
    fn slipped(&self, side: Side, px: f64) -> f64 {
        match side {
            Side::Buy => px * (1.0 + self.slip),
            Side::Sell => px * (1.0 - self.slip),
        }
    }

    /// The price at which `order` fills during `bar`, if it fills at all (before cash checks).
    #[inline]
    fn fill_price(&self, order: &Order, bar: &Bar<'_>) -> Option<f64> {
        let (o, h, l) = (bar.open(), bar.high(), bar.low());
        let limit_px = |lim: f64| match order.side {
            Side::Buy => (l <= lim).then(|| o.min(lim)),
            Side::Sell => (h >= lim).then(|| o.max(lim)),
        };
        let stop_px = |stop: f64| match order.side {
            Side::Sell => (l <= stop).then(|| o.min(stop)),
            Side::Buy => (h >= stop).then(|| o.max(stop)),
        };
        match order.kind {
            OrderKind::Market => Some(self.slipped(order.side, o)),
            OrderKind::Limit(lim) => limit_px(lim),
            OrderKind::Stop(stop) => stop_px(stop).map(|px| self.slipped(order.side, px)),
            OrderKind::StopLimit {
                limit, triggered: true, ..
            } => limit_px(limit),
            OrderKind::StopLimit {
                stop,
                limit,
                triggered: false,
            } => {
                let t = stop_px(stop)?;
                let marketable = match order.side {
                    Side::Sell => t >= limit,
                    Side::Buy => t <= limit,
                };
                marketable.then_some(t)
            }
            OrderKind::TrailingStop { pct, extreme } => {
                let stop = match order.side {
                    Side::Sell => extreme * (1.0 - pct),
                    Side::Buy => extreme * (1.0 + pct),
                };
                stop_px(stop).map(|px| self.slipped(order.side, px))
            }
        }
    }

    /// After a bar in which `order` did not fill: trigger stop-limits, move trailing stops.
    fn age(order: &mut Order, bar: &Bar<'_>) {
        match &mut order.kind {
            OrderKind::StopLimit { stop, triggered, .. } if !*triggered => {
                *triggered = match order.side {
                    Side::Sell => bar.low() <= *stop,
                    Side::Buy => bar.high() >= *stop,
                };
            }
            OrderKind::TrailingStop { extreme, .. } => {
                *extreme = match order.side {
                    Side::Sell => extreme.max(bar.high()),
                    Side::Buy => extreme.min(bar.low()),
                };
            }
            _ => {}
        }
    }

    /// An order whose price was reached on a bar where it could not fill in full: a stop or
    /// trailing stop has become a market order, a stop-limit rests as its limit.
    fn trigger(order: &mut Order) {
        match &mut order.kind {
            OrderKind::Stop(_) | OrderKind::TrailingStop { .. } => order.kind = OrderKind::Market,
            OrderKind::StopLimit { triggered, .. } => *triggered = true,
            OrderKind::Market | OrderKind::Limit(_) => {}
        }
    }

    /// Whether another order of `order`'s OCO group filled at this timestamp (so `order` is
    /// cancelled; an order that filled only in part keeps its rest).
    fn sibling_filled(&self, order: &Order) -> bool {
        order
            .oco
            .is_some_and(|g| self.filled_groups.iter().any(|&(fg, id)| fg == g && id != order.id))
    }

    fn is_stop_like(kind: &OrderKind) -> bool {
        matches!(
            kind,
            OrderKind::Stop(_) | OrderKind::StopLimit { .. } | OrderKind::TrailingStop { .. }
        )
    }

    /// Whether a resting order that fills during `bar` fills at its open: the bar opened
    /// through its price (a gap), so the open decides.
    fn at_open(order: &Order, bar: &Bar<'_>) -> bool {
        let o = bar.open();
        let stop_gap = |stop: f64| match order.side {
            Side::Sell => o <= stop,
            Side::Buy => o >= stop,
        };
        match order.kind {
            OrderKind::Market => true,
            OrderKind::Limit(lim) => match order.side {
                Side::Buy => o <= lim,
                Side::Sell => o >= lim,
            },
            OrderKind::Stop(stop) => stop_gap(stop),
            OrderKind::TrailingStop { pct, extreme } => stop_gap(match order.side {
                Side::Sell => extreme * (1.0 - pct),
                Side::Buy => extreme * (1.0 + pct),
            }),
            OrderKind::StopLimit { .. } => false,
        }
    }

    fn fill_kind(order: &Order, bar: &Bar<'_>) -> FillKind {
        let gap = Self::at_open(order, bar);
        match order.kind {
            OrderKind::Market => FillKind::Market,
            OrderKind::Limit(_) if gap => FillKind::LimitGap,
            OrderKind::Limit(_) => FillKind::Limit,
            OrderKind::Stop(_) if gap => FillKind::StopGap,
            OrderKind::Stop(_) => FillKind::Stop,
            OrderKind::StopLimit { .. } => FillKind::StopLimit,
            OrderKind::TrailingStop { .. } if gap => FillKind::TrailingGap,
            OrderKind::TrailingStop { .. } => FillKind::Trailing,
        }
    }

    /// When in `bar` an order fills, if it does (lower first, SEMANTICS.md "Intrabar exits"):
    /// 0 a resting order the open gapped through, 1 a market order at the open, then during
    /// the bar 2 the kind the intrabar priority favours (stops, by default) and 3 the other.
    fn precedence(&self, order: &Order, bar: &Bar<'_>) -> Option<u8> {
        self.fill_price(order, bar)?;
        let stop_first = self.config.intrabar_priority == IntrabarPriority::StopFirst;
        Some(match order.kind {
            OrderKind::Market => 1,
            _ if Self::at_open(order, bar) => 0,
            k if Self::is_stop_like(&k) == stop_first => 2,
            _ => 3,
        })
    }

    /// For an order that fills during `bar`: (an OCO sibling filling earlier in the bar takes
    /// precedence, so this order yields; a sibling of the other intrabar kind is touched too,
    /// so the bar is ambiguous and the priority decided it).
    fn oco_contest(&self, order: &Order, orders: &[Order], bar: &Bar<'_>) -> (bool, bool) {
        let Some(group) = order.oco else {
            return (false, false);
        };
        let Some(mine) = self.precedence(order, bar) else {
            return (false, false);
        };
        let (mut yields, mut ambiguous) = (false, false);
        for o in orders.iter().filter(|o| o.id != order.id && o.oco == Some(group)) {
            match self.precedence(o, bar) {
                Some(theirs) if theirs < mine => yields = true,
                Some(3) if mine == 2 => ambiguous = true,
                _ => {}
            }
        }
        (yields, ambiguous)
    }

    /// Fills pending orders against a new timestamp's bars (market at the open, others intrabar).
    #[inline(never)]
    fn fill_pending(&mut self, bars: &BarSlice<'_>, fills: &mut Vec<Fill>) {
        let mut orders = std::mem::take(&mut self.pending);
        let mut kept = std::mem::take(&mut self.kept);
        kept.clear();
        self.filled_groups.clear();
        for i in 0..orders.len() {
            let mut order = orders[i];
            if self.sibling_filled(&order) {
                continue;
            }
            let Some(bar) = bars.bar_of(order.asset) else {
                kept.push(order);
                continue;
            };
            let (yields, ambiguous) = self.oco_contest(&order, &orders, &bar);
            let px = match self.fill_price(&order, &bar) {
                Some(px) if !yields => px,
                _ => {
                    Self::age(&mut order, &bar);
                    kept.push(order);
                    continue;
                }
            };
            let n_fills = fills.len();
            let kind = Self::fill_kind(&order, &bar);
            let outcome = self.execute(&mut order, px, &bar, bars.index(), fills);
            if fills.len() > n_fills {
                self.notes.fill_kinds.push(kind);
                self.notes.ambiguous_bars += usize::from(ambiguous);
            }
            if let Outcome::Keep = outcome {
                // Triggered, but the volume cap left a rest: it stays pending as triggered.
                Self::trigger(&mut order);
                kept.push(order);
            }
            orders[i] = order;
        }
        if !self.filled_groups.is_empty() {
            kept.retain(|o| !self.sibling_filled(o));
        }
        orders.clear();
        self.kept = orders;
        self.pending = kept;
    }

    /// `submit`'s checks: an invalid order is recorded as a rejection (false); a trailing stop
    /// placed without a reference price takes the last close.
    #[inline(always)]
    pub(crate) fn admit(&mut self, order: &mut Order) -> bool {
        // A market order of a quantity that passes the checks below (the usual order): inline,
        // so the order the fused path builds need not go through memory to be checked.
        if order.kind == OrderKind::Market && order.qty.is_finite() && order.qty > 0.0 && order.qty < MAX_EXACT_QTY {
            return true;
        }
        self.admit_checked(order)
    }

    /// [`SimulationBroker::admit`] for any order.
    #[inline(never)]
    fn admit_checked(&mut self, order: &mut Order) -> bool {
        let price_ok = match order.kind {
            OrderKind::Market => true,
            OrderKind::Limit(p) | OrderKind::Stop(p) => p.is_finite() && p > 0.0,
            OrderKind::StopLimit { stop, limit, .. } => {
                stop.is_finite() && stop > 0.0 && limit.is_finite() && limit > 0.0
            }
            OrderKind::TrailingStop { pct, .. } => pct.is_finite() && pct > 0.0 && pct < 1.0,
        };
        if !(order.qty.is_finite() && order.qty > 0.0 && price_ok) {
            self.reject(order, order.submitted_ts, RejectReason::InvalidOrder);
            return false;
        }
        if order.qty >= MAX_EXACT_QTY {
            self.reject(order, order.submitted_ts, RejectReason::QuantityTooLarge);
            return false;
        }
        if let OrderKind::TrailingStop { extreme, .. } = &mut order.kind
            && !extreme.is_finite()
        {
            *extreme = self.portfolio.last_price(order.asset);
        }
        true
    }

    /// [`Broker::on_bars`] for a timestamp of one bar (the fused single-asset path). A lone
    /// market order fills straight (see [`SimulationBroker::fill_lone`]); anything else goes
    /// through `fill_pending`.
    #[inline]
    pub(crate) fn on_lone_bar(&mut self, bars: &BarSlice<'_>, bar: &Bar<'_>, fills: &mut Vec<Fill>) {
        debug_assert_eq!(bars.len(), 1);
        match self.pending.as_slice() {
            [] => {}
            [o] => {
                let o = *o;
                self.pending.clear();
                self.fill_lone(o, bars, bar, fills);
            }
            _ => self.fill_pending(bars, fills),
        }
        self.mark_lone(bars, bar);
    }

    /// Fills `order` (admitted, and submitted after the orders still pending) at a timestamp of
    /// one bar. Alone, a market order without OCO group and without a volume cap fills
    /// straight: for it `fill_pending` would find no sibling, no contest and no rest, so the
    /// same price, kind, `execute` and notes follow without its buffer swaps. Anything else goes
    /// through `fill_pending`.
    #[inline]
    pub(crate) fn fill_lone(&mut self, mut order: Order, bars: &BarSlice<'_>, bar: &Bar<'_>, fills: &mut Vec<Fill>) {
        if !self.fills_straight(&order, bar) {
            self.pending.push(order);
            self.fill_pending(bars, fills);
            return;
        }
        let px = self.slipped(order.side, bar.open());
        let n_fills = fills.len();
        // No volume cap: the order is done, filled or rejected.
        let _ = self.execute(&mut order, px, bar, bars.index(), fills);
        if fills.len() > n_fills {
            self.notes.fill_kinds.push(FillKind::Market);
        }
    }

    /// The marks (and borrow fees) of [`Broker::on_bars`] after the fills, for one bar.
    #[inline]
    pub(crate) fn mark_lone(&mut self, bars: &BarSlice<'_>, bar: &Bar<'_>) {
        self.portfolio.mark(bar.asset(), bar.close());
        if self.borrow > 0.0 {
            self.charge_borrow(bars);
        }
    }

    /// The borrow fee of the short positions with a bar at this timestamp, on their close.
    fn charge_borrow(&mut self, bars: &BarSlice<'_>) {
        for bar in bars.iter() {
            let q = self.portfolio.qty(bar.asset());
            if q < 0.0 {
                self.portfolio
                    .charge_borrow(bar.asset(), -q * bar.close() * self.borrow);
            }
        }
    }

    pub(crate) fn reject(&mut self, order: &Order, ts: TimestampNs, reason: RejectReason) {
        self.rejections.push(Rejection {
            order_id: order.id,
            asset: order.asset,
            ts,
            reason,
        });
    }

    /// How much of a buy of `qty` at `px` the cash allows, by the cash rule: only the part
    /// that opens or adds to a long needs cash (a cover always fills).
    #[inline(always)]
    fn affordable_buy(&self, order: &Order, qty: f64, px: f64) -> Afford {
        let commission = self.config.commission;
        let cash = self.portfolio.cash();
        if commission.buy_cost(qty, px) > cash {
            let cover = (-self.portfolio.qty(order.asset)).clamp(0.0, qty);
            match self.config.cash_rule {
                CashRule::Reject if cover == 0.0 => Afford::Refused,
                CashRule::Reject => Afford::Part(cover),
                CashRule::Cap => {
                    let extra = if cover < qty {
                        let left = cash - commission.buy_cost(cover, px);
                        commission.max_affordable(left, px).min(qty - cover)
                    } else {
                        0.0
                    };
                    let qty = cover + extra;
                    if qty <= 0.0 { Afford::Refused } else { Afford::Part(qty) }
                }
            }
        } else {
            // Also a cost that is not a number: it buys, as it always has.
            Afford::Full
        }
    }

    /// Whether [`SimulationBroker::fill_lone`] would refuse `order` at `bar` for want of cash,
    /// changing nothing but the rejections (a straight market buy, see there).
    #[inline]
    pub(crate) fn lone_buy_refused(&self, order: &Order, bar: &Bar<'_>) -> bool {
        order.side == Side::Buy
            && self.fills_straight(order, bar)
            && matches!(
                self.affordable_buy(order, order.qty, self.slipped(Side::Buy, bar.open())),
                Afford::Refused
            )
    }

    /// Whether [`SimulationBroker::fill_lone`] fills `order` at `bar` straight: a lone market
    /// order of the bar's asset, without OCO group or volume cap.
    #[inline(always)]
    fn fills_straight(&self, order: &Order, bar: &Bar<'_>) -> bool {
        self.pending.is_empty()
            && order.kind == OrderKind::Market
            && order.oco.is_none()
            && order.asset == bar.asset()
            && self.config.max_volume_fraction.is_none()
    }

    /// Fills as much of `order` at `px` as cash, position and volume allow.
    fn execute(&mut self, order: &mut Order, px: f64, bar: &Bar<'_>, index: usize, fills: &mut Vec<Fill>) -> Outcome {
        let ts = bar.ts();
        let mut qty = order.qty;
        let mut volume_capped = false;
        if let Some(frac) = self.config.max_volume_fraction {
            let cap = (bar.volume() * frac).floor();
            if cap < qty {
                if cap <= 0.0 {
                    return Outcome::Keep;
                }
                qty = cap;
                volume_capped = true;
            }
        }
        let commission = self.config.commission;
        match order.side {
            Side::Buy => match self.affordable_buy(order, qty, px) {
                Afford::Full => {}
                Afford::Part(q) => {
                    qty = q;
                    volume_capped = false;
                }
                Afford::Refused => {
                    self.reject(order, ts, RejectReason::InsufficientCash);
                    return Outcome::Done;
                }
            },
            Side::Sell if !self.config.allow_short => {
                let held = self.portfolio.qty(order.asset).max(0.0);
                if held <= 0.0 {
                    self.reject(order, ts, RejectReason::NoPosition);
                    return Outcome::Done;
                }
                if qty > held {
                    qty = held;
                    volume_capped = false;
                }
            }
            Side::Sell => {}
        }
        let mut fill = Fill {
            order_id: order.id,
            asset: order.asset,
            side: order.side,
            qty,
            price: px,
            commission: commission.on(qty, px),
            ts,
            bar_index: index,
            position_after: 0.0,
        };
        self.portfolio.apply_fill(&fill);
        fill.position_after = self.portfolio.qty(order.asset);
        fills.push(fill);
        if let Some(g) = order.oco {
            self.filled_groups.push((g, order.id));
        }
        if volume_capped {
            order.qty -= qty;
            Outcome::Keep
        } else {
            Outcome::Done
        }
    }
}

impl Broker for SimulationBroker {
    fn config(&self) -> &BrokerConfig {
        &self.config
    }

    fn portfolio(&self) -> &Portfolio {
        &self.portfolio
    }

    fn submit(&mut self, mut order: Order) -> Result<(), BrokerError> {
        if self.admit(&mut order) {
            self.pending.push(order);
        }
        Ok(())
    }

    fn cancel(&mut self, id: OrderId) -> bool {
        let before = self.pending.len();
        self.pending.retain(|o| o.id != id);
        self.pending.len() != before
    }

    fn open_orders(&self) -> &[Order] {
        &self.pending
    }

    #[inline]
    fn on_bars(&mut self, bars: &BarSlice<'_>, fills: &mut Vec<Fill>) {
        if !self.pending.is_empty() {
            self.fill_pending(bars, fills);
        }
        for bar in bars.iter() {
            self.portfolio.mark(bar.asset(), bar.close());
        }
        if self.borrow > 0.0 {
            self.charge_borrow(bars);
        }
    }

    fn on_quiet(
        &mut self,
        bars: &Bars,
        from: usize,
        to: usize,
        equity: &mut dyn EquityRecorder,
    ) -> Result<(), BrokerError> {
        debug_assert!(self.pending.is_empty(), "fast-forward with pending orders");
        let short = self.portfolio.held().iter().any(|&a| self.portfolio.qty(a) < 0.0);
        if self.borrow > 0.0 && short {
            // The cash changes at every close: one timestamp at a time.
            let mut fills = Vec::new();
            for t in from..to {
                if let Some(slice) = bars.timestamp(t) {
                    self.on_bars(&slice, &mut fills);
                    let (eq, gross, _) = self.portfolio.marked();
                    equity.record(slice.ts(), eq, self.portfolio.cash(), gross);
                }
            }
            return Ok(());
        }
        self.portfolio.mark_quiet(bars, from, to, equity);
        Ok(())
    }

    fn reserve(&mut self, _timestamps: usize, rows: usize) {
        // A round trip takes two fills: half the engine's room for fills; a kind per fill.
        self.portfolio.reserve_trades(crate::fill_capacity(rows) / 2);
        self.notes.fill_kinds.reserve(crate::fill_capacity(rows));
    }

    fn after_decisions(&mut self, bars: &BarSlice<'_>, fills: &mut Vec<Fill>) {
        if self.config.fill_timing != FillTiming::SameClose || self.pending.is_empty() {
            return;
        }
        let mut orders = std::mem::take(&mut self.pending);
        let mut kept = std::mem::take(&mut self.kept);
        kept.clear();
        for mut order in orders.drain(..) {
            let bar = bars.bar_of(order.asset);
            match bar {
                Some(bar) if order.kind == OrderKind::Market && order.submitted_bar == bars.index() => {
                    let px = self.slipped(order.side, bar.close());
                    let n_fills = fills.len();
                    let outcome = self.execute(&mut order, px, &bar, bars.index(), fills);
                    if fills.len() > n_fills {
                        self.notes.fill_kinds.push(FillKind::Market);
                    }
                    if let Outcome::Keep = outcome {
                        kept.push(order);
                    }
                }
                _ => kept.push(order),
            }
        }
        self.kept = orders;
        self.pending = kept;
    }

    fn rejections(&self) -> &[Rejection] {
        &self.rejections
    }

    fn take_records(&mut self) -> (Vec<Trade>, Vec<Rejection>) {
        (self.portfolio.take_trades(), std::mem::take(&mut self.rejections))
    }

    fn take_notes(&mut self) -> ExecutionNotes {
        std::mem::take(&mut self.notes)
    }

    fn as_simulation(&mut self) -> Option<&mut SimulationBroker> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::execution::Commission;
    use crate::market::{BarColumns, Bars};
    use crate::types::AssetId;

    const A: AssetId = AssetId(0);
    const B: AssetId = AssetId(1);

    /// (asset, open, high, low, close, volume)
    type Row = (AssetId, f64, f64, f64, f64, f64);

    /// Bars from rows; each inner slice is one timestamp.
    fn bars(rows: &[&[Row]]) -> Bars {
        let mut cols = BarColumns::with_capacity(8, 0);
        for (t, ts_rows) in rows.iter().enumerate() {
            for &(a, o, h, l, c, v) in ts_rows.iter() {
                cols.push(t as i64, a, o, h, l, c, v, &[]);
            }
        }
        Bars::new(vec!["A".into(), "B".into()], vec![], cols).unwrap()
    }

    fn order(id: u64, asset: AssetId, side: Side, qty: f64, kind: OrderKind) -> Order {
        Order {
            id: OrderId(id),
            asset,
            side,
            qty,
            kind,
            submitted_ts: TimestampNs(0),
            submitted_bar: 0,
            oco: None,
        }
    }

    fn config(cash: f64, pct: f64) -> BrokerConfig {
        BrokerConfig {
            initial_cash: cash,
            commission: Commission::percent(pct),
            ..BrokerConfig::default()
        }
    }

    /// 10,000 cash, no commission, each fill capped at 10 % of the bar's volume.
    fn capped_broker() -> SimulationBroker {
        SimulationBroker::new(
            BrokerConfig {
                max_volume_fraction: Some(0.1),
                ..config(10_000.0, 0.0)
            },
            2,
        )
    }

    /// Feeds timestamp `t` to the broker and returns its fills.
    fn step(broker: &mut SimulationBroker, b: &Bars, t: usize) -> Vec<Fill> {
        let mut fills = Vec::new();
        broker.on_bars(&b.timestamp(t).unwrap(), &mut fills);
        fills
    }

    #[test]
    fn broker_market_buy_fills_at_next_open_with_commission() {
        let b = bars(&[&[(A, 100.0, 101.0, 99.0, 100.0, 1e6)]]);
        let mut br = SimulationBroker::new(config(10_000.0, 0.001), 2);
        br.submit(order(0, A, Side::Buy, 10.0, OrderKind::Market)).unwrap();
        let f = step(&mut br, &b, 0);
        assert_eq!((f[0].qty, f[0].price), (10.0, 100.0));
        // commission 10 * 100 * 0.001 = 1; cash 10000 - 1000 - 1 = 8999
        assert!((f[0].commission - 1.0).abs() < 1e-12);
        assert!((br.portfolio().cash() - 8_999.0).abs() < 1e-9);
        assert_eq!(f[0].position_after, 10.0);
    }

    #[test]
    fn broker_slippage_is_adverse_on_both_sides() {
        let b = bars(&[
            &[(A, 100.0, 101.0, 99.0, 100.0, 1e6)],
            &[(A, 110.0, 111.0, 109.0, 110.0, 1e6)],
        ]);
        let mut br = SimulationBroker::new(
            BrokerConfig {
                slippage_bps: 5.0,
                ..config(10_000.0, 0.0)
            },
            2,
        );
        br.submit(order(0, A, Side::Buy, 10.0, OrderKind::Market)).unwrap();
        assert_eq!(step(&mut br, &b, 0)[0].price, 100.0 * 1.0005);
        br.submit(order(1, A, Side::Sell, 10.0, OrderKind::Market)).unwrap();
        assert_eq!(step(&mut br, &b, 1)[0].price, 110.0 * 0.9995);
    }

    #[test]
    fn broker_cash_cap_shrinks_the_buy() {
        let b = bars(&[&[(A, 100.0, 101.0, 99.0, 100.0, 1e6)]]);
        let mut br = SimulationBroker::new(config(1_000.0, 0.001), 2);
        br.submit(order(0, A, Side::Buy, 20.0, OrderKind::Market)).unwrap();
        let f = step(&mut br, &b, 0);
        // floor(1000 / (100 * 1.001)) = 9; cost 900 + 0.9
        assert_eq!(f[0].qty, 9.0);
        assert!((br.portfolio().cash() - 99.1).abs() < 1e-9);
    }

    #[test]
    fn broker_cash_cap_binds_in_submission_order() {
        let b = bars(&[&[(A, 100.0, 101.0, 99.0, 100.0, 1e6), (B, 50.0, 51.0, 49.0, 50.0, 1e6)]]);
        let mut br = SimulationBroker::new(config(1_000.0, 0.0), 2);
        br.submit(order(0, A, Side::Buy, 6.0, OrderKind::Market)).unwrap();
        br.submit(order(1, B, Side::Buy, 10.0, OrderKind::Market)).unwrap();
        let f = step(&mut br, &b, 0);
        // A takes 600; B gets floor(400 / 50) = 8 of its 10
        assert_eq!((f[0].qty, f[1].qty), (6.0, 8.0));
        assert_eq!(br.portfolio().cash(), 0.0);
    }

    #[test]
    fn broker_reject_rule_drops_unaffordable_buy() {
        let b = bars(&[&[(A, 100.0, 101.0, 99.0, 100.0, 1e6)]]);
        let mut br = SimulationBroker::new(
            BrokerConfig {
                cash_rule: CashRule::Reject,
                ..config(1_000.0, 0.001)
            },
            2,
        );
        br.submit(order(0, A, Side::Buy, 10.0, OrderKind::Market)).unwrap();
        assert!(step(&mut br, &b, 0).is_empty());
        assert_eq!(br.rejections()[0].reason, RejectReason::InsufficientCash);
        assert_eq!(br.portfolio().cash(), 1_000.0);
        assert!(br.open_orders().is_empty());
    }

    #[test]
    fn broker_long_only_cuts_sells_to_the_position() {
        let b = bars(&[
            &[(A, 100.0, 101.0, 99.0, 100.0, 1e6)],
            &[(A, 100.0, 101.0, 99.0, 100.0, 1e6)],
        ]);
        let mut br = SimulationBroker::new(config(10_000.0, 0.0), 2);
        br.submit(order(0, A, Side::Sell, 5.0, OrderKind::Market)).unwrap();
        br.submit(order(1, A, Side::Buy, 10.0, OrderKind::Market)).unwrap();
        br.submit(order(2, A, Side::Sell, 25.0, OrderKind::Market)).unwrap();
        let f = step(&mut br, &b, 0);
        assert_eq!(br.rejections()[0].reason, RejectReason::NoPosition);
        assert_eq!(f.len(), 2);
        assert_eq!(f[1].qty, 10.0);
        assert_eq!(br.portfolio().qty(A), 0.0);
    }

    #[test]
    fn broker_short_selling_when_allowed() {
        let b = bars(&[&[(A, 100.0, 101.0, 99.0, 100.0, 1e6)]]);
        let mut br = SimulationBroker::new(
            BrokerConfig {
                allow_short: true,
                ..config(10_000.0, 0.0)
            },
            2,
        );
        br.submit(order(0, A, Side::Sell, 5.0, OrderKind::Market)).unwrap();
        step(&mut br, &b, 0);
        assert_eq!(br.portfolio().qty(A), -5.0);
        assert_eq!(br.portfolio().cash(), 10_500.0);
        // equity = 10500 - 5 * 100 (marked at the close)
        assert_eq!(br.portfolio().equity(), 10_000.0);
    }

    #[test]
    fn broker_order_waits_for_its_assets_bar() {
        let b = bars(&[
            &[(A, 100.0, 101.0, 99.0, 100.0, 1e6)],
            &[(B, 50.0, 51.0, 49.0, 50.5, 1e6)],
        ]);
        let mut br = SimulationBroker::new(config(10_000.0, 0.0), 2);
        br.submit(order(0, B, Side::Buy, 1.0, OrderKind::Market)).unwrap();
        assert!(step(&mut br, &b, 0).is_empty());
        assert_eq!(br.open_orders().len(), 1);
        assert_eq!(step(&mut br, &b, 1)[0].price, 50.0);
    }

    #[test]
    fn broker_limit_buy_fills_at_limit_or_better_open() {
        let b = bars(&[
            &[(A, 100.0, 101.0, 99.0, 100.0, 1e6)],
            &[(A, 100.0, 101.0, 97.0, 98.0, 1e6)],
            &[(A, 95.0, 96.0, 94.0, 95.0, 1e6)],
        ]);
        let mut br = SimulationBroker::new(config(10_000.0, 0.0), 2);
        br.submit(order(0, A, Side::Buy, 1.0, OrderKind::Limit(98.0))).unwrap();
        br.submit(order(1, A, Side::Buy, 1.0, OrderKind::Limit(96.0))).unwrap();
        // t0: low 99 touches neither
        assert!(step(&mut br, &b, 0).is_empty());
        // t1: low 97 <= 98: fills at the limit 98 (open 100 is above)
        let f = step(&mut br, &b, 1);
        assert_eq!((f.len(), f[0].price), (1, 98.0));
        // t2: gap down, open 95 <= 96: fills at the open
        assert_eq!(step(&mut br, &b, 2)[0].price, 95.0);
    }

    #[test]
    fn broker_sell_stop_fills_at_stop_or_gap_open() {
        let b = bars(&[
            &[(A, 100.0, 101.0, 99.0, 100.0, 1e6)],
            &[(A, 100.0, 101.0, 94.0, 96.0, 1e6)],
            &[(A, 90.0, 91.0, 88.0, 89.0, 1e6)],
        ]);
        let mut br = SimulationBroker::new(config(10_000.0, 0.0), 2);
        br.submit(order(0, A, Side::Buy, 2.0, OrderKind::Market)).unwrap();
        step(&mut br, &b, 0);
        br.submit(order(1, A, Side::Sell, 1.0, OrderKind::Stop(95.0))).unwrap();
        br.submit(order(2, A, Side::Sell, 1.0, OrderKind::Stop(92.0))).unwrap();
        // t1: low 94 <= 95 -> fills at 95; the 92 stop is untouched
        let f = step(&mut br, &b, 1);
        assert_eq!((f.len(), f[0].price), (1, 95.0));
        // t2: gaps below 92: fills at the open 90
        assert_eq!(step(&mut br, &b, 2)[0].price, 90.0);
    }

    #[test]
    fn broker_bracket_stop_wins_when_bar_touches_both() {
        let b = bars(&[
            &[(A, 100.0, 101.0, 99.0, 100.0, 1e6)],
            &[(A, 100.0, 111.0, 89.0, 100.0, 1e6)],
        ]);
        for (priority, expect) in [
            (IntrabarPriority::StopFirst, 90.0),
            (IntrabarPriority::LimitFirst, 110.0),
        ] {
            let mut br = SimulationBroker::new(
                BrokerConfig {
                    intrabar_priority: priority,
                    ..config(10_000.0, 0.0)
                },
                2,
            );
            br.submit(order(0, A, Side::Buy, 1.0, OrderKind::Market)).unwrap();
            step(&mut br, &b, 0);
            br.submit(Order {
                oco: Some(7),
                ..order(1, A, Side::Sell, 1.0, OrderKind::Limit(110.0))
            })
            .unwrap();
            br.submit(Order {
                oco: Some(7),
                ..order(2, A, Side::Sell, 1.0, OrderKind::Stop(90.0))
            })
            .unwrap();
            let f = step(&mut br, &b, 1);
            assert_eq!((f.len(), f[0].price), (1, expect), "{priority:?}");
            assert!(br.open_orders().is_empty(), "the sibling is cancelled");
        }
    }

    /// SEMANTICS.md decision 1: a gap decides by the open before the stop-first priority.
    #[test]
    fn broker_bracket_gap_through_the_limit_beats_the_stop() {
        let b = bars(&[
            &[(A, 100.0, 101.0, 99.0, 100.0, 1e6)],
            &[(A, 112.0, 113.0, 89.0, 95.0, 1e6)],
        ]);
        let mut br = SimulationBroker::new(config(10_000.0, 0.0), 2);
        br.submit(order(0, A, Side::Buy, 1.0, OrderKind::Market)).unwrap();
        step(&mut br, &b, 0);
        br.submit(Order {
            oco: Some(7),
            ..order(1, A, Side::Sell, 1.0, OrderKind::Stop(90.0))
        })
        .unwrap();
        br.submit(Order {
            oco: Some(7),
            ..order(2, A, Side::Sell, 1.0, OrderKind::Limit(110.0))
        })
        .unwrap();
        let f = step(&mut br, &b, 1);
        assert_eq!((f.len(), f[0].order_id, f[0].price), (1, OrderId(2), 112.0));
        let notes = br.take_notes();
        assert_eq!(notes.fill_kinds, [FillKind::Market, FillKind::LimitGap]);
        assert_eq!(notes.ambiguous_bars, 0);
    }

    /// SEMANTICS.md decision 5: the cash cap (and reject) limits only the part of a buy that
    /// opens or adds to a long; a cover always fills.
    #[test]
    fn broker_cover_always_fills_and_a_flip_caps_only_its_new_long() {
        let b = bars(&[
            &[(A, 100.0, 100.0, 100.0, 100.0, 1e6)],
            &[(A, 200.0, 200.0, 200.0, 200.0, 1e6)],
            &[(A, 100.0, 100.0, 100.0, 100.0, 1e6)],
        ]);
        for rule in [CashRule::Cap, CashRule::Reject] {
            let short = BrokerConfig {
                allow_short: true,
                cash_rule: rule,
                ..config(100.0, 0.0)
            };
            let mut br = SimulationBroker::new(short, 2);
            br.submit(order(0, A, Side::Sell, 10.0, OrderKind::Market)).unwrap();
            step(&mut br, &b, 0);
            assert_eq!(br.portfolio().cash(), 1_100.0);
            // Covering 10 at 200 costs 2000 of the 1100 cash.
            br.submit(order(1, A, Side::Buy, 10.0, OrderKind::Market)).unwrap();
            assert_eq!(step(&mut br, &b, 1)[0].qty, 10.0, "{rule:?}");
            assert_eq!(br.portfolio().cash(), -900.0);
            assert!(br.rejections().is_empty());
        }
        // Short 10 at 100 (cash 1100), then buy 20 at 100: the 10 covered cost 1000, the 100
        // left buys 1 of the 10 new shares (cap) or none (reject).
        for (rule, after) in [(CashRule::Cap, 1.0), (CashRule::Reject, 0.0)] {
            let short = BrokerConfig {
                allow_short: true,
                cash_rule: rule,
                ..config(100.0, 0.0)
            };
            let mut br = SimulationBroker::new(short, 2);
            br.submit(order(0, A, Side::Sell, 10.0, OrderKind::Market)).unwrap();
            step(&mut br, &b, 0);
            br.submit(order(1, A, Side::Buy, 20.0, OrderKind::Market)).unwrap();
            step(&mut br, &b, 2);
            assert_eq!(br.portfolio().qty(A), after, "{rule:?}");
        }
    }

    #[test]
    fn broker_trailing_stop_follows_the_high() {
        let b = bars(&[
            &[(A, 100.0, 100.0, 100.0, 100.0, 1e6)],
            &[(A, 100.0, 120.0, 99.0, 118.0, 1e6)],
            &[(A, 117.0, 118.0, 107.0, 110.0, 1e6)],
        ]);
        let mut br = SimulationBroker::new(config(10_000.0, 0.0), 2);
        br.submit(order(0, A, Side::Buy, 1.0, OrderKind::Market)).unwrap();
        step(&mut br, &b, 0);
        // placed at close 100, 10 %: stop 90; t1 high 120 raises it to 108 for t2
        br.submit(order(
            1,
            A,
            Side::Sell,
            1.0,
            OrderKind::TrailingStop {
                pct: 0.1,
                extreme: f64::NAN,
            },
        ))
        .unwrap();
        assert!(step(&mut br, &b, 1).is_empty());
        assert!((step(&mut br, &b, 2)[0].price - 108.0).abs() < 1e-9);
    }

    #[test]
    fn broker_stop_limit_rests_when_gapping_through_the_limit() {
        let b = bars(&[
            &[(A, 100.0, 100.0, 100.0, 100.0, 1e6)],
            &[(A, 90.0, 91.0, 85.0, 86.0, 1e6)],
            &[(A, 86.0, 93.0, 85.0, 92.0, 1e6)],
        ]);
        let mut br = SimulationBroker::new(config(10_000.0, 0.0), 2);
        br.submit(order(0, A, Side::Buy, 1.0, OrderKind::Market)).unwrap();
        step(&mut br, &b, 0);
        br.submit(order(
            1,
            A,
            Side::Sell,
            1.0,
            OrderKind::StopLimit {
                stop: 95.0,
                limit: 92.0,
                triggered: false,
            },
        ))
        .unwrap();
        // t1 opens at 90, below the limit 92: triggered but not filled
        assert!(step(&mut br, &b, 1).is_empty());
        // t2: high 93 >= 92 fills the resting limit at 92
        assert_eq!(step(&mut br, &b, 2)[0].price, 92.0);
    }

    #[test]
    fn broker_volume_cap_fills_in_parts() {
        let b = bars(&[
            &[(A, 10.0, 10.0, 10.0, 10.0, 100.0)],
            &[(A, 10.0, 10.0, 10.0, 10.0, 1_000.0)],
        ]);
        let mut br = capped_broker();
        br.submit(order(0, A, Side::Buy, 50.0, OrderKind::Market)).unwrap();
        assert_eq!(step(&mut br, &b, 0)[0].qty, 10.0);
        assert_eq!(br.open_orders()[0].qty, 40.0);
        assert_eq!(step(&mut br, &b, 1)[0].qty, 40.0);
        assert!(br.open_orders().is_empty());
    }

    /// A take-profit that fills in part under the volume cap cancels its stop sibling and keeps
    /// its own rest pending.
    #[test]
    fn broker_partly_filled_oco_order_keeps_its_rest() {
        let b = bars(&[
            &[(A, 100.0, 100.0, 100.0, 100.0, 1e6)],
            &[(A, 100.0, 111.0, 99.0, 105.0, 100.0)],
            &[(A, 112.0, 113.0, 111.0, 112.0, 1e6)],
        ]);
        let mut br = capped_broker();
        br.submit(order(0, A, Side::Buy, 50.0, OrderKind::Market)).unwrap();
        assert_eq!(step(&mut br, &b, 0)[0].qty, 50.0);
        br.submit(Order {
            oco: Some(3),
            ..order(1, A, Side::Sell, 50.0, OrderKind::Stop(90.0))
        })
        .unwrap();
        br.submit(Order {
            oco: Some(3),
            ..order(2, A, Side::Sell, 50.0, OrderKind::Limit(110.0))
        })
        .unwrap();
        let f = step(&mut br, &b, 1);
        assert_eq!(
            (f.len(), f[0].order_id, f[0].qty, f[0].price),
            (1, OrderId(2), 10.0, 110.0)
        );
        let open = br.open_orders();
        assert_eq!((open.len(), open[0].id, open[0].qty), (1, OrderId(2), 40.0), "{open:?}");
        let f = step(&mut br, &b, 2);
        assert_eq!((f[0].qty, f[0].price), (40.0, 112.0));
        assert!(br.open_orders().is_empty());
        assert!(br.rejections().is_empty());
    }

    /// Stops that trigger but fill only in part stay pending triggered: a stop-limit as its
    /// limit, a stop as a market order.
    #[test]
    fn broker_partly_filled_stops_stay_triggered() {
        let b = bars(&[
            &[(A, 100.0, 100.0, 100.0, 100.0, 1e6)],
            &[(A, 100.0, 100.0, 94.0, 95.0, 100.0)],
            &[(A, 96.0, 97.0, 95.5, 96.0, 1e6)],
        ]);
        for (kind, expect) in [
            (
                OrderKind::StopLimit {
                    stop: 95.0,
                    limit: 92.0,
                    triggered: false,
                },
                96.0,
            ),
            (OrderKind::Stop(95.0), 96.0),
        ] {
            let mut br = capped_broker();
            br.submit(order(0, A, Side::Buy, 50.0, OrderKind::Market)).unwrap();
            step(&mut br, &b, 0);
            br.submit(order(1, A, Side::Sell, 50.0, kind)).unwrap();
            let f = step(&mut br, &b, 1);
            assert_eq!((f[0].qty, f[0].price), (10.0, 95.0), "{kind:?}");
            let f = step(&mut br, &b, 2);
            assert_eq!(f.len(), 1, "{kind:?}: the rest fills at t2");
            assert_eq!((f[0].qty, f[0].price), (40.0, expect), "{kind:?}");
        }
    }

    #[test]
    fn broker_same_close_fills_orders_of_this_bar_at_the_close() {
        let b = bars(&[&[(A, 100.0, 101.0, 99.0, 100.5, 1e6)]]);
        let mut br = SimulationBroker::new(
            BrokerConfig {
                fill_timing: FillTiming::SameClose,
                ..config(10_000.0, 0.0)
            },
            2,
        );
        step(&mut br, &b, 0);
        br.submit(order(0, A, Side::Buy, 1.0, OrderKind::Market)).unwrap();
        let mut f = Vec::new();
        br.after_decisions(&b.timestamp(0).unwrap(), &mut f);
        assert_eq!(f[0].price, 100.5);
    }

    #[test]
    fn broker_rejects_invalid_orders() {
        let mut br = SimulationBroker::new(config(10_000.0, 0.0), 2);
        br.submit(order(0, A, Side::Buy, f64::NAN, OrderKind::Market)).unwrap();
        br.submit(order(1, A, Side::Buy, 1.0, OrderKind::Limit(-1.0))).unwrap();
        assert_eq!(br.rejections().len(), 2);
        assert!(br.open_orders().is_empty());
    }
}
