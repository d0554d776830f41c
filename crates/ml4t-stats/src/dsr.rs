//! Deflated Sharpe Ratio (Bailey & López de Prado, "The Deflated Sharpe
//! Ratio", 2014): the PSR against the Sharpe ratio that the best of N
//! skill-less trials would show by luck alone.

use crate::normal;
use crate::psr::{SharpeEstimate, psr};

/// Euler–Mascheroni constant γ.
pub const EULER_MASCHERONI: f64 = 0.577_215_664_901_532_9;

/// Expected maximum of N independent Sharpe estimates with true Sharpe 0 and
/// variance V across trials:
/// E[max SR] = √V · ((1 − γ)·Φ⁻¹(1 − 1/N) + γ·Φ⁻¹(1 − 1/(N·e))).
///
/// `n_trials` is real-valued so an estimate of the number of *independent*
/// trials can be passed. `None` when N ≤ 1 (one trial selects nothing) or V
/// is negative or not finite. Same units as the Sharpe ratios that gave V
/// (per period here).
pub fn expected_max_sharpe(n_trials: f64, sharpe_variance: f64) -> Option<f64> {
    let valid = n_trials > 1.0 && n_trials.is_finite() && sharpe_variance >= 0.0 && sharpe_variance.is_finite();
    if !valid {
        return None;
    }
    let g = EULER_MASCHERONI;
    let e = std::f64::consts::E;
    let z = (1.0 - g) * normal::inv_cdf(1.0 - 1.0 / n_trials) + g * normal::inv_cdf(1.0 - 1.0 / (n_trials * e));
    let sr0 = sharpe_variance.sqrt() * z;
    sr0.is_finite().then_some(sr0)
}

/// DSR = PSR(SR* = E[max SR]) for the selected strategy's estimate, the
/// number of trials and the variance of the trials' Sharpe ratios (all per
/// period). `None` when either part is undefined.
pub fn dsr(est: &SharpeEstimate, n_trials: f64, sharpe_variance: f64) -> Option<f64> {
    psr(est, expected_max_sharpe(n_trials, sharpe_variance)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_max_sharpe_hand_computed() {
        // N = 10, V = 1: Φ⁻¹(0.9) = 1.2815515655446008,
        // Φ⁻¹(1 − 1/(10e)) = Φ⁻¹(0.9632120558828557) = 1.7892417645816279
        // (1 − γ)·1.2815516 + γ·1.7892418 = 0.5418199 + 1.0327784 = 1.57459830134575
        let sr0 = expected_max_sharpe(10.0, 1.0).unwrap();
        assert!((sr0 - 1.574_598_301_345_75).abs() < 1e-12);
        // Scales with √V.
        assert!((expected_max_sharpe(10.0, 4.0).unwrap() - 2.0 * sr0).abs() < 1e-12);
        assert_eq!(expected_max_sharpe(10.0, 0.0), Some(0.0));
    }

    #[test]
    fn expected_max_sharpe_undefined_cases() {
        assert_eq!(expected_max_sharpe(1.0, 1.0), None);
        assert_eq!(expected_max_sharpe(0.5, 1.0), None);
        assert_eq!(expected_max_sharpe(10.0, -1.0), None);
        assert_eq!(expected_max_sharpe(f64::NAN, 1.0), None);
        assert_eq!(expected_max_sharpe(f64::INFINITY, 1.0), None);
    }

    #[test]
    fn dsr_paper_numerical_example() {
        // The DSR paper's numerical example (as we recall it; the paper text
        // could not be retrieved to confirm): N = 100 trials, annualised
        // V[SR] = 1/2, T = 1250 daily returns (250 a year), annualised SR 2.5,
        // γ₃ = −3, γ₄ = 10. Per period:
        //   V = 0.5/250 = 0.002, SR = 2.5/√250 = 0.15811388300841897
        //   SR0 = √0.002 · ((1−γ)·Φ⁻¹(0.99) + γ·Φ⁻¹(1 − 1/(100e)))
        //       = 0.0447214 · 2.5306029 = 0.11317200186513214   (paper: ≈ 0.1132)
        //   factor = 1 + 3·0.1581139 + 9/4·0.025 = 1.5305916
        //   z = (0.158114 − 0.113172)·√1249 / √1.5306563 = 1.2838160365336546
        //   DSR = Φ(z) = 0.9003968344493904                       (paper: ≈ 0.9004)
        let v = 0.5 / 250.0;
        let sr0 = expected_max_sharpe(100.0, v).unwrap();
        assert!((sr0 - 0.113_172_001_865_132_14).abs() < 1e-12);
        let est = SharpeEstimate {
            sharpe: 2.5 / 250f64.sqrt(),
            n_obs: 1250,
            skewness: -3.0,
            kurtosis: 10.0,
        };
        let d = dsr(&est, 100.0, v).unwrap();
        assert!((d - 0.900_396_834_449_390_4).abs() < 1e-10);
        assert!((d - 0.9004).abs() < 5e-5);
    }

    #[test]
    fn dsr_falls_as_trials_grow() {
        let est = SharpeEstimate {
            sharpe: 0.1,
            n_obs: 1000,
            skewness: -0.5,
            kurtosis: 4.0,
        };
        let mut last = 1.0;
        for n in [2.0, 5.0, 10.0, 100.0, 1000.0, 1e6] {
            let d = dsr(&est, n, 0.001).unwrap();
            assert!(d < last, "DSR({n}) = {d} not below {last}");
            last = d;
        }
    }

    #[test]
    fn dsr_falls_as_trial_variance_grows() {
        let est = SharpeEstimate {
            sharpe: 0.1,
            n_obs: 1000,
            skewness: 0.0,
            kurtosis: 3.0,
        };
        let low = dsr(&est, 50.0, 0.0001).unwrap();
        let high = dsr(&est, 50.0, 0.001).unwrap();
        assert!(high < low);
        // Zero variance: E[max] = 0, so DSR is the PSR against 0.
        assert_eq!(dsr(&est, 50.0, 0.0), psr(&est, 0.0));
    }
}
