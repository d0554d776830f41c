//! Parameter widgets: column pickers, thresholds scaled to the column's range, percentages shown
//! in % and stored as fractions, and the sizer editor.

use eframe::egui::{self, ComboBox, DragValue, Response, RichText, UiBuilder};

use super::kind::{fraction_of, percent_of, stats_for, threshold_range, threshold_speed};
use super::problem::{Place, Problem};
use super::sizer_kind::SizerKind;
use super::{Editor, error_label_ui};
use ml4t_data::SignalInfo;
use ml4t_engine::strategy::rules::{Cmp, Column, Rule, Sizer};

/// The parameter widgets of a rule that is not a group; true when one changed.
pub(super) fn rule_params_ui(ui: &mut egui::Ui, rule: &mut Rule, name: &str, editor: &Editor<'_>) -> bool {
    let named = |what: &str| format!("{name} {what}");
    match rule {
        Rule::SignalAbove(c, x) | Rule::SignalBelow(c, x) | Rule::CrossAbove(c, x) | Rule::CrossBelow(c, x) => {
            let changed =
                column_ui(ui, c, &named("column"), editor) | threshold_ui(ui, x, c, &named("threshold"), editor);
            editor.sweep_ui(ui, name, "", Some(c), *x);
            changed
        }
        Rule::SignalBetween(c, lo, hi) => {
            let mut changed = column_ui(ui, c, &named("column"), editor);
            changed |= threshold_ui(ui, lo, c, &named("lower bound"), editor);
            editor.sweep_ui(ui, name, ".lo", Some(c), *lo);
            ui.label("to");
            changed |= threshold_ui(ui, hi, c, &named("upper bound"), editor);
            editor.sweep_ui(ui, name, ".hi", Some(c), *hi);
            changed
        }
        Rule::Compare(a, op, b) => {
            column_ui(ui, a, &named("column"), editor)
                | cmp_ui(ui, op, &named("comparator"))
                | column_ui(ui, b, &named("second column"), editor)
        }
        Rule::StopLoss(p) => {
            let changed = named_drag_ui(
                ui,
                p,
                |v| percent_drag(v, 100.0, 0.1),
                &named("percent"),
                "Loss since entry",
            );
            editor.sweep_ui(ui, name, "", None, *p);
            changed
        }
        Rule::TrailingStop(p) => {
            let changed = named_drag_ui(
                ui,
                p,
                |v| percent_drag(v, 100.0, 0.1),
                &named("percent"),
                "Drop from the high",
            );
            editor.sweep_ui(ui, name, "", None, *p);
            changed
        }
        Rule::TakeProfit(p) => {
            let changed = named_drag_ui(
                ui,
                p,
                |v| percent_drag(v, 1000.0, 0.1),
                &named("percent"),
                "Gain since entry",
            );
            editor.sweep_ui(ui, name, "", None, *p);
            changed
        }
        Rule::MaxHoldingBars(n) => {
            let changed = named_count_u32_ui(
                ui,
                n,
                1,
                " bars",
                &named("bars"),
                "Bars held, counting the entry bar as 1",
            );
            editor.sweep_ui(ui, name, "", None, f64::from(*n));
            changed
        }
        Rule::TopN(c, n) | Rule::BottomN(c, n) => {
            // Validation flags N above the data's assets (unknown without data).
            let hover = format!("How many assets to keep; the data has {}", editor.n_assets);
            let changed = named_count_ui(ui, n, 1, "", &named("N"), &hover);
            editor.sweep_ui(ui, name, "", None, *n as f64);
            ui.label("by");
            changed | column_ui(ui, c, &named("column"), editor)
        }
        Rule::InPosition | Rule::NotInPosition | Rule::All(_) | Rule::Any(_) | Rule::Not(_) | Rule::Disabled(_) => {
            false
        }
    }
}

/// A combo box over the offered columns (signals and prices); an unknown column is kept and
/// shown in red.
fn column_ui(ui: &mut egui::Ui, column: &mut String, name: &str, editor: &Editor<'_>) -> bool {
    let known = Column::resolve(column, editor.signal_names).is_some();
    pick_column_ui(ui, column, name, editor, &editor.columns, known)
}

/// A combo box over `options`, naming the pick's statistics on hover.
fn pick_column_ui(
    ui: &mut egui::Ui,
    column: &mut String,
    name: &str,
    editor: &Editor<'_>,
    options: &[String],
    known: bool,
) -> bool {
    let selected = if known {
        RichText::new(column.as_str())
    } else {
        RichText::new(format!("{column} (unknown)")).color(ui.visuals().error_fg_color)
    };
    let mut changed = false;
    ComboBox::from_id_salt(name)
        .selected_text(selected)
        .width(110.0)
        .show_ui(ui, |ui| {
            for option in options {
                changed |= ui
                    .selectable_value(column, option.clone(), option.as_str())
                    .on_hover_text(column_summary(option, editor.signals))
                    .changed();
            }
        })
        .response
        .accessible_name(name)
        .on_hover_text(if known {
            column_summary(column, editor.signals)
        } else {
            format!("'{column}' is not in the data: pick a column")
        });
    changed
}

