#![allow(clippy::unwrap_used)]

use super::*;
use ml4t_engine::strategy::rules::{Rule, Sizer};

const MINIMAL: &str = r#"(data: (path: "d.parquet"), strategy: Rules(entry: [SignalAbove("ml_pred", 0.8)]))"#;

fn preset_with(start: Option<&str>, end: Option<&str>) -> Preset {
    let mut p = Preset::new(
        "t",
        "d.parquet",
        SignalStrategy::new().entry(Rule::signal_above("s", 0.5)),
    );
    p.data.start = start.map(Into::into);
    p.data.end = end.map(Into::into);
    p
}

#[test]
fn from_str_minimal_preset_gets_defaults() {
    let p = from_str(MINIMAL, Path::new("m.ron")).unwrap();
    assert_eq!(p.version, CURRENT_VERSION);
    assert_eq!(p.name, "");
    assert_eq!(p.data, DataSpec::new("d.parquet"));
    assert_eq!(p.broker, BrokerConfig::default());
    assert_eq!(p.metrics, MetricsOptions::default());
    let rules = p.strategy.rules().unwrap();
    assert_eq!(rules.exit, vec![]);
    assert_eq!(rules.sizer, Sizer::PercentOfCash(0.95));
}

#[test]
fn from_str_partial_sections_keep_their_other_defaults() {
    let text = r#"(
        data: (path: "d.parquet", assets: ["A000"]),
        strategy: Rules(entry: [SignalAbove("ml_pred", 0.8)]),
        broker: (slippage_bps: 5.0),
        metrics: (risk_free_rate: 0.02),
    )"#;
    let p = from_str(text, Path::new("m.ron")).unwrap();
    assert_eq!(p.data.assets, Some(vec!["A000".to_owned()]));
    assert_eq!(p.broker.slippage_bps, 5.0);
    assert_eq!(p.broker.initial_cash, 100_000.0);
    assert_eq!(p.metrics.risk_free_rate, 0.02);
    assert_eq!(p.metrics.periods_per_year, None);
}

#[test]
fn from_str_misspelt_field_is_named() {
    let text = r#"(data: (path: "d.parquet"), strategy: Rules(entry: []), brokr: ())"#;
    let err = from_str(text, Path::new("m.ron")).unwrap_err().to_string();
    assert!(err.contains("brokr") && err.contains("m.ron"), "{err}");
}

#[test]
fn from_str_missing_strategy_is_named() {
    let err = from_str(r#"(data: (path: "d.parquet"))"#, Path::new("m.ron"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("strategy"), "{err}");
}

#[test]
fn from_str_bad_broker_is_refused() {
    let text = r#"(data: (path: "d"), strategy: Rules(entry: []), broker: (initial_cash: -1.0))"#;
    let err = from_str(text, Path::new("m.ron")).unwrap_err().to_string();
    assert!(err.contains("m.ron") && err.contains("initial_cash"), "{err}");
}

#[test]
fn data_path_resolves_against_the_preset_folder() {
    let p = preset_with(None, None);
    assert_eq!(
        p.data_path(Path::new("/x/presets/p.ron")),
        Path::new("/x/presets/d.parquet")
    );
    assert_eq!(p.data_path(Path::new("p.ron")), Path::new("d.parquet"));
    let mut abs = p.clone();
    abs.data.path = PathBuf::from("/data/d.parquet");
    assert_eq!(abs.data_path(Path::new("/x/p.ron")), Path::new("/data/d.parquet"));
}

#[test]
fn load_options_parses_the_range() {
    let p = preset_with(Some("2020-01-02"), Some("2020-01-03"));
    let o = p.load_options().unwrap();
    assert_eq!(o.start, TimestampNs::parse("2020-01-02"));
    // A bare end date keeps that whole day.
    assert_eq!(o.end, TimestampNs::parse("2020-01-03T23:59:59.999999999"));
    let p = preset_with(None, Some("2020-01-03 12:00"));
    assert_eq!(p.load_options().unwrap().end, TimestampNs::parse("2020-01-03T12:00:00"));
}

#[test]
fn load_options_bad_time_names_field_and_value() {
    let err = preset_with(Some("last tuesday"), None)
        .load_options()
        .unwrap_err()
        .to_string();
    assert!(err.contains("data.start") && err.contains("last tuesday"), "{err}");
    assert!(err.starts_with("preset: "), "{err}");
}

#[test]
fn load_options_start_after_end_is_refused() {
    let err = preset_with(Some("2021-01-01"), Some("2020-01-01"))
        .load_options()
        .unwrap_err()
        .to_string();
    assert!(err.contains("after data.end"), "{err}");
}

#[test]
fn validate_against_names_the_preset_file() {
    let p = preset_with(None, None);
    let ok = p.validate_against(Path::new("p.ron"), &["s".to_owned()], 1);
    assert!(ok.is_ok());
    let err = p
        .validate_against(Path::new("p.ron"), &["t".to_owned()], 1)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("p.ron: field 'strategy'") && err.contains("unknown column 's'"),
        "{err}"
    );
    let mut bad = p.clone();
    bad.broker.slippage_bps = -1.0;
    let err = bad
        .validate_against(Path::new("p.ron"), &["s".to_owned()], 1)
        .unwrap_err();
    assert!(err.to_string().contains("slippage_bps"), "{err}");
}

