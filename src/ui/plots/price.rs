//! Price of one asset (line, or candles when few bars are visible) with entry and exit markers,
//! and a signal column with the rules' thresholds.

use eframe::egui;
use egui::{Color32, Stroke, Ui};
use egui_plot::{BoxElem, BoxPlot, BoxSpread, HLine, Line, LineStyle, MarkerShape, Points, Span};

use super::series::AssetSeries;
use super::time_axis::format_instant;
use super::{BAD, EQUITY, GOOD, SIGNAL, TimeAxes, View, YFormat, fmt_value, merge_range, time_plot_ui};
use ml4t_engine::market::Bars;

/// Candles are drawn only below this many visible bars; above it they would be thinner than a
/// pixel, and the line is both faster and clearer.
pub const MAX_CANDLES: usize = 600;

/// The selected trade, drawn as a shaded span with its entry and exit circled.
#[derive(Debug, Clone, Copy)]
pub struct TradeMark {
    pub entry: [f64; 2],
    pub exit: [f64; 2],
}

/// What the price plot shows.
pub struct PriceInput<'a> {
    pub bars: &'a Bars,
    pub asset: &'a str,
    pub series: &'a AssetSeries,
    /// Candles (while fewer than [`MAX_CANDLES`] bars are visible) instead of the close line.
    pub candles: bool,
    pub trade: Option<TradeMark>,
}

/// Price of one asset with its fills.
pub(crate) fn price_ui(ui: &mut Ui, axes: &TimeAxes, key: u64, input: PriceInput<'_>, height: f32) {
    let PriceInput {
        bars,
        asset,
        series: s,
        candles,
        trade,
    } = input;
    let name = asset.to_owned();
    let legend = [(asset, EQUITY), ("entry", GOOD), ("exit", BAD)];
    time_plot_ui(
        ui,
        "price_plot",
        axes,
        key,
        height,
        YFormat::Value,
        &legend,
        move |pui, view| {
            let (lo, hi) = visible(&s.data.xs, view);
            let mut y = if candles && hi - lo < MAX_CANDLES {
                let boxes = candle_boxes(bars, s, lo, hi);
                let y = candle_range(bars, &s.data.rows[lo..hi]);
                pui.box_plot(BoxPlot::new(name, boxes).element_formatter(Box::new(|e, _| e.name.clone())));
                y
            } else {
                let line = view.thin("close", &s.data.xs, &s.data.close);
                let y = view.y_range(&line);
                pui.line(Line::new(name, line).color(EQUITY).width(1.2));
                y
            };
            if let Some(t) = trade {
                let fill = Color32::from_rgba_unmultiplied(230, 190, 60, 40);
                pui.span(Span::new("selected trade", t.entry[0]..=t.exit[0]).fill(fill));
                let ring = Points::new("selected trade", vec![t.entry, t.exit])
                    .shape(MarkerShape::Circle)
                    .filled(false)
                    .radius(11.0)
                    .color(Color32::from_rgb(230, 190, 60));
                pui.points(ring);
            }
            for (label, pts, shape, color) in [
                ("entry", &s.entries, MarkerShape::Up, GOOD),
                ("exit", &s.exits, MarkerShape::Down, BAD),
            ] {
                let shown = visible_markers(pts, view);
                y = merge_range(y, view.y_range(&shown));
                pui.points(
                    Points::new(label, shown)
                        .shape(shape)
                        .color(color)
                        .filled(true)
                        .radius(5.0),
                );
            }
            y
        },
    );
}

/// Index range of `xs` in view (all of it while the axis follows the data).
fn visible(xs: &[f64], view: &View) -> (usize, usize) {
    let lo = xs.partition_point(|&x| x < view.x_min);
    let hi = xs.partition_point(|&x| x <= view.x_max);
    (lo, hi.max(lo))
}

/// Markers in view, decimated to about `max_points` (markers overlap long before that).
fn visible_markers(points: &[[f64; 2]], view: &View) -> Vec<[f64; 2]> {
    let lo = points.partition_point(|p| p[0] < view.x_min);
    let hi = points.partition_point(|p| p[0] <= view.x_max).max(lo);
    let stride = (hi - lo) / view.max_points.max(1) + 1;
    points[lo..hi].iter().step_by(stride).copied().collect()
}

