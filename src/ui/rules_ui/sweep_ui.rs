//! "Sweep this": a small icon beside each number the sweep engine can vary (thresholds, stop and
//! take-profit percentages, holding bars, top-N, the sizer's numbers, the broker's costs). A click
//! adds the number to the preset's sweep, or takes it out again; the range and steps are edited
//! in the Optimise view. The rows' sweep paths (`entry[0]`, `exit[0][1]`, `.lo`/`.hi`) are worked
//! out once per frame from the strategy, so the editor's rows need only their names.

use std::cell::RefCell;
use std::collections::HashMap;

use eframe::egui::{self, WidgetInfo};

use super::edit::{ListKind, row_name};
use ml4t_engine::strategy::rules::{Rule, SignalStrategy};

/// Which numbers are swept now, and the clicks of this frame.
#[derive(Debug, Default)]
pub struct SweepMarks {
    /// Paths in the preset's sweep (`entry[0]`, `sizer`, `broker.slippage_bps`).
    pub swept: Vec<String>,
    clicked: RefCell<Vec<SweepClick>>,
}

/// A click on "sweep this".
#[derive(Debug, Clone, PartialEq)]
pub struct SweepClick {
    /// The number's sweep path.
    pub path: String,
    /// The signal column a threshold compares (its statistics give the default range).
    pub column: Option<String>,
    /// The number's current value (the default range is around it when no column applies).
    pub value: f64,
}

impl SweepMarks {
    pub fn new(swept: Vec<String>) -> Self {
        SweepMarks {
            swept,
            clicked: RefCell::new(Vec::new()),
        }
    }

    /// The clicks since the last call.
    pub fn take_clicks(&self) -> Vec<SweepClick> {
        std::mem::take(&mut *self.clicked.borrow_mut())
    }

    fn is_swept(&self, path: &str) -> bool {
        self.swept.iter().any(|p| p == path)
    }
}

/// Row name ("exit rule 1.2") → sweep path prefix ("exit[0][1]"), for every row of `strategy`.
/// A NOT's rule is drawn as a child row but the sweep path looks through it.
pub(super) fn row_paths(strategy: &SignalStrategy) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (list, rules, name) in [
        (ListKind::Entry, &strategy.entry, "entry"),
        (ListKind::Exit, &strategy.exit, "exit"),
        (ListKind::ShortEntry, &strategy.short_entry, "short_entry"),
        (ListKind::ShortExit, &strategy.short_exit, "short_exit"),
    ] {
        out.extend(list_paths(list, rules, name));
    }
    out
}

/// [`row_paths`] of one list, whose sweep paths start with `name` (`filter` for a hybrid's).
pub(super) fn list_paths(list: ListKind, rules: &[Rule], name: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (i, rule) in rules.iter().enumerate() {
        walk(list, rule, &mut vec![i], format!("{name}[{i}]"), &mut out);
    }
    out
}

fn walk(list: ListKind, rule: &Rule, row: &mut Vec<usize>, prefix: String, out: &mut HashMap<String, String>) {
    out.insert(row_name(list, row), prefix.clone());
    match rule {
        Rule::Disabled(r) => walk_inner(list, r, row, prefix, out),
        other => walk_inner(list, other, row, prefix, out),
    }
}

fn walk_inner(list: ListKind, rule: &Rule, row: &mut Vec<usize>, prefix: String, out: &mut HashMap<String, String>) {
    match rule {
        Rule::Not(r) => {
            row.push(0);
            walk(list, r, row, prefix, out);
            row.pop();
        }
        Rule::All(rs) | Rule::Any(rs) => {
            for (j, r) in rs.iter().enumerate() {
                row.push(j);
                walk(list, r, row, format!("{prefix}[{j}]"), out);
                row.pop();
            }
        }
        _ => {}
    }
}

/// The icon button for the number at `path`; records a click in `marks`.
pub(super) fn sweep_button_ui(ui: &mut egui::Ui, marks: &SweepMarks, path: &str, column: Option<&str>, value: f64) {
    let swept = marks.is_swept(path);
    let side = ui.spacing().interact_size.y;
    let (rect, response) = ui.allocate_exact_size(egui::vec2(side * 0.9, side), egui::Sense::click());
    let name = if swept {
        format!("Stop sweeping {path}")
    } else {
        format!("Sweep {path}")
    };
    let info = name.clone();
    response.widget_info(|| WidgetInfo::labeled(egui::Role::Button, true, &info));
    let hover = if swept {
        format!("{path} is swept (its range is in the Optimise view). Click to stop sweeping it.")
    } else {
        format!("Sweep this: add {path} to the sweep with a default range (edit it in the Optimise view)")
    };
    let response = response.on_hover_text(hover);
    let visuals = ui.style().interact(&response);
    let painter = ui.painter();
    if swept {
        painter.rect_filled(rect.shrink(1.0), 3.0, ui.visuals().selection.bg_fill);
    } else if response.hovered() {
        painter.rect_filled(rect.shrink(1.0), 3.0, visuals.bg_fill);
    }
    let color = if swept {
        ui.visuals().selection.stroke.color
    } else {
        visuals.fg_stroke.color.gamma_multiply(0.8)
    };
    // Three bars of rising height: "try several values".
    let base = rect.center().y + side * 0.25;
    let w = rect.width() * 0.16;
    for (k, h) in [0.25f32, 0.4, 0.55].iter().enumerate() {
        let x = rect.center().x + (k as f32 - 1.0) * w * 1.6;
        let bar = egui::Rect::from_min_max(egui::pos2(x - w * 0.5, base - side * h), egui::pos2(x + w * 0.5, base));
        painter.rect_filled(bar, 1.0, color);
    }
    if response.clicked() {
        marks.clicked.borrow_mut().push(SweepClick {
            path: path.to_owned(),
            column: column.map(str::to_owned),
            value,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_paths_follow_groups_and_look_through_not() {
        let s = SignalStrategy::new()
            .entry(Rule::signal_above("a", 0.5))
            .entry(Rule::Disabled(Box::new(Rule::signal_below("b", 0.1))))
            .exit_any([Rule::signal_below("a", 0.3), Rule::not(Rule::stop_loss(0.05))]);
        let m = row_paths(&s);
        assert_eq!(m["entry rule 1"], "entry[0]");
        assert_eq!(m["entry rule 2"], "entry[1]");
        assert_eq!(m["exit rule 1"], "exit[0]");
        assert_eq!(m["exit rule 1.1"], "exit[0][0]");
        assert_eq!(m["exit rule 1.2"], "exit[0][1]");
        // The NOT's rule is row 1.2.1 in the editor; its number is exit[0][1].
        assert_eq!(m["exit rule 1.2.1"], "exit[0][1]");
    }
}
