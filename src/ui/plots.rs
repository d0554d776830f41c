//! Time plots of a run: equity with a buy-and-hold benchmark, drawdown, price with fill markers,
//! a signal with rule thresholds, exposure and position.
//!
//! All time plots put seconds since the epoch on x, share one linked x axis and cursor, format x
//! as dates, and fit y to the visible data. Every line goes through [`thin`], so a million bars
//! cost about as much to draw as the plot is wide in pixels.

mod account;
mod price;
pub mod series;
pub mod time_axis;

use eframe::egui;
use egui::{Id, Ui};
use egui_plot::{HoverPosition, Plot, PlotBounds, PlotUi};

pub(crate) use account::{drawdown_ui, equity_ui, exposure_ui, position_ui};
pub use price::{MAX_CANDLES, PriceInput, SignalInput, TradeMark};
pub(crate) use price::{price_ui, signal_ui};
use time_axis::{format_instant, format_tick, time_grid};

/// Colours shared by the plots and the metric cards (readable on dark and light backgrounds).
pub const GOOD: egui::Color32 = egui::Color32::from_rgb(60, 170, 90);
pub const BAD: egui::Color32 = egui::Color32::from_rgb(220, 75, 75);
pub const EQUITY: egui::Color32 = egui::Color32::from_rgb(70, 140, 230);
pub const MUTED: egui::Color32 = egui::Color32::from_rgb(150, 150, 150);
pub const SIGNAL: egui::Color32 = egui::Color32::from_rgb(170, 110, 220);

/// Thins a line to at most about `max_points` points over `[x_min, x_max]`.
///
/// `xs` must be ascending. Points outside the range are dropped except the nearest one on each
/// side (so the line runs to the plot edges); NaN `ys` are dropped. If more than `max_points`
/// remain, the range is cut into `max_points / 2` equal buckets and each bucket keeps its lowest
/// and highest point, in their original order, so spikes survive. A non-finite or reversed range
/// means the whole series.
pub fn thin(xs: &[f64], ys: &[f64], x_min: f64, x_max: f64, max_points: usize) -> Vec<[f64; 2]> {
    let n = xs.len().min(ys.len());
    let (xs, ys) = (&xs[..n], &ys[..n]);
    let clipped = x_min.is_finite() && x_max.is_finite() && x_min <= x_max;
    let (start, end) = if clipped {
        let lo = xs.partition_point(|&x| x < x_min);
        let hi = xs.partition_point(|&x| x <= x_max);
        (lo.saturating_sub(1), (hi + 1).min(n))
    } else {
        (0, n)
    };
    if start >= end {
        return Vec::new();
    }
    let window = start..end;
    if end - start <= max_points.max(2) {
        return window.filter(|&i| !ys[i].is_nan()).map(|i| [xs[i], ys[i]]).collect();
    }
    let (a, b) = if clipped {
        (x_min, x_max)
    } else {
        (xs[start], xs[end - 1])
    };
    let buckets = (max_points / 2).max(1);
    let scale = if b > a { buckets as f64 / (b - a) } else { 0.0 };
    let bucket_of = |x: f64| (((x - a) * scale) as usize).min(buckets - 1);
    let mut out = Vec::with_capacity(2 * buckets + 2);
    let keep = |out: &mut Vec<[f64; 2]>, i: usize| {
        if !ys[i].is_nan() {
            out.push([xs[i], ys[i]]);
        }
    };
    // The neighbour left of the range, then the range a bucket at a time (its end found by binary
    // search: `xs` ascends, so the bucket number does too), then the neighbour right of it.
    let mut i = start;
    while i < end && xs[i] < a {
        keep(&mut out, i);
        i += 1;
    }
    let in_range = i + xs[i..end].partition_point(|&x| x <= b);
    while i < in_range {
        let k = bucket_of(xs[i]);
        let next = i + xs[i..in_range].partition_point(|&x| bucket_of(x) <= k);
        if let Some((lo, hi)) = lowest_and_highest(&ys[i..next]) {
            let (first, second) = (i + lo.min(hi), i + lo.max(hi));
            out.push([xs[first], ys[first]]);
            if second != first {
                out.push([xs[second], ys[second]]);
            }
        }
        i = next;
    }
    for j in in_range..end {
        keep(&mut out, j);
    }
    out
}