fn candle_boxes(bars: &Bars, s: &AssetSeries, lo: usize, hi: usize) -> Vec<BoxElem> {
    let xs = &s.data.xs;
    let spacing = if hi - lo >= 2 {
        (xs[hi - 1] - xs[lo]) / (hi - lo - 1) as f64
    } else if xs.len() >= 2 {
        (xs[xs.len() - 1] - xs[0]) / (xs.len() - 1) as f64
    } else {
        86_400.0
    };
    (lo..hi)
        .map(|i| {
            let r = s.data.rows[i];
            let (o, h, l, c) = (bars.open()[r], bars.high()[r], bars.low()[r], bars.close()[r]);
            let color = if c >= o { GOOD } else { BAD };
            let label = format!(
                "{}\nO {}  H {}\nL {}  C {}",
                format_instant(xs[i]),
                fmt_value(o),
                fmt_value(h),
                fmt_value(l),
                fmt_value(c)
            );
            BoxElem::new(xs[i], BoxSpread::new(l, o.min(c), c, o.max(c), h))
                .box_width(0.7 * spacing)
                .whisker_width(0.0)
                .fill(color)
                .stroke(Stroke::new(1.0, color))
                .name(label)
        })
        .collect()
}

fn candle_range(bars: &Bars, rows: &[usize]) -> Option<(f64, f64)> {
    let pts: Vec<[f64; 2]> = rows
        .iter()
        .flat_map(|&r| [[0.0, bars.low()[r]], [0.0, bars.high()[r]]])
        .collect();
    super::y_range(&pts, f64::NEG_INFINITY, f64::INFINITY)
}

/// What the signal plot shows: one signal column over the selected asset's bars, and the rule
/// thresholds on it as `(value, label)`.
pub struct SignalInput<'a> {
    pub name: &'a str,
    pub xs: &'a [f64],
    pub values: &'a [f64],
    pub thresholds: &'a [(f64, String)],
}

/// A signal column of the selected asset, with the rules' thresholds on it as labelled lines.
pub(crate) fn signal_ui(ui: &mut Ui, axes: &TimeAxes, key: u64, input: SignalInput<'_>, height: f32) {
    let SignalInput {
        name: signal,
        xs,
        values,
        thresholds,
    } = input;
    let name = signal.to_owned();
    let axes_copy = *axes;
    // Threshold labels go in the legend row above the plot (a label on the plot would cover the
    // signal); entry and exit thresholds get their own colours so the lines can be told apart.
    let mut legend: Vec<(&str, Color32)> = vec![(signal, SIGNAL)];
    legend.extend(
        thresholds
            .iter()
            .filter(|(v, _)| v.is_finite())
            .map(|(_, label)| (label.as_str(), threshold_color(label))),
    );
    time_plot_ui(
        ui,
        "signal_plot",
        axes,
        key,
        height,
        YFormat::Value,
        &legend,
        move |pui, view| {
            let line = view.thin("signal", xs, values);
            let mut y = view.y_range(&line);
            pui.line(Line::new(name, line).color(SIGNAL).width(1.2));
            let left = view.left_edge(&axes_copy);
            for (value, label) in thresholds {
                if !value.is_finite() {
                    continue;
                }
                y = merge_range(y, super::y_range(&[[left, *value]], f64::NEG_INFINITY, f64::INFINITY));
                pui.hline(
                    HLine::new(label.clone(), *value)
                        .color(threshold_color(label))
                        .style(LineStyle::dashed_dense()),
                );
            }
            y
        },
    );
}

/// Entry thresholds green, exit thresholds red, others orange (labels start with the list).
fn threshold_color(label: &str) -> Color32 {
    if label.starts_with("entry") {
        GOOD
    } else if label.starts_with("exit") {
        BAD
    } else {
        Color32::from_rgb(230, 140, 40)
    }
}
