//! Where panels go: top bar, left panel (data / rules / script / broker / live), central results, log at the
//! bottom.

use super::{Command, LeftTab, Workbench};
use crate::ui::{
    data_ui::data_ui, live_ui::live_ui, log_ui::log_ui, results_ui::results_ui, rules_ui, script_ui::script_ui,
};

pub fn workbench_ui(ui: &mut egui::Ui, app: &mut Workbench) {
    egui::Panel::top("top-bar").show(ui, |ui| top_bar_ui(ui, app));
    egui::Panel::bottom("status-bar").show(ui, |ui| status_ui(ui, app));
    if app.persisted.show_log {
        egui::Panel::bottom("log")
            .resizable(true)
            .default_size(140.0)
            .show(ui, |ui| log_ui(ui, &app.log));
    }
    egui::Panel::left("left")
        .resizable(true)
        .default_size(420.0)
        .show(ui, |ui| left_ui(ui, app));
    egui::CentralPanel::default().show(ui, |ui| central_ui(ui, app));
}

fn top_bar_ui(ui: &mut egui::Ui, app: &mut Workbench) {
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
        let save_label = if app.dirty { "Save *" } else { "Save" };
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
        let run = match &app.invalid {
            Some(problem) => run.on_disabled_hover_text(problem.as_str()),
            None => run.on_hover_text("Run the backtest in the background"),
        };
        if run.clicked() {
            app.commands.push(Command::Run);
        }
        if app.run_task.is_some() && ui.button("Cancel").clicked() {
            app.commands.push(Command::Cancel);
        }
        let mut auto = app.persisted.auto_run;
        if ui
            .checkbox(&mut auto, "Auto-run")
            .on_hover_text("Re-run shortly after each edit")
            .changed()
        {
            app.persisted.auto_run = auto;
        }
        ui.checkbox(&mut app.persisted.show_log, "Log");
    });
}

/// The preset path field: typing a path works where no file dialog can open (no desktop portal).
/// It lives in the top bar, not in a menu, because a click in a menu closes it.
fn preset_path_ui(ui: &mut egui::Ui, app: &mut Workbench) {
    let label = ui.label("Preset");
    ui.add(
        egui::TextEdit::singleline(&mut app.preset_path_field)
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

fn preset_menu_ui(ui: &mut egui::Ui, app: &mut Workbench) {
    if ui.button("Save as... (dialog)").clicked() {
        app.commands.push(Command::SavePresetAsDialog);
        ui.close();
    }
    if app.preset_path.is_some() && app.dirty && ui.button("Revert to saved").clicked() {
        app.commands.push(Command::RevertPreset);
        ui.close();
    }
    if !app.persisted.recent_presets.is_empty() {
        ui.separator();
        ui.label("Recent presets:");
        for p in app.persisted.recent_presets.clone() {
            if ui.button(p.display().to_string()).clicked() {
                app.commands.push(Command::OpenPreset(p));
                ui.close();
            }
        }
    }
}

fn status_ui(ui: &mut egui::Ui, app: &mut Workbench) {
    ui.horizontal(|ui| {
        if let Some(t) = &app.load_task {
            ui.spinner();
            ui.label(format!("loading data... {:.1} s", t.elapsed().as_secs_f32()));
        }
        if let Some(t) = &app.run_task {
            ui.add(
                egui::ProgressBar::new(t.progress())
                    .desired_width(160.0)
                    .show_percentage(),
            );
            ui.label(format!("running... {:.1} s", t.elapsed().as_secs_f32()));
        }
        if let Some(d) = &app.data {
            ui.label(format!("{} rows | {} assets", d.bars.len(), d.bars.assets().len()));
        }
        if let Some(r) = &app.run {
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

fn left_ui(ui: &mut egui::Ui, app: &mut Workbench) {
    ui.horizontal(|ui| {
        for (tab, label) in [
            (LeftTab::Data, "Data"),
            (LeftTab::Rules, "Rules"),
            (LeftTab::Script, "Script"),
            (LeftTab::Broker, "Broker & metrics"),
            (LeftTab::Live, "Live"),
        ] {
            ui.selectable_value(&mut app.persisted.left_tab, tab, label);
        }
    });
    ui.separator();
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .id_salt("left-scroll")
        .show(ui, |ui| match app.persisted.left_tab {
            LeftTab::Data => data_ui(ui, app),
            LeftTab::Rules => rules_tab_ui(ui, app),
            LeftTab::Broker => broker_tab_ui(ui, app),
            LeftTab::Live => live_ui(ui, app),
            LeftTab::Script => script_ui(ui, app),
        });
}

fn rules_tab_ui(ui: &mut egui::Ui, app: &mut Workbench) {
    let signals = app.data.as_ref().map(|d| d.signals.clone()).unwrap_or_default();
    let n_assets = app.data.as_ref().map_or(1, |d| d.bars.assets().len());
    ui.horizontal(|ui| {
        ui.label("Name");
        if ui.text_edit_singleline(&mut app.preset.name).changed() {
            app.dirty = true;
        }
    });
    match &mut app.preset.strategy {
        ml4t_preset::StrategySpec::Rules(rules) => {
            if rules_ui::strategy_editor_ui(ui, rules, &signals, n_assets) {
                app.commands.push(Command::StrategyEdited);
            }
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

fn broker_tab_ui(ui: &mut egui::Ui, app: &mut Workbench) {
    let mut changed = rules_ui::broker_editor_ui(ui, &mut app.preset.broker);
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

fn central_ui(ui: &mut egui::Ui, app: &mut Workbench) {
    if let Some(err) = app.error.clone() {
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
    if let Some(problem) = &app.invalid {
        ui.colored_label(ui.visuals().warn_fg_color, format!("Cannot run: {problem}"));
    }
    match &app.run {
        Some(run) => results_ui(ui, run, &mut app.persisted.results),
        None if app.busy() => {
            ui.centered_and_justified(|ui| ui.spinner());
        }
        None => {
            ui.centered_and_justified(|ui| ui.label("No results yet: load data and press Run (F5)."));
        }
    }
}
