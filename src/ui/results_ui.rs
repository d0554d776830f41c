//! The results side of the workbench: metric cards on top, the linked time plots in a vertical
//! scroll area, and the trade table in a resizable panel below them (room for 20+ rows at
//! 1600x1000, so a click on a trade zooms plots that stay in view). Drawing collects
//! [`ResultsAction`]s; the state changes after.

mod cards;
#[cfg(test)]
mod tests;

use eframe::egui;
use egui::{ScrollArea, Ui};

use super::RunView;
use super::analysis_ui::{AnalysisAction, AnalysisSettings, analysis_ui};
use super::plots::series::{
    AssetData, AssetSeries, BenchSeries, asset_key, bench_key, memo, run_key, signal_values, sub_key,
};
use super::plots::time_axis::ts_to_x;
use super::plots::{self, PriceInput, SignalInput, TimeAxes, TradeMark};
pub use super::trades_ui::TradeSort;
use super::trades_ui::{TradeAction, TradeTable, trade_order, trades_ui};
use ml4t_engine::types::{AssetId, SignalId};

/// What the results panel remembers between frames (persisted by the app).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ResultsState {
    /// Asset of the price, signal and position plots (`None`: the first asset).
    pub asset: Option<String>,
    /// Candles instead of the close line (when few enough bars are visible).
    pub candles: bool,
    /// Signal column of the signal plot (`None`: the first one with rule thresholds).
    pub signal: Option<String>,
    /// Index into the run's trades.
    pub selected_trade: Option<usize>,
    /// Show only this asset's trades.
    pub trade_filter: Option<String>,
    pub sort: TradeSort,
    /// The Backtest view (plots and trades) or the Analysis view.
    pub view: ResultsView,
    /// The Analysis view's settings (benchmark, rolling window).
    pub analysis: AnalysisSettings,
    /// The Optimise view's settings (threads, heatmap axes, table sort, walk-forward windows).
    #[serde(default)]
    pub optimise: super::optimise_ui::OptimiseSettings,
    /// Where "Export report" writes the HTML tearsheet.
    pub report_path: String,
    /// The trade table's share of the Backtest view's height below the tabs: set on first show
    /// (about 24 rows, at most two thirds of a tall window, half of a short one), then by
    /// dragging the split.
    #[serde(default)]
    pub table_share: Option<f32>,
    /// X range the plots jump to on the next frame (after a trade was clicked).
    #[serde(skip)]
    zoom_x: Option<(f64, f64)>,
    /// The plots drop their zoom at the next frame (new data was loaded).
    #[serde(skip)]
    reset_x: bool,
    /// The last range the plots were zoomed to (a trade or a drawdown), until "Show all".
    #[serde(skip)]
    zoomed: Option<(f64, f64)>,
    /// Scroll the plots to the price plot on the next frame (a trade was clicked: its entry and
    /// exit are marked there).
    #[serde(skip)]
    reveal_price: bool,
}

impl ResultsState {
    /// New data: every plot follows the data's range again and no trade is selected.
    pub fn reset_view(&mut self) {
        self.selected_trade = None;
        self.zoom_x = None;
        self.zoomed = None;
        self.reset_x = true;
    }
    /// The range the plots were last zoomed to by a click (a trade, a drawdown), if any.
    pub fn zoomed(&self) -> Option<(f64, f64)> {
        self.zoomed
    }
    fn zoom_to(&mut self, range: (f64, f64)) {
        self.zoom_x = Some(range);
        self.zoomed = Some(range);
    }
    /// Whether the plots will drop their zoom at the next frame.
    pub fn pending_reset(&self) -> bool {
        self.reset_x
    }
    /// The x range (seconds) the plots will zoom to on the next frame, if any.
    pub fn pending_zoom(&self) -> Option<(f64, f64)> {
        self.zoom_x
    }
}

/// The two views of a run's results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum ResultsView {
    /// Metric cards, the linked time plots and the trade table.
    #[default]
    Backtest,
    /// Returns, risk over time, trades and the benchmark, as a research report shows them.
    Analysis,
    /// The strategy rerun under three fill assumptions (drawn by `fills_ui` below the bar).
    Fills,
    /// Parameter sweeps, their overfitting statistics and walk-forward.
    Optimise,
}

