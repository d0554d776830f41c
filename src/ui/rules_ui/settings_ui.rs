//! The strategy-wide settings above the rule lists: which sides it trades, how stop-loss,
//! take-profit and trailing rules fill, the entry order type and the initial-margin check. Each
//! is one compact row (a label and a few toggles), since the side panel is narrow.

use eframe::egui::{self, ComboBox, Grid};

use super::param_ui::{named_count_u32_ui, named_drag_ui, percent_drag};
use super::problem::{Place, Problem};
use super::{Editor, error_label_ui};
use ml4t_engine::strategy::rules::{Direction, EntryOrder, ExitFills, SignalStrategy};

/// What each exit-fill mode does (SEMANTICS.md, "Intrabar exits"), shown as tooltips.
pub(super) const NEXT_OPEN_HELP: &str = "Stop-loss, take-profit and trailing-stop rules are checked at the close \
     like every other rule; the exit is a market order filled at the next bar's open.";
pub(super) const INTRABAR_HELP: &str = "Stop-loss, take-profit and trailing stops become resting orders, placed when \
     the entry fills and active from the next bar:\n\
     – Stop loss (long): a bar opening at or below the stop fills at the open (gap); else it fills at the stop when \
     the low reaches it.\n\
     – Take profit (long): a bar opening at or above the limit fills at the open; else it fills at the limit when the \
     high reaches it.\n\
     – Trailing stop (long): at the highest high since entry × (1 − %), updated at each close; gaps as for the stop.\n\
     – A bar touching both the stop and the take-profit, with no gap deciding, fills the stop (pessimistic) and is \
     counted as ambiguous.\n\
     Shorts mirror (stop above, limit below). Slippage applies to stop fills, not to limit fills.";

/// Direction, exit fills, entry order and margin, with their validation message below. True on
/// change.
pub(super) fn settings_ui(ui: &mut egui::Ui, strategy: &mut SignalStrategy, editor: &Editor<'_>) -> bool {
    let changed = ui
        .scope_builder(egui::UiBuilder::new().scope_id(editor.id.with("settings")), |ui| {
            Grid::new("strategy settings")
                .num_columns(2)
                .spacing([8.0, 4.0])
                .show(ui, |ui| {
                    let mut changed = direction_ui(ui, &mut strategy.direction);
                    changed |= exit_fills_ui(ui, &mut strategy.exit_fills);
                    changed |= entry_order_ui(ui, &mut strategy.entry_order, editor);
                    changed | margin_ui(ui, &mut strategy.initial_margin, editor)
                })
                .inner
        })
        .inner;
    if let Some(message) = Problem::at(editor.problem.as_ref(), Place::Settings) {
        error_label_ui(ui, message);
    }
    changed
}

/// A row of mutually exclusive toggles; true when the user picked another one.
fn choice_ui<T: Copy + PartialEq>(ui: &mut egui::Ui, value: &mut T, choices: &[(T, &str, &str)]) -> bool {
    let mut changed = false;
    ui.horizontal(|ui| {
        ui.spacing_mut().item_spacing.x = 2.0;
        for &(choice, label, hover) in choices {
            if ui
                .selectable_label(*value == choice, label)
                .on_hover_text(hover)
                .clicked()
                && *value != choice
            {
                *value = choice;
                changed = true;
            }
        }
    });
    changed
}

fn direction_ui(ui: &mut egui::Ui, direction: &mut Direction) -> bool {
    ui.label("Direction")
        .on_hover_text("Which sides the strategy trades; short entry and exit rules are their own lists");
    let changed = choice_ui(
        ui,
        direction,
        &[
            (Direction::Long, "Long", "Long only: the entry and exit rules"),
            (
                Direction::ShortOnly,
                "Short",
                "Short only: the short entry and short exit rules",
            ),
            (
                Direction::LongShort,
                "Long-short",
                "Both: when flat, the long entry rules are checked first, then the short ones",
            ),
        ],
    );
    ui.end_row();
    changed
}

fn exit_fills_ui(ui: &mut egui::Ui, fills: &mut ExitFills) -> bool {
    ui.label("Stops fill")
        .on_hover_text("How stop-loss, take-profit and trailing-stop rules exit");
    let changed = choice_ui(
        ui,
        fills,
        &[
            (ExitFills::NextOpen, "Next open", NEXT_OPEN_HELP),
            (ExitFills::Intrabar, "Intrabar", INTRABAR_HELP),
        ],
    );
    ui.end_row();
    changed
}

/// The entry order kinds, for the combo box.
#[derive(Clone, Copy, PartialEq)]
enum OrderKind {
    Market,
    Limit,
    Stop,
}

