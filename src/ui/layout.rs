//! Where panels go: top bar, left panel (data / rules / script / broker / live), central results, log at the
//! bottom.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::command::Command;
use super::data_ui::{DataPanel, data_ui};
use super::fills_ui::{FillsPanel, fills_ui};
use super::live_ui::{LivePanel, LiveView, live_ui};
use super::log_ui::log_ui;
use super::optimise_ui::{JobProgress, OptimiseCommand, OptimisePanel, optimise_ui};
use super::results_ui::{ResultsState, ResultsView, results_ui};
use super::script_ui::{ScriptPanel, script_ui};
use super::{DataView, RunView, rules_ui};
use crate::log::Log;
use crate::research::{SweepView, WalkForwardView};
use ml4t_preset::Preset;
use ml4t_script::ScriptError;

/// Left panel tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum LeftTab {
    #[default]
    Data,
    Rules,
    Broker,
    Live,
    Script,
}

/// Everything the window shows, borrowed from the app for one frame: what the panels may edit
/// is `&mut`, the rest is read-only; user intent comes back through `commands`.
pub struct Screen<'a> {
    pub commands: &'a mut Vec<Command>,
    /// The strategy document being edited.
    pub preset: &'a mut Preset,
    /// Unsaved edits (the preset's name field sets it).
    pub dirty: &'a mut bool,
    /// The preset has a file (Revert applies).
    pub has_preset_file: bool,
    pub preset_path_field: &'a mut String,
    pub recent_presets: &'a [PathBuf],
    pub auto_run: &'a mut bool,
    pub show_log: &'a mut bool,
    pub left_tab: &'a mut LeftTab,
    pub results: &'a mut ResultsState,
    pub data: Option<&'a DataView>,
    pub data_path_field: &'a mut String,
    pub recent_data: &'a [PathBuf],
    pub known_assets: &'a [String],
    /// Why the strategy cannot run.
    pub invalid: Option<&'a str>,
    /// A load in flight: for how long.
    pub loading: Option<Duration>,
    /// A run in flight: progress in [0, 1] and for how long.
    pub running: Option<(f32, Duration)>,
    pub run: Option<&'a RunView>,
    pub log: &'a Log,
    /// The error banner.
    pub error: Option<&'a str>,
    pub preset_changed_on_disk: bool,
    pub script: ScriptTab<'a>,
    pub fills: FillsTab<'a>,
    pub live: LiveTab<'a>,
    pub optimise: OptimiseTab<'a>,
}

/// The Optimise view's jobs and results, as the app keeps them (its settings are in `results`,
/// the sweep definition in the preset).
pub struct OptimiseTab<'a> {
    /// Paths the preset's sweep varies (the editors highlight their "sweep this" buttons).
    pub swept: Vec<String>,
    pub valid_paths: &'a [String],
    pub path_labels: &'a [(String, String)],
    pub plan: Option<&'a Result<String, String>>,
    pub sweep: Option<&'a SweepView>,
    pub sweeping: Option<JobProgress>,
    pub walk_forward: Option<&'a WalkForwardView>,
    pub walking: Option<JobProgress>,
    pub applied: Option<usize>,
}

/// The Script tab's editor, as the app keeps it.
pub struct ScriptTab<'a> {
    pub text: &'a mut String,
    pub path_field: &'a mut String,
    pub error: Option<&'a ScriptError>,
    pub runtime_error: Option<&'a (usize, String)>,
    pub changed_on_disk: bool,
    pub unsaved: bool,
}

/// The fill-assumption comparison, as the app keeps it (drawn in the results' Fills view).
pub struct FillsTab<'a> {
    pub comparison: Option<&'a super::fills_ui::FillComparison>,
    /// Progress of a comparison in flight.
    pub running: Option<f32>,
    /// The strategy changed since the comparison ran.
    pub stale: bool,
}

/// The Live tab's settings and session, as the app keeps them.
pub struct LiveTab<'a> {
    pub session: Option<&'a LiveView>,
    pub url: &'a mut String,
    pub journal: &'a mut String,
    pub exit_at_end: &'a mut bool,
}

impl Screen<'_> {
    fn busy(&self) -> bool {
        self.loading.is_some() || self.running.is_some()
    }
}

/// Default width of the left panel (data, rules, broker, live).
const LEFT_PANEL_WIDTH: f32 = 520.0;
/// Default width of the left panel on the Script tab: 100 columns of code plus the gutter.
const SCRIPT_PANEL_WIDTH: f32 = 860.0;

