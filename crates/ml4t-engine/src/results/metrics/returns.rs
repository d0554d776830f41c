//! Return and risk-adjusted return metrics of the equity curve.
//!
//! All returns are fractions (0.05 = 5 %). `ppy` is periods (bars) per year, see `periods.rs`.

use super::repeat::add_repeated;
use crate::results::{EquityCurve, Stretch};

/// Simple per-period returns `e[i] / e[i-1] - 1`, where the series is `init_cash` followed by the
/// equity curve: the first return runs from the initial cash to the first bar's equity, because
/// the first bar can already have a fill (and its commission). A period whose previous equity is
/// `<= 0` has no meaningful return and is skipped.
pub fn period_returns(init_cash: f64, equity: &[f64]) -> Vec<f64> {
    let mut out = Vec::with_capacity(equity.len());
    let mut prev = init_cash;
    for &e in equity {
        if prev > 0.0 {
            out.push(e / prev - 1.0);
        }
        prev = e;
    }
    out
}

/// `final_equity / init_cash - 1`; 0 when `init_cash <= 0`.
pub fn total_return(init_cash: f64, final_equity: f64) -> f64 {
    if init_cash > 0.0 {
        final_equity / init_cash - 1.0
    } else {
        0.0
    }
}

/// Compound annual growth rate `(final / init)^(1 / years) - 1`, `years = n_periods / ppy`.
///
/// -1 when the final equity is `<= 0` (everything lost); 0 when `years <= 0` or `init_cash <= 0`.
/// Saturates at `f64::MAX` when a large gain over a tiny span overflows.
pub fn cagr(init_cash: f64, final_equity: f64, years: f64) -> f64 {
    if init_cash <= 0.0 || years <= 0.0 || !years.is_finite() {
        return 0.0;
    }
    if final_equity <= 0.0 {
        return -1.0;
    }
    ((final_equity / init_cash).powf(1.0 / years) - 1.0).min(f64::MAX)
}

/// The per-period rate that compounds to the annual `rf` over `ppy` periods: `(1 + rf)^(1/ppy) - 1`.
/// An `rf` that is not a finite number above -1 is treated as 0.
pub fn risk_free_per_period(rf_annual: f64, ppy: f64) -> f64 {
    if rf_annual.is_finite() && rf_annual > -1.0 && ppy > 0.0 {
        (1.0 + rf_annual).powf(1.0 / ppy) - 1.0
    } else {
        0.0
    }
}

/// What volatility, Sharpe and Sortino share, computed once per series (a sweep computes them
/// for every combination) in two passes: the mean, the largest |return| and the downside sum
/// of squares, then the sample standard deviation about the mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReturnStats {
    n: usize,
    rf_per_period: f64,
    mean: Option<f64>,
    std: Option<f64>,
    /// The largest |return| (0 for none): the scale of [`ReturnStats::is_negligible`].
    scale: f64,
    /// `Σ min(r - rf_pp, 0)²`.
    downside_sq: f64,
}

impl ReturnStats {
    /// The statistics of `returns` against the per-period risk-free rate. Each sum adds in
    /// order from -0.0, as `Iterator::sum` does, so every figure equals the one-metric-at-a-time
    /// formulas to the bit.
    pub fn of(returns: &[f64], rf_per_period: f64) -> Self {
        let mut sums = Sums::new(rf_per_period);
        returns.iter().for_each(|&r| sums.push(r));
        let mean = sums.mean();
        ReturnStats {
            n: sums.n,
            rf_per_period,
            mean,
            std: mean.and_then(|m| sample_std_about(returns, m)),
            scale: sums.scale,
            downside_sq: sums.downside_sq,
        }
    }

    /// [`ReturnStats::of`] the [`period_returns`] of `init_cash` followed by `curve`, without
    /// materialising them (see [`CurveReturns`]). Equal to the bit.
    pub fn of_curve(init_cash: f64, curve: &EquityCurve, rf_per_period: f64) -> Self {
        let mut acc = CurveReturns::new(init_cash, rf_per_period);
        curve.for_each_stretch(|s| acc.add(&s));
        acc.finish(curve)
    }

    /// The number of returns.
    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// A dispersion this small next to the returns themselves is rounding noise of a constant
    /// series (whose mean is not exactly representable); dividing by it would report a huge,
    /// meaningless ratio.
    fn is_negligible(&self, dispersion: f64) -> bool {
        dispersion.is_nan() || dispersion <= 1e-10 * self.scale
    }
}

