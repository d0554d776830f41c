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
    fn record_held(&mut self, times: &TimeColumn, from: usize, to: usize, close: &[f64], qty: f64, cash: f64) {
        debug_assert_eq!(close.len(), to.saturating_sub(from));
        if close.is_empty() {
            return;
        }
        if close.iter().any(|&c| qty * c == 0.0) {
            // A position worth exactly nothing makes a flat point: one point at a time.
            for (i, &c) in (from..to).zip(close) {
                let v = qty * c;
                self.push(TimestampNs(times.get(i).unwrap_or_default()), cash + v, cash, v.abs());
            }
            return;
        }
        // Every point is held (its exposure is not zero): the cash step of the first (as `push`
        // records it), the timestamps a run at a time, and the values in two plain loops.
        if self
            .cash_steps
            .last()
            .is_none_or(|&(_, c)| c.to_bits() != cash.to_bits())
        {
            self.cash_steps.push((self.ts.len(), cash));
        }
        self.ts.extend_from_column(times, from, to);
        self.held_equity.extend(close.iter().map(|&c| cash + qty * c));
        self.held_gross.extend(close.iter().map(|&c| (qty * c).abs()));
    }
}

/// Consecutive points of an [`EquityCurve`] (see [`EquityCurve::for_each_stretch`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stretch<'a> {
    /// Points with a position: their equity and gross exposure.
    Held { equity: &'a [f64], gross: &'a [f64] },
    /// `n` flat points at `cash`: equity `cash`, gross exposure 0.
    Flat { cash: f64, n: usize },
}

