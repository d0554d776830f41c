//! The Optimise view driven headless with egui_kittest, on the bundled sample (26k bars): "sweep
//! this" in the rule editor, a background sweep, a click on the best heatmap cell replacing the
//! single run, cancel keeping rows, the overfitting panel, walk-forward's fold table, the sweep
//! saved in the preset and the research section of the exported report.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ml4t_backtest::app::{Command, Persisted, Workbench};
use ml4t_backtest::research::pbo_sentence;
use ml4t_engine::strategy::rules::Rule;
use ml4t_preset::{SweepParam, SweepSpec};

fn harness_with(dir: &std::path::Path, persisted: Persisted) -> Harness<'static, Workbench> {
    let app = Workbench::with_sample_dir(persisted, Arc::new(|| {}), dir.to_path_buf());
    Harness::builder()
        .with_size(egui::vec2(1600.0, 1000.0))
        .build_ui_state(|ui, app: &mut Workbench| app.frame_ui(ui), app)
}

fn harness(dir: &std::path::Path) -> Harness<'static, Workbench> {
    harness_with(dir, Persisted::default())
}

/// Steps frames until `done` holds (background jobs finish on their own threads).
fn step_until(h: &mut Harness<'static, Workbench>, what: &str, done: impl Fn(&Workbench) -> bool) {
    let start = Instant::now();
    while !done(h.state()) {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "timed out waiting for {what} (error: {:?}, last log line: {:?})",
            h.state().error(),
            h.state().log().last().map(|e| &e.text)
        );
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    h.step();
}

fn click(h: &mut Harness<'static, Workbench>, label: &str) {
    h.get_by_label(label).click();
    h.step();
    h.step();
}

/// The sample's first run, then the Optimise view.
fn ready(h: &mut Harness<'static, Workbench>) {
    step_until(h, "the first run", |a| a.run().is_some() && a.idle());
    click(h, "Optimise");
}

/// A small grid on the default preset: entry ml_pred threshold x exit ml_pred threshold.
fn set_sweep(h: &mut Harness<'static, Workbench>, entry: &str, exit: &str) {
    h.state_mut().preset_mut().sweep = Some(SweepSpec {
        params: vec![
            SweepParam {
                path: "entry[0]".into(),
                values: entry.into(),
            },
            SweepParam {
                path: "exit[0][0]".into(),
                values: exit.into(),
            },
        ],
        ..SweepSpec::default()
    });
    h.state_mut()
        .push(Command::Optimise(ml4t_backtest::app::OptimiseCommand::DefinitionEdited));
    h.step();
    h.step();
}

fn entry_threshold(app: &Workbench) -> f64 {
    match &app.preset().strategy.rules().unwrap().entry[0] {
        Rule::SignalAbove(_, x) => *x,
        other => panic!("unexpected rule {other:?}"),
    }
}

#[test]
fn optimise_sweep_this_then_best_cell_replaces_the_single_run() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    step_until(&mut h, "the first run", |a| a.run().is_some() && a.idle());
    let before = h.state().run().unwrap().metrics.final_equity;

    // Mark the entry threshold and the exit threshold for sweeping, in the rule editor.
    click(&mut h, "Rules");
    click(&mut h, "Sweep entry[0]");
    click(&mut h, "Sweep exit[0][0]");
    let spec = h.state().preset().sweep.clone().expect("a sweep definition");
    let paths: Vec<&str> = spec.params.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, ["entry[0]", "exit[0][0]"]);
    // The default range of a threshold is the 5th..95th percentile of its column, 5 steps.
    assert!(spec.params[0].values.ends_with(":5"), "{}", spec.params[0].values);
    assert!(h.state().dirty(), "sweep this is an edit of the preset");
    // The button now reads as a way out.
    h.get_by_label("Stop sweeping entry[0]");

    click(&mut h, "Optimise");
    h.get_by_label_contains("25 combinations");
    click(&mut h, "Run sweep");
    step_until(&mut h, "the sweep", |a| a.sweep().is_some() && !a.sweeping());
    let sweep = h.state().sweep().unwrap().clone();
    assert_eq!(sweep.rows.len(), 25);
    assert!(!sweep.cancelled);
    let best = sweep.best.expect("a best combination");
    assert!(
        sweep.stability.is_some(),
        "a grid sweep scores the best cell's stability"
    );
    h.get_by_label(&sweep.best_line());

    // Click the best cell: its values go into the preset and run as the single backtest.
    click(&mut h, &format!("Cell {}", sweep.describe(best)));
    step_until(&mut h, "the run of the best cell", |a| {
        a.idle() && a.applied_row() == Some(best) && a.run().is_some()
    });
    let app = h.state();
    assert_eq!(entry_threshold(app), sweep.rows[best].params[0]);
    assert!(app.dirty());
    let run = app.run().unwrap();
    // The single run is exactly the sweep's row.
    assert_eq!(run.metrics.final_equity, sweep.rows[best].final_equity());
    assert_eq!(run.result.trades.len(), sweep.rows[best].n_trades());
    assert_ne!(run.metrics.final_equity, before, "the Backtest result changed");
    h.get_by_label_contains("In the editor and the Backtest view");
}

