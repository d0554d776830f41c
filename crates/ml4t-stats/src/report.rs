//! One call from a parameter sweep's return series to every overfitting
//! statistic the workbench shows.
//!
//! Input errors (no series, ragged or non-finite returns, bad options) are
//! errors. Data too small for a statistic is not: that statistic is `None`
//! (PBO with one combination or fewer periods than blocks; DSR with one
//! trial; PSR of a flat series). No field is ever NaN or ±∞.

use serde::Serialize;
use thiserror::Error;

use crate::dsr::expected_max_sharpe;
use crate::moments::{sample_variance, sharpe};
use crate::pbo::{PboError, PboOptions, pbo};
use crate::psr::{SharpeEstimate, min_trl, psr};

/// Why the report could not be built.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum StatsError {
    /// No return series.
    #[error("overfitting report needs at least one return series; run a sweep first")]
    NoCombinations,
    /// Series of different lengths.
    #[error(
        "combination {index} has {len} returns but combination 0 has {expected}; every combination must cover the same periods"
    )]
    RaggedReturns {
        /// Offending combination.
        index: usize,
        /// Its length.
        len: usize,
        /// Length of combination 0.
        expected: usize,
    },
    /// NaN or ±∞ in the returns.
    #[error("return of combination {combination} at period {period} is {value}; returns must be finite")]
    NonFiniteReturn {
        /// Combination index.
        combination: usize,
        /// Period (row) index.
        period: usize,
        /// The value.
        value: f32,
    },
    /// `objective_best` is not a combination index.
    #[error(
        "objective_best = {index} but the sweep has {n} combinations; pass an index below {n}, or None to pick the highest Sharpe"
    )]
    BestOutOfRange {
        /// Index given.
        index: usize,
        /// Combinations.
        n: usize,
    },
    /// `min_trl_confidence` outside (0, 1).
    #[error("min_trl_confidence must be strictly between 0 and 1, got {0}; 0.95 is usual")]
    BadConfidence(f64),
    /// Non-finite `benchmark_sharpe`.
    #[error("benchmark_sharpe must be a finite per-period Sharpe ratio, got {0}")]
    BadBenchmark(f64),
    /// `n_trials_override` not a finite number above 1.
    #[error(
        "n_trials_override must be a finite number above 1, got {0}; leave it None to use the number of combinations"
    )]
    BadTrials(f64),
    /// CSCV options the PBO cannot use (odd or too many blocks).
    #[error(transparent)]
    Pbo(#[from] PboError),
}

/// Options of [`overfitting_report`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OverfitOptions {
    /// SR* of the PSR and MinTRL, per period (default 0).
    pub benchmark_sharpe: f64,
    /// Number of independent trials for the DSR; `None` uses the number of
    /// combinations. Pass an estimate when the combinations are correlated.
    pub n_trials_override: Option<f64>,
    /// CSCV blocks S (even, default 16).
    pub cscv_blocks: usize,
    /// Confidence of the MinTRL (default 0.95).
    pub min_trl_confidence: f64,
}

impl Default for OverfitOptions {
    fn default() -> Self {
        Self {
            benchmark_sharpe: 0.0,
            n_trials_override: None,
            cscv_blocks: 16,
            min_trl_confidence: 0.95,
        }
    }
}

/// Overfitting statistics of a sweep. Sharpe ratios are per period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverfittingReport {
    /// The selected combination: `objective_best`, else the highest Sharpe
    /// (lowest index on ties).
    pub best_index: usize,
    /// Number of returns per combination T.
    pub n_obs: usize,
    /// Sharpe ratio of the selected combination.
    pub sharpe: Option<f64>,
    /// Its population skewness γ₃.
    pub skewness: Option<f64>,
    /// Its non-excess kurtosis γ₄.
    pub kurtosis: Option<f64>,
    /// PSR against `benchmark_sharpe`.
    pub psr: Option<f64>,
    /// Minimum track record length (returns) for PSR ≥ `min_trl_confidence`;
    /// `None` when the Sharpe ratio is not above the benchmark.
    pub min_trl: Option<f64>,
    /// Trials N used by the DSR.
    pub n_trials: f64,
    /// Sample variance of the combinations' Sharpe ratios (a flat series
    /// counts as Sharpe 0).
    pub sharpe_variance: Option<f64>,
    /// E[max SR] of N skill-less trials, the DSR's benchmark.
    pub expected_max_sharpe: Option<f64>,
    /// Deflated Sharpe ratio.
    pub dsr: Option<f64>,
    /// Probability of backtest overfitting (CSCV).
    pub pbo: Option<f64>,
    /// CSCV blocks S.
    pub cscv_blocks: usize,
    /// CSCV logits λ, one per split in lexicographic split order; empty
    /// when `pbo` is `None`.
    pub logits: Vec<f64>,
    /// Slope of OOS on IS Sharpe of the in-sample winner across splits.
    pub degradation_slope: Option<f64>,
    /// Intercept of that fit.
    pub degradation_intercept: Option<f64>,
    /// Fraction of splits whose in-sample winner lost out of sample.
    pub prob_oos_loss: Option<f64>,
}

