//! The workbench driven headless with egui_kittest (no GPU): widgets found by label, clicked,
//! frames stepped; assertions on app state.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ml4t_backtest::app::{Command, DataView, Persisted, Workbench};
use ml4t_data::{LoadedData, SampleFreq, SampleSpec, sample, signal_stats};

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
    app.idle()
}

#[test]
fn gui_starts_on_the_sample_with_results() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    step_until(&mut h, "the first run", |a| a.run().is_some() && idle(a));
    let app = h.state();
    let run = app.run().unwrap();
    assert!(run.result.trades.len() > 100, "the default preset trades on the sample");
    assert_eq!(run.bars.assets().len(), 10);
    assert!(app.error().is_none() && app.invalid().is_none());
    assert!(app.title().contains("built-in"));
    // The frame that drew the result logged how long the run took to reach the screen.
    let latency = app.last_latency_ms().expect("the redraw latency was measured");
    assert!(
        latency >= run.elapsed_ms,
        "{latency} ms covers the engine's {} ms",
        run.elapsed_ms
    );
    assert!(app.log().entries().any(|e| e.text.starts_with("run to redrawn plots")));
    h.get_by_label("Run (F5)");
}

#[test]
fn gui_corrupt_parquet_shows_error_and_keeps_results() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    step_until(&mut h, "the first run", |a| a.run().is_some() && idle(a));
    let trades = h.state().run().unwrap().result.trades.len();
    let bad = dir.path().join("corrupt.parquet");
    std::fs::write(&bad, b"PAR1 this is not parquet at all").unwrap();
    // Through the path field and the Load button, as a user without a file dialog would.
    h.state_mut().type_data_path(&bad.display().to_string());
    h.get_by_label("Load").click();
    h.step();
    step_until(&mut h, "the failed load", idle);
    let app = h.state();
    let err = app.error().unwrap_or_default();
    assert!(
        err.contains("corrupt.parquet") && err.contains("keeping the previous data"),
        "{err}"
    );
    assert_eq!(app.run().unwrap().result.trades.len(), trades, "previous results stay");
    assert_eq!(app.data().unwrap().bars.assets().len(), 10, "previous data stays");
}

#[test]
fn gui_cancel_load_keeps_the_previous_data() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    step_until(&mut h, "the first run", |a| a.run().is_some() && idle(a));
    let trades = h.state().run().unwrap().result.trades.len();
    // A file big enough that a debug build spends a while reading it.
    let big = dir.path().join("big.csv");
    let mut csv = String::from("timestamp,open,high,low,close,volume,ml_pred\n");
    for i in 0..400_000u64 {
        let p = 100.0 + (i % 97) as f64 * 0.01;
        csv.push_str(&format!(
            "{},{p},{},{},{p},1000,{}\n",
            1_600_000_000 + i * 60,
            p + 0.5,
            p - 0.5,
            (i % 10) as f64 / 10.0
        ));
    }
    std::fs::write(&big, csv).unwrap();
    h.state_mut().type_data_path(&big.display().to_string());
    h.get_by_label("Load").click();
    h.step();
    h.step();
    assert!(h.state().loading(), "the load is under way");
    h.get_by_label("Cancel load").click();
    // The click is a command, applied at the next frame: two frames, neither waiting for the reader.
    let started = Instant::now();
    h.step();
    h.step();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "cancelling did not wait for the reader"
    );
    assert!(!h.state().loading(), "the load was dropped");
    step_until(&mut h, "idle after the cancel", idle);
    // Give the detached reader time to finish: its result must go nowhere.
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..5 {
        h.step();
    }
    let app = h.state();
    assert_eq!(app.data().unwrap().bars.assets().len(), 10, "the sample stays loaded");
    assert_eq!(app.run().unwrap().result.trades.len(), trades, "previous results stay");
    assert!(app.error().is_none(), "{:?}", app.error());
    assert!(
        app.log().entries().any(|e| e.text.contains("loading cancelled")),
        "the log says the load was cancelled"
    );
}

#[test]
fn gui_save_preset_and_load_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    step_until(&mut h, "the first run", |a| a.run().is_some() && idle(a));
    let before = h.state().preset().clone();
    let path = dir.path().join("saved.ron");
    h.state_mut().push(Command::SavePresetAs(path.clone()));
    h.step();
    assert!(path.is_file());
    assert!(!h.state().dirty());
    assert!(h.state().title().contains("saved.ron"));
    h.state_mut().push(Command::OpenPreset(path.clone()));
    step_until(&mut h, "the reload", |a| idle(a) && a.run().is_some());
    let after = &h.state().preset();
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
    step_until(&mut h, "the first run", |a| a.run().is_some() && idle(a));
    let first = h.state().run().unwrap().result.trades.len();
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
    h.state_mut().set_data(DataView {
        loaded,
        bars: Arc::new(bars),
        signals,
        schema: None,
    });
    h.state_mut().push(Command::Run);
    h.step();
    assert!(h.state().running(), "the run started");
    h.state_mut().push(Command::Cancel);
    h.step();
    step_until(&mut h, "the cancelled run", idle);
    let app = h.state();
    assert_eq!(
        app.run().unwrap().result.trades.len(),
        first,
        "a cancelled run keeps the old results"
    );
    assert!(
        app.log().entries().any(|e| e.text.contains("cancelled")),
        "the log says so"
    );
}

