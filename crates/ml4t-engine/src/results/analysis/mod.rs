//! Research analysis of a finished run: what a tearsheet shows beyond the headline metrics.
//!
//! Computed after a run, on demand, from the [`RunResult`] and (for excursions and benchmarks)
//! the [`Bars`] it ran on; the run loop never calls it. One family per file, each callable
//! alone; [`Analysis::compute`] runs them all.
//!
//! Conventions as in [`super::metrics`]: returns are fractions, money is in account currency,
//! durations carry their unit in the name. Period returns start from the initial cash (the first
//! runs from the initial cash to the first bar's equity). No value is NaN or infinite: where a
//! figure is undefined (too few returns, zero variance, no trades) it is `None`.

/// Equal-weight, one-asset or data-column benchmarks and the strategy's figures against them.
pub mod benchmark;
/// Fixed-width histograms with a normal overlay.
pub mod histogram;
/// Monthly and yearly returns, the distribution of period returns, skew, kurtosis, VaR, CVaR.
pub mod returns;
/// Rolling Sharpe and volatility, the underwater series, the worst drawdowns.
pub mod risk;
/// Trade PnL and holding-time distributions, MAE/MFE, streaks, per-asset contribution.
pub mod trades;

use super::RunResult;
use super::metrics::{MetricsOptions, periods};
use crate::market::Bars;

pub use benchmark::{BenchmarkAnalysis, BenchmarkSpec, BenchmarkStats};
pub use histogram::{Bin, Histogram, NormalFit};
pub use returns::{MonthlyTable, ReturnDistribution, ReturnsAnalysis, YearRow};
pub use risk::{DrawdownEpisode, RiskAnalysis, Rolling, Underwater};
pub use trades::{AssetContribution, Excursion, Streaks, TradeAnalysis};

/// Why an analysis could not be computed; the message names the option at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalysisError {
    #[error("benchmark asset '{name}' is not in the data; the data has: {available}")]
    UnknownAsset { name: String, available: String },
    #[error("benchmark column '{name}' is not in the data; its signal columns are: {available}")]
    UnknownColumn { name: String, available: String },
    #[error("analysis option `{field}` {problem}")]
    Option { field: &'static str, problem: String },
}

/// Choices that change the analysis.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct AnalysisOptions {
    /// Periods per year and the risk-free rate, as for the run's metrics.
    pub metrics: MetricsOptions,
    /// Confidence level of VaR and CVaR, in (0, 1): 0.95 looks at the worst 5 % of periods.
    pub var_confidence: f64,
    /// Window of the rolling Sharpe and volatility, in periods (bars); at least 2.
    /// `None`: about six months of the run's periods per year (`ppy / 2`, at least 2).
    pub rolling_window: Option<usize>,
    /// How many drawdowns the worst-drawdowns table keeps.
    pub worst_drawdowns: usize,
    /// Bins of the return, PnL and holding-time histograms (at least 1).
    pub bins: usize,
    /// What the strategy is compared with.
    pub benchmark: BenchmarkSpec,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        AnalysisOptions {
            metrics: MetricsOptions::default(),
            var_confidence: 0.95,
            rolling_window: None,
            worst_drawdowns: 10,
            bins: 40,
            benchmark: BenchmarkSpec::EqualWeight,
        }
    }
}

impl AnalysisOptions {
    /// The defaults with the run's metric options (periods per year, risk-free rate).
    pub fn with_metrics(metrics: MetricsOptions) -> Self {
        AnalysisOptions {
            metrics,
            ..Default::default()
        }
    }

    /// Checks the fields a user can type; the message names the field.
    pub fn validate(&self) -> Result<(), AnalysisError> {
        let bad = |field, problem: &str| {
            Err(AnalysisError::Option {
                field,
                problem: problem.to_owned(),
            })
        };
        if !(self.var_confidence > 0.0 && self.var_confidence < 1.0) {
            return bad("var_confidence", "must be between 0 and 1 (0.95 = 95 %)");
        }
        if self.rolling_window.is_some_and(|w| w < 2) {
            return bad("rolling_window", "must be at least 2 periods");
        }
        if self.bins == 0 {
            return bad("bins", "must be at least 1");
        }
        Ok(())
    }

    /// The rolling window for `ppy` periods per year.
    pub fn resolved_window(&self, ppy: f64) -> usize {
        self.rolling_window
            .unwrap_or_else(|| (ppy / 2.0).round().clamp(2.0, 1e9) as usize)
            .max(2)
    }
}

/// Everything the analysis view and the tearsheet show, from one run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Analysis {
    /// The annualisation factor used (given or inferred from the equity timestamps).
    pub periods_per_year: f64,
    /// The rolling window used, in periods.
    pub rolling_window: usize,
    pub returns: ReturnsAnalysis,
    pub risk: RiskAnalysis,
    pub trades: TradeAnalysis,
    /// `None` with [`BenchmarkSpec::None`] or without data.
    pub benchmark: Option<BenchmarkAnalysis>,
}

