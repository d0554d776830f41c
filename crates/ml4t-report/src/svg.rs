//! Inline SVG charts, drawn as text: time and value lines (thinned to the pixel), bars,
//! histograms with an overlay, scatter plots (one point per pixel and colour). Each chart is an
//! `<svg class="chart" data-chart="NAME">` with a `viewBox`, so it scales with the page; legends
//! are HTML next to the chart ([`legend`]), never on top of the data.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use chrono::{DateTime, Datelike as _, NaiveDate};
use ml4t_engine::results::analysis::Histogram;

use crate::format::{compact, esc};

/// Width of a full-width chart in SVG units (pixels at 100 %).
pub const WIDTH: f64 = 960.0;
/// Width of a chart in a half-width column: narrower units, so its text stays as large.
pub const HALF_WIDTH: f64 = 470.0;

/// A chart's size in SVG units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Size {
    pub width: f64,
    pub height: f64,
}

impl Size {
    pub fn full(height: f64) -> Size {
        Size { width: WIDTH, height }
    }
    pub fn half(height: f64) -> Size {
        Size {
            width: HALF_WIDTH,
            height,
        }
    }
}
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 30.0;

pub const BLUE: &str = "#2f6fdb";
pub const GREY: &str = "#8a8f98";
pub const GREEN: &str = "#2e9d55";
pub const RED: &str = "#d64545";
pub const PURPLE: &str = "#8a56c2";
pub const ORANGE: &str = "#e08a1e";

/// How a value axis labels its ticks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fmt {
    /// Fractions as percentages (0.05 -> 5%).
    Percent,
    /// 1.2M, 500k, 12.5.
    Compact,
}

impl Fmt {
    fn label(self, v: f64, step: f64) -> String {
        match self {
            Fmt::Percent => {
                let decimals = if step * 100.0 >= 1.0 {
                    0
                } else if step * 100.0 >= 0.1 {
                    1
                } else {
                    2
                };
                format!("{:.*}%", decimals, v * 100.0)
            }
            Fmt::Compact => compact(v),
        }
    }
}

/// The x axis of a line chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum XAxis {
    /// Seconds since the epoch (UTC), labelled with calendar ticks.
    Time,
    Value(Fmt),
}

/// One line of a line chart. `NaN` in `ys` breaks the line.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    pub label: &'a str,
    pub color: &'a str,
    pub xs: &'a [f64],
    pub ys: &'a [f64],
    /// Fill between the line and zero.
    pub fill: bool,
}

/// Thins `(xs, ys)` (xs ascending) to at most two points per pixel column over `[x_min, x_max]`
/// (`columns` columns): each column keeps its lowest and highest point in their original order,
/// so spikes survive. A `NaN` y is kept (once per run of them) as a break.
pub fn thin(xs: &[f64], ys: &[f64], x_min: f64, x_max: f64, columns: usize) -> Vec<(f64, f64)> {
    let n = xs.len().min(ys.len());
    let columns = columns.max(1);
    if n <= 2 * columns {
        return xs[..n].iter().zip(&ys[..n]).map(|(&x, &y)| (x, y)).collect();
    }
    let scale = if x_max > x_min {
        columns as f64 / (x_max - x_min)
    } else {
        0.0
    };
    let mut out = Vec::with_capacity(2 * columns + 16);
    // The open column: (column, index of its lowest point, index of its highest point).
    let mut open: Option<(usize, usize, usize)> = None;
    let flush = |out: &mut Vec<(f64, f64)>, open: Option<(usize, usize, usize)>| {
        if let Some((_, lo, hi)) = open {
            let (a, b) = (lo.min(hi), lo.max(hi));
            out.push((xs[a], ys[a]));
            if a != b {
                out.push((xs[b], ys[b]));
            }
        }
    };
    for i in 0..n {
        let (x, y) = (xs[i], ys[i]);
        if y.is_nan() {
            flush(&mut out, open.take());
            if out.last().is_none_or(|p: &(f64, f64)| !p.1.is_nan()) {
                out.push((x, f64::NAN));
            }
            continue;
        }
        let col = (((x - x_min) * scale).max(0.0) as usize).min(columns - 1);
        open = match open {
            Some((c, lo, hi)) if c == col => {
                Some((c, if y < ys[lo] { i } else { lo }, if y > ys[hi] { i } else { hi }))
            }
            other => {
                flush(&mut out, other);
                Some((col, i, i))
            }
        };
    }
    flush(&mut out, open);
    out
}