/// The whole window: top bar, status bar, log, left panel, results.
pub fn workbench_ui(ui: &mut egui::Ui, app: &mut Screen<'_>) {
    egui::Panel::top("top-bar").show(ui, |ui| top_bar_ui(ui, app));
    egui::Panel::bottom("status-bar").show(ui, |ui| status_ui(ui, app));
    if *app.show_log {
        egui::Panel::bottom("log")
            .resizable(true)
            .default_size(140.0)
            .show(ui, |ui| log_ui(ui, app.log));
    }
    // The Script tab gets a panel of its own width (remembered apart): wide enough for a
    // 100-column line of code, while the other tabs keep a narrow panel and room for results.
    // (Only while there is a script to edit: for a rules preset the tab holds the kind switch.)
    let (id, width) = match *app.left_tab {
        LeftTab::Script if app.preset.strategy.script().is_some() => ("left-script", SCRIPT_PANEL_WIDTH),
        _ => ("left", LEFT_PANEL_WIDTH),
    };
    egui::Panel::left(id)
        .resizable(true)
        .default_size(width.min(ui.available_width() * 0.6))
        .show(ui, |ui| left_ui(ui, app));
    egui::CentralPanel::default().show(ui, |ui| central_ui(ui, app));
}

fn top_bar_ui(ui: &mut egui::Ui, app: &mut Screen<'_>) {
    ui.horizontal_wrapped(|ui| {
        ui.strong("ml4t");
        ui.separator();
        if ui
            .button("Open data...")
            .on_hover_text("Open a Parquet or CSV file (Ctrl+O)")
            .clicked()
        {
            app.commands.push(Command::OpenDataDialog);
        }
        if ui
            .button("Open preset...")
            .on_hover_text("Open a strategy preset (.ron)")
            .clicked()
        {
            app.commands.push(Command::OpenPresetDialog);
        }
        let save_label = if *app.dirty { "Save *" } else { "Save" };
        if ui
            .button(save_label)
            .on_hover_text("Save the preset (Ctrl+S)")
            .clicked()
        {
            app.commands.push(Command::SavePreset);
        }
        ui.menu_button("Save as / recent", |ui| preset_menu_ui(ui, app));
        preset_path_ui(ui, app);
        ui.separator();
        let can_run = app.data.is_some() && app.invalid.is_none();
        let run = ui.add_enabled(can_run, egui::Button::new("Run (F5)"));
        let run = match app.invalid {
            Some(problem) => run.on_disabled_hover_text(problem),
            None => run.on_hover_text("Run the backtest in the background"),
        };
        if run.clicked() {
            app.commands.push(Command::Run);
        }
        if app.running.is_some() && ui.button("Cancel").clicked() {
            app.commands.push(Command::Cancel);
        }
        ui.checkbox(&mut *app.auto_run, "Auto-run")
            .on_hover_text("Re-run shortly after each edit");
        ui.checkbox(&mut *app.show_log, "Log");
    });
}

/// The preset path field: typing a path works where no file dialog can open (no desktop portal).
/// It lives in the top bar, not in a menu, because a click in a menu closes it.
fn preset_path_ui(ui: &mut egui::Ui, app: &mut Screen<'_>) {
    let label = ui.label("Preset");
    ui.add(
        egui::TextEdit::singleline(&mut *app.preset_path_field)
            .hint_text("path/to/strategy.ron")
            .desired_width(220.0),
    )
    .labelled_by(label.id);
    let path = app.preset_path_field.trim().to_owned();
    if ui
        .add_enabled(!path.is_empty(), egui::Button::new("Open path"))
        .clicked()
    {
        app.commands.push(Command::OpenPreset(path.clone().into()));
    }
    if ui
        .add_enabled(!path.is_empty(), egui::Button::new("Save to path"))
        .clicked()
    {
        app.commands.push(Command::SavePresetAs(path.into()));
    }
}

fn preset_menu_ui(ui: &mut egui::Ui, app: &mut Screen<'_>) {
    if ui.button("Save as... (dialog)").clicked() {
        app.commands.push(Command::SavePresetAsDialog);
        ui.close();
    }
    if app.has_preset_file && *app.dirty && ui.button("Revert to saved").clicked() {
        app.commands.push(Command::RevertPreset);
        ui.close();
    }
    if !app.recent_presets.is_empty() {
        ui.separator();
        ui.label("Recent presets:");
        for p in app.recent_presets.iter().cloned() {
            if ui.button(p.display().to_string()).clicked() {
                app.commands.push(Command::OpenPreset(p));
                ui.close();
            }
        }
    }
}

