//! Probabilistic Sharpe Ratio and Minimum Track Record Length
//! (Bailey & López de Prado, "The Sharpe Ratio Efficient Frontier", 2012).
//!
//! Both work on the per-period (non-annualised) Sharpe ratio and the
//! population skewness / non-excess kurtosis of the same returns, see
//! [`crate::moments`]. The standard error of the Sharpe estimate is
//! √((1 − γ₃·SR + (γ₄ − 1)/4 · SR²) / (T − 1)); when the bracket is not
//! positive (only for extreme skew with a large SR) the statistic is
//! undefined and the functions return `None`.

use serde::Serialize;

use crate::moments::Moments;
use crate::normal;

/// What the PSR needs to know about one return series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SharpeEstimate {
    /// Per-period Sharpe ratio mean / sample std.
    pub sharpe: f64,
    /// Number of returns T.
    pub n_obs: usize,
    /// Population skewness γ₃.
    pub skewness: f64,
    /// Population non-excess kurtosis γ₄ (normal = 3).
    pub kurtosis: f64,
}

impl SharpeEstimate {
    /// Estimate from a return series; `None` for fewer than 2 values or a
    /// constant series.
    pub fn from_returns<T: Copy + Into<f64>>(xs: &[T]) -> Option<Self> {
        Moments::of(xs).map(|m| Self::from(&m))
    }

    /// 1 − γ₃·SR + (γ₄ − 1)/4 · SR²: (T − 1) times the variance of the
    /// Sharpe estimate; `None` when not positive.
    fn variance_factor(&self) -> Option<f64> {
        let sr = self.sharpe;
        let v = 1.0 - self.skewness * sr + (self.kurtosis - 1.0) / 4.0 * sr * sr;
        (v > 0.0 && v.is_finite()).then_some(v)
    }
}

impl From<&Moments> for SharpeEstimate {
    fn from(m: &Moments) -> Self {
        Self {
            sharpe: m.sharpe(),
            n_obs: m.n,
            skewness: m.skewness,
            kurtosis: m.kurtosis,
        }
    }
}

/// PSR(SR*) = Φ((SR − SR*)·√(T − 1) / √(1 − γ₃·SR + (γ₄ − 1)/4 · SR²)):
/// the probability that the true per-period Sharpe ratio exceeds
/// `benchmark_sharpe` (also per period).
///
/// `None` when T < 2, the variance factor is not positive, or an input is
/// not finite.
pub fn psr(est: &SharpeEstimate, benchmark_sharpe: f64) -> Option<f64> {
    if est.n_obs < 2 || !benchmark_sharpe.is_finite() || !est.sharpe.is_finite() {
        return None;
    }
    let v = est.variance_factor()?;
    let z = (est.sharpe - benchmark_sharpe) * ((est.n_obs - 1) as f64).sqrt() / v.sqrt();
    let p = normal::cdf(z);
    p.is_finite().then_some(p)
}

/// Minimum Track Record Length: the number of returns needed for
/// PSR(`benchmark_sharpe`) to reach `confidence`,
/// MinTRL = 1 + (1 − γ₃·SR + (γ₄ − 1)/4 · SR²) · (Φ⁻¹(p) / (SR − SR*))².
///
/// Fractional (compare it with the track length, or round up). `None` when
/// SR ≤ SR* (no track is long enough), when `confidence` is not in (0, 1), or
/// when the variance factor is not positive. The estimate's `n_obs` is unused.
pub fn min_trl(est: &SharpeEstimate, benchmark_sharpe: f64, confidence: f64) -> Option<f64> {
    let valid = confidence > 0.0 && confidence < 1.0 && est.sharpe > benchmark_sharpe;
    if !valid {
        return None;
    }
    let v = est.variance_factor()?;
    let ratio = normal::inv_cdf(confidence) / (est.sharpe - benchmark_sharpe);
    let n = 1.0 + v * ratio * ratio;
    n.is_finite().then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normal_est(sharpe: f64, n_obs: usize) -> SharpeEstimate {
        SharpeEstimate {
            sharpe,
            n_obs,
            skewness: 0.0,
            kurtosis: 3.0,
        }
    }

    #[test]
    fn psr_hand_computed_normal_returns() {
        // SR = 0.1, SR* = 0, T = 101, γ₃ = 0, γ₄ = 3:
        // factor = 1 − 0 + (3 − 1)/4 · 0.01 = 1.005
        // z = 0.1 · √100 / √1.005 = 0.9975093361076329
        // Φ(z) = 0.8407413278013518
        let p = psr(&normal_est(0.1, 101), 0.0).unwrap();
        assert!((p - 0.840_741_327_801_351_8).abs() < 1e-12);
    }

    #[test]
    fn psr_at_benchmark_is_one_half() {
        // SR = SR* makes z = 0 whatever the moments.
        let est = SharpeEstimate {
            sharpe: 0.2,
            n_obs: 50,
            skewness: -1.0,
            kurtosis: 6.0,
        };
        assert_eq!(psr(&est, 0.2), Some(0.5));
    }

    #[test]
    fn psr_negative_skew_and_fat_tails_lower_it() {
        let base = normal_est(0.1, 252);
        let skewed = SharpeEstimate {
            skewness: -2.0,
            kurtosis: 9.0,
            ..base
        };
        assert!(psr(&skewed, 0.0).unwrap() < psr(&base, 0.0).unwrap());
    }

    #[test]
    fn psr_undefined_cases_are_none() {
        assert_eq!(psr(&normal_est(0.1, 1), 0.0), None);
        // factor = 1 − 5·1 + (3−1)/4·1 = −3.5 ≤ 0
        let bad = SharpeEstimate {
            sharpe: 1.0,
            n_obs: 100,
            skewness: 5.0,
            kurtosis: 3.0,
        };
        assert_eq!(psr(&bad, 0.0), None);
        assert_eq!(psr(&normal_est(0.1, 100), f64::NAN), None);
    }

    #[test]
    fn min_trl_hand_computed() {
        // SR = 0.1, SR* = 0, normal, p = 0.95: Φ⁻¹(0.95) = 1.6448536269514722
        // 1 + 1.005 · (1.6448536269514722 / 0.1)² = 1 + 1.005 · 270.5543454095414
        //   = 272.90711713658874
        let n = min_trl(&normal_est(0.1, 0), 0.0, 0.95).unwrap();
        assert!((n - 272.907_117_136_588_74).abs() < 1e-9);
    }

    #[test]
    fn min_trl_is_where_psr_reaches_the_confidence() {
        let est = SharpeEstimate {
            sharpe: 0.08,
            n_obs: 0,
            skewness: -0.5,
            kurtosis: 5.0,
        };
        let n = min_trl(&est, 0.02, 0.9).unwrap();
        // PSR is continuous in T; evaluate the formula at the fractional MinTRL.
        let v = 1.0 + 0.5 * 0.08 + 1.0 * 0.08 * 0.08;
        let z = (0.08 - 0.02) * (n - 1.0).sqrt() / f64::sqrt(v);
        assert!((normal::cdf(z) - 0.9).abs() < 1e-12);
    }

    #[test]
    fn min_trl_absent_when_not_above_benchmark() {
        assert_eq!(min_trl(&normal_est(0.1, 0), 0.1, 0.95), None);
        assert_eq!(min_trl(&normal_est(0.05, 0), 0.1, 0.95), None);
        assert_eq!(min_trl(&normal_est(0.1, 0), 0.0, 1.0), None);
        assert_eq!(min_trl(&normal_est(0.1, 0), 0.0, f64::NAN), None);
    }
}