#[test]
fn optimise_cancel_keeps_the_finished_rows() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Persisted::default();
    p.results.optimise.threads = 1;
    let mut h = harness_with(dir.path(), p);
    ready(&mut h);
    set_sweep(&mut h, "0.5:0.95:30", "0.05:0.45:30");
    click(&mut h, "Run sweep");
    step_until(&mut h, "a few finished rows", |a| {
        a.sweep_progress().is_some_and(|(done, _)| done >= 3)
    });
    click(&mut h, "Cancel sweep");
    step_until(&mut h, "the cancelled sweep", |a| !a.sweeping());
    let sweep = h.state().sweep().expect("the finished rows are kept");
    assert!(sweep.cancelled);
    assert!(
        !sweep.rows.is_empty() && sweep.rows.len() < 900,
        "{} rows",
        sweep.rows.len()
    );
    assert!(
        sweep.rows.windows(2).all(|w| w[0].combo < w[1].combo),
        "rows in combination order"
    );
    h.get_by_label_contains("cancelled: the finished rows are kept");
}

#[test]
fn optimise_overfitting_panel_shows_pbo() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    ready(&mut h);
    set_sweep(&mut h, "0.55:0.9:4", "0.1:0.45:4");
    click(&mut h, "Run sweep");
    step_until(&mut h, "the sweep", |a| a.sweep().is_some() && !a.sweeping());
    let o = h
        .state()
        .sweep()
        .unwrap()
        .overfitting
        .clone()
        .expect("overfitting statistics");
    let pbo = o.pbo.expect("PBO with 16 combinations");
    assert!((0.0..=1.0).contains(&pbo));
    assert_eq!(o.logits.len(), 12_870, "every CSCV split of 16 blocks");
    h.get_by_label(&pbo_sentence(pbo));
    h.get_by_label("PSR");
    h.get_by_label("DSR");
    h.get_by_label("Min TRL");
}

#[test]
fn optimise_walk_forward_shows_the_fold_table() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Persisted::default();
    p.results.optimise.walk_forward.train = "2y".into();
    p.results.optimise.walk_forward.test = "1y".into();
    p.results.optimise.walk_forward.embargo = 5;
    let mut h = harness_with(dir.path(), p);
    ready(&mut h);
    set_sweep(&mut h, "0.6,0.75,0.9", "0.3,0.45");
    click(&mut h, "Run walk-forward");
    step_until(&mut h, "the walk-forward", |a| {
        a.walk_forward().is_some() && !a.walking_forward()
    });
    let wf = h.state().walk_forward().unwrap().clone();
    let folds = wf.out.folds.len();
    assert!(folds >= 5, "{folds} folds of 1y after 2y on ten years");
    assert!(wf.full_best.is_some(), "the full-sample best is compared");
    let table = wf.fold_table();
    assert_eq!(table.rows.len(), folds);
    // The table's cells are on screen: the first fold's test window and its chosen entry value.
    h.get_by_label("Folds");
    h.get_by_label(&table.rows[0][2]);
    h.get_by_label(&wf.efficiency_line());
    h.get_by_label_contains("entry[0]: ");
}