fn status_ui(ui: &mut egui::Ui, app: &mut Screen<'_>) {
    ui.horizontal(|ui| {
        if let Some(elapsed) = app.loading {
            ui.spinner();
            ui.label(format!("loading data... {:.1} s", elapsed.as_secs_f32()));
            if ui
                .button("Cancel load")
                .on_hover_text("Stop loading; the data already loaded stays")
                .clicked()
            {
                app.commands.push(Command::CancelLoad);
            }
        }
        if let Some((progress, elapsed)) = app.running {
            ui.add(egui::ProgressBar::new(progress).desired_width(160.0).show_percentage());
            ui.label(format!("running... {:.1} s", elapsed.as_secs_f32()));
        }
        if let Some(d) = app.data {
            ui.label(format!("{} rows | {} assets", d.bars.len(), d.bars.assets().len()));
        }
        if let Some(r) = app.run {
            ui.separator();
            ui.label(format!(
                "last run {:.1} ms | {:.1}M bars/s | {} trades",
                r.elapsed_ms,
                r.result.bars as f64 / r.elapsed_ms.max(1e-9) / 1e3,
                r.result.trades.len()
            ));
            if r.result.config.fill_timing == ml4t_engine::execution::FillTiming::SameClose {
                ui.colored_label(ui.visuals().warn_fg_color, "same-close fills: optimistic");
            }
        }
        if let Some(e) = app.log.last() {
            ui.separator();
            // Truncated: a long message must not widen the window's layout.
            ui.add(egui::Label::new(egui::RichText::new(&e.text).weak()).truncate());
        }
    });
}

fn left_ui(ui: &mut egui::Ui, app: &mut Screen<'_>) {
    ui.horizontal(|ui| {
        for (tab, label) in [
            (LeftTab::Data, "Data"),
            (LeftTab::Rules, "Rules"),
            (LeftTab::Script, "Script"),
            (LeftTab::Broker, "Broker & metrics"),
            (LeftTab::Live, "Live"),
        ] {
            ui.selectable_value(&mut *app.left_tab, tab, label);
        }
    });
    ui.separator();
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .id_salt("left-scroll")
        .show(ui, |ui| match *app.left_tab {
            LeftTab::Data => data_ui(
                ui,
                &mut DataPanel {
                    data: app.data,
                    options: &mut app.preset.data,
                    path_field: &mut *app.data_path_field,
                    recent: app.recent_data,
                    known_assets: app.known_assets,
                    loading: app.loading.is_some(),
                    commands: &mut *app.commands,
                },
            ),
            LeftTab::Rules => rules_tab_ui(ui, app),
            LeftTab::Broker => broker_tab_ui(ui, app),
            LeftTab::Live => live_ui(
                ui,
                &mut LivePanel {
                    session: app.live.session,
                    url: &mut *app.live.url,
                    journal: &mut *app.live.journal,
                    exit_at_end: &mut *app.live.exit_at_end,
                    has_data: app.data.is_some(),
                    commands: &mut *app.commands,
                },
            ),
            LeftTab::Script => script_ui(
                ui,
                &mut ScriptPanel {
                    strategy: &mut app.preset.strategy,
                    signals: app.data.map_or(&[][..], |d| &d.signals),
                    n_assets: app.data.map_or(1, |d| d.bars.assets().len()),
                    text: &mut *app.script.text,
                    path_field: &mut *app.script.path_field,
                    error: app.script.error,
                    runtime_error: app.script.runtime_error,
                    changed_on_disk: app.script.changed_on_disk,
                    unsaved: app.script.unsaved,
                    swept: app.optimise.swept.clone(),
                    commands: &mut *app.commands,
                },
            ),
        });
}

fn rules_tab_ui(ui: &mut egui::Ui, app: &mut Screen<'_>) {
    let signals = app.data.map(|d| d.signals.clone()).unwrap_or_default();
    let n_assets = app.data.map_or(1, |d| d.bars.assets().len());
    ui.horizontal(|ui| {
        ui.label("Name");
        if ui.text_edit_singleline(&mut app.preset.name).changed() {
            *app.dirty = true;
        }
    });
    crate::ui::script_ui::strategy_kind_ui(ui, &app.preset.strategy, app.commands);
    match &mut app.preset.strategy {
        ml4t_preset::StrategySpec::Rules(rules) => {
            let marks = rules_ui::SweepMarks::new(app.optimise.swept.clone());
            if rules_ui::strategy_editor_sweep_ui(ui, rules, &signals, n_assets, &marks) {
                app.commands.push(Command::StrategyEdited);
            }
            push_sweep_clicks(&marks, app.commands);
        }
        ml4t_preset::StrategySpec::Script(source) => {
            ui.label(format!(
                "This preset runs a script: {} (edit it on the Script tab)",
                source.describe()
            ));
        }
        ml4t_preset::StrategySpec::Hybrid { filter, script } => {
            ui.label(format!(
                "Hybrid: a compiled filter in front of the script {}",
                script.describe()
            ));
            for rule in filter.iter() {
                ui.label(format!("filter: {}", rule.describe()));
            }
        }
    }
}

