//! Drawing a rule list: one row per rule, AND/ANY/NOT groups as collapsible rows with their
//! rules nested and indented below.

use eframe::egui::{self, ComboBox, UiBuilder, WidgetInfo, collapsing_header::CollapsingState};

use super::edit::{self, Command, ListKind, RowPath, row_name};
use super::kind::RuleKind;
use super::param_ui::rule_params_ui;
use super::problem::{Place, Problem};
use super::{Editor, error_label_ui};
use ml4t_engine::strategy::rules::Rule;

/// Where a row sits, and which row controls it gets.
struct Row {
    list: ListKind,
    path: RowPath,
    /// Number of rows in the same list or group (for the move buttons).
    siblings: usize,
    /// The rule of a NOT: it can be edited but not switched off, moved or removed on its own.
    negated: bool,
}

impl Row {
    fn name(&self) -> String {
        row_name(self.list, &self.path)
    }

    fn child(&self, index: usize, siblings: usize, negated: bool) -> Row {
        let mut path = self.path.clone();
        path.push(index);
        Row {
            list: self.list,
            path,
            siblings,
            negated,
        }
    }

    fn index(&self) -> usize {
        self.path.last().copied().unwrap_or(0)
    }
}

/// Heading, rows, "add" buttons of one list; applies the structural edits afterwards.
pub(super) fn rule_list_ui(ui: &mut egui::Ui, list: ListKind, rules: &mut Vec<Rule>, editor: &Editor<'_>) -> bool {
    let mut cmds = Vec::new();
    let mut changed = false;
    list_heading_ui(ui, list);
    if let Some(message) = Problem::at(editor.problem.as_ref(), Place::ListTop(list)) {
        error_label_ui(ui, message);
    }
    if rules.is_empty() {
        ui.weak(format!("No {} rules yet.", list.name()));
    }
    let siblings = rules.len();
    for (i, rule) in rules.iter_mut().enumerate() {
        let row = Row {
            list,
            path: vec![i],
            siblings,
            negated: false,
        };
        changed |= row_ui(ui, rule, &row, editor, &mut cmds);
        if let Some(message) = Problem::at(editor.problem.as_ref(), Place::Row(list, i)) {
            error_label_ui(ui, message);
        }
    }
    add_buttons_ui(ui, list, &mut cmds);
    for cmd in &cmds {
        changed |= edit::apply(rules, cmd, editor.signals);
    }
    changed
}

fn list_heading_ui(ui: &mut egui::Ui, list: ListKind) {
    let (title, note) = match list {
        ListKind::Entry => ("Entry rules", "checked for each flat asset; all must hold to buy"),
        ListKind::Filter => (
            "Filter rules",
            "checked on every bar; all must hold for the script's on_bar to run",
        ),
        ListKind::Exit => (
            "Exit rules",
            "checked for each asset in position; all must hold to sell (use an ANY group for OR)",
        ),
        ListKind::ShortEntry => (
            "Short entry rules",
            "checked for each flat asset when the long entry rules do not hold; all must hold to sell short",
        ),
        ListKind::ShortExit => (
            "Short exit rules",
            "checked for each short position; all must hold to cover (stops and targets mirror: a stop loss \
             is a rise above the entry)",
        ),
    };
    ui.horizontal_wrapped(|ui| {
        ui.strong(title);
        ui.weak(note);
    });
}

fn add_buttons_ui(ui: &mut egui::Ui, list: ListKind, cmds: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        let name = list.name();
        let add = |kind| Command::Add { parent: vec![], kind };
        if ui
            .button(format!("Add {name} rule"))
            .on_hover_text(format!(
                "Append a rule to the {name} list (all rules of the list must hold)"
            ))
            .clicked()
        {
            cmds.push(add(RuleKind::SignalAbove));
        }
        if ui
            .button(format!("Add {name} ANY group"))
            .on_hover_text("Append a group that holds when any of its rules holds (OR)")
            .clicked()
        {
            cmds.push(add(RuleKind::Any));
        }
    });
}

