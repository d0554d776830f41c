//! The Optimise view: the preset's sweep definition (parameters with from/to/steps, constraints,
//! objective), a background sweep with progress and cancel, its results (a heatmap for two or
//! more parameters, a line for one, a sortable table of every combination, the best cell and its
//! stability in one plain line), the overfitting panel under every sweep, and walk-forward.
//! A click on a cell or row writes that combination into the preset and runs it as the single
//! backtest the Backtest view shows. Drawing only reads and edits the borrowed state and pushes
//! [`OptimiseCommand`]s; the app runs the jobs.

mod define;
mod grid;
mod overfit;
mod table;
mod walk_forward;

use std::time::Duration;

use eframe::egui;
use egui::{RichText, ScrollArea, Ui};

use super::command::Command;
use crate::research::{SweepView, WalkForwardView};
use ml4t_preset::SweepSpec;

/// What the Optimise view remembers between frames and sessions (persisted with the results
/// state); the sweep definition itself lives in the preset.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct OptimiseSettings {
    /// Worker threads of a sweep or walk-forward (0: one per core).
    pub threads: usize,
    /// Parameters on the heatmap's x and y axes (indices into the sweep's parameters).
    pub x_axis: usize,
    pub y_axis: usize,
    /// The other parameters' values (axis indices) while two are on the heatmap.
    pub fixed: Vec<usize>,
    /// Table sort: column and direction.
    pub sort: table::TableSort,
    /// CSCV blocks of the PBO (even).
    pub cscv_blocks: usize,
    pub walk_forward: WalkForwardSettings,
}

impl Default for OptimiseSettings {
    fn default() -> Self {
        OptimiseSettings {
            threads: 0,
            x_axis: 0,
            y_axis: 1,
            fixed: Vec::new(),
            sort: table::TableSort::default(),
            cscv_blocks: 16,
            walk_forward: WalkForwardSettings::default(),
        }
    }
}

/// Window settings of a walk-forward.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct WalkForwardSettings {
    /// Train window: bars (`500`) or a period (`30d`, `4w`, `6m`, `2y`).
    pub train: String,
    /// Test window, also the step between folds.
    pub test: String,
    /// Every train window starts at the first bar (grows) instead of rolling.
    pub anchored: bool,
    /// Bars after each train window used by neither side.
    pub embargo: usize,
    /// Each test run starts with the previous fold's final equity.
    pub carry_equity: bool,
}

impl Default for WalkForwardSettings {
    fn default() -> Self {
        WalkForwardSettings {
            train: "1y".into(),
            test: "3m".into(),
            anchored: false,
            embargo: 0,
            carry_equity: false,
        }
    }
}

/// What the view asks the app to do.
#[derive(Debug, Clone, PartialEq)]
pub enum OptimiseCommand {
    /// "Sweep this" in the rule or broker editor: add the number to the sweep, or take it out.
    ToggleParam {
        path: String,
        column: Option<String>,
        value: f64,
    },
    /// The sweep definition was edited in place (marks the preset unsaved).
    DefinitionEdited,
    RunSweep,
    CancelSweep,
    /// Write the combination of this sweep row into the preset and run it.
    ApplyRow(usize),
    RunWalkForward,
    CancelWalkForward,
}

/// A job in flight: finished and planned runs, and for how long.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JobProgress {
    pub done: usize,
    pub total: usize,
    pub elapsed: Duration,
}

/// What the view reads and edits, borrowed from the app for one frame.
pub struct OptimisePanel<'a> {
    /// The preset's sweep definition.
    pub spec: &'a mut Option<SweepSpec>,
    /// Every path of the preset a sweep can vary.
    pub valid_paths: &'a [String],
    /// Each path in words ("entry rule 1: ml_pred > 0.75").
    pub path_labels: &'a [(String, String)],
    /// How many combinations the definition has ("25 combinations"), or why it cannot run.
    pub plan: Option<&'a Result<String, String>>,
    pub settings: &'a mut OptimiseSettings,
    pub sweep: Option<&'a SweepView>,
    pub sweeping: Option<JobProgress>,
    pub walk_forward: Option<&'a WalkForwardView>,
    pub walking: Option<JobProgress>,
    /// The sweep row last written into the preset.
    pub applied: Option<usize>,
    pub has_data: bool,
    pub commands: &'a mut Vec<Command>,
}

impl OptimisePanel<'_> {
    fn push(&mut self, c: OptimiseCommand) {
        self.commands.push(Command::Optimise(c));
    }
}

