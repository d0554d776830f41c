//! Drawdowns: how far and how long equity stays below its running peak.
//!
//! The running peak starts at the initial cash, so a first-bar commission already counts as a
//! drawdown. That starting peak is dated at the first timestamp (the account holds the initial cash
//! when the first bar opens). A drawdown lasts from its peak to the first bar whose equity is back
//! at or above the peak (its recovery), or to the last bar if it never recovers.

use crate::results::{EquityCurve, Stretch};
use crate::timeline::TimeColumn;
use crate::types::TimestampNs;

/// The deepest drawdown of a run.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MaxDrawdown {
    /// `trough / peak - 1`: a negative fraction, e.g. -0.25 for a 25 % fall.
    pub depth: f64,
    pub peak_ts: TimestampNs,
    pub trough_ts: TimestampNs,
    /// First timestamp back at or above the peak; `None` if never recovered.
    pub recovery_ts: Option<TimestampNs>,
    /// Bars from peak to recovery, or to the last bar if not recovered.
    pub duration_bars: usize,
    /// Nanoseconds from peak to recovery, or to the last bar if not recovered.
    pub duration_ns: i64,
}

/// Drawdown figures of an equity curve.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DrawdownStats {
    /// `None` when equity never falls below its running peak.
    pub max: Option<MaxDrawdown>,
    /// The longest drawdown (not necessarily the deepest), in bars and in ns.
    pub longest_bars: usize,
    pub longest_ns: i64,
}

/// One stretch below the running peak, by bar index.
#[derive(Clone, Copy)]
struct Episode {
    peak: usize,
    trough: usize,
    depth: f64,
    /// The lowest equity of the episode so far (the trough's, or one as deep).
    low: f64,
}

/// Analyses `equity` (one value per timestamp in `ts`); extra entries of the longer slice are ignored.
pub fn drawdown_stats(init_cash: f64, ts: &[i64], equity: &[f64]) -> DrawdownStats {
    drawdown_stats_at(init_cash, ts.len(), |i| ts.get(i).copied(), equity)
}

/// [`drawdown_stats`] with the `n_ts` timestamps read through `ts` (only at the peaks,
/// troughs and recoveries of drawdowns: a stored time column need not be materialised).
pub fn drawdown_stats_at(
    init_cash: f64,
    n_ts: usize,
    ts: impl Fn(usize) -> Option<i64>,
    equity: &[f64],
) -> DrawdownStats {
    let ts = Times { n: n_ts, at: ts };
    let n = n_ts.min(equity.len());
    let mut walk = Walk::new(init_cash);
    for (i, &e) in equity[..n].iter().enumerate() {
        walk.push(i, e, &ts);
    }
    walk.finish(&ts)
}

/// [`drawdown_stats`] of a stored curve (its own timestamps), see [`CurveDrawdown`].
pub fn drawdown_stats_of(init_cash: f64, curve: &EquityCurve) -> DrawdownStats {
    let mut acc = CurveDrawdown::new(init_cash);
    let mut i = 0;
    curve.for_each_stretch(|s| {
        acc.add(i, &s, curve.times());
        i += s.len();
    });
    acc.finish(curve.times())
}

/// [`drawdown_stats`] of an equity curve fed a [`Stretch`] at a time (with the other metrics'
/// walk). After the first point of a flat stretch, equal values change nothing but the index
/// of a new peak, so only its first and last points are looked at. Equal to the point-by-point
/// figures.
#[derive(Clone, Copy)]
pub struct CurveDrawdown {
    walk: Walk,
}

impl CurveDrawdown {
    pub fn new(init_cash: f64) -> Self {
        CurveDrawdown {
            walk: Walk::new(init_cash),
        }
    }

    /// The stretch starting at point `i` of the curve whose timestamps are `times`.
    #[inline]
    pub fn add(&mut self, i: usize, stretch: &Stretch<'_>, times: &TimeColumn) {
        match *stretch {
            Stretch::Held { equity, .. } => {
                // In a local for the stretch: kept in `self` it would go through memory.
                let mut walk = self.walk;
                for (j, &e) in equity.iter().enumerate() {
                    walk.push(i + j, e, times);
                }
                self.walk = walk;
            }
            Stretch::Flat { cash, n } => {
                if n > 0 {
                    self.walk.push(i, cash, times);
                    if n > 1 {
                        self.walk.push(i + n - 1, cash, times);
                    }
                }
            }
        }
    }