/// About `target` round ticks (steps of 1, 2, 2.5 or 5 times a power of ten) within `[lo, hi]`.
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, f64) {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return (vec![lo], 1.0);
    }
    let raw = (hi - lo) / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let mut ticks = Vec::new();
    let mut t = (lo / step).ceil() * step;
    while t <= hi + step * 1e-9 && ticks.len() < 50 {
        ticks.push(if t.abs() < step * 1e-9 { 0.0 } else { t });
        t += step;
    }
    (ticks, step)
}

#[derive(Clone, Copy)]
enum TimeStep {
    Secs(i64),
    Months(i32),
}

/// Calendar ticks (seconds since the epoch) and their labels for `[lo, hi]`.
pub fn time_ticks(lo: f64, hi: f64) -> Vec<(f64, String)> {
    const DAY: i64 = 86_400;
    let span = hi - lo;
    if !(span.is_finite() && span > 0.0) {
        return Vec::new();
    }
    let steps = [
        TimeStep::Secs(60),
        TimeStep::Secs(300),
        TimeStep::Secs(900),
        TimeStep::Secs(3600),
        TimeStep::Secs(3 * 3600),
        TimeStep::Secs(6 * 3600),
        TimeStep::Secs(DAY),
        TimeStep::Secs(2 * DAY),
        TimeStep::Secs(7 * DAY),
        TimeStep::Secs(14 * DAY),
        TimeStep::Months(1),
        TimeStep::Months(2),
        TimeStep::Months(3),
        TimeStep::Months(6),
        TimeStep::Months(12),
        TimeStep::Months(24),
        TimeStep::Months(60),
        TimeStep::Months(120),
        TimeStep::Months(240),
    ];
    let secs = |s: TimeStep| match s {
        TimeStep::Secs(x) => x as f64,
        TimeStep::Months(m) => f64::from(m) * 30.44 * DAY as f64,
    };
    let step = steps
        .iter()
        .copied()
        .find(|s| span / secs(*s) <= 8.0)
        .unwrap_or(TimeStep::Months(480));
    let date = |t: f64| DateTime::from_timestamp(t.floor() as i64, 0);
    let mut out = Vec::new();
    match step {
        TimeStep::Secs(s) => {
            let mut t = (lo / s as f64).ceil() as i64 * s;
            while (t as f64) <= hi && out.len() < 40 {
                if let Some(d) = date(t as f64) {
                    let label = if s >= DAY {
                        d.format("%Y-%m-%d").to_string()
                    } else if span > DAY as f64 {
                        d.format("%m-%d %H:%M").to_string()
                    } else {
                        d.format("%H:%M").to_string()
                    };
                    out.push((t as f64, label));
                }
                t += s;
            }
        }
        TimeStep::Months(k) => {
            let Some(start) = date(lo) else { return out };
            let mut index = start.year() * 12 + start.month0() as i32;
            // First month start at or after `lo` on the step's grid.
            loop {
                let (y, m) = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
                let Some(t) = NaiveDate::from_ymd_opt(y, m, 1)
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(|d| d.and_utc().timestamp() as f64)
                else {
                    break;
                };
                if t > hi || out.len() >= 40 {
                    break;
                }
                if t >= lo && index.rem_euclid(k) == 0 {
                    let label = if k >= 12 { format!("{y}") } else { format!("{y}-{m:02}") };
                    out.push((t, label));
                }
                index += 1;
            }
        }
    }
    out
}