#[test]
fn gui_adding_an_entry_rule_and_running_changes_the_trades() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    step_until(&mut h, "the first run", |a| a.run().is_some() && idle(a));
    let before = h.state().run().unwrap().result.trades.len();
    let click = |h: &mut Harness<'static, Workbench>, label: &str| {
        h.get_by_label(label).click();
        h.step();
        h.step();
    };
    click(&mut h, "Rules");
    click(&mut h, "Add entry rule");
    assert_eq!(h.state().preset().strategy.rules().unwrap().entry.len(), 3);
    // The new row: momentum > 0.05 (only strong 20-bar trends may enter).
    click(&mut h, "entry rule 3 column");
    click(&mut h, "momentum");
    h.get_by_label("entry rule 3 threshold").click();
    h.step();
    h.get_by_label("entry rule 3 threshold").type_text("0.05");
    h.key_press(egui::Key::Enter);
    h.step();
    let rules = h.state().preset().strategy.rules().unwrap().clone();
    assert_eq!(
        rules.entry[2],
        ml4t_engine::strategy::rules::Rule::signal_above("momentum", 0.05)
    );
    assert!(h.state().dirty(), "an edit marks the preset unsaved");
    assert!(h.state().title().contains(" *"));
    h.key_press(egui::Key::F5);
    step_until(&mut h, "the second run", |a| {
        idle(a) && a.run().is_some_and(|r| r.result.trades.len() != before)
    });
    let after = h.state().run().unwrap().result.trades.len();
    assert!(after < before, "a stricter entry trades less: {after} vs {before}");
}

#[test]
fn gui_results_fit_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    step_until(&mut h, "the first run", |a| a.run().is_some() && idle(a));
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
    use ml4t_data::write_parquet;
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
    step_until(&mut h, "the first run", |a| a.run().is_some() && idle(a));
    h.state_mut().push(Command::OpenData(data.clone()));
    step_until(&mut h, "the run on our file", |a| {
        idle(a) && a.run().is_some_and(|r| r.bars.assets().len() == 3)
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
        idle(a) && a.run().is_some_and(|r| r.bars.assets().len() == 4)
    });
    let trades = h.state().run().unwrap().result.trades.len();
    // A half-written file: error banner, previous data and results stay.
    std::fs::write(&data, b"PAR1\0\0half").unwrap();
    step_until(&mut h, "the failed reload", |a| idle(a) && a.error().is_some());
    let app = h.state();
    assert!(app.error().unwrap().contains("predictions.parquet"));
    assert_eq!(app.run().unwrap().result.trades.len(), trades);
    assert_eq!(app.data().unwrap().bars.assets().len(), 4);
}

mod live {
    //! The Live tab against a replay server in this process (127.0.0.1, a port picked by the OS).

    use super::*;
    use ml4t_backtest::app::{LiveState, LiveView};
    use ml4t_data::{LoadOptions, load};
    use ml4t_live::{ReplayOptions, ReplayServer, serve};

    fn fixture(rel: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(rel)
    }

    /// A replay server for syn_2k at `rate` bars per second (`None`: as fast as the client reads).
    fn replay(rate: Option<f64>) -> ReplayServer {
        let bars = load(&fixture("data/syn_2k.parquet"), &LoadOptions::default())
            .unwrap()
            .bars;
        serve(
            Arc::new(bars),
            ReplayOptions {
                port: 0,
                rate,
                ..ReplayOptions::default()
            },
        )
        .unwrap()
    }

