#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Presets: shipped files load, validate and (for the reference scenarios) reproduce the goldens;
//! save/load round trips; errors name the file, line, column, field or path; saving is atomic.

use std::fs;
use std::path::{Path, PathBuf};

use ml4t_data::{SampleSpec, load as load_data, sample};
use ml4t_engine::backtest;
use ml4t_engine::results::compare::compare;
use ml4t_engine::results::json::{ResultJson, RunLabel};
use ml4t_engine::strategy::rules::{Rule, SignalStrategy, Sizer};
use ml4t_preset::{CURRENT_VERSION, Preset, PresetError, StrategySpec};
use proptest::prelude::*;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn ron_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    files
}

fn names(files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

/// Names in `dir`, to spot stray temporary files.
fn dir_entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn rules(p: &Preset) -> &SignalStrategy {
    let StrategySpec::Rules(r) = &p.strategy else {
        panic!("a rules preset")
    };
    r
}

fn simple_preset() -> Preset {
    Preset::new(
        "simple",
        "data.parquet",
        SignalStrategy::new()
            .entry(Rule::signal_above("ml_pred", 0.8))
            .exit(Rule::signal_below("ml_pred", 0.4)),
    )
}

fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p
}

#[test]
fn shipped_presets_load_and_validate_against_the_sample() {
    let files = ron_files(&root().join("assets/presets"));
    let expected = [
        "default.ron",
        "hybrid_user_journey.ron",
        "ml_threshold.ron",
        "seed_a1.ron",
        "top_n.ron",
        "user_journey.ron",
    ];
    assert_eq!(names(&files), expected);
    // The bundled sample's layout, generated in memory when sample_data/ is not there.
    let spec = SampleSpec {
        assets: 10,
        ..SampleSpec::default()
    };
    let generated = sample(&spec).unwrap();
    for file in &files {
        let p = ml4t_preset::load(file).unwrap_or_else(|e| panic!("{e}"));
        assert!(!p.name.is_empty() && !p.description.is_empty(), "{}", file.display());
        let data = p.data_path(file);
        assert!(data.ends_with("sample_data/sample.parquet"), "{}", data.display());
        if data.exists() {
            let bars = p.load_data(file).unwrap_or_else(|e| panic!("{e}")).bars;
            p.validate_against(file, bars.signal_names(), bars.assets().len())
                .unwrap_or_else(|e| panic!("{e}"));
        } else {
            let n_assets = p.data.assets.as_ref().map_or(spec.assets, Vec::len);
            p.validate_against(file, generated.signal_names(), n_assets)
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

#[test]
fn default_preset_is_the_documented_one() {
    let p = ml4t_preset::load(&root().join("assets/presets/default.ron")).unwrap();
    let r = rules(&p);
    assert_eq!(
        r.entry,
        [
            Rule::signal_above("ml_pred", 0.75),
            Rule::signal_above("confidence", 0.6)
        ]
    );
    let exit = Rule::any([
        Rule::signal_below("ml_pred", 0.45),
        Rule::stop_loss(0.05),
        Rule::take_profit(0.12),
        Rule::max_holding_bars(20),
    ]);
    assert_eq!(r.exit, [exit]);
    assert_eq!(r.sizer, Sizer::percent_of_equity(0.1));
    assert_eq!(p.data.assets, None);
    assert_eq!(
        (
            p.broker.initial_cash,
            p.broker.commission.percent,
            p.broker.slippage_bps
        ),
        (100_000.0, 0.001, 5.0)
    );
}

/// The reference scenarios as presets give the goldens' trades and final equity.
#[test]
fn fixture_presets_reproduce_the_goldens() {
    let dir = root().join("tests/fixtures/presets");
    let files = ron_files(&dir);
    assert_eq!(
        names(&files),
        [
            "S0.ron",
            "S1.ron",
            "S1_script.ron",
            "S2.ron",
            "S2_script.ron",
            "S3.ron",
            "S3C.ron",
            "S3_script.ron",
            "S4.ron",
            "S4T.ron",
            "S5.ron",
            "S5L.ron",
            "S6.ron",
            "S6LS.ron",
        ]
    );
    for file in &files {
        let p = ml4t_preset::load(file).unwrap_or_else(|e| panic!("{e}"));
        // S2_script.ron is S2 as a script: same golden.
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        let case = stem.trim_end_matches("_script").to_owned();
        let data_path = p.data_path(file);
        let data = data_path.file_stem().unwrap().to_string_lossy().into_owned();
        let bars = load_data(&data_path, &p.load_options().unwrap()).unwrap().bars;
        p.validate_against(file, bars.signal_names(), bars.assets().len())
            .unwrap_or_else(|e| panic!("{e}"));
        let mut strategy = ml4t_preset::run::build_strategy(&p.strategy, &bars, file).unwrap();
        let run = backtest(&bars, &mut strategy, ml4t_preset::run::broker_config(&p)).unwrap();
        let label = RunLabel {
            scenario: case.clone(),
            data: format!("{data}.parquet"),
            seconds: 0.0,
        };
        let ours = ResultJson::from_run(&run, &label, None);
        let golden_path = root().join(format!("tests/fixtures/expected/{data}/{case}.json"));
        let golden: ResultJson = serde_json::from_str(&fs::read_to_string(&golden_path).unwrap()).unwrap();
        assert_eq!(ours.n_trades, golden.n_trades, "{case}");
        let diffs = compare(&ours, &golden);
        assert!(
            diffs.is_empty(),
            "{case} differs from {}:\n{}",
            golden_path.display(),
            diffs.join("\n")
        );
    }
}

#[test]
fn save_then_load_round_trips_every_shipped_preset() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files = ron_files(&root().join("assets/presets"));
    files.extend(ron_files(&root().join("tests/fixtures/presets")));
    for file in files {
        let p = ml4t_preset::load(&file).unwrap();
        let out = tmp.path().join(file.file_name().unwrap());
        ml4t_preset::save(&p, &out).unwrap();
        assert_eq!(ml4t_preset::load(&out).unwrap(), p, "{}", file.display());
    }
}

fn arb_preset() -> impl Strategy<Value = Preset> {
    let time = prop_oneof![
        Just(None),
        Just(Some("2020-01-02".to_owned())),
        Just(Some("2020-01-02 09:30:00".to_owned()))
    ];
    (
        ("[ -~]{0,20}", "(?s).{0,40}", "[a-z_/.]{1,20}"),
        (0.0f64..1.0, 0.01f64..0.5, 0.01f64..1.0),
        (1.0f64..1e9, 0.0f64..0.01, 0.0f64..50.0, any::<bool>()),
        (
            proptest::option::of(proptest::collection::vec("[A-Z0-9]{1,5}", 0..4)),
            time,
            proptest::option::of(1.0f64..400.0),
        ),
    )
        .prop_map(
            |((name, description, path), (x, stop, pct), (cash, comm, slip, short), (assets, start, ppy))| {
                let strategy = SignalStrategy::new()
                    .entry(Rule::signal_above("ml_pred", x))
                    .exit_any([Rule::signal_below("ml_pred", x / 2.0), Rule::stop_loss(stop)])
                    .sizer(Sizer::percent_of_cash(pct));
                let mut p = Preset::new(&name, path, strategy);
                p.description = description;
                p.data.assets = assets;
                p.data.start = start;
                p.broker.initial_cash = cash;
                p.broker.commission.percent = comm;
                p.broker.slippage_bps = slip;
                p.broker.allow_short = short;
                p.metrics.periods_per_year = ppy;
                p
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn prop_save_then_load_is_identity(p in arb_preset()) {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("p.ron");
        ml4t_preset::save(&p, &path).unwrap();
        prop_assert_eq!(ml4t_preset::load(&path).unwrap(), p);
        prop_assert_eq!(dir_entries(tmp.path()), ["p.ron"]);
    }
}

#[test]
fn malformed_ron_names_file_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "(\n    data: (path: \"d.parquet\"),\n    strategy: Rules(\n        entry: [SignalAbove(\"ml_pred\" 0.8)],\n    ),\n)\n";
    let file = write_file(tmp.path(), "bad.ron", text);
    let err = ml4t_preset::load(&file).unwrap_err();
    match &err {
        PresetError::Parse { line, column, .. } => assert_eq!((*line, *column), (4, 39)),
        other => panic!("expected a parse error, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("bad.ron, line 4, column 39") && msg.contains("comma"),
        "{msg}"
    );
}

#[test]
fn newer_version_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let text = format!(
        "(version: {}, data: (path: \"d\"), strategy: Rules(entry: []))",
        CURRENT_VERSION + 1
    );
    let file = write_file(tmp.path(), "new.ron", &text);
    let err = ml4t_preset::load(&file).unwrap_err();
    assert!(
        matches!(
            err,
            PresetError::Version { found, supported, .. }
                if found == CURRENT_VERSION + 1 && supported == CURRENT_VERSION
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("new.ron") && msg.contains("newer ml4t") && msg.contains("upgrade"),
        "{msg}"
    );
}

#[test]
fn unknown_rule_kind_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "(\n    data: (path: \"d\"),\n    strategy: Rules(entry: [SignalAbove(\"ml_pred\", 0.8)], exit: [SellWhenSad]),\n)";
    let file = write_file(tmp.path(), "unknown.ron", text);
    let msg = ml4t_preset::load(&file).unwrap_err().to_string();
    assert!(msg.contains("SellWhenSad") && msg.contains("line 3"), "{msg}");
    assert!(msg.contains("StopLoss"), "the message lists the known kinds: {msg}");
}

#[test]
fn load_of_a_missing_preset_names_it() {
    let msg = ml4t_preset::load(Path::new("/nonexistent/p.ron"))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("/nonexistent/p.ron"), "{msg}");
}

#[test]
fn save_leaves_no_temporary_file() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("p.ron");
    ml4t_preset::save(&simple_preset(), &path).unwrap();
    ml4t_preset::save(&simple_preset(), &path).unwrap();
    assert_eq!(dir_entries(tmp.path()), ["p.ron"]);
    let text = fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with("// ml4t strategy preset") && text.contains("    name: \"simple\",\n"),
        "{text}"
    );
}

