//! The rule editor's second-set controls and the fill-assumption comparison, driven through the
//! whole workbench as a user would (egui_kittest, no GPU): long-short rules with intrabar exits,
//! a Portfolio strategy, and the three fill assumptions side by side.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ml4t_backtest::app::{Persisted, Workbench};
use ml4t_engine::strategy::rules::{Direction, ExitFills, Rule};

fn harness(dir: &std::path::Path) -> Harness<'static, Workbench> {
    let app = Workbench::with_sample_dir(Persisted::default(), Arc::new(|| {}), dir.to_path_buf());
    Harness::builder()
        .with_size(egui::vec2(1600.0, 1000.0))
        .build_ui_state(|ui, app: &mut Workbench| app.frame_ui(ui), app)
}

/// Steps frames until `done` holds (background jobs finish on their own threads).
fn step_until(h: &mut Harness<'static, Workbench>, what: &str, done: impl Fn(&Workbench) -> bool) {
    let start = Instant::now();
    while !done(h.state()) {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "timed out waiting for {what}"
        );
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    h.step();
}

/// The workbench on the bundled sample after its first run, showing the Rules tab.
fn started_on_rules(dir: &std::path::Path) -> Harness<'static, Workbench> {
    let mut h = harness(dir);
    step_until(&mut h, "the first run", |a| a.run().is_some() && a.idle());
    // The left panel's tab (the only "Rules" until the tab shows the strategy kind switch).
    h.get_by_label("Rules").click();
    h.step();
    h.step();
    h
}

fn click(h: &mut Harness<'static, Workbench>, label: &str) {
    h.get_by_label(label).click();
    h.step();
    h.step();
}

/// Runs the strategy as it is now (F5's button) and waits for the new result.
fn run_now(h: &mut Harness<'static, Workbench>) {
    h.state_mut().clear_run();
    click(h, "Run (F5)");
    step_until(h, "the run", |a| a.run().is_some() && a.idle());
    assert_eq!(h.state().error(), None);
}

#[test]
fn gui_long_short_intrabar_rules_show_the_ambiguous_bar_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = started_on_rules(dir.path());
    assert!(h.query_by_label("Add short entry rule").is_none());
    click(&mut h, "Long-short");
    click(&mut h, "Add short entry rule");
    click(&mut h, "short entry rule 1 kind");
    click(&mut h, "signal below");
    click(&mut h, "Add short exit rule");
    click(&mut h, "Intrabar");
    let rules = h.state().preset().strategy.rules().unwrap().clone();
    assert_eq!(rules.direction, Direction::LongShort);
    assert!(matches!(rules.short_entry[..], [Rule::SignalBelow(..)]));
    assert_eq!(rules.short_exit.len(), 1);
    assert_eq!(rules.exit_fills, ExitFills::Intrabar);
    assert!(h.state().dirty());
    assert_eq!(h.state().invalid(), None);
    run_now(&mut h);
    let run = h.state().run().unwrap();
    assert!(
        run.result.fills.iter().any(|f| f.position_after < 0.0),
        "the strategy went short"
    );
    let n = run.result.notes.ambiguous_bars;
    assert!(
        h.query_by_label_contains(&format!("Intrabar exits: {n} ambiguous bar"))
            .is_some(),
        "the results show the ambiguous-bar count ({n})"
    );
    // Back to next-open exits: the note goes away.
    click(&mut h, "Next open");
    run_now(&mut h);
    assert!(h.query_by_label_contains("ambiguous bar").is_none());
}