/// What the user asked for while the panel was drawn.
#[derive(Debug, Clone, PartialEq)]
pub enum ResultsAction {
    View(ResultsView),
    /// Drop the zoom: every plot shows the whole run again.
    ShowAll,
    Analysis(AnalysisAction),
    Asset(String),
    Candles(bool),
    Signal(String),
    Trades(TradeAction),
}

/// Trade rows the table shows without scrolling when the window has the room.
pub const TRADE_ROWS_SHOWN: f32 = 24.0;

/// Metric cards, then the plots (scrolling) above the trade table (a resizable panel), or the
/// Analysis view. Returns the path of an HTML report the user asked to export.
pub fn results_ui(ui: &mut Ui, run: &RunView, state: &mut ResultsState) -> Option<std::path::PathBuf> {
    let mut export = None;
    if state.selected_trade.is_some_and(|i| i >= run.result.trades.len()) {
        state.selected_trade = None;
    }
    // Plots are sized on the whole results area, so a tall trade table scrolls them rather than
    // squeezing them.
    let avail = ui.available_height().max(480.0);
    let zoom = state.zoom_x.take();
    let reset = std::mem::take(&mut state.reset_x);
    let reveal_price = std::mem::take(&mut state.reveal_price);
    let mut actions = Vec::new();
    cards::cards_ui(ui, &run.metrics);
    super::fills_ui::ambiguous_note_ui(ui, run);
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        for (view, label, hint) in [
            (
                ResultsView::Backtest,
                "Backtest",
                "Plots of equity, price, signal and positions, and the trade table",
            ),
            (
                ResultsView::Analysis,
                "Analysis",
                "Monthly returns, distribution, rolling risk, drawdowns, MAE/MFE, benchmark",
            ),
            (
                ResultsView::Fills,
                "Fill assumptions",
                "Rerun with next-open, intrabar and same-close fills: equity curves and metrics side by side",
            ),
            (
                ResultsView::Optimise,
                "Optimise",
                "Parameter sweeps with heatmap and overfitting statistics, and walk-forward",
            ),
        ] {
            if ui
                .selectable_label(state.view == view, label)
                .on_hover_text(hint)
                .clicked()
                && state.view != view
            {
                actions.push(ResultsAction::View(view));
            }
        }
        if state.zoomed.is_some()
            && ui
                .button("Show all")
                .on_hover_text("Zoom every plot out to the whole run")
                .clicked()
        {
            actions.push(ResultsAction::ShowAll);
        }
        ui.separator();
        if state.report_path.trim().is_empty() {
            "report.html".clone_into(&mut state.report_path);
        }
        let field = ui.label("Report");
        ui.add(egui::TextEdit::singleline(&mut state.report_path).desired_width(200.0))
            .labelled_by(field.id)
            .on_hover_text("Where the HTML tearsheet goes (relative paths: the current folder)");
        if ui
            .button("Export report")
            .on_hover_text(
                "One self-contained HTML file: the strategy, the data's provenance, every metric and plot, the trades",
            )
            .clicked()
        {
            export = Some(std::path::PathBuf::from(state.report_path.trim()));
        }
    });
    if matches!(state.view, ResultsView::Fills | ResultsView::Optimise) {
        // Drawn by the caller, which holds the comparison or sweep state (background jobs).
        finish(ui, state, run, actions);
        return export;
    }
    if state.view == ResultsView::Analysis {
        let xs = run.result.equity.ts();
        let axes = TimeAxes {
            link: ui.make_persistent_id("results_time_link"),
            full_x: xs.first().zip(xs.last()).map(|(&a, &b)| (ts_to_x(a), ts_to_x(b))),
            zoom_x: zoom,
            reset,
        };
        analysis_ui(ui, run, state, &axes, &mut actions);
        finish(ui, state, run, actions);
        return export;
    }
    let row_h = ui.spacing().interact_size.y + ui.spacing().item_spacing.y;
    // The rows, the filter line, the header and the panel's margins.
    let table_h = TRADE_ROWS_SHOWN * row_h + 3.0 * row_h + 16.0;
    let room = ui.available_height().max(1.0);
    // The split is kept as a share of the room, so the table and the plots both keep their part
    // when the room changes (the log opens, the window is resized); dragging the edge sets it.
    let (min_h, max_h) = (4.0 * row_h, (room - 4.0 * row_h).max(4.0 * row_h));
    // The first time: see `first_table_share`; kept from then on as a share.
    let share = *state.table_share.get_or_insert(first_table_share(table_h, room));
    let wanted = (share * room).clamp(min_h, max_h);
    let panel_id = ui.scope_id().with("trades_panel");
    let size = egui::vec2(ui.available_width(), wanted);
    ui.ctx().data_mut(|d| {
        d.insert_persisted(
            panel_id,
            egui::PanelState {
                outer_rect: egui::Rect::from_min_size(egui::Pos2::ZERO, size),
            },
        );
    });
    let bottom = ui.available_rect_before_wrap().bottom();
    egui::Panel::bottom("trades_panel")
        .resizable(true)
        .min_size(min_h)
        .max_size(max_h)
        .show(ui, |ui| table_ui(ui, run, state, &mut actions));
    // The user drags the table's top edge (egui's resize handle of the panel, which sizes the
    // panel from the pointer): the new share is where the pointer is.
    if let Some(edge) = ui.ctx().read_response(panel_id.with("__resize"))
        && (edge.dragged() || edge.drag_stopped())
        && let Some(pointer) = edge.interact_pointer_pos()
    {
        state.table_share = Some(((bottom - pointer.y).clamp(min_h, max_h) / room).clamp(0.0, 1.0));
    }
    ScrollArea::vertical()
        .id_salt("results_scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            if run.result.equity.is_empty() || run.bars.is_empty() {
                ui.weak("no bars: nothing to plot");
            } else {
                plots_ui(ui, run, state, (zoom, reset, reveal_price), avail, &mut actions);
            }
        });
    finish(ui, state, run, actions);
    export
}

