//! The results panel driven headless through egui_kittest: widgets found by label, clicked, and
//! the state checked.

use std::sync::Arc;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};

use super::*;
use crate::ui::plots::series::RunSeries;
use crate::ui::trades_ui::{TradeColumn, cell_text};
use ml4t_data::{SampleSpec, sample};
use ml4t_engine::execution::BrokerConfig;
use ml4t_engine::market::Bars;
use ml4t_engine::results::{EquityCurve, RunResult};
use ml4t_engine::strategy::reference::MlThreshold;

fn run_of(bars: Bars) -> RunView {
    let mut strategy = MlThreshold::scenario("S3").unwrap();
    let result = ml4t_engine::backtest(&bars, &mut strategy, BrokerConfig::default()).unwrap();
    let metrics = result.metrics(&Default::default());
    RunView {
        series: Arc::new(RunSeries::new(&result)),
        result,
        metrics,
        metrics_options: Default::default(),
        bars: Arc::new(bars),
        thresholds: vec![
            ("ml_pred".into(), 0.8, "entry ml_pred > 0.8".into()),
            ("ml_pred".into(), 0.4, "exit ml_pred < 0.4".into()),
        ],
        elapsed_ms: 1.0,
        engine_ms: 1.0,
        intrabar_exits: false,
    }
}

fn sample_run(assets: usize, bars: usize) -> RunView {
    run_of(
        sample(&SampleSpec {
            assets,
            bars,
            ..Default::default()
        })
        .unwrap(),
    )
}

/// Tall enough that the trade table is on screen below the plots.
fn harness(run: &RunView) -> Harness<'_, ResultsState> {
    Harness::builder().with_size([1400.0, 3200.0]).build_ui_state(
        |ui, state| {
            results_ui(ui, run, state);
        },
        ResultsState::default(),
    )
}

#[test]
fn results_ui_cards_show_trade_count() {
    let run = sample_run(2, 300);
    let n = run.result.trades.len();
    assert!(n > 2, "the sample run should trade ({n} trades)");
    let mut h = harness(&run);
    h.run();
    let title = h.get_by_label("Trades");
    let card = title.parent().unwrap();
    card.get_by_label(&n.to_string());
    h.get_by_label(&format!("{n} of {n} trades"));
}

#[test]
fn results_ui_header_click_sorts() {
    let run = sample_run(2, 300);
    let mut h = harness(&run);
    h.run();
    h.get_by_label("return %").click();
    h.run();
    let sort = h.state().sort;
    assert_eq!((sort.column, sort.descending), (TradeColumn::ReturnPct, false));
    // The worst trade now leads the table; a second click puts the best first.
    let trades = &run.result.trades;
    let by_return = |i: &usize| trades[*i].return_pct();
    let worst = (0..trades.len())
        .min_by(|a, b| by_return(a).total_cmp(&by_return(b)))
        .unwrap();
    let best = (0..trades.len())
        .max_by(|a, b| by_return(a).total_cmp(&by_return(b)))
        .unwrap();
    let ret = |i: usize| cell_text(&trades[i], TradeColumn::ReturnPct, &run.result.assets);
    assert!(h.query_by_label(&ret(worst)).is_some());
    h.get_by_label("return %").click();
    h.run();
    assert!(h.state().sort.descending);
    assert!(h.query_by_label(&ret(best)).is_some());
}

#[test]
fn results_ui_row_click_selects_trade_and_asset() {
    let run = sample_run(2, 300);
    let trades = &run.result.trades;
    let pnl = |i: usize| cell_text(&trades[i], TradeColumn::Pnl, &run.result.assets);
    // A trade of the second asset among the first rows, with a pnl text no other trade has.
    let i = (0..trades.len().min(15))
        .find(|&i| trades[i].asset.0 == 1 && (0..trades.len()).filter(|&j| pnl(j) == pnl(i)).count() == 1)
        .expect("a trade of A001 near the top");
    let mut h = harness(&run);
    h.run();
    assert_eq!(h.state().asset, None);
    h.get_by_label(&pnl(i)).click();
    h.run();
    let state = h.state();
    assert_eq!(state.selected_trade, Some(i));
    assert_eq!(state.asset.as_deref(), Some("A001"));
    assert_eq!(state.pending_zoom(), None, "the zoom was applied by the plots");
}

#[test]
fn results_ui_asset_filter_reduces_rows() {
    let run = sample_run(2, 300);
    let n = run.result.trades.len();
    let n_a1 = run.result.trades.iter().filter(|t| t.asset.0 == 1).count();
    assert!(0 < n_a1 && n_a1 < n);
    let mut h = harness(&run);
    h.run();
    h.get_by_label("asset filter").click();
    h.run();
    // The popup's entries line up under its "all assets" (the table also has "A001" cells).
    let left = h.get_by_label("all assets").rect().left();
    let option = h.get_all_by_label("A001").find(|n| n.rect().left() == left);
    option.expect("A001 in the filter popup").click();
    h.run();
    assert_eq!(h.state().trade_filter.as_deref(), Some("A001"));
    h.get_by_label(&format!("{n_a1} of {n} trades (A001)"));
    // Only the price plot's asset combo still says A000: no table row does.
    assert!(h.query_all_by_label("A000").count() <= 1);
    assert_eq!(h.get_all_by_label("A001").count(), n_a1.min(visible_rows(&h)));
}

/// Rows of the trade table on screen (each has one "long"/"short" side cell).
fn visible_rows(h: &Harness<'_, ResultsState>) -> usize {
    h.query_all_by_label("long").count() + h.query_all_by_label("short").count()
}

#[test]
fn results_ui_empty_run_renders() {
    let result = RunResult {
        config: BrokerConfig::default(),
        assets: Vec::new(),
        initial_cash: 100_000.0,
        equity: EquityCurve::default(),
        trades: Vec::new(),
        fills: Vec::new(),
        open_positions: Vec::new(),
        open_orders: Vec::new(),
        rejections: Vec::new(),
        timestamps: 0,
        bars: 0,
        notes: Default::default(),
    };
    let metrics = result.metrics(&Default::default());
    let run = RunView {
        series: Arc::new(RunSeries::new(&result)),
        result,
        metrics,
        metrics_options: Default::default(),
        bars: Arc::new(Bars::default()),
        thresholds: Vec::new(),
        elapsed_ms: 0.0,
        engine_ms: 0.0,
        intrabar_exits: false,
    };
    let mut h = harness(&run);
    h.run();
    h.get_by_label("no trades");
    h.get_by_label("no bars: nothing to plot");
}

#[test]
fn results_ui_one_bar_all_nan_signal_renders() {
    // One bar: no trades, and ml_pred is defined but momentum/volatility are NaN on it.
    let run = sample_run(1, 1);
    let mut h = harness(&run);
    h.state_mut().signal = Some("momentum".into());
    h.state_mut().candles = true;
    h.run();
    h.get_by_label("no trades");
    h.get_by_label("momentum has no values for A000");
}

#[test]
fn first_table_share_gives_short_windows_to_the_plots() {
    // 1600x1000: ~840 points of room, two thirds for the table (20 rows and more).
    assert!((super::first_table_share(637.0, 838.0) - 0.66).abs() < 1e-6);
    // A short window: half; a tall one: just the 24 rows.
    assert!((super::first_table_share(637.0, 600.0) - 0.5).abs() < 1e-6);
    assert!((super::first_table_share(637.0, 1400.0) - 637.0 / 1400.0).abs() < 1e-6);
    // In between, between the two.
    let mid = super::first_table_share(637.0, 740.0);
    assert!(0.5 < mid && mid < 0.66, "{mid}");
}