/// Positions of the first lowest and the first highest non-NaN value (`None` if all are NaN).
fn lowest_and_highest(ys: &[f64]) -> Option<(usize, usize)> {
    let (mut lo, mut hi) = (usize::MAX, usize::MAX);
    let (mut y_lo, mut y_hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for (j, &y) in ys.iter().enumerate() {
        if y < y_lo {
            y_lo = y;
            lo = j;
        }
        if y > y_hi {
            y_hi = y;
            hi = j;
        }
    }
    // Only infinities of one sign (or NaN): the one comparison that never held takes the other's.
    match (lo, hi) {
        (usize::MAX, usize::MAX) => None,
        (usize::MAX, h) => Some((h, h)),
        (l, usize::MAX) => Some((l, l)),
        (l, h) => Some((l, h)),
    }
}

/// Lowest and highest finite y of the points with x in `[x_min, x_max]` (all points if none is
/// inside, or if the range is not finite), padded by 5 % (or ±1 for a flat line).
pub fn y_range<'p>(
    points: impl IntoIterator<Item = &'p [f64; 2]> + Clone,
    x_min: f64,
    x_max: f64,
) -> Option<(f64, f64)> {
    let clipped = x_min.is_finite() && x_max.is_finite();
    let fold = |inside_only: bool| {
        points
            .clone()
            .into_iter()
            .filter(|p| p[1].is_finite() && (!inside_only || (p[0] >= x_min && p[0] <= x_max)))
            .fold(None, |acc: Option<(f64, f64)>, p| match acc {
                Some((lo, hi)) => Some((lo.min(p[1]), hi.max(p[1]))),
                None => Some((p[1], p[1])),
            })
    };
    let (lo, hi) = if clipped {
        fold(true).or_else(|| fold(false))
    } else {
        fold(false)
    }?;
    Some(pad(lo, hi))
}

fn pad(lo: f64, hi: f64) -> (f64, f64) {
    let span = hi - lo;
    if span > 1e-12 * hi.abs().max(lo.abs()).max(1e-300) {
        (lo - 0.05 * span, hi + 0.05 * span)
    } else {
        let d = if lo.abs() > 0.0 { 0.05 * lo.abs() } else { 1.0 };
        (lo - d, hi + d)
    }
}

/// Merges two optional y ranges.
pub fn merge_range(a: Option<(f64, f64)>, b: Option<(f64, f64)>) -> Option<(f64, f64)> {
    match (a, b) {
        (Some(a), Some(b)) => Some((a.0.min(b.0), a.1.max(b.1))),
        (a, b) => a.or(b),
    }
}

/// What all time plots of one frame share.
#[derive(Debug, Clone, Copy)]
pub struct TimeAxes {
    /// Link group of the x axes and cursors.
    pub link: Id,
    /// First and last x of the data, included in every plot's automatic bounds.
    pub full_x: Option<(f64, f64)>,
    /// An x range every plot jumps to this frame (a clicked trade).
    pub zoom_x: Option<(f64, f64)>,
    /// Every plot drops its zoom and follows the data again from this frame on (new data).
    pub reset: bool,
}

/// The x range a plot shows, as known while building it (last frame's bounds).
#[derive(Clone)]
pub struct View {
    /// `-inf..inf` while the x axis follows the data (nothing to clip).
    pub x_min: f64,
    pub x_max: f64,
    /// Points for [`thin`]: two per horizontal pixel.
    pub max_points: usize,
    /// Identifies the data drawn (run, asset, signal), for caching thinned lines.
    data_key: u64,
    ctx: egui::Context,
    id: Id,
}