/// "Sweep this" clicks become commands.
pub(crate) fn push_sweep_clicks(marks: &rules_ui::SweepMarks, commands: &mut Vec<Command>) {
    for c in marks.take_clicks() {
        commands.push(Command::Optimise(OptimiseCommand::ToggleParam {
            path: c.path,
            column: c.column,
            value: c.value,
        }));
    }
}

fn broker_tab_ui(ui: &mut egui::Ui, app: &mut Screen<'_>) {
    let marks = rules_ui::SweepMarks::new(app.optimise.swept.clone());
    let mut changed = rules_ui::broker_editor_sweep_ui(ui, &mut app.preset.broker, &marks);
    push_sweep_clicks(&marks, app.commands);
    ui.separator();
    ui.heading("Metrics");
    let m = &mut app.preset.metrics;
    ui.horizontal(|ui| {
        let mut infer = m.periods_per_year.is_none();
        if ui.checkbox(&mut infer, "Infer bars per year from the data").changed() {
            m.periods_per_year = if infer { None } else { Some(252.0) };
            changed = true;
        }
    });
    if let Some(ppy) = &mut m.periods_per_year {
        ui.horizontal(|ui| {
            ui.label("Bars per year");
            changed |= ui.add(egui::DragValue::new(ppy).range(1.0..=1e7).speed(1.0)).changed();
        });
    }
    ui.horizontal(|ui| {
        ui.label("Risk-free rate (annual)");
        let mut pct = m.risk_free_rate * 100.0;
        if ui
            .add(
                egui::DragValue::new(&mut pct)
                    .range(-50.0..=100.0)
                    .speed(0.05)
                    .suffix(" %"),
            )
            .changed()
        {
            m.risk_free_rate = pct / 100.0;
            changed = true;
        }
    });
    if changed {
        app.commands.push(Command::StrategyEdited);
    }
}

fn central_ui(ui: &mut egui::Ui, app: &mut Screen<'_>) {
    if let Some(err) = app.error.map(str::to_owned) {
        egui::Frame::new()
            .fill(ui.visuals().error_fg_color.gamma_multiply(0.15))
            .inner_margin(6.0)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.colored_label(ui.visuals().error_fg_color, err);
                    if ui.button("Dismiss").clicked() {
                        app.commands.push(Command::DismissError);
                    }
                });
            });
    }
    if app.preset_changed_on_disk {
        ui.horizontal(|ui| {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                "The preset file changed on disk; you have unsaved edits.",
            );
            if ui.button("Reload from disk").clicked() {
                app.commands.push(Command::RevertPreset);
            }
        });
    }
    if let Some(problem) = app.invalid {
        ui.colored_label(ui.visuals().warn_fg_color, format!("Cannot run: {problem}"));
    }
    match app.run {
        Some(run) => {
            if let Some(path) = results_ui(ui, run, app.results) {
                app.commands.push(Command::ExportReport(path));
            }
            if app.results.view == ResultsView::Fills {
                let mut panel = FillsPanel {
                    comparison: app.fills.comparison,
                    running: app.fills.running,
                    stale: app.fills.stale,
                    commands: app.commands,
                };
                fills_ui(ui, &mut panel);
            }
            if app.results.view == ResultsView::Optimise {
                let o = &app.optimise;
                optimise_ui(
                    ui,
                    &mut OptimisePanel {
                        spec: &mut app.preset.sweep,
                        valid_paths: o.valid_paths,
                        path_labels: o.path_labels,
                        plan: o.plan,
                        settings: &mut app.results.optimise,
                        sweep: o.sweep,
                        sweeping: o.sweeping,
                        walk_forward: o.walk_forward,
                        walking: o.walking,
                        applied: o.applied,
                        has_data: app.data.is_some(),
                        commands: &mut *app.commands,
                    },
                );
            }
        }
        None if app.busy() => {
            ui.centered_and_justified(|ui| ui.spinner());
        }
        None => {
            ui.centered_and_justified(|ui| ui.label("No results yet: load data and press Run (F5)."));
        }
    }
}
