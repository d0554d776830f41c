//! Orders as the broker holds them, and why some could not be filled.

use crate::types::{AssetId, OrderId, Side, TimestampNs};

/// How an order fills.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum OrderKind {
    /// At the next open (or the same close, with `FillTiming::SameClose`), plus slippage.
    Market,
    /// Buy at `limit` or better (triggers when `low <= limit`, fills at `min(open, limit)`);
    /// sell: triggers when `high >= limit`, fills at `max(open, limit)`. No slippage.
    Limit(f64),
    /// Sell stop: triggers when `low <= stop`, fills at `min(open, stop)` less slippage; buy stop:
    /// triggers when `high >= stop`, fills at `max(open, stop)` plus slippage.
    Stop(f64),
    /// A stop that becomes a limit when triggered. It fills in the triggering bar only if the
    /// trigger price satisfies the limit; otherwise it rests as a limit from the next bar.
    StopLimit { stop: f64, limit: f64, triggered: bool },
    /// A stop `pct` away from the best price since submission (highest high for a sell, lowest low
    /// for a buy). A bar's own extreme moves the stop only after that bar (pessimistic).
    TrailingStop { pct: f64, extreme: f64 },
}

/// An order as the broker holds it.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Order {
    pub id: OrderId,
    pub asset: AssetId,
    pub side: Side,
    /// Remaining quantity, positive.
    pub qty: f64,
    pub kind: OrderKind,
    pub submitted_ts: TimestampNs,
    pub submitted_bar: usize,
    /// One-cancels-other group: when one order of the group fills, the others are cancelled.
    pub oco: Option<u64>,
}

/// Why an order was dropped without (a complete) fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RejectReason {
    /// The cash could not pay for a single share (cap rule) or for the whole order (reject rule).
    InsufficientCash,
    /// A sell with nothing to sell in a long-only account.
    NoPosition,
    /// Zero, negative or non-finite quantity or price.
    InvalidOrder,
    /// A quantity at or above 2^53 ([`MAX_EXACT_QTY`](super::MAX_EXACT_QTY)), where
    /// whole units are no longer exact in f64 (a near-zero price asking for ~1e16 shares): check
    /// the price data or size by value.
    QuantityTooLarge,
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Rejection {
    pub order_id: OrderId,
    pub asset: AssetId,
    pub ts: TimestampNs,
    pub reason: RejectReason,
}
