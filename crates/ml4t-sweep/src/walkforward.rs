//! Walk-forward: folds of (train, test) windows over the data's distinct timestamps; per fold a
//! sweep on the train window picks the best combination by the objective, then that combination
//! runs on the test window. The test runs, stitched in time, are the out-of-sample result.
//!
//! Each window is its own [`Bars`] copied out of the data ([`Bars::slice_timestamps`]): a train
//! or test run cannot read a bar outside its window, so a test window never sees data from after
//! it, and the embargo bars between a train and its test window are seen by neither.
//!
//! Folds run in parallel (every fold's combinations in one thread pool, with nested work
//! stealing); results come out in fold order whatever the number of threads. With a fresh
//! account per fold the test runs are independent; with carried equity each test run starts
//! with the previous one's final equity as its cash, so the test runs go one after another
//! (the train sweeps, the bulk of the work, still run in parallel).

use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rayon::prelude::*;

use ml4t_engine::execution::{Fill, Trade};
use ml4t_engine::market::Bars;
use ml4t_engine::results::metrics::{self, Metrics};
use ml4t_engine::results::{EquityCurve, RunResult};
use ml4t_engine::strategy::rules::MaskCache;
use ml4t_engine::types::TimestampNs;
use ml4t_preset::Preset;
use ml4t_stats::walkforward::{WalkForwardSpec, plan_folds, walk_forward_efficiency};

use crate::run::{BufferPool, check_all, run_one, run_preset, thread_pool};
use crate::{Objective, SweepError, SweepOptions, SweepPlan};

/// How to run a walk-forward.
pub struct WalkForwardOptions<'a> {
    /// Train and test lengths, rolling or anchored, embargo bars.
    pub spec: WalkForwardSpec,
    /// Each test run starts with the previous fold's final equity as its cash (the first with
    /// the preset's); otherwise every test run starts with the preset's cash.
    pub carry_equity: bool,
    /// Worker threads; 0 = one per core.
    pub threads: usize,
    /// Called after each finished run (train combinations and test runs) with (done, total);
    /// from worker threads.
    pub progress: Option<&'a (dyn Fn(usize, usize) + Sync)>,
    /// When raised, the walk-forward stops and returns [`SweepError::Cancelled`].
    pub cancel: Option<&'a AtomicBool>,
}

impl WalkForwardOptions<'_> {
    /// `spec` with a fresh account per fold, one thread per core, no progress, no cancel.
    pub fn new(spec: WalkForwardSpec) -> Self {
        WalkForwardOptions {
            spec,
            carry_equity: false,
            threads: 0,
            progress: None,
            cancel: None,
        }
    }
}

/// Where each test run's cash comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Account {
    /// Every test run starts with the preset's initial cash; the stitched curve chains the
    /// folds' returns from it.
    Fresh,
    /// Each test run starts with the previous fold's final equity.
    Carried,
}

impl Account {
    /// `fresh` or `carried`, as in the JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Account::Fresh => "fresh",
            Account::Carried => "carried",
        }
    }
}

/// One fold's windows, choice and results.
#[derive(Debug, Clone, PartialEq)]
pub struct FoldResult {
    /// Train window: indices of distinct timestamps.
    pub train: Range<usize>,
    /// Test window: indices of distinct timestamps.
    pub test: Range<usize>,
    pub train_first_ts: TimestampNs,
    pub train_last_ts: TimestampNs,
    pub test_first_ts: TimestampNs,
    pub test_last_ts: TimestampNs,
    /// The chosen combination (index into the plan's combinations).
    pub combo: usize,
    /// Its values, in the plan's parameter order.
    pub params: Vec<f64>,
    /// The objective of the chosen combination on the train window.
    pub is_value: Option<f64>,
    /// The objective of the chosen combination on the test window.
    pub oos_value: Option<f64>,
    /// Every metric of the chosen combination on the train window.
    pub is_metrics: Metrics,
    /// Every metric of the test run.
    pub oos_metrics: Metrics,
    /// The test run's initial cash.
    pub test_initial_cash: f64,
    /// Closed trades of the test run.
    pub test_trades: usize,
    /// Final equity of the test run (in its own account).
    pub test_final_equity: f64,
}

/// How one parameter's chosen value moves from fold to fold.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamDrift {
    pub path: String,
    /// The chosen value per fold.
    pub values: Vec<f64>,
    pub min: f64,
    pub max: f64,
    /// Sample standard deviation across folds (0 with one fold).
    pub std: f64,
}

