//! Panels and plots of the workbench. Functions take `&mut egui::Ui` (names end in `_ui`), draw,
//! and report user intent back (a `changed` flag or commands); they hold no app logic.

/// The Analysis view: monthly returns, distribution, rolling risk, drawdowns, MAE/MFE, benchmark.
pub mod analysis_ui;
/// What the panels ask the app to do.
pub mod command;
/// The data panel: file, schema, mapping, signals, assets, dates.
pub mod data_ui;
/// The fill-assumption comparison: next open, intrabar and same close side by side.
pub mod fills_ui;
/// Where panels go: top bar, left panel tabs, central results, log; the [`layout::Screen`] the
/// app lends for a frame.
pub mod layout;
/// The Live tab: paper trading on a WebSocket feed with connection state, equity and fills.
pub mod live_ui;
/// The log panel.
pub mod log_ui;
/// The Optimise view: sweep definition, sweeps with heatmap and table, overfitting, walk-forward.
pub mod optimise_ui;
/// Time plots: equity, drawdown, price with fills, signal with thresholds, exposure; line thinning.
pub mod plots;
/// The results panel: metric cards, plots and trade table, with its persisted state.
pub mod results_ui;
/// Visual editor of level-1 rule strategies (entry, exit, sizer) and of the broker settings.
pub mod rules_ui;
/// The Script tab: strategy kind switch, Rhai editor with highlighting and errors, open/save.
pub mod script_ui;
/// The sortable, filterable trade table.
pub mod trades_ui;

use std::sync::Arc;

use ml4t_data::{LoadedData, SchemaInfo, SignalInfo};
use ml4t_engine::market::Bars;
use ml4t_engine::results::RunResult;
use ml4t_engine::results::metrics::{Metrics, MetricsOptions};

/// Loaded data with what the panels show about it.
pub struct DataView {
    /// Where the data came from and how it was read; its `bars` are empty (moved into `bars`,
    /// so the workbench holds one copy of the data).
    pub loaded: LoadedData,
    pub bars: Arc<Bars>,
    pub signals: Vec<SignalInfo>,
    pub schema: Option<SchemaInfo>,
}

/// One finished run as the results panels show it.
#[derive(Debug, Clone)]
pub struct RunView {
    pub result: RunResult,
    pub metrics: Metrics,
    /// The metric settings the run used (the Analysis view computes with the same).
    pub metrics_options: MetricsOptions,
    /// The data the run used (prices for the plots, timestamps for the axes).
    pub bars: Arc<Bars>,
    /// Thresholds of the rules on signal columns, drawn as horizontal lines on signal plots:
    /// (signal name, value, label such as "entry ml_pred > 0.8").
    pub thresholds: Vec<(String, f64, String)>,
    /// Wall-clock time of the run, for the status line.
    pub elapsed_ms: f64,
    /// The engine's part of it (the rest is the metrics).
    pub engine_ms: f64,
    /// Stops and take-profits rested intrabar (the results show the ambiguous-bar count).
    pub intrabar_exits: bool,
    /// The run's equity, drawdown and exposure as plot series, built beside the metrics.
    pub series: Arc<plots::series::RunSeries>,
}