/// One row in its own scope; groups get a collapsible body with their rules.
fn row_ui(ui: &mut egui::Ui, rule: &mut Rule, row: &Row, editor: &Editor<'_>, cmds: &mut Vec<Command>) -> bool {
    let scope = UiBuilder::new().scope_id(editor.id.with((row.list, &row.path)));
    ui.scope_builder(scope, |ui| {
        if !rule.is_enabled() {
            ui.multiply_opacity(0.5);
        }
        if RuleKind::from_rule(rule).is_group() {
            group_ui(ui, rule, row, editor, cmds)
        } else {
            ui.horizontal_wrapped(|ui| row_header_ui(ui, rule, row, editor, cmds))
                .inner
        }
    })
    .inner
}

fn group_ui(ui: &mut egui::Ui, rule: &mut Rule, row: &Row, editor: &Editor<'_>, cmds: &mut Vec<Command>) -> bool {
    let id = ui.make_persistent_id("group");
    let (toggle, header, body) = CollapsingState::load_with_default_open(ui.ctx(), id, true)
        .show_header(ui, |ui| row_header_ui(ui, rule, row, editor, cmds))
        .body(|ui| group_body_ui(ui, rule, row, editor, cmds));
    let name = row.name();
    toggle.widget_info(|| WidgetInfo::labeled(egui::Role::DisclosureTriangle, true, format!("Fold {name}")));
    header.inner | body.is_some_and(|b| b.inner)
}

fn group_body_ui(ui: &mut egui::Ui, rule: &mut Rule, row: &Row, editor: &Editor<'_>, cmds: &mut Vec<Command>) -> bool {
    let mut changed = false;
    match edit::inner_mut(rule) {
        Rule::All(rows) | Rule::Any(rows) => {
            if rows.is_empty() {
                ui.weak("Empty group: add a rule.");
            }
            let siblings = rows.len();
            for (i, child) in rows.iter_mut().enumerate() {
                changed |= row_ui(ui, child, &row.child(i, siblings, false), editor, cmds);
            }
            let name = row.name();
            // In a row of its own, so a justified parent layout does not stretch it.
            let add = ui.horizontal(|ui| {
                ui.small_button("Add rule to group")
                    .accessible_name(format!("Add rule to {name}"))
                    .on_hover_text(format!("Append a rule inside {name}"))
                    .clicked()
            });
            if add.inner {
                cmds.push(Command::Add {
                    parent: row.path.clone(),
                    kind: RuleKind::SignalAbove,
                });
            }
        }
        Rule::Not(negated) => changed |= row_ui(ui, negated, &row.child(0, 1, true), editor, cmds),
        _ => {}
    }
    changed
}

/// On/off, kind, parameters, row buttons: one line.
fn row_header_ui(ui: &mut egui::Ui, rule: &mut Rule, row: &Row, editor: &Editor<'_>, cmds: &mut Vec<Command>) -> bool {
    let name = row.name();
    if !row.negated {
        enabled_ui(ui, rule, row, &name, cmds);
    }
    kind_ui(ui, rule, row, &name, cmds);
    let changed = rule_params_ui(ui, edit::inner_mut(rule), &name, editor);
    if !row.negated {
        row_buttons_ui(ui, row, &name, cmds);
    }
    changed
}

fn enabled_ui(ui: &mut egui::Ui, rule: &Rule, row: &Row, name: &str, cmds: &mut Vec<Command>) {
    let mut on = rule.is_enabled();
    if ui
        .checkbox(&mut on, "")
        .accessible_name(format!("{name} enabled"))
        .on_hover_text("Switch the rule off without deleting it: it stays in the preset and the engine ignores it")
        .changed()
    {
        cmds.push(Command::SetEnabled(row.path.clone(), on));
    }
}

