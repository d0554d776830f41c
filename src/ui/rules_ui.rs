//! The visual rule editor for level-1 strategies ([`SignalStrategy`]: direction, exit fills,
//! entry order, long and short entry/exit lists, sizer, margin; or a rebalancing portfolio's
//! settings) and the broker settings editor.
//!
//! Each row of a rule list is drawn in its own scope, whose id is derived from the row's path
//! (list, then index in each enclosing group), so widget ids do not shift when a message or a row
//! appears elsewhere and editing one row never steals focus from another. Structural edits (add,
//! remove, move, switch kind, on/off) are recorded as [`edit::Command`]s while drawing and applied
//! afterwards; parameter widgets edit their field in place.

mod broker_ui;
mod edit;
mod kind;
mod list_ui;
mod param_ui;
mod portfolio_ui;
mod problem;
#[cfg(test)]
mod settings_tests;
mod settings_ui;
mod sizer_kind;
mod sweep_ui;
#[cfg(test)]
mod tests;

use eframe::egui;

use ml4t_data::SignalInfo;
use ml4t_engine::strategy::rules::{Rule, RuleError, SignalStrategy};

pub use broker_ui::broker_editor_sweep_ui;
#[cfg(test)]
use broker_ui::broker_editor_ui;
use edit::ListKind;
use problem::{Place, Problem};
pub use sweep_ui::SweepMarks;

/// What every row needs to draw itself.
struct Editor<'a> {
    /// Root of the rows' scope ids.
    id: egui::Id,
    signals: &'a [SignalInfo],
    signal_names: &'a [String],
    /// The columns the pickers offer: the signals, then the price columns.
    columns: Vec<String>,
    n_assets: usize,
    /// The first validation error, if any, with the place to show it.
    problem: Option<Problem>,
    /// "Sweep this" buttons (None: the editor draws none).
    sweep: Option<&'a SweepMarks>,
    /// Row name → sweep path of the row's rule.
    sweep_paths: std::collections::HashMap<String, String>,
}

impl Editor<'_> {
    /// The "sweep this" button of the number `slot` ("", ".lo", ".hi") of row `row` (a rule row's
    /// name, or "sizer"), when the editor offers sweeps.
    fn sweep_ui(&self, ui: &mut egui::Ui, row: &str, slot: &str, column: Option<&str>, value: f64) {
        let Some(marks) = self.sweep else { return };
        let prefix = if row == "sizer" {
            Some("sizer")
        } else {
            self.sweep_paths.get(row).map(String::as_str)
        };
        if let Some(prefix) = prefix {
            sweep_ui::sweep_button_ui(ui, marks, &format!("{prefix}{slot}"), column, value);
        }
    }
}

impl Editor<'_> {
    /// The "sweep this" button of a setting's number at sweep path `path` (such as
    /// "entry_order.offset" or "portfolio.n_long"), when the editor offers sweeps.
    fn sweep_setting_ui(&self, ui: &mut egui::Ui, path: &str, value: f64) {
        if let Some(marks) = self.sweep {
            sweep_ui::sweep_button_ui(ui, marks, path, None, value);
        }
    }
}

/// The settings, the lists the direction uses (long entry/exit, short entry/exit), the sizer;
/// or, for a portfolio, its settings. Returns true when the user changed anything.
/// (The window uses [`strategy_editor_sweep_ui`]; this one, without sweep buttons, is for tests.)
#[cfg_attr(not(test), allow(dead_code))]
pub fn strategy_editor_ui(
    ui: &mut egui::Ui,
    strategy: &mut SignalStrategy,
    signals: &[SignalInfo],
    n_assets: usize,
) -> bool {
    editor_ui(ui, strategy, signals, n_assets, None)
}

/// [`strategy_editor_ui`] with a "sweep this" button beside every number the sweep can vary;
/// the clicks are in `marks`.
pub fn strategy_editor_sweep_ui(
    ui: &mut egui::Ui,
    strategy: &mut SignalStrategy,
    signals: &[SignalInfo],
    n_assets: usize,
    marks: &SweepMarks,
) -> bool {
    editor_ui(ui, strategy, signals, n_assets, Some(marks))
}