/// A threshold on `column`: drag speed and range from the column's min/max.
fn threshold_ui(ui: &mut egui::Ui, x: &mut f64, column: &str, name: &str, editor: &Editor<'_>) -> bool {
    let stats = stats_for(column, editor.signals);
    let speed = threshold_speed(stats, *x);
    let range = threshold_range(stats).unwrap_or(f64::NEG_INFINITY..=f64::INFINITY);
    let hover = column_summary(column, editor.signals);
    named_drag_ui(
        ui,
        x,
        |v| {
            DragValue::new(v)
                .speed(speed)
                .range(range)
                .clamp_existing_to_range(false)
        },
        name,
        &hover,
    )
}

fn cmp_ui(ui: &mut egui::Ui, op: &mut Cmp, name: &str) -> bool {
    let mut changed = false;
    ComboBox::from_id_salt(name)
        .selected_text(op.symbol())
        .width(48.0)
        .show_ui(ui, |ui| {
            for choice in [Cmp::Gt, Cmp::Ge, Cmp::Lt, Cmp::Le] {
                changed |= ui.selectable_value(op, choice, choice.symbol()).changed();
            }
        })
        .response
        .accessible_name(name)
        .on_hover_text("How the first column compares to the second");
    changed
}

/// Shows `fraction` in % (0.05 as 5 %) and stores what is typed back as a fraction.
pub(super) fn percent_drag(fraction: &mut f64, max_percent: f64, speed_percent: f64) -> DragValue<'_> {
    DragValue::from_get_set(|typed| {
        if let Some(percent) = typed {
            *fraction = fraction_of(percent);
        }
        percent_of(*fraction)
    })
    .speed(speed_percent)
    .range(0.0..=max_percent)
    .clamp_existing_to_range(false)
    .max_decimals(4)
    .suffix(" %")
}

/// A non-negative amount (quantity, money, scale).
pub(super) fn amount_drag(value: &mut f64, speed: f64) -> DragValue<'_> {
    DragValue::new(value)
        .speed(speed)
        .range(0.0..=f64::INFINITY)
        .clamp_existing_to_range(false)
}

/// Adds the drag value `make` builds over `value`, lets `describe` name it, and reports whether
/// the value changed. Compares bits rather than asking `Response::changed`: a DragValue over a NaN
/// (e.g. from a preset) reports a change on every frame, since NaN != NaN.
pub(super) fn drag_ui(
    ui: &mut egui::Ui,
    value: &mut f64,
    make: impl FnOnce(&mut f64) -> DragValue<'_>,
    describe: impl FnOnce(Response) -> Response,
) -> bool {
    let before = value.to_bits();
    let _response = describe(ui.add(make(value)));
    value.to_bits() != before
}

/// [`drag_ui`] named `name` for screen readers and tests: every number of the rule editor goes
/// through here, so a control added beside each number (a "sweep this" button) goes here once.
pub(super) fn named_drag_ui(
    ui: &mut egui::Ui,
    value: &mut f64,
    make: impl FnOnce(&mut f64) -> DragValue<'_>,
    name: &str,
    hover: &str,
) -> bool {
    drag_ui(ui, value, make, |r| r.accessible_name(name).on_hover_text(hover))
}

/// A whole number of at least `min` (bars, assets), edited through [`named_drag_ui`].
pub(super) fn named_count_ui(
    ui: &mut egui::Ui,
    value: &mut usize,
    min: usize,
    suffix: &'static str,
    name: &str,
    hover: &str,
) -> bool {
    let mut x = *value as f64;
    let changed = named_drag_ui(
        ui,
        &mut x,
        |v| {
            DragValue::new(v)
                .speed(0.1)
                .range(min as f64..=1e9)
                .clamp_existing_to_range(false)
                .max_decimals(0)
                .suffix(suffix)
        },
        name,
        hover,
    );
    let new = x.round().max(min as f64) as usize;
    let changed = changed && new != *value;
    *value = new;
    changed
}

/// [`named_count_ui`] for a `u32` field.
pub(super) fn named_count_u32_ui(
    ui: &mut egui::Ui,
    value: &mut u32,
    min: u32,
    suffix: &'static str,
    name: &str,
    hover: &str,
) -> bool {
    let mut n = *value as usize;
    let changed = named_count_ui(ui, &mut n, min as usize, suffix, name, hover);
    *value = u32::try_from(n).unwrap_or(u32::MAX);
    changed
}

