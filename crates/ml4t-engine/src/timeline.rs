//! Timestamps stored as arithmetic runs: the storage that market data and the equity curve
//! share, so a quiet stretch of the data is copied into the curve a run segment at a time.

/// Timestamps as arithmetic runs: run `k` holds the points from `runs[k].start` up to the next
/// run's start, at `first + step * j`. Exact for any values (the arithmetic wraps consistently).
/// However the points arrive (one by one, from a slice or from another column), the runs are
/// the same, so equal columns compare equal.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimeColumn {
    runs: Vec<TimeRun>,
    len: usize,
    last: i64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct TimeRun {
    start: usize,
    first: i64,
    step: i64,
}

impl TimeColumn {
    #[inline]
    pub(crate) fn push(&mut self, t: i64) {
        match self.runs.last_mut() {
            Some(run) if self.len - run.start == 1 => run.step = t.wrapping_sub(run.first),
            Some(run) if self.last.wrapping_add(run.step) == t => {}
            _ => self.runs.push(TimeRun {
                start: self.len,
                first: t,
                step: 0,
            }),
        }
        self.len += 1;
        self.last = t;
    }

    /// Pushes each of `ts`; the points that continue the current run cost one comparison.
    pub(crate) fn extend(&mut self, ts: impl IntoIterator<Item = i64>) {
        let mut it = ts.into_iter();
        loop {
            let step = match self.runs.last() {
                Some(run) if self.len - run.start >= 2 => run.step,
                _ => match it.next() {
                    Some(t) => {
                        self.push(t);
                        continue;
                    }
                    None => return,
                },
            };
            let (mut expected, mut n) = (self.last.wrapping_add(step), 0);
            let mut other = None;
            for t in it.by_ref() {
                if t != expected {
                    other = Some(t);
                    break;
                }
                expected = expected.wrapping_add(step);
                n += 1;
            }
            self.len += n;
            self.last = expected.wrapping_sub(step);
            match other {
                Some(t) => self.push(t),
                None => return,
            }
        }
    }

    /// Appends points `from..to` of `other`, a run segment at a time.
    pub(crate) fn extend_from_column(&mut self, other: &TimeColumn, from: usize, to: usize) {
        let to = to.min(other.len);
        if from >= to {
            return;
        }
        let mut k = other.runs.partition_point(|r| r.start <= from) - 1;
        let mut at = from;
        while at < to {
            let run = other.runs[k];
            let end = other.runs.get(k + 1).map_or(other.len, |n| n.start).min(to);
            let first = run.first.wrapping_add(run.step.wrapping_mul((at - run.start) as i64));
            self.push_segment(first, run.step, end - at);
            at = end;
            k += 1;
        }
    }

    /// Appends `count` points `first + step * j`, as `count` single pushes would.
    fn push_segment(&mut self, first: i64, step: i64, count: usize) {
        if count == 0 {
            return;
        }
        self.push(first);
        let mut rest = count - 1;
        let mut next = first.wrapping_add(step);
        while rest > 0 {
            let Some(run) = self.runs.last_mut() else {
                return;
            };
            let in_run = self.len - run.start;
            if in_run >= 2 && run.step != step {
                // The next point cannot continue this run: it starts one.
                self.push(next);
                next = next.wrapping_add(step);
                rest -= 1;
                continue;
            }
            if in_run == 1 {
                run.step = step;
            }
            self.len += rest;
            self.last = first.wrapping_add(step.wrapping_mul((count - 1) as i64));
            rest = 0;
        }
    }

    /// Number of timestamps.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Empty, keeping the runs' storage.
    pub(crate) fn clear(&mut self) {
        self.runs.clear();
        self.len = 0;
        self.last = 0;
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn first(&self) -> Option<i64> {
        self.runs.first().map(|r| r.first)
    }

    pub fn last(&self) -> Option<i64> {
        (self.len > 0).then_some(self.last)
    }

    /// The `i`-th timestamp (a binary search over the runs).
    pub fn get(&self, i: usize) -> Option<i64> {
        if i >= self.len {
            return None;
        }
        let k = self.runs.partition_point(|r| r.start <= i) - 1;
        let r = &self.runs[k];
        Some(r.first.wrapping_add(r.step.wrapping_mul((i - r.start) as i64)))
    }

    /// The timestamps in order (ns since the Unix epoch).
    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        self.runs.iter().enumerate().flat_map(move |(k, r)| {
            let end = self.runs.get(k + 1).map_or(self.len, |n| n.start);
            (0..end - r.start).map(move |j| r.first.wrapping_add(r.step.wrapping_mul(j as i64)))
        })
    }