impl Analysis {
    /// Computes every family. Errors only for invalid options or a benchmark asset or column
    /// the data does not have.
    pub fn compute(result: &RunResult, bars: &Bars, opts: &AnalysisOptions) -> Result<Analysis, AnalysisError> {
        opts.validate()?;
        let series = PeriodReturns::of(result);
        let ppy = periods::resolve_periods_per_year(opts.metrics.periods_per_year, &series.curve_ts);
        let window = opts.resolved_window(ppy);
        let rf_pp = super::metrics::returns::risk_free_per_period(opts.metrics.risk_free_rate, ppy);
        let benchmark = benchmark::analyse(result, bars, &opts.benchmark, &series, ppy, rf_pp)?;
        Ok(Analysis {
            periods_per_year: ppy,
            rolling_window: window,
            returns: returns::analyse(result.initial_cash, &series, opts.var_confidence, opts.bins),
            risk: risk::analyse(result.initial_cash, &series, window, rf_pp, ppy, opts.worst_drawdowns),
            trades: trades::analyse(result, bars, opts.bins),
            benchmark,
        })
    }
}

/// The equity curve as columns, and its period returns with the timestamp each one ends at.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeriodReturns {
    /// Every equity point's timestamp and value.
    pub curve_ts: Vec<i64>,
    pub equity: Vec<f64>,
    /// `ts[i]` is where `returns[i]` ends. A period whose previous equity is not positive has no
    /// return and is left out (as in the metrics), as is a non-finite one.
    pub ts: Vec<i64>,
    pub returns: Vec<f64>,
}

impl PeriodReturns {
    /// The curve of `result`.
    pub fn of(result: &RunResult) -> Self {
        Self::new(result.initial_cash, result.equity.ts(), result.equity.equity())
    }

    /// From raw columns; the series before the first point is `init_cash`.
    pub fn new(init_cash: f64, curve_ts: Vec<i64>, equity: Vec<f64>) -> Self {
        let n = curve_ts.len().min(equity.len());
        let (mut ts, mut returns) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let mut prev = init_cash;
        for (&t, &e) in curve_ts.iter().zip(&equity) {
            let r = e / prev - 1.0;
            if prev > 0.0 && r.is_finite() {
                ts.push(t);
                returns.push(r);
            }
            prev = e;
        }
        PeriodReturns {
            curve_ts,
            equity,
            ts,
            returns,
        }
    }
}

/// `Some(x)` when `x` is finite.
pub(crate) fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Mean; `None` for an empty slice.
pub(crate) fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

/// Sample standard deviation (ddof 1); `None` below two values.
pub(crate) fn sample_std(xs: &[f64]) -> Option<f64> {
    let m = mean(xs)?;
    if xs.len() < 2 {
        return None;
    }
    let ss: f64 = xs.iter().map(|x| (x - m).powi(2)).sum();
    finite((ss / (xs.len() - 1) as f64).sqrt())
}

/// A dispersion this small next to the values is rounding noise of a constant series.
pub(crate) fn negligible(dispersion: f64, xs: &[f64]) -> bool {
    let scale = xs.iter().map(|r| r.abs()).fold(0.0, f64::max);
    !dispersion.is_finite() || dispersion <= 1e-10 * scale || dispersion == 0.0
}

/// Calendar fields of a UTC timestamp: (year, month 1..=12).
pub(crate) fn year_month(ts_ns: i64) -> (i32, u32) {
    use chrono::Datelike as _;
    let secs = ts_ns.div_euclid(crate::types::NS_PER_SEC);
    match chrono::DateTime::from_timestamp(secs, 0) {
        Some(dt) => (dt.year(), dt.month()),
        None => (1970, 1),
    }
}

/// Equal within 1e-12 (absolute, or relative for large values).
#[cfg(test)]
#[track_caller]
pub(crate) fn assert_close(actual: f64, expected: f64) {
    let tol = 1e-12 * expected.abs().max(1.0);
    assert!(
        (actual - expected).abs() <= tol,
        "{actual} != {expected} (tolerance {tol})"
    );
}

