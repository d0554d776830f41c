//! Fidelity: the reference scenarios as Rust `Strategy` impls agree with backtrader's goldens
//! (SEMANTICS.md) under compare.py's tolerances, checked by the Rust port of compare.py and,
//! where python3 exists, by compare.py itself.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use ml4t_data::{LoadOptions, load};
use ml4t_engine::backtest;
use ml4t_engine::execution::{BrokerConfig, Commission};
use ml4t_engine::market::Bars;
use ml4t_engine::results::compare::compare;
use ml4t_engine::results::json::{ResultJson, RunLabel};
use ml4t_engine::strategy::Strategy;
use ml4t_engine::strategy::hybrid::{Hybrid, LiveHybrid};
use ml4t_engine::strategy::rebalance::{Rebalance, RebalanceEvery};
use ml4t_engine::strategy::reference::MlThreshold;
use ml4t_engine::strategy::rules::{Direction, EntryOrder, ExitFills, Rule, SignalStrategy, Sizer};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// SEMANTICS.md's scenarios as declarative rules.
fn scenario_rules(id: &str) -> SignalStrategy {
    let s2 = |pct| {
        SignalStrategy::new()
            .entry(Rule::signal_above("ml_pred", 0.8))
            .entry(Rule::signal_above("confidence", 0.7))
            .exit_any([
                Rule::signal_below("ml_pred", 0.4),
                Rule::stop_loss(0.05),
                Rule::take_profit(0.15),
            ])
            .sizer(Sizer::percent_of_cash(pct))
    };
    match id {
        "S0" => SignalStrategy::new()
            .entry(Rule::signal_above("ml_pred", 0.8))
            .exit(Rule::signal_below("ml_pred", 0.4))
            .sizer(Sizer::fixed_quantity(100.0)),
        "S1" => SignalStrategy::new()
            .entry(Rule::signal_above("ml_pred", 0.8))
            .exit_any([Rule::stop_loss(0.05), Rule::take_profit(0.15)])
            .sizer(Sizer::percent_of_cash(0.95)),
        "S2" => s2(0.95),
        "S3" => s2(0.19),
        "S3C" => s2(0.5),
        "S4" => SignalStrategy {
            exit_fills: ExitFills::Intrabar,
            ..SignalStrategy::new()
                .entry(Rule::signal_above("ml_pred", 0.8))
                .exit_any([Rule::stop_loss(0.05), Rule::take_profit(0.15)])
                .sizer(Sizer::percent_of_cash(0.95))
        },
        "S4T" => SignalStrategy {
            exit_fills: ExitFills::Intrabar,
            ..SignalStrategy::new()
                .entry(Rule::signal_above("ml_pred", 0.8))
                .exit(Rule::trailing_stop(0.07))
                .sizer(Sizer::percent_of_cash(0.95))
        },
        "S5" | "S5L" => SignalStrategy {
            direction: Direction::LongShort,
            short_entry: vec![Rule::signal_below("ml_pred", 0.2)],
            short_exit: vec![Rule::signal_above("ml_pred", 0.5)],
            entry_order: if id == "S5L" {
                EntryOrder::Limit {
                    offset: 0.005,
                    valid_bars: 1,
                }
            } else {
                EntryOrder::Market
            },
            ..SignalStrategy::new()
                .entry(Rule::signal_above("ml_pred", 0.8))
                .exit(Rule::signal_below("ml_pred", 0.5))
                .sizer(Sizer::fixed_quantity(100.0))
        },
        _ => unreachable!(),
    }
}

fn check(data: &str, case: &str) {
    let bars = load(&fixtures().join("data").join(data), &LoadOptions::default())
        .expect("fixture loads")
        .bars;
    let scenario = case.split('_').next().unwrap();
    let rules = scenario_rules(scenario);
    check_with(&bars, data, case, &mut MlThreshold::scenario(scenario).unwrap());
    check_with(&bars, data, case, &mut rules.compile(&bars).unwrap());
    // Level 3: the callback only sees bars that could matter to it.
    let filter = [Rule::any([Rule::signal_above("ml_pred", 0.8), Rule::InPosition])];
    let callback = MlThreshold::scenario(scenario).unwrap();
    check_with(
        &bars,
        data,
        case,
        &mut Hybrid::compile(&filter, &bars, callback).unwrap(),
    );
    // The same hybrid as it runs on a live feed (filter interpreted bar by bar).
    let callback = MlThreshold::scenario(scenario).unwrap();
    let mut live = LiveHybrid::new(&filter, bars.signal_names(), bars.assets().len(), callback).unwrap();
    check_with(&bars, data, case, &mut live);
    check_with(
        &bars,
        data,
        case,
        &mut rules.interpret(bars.signal_names(), bars.assets().len()).unwrap(),
    );
}

