//! Benchmarks and the strategy's figures against one: alpha, beta, correlation, tracking error,
//! information ratio, up and down capture.
//!
//! A benchmark is an equity series that starts at the run's initial cash, one value per distinct
//! timestamp of the data: buy and hold of all assets in equal weight (the default, also the
//! workbench's equity-plot benchmark), of one asset, or a column of the data read as a price
//! level or as per-period returns.

use super::{AnalysisError, PeriodReturns, RunResult, finite, mean, negligible, sample_std};
use crate::market::Bars;
use crate::types::AssetId;

/// What the strategy is compared with.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub enum BenchmarkSpec {
    /// Equal-weight buy and hold of every asset of the data.
    #[default]
    EqualWeight,
    /// Buy and hold of one asset, by name.
    Asset(String),
    /// A data column read as a price level (e.g. an index level repeated on every asset's row):
    /// per timestamp the mean of its finite values, scaled to start at the initial cash.
    Column(String),
    /// A data column read as simple per-period returns (0.01 = 1 %), compounded: per timestamp
    /// the mean of its finite values.
    ColumnReturns(String),
    /// No benchmark.
    None,
}

impl BenchmarkSpec {
    /// A short label for legends and tables.
    pub fn label(&self, bars: &Bars) -> String {
        match self {
            BenchmarkSpec::EqualWeight => {
                format!("equal-weight buy & hold ({} assets)", bars.assets().len())
            }
            BenchmarkSpec::Asset(a) => format!("buy & hold {a}"),
            BenchmarkSpec::Column(c) => format!("column {c}"),
            BenchmarkSpec::ColumnReturns(c) => format!("returns of column {c}"),
            BenchmarkSpec::None => "none".to_owned(),
        }
    }
}

/// Equity of buying and holding `assets` in equal weight, one value per distinct timestamp of
/// `bars`: each asset gets `initial_cash / assets.len()` at its first close and holds it; before
/// its first bar an asset's share is cash, and a missing bar (or a non-positive close) carries
/// the last close forward. Empty without assets.
pub fn buy_and_hold(bars: &Bars, initial_cash: f64, assets: &[AssetId]) -> Vec<f64> {
    let n_assets = bars.assets().len();
    let mut held = vec![false; n_assets];
    for a in assets {
        if let Some(h) = held.get_mut(a.index()) {
            *h = true;
        }
    }
    let n_held = held.iter().filter(|&&h| h).count();
    if n_held == 0 {
        return Vec::new();
    }
    let sleeve = initial_cash / n_held as f64;
    let mut base: Vec<Option<f64>> = vec![None; n_assets];
    let mut ratio = vec![1.0; n_assets];
    let (ids, close, starts) = (bars.asset_ids(), bars.close(), bars.timestamp_starts());
    let mut out = Vec::with_capacity(bars.n_timestamps());
    for w in starts.windows(2) {
        for row in w[0]..w[1] {
            let a = ids[row].index();
            let c = close[row];
            if !(held.get(a).copied().unwrap_or(false) && c.is_finite() && c > 0.0) {
                continue;
            }
            match base[a] {
                Some(b) => ratio[a] = c / b,
                None => base[a] = Some(c),
            }
        }
        let sum: f64 = ratio.iter().zip(&held).filter(|(_, h)| **h).map(|(r, _)| r).sum();
        out.push(sleeve * sum);
    }
    out
}

/// Equal-weight buy and hold of every asset of `bars` (see [`buy_and_hold`]).
pub fn equal_weight(bars: &Bars, initial_cash: f64) -> Vec<f64> {
    let all: Vec<AssetId> = (0..bars.assets().len() as u32).map(AssetId).collect();
    buy_and_hold(bars, initial_cash, &all)
}

/// Per distinct timestamp, the mean of the column's finite values over its rows (NaN if none).
fn column_by_timestamp(bars: &Bars, column: &[f64]) -> Vec<f64> {
    bars.timestamp_starts()
        .windows(2)
        .map(|w| {
            let vals: Vec<f64> = column[w[0]..w[1]].iter().copied().filter(|v| v.is_finite()).collect();
            mean(&vals).unwrap_or(f64::NAN)
        })
        .collect()
}

