//! The `ml4t` binary end to end: fixture presets through `ml4t run` agree with the goldens
//! (also with command-line overrides); errors exit non-zero with a message naming the problem.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

use ml4t_engine::results::compare::compare;
use ml4t_engine::results::json::ResultJson;

mod common;
use common::{golden, ml4t, root};

fn run_json(extra: &[&str], preset: &str) -> (ResultJson, PathBuf) {
    let dir = tempfile::tempdir().unwrap().keep();
    let out = dir.join("out.json");
    let preset = format!("tests/fixtures/presets/{preset}.ron");
    let mut args = vec!["run", "--preset", &preset, "--json", out.to_str().unwrap(), "--quiet"];
    args.extend_from_slice(extra);
    let res = ml4t(&args);
    assert!(
        res.status.success(),
        "ml4t {args:?} failed: {}",
        String::from_utf8_lossy(&res.stderr)
    );
    (
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap(),
        out,
    )
}

fn data_of(s: &str) -> &'static str {
    if s.starts_with("S3") { "syn_2k_5a" } else { "syn_2k" }
}

#[test]
fn cli_fixture_presets_match_goldens() {
    for s in ["S0", "S1", "S2", "S3", "S3C"] {
        let (ours, _) = run_json(&[], s);
        let diffs = compare(&ours, &golden(data_of(s), s));
        assert!(diffs.is_empty(), "{s}: {}", diffs.join("\n"));
        assert!(ours.metrics.is_some());
    }
}

/// The second set of SEMANTICS.md (intrabar exits, shorts, limit entries, rebalancing): `ml4t run` on the
/// fixture presets agrees with backtrader's goldens, exit reasons included, by the Rust port of
/// compare.py and by compare.py itself when python3 is around.
#[test]
fn cli_second_set_presets_match_goldens() {
    for s in ["S4", "S4T", "S5", "S5L", "S6", "S6LS"] {
        let data = if s.starts_with("S6") { "syn_2k_5a" } else { "syn_2k" };
        let (ours, path) = run_json(&["--data", &format!("tests/fixtures/data/{data}.parquet")], s);
        let g = golden(data, s);
        let diffs = compare(&ours, &g);
        assert!(diffs.is_empty(), "{s}: {}", diffs.join("\n"));
        let reasons = ours.trades.iter().filter(|t| t.exit_reason.is_some()).count();
        assert_eq!(reasons, ours.trades.len(), "{s}: every trade has an exit reason");
        assert_eq!(ours.ambiguous_bars, Some(0), "{s}: the fixture has no ambiguous bar");
        let golden_path = root()
            .join("tests/fixtures/expected")
            .join(data)
            .join(format!("{s}.json"));
        if let Ok(r) = Command::new("python3")
            .arg(root().join("tests/fixtures/compare.py"))
            .args([&path, &golden_path])
            .arg("--quiet")
            .output()
        {
            assert!(
                r.status.success(),
                "compare.py {s}: {}",
                String::from_utf8_lossy(&r.stdout)
            );
        }
    }
}

#[test]
fn cli_slippage_override_matches_slip_goldens() {
    for s in ["S0", "S1", "S2", "S3"] {
        let (ours, path) = run_json(&["--slippage-bps", "5"], s);
        let case = format!("{s}_slip5bps");
        let g = golden(data_of(s), &case);
        let diffs = compare(&ours, &g);
        assert!(diffs.is_empty(), "{case}: {}", diffs.join("\n"));
        // compare.py itself, when python3 is around.
        let golden_path = root()
            .join("tests/fixtures/expected")
            .join(data_of(s))
            .join(format!("{case}.json"));
        if let Ok(r) = Command::new("python3")
            .arg(root().join("tests/fixtures/compare.py"))
            .args([&path, &golden_path])
            .arg("--quiet")
            .output()
        {
            assert!(
                r.status.success(),
                "compare.py {case}: {}",
                String::from_utf8_lossy(&r.stdout)
            );
        }
    }
}

#[test]
fn cli_data_override_and_cash_rule() {
    // Same data under another path: same result.
    let (ours, _) = run_json(&["--data", "tests/fixtures/data/syn_2k.parquet"], "S2");
    assert!(compare(&ours, &golden("syn_2k", "S2")).is_empty());
    // The reject rule never shrinks a buy; with 95 % of cash plus commission every capped buy is dropped.
    let (reject, _) = run_json(&["--cash-rule", "reject"], "S3C");
    assert_eq!(reject.cash_rule, "reject");
    assert!(reject.rejected_orders > 0);
}

#[test]
fn cli_out_writes_tables() {
    let dir = tempfile::tempdir().unwrap();
    let res = ml4t(&[
        "run",
        "--preset",
        "tests/fixtures/presets/S1.ron",
        "--out",
        dir.path().to_str().unwrap(),
        "--format",
        "parquet",
        "-q",
    ]);
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    for f in [
        "result.json",
        "summary.txt",
        "trades.parquet",
        "equity.parquet",
        "fills.parquet",
    ] {
        assert!(dir.path().join(f).is_file(), "{f} missing");
    }
}