    /// The workbench on S2 and syn_2k, its backtest done, showing the Live tab.
    fn on_live_tab(dir: &std::path::Path) -> Harness<'static, Workbench> {
        let mut h = harness(dir);
        h.state_mut().push(Command::OpenPreset(fixture("presets/S2.ron")));
        step_until(&mut h, "S2 on syn_2k", |a| {
            idle(a)
                && a.run().is_some()
                && a.data()
                    .as_ref()
                    .is_some_and(|d| d.loaded.path.ends_with("syn_2k.parquet"))
        });
        h.get_by_label("Live").click();
        h.step();
        h.step();
        assert_eq!(h.state().persisted().left_tab, ml4t_backtest::app::LeftTab::Live);
        h
    }

    /// Replaces the URL field's text by typing, as a user would.
    fn type_url(h: &mut Harness<'static, Workbench>, url: &str) {
        h.get_by_label("Feed URL").click();
        h.step();
        h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        h.step();
        h.get_by_label("Feed URL").type_text(url);
        h.step();
        h.key_press(egui::Key::Enter);
        h.step();
        assert_eq!(h.state().persisted().live_url, url);
    }

    fn start(h: &mut Harness<'static, Workbench>) {
        h.get_by_label("Start").click();
        h.step();
        h.step();
        assert!(h.state().live().is_some(), "Start made a session");
    }

    fn session<'a>(h: &'a Harness<'static, Workbench>) -> &'a LiveView {
        h.state().live().unwrap()
    }

    fn shows(h: &Harness<'static, Workbench>, text: &str) -> bool {
        h.query_all_by_label_contains(text).next().is_some()
    }

    #[test]
    fn gui_live_run_trades_like_the_backtest() {
        let server = replay(None);
        let dir = tempfile::tempdir().unwrap();
        let mut h = on_live_tab(dir.path());
        assert_eq!(h.state().persisted().live_url, "ws://127.0.0.1:9001", "the default URL");
        assert!(shows(&h, "ml4t replay --data"), "the hint on starting a source");
        h.check_accessibility();
        let backtest = h.state().run().unwrap().result.trades.len();
        assert_eq!(backtest, 69, "S2 on syn_2k");
        type_url(&mut h, &server.url());
        start(&mut h);
        step_until(&mut h, "the live run to end", |a| {
            a.live().is_some_and(|s| !s.is_running())
        });
        h.step();
        let s = session(&h);
        assert_eq!(s.state, LiveState::Ended { stopped: false }, "{:?}", s.state);
        let summary = s.summary.as_ref().unwrap();
        assert_eq!(summary.trades, backtest, "the live run's trades are the backtest's");
        assert_eq!(s.trades, backtest);
        assert_eq!((summary.timestamps, s.timestamps, s.bars), (2000, 2000, 2000));
        assert_eq!(s.fills, summary.fills);
        assert!(s.fills >= 2 * backtest, "every round trip has two fills");
        assert!(!s.recent_fills.is_empty() && !s.equity_xs.is_empty());
        assert!(s.last_ts.is_some());
        let final_equity = h.state().run().unwrap().result.final_equity();
        assert!((summary.final_equity - final_equity).abs() < 1e-6 * final_equity);
        assert!(shows(&h, "ended (end of stream)"), "the state is shown");
        assert!(shows(&h, &format!("Result: {backtest} trades")), "the result is shown");
        assert!(
            h.query_all_by_label("buy").next().is_some() && h.query_all_by_label("sell").next().is_some(),
            "the fills are listed"
        );
        h.check_accessibility();
    }

    #[test]
    fn gui_live_stop_ends_a_slow_run_cleanly() {
        let server = replay(Some(100.0));
        let dir = tempfile::tempdir().unwrap();
        let mut h = on_live_tab(dir.path());
        type_url(&mut h, &server.url());
        start(&mut h);
        step_until(&mut h, "bars to arrive", |a| {
            a.live().is_some_and(|s| s.timestamps >= 20)
        });
        assert_eq!(session(&h).state, LiveState::Connected);
        assert!(shows(&h, "connected"));
        h.get_by_label("Stop").click();
        h.step();
        step_until(&mut h, "the stopped run", |a| a.live().is_some_and(|s| !s.is_running()));
        let s = session(&h);
        assert_eq!(s.state, LiveState::Ended { stopped: true }, "{:?}", s.state);
        let summary = s.summary.as_ref().unwrap();
        assert!(
            (20..2000).contains(&summary.timestamps),
            "stopped mid-stream: {} timestamps",
            summary.timestamps
        );
        assert!(shows(&h, "stopped"));
        // Start again after a stop: a new session from the start of the stream.
        start(&mut h);
        step_until(&mut h, "bars of the second session", |a| {
            a.live().is_some_and(|s| s.timestamps >= 5)
        });
        // Dropping the app stops the feed and joins the worker (bounded by step_until's clock).
        let started = Instant::now();
        drop(h);
        assert!(started.elapsed() < Duration::from_secs(10), "closing waited too long");
    }

    #[test]
    fn gui_live_bad_url_shows_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut h = on_live_tab(dir.path());
        type_url(&mut h, "http://127.0.0.1:9001");
        start(&mut h);
        step_until(&mut h, "the failed start", |a| {
            a.live().is_some_and(|s| !s.is_running())
        });
        match &session(&h).state {
            LiveState::Error(e) => assert!(e.contains("not a WebSocket URL"), "{e}"),
            other => panic!("expected an error, got {other:?}"),
        }
        assert!(shows(&h, "not a WebSocket URL"), "the error is shown");

        // Nobody listening: reconnect attempts are shown until Stop.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        type_url(&mut h, &format!("ws://127.0.0.1:{port}"));
        start(&mut h);
        step_until(&mut h, "a reconnect attempt", |a| {
            a.live()
                .as_ref()
                .is_some_and(|s| matches!(s.state, LiveState::Reconnecting { attempt: 2.., .. }))
        });
        assert!(shows(&h, "reconnecting (attempt"));
        h.get_by_label("Stop").click();
        h.step();
        step_until(&mut h, "the stop", |a| a.live().is_some_and(|s| !s.is_running()));
        assert_eq!(session(&h).state, LiveState::Ended { stopped: true });

        // No data: a clear error instead of a session.
        h.state_mut().clear_data();
        start(&mut h);
        match &session(&h).state {
            LiveState::Error(e) => assert!(e.contains("no data loaded"), "{e}"),
            other => panic!("expected an error, got {other:?}"),
        }
    }
}

