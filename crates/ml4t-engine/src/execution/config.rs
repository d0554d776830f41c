//! Account and execution settings: what a broker applies to every order.

use super::Commission;

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
    /// Borrow fee of short positions, a fraction per year (0.03 = 3 %), charged to the cash at
    /// each close of the asset's bar on `|qty| * close / bars_per_year`, and included in the
    /// short trade's `pnl_net` (a cash flow of the round trip). 0: no fee.
    pub borrow_rate: f64,
    /// Bars per year for the borrow fee (252 for daily bars).
    pub bars_per_year: f64,
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
            borrow_rate: 0.0,
            bars_per_year: 252.0,
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
            (
                self.borrow_rate.is_finite() && self.borrow_rate >= 0.0,
                "borrow_rate must be >= 0 (a fraction per year: 0.03 = 3 %)",
            ),
            (
                self.bars_per_year.is_finite() && self.bars_per_year > 0.0,
                "bars_per_year must be a positive number (252 for daily bars)",
            ),
        ];
        match checks.iter().find(|(ok, _)| !ok) {
            Some((_, msg)) => Err((*msg).to_owned()),
            None => Ok(()),
        }
    }
}
