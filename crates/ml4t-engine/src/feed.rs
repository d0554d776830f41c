//! Data feeds yield one timestamp's bars at a time: historical over [`Bars`], live over a socket.

use super::market::{BarSlice, Bars};

/// A feed failed for good (a live connection that cannot be restored, ...).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct FeedError(pub String);

/// The engine's source of bars.
pub trait DataFeed {
    /// Asset names in ascending order; `AssetId(i)` is `assets()[i]`.
    fn assets(&self) -> &[String];
    /// Signal column names; `SignalId(i)` is `signal_names()[i]`.
    fn signal_names(&self) -> &[String];
    /// The next timestamp's bars, or `None` at the end of the data.
    fn next_timestamp(&mut self) -> Result<Option<BarSlice<'_>>, FeedError>;
    /// Timestamps not yet yielded, if known (historical feeds); `Some(1)` before the last one.
    fn remaining(&self) -> Option<usize> {
        None
    }
    /// Total (timestamps, bars), if known: for preallocation and progress.
    fn size_hint(&self) -> Option<(usize, usize)> {
        None
    }
    /// For feeds that hold their data (historical): all bars and the index of the next timestamp.
    /// The engine hands this to [`crate::strategy::Strategy::skip_quiet`] so compiled
    /// rules can fast-forward over bars where they would do nothing. Live feeds return `None`.
    fn upcoming(&self) -> Option<(&Bars, usize)> {
        None
    }
    /// Skips `n` timestamps the engine processed in bulk (only after `upcoming` returned data).
    fn advance(&mut self, n: usize) {
        let _ = n;
    }
}

/// Replays [`Bars`] in time order.
#[derive(Debug, Clone)]
pub struct HistoricalFeed<'a> {
    bars: &'a Bars,
    next: usize,
}

impl<'a> HistoricalFeed<'a> {
    pub fn new(bars: &'a Bars) -> Self {
        HistoricalFeed { bars, next: 0 }
    }
}

impl DataFeed for HistoricalFeed<'_> {
    fn assets(&self) -> &[String] {
        self.bars.assets()
    }
    fn signal_names(&self) -> &[String] {
        self.bars.signal_names()
    }
    #[inline]
    fn next_timestamp(&mut self) -> Result<Option<BarSlice<'_>>, FeedError> {
        let slice = self.bars.timestamp(self.next);
        if slice.is_some() {
            self.next += 1;
        }
        Ok(slice)
    }
    fn remaining(&self) -> Option<usize> {
        Some(self.bars.n_timestamps() - self.next)
    }
    fn size_hint(&self) -> Option<(usize, usize)> {
        Some((self.bars.n_timestamps(), self.bars.len()))
    }
    fn upcoming(&self) -> Option<(&Bars, usize)> {
        Some((self.bars, self.next))
    }
    fn advance(&mut self, n: usize) {
        self.next = (self.next + n).min(self.bars.n_timestamps());
    }
}