fn editor_ui(
    ui: &mut egui::Ui,
    strategy: &mut SignalStrategy,
    signals: &[SignalInfo],
    n_assets: usize,
    sweep: Option<&SweepMarks>,
) -> bool {
    let signal_names: Vec<String> = signals.iter().map(|s| s.name.clone()).collect();
    let editor = Editor {
        id: ui.make_persistent_id("strategy_editor"),
        signals,
        signal_names: &signal_names,
        columns: kind::column_options(signals),
        n_assets,
        problem: problem::find_problem(strategy, &signal_names, n_assets),
        sweep_paths: if sweep.is_some() {
            sweep_ui::row_paths(strategy)
        } else {
            Default::default()
        },
        sweep,
    };
    let changed = match strategy.portfolio.as_deref_mut() {
        Some(portfolio) => portfolio_ui::portfolio_ui(ui, portfolio, &editor),
        None => rules_ui(ui, strategy, &editor),
    };
    if changed {
        // The messages above were computed before the edit: draw again with fresh ones.
        ui.ctx().request_repaint();
    }
    changed
}

/// Settings, then the rule lists of the sides the direction trades (the others keep their rules,
/// hidden), then the sizer.
fn rules_ui(ui: &mut egui::Ui, strategy: &mut SignalStrategy, editor: &Editor<'_>) -> bool {
    let mut changed = settings_ui::settings_ui(ui, strategy, editor);
    let d = strategy.direction;
    let lists = [
        (d.trades_long(), ListKind::Entry, &mut strategy.entry),
        (d.trades_long(), ListKind::Exit, &mut strategy.exit),
        (d.trades_short(), ListKind::ShortEntry, &mut strategy.short_entry),
        (d.trades_short(), ListKind::ShortExit, &mut strategy.short_exit),
    ];
    for (shown, list, rules) in lists {
        if shown {
            ui.separator();
            changed |= list_ui::rule_list_ui(ui, list, rules, editor);
        }
    }
    ui.separator();
    changed | param_ui::sizer_ui(ui, &mut strategy.sizer, editor)
}

/// A hybrid's filter: one rule list edited like an entry list (all must hold). Returns true when
/// the user changed anything.
/// `sweep`: "sweep this" beside the filter's numbers (paths `filter[i]`), when given.
pub fn filter_editor_ui(
    ui: &mut egui::Ui,
    filter: &mut Vec<Rule>,
    signals: &[SignalInfo],
    n_assets: usize,
    sweep: Option<&SweepMarks>,
) -> bool {
    let signal_names: Vec<String> = signals.iter().map(|s| s.name.clone()).collect();
    let check = SignalStrategy {
        entry: filter.clone(),
        ..SignalStrategy::default()
    };
    let editor = Editor {
        id: ui.make_persistent_id("filter_editor"),
        signals,
        signal_names: &signal_names,
        columns: kind::column_options(signals),
        n_assets,
        // Checked as an entry list, named as the filter.
        problem: problem::find_problem(&check, &signal_names, n_assets).map(|mut p| {
            if matches!(check.validate(&signal_names, n_assets), Err(RuleError::NoEntry)) {
                ml4t_preset::HYBRID_NO_FILTER.clone_into(&mut p.message);
            }
            p.place = match p.place {
                Place::ListTop(_) => Place::ListTop(ListKind::Filter),
                Place::Row(_, i) => Place::Row(ListKind::Filter, i),
                other => other,
            };
            p
        }),
        sweep_paths: if sweep.is_some() {
            sweep_ui::list_paths(ListKind::Filter, filter, "filter")
        } else {
            Default::default()
        },
        sweep,
    };
    let changed = list_ui::rule_list_ui(ui, ListKind::Filter, filter, &editor);
    if changed {
        ui.ctx().request_repaint();
    }
    changed
}

/// A validation message in the error colour.
fn error_label_ui(ui: &mut egui::Ui, message: &str) {
    ui.colored_label(ui.visuals().error_fg_color, message);
}