impl View {
    /// The visible range's left edge, or the data's first x while the axis follows the data.
    pub fn left_edge(&self, axes: &TimeAxes) -> f64 {
        let data_min = axes.full_x.map_or(0.0, |r| r.0);
        if self.x_min.is_finite() { self.x_min } else { data_min }
    }
    /// [`thin`] for this view, cached under `name` until the data or the view changes (hovering
    /// repaints every frame; re-thinning a million points each time would not be smooth).
    pub fn thin(&self, name: &str, xs: &[f64], ys: &[f64]) -> Vec<[f64; 2]> {
        self.thin_keyed(name, self.data_key, xs, ys)
    }
    /// [`Self::thin`] for a line that has its own data key (one kept across runs, such as the
    /// benchmark, whose thinned line then is too).
    pub fn thin_keyed(&self, name: &str, data_key: u64, xs: &[f64], ys: &[f64]) -> Vec<[f64; 2]> {
        let key = (data_key, self.x_min.to_bits(), self.x_max.to_bits(), self.max_points);
        let points = series::memo(&self.ctx, self.id.with(name), key, || {
            thin(xs, ys, self.x_min, self.x_max, self.max_points)
        });
        points.as_ref().clone()
    }
    /// `y_range` with this view.
    pub fn y_range<'p>(&self, points: impl IntoIterator<Item = &'p [f64; 2]> + Clone) -> Option<(f64, f64)> {
        y_range(points, self.x_min, self.x_max)
    }
}

/// One entry of a plot's legend: a series' name and colour.
pub(crate) type Key<'k> = (&'k str, egui::Color32);

/// A plot's legend as one line of coloured swatches above the plot: outside the plot, it never
/// covers the series it describes (egui_plot's legend floats over the data).
pub(crate) fn legend_row_ui(ui: &mut Ui, keys: &[Key<'_>]) {
    if keys.is_empty() {
        return;
    }
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 4.0;
        for &(name, color) in keys {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(14.0, 10.0), egui::Sense::hover());
            ui.painter()
                .line_segment([rect.left_center(), rect.right_center()], egui::Stroke::new(2.5, color));
            ui.add(egui::Label::new(egui::RichText::new(name).small()));
            ui.add_space(8.0);
        }
    });
}

/// Draws one time plot with its legend row above: `build` adds the items for the [`View`] and
/// returns the y range to show. X navigation (drag, scroll, zoom) is horizontal only; y always
/// fits the visible data. `data_key` must change whenever the data drawn changes.
#[allow(clippy::too_many_arguments)]
pub(crate) fn time_plot_ui<'a>(
    ui: &mut Ui,
    id_salt: &str,
    axes: &TimeAxes,
    data_key: u64,
    height: f32,
    y_fmt: YFormat,
    legend: &[Key<'_>],
    build: impl FnOnce(&mut PlotUi<'a>, &View) -> Option<(f64, f64)> + 'a,
) {
    legend_row_ui(ui, legend);
    let mut plot = Plot::new(id_salt)
        .height(height)
        .link_axis(axes.link, [true, false])
        .link_cursor(axes.link, [true, false])
        .allow_drag([true, false])
        .allow_zoom([true, false])
        .allow_scroll([true, false])
        .allow_axis_zoom_drag([true, false])
        .x_grid_spacer(time_grid)
        .x_axis_formatter(|mark, _| format_tick(mark.value, mark.step_size))
        .y_axis_formatter(move |mark, _| y_fmt.tick(mark.value, mark.step_size))
        .y_axis_min_width(56.0)
        .label_formatter(move |pos| Some(hover_text(pos, y_fmt)));
    if let Some((a, b)) = axes.full_x {
        plot = plot.include_x(a).include_x(b);
    }
    let (zoom, reset) = (axes.zoom_x, axes.reset);
    let ctx = ui.ctx().clone();
    let cache_id = ui.make_persistent_id(id_salt).with("thinned");
    let response = plot.show(ui, move |pui| {
        let last = pui.plot_bounds();
        let width = pui.transform().frame().width().max(1.0);
        let follow = pui.auto_bounds().x || !last.is_valid_x();
        let view = View {
            x_min: if follow { f64::NEG_INFINITY } else { last.min()[0] },
            x_max: if follow { f64::INFINITY } else { last.max()[0] },
            max_points: 2 * width as usize,
            data_key,
            ctx,
            id: cache_id,
        };
        if reset {
            pui.set_auto_bounds([true, true]);
        }
        if let Some((a, b)) = zoom {
            pui.set_plot_bounds_x(a..=b);
        }
        let (lo, hi) = build(pui, &view).unwrap_or((0.0, 1.0));
        pui.set_plot_bounds_y(lo..=hi);
        last
    });
    // The items were thinned for last frame's x range: draw once more if the range moved (a
    // linked plot zoomed, a trade was clicked), so the data fits the new range.
    if !same_x(&response.inner, response.transform.bounds()) {
        ui.ctx().request_repaint();
    }
}

/// Equal x ranges, up to rounding (false if either is not finite).
fn same_x(a: &PlotBounds, b: &PlotBounds) -> bool {
    let tol = 1e-6 * b.width().abs().max(1e-9);
    (a.min()[0] - b.min()[0]).abs() <= tol && (a.max()[0] - b.max()[0]).abs() <= tol
}

/// Hover text: the series name (when near one), the date and the value.
fn hover_text(pos: &HoverPosition<'_>, y_fmt: YFormat) -> String {
    match pos {
        HoverPosition::NearDataPoint {
            plot_name, position, ..
        } => {
            format!(
                "{plot_name}\n{}\n{}",
                format_instant(position.x),
                y_fmt.hover(position.y)
            )
        }
        // Between data points the time is only where the pointer is: to the minute is enough.
        HoverPosition::Elsewhere { position } => {
            format!(
                "{}\n{}",
                format_instant((position.x / 60.0).round() * 60.0),
                y_fmt.hover(position.y)
            )
        }
    }
}

/// How a plot's y values read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YFormat {
    Money,
    Pct,
    Value,
}

