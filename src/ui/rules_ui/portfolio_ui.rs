//! The Portfolio strategy kind's settings (SEMANTICS.md, "Rebalancing portfolios"): schedule,
//! rank signal, the long and short books, weighting, exposure and minimum trade. A two-column
//! grid of short rows for the narrow side panel.
//!
//! Exposure is edited as gross and net, the numbers a portfolio manager targets; the preset
//! keeps the two sides' weights (`w_long = (gross + net) / 2`, `w_short = (gross - net) / 2`).

use eframe::egui::{self, ComboBox, Grid};

use super::param_ui::{amount_drag, named_count_u32_ui, named_count_ui, named_drag_ui, percent_drag, signal_column_ui};
use super::problem::{Place, Problem};
use super::{Editor, error_label_ui};
use ml4t_engine::strategy::rebalance::{Rebalance, RebalanceEvery, Weighting};

/// The portfolio's settings with its validation message below. True on change.
pub(super) fn portfolio_ui(ui: &mut egui::Ui, p: &mut Rebalance, editor: &Editor<'_>) -> bool {
    ui.horizontal_wrapped(|ui| {
        ui.strong("Portfolio");
        ui.weak("rank the assets by a signal on a schedule; trade the difference to the targets at the next open");
    });
    let changed = ui
        .scope_builder(egui::UiBuilder::new().scope_id(editor.id.with("portfolio")), |ui| {
            Grid::new("portfolio settings")
                .num_columns(2)
                .spacing([8.0, 4.0])
                .show(ui, |ui| {
                    let mut changed = schedule_ui(ui, &mut p.every, editor);
                    ui.label("Rank by")
                        .on_hover_text("Highest first, ties by asset name; assets without a bar or with NaN target 0");
                    changed |= signal_column_ui(ui, &mut p.signal, "portfolio rank signal", editor);
                    ui.end_row();
                    changed |= side_ui(ui, Side::Long, &mut p.n_long, &mut p.long_fraction, editor);
                    changed |= side_ui(ui, Side::Short, &mut p.n_short, &mut p.short_fraction, editor);
                    changed |= weighting_ui(ui, &mut p.weighting, editor);
                    changed |= exposure_ui(ui, p, editor);
                    changed | min_trade_ui(ui, p, editor)
                })
                .inner
        })
        .inner;
    if let Some(message) = Problem::at(editor.problem.as_ref(), Place::Portfolio) {
        error_label_ui(ui, message);
    }
    changed
}

fn schedule_ui(ui: &mut egui::Ui, every: &mut RebalanceEvery, editor: &Editor<'_>) -> bool {
    ui.label("Rebalance")
        .on_hover_text("When the targets are recomputed (at the close; orders fill at the next open)");
    let changed = ui
        .horizontal(|ui| {
            let label = |e: &RebalanceEvery| match e {
                RebalanceEvery::Bars(_) => "every k bars",
                RebalanceEvery::Weekly => "weekly",
                RebalanceEvery::Monthly => "monthly",
            };
            let mut chosen = *every;
            ComboBox::from_id_salt("portfolio schedule")
                .selected_text(label(every))
                .width(100.0)
                .show_ui(ui, |ui| {
                    let k = match *every {
                        RebalanceEvery::Bars(k) => k,
                        _ => 5,
                    };
                    for (option, hover) in [
                        (RebalanceEvery::Bars(k), "At bars 0, k, 2k, ... of the data"),
                        (RebalanceEvery::Weekly, "At the first bar of each ISO week"),
                        (RebalanceEvery::Monthly, "At the first bar of each calendar month"),
                    ] {
                        ui.selectable_value(&mut chosen, option, label(&option))
                            .on_hover_text(hover);
                    }
                })
                .response
                .accessible_name("portfolio schedule");
            let mut changed = chosen != *every;
            *every = chosen;
            if let RebalanceEvery::Bars(k) = every {
                changed |= named_count_u32_ui(ui, k, 1, " bars", "portfolio every k bars", "Bars between rebalances");
                editor.sweep_setting_ui(ui, "portfolio.every", f64::from(*k));
            }
            changed
        })
        .inner;
    ui.end_row();
    changed
}

#[derive(Clone, Copy, PartialEq)]
enum Side {
    Long,
    Short,
}