impl Stretch<'_> {
    /// Its number of points.
    #[inline]
    pub fn len(&self) -> usize {
        match self {
            Stretch::Held { equity, .. } => equity.len(),
            Stretch::Flat { n, .. } => *n,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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

    /// [`EquityCurve::with_capacity`] in this curve's storage: emptied, its buffers kept (and
    /// their pages, already faulted in), so a run on the same thread after another writes
    /// into warm memory.
    pub(crate) fn reuse(mut self, n: usize) -> Self {
        self.ts.clear();
        self.flat.clear();
        self.held_equity.clear();
        self.held_gross.clear();
        self.cash_steps.clear();
        if self.held_equity.capacity() < n {
            return Self::with_capacity(n);
        }
        self.cash_steps.reserve(n / 4);
        self.flat.reserve(n / 8);
        self
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

    /// The timestamps, as stored (arithmetic runs).
    pub fn times(&self) -> &TimeColumn {
        &self.ts
    }

    /// Timestamps (ns since the epoch, UTC) of every point.
    pub fn ts(&self) -> Vec<i64> {
        self.ts.iter().collect()
    }

    /// Equity at every point.
    pub fn equity(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.len());
        self.for_each_stretch(|stretch| match stretch {
            Stretch::Held { equity, .. } => out.extend_from_slice(equity),
            Stretch::Flat { cash, n } => out.extend(std::iter::repeat_n(cash, n)),
        });
        out
    }

    /// Calls `f(equity, gross exposure)` for every point in order: the values of [`iter`]
    /// (`Self::iter`) without its per-point bookkeeping.
    pub fn for_each_value(&self, mut f: impl FnMut(f64, f64)) {
        self.for_each_stretch(|stretch| match stretch {
            Stretch::Held { equity, gross } => equity.iter().zip(gross).for_each(|(&e, &g)| f(e, g)),
            Stretch::Flat { cash, n } => (0..n).for_each(|_| f(cash, 0.0)),
        });
    }

    /// The points in order, a [`Stretch`] at a time. Statistics over a long curve walk it once
    /// or twice per run (a sweep: per combination), and a flat stretch needs no per-point reads.
    pub fn for_each_stretch(&self, mut f: impl FnMut(Stretch<'_>)) {
        let steps = &self.cash_steps;
        // `k`: the first cash step after the current point (steps and flat ranges both ascend,
        // so one cursor serves the whole walk).
        let (mut i, mut h, mut k) = (0, 0, 0);
        for &(from, to) in &self.flat {
            let n = from - i;
            if n > 0 {
                f(Stretch::Held {
                    equity: &self.held_equity[h..h + n],
                    gross: &self.held_gross[h..h + n],
                });
            }
            h += n;
            while steps.get(k).is_some_and(|s| s.0 <= from) {
                k += 1;
            }
            let mut cash = k.checked_sub(1).map_or(f64::NAN, |j| steps[j].1);
            let mut p = from;
            while p < to {
                let change = steps.get(k).map_or(usize::MAX, |s| s.0);
                let stop = change.min(to);
                f(Stretch::Flat { cash, n: stop - p });
                p = stop;
                if p == change {
                    cash = steps[k].1;
                    k += 1;
                }
            }
            i = to;
        }
        if h < self.held_equity.len() {
            f(Stretch::Held {
                equity: &self.held_equity[h..],
                gross: &self.held_gross[h..],
            });
        }
    }

    /// Gross exposure at every point.
    pub fn gross_exposure(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.len());
        self.for_each_stretch(|stretch| match stretch {
            Stretch::Held { gross, .. } => out.extend_from_slice(gross),
            Stretch::Flat { n, .. } => out.extend(std::iter::repeat_n(0.0, n)),
        });
        out
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
pub(crate) mod tests {
    use super::*;

    /// `count` random curves mixing flat and held points, with cash changes (inside flat
    /// stretches too) at positive, zero and negative cash: for tests of readers of the curve.
    pub(crate) fn random_curves(seed: u64, count: usize) -> Vec<EquityCurve> {
        let mut rnd = crate::test_rng(seed);
        (0..count)
            .map(|_| {
                let mut c = EquityCurve::with_capacity(8);
                let mut cash = 1_000.0 / 3.0;
                for t in 0..rnd(60) as i64 {
                    if rnd(5) == 0 {
                        cash = rnd(2_000) as f64 / 7.0 - 200.0;
                    }
                    match rnd(3) {
                        0 => c.push(TimestampNs(t), cash, cash, 0.0),
                        1 if !c.is_empty() && rnd(2) == 0 => c.push_flat([t]),
                        _ => {
                            let g = rnd(300) as f64 / 3.0;
                            c.push(TimestampNs(t), cash + g, cash, g);
                        }
                    }
                }
                c
            })
            .collect()
    }

    /// Each point's (equity, gross exposure) bits.
    type Bits = Vec<(u64, u64)>;

    /// The points' bits through `for_each_value` and through `iter`.
    fn walked_and_iterated(c: &EquityCurve) -> (Bits, Bits) {
        let mut walked = Vec::new();
        c.for_each_value(|e, g| walked.push((e.to_bits(), g.to_bits())));
        let iterated = c
            .iter()
            .map(|p| (p.equity.to_bits(), p.gross_exposure.to_bits()))
            .collect();
        (walked, iterated)
    }

    /// The stretch-wise walk gives the points' values exactly, whatever mix of flat and held
    /// points and cash changes the curve holds.
    #[test]
    fn equity_curve_walk_equals_iter_on_random_curves() {
        for c in random_curves(99, 300) {
            let (walked, iterated) = walked_and_iterated(&c);
            assert_eq!(walked, iterated);
            let eq: Vec<_> = c.equity().iter().map(|v| v.to_bits()).collect();
            assert_eq!(eq, iterated.iter().map(|p| p.0).collect::<Vec<_>>());
            let gross: Vec<_> = c.gross_exposure().iter().map(|v| v.to_bits()).collect();
            assert_eq!(gross, iterated.iter().map(|p| p.1).collect::<Vec<_>>());
        }
    }

    /// A held stretch recorded at once is stored exactly as its points pushed one by one
    /// (zero closes, which make flat points, and cash changes included).
    #[test]
    fn equity_curve_record_held_equals_pushes() {
        let mut rnd = crate::test_rng(5);
        for _ in 0..300 {
            let n = rnd(40) as usize + 1;
            let mut times = TimeColumn::default();
            times.extend((0..n as i64).map(|i| i * 60 + if i > 20 { 7 } else { 0 }));
            let close: Vec<f64> = (0..n)
                .map(|_| if rnd(15) == 0 { 0.0 } else { rnd(1_000) as f64 / 7.0 })
                .collect();
            let qty = [-3.0, 2.0, 100.0][rnd(3) as usize];
            let (cash, before) = ([1_000.0, -50.5][rnd(2) as usize], rnd(3));
            let from = rnd(n as u64) as usize;
            let (mut a, mut b) = (EquityCurve::with_capacity(4), EquityCurve::with_capacity(4));
            for c in [&mut a, &mut b] {
                c.push(TimestampNs(-60), 10.0, if before == 0 { cash } else { 10.0 }, 0.0);
            }
            a.record_held(&times, from, n, &close[from..], qty, cash);
            for (i, &px) in (from..n).zip(&close[from..]) {
                let v = qty * px;
                b.push(TimestampNs(times.get(i).unwrap()), cash + v, cash, v.abs());
            }
            assert_eq!(a, b);
        }
    }

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
        let (walked, iterated) = walked_and_iterated(&c);
        assert_eq!(walked, iterated);
        assert_eq!(EquityCurve::default().last(), None);
        assert!(EquityCurve::default().is_empty());
    }
}