#[test]
fn optimise_walk_forward_cancel_stops_it_and_keeps_the_window_responsive() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Persisted::default();
    p.results.optimise.threads = 1;
    p.results.optimise.walk_forward.train = "250".into();
    p.results.optimise.walk_forward.test = "20".into();
    let mut h = harness_with(dir.path(), p);
    ready(&mut h);
    set_sweep(&mut h, "0.5:0.95:10", "0.05:0.45:10");
    click(&mut h, "Run walk-forward");
    step_until(&mut h, "a few finished runs", |a| {
        a.walk_forward_progress().is_some_and(|(done, _)| done >= 3)
    });
    let (done, total) = h.state().walk_forward_progress().unwrap();
    assert!(done < total, "{done} of {total}");
    h.get_by_label_contains(&format!(" / {total} runs"));
    click(&mut h, "Cancel walk-forward");
    step_until(&mut h, "the cancelled walk-forward", |a| !a.walking_forward());
    let app = h.state();
    assert!(
        app.walk_forward().is_none(),
        "a cancelled walk-forward has no folds to show"
    );
    assert!(app.error().is_none(), "a cancel is not an error: {:?}", app.error());
    assert!(app.log().entries().any(|e| e.text.contains("walk-forward cancelled")));
}

#[test]
fn optimise_sweep_definition_is_saved_in_the_preset_and_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Persisted::default();
    p.results.optimise.walk_forward.train = "2y".into();
    p.results.optimise.walk_forward.test = "1y".into();
    let mut h = harness_with(dir.path(), p);
    ready(&mut h);
    set_sweep(&mut h, "0.6,0.8", "0.3,0.4");
    let file = dir.path().join("swept.ron");
    h.state_mut().push(Command::SavePresetAs(file.clone()));
    step_until(&mut h, "the save", |a| a.idle() && !a.dirty());
    let saved = h.state().preset().sweep.clone();
    // Another preset, then this one again: the sweep comes back.
    h.state_mut().preset_mut().sweep = None;
    h.state_mut().push(Command::OpenPreset(file));
    step_until(&mut h, "the reopened preset", |a| {
        a.idle() && a.preset().sweep.is_some()
    });
    assert_eq!(h.state().preset().sweep, saved);

    click(&mut h, "Run sweep");
    step_until(&mut h, "the sweep", |a| a.sweep().is_some() && !a.sweeping());
    // Below the sweep's results, out of the harness's view: as the button's click would.
    h.state_mut()
        .push(Command::Optimise(ml4t_backtest::app::OptimiseCommand::RunWalkForward));
    step_until(&mut h, "the walk-forward", |a| {
        a.walk_forward().is_some() && !a.walking_forward()
    });
    let report = dir.path().join("report.html");
    h.state_mut().push(Command::ExportReport(report.clone()));
    step_until(&mut h, "the report", |_| report.exists());
    let start = Instant::now();
    let html = loop {
        let text = std::fs::read_to_string(&report).unwrap_or_default();
        if text.contains("</html>") || start.elapsed() > Duration::from_secs(30) {
            break text;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        html.contains("id=\"research\""),
        "the research section is in the report"
    );
    assert!(html.contains("sharpe by entry[0] and exit[0][0]"), "the sweep heatmap");
    assert!(html.contains("Walk-forward folds (train 2y, test 1y"), "the fold table");
    assert!(
        html.contains("the best in-sample setting ranks below the median out of sample"),
        "the overfitting panel in words"
    );
}

