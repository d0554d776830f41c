//! Every combination of the sweep as a sortable table: the parameters, the objective, key
//! metrics and the trade count. Only the rows in view are laid out, so 100k combinations scroll
//! smoothly. A row's "Apply" writes its values into the preset and runs it.

use eframe::egui::{self, RichText, ScrollArea, Ui};

use super::{OptimiseCommand, OptimisePanel};
use crate::research::{SweepView, num};
use ml4t_engine::results::metrics::Metrics;

/// Table sort: a column and its direction. Column 0 is the combination's number, then one per
/// parameter, then [`METRIC_COLUMNS`] (the objective first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TableSort {
    pub column: usize,
    pub descending: bool,
}

impl Default for TableSort {
    /// The objective column, best first (the direction is flipped for minimised objectives).
    fn default() -> Self {
        TableSort {
            column: usize::MAX,
            descending: true,
        }
    }
}

type Getter = fn(&Metrics) -> f64;

/// Metric columns after the objective.
const METRIC_COLUMNS: &[(&str, Getter)] = &[
    ("total return", |m| m.total_return),
    ("Sharpe", |m| m.sharpe),
    ("max drawdown", |m| m.max_drawdown),
    ("win rate", |m| m.win_rate),
    ("trades", |m| m.n_trades as f64),
    ("final equity", |m| m.final_equity),
];

/// The value of `column` for row `i` (NaN where undefined).
fn cell(view: &SweepView, column: usize, i: usize) -> f64 {
    let row = &view.rows[i];
    let n = view.paths.len();
    match column {
        0 => row.combo as f64,
        c if c <= n => row.params[c - 1],
        c if c == n + 1 => view.value(i).unwrap_or(f64::NAN),
        c => METRIC_COLUMNS
            .get(c - n - 2)
            .map_or(f64::NAN, |(_, get)| get(&row.metrics)),
    }
}

/// Row indices in display order; NaN last whatever the direction.
pub(super) fn order(view: &SweepView, sort: TableSort) -> Vec<usize> {
    let n = view.paths.len();
    let objective_col = n + 1;
    let (column, descending) = if sort.column == usize::MAX {
        (objective_col, view.objective.maximize)
    } else {
        (sort.column, sort.descending)
    };
    let mut idx: Vec<usize> = (0..view.rows.len()).collect();
    idx.sort_by(|&a, &b| {
        let (x, y) = (cell(view, column, a), cell(view, column, b));
        match (x.is_nan(), y.is_nan()) {
            (true, true) => a.cmp(&b),
            (true, false) => std::cmp::Ordering::Greater,
            (false, true) => std::cmp::Ordering::Less,
            _ if descending => y.total_cmp(&x).then(a.cmp(&b)),
            _ => x.total_cmp(&y).then(a.cmp(&b)),
        }
    });
    idx
}

pub(super) fn table_ui(ui: &mut Ui, view: &SweepView, p: &mut OptimisePanel<'_>) {
    let n = view.paths.len();
    let mut headers: Vec<String> = vec!["#".into()];
    headers.extend(view.paths.iter().cloned());
    headers.push(format!("{} (objective)", view.objective.name()));
    headers.extend(METRIC_COLUMNS.iter().map(|(h, _)| (*h).to_owned()));
    let sort = p.settings.sort;
    let shown_col = if sort.column == usize::MAX { n + 1 } else { sort.column };
    let shown_desc = if sort.column == usize::MAX {
        view.objective.maximize
    } else {
        sort.descending
    };
    // Sorted once per sweep and sort, not every frame (a sweep may have a million rows).
    let key = (view.rows.as_ptr() as usize, view.rows.len(), sort);
    let order = crate::ui::plots::series::memo(ui.ctx(), ui.make_persistent_id("sweep_order"), key, || {
        order(view, sort)
    });
    let col_w = 92.0;
    let row_h = ui.spacing().interact_size.y;
    ui.label(RichText::new(format!("All {} combinations (click a header to sort)", view.rows.len())).strong());
    ScrollArea::horizontal().id_salt("sweep_table_h").show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.add_sized([56.0, row_h], egui::Label::new(""));
            for (c, h) in headers.iter().enumerate() {
                let b = ui.add_sized([col_w, row_h], egui::Button::new(RichText::new(h).small()).truncate());
                if c == shown_col {
                    crate::ui::trades_ui::sort_arrow(ui, b.rect, shown_desc);
                }
                if b.on_hover_text(format!("Sort by {h}")).clicked() {
                    p.settings.sort = TableSort {
                        column: c,
                        descending: if c == shown_col { !shown_desc } else { c > n },
                    };
                }
            }
        });
        ScrollArea::vertical()
            .id_salt("sweep_table_v")
            .max_height(320.0)
            .min_scrolled_height(320.0_f32.min((row_h + ui.spacing().item_spacing.y) * order.len() as f32))
            .auto_shrink([false, true])
            .show_rows(ui, row_h, order.len(), |ui, rows| {
                for &i in &order.as_slice()[rows] {
                    ui.horizontal(|ui| {
                        let applied = p.applied == Some(i);
                        let label = if applied { "In use" } else { "Apply" };
                        let b = ui
                            .add_sized([56.0, row_h], egui::Button::new(label).selected(applied))
                            .on_hover_text(format!("Put {} in the editor and run it", view.describe(i)));
                        if b.clicked() {
                            p.push(OptimiseCommand::ApplyRow(i));
                        }
                        for c in 0..headers.len() {
                            let v = cell(view, c, i);
                            let text = match c {
                                0 => format!("{}", view.rows[i].combo + 1),
                                c if c == n + 6 => format!("{}", view.rows[i].n_trades()),
                                c if c == n + 7 => format!("{v:.2}"),
                                c if (n + 2..=n + 5).contains(&c) && c != n + 3 => pct(v),
                                _ => num(v),
                            };
                            let mut rt = RichText::new(text).monospace();
                            if Some(i) == view.best {
                                rt = rt.strong();
                            }
                            ui.add_sized([col_w, row_h], egui::Label::new(rt).truncate());
                        }
                    });
                }
            });
    });
}

fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.2} %", x * 100.0)
    } else {
        "n/a".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_columns_line_up_with_the_headers() {
        // n params + "#" + objective + the metric columns; the formatting above assumes this
        // order (total return, Sharpe, max drawdown, win rate, trades, final equity).
        let names: Vec<&str> = METRIC_COLUMNS.iter().map(|(h, _)| *h).collect();
        assert_eq!(
            names,
            [
                "total return",
                "Sharpe",
                "max drawdown",
                "win rate",
                "trades",
                "final equity"
            ]
        );
    }
}