#[test]
fn gui_preset_path_field_saves_and_opens() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    step_until(&mut h, "the first run", |a| a.run().is_some() && idle(a));
    let path = dir.path().join("typed.ron");
    h.get_by_label("Preset").click();
    h.step();
    h.get_by_label("Preset").type_text(&path.display().to_string());
    h.step();
    h.get_by_label("Save to path").click();
    h.step();
    h.step();
    assert!(path.is_file(), "saved through the path field");
    assert_eq!(h.state().preset_path(), Some(path.as_path()));
    h.get_by_label("Open path").click();
    step_until(&mut h, "the reopen", |a| idle(a) && a.run().is_some());
    assert!(h.state().error().is_none());
}

mod script_tab {
    //! The Script tab on a copy of the S2 script preset (file-based script, syn_2k data).

    use super::*;
    use std::path::Path;

    /// 69 trades on syn_2k (tests/fixtures/expected/syn_2k/S2.json).
    const S2_TRADES: usize = 69;

    /// presets/S2_script.ron, scripts/S2.rhai and data/syn_2k.parquet copied under `dir`.
    fn fixture_copy(dir: &Path) -> (PathBuf, PathBuf) {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        for (from, to) in [
            ("presets/S2_script.ron", "presets/S2_script.ron"),
            ("scripts/S2.rhai", "scripts/S2.rhai"),
            ("data/syn_2k.parquet", "data/syn_2k.parquet"),
        ] {
            let to = dir.join(to);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(src.join(from), &to).unwrap();
        }
        (dir.join("presets/S2_script.ron"), dir.join("scripts/S2.rhai"))
    }

    fn trades(app: &Workbench) -> Option<usize> {
        app.run().map(|r| r.result.trades.len())
    }

    /// The S2 script preset opened and run, the Script tab shown.
    fn on_script_tab(dir: &Path) -> (Harness<'static, Workbench>, PathBuf, PathBuf) {
        let (preset, script) = fixture_copy(dir);
        let mut h = harness(dir);
        step_until(&mut h, "the first run", |a| a.run().is_some() && idle(a));
        h.state_mut().push(Command::OpenPreset(preset.clone()));
        step_until(&mut h, "the S2 script run", |a| idle(a) && trades(a) == Some(S2_TRADES));
        h.get_by_label("Script").click();
        h.step();
        h.step();
        (h, preset, script)
    }

    /// Replaces the editor's text by typing, as a user would (select all, type).
    fn retype(h: &mut Harness<'static, Workbench>, text: &str) {
        h.get_by_label("Script text").click();
        h.step();
        h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        h.step();
        h.get_by_label("Script text").type_text(text);
        h.step();
        h.step();
    }

    fn shows(h: &Harness<'static, Workbench>, text: &str) -> bool {
        h.query_all_by(|n| n.label().is_some_and(|l| l.contains(text)) || n.value().is_some_and(|v| v.contains(text)))
            .next()
            .is_some()
    }

    #[test]
    fn gui_script_edit_reruns_and_a_syntax_error_keeps_the_results() {
        let dir = tempfile::tempdir().unwrap();
        let (mut h, _, script) = on_script_tab(dir.path());
        let original = std::fs::read_to_string(&script).unwrap();
        assert_eq!(h.state().script().text, original, "the editor shows the file");
        assert!(shows(&h, "Compiles"));

        // A stricter entry threshold, typed into the editor, then F5.
        let stricter = original.replace("bar.ml_pred > 0.8", "bar.ml_pred > 0.9");
        assert_ne!(stricter, original);
        retype(&mut h, &stricter);
        assert_eq!(h.state().script().text, stricter, "typed into the editor");
        assert!(h.state().dirty() && h.state().script().unsaved());
        assert!(h.state().invalid().is_none(), "{:?}", h.state().invalid());
        h.key_press(egui::Key::F5);
        step_until(&mut h, "the re-run", |a| idle(a) && trades(a) != Some(S2_TRADES));
        let stricter_trades = trades(h.state()).unwrap();
        assert!(stricter_trades < S2_TRADES, "{stricter_trades} trades");
        // The file is untouched until saved.
        assert_eq!(std::fs::read_to_string(&script).unwrap(), original);

        // A syntax error on line 3: shown with its line, runs blocked, results kept.
        retype(&mut h, "fn on_bar(bar, ctx) {\n    let x = 1;\n    let y = ;\n}\n");
        let err = h.state().script().error.clone().expect("a compile error");
        assert_eq!(err.location().map(|(l, _)| l), Some(3), "{err}");
        assert!(shows(&h, "S2.rhai:3:"), "the tab shows file:line:column");
        assert!(h.state().invalid().is_some());
        h.key_press(egui::Key::F5);
        for _ in 0..5 {
            h.step();
        }
        step_until(&mut h, "nothing to run", idle);
        assert_eq!(trades(h.state()), Some(stricter_trades), "previous results stay");

        // Fixed and saved: the file holds the editor's text.
        retype(&mut h, &stricter);
        assert!(h.state().script().error.is_none());
        h.get_by_label("Save script *").click();
        h.step();
        h.step();
        assert_eq!(std::fs::read_to_string(&script).unwrap(), stricter);
        assert!(!h.state().script().unsaved());
    }

