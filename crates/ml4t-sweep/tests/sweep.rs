//! Sweeps end to end on generated bars: each row equals a single run of its combination (same
//! metrics, final equity to the bit), rows come out in the same order with 1 and 2 threads,
//! cancel keeps the finished rows, masks are built once per distinct threshold.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use proptest::prelude::*;

use ml4t_engine::Engine;
use ml4t_engine::market::{BarColumns, Bars};
use ml4t_engine::strategy::rules::{Cmp, Rule, SignalStrategy, Sizer};
use ml4t_engine::types::AssetId;
use ml4t_preset::Preset;
use ml4t_sweep::path::valid_paths;
use ml4t_sweep::{Objective, SweepDef, SweepOptions, SweepOutput, SweepPlan, run_sweep};

const DAY_NS: i64 = 86_400_000_000_000;

/// A deterministic random walk with `ml_pred` and `confidence` in [0, 1), `assets` assets.
fn bars(n: usize, assets: u32, seed: u64) -> Bars {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut unit = move || {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut c = BarColumns::with_capacity(n * assets as usize, 2);
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
                t as i64 * DAY_NS,
                AssetId(a),
                open,
                high,
                low,
                close,
                1000.0,
                &[unit(), unit()],
            );
        }
    }
    let names = (0..assets).map(|a| format!("A{a:03}")).collect();
    Bars::new(names, vec!["ml_pred".into(), "confidence".into()], c).unwrap()
}

fn s0() -> Preset {
    let s = SignalStrategy::new()
        .entry(Rule::signal_above("ml_pred", 0.8))
        .exit(Rule::signal_below("ml_pred", 0.4))
        .sizer(Sizer::fixed_quantity(100.0));
    Preset::new("s0", "unused.parquet", s)
}

fn sweep(preset: &Preset, bars: &Bars, def: &SweepDef, threads: usize) -> (SweepPlan, SweepOutput) {
    let plan = def.plan(preset).unwrap();
    let opts = SweepOptions {
        threads,
        ..Default::default()
    };
    let objective = Objective::parse("sharpe", true).unwrap();
    let out = run_sweep(preset, Path::new("p.ron"), bars, &plan, &objective, &opts).unwrap();
    (plan, out)
}

/// Every row against `ml4t run`'s path for the same combination.
fn assert_rows_equal_single_runs(preset: &Preset, bars: &Bars, plan: &SweepPlan, out: &SweepOutput) {
    for row in &out.rows {
        let p = plan.apply(preset, row.combo).unwrap();
        let single = ml4t_preset::run::run(&p, Path::new("p.ron"), bars, &mut Engine::new()).unwrap();
        assert_eq!(row.n_trades(), single.trades.len(), "{}", plan.describe(row.combo));
        assert_eq!(
            row.final_equity().to_bits(),
            single.final_equity().to_bits(),
            "{}",
            plan.describe(row.combo)
        );
        assert_eq!(row.metrics, single.metrics(&p.metrics), "{}", plan.describe(row.combo));
    }
}

#[test]
fn sweep_rows_equal_single_runs_on_the_s0_grid() {
    let b = bars(2_000, 1, 1);
    let preset = s0();
    let def = SweepDef::grid([("entry[0]", "0.55:0.95:5"), ("exit[0]", "0.05:0.45:5")]);
    let (plan, out) = sweep(&preset, &b, &def, 2);
    assert_eq!(out.rows.len(), 25);
    assert!(!out.cancelled);
    assert_eq!(
        out.rows.iter().map(|r| r.combo).collect::<Vec<_>>(),
        (0..25).collect::<Vec<_>>()
    );
    assert!(out.rows.iter().any(|r| r.n_trades() > 10));
    assert_rows_equal_single_runs(&preset, &b, &plan, &out);
    // One mask per distinct threshold: 5 entry + 5 exit values, not 2 x 25.
    assert_eq!(out.mask_builds, 10);
    // The best row is the highest Sharpe; its stability is the median of its neighbours.
    let best = out.best.unwrap();
    let top = out
        .rows
        .iter()
        .map(|r| r.metrics.sharpe)
        .fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(out.rows[best].metrics.sharpe, top);
    assert_eq!(out.best_value, Some(top));
    assert!(out.stability.is_some());
}