/// The benchmark equity of `spec` on the distinct timestamps of `bars` (`None` for
/// [`BenchmarkSpec::None`]). Errors name the unknown asset or column.
pub fn benchmark_series(
    bars: &Bars,
    spec: &BenchmarkSpec,
    initial_cash: f64,
) -> Result<Option<Vec<f64>>, AnalysisError> {
    let column = |name: &str| {
        bars.signal_id(name)
            .map(|id| bars.signal_column(id))
            .ok_or_else(|| AnalysisError::UnknownColumn {
                name: name.to_owned(),
                available: bars.signal_names().join(", "),
            })
    };
    Ok(Some(match spec {
        BenchmarkSpec::None => return Ok(None),
        BenchmarkSpec::EqualWeight => equal_weight(bars, initial_cash),
        BenchmarkSpec::Asset(name) => {
            let id = bars.asset_id(name).ok_or_else(|| AnalysisError::UnknownAsset {
                name: name.clone(),
                available: bars.assets().join(", "),
            })?;
            buy_and_hold(bars, initial_cash, &[id])
        }
        BenchmarkSpec::Column(name) => {
            let level = column_by_timestamp(bars, column(name)?);
            let mut base = None;
            let mut last = initial_cash;
            level
                .iter()
                .map(|&v| {
                    if v.is_finite() && v > 0.0 {
                        let b = *base.get_or_insert(v);
                        last = finite(initial_cash * v / b).unwrap_or(last);
                    }
                    last
                })
                .collect()
        }
        BenchmarkSpec::ColumnReturns(name) => {
            let rets = column_by_timestamp(bars, column(name)?);
            let mut value = initial_cash;
            rets.iter()
                .map(|&r| {
                    if r.is_finite() {
                        value = finite(value * (1.0 + r)).unwrap_or(value);
                    }
                    value
                })
                .collect()
        }
    }))
}

/// `values` (on `from_ts`, ascending) read at each of `to_ts`: the last value at or before the
/// timestamp, `before` where there is none yet.
pub fn align(from_ts: &[i64], values: &[f64], to_ts: &[i64], before: f64) -> Vec<f64> {
    let n = from_ts.len().min(values.len());
    let mut k = 0;
    let mut current = before;
    to_ts
        .iter()
        .map(|&t| {
            while k < n && from_ts[k] <= t {
                current = values[k];
                k += 1;
            }
            current
        })
        .collect()
}

/// Headline figures of the benchmark itself, over the run's timestamps.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct BenchmarkStats {
    pub total_return: Option<f64>,
    pub cagr: Option<f64>,
    pub annual_volatility: Option<f64>,
    pub sharpe: Option<f64>,
    /// Deepest fall below its running peak (a fraction <= 0).
    pub max_drawdown: f64,
}

/// The strategy against its benchmark. Period pairs where either series has no return (a
/// non-positive previous value) are left out.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BenchmarkAnalysis {
    pub label: String,
    /// The benchmark's equity on the run's equity timestamps (for plotting against equity).
    pub ts: Vec<i64>,
    pub equity: Vec<f64>,
    pub stats: BenchmarkStats,
    /// Paired periods used below.
    pub n_periods: usize,
    /// Jensen's alpha, annualised arithmetically: `(mean(s - rf) - beta * mean(b - rf)) * ppy`.
    pub alpha: Option<f64>,
    /// `cov(s, b) / var(b)`.
    pub beta: Option<f64>,
    /// Pearson correlation of the period returns.
    pub correlation: Option<f64>,
    /// `std(s - b) * sqrt(ppy)`.
    pub tracking_error: Option<f64>,
    /// `mean(s - b) / std(s - b) * sqrt(ppy)`.
    pub information_ratio: Option<f64>,
    /// Over the periods where the benchmark rose: the strategy's geometric mean return over the
    /// benchmark's (1.0 = moved as much as the benchmark).
    pub up_capture: Option<f64>,
    /// The same over the periods where the benchmark fell (below 1.0 = lost less).
    pub down_capture: Option<f64>,
}

/// `(last / first)^(1 / years) - 1`; -1 when everything was lost; `None` when undefined.
fn cagr(first: f64, last: f64, years: f64) -> Option<f64> {
    if !(first > 0.0 && years > 0.0) {
        return None;
    }
    if last <= 0.0 {
        return Some(-1.0);
    }
    finite((last / first).powf(1.0 / years) - 1.0)
}

