//! Metric cards: the headline figures of a run, coloured good or bad, with their definition on hover.

use eframe::egui;
use egui::{Frame, Label, RichText, Ui};

use crate::ui::plots::{BAD, GOOD};
use ml4t_engine::results::metrics::Metrics;

/// How a figure reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Good,
    Bad,
    Neutral,
}

/// One card.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    pub title: &'static str,
    pub value: String,
    pub tone: Tone,
    /// The definition, shown on hover.
    pub help: String,
}

fn tone(good: bool, bad: bool) -> Tone {
    if good {
        Tone::Good
    } else if bad {
        Tone::Bad
    } else {
        Tone::Neutral
    }
}

fn pct(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}

/// The cards of a run, in display order.
pub fn cards(m: &Metrics) -> Vec<Card> {
    let has_trades = m.n_trades > 0;
    let (pf_value, pf_tone) = match m.profit_factor {
        Some(pf) => (format!("{pf:.2}"), tone(pf > 1.0, pf < 1.0)),
        None if m.avg_win > 0.0 => ("no losses".to_owned(), Tone::Good),
        None => ("–".to_owned(), Tone::Neutral),
    };
    let dd_when = match (m.max_drawdown_peak_ts, m.max_drawdown_trough_ts) {
        (Some(p), Some(t)) => format!(" Peak {}, trough {}.", p.to_date(), t.to_date()),
        _ => String::new(),
    };
    vec![
        Card {
            title: "Total return",
            value: pct(m.total_return),
            tone: tone(m.total_return > 0.0, m.total_return < 0.0),
            help: "Final equity / initial cash − 1.".into(),
        },
        Card {
            title: "CAGR",
            value: pct(m.cagr),
            tone: tone(m.cagr > 0.0, m.cagr < 0.0),
            help: format!(
                "Compound annual growth rate: (final / initial)^(1 / years) − 1, over {:.2} years ({:.0} bars a year).",
                m.years, m.periods_per_year
            ),
        },
        Card {
            title: "Sharpe",
            value: format!("{:.2}", m.sharpe),
            tone: tone(m.sharpe >= 1.0, m.sharpe < 0.0),
            help: "Annualised mean excess return per bar over its standard deviation. Green from 1, red below 0."
                .into(),
        },
        Card {
            title: "Sortino",
            value: format!("{:.2}", m.sortino),
            tone: tone(m.sortino >= 1.0, m.sortino < 0.0),
            help: "Like Sharpe, but divided by the downside deviation: only falling bars count as risk.".into(),
        },
        Card {
            title: "Max drawdown",
            value: pct(m.max_drawdown),
            tone: tone(m.max_drawdown > -0.1, m.max_drawdown < -0.25),
            help: format!(
                "Deepest fall of equity below its running peak (which starts at the initial cash). Green above −10 %, red below −25 %.{dd_when}"
            ),
        },
        Card {
            title: "Win rate",
            value: if has_trades { pct(m.win_rate) } else { "–".into() },
            tone: tone(has_trades && m.win_rate >= 0.5, has_trades && m.win_rate < 0.4),
            help: "Share of closed trades with a positive net pnl (after commissions).".into(),
        },
        Card {
            title: "Profit factor",
            value: pf_value,
            tone: pf_tone,
            help: "Gross profit of the winning trades / gross loss of the losing ones. Above 1 makes money.".into(),
        },
        Card {
            title: "Trades",
            value: m.n_trades.to_string(),
            tone: Tone::Neutral,
            help: format!(
                "Closed round trips: {} long, {} short. Positions still open at the end are not counted.",
                m.n_long_trades, m.n_short_trades
            ),
        },
        Card {
            title: "Exposure",
            value: pct(m.exposure_time),
            tone: Tone::Neutral,
            help: format!(
                "Share of bars with an open position. Average gross exposure: {} of equity.",
                pct(m.avg_gross_exposure)
            ),
        },
    ]
}