fn finish(ui: &Ui, state: &mut ResultsState, run: &RunView, actions: Vec<ResultsAction>) {
    if !actions.is_empty() {
        ui.ctx().request_repaint();
    }
    for action in actions {
        apply(state, run, action);
    }
}

/// Applies one action to the state. Selecting a trade also shows its asset and zooms to it.
pub fn apply(state: &mut ResultsState, run: &RunView, action: ResultsAction) {
    match action {
        ResultsAction::View(v) => state.view = v,
        ResultsAction::Analysis(AnalysisAction::Settings(s)) => state.analysis = s,
        ResultsAction::Analysis(AnalysisAction::Zoom(a, b)) => state.zoom_to((a, b)),
        ResultsAction::ShowAll => {
            state.zoomed = None;
            state.reset_x = true;
        }
        ResultsAction::Asset(a) => state.asset = Some(a),
        ResultsAction::Candles(c) => state.candles = c,
        ResultsAction::Signal(s) => state.signal = Some(s),
        ResultsAction::Trades(TradeAction::Sort(col)) => state.sort = state.sort.clicked(col),
        ResultsAction::Trades(TradeAction::Filter(f)) => state.trade_filter = f,
        ResultsAction::Trades(TradeAction::Select(i)) => {
            let Some(t) = run.result.trades.get(i) else { return };
            state.selected_trade = Some(i);
            state.asset = Some(run.result.asset_name(t.asset).to_owned());
            let (a, b) = (ts_to_x(t.entry_ts.0), ts_to_x(t.exit_ts.0));
            let pad = (0.5 * (b - a)).max(10.0 * bar_spacing(run));
            state.zoom_to((a - pad, b + pad));
            state.reveal_price = true;
        }
    }
}

/// The trade table's first share of the room (`room` points below the view's tabs): its
/// `table_h` (about 24 rows), at most two thirds on a tall window (20 rows at 1600x1000, where
/// the room is ~840) and at most half on a short one (700 or less), where the plots need it.
fn first_table_share(table_h: f32, room: f32) -> f32 {
    let cap = 0.5 + 0.16 * ((room - 700.0) / 130.0).clamp(0.0, 1.0);
    table_h.min(room * cap) / room.max(1.0)
}

