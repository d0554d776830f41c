//! The data panel: open a file (dialog, typed path, recent files, drag-and-drop), its schema,
//! the column mapping, signal columns with their stats, assets and date range.

use std::path::PathBuf;

use super::DataView;
use super::command::Command;
use ml4t_data::ColumnMapping;
use ml4t_preset::DataSpec;

/// What the data panel reads and edits.
pub struct DataPanel<'a> {
    pub data: Option<&'a DataView>,
    /// The preset's data options (mapping, signals, assets, dates).
    pub options: &'a mut DataSpec,
    /// The typed path field.
    pub path_field: &'a mut String,
    pub recent: &'a [PathBuf],
    /// Every asset of the file (the options may hide some).
    pub known_assets: &'a [String],
    pub loading: bool,
    pub commands: &'a mut Vec<Command>,
}

/// Draws the data panel; edits go to the preset's data options and come back as commands.
pub fn data_ui(ui: &mut egui::Ui, app: &mut DataPanel<'_>) {
    open_ui(ui, app);
    ui.separator();
    let Some(data) = app.data else {
        ui.label(if app.loading { "Loading..." } else { "No data loaded." });
        return;
    };
    let bars = &data.bars;
    let (first, last) = bars.time_range().unwrap_or_default();
    egui::Grid::new("data-summary")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            ui.label("Rows");
            ui.label(bars.len().to_string());
            ui.end_row();
            ui.label("Assets");
            ui.label(bars.assets().len().to_string());
            ui.end_row();
            ui.label("Timestamps");
            ui.label(bars.n_timestamps().to_string());
            ui.end_row();
            ui.label("From");
            ui.label(first.to_iso());
            ui.end_row();
            ui.label("To");
            ui.label(last.to_iso());
            ui.end_row();
        });
    let mut changed = false;
    changed |= schema_ui(ui, app);
    changed |= signals_ui(ui, app);
    changed |= assets_ui(ui, app);
    changed |= dates_ui(ui, app);
    if changed {
        app.commands.push(Command::DataOptionsEdited);
    }
}

fn open_ui(ui: &mut egui::Ui, app: &mut DataPanel<'_>) {
    ui.horizontal(|ui| {
        if ui
            .button("Open data...")
            .on_hover_text("Parquet or CSV file (Ctrl+O), or drop a file on the window")
            .clicked()
        {
            app.commands.push(Command::OpenDataDialog);
        }
        if ui.button("Reload").on_hover_text("Read the file again").clicked() {
            app.commands.push(Command::ReloadData);
        }
    });
    ui.horizontal(|ui| {
        let field = egui::TextEdit::singleline(&mut *app.path_field)
            .hint_text("path to a .parquet/.csv file or a folder")
            .desired_width(ui.available_width() - 60.0);
        let resp = ui
            .add(field)
            .on_hover_text("Type or paste a path, then press Enter or Load");
        let enter = resp.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if (ui.button("Load").clicked() || enter) && !app.path_field.trim().is_empty() {
            app.commands
                .push(Command::OpenData(PathBuf::from(app.path_field.trim())));
        }
    });
    if !app.recent.is_empty() {
        egui::ComboBox::new("recent-data", "Recent")
            .selected_text("data files")
            .width(ui.available_width() - 60.0)
            .show_ui(ui, |ui| {
                for p in app.recent.iter().cloned() {
                    if ui.selectable_label(false, p.display().to_string()).clicked() {
                        app.commands.push(Command::OpenData(p));
                    }
                }
            });
    }
}

/// Picks one role's slot out of a mapping.
type RoleSlot = fn(&mut ColumnMapping) -> &mut Option<String>;

/// Column roles; returns true when the mapping changed.
fn schema_ui(ui: &mut egui::Ui, app: &mut DataPanel<'_>) -> bool {
    let Some(schema) = app.data.and_then(|d| d.schema.clone()) else {
        return false;
    };
    let used = app
        .data
        .as_ref()
        .map(|d| d.loaded.mapping_used.clone())
        .unwrap_or_default();
    let mut changed = false;
    egui::CollapsingHeader::new(format!("Columns ({})", schema.columns.len()))
        .id_salt("schema")
        .show(ui, |ui| {
            egui::Grid::new("schema-grid")
                .num_columns(2)
                .striped(true)
                .show(ui, |ui| {
                    for c in &schema.columns {
                        ui.label(&c.name);
                        ui.weak(&c.dtype);
                        ui.end_row();
                    }
                });
            ui.separator();
            ui.label("Column mapping (auto-detected; pick another column if it guessed wrong):");
            let names: Vec<String> = schema.columns.iter().map(|c| c.name.clone()).collect();
            let m = &mut app.options.mapping;
            egui::Grid::new("mapping-grid").num_columns(2).show(ui, |ui| {
                let roles: [(&str, RoleSlot, Option<&String>); 7] = [
                    ("timestamp", |m| &mut m.timestamp, used.timestamp.as_ref()),
                    ("asset", |m| &mut m.asset, used.asset.as_ref()),
                    ("open", |m| &mut m.open, used.open.as_ref()),
                    ("high", |m| &mut m.high, used.high.as_ref()),
                    ("low", |m| &mut m.low, used.low.as_ref()),
                    ("close", |m| &mut m.close, used.close.as_ref()),
                    ("volume", |m| &mut m.volume, used.volume.as_ref()),
                ];
                for (role, field, detected) in roles {
                    let label = ui.label(role);
                    let slot = field(m);
                    let shown = slot
                        .clone()
                        .or_else(|| detected.map(|d| format!("{d} (auto)")))
                        .unwrap_or("(none)".into());
                    let combo = egui::ComboBox::from_id_salt(("map", role))
                        .selected_text(shown)
                        .show_ui(ui, |ui| {
                            if ui.selectable_label(slot.is_none(), "auto-detect").clicked() {
                                *slot = None;
                                changed = true;
                            }
                            for n in &names {
                                if ui.selectable_label(slot.as_deref() == Some(n.as_str()), n).clicked() {
                                    *slot = Some(n.clone());
                                    changed = true;
                                }
                            }
                        });
                    combo.response.labelled_by(label.id);
                    ui.end_row();
                }
            });
        });
    changed
}