/// A chart's pixel frame and data ranges.
struct Frame {
    w: f64,
    h: f64,
    x: (f64, f64),
    y: (f64, f64),
}

impl Frame {
    fn px(&self, x: f64) -> f64 {
        let (a, b) = self.x;
        if b > a {
            LEFT + (x - a) / (b - a) * (self.w - LEFT - RIGHT)
        } else {
            LEFT
        }
    }
    fn py(&self, y: f64) -> f64 {
        let (a, b) = self.y;
        if b > a {
            self.h - BOTTOM - (y - a) / (b - a) * (self.h - TOP - BOTTOM)
        } else {
            self.h / 2.0
        }
    }
    fn columns(&self) -> usize {
        (self.w - LEFT - RIGHT) as usize
    }

    fn open(&self, name: &str, aria: &str) -> String {
        format!(
            "<svg class=\"chart\" data-chart=\"{}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\">\n",
            esc(name),
            esc(aria),
            h = self.h,
            w = self.w
        )
    }

    /// Horizontal grid with y labels, and the plot's border.
    fn y_grid(&self, out: &mut String, fmt: Fmt) {
        let (ticks, step) = nice_ticks(self.y.0, self.y.1, 6);
        for t in ticks {
            let y = self.py(t);
            let _ = writeln!(
                out,
                "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/><text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                self.w - RIGHT,
                LEFT - 6.0,
                y + 4.0,
                esc(&fmt.label(t, step))
            );
        }
    }

    fn x_grid(&self, out: &mut String, axis: XAxis) {
        let ticks: Vec<(f64, String)> = match axis {
            XAxis::Time => time_ticks(self.x.0, self.x.1),
            XAxis::Value(fmt) => {
                let (t, step) = nice_ticks(self.x.0, self.x.1, ((self.w - LEFT - RIGHT) / 110.0) as usize);
                t.into_iter().map(|v| (v, fmt.label(v, step))).collect()
            }
        };
        for (t, label) in ticks {
            let x = self.px(t);
            let _ = writeln!(
                out,
                "<line class=\"grid\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{TOP}\" y2=\"{:.1}\"/><text class=\"tick\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                self.h - BOTTOM,
                self.h - BOTTOM + 16.0,
                esc(&label)
            );
        }
    }

    fn zero(&self, out: &mut String) {
        if self.y.0 < 0.0 && self.y.1 > 0.0 {
            let y = self.py(0.0);
            let _ = writeln!(
                out,
                "<line class=\"zero\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>",
                self.w - RIGHT
            );
        }
    }

    fn axis_labels(&self, out: &mut String, x_label: &str, y_label: &str) {
        if !x_label.is_empty() {
            let _ = writeln!(
                out,
                "<text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                self.w - RIGHT,
                self.h - 2.0,
                esc(x_label)
            );
        }
        if !y_label.is_empty() {
            let _ = writeln!(
                out,
                "<text class=\"axis\" x=\"12\" y=\"{:.1}\" transform=\"rotate(-90 12 {:.1})\" text-anchor=\"middle\">{}</text>",
                self.h / 2.0,
                self.h / 2.0,
                esc(y_label)
            );
        }
    }
}

/// Lowest and highest finite value, padded by 5 % (±1 or ±5 % of the value for a flat series).
fn padded(values: impl Iterator<Item = f64>, include_zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if include_zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    if !(lo.is_finite() && hi.is_finite()) {
        return (0.0, 1.0);
    }
    let span = hi - lo;
    if span > 1e-12 * hi.abs().max(lo.abs()) {
        (lo - 0.05 * span, hi + 0.05 * span)
    } else {
        let d = if lo != 0.0 { 0.05 * lo.abs() } else { 1.0 };
        (lo - d, hi + d)
    }
}

