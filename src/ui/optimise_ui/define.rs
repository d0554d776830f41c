//! The sweep definition, edited in place in the preset: one row per parameter (from, to, steps,
//! or an explicit list of values; removable), an "add" menu of every path the preset offers,
//! constraints as text in the sweep's syntax (`exit[0][0] < entry[0]`), the objective (any metric,
//! maximised or minimised) and optional random sampling.

use eframe::egui::{self, ComboBox, DragValue, Ui};

use super::{OptimiseCommand, OptimisePanel};
use crate::research::num;
use ml4t_preset::{RandomSampling, SweepParam, SweepSpec};
use ml4t_sweep::objective::METRICS;
use ml4t_sweep::spec::ValueSpec;

pub(super) fn definition_ui(ui: &mut Ui, p: &mut OptimisePanel<'_>) {
    let mut changed = false;
    // Edited as a copy: a preset without a sweep gets one only when the user defines something.
    let mut owned = p.spec.clone().unwrap_or_default();
    let spec = &mut owned;
    objective_ui(ui, spec, &mut changed);
    ui.add_space(4.0);
    if spec.params.is_empty() {
        ui.weak("No parameter is swept yet: click the sweep icon beside a number in the Rules or Broker tab, or add one here.");
    }
    let mut remove = None;
    egui::Grid::new("sweep_params")
        .num_columns(4)
        .spacing([10.0, 4.0])
        .show(ui, |ui| {
            for (i, param) in spec.params.iter_mut().enumerate() {
                let what = p
                    .path_labels
                    .iter()
                    .find(|(k, _)| k == param.path.trim())
                    .map_or("not a number of this preset: remove it", |(_, v)| v.as_str());
                ui.label(egui::RichText::new(&param.path).monospace())
                    .on_hover_text(what);
                ui.label(egui::RichText::new(what).weak());
                changed |= values_ui(ui, param);
                if ui
                    .small_button("Remove")
                    .on_hover_text(format!("Stop sweeping {}", param.path))
                    .clicked()
                {
                    remove = Some(i);
                }
                ui.end_row();
            }
        });
    if let Some(i) = remove {
        spec.params.remove(i);
        changed = true;
    }
    ui.horizontal(|ui| {
        let unused: Vec<&String> = p
            .valid_paths
            .iter()
            .filter(|v| !spec.params.iter().any(|q| q.path.trim() == v.as_str()))
            .collect();
        ui.menu_button("Add parameter", |ui| {
            if unused.is_empty() {
                ui.label("Every number of the preset is swept already.");
            }
            for path in unused {
                let what = p.path_labels.iter().find(|(k, _)| k == path).map(|(_, v)| v.as_str());
                let text = match what {
                    Some(w) => format!("{path}   {w}"),
                    None => path.clone(),
                };
                if ui.button(text).clicked() {
                    p.commands
                        .push(crate::ui::command::Command::Optimise(OptimiseCommand::ToggleParam {
                            path: path.clone(),
                            column: None,
                            value: f64::NAN,
                        }));
                    ui.close();
                }
            }
        });
        match p.plan {
            Some(Ok(count)) => {
                ui.label(count.as_str());
            }
            Some(Err(e)) if !spec.params.is_empty() || !spec.constraints.is_empty() => {
                ui.colored_label(ui.visuals().error_fg_color, e.as_str());
            }
            _ => {}
        }
    });
    constraints_ui(ui, spec, &mut changed);
    random_ui(ui, spec, &mut changed);
    if changed {
        *p.spec = (owned != SweepSpec::default()).then_some(owned);
        p.commands
            .push(crate::ui::command::Command::Optimise(OptimiseCommand::DefinitionEdited));
    }
}