/// Signal checkboxes with min/mean/max and NaN counts; returns true on change.
fn signals_ui(ui: &mut egui::Ui, app: &mut DataPanel<'_>) -> bool {
    let Some(data) = app.data else { return false };
    let loaded: Vec<String> = data.bars.signal_names().to_vec();
    // Candidates: every numeric non-OHLCV column of the file (from the schema), else what is loaded.
    let candidates: Vec<String> = data
        .schema
        .as_ref()
        .map(|s| {
            let m = &data.loaded.mapping_used;
            let roles = [&m.timestamp, &m.asset, &m.open, &m.high, &m.low, &m.close, &m.volume];
            s.columns
                .iter()
                .filter(|c| c.dtype.starts_with('f') || c.dtype.starts_with('i') || c.dtype.starts_with('u'))
                .filter(|c| !roles.iter().any(|r| r.as_deref() == Some(c.name.as_str())))
                .map(|c| c.name.clone())
                .collect()
        })
        .filter(|v: &Vec<String>| !v.is_empty())
        .unwrap_or_else(|| loaded.clone());
    let stats = data.signals.clone();
    let mut changed = false;
    egui::CollapsingHeader::new(format!("Signals ({} of {})", loaded.len(), candidates.len()))
        .id_salt("signals")
        .default_open(true)
        .show(ui, |ui| {
            egui::Grid::new("signals-grid")
                .num_columns(5)
                .striped(true)
                .show(ui, |ui| {
                    ui.strong("signal");
                    ui.strong("min");
                    ui.strong("mean");
                    ui.strong("max");
                    ui.strong("NaN");
                    ui.end_row();
                    for name in &candidates {
                        let mut on = loaded.contains(name);
                        if ui
                            .checkbox(&mut on, name)
                            .on_hover_text("Load this column as a signal")
                            .changed()
                        {
                            let mut set: Vec<String> = loaded.clone();
                            if on {
                                set.push(name.clone());
                            } else {
                                set.retain(|s| s != name);
                            }
                            // Keep the file's column order.
                            set.sort_by_key(|s| candidates.iter().position(|c| c == s));
                            app.options.signals = Some(set);
                            changed = true;
                        }
                        match stats.iter().find(|s| &s.name == name) {
                            Some(s) => {
                                ui.label(format!("{:.4}", s.min));
                                ui.label(format!("{:.4}", s.mean));
                                ui.label(format!("{:.4}", s.max));
                                ui.label(s.nan_count.to_string());
                            }
                            None => {
                                for _ in 0..4 {
                                    ui.weak("-");
                                }
                            }
                        }
                        ui.end_row();
                    }
                });
        });
    changed
}

fn assets_ui(ui: &mut egui::Ui, app: &mut DataPanel<'_>) -> bool {
    let Some(data) = app.data else { return false };
    // All assets of the file are known only when no filter is active; otherwise keep the filter's list.
    let loaded: Vec<String> = data.bars.assets().to_vec();
    let mut all = app.known_assets.to_vec();
    if all.is_empty() {
        all = loaded.clone();
    }
    let mut changed = false;
    egui::CollapsingHeader::new(format!("Assets ({} of {})", loaded.len(), all.len()))
        .id_salt("assets")
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                if ui.button("All").clicked() {
                    app.options.assets = None;
                    changed = true;
                }
            });
            egui::ScrollArea::vertical()
                .max_height(200.0)
                .id_salt("assets-scroll")
                .show(ui, |ui| {
                    for a in &all {
                        let mut on = loaded.contains(a);
                        if ui.checkbox(&mut on, a).changed() {
                            let mut set = loaded.clone();
                            if on {
                                set.push(a.clone());
                            } else {
                                set.retain(|x| x != a);
                            }
                            set.sort();
                            if !set.is_empty() {
                                app.options.assets = if set.len() == all.len() { None } else { Some(set) };
                                changed = true;
                            }
                        }
                    }
                });
        });
    changed
}

fn dates_ui(ui: &mut egui::Ui, app: &mut DataPanel<'_>) -> bool {
    let mut changed = false;
    egui::CollapsingHeader::new("Date range")
        .id_salt("dates")
        .show(ui, |ui| {
            egui::Grid::new("dates-grid").num_columns(2).show(ui, |ui| {
                for (label, slot) in [("from", &mut app.options.start), ("to", &mut app.options.end)] {
                    ui.label(label);
                    let mut text = slot.clone().unwrap_or_default();
                    let resp = ui.add(egui::TextEdit::singleline(&mut text).hint_text("YYYY-MM-DD (empty: all)"));
                    if resp.changed() {
                        *slot = (!text.trim().is_empty()).then(|| text.trim().to_owned());
                    }
                    if resp.lost_focus() {
                        changed = true;
                    }
                    ui.end_row();
                }
            });
        });
    changed
}