/// An HTML legend: a coloured swatch and a label per entry.
pub fn legend(items: &[(&str, &str)]) -> String {
    let mut out = String::from("<div class=\"legend\">");
    for (label, color) in items {
        let _ = write!(
            out,
            "<span><i style=\"background:{}\"></i>{}</span>",
            esc(color),
            esc(label)
        );
    }
    out.push_str("</div>\n");
    out
}

/// A line chart of one or more lines on a shared x axis.
pub fn line_chart(
    name: &str,
    aria: &str,
    lines: &[Line<'_>],
    x_axis: XAxis,
    y_fmt: Fmt,
    size: Size,
    include_zero: bool,
) -> String {
    let xs = lines
        .iter()
        .flat_map(|l| l.xs.iter().copied())
        .filter(|x| x.is_finite());
    let (x_lo, x_hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
    let (x_lo, x_hi) = if x_lo.is_finite() {
        (x_lo, x_hi.max(x_lo + 1e-9))
    } else {
        (0.0, 1.0)
    };
    let columns = (size.width - LEFT - RIGHT) as usize;
    let thinned: Vec<Vec<(f64, f64)>> = lines.iter().map(|l| thin(l.xs, l.ys, x_lo, x_hi, columns)).collect();
    let any_fill = lines.iter().any(|l| l.fill);
    let frame = Frame {
        w: size.width,
        h: size.height,
        x: (x_lo, x_hi),
        y: padded(thinned.iter().flatten().map(|p| p.1), include_zero || any_fill),
    };
    let mut out = frame.open(name, aria);
    frame.y_grid(&mut out, y_fmt);
    frame.x_grid(&mut out, x_axis);
    frame.zero(&mut out);
    for (line, pts) in lines.iter().zip(&thinned) {
        let mut d = String::with_capacity(pts.len() * 14);
        let mut pen_up = true;
        // Each unbroken run, for the fill's closing edges.
        let mut runs: Vec<(f64, f64)> = Vec::new();
        let mut fill = String::new();
        let close_run = |runs: &mut Vec<(f64, f64)>, fill: &mut String| {
            if let (Some(first), Some(last)) = (runs.first(), runs.last()) {
                let base = frame.py(0.0f64.clamp(frame.y.0, frame.y.1));
                let _ = write!(fill, "M{:.1},{base:.1}", first.0);
                for (x, y) in runs.iter() {
                    let _ = write!(fill, "L{x:.1},{y:.1}");
                }
                let _ = write!(fill, "L{:.1},{base:.1}Z", last.0);
            }
            runs.clear();
        };
        for &(x, y) in pts {
            if !y.is_finite() {
                pen_up = true;
                close_run(&mut runs, &mut fill);
                continue;
            }
            let (px, py) = (frame.px(x), frame.py(y));
            let _ = write!(d, "{}{px:.1},{py:.1}", if pen_up { 'M' } else { 'L' });
            pen_up = false;
            runs.push((px, py));
        }
        close_run(&mut runs, &mut fill);
        if line.fill && !fill.is_empty() {
            let _ = writeln!(
                out,
                "<path d=\"{fill}\" fill=\"{}\" fill-opacity=\"0.18\" stroke=\"none\"/>",
                esc(line.color)
            );
        }
        if !d.is_empty() {
            let _ = writeln!(
                out,
                "<path class=\"line\" d=\"{d}\" stroke=\"{}\"><title>{}</title></path>",
                esc(line.color),
                esc(line.label)
            );
        }
    }
    out.push_str("</svg>\n");
    out
}

/// Bars for labelled categories (e.g. yearly returns), green above zero and red below, with
/// each value written at the bar's end.
pub fn bar_chart(name: &str, aria: &str, labels: &[String], values: &[f64], fmt: Fmt, size: Size) -> String {
    let n = labels.len().min(values.len());
    let frame = Frame {
        w: size.width,
        h: size.height,
        x: (0.0, n.max(1) as f64),
        y: padded(values[..n].iter().copied(), true),
    };
    let mut out = frame.open(name, aria);
    frame.y_grid(&mut out, fmt);
    frame.zero(&mut out);
    let (_, step) = nice_ticks(frame.y.0, frame.y.1, 5);
    let slot = (frame.w - LEFT - RIGHT) / n.max(1) as f64;
    let bar_w = (slot * 0.7).min(80.0);
    let y0 = frame.py(0.0f64.clamp(frame.y.0, frame.y.1));
    for (i, (label, &v)) in labels.iter().zip(values).enumerate().take(n) {
        let cx = frame.px(i as f64 + 0.5);
        let y = frame.py(v);
        let (top, h) = if v >= 0.0 { (y, y0 - y) } else { (y0, y - y0) };
        let color = if v >= 0.0 { GREEN } else { RED };
        let text_y = if v >= 0.0 { top - 4.0 } else { top + h + 12.0 };
        let _ = writeln!(
            out,
            "<rect x=\"{:.1}\" y=\"{top:.1}\" width=\"{bar_w:.1}\" height=\"{:.1}\" fill=\"{color}\"><title>{}: {}</title></rect><text class=\"value\" x=\"{cx:.1}\" y=\"{text_y:.1}\" text-anchor=\"middle\">{}</text><text class=\"tick\" x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            cx - bar_w / 2.0,
            h.max(0.5),
            esc(label),
            esc(&fmt.label(v, step / 10.0)),
            esc(&fmt.label(v, step / 10.0)),
            size.height - BOTTOM + 16.0,
            esc(label)
        );
    }
    out.push_str("</svg>\n");
    out
}

/// A histogram's bins as bars, with its normal overlay as a line when it has one.
pub fn histogram_chart(
    name: &str,
    aria: &str,
    h: &Histogram,
    x_fmt: Fmt,
    color: &str,
    x_label: &str,
    size: Size,
) -> String {
    let (lo, hi) = match (h.bins.first(), h.bins.last()) {
        (Some(a), Some(b)) => (a.lo, b.hi),
        _ => (0.0, 1.0),
    };
    let top = h
        .bins
        .iter()
        .map(|b| b.count as f64)
        .chain(h.normal_counts.iter().copied())
        .fold(0.0, f64::max);
    let frame = Frame {
        w: size.width,
        h: size.height,
        x: (lo, if hi > lo { hi } else { lo + 1.0 }),
        // Counts are whole: at least 0..5, so the ticks stay whole numbers.
        y: (0.0, (top * 1.08).max(5.0)),
    };
    let mut out = frame.open(name, aria);
    frame.y_grid(&mut out, Fmt::Compact);
    frame.x_grid(&mut out, XAxis::Value(x_fmt));
    let (_, step) = nice_ticks(lo, hi, 8);
    for b in &h.bins {
        let (x0, x1) = (frame.px(b.lo), frame.px(b.hi));
        let y = frame.py(b.count as f64);
        let _ = writeln!(
            out,
            "<rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\" fill-opacity=\"0.75\"><title>{} to {}: {}</title></rect>",
            x0 + 0.5,
            (x1 - x0 - 1.0).max(0.5),
            (frame.py(0.0) - y).max(0.0),
            esc(color),
            esc(&x_fmt.label(b.lo, step / 10.0)),
            esc(&x_fmt.label(b.hi, step / 10.0)),
            b.count
        );
    }
    if !h.normal_counts.is_empty() {
        let mut d = String::new();
        for (k, (b, c)) in h.bins.iter().zip(&h.normal_counts).enumerate() {
            let _ = write!(
                d,
                "{}{:.1},{:.1}",
                if k == 0 { 'M' } else { 'L' },
                frame.px(0.5 * (b.lo + b.hi)),
                frame.py(*c)
            );
        }
        let _ = writeln!(
            out,
            "<path class=\"line overlay\" d=\"{d}\" stroke=\"{ORANGE}\"><title>normal fit</title></path>"
        );
    }
    frame.axis_labels(&mut out, x_label, "count");
    out.push_str("</svg>\n");
    out
}

/// One point of a scatter plot.
#[derive(Debug, Clone, Copy)]
pub struct Point<'a> {
    pub x: f64,
    pub y: f64,
    pub color: &'a str,
}

/// A scatter plot with zero lines; points falling on the same pixel with the same colour are
/// drawn once.
pub fn scatter(
    name: &str,
    aria: &str,
    points: &[Point<'_>],
    x_fmt: Fmt,
    y_fmt: Fmt,
    labels: (&str, &str),
    size: Size,
) -> String {
    let frame = Frame {
        w: size.width,
        h: size.height,
        x: padded(points.iter().map(|p| p.x), true),
        y: padded(points.iter().map(|p| p.y), true),
    };
    let mut out = frame.open(name, aria);
    frame.y_grid(&mut out, y_fmt);
    frame.x_grid(&mut out, XAxis::Value(x_fmt));
    frame.zero(&mut out);
    if frame.x.0 < 0.0 && frame.x.1 > 0.0 {
        let x = frame.px(0.0);
        let _ = writeln!(
            out,
            "<line class=\"zero\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{TOP}\" y2=\"{:.1}\"/>",
            size.height - BOTTOM
        );
    }
    let mut seen: BTreeSet<(i32, i32, &str)> = BTreeSet::new();
    let _ = frame.columns();
    for p in points.iter().filter(|p| p.x.is_finite() && p.y.is_finite()) {
        let (px, py) = (frame.px(p.x), frame.py(p.y));
        if seen.insert((px.round() as i32, py.round() as i32, p.color)) {
            let _ = writeln!(
                out,
                "<circle cx=\"{px:.0}\" cy=\"{py:.0}\" r=\"3\" fill=\"{}\" fill-opacity=\"0.6\"/>",
                esc(p.color)
            );
        }
    }
    frame.axis_labels(&mut out, labels.0, labels.1);
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thin_keeps_min_and_max_per_column() {
        // 1000 points over [0, 999] into 10 columns: each column keeps its low and high.
        let xs: Vec<f64> = (0..1000).map(f64::from).collect();
        let ys: Vec<f64> = (0..1000)
            .map(|i| if i == 503 { 100.0 } else { f64::from(i % 7) })
            .collect();
        let t = thin(&xs, &ys, 0.0, 999.0, 10);
        assert!(t.len() <= 20, "{}", t.len());
        assert!(t.contains(&(503.0, 100.0)), "the spike survives");
        assert!(t.windows(2).all(|w| w[0].0 < w[1].0), "in x order");
        // Short series pass through.
        assert_eq!(
            thin(&[1.0, 2.0], &[3.0, 4.0], 1.0, 2.0, 10),
            vec![(1.0, 3.0), (2.0, 4.0)]
        );
    }

    #[test]
    fn nice_ticks_round_steps() {
        let (t, step) = nice_ticks(0.0, 1.0, 5);
        assert_eq!(step, 0.2);
        assert_eq!(t.len(), 6);
        let (t, step) = nice_ticks(-0.13, 0.07, 5);
        assert_eq!(step, 0.05);
        assert_eq!(t.first().copied(), Some(-0.1));
    }

    #[test]
    fn time_ticks_calendar() {
        // 2020-01-01 .. 2024-12-31: yearly ticks labelled by year.
        let t = time_ticks(1_577_836_800.0, 1_735_603_200.0);
        let labels: Vec<&str> = t.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(labels, vec!["2020", "2021", "2022", "2023", "2024"]);
        // One trading day of minutes: hourly ticks.
        let t = time_ticks(1_577_871_000.0, 1_577_894_400.0);
        assert!(t.iter().all(|(_, l)| l.len() == 5 && l.contains(':')), "{t:?}");
    }
}
