//! How rules become orders, shared by the compiled and the interpreted rules so that both place
//! the same orders in the same sequence: entries (market, limit or stop; long or short; sized),
//! the resting exits of intrabar mode, exits decided at the close, and the expiry of unfilled
//! entry orders.

use super::sizer::ResolvedSizer;
use super::{Direction, EntryOrder, ExitFills, RestingExits, RuleError, SignalStrategy};
use crate::execution::{Fill, OrderKind};
use crate::market::Bar;
use crate::strategy::Context;
use crate::types::{AssetId, OrderId, Side};

/// Per-asset order state.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Slot {
    /// OCO group of the current position's resting exits (a market exit joins it, so that
    /// whichever fills first voids the others).
    group: Option<u64>,
    /// The position was opened at this timestamp and its resting exits are not placed yet.
    fresh: bool,
}

/// The order side of the rules.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct RuleOrders {
    direction: Direction,
    entry_order: EntryOrder,
    long_resting: RestingExits,
    short_resting: RestingExits,
    sizer: ResolvedSizer,
    initial_margin: Option<f64>,
    slots: Vec<Slot>,
    /// Entry orders that rest (limit, stop) and have not filled: (asset, id, decision bar).
    pending: Vec<(AssetId, OrderId, usize)>,
    /// Slots with `fresh` set.
    n_fresh: usize,
}

impl RuleOrders {
    pub(super) fn new(s: &SignalStrategy, signal_names: &[String], n_assets: usize) -> Result<Self, RuleError> {
        let (long, short) = s.exit_plans()?;
        let intrabar = s.exit_fills == ExitFills::Intrabar;
        Ok(RuleOrders {
            direction: s.direction,
            entry_order: s.entry_order,
            long_resting: if intrabar {
                long.resting
            } else {
                RestingExits::default()
            },
            short_resting: if intrabar {
                short.resting
            } else {
                RestingExits::default()
            },
            sizer: ResolvedSizer::new(&s.sizer, signal_names),
            initial_margin: s.initial_margin,
            slots: vec![Slot::default(); n_assets],
            pending: Vec::new(),
            n_fresh: 0,
        })
    }

    /// Forgets all state (the start of a run).
    pub(super) fn reset(&mut self, n_assets: usize) {
        self.slots = vec![Slot::default(); n_assets];
        self.pending.clear();
        self.n_fresh = 0;
    }

    /// Whether a position waits for its resting exits (placed at its asset's next bar): the
    /// strategy must see that bar, so it cannot be fast-forwarded over.
    #[inline]
    pub(super) fn placing(&self) -> bool {
        self.n_fresh > 0
    }

    pub(super) fn trades_long(&self) -> bool {
        self.direction.trades_long()
    }

    pub(super) fn trades_short(&self) -> bool {
        self.direction.trades_short()
    }

    /// Whether a flat asset still has a valid entry order resting (then no new entry is placed).
    #[inline]
    pub(super) fn entry_waiting(&self, ctx: &Context<'_>, asset: AssetId) -> bool {
        if self.pending.is_empty() {
            return false;
        }
        let (now, valid) = (ctx.bar_index(), self.entry_order.valid_bars() as usize);
        self.pending
            .iter()
            .any(|&(a, id, at)| a == asset && now - at < valid && ctx.open_orders().iter().any(|o| o.id == id))
    }

    /// Whether the orders are the plain kind the fused single-asset path decides without a
    /// [`Context`]: long only, market entries, no resting exits, no margin check.
    pub(super) fn is_plain(&self) -> bool {
        self.direction == Direction::Long
            && self.entry_order == EntryOrder::Market
            && self.long_resting.is_empty()
            && self.initial_margin.is_none()
    }

    /// The quantity [`RuleOrders::enter`] buys for a flat account of `cash` (its equity) whose
    /// asset last closed at `price` (`bar`'s close), for plain orders; `None` places nothing.
    /// The checks of `enter` and `Context::order_oco` in the same order.
    #[inline]
    pub(super) fn plain_entry_qty(&self, cash: f64, price: f64, bar: &Bar<'_>) -> Option<f64> {
        let qty = self.sizer.quantity_of(cash, cash, price, bar);
        (qty > 0.0 && qty.is_finite()).then_some(qty)
    }