#[test]
fn sweep_rows_keep_the_same_order_with_1_and_2_threads() {
    let b = bars(1_500, 2, 7);
    let preset = s0();
    let mut def = SweepDef::grid([
        ("entry[0]", "0.6:0.9:4"),
        ("exit[0]", "0.1,0.3,0.5"),
        ("sizer", "10,100"),
    ]);
    def.constraints.push("exit[0] < entry[0]".into());
    let (_, one) = sweep(&preset, &b, &def, 1);
    let (_, two) = sweep(&preset, &b, &def, 2);
    assert_eq!(one, two);
}

#[test]
fn sweep_cancel_keeps_the_finished_rows() {
    let b = bars(1_000, 1, 3);
    let preset = s0();
    let def = SweepDef::grid([("entry[0]", "0.5:0.9:10"), ("exit[0]", "0.1:0.4:4")]);
    let plan = def.plan(&preset).unwrap();
    let cancel = AtomicBool::new(false);
    // Cancel once 5 combinations are done.
    let progress = |done: usize, _total: usize| {
        if done >= 5 {
            cancel.store(true, Ordering::Relaxed);
        }
    };
    let opts = SweepOptions {
        threads: 1,
        progress: Some(&progress),
        cancel: Some(&cancel),
        ..Default::default()
    };
    let objective = Objective::parse("total_return", true).unwrap();
    let out = run_sweep(&preset, Path::new("p.ron"), &b, &plan, &objective, &opts).unwrap();
    assert!(out.cancelled);
    assert_eq!(out.combos, 40);
    assert!(out.rows.len() >= 5 && out.rows.len() < 40, "{} rows", out.rows.len());
    assert_rows_equal_single_runs(&preset, &b, &plan, &out);
    assert!(out.best.is_some());
}

#[test]
fn sweep_keeps_returns_and_reports_overfitting() {
    let b = bars(800, 1, 11);
    let preset = s0();
    let plan = SweepDef::grid([("entry[0]", "0.6:0.9:4"), ("exit[0]", "0.1:0.4:4")])
        .plan(&preset)
        .unwrap();
    let opts = SweepOptions {
        keep_returns: true,
        ..Default::default()
    };
    let objective = Objective::parse("sharpe", true).unwrap();
    let out = run_sweep(&preset, Path::new("p.ron"), &b, &plan, &objective, &opts).unwrap();
    let returns = out.returns.as_ref().unwrap();
    assert_eq!(returns.len(), 16);
    assert!(returns.iter().all(|r| r.len() == 800));
    // The returns compound to the final equity (f32 precision).
    let r = &returns[3];
    let grown = r.iter().fold(100_000.0f64, |e, x| e * (1.0 + f64::from(*x)));
    assert!((grown / out.rows[3].final_equity() - 1.0).abs() < 1e-4);
    let report = out.overfitting.unwrap();
    assert_eq!(report.best_index, out.best.unwrap());
    assert_eq!(report.n_trials, 16.0);
    assert!(report.pbo.is_some_and(|p| (0.0..=1.0).contains(&p)));
    assert_eq!(report.logits.len(), 12_870);
}

#[test]
fn sweep_refuses_an_invalid_combination_before_running() {
    let b = bars(100, 1, 5);
    let preset = s0();
    let plan = SweepDef::grid([("exit[0]", "0.1"), ("sizer", "10,-5")])
        .plan(&preset)
        .unwrap();
    let objective = Objective::parse("sharpe", true).unwrap();
    let e = run_sweep(
        &preset,
        Path::new("p.ron"),
        &b,
        &plan,
        &objective,
        &SweepOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("sizer=-5") && e.contains("positive"), "{e}");
}