/// Build the report from one return series per combination.
pub fn overfitting_report(
    returns: &[Vec<f32>],
    objective_best: Option<usize>,
    opts: &OverfitOptions,
) -> Result<OverfittingReport, StatsError> {
    validate(returns, objective_best, opts)?;
    let n = returns.len();
    let n_obs = returns[0].len();

    let sharpes: Vec<Option<f64>> = returns.iter().map(|r| sharpe(r)).collect();
    let best_index = objective_best.unwrap_or_else(|| {
        let mut best = 0;
        for (i, s) in sharpes.iter().enumerate() {
            if s.unwrap_or(f64::NEG_INFINITY) > sharpes[best].unwrap_or(f64::NEG_INFINITY) {
                best = i;
            }
        }
        best
    });
    let est = SharpeEstimate::from_returns(&returns[best_index]);

    let n_trials = opts.n_trials_override.unwrap_or(n as f64);
    let trial_sharpes: Vec<f64> = sharpes.iter().map(|s| s.unwrap_or(0.0)).collect();
    let sharpe_variance = finite(sample_variance(&trial_sharpes));
    let expected_max = finite(sharpe_variance.and_then(|v| expected_max_sharpe(n_trials, v)));

    let pbo_opts = PboOptions {
        blocks: opts.cscv_blocks,
        threads: 0,
    };
    let cscv = match pbo(returns, &pbo_opts) {
        Ok(r) => Some(r),
        Err(PboError::TooFewCombinations { .. } | PboError::TooFewPeriods { .. }) => None,
        Err(e) => return Err(e.into()),
    };

    Ok(OverfittingReport {
        best_index,
        n_obs,
        sharpe: finite(est.map(|e| e.sharpe)),
        skewness: finite(est.map(|e| e.skewness)),
        kurtosis: finite(est.map(|e| e.kurtosis)),
        psr: finite(est.and_then(|e| psr(&e, opts.benchmark_sharpe))),
        min_trl: finite(est.and_then(|e| min_trl(&e, opts.benchmark_sharpe, opts.min_trl_confidence))),
        n_trials,
        sharpe_variance,
        expected_max_sharpe: expected_max,
        dsr: finite(est.zip(expected_max).and_then(|(e, sr0)| psr(&e, sr0))),
        pbo: cscv.as_ref().map(|c| c.pbo),
        cscv_blocks: opts.cscv_blocks,
        degradation_slope: finite(cscv.as_ref().and_then(|c| c.degradation_slope)),
        degradation_intercept: finite(cscv.as_ref().and_then(|c| c.degradation_intercept)),
        prob_oos_loss: cscv.as_ref().map(|c| c.prob_oos_loss),
        // Logits are finite by construction: ω = rank/(N+1) lies in (0, 1).
        logits: cscv.map(|c| c.logits).unwrap_or_default(),
    })
}

fn validate(returns: &[Vec<f32>], objective_best: Option<usize>, opts: &OverfitOptions) -> Result<(), StatsError> {
    let first = returns.first().ok_or(StatsError::NoCombinations)?;
    let expected = first.len();
    for (index, r) in returns.iter().enumerate() {
        if r.len() != expected {
            return Err(StatsError::RaggedReturns {
                index,
                len: r.len(),
                expected,
            });
        }
        if let Some(period) = r.iter().position(|x| !x.is_finite()) {
            return Err(StatsError::NonFiniteReturn {
                combination: index,
                period,
                value: r[period],
            });
        }
    }
    if let Some(index) = objective_best.filter(|&i| i >= returns.len()) {
        return Err(StatsError::BestOutOfRange {
            index,
            n: returns.len(),
        });
    }
    let c = opts.min_trl_confidence;
    if !(c > 0.0 && c < 1.0) {
        return Err(StatsError::BadConfidence(c));
    }
    if !opts.benchmark_sharpe.is_finite() {
        return Err(StatsError::BadBenchmark(opts.benchmark_sharpe));
    }
    if let Some(t) = opts.n_trials_override.filter(|t| !(t.is_finite() && *t > 1.0)) {
        return Err(StatsError::BadTrials(t));
    }
    Ok(())
}

