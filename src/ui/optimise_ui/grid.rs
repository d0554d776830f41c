//! The sweep's picture: a heatmap of the objective over two parameters (with more, the user picks
//! the two axes and fixes the others with sliders), or a line over one parameter. The best cell
//! is outlined and starred, the combination in the editor outlined in the selection colour; a
//! click on a cell (or near a point of the line) applies that combination.

use eframe::egui::{self, Color32, Sense, Ui, WidgetInfo};
use egui_plot::{Line, Plot, PlotPoints, Points};

use super::{OptimiseCommand, OptimisePanel};
use crate::research::{SweepView, num};

/// Height of the heatmap or line.
const CHART_H: f32 = 300.0;

pub(super) fn chart_ui(ui: &mut Ui, view: &SweepView, p: &mut OptimisePanel<'_>) {
    let n = view.paths.len();
    if !view.grid {
        ui.weak("Random sampling has no grid: sort the table below to find the best combinations.");
        return;
    }
    if n == 0 || view.rows.is_empty() {
        ui.weak("No combination finished.");
        return;
    }
    let s = &mut *p.settings;
    if s.fixed.len() != n {
        s.fixed = view.best_cell();
    }
    if n == 1 {
        line_ui(ui, view, p);
        return;
    }
    s.x_axis = s.x_axis.min(n - 1);
    s.y_axis = s.y_axis.min(n - 1);
    if s.x_axis == s.y_axis {
        s.y_axis = (s.x_axis + 1) % n;
    }
    if n > 2 {
        axes_ui(ui, view, p);
    }
    heatmap_ui(ui, view, p);
}

/// Axis pickers and one slider per fixed parameter.
fn axes_ui(ui: &mut Ui, view: &SweepView, p: &mut OptimisePanel<'_>) {
    let s = &mut *p.settings;
    ui.horizontal(|ui| {
        for (label, axis) in [("x axis", &mut s.x_axis), ("y axis", &mut s.y_axis)] {
            let l = ui.label(label);
            egui::ComboBox::from_id_salt(label)
                .selected_text(view.paths[*axis].as_str())
                .show_ui(ui, |ui| {
                    for (k, path) in view.paths.iter().enumerate() {
                        ui.selectable_value(axis, k, path.as_str());
                    }
                })
                .response
                .labelled_by(l.id);
        }
    });
    for k in 0..view.paths.len() {
        if k == s.x_axis || k == s.y_axis {
            continue;
        }
        let values = &view.axes[k];
        if values.is_empty() {
            continue;
        }
        ui.horizontal(|ui| {
            let l = ui.label(format!("{} fixed at", view.paths[k]));
            let mut idx = s.fixed[k].min(values.len() - 1);
            let shown = values.clone();
            ui.add(
                egui::Slider::new(&mut idx, 0..=values.len() - 1)
                    .custom_formatter(move |v, _| num(shown[(v as usize).min(shown.len() - 1)]))
                    .custom_parser(|_| None),
            )
            .labelled_by(l.id);
            s.fixed[k] = idx;
        });
    }
}