/// Like [`assert_close`] for an `Option` that must be `Some`.
#[cfg(test)]
#[track_caller]
pub(crate) fn assert_some_close(actual: Option<f64>, expected: f64) {
    match actual {
        Some(a) => assert_close(a, expected),
        None => panic!("None != {expected}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn period_returns_skip_non_positive_base() {
        // 100 -> 110 (+10 %) -> 0 (-100 %) -> 5 (no return from 0) -> 10 (+100 %).
        let p = PeriodReturns::new(100.0, vec![1, 2, 3, 4], vec![110.0, 0.0, 5.0, 10.0]);
        assert_eq!(p.ts, vec![1, 2, 4]);
        assert_eq!(p.returns.len(), 3);
        assert_close(p.returns[0], 0.1);
        assert_close(p.returns[1], -1.0);
        assert_close(p.returns[2], 1.0);
    }

    #[test]
    fn options_validate_names_the_field() {
        let mut o = AnalysisOptions {
            var_confidence: 1.0,
            ..Default::default()
        };
        assert!(o.validate().unwrap_err().to_string().contains("var_confidence"));
        o.var_confidence = 0.99;
        o.rolling_window = Some(1);
        assert!(o.validate().unwrap_err().to_string().contains("rolling_window"));
        o.rolling_window = None;
        assert_eq!(o.resolved_window(252.0), 126);
        assert_eq!(o.resolved_window(1.0), 2);
        o.bins = 0;
        assert!(o.validate().unwrap_err().to_string().contains("bins"));
    }

    #[test]
    fn analysis_compute_on_a_small_run_is_finite() {
        use crate::execution::{BrokerConfig, Trade};
        use crate::market::BarColumns;
        use crate::results::EquityCurve;
        use crate::types::{AssetId, NS_PER_DAY, Side, TimestampNs};
        // One asset, 40 daily bars rising by 1 from 100; the strategy holds 10 shares from bar 5
        // to bar 15 (made-up inputs, not one consistent simulation).
        let mut c = BarColumns::default();
        let mut curve = EquityCurve::with_capacity(40);
        for d in 0..40 {
            let px = 100.0 + d as f64;
            c.push(d * NS_PER_DAY, AssetId(0), px, px + 0.5, px - 0.5, px, 1.0, &[]);
            let held = if (5..15).contains(&d) { 10.0 * px } else { 0.0 };
            curve.push(
                TimestampNs(d * NS_PER_DAY),
                1000.0 + held.min(1.0) * d as f64,
                1000.0,
                held,
            );
        }
        let bars = Bars::new(vec!["A".into()], vec![], c).unwrap();
        let trade = Trade {
            asset: AssetId(0),
            side: Side::Buy,
            qty: 10.0,
            entry_ts: TimestampNs(5 * NS_PER_DAY),
            entry_price: 105.0,
            entry_bar: 5,
            exit_ts: TimestampNs(15 * NS_PER_DAY),
            exit_price: 115.0,
            exit_bar: 15,
            entry_commission: 0.0,
            exit_commission: 0.0,
            pnl_net: 100.0,
        };
        let result = RunResult {
            config: BrokerConfig::default(),
            assets: vec!["A".into()],
            initial_cash: 1000.0,
            equity: curve,
            trades: vec![trade],
            fills: vec![],
            open_positions: vec![],
            open_orders: vec![],
            rejections: vec![],
            timestamps: 40,
            bars: 40,
            notes: Default::default(),
        };
        let opts = AnalysisOptions {
            rolling_window: Some(10),
            ..Default::default()
        };
        let a = Analysis::compute(&result, &bars, &opts).unwrap();
        assert_eq!(a.risk.rolling.ts.len(), 31);
        assert_eq!(a.trades.excursions.len(), 1);
        // Bars 5..=14 count: lows from 104.5, highs to 114.5; entry 105, exit 115.
        assert_close(a.trades.excursions[0].mae, -0.5 / 105.0);
        assert_close(a.trades.excursions[0].mfe, 10.0 / 105.0);
        let bench = a.benchmark.as_ref().unwrap();
        // Buy and hold of A: 1000 * 139 / 100 at the end.
        assert_close(*bench.equity.last().unwrap(), 1390.0);
        // serde_json writes NaN and infinity as null: the plain series must hold numbers only.
        let json = serde_json::to_value(&a).unwrap();
        for path in [
            "/risk/underwater/drawdown",
            "/benchmark/equity",
            "/returns/distribution/histogram/normal_counts",
        ] {
            let xs = json.pointer(path).and_then(|v| v.as_array()).unwrap();
            assert!(!xs.is_empty() && xs.iter().all(|x| x.is_number()), "{path}");
        }
        assert!(json.pointer("/benchmark/beta").unwrap().is_number());
        let bad = AnalysisOptions {
            benchmark: BenchmarkSpec::Asset("nope".into()),
            ..Default::default()
        };
        assert!(matches!(
            Analysis::compute(&result, &bars, &bad),
            Err(AnalysisError::UnknownAsset { .. })
        ));
    }

    #[test]
    fn year_month_is_utc() {
        // 2024-02-29T23:59:59Z and one second later.
        let leap_end = 1_709_251_199 * crate::types::NS_PER_SEC;
        assert_eq!(year_month(leap_end), (2024, 2));
        assert_eq!(year_month(leap_end + crate::types::NS_PER_SEC), (2024, 3));
        assert_eq!(year_month(-1), (1969, 12));
    }
}