/// A column picker over the data's signals (not the price columns), for settings that rank or
/// weight by a signal; an unknown name is kept and shown in red.
pub(super) fn signal_column_ui(ui: &mut egui::Ui, column: &mut String, name: &str, editor: &Editor<'_>) -> bool {
    let known = editor.signal_names.contains(column);
    pick_column_ui(ui, column, name, editor, editor.signal_names, known)
}

/// "ml_pred: min 0.01, mean 0.5, max 0.99, 3 NaN" or "close: price column".
fn column_summary(column: &str, signals: &[SignalInfo]) -> String {
    match stats_for(column, signals) {
        Some(s) => format!(
            "{column}: min {}, mean {}, max {}, {} NaN",
            short(s.min),
            short(s.mean),
            short(s.max),
            s.nan_count
        ),
        None => format!("{column}: price column"),
    }
}

/// At most four decimals, without trailing zeros.
fn short(x: f64) -> String {
    let s = format!("{x:.4}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// Sizer kind and parameters, with the sizer's validation message below.
pub(super) fn sizer_ui(ui: &mut egui::Ui, sizer: &mut Sizer, editor: &Editor<'_>) -> bool {
    ui.scope_builder(UiBuilder::new().scope_id(editor.id.with("sizer")), |ui| {
        ui.strong("Position size");
        let changed = ui
            .horizontal_wrapped(|ui| sizer_kind_ui(ui, sizer, editor) | sizer_params_ui(ui, sizer, editor))
            .inner;
        if let Some(message) = Problem::at(editor.problem.as_ref(), Place::Sizer) {
            error_label_ui(ui, message);
        }
        changed
    })
    .inner
}

fn sizer_kind_ui(ui: &mut egui::Ui, sizer: &mut Sizer, editor: &Editor<'_>) -> bool {
    let current = SizerKind::from_sizer(sizer);
    let mut chosen = current;
    ComboBox::from_id_salt("sizer kind")
        .selected_text(current.label())
        .width(130.0)
        .show_ui(ui, |ui| {
            for kind in SizerKind::ALL {
                ui.selectable_value(&mut chosen, kind, kind.label())
                    .on_hover_text(kind.explanation());
            }
        })
        .response
        .accessible_name("sizer kind")
        .on_hover_text(current.explanation());
    if chosen == current {
        return false;
    }
    *sizer = chosen.to_sizer(sizer, editor.signals);
    true
}

fn sizer_params_ui(ui: &mut egui::Ui, sizer: &mut Sizer, editor: &Editor<'_>) -> bool {
    let changed = sizer_numbers_ui(ui, sizer, editor);
    match sizer {
        Sizer::PercentOfCash(x)
        | Sizer::PercentOfEquity(x)
        | Sizer::FixedQuantity(x)
        | Sizer::FixedNotional(x)
        | Sizer::VolatilityTarget(_, x) => editor.sweep_ui(ui, "sizer", "", None, *x),
        Sizer::ConfidenceScaled(_, scale, max) => {
            editor.sweep_ui(ui, "sizer", ".scale", None, *scale);
            editor.sweep_ui(ui, "sizer", ".max", None, *max);
        }
    }
    changed
}

fn sizer_numbers_ui(ui: &mut egui::Ui, sizer: &mut Sizer, editor: &Editor<'_>) -> bool {
    match sizer {
        Sizer::PercentOfCash(p) => named_drag_ui(
            ui,
            p,
            |v| percent_drag(v, 100.0, 0.5),
            "sizer percent",
            "Share of the cash per entry",
        ),
        Sizer::PercentOfEquity(p) => named_drag_ui(
            ui,
            p,
            |v| percent_drag(v, 100.0, 0.5),
            "sizer percent",
            "Share of the equity per entry",
        ),
        Sizer::FixedQuantity(q) => named_drag_ui(
            ui,
            q,
            |v| amount_drag(v, 1.0),
            "sizer quantity",
            "Units bought per entry",
        ),
        Sizer::FixedNotional(n) => named_drag_ui(
            ui,
            n,
            |v| amount_drag(v, 100.0),
            "sizer notional",
            "Money spent per entry",
        ),
        Sizer::VolatilityTarget(c, target) => {
            let changed = column_ui(ui, c, "sizer column", editor);
            let speed = threshold_speed(stats_for(c, editor.signals), *target);
            ui.label("target");
            let hover = "Target volatility, in the units of the column";
            changed | named_drag_ui(ui, target, |v| amount_drag(v, speed), "sizer volatility target", hover)
        }
        Sizer::ConfidenceScaled(c, scale, max) => {
            let mut changed = column_ui(ui, c, "sizer column", editor);
            ui.label("×");
            let hover = "Multiplies the column into a share of the cash";
            changed |= named_drag_ui(ui, scale, |v| amount_drag(v, 0.01), "sizer scale", hover);
            ui.label("at most");
            let hover = "Largest share of the cash per entry";
            changed | named_drag_ui(ui, max, |v| percent_drag(v, 100.0, 0.5), "sizer maximum percent", hover)
        }
    }
}