    /// Point `i` of a held stretch, with equity `e`.
    #[inline(always)]
    pub(super) fn push_point(&mut self, i: usize, e: f64, times: &TimeColumn) {
        self.walk.push(i, e, times);
    }

    /// The figures, after every stretch of the curve with timestamps `times` was added.
    pub fn finish(self, times: &TimeColumn) -> DrawdownStats {
        self.walk.finish(times)
    }
}

/// The running peak and the drawdown in progress, a point at a time.
#[derive(Clone, Copy)]
struct Walk {
    stats: DrawdownStats,
    peak_value: f64,
    peak: usize,
    open: Option<Episode>,
}

impl Walk {
    fn new(init_cash: f64) -> Self {
        Walk {
            stats: DrawdownStats::default(),
            peak_value: init_cash,
            peak: 0,
            open: None,
        }
    }

    #[inline]
    fn depth(&self, e: f64) -> f64 {
        if self.peak_value > 0.0 {
            e / self.peak_value - 1.0
        } else {
            0.0
        }
    }

    /// Point `i` with equity `e`.
    #[inline(always)]
    fn push(&mut self, i: usize, e: f64, ts: &impl TimeAt) {
        if e >= self.peak_value {
            if let Some(ep) = self.open.take() {
                self.stats.close(ep, Some(i), ts);
            }
            self.peak_value = e;
            self.peak = i;
            return;
        }
        match &mut self.open {
            // Within an episode the peak is fixed, and the depth never rises as the equity
            // falls (division and subtraction round monotonically): only a new low can
            // deepen it, so only a new low is divided (strictly deeper, as point by point).
            Some(ep) => {
                if e < ep.low {
                    ep.low = e;
                    let depth = if self.peak_value > 0.0 {
                        e / self.peak_value - 1.0
                    } else {
                        0.0
                    };
                    if depth < ep.depth {
                        ep.depth = depth;
                        ep.trough = i;
                    }
                }
            }
            None => {
                self.open = Some(Episode {
                    peak: self.peak,
                    trough: i,
                    depth: self.depth(e),
                    low: e,
                })
            }
        }
    }

    fn finish(mut self, ts: &impl TimeAt) -> DrawdownStats {
        if let Some(ep) = self.open {
            self.stats.close(ep, None, ts);
        }
        self.stats
    }
}

/// The run's timestamps: how many, and the `i`-th.
trait TimeAt {
    fn n(&self) -> usize;
    fn at(&self, i: usize) -> Option<i64>;
}

/// Timestamps read through a function.
struct Times<F> {
    n: usize,
    at: F,
}

impl<F: Fn(usize) -> Option<i64>> TimeAt for Times<F> {
    fn n(&self) -> usize {
        self.n
    }

    fn at(&self, i: usize) -> Option<i64> {
        (self.at)(i)
    }
}

impl TimeAt for TimeColumn {
    fn n(&self) -> usize {
        self.len()
    }

    fn at(&self, i: usize) -> Option<i64> {
        self.get(i)
    }
}