impl OrderKind {
    fn of(order: &EntryOrder) -> Self {
        match order {
            EntryOrder::Market => OrderKind::Market,
            EntryOrder::Limit { .. } => OrderKind::Limit,
            EntryOrder::Stop { .. } => OrderKind::Stop,
        }
    }

    fn label(self) -> &'static str {
        match self {
            OrderKind::Market => "Market",
            OrderKind::Limit => "Limit",
            OrderKind::Stop => "Stop (breakout)",
        }
    }

    fn explanation(self) -> &'static str {
        match self {
            OrderKind::Market => "Filled at the next bar's open",
            OrderKind::Limit => {
                "A buy limit at close × (1 − offset) (a short sale: close × (1 + offset)), filled at the limit or \
                 a better open when the low (high) reaches it; cancelled after the bars it is valid for"
            }
            OrderKind::Stop => {
                "A buy stop at close × (1 + offset) (a short sale: close × (1 − offset)), filled at the stop or a \
                 worse open when the high (low) reaches it; cancelled after the bars it is valid for"
            }
        }
    }

    /// The order of this kind, keeping the offset and validity of `old` when it has them.
    fn to_order(self, old: &EntryOrder) -> EntryOrder {
        let (offset, valid_bars) = match *old {
            EntryOrder::Market => (0.005, 1),
            EntryOrder::Limit { offset, valid_bars } | EntryOrder::Stop { offset, valid_bars } => (offset, valid_bars),
        };
        match self {
            OrderKind::Market => EntryOrder::Market,
            OrderKind::Limit => EntryOrder::Limit { offset, valid_bars },
            OrderKind::Stop => EntryOrder::Stop { offset, valid_bars },
        }
    }
}

fn entry_order_ui(ui: &mut egui::Ui, order: &mut EntryOrder, editor: &Editor<'_>) -> bool {
    ui.label("Entry order")
        .on_hover_text("The order each entry places, long and short alike");
    let changed = ui
        .horizontal_wrapped(|ui| {
            let current = OrderKind::of(order);
            let mut chosen = current;
            ComboBox::from_id_salt("entry order kind")
                .selected_text(current.label())
                .width(90.0)
                .show_ui(ui, |ui| {
                    for kind in [OrderKind::Market, OrderKind::Limit, OrderKind::Stop] {
                        ui.selectable_value(&mut chosen, kind, kind.label())
                            .on_hover_text(kind.explanation());
                    }
                })
                .response
                .accessible_name("entry order kind")
                .on_hover_text(current.explanation());
            let mut changed = chosen != current;
            if changed {
                *order = chosen.to_order(order);
            }
            if let EntryOrder::Limit { offset, valid_bars } | EntryOrder::Stop { offset, valid_bars } = order {
                let hover = "Distance from the decision bar's close, in % of it";
                changed |= named_drag_ui(ui, offset, |v| percent_drag(v, 99.0, 0.05), "entry order offset", hover);
                editor.sweep_setting_ui(ui, "entry_order.offset", *offset);
                ui.label("for");
                let hover = "Bars the order may fill on after the decision; then it is cancelled";
                changed |= named_count_u32_ui(ui, valid_bars, 1, " bars", "entry order valid bars", hover);
                editor.sweep_setting_ui(ui, "entry_order.valid_bars", f64::from(*valid_bars));
            }
            changed
        })
        .inner;
    ui.end_row();
    changed
}

fn margin_ui(ui: &mut egui::Ui, margin: &mut Option<f64>, editor: &Editor<'_>) -> bool {
    ui.label("Initial margin")
        .on_hover_text("Refuse an entry when the equity is below this fraction of the gross exposure after it");
    let changed = ui
        .horizontal(|ui| {
            let mut on = margin.is_some();
            let toggled = ui
                .checkbox(&mut on, "")
                .accessible_name("initial margin check")
                .on_hover_text("Off: no margin check (the default)")
                .changed();
            if toggled {
                *margin = on.then_some(0.5);
            }
            let edited = margin.as_mut().is_some_and(|m| {
                let edited = named_drag_ui(
                    ui,
                    m,
                    |v| percent_drag(v, 1000.0, 0.5),
                    "initial margin percent",
                    "Equity needed as a share of the gross exposure after the entry (50 %: 2× leverage)",
                );
                editor.sweep_setting_ui(ui, "initial_margin", *m);
                edited
            });
            if margin.is_none() {
                ui.weak("off");
            }
            toggled | edited
        })
        .inner;
    ui.end_row();
    changed
}
