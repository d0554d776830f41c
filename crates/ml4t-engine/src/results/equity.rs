//! The equity curve: one point per timestamp of a run, stored compactly.
//!
//! Recording the curve is what bounds a long run's speed: every point is fresh memory the kernel
//! has to zero on first touch. So nothing is stored that can be derived:
//! - timestamps as arithmetic runs (minute bars without gaps are one run, a trading day of
//!   minute bars is one run, weekday daily bars are one run per week);
//! - cash as a step series (it changes only at fills);
//! - equity and gross exposure only where the account is not flat; a flat point (equity equal
//!   to cash bit for bit, no exposure) is part of an index range.
//!
//! On 10M single-asset bars this takes the curve from 240 MB to a few MB for a strategy that is
//! mostly out of the market. Every accessor gives back exactly (to the bit) what was recorded.

use super::advise_huge_pages;
use crate::execution::EquityRecorder;
use crate::timeline::TimeColumn;
use crate::types::TimestampNs;

/// Per-timestamp account values of a run. Read it with [`EquityCurve::iter`] (no copies) or the
/// column accessors (one `Vec` each).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EquityCurve {
    ts: TimeColumn,
    /// Ranges `start..end` of flat points, in order, disjoint and never adjacent.
    flat: Vec<(usize, usize)>,
    /// Equity and gross exposure of the points outside `flat`, in order.
    held_equity: Vec<f64>,
    held_gross: Vec<f64>,
    /// (first point index, cash) at each change of cash.
    cash_steps: Vec<(usize, f64)>,
}

impl EquityRecorder for EquityCurve {
    #[inline]
    fn record(&mut self, ts: TimestampNs, equity: f64, cash: f64, gross_exposure: f64) {
        self.push(ts, equity, cash, gross_exposure);
    }

    #[inline]
    fn record_flat(&mut self, times: &TimeColumn, from: usize, to: usize) {
        self.push_flat_times(times, from, to);
    }

    #[inline]
    fn record_held(&mut self, ts: &[i64], close: &[f64], qty: f64, cash: f64) {
        if ts.is_empty() {
            return;
        }
        // The first point carries the cash (a new step if it changed); the rest reuse it.
        let v = qty * close[0];
        self.push(TimestampNs(ts[0]), cash + v, cash, v.abs());
        self.extend_same_cash(ts[1..].iter().zip(&close[1..]).map(|(&t, &c)| {
            let v = qty * c;
            (t, cash + v, v.abs())
        }));
    }
}

/// One point of an [`EquityCurve`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EquityPoint {
    pub ts: TimestampNs,
    /// Cash plus the marked value of all positions at the timestamp's close.
    pub equity: f64,
    pub cash: f64,
    /// Sum of |qty * price| over positions.
    pub gross_exposure: f64,
}

impl EquityCurve {
    /// An empty curve for about `n` points. The equity columns are reserved, not touched: they
    /// take memory only where a position is held.
    pub fn with_capacity(n: usize) -> Self {
        // Cash steps and flat ranges: room for a run that trades every few bars, so a
        // trade-heavy run does not copy them as they grow (virtual until touched).
        let mut c = EquityCurve {
            held_equity: Vec::with_capacity(n),
            held_gross: Vec::with_capacity(n),
            cash_steps: Vec::with_capacity(n / 4),
            flat: Vec::with_capacity(n / 8),
            ..Default::default()
        };
        advise_huge_pages(&mut c.held_equity);
        advise_huge_pages(&mut c.held_gross);
        c
    }

    /// Records one timestamp.
    #[inline]
    pub fn push(&mut self, ts: TimestampNs, equity: f64, cash: f64, gross: f64) {
        if self
            .cash_steps
            .last()
            .is_none_or(|&(_, c)| c.to_bits() != cash.to_bits())
        {
            self.cash_steps.push((self.ts.len(), cash));
        }
        self.push_same_cash(ts, equity, gross);
    }

    /// Records one timestamp whose cash equals the previous one's (no fill since).
    #[inline]
    pub fn push_same_cash(&mut self, ts: TimestampNs, equity: f64, gross: f64) {
        let Some(&(_, cash)) = self.cash_steps.last() else {
            debug_assert!(false, "the first point needs its cash");
            return;
        };
        self.push_point(ts.0, equity, gross, cash);
    }