impl DrawdownStats {
    /// Records a finished (or, with `recovery == None`, still open at the end) episode.
    #[inline(never)]
    fn close(&mut self, ep: Episode, recovery: Option<usize>, ts: &impl TimeAt) {
        let end = recovery.unwrap_or(ts.n().saturating_sub(1));
        let ts_at = |i: usize| TimestampNs(ts.at(i).unwrap_or_default());
        let duration_bars = end.saturating_sub(ep.peak);
        let duration_ns = ts_at(end).0.saturating_sub(ts_at(ep.peak).0);
        if duration_bars > self.longest_bars {
            self.longest_bars = duration_bars;
            self.longest_ns = duration_ns;
        }
        // Strictly deeper: on a tie the earlier drawdown stays.
        if ep.depth < 0.0 && self.max.is_none_or(|m| ep.depth < m.depth) {
            self.max = Some(MaxDrawdown {
                depth: ep.depth,
                peak_ts: ts_at(ep.peak),
                trough_ts: ts_at(ep.trough),
                recovery_ts: recovery.map(ts_at),
                duration_bars,
                duration_ns,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::metrics::assert_close;

    /// Stretch by stretch, a stored curve gives the point-by-point figures.
    #[test]
    fn drawdown_of_curve_equals_point_by_point() {
        for (k, c) in crate::results::equity::tests::random_curves(8, 400).iter().enumerate() {
            let init = [1_000.0, 0.0, -5.0, 100.0][k % 4];
            let want = drawdown_stats(init, &c.ts(), &c.equity());
            let got = drawdown_stats_of(init, c);
            assert_eq!(format!("{got:?}"), format!("{want:?}"), "curve {k}");
        }
    }

    #[test]
    fn drawdown_recovered_then_open() {
        let ts = [10, 20, 30, 40, 50, 60];
        // Peak 120 at ts 20, trough 90 at ts 30 (90/120 - 1 = -0.25), recovered by 130 at ts 50:
        // 3 bars, 30 ns. Then 117/130 - 1 = -0.1, open at the end: 1 bar.
        let s = drawdown_stats(100.0, &ts, &[100.0, 120.0, 90.0, 110.0, 130.0, 117.0]);
        let m = s.max.unwrap();
        assert_close(m.depth, -0.25);
        assert_eq!(m.peak_ts, TimestampNs(20));
        assert_eq!(m.trough_ts, TimestampNs(30));
        assert_eq!(m.recovery_ts, Some(TimestampNs(50)));
        assert_eq!((m.duration_bars, m.duration_ns), (3, 30));
        assert_eq!((s.longest_bars, s.longest_ns), (3, 30));
    }

    #[test]
    fn drawdown_longest_is_not_the_deepest() {
        let ts = [0, 1, 2, 3, 4, 5, 6];
        // -20 % from bar 0, recovered at bar 2 (2 bars); then -1 % from bar 2 (equal to the peak,
        // so a new peak) never recovered: 6 - 2 = 4 bars.
        let s = drawdown_stats(100.0, &ts, &[100.0, 80.0, 100.0, 99.0, 99.0, 99.0, 99.0]);
        let m = s.max.unwrap();
        assert_close(m.depth, -0.2);
        assert_eq!(
            (m.peak_ts, m.recovery_ts, m.duration_bars),
            (TimestampNs(0), Some(TimestampNs(2)), 2)
        );
        assert_eq!((s.longest_bars, s.longest_ns), (4, 4));
    }

    #[test]
    fn drawdown_from_init_cash_on_first_bar() {
        // A first-bar commission: 100 -> 99 -> 98 -> 100. Peak is the initial cash, dated ts[0].
        let s = drawdown_stats(100.0, &[5, 6, 7], &[99.0, 98.0, 100.0]);
        let m = s.max.unwrap();
        assert_close(m.depth, -0.02);
        assert_eq!(
            (m.peak_ts, m.trough_ts, m.recovery_ts),
            (TimestampNs(5), TimestampNs(6), Some(TimestampNs(7)))
        );
        assert_eq!((m.duration_bars, m.duration_ns), (2, 2));
    }

    #[test]
    fn drawdown_unrecovered_runs_to_the_end() {
        let s = drawdown_stats(100.0, &[0, 10, 20], &[100.0, 50.0, 60.0]);
        let m = s.max.unwrap();
        assert_close(m.depth, -0.5);
        assert_eq!((m.recovery_ts, m.duration_bars, m.duration_ns), (None, 2, 20));
    }

    #[test]
    fn drawdown_duration_saturates_across_the_whole_time_range() {
        let s = drawdown_stats(100.0, &[i64::MIN, 0, i64::MAX], &[100.0, 50.0, 60.0]);
        let m = s.max.unwrap();
        assert_eq!((m.duration_bars, m.duration_ns), (2, i64::MAX));
        assert_eq!(s.longest_ns, i64::MAX);
    }

    #[test]
    fn drawdown_none_when_never_below_peak() {
        assert_eq!(drawdown_stats(100.0, &[], &[]), DrawdownStats::default());
        let s = drawdown_stats(100.0, &[0, 1, 2], &[100.0, 101.0, 101.0]);
        assert_eq!(s, DrawdownStats::default());
    }
}
