//! The workbench driven headless with egui_kittest (no GPU): widgets found by label, clicked,
//! frames stepped; assertions on app state.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ml4t_backtest::app::{Command, DataView, Persisted, Workbench};
use ml4t_backtest::data::{LoadedData, SampleFreq, SampleSpec, sample, signal_stats};

fn harness(dir: &std::path::Path) -> Harness<'static, Workbench> {
    let app = Workbench::with_sample_dir(Persisted::default(), Arc::new(|| {}), dir.to_path_buf());
    Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_ui_state(|ui, app: &mut Workbench| app.frame_ui(ui), app)
}

/// Steps frames until `done` holds (background jobs finish on their own threads).
fn step_until(h: &mut Harness<'static, Workbench>, what: &str, done: impl Fn(&Workbench) -> bool) {
    let start = Instant::now();
    while !done(h.state()) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    h.step();
}

fn idle(app: &Workbench) -> bool {
    !app.busy() && app.run_at.is_none() && app.commands.is_empty()
}

#[test]
fn gui_starts_on_the_sample_with_results() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    step_until(&mut h, "the first run", |a| a.run.is_some() && idle(a));
    let app = h.state();
    let run = app.run.as_ref().unwrap();
    assert!(run.result.trades.len() > 100, "the default preset trades on the sample");
    assert_eq!(run.bars.assets().len(), 10);
    assert!(app.error.is_none() && app.invalid.is_none());
    assert!(app.title().contains("built-in"));
    h.get_by_label("Run (F5)");
}

#[test]
fn gui_corrupt_parquet_shows_error_and_keeps_results() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    step_until(&mut h, "the first run", |a| a.run.is_some() && idle(a));
    let trades = h.state().run.as_ref().unwrap().result.trades.len();
    let bad = dir.path().join("corrupt.parquet");
    std::fs::write(&bad, b"PAR1 this is not parquet at all").unwrap();
    // Through the path field and the Load button, as a user without a file dialog would.
    h.state_mut().data_path_field = bad.display().to_string();
    h.get_by_label("Load").click();
    h.step();
    step_until(&mut h, "the failed load", idle);
    let app = h.state();
    let err = app.error.as_deref().unwrap_or_default();
    assert!(
        err.contains("corrupt.parquet") && err.contains("keeping the previous data"),
        "{err}"
    );
    assert_eq!(
        app.run.as_ref().unwrap().result.trades.len(),
        trades,
        "previous results stay"
    );
    assert_eq!(
        app.data.as_ref().unwrap().bars.assets().len(),
        10,
        "previous data stays"
    );
}

#[test]
fn gui_save_preset_and_load_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    step_until(&mut h, "the first run", |a| a.run.is_some() && idle(a));
    let before = h.state().preset.clone();
    let path = dir.path().join("saved.ron");
    h.state_mut().commands.push(Command::SavePresetAs(path.clone()));
    h.step();
    assert!(path.is_file());
    assert!(!h.state().dirty);
    assert!(h.state().title().contains("saved.ron"));
    h.state_mut().commands.push(Command::OpenPreset(path.clone()));
    step_until(&mut h, "the reload", |a| idle(a) && a.run.is_some());
    let after = &h.state().preset;
    assert_eq!(after.strategy, before.strategy);
    assert_eq!(after.broker, before.broker);
    assert_eq!(after.name, before.name);
    // The data path is stored relative to the preset and resolves to the same file.
    assert_eq!(
        std::fs::canonicalize(h.state().data_path()).unwrap(),
        std::fs::canonicalize(&before.data.path).unwrap()
    );
}

#[test]
fn gui_cancel_stops_a_long_run() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    step_until(&mut h, "the first run", |a| a.run.is_some() && idle(a));
    let first = h.state().run.as_ref().unwrap().result.trades.len();
    // Swap in a large in-memory data set (3M minute bars) with the same signals.
    let spec = SampleSpec {
        bars: 3_000_000,
        freq: SampleFreq::Every {
            step_ns: 60_000_000_000,
        },
        ..SampleSpec::default()
    };
    let bars = sample(&spec).unwrap();
    let signals = signal_stats(&bars);
    let loaded = LoadedData {
        bars: bars.clone(),
        path: PathBuf::from("big.parquet"),
        files: vec![],
        has_volume: true,
        mapping_used: Default::default(),
        load_ms: 0.0,
    };
    h.state_mut().data = Some(DataView {
        loaded,
        bars: Arc::new(bars),
        signals,
        schema: None,
    });
    h.state_mut().commands.push(Command::Run);
    h.step();
    assert!(h.state().run_task.is_some(), "the run started");
    h.state_mut().commands.push(Command::Cancel);
    h.step();
    step_until(&mut h, "the cancelled run", idle);
    let app = h.state();
    assert_eq!(
        app.run.as_ref().unwrap().result.trades.len(),
        first,
        "a cancelled run keeps the old results"
    );
    assert!(
        app.log.entries().any(|e| e.text.contains("cancelled")),
        "the log says so"
    );
}