    #[test]
    fn gui_script_file_changed_on_disk_reloads_and_reruns() {
        let dir = tempfile::tempdir().unwrap();
        let (mut h, _, script) = on_script_tab(dir.path());
        let original = std::fs::read_to_string(&script).unwrap();
        let looser = original.replace("bar.ml_pred > 0.8", "bar.ml_pred > 0.7");
        std::fs::write(&script, &looser).unwrap();
        step_until(&mut h, "the hot reload", |a| idle(a) && trades(a) != Some(S2_TRADES));
        assert_eq!(h.state().script().text, looser);
        assert!(trades(h.state()).unwrap() > S2_TRADES);

        // With unsaved edits, a change on disk keeps them and shows a banner.
        retype(&mut h, &original);
        std::fs::write(&script, "// someone else's\n").unwrap();
        step_until(&mut h, "the banner", |a| a.script().changed_on_disk);
        assert_eq!(h.state().script().text, original);
        h.step();
        assert!(shows(&h, "changed on disk"));
    }

    #[test]
    fn gui_switching_kinds_writes_an_equivalent_script_and_hybrid_and_restores_the_rules() {
        let dir = tempfile::tempdir().unwrap();
        fixture_copy(dir.path());
        let rules_preset = dir.path().join("presets/S2.ron");
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/presets/S2.ron"),
            &rules_preset,
        )
        .unwrap();
        let mut h = harness(dir.path());
        step_until(&mut h, "the first run", |a| a.run().is_some() && idle(a));
        h.state_mut().push(Command::OpenPreset(rules_preset));
        step_until(&mut h, "the S2 rules run", |a| idle(a) && trades(a) == Some(S2_TRADES));
        let rules = h.state().preset().strategy.clone();
        h.get_by_label("Script").click();
        h.step();
        // The second "Script": the kind switch (the first is the tab).
        h.get_all_by_label("Script").nth(1).unwrap().click();
        h.step();
        h.step();
        let app = h.state();
        assert!(matches!(app.preset().strategy, ml4t_preset::StrategySpec::Script(_)));
        assert!(app.script().error.is_none(), "{:?}", app.script().error);
        assert!(
            app.script().text.contains("Generated from the rules"),
            "{}",
            app.script().text
        );
        // The generated script trades like the rules it came from.
        h.state_mut().clear_run();
        h.key_press(egui::Key::F5);
        step_until(&mut h, "the script run", |a| idle(a) && a.run().is_some());
        assert_eq!(trades(h.state()), Some(S2_TRADES));
        h.get_all_by_label("Rules").nth(1).unwrap().click();
        h.step();
        h.step();
        assert_eq!(h.state().preset().strategy, rules, "the rules come back");

