//! The overfitting panel under every sweep: PSR and DSR of the best combination, PBO by CSCV with
//! its sentence and the histogram of the rank logits, the minimum track record length and the
//! number of trials. The numbers come from `ml4t-stats` through the sweep; this only draws them.

use eframe::egui::{self, RichText, Ui};
use egui_plot::{Bar, BarChart, Plot, VLine};

use crate::research::{SweepView, num, pbo_sentence};

pub(super) fn overfitting_ui(ui: &mut Ui, view: &SweepView) {
    ui.label(RichText::new("Overfitting").strong())
        .on_hover_text("How likely the best of many backtests is a fluke (Bailey & López de Prado)");
    let Some(o) = &view.overfitting else {
        ui.weak(
            view.overfitting_note
                .as_deref()
                .unwrap_or("No overfitting statistics: the sweep kept no per-period returns."),
        );
        return;
    };
    let pct = |x: Option<f64>| x.map_or_else(|| "n/a".to_owned(), |p| format!("{:.1} %", p * 100.0));
    egui::Grid::new("overfitting_grid")
        .num_columns(2)
        .spacing([16.0, 3.0])
        .show(ui, |ui| {
            let opt = |x: Option<f64>| x.map_or_else(|| "n/a".to_owned(), num);
            let rows: [(&str, String, &str); 9] = [
                (
                    "PSR",
                    pct(o.psr),
                    "Probabilistic Sharpe ratio: the chance the best combination's true Sharpe is above 0, given its skew and kurtosis",
                ),
                (
                    "DSR",
                    pct(o.dsr),
                    "Deflated Sharpe ratio: the PSR against the best Sharpe that many skill-less trials would reach",
                ),
                (
                    "PBO",
                    o.pbo.map_or_else(|| "n/a (too few combinations or periods)".to_owned(), |p| format!("{p:.2}")),
                    "Probability of backtest overfitting, by combinatorially symmetric cross-validation",
                ),
                (
                    "Min TRL",
                    o.min_trl
                        .map_or_else(|| "n/a (Sharpe not above 0)".to_owned(), |t| format!("{} periods (have {})", num(t.ceil()), o.n_obs)),
                    "Minimum track record length: periods needed for 95 % confidence that the Sharpe is above 0",
                ),
                (
                    "Trials",
                    num(o.n_trials),
                    "Combinations behind the deflation (the DSR's N)",
                ),
                (
                    "Sharpe / period",
                    opt(o.sharpe),
                    "The selected combination's Sharpe ratio per period (not annualised), as the PSR uses it",
                ),
                (
                    "Skew / kurtosis",
                    format!("{} / {}", opt(o.skewness), opt(o.kurtosis)),
                    "The shape of the selected combination's returns (kurtosis 3 is normal); fat tails lower the PSR",
                ),
                (
                    "Degradation",
                    opt(o.degradation_slope),
                    "Slope of the in-sample winner's out-of-sample Sharpe on its in-sample Sharpe across CSCV splits",
                ),
                (
                    "Lost OOS",
                    pct(o.prob_oos_loss),
                    "Share of CSCV splits whose in-sample winner lost money out of sample",
                ),
            ];
            for (name, value, hover) in rows {
                ui.label(name).on_hover_text(hover);
                ui.label(RichText::new(value).monospace());
                ui.end_row();
            }
        });
    match o.pbo {
        Some(p) => {
            let colour = if p > 0.5 {
                ui.visuals().error_fg_color
            } else if p > 0.2 {
                ui.visuals().warn_fg_color
            } else {
                super::super::plots::GOOD
            };
            ui.colored_label(colour, pbo_sentence(p));
        }
        None => {
            ui.weak("PBO needs at least two combinations and a few periods per CSCV block.");
        }
    }
    if !o.logits.is_empty() {
        logit_histogram_ui(ui, &o.logits);
    }
}

/// The CSCV logits: left of 0 the in-sample winner fell below the out-of-sample median.
fn logit_histogram_ui(ui: &mut Ui, logits: &[f64]) {
    let lo = logits.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = (hi.abs().max(lo.abs())).max(0.5);
    let bins = 24usize;
    let width = 2.0 * span / bins as f64;
    let mut counts = vec![0usize; bins];
    for &l in logits {
        let b = (((l + span) / width) as usize).min(bins - 1);
        counts[b] += 1;
    }
    let bars: Vec<Bar> = counts
        .iter()
        .enumerate()
        .map(|(b, &c)| {
            let centre = -span + (b as f64 + 0.5) * width;
            let colour = if centre < 0.0 {
                super::super::plots::BAD
            } else {
                super::super::plots::GOOD
            };
            Bar::new(centre, c as f64).width(width * 0.95).fill(colour)
        })
        .collect();
    ui.label(
        RichText::new(format!(
            "Rank logits of the in-sample best, {} splits (left of 0: below the out-of-sample median)",
            logits.len()
        ))
        .small(),
    );
    Plot::new("pbo_logits")
        .height(150.0)
        .allow_scroll(false)
        .allow_drag(false)
        .allow_zoom(false)
        .x_axis_label("logit")
        .y_axis_label("splits")
        .show(ui, |plot| {
            plot.bar_chart(BarChart::new("logits", bars));
            plot.vline(VLine::new("median", 0.0).color(super::super::plots::MUTED));
        });
}