#[test]
fn cli_errors_name_the_problem() {
    let res = ml4t(&["run", "--preset", "no/such/preset.ron"]);
    assert!(!res.status.success());
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(err.contains("no/such/preset.ron"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.ron");
    std::fs::write(
        &bad,
        "(\n  version: 1,\n  data: (path: \"x.parquet\"),\n  strategy: Rules(entry: [SignalAbov(\"a\", 1.0)]),\n)\n",
    )
    .unwrap();
    let res = ml4t(&["run", "--preset", bad.to_str().unwrap()]);
    assert!(!res.status.success());
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(err.contains("bad.ron") && err.contains("line 4"), "{err}");

    let res = ml4t(&[
        "run",
        "--preset",
        "tests/fixtures/presets/S0.ron",
        "--data",
        "no/such.parquet",
    ]);
    assert!(!res.status.success());
    assert!(String::from_utf8_lossy(&res.stderr).contains("no/such.parquet"));
}

#[test]
fn cli_gen_sample_is_deterministic_and_bench_reports_json() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.parquet");
    let b = dir.path().join("b.parquet");
    for p in [&a, &b] {
        let res = ml4t(&[
            "gen-sample",
            "--out",
            p.to_str().unwrap(),
            "--assets",
            "2",
            "--bars",
            "300",
        ]);
        assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    }
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());

    let res = ml4t(&["bench", "--bars", "3000", "--repeat", "1", "--json"]);
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let v: serde_json::Value = serde_json::from_slice(&res.stdout).unwrap();
    let levels: Vec<&str> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["level"].as_str().unwrap())
        .collect();
    for l in ["1 compiled", "1 interpreted", "2 rust callback", "3 hybrid (1% filter)"] {
        assert!(levels.contains(&l), "{l} missing from {levels:?}");
    }

    // --level and --logic pick single measurements.
    let res = ml4t(&[
        "bench", "--bars", "3000", "--repeat", "1", "--json", "--level", "compiled", "--logic", "S2",
    ]);
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let v: serde_json::Value = serde_json::from_slice(&res.stdout).unwrap();
    let rows: Vec<(&str, &str)> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["level"].as_str().unwrap(), m["logic"].as_str().unwrap()))
        .collect();
    assert_eq!(rows, [("1 compiled", "S2")]);
    let res = ml4t(&["bench", "--level", "fastest"]);
    assert!(!res.status.success());
    assert!(String::from_utf8_lossy(&res.stderr).contains("compiled"));
}

/// `bench --data` measures on a user's file and `bench --preset` a user's preset, engine-only and
/// end to end, each figure with the trade count of the run it times (the golden's, here).
#[test]
fn cli_bench_on_a_users_data_and_preset() {
    let want = golden("syn_2k", "S0").n_trades;
    let results = |args: &[&str]| -> Vec<(String, String, usize)> {
        let res = ml4t(args);
        assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
        let v: serde_json::Value = serde_json::from_slice(&res.stdout).unwrap();
        assert!(v["data"].as_str().unwrap().ends_with("syn_2k.parquet"), "{v}");
        assert_eq!(v["total_bars"], 2000);
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                let s = |k: &str| m[k].as_str().unwrap().to_owned();
                (s("level"), s("scope"), m["trades"].as_u64().unwrap() as usize)
            })
            .collect()
    };
    let data = "tests/fixtures/data/syn_2k.parquet";
    let rows = results(&[
        "bench",
        "--data",
        data,
        "--logic",
        "S0",
        "--level",
        "compiled",
        "--level",
        "end-to-end",
        "--repeat",
        "1",
        "--json",
    ]);
    assert_eq!(
        rows,
        [
            ("1 compiled".into(), "engine".into(), want),
            ("1 compiled".into(), "end-to-end (load)".into(), want)
        ]
    );
    let preset = "tests/fixtures/presets/S0.ron";
    for extra in [&[][..], &["--data", data][..]] {
        let mut args = vec!["bench", "--preset", preset, "--repeat", "1", "--json"];
        args.extend_from_slice(extra);
        assert_eq!(
            results(&args),
            [
                ("preset".into(), "engine".into(), want),
                ("preset".into(), "end-to-end (load)".into(), want)
            ]
        );
    }
    // A file without the columns the built-in logic reads says so and points to --preset.
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("plain.csv");
    std::fs::write(
        &csv,
        "timestamp,open,high,low,close\n2024-01-02,1,1,1,1\n2024-01-03,1,1,1,1\n",
    )
    .unwrap();
    let res = ml4t(&["bench", "--data", csv.to_str().unwrap(), "--repeat", "1"]);
    assert!(!res.status.success());
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(err.contains("ml_pred") && err.contains("--preset"), "{err}");
}

#[test]
fn cli_without_display_points_to_ml4t_run() {
    let res = Command::new(env!("CARGO_BIN_EXE_ml4t"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .current_dir(root())
        .output()
        .unwrap();
    assert!(!res.status.success());
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(err.contains("no display") && err.contains("ml4t run"), "{err}");
}