/// Figures of strategy returns `s` against benchmark returns `b` (equal length, paired).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Relative {
    pub alpha: Option<f64>,
    pub beta: Option<f64>,
    pub correlation: Option<f64>,
    pub tracking_error: Option<f64>,
    pub information_ratio: Option<f64>,
    pub up_capture: Option<f64>,
    pub down_capture: Option<f64>,
}

/// Geometric mean return `(prod(1 + x))^(1/n) - 1`; `None` when empty or a return is <= -1.
fn geometric_mean(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() || xs.iter().any(|&x| x <= -1.0) {
        return None;
    }
    finite((xs.iter().map(|x| x.ln_1p()).sum::<f64>() / xs.len() as f64).exp_m1())
}

/// Alpha, beta, correlation, tracking error, information ratio and capture ratios.
pub fn relative(s: &[f64], b: &[f64], rf_per_period: f64, ppy: f64) -> Relative {
    let n = s.len().min(b.len());
    let (s, b) = (&s[..n], &b[..n]);
    let mut out = Relative::default();
    let (Some(ms), Some(mb)) = (mean(s), mean(b)) else {
        return out;
    };
    let capture = |up: bool| {
        let (ss, bs): (Vec<f64>, Vec<f64>) = s
            .iter()
            .zip(b)
            .filter(|(_, bb)| if up { **bb > 0.0 } else { **bb < 0.0 })
            .unzip();
        let (gs, gb) = (geometric_mean(&ss)?, geometric_mean(&bs)?);
        if gb == 0.0 { None } else { finite(gs / gb) }
    };
    out.up_capture = capture(true);
    out.down_capture = capture(false);
    let diff: Vec<f64> = s.iter().zip(b).map(|(x, y)| x - y).collect();
    if let Some(sd) = sample_std(&diff) {
        if negligible(sd, &diff) {
            out.tracking_error = Some(0.0);
        } else {
            out.tracking_error = finite(sd * ppy.sqrt());
            out.information_ratio = mean(&diff).and_then(|m| finite(m / sd * ppy.sqrt()));
        }
    }
    if n < 2 {
        return out;
    }
    let cov = s.iter().zip(b).map(|(x, y)| (x - ms) * (y - mb)).sum::<f64>() / (n - 1) as f64;
    let (Some(sd_s), Some(sd_b)) = (sample_std(s), sample_std(b)) else {
        return out;
    };
    if negligible(sd_b, b) {
        return out;
    }
    let beta = cov / (sd_b * sd_b);
    out.beta = finite(beta);
    out.alpha = finite(((ms - rf_per_period) - beta * (mb - rf_per_period)) * ppy);
    if !negligible(sd_s, s) {
        out.correlation = finite((cov / (sd_s * sd_b)).clamp(-1.0, 1.0));
    }
    out
}

/// Paired period returns of two series on the same points, both starting from `init`.
pub fn paired_returns(init: f64, strategy: &[f64], benchmark: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let (mut s, mut b) = (Vec::new(), Vec::new());
    let (mut ps, mut pb) = (init, init);
    for (&es, &eb) in strategy.iter().zip(benchmark) {
        let (rs, rb) = (es / ps - 1.0, eb / pb - 1.0);
        if ps > 0.0 && pb > 0.0 && rs.is_finite() && rb.is_finite() {
            s.push(rs);
            b.push(rb);
        }
        (ps, pb) = (es, eb);
    }
    (s, b)
}

