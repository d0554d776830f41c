//! The result JSON of SEMANTICS.md (`fidelity/expected/*`), a superset with metrics.

use serde::{Deserialize, Serialize};

use super::RunResult;
use super::metrics::Metrics;
use crate::execution::{Commission, FillKind, FillTiming};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonTrade {
    pub asset: String,
    pub entry_time: String,
    pub entry_price: f64,
    pub exit_time: String,
    pub exit_price: f64,
    pub qty: f64,
    pub pnl_net: f64,
    #[serde(default)]
    pub entry_bar: Option<usize>,
    #[serde(default)]
    pub exit_bar: Option<usize>,
    /// How the trade ended (second set of SEMANTICS.md): `stop stop_gap tp tp_gap trail
    /// trail_gap signal rebalance`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_reason: Option<String>,
    /// `long`/`short` with a positive qty, in files that write the side apart (ours sign the qty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<String>,
}

impl JsonTrade {
    /// The signed quantity: negative for a short, also in files that write `side` apart.
    pub fn signed_qty(&self) -> f64 {
        match self.side.as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("short" | "sell" | "-1") if self.qty > 0.0 => -self.qty,
            _ => self.qty,
        }
    }
}

/// One execution: signed qty (negative = sell).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonFill {
    pub asset: String,
    pub time: String,
    pub qty: f64,
    pub price: f64,
    pub commission: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonOpenPosition {
    pub asset: String,
    pub entry_time: String,
    pub entry_price: f64,
    pub qty: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<String>,
}

impl JsonOpenPosition {
    /// The signed quantity (see [`JsonTrade::signed_qty`]).
    pub fn signed_qty(&self) -> f64 {
        match self.side.as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("short" | "sell" | "-1") if self.qty > 0.0 => -self.qty,
            _ => self.qty,
        }
    }
}

/// One run in the SEMANTICS.md schema. Peers' files (backtrader's goldens) read into it too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultJson {
    pub framework: String,
    pub version: String,
    pub scenario: String,
    pub data: String,
    pub assets: Vec<String>,
    pub timestamps: usize,
    pub bars: usize,
    pub seconds: f64,
    pub bars_per_sec: f64,
    pub init_cash: f64,
    /// Percent commission as a fraction (0.001 = 0.1 %).
    pub commission: f64,
    pub slippage_bps: f64,
    pub cash_rule: String,
    pub final_equity: f64,
    pub n_trades: usize,
    pub n_open_positions: usize,
    pub open_positions: Vec<JsonOpenPosition>,
    pub trades: Vec<JsonTrade>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fill_timing: Option<FillTiming>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commission_model: Option<Commission>,
    #[serde(default)]
    pub rejected_orders: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Metrics>,
    /// Every execution in order (second set of SEMANTICS.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fills: Option<Vec<JsonFill>>,
    /// Bars on which a stop and a take-profit of one position were both touched with no gap
    /// deciding; the stop filled (pessimistic).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ambiguous_bars: Option<usize>,
}

/// Labels of a run for its JSON: what ran on which data, and how long it took.
#[derive(Debug, Clone, Default)]
pub struct RunLabel {
    pub scenario: String,
    pub data: String,
    pub seconds: f64,
}

impl ResultJson {
    pub fn from_run(run: &RunResult, label: &RunLabel, metrics: Option<Metrics>) -> Self {
        let config = &run.config;
        let name = |a: crate::types::AssetId| run.asset_name(a).to_owned();
        ResultJson {
            framework: "ml4t-backtest".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            scenario: label.scenario.clone(),
            data: label.data.clone(),
            assets: run.assets.clone(),
            timestamps: run.timestamps,
            bars: run.bars,
            seconds: label.seconds,
            bars_per_sec: if label.seconds > 0.0 {
                run.bars as f64 / label.seconds
            } else {
                0.0
            },
            init_cash: run.initial_cash,
            commission: config.commission.percent,
            slippage_bps: config.slippage_bps,
            cash_rule: match config.cash_rule {
                crate::execution::CashRule::Cap => "cap".into(),
                crate::execution::CashRule::Reject => "reject".into(),
            },
            final_equity: run.final_equity(),
            n_trades: 0,
            n_open_positions: run.open_positions.len(),
            open_positions: run
                .open_positions
                .iter()
                .map(|p| JsonOpenPosition {
                    asset: name(p.asset),
                    entry_time: p.entry_ts.to_iso(),
                    entry_price: p.entry_price,
                    qty: p.qty,
                    side: None,
                })
                .collect(),
            trades: round_trips(run),
            fill_timing: Some(config.fill_timing),
            commission_model: Some(config.commission),
            rejected_orders: run.rejections.len(),
            metrics,
            fills: Some(
                run.fills
                    .iter()
                    .map(|f| JsonFill {
                        asset: name(f.asset),
                        time: f.ts.to_iso(),
                        qty: f.side.sign() * f.qty,
                        price: f.price,
                        commission: f.commission,
                    })
                    .collect(),
            ),
            ambiguous_bars: Some(run.notes.ambiguous_bars),
        }
        .counted()
    }

    /// `n_trades` set from the trades.
    fn counted(mut self) -> Self {
        self.n_trades = self.trades.len();
        self
    }
}

/// The trades of the result JSON: the run's trades (SEMANTICS.md decision 8, one per
/// flat-to-flat round trip, built by the portfolio as the fills arrive), with qty signed and the
/// exit reason taken from the kind of the fill that made each position flat.
fn round_trips(run: &RunResult) -> Vec<JsonTrade> {
    let reasons = exit_reasons(run);
    run.trades
        .iter()
        .enumerate()
        .map(|(k, t)| JsonTrade {
            asset: run.asset_name(t.asset).to_owned(),
            entry_time: t.entry_ts.to_iso(),
            entry_price: t.entry_price,
            exit_time: t.exit_ts.to_iso(),
            exit_price: t.exit_price,
            qty: t.side.sign() * t.qty,
            pnl_net: t.pnl_net,
            entry_bar: Some(t.entry_bar),
            exit_bar: Some(t.exit_bar),
            exit_reason: reasons.as_ref().and_then(|r| r.get(k).cloned()),
            side: None,
        })
        .collect()
}

/// The exit reason of each round trip in closing order (the order of `run.trades`): the kind of
/// each fill that made a position flat or took it through zero. `None` when the broker did not
/// record fill kinds.
fn exit_reasons(run: &RunResult) -> Option<Vec<String>> {
    let kinds = (run.notes.fill_kinds.len() == run.fills.len()).then_some(&run.notes.fill_kinds)?;
    let market = match run.notes.market_exit_reason {
        "" => "signal",
        r => r,
    };
    let mut qty = vec![0.0_f64; run.assets.len()];
    let mut out = Vec::with_capacity(run.trades.len());
    for (f, kind) in run.fills.iter().zip(kinds) {
        let Some(q) = qty.get_mut(f.asset.index()) else {
            continue;
        };
        let before = *q;
        let after = before + f.side.sign() * f.qty;
        let reduces = before != 0.0 && before.signum() != f.side.sign();
        // As the portfolio snaps float dust to flat.
        let flat = after.abs() <= before.abs() * 1e-12;
        *q = if flat { 0.0 } else { after };
        if reduces && (flat || after.signum() != before.signum()) {
            out.push(match kind {
                FillKind::Market => market.to_owned(),
                kind => kind.exit_reason().to_owned(),
            });
        }
    }
    Some(out)
}