/// What a walk-forward produced.
#[derive(Debug, Clone, PartialEq)]
pub struct WalkForwardOutput {
    /// Per fold, in time order.
    pub folds: Vec<FoldResult>,
    /// The swept paths, in the plan's order.
    pub paths: Vec<String>,
    /// Combinations swept per fold.
    pub combos: usize,
    pub account: Account,
    /// The preset's initial cash: where the stitched curve starts.
    pub initial_cash: f64,
    /// The stitched out-of-sample curve: one point per test timestamp.
    pub oos_ts: Vec<i64>,
    pub oos_equity: Vec<f64>,
    /// Metrics of the stitched curve, the trade figures over every test run's trades (with a
    /// fresh account per fold, quantities and money scaled like the fold's equity).
    pub oos_metrics: Metrics,
    /// Mean over folds of the chosen combination's in-sample CAGR.
    pub is_annual_return: f64,
    /// CAGR of the stitched out-of-sample curve.
    pub oos_annual_return: f64,
    /// Walk-forward efficiency: out-of-sample over in-sample annual return (None when the
    /// in-sample return is not positive).
    pub wfe: Option<f64>,
    /// Per parameter, in the plan's order.
    pub drift: Vec<ParamDrift>,
}

/// What phase one (the train sweep) chose for a fold.
struct Chosen {
    row: usize,
    value: Option<f64>,
    metrics: Metrics,
}