impl YFormat {
    /// A value in hover text.
    pub fn hover(self, y: f64) -> String {
        match self {
            YFormat::Money => fmt_money(y),
            YFormat::Pct => fmt_pct(y),
            YFormat::Value => fmt_value(y),
        }
    }
    /// An axis tick: as many decimals as the tick spacing needs.
    pub fn tick(self, y: f64, step: f64) -> String {
        if !y.is_finite() {
            return String::new();
        }
        // Large values in thousands, millions, billions (500k, 1.25M): ticks stay short and
        // readable; the decimals follow the tick spacing in that unit.
        let (unit, suffix) = match y.abs().max(step.abs()) {
            m if self == YFormat::Pct || m < 1e3 || step.abs() < 1.0 => (1.0, ""),
            m if m < 1e6 => (1e3, "k"),
            m if m < 1e9 => (1e6, "M"),
            m if m < 1e12 => (1e9, "B"),
            _ => return format!("{y:.2e}"),
        };
        let (v, s) = (y / unit, step / unit);
        // As many decimals as the step needs to be exact (0.25 needs two, 0.1 one, 50 none).
        let decimals = if s > 0.0 {
            (0..=8usize)
                .find(|&d| {
                    let scaled = s * 10f64.powi(d as i32);
                    (scaled - scaled.round()).abs() < 1e-6 * scaled.max(1.0)
                })
                .unwrap_or(8)
        } else {
            2
        };
        let text = if v == 0.0 {
            "0".to_owned()
        } else {
            format!("{v:.decimals$}{suffix}")
        };
        if self == YFormat::Pct { text + "%" } else { text }
    }
}

