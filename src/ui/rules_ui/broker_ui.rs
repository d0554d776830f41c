//! The broker settings: account, costs and execution, as a two-column grid of labelled fields.

use eframe::egui::{self, DragValue, Grid};

use super::error_label_ui;
use super::param_ui::{amount_drag, drag_ui, percent_drag};
use super::sweep_ui::{SweepMarks, sweep_button_ui};
use ml4t_engine::execution::{BrokerConfig, CashRule, FillTiming, IntrabarPriority};

/// Initial cash, commission (percent, per share, per order, minimum), slippage bps, cash rule, fill
/// timing (the UI says that same-close is optimistic), allow short, the borrow fee of shorts; also
/// the intrabar priority and the volume cap. Returns true on change.
#[cfg_attr(not(test), allow(dead_code))]
pub fn broker_editor_ui(ui: &mut egui::Ui, broker: &mut BrokerConfig) -> bool {
    broker_editor_with(ui, broker, None)
}

/// [`broker_editor_ui`] with a "sweep this" button beside each cost (cash, commission, slippage);
/// the clicks are in `marks`.
pub fn broker_editor_sweep_ui(ui: &mut egui::Ui, broker: &mut BrokerConfig, marks: &SweepMarks) -> bool {
    broker_editor_with(ui, broker, Some(marks))
}

fn broker_editor_with(ui: &mut egui::Ui, broker: &mut BrokerConfig, marks: Option<&SweepMarks>) -> bool {
    let mut changed = false;
    Grid::new("broker_editor")
        .num_columns(2)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            changed |= costs_ui(ui, broker, marks);
            changed |= execution_ui(ui, broker, marks);
        });
    if let Err(message) = broker.validate() {
        error_label_ui(ui, &message);
    }
    changed
}

/// Cash, commission and slippage rows.
fn costs_ui(ui: &mut egui::Ui, b: &mut BrokerConfig, marks: Option<&SweepMarks>) -> bool {
    let c = &mut b.commission;
    let sweep = |path: &'static str| marks.map(|m| (m, path));
    field_ui(
        ui,
        "Initial cash",
        sweep("broker.initial_cash"),
        "Cash in the account at the start",
        &mut b.initial_cash,
        cash_drag,
    ) | field_ui(
        ui,
        "Commission, % of notional",
        sweep("broker.commission.percent"),
        "Charged on each fill's value: 0.1 % = 10 bps",
        &mut c.percent,
        |v| percent_drag(v, 100.0, 0.01),
    ) | field_ui(
        ui,
        "Commission per share",
        sweep("broker.commission.per_share"),
        "Charged per unit filled",
        &mut c.per_share,
        |v| amount_drag(v, 0.001),
    ) | field_ui(
        ui,
        "Commission per order",
        sweep("broker.commission.per_order"),
        "Charged once per fill",
        &mut c.per_order,
        |v| amount_drag(v, 0.1),
    ) | field_ui(
        ui,
        "Minimum commission",
        sweep("broker.commission.minimum"),
        "The least a fill is charged, whatever the parts above add up to",
        &mut c.minimum,
        |v| amount_drag(v, 0.1),
    ) | field_ui(
        ui,
        "Slippage",
        sweep("broker.slippage_bps"),
        "Adverse price move per fill, in basis points: buys fill higher, sells lower",
        &mut b.slippage_bps,
        bps_drag,
    )
}

fn cash_drag(value: &mut f64) -> DragValue<'_> {
    DragValue::new(value)
        .speed(1_000.0)
        .range(1.0..=f64::INFINITY)
        .clamp_existing_to_range(false)
}

fn bps_drag(value: &mut f64) -> DragValue<'_> {
    DragValue::new(value)
        .speed(0.5)
        .range(0.0..=9_999.0)
        .clamp_existing_to_range(false)
        .suffix(" bps")
}

