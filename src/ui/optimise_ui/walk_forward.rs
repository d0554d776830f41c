//! Walk-forward in the Optimise view: window settings, run and cancel with progress, then the
//! stitched out-of-sample equity against the full-sample best combination's equity, the
//! walk-forward efficiency, the fold table and how the chosen parameters drift.

use eframe::egui::{self, RichText, ScrollArea, Ui};
use egui_plot::{Legend, Line, Plot, PlotPoints};

use super::{OptimiseCommand, OptimisePanel, progress_ui};
use crate::research::WalkForwardView;
use crate::ui::plots::time_axis::{format_tick, ts_to_x};
use crate::ui::plots::{EQUITY, MUTED, YFormat};

pub(super) fn walk_forward_ui(ui: &mut Ui, p: &mut OptimisePanel<'_>) {
    ui.weak(
        "Per fold: sweep the train window, pick the best combination by the objective, run it on the test \
         window after it. The test runs, stitched, are the out-of-sample result.",
    );
    settings_ui(ui, p);
    ui.horizontal(|ui| match p.walking {
        Some(job) => {
            if ui.button("Cancel walk-forward").clicked() {
                p.push(OptimiseCommand::CancelWalkForward);
            }
            progress_ui(ui, job, "runs");
        }
        None => {
            let ready = matches!(p.plan, Some(Ok(_))) && p.has_data;
            let b = ui.add_enabled(ready, egui::Button::new("Run walk-forward"));
            let b = match p.plan {
                Some(Err(e)) => b.on_disabled_hover_text(e.as_str()),
                _ => b.on_hover_text("Uses the sweep definition above on every train window"),
            };
            if b.clicked() {
                p.push(OptimiseCommand::RunWalkForward);
            }
        }
    });
    if let Some(view) = p.walk_forward {
        results_ui(ui, view);
    }
}

fn settings_ui(ui: &mut Ui, p: &mut OptimisePanel<'_>) {
    let w = &mut p.settings.walk_forward;
    ui.horizontal_wrapped(|ui| {
        let l = ui.label("Train");
        ui.add(egui::TextEdit::singleline(&mut w.train).desired_width(56.0))
            .labelled_by(l.id)
            .on_hover_text("Bars (500) or a calendar period: 30d, 4w, 6m, 2y");
        let l = ui.label("Test");
        ui.add(egui::TextEdit::singleline(&mut w.test).desired_width(56.0))
            .labelled_by(l.id)
            .on_hover_text("Bars or a period; also the step from one fold to the next");
        ui.radio_value(&mut w.anchored, false, "rolling")
            .on_hover_text("Train windows of a fixed length slide forward");
        ui.radio_value(&mut w.anchored, true, "anchored")
            .on_hover_text("Every train window starts at the first bar and grows");
        let l = ui.label("Embargo");
        ui.add(egui::DragValue::new(&mut w.embargo).range(0..=100_000).suffix(" bars"))
            .labelled_by(l.id)
            .on_hover_text("Bars after each train window used by neither side (labels that look forward cannot leak)");
        ui.radio_value(&mut w.carry_equity, false, "fresh account per fold");
        ui.radio_value(&mut w.carry_equity, true, "carry equity");
    });
}

fn results_ui(ui: &mut Ui, view: &WalkForwardView) {
    let o = &view.out;
    let m = &o.oos_metrics;
    ui.label(
        RichText::new(format!(
            "{} folds x {} combinations in {:.2} s ({}); out of sample: total return {:.2} %, Sharpe {:.2}, max drawdown {:.2} %, {} trades",
            o.folds.len(),
            o.combos,
            view.seconds,
            view.settings,
            m.total_return * 100.0,
            m.sharpe,
            m.max_drawdown * 100.0,
            m.n_trades
        ))
        .weak(),
    );
    ui.label(RichText::new(view.efficiency_line()).strong());
    equity_ui(ui, view);
    let table = view.fold_table();
    ui.label(RichText::new("Folds").strong());
    // Fixed column widths, so the header stays above its columns while the rows scroll.
    let n_params = view.out.paths.len();
    let width = |c: usize| match c {
        0 => 36.0,
        1 | 2 => 190.0,
        c if c <= 2 + n_params => 72.0,
        _ => 96.0,
    };
    let row_h = ui.spacing().interact_size.y;
    let cells_ui = |ui: &mut Ui, cells: &[String], header: bool| {
        ui.horizontal(|ui| {
            for (c, text) in cells.iter().enumerate() {
                let rt = if header {
                    RichText::new(text).strong().small()
                } else {
                    RichText::new(text).monospace()
                };
                ui.add_sized([width(c), row_h], egui::Label::new(rt).truncate());
            }
        });
    };
    ScrollArea::horizontal().id_salt("wf_folds_h").show(ui, |ui| {
        cells_ui(ui, &table.columns, true);
        let rows = table.rows.len();
        ScrollArea::vertical()
            .id_salt("wf_folds_v")
            .max_height(260.0)
            .min_scrolled_height(260.0_f32.min((row_h + ui.spacing().item_spacing.y) * rows as f32))
            .auto_shrink([false, true])
            .show_rows(ui, row_h, rows, |ui, range| {
                for row in &table.rows[range] {
                    cells_ui(ui, row, false);
                }
            });
    });
    ui.label(RichText::new("Parameter drift (the chosen value fold to fold)").strong());
    drift_ui(ui, view);
}