/// Inner width of a card; cards have a fixed width so rows can be planned before drawing
/// (a wrapping layout cannot wrap frames, whose size is known only afterwards).
const CARD_WIDTH: f32 = 84.0;
/// Cards shrink to this width (and their values to [`VALUE_SIZE_MIN`]) to keep one row, so the
/// plots below get the room; below it they wrap onto a second row.
const CARD_WIDTH_MIN: f32 = 66.0;
const VALUE_SIZE: f32 = 20.0;
const VALUE_SIZE_MIN: f32 = 16.0;

/// The metric cards: one row when they fit at [`CARD_WIDTH_MIN`] or wider, else wrapped.
pub fn cards_ui(ui: &mut Ui, m: &Metrics) {
    let cards = cards(m);
    let frame = Frame::group(ui.style());
    let gap = frame.total_margin().sum().x + ui.spacing().item_spacing.x;
    let fits = (ui.available_width() + ui.spacing().item_spacing.x) / cards.len().max(1) as f32 - gap;
    let width = fits.clamp(CARD_WIDTH_MIN, CARD_WIDTH);
    let value_size =
        VALUE_SIZE_MIN + (VALUE_SIZE - VALUE_SIZE_MIN) * (width - CARD_WIDTH_MIN) / (CARD_WIDTH - CARD_WIDTH_MIN);
    let per_row = (((ui.available_width() + ui.spacing().item_spacing.x) / (width + gap)).floor() as usize).max(1);
    for row in cards.chunks(per_row) {
        ui.horizontal(|ui| {
            for card in row {
                card_ui(ui, frame, card, (width, value_size));
            }
        });
    }
}

fn card_ui(ui: &mut Ui, frame: Frame, card: &Card, (width, value_size): (f32, f32)) {
    let color = match card.tone {
        Tone::Good => Some(GOOD),
        Tone::Bad => Some(BAD),
        Tone::Neutral => None,
    };
    let mut value = RichText::new(&card.value).size(value_size).strong();
    if let Some(c) = color {
        value = value.color(c);
    }
    frame
        .show(ui, |ui| {
            ui.set_width(width);
            ui.vertical(|ui| {
                ui.add(
                    Label::new(RichText::new(card.title).small().weak())
                        .selectable(false)
                        .truncate(),
                )
                .on_hover_text(&card.help);
                ui.add(Label::new(value).selectable(false).truncate())
                    .on_hover_text(&card.help);
            });
        })
        .response
        .on_hover_text(&card.help);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ml4t_engine::results::EquityCurve;
    use ml4t_engine::results::metrics::{MetricsOptions, compute};

    #[test]
    fn cards_of_an_empty_run_are_neutral_dashes() {
        let m = compute(100.0, &EquityCurve::default(), &[], &[], &MetricsOptions::default());
        let cards = cards(&m);
        assert_eq!(cards.len(), 9);
        let get = |t: &str| cards.iter().find(|c| c.title == t).unwrap().clone();
        assert_eq!(get("Trades").value, "0");
        assert_eq!(get("Win rate").value, "–");
        assert_eq!(get("Win rate").tone, Tone::Neutral);
        assert_eq!(get("Profit factor").value, "–");
        assert_eq!(get("Total return").tone, Tone::Neutral);
        assert!(cards.iter().all(|c| !c.help.is_empty()));
    }

    #[test]
    fn card_tones() {
        let mut m = compute(100.0, &EquityCurve::default(), &[], &[], &MetricsOptions::default());
        m.total_return = -0.05;
        m.sharpe = 1.5;
        m.max_drawdown = -0.3;
        m.n_trades = 4;
        m.win_rate = 0.75;
        m.profit_factor = Some(0.8);
        let cards = cards(&m);
        let tone_of = |t: &str| cards.iter().find(|c| c.title == t).unwrap().tone;
        assert_eq!(tone_of("Total return"), Tone::Bad);
        assert_eq!(tone_of("Sharpe"), Tone::Good);
        assert_eq!(tone_of("Max drawdown"), Tone::Bad);
        assert_eq!(tone_of("Win rate"), Tone::Good);
        assert_eq!(tone_of("Profit factor"), Tone::Bad);
    }
}