/// Cash rule, fill timing, intrabar priority, volume cap, shorting rows.
fn execution_ui(ui: &mut egui::Ui, b: &mut BrokerConfig, marks: Option<&SweepMarks>) -> bool {
    let mut changed = cash_rule_ui(ui, &mut b.cash_rule);
    changed |= fill_timing_ui(ui, &mut b.fill_timing);
    changed |= intrabar_ui(ui, &mut b.intrabar_priority);
    changed |= volume_cap_ui(ui, &mut b.max_volume_fraction);
    ui.label("Short selling");
    changed |= ui
        .checkbox(&mut b.allow_short, "Allow short selling")
        .on_hover_text(
            "Off: a cash account, long only; sells beyond the held quantity are cut to it. Rules that go short \
             (direction Short or Long-short, a portfolio with a short side) allow it for their runs by themselves.",
        )
        .changed();
    ui.end_row();
    changed |= field_ui(
        ui,
        "Borrow fee, % a year",
        marks.map(|m| (m, "broker.borrow_rate")),
        "Charged on short positions at each close: |qty| × close × rate / bars per year; part of the trade's net P&L",
        &mut b.borrow_rate,
        |v| percent_drag(v, 1000.0, 0.05),
    );
    changed |= field_ui(
        ui,
        "Bars per year (borrow fee)",
        None,
        "How many bars make a year for the borrow fee: 252 for daily bars",
        &mut b.bars_per_year,
        |v| {
            DragValue::new(v)
                .speed(1.0)
                .range(1.0..=1e7)
                .clamp_existing_to_range(false)
        },
    );
    changed
}

fn cash_rule_ui(ui: &mut egui::Ui, rule: &mut CashRule) -> bool {
    ui.label("Buy larger than the cash")
        .on_hover_text("What happens to a buy the cash cannot pay for, commission included");
    let changed = ui
        .vertical(|ui| {
            ui.radio_value(rule, CashRule::Cap, "Cap the quantity to the cash")
                .on_hover_text("Buy as many units as the cash pays for")
                .changed()
                | ui.radio_value(rule, CashRule::Reject, "Reject the order")
                    .on_hover_text("Drop the whole order (backtrader's and backtesting.py's behaviour)")
                    .changed()
        })
        .inner;
    ui.end_row();
    changed
}

fn fill_timing_ui(ui: &mut egui::Ui, timing: &mut FillTiming) -> bool {
    ui.label("Fill market orders at")
        .on_hover_text("Orders are decided at a bar's close; this is when they fill");
    let changed = ui
        .vertical(|ui| {
            let changed = ui
                .radio_value(timing, FillTiming::NextOpen, "Next bar's open")
                .on_hover_text("The default, and the only timing free of look-ahead")
                .changed()
                | ui.radio_value(timing, FillTiming::SameClose, "Same bar's close (optimistic)")
                    .on_hover_text("Fills at the close the decision already saw")
                    .changed();
            if *timing == FillTiming::SameClose {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    "Optimistic: the fill uses the close the decision already saw, which no live broker \
                     offers. Expect better results than trading would give.",
                );
            }
            changed
        })
        .inner;
    ui.end_row();
    changed
}

fn intrabar_ui(ui: &mut egui::Ui, priority: &mut IntrabarPriority) -> bool {
    ui.label("Stop and limit in one bar")
        .on_hover_text("Which wins when one bar touches both the stop and the limit of an OCO pair");
    let changed = ui
        .horizontal(|ui| {
            ui.radio_value(priority, IntrabarPriority::StopFirst, "Stop first (pessimistic)")
                .changed()
                | ui.radio_value(priority, IntrabarPriority::LimitFirst, "Limit first")
                    .changed()
        })
        .inner;
    ui.end_row();
    changed
}

fn volume_cap_ui(ui: &mut egui::Ui, cap: &mut Option<f64>) -> bool {
    ui.label("Volume cap");
    let changed = ui
        .horizontal(|ui| {
            let mut on = cap.is_some();
            let toggled = ui
                .checkbox(&mut on, "Cap fills at a share of the bar's volume")
                .on_hover_text("The rest of the order stays pending for the next bars")
                .changed();
            if toggled {
                *cap = on.then_some(0.1);
            }
            let edited = cap.as_mut().is_some_and(|fraction| {
                drag_ui(
                    ui,
                    fraction,
                    |v| percent_drag(v, 100.0, 0.5),
                    |r| {
                        r.accessible_name("Volume cap percent")
                            .on_hover_text("Largest share of a bar's volume one fill may take")
                    },
                )
            });
            toggled | edited
        })
        .inner;
    ui.end_row();
    changed
}

/// A labelled grid row: the label names the drag value for screen readers and tests.
fn field_ui(
    ui: &mut egui::Ui,
    label: &str,
    sweep: Option<(&SweepMarks, &str)>,
    hover: &str,
    value: &mut f64,
    make: impl FnOnce(&mut f64) -> DragValue<'_>,
) -> bool {
    let label = ui.label(label).on_hover_text(hover);
    let changed = ui
        .horizontal(|ui| {
            let changed = drag_ui(ui, value, make, |r| r.labelled_by(label.id).on_hover_text(hover));
            if let Some((marks, path)) = sweep {
                sweep_button_ui(ui, marks, path, None, *value);
            }
            changed
        })
        .inner;
    ui.end_row();
    changed
}
