//! What execution produces: fills, round-trip trades, positions still open.

use crate::types::{AssetId, OrderId, Side, TimestampNs};

/// One execution.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Fill {
    pub order_id: OrderId,
    pub asset: AssetId,
    pub side: Side,
    /// Always positive.
    pub qty: f64,
    /// Exact fill price, slippage included.
    pub price: f64,
    pub commission: f64,
    pub ts: TimestampNs,
    /// Index of the fill's timestamp in the feed.
    pub bar_index: usize,
    /// Signed position after this fill.
    pub position_after: f64,
}

impl Fill {
    pub fn notional(&self) -> f64 {
        self.qty * self.price
    }
}

/// How a fill came about: its order's kind, and for resting orders whether the bar opened
/// through the order's price (a gap fill at the open) or traded through it during the bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FillKind {
    /// A market order (at the open, or at the close with same-close timing).
    #[default]
    Market,
    Limit,
    LimitGap,
    Stop,
    StopGap,
    StopLimit,
    Trailing,
    TrailingGap,
}

impl FillKind {
    /// The result JSON's `exit_reason` of a trade this fill closed (SEMANTICS.md, second set):
    /// a resting limit that closes a position is a take-profit, a market order a signal.
    pub fn exit_reason(self) -> &'static str {
        match self {
            FillKind::Market => "signal",
            FillKind::Limit => "tp",
            FillKind::LimitGap => "tp_gap",
            FillKind::Stop | FillKind::StopLimit => "stop",
            FillKind::StopGap => "stop_gap",
            FillKind::Trailing => "trail",
            FillKind::TrailingGap => "trail_gap",
        }
    }
}

/// What the simulation recorded beside the fills: each fill's kind (parallel to
/// [`crate::results::RunResult::fills`]; empty when the broker does not record them) and the
/// bars on which an OCO stop and take-profit were both touched with no gap deciding, so that
/// the priority rule (pessimistic: the stop) decided the fill.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExecutionNotes {
    pub fill_kinds: Vec<FillKind>,
    pub ambiguous_bars: usize,
    /// The exit reason of trades closed by market orders (the strategy's
    /// [`crate::strategy::Strategy::market_exit_reason`]; empty means `signal`).
    pub market_exit_reason: &'static str,
}

/// One round trip, flat to flat (SEMANTICS.md decision 8): a position resized several times is
/// one trade; a fill through zero ends one trade and starts the next.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Trade {
    pub asset: AssetId,
    /// `Buy` for a long round trip, `Sell` for a short one.
    pub side: Side,
    /// The sum of the increasing fills, always positive.
    pub qty: f64,
    pub entry_ts: TimestampNs,
    /// Size-weighted mean of the increasing fills (slippage included, commission excluded).
    pub entry_price: f64,
    pub entry_bar: usize,
    pub exit_ts: TimestampNs,
    /// Size-weighted mean of the reducing fills.
    pub exit_price: f64,
    pub exit_bar: usize,
    /// Commissions of the increasing fills (of a fill through zero: its share by quantity).
    pub entry_commission: f64,
    /// Commissions of the reducing fills.
    pub exit_commission: f64,
    /// The trade's cash flows: `side * qty * (exit - entry) - entry_commission - exit_commission`
    /// less the borrow fee charged while it was short (`BrokerConfig::borrow_rate`; zero by
    /// default). So `pnl_gross - commissions - pnl_net` is the borrow fee paid.
    pub pnl_net: f64,
}

impl Trade {
    pub fn pnl_gross(&self) -> f64 {
        self.side.sign() * self.qty * (self.exit_price - self.entry_price)
    }
    /// Net return on the entry notional.
    pub fn return_pct(&self) -> f64 {
        self.pnl_net / (self.qty * self.entry_price)
    }
    pub fn holding_bars(&self) -> usize {
        self.exit_bar.saturating_sub(self.entry_bar)
    }
    /// `exit - entry` in ns, saturating at the ends of i64 (timestamps span the whole range).
    pub fn holding_ns(&self) -> i64 {
        self.exit_ts.0.saturating_sub(self.entry_ts.0)
    }
}

/// A position still open at the end of the run.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OpenPosition {
    pub asset: AssetId,
    /// Signed quantity (negative = short).
    pub qty: f64,
    pub entry_ts: TimestampNs,
    pub entry_bar: usize,
    pub entry_price: f64,
    pub last_price: f64,
    pub unrealized_pnl: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trade_holding_ns_saturates() {
        let t = Trade {
            asset: AssetId(0),
            side: Side::Buy,
            qty: 1.0,
            entry_ts: TimestampNs(i64::MIN),
            entry_price: 1.0,
            entry_bar: 0,
            exit_ts: TimestampNs(i64::MAX),
            exit_price: 1.0,
            exit_bar: 1,
            entry_commission: 0.0,
            exit_commission: 0.0,
            pnl_net: 0.0,
        };
        assert_eq!(t.holding_ns(), i64::MAX);
        let back = Trade {
            entry_ts: TimestampNs(i64::MAX),
            exit_ts: TimestampNs(i64::MIN),
            ..t
        };
        assert_eq!(back.holding_ns(), i64::MIN);
    }
}