    /// Places the entry order for `bar`'s asset on `side`.
    pub(super) fn enter(&mut self, ctx: &mut Context<'_>, bar: &Bar<'_>, side: Side) {
        let asset = bar.asset();
        let close = bar.close();
        let qty = self.sizer.quantity(ctx, bar, side);
        // NaN (an unknown price) places nothing, like zero.
        if qty.is_nan() || qty <= 0.0 {
            return;
        }
        if let Some(m) = self.initial_margin {
            let gross: f64 = ctx.positions().map(|(a, q)| (q * ctx.price(a)).abs()).sum();
            if ctx.equity() < m * (gross + qty * close) {
                return;
            }
        }
        let buy = side == Side::Buy;
        let kind = match self.entry_order {
            EntryOrder::Market => OrderKind::Market,
            EntryOrder::Limit { offset, .. } => OrderKind::Limit(if buy {
                close * (1.0 - offset)
            } else {
                close * (1.0 + offset)
            }),
            EntryOrder::Stop { offset, .. } => OrderKind::Stop(if buy {
                close * (1.0 + offset)
            } else {
                close * (1.0 - offset)
            }),
        };
        if let Some(id) = ctx.order(asset, side, qty, kind)
            && kind != OrderKind::Market
        {
            self.pending.push((asset, id, ctx.bar_index()));
        }
    }

    /// Each fill: a position opened (or flipped) gets its resting exits at this close.
    pub(super) fn on_fill(&mut self, fill: &Fill) {
        if !self.pending.is_empty() {
            self.pending.retain(|&(_, id, _)| id != fill.order_id);
        }
        let Some(slot) = self.slots.get_mut(fill.asset.index()) else {
            return;
        };
        let before = fill.position_after - fill.side.sign() * fill.qty;
        let was_fresh = slot.fresh;
        if fill.position_after == 0.0 {
            *slot = Slot::default();
        } else if before == 0.0 || before.signum() != fill.position_after.signum() {
            *slot = Slot {
                group: None,
                fresh: true,
            };
        }
        if slot.fresh != was_fresh {
            if slot.fresh {
                self.n_fresh += 1;
            } else {
                self.n_fresh -= 1;
            }
        }
    }

    /// At the close of a held asset's bar: the resting exits of a position opened at this
    /// timestamp, priced off its entry fill. They rest from the next bar on.
    #[inline]
    pub(super) fn manage(&mut self, ctx: &mut Context<'_>, bar: &Bar<'_>, qty: f64) {
        let asset = bar.asset();
        let slot = &mut self.slots[asset.index()];
        if !slot.fresh {
            return;
        }
        slot.fresh = false;
        self.n_fresh -= 1;
        let long = qty > 0.0;
        let rest = if long { self.long_resting } else { self.short_resting };
        if rest.is_empty() {
            return;
        }
        let entry = ctx.position_info(asset).avg_price;
        let group = ctx.new_group();
        slot.group = Some(group);
        let (side, q) = if long { (Side::Sell, qty) } else { (Side::Buy, -qty) };
        // Long: stop below, limit above; short: mirrored.
        let s = if long { 1.0 } else { -1.0 };
        if let Some(p) = rest.stop_loss {
            ctx.order_oco(asset, side, q, OrderKind::Stop(entry * (1.0 - s * p)), Some(group));
        }
        if let Some(p) = rest.take_profit {
            ctx.order_oco(asset, side, q, OrderKind::Limit(entry * (1.0 + s * p)), Some(group));
        }
        if let Some(pct) = rest.trailing_stop {
            // The entry bar's own extreme counts (SEMANTICS.md).
            let extreme = if long { bar.high() } else { bar.low() };
            ctx.order_oco(asset, side, q, OrderKind::TrailingStop { pct, extreme }, Some(group));
        }
    }

    /// An exit decided at the close: a market order at the next open, in the group of the
    /// resting exits (a resting order that a gap fills at that open comes first and voids it).
    #[inline]
    pub(super) fn exit(&mut self, ctx: &mut Context<'_>, asset: AssetId, qty: f64) {
        match self.slots[asset.index()].group {
            Some(g) => {
                let (side, q) = if qty > 0.0 {
                    (Side::Sell, qty)
                } else {
                    (Side::Buy, -qty)
                };
                ctx.order_oco(asset, side, q, OrderKind::Market, Some(g));
            }
            None => {
                ctx.close_position(asset);
            }
        }
    }

    /// At the end of a timestamp: cancels the entry orders whose validity ran out.
    #[inline]
    pub(super) fn expire(&mut self, ctx: &mut Context<'_>) {
        if self.pending.is_empty() {
            return;
        }
        let (now, valid) = (ctx.bar_index(), self.entry_order.valid_bars() as usize);
        self.pending.retain(|&(_, id, at)| {
            let expired = now - at >= valid;
            if expired {
                ctx.cancel(id);
            }
            !expired
        });
    }
}