fn finite(x: Option<f64>) -> Option<f64> {
    x.filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsr::dsr;
    use crate::test_rng::Rng;
    use proptest::prelude::*;

    fn sweep(n: usize, t: usize, seed: u64, edge: f32) -> Vec<Vec<f32>> {
        let mut rng = Rng::new(seed);
        (0..n)
            .map(|i| {
                (0..t)
                    .map(|_| 0.01 * rng.normal() as f32 + if i == 0 { edge } else { 0.0 })
                    .collect()
            })
            .collect()
    }

    fn all_finite(r: &OverfittingReport) -> bool {
        let opts = [
            r.sharpe,
            r.skewness,
            r.kurtosis,
            r.psr,
            r.min_trl,
            r.sharpe_variance,
            r.expected_max_sharpe,
            r.dsr,
            r.pbo,
            r.degradation_slope,
            r.degradation_intercept,
            r.prob_oos_loss,
        ];
        opts.iter().flatten().all(|v| v.is_finite()) && r.logits.iter().all(|v| v.is_finite()) && r.n_trials.is_finite()
    }

    #[test]
    fn report_matches_the_parts() {
        let returns = sweep(10, 256, 5, 0.002);
        let opts = OverfitOptions {
            cscv_blocks: 8,
            ..OverfitOptions::default()
        };
        let r = overfitting_report(&returns, None, &opts).unwrap();
        // Combination 0 has the edge (0.2σ per period): it has the highest Sharpe.
        assert_eq!(r.best_index, 0);
        let est = SharpeEstimate::from_returns(&returns[0]).unwrap();
        assert_eq!(r.sharpe, Some(est.sharpe));
        assert_eq!(r.psr, psr(&est, 0.0));
        assert_eq!(r.min_trl, min_trl(&est, 0.0, 0.95));
        let srs: Vec<f64> = returns.iter().map(|c| sharpe(c).unwrap()).collect();
        let v = sample_variance(&srs).unwrap();
        assert_eq!(r.sharpe_variance, Some(v));
        assert_eq!(r.n_trials, 10.0);
        assert_eq!(r.dsr, dsr(&est, 10.0, v));
        assert_eq!(r.logits.len(), 70); // C(8, 4)
        assert!(r.pbo.is_some() && all_finite(&r));
        assert!(r.dsr.unwrap() < r.psr.unwrap());
    }

    #[test]
    fn report_objective_best_overrides_the_sharpe_pick() {
        let returns = sweep(4, 64, 1, 0.0);
        let opts = OverfitOptions {
            cscv_blocks: 4,
            ..OverfitOptions::default()
        };
        let r = overfitting_report(&returns, Some(3), &opts).unwrap();
        assert_eq!(r.best_index, 3);
        assert_eq!(r.sharpe, sharpe(&returns[3]));
    }

    #[test]
    fn report_more_trials_lower_dsr() {
        let returns = sweep(5, 500, 2, 0.001);
        let at = |n: f64| {
            let opts = OverfitOptions {
                n_trials_override: Some(n),
                cscv_blocks: 4,
                ..OverfitOptions::default()
            };
            overfitting_report(&returns, None, &opts).unwrap().dsr.unwrap()
        };
        assert!(at(1000.0) < at(10.0));
        assert!(at(10.0) < at(2.0));
    }

    #[test]
    fn report_small_data_gives_none_not_errors() {
        // One combination: no PBO, no trial variance, so no DSR; PSR still there.
        let one = sweep(1, 100, 3, 0.0);
        let r = overfitting_report(&one, None, &OverfitOptions::default()).unwrap();
        assert_eq!((r.pbo, r.dsr, r.sharpe_variance), (None, None, None));
        assert!(r.logits.is_empty() && r.psr.is_some());
        // Fewer periods (10) than blocks (16): no PBO.
        let short = sweep(3, 10, 3, 0.0);
        let r = overfitting_report(&short, None, &OverfitOptions::default()).unwrap();
        assert_eq!(r.pbo, None);
        assert!(r.dsr.is_some());
        // Flat series: Sharpe undefined, all derived values None, never NaN.
        let flat = vec![vec![0.0_f32; 40]; 3];
        let r = overfitting_report(
            &flat,
            None,
            &OverfitOptions {
                cscv_blocks: 4,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!((r.sharpe, r.psr, r.min_trl, r.dsr), (None, None, None, None));
        assert_eq!(r.sharpe_variance, Some(0.0));
        assert!(all_finite(&r));
    }

    #[test]
    fn report_input_errors() {
        let ok = sweep(3, 40, 1, 0.0);
        let d = OverfitOptions::default();
        assert_eq!(overfitting_report(&[], None, &d), Err(StatsError::NoCombinations));
        assert_eq!(
            overfitting_report(&ok, Some(3), &d),
            Err(StatsError::BestOutOfRange { index: 3, n: 3 })
        );
        let ragged = vec![vec![0.0; 40], vec![0.0; 39]];
        assert_eq!(
            overfitting_report(&ragged, None, &d),
            Err(StatsError::RaggedReturns {
                index: 1,
                len: 39,
                expected: 40
            })
        );
        let mut inf = ok.clone();
        inf[1][7] = f32::INFINITY;
        assert!(matches!(
            overfitting_report(&inf, None, &d),
            Err(StatsError::NonFiniteReturn {
                combination: 1,
                period: 7,
                ..
            })
        ));
        let bad = |o: OverfitOptions| overfitting_report(&ok, None, &o).unwrap_err();
        assert_eq!(
            bad(OverfitOptions {
                min_trl_confidence: 1.0,
                ..d
            }),
            StatsError::BadConfidence(1.0)
        );
        assert!(matches!(
            bad(OverfitOptions {
                benchmark_sharpe: f64::NAN,
                ..d
            }),
            StatsError::BadBenchmark(_)
        ));
        assert_eq!(
            bad(OverfitOptions {
                n_trials_override: Some(1.0),
                ..d
            }),
            StatsError::BadTrials(1.0)
        );
        assert_eq!(
            bad(OverfitOptions { cscv_blocks: 5, ..d }),
            StatsError::Pbo(PboError::BadBlockCount { blocks: 5 })
        );
    }

    fn close(a: Option<f64>, b: Option<f64>) -> bool {
        match (a, b) {
            (Some(x), Some(y)) => (x - y).abs() <= 1e-12 * (1.0 + x.abs()),
            (None, None) => true,
            _ => false,
        }
    }

    proptest! {
        #[test]
        fn prop_report_invariant_to_combination_order(
            seed in any::<u64>(),
            perm_seed in any::<u64>(),
            n in 2usize..7,
            t in 16usize..80,
            objective in proptest::option::of(0usize..7),
        ) {
            let returns = sweep(n, t, seed, 0.0);
            let objective = objective.map(|o| o % n);
            let perm = Rng::new(perm_seed).permutation(n);
            // permuted[i] = returns[perm[i]]; original index b sits at i with perm[i] = b.
            let permuted: Vec<Vec<f32>> = perm.iter().map(|&p| returns[p].clone()).collect();
            let mapped = objective.map(|b| perm.iter().position(|&p| p == b).unwrap());
            let opts = OverfitOptions { cscv_blocks: 4, ..OverfitOptions::default() };
            let a = overfitting_report(&returns, objective, &opts).unwrap();
            let b = overfitting_report(&permuted, mapped, &opts).unwrap();
            prop_assert_eq!(perm[b.best_index], a.best_index);
            prop_assert_eq!(a.psr, b.psr);
            prop_assert_eq!(a.min_trl, b.min_trl);
            prop_assert!(close(a.sharpe_variance, b.sharpe_variance));
            prop_assert!(close(a.expected_max_sharpe, b.expected_max_sharpe));
            prop_assert!(close(a.dsr, b.dsr));
            prop_assert_eq!(a.pbo, b.pbo);
            prop_assert_eq!(&a.logits, &b.logits);
            prop_assert!(all_finite(&a) && all_finite(&b));
        }
    }
}