/// "Long top [3 ▾ assets]" or "Long top [10 %]": a count or a fraction of the ranked assets.
fn side_ui(ui: &mut egui::Ui, side: Side, n: &mut usize, fraction: &mut Option<f64>, editor: &Editor<'_>) -> bool {
    let n_assets = editor.n_assets;
    let (label, word, what, path) = match side {
        Side::Long => ("Long", "top", "portfolio long", "portfolio.long"),
        Side::Short => ("Short", "bottom", "portfolio short", "portfolio.short"),
    };
    ui.label(label).on_hover_text(match side {
        Side::Long => "The head of the ranking is held long",
        Side::Short => "The tail of the ranking is sold short (0 assets: no shorts)",
    });
    let changed = ui
        .horizontal(|ui| {
            ui.label(word);
            let by_fraction = fraction.is_some();
            let mut changed = false;
            if by_fraction {
                if let Some(f) = fraction.as_mut() {
                    changed |= named_drag_ui(
                        ui,
                        f,
                        |v| percent_drag(v, 100.0, 0.5),
                        &format!("{what} fraction"),
                        "Share of the assets ranked at the rebalance (floor, at least one): 10 % = a decile",
                    );
                    editor.sweep_setting_ui(ui, &format!("{path}_fraction"), *f);
                }
            } else {
                let unit = if *n == 1 { " asset" } else { " assets" };
                changed |= named_count_ui(
                    ui,
                    n,
                    0,
                    unit,
                    &format!("{what} count"),
                    &format!("How many assets; the data has {n_assets}"),
                );
                let short = path.trim_start_matches("portfolio.");
                editor.sweep_setting_ui(ui, &format!("portfolio.n_{short}"), *n as f64);
            }
            let mut unit = by_fraction;
            ComboBox::from_id_salt(format!("{what} unit"))
                .selected_text(if by_fraction { "%" } else { "#" })
                .width(36.0)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut unit, false, "# assets");
                    ui.selectable_value(&mut unit, true, "% of ranked");
                })
                .response
                .accessible_name(format!("{what} unit"))
                .on_hover_text("A number of assets, or a share of the assets ranked at each rebalance");
            if unit != by_fraction {
                *fraction = unit.then_some(0.1);
                changed = true;
            }
            changed
        })
        .inner;
    ui.end_row();
    changed
}

fn weighting_ui(ui: &mut egui::Ui, weighting: &mut Weighting, editor: &Editor<'_>) -> bool {
    ui.label("Weights")
        .on_hover_text("How each side's exposure is split among its assets");
    let changed = ui
        .horizontal(|ui| {
            let label = |w: &Weighting| match w {
                Weighting::Equal => "equal",
                Weighting::Rank => "by rank",
                Weighting::InverseVolatility(_) => "1 / volatility",
            };
            let vol = match weighting {
                Weighting::InverseVolatility(c) => c.clone(),
                _ => volatility_guess(editor.signal_names),
            };
            let mut chosen = weighting.clone();
            ComboBox::from_id_salt("portfolio weighting")
                .selected_text(label(weighting))
                .width(100.0)
                .show_ui(ui, |ui| {
                    for (option, hover) in [
                        (Weighting::Equal, "Each asset gets the side's weight / n"),
                        (
                            Weighting::Rank,
                            "Proportional to rank within the side: of m assets the strongest gets m parts, the next m − 1, ...",
                        ),
                        (
                            Weighting::InverseVolatility(vol.clone()),
                            "Proportional to 1 / a volatility signal; NaN or non-positive values get nothing",
                        ),
                    ] {
                        let text = label(&option);
                        ui.selectable_value(&mut chosen, option, text).on_hover_text(hover);
                    }
                })
                .response
                .accessible_name("portfolio weighting");
            let mut changed = chosen != *weighting;
            *weighting = chosen;
            if let Weighting::InverseVolatility(c) = weighting {
                changed |= signal_column_ui(ui, c, "portfolio volatility signal", editor);
            }
            changed
        })
        .inner;
    ui.end_row();
    changed
}

/// A signal whose name says volatility, else the first signal.
fn volatility_guess(names: &[String]) -> String {
    names
        .iter()
        .find(|n| n.to_ascii_lowercase().contains("vol"))
        .or(names.first())
        .cloned()
        .unwrap_or_default()
}