#[test]
fn gui_portfolio_kind_top_n_runs_and_trades() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = started_on_rules(dir.path());
    let rules_before = h.state().preset().strategy.clone();
    click(&mut h, "Portfolio");
    let p = h.state().preset().strategy.rules().unwrap().portfolio.clone();
    let p = p.expect("the Portfolio kind sets a rebalancing portfolio");
    assert_eq!(p.signal, h.state().data().unwrap().bars.signal_names()[0]);
    // Top 3 by the signal, typed as a user would.
    click(&mut h, "portfolio long count");
    h.get_by_label("portfolio long count").type_text("3");
    h.step();
    h.key_press(egui::Key::Enter);
    h.step();
    h.step();
    let p = h.state().preset().strategy.rules().unwrap().portfolio.clone().unwrap();
    assert_eq!(p.n_long, 3);
    run_now(&mut h);
    let run = h.state().run().unwrap();
    assert!(run.result.trades.len() > 10, "{} trades", run.result.trades.len());
    // At most three assets held at once, each one reached by a rebalance.
    let held_max = run
        .result
        .equity
        .ts()
        .iter()
        .map(|&ts| {
            let mut held = std::collections::BTreeMap::new();
            for f in run.result.fills.iter().filter(|f| f.ts.0 <= ts) {
                held.insert(f.asset, f.position_after);
            }
            held.values().filter(|q| **q != 0.0).count()
        })
        .max()
        .unwrap();
    assert!(held_max <= 3, "held {held_max} assets at once");
    // The trade table lists them: its first row's asset is on screen.
    let first = run.result.asset_name(run.result.trades[0].asset).to_owned();
    assert!(h.query_all_by_label(&first).count() > 0, "{first} in the trade table");
    // Back to the Rules kind (the second "Rules": the first is the tab): the rules come back,
    // and the portfolio is kept for the way back.
    h.get_all_by_label("Rules").last().unwrap().click();
    h.step();
    h.step();
    assert_eq!(h.state().preset().strategy, rules_before);
    click(&mut h, "Portfolio");
    let p = h.state().preset().strategy.rules().unwrap().portfolio.clone().unwrap();
    assert_eq!(p.n_long, 3);
}

#[test]
fn gui_fill_assumption_comparison_shows_three_curves_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    step_until(&mut h, "the first run", |a| a.run().is_some() && a.idle());
    click(&mut h, "Fill assumptions");
    click(&mut h, "Compare fill assumptions");
    assert!(h.state().comparing_fills());
    step_until(&mut h, "the comparison", |a| {
        !a.comparing_fills() && a.fill_comparison().is_some()
    });
    let c = h.state().fill_comparison().unwrap().clone();
    let labels: Vec<_> = c.cases.iter().map(|k| k.label).collect();
    assert_eq!(labels, ["Next open", "Intrabar", "Same close"]);
    assert!(!c.cancelled);
    // The next-open case is the run itself.
    let run = h.state().run().unwrap();
    assert_eq!(c.cases[0].trades, run.result.trades.len());
    assert!((c.cases[0].total_return - run.metrics.total_return).abs() < 1e-12);
    assert!(
        c.cases
            .iter()
            .all(|k| k.trades > 0 && k.equity.len() == run.result.equity.len())
    );
    assert_ne!(c.cases[0].total_return, c.cases[2].total_return);
    // Metrics side by side, and the one-line reading.
    // (The first four are also metric cards of the run above.)
    for row in ["Total return", "Sharpe", "Max drawdown", "Trades"] {
        assert_eq!(h.query_all_by_label(row).count(), 2, "{row}: card and table row");
    }
    h.get_by_label("Ambiguous bars");
    for label in labels {
        assert!(h.query_all_by_label(label).count() > 0, "{label} column");
    }
    let reading = c.reading().unwrap();
    assert!(reading.contains("depends on the fill assumption"), "{reading}");
    assert!(h.query_by_label_contains("depends on the fill assumption").is_some());
    // An edit marks the comparison out of date.
    h.state_mut().preset_mut().broker.slippage_bps = 10.0;
    h.step();
    assert!(h.query_by_label_contains("compare again").is_some());

    // Cancelled at once: the finished comparison stays on screen.
    click(&mut h, "Compare fill assumptions");
    click(&mut h, "Cancel comparison");
    step_until(&mut h, "the cancel", |a| !a.comparing_fills());
    let after = h.state().fill_comparison().unwrap();
    assert!(after.cancelled || after.cases.len() == 3);
    assert!(!after.cases.is_empty());
}