#[test]
fn save_writes_the_current_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.ron");
    let mut p = preset_with(None, None);
    p.version = 0;
    save(&p, &path).unwrap();
    assert_eq!(load(&path).unwrap().version, CURRENT_VERSION);
}

#[test]
fn module_doc_example_reads() {
    let doc: String = include_str!("lib.rs")
        .lines()
        .skip_while(|l| !l.starts_with("//! ```ron"))
        .skip(1)
        .take_while(|l| !l.starts_with("//! ```"))
        .map(|l| format!("{}\n", l.trim_start_matches("//!")))
        .collect();
    let p = from_str(&doc, Path::new("doc.ron")).unwrap();
    assert_eq!(p.strategy.rules().unwrap().entry.len(), 1);
}

#[test]
fn version_1_preset_loads_without_a_sweep() {
    let text = r#"(version: 1, data: (path: "d.parquet"), strategy: Rules(entry: [SignalAbove("ml_pred", 0.8)]))"#;
    let p = from_str(text, Path::new("old.ron")).unwrap();
    assert_eq!(p.version, CURRENT_VERSION);
    assert_eq!(p.sweep, None);
}

#[test]
fn preset_with_a_sweep_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sweep.ron");
    let mut p = preset_with(None, None);
    p.sweep = Some(SweepSpec {
        params: vec![
            SweepParam {
                path: "entry[0]".into(),
                values: "0.55:0.95:10".into(),
            },
            SweepParam {
                path: "broker.slippage_bps".into(),
                values: "0,5,10".into(),
            },
        ],
        constraints: vec!["exit[0] < entry[0]".into()],
        objective: "total_return".into(),
        maximize: false,
        random: Some(RandomSampling { samples: 20, seed: 7 }),
    });
    save(&p, &path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("version: 2"), "{text}");
    assert_eq!(load(&path).unwrap(), p);
    // Without a sweep, nothing about sweeps is written.
    p.sweep = None;
    save(&p, &path).unwrap();
    assert!(!std::fs::read_to_string(&path).unwrap().contains("sweep"));
}

#[test]
fn sweep_section_defaults_and_unknown_fields() {
    let text = r#"(data: (path: "d.parquet"), strategy: Rules(entry: [SignalAbove("ml_pred", 0.8)]),
        sweep: (params: [(path: "entry[0]", values: "0.6,0.7")]))"#;
    let s = from_str(text, Path::new("m.ron")).unwrap().sweep.unwrap();
    assert_eq!(s.objective, "sharpe");
    assert!(s.maximize);
    assert_eq!(s.params.len(), 1);
    let bad = r#"(data: (path: "d.parquet"), strategy: Rules(entry: []), sweep: (paramz: []))"#;
    assert!(from_str(bad, Path::new("m.ron")).is_err());
}