/// Mean time between bars, in seconds (a day if there are fewer than two).
fn bar_spacing(run: &RunView) -> f64 {
    let n = run.bars.n_timestamps();
    match run.bars.time_range() {
        Some((a, b)) if n >= 2 && b.0 > a.0 => (ts_to_x(b.0) - ts_to_x(a.0)) / (n - 1) as f64,
        _ => 86_400.0,
    }
}

/// The asset the price plots show: the chosen one if the data has it, else the first.
fn resolve_asset(run: &RunView, state: &ResultsState) -> Option<AssetId> {
    let bars = &run.bars;
    state
        .asset
        .as_deref()
        .and_then(|name| bars.asset_id(name))
        .or_else(|| (!bars.assets().is_empty()).then_some(AssetId(0)))
}

/// The signal the signal plot shows: the chosen one, else the first with thresholds, else the first.
fn resolve_signal(run: &RunView, state: &ResultsState) -> Option<SignalId> {
    let bars = &run.bars;
    state
        .signal
        .as_deref()
        .and_then(|name| bars.signal_id(name))
        .or_else(|| run.thresholds.iter().find_map(|(name, _, _)| bars.signal_id(name)))
        .or_else(|| (!bars.signal_names().is_empty()).then_some(SignalId(0)))
}

fn plots_ui(
    ui: &mut Ui,
    run: &RunView,
    state: &ResultsState,
    (zoom, reset, reveal_price): (Option<(f64, f64)>, bool, bool),
    avail: f32,
    actions: &mut Vec<ResultsAction>,
) {
    let ctx = ui.ctx().clone();
    let key = run_key(run);
    let memo_id = ui.make_persistent_id("results_memo");
    let series = &run.series;
    let bench_key = bench_key(&run.bars, run.result.initial_cash);
    let bench = memo(&ctx, memo_id.with("bench"), bench_key, || {
        BenchSeries::new(&run.bars, run.result.initial_cash)
    });
    let full_x = match (series.xs.first(), series.xs.last()) {
        (Some(&a), Some(&b)) => Some((a, b)),
        _ => None,
    };
    let axes = TimeAxes {
        link: ui.make_persistent_id("results_time_link"),
        full_x,
        zoom_x: zoom,
        reset,
    };
    let h = |share: f32, min: f32, max: f32| (avail * share).clamp(min, max);

    ui.strong("Equity vs. equal-weight buy & hold");
    plots::equity_ui(ui, &axes, (key, bench_key), (series, &bench), h(0.32, 180.0, 420.0));
    plots::drawdown_ui(ui, &axes, key, series, h(0.13, 80.0, 200.0));

    let asset = resolve_asset(run, state);
    let signal = resolve_signal(run, state);
    if reveal_price {
        // The clicked trade is drawn on the price plot: bring it to the top of the plot area.
        ui.scroll_to_cursor(Some(egui::Align::TOP));
    }
    controls_ui(ui, run, state, asset, signal, actions);
    if let Some(aid) = asset {
        let name = run.bars.assets()[aid.index()].as_str();
        let data_key = asset_key(&run.bars, aid);
        let data = memo(&ctx, memo_id.with("asset_data"), data_key, || {
            AssetData::new(&run.bars, aid)
        });
        let s = memo(&ctx, memo_id.with("asset"), (key, aid), || {
            AssetSeries::new(run, aid, data)
        });
        let run_asset_key = sub_key((key, aid.0));
        let trade = state
            .selected_trade
            .and_then(|i| run.result.trades.get(i))
            .filter(|t| t.asset == aid)
            .map(|t| TradeMark {
                entry: [ts_to_x(t.entry_ts.0), t.entry_price],
                exit: [ts_to_x(t.exit_ts.0), t.exit_price],
            });
        let price = PriceInput {
            bars: &run.bars,
            asset: name,
            series: &s,
            candles: state.candles,
            trade,
        };
        plots::price_ui(ui, &axes, data_key, price, h(0.32, 180.0, 420.0));
        if let Some(sid) = signal {
            let sig_name = run.bars.signal_names()[sid.index()].as_str();
            let signal_key = sub_key((data_key, sid.0));
            let values = memo(&ctx, memo_id.with("signal"), signal_key, || {
                let values = signal_values(&run.bars, &s.data.rows, sid);
                let all_nan = values.iter().all(|v| v.is_nan());
                (values, all_nan)
            });
            if values.1 {
                ui.weak(format!("{sig_name} has no values for {name}"));
            }
            let thresholds: Vec<(f64, String)> = run
                .thresholds
                .iter()
                .filter(|(n, _, _)| n == sig_name)
                .map(|(_, v, label)| (*v, label.clone()))
                .collect();
            let height = h(0.16, 90.0, 240.0);
            let input = SignalInput {
                name: sig_name,
                xs: &s.data.xs,
                values: &values.0,
                thresholds: &thresholds,
            };
            plots::signal_ui(ui, &axes, signal_key, input, height);
        }
        ui.strong("Position and exposure");
        plots::position_ui(ui, &axes, run_asset_key, name, &s, h(0.12, 70.0, 160.0));
    }
    plots::exposure_ui(ui, &axes, key, series, h(0.12, 70.0, 160.0));
}