pub(crate) fn analyse(
    result: &RunResult,
    bars: &Bars,
    spec: &BenchmarkSpec,
    series: &PeriodReturns,
    ppy: f64,
    rf_per_period: f64,
) -> Result<Option<BenchmarkAnalysis>, AnalysisError> {
    let cash = result.initial_cash;
    let Some(values) = benchmark_series(bars, spec, cash)? else {
        return Ok(None);
    };
    if values.is_empty() || series.curve_ts.is_empty() {
        return Ok(None);
    }
    let bench_ts: Vec<i64> = bars.timestamps().map(|t| t.0).collect();
    let equity = align(&bench_ts, &values, &series.curve_ts, cash);
    let (s, b) = paired_returns(cash, &series.equity, &equity);
    let r = relative(&s, &b, rf_per_period, ppy);
    let own = PeriodReturns::new(cash, series.curve_ts.clone(), equity.clone());
    let last = equity.last().copied().unwrap_or(cash);
    let years = own.returns.len() as f64 / ppy;
    let sd = sample_std(&own.returns);
    let stats = BenchmarkStats {
        total_return: (cash > 0.0).then(|| last / cash - 1.0).and_then(finite),
        cagr: cagr(cash, last, years),
        annual_volatility: sd.and_then(|sd| finite(sd * ppy.sqrt())),
        sharpe: sd
            .filter(|&sd| !negligible(sd, &own.returns))
            .and_then(|sd| mean(&own.returns).and_then(|m| finite((m - rf_per_period) / sd * ppy.sqrt()))),
        max_drawdown: super::risk::underwater(cash, &own.curve_ts, &own.equity)
            .drawdown
            .iter()
            .copied()
            .fold(0.0, f64::min),
    };
    Ok(Some(BenchmarkAnalysis {
        label: spec.label(bars),
        ts: own.curve_ts,
        equity,
        stats,
        n_periods: s.len(),
        alpha: r.alpha,
        beta: r.beta,
        correlation: r.correlation,
        tracking_error: r.tracking_error,
        information_ratio: r.information_ratio,
        up_capture: r.up_capture,
        down_capture: r.down_capture,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::BarColumns;
    use crate::results::analysis::{assert_close, assert_some_close};

    /// Two assets: A closes 10, 11, 12, 13 at t0..t3; B starts at t1 with 20, then 18, and has no
    /// bar at t3. Signal `lvl` is 50 on every row at t0, 55 at t1, NaN at t2, 60 at t3; `ret` is
    /// 0.1 at t1 and 0 elsewhere.
    fn bars() -> Bars {
        let rows = [
            (0, 0, 10.0, 50.0, 0.0),
            (1, 0, 11.0, 55.0, 0.1),
            (1, 1, 20.0, 55.0, 0.1),
            (2, 0, 12.0, f64::NAN, 0.0),
            (2, 1, 18.0, f64::NAN, 0.0),
            (3, 0, 13.0, 60.0, 0.0),
        ];
        let mut c = BarColumns::with_capacity(6, 2);
        for (t, a, close, lvl, ret) in rows {
            c.ts.push(t);
            c.asset.push(AssetId(a));
            for col in [&mut c.open, &mut c.high, &mut c.low, &mut c.close] {
                col.push(close);
            }
            c.volume.push(1.0);
            c.signals[0].push(lvl);
            c.signals[1].push(ret);
        }
        Bars::new(vec!["A".into(), "B".into()], vec!["lvl".into(), "ret".into()], c).unwrap()
    }

    #[track_caller]
    fn assert_all_close(got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len(), "{got:?}");
        for (g, w) in got.iter().zip(want) {
            assert_close(*g, *w);
        }
    }

    #[test]
    fn benchmark_series_hand_computed() {
        let b = bars();
        // Sleeves of 500. t0: A 1.0, B still cash -> 1000. t1: A 1.1, B 1.0 (just bought) -> 1050.
        // t2: A 1.2, B 0.9 -> 1050. t3: A 1.3, B carried at 0.9 -> 1100.
        let ew = benchmark_series(&b, &BenchmarkSpec::EqualWeight, 1000.0)
            .unwrap()
            .unwrap();
        assert_all_close(&ew, &[1000.0, 1050.0, 1050.0, 1100.0]);
        // B alone: cash until t1, then 20 -> 18: 1000, 1000, 900, 900.
        let one = benchmark_series(&b, &BenchmarkSpec::Asset("B".into()), 1000.0)
            .unwrap()
            .unwrap();
        assert_all_close(&one, &[1000.0, 1000.0, 900.0, 900.0]);
        // Level 50, 55, (missing), 60 scaled to 1000: 1000, 1100, 1100, 1200.
        let lvl = benchmark_series(&b, &BenchmarkSpec::Column("lvl".into()), 1000.0)
            .unwrap()
            .unwrap();
        assert_all_close(&lvl, &[1000.0, 1100.0, 1100.0, 1200.0]);
        // Returns 0, 0.1, 0, 0 compounded: 1000, 1100, 1100, 1100.
        let ret = benchmark_series(&b, &BenchmarkSpec::ColumnReturns("ret".into()), 1000.0)
            .unwrap()
            .unwrap();
        assert_all_close(&ret, &[1000.0, 1100.0, 1100.0, 1100.0]);
        assert_eq!(benchmark_series(&b, &BenchmarkSpec::None, 1000.0), Ok(None));
        let err = benchmark_series(&b, &BenchmarkSpec::Asset("Z".into()), 1.0).unwrap_err();
        assert!(
            err.to_string().contains("'Z'") && err.to_string().contains("A, B"),
            "{err}"
        );
        let err = benchmark_series(&b, &BenchmarkSpec::Column("x".into()), 1.0).unwrap_err();
        assert!(err.to_string().contains("lvl, ret"), "{err}");
        assert!(equal_weight(&Bars::default(), 1000.0).is_empty());
    }

    #[test]
    fn align_carries_the_last_value() {
        assert_eq!(
            align(&[10, 20], &[1.0, 2.0], &[5, 10, 15, 25], 0.5),
            vec![0.5, 1.0, 1.0, 2.0]
        );
    }

    #[test]
    fn relative_hand_computed() {
        // s = 2 b + 0.001 exactly in the figures: beta 2, alpha 0.001 per period (0.252 a year at
        // 252), correlation 1. s - b = b + 0.001: mean 0.006; b's deviations from its mean 0.005
        // are 0.005, -0.025, 0.025, -0.005, squares sum 0.0013, sample var 0.0013 / 3.
        let b = [0.01, -0.02, 0.03, 0.0];
        let s: Vec<f64> = b.iter().map(|x| 2.0 * x + 0.001).collect();
        let r = relative(&s, &b, 0.0, 252.0);
        assert_some_close(r.beta, 2.0);
        assert_some_close(r.alpha, 0.252);
        assert_some_close(r.correlation, 1.0);
        let sd = (0.0013f64 / 3.0).sqrt();
        assert_some_close(r.tracking_error, sd * 252f64.sqrt());
        assert_some_close(r.information_ratio, 0.006 / sd * 252f64.sqrt());
        // Up periods: b 0.01, 0.03 with s 0.021, 0.061; down: b -0.02 with s -0.039 (ratio 1.95).
        let up = ((1.021f64 * 1.061).sqrt() - 1.0) / ((1.01f64 * 1.03).sqrt() - 1.0);
        assert!((r.up_capture.unwrap() - up).abs() < 1e-12);
        assert!((r.down_capture.unwrap() - 1.95).abs() < 1e-12);
        // A risk-free rate of 0.001 per period: mean(s) = 0.011, mean(b) = 0.005, so
        // alpha = ((0.011 - 0.001) - 2 * (0.005 - 0.001)) * 252 = 0.002 * 252 = 0.504.
        assert_some_close(relative(&s, &b, 0.001, 252.0).alpha, 0.504);
    }

    #[test]
    fn relative_undefined_without_spread() {
        let r = relative(&[0.01, 0.02], &[0.0, 0.0], 0.0, 252.0);
        assert_eq!(
            (r.beta, r.alpha, r.correlation, r.up_capture, r.down_capture),
            (None, None, None, None, None)
        );
        assert_eq!(relative(&[], &[], 0.0, 252.0), Relative::default());
    }

    #[test]
    fn cagr_hand_computed() {
        // 100 -> 121 over 2 years: sqrt(1.21) - 1 = 0.1.
        assert_some_close(cagr(100.0, 121.0, 2.0), 0.1);
        assert_eq!(cagr(100.0, 0.0, 1.0), Some(-1.0));
        assert_eq!(cagr(100.0, 120.0, 0.0), None);
        assert_eq!(cagr(100.0, 1e300, 1e-6), None);
    }

    #[test]
    fn paired_returns_skip_dead_periods() {
        // From 100: strategy 110, 0, 5; benchmark 100, 100, 100. The third has no strategy base.
        let (s, b) = paired_returns(100.0, &[110.0, 0.0, 5.0], &[100.0, 100.0, 100.0]);
        assert_eq!(s.len(), 2);
        assert_close(s[0], 0.1);
        assert_close(s[1], -1.0);
        assert_eq!(b, vec![0.0, 0.0]);
    }
}
