//! The fill-assumption comparison: the same strategy rerun with exits at the next open, with
//! stops resting intrabar, and with every order filled at the deciding bar's close, drawn as
//! three equity curves on one plot with their key metrics side by side and a one-line reading
//! of how much of the return depends on the assumption.

use eframe::egui::{self, Grid, RichText, Ui};
use egui_plot::{HoverPosition, Legend, Line, Plot};

use super::RunView;
use super::command::Command;
use super::plots::time_axis::{format_instant, format_tick, time_grid};
use super::plots::{BAD, EQUITY, GOOD, YFormat, fmt_money, thin};

/// One rerun of the comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct FillCase {
    /// "Next open", "Intrabar", "Same close".
    pub label: &'static str,
    /// What the assumption means, on hover.
    pub help: &'static str,
    pub total_return: f64,
    pub sharpe: f64,
    /// A positive fraction (0.12 = 12 % below the peak).
    pub max_drawdown: f64,
    pub trades: usize,
    pub ambiguous_bars: usize,
    /// Plot x (seconds) and equity of each timestamp.
    pub xs: Vec<f64>,
    pub equity: Vec<f64>,
}

/// The finished (or cancelled) comparison.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FillComparison {
    /// In the order run; a cancelled comparison keeps the cases that finished.
    pub cases: Vec<FillCase>,
    /// The user cancelled it before every case ran.
    pub cancelled: bool,
    /// Why an assumption was left out (e.g. intrabar exits for a strategy without rule stops).
    pub notes: Vec<String>,
}

impl FillComparison {
    /// "38 % of the return depends on the fill assumption: ...", from the spread of the total
    /// returns relative to the next-open return (the assumption free of look-ahead).
    pub fn reading(&self) -> Option<String> {
        let base = self.cases.iter().find(|c| c.label == NEXT_OPEN)?;
        if self.cases.len() < 2 {
            return None;
        }
        let lo = self.cases.iter().map(|c| c.total_return).fold(f64::INFINITY, f64::min);
        let hi = self
            .cases
            .iter()
            .map(|c| c.total_return)
            .fold(f64::NEG_INFINITY, f64::max);
        let range = self
            .cases
            .iter()
            .map(|c| format!("{} {}", c.label.to_lowercase(), pct(c.total_return)))
            .collect::<Vec<_>>()
            .join(", ");
        if base.total_return.abs() < 1e-4 {
            return Some(format!(
                "The next-open return is about zero, so the assumption decides the sign: {range}."
            ));
        }
        let share = (hi - lo) / base.total_return.abs();
        Some(format!(
            "{:.0} % of the return depends on the fill assumption ({range}).",
            share * 100.0
        ))
    }
}

/// The labels of the three assumptions.
pub const NEXT_OPEN: &str = "Next open";
pub const INTRABAR: &str = "Intrabar";
pub const SAME_CLOSE: &str = "Same close";

/// What the panel reads and asks.
pub struct FillsPanel<'a> {
    pub comparison: Option<&'a FillComparison>,
    /// Progress of a comparison in flight.
    pub running: Option<f32>,
    /// The strategy or broker changed since the comparison ran.
    pub stale: bool,
    pub commands: &'a mut Vec<Command>,
}

/// The button row, the reading, the metrics table and the plot.
pub fn fills_ui(ui: &mut Ui, panel: &mut FillsPanel<'_>) {
    ui.horizontal_wrapped(|ui| {
        match panel.running {
            Some(p) => {
                ui.add(egui::ProgressBar::new(p).desired_width(160.0).show_percentage());
                if ui
                    .button("Cancel comparison")
                    .on_hover_text("Stop; the assumptions already run are kept")
                    .clicked()
                {
                    panel.commands.push(Command::CancelFillComparison);
                }
            }
            None => {
                if ui
                    .button("Compare fill assumptions")
                    .on_hover_text(
                        "Rerun the strategy with exits at the next open, with intrabar stops, and with fills at \
                         the same close, in the background",
                    )
                    .clicked()
                {
                    panel.commands.push(Command::CompareFills);
                }
            }
        }
        if panel.stale && panel.comparison.is_some() {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                "The strategy, broker or data changed since: compare again to update.",
            );
        }
    });
    let Some(c) = panel.comparison else {
        if panel.running.is_none() {
            ui.weak(
                "How much of the result comes from how fills are assumed? Compare reruns the same strategy \
                 three ways and shows the equity curves and metrics side by side.",
            );
        }
        return;
    };
    if let Some(reading) = c.reading() {
        ui.label(RichText::new(reading).strong());
    }
    if c.cancelled {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            "Cancelled: showing the assumptions that finished.",
        );
    }
    for note in &c.notes {
        ui.weak(note);
    }
    metrics_table_ui(ui, c);
    ui.add_space(4.0);
    equity_plot_ui(ui, c);
}