/// The first pass of [`ReturnStats`]: count, sum, largest |return| and downside squares, each
/// added in order from -0.0 (the scale from 0).
#[derive(Clone, Copy)]
struct Sums {
    rf: f64,
    n: usize,
    sum: f64,
    scale: f64,
    downside_sq: f64,
}

impl Sums {
    fn new(rf: f64) -> Self {
        Sums {
            rf,
            n: 0,
            sum: -0.0,
            scale: 0.0,
            downside_sq: -0.0,
        }
    }

    #[inline(always)]
    fn push(&mut self, r: f64) {
        self.n += 1;
        self.sum += r;
        self.scale = larger(self.scale, r.abs());
        self.downside_sq += (r - self.rf).min(0.0).powi(2);
    }

    /// `k` equal returns in a row (`max` is idempotent, the sums are added `k` times).
    #[inline]
    fn push_repeated(&mut self, r: f64, k: usize) {
        if k == 1 {
            return self.push(r);
        }
        self.n += k;
        self.sum = add_repeated(self.sum, r, k);
        self.scale = larger(self.scale, r.abs());
        self.downside_sq = add_repeated(self.downside_sq, (r - self.rf).min(0.0).powi(2), k);
    }

    fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }
}

/// [`ReturnStats`] of the [`period_returns`] of an initial cash followed by an equity curve,
/// without materialising them: fed the curve a [`Stretch`] at a time (with the other metrics'
/// walk), then [`CurveReturns::finish`]ed with a second walk for the squared deviations about
/// the mean. Inside a flat stretch every return after the first is `cash / cash - 1`, and the
/// sums take it `n - 1` times at once ([`add_repeated`]). Equal to [`ReturnStats::of`] to the bit.
#[derive(Clone, Copy)]
pub struct CurveReturns {
    init_cash: f64,
    prev: f64,
    sums: Sums,
}

impl CurveReturns {
    pub fn new(init_cash: f64, rf_per_period: f64) -> Self {
        CurveReturns {
            init_cash,
            prev: init_cash,
            sums: Sums::new(rf_per_period),
        }
    }

    /// The next stretch of the curve.
    #[inline]
    pub fn add(&mut self, stretch: &Stretch<'_>) {
        // In locals for the stretch: sums kept in `self` would go through memory every step.
        let (mut sums, mut prev) = (self.sums, self.prev);
        each_return(&mut prev, stretch, |r, k| sums.push_repeated(r, k));
        (self.sums, self.prev) = (sums, prev);
    }

    /// The equity before the next point (the initial cash before the first).
    #[inline(always)]
    pub(super) fn prev(&self) -> f64 {
        self.prev
    }

    /// The next point of a held stretch: equity `e`, its return `r = e / prev - 1` (computed
    /// by the caller, in batches); counted when the equity before it is positive.
    #[inline(always)]
    pub(super) fn push_point(&mut self, r: f64, e: f64) {
        if self.prev > 0.0 {
            self.sums.push(r);
        }
        self.prev = e;
    }

    /// The statistics, after every stretch of `curve` was added.
    pub fn finish(self, curve: &EquityCurve) -> ReturnStats {
        let sums = self.sums;
        let mean = sums.mean();
        let std = match mean {
            Some(m) if sums.n >= 2 => {
                let (mut ss, mut prev) = (-0.0f64, self.init_cash);
                curve.for_each_stretch(|s| {
                    let (mut acc, mut p) = (ss, prev);
                    each_return(&mut p, &s, |r, k| {
                        let d = (r - m).powi(2);
                        acc = if k == 1 { acc + d } else { add_repeated(acc, d, k) };
                    });
                    (ss, prev) = (acc, p);
                });
                Some((ss / (sums.n - 1) as f64).sqrt())
            }
            _ => None,
        };
        ReturnStats {
            n: sums.n,
            rf_per_period: sums.rf,
            mean,
            std,
            scale: sums.scale,
            downside_sq: sums.downside_sq,
        }
    }
}

/// `scale.max(a)` for a `scale` that is never NaN (it starts at 0 and `max` never returns NaN
/// from a number): a NaN `a` leaves it. One comparison, where `f64::max`'s NaN handling
/// would lengthen the loop's critical path.
#[inline(always)]
fn larger(scale: f64, a: f64) -> f64 {
    if a > scale { a } else { scale }
}

