//! Brokers turn order requests into fills. The [`SimulationBroker`] follows SEMANTICS.md; a
//! live broker adapter implements the same [`Broker`] trait.

mod commission;
mod order;
mod simulation;

pub use commission::Commission;
pub use order::{Order, OrderKind, RejectReason, Rejection};
pub use simulation::SimulationBroker;

use super::market::{BarSlice, Bars};
use super::portfolio::Portfolio;
use super::results::{EquityCurve, Fill, Trade};
use super::types::OrderId;

/// What to do with a buy the cash cannot pay for (SEMANTICS.md, step 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CashRule {
    /// Shrink the quantity to what the cash pays for, commission included.
    #[default]
    Cap,
    /// Drop the order whole (backtrader's and backtesting.py's native behaviour).
    Reject,
}

/// When market orders decided at a bar's close are filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FillTiming {
    /// At the next bar's open (the default, and the only timing free of look-ahead).
    #[default]
    NextOpen,
    /// At the same bar's close: optimistic, since the decision used that close.
    SameClose,
}

/// Which order wins when one bar touches both a stop and a limit of the same OCO group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntrabarPriority {
    /// Pessimistic: assume the stop was hit first.
    #[default]
    StopFirst,
    LimitFirst,
}

/// Account and execution settings.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct BrokerConfig {
    pub initial_cash: f64,
    pub commission: Commission,
    /// Adverse slippage in basis points: buys fill at `px * (1 + s)`, sells at `px * (1 - s)`.
    pub slippage_bps: f64,
    pub cash_rule: CashRule,
    pub fill_timing: FillTiming,
    /// Allow sells beyond the held quantity (short positions). Off: a cash account, long only,
    /// and such sells are cut to the held quantity.
    pub allow_short: bool,
    pub intrabar_priority: IntrabarPriority,
    /// Cap each fill at this fraction of the bar's volume; the rest of the order stays pending.
    pub max_volume_fraction: Option<f64>,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            initial_cash: 100_000.0,
            commission: Commission::percent(0.001),
            slippage_bps: 0.0,
            cash_rule: CashRule::Cap,
            fill_timing: FillTiming::NextOpen,
            allow_short: false,
            intrabar_priority: IntrabarPriority::StopFirst,
            max_volume_fraction: None,
        }
    }
}

impl BrokerConfig {
    /// Checks the settings a user can type; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        let c = &self.commission;
        let checks = [
            (
                self.initial_cash.is_finite() && self.initial_cash > 0.0,
                "initial_cash must be a positive number",
            ),
            (
                c.percent.is_finite() && c.percent >= 0.0,
                "commission.percent must be >= 0 (0.001 = 0.1 %)",
            ),
            (
                c.per_share.is_finite() && c.per_share >= 0.0,
                "commission.per_share must be >= 0",
            ),
            (
                c.per_order.is_finite() && c.per_order >= 0.0,
                "commission.per_order must be >= 0",
            ),
            (
                c.minimum.is_finite() && c.minimum >= 0.0,
                "commission.minimum must be >= 0",
            ),
            (
                self.slippage_bps.is_finite() && (0.0..10_000.0).contains(&self.slippage_bps),
                "slippage_bps must be in [0, 10000)",
            ),
            (
                self.max_volume_fraction.is_none_or(|f| f > 0.0 && f <= 1.0),
                "max_volume_fraction must be in (0, 1]",
            ),
        ];
        match checks.iter().find(|(ok, _)| !ok) {
            Some((_, msg)) => Err((*msg).to_owned()),
            None => Ok(()),
        }
    }
}

/// The broker seam between engine and execution venue. Backtest and live differ only here and in
/// the feed.
pub trait Broker {
    /// The execution settings (costs, cash rule, fill timing) this broker applies.
    fn config(&self) -> &BrokerConfig;
    /// The account as the broker knows it.
    fn portfolio(&self) -> &Portfolio;
    /// Queues an order; it may fill from the next bar of its asset on.
    fn submit(&mut self, order: Order);
    /// Cancels a pending order; false if it is not pending.
    fn cancel(&mut self, id: OrderId) -> bool;
    /// Orders not yet (completely) filled, in submission order.
    fn open_orders(&self) -> &[Order];
    /// A new timestamp's bars: fill what fills during those bars (at the open, or intrabar for
    /// stops and limits), then mark positions to the bars' closes.
    fn on_bars(&mut self, bars: &BarSlice<'_>, fills: &mut Vec<Fill>);
    /// Timestamps `from..to` of `bars` on which no order is pending and the strategy does nothing:
    /// mark positions and record equity for each (the engine's fast-forward). The default goes
    /// through [`Broker::on_bars`] and [`Broker::end_timestamp`] one timestamp at a time.
    fn on_quiet(&mut self, bars: &Bars, from: usize, to: usize, equity: &mut EquityCurve) {
        let mut fills = Vec::new();
        for t in from..to {
            if let Some(slice) = bars.timestamp(t) {
                self.on_bars(&slice, &mut fills);
                let p = self.portfolio();
                let (eq, gross, _) = p.marked();
                equity.push(slice.ts(), eq, p.cash(), gross);
                self.end_timestamp(&slice);
            }
        }
    }
    /// After the decisions at the close: fill what the fill timing puts at the close.
    fn after_decisions(&mut self, bars: &BarSlice<'_>, fills: &mut Vec<Fill>);
    /// Once per timestamp, last: after the fills, the decisions, their orders and the equity
    /// record. The commit point for brokers that persist or reconcile state (the paper broker
    /// journals the timestamp here). The default does nothing.
    #[inline]
    fn end_timestamp(&mut self, bars: &BarSlice<'_>) {
        let _ = bars;
    }
    /// Orders the broker refused or could not fill at all, with the reason.
    fn rejections(&self) -> &[Rejection];
    /// At the end of a run: the closed trades and the rejections, for the run's result. A
    /// broker that owns them moves them out (the default copies them); a long run can have
    /// hundreds of thousands of each, and copying them would cost fresh memory.
    fn take_records(&mut self) -> (Vec<Trade>, Vec<Rejection>) {
        (self.portfolio().trades().to_vec(), self.rejections().to_vec())
    }
}