/// Worst to best: dark blue, teal, yellow (a viridis-like ramp that reads in grey too).
fn ramp(t: f32) -> Color32 {
    let stops = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (253.0, 231.0, 37.0),
    ];
    let t = t.clamp(0.0, 1.0) * (stops.len() - 1) as f32;
    let i = (t.floor() as usize).min(stops.len() - 2);
    let f = t - i as f32;
    let (a, b) = (stops[i], stops[i + 1]);
    let mix = |x: f32, y: f32| (x + (y - x) * f) as u8;
    Color32::from_rgb(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn heatmap_ui(ui: &mut Ui, view: &SweepView, p: &mut OptimisePanel<'_>) {
    let (x, y) = (p.settings.x_axis, p.settings.y_axis);
    let key = (
        view.rows.as_ptr() as usize,
        view.rows.len(),
        x,
        y,
        p.settings.fixed.clone(),
    );
    let grid = crate::ui::plots::series::memo(ui.ctx(), ui.make_persistent_id("sweep_grid"), key, || {
        view.grid_rows(x, Some(y), &p.settings.fixed)
    });
    let (nx, ny) = (view.axes[x].len(), view.axes[y].len());
    let values: Vec<f64> = grid
        .iter()
        .flatten()
        .filter_map(|c| c.and_then(|i| view.value(i)))
        .collect();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let shade = |v: f64| {
        let t = if hi > lo { (v - lo) / (hi - lo) } else { 1.0 };
        ramp(if view.objective.maximize { t } else { 1.0 - t } as f32)
    };
    ui.label(format!(
        "{} by {} (across) and {} (up); brighter is better. White frame and dot: the best; blue frame: in the editor",
        view.objective.name(),
        view.paths[x],
        view.paths[y]
    ));
    let label_w = 64.0;
    let label_h = 18.0;
    let width = (ui.available_width() - label_w - 8.0).max(120.0);
    let cell_w = (width / nx.max(1) as f32).min(90.0);
    let cell_h = ((CHART_H - label_h) / ny.max(1) as f32).clamp(3.0, 48.0);
    // Big grids: every k-th axis value, so labels never overlap.
    let y_every = (14.0 / cell_h).ceil().max(1.0) as usize;
    let x_every = (44.0 / cell_w).ceil().max(1.0) as usize;
    let size = egui::vec2(label_w + cell_w * nx as f32, cell_h * ny as f32 + 2.0 * label_h);
    let (rect, _) = ui.allocate_exact_size(size, Sense::hover());
    let painter = ui.painter_at(rect);
    let text = ui.visuals().text_color();
    let font = egui::FontId::proportional(11.0);
    let origin = rect.min + egui::vec2(label_w, 0.0);
    let best_cell = view.best;
    let id = ui.make_persistent_id("sweep_heatmap");
    let mut clicked = None;
    for (yi, cols) in grid.iter().enumerate() {
        // The y axis grows upwards, as on a chart.
        let top = origin.y + (ny - 1 - yi) as f32 * cell_h;
        if yi % y_every == 0 {
            painter.text(
                egui::pos2(rect.min.x + label_w - 4.0, top + cell_h * 0.5),
                egui::Align2::RIGHT_CENTER,
                num(view.axes[y][yi]),
                font.clone(),
                text,
            );
        }
        for (xi, cell) in cols.iter().enumerate() {
            let r = egui::Rect::from_min_size(
                egui::pos2(origin.x + xi as f32 * cell_w, top),
                egui::vec2(cell_w, cell_h),
            )
            .shrink(1.0);
            let Some(row) = *cell else {
                painter.rect_stroke(r, 2.0, (1.0, ui.visuals().weak_text_color()), egui::StrokeKind::Inside);
                continue;
            };
            let value = view.value(row);
            let fill = value.map_or(Color32::from_gray(90), shade);
            painter.rect_filled(r, 2.0, fill);
            let luminance = 0.299 * f32::from(fill.r()) + 0.587 * f32::from(fill.g()) + 0.114 * f32::from(fill.b());
            let ink = if luminance > 140.0 {
                Color32::BLACK
            } else {
                Color32::WHITE
            };
            if cell_w >= 40.0 && cell_h >= 14.0 {
                painter.text(
                    r.center(),
                    egui::Align2::CENTER_CENTER,
                    value.map_or("n/a".to_owned(), short),
                    font.clone(),
                    ink,
                );
            }
            if Some(row) == best_cell {
                painter.rect_stroke(r, 2.0, (2.5, Color32::WHITE), egui::StrokeKind::Inside);
                // The fonts have no star: a dot in the corner marks the best.
                painter.circle(
                    r.left_top() + egui::vec2(7.0, 7.0),
                    3.5,
                    Color32::WHITE,
                    (1.0, Color32::BLACK),
                );
            }
            if Some(row) == p.applied {
                painter.rect_stroke(
                    r.expand(1.0),
                    2.0,
                    (3.0, super::super::plots::EQUITY),
                    egui::StrokeKind::Outside,
                );
            }
            let response = ui.interact(r, id.with((xi, yi)), Sense::click());
            let name = format!("Cell {}", view.describe(row));
            response.widget_info(|| WidgetInfo::labeled(egui::Role::Button, true, &name));
            let hover = format!(
                "{}\n{} {}, {} trades, final equity {:.2}\nClick: put these values in the editor and run them",
                view.describe(row),
                view.objective.name(),
                value.map_or("n/a".to_owned(), num),
                view.rows[row].n_trades(),
                view.rows[row].final_equity()
            );
            if response.on_hover_text(hover).clicked() {
                clicked = Some(row);
            }
        }
    }
    let bottom = origin.y + ny as f32 * cell_h;
    for xi in (0..nx).step_by(x_every) {
        painter.text(
            egui::pos2(origin.x + (xi as f32 + 0.5) * cell_w, bottom + 2.0),
            egui::Align2::CENTER_TOP,
            num(view.axes[x][xi]),
            font.clone(),
            text,
        );
    }
    painter.text(
        egui::pos2(origin.x + nx as f32 * cell_w * 0.5, bottom + label_h + 2.0),
        egui::Align2::CENTER_TOP,
        format!("{} (across)", view.paths[x]),
        font.clone(),
        text,
    );
    painter.text(
        egui::pos2(rect.min.x + 2.0, rect.min.y),
        egui::Align2::LEFT_TOP,
        format!("{} (up)", view.paths[y]),
        font,
        text,
    );
    if lo.is_finite() && hi.is_finite() {
        ui.label(
            egui::RichText::new(format!("{} from {} to {}", view.objective.name(), num(lo), num(hi)))
                .small()
                .weak(),
        );
    }
    if let Some(row) = clicked {
        p.push(OptimiseCommand::ApplyRow(row));
    }
}

/// Three significant digits, for cells.
fn short(x: f64) -> String {
    if x.abs() >= 1000.0 {
        format!("{x:.0}")
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// One parameter: the objective over its values; a click applies the nearest value.
fn line_ui(ui: &mut Ui, view: &SweepView, p: &mut OptimisePanel<'_>) {
    let points: Vec<(usize, [f64; 2])> = (0..view.rows.len())
        .filter_map(|i| Some((i, [view.rows[i].params[0], view.value(i)?])))
        .collect();
    ui.label(format!(
        "{} by {}; the big point is the best, the blue ring is in the editor; click near a point to apply it",
        view.objective.name(),
        view.paths[0]
    ));
    let xs: Vec<[f64; 2]> = points.iter().map(|(_, pt)| *pt).collect();
    let best = view
        .best
        .and_then(|b| points.iter().find(|(i, _)| *i == b).map(|(_, pt)| *pt));
    let applied = p
        .applied
        .and_then(|a| points.iter().find(|(i, _)| *i == a).map(|(_, pt)| *pt));
    let name = view.objective.name().to_owned();
    let ring = super::super::plots::EQUITY;
    let response = Plot::new("sweep_line")
        .height(CHART_H)
        .allow_scroll(false)
        .x_axis_label(view.paths[0].clone())
        .y_axis_label(name.clone())
        .show(ui, |plot| {
            plot.line(Line::new(name.clone(), PlotPoints::from(xs.clone())).color(super::super::plots::EQUITY));
            plot.points(
                Points::new("combinations", PlotPoints::from(xs.clone()))
                    .radius(3.0)
                    .color(super::super::plots::EQUITY),
            );
            if let Some(b) = best {
                plot.points(
                    Points::new("best", vec![b])
                        .radius(7.0)
                        .color(super::super::plots::GOOD),
                );
            }
            if let Some(a) = applied {
                plot.points(
                    Points::new("in the editor", vec![a])
                        .radius(9.0)
                        .filled(false)
                        .color(ring),
                );
            }
            plot.pointer_coordinate()
        });
    if response.response.clicked()
        && let Some(at) = response.inner
        && let Some((i, _)) = points
            .iter()
            .min_by(|a, b| (a.1[0] - at.x).abs().total_cmp(&(b.1[0] - at.x).abs()))
    {
        p.push(OptimiseCommand::ApplyRow(*i));
    }
}