/// A random rule set over `ml_pred`, `confidence` and prices, with some position rules.
fn rule_set() -> impl Strategy<Value = SignalStrategy> {
    let entry = prop_oneof![
        (0.5..0.95f64).prop_map(|x| Rule::signal_above("ml_pred", x)),
        (0.05..0.3f64).prop_map(|x| Rule::signal_below("confidence", x)),
        (0.1..0.3f64, 0.6..0.9f64).prop_map(|(lo, hi)| Rule::signal_between("ml_pred", lo, hi)),
        (0.3..0.7f64).prop_map(|x| Rule::cross_above("ml_pred", x)),
        Just(Rule::compare("close", Cmp::Gt, "open")),
    ];
    let exit = prop_oneof![
        (0.05..0.5f64).prop_map(|x| Rule::signal_below("ml_pred", x)),
        (0.02..0.1f64).prop_map(Rule::stop_loss),
        (0.02..0.2f64).prop_map(Rule::take_profit),
        (0.02..0.1f64).prop_map(Rule::trailing_stop),
        (1u32..20).prop_map(Rule::max_holding_bars),
        ((0.05..0.5f64), (0.02..0.1f64))
            .prop_map(|(x, p)| Rule::any([Rule::signal_below("ml_pred", x), Rule::stop_loss(p)])),
    ];
    let sizer = prop_oneof![
        (1.0..200.0f64).prop_map(|q| Sizer::fixed_quantity(q.round())),
        (0.2..0.8f64).prop_map(Sizer::percent_of_cash),
        (0.2..0.8f64).prop_map(Sizer::percent_of_equity),
    ];
    (
        prop::collection::vec(entry, 1..3),
        prop::collection::vec(exit, 0..3),
        sizer,
    )
        .prop_map(|(entry, exit, sizer)| SignalStrategy {
            entry,
            exit,
            sizer,
            ..SignalStrategy::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Random rule sets, random choices of 1 or 2 of their numbers, 2-3 values each around the
    /// rule's own: every row equals the single run of its combination.
    #[test]
    fn prop_sweep_rows_equal_single_runs(
        rules in rule_set(),
        picks in prop::collection::vec((0usize..100, prop::sample::select(vec![0.9, 1.1])), 1..3),
        seed in 0u64..1000,
        assets in 1u32..3,
        threads in 1usize..3,
    ) {
        let b = bars(300, assets, seed);
        let preset = Preset::new("p", "unused.parquet", rules);
        let paths: Vec<String> = valid_paths(&preset)
            .into_iter()
            .filter(|p| !p.starts_with("broker.initial_cash") && !p.starts_with("broker.commission.minimum"))
            .collect();
        let mut params: Vec<(String, String)> = Vec::new();
        for (k, factor) in picks {
            let path = &paths[k % paths.len()];
            if params.iter().any(|(p, _)| p == path) {
                continue;
            }
            let p = ml4t_sweep::ParamPath::parse(path, &preset).unwrap();
            let v = p.get(&preset).unwrap();
            let mut w = v * factor;
            if p.is_integer() {
                w = w.round().max(1.0);
            }
            // Fractions stay fractions (stop-loss, percent sizers).
            if v < 1.0 && w >= 1.0 {
                w = v;
            }
            params.push((path.clone(), format!("{v},{w}")));
        }
        let def = SweepDef { params, ..Default::default() };
        let (plan, out) = sweep(&preset, &b, &def, threads);
        prop_assert_eq!(out.rows.len(), plan.combos.len());
        assert_rows_equal_single_runs(&preset, &b, &plan, &out);
    }
}

#[test]
fn sweep_varies_a_hybrid_filter_and_its_rows_equal_single_runs() {
    use ml4t_preset::{ScriptSource, StrategySpec};
    let b = bars(600, 1, 7);
    let script = "fn on_bar(bar, ctx) {\n  if ctx.position() == 0.0 { if bar.confidence > 0.5 { ctx.buy_percent(0.9); } }\n  else if bar.ml_pred < 0.3 { ctx.close_position(); }\n}\n";
    let mut preset = s0();
    preset.strategy = StrategySpec::Hybrid {
        filter: vec![Rule::any([Rule::signal_above("ml_pred", 0.7), Rule::InPosition])],
        script: ScriptSource {
            source: Some(script.into()),
            ..ScriptSource::default()
        },
    };
    // The filter's threshold is a path like any rule's; the script has no numbers to list.
    assert_eq!(valid_paths(&preset)[0], "filter[0][0]");
    let def = SweepDef::grid([("filter[0][0]", "0.5,0.7,0.9")]);
    let (plan, out) = sweep(&preset, &b, &def, 2);
    assert_eq!(out.rows.len(), 3);
    assert_rows_equal_single_runs(&preset, &b, &plan, &out);
    // A higher bar lets fewer bars through to the script: fewer trades.
    let trades: Vec<usize> = out.rows.iter().map(|r| r.n_trades()).collect();
    assert!(trades[0] > trades[2] && trades[2] > 0, "{trades:?}");
    // A filter path on a rule strategy says what is wrong.
    let err = SweepDef::grid([("filter[0]", "1,2")])
        .plan(&s0())
        .unwrap_err()
        .to_string();
    assert!(err.contains("only a hybrid strategy has filter rules"), "{err}");
}