#[test]
fn gui_adding_an_entry_rule_and_running_changes_the_trades() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    step_until(&mut h, "the first run", |a| a.run.is_some() && idle(a));
    let before = h.state().run.as_ref().unwrap().result.trades.len();
    let click = |h: &mut Harness<'static, Workbench>, label: &str| {
        h.get_by_label(label).click();
        h.step();
        h.step();
    };
    click(&mut h, "Rules");
    click(&mut h, "Add entry rule");
    assert_eq!(h.state().preset.strategy.rules().unwrap().entry.len(), 3);
    // The new row: momentum > 0.05 (only strong 20-bar trends may enter).
    click(&mut h, "entry rule 3 column");
    click(&mut h, "momentum");
    h.get_by_label("entry rule 3 threshold").click();
    h.step();
    h.get_by_label("entry rule 3 threshold").type_text("0.05");
    h.key_press(egui::Key::Enter);
    h.step();
    let rules = h.state().preset.strategy.rules().unwrap().clone();
    assert_eq!(
        rules.entry[2],
        ml4t_backtest::engine::strategy::rules::Rule::signal_above("momentum", 0.05)
    );
    assert!(h.state().dirty, "an edit marks the preset unsaved");
    assert!(h.state().title().contains(" *"));
    h.key_press(egui::Key::F5);
    step_until(&mut h, "the second run", |a| {
        idle(a) && a.run.as_ref().is_some_and(|r| r.result.trades.len() != before)
    });
    let after = h.state().run.as_ref().unwrap().result.trades.len();
    assert!(after < before, "a stricter entry trades less: {after} vs {before}");
}

#[test]
fn gui_results_fit_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    step_until(&mut h, "the first run", |a| a.run.is_some() && idle(a));
    for _ in 0..3 {
        h.step();
    }
    for label in ["Total return", "Exposure", "Run (F5)"] {
        let node = h.get_by_label(label);
        let r = node.rect();
        assert!(
            r.max.x <= 1400.0,
            "{label} ends at x = {} beyond the 1400 px window",
            r.max.x
        );
    }
}

#[test]
fn gui_hot_reload_reruns_on_new_data_and_survives_a_half_written_file() {
    use ml4t_backtest::data::write_parquet;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("predictions.parquet");
    write_parquet(
        &sample(&SampleSpec {
            assets: 3,
            bars: 600,
            ..SampleSpec::default()
        })
        .unwrap(),
        &data,
    )
    .unwrap();
    let mut h = harness(dir.path());
    step_until(&mut h, "the first run", |a| a.run.is_some() && idle(a));
    h.state_mut().commands.push(Command::OpenData(data.clone()));
    step_until(&mut h, "the run on our file", |a| {
        idle(a) && a.run.as_ref().is_some_and(|r| r.bars.assets().len() == 3)
    });
    // A retrained model rewrites the predictions (atomically, as write_parquet does).
    write_parquet(
        &sample(&SampleSpec {
            assets: 4,
            bars: 600,
            seed: 7,
            ..SampleSpec::default()
        })
        .unwrap(),
        &data,
    )
    .unwrap();
    step_until(&mut h, "the hot reload", |a| {
        idle(a) && a.run.as_ref().is_some_and(|r| r.bars.assets().len() == 4)
    });
    let trades = h.state().run.as_ref().unwrap().result.trades.len();
    // A half-written file: error banner, previous data and results stay.
    std::fs::write(&data, b"PAR1\0\0half").unwrap();
    step_until(&mut h, "the failed reload", |a| idle(a) && a.error.is_some());
    let app = h.state();
    assert!(app.error.as_deref().unwrap().contains("predictions.parquet"));
    assert_eq!(app.run.as_ref().unwrap().result.trades.len(), trades);
    assert_eq!(app.data.as_ref().unwrap().bars.assets().len(), 4);
}