/// A fraction in %, at most two decimals, without trailing zeros.
fn pct(fraction: f64) -> String {
    let s = format!("{:.2}", fraction * 100.0);
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Gross and net exposure, as fractions of equity, from the two sides' weights and back.
pub(super) fn gross_net(p: &Rebalance) -> (f64, f64) {
    (p.w_long + p.w_short, p.w_long - p.w_short)
}

/// Sets the sides' weights for `gross` and `net`, keeping |net| <= gross so neither goes negative.
pub(super) fn set_gross_net(p: &mut Rebalance, gross: f64, net: f64) {
    let gross = gross.max(0.0);
    let net = net.clamp(-gross, gross);
    p.w_long = (gross + net) / 2.0;
    p.w_short = (gross - net) / 2.0;
}

fn exposure_ui(ui: &mut egui::Ui, p: &mut Rebalance, editor: &Editor<'_>) -> bool {
    ui.label("Exposure").on_hover_text(
        "Gross = long + short weight, net = long − short, as % of equity; each side's weight is split among its assets",
    );
    let changed = ui
        .horizontal(|ui| {
            let (mut gross, mut net) = gross_net(p);
            ui.label("gross");
            let g = named_drag_ui(
                ui,
                &mut gross,
                |v| percent_drag(v, 1000.0, 1.0),
                "portfolio gross exposure",
                "Long plus short weight, % of equity (100 % with 50 % long and 50 % short)",
            );
            ui.label("net");
            let n = named_drag_ui(
                ui,
                &mut net,
                |v| percent_drag(v, 1000.0, 1.0).range(-1000.0..=1000.0),
                "portfolio net exposure",
                "Long minus short weight, % of equity (0 % = market neutral); at most the gross either way",
            );
            if g || n {
                set_gross_net(p, gross, net);
            }
            g || n
        })
        .inner;
    ui.end_row();
    ui.label("");
    ui.horizontal(|ui| {
        ui.weak(format!("long {} %", pct(p.w_long)));
        editor.sweep_setting_ui(ui, "portfolio.w_long", p.w_long);
        ui.weak(format!("· short {} %", pct(p.w_short)));
        editor.sweep_setting_ui(ui, "portfolio.w_short", p.w_short);
    });
    ui.end_row();
    changed
}

fn min_trade_ui(ui: &mut egui::Ui, p: &mut Rebalance, editor: &Editor<'_>) -> bool {
    ui.label("Minimum trade")
        .on_hover_text("Differences to the target smaller than this are not traded");
    let changed = ui
        .horizontal(|ui| {
            let q = named_drag_ui(
                ui,
                &mut p.min_trade,
                |v| amount_drag(v, 1.0).suffix(" sh"),
                "portfolio minimum trade shares",
                "Smallest difference traded, in shares (default 1)",
            );
            editor.sweep_setting_ui(ui, "portfolio.min_trade", p.min_trade);
            ui.label("or");
            let n = named_drag_ui(
                ui,
                &mut p.min_notional,
                |v| amount_drag(v, 100.0).prefix("$"),
                "portfolio minimum trade notional",
                "Smallest difference traded, in money at the decision close (0: no threshold)",
            );
            editor.sweep_setting_ui(ui, "portfolio.min_notional", p.min_notional);
            q | n
        })
        .inner;
    ui.end_row();
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_gross_net_splits_and_clamps() {
        let mut p = Rebalance::default();
        set_gross_net(&mut p, 1.0, 0.0);
        assert_eq!((p.w_long, p.w_short), (0.5, 0.5));
        assert_eq!(gross_net(&p), (1.0, 0.0));
        set_gross_net(&mut p, 0.9, 0.9);
        assert_eq!((p.w_long, p.w_short), (0.9, 0.0));
        // A net beyond the gross is held at the gross: neither weight goes negative.
        set_gross_net(&mut p, 0.5, -2.0);
        assert_eq!((p.w_long, p.w_short), (0.0, 0.5));
        set_gross_net(&mut p, -1.0, 0.0);
        assert_eq!((p.w_long, p.w_short), (0.0, 0.0));
    }

    #[test]
    fn volatility_guess_prefers_a_vol_column() {
        assert_eq!(volatility_guess(&["ml_pred".into(), "vol_20".into()]), "vol_20");
        assert_eq!(volatility_guess(&["ml_pred".into()]), "ml_pred");
        assert_eq!(volatility_guess(&[]), "");
    }
}