/// Under the cards, for a run with intrabar exits: how many bars the pessimistic stop-first rule
/// decided (a bar that touched both the stop and the take-profit with no gap deciding).
pub fn ambiguous_note_ui(ui: &mut Ui, run: &RunView) {
    if !run.intrabar_exits {
        return;
    }
    let n = run.result.notes.ambiguous_bars;
    let text = match n {
        0 => "Intrabar exits: 0 ambiguous bars (no bar touched both a stop and a take-profit).".to_owned(),
        1 => "Intrabar exits: 1 ambiguous bar (stop and take-profit both touched; the stop was assumed first)."
            .to_owned(),
        n => format!(
            "Intrabar exits: {n} ambiguous bars (stop and take-profit both touched; the stop was assumed first)."
        ),
    };
    let colour = if n > 0 {
        ui.visuals().warn_fg_color
    } else {
        ui.visuals().weak_text_color()
    };
    ui.colored_label(colour, text).on_hover_text(
        "Within a bar the order of high and low is unknown. When one bar reaches both the stop and the take-profit \
         and no gap at the open decides it, the stop fills (pessimistic). The more such bars, the more the result \
         depends on that assumption: compare the fill assumptions to see how much.",
    );
}

fn pct(x: f64) -> String {
    format!("{:.2} %", x * 100.0)
}

/// A metric of a case, as the table shows it.
type Cell = fn(&FillCase) -> String;

/// One column per assumption, one row per metric.
fn metrics_table_ui(ui: &mut Ui, c: &FillComparison) {
    Grid::new("fill comparison metrics")
        .striped(true)
        .spacing([24.0, 4.0])
        .show(ui, |ui| {
            ui.label("");
            for case in &c.cases {
                ui.strong(case.label).on_hover_text(case.help);
            }
            ui.end_row();
            let rows: [(&str, Cell); 5] = [
                ("Total return", |k| pct(k.total_return)),
                ("Sharpe", |k| format!("{:.2}", k.sharpe)),
                ("Max drawdown", |k| pct(-k.max_drawdown.abs())),
                ("Trades", |k| k.trades.to_string()),
                ("Ambiguous bars", |k| k.ambiguous_bars.to_string()),
            ];
            for (name, value) in rows {
                ui.label(name);
                for case in &c.cases {
                    ui.label(value(case));
                }
                ui.end_row();
            }
        });
}

/// The curves' colours: next open as the main equity colour, the optimistic same-close in the
/// good colour (it flatters), intrabar in the bad one (it is the pessimistic reading of stops).
fn colour(label: &str) -> egui::Color32 {
    match label {
        SAME_CLOSE => GOOD,
        INTRABAR => BAD,
        _ => EQUITY,
    }
}

fn equity_plot_ui(ui: &mut Ui, c: &FillComparison) {
    let height = ui.available_height().max(200.0);
    let width = ui.available_width().max(200.0) as usize;
    Plot::new("fill comparison equity")
        .height(height)
        .legend(Legend::default())
        .x_grid_spacer(time_grid)
        .x_axis_formatter(|mark, _| format_tick(mark.value, mark.step_size))
        .y_axis_formatter(|mark, _| YFormat::Money.tick(mark.value, mark.step_size))
        .y_axis_min_width(56.0)
        .label_formatter(|pos| match pos {
            HoverPosition::NearDataPoint {
                plot_name, position, ..
            } => Some(format!(
                "{plot_name}\n{}\n{}",
                format_instant(position.x),
                fmt_money(position.y)
            )),
            HoverPosition::Elsewhere { .. } => None,
        })
        .allow_scroll(false)
        .show(ui, |pui| {
            for case in &c.cases {
                // Two points per pixel column keep the spikes (min and max of each bucket).
                let points = thin(&case.xs, &case.equity, f64::NAN, f64::NAN, width * 2);
                pui.line(Line::new(case.label, points).color(colour(case.label)).width(1.5));
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(label: &'static str, total_return: f64) -> FillCase {
        FillCase {
            label,
            help: "",
            total_return,
            sharpe: 1.0,
            max_drawdown: 0.1,
            trades: 3,
            ambiguous_bars: 0,
            xs: vec![0.0, 1.0],
            equity: vec![100.0, 110.0],
        }
    }

    #[test]
    fn reading_is_the_spread_over_the_next_open_return() {
        let c = FillComparison {
            cases: vec![case(NEXT_OPEN, 0.10), case(INTRABAR, 0.08), case(SAME_CLOSE, 0.14)],
            ..Default::default()
        };
        // (0.14 - 0.08) / 0.10 = 60 %.
        let r = c.reading().unwrap();
        assert!(
            r.starts_with("60 % of the return depends on the fill assumption"),
            "{r}"
        );
        assert!(r.contains("same close 14.00 %"), "{r}");
    }

    #[test]
    fn reading_needs_the_next_open_case_and_a_second_one() {
        let one = FillComparison {
            cases: vec![case(NEXT_OPEN, 0.1)],
            ..Default::default()
        };
        assert_eq!(one.reading(), None);
        let no_base = FillComparison {
            cases: vec![case(INTRABAR, 0.1), case(SAME_CLOSE, 0.2)],
            ..Default::default()
        };
        assert_eq!(no_base.reading(), None);
        let flat = FillComparison {
            cases: vec![case(NEXT_OPEN, 0.0), case(SAME_CLOSE, 0.02)],
            ..Default::default()
        };
        assert!(flat.reading().unwrap().contains("decides the sign"));
    }
}