/// Calls `f(r, k)` for the returns of `stretch` (`prev`: the equity before it, updated): `k`
/// equal returns `r` in a row (`k > 1` only inside a flat stretch).
#[inline(always)]
fn each_return(prev: &mut f64, stretch: &Stretch<'_>, mut f: impl FnMut(f64, usize)) {
    match *stretch {
        Stretch::Held { equity, .. } => {
            // One loop, the division inline (see `metrics::add_held`).
            let mut p = *prev;
            for &e in equity {
                let r = e / p - 1.0;
                if p > 0.0 {
                    f(r, 1);
                }
                p = e;
            }
            *prev = p;
        }
        Stretch::Flat { cash, n } => {
            if n == 0 {
                return;
            }
            if *prev > 0.0 {
                f(cash / *prev - 1.0, 1);
            }
            if n > 1 && cash > 0.0 {
                // `cash / cash` is exactly 1 for a finite cash: skip the division. An infinite
                // cash keeps it, for the very NaN the point-by-point return is.
                #[allow(clippy::eq_op)]
                let r = if cash.is_finite() { 0.0 } else { cash / cash - 1.0 };
                f(r, n - 1);
            }
            *prev = cash;
        }
    }
}

/// Annualised volatility: sample standard deviation (ddof = 1) times `sqrt(ppy)`.
/// 0 with fewer than two returns.
pub fn annual_volatility(returns: &[f64], ppy: f64) -> f64 {
    annual_volatility_of(&ReturnStats::of(returns, 0.0), ppy)
}

/// [`annual_volatility`] from the shared statistics.
pub fn annual_volatility_of(stats: &ReturnStats, ppy: f64) -> f64 {
    stats.std.map_or(0.0, |sd| sd * ppy.sqrt())
}

/// Sharpe ratio `(mean(r) - rf_pp) / std(r) * sqrt(ppy)`, std with ddof = 1.
/// 0 with fewer than two returns or zero volatility (up to rounding).
pub fn sharpe(returns: &[f64], rf_per_period: f64, ppy: f64) -> f64 {
    sharpe_of(&ReturnStats::of(returns, rf_per_period), ppy)
}

/// [`sharpe`] from the shared statistics.
pub fn sharpe_of(stats: &ReturnStats, ppy: f64) -> f64 {
    let (Some(m), Some(sd)) = (stats.mean, stats.std) else {
        return 0.0;
    };
    if stats.is_negligible(sd) {
        0.0
    } else {
        (m - stats.rf_per_period) / sd * ppy.sqrt()
    }
}

/// Sortino ratio `(mean(r) - rf_pp) / downside_dev * sqrt(ppy)`, with
/// `downside_dev = sqrt(mean(min(r - rf_pp, 0)^2))` over all periods (not only the losing ones).
/// 0 with no returns or no downside.
pub fn sortino(returns: &[f64], rf_per_period: f64, ppy: f64) -> f64 {
    sortino_of(&ReturnStats::of(returns, rf_per_period), ppy)
}

/// [`sortino`] from the shared statistics.
pub fn sortino_of(stats: &ReturnStats, ppy: f64) -> f64 {
    let Some(m) = stats.mean else {
        return 0.0;
    };
    let downside_dev = (stats.downside_sq / stats.n as f64).sqrt();
    if stats.is_negligible(downside_dev) {
        0.0
    } else {
        (m - stats.rf_per_period) / downside_dev * ppy.sqrt()
    }
}

/// Calmar ratio `CAGR / |max drawdown|` (drawdown as a negative fraction); 0 with no drawdown.
pub fn calmar(cagr: f64, max_drawdown: f64) -> f64 {
    if max_drawdown < 0.0 {
        (cagr / max_drawdown.abs()).clamp(f64::MIN, f64::MAX)
    } else {
        0.0
    }
}