/// Asset and signal choice, candles toggle.
fn controls_ui(
    ui: &mut Ui,
    run: &RunView,
    state: &ResultsState,
    asset: Option<AssetId>,
    signal: Option<SignalId>,
    actions: &mut Vec<ResultsAction>,
) {
    let bars = &run.bars;
    ui.horizontal(|ui| {
        ui.strong("Price");
        let current = asset.map_or("", |a| bars.assets()[a.index()].as_str());
        egui::ComboBox::new("price_asset", "asset")
            .selected_text(current)
            .show_ui(ui, |ui| {
                for name in bars.assets() {
                    if ui.selectable_label(name == current, name.as_str()).clicked() {
                        actions.push(ResultsAction::Asset(name.clone()));
                    }
                }
            });
        let mut candles = state.candles;
        if ui
            .checkbox(&mut candles, "candles")
            .on_hover_text(format!(
                "Draw OHLC candles instead of the close line while fewer than {} bars are visible.",
                plots::MAX_CANDLES
            ))
            .changed()
        {
            actions.push(ResultsAction::Candles(candles));
        }
        if !bars.signal_names().is_empty() {
            ui.separator();
            let current = signal.map_or("", |s| bars.signal_names()[s.index()].as_str());
            egui::ComboBox::new("signal_column", "signal")
                .selected_text(current)
                .show_ui(ui, |ui| {
                    for name in bars.signal_names() {
                        if ui.selectable_label(name == current, name.as_str()).clicked() {
                            actions.push(ResultsAction::Signal(name.clone()));
                        }
                    }
                });
        }
    });
}

fn table_ui(ui: &mut Ui, run: &RunView, state: &ResultsState, actions: &mut Vec<ResultsAction>) {
    let r = &run.result;
    let order = memo(
        ui.ctx(),
        ui.make_persistent_id("results_memo").with("trade_order"),
        (run_key(run), state.sort, state.trade_filter.clone()),
        || trade_order(&r.trades, &r.assets, state.trade_filter.as_deref(), state.sort),
    );
    let table = TradeTable {
        trades: &r.trades,
        asset_names: &r.assets,
        order: &order,
        sort: state.sort,
        filter: state.trade_filter.as_deref(),
        selected: state.selected_trade,
        // What the panel leaves after the filter line, the header and the open-positions note.
        height: (ui.available_height() - 3.0 * (ui.spacing().interact_size.y + ui.spacing().item_spacing.y))
            .max(ui.spacing().interact_size.y),
    };
    // The columns have fixed widths; a narrow panel scrolls the table sideways instead of
    // widening every plot above it.
    let picked = ScrollArea::horizontal()
        .id_salt("trades_hscroll")
        .show(ui, |ui| trades_ui(ui, &table))
        .inner;
    if let Some(a) = picked {
        actions.push(ResultsAction::Trades(a));
    }
    if !r.open_positions.is_empty() {
        ui.weak(format!(
            "{} position(s) still open at the end (not in the table).",
            r.open_positions.len()
        ));
    }
}