    /// The column as its arithmetic runs, in order: `(first, step, count)`, the timestamps
    /// `first + k * step` for `k` in `0..count` (a whole curve's timestamps without a per-point
    /// iterator).
    pub fn runs(&self) -> impl Iterator<Item = (i64, i64, usize)> + '_ {
        self.runs.iter().enumerate().map(move |(k, r)| {
            let end = self.runs.get(k + 1).map_or(self.len, |n| n.start);
            (r.first, r.step, end - r.start)
        })
    }

    /// How many arithmetic runs store the column (tests check the compact form).
    #[cfg(test)]
    pub(crate) fn run_count(&self) -> usize {
        self.runs.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_column_runs_give_back_every_timestamp() {
        let ts = [5i64, 7, 9, 11, 30, 31, 32, 100, 90, 80, 80];
        let mut c = TimeColumn::default();
        c.extend(ts);
        let from_runs: Vec<i64> = c
            .runs()
            .flat_map(|(first, step, n)| (0..n as i64).map(move |k| first + k * step))
            .collect();
        assert_eq!(from_runs, ts);
        assert!(TimeColumn::default().runs().next().is_none());
    }

    #[test]
    fn time_column_get_reads_each_point() {
        let ts = [5i64, 7, 9, 11, 30, 31, 32, 100, 90, 80];
        let mut c = TimeColumn::default();
        c.extend(ts);
        for (i, &t) in ts.iter().enumerate() {
            assert_eq!(c.get(i), Some(t));
        }
        assert_eq!(c.get(ts.len()), None);
        assert_eq!(TimeColumn::default().get(0), None);
    }

    #[test]
    fn time_column_round_trips_any_sequence() {
        // Long regular stretches with breaks.
        let long: Vec<i64> = (0..100)
            .map(|i| i * 3 + if i >= 50 { 7 } else { 0 } + if i >= 77 { 1 } else { 0 })
            .collect();
        let seqs: [&[i64]; 7] = [
            &[],
            &[5],
            &[5, 5, 5],
            &[1, 2, 3, 10, 20, 30, 31, 33, 35, 36],
            &[i64::MIN, 0, i64::MAX, -1, i64::MAX, i64::MIN],
            &[0, 60, 120, 180, 86_400, 86_460, 86_520, 259_200],
            &long,
        ];
        for seq in seqs {
            let mut c = TimeColumn::default();
            seq.iter().for_each(|&t| c.push(t));
            assert_eq!(c.iter().collect::<Vec<_>>(), seq, "{seq:?}");
            assert_eq!(
                (c.len(), c.first(), c.last()),
                (seq.len(), seq.first().copied(), seq.last().copied())
            );
            // In one go, and split anywhere, it stores the same runs.
            for split in 0..=seq.len() {
                let mut e = TimeColumn::default();
                e.extend(seq[..split].iter().copied());
                e.extend(seq[split..].iter().copied());
                assert_eq!(e, c, "{seq:?} split at {split}");
                // Copied from the column in two ranges, after a prefix of other points.
                for prefix in [&[][..], &[-7][..], &[seq.first().map_or(0, |&t| t.wrapping_sub(1))][..]] {
                    let mut want = TimeColumn::default();
                    want.extend(prefix.iter().chain(seq).copied());
                    let mut g = TimeColumn::default();
                    g.extend(prefix.iter().copied());
                    g.extend_from_column(&c, 0, split);
                    g.extend_from_column(&c, split, seq.len());
                    assert_eq!(g, want, "{seq:?} split at {split}, from the column after {prefix:?}");
                }
            }
        }
        // A day of minute bars, then the next: two runs.
        let mut c = TimeColumn::default();
        for day in 0..2 {
            for m in 0..390 {
                c.push(day * 86_400 + m * 60);
            }
        }
        assert_eq!(c.run_count(), 2);
    }
}