/// The whole view, scrolling vertically.
pub fn optimise_ui(ui: &mut Ui, p: &mut OptimisePanel<'_>) {
    ScrollArea::vertical()
        .id_salt("optimise_scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            // Room for the scroll bar, which floats over the content's right edge.
            ui.set_max_width((ui.available_width() - 14.0).max(200.0));
            egui::CollapsingHeader::new(RichText::new("Sweep definition").strong())
                .default_open(true)
                .show(ui, |ui| define::definition_ui(ui, p));
            run_bar_ui(ui, p);
            ui.separator();
            match p.sweep {
                Some(view) => results_ui(ui, view, p),
                None => {
                    ui.weak(
                        "No sweep yet. Mark numbers with the sweep icon in the Rules or Broker tab (or add them \
                         above), then press Run sweep.",
                    );
                }
            }
            ui.add_space(8.0);
            egui::CollapsingHeader::new(RichText::new("Walk-forward").strong())
                .default_open(true)
                .show(ui, |ui| walk_forward::walk_forward_ui(ui, p));
        });
}

/// Run / Cancel, threads, progress.
fn run_bar_ui(ui: &mut Ui, p: &mut OptimisePanel<'_>) {
    ui.horizontal(|ui| {
        let ready = matches!(p.plan, Some(Ok(_))) && p.has_data;
        match p.sweeping {
            Some(job) => {
                if ui
                    .button("Cancel sweep")
                    .on_hover_text("Stop; the finished rows are kept")
                    .clicked()
                {
                    p.push(OptimiseCommand::CancelSweep);
                }
                progress_ui(ui, job, "combinations");
            }
            None => {
                let run = ui.add_enabled(ready, egui::Button::new("Run sweep"));
                let run = match p.plan {
                    Some(Err(e)) => run.on_disabled_hover_text(e.as_str()),
                    _ if !p.has_data => run.on_disabled_hover_text("Load data first"),
                    _ => run.on_hover_text("Run every combination in the background, on all the threads below"),
                };
                if run.clicked() {
                    p.push(OptimiseCommand::RunSweep);
                }
            }
        }
        ui.separator();
        threads_ui(ui, &mut p.settings.threads);
    });
}

/// Threads (0 = all cores).
fn threads_ui(ui: &mut Ui, threads: &mut usize) {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let label = ui.label("Threads");
    ui.add(
        egui::DragValue::new(threads)
            .range(0..=cores.max(1) * 4)
            .custom_formatter(move |v, _| {
                if v == 0.0 {
                    format!("all {cores}")
                } else {
                    format!("{v:.0}")
                }
            })
            .custom_parser(|text| {
                let text = text.trim();
                if text.starts_with("all") {
                    Some(0.0)
                } else {
                    text.parse::<f64>()
                        .ok()
                        .filter(|v| v.is_finite() && *v >= 0.0)
                        .map(f64::round)
                }
            }),
    )
    .labelled_by(label.id)
    .on_hover_text("Worker threads of sweeps and walk-forwards; 0 uses every core");
}

/// A progress bar with "12 / 25 combinations · 1.2 s".
fn progress_ui(ui: &mut Ui, job: JobProgress, what: &str) {
    let fraction = if job.total > 0 {
        job.done as f32 / job.total as f32
    } else {
        0.0
    };
    ui.add(
        egui::ProgressBar::new(fraction)
            .desired_width(220.0)
            .text(format!("{} / {} {what}", job.done, job.total)),
    );
    ui.label(format!("{:.1} s", job.elapsed.as_secs_f32()));
}

/// The best line, the chart, the overfitting panel and the table of a finished sweep.
fn results_ui(ui: &mut Ui, view: &SweepView, p: &mut OptimisePanel<'_>) {
    let trades = view.total_trades();
    let status = format!(
        "{} of {} combinations x {} bars in {:.2} s ({:.1} M combination-bars/s), {} trades in all{}",
        view.rows.len(),
        view.combos,
        view.bars,
        view.seconds,
        (view.rows.len() * view.bars) as f64 / view.seconds.max(1e-9) / 1e6,
        trades,
        if view.cancelled {
            " (cancelled: the finished rows are kept)"
        } else {
            ""
        }
    );
    ui.label(RichText::new(status).weak());
    ui.label(RichText::new(view.best_line()).strong());
    if let Some(i) = p.applied.filter(|&i| i < view.rows.len()) {
        ui.label(format!(
            "In the editor and the Backtest view: {} (click another cell or row to try it)",
            view.describe(i)
        ));
    }
    ui.add_space(4.0);
    let wide = ui.available_width() > 900.0;
    if wide {
        ui.columns(2, |cols| {
            grid::chart_ui(&mut cols[0], view, p);
            overfit::overfitting_ui(&mut cols[1], view);
        });
    } else {
        grid::chart_ui(ui, view, p);
        overfit::overfitting_ui(ui, view);
    }
    ui.add_space(6.0);
    table::table_ui(ui, view, p);
}