        // Rules to hybrid: a filter passing the entry bars and open positions, in front of the
        // script written before: the same trades again.
        h.get_by_label("Hybrid").click();
        h.step();
        h.step();
        let app = h.state();
        assert!(app.invalid().is_none(), "{:?}", app.invalid());
        assert!(app.script().text.contains("Generated from the rules"));
        h.state_mut().clear_run();
        h.key_press(egui::Key::F5);
        step_until(&mut h, "the hybrid run", |a| {
            idle(a) && (a.run().is_some() || a.error().is_some())
        });
        assert!(h.state().error().is_none(), "{:?}", h.state().error());
        assert_eq!(trades(h.state()), Some(S2_TRADES));
    }

    #[test]
    fn gui_script_inline_or_file_and_saving_the_preset_keeps_a_relative_path() {
        let dir = tempfile::tempdir().unwrap();
        let (mut h, preset, script) = on_script_tab(dir.path());
        let original = std::fs::read_to_string(&script).unwrap();
        let read = |p: &Path| std::fs::read_to_string(p).unwrap();

        // Inline: the preset holds the text.
        h.get_by_label("Inline in preset").click();
        h.step();
        h.step();
        let src = h.state().preset().strategy.script().unwrap().clone();
        assert_eq!(src.source.as_deref(), Some(original.as_str()));
        // Back to the file.
        h.get_by_label("File").click();
        h.step();
        h.step();
        assert_eq!(h.state().preset().strategy.script().unwrap().source, None);

        // An edit, then saving the preset in place: the script is saved with it, its path stays relative.
        let edited = original.replace("bar.ml_pred > 0.8", "bar.ml_pred > 0.85");
        retype(&mut h, &edited);
        h.state_mut().push(Command::SavePreset);
        h.step();
        h.step();
        assert_eq!(read(&script), edited, "one Save writes the script too");
        assert!(
            read(&preset).contains("path: \"../scripts/S2.rhai\""),
            "{}",
            read(&preset)
        );
        // Saved elsewhere: the path is rewritten relative to the new file.
        let elsewhere = dir.path().join("saved.ron");
        h.state_mut().push(Command::SavePresetAs(elsewhere.clone()));
        h.step();
        assert!(
            read(&elsewhere).contains("path: \"scripts/S2.rhai\""),
            "{}",
            read(&elsewhere)
        );

        // Save script to path: a new file, which the preset then names.
        let copy = dir.path().join("scripts/copy.rhai");
        h.get_by_label("Script path").click();
        h.step();
        h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        h.get_by_label("Script path").type_text(&copy.display().to_string());
        h.step();
        h.get_by_label("Save script to path").click();
        h.step();
        h.step();
        assert_eq!(read(&copy), edited);
        assert_eq!(h.state().script_file().as_deref(), Some(copy.as_path()));
        assert!(h.state().dirty(), "the preset names another file now");
    }

    #[test]
    fn gui_hybrid_filter_rules_are_edited_on_the_script_tab() {
        use ml4t_engine::strategy::rules::Rule;
        use ml4t_preset::StrategySpec;
        let dir = tempfile::tempdir().unwrap();
        let (mut h, _, _) = on_script_tab(dir.path());
        h.get_by_label("Hybrid").click();
        h.step();
        h.step();
        let StrategySpec::Hybrid { filter, script } = &h.state().preset().strategy else {
            panic!("a hybrid: {:?}", h.state().preset().strategy)
        };
        assert!(filter.is_empty());
        assert_eq!(script.path, Path::new("../scripts/S2.rhai"), "the script carries over");
        // The engine needs a filter: said on the tab, runs blocked.
        assert!(h.state().invalid().unwrap().contains("no (enabled) filter rule"));
        assert!(shows(&h, "no (enabled) filter rule"));

        // A filter row, as the Rules tab adds them: ml_pred > 0.9 (and position holders pass).
        h.get_by_label("Add filter ANY group").click();
        h.step();
        h.step();
        let StrategySpec::Hybrid { filter, .. } = &mut h.state_mut().preset_mut().strategy else {
            unreachable!()
        };
        assert_eq!(filter.len(), 1, "{filter:?}");
        // The group's children are set directly (the row editors are tested on the Rules tab).
        filter[0] = Rule::Any(vec![Rule::signal_above("ml_pred", 0.9), Rule::InPosition]);
        h.state_mut().push(Command::StrategyEdited);
        h.step();
        assert!(shows(&h, "filter rule 1"), "rows are named as filter rules");
        h.key_press(egui::Key::F5);
        step_until(&mut h, "the filtered run", |a| idle(a) && trades(a) != Some(S2_TRADES));
        assert!(trades(h.state()).unwrap() < S2_TRADES);
    }

    #[test]
    fn gui_script_edit_with_auto_run_reruns_without_f5() {
        let dir = tempfile::tempdir().unwrap();
        let (mut h, _, script) = on_script_tab(dir.path());
        h.get_by_label("Auto-run").click();
        h.step();
        assert!(h.state().persisted().auto_run);
        let original = std::fs::read_to_string(&script).unwrap();
        retype(
            &mut h,
            &original.replace("bar.confidence > 0.7", "bar.confidence > 0.9"),
        );
        step_until(&mut h, "the auto-run", |a| idle(a) && trades(a) != Some(S2_TRADES));
        assert!(trades(h.state()).unwrap() < S2_TRADES);
    }

    #[test]
    fn gui_script_runtime_error_marks_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let (mut h, _, _) = on_script_tab(dir.path());
        // Compiles, but fails on the first bar: line 3 calls a function that does not exist.
        retype(
            &mut h,
            "fn on_bar(bar, ctx) {\n    let x = 1;\n    no_such_function(x);\n}\n",
        );
        assert!(h.state().script().error.is_none(), "{:?}", h.state().script().error);
        h.key_press(egui::Key::F5);
        step_until(&mut h, "the failed run", |a| idle(a) && a.error().is_some());
        let (line, message) = h.state().script().runtime_error.clone().expect("a runtime error");
        assert_eq!(line, 3, "{message}");
        assert!(shows(&h, "The last run failed"));
        assert_eq!(trades(h.state()), Some(S2_TRADES), "previous results stay");
    }
}