/// One small plot per parameter: the chosen value against the fold number, with its summary.
fn drift_ui(ui: &mut Ui, view: &WalkForwardView) {
    let lines = view.drift_lines();
    let n = view.out.drift.len();
    if n == 0 {
        return;
    }
    let per_row = n.min(3);
    for chunk in view.out.drift.chunks(per_row).zip(lines.chunks(per_row)) {
        ui.columns(per_row, |cols| {
            for (k, (d, line)) in chunk.0.iter().zip(chunk.1).enumerate() {
                let ui = &mut cols[k];
                ui.label(RichText::new(line).small());
                let pts: Vec<[f64; 2]> = d.values.iter().enumerate().map(|(i, &v)| [(i + 1) as f64, v]).collect();
                // Ticks at the values actually chosen (a sweep's grid has few), so a short plot
                // still labels them.
                let mut ticks = d.values.clone();
                ticks.sort_by(f64::total_cmp);
                ticks.dedup();
                if ticks.len() > 6 {
                    // Random sampling: many values; five evenly spaced ticks instead.
                    ticks = (0..5).map(|k| d.min + (d.max - d.min) * f64::from(k) / 4.0).collect();
                }
                let span = (d.max - d.min).abs().max(1e-9);
                let marks: Vec<egui_plot::GridMark> = ticks
                    .iter()
                    .map(|&value| egui_plot::GridMark { value, step_size: span })
                    .collect();
                Plot::new(("wf_drift", k, d.path.as_str()))
                    .height(150.0)
                    .allow_scroll(false)
                    .allow_drag(false)
                    .allow_zoom(false)
                    .x_axis_label("fold")
                    .y_axis_min_width(44.0)
                    .y_axis_formatter(|mark, _| crate::research::num(mark.value))
                    .y_grid_spacer(move |_| marks.clone())
                    .include_y(d.min)
                    .include_y(d.max)
                    .show(ui, |plot| {
                        plot.line(Line::new(d.path.clone(), PlotPoints::from(pts.clone())).color(EQUITY));
                        plot.points(
                            egui_plot::Points::new(d.path.clone(), PlotPoints::from(pts))
                                .radius(2.5)
                                .color(EQUITY),
                        );
                    });
            }
        });
    }
}

/// The stitched out-of-sample equity and the full-sample best's equity on one time axis.
fn equity_ui(ui: &mut Ui, view: &WalkForwardView) {
    let o = &view.out;
    let oos: Vec<[f64; 2]> = o
        .oos_ts
        .iter()
        .zip(&o.oos_equity)
        .map(|(&t, &e)| [ts_to_x(t), e])
        .collect();
    let full: Option<(String, Vec<[f64; 2]>)> = view.full_best.as_ref().map(|b| {
        let pts = b.ts.iter().zip(&b.equity).map(|(&t, &e)| [ts_to_x(t), e]).collect();
        (format!("full-sample best ({}), in hindsight", b.params), pts)
    });
    let (x0, x1) = (oos.first().map_or(0.0, |p| p[0]), oos.last().map_or(1.0, |p| p[0]));
    let oos = thin(oos, 2000);
    Plot::new("wf_equity")
        .height(220.0)
        .legend(Legend::default().position(egui_plot::Corner::LeftTop))
        .allow_scroll(false)
        .x_axis_formatter(|mark, _| format_tick(mark.value, mark.step_size))
        .y_axis_formatter(|mark, _| YFormat::Money.tick(mark.value, mark.step_size))
        .include_x(x0)
        .include_x(x1)
        .show(ui, |plot| {
            if let Some((name, pts)) = full {
                // Only the stretch the folds test, so both lines cover the same time.
                let pts: Vec<[f64; 2]> = pts.into_iter().filter(|p| p[0] >= x0 && p[0] <= x1).collect();
                plot.line(Line::new(name, PlotPoints::from(thin(pts, 2000))).color(MUTED));
            }
            plot.line(
                Line::new("walk-forward, out of sample", PlotPoints::from(oos))
                    .color(EQUITY)
                    .width(2.0),
            );
        });
}

/// Every k-th point so at most about `max` remain, the last kept.
fn thin(points: Vec<[f64; 2]>, max: usize) -> Vec<[f64; 2]> {
    let n = points.len();
    if n <= max {
        return points;
    }
    let step = n.div_ceil(max);
    let mut out: Vec<[f64; 2]> = points.iter().step_by(step).copied().collect();
    if !(n - 1).is_multiple_of(step) {
        out.push(points[n - 1]);
    }
    out
}