#[test]
fn report_cli_with_sweep_has_the_research_section() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::root().join("sample_data/sample.parquet");
    let preset = dir.path().join("swept.ron");
    std::fs::write(
        &preset,
        format!(
            r#"(version: 2, name: "swept", data: (path: {:?}),
    strategy: Rules(entry: [SignalAbove("ml_pred", 0.75)], exit: [SignalBelow("ml_pred", 0.45)], sizer: PercentOfEquity(0.1)),
    sweep: (params: [(path: "entry[0]", values: "0.6:0.9:4"), (path: "exit[0]", values: "0.2:0.5:4")]))"#,
            data.display().to_string()
        ),
    )
    .unwrap();
    let out = dir.path().join("r.html");
    let run = common::ml4t(&[
        "report",
        "--preset",
        preset.to_str().unwrap(),
        "--sweep",
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains("id=\"research\"") && html.contains("sharpe by entry[0] and exit[0]"));
    assert!(html.contains("the best in-sample setting ranks below the median out of sample"));
    // Without a sweep section --sweep says so, naming the preset.
    std::fs::write(
        &preset,
        std::fs::read_to_string(&preset)
            .unwrap()
            .split("\n    sweep:")
            .next()
            .unwrap()
            .to_owned()
            + ")",
    )
    .unwrap();
    let run = common::ml4t(&[
        "report",
        "--preset",
        preset.to_str().unwrap(),
        "--sweep",
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        !run.status.success() && err.contains("has no sweep section") && err.contains("swept.ron"),
        "{err}"
    );
}

/// The paths of the preset's sweep, in order.
fn swept_paths(app: &Workbench) -> Vec<String> {
    let spec = app.preset().sweep.clone().unwrap_or_default();
    spec.params.iter().map(|p| p.path.clone()).collect()
}

#[test]
fn optimise_settings_and_portfolio_numbers_have_sweep_buttons() {
    use ml4t_engine::strategy::rules::EntryOrder;
    use ml4t_preset::StrategySpec;
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    step_until(&mut h, "the first run", |a| a.run().is_some() && a.idle());
    click(&mut h, "Rules");
    // A limit entry with a margin check: the offset, validity and margin get "sweep this".
    if let StrategySpec::Rules(r) = &mut h.state_mut().preset_mut().strategy {
        r.entry_order = EntryOrder::Limit {
            offset: 0.01,
            valid_bars: 4,
        };
        r.initial_margin = Some(0.5);
    }
    h.step();
    h.step();
    click(&mut h, "Sweep entry_order.offset");
    click(&mut h, "Sweep entry_order.valid_bars");
    click(&mut h, "Sweep initial_margin");
    assert_eq!(
        swept_paths(h.state()),
        ["entry_order.offset", "entry_order.valid_bars", "initial_margin"]
    );
    let spec = h.state().preset().sweep.clone().unwrap();
    // ±50 % around the value, counts as whole numbers.
    assert_eq!(spec.params[0].values, "0.005:0.015:5");
    assert_eq!(spec.params[1].values, "2,3,4,5,6");
    h.state_mut().preset_mut().sweep = None;

    // The portfolio kind: schedule, counts, weights and minimum trade.
    click(&mut h, "Portfolio");
    for path in [
        "portfolio.every",
        "portfolio.n_long",
        "portfolio.w_long",
        "portfolio.min_notional",
    ] {
        click(&mut h, &format!("Sweep {path}"));
    }
    assert_eq!(
        swept_paths(h.state()),
        [
            "portfolio.every",
            "portfolio.n_long",
            "portfolio.w_long",
            "portfolio.min_notional"
        ]
    );
    // Every one of them is a path the sweep engine accepts: the grid counts its combinations.
    click(&mut h, "Optimise");
    h.get_by_label_contains("combinations");
    assert_eq!(h.state().error(), None);
}

#[test]
fn optimise_hybrid_filter_numbers_have_sweep_buttons() {
    use ml4t_preset::{ScriptSource, StrategySpec};
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    step_until(&mut h, "the first run", |a| a.run().is_some() && a.idle());
    h.state_mut().preset_mut().strategy = StrategySpec::Hybrid {
        filter: vec![Rule::any([Rule::signal_above("ml_pred", 0.8), Rule::InPosition])],
        script: ScriptSource {
            source: Some("fn on_bar(bar, ctx) {}\n".into()),
            ..ScriptSource::default()
        },
    };
    click(&mut h, "Script");
    click(&mut h, "Sweep filter[0][0]");
    assert_eq!(swept_paths(h.state()), ["filter[0][0]"]);
    let spec = h.state().preset().sweep.clone().unwrap();
    // A threshold on a signal: the column's 5th..95th percentile.
    assert!(spec.params[0].values.ends_with(":5"), "{}", spec.params[0].values);
    click(&mut h, "Optimise");
    h.get_by_label_contains("5 combinations");
}