#[cfg(unix)]
#[test]
fn save_failure_keeps_the_old_file() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::PermissionsExt;

    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("p.ron");
    ml4t_preset::save(&simple_preset(), &path).unwrap();
    let old = fs::read_to_string(&path).unwrap();

    // Serialisation fails: a data path that is not UTF-8.
    let mut bad = simple_preset();
    bad.data.path = PathBuf::from(OsStr::from_bytes(b"data\xff.parquet"));
    let msg = ml4t_preset::save(&bad, &path).unwrap_err().to_string();
    assert!(msg.contains("data.path") && msg.contains("UTF-8"), "{msg}");
    assert_eq!(fs::read_to_string(&path).unwrap(), old);
    assert_eq!(dir_entries(tmp.path()), ["p.ron"]);

    // The write fails: a directory is in the way.
    let taken = tmp.path().join("taken.ron");
    fs::create_dir(&taken).unwrap();
    assert!(matches!(
        ml4t_preset::save(&simple_preset(), &taken),
        Err(PresetError::Io { .. })
    ));
    assert!(taken.is_dir());
    assert_eq!(dir_entries(tmp.path()), ["p.ron", "taken.ron"]);

    // The write fails: the folder is read-only (not testable as root, who may write anyway).
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o555)).unwrap();
    let root_writes = fs::write(tmp.path().join("probe"), "").is_ok();
    if !root_writes {
        let err = ml4t_preset::save(&simple_preset(), &path).unwrap_err();
        assert!(err.to_string().contains("p.ron"), "{err}");
        assert_eq!(fs::read_to_string(&path).unwrap(), old);
    }
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn missing_data_file_is_reported_with_the_resolved_path() {
    let tmp = tempfile::tempdir().unwrap();
    let mut p = simple_preset();
    p.data.path = PathBuf::from("sub/missing.parquet");
    let file = tmp.path().join("p.ron");
    ml4t_preset::save(&p, &file).unwrap();
    let p = ml4t_preset::load(&file).unwrap();
    let resolved = tmp.path().join("sub/missing.parquet");
    assert_eq!(p.data_path(&file), resolved);

    let msg = p.load_data(&file).unwrap_err().to_string();
    assert!(msg.contains(&*file.to_string_lossy()), "names the preset: {msg}");
    assert!(msg.contains(&*resolved.to_string_lossy()), "names the data path: {msg}");

    let direct = load_data(&p.data_path(&file), &p.load_options().unwrap()).unwrap_err();
    assert!(direct.to_string().contains(&*resolved.to_string_lossy()), "{direct}");
}

#[test]
fn bad_date_in_a_preset_file_names_file_field_and_value() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "(data: (path: \"d\", end: \"2020-13-45\"), strategy: Rules(entry: []))";
    let file = write_file(tmp.path(), "dates.ron", text);
    let msg = ml4t_preset::load(&file).unwrap_err().to_string();
    assert!(
        msg.contains("dates.ron") && msg.contains("data.end") && msg.contains("2020-13-45"),
        "{msg}"
    );
}