fn objective_ui(ui: &mut Ui, spec: &mut SweepSpec, changed: &mut bool) {
    ui.horizontal(|ui| {
        let label = ui.label("Objective");
        ComboBox::from_id_salt("sweep objective")
            .selected_text(spec.objective.as_str())
            .height(400.0)
            .show_ui(ui, |ui| {
                for (name, _) in METRICS {
                    *changed |= ui
                        .selectable_value(&mut spec.objective, (*name).to_owned(), *name)
                        .changed();
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text("The metric that picks the best combination (and each walk-forward fold's)");
        *changed |= ui.radio_value(&mut spec.maximize, true, "maximise").changed();
        *changed |= ui.radio_value(&mut spec.maximize, false, "minimise").changed();
    });
}

/// From/to/steps for a range, a text field for a list; a button switches between the two.
fn values_ui(ui: &mut Ui, param: &mut SweepParam) -> bool {
    let mut changed = false;
    ui.horizontal(|ui| match ValueSpec::parse(&param.values) {
        Ok(ValueSpec::Range {
            mut from,
            mut to,
            mut n,
        }) => {
            let speed = ((to - from).abs() / 100.0).max(1e-4);
            ui.label("from");
            let a = ui
                .add(DragValue::new(&mut from).speed(speed).max_decimals(6))
                .on_hover_text(format!("First value of {}", param.path));
            ui.label("to");
            let b = ui
                .add(DragValue::new(&mut to).speed(speed).max_decimals(6))
                .on_hover_text(format!("Last value of {}", param.path));
            ui.label("steps");
            let c = ui
                .add(DragValue::new(&mut n).range(1..=1000))
                .on_hover_text("How many values, evenly spaced, both ends included");
            if a.changed() || b.changed() || c.changed() {
                if n == 1 {
                    to = from;
                }
                param.values = format!("{}:{}:{n}", num_exact(from), num_exact(to));
                changed = true;
            }
            if ui
                .small_button("as list")
                .on_hover_text("Edit the values one by one")
                .clicked()
            {
                let spec = ValueSpec::Range { from, to, n };
                param.values = spec
                    .values()
                    .iter()
                    .map(|v| num_exact(*v))
                    .collect::<Vec<_>>()
                    .join(",");
                changed = true;
            }
        }
        parsed => {
            let edit = ui.add(
                egui::TextEdit::singleline(&mut param.values)
                    .desired_width(200.0)
                    .hint_text("a:b:n or v1,v2,..."),
            );
            changed |= edit.changed();
            match parsed {
                Ok(ValueSpec::List(values)) => {
                    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
                    if finite.len() >= 2
                        && ui
                            .small_button("as range")
                            .on_hover_text("From the smallest to the largest value, as many steps")
                            .clicked()
                    {
                        let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
                        let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                        param.values = format!("{}:{}:{}", num_exact(lo), num_exact(hi), finite.len());
                        changed = true;
                    }
                }
                Err(e) => {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                }
                Ok(ValueSpec::Range { .. }) => {}
            }
        }
    });
    changed
}

/// The shortest text that parses back to `x`.
fn num_exact(x: f64) -> String {
    let short = num(x);
    if short.parse::<f64>().ok() == Some(x) {
        short
    } else {
        format!("{x}")
    }
}

fn constraints_ui(ui: &mut Ui, spec: &mut SweepSpec, changed: &mut bool) {
    ui.horizontal(|ui| {
        ui.label("Constraints")
            .on_hover_text("Conditions every combination must meet, e.g. exit[0][0] < entry[0] (one of < <= > >=)");
        if ui.small_button("Add constraint").clicked() {
            let text = match (spec.params.first(), spec.params.get(1)) {
                (Some(a), Some(b)) => format!("{} < {}", b.path, a.path),
                _ => String::new(),
            };
            spec.constraints.push(text);
            *changed = true;
        }
    });
    let mut remove = None;
    for (i, c) in spec.constraints.iter_mut().enumerate() {
        ui.horizontal(|ui| {
            *changed |= ui
                .add(
                    egui::TextEdit::singleline(c)
                        .desired_width(260.0)
                        .hint_text("exit[0][0] < entry[0]"),
                )
                .on_hover_text("PATH op PATH or PATH op NUMBER, op one of < <= > >=")
                .changed();
            if ui.small_button("Remove").clicked() {
                remove = Some(i);
            }
        });
    }
    if let Some(i) = remove {
        spec.constraints.remove(i);
        *changed = true;
    }
}

fn random_ui(ui: &mut Ui, spec: &mut SweepSpec, changed: &mut bool) {
    ui.horizontal(|ui| {
        let mut on = spec.random.is_some();
        if ui
            .checkbox(&mut on, "Random sampling")
            .on_hover_text("Run this many seeded random combinations instead of the whole grid (no heatmap)")
            .changed()
        {
            spec.random = on.then_some(RandomSampling { samples: 100, seed: 0 });
            *changed = true;
        }
        if let Some(r) = &mut spec.random {
            ui.label("samples");
            *changed |= ui.add(DragValue::new(&mut r.samples).range(1..=1_000_000)).changed();
            ui.label("seed");
            *changed |= ui.add(DragValue::new(&mut r.seed)).changed();
        }
    });
}