#[test]
fn gui_keeps_one_copy_of_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    step_until(&mut h, "the first run", |a| a.run().is_some() && idle(a));
    let data = h.state().data().unwrap();
    assert!(data.loaded.bars.is_empty(), "the loaded bars moved into the shared Arc");
    assert!(!data.bars.is_empty());
    // The run shares the same allocation instead of a copy.
    assert!(Arc::ptr_eq(&data.bars, &h.state().run().unwrap().bars));
}

/// The workbench at 1600x1000 on the bundled sample, its first run shown.
fn sample_at_1600x1000(dir: &std::path::Path) -> Harness<'static, Workbench> {
    sample_at(dir, egui::vec2(1600.0, 1000.0))
}

/// The workbench in a window of `size` on the bundled sample, its first run shown.
fn sample_at(dir: &std::path::Path, size: egui::Vec2) -> Harness<'static, Workbench> {
    let app = Workbench::with_sample_dir(Persisted::default(), Arc::new(|| {}), dir.to_path_buf());
    let mut h = Harness::builder()
        .with_size(size)
        .build_ui_state(|ui, app: &mut Workbench| app.frame_ui(ui), app);
    step_until(&mut h, "the first run", |a| a.run().is_some() && idle(a));
    for _ in 0..3 {
        h.step();
    }
    h
}

#[test]
fn gui_trade_table_shows_twenty_rows_at_1600x1000() {
    let dir = tempfile::tempdir().unwrap();
    let h = sample_at_1600x1000(dir.path());
    // Every row has a side cell ("long"); rows are laid out only while in view, so the cells
    // inside the window are the visible rows.
    let visible = h
        .query_all_by_label("long")
        .filter(|n| {
            let r = n.rect();
            r.min.y >= 0.0 && r.max.y <= 1000.0
        })
        .count();
    assert!(visible >= 20, "only {visible} trade rows visible at 1600x1000");
}

#[test]
fn gui_clicking_a_trade_scrolls_the_price_plot_into_view() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = sample_at_1600x1000(dir.path());
    // The price plot's controls sit below the equity and drawdown plots, under the fold.
    let table_top = h.get_by_label_contains("of 2600 trades").rect().min.y;
    let price_top = |h: &Harness<'static, Workbench>| h.get_by_label("candles").rect().min.y;
    assert!(price_top(&h) > table_top, "the price plot starts out of view");
    // A trade's row: the price plot (where its entry and exit are marked) scrolls up into view.
    h.query_all_by_label("long").nth(3).expect("a trade row").click();
    for _ in 0..4 {
        h.step();
    }
    assert!(h.state().persisted().results.selected_trade.is_some());
    let top = price_top(&h);
    assert!(top < table_top - 100.0, "price plot at y {top}, table at {table_top}");
}

#[test]
fn gui_opening_the_log_keeps_the_split_between_plots_and_trades() {
    let dir = tempfile::tempdir().unwrap();
    // Tall enough that the table's first size is its 24 rows, not the two-thirds cap.
    let mut h = sample_at(dir.path(), egui::vec2(1600.0, 1300.0));
    // Plots from the view's tabs down to the table; the table from there down to the bottom.
    let split = |h: &Harness<'static, Workbench>| {
        let top = h.get_by_label("Equity vs. equal-weight buy & hold").rect().min.y;
        let table = h.get_by_label_contains("of 2600 trades").rect().min.y;
        let bottom = h.get_by_label_contains("still open at the end").rect().max.y;
        (table - top, bottom - table)
    };
    let (plots, table) = split(&h);
    h.get_by_label("Log").click();
    for _ in 0..4 {
        h.step();
    }
    let (plots_log, table_log) = split(&h);
    assert!(
        table_log < table,
        "the log takes room from the table too ({table} -> {table_log})"
    );
    let (before, after) = (plots / (plots + table), plots_log / (plots_log + table_log));
    assert!(
        (before - after).abs() < 0.08,
        "the plots' share went from {before:.2} to {after:.2} (plots {plots} -> {plots_log}, table {table} -> {table_log})"
    );

    // Dragging the table's top edge up by 100 points gives the table those 100 points, and the
    // split stays put over the frames that follow (no creep).
    // The edge is a few points above the table's first line (the panel's margin): feel for it
    // as a user would, a point at a time.
    let first_line = h.get_by_label_contains("of 2600 trades").rect().min.y;
    let x = 1200.0;
    let mut dragged = None;
    for offset in 2..24 {
        let edge = first_line - offset as f32;
        h.hover_at(egui::pos2(x, edge));
        h.step();
        h.drag_at(egui::pos2(x, edge));
        h.step();
        for dy in [20.0, 50.0, 100.0] {
            h.hover_at(egui::pos2(x, edge - dy));
            h.step();
        }
        h.drop_at(egui::pos2(x, edge - 100.0));
        for _ in 0..6 {
            h.step();
        }
        if split(&h).1 != table_log {
            dragged = Some(split(&h));
            break;
        }
    }
    let (plots_dragged, table_dragged) = dragged.expect("the table's top edge can be dragged");
    assert!(
        (table_dragged - table_log - 100.0).abs() < 8.0,
        "the table went from {table_log} to {table_dragged} after a 100-point drag"
    );
    for _ in 0..10 {
        h.step();
    }
    assert_eq!(split(&h), (plots_dragged, table_dragged), "the split creeps");
}

