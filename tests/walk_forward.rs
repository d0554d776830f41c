//! `ml4t walk-forward` end to end on the fixture data: the fold table, the JSON (folds, stitched
//! out-of-sample curve and metrics, WFE, drift, account), carried equity, errors name the option.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;

mod common;
use common::ml4t;

fn walk_forward_ok(args: &[&str]) -> std::process::Output {
    let res = ml4t(args);
    assert!(
        res.status.success(),
        "ml4t {args:?} failed: {}",
        String::from_utf8_lossy(&res.stderr)
    );
    res
}

#[test]
fn walk_forward_cli_writes_folds_curve_and_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("wf.json");
    let res = walk_forward_ok(&[
        "walk-forward",
        "--preset",
        "tests/fixtures/presets/S0.ron",
        "--param",
        "entry[0]=0.6:0.9:4",
        "--param",
        "exit[0]=0.2,0.4",
        "--train",
        "2y",
        "--test",
        "6m",
        "--embargo",
        "5",
        "--objective",
        "sharpe",
        "--threads",
        "2",
        "--json",
        json.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&res.stdout);
    assert!(stdout.contains("fresh account per fold"), "{stdout}");
    assert!(stdout.contains("walk-forward efficiency"), "{stdout}");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(doc["account"], "fresh");
    assert_eq!(doc["train"], "2 years");
    assert_eq!(doc["test"], "6 months");
    assert_eq!(doc["embargo"], 5);
    assert_eq!(doc["anchored"], false);
    assert_eq!(doc["objective"], "sharpe");
    let folds = doc["folds"].as_array().unwrap();
    assert!(folds.len() >= 2, "{} folds", folds.len());
    for w in folds.windows(2) {
        // Consecutive test windows; every train window ends before its test window starts.
        assert!(w[0]["test_last_ts"].as_i64() < w[1]["test_first_ts"].as_i64());
    }
    for f in folds {
        assert!(f["train_last_ts"].as_i64() < f["test_first_ts"].as_i64());
        assert!(f["params"]["entry[0]"].is_f64() && f["params"]["exit[0]"].is_f64());
        assert_eq!(f["test_initial_cash"], 100000.0);
        assert!(f["test_trades"].is_u64());
    }
    let oos = &doc["oos"];
    for key in ["total_return", "cagr", "sharpe", "max_drawdown", "final_equity"] {
        assert!(oos["metrics"][key].is_f64(), "oos.metrics.{key}");
    }
    let equity = oos["equity"].as_array().unwrap();
    assert!(!equity.is_empty() && equity.len() <= 5_001);
    assert_eq!(equity[0][0], folds[0]["test_first_ts"]);
    assert_eq!(equity.last().unwrap()[1], oos["metrics"]["final_equity"]);
    assert!(doc.get("wfe").is_some());
    assert_eq!(
        doc["drift"]["entry[0]"]["values"].as_array().unwrap().len(),
        folds.len()
    );
}

#[test]
fn walk_forward_cli_carried_anchored() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("wf.json");
    walk_forward_ok(&[
        "walk-forward",
        "--preset",
        "tests/fixtures/presets/S0.ron",
        "--param",
        "entry[0]=0.7,0.8",
        "--train",
        "500",
        "--test",
        "250",
        "--anchored",
        "--carry-equity",
        "--objective",
        "total_return",
        "--quiet",
        "--json",
        json.to_str().unwrap(),
    ]);
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(doc["account"], "carried");
    assert_eq!(doc["anchored"], true);
    let folds = doc["folds"].as_array().unwrap();
    for w in folds.windows(2) {
        assert_eq!(w[0]["train_first_ts"], w[1]["train_first_ts"]);
        assert_eq!(w[1]["test_initial_cash"], w[0]["test_final_equity"]);
    }
}

#[test]
fn walk_forward_cli_bad_window_names_the_option() {
    let res = ml4t(&[
        "walk-forward",
        "--preset",
        "tests/fixtures/presets/S0.ron",
        "--param",
        "entry[0]=0.7,0.8",
        "--train",
        "2 years",
        "--test",
        "6m",
    ]);
    assert!(!res.status.success());
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(err.contains("train") && err.contains("'2 years'"), "{err}");
}