/// Runs a walk-forward of `plan` over `bars`: folds planned by `opts.spec` over the distinct
/// timestamps, the best combination of each train window by `objective` run on its test window.
/// `preset_file` is where the preset came from (scripts are found relative to it).
pub fn run_walk_forward(
    preset: &Preset,
    preset_file: &Path,
    bars: &Bars,
    plan: &SweepPlan,
    objective: &Objective,
    opts: &WalkForwardOptions<'_>,
) -> Result<WalkForwardOutput, SweepError> {
    let ts: Vec<i64> = bars.timestamps().map(|t| t.0).collect();
    let folds = plan_folds(&ts, &opts.spec)?;
    let n = plan.combos.len();
    check_all(preset, plan, bars)?;
    let pool = thread_pool(opts.threads)?;
    let total = folds.len() * (n + 1);
    let done = AtomicUsize::new(0);
    let tick = || {
        let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(f) = opts.progress {
            f(finished, total);
        }
    };
    let sweep_opts = SweepOptions {
        threads: opts.threads,
        cancel: opts.cancel,
        ..SweepOptions::default()
    };
    let cancelled = || opts.cancel.is_some_and(|c| c.load(Ordering::Relaxed));

    // Phase one: every fold's train sweep, folds and combinations in one pool.
    let buffers = BufferPool::default();
    let chosen: Vec<Result<Chosen, SweepError>> = pool.install(|| {
        folds
            .par_iter()
            .enumerate()
            .map(|(k, fold)| {
                let train = bars.slice_timestamps(fold.train.clone());
                let cache = MaskCache::new();
                let rows = (0..n)
                    .into_par_iter()
                    // One combination per piece of work, as in a sweep.
                    .with_max_len(1)
                    .map(|i| {
                        if cancelled() {
                            return Ok(None);
                        }
                        let out = run_one(preset, preset_file, &train, plan, i, &cache, &buffers, &sweep_opts);
                        tick();
                        out
                    })
                    .collect::<Result<Vec<_>, SweepError>>()?;
                if rows.iter().any(Option::is_none) {
                    return Err(SweepError::Cancelled);
                }
                let rows: Vec<_> = rows.into_iter().flatten().map(|d| d.row).collect();
                let best = objective
                    .best(rows.iter().map(|r| objective.value(&r.metrics)))
                    .ok_or_else(|| SweepError::NoBest {
                        fold: k,
                        objective: objective.name().to_string(),
                    })?;
                let row = &rows[best];
                Ok(Chosen {
                    row: row.combo,
                    value: objective.value(&row.metrics),
                    metrics: row.metrics.clone(),
                })
            })
            .collect()
    });
    let chosen = chosen.into_iter().collect::<Result<Vec<_>, _>>()?;

    // Phase two: the test runs.
    let test_run = |k: usize, cash: f64| -> Result<RunResult, SweepError> {
        if cancelled() {
            return Err(SweepError::Cancelled);
        }
        let mut p = plan.apply(preset, chosen[k].row)?;
        p.broker.initial_cash = cash;
        let test = bars.slice_timestamps(folds[k].test.clone());
        let out = run_preset(&p, preset_file, &test, &MaskCache::new(), None, opts.cancel)
            .map_err(|source| SweepError::Run {
                params: format!("fold {k} test, {}", plan.describe(chosen[k].row)),
                source,
            })?
            .ok_or(SweepError::Cancelled);
        tick();
        out
    };
    let cash0 = preset.broker.initial_cash;
    let tests: Vec<RunResult> = if opts.carry_equity {
        let mut out = Vec::with_capacity(folds.len());
        let mut cash = cash0;
        for k in 0..folds.len() {
            if !(cash.is_finite() && cash > 0.0) {
                return Err(SweepError::CarriedEquity { fold: k, equity: cash });
            }
            let r = test_run(k, cash)?;
            cash = r.final_equity();
            out.push(r);
        }
        out
    } else {
        pool.install(|| {
            (0..folds.len())
                .into_par_iter()
                .with_max_len(1)
                .map(|k| test_run(k, cash0))
                .collect::<Result<Vec<_>, _>>()
        })?
    };

    // The stitched curve: carried runs already chain; fresh runs are scaled to continue from
    // where the previous fold ended (the same returns, compounded from the initial cash).
    let account = if opts.carry_equity {
        Account::Carried
    } else {
        Account::Fresh
    };
    let points: usize = tests.iter().map(|r| r.equity.len()).sum();
    let mut curve = EquityCurve::with_capacity(points);
    let mut trades = Vec::new();
    let mut fills = Vec::new();
    let mut level = cash0;
    for r in &tests {
        let scale = match account {
            Account::Carried => 1.0,
            Account::Fresh => level / r.initial_cash,
        };
        for p in r.equity.iter() {
            curve.push(p.ts, p.equity * scale, p.cash * scale, p.gross_exposure * scale);
        }
        level = r.equity.last().map_or(level, |p| p.equity * scale);
        // Quantities and money scale with the account; prices and returns do not.
        trades.extend(r.trades.iter().map(|t| Trade {
            qty: t.qty * scale,
            entry_commission: t.entry_commission * scale,
            exit_commission: t.exit_commission * scale,
            pnl_net: t.pnl_net * scale,
            ..*t
        }));
        fills.extend(r.fills.iter().map(|f| Fill {
            qty: f.qty * scale,
            commission: f.commission * scale,
            position_after: f.position_after * scale,
            ..*f
        }));
    }
    let oos_metrics = metrics::compute(cash0, &curve, &trades, &fills, &preset.metrics);

    let fold_results: Vec<FoldResult> = folds
        .iter()
        .zip(&chosen)
        .zip(&tests)
        .map(|((f, c), r)| {
            let m = r.metrics(&preset.metrics);
            let first = |range: &Range<usize>| TimestampNs(ts[range.start]);
            let last = |range: &Range<usize>| TimestampNs(ts[range.end - 1]);
            FoldResult {
                train: f.train.clone(),
                test: f.test.clone(),
                train_first_ts: first(&f.train),
                train_last_ts: last(&f.train),
                test_first_ts: first(&f.test),
                test_last_ts: last(&f.test),
                combo: c.row,
                params: plan.combos[c.row].values.clone(),
                is_value: c.value,
                oos_value: objective.value(&m),
                is_metrics: c.metrics.clone(),
                test_initial_cash: r.initial_cash,
                test_trades: r.trades.len(),
                test_final_equity: r.final_equity(),
                oos_metrics: m,
            }
        })
        .collect();
    let is_annual_return =
        fold_results.iter().map(|f| f.is_metrics.cagr).sum::<f64>() / fold_results.len().max(1) as f64;
    let oos_annual_return = oos_metrics.cagr;
    let paths: Vec<String> = plan.paths.iter().map(|p| p.as_str().to_string()).collect();
    let drift = paths
        .iter()
        .enumerate()
        .map(|(j, path)| drift(path, fold_results.iter().map(|f| f.params[j]).collect()))
        .collect();
    Ok(WalkForwardOutput {
        folds: fold_results,
        paths,
        combos: n,
        account,
        initial_cash: cash0,
        oos_ts: curve.ts(),
        oos_equity: curve.equity(),
        wfe: walk_forward_efficiency(oos_annual_return, is_annual_return),
        oos_metrics,
        is_annual_return,
        oos_annual_return,
        drift,
    })
}

/// Min, max and sample std of one parameter's chosen values.
fn drift(path: &str, values: Vec<f64>) -> ParamDrift {
    let n = values.len();
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let std = if n < 2 {
        0.0
    } else {
        let mean = values.iter().sum::<f64>() / n as f64;
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    };
    ParamDrift {
        path: path.to_string(),
        values,
        min,
        max,
        std,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_hand_computed() {
        // 1, 2, 3: mean 2, sample variance (1 + 0 + 1) / 2 = 1.
        let d = drift("entry[0]", vec![1.0, 3.0, 2.0]);
        assert_eq!((d.min, d.max, d.std), (1.0, 3.0, 1.0));
        assert_eq!(drift("x", vec![0.5]).std, 0.0);
    }
}
