//! `ml4t sweep` end to end on the fixture data: the JSON, CSV and returns files; the S0 cell of
//! the grid agrees with the S0 golden; a preset's own sweep section; errors name the path.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;

mod common;
use common::{golden, ml4t, root};

fn sweep_ok(args: &[&str]) -> std::process::Output {
    let res = ml4t(args);
    assert!(
        res.status.success(),
        "ml4t {args:?} failed: {}",
        String::from_utf8_lossy(&res.stderr)
    );
    res
}

#[test]
fn sweep_cli_writes_rows_and_the_s0_cell_matches_the_golden() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("sweep.json");
    let csv = dir.path().join("sweep.csv");
    let returns = dir.path().join("returns.parquet");
    sweep_ok(&[
        "sweep",
        "--preset",
        "tests/fixtures/presets/S0.ron",
        "--param",
        "entry[0]=0.6:0.9:4",
        "--param",
        "exit[0]=0.2,0.4",
        "--objective",
        "total_return",
        "--threads",
        "2",
        "--json",
        json.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
        "--returns",
        returns.to_str().unwrap(),
        "--quiet",
    ]);
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(doc["combos"], 8);
    assert_eq!(doc["bars"], 2000);
    assert!(doc["seconds"].as_f64().unwrap() > 0.0);
    assert_eq!(doc["objective"], "total_return");
    assert_eq!(doc["maximize"], true);
    let rows = doc["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 8);
    // Rows in grid order, params keyed by the paths as given, every metric present.
    assert_eq!(rows[0]["params"]["entry[0]"], 0.6);
    assert_eq!(rows[0]["params"]["exit[0]"], 0.2);
    assert_eq!(rows[5]["params"]["entry[0]"], 0.8);
    assert_eq!(rows[5]["params"]["exit[0]"], 0.4);
    for key in [
        "final_equity",
        "n_trades",
        "sharpe",
        "max_drawdown",
        "win_rate",
        "commission_total",
    ] {
        assert!(rows[3].get(key).is_some(), "row lacks {key}");
    }
    // entry 0.8 / exit 0.4 is S0 itself.
    let g = golden("syn_2k", "S0");
    assert_eq!(rows[5]["n_trades"].as_u64().unwrap() as usize, g.n_trades);
    let fe = rows[5]["final_equity"].as_f64().unwrap();
    assert!((fe / g.final_equity - 1.0).abs() < 1e-9, "{fe} vs {}", g.final_equity);
    // The best is the highest total return.
    let top = rows
        .iter()
        .map(|r| r["total_return"].as_f64().unwrap())
        .fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(doc["best"]["total_return"].as_f64().unwrap(), top);
    assert!(doc["stability"].is_number());
    // Returns were kept: the overfitting statistics are there.
    let o = &doc["overfitting"];
    for key in [
        "psr",
        "dsr",
        "pbo",
        "min_trl",
        "n_trials",
        "sharpe_variance",
        "cscv_blocks",
        "logits",
    ] {
        assert!(o.get(key).is_some(), "overfitting lacks {key}");
    }
    assert_eq!(o["n_trials"], 8.0);
    assert_eq!(o["logits"].as_array().unwrap().len(), 12_870);

    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("combo,entry[0],exit[0],"), "{header}");
    assert!(header.contains("final_equity") && header.contains("n_trades"));
    assert_eq!(lines.count(), 8);

    use polars::prelude::{ParquetReader, SerReader};
    let df = ParquetReader::new(std::fs::File::open(&returns).unwrap())
        .finish()
        .unwrap();
    assert_eq!(df.shape(), (2000, 9));
    let side: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("returns.params.json")).unwrap()).unwrap();
    assert_eq!(side["columns"][5]["column"], "c5");
    assert_eq!(side["columns"][5]["params"]["exit[0]"], 0.4);
}

#[test]
fn sweep_cli_runs_the_presets_own_sweep_section() {
    let dir = tempfile::tempdir().unwrap();
    let data = root().join("tests/fixtures/data/syn_2k.parquet");
    let preset = dir.path().join("s0_sweep.ron");
    std::fs::write(
        &preset,
        format!(
            "(version: 2, data: (path: {data:?}),
              strategy: Rules(entry: [SignalAbove(\"ml_pred\", 0.8)], exit: [SignalBelow(\"ml_pred\", 0.4)], sizer: FixedQuantity(100.0)),
              sweep: (params: [(path: \"entry[0]\", values: \"0.7,0.8\"), (path: \"exit[0]\", values: \"0.3:0.5:3\")],
                      constraints: [\"exit[0] < entry[0]\"], objective: \"max_drawdown\", maximize: true))"
        ),
    )
    .unwrap();
    let json = dir.path().join("out.json");
    let res = sweep_ok(&[
        "sweep",
        "--preset",
        preset.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&res.stdout);
    assert!(stdout.contains("best by max_drawdown"), "{stdout}");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(doc["combos"], 6);
    assert_eq!(doc["objective"], "max_drawdown");
    assert!(doc.get("overfitting").is_none());
}

#[test]
fn sweep_cli_wrong_path_lists_the_valid_paths() {
    let res = ml4t(&[
        "sweep",
        "--preset",
        "tests/fixtures/presets/S2.ron",
        "--param",
        "exit[0]=0.1,0.2",
        "--quiet",
    ]);
    assert!(!res.status.success());
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(err.contains("exit[0]") && err.contains("is a group"), "{err}");
    assert!(
        err.contains("valid paths: entry[0], entry[1], exit[0][0], exit[0][1], exit[0][2], sizer"),
        "{err}"
    );
    let res = ml4t(&[
        "sweep",
        "--preset",
        "tests/fixtures/presets/S0.ron",
        "--param",
        "entry[0]",
        "--quiet",
    ]);
    assert!(!res.status.success());
    assert!(String::from_utf8_lossy(&res.stderr).contains("PATH=SPEC"));
}

#[test]
fn sweep_cli_sweeps_a_portfolio_and_its_s6_cell_matches_the_golden() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("sweep.json");
    sweep_ok(&[
        "sweep",
        "--preset",
        "tests/fixtures/presets/S6.ron",
        "--param",
        "portfolio.n_long=1:3:3",
        "--param",
        "portfolio.every=5,10",
        "--threads",
        "2",
        "--json",
        json.to_str().unwrap(),
        "--quiet",
    ]);
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let rows = doc["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 6);
    // n_long 2, every 5 bars is S6 itself.
    let cell = rows
        .iter()
        .find(|r| r["params"]["portfolio.n_long"] == 2.0 && r["params"]["portfolio.every"] == 5.0)
        .expect("the S6 cell");
    let g = golden("syn_2k_5a", "S6");
    let fe = cell["final_equity"].as_f64().unwrap();
    assert!((fe / g.final_equity - 1.0).abs() < 1e-9, "{fe} vs {}", g.final_equity);
    assert_eq!(cell["n_trades"].as_u64().unwrap() as usize, g.n_trades);
    // The settings matter: other cells end elsewhere.
    assert!(rows.iter().any(|r| r["final_equity"].as_f64().unwrap() != fe));
}