#[test]
fn gui_loading_data_resets_the_plots_and_the_selected_trade() {
    use ml4t_data::write_parquet;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("minute.parquet");
    write_parquet(
        &sample(&SampleSpec {
            assets: 2,
            bars: 3_000,
            freq: SampleFreq::Every {
                step_ns: 60_000_000_000,
            },
            ..SampleSpec::default()
        })
        .unwrap(),
        &data,
    )
    .unwrap();
    let mut h = harness(dir.path());
    step_until(&mut h, "the first run", |a| a.run().is_some() && idle(a));
    h.step();
    // Click a trade: it is selected and the plots zoom to it.
    h.query_all_by_label("long").next().unwrap().click();
    h.step();
    assert!(h.state().persisted().results.selected_trade.is_some());
    h.state_mut().push(Command::OpenData(data));
    step_until(&mut h, "the run on the minute file", |a| {
        idle(a) && a.run().is_some_and(|r| r.bars.assets().len() == 2)
    });
    let results = &h.state().persisted().results;
    assert_eq!(
        results.selected_trade, None,
        "the old run's trade is no longer selected"
    );
    h.step();
    assert!(
        !h.state().persisted().results.pending_reset(),
        "the reset was applied to the plots"
    );
}

#[test]
fn gui_superseded_long_run_does_not_block_the_next_frame() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    step_until(&mut h, "the first run", |a| a.run().is_some() && idle(a));
    // A slow script on daily data: each bar spins, so one run takes seconds.
    let slow = "fn on_bar(bar, ctx) { let x = 0; for i in 0..3000 { x += i; } }";
    h.state_mut().preset_mut().strategy = ml4t_preset::StrategySpec::Script(ml4t_preset::ScriptSource::inline(slow));
    // The editor takes the inline script and runs it (what reloading a script does).
    h.state_mut().push(Command::ReloadScript);
    h.step();
    assert!(h.state().running(), "the slow run started: {:?}", h.state().invalid());
    // Supersede it: the old run is cancelled and detached; the frame must not wait for it.
    h.state_mut().push(Command::Run);
    let started = Instant::now();
    h.step();
    let frame = started.elapsed();
    assert!(h.state().running(), "the new run started");
    assert!(
        frame < Duration::from_secs(1),
        "the frame waited {frame:?} for the superseded run"
    );
    h.state_mut().push(Command::Cancel);
    h.step();
}

#[test]
fn gui_analysis_view_and_a_drawdown_click_zooms_the_plots() {
    let dir = tempfile::tempdir().unwrap();
    // A tall window, so the drawdown table below the plots is in view.
    let app = Workbench::with_sample_dir(Persisted::default(), Arc::new(|| {}), dir.path().to_path_buf());
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 2400.0))
        .build_ui_state(|ui, app: &mut Workbench| app.frame_ui(ui), app);
    step_until(&mut h, "the first run", |a| a.run().is_some() && idle(a));
    h.get_by_label("Analysis").click();
    h.step();
    h.step();
    for heading in ["Monthly returns", "Underwater", "Per asset", "Against the benchmark"] {
        assert!(
            h.query_by_label_contains(heading).is_some(),
            "the Analysis view shows {heading}"
        );
    }
    assert!(h.state().persisted().results.zoomed().is_none());
    h.get_by_label("drawdown 1").click();
    h.step();
    let (a, b) = h
        .state()
        .persisted()
        .results
        .zoomed()
        .expect("the click zoomed every plot");
    // The zoom spans the worst drawdown: it lies inside the run and is shorter than it.
    let equity = &h.state().run().unwrap().result.equity;
    let (first, last) = (equity.ts()[0] as f64 / 1e9, *equity.ts().last().unwrap() as f64 / 1e9);
    assert!(a < b && b - a < last - first, "zoom {a}..{b} within {first}..{last}");
    h.step();
    assert!(
        h.state().persisted().results.pending_zoom().is_none(),
        "the plots took the zoom"
    );
    // "Show all" zooms back out.
    h.get_by_label("Show all").click();
    h.step();
    assert!(h.state().persisted().results.zoomed().is_none());
}

#[test]
fn gui_export_report_writes_a_self_contained_html_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    step_until(&mut h, "the first run", |a| a.run().is_some() && idle(a));
    let out = dir.path().join("tearsheet.html");
    h.state_mut().push(Command::ExportReport(out.clone()));
    step_until(&mut h, "the report", |a| {
        a.log()
            .entries()
            .any(|e| e.text.contains("report written") || e.text.contains("could not"))
    });
    assert!(h.state().error().is_none(), "{:?}", h.state().error());
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(
        html.contains("<svg") && !html.contains("https://"),
        "a self-contained report"
    );
}
