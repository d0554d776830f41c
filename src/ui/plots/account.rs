//! Account plots: equity with the buy-and-hold benchmark, drawdown, gross exposure, and the
//! position of one asset.

use eframe::egui;
use egui::Ui;
use egui_plot::Line;

use super::series::{AssetSeries, BenchSeries, RunSeries};
use super::{BAD, EQUITY, GOOD, MUTED, TimeAxes, YFormat, merge_range, time_plot_ui};

/// Strategy equity and the equal-weight buy and hold of the run's assets.
/// `keys`: the run's and the benchmark's (which is kept, and its thinned line, across runs on the
/// same data).
pub(crate) fn equity_ui(
    ui: &mut Ui,
    axes: &TimeAxes,
    (key, bench_key): (u64, u64),
    (s, b): (&RunSeries, &BenchSeries),
    height: f32,
) {
    time_plot_ui(
        ui,
        "equity_plot",
        axes,
        key,
        height,
        YFormat::Money,
        &[("equity", EQUITY), ("buy & hold", MUTED)],
        move |pui, view| {
            let equity = view.thin("equity", &s.xs, &s.equity);
            let bench = view.thin_keyed("bench", bench_key, &b.xs, &b.values);
            let y = merge_range(view.y_range(&equity), view.y_range(&bench));
            pui.line(Line::new("buy & hold", bench).color(MUTED).width(1.0));
            pui.line(Line::new("equity", equity).color(EQUITY).width(1.5));
            y
        },
    );
}

/// Drawdown below the running peak, in percent, as a filled area down from 0.
pub(crate) fn drawdown_ui(ui: &mut Ui, axes: &TimeAxes, key: u64, s: &RunSeries, height: f32) {
    time_plot_ui(
        ui,
        "drawdown_plot",
        axes,
        key,
        height,
        YFormat::Pct,
        &[("drawdown", BAD)],
        move |pui, view| {
            let dd = view.thin("drawdown", &s.xs, &s.drawdown_pct);
            let y = view.y_range(&dd).map(|(lo, _)| (lo.min(-1.0), 0.5));
            pui.line(Line::new("drawdown", dd).color(BAD).fill(0.0).fill_alpha(0.35));
            y
        },
    );
}

/// Gross exposure as percent of equity.
pub(crate) fn exposure_ui(ui: &mut Ui, axes: &TimeAxes, key: u64, s: &RunSeries, height: f32) {
    time_plot_ui(
        ui,
        "exposure_plot",
        axes,
        key,
        height,
        YFormat::Pct,
        &[("gross exposure % of equity", EQUITY)],
        move |pui, view| {
            let gross = view.thin("gross", &s.xs, &s.exposure_pct);
            let y = view.y_range(&gross).map(|(lo, hi)| (lo.min(0.0), hi.max(1.0)));
            pui.line(
                Line::new("gross exposure % of equity", gross)
                    .color(EQUITY)
                    .fill(0.0)
                    .fill_alpha(0.2),
            );
            y
        },
    );
}

/// The asset's signed position (shares) after each fill, as a step line.
pub(crate) fn position_ui(ui: &mut Ui, axes: &TimeAxes, key: u64, asset: &str, s: &AssetSeries, height: f32) {
    let name = format!("{asset} position");
    let legend = name.clone();
    let short = s.position.iter().any(|&q| q < 0.0);
    let long = s.position.iter().any(|&q| q > 0.0);
    let color = if short && !long { BAD } else { GOOD };
    time_plot_ui(
        ui,
        "position_plot",
        axes,
        key,
        height,
        YFormat::Value,
        &[(legend.as_str(), color)],
        move |pui, view| {
            let pos = view.thin("position", &s.position_xs, &s.position);
            let y = view.y_range(&pos).map(|(lo, hi)| (lo.min(0.0), hi.max(0.0)));
            // No band merging: it would turn the vertical steps into ramps.
            pui.line(
                Line::new(name, pos)
                    .color(color)
                    .fill(0.0)
                    .fill_alpha(0.2)
                    .allow_band(false),
            );
            y
        },
    );
}