/// Sample standard deviation (ddof = 1) about the mean `m`; `None` below two values.
fn sample_std_about(xs: &[f64], m: f64) -> Option<f64> {
    if xs.len() < 2 {
        return None;
    }
    let ss: f64 = xs.iter().map(|x| (x - m).powi(2)).sum();
    Some((ss / (xs.len() - 1) as f64).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::metrics::assert_close;

    /// The shared two-pass statistics give the one-metric-at-a-time formulas to the bit
    /// (empty, constant, signed-zero and NaN series included).
    #[test]
    fn return_stats_equal_the_formulas_one_by_one() {
        let mean = |xs: &[f64]| (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64);
        let std = |xs: &[f64]| {
            let m = mean(xs)?;
            if xs.len() < 2 {
                return None;
            }
            let ss: f64 = xs.iter().map(|x| (x - m).powi(2)).sum();
            Some((ss / (xs.len() - 1) as f64).sqrt())
        };
        let negligible = |d: f64, xs: &[f64]| d.is_nan() || d <= 1e-10 * xs.iter().map(|r| r.abs()).fold(0.0, f64::max);
        let mut rnd = crate::test_rng(11);
        for _ in 0..400 {
            let xs: Vec<f64> = (0..rnd(40))
                .map(|_| match rnd(12) {
                    0 => -0.0,
                    1 => 0.0,
                    2 if rnd(5) == 0 => f64::NAN,
                    k => (k as f64 - 6.0) / 97.0,
                })
                .collect();
            for (rf, ppy) in [(0.0, 252.0), (0.0001, 98_000.0), (-0.0, 12.0)] {
                let vol = std(&xs).map_or(0.0, |sd| sd * f64::sqrt(ppy));
                let sharpe = match (mean(&xs), std(&xs)) {
                    (Some(m), Some(sd)) if !negligible(sd, &xs) => (m - rf) / sd * ppy.sqrt(),
                    _ => 0.0,
                };
                let sortino = match mean(&xs) {
                    Some(m) => {
                        let d: f64 = xs.iter().map(|r| (r - rf).min(0.0).powi(2)).sum();
                        let dd = (d / xs.len() as f64).sqrt();
                        if negligible(dd, &xs) {
                            0.0
                        } else {
                            (m - rf) / dd * ppy.sqrt()
                        }
                    }
                    None => 0.0,
                };
                let stats = ReturnStats::of(&xs, rf);
                assert_eq!(annual_volatility_of(&stats, ppy).to_bits(), vol.to_bits(), "{xs:?}");
                assert_eq!(sharpe_of(&stats, ppy).to_bits(), sharpe.to_bits(), "{xs:?}");
                assert_eq!(sortino_of(&stats, ppy).to_bits(), sortino.to_bits(), "{xs:?}");
            }
        }
    }

    /// The walk over a stored curve gives the statistics of its materialised returns to the
    /// bit, for any mix of flat and held stretches, cash at or below zero, and risk-free rates.
    #[test]
    fn return_stats_of_curve_equal_those_of_the_returns() {
        let key = |s: &ReturnStats| {
            let b = |x: Option<f64>| x.map(f64::to_bits);
            (s.n, b(s.mean), b(s.std), s.scale.to_bits(), s.downside_sq.to_bits())
        };
        for (k, c) in crate::results::equity::tests::random_curves(21, 400).iter().enumerate() {
            let init = [1_000.0, 0.0, -5.0, 1_000.0 / 3.0][k % 4];
            let rets = period_returns(init, &c.equity());
            for rf in [0.0, -0.0, 1e-5, 0.3] {
                let want = ReturnStats::of(&rets, rf);
                let got = ReturnStats::of_curve(init, c, rf);
                assert_eq!(key(&got), key(&want), "curve {k}, rf {rf}");
                for ppy in [252.0, 98_000.0] {
                    assert_eq!(sharpe_of(&got, ppy).to_bits(), sharpe_of(&want, ppy).to_bits());
                    assert_eq!(sortino_of(&got, ppy).to_bits(), sortino_of(&want, ppy).to_bits());
                }
            }
        }
    }

    #[test]
    fn returns_start_from_init_cash() {
        // 100 -> 110 -> 99 -> 108.9: +10 %, -10 %, +10 %.
        let r = period_returns(100.0, &[110.0, 99.0, 108.9]);
        assert_eq!(r.len(), 3);
        assert_close(r[0], 0.1);
        assert_close(r[1], -0.1);
        assert_close(r[2], 0.1);
    }

    #[test]
    fn returns_skip_after_non_positive_equity() {
        // 100 -> 0 is -100 %; 0 -> 5 has no return; 5 -> 10 is +100 %.
        assert_eq!(period_returns(100.0, &[0.0, 5.0, 10.0]), vec![-1.0, 1.0]);
        assert!(period_returns(100.0, &[]).is_empty());
        assert_eq!(period_returns(0.0, &[1.0, 2.0]), vec![1.0]);
    }

    #[test]
    fn total_return_uses_init_cash() {
        assert_close(total_return(100.0, 108.9), 0.089);
        assert_eq!(total_return(0.0, 5.0), 0.0);
    }

    #[test]
    fn cagr_hand_computed() {
        // 100 -> 121 over 2 years: sqrt(1.21) - 1 = 0.1.
        assert_close(cagr(100.0, 121.0, 2.0), 0.1);
        // 100 -> 108.9 over 1 year.
        assert_close(cagr(100.0, 108.9, 1.0), 0.089);
        assert_eq!(cagr(100.0, -5.0, 1.0), -1.0);
        assert_eq!(cagr(100.0, 0.0, 1.0), -1.0);
        assert_eq!(cagr(100.0, 120.0, 0.0), 0.0);
        // 10x in a minute bar of a year of minute bars would overflow.
        assert_eq!(cagr(100.0, 1000.0, 1.0 / 525_960.0), f64::MAX);
    }

    #[test]
    fn volatility_and_sharpe_hand_computed() {
        // r = [0.1, -0.1, 0.1]: mean 1/30, deviations 1/15, -2/15, 1/15, sum of squares 6/225,
        // sample var 3/225 = 1/75, std = 1/sqrt(75).
        let r = [0.1, -0.1, 0.1];
        // vol = sqrt(252 / 75) = sqrt(3.36)
        assert_close(annual_volatility(&r, 252.0), 3.36f64.sqrt());
        // Sharpe = (1/30) * sqrt(75) * sqrt(252) = sqrt(75 * 252) / 30 = sqrt(18900) / 30 = sqrt(21).
        assert_close(sharpe(&r, 0.0, 252.0), 21f64.sqrt());
    }

    #[test]
    fn sharpe_with_risk_free_rate() {
        // rf 21 % over 2 periods: rf_pp = sqrt(1.21) - 1 = 0.1.
        let rf_pp = risk_free_per_period(0.21, 2.0);
        assert_close(rf_pp, 0.1);
        // r = [0.1, 0.3]: mean 0.2, std sqrt(0.02); (0.2 - 0.1) / sqrt(0.02) * sqrt(2) = 0.1 * 10 = 1.
        assert_close(sharpe(&[0.1, 0.3], rf_pp, 2.0), 1.0);
        assert_eq!(risk_free_per_period(-2.0, 252.0), 0.0);
    }

    #[test]
    fn sortino_hand_computed() {
        // r = [0.1, -0.1, 0.1], rf 0: downside squares 0, 0.01, 0 -> mean 0.01/3, dd = 0.1/sqrt(3).
        // (1/30) / (0.1/sqrt(3)) * sqrt(252) = sqrt(3)/3 * sqrt(252) = sqrt(84) = 2*sqrt(21).
        assert_close(sortino(&[0.1, -0.1, 0.1], 0.0, 252.0), 2.0 * 21f64.sqrt());
        // r = [0.0, 0.3], rf_pp 0.1: excess -0.1, 0.2; mean excess 0.05; dd = sqrt(0.01 / 2);
        // 0.05 / sqrt(0.005) * sqrt(2) = 0.05 * sqrt(400) = 1.
        assert_close(sortino(&[0.0, 0.3], 0.1, 2.0), 1.0);
    }

    #[test]
    fn ratios_zero_when_undefined() {
        assert_eq!(sharpe(&[], 0.0, 252.0), 0.0);
        assert_eq!(sharpe(&[0.01], 0.0, 252.0), 0.0);
        // Constant returns: std is rounding noise at most.
        assert_eq!(sharpe(&[0.01; 7], 0.0, 252.0), 0.0);
        assert_eq!(annual_volatility(&[0.01], 252.0), 0.0);
        assert_eq!(sortino(&[], 0.0, 252.0), 0.0);
        assert_eq!(sortino(&[0.01, 0.02], 0.0, 252.0), 0.0);
        assert_eq!(calmar(0.2, 0.0), 0.0);
    }

    #[test]
    fn calmar_hand_computed() {
        // CAGR 10 % with a 25 % drawdown: 0.1 / 0.25 = 0.4.
        assert_close(calmar(0.1, -0.25), 0.4);
    }
}