    /// Records `(timestamp, equity, gross exposure)` points, all with the previous point's cash.
    #[inline]
    pub fn extend_same_cash(&mut self, points: impl IntoIterator<Item = (i64, f64, f64)>) {
        let Some(&(_, cash)) = self.cash_steps.last() else {
            debug_assert!(false, "the first point needs its cash");
            return;
        };
        for (ts, equity, gross) in points {
            self.push_point(ts, equity, gross, cash);
        }
    }

    /// One point at `cash`: flat (part of a range) when its equity is the cash bit for bit and
    /// it has no exposure, so the flat form gives back exactly what was pushed.
    #[inline(always)]
    fn push_point(&mut self, ts: i64, equity: f64, gross: f64, cash: f64) {
        let i = self.ts.len();
        self.ts.push(ts);
        if equity.to_bits() == cash.to_bits() && gross.to_bits() == 0 {
            match self.flat.last_mut() {
                Some(run) if run.1 == i => run.1 = i + 1,
                _ => self.flat.push((i, i + 1)),
            }
        } else {
            self.held_equity.push(equity);
            self.held_gross.push(gross);
        }
    }

    /// Records as flat the timestamps `from..to` of `times` (the data's own timestamp runs):
    /// a regular stretch costs one run, whatever its length.
    #[inline]
    pub fn push_flat_times(&mut self, times: &TimeColumn, from: usize, to: usize) {
        let start = self.ts.len();
        self.ts.extend_from_column(times, from, to);
        self.mark_flat(start);
    }

    /// Records timestamps at which the account is flat (equity = the current cash, no exposure).
    #[inline]
    pub fn push_flat(&mut self, ts: impl IntoIterator<Item = i64>) {
        let start = self.ts.len();
        self.ts.extend(ts);
        self.mark_flat(start);
    }

    /// Points `start..` (just pushed) are flat.
    #[inline]
    fn mark_flat(&mut self, start: usize) {
        debug_assert!(!self.cash_steps.is_empty(), "the first point needs its cash");
        let end = self.ts.len();
        match self.flat.last_mut() {
            Some(run) if run.1 == start => run.1 = end,
            _ if end > start => self.flat.push((start, end)),
            _ => {}
        }
    }

    pub fn len(&self) -> usize {
        self.ts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ts.len() == 0
    }