/// Hover formats: money with cents (millions abbreviated), percent, and prices or quantities
/// with a precision that suits their size.
pub fn fmt_money(y: f64) -> String {
    if y.abs() >= 1e12 {
        format!("{y:.3e}")
    } else if y.abs() >= 1e7 {
        format!("{:.2}M", y / 1e6)
    } else if y.abs() >= 1e4 {
        format!("{y:.0}")
    } else {
        format!("{y:.2}")
    }
}
/// Percent with two decimals.
pub fn fmt_pct(y: f64) -> String {
    format!("{y:.2}%")
}
/// Integers as such, else 2 or 4 decimals by size; scientific when huge.
pub fn fmt_value(y: f64) -> String {
    if y.abs() >= 1e9 {
        format!("{y:.3e}")
    } else if y.abs() >= 1e4 || y == y.trunc() {
        format!("{y:.0}")
    } else if y.abs() >= 10.0 {
        format!("{y:.2}")
    } else {
        format!("{y:.4}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thin_small_input_unchanged() {
        let xs = [1.0, 2.0, 3.0];
        let ys = [5.0, -1.0, 4.0];
        let all = vec![[1.0, 5.0], [2.0, -1.0], [3.0, 4.0]];
        assert_eq!(thin(&xs, &ys, f64::NEG_INFINITY, f64::INFINITY, 100), all);
        assert_eq!(thin(&xs, &ys, 0.0, 10.0, 100), all);
        assert_eq!(thin(&xs, &ys, f64::NAN, 10.0, 100), all, "a NaN bound means everything");
        assert!(thin(&[], &[], 0.0, 1.0, 10).is_empty());
    }

    #[test]
    fn thin_clips_to_range_keeping_one_neighbour_each_side() {
        let xs: Vec<f64> = (0..10).map(f64::from).collect();
        let ys: Vec<f64> = xs.iter().map(|x| x * 10.0).collect();
        let got = thin(&xs, &ys, 3.5, 6.0, 100);
        let got_x: Vec<f64> = got.iter().map(|p| p[0]).collect();
        assert_eq!(got_x, vec![3.0, 4.0, 5.0, 6.0, 7.0]);
        // Entirely right of the data: only the last point (the line's end) remains.
        assert_eq!(thin(&xs, &ys, 20.0, 30.0, 100), vec![[9.0, 90.0]]);
    }

    #[test]
    fn thin_keeps_bucket_min_and_max() {
        // 10_000 points of a gentle ramp with one spike up and one down.
        let n = 10_000;
        let xs: Vec<f64> = (0..n).map(f64::from).collect();
        let mut ys: Vec<f64> = xs.iter().map(|x| x * 1e-3).collect();
        ys[1234] = 1e6;
        ys[7777] = -1e6;
        let got = thin(&xs, &ys, f64::NEG_INFINITY, f64::INFINITY, 100);
        assert!(got.len() <= 102, "{} points", got.len());
        assert!(got.contains(&[1234.0, 1e6]) && got.contains(&[7777.0, -1e6]));
        assert!(got.windows(2).all(|w| w[0][0] < w[1][0]), "x order preserved");
        assert_eq!(got.first(), Some(&[0.0, 0.0]));
        assert_eq!(got.last(), Some(&[9_999.0, 9.999]));
        // 50 buckets of 200 points: the first keeps its min (x = 0) and max (x = 199).
        assert_eq!(got[1], [199.0, 0.199]);
    }

    /// The bucket-by-bucket thinning as it was first written, one point at a time: the fast
    /// [`thin`] must keep exactly the same points.
    fn thin_point_by_point(xs: &[f64], ys: &[f64], x_min: f64, x_max: f64, max_points: usize) -> Vec<[f64; 2]> {
        let n = xs.len().min(ys.len());
        let clipped = x_min.is_finite() && x_max.is_finite() && x_min <= x_max;
        let (start, end) = if clipped {
            let lo = xs[..n].partition_point(|&x| x < x_min);
            let hi = xs[..n].partition_point(|&x| x <= x_max);
            (lo.saturating_sub(1), (hi + 1).min(n))
        } else {
            (0, n)
        };
        if start >= end {
            return Vec::new();
        }
        if end - start <= max_points.max(2) {
            return (start..end)
                .filter(|&i| !ys[i].is_nan())
                .map(|i| [xs[i], ys[i]])
                .collect();
        }
        let (a, b) = if clipped {
            (x_min, x_max)
        } else {
            (xs[start], xs[end - 1])
        };
        let buckets = (max_points / 2).max(1);
        let scale = if b > a { buckets as f64 / (b - a) } else { 0.0 };
        let mut out = Vec::new();
        let mut current: Option<(usize, usize, usize)> = None;
        let flush = |out: &mut Vec<[f64; 2]>, bucket: Option<(usize, usize, usize)>| {
            if let Some((_, lo, hi)) = bucket {
                out.push([xs[lo.min(hi)], ys[lo.min(hi)]]);
                if lo != hi {
                    out.push([xs[lo.max(hi)], ys[lo.max(hi)]]);
                }
            }
        };
        for i in start..end {
            let (x, y) = (xs[i], ys[i]);
            if y.is_nan() {
                continue;
            }
            if x < a || x > b {
                flush(&mut out, current.take());
                out.push([x, y]);
                continue;
            }
            let bucket = (((x - a) * scale) as usize).min(buckets - 1);
            current = match current {
                Some((k, lo, hi)) if k == bucket => {
                    Some((k, if y < ys[lo] { i } else { lo }, if y > ys[hi] { i } else { hi }))
                }
                other => {
                    flush(&mut out, other);
                    Some((bucket, i, i))
                }
            };
        }
        flush(&mut out, current);
        out
    }

    proptest::proptest! {
        #[test]
        fn thin_keeps_the_points_of_the_point_by_point_thinning(
            steps in proptest::collection::vec(0u8..4, 0..600),
            ys in proptest::collection::vec(
                proptest::prop_oneof![
                    8 => -1e3f64..1e3,
                    1 => proptest::strategy::Just(f64::NAN),
                    1 => proptest::prop_oneof![
                        proptest::strategy::Just(f64::INFINITY),
                        proptest::strategy::Just(f64::NEG_INFINITY),
                        proptest::strategy::Just(0.0),
                    ],
                ],
                0..600,
            ),
            range in proptest::option::of((-50.0f64..700.0, 0.0f64..400.0)),
            max_points in 0usize..80,
        ) {
            // Ascending xs with repeats (steps of 0) and gaps.
            let xs: Vec<f64> = steps.iter().scan(0.0, |x, &s| { *x += f64::from(s); Some(*x) }).collect();
            let (lo, hi) = range.map_or((f64::NEG_INFINITY, f64::INFINITY), |(a, w)| (a, a + w));
            let fast = thin(&xs, &ys, lo, hi, max_points);
            let slow = thin_point_by_point(&xs, &ys, lo, hi, max_points);
            let bits = |p: &[[f64; 2]]| p.iter().map(|q| (q[0].to_bits(), q[1].to_bits())).collect::<Vec<_>>();
            proptest::prop_assert_eq!(bits(&fast), bits(&slow));
        }
    }

    #[test]
    fn thin_drops_nan() {
        let xs = [0.0, 1.0, 2.0, 3.0];
        let ys = [f64::NAN, 1.0, f64::NAN, 3.0];
        assert_eq!(thin(&xs, &ys, 0.0, 3.0, 10), vec![[1.0, 1.0], [3.0, 3.0]]);
        let many_nan = vec![f64::NAN; 1000];
        let many_x: Vec<f64> = (0..1000).map(f64::from).collect();
        assert!(thin(&many_x, &many_nan, 0.0, 999.0, 10).is_empty());
    }

    #[test]
    fn y_format_ticks_follow_step() {
        assert_eq!(YFormat::Money.tick(300_000.0, 50_000.0), "300k");
        assert_eq!(YFormat::Money.tick(1_250_000.0, 250_000.0), "1.25M");
        assert_eq!(YFormat::Money.tick(1_500.0, 100.0), "1.5k");
        assert_eq!(YFormat::Money.tick(0.0, 50_000.0), "0");
        assert_eq!(YFormat::Value.tick(0.75, 0.25), "0.75");
        assert_eq!(YFormat::Value.tick(950.0, 50.0), "950");
        assert_eq!(YFormat::Pct.tick(1_500.0, 500.0), "1500%");
        assert_eq!(YFormat::Value.tick(0.9, 0.1), "0.9");
        assert_eq!(YFormat::Value.tick(1.0, 0.1), "1.0");
        assert_eq!(YFormat::Pct.tick(-2.5, 0.5), "-2.5%");
        assert_eq!(YFormat::Value.tick(3e12, 1e12), "3.00e12");
        assert_eq!(YFormat::Value.tick(3e9, 1e9), "3B");
        assert_eq!(YFormat::Pct.hover(-3.456), "-3.46%");
    }

    #[test]
    fn y_range_visible_points_padded() {
        let pts = [[0.0, 100.0], [1.0, 1.0], [2.0, 3.0], [3.0, -50.0]];
        let (lo, hi) = y_range(&pts, 0.5, 2.5).unwrap();
        assert!((lo - 0.9).abs() < 1e-12 && (hi - 3.1).abs() < 1e-12, "{lo} {hi}");
        // Nothing inside: fall back to all points.
        assert!(y_range(&pts, 1.2, 1.8).is_some());
        assert_eq!(
            y_range(&[[0.0, 0.0]], f64::NEG_INFINITY, f64::INFINITY),
            Some((-1.0, 1.0))
        );
        assert_eq!(y_range(&[[0.0, f64::NAN]], 0.0, 1.0), None);
    }
}
