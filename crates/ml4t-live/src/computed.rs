//! Signals computed from each live bar before the strategy sees it: a model (in Python: sklearn,
//! xgboost, torch...) turns the bars as they arrive into the signal columns the strategy reads,
//! where a backtest reads them from the file.
//!
//! [`ComputedFeed`] wraps a [`LiveFeed`] whose signal names end with the computed ones: for each
//! live timestamp it asks the [`SignalComputer`] for those columns and yields the bars with them
//! filled in, so the paper broker journals the computed values. Timestamps replayed from a journal
//! pass through as they were journaled: a restart never recomputes a signal (the model may have
//! changed, been retrained or be random), it replays what the strategy saw.

use ml4t_engine::feed::{DataFeed, FeedError};
use ml4t_engine::market::{BarColumns, BarSlice, Bars};
use ml4t_engine::types::SignalId;

use super::LiveError;
use super::feed::LiveFeed;

/// Computes the signals of each live bar.
pub trait SignalComputer {
    /// Names of the computed signals, in the order `compute` writes them.
    fn names(&self) -> &[String];

    /// Writes the computed signals of every bar of one timestamp into `out`: bar `i` of `bars`
    /// (in asset order) at `out[i * n..(i + 1) * n]`, `n` = `names().len()`. The bars' own signals
    /// are their first `signal_names().len() - n` columns (the computed columns hold whatever the
    /// server sent under those names, usually NaN). An error stops the run.
    fn compute(&mut self, bars: &BarSlice<'_>, out: &mut [f64]) -> Result<(), String>;
}

/// A [`LiveFeed`] with signals computed per timestamp (see the module docs).
pub struct ComputedFeed<'c> {
    inner: LiveFeed,
    computer: &'c mut dyn SignalComputer,
    /// Timestamps replayed from the journal (yielded as they are).
    replayed: usize,
    /// Signals the server sends: the first columns of every bar.
    own: usize,
    bars: Bars,
    values: Vec<f64>,
    row: Vec<f64>,
    /// Every timestamp yielded, kept for the run's analysis (tearsheet).
    tape: BarColumns,
}

impl<'c> ComputedFeed<'c> {
    /// `inner`'s signal names must end with `computer.names()`; `replayed` timestamps at its start
    /// come from a journal and are not computed again.
    pub fn new(inner: LiveFeed, computer: &'c mut dyn SignalComputer, replayed: usize) -> Result<Self, LiveError> {
        let names = inner.signal_names();
        let n = computer.names().len();
        if !names.ends_with(computer.names()) {
            return Err(LiveError::Config(format!(
                "the feed's signals [{}] must end with the computed ones [{}]",
                names.join(", "),
                computer.names().join(", ")
            )));
        }
        let bars = Bars::new(
            inner.assets().to_vec(),
            names.to_vec(),
            BarColumns::with_capacity(inner.assets().len(), names.len()),
        )
        .map_err(|e| LiveError::Config(e.to_string()))?;
        Ok(ComputedFeed {
            own: names.len() - n,
            tape: BarColumns::with_capacity(0, names.len()),
            row: Vec::with_capacity(names.len()),
            inner,
            computer,
            replayed,
            bars,
            values: Vec::new(),
        })
    }

    /// The bars of every timestamp yielded so far (journal and live).
    pub fn into_bars(self) -> Result<Bars, LiveError> {
        Bars::new(
            self.bars.assets().to_vec(),
            self.bars.signal_names().to_vec(),
            self.tape,
        )
        .map_err(|e| LiveError::Config(format!("the run's bars: {e}")))
    }
}

/// Appends every bar of `slice` to `cols`, its signals taken from `signal(bar index, column)`.
fn push_slice(cols: &mut BarColumns, row: &mut Vec<f64>, slice: &BarSlice<'_>, signal: impl Fn(usize, usize) -> f64) {
    let n = slice.source().signal_names().len();
    for (i, b) in slice.iter().enumerate() {
        row.clear();
        row.extend((0..n).map(|s| signal(i, s)));
        cols.push_bar(&b, row);
    }
}

/// Signal `s` of bar `i` of `slice`, as it came.
fn signal_of(slice: &BarSlice<'_>, i: usize, s: usize) -> f64 {
    slice.source().signal_column(SignalId(s as u32))[slice.rows().start + i]
}

impl DataFeed for ComputedFeed<'_> {
    fn assets(&self) -> &[String] {
        self.bars.assets()
    }

    fn signal_names(&self) -> &[String] {
        self.bars.signal_names()
    }

    fn next_timestamp(&mut self) -> Result<Option<BarSlice<'_>>, FeedError> {
        let Some(slice) = self.inner.next_timestamp()? else {
            return Ok(None);
        };
        if slice.index() < self.replayed {
            push_slice(&mut self.tape, &mut self.row, &slice, |i, s| signal_of(&slice, i, s));
            return Ok(Some(slice));
        }
        let n = self.computer.names().len();
        self.values.clear();
        self.values.resize(slice.len() * n, f64::NAN);
        self.computer
            .compute(&slice, &mut self.values)
            .map_err(|e| FeedError(format!("computing the signals of {}: {e}", slice.ts())))?;
        let (own, values) = (self.own, &self.values);
        let signal = |i: usize, s: usize| {
            if s < own {
                signal_of(&slice, i, s)
            } else {
                values[i * n + s - own]
            }
        };
        let mut cols = self.bars.take_columns();
        push_slice(&mut cols, &mut self.row, &slice, signal);
        push_slice(&mut self.tape, &mut self.row, &slice, signal);
        let (index, len) = (slice.index(), slice.len());
        self.bars
            .set_columns(cols)
            .map_err(|e| FeedError(format!("live bars at {}: {e}", slice.ts())))?;
        Ok(Some(BarSlice::new(&self.bars, 0..len, index)))
    }
}
