//! Walk-forward end to end on generated bars: no fold sees data after its test window or in its
//! embargo (poisoned bars change nothing), rolling and anchored windows, each fold's choice is
//! the train-window sweep's best, fresh and carried accounts chain the cash, 1 and 2 threads agree.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ops::Range;
use std::path::Path;

use ml4t_engine::market::{BarColumns, Bars};
use ml4t_engine::strategy::rules::{Rule, SignalStrategy, Sizer};
use ml4t_engine::types::AssetId;
use ml4t_preset::Preset;
use ml4t_stats::walkforward::{WalkForwardSpec, WindowMode};
use ml4t_sweep::{
    Account, Objective, SweepDef, SweepOptions, SweepPlan, WalkForwardOptions, WalkForwardOutput, run_sweep,
    run_walk_forward,
};

const DAY_NS: i64 = 86_400_000_000_000;
/// 2024-01-01 00:00 UTC.
const T0_NS: i64 = 19_723 * DAY_NS;

/// A deterministic random walk over `n` consecutive days with `ml_pred` in [0, 1), `assets`
/// assets.
fn bars(n: usize, assets: u32, seed: u64) -> Bars {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut unit = move || {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut c = BarColumns::with_capacity(n * assets as usize, 1);
    let mut px = vec![100.0; assets as usize];
    for t in 0..n {
        for a in 0..assets {
            let p = &mut px[a as usize];
            let open = *p * (1.0 + (unit() - 0.5) * 0.01);
            let close = open * (1.0 + (unit() - 0.5) * 0.04);
            let high = open.max(close) * (1.0 + unit() * 0.01);
            let low = open.min(close) * (1.0 - unit() * 0.01);
            *p = close;
            c.push(
                T0_NS + t as i64 * DAY_NS,
                AssetId(a),
                open,
                high,
                low,
                close,
                1000.0,
                &[unit()],
            );
        }
    }
    let names = (0..assets).map(|a| format!("A{a:03}")).collect();
    Bars::new(names, vec!["ml_pred".into()], c).unwrap()
}

/// `bars` with the timestamps in `ranges` poisoned: prices x1000 and `ml_pred` swinging
/// between 0.99 and 0.01 (every entry and exit fires), timestamps unchanged.
// `row` indexes every column, not just `pred`.
#[allow(clippy::needless_range_loop)]
fn poisoned(bars: &Bars, ranges: &[Range<usize>]) -> Bars {
    let starts = bars.timestamp_starts();
    let mut c = BarColumns::with_capacity(bars.len(), 1);
    let pred = bars.signal_column(bars.signal_id("ml_pred").unwrap());
    for t in 0..bars.n_timestamps() {
        let poison = ranges.iter().any(|r| r.contains(&t));
        for row in starts[t]..starts[t + 1] {
            let (k, s) = if poison {
                (1000.0, if t % 2 == 0 { 0.99 } else { 0.01 })
            } else {
                (1.0, pred[row])
            };
            c.push(
                bars.ts()[row],
                bars.asset_ids()[row],
                bars.open()[row] * k,
                bars.high()[row] * k,
                bars.low()[row] * k,
                bars.close()[row] * k,
                bars.volume()[row],
                &[s],
            );
        }
    }
    Bars::new(bars.assets().to_vec(), bars.signal_names().to_vec(), c).unwrap()
}

fn preset() -> Preset {
    let s = SignalStrategy::new()
        .entry(Rule::signal_above("ml_pred", 0.8))
        .exit(Rule::signal_below("ml_pred", 0.4))
        .sizer(Sizer::fixed_quantity(100.0));
    Preset::new("wf", "unused.parquet", s)
}

fn plan(p: &Preset) -> SweepPlan {
    SweepDef::grid([("entry[0]", "0.6:0.9:4"), ("exit[0]", "0.2,0.4")])
        .plan(p)
        .unwrap()
}

fn spec(train: &str, test: &str, mode: WindowMode, embargo: usize) -> WalkForwardSpec {
    WalkForwardSpec::parse(train, test, mode, embargo).unwrap()
}

fn wf(bars: &Bars, spec: WalkForwardSpec, carry_equity: bool, threads: usize) -> WalkForwardOutput {
    let p = preset();
    let objective = Objective::parse("total_return", true).unwrap();
    let opts = WalkForwardOptions {
        carry_equity,
        threads,
        ..WalkForwardOptions::new(spec)
    };
    run_walk_forward(&p, Path::new("p.ron"), bars, &plan(&p), &objective, &opts).unwrap()
}

/// What a fold reports that depends on its data.
fn fold_key(out: &WalkForwardOutput, k: usize) -> (usize, Vec<f64>, Option<f64>, Option<f64>, usize, u64) {
    let f = &out.folds[k];
    (
        f.combo,
        f.params.clone(),
        f.is_value,
        f.oos_value,
        f.test_trades,
        f.test_final_equity.to_bits(),
    )
}

#[test]
fn walk_forward_poisoned_embargo_and_future_change_nothing() {
    let clean = bars(400, 2, 7);
    let s = spec("120", "60", WindowMode::Rolling, 5);
    let base = wf(&clean, s, false, 2);
    assert!(base.folds.len() >= 3, "{} folds", base.folds.len());
    let n = clean.n_timestamps();
    for k in 0..base.folds.len() {
        let f = &base.folds[k];
        assert_eq!(f.test.start - f.train.end, 5, "fold {k}: embargo");
        // The embargo bars and everything after the test window.
        let dirty = poisoned(&clean, &[f.train.end..f.test.start, f.test.end..n]);
        let out = wf(&dirty, s, false, 2);
        assert_eq!(fold_key(&out, k), fold_key(&base, k), "fold {k} saw poisoned bars");
        assert_eq!(out.folds[k].is_metrics, base.folds[k].is_metrics, "fold {k}");
        assert_eq!(out.folds[k].oos_metrics, base.folds[k].oos_metrics, "fold {k}");
    }
    // The poison is strong enough to show: inside a test window it changes that fold.
    let f = &base.folds[1];
    let dirty = poisoned(&clean, std::slice::from_ref(&f.test));
    let out = wf(&dirty, s, false, 2);
    assert_ne!(fold_key(&out, 1), fold_key(&base, 1));
    // And inside a train window it changes the in-sample figures.
    let dirty = poisoned(&clean, std::slice::from_ref(&f.train));
    let out = wf(&dirty, s, false, 2);
    assert_ne!(out.folds[1].is_metrics, base.folds[1].is_metrics);
}

#[test]
fn walk_forward_rolling_and_anchored_windows_on_daily_bars() {
    let b = bars(60, 1, 3);
    let ranges = |o: &WalkForwardOutput| -> Vec<(Range<usize>, Range<usize>)> {
        o.folds.iter().map(|f| (f.train.clone(), f.test.clone())).collect()
    };
    // Train 20, embargo 2, test 10: tests [22,32) [32,42) [42,52); [52,62) does not fit in 60.
    let rolling = wf(&b, spec("20", "10", WindowMode::Rolling, 2), false, 1);
    assert_eq!(
        ranges(&rolling),
        vec![(0..20, 22..32), (10..30, 32..42), (20..40, 42..52)]
    );
    let anchored = wf(&b, spec("20", "10", WindowMode::Anchored, 2), false, 1);
    assert_eq!(
        ranges(&anchored),
        vec![(0..20, 22..32), (0..30, 32..42), (0..40, 42..52)]
    );
    // Window dates: one bar a day from 2024-01-01.
    let day = |i: usize| T0_NS + i as i64 * DAY_NS;
    let f = &rolling.folds[1];
    assert_eq!(
        (
            f.train_first_ts.0,
            f.train_last_ts.0,
            f.test_first_ts.0,
            f.test_last_ts.0
        ),
        (day(10), day(29), day(32), day(41))
    );
    assert_eq!(anchored.folds[2].train_first_ts.0, day(0));
    // Calendar lengths on consecutive days equal the same bar counts.
    let by_days = wf(&b, spec("20d", "10d", WindowMode::Rolling, 2), false, 1);
    assert_eq!(ranges(&by_days), ranges(&rolling));
    // The stitched curve covers the test windows, one point per timestamp, in order.
    assert_eq!(rolling.oos_ts.len(), 30);
    assert_eq!(rolling.oos_ts[0], day(22));
    assert!(rolling.oos_ts.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn walk_forward_choice_is_the_best_of_the_train_window_sweep() {
    let b = bars(300, 2, 11);
    let p = preset();
    let plan = plan(&p);
    let objective = Objective::parse("total_return", true).unwrap();
    let out = wf(&b, spec("100", "50", WindowMode::Anchored, 3), false, 2);
    for (k, f) in out.folds.iter().enumerate() {
        let train = b.slice_timestamps(f.train.clone());
        let sweep = run_sweep(
            &p,
            Path::new("p.ron"),
            &train,
            &plan,
            &objective,
            &SweepOptions::default(),
        )
        .unwrap();
        let best = &sweep.rows[sweep.best.unwrap()];
        assert_eq!(f.combo, best.combo, "fold {k}");
        assert_eq!(f.is_value, sweep.best_value, "fold {k}");
        // The test run equals a single run of the chosen combination on the test window.
        let test = b.slice_timestamps(f.test.clone());
        let single = ml4t_preset::run::run(
            &plan.apply(&p, f.combo).unwrap(),
            Path::new("p.ron"),
            &test,
            &mut ml4t_engine::Engine::new(),
        )
        .unwrap();
        assert_eq!(
            f.test_final_equity.to_bits(),
            single.final_equity().to_bits(),
            "fold {k}"
        );
        assert_eq!(f.test_trades, single.trades.len(), "fold {k}");
    }
    // Drift lists the chosen values per fold.
    assert_eq!(out.drift.len(), 2);
    assert_eq!(out.drift[0].path, "entry[0]");
    let chosen: Vec<f64> = out.folds.iter().map(|f| f.params[0]).collect();
    assert_eq!(out.drift[0].values, chosen);
    assert!(out.drift[0].min <= out.drift[0].max);
}

#[test]
fn walk_forward_fresh_and_carried_accounts_chain_the_initial_cash() {
    let b = bars(400, 2, 5);
    let s = spec("100", "60", WindowMode::Rolling, 2);
    let cash = preset().broker.initial_cash;

    let fresh = wf(&b, s, false, 2);
    assert_eq!(fresh.account, Account::Fresh);
    assert!(fresh.folds.iter().all(|f| f.test_initial_cash == cash));
    // The stitched curve compounds the folds' returns from the initial cash.
    let chained = fresh
        .folds
        .iter()
        .fold(cash, |level, f| level * f.test_final_equity / cash);
    let last = *fresh.oos_equity.last().unwrap();
    assert!((last - chained).abs() < 1e-6 * cash, "{last} vs {chained}");
    assert!((fresh.oos_metrics.final_equity - chained).abs() < 1e-6 * cash);
    assert!((fresh.oos_metrics.total_return - (chained / cash - 1.0)).abs() < 1e-9);

    let carried = wf(&b, s, true, 2);
    assert_eq!(carried.account, Account::Carried);
    assert_eq!(carried.folds[0].test_initial_cash, cash);
    for w in carried.folds.windows(2) {
        assert_eq!(w[1].test_initial_cash, w[0].test_final_equity);
    }
    let last_fold = carried.folds.last().unwrap();
    assert_eq!(*carried.oos_equity.last().unwrap(), last_fold.test_final_equity);
    assert_eq!(carried.oos_metrics.final_equity, last_fold.test_final_equity);
    // The choices do not depend on the account.
    let combos = |o: &WalkForwardOutput| o.folds.iter().map(|f| f.combo).collect::<Vec<_>>();
    assert_eq!(combos(&carried), combos(&fresh));
    // WFE is OOS CAGR over the mean IS CAGR.
    let is = fresh.folds.iter().map(|f| f.is_metrics.cagr).sum::<f64>() / fresh.folds.len() as f64;
    assert_eq!(fresh.is_annual_return, is);
    assert_eq!(fresh.oos_annual_return, fresh.oos_metrics.cagr);
    if is > 0.0 {
        assert_eq!(fresh.wfe, Some(fresh.oos_metrics.cagr / is));
    } else {
        assert_eq!(fresh.wfe, None);
    }
}

#[test]
fn walk_forward_same_result_with_1_and_2_threads() {
    let b = bars(300, 3, 9);
    let s = spec("80", "40", WindowMode::Rolling, 1);
    assert_eq!(wf(&b, s, false, 1), wf(&b, s, false, 2));
    assert_eq!(wf(&b, s, true, 1), wf(&b, s, true, 2));
}

#[test]
fn walk_forward_errors_name_the_window() {
    let b = bars(50, 1, 1);
    let p = preset();
    let objective = Objective::parse("total_return", true).unwrap();
    let opts = WalkForwardOptions::new(spec("100", "10", WindowMode::Rolling, 0));
    let e = run_walk_forward(&p, Path::new("p.ron"), &b, &plan(&p), &objective, &opts)
        .unwrap_err()
        .to_string();
    assert!(e.contains("train") && e.contains("shorten train"), "{e}");
}