fn kind_ui(ui: &mut egui::Ui, rule: &Rule, row: &Row, name: &str, cmds: &mut Vec<Command>) {
    let current = RuleKind::from_rule(rule);
    ComboBox::from_id_salt("kind")
        .selected_text(current.label())
        .width(130.0)
        // Tall enough for every kind without scrolling.
        .height(600.0)
        .show_ui(ui, |ui| {
            for kind in RuleKind::ALL {
                let clicked = ui
                    .selectable_label(kind == current, kind.label())
                    .on_hover_text(kind.explanation())
                    .clicked();
                if clicked && kind != current {
                    cmds.push(Command::SetKind(row.path.clone(), kind));
                }
            }
        })
        .response
        .accessible_name(format!("{name} kind"))
        .on_hover_text(current.explanation());
}

fn row_buttons_ui(ui: &mut egui::Ui, row: &Row, name: &str, cmds: &mut Vec<Command>) {
    let i = row.index();
    let path = &row.path;
    if icon_button_ui(ui, Icon::Up, i > 0, &format!("Move {name} up")) {
        cmds.push(Command::MoveUp(path.clone()));
    }
    if icon_button_ui(ui, Icon::Down, i + 1 < row.siblings, &format!("Move {name} down")) {
        cmds.push(Command::MoveDown(path.clone()));
    }
    if icon_button_ui(ui, Icon::Copy, true, &format!("Duplicate {name}")) {
        cmds.push(Command::Duplicate(path.clone()));
    }
    if icon_button_ui(ui, Icon::Delete, true, &format!("Remove {name}")) {
        cmds.push(Command::Remove(path.clone()));
    }
}

/// The row buttons' icons.
#[derive(Clone, Copy)]
enum Icon {
    Up,
    Down,
    Copy,
    Delete,
}

/// A compact icon button, painted (the bundled fonts have no arrow or bin glyphs), whose action
/// `name` is its tooltip and its accessible name (screen readers, tests).
fn icon_button_ui(ui: &mut egui::Ui, icon: Icon, enabled: bool, name: &str) -> bool {
    let side = ui.spacing().interact_size.y;
    let sense = if enabled {
        egui::Sense::click()
    } else {
        egui::Sense::hover()
    };
    let (rect, response) = ui.allocate_exact_size(egui::vec2(side, side), sense);
    let label = name.to_owned();
    response.widget_info(|| WidgetInfo::labeled(egui::Role::Button, enabled, &label));
    let response = response.on_hover_text(name);
    let visuals = if enabled {
        ui.style().interact(&response)
    } else {
        &ui.style().visuals.widgets.noninteractive
    };
    let painter = ui.painter();
    if response.hovered() && enabled {
        painter.rect_filled(rect, 3.0, visuals.bg_fill);
    }
    let color = if enabled {
        visuals.fg_stroke.color
    } else {
        ui.visuals().weak_text_color().gamma_multiply(0.5)
    };
    let stroke = egui::Stroke::new(1.5, color);
    let c = rect.center();
    let r = side * 0.28;
    match icon {
        Icon::Up | Icon::Down => {
            let s = if matches!(icon, Icon::Up) { -1.0 } else { 1.0 };
            let points = vec![
                c + egui::vec2(-r, -s * r * 0.6),
                c + egui::vec2(r, -s * r * 0.6),
                c + egui::vec2(0.0, s * r * 0.8),
            ];
            painter.add(egui::Shape::convex_polygon(points, color, egui::Stroke::NONE));
        }
        Icon::Copy => {
            let back = egui::Rect::from_center_size(c + egui::vec2(-r * 0.35, -r * 0.35), egui::vec2(r * 1.3, r * 1.3));
            let front = back.translate(egui::vec2(r * 0.7, r * 0.7));
            painter.rect_stroke(back, 1.0, stroke, egui::StrokeKind::Middle);
            painter.rect_filled(front, 1.0, ui.visuals().panel_fill);
            painter.rect_stroke(front, 1.0, stroke, egui::StrokeKind::Middle);
        }
        Icon::Delete => {
            let d = r * 0.8;
            painter.line_segment([c + egui::vec2(-d, -d), c + egui::vec2(d, d)], stroke);
            painter.line_segment([c + egui::vec2(-d, d), c + egui::vec2(d, -d)], stroke);
        }
    }
    enabled && response.clicked()
}