/// The second set (SEMANTICS.md): compiled and interpreted rules only.
fn check_rules(data: &str, case: &str) {
    let bars = load(&fixtures().join("data").join(data), &LoadOptions::default())
        .expect("fixture loads")
        .bars;
    let rules = scenario_rules(case);
    check_with(&bars, data, case, &mut rules.compile(&bars).unwrap());
    check_with(
        &bars,
        data,
        case,
        &mut rules.interpret(bars.signal_names(), bars.assets().len()).unwrap(),
    );
}

fn check_with(bars: &Bars, data: &str, case: &str, strategy: &mut dyn Strategy) {
    let config = BrokerConfig {
        initial_cash: 100_000.0,
        commission: Commission::percent(0.001),
        slippage_bps: if case.ends_with("_slip5bps") { 5.0 } else { 0.0 },
        allow_short: case.starts_with("S5") || case == "S6LS",
        ..BrokerConfig::default()
    };
    let run = backtest(bars, strategy, config).unwrap();
    let label = RunLabel {
        scenario: case.into(),
        data: data.into(),
        seconds: 0.0,
    };
    let ours = ResultJson::from_run(&run, &label, None);
    let golden_path = fixtures()
        .join("expected")
        .join(data.trim_end_matches(".parquet"))
        .join(format!("{case}.json"));
    let golden: ResultJson = serde_json::from_str(&std::fs::read_to_string(&golden_path).unwrap()).unwrap();
    let diffs = compare(&ours, &golden);
    assert!(
        diffs.is_empty(),
        "{case} on {data} differs from the golden:\n{}",
        diffs.join("\n")
    );

    // The reference checker itself, when a python3 is around.
    let out = std::env::temp_dir().join(format!("ml4t-fidelity-{}-{case}.json", std::process::id()));
    std::fs::write(&out, serde_json::to_string(&ours).unwrap()).unwrap();
    if let Ok(res) = Command::new("python3")
        .arg(fixtures().join("compare.py"))
        .arg(&out)
        .arg(&golden_path)
        .output()
    {
        assert!(
            res.status.success(),
            "compare.py: {}",
            String::from_utf8_lossy(&res.stdout)
        );
    }
    let _ = std::fs::remove_file(out);
}

#[test]
fn fidelity_s0() {
    check("syn_2k.parquet", "S0");
}
#[test]
fn fidelity_s0_slip5bps() {
    check("syn_2k.parquet", "S0_slip5bps");
}
#[test]
fn fidelity_s1() {
    check("syn_2k.parquet", "S1");
}
#[test]
fn fidelity_s1_slip5bps() {
    check("syn_2k.parquet", "S1_slip5bps");
}
#[test]
fn fidelity_s2() {
    check("syn_2k.parquet", "S2");
}
#[test]
fn fidelity_s2_slip5bps() {
    check("syn_2k.parquet", "S2_slip5bps");
}
#[test]
fn fidelity_s3() {
    check("syn_2k_5a.parquet", "S3");
}
#[test]
fn fidelity_s3c() {
    check("syn_2k_5a.parquet", "S3C");
}
#[test]
fn fidelity_s3_slip5bps() {
    check("syn_2k_5a.parquet", "S3_slip5bps");
}
#[test]
fn fidelity_s4() {
    check_rules("syn_2k.parquet", "S4");
}
#[test]
fn fidelity_s4t() {
    check_rules("syn_2k.parquet", "S4T");
}
#[test]
fn fidelity_s5() {
    check_rules("syn_2k.parquet", "S5");
}
#[test]
fn fidelity_s5l() {
    check_rules("syn_2k.parquet", "S5L");
}

/// SEMANTICS.md's rebalancing scenarios S6 and S6LS.
fn check_rebalance(case: &str) {
    let data = "syn_2k_5a.parquet";
    let bars = load(&fixtures().join("data").join(data), &LoadOptions::default())
        .expect("fixture loads")
        .bars;
    let (n_long, w_long, n_short, w_short) = if case == "S6" {
        (2, 0.9, 0, 0.0)
    } else {
        (1, 0.5, 1, 0.5)
    };
    let spec = Rebalance {
        signal: "ml_pred".into(),
        every: RebalanceEvery::Bars(5),
        n_long,
        w_long,
        n_short,
        w_short,
        ..Rebalance::default()
    };
    check_with(&bars, data, case, &mut spec.strategy());
}

#[test]
fn fidelity_s6() {
    check_rebalance("S6");
}
#[test]
fn fidelity_s6ls() {
    check_rebalance("S6LS");
}