    /// The points in order, without materialising any column.
    pub fn iter(&self) -> impl Iterator<Item = EquityPoint> + '_ {
        let mut flat = self.flat.iter().peekable();
        let mut cash = self.cash_steps.iter().peekable();
        let mut current_cash = f64::NAN;
        let mut held = 0;
        self.ts.iter().enumerate().map(move |(i, ts)| {
            while let Some(&&(from, c)) = cash.peek()
                && from <= i
            {
                current_cash = c;
                cash.next();
            }
            while flat.peek().is_some_and(|r| r.1 <= i) {
                flat.next();
            }
            let ts = TimestampNs(ts);
            if flat.peek().is_some_and(|r| r.0 <= i) {
                EquityPoint {
                    ts,
                    equity: current_cash,
                    cash: current_cash,
                    gross_exposure: 0.0,
                }
            } else {
                held += 1;
                EquityPoint {
                    ts,
                    equity: self.held_equity[held - 1],
                    cash: current_cash,
                    gross_exposure: self.held_gross[held - 1],
                }
            }
        })
    }

    /// The first timestamp.
    pub fn first_ts(&self) -> Option<TimestampNs> {
        self.ts.first().map(TimestampNs)
    }

    /// The last point.
    pub fn last(&self) -> Option<EquityPoint> {
        let i = self.len().checked_sub(1)?;
        let cash = self.cash_at(i);
        let flat = self.flat.last().is_some_and(|r| r.1 == self.len());
        Some(EquityPoint {
            ts: TimestampNs(self.ts.last()?),
            equity: if flat { cash } else { *self.held_equity.last()? },
            cash,
            gross_exposure: if flat { 0.0 } else { *self.held_gross.last()? },
        })
    }

    /// Timestamps (ns since the epoch, UTC) of every point.
    pub fn ts(&self) -> Vec<i64> {
        self.ts.iter().collect()
    }

    /// Equity at every point.
    pub fn equity(&self) -> Vec<f64> {
        self.iter().map(|p| p.equity).collect()
    }

    /// Gross exposure at every point.
    pub fn gross_exposure(&self) -> Vec<f64> {
        self.iter().map(|p| p.gross_exposure).collect()
    }

    /// Cash at the close of timestamp `i`.
    pub fn cash_at(&self, i: usize) -> f64 {
        let k = self.cash_steps.partition_point(|&(from, _)| from <= i);
        self.cash_steps.get(k.wrapping_sub(1)).map_or(0.0, |&(_, c)| c)
    }

    /// Cash at every point.
    pub fn cash(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.len());
        for (k, &(from, c)) in self.cash_steps.iter().enumerate() {
            let to = self.cash_steps.get(k + 1).map_or(self.len(), |&(next, _)| next);
            out.extend(std::iter::repeat_n(c, to.saturating_sub(from)));
        }
        out
    }

    /// Net exposure (`Σ qty * price`) at every point: equity minus cash.
    pub fn net_exposure(&self) -> Vec<f64> {
        self.iter().map(|p| p.equity - p.cash).collect()
    }

    /// Drawdown at each point as a fraction of the running peak (0 or negative).
    pub fn drawdown(&self) -> Vec<f64> {
        let mut peak = f64::NEG_INFINITY;
        self.iter()
            .map(|p| {
                peak = peak.max(p.equity);
                if peak > 0.0 { p.equity / peak - 1.0 } else { 0.0 }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pushes points through every entry point and reads them back: the compact form must give
    /// back exactly (to the bit) what was recorded.
    #[test]
    fn equity_curve_gives_back_what_was_pushed() {
        let mut c = EquityCurve::with_capacity(4);
        let mut want = Vec::new();
        let mut add = |c: &mut EquityCurve, ts: i64, equity: f64, cash: f64, gross: f64| {
            c.push(TimestampNs(ts), equity, cash, gross);
            want.push((ts, equity, cash, gross));
        };
        add(&mut c, 1, 100.0, 100.0, 0.0); // flat
        add(&mut c, 2, 100.0, 100.0, 0.0); // flat, same run
        add(&mut c, 3, 101.5, 10.0, 91.5); // held
        add(&mut c, 4, 10.0, 10.0, 0.0); // flat at the new cash
        add(&mut c, 5, 10.0, 10.0, -0.0); // a negative zero exposure is stored as given
        c.push_flat([6, 7]);
        c.extend_same_cash([(8, 12.0, 2.0), (9, 10.0, 0.0)]);
        let mut want: Vec<_> = want
            .into_iter()
            .chain([(6, 10.0, 10.0, 0.0), (7, 10.0, 10.0, 0.0)])
            .chain([(8, 12.0, 10.0, 2.0), (9, 10.0, 10.0, 0.0)])
            .collect();
        let got: Vec<_> = c.iter().map(|p| (p.ts.0, p.equity, p.cash, p.gross_exposure)).collect();
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(
                (g.0, g.1.to_bits(), g.2.to_bits(), g.3.to_bits()),
                (w.0, w.1.to_bits(), w.2.to_bits(), w.3.to_bits()),
                "{g:?} vs {w:?}"
            );
        }
        assert_eq!(c.len(), 9);
        assert_eq!(c.ts(), vec![1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert_eq!(c.equity(), want.iter().map(|w| w.1).collect::<Vec<_>>());
        assert_eq!(c.cash(), want.iter().map(|w| w.2).collect::<Vec<_>>());
        assert_eq!(c.gross_exposure()[2], 91.5);
        assert_eq!(c.net_exposure()[2], 91.5);
        assert_eq!(c.cash_at(2), 10.0);
        assert_eq!(c.first_ts(), Some(TimestampNs(1)));
        let last = want.pop().unwrap();
        assert_eq!(
            c.last().map(|p| (p.ts.0, p.equity, p.cash)),
            Some((last.0, last.1, last.2))
        );
        // Only the held points take equity and exposure storage; 1..=9 is one time run.
        assert_eq!((c.held_equity.len(), c.flat.len(), c.ts.run_count()), (3, 4, 1));
        assert_eq!(EquityCurve::default().last(), None);
        assert!(EquityCurve::default().is_empty());
    }
}
