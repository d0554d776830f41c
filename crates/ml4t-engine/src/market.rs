//! Market data as a struct of arrays, and borrowed views of one bar / one timestamp.
//!
//! Rows are in long format, ordered by (timestamp, asset id); asset ids are assigned in
//! ascending name order, so iterating a timestamp's rows visits assets in name order.
//! Signals are extra `f64` columns (NaN = missing), addressed by a [`SignalId`] resolved once.

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use super::types::{AssetId, SignalId, TimestampNs};
use crate::timeline::TimeColumn;

/// Structural problems with columns handed to [`Bars::new`]. The data layer validates user files
/// first and reports errors with file/column/row; these guard programmatic construction.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MarketError {
    #[error("column '{column}' has {len} rows, expected {expected} (all columns must have the same length)")]
    LengthMismatch {
        column: String,
        len: usize,
        expected: usize,
    },
    #[error("asset id {id} at row {row} is out of range: only {n_assets} asset names were given")]
    AssetOutOfRange { row: usize, id: u32, n_assets: usize },
    #[error("asset names must be unique and in ascending order; '{name}' breaks the order")]
    AssetNamesUnsorted { name: String },
    #[error("rows must be sorted by (timestamp, asset) without duplicates; row {row} breaks the order")]
    Unsorted { row: usize },
    #[error("{signals} signal columns were given but {names} signal names")]
    SignalNames { signals: usize, names: usize },
}

/// Identifies the contents of one [`Bars`]: set anew whenever rows are built or replaced, kept
/// by clones (same contents). Whatever is derived from the data (compiled rule masks) records
/// the id it was computed for and is recomputed for any other, even at the same address and
/// length; memory addresses are reused, ids never are within a process.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct BarsId(u64);

impl BarsId {
    fn next() -> BarsId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        BarsId(NEXT.fetch_add(1, AtomicOrdering::Relaxed))
    }
}

/// Column-oriented market data for one or many assets. Equality compares the data, not the
/// [`BarsId`].
#[derive(Debug, Clone, Default)]
pub struct Bars {
    id: BarsId,
    assets: Vec<String>,
    signal_names: Vec<String>,
    ts: Vec<i64>,
    asset: Vec<AssetId>,
    open: Vec<f64>,
    high: Vec<f64>,
    low: Vec<f64>,
    close: Vec<f64>,
    volume: Vec<f64>,
    signals: Vec<Vec<f64>>,
    /// Start row of each distinct timestamp, plus the total row count at the end.
    ts_start: Vec<usize>,
    /// The distinct timestamps as arithmetic runs: what a run's equity curve copies for a
    /// stretch of timestamps without reading each one.
    times: TimeColumn,
}

impl PartialEq for Bars {
    fn eq(&self, other: &Self) -> bool {
        // Everything but the id: equal data built twice compares equal.
        self.assets == other.assets
            && self.signal_names == other.signal_names
            && self.ts == other.ts
            && self.asset == other.asset
            && self.open == other.open
            && self.high == other.high
            && self.low == other.low
            && self.close == other.close
            && self.volume == other.volume
            && self.signals == other.signals
            && self.ts_start == other.ts_start
            && self.times == other.times
    }
}

/// The columns of [`Bars`], for construction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BarColumns {
    pub ts: Vec<i64>,
    pub asset: Vec<AssetId>,
    pub open: Vec<f64>,
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub close: Vec<f64>,
    pub volume: Vec<f64>,
    /// One column per signal, each as long as `ts`.
    pub signals: Vec<Vec<f64>>,
}

impl BarColumns {
    pub fn with_capacity(rows: usize, n_signals: usize) -> Self {
        BarColumns {
            ts: Vec::with_capacity(rows),
            asset: Vec::with_capacity(rows),
            open: Vec::with_capacity(rows),
            high: Vec::with_capacity(rows),
            low: Vec::with_capacity(rows),
            close: Vec::with_capacity(rows),
            volume: Vec::with_capacity(rows),
            signals: (0..n_signals).map(|_| Vec::with_capacity(rows)).collect(),
        }
    }

    /// Appends one row; `signals` must have one value per signal column.
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        ts: i64,
        asset: AssetId,
        open: f64,
        high: f64,
        low: f64,
        close: f64,
        volume: f64,
        signals: &[f64],
    ) {
        self.ts.push(ts);
        self.asset.push(asset);
        self.open.push(open);
        self.high.push(high);
        self.low.push(low);
        self.close.push(close);
        self.volume.push(volume);
        for (col, v) in self.signals.iter_mut().zip(signals) {
            col.push(*v);
        }
    }

    /// Appends `bar`'s time, asset and prices with `signals` (one value per signal column): a
    /// copy of a bar with other signals.
    pub fn push_bar(&mut self, bar: &Bar<'_>, signals: &[f64]) {
        self.push(
            bar.ts().0,
            bar.asset(),
            bar.open(),
            bar.high(),
            bar.low(),
            bar.close(),
            bar.volume(),
            signals,
        );
    }

    pub fn len(&self) -> usize {
        self.ts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    pub fn clear(&mut self) {
        self.ts.clear();
        self.asset.clear();
        self.open.clear();
        self.high.clear();
        self.low.clear();
        self.close.clear();
        self.volume.clear();
        self.signals.iter_mut().for_each(Vec::clear);
    }
}

impl Bars {
    /// Builds bars from columns already sorted by (timestamp, asset id) with unique pairs.
    pub fn new(assets: Vec<String>, signal_names: Vec<String>, cols: BarColumns) -> Result<Self, MarketError> {
        let mut ts_start = Vec::new();
        index_rows(&assets, &signal_names, &cols, &mut ts_start, true)?;
        Ok(Bars::assemble(assets, signal_names, cols, ts_start))
    }

    /// Replaces all rows, keeping the asset and signal names: a live feed refills one `Bars` per
    /// timestamp (see [`Bars::take_columns`]). Validated like [`Bars::new`]; on error the bars are
    /// left without rows.
    pub fn set_columns(&mut self, cols: BarColumns) -> Result<(), MarketError> {
        let mut ts_start = std::mem::take(&mut self.ts_start);
        if let Err(e) = index_rows(&self.assets, &self.signal_names, &cols, &mut ts_start, false) {
            self.ts_start = ts_start;
            self.take_columns();
            return Err(e);
        }
        let assets = std::mem::take(&mut self.assets);
        let signal_names = std::mem::take(&mut self.signal_names);
        *self = Bars::assemble(assets, signal_names, cols, ts_start);
        Ok(())
    }

    /// Moves the rows out, emptied, leaving the names: their allocations can be refilled and put
    /// back with [`Bars::set_columns`].
    pub fn take_columns(&mut self) -> BarColumns {
        self.id = BarsId::next();
        self.ts_start.clear();
        self.times = TimeColumn::default();
        let mut cols = BarColumns {
            ts: std::mem::take(&mut self.ts),
            asset: std::mem::take(&mut self.asset),
            open: std::mem::take(&mut self.open),
            high: std::mem::take(&mut self.high),
            low: std::mem::take(&mut self.low),
            close: std::mem::take(&mut self.close),
            volume: std::mem::take(&mut self.volume),
            signals: std::mem::take(&mut self.signals),
        };
        cols.clear();
        cols.signals.resize_with(self.signal_names.len(), Vec::new);
        cols
    }

    /// The identity of these contents (see [`BarsId`]).
    pub fn id(&self) -> BarsId {
        self.id
    }

    fn assemble(assets: Vec<String>, signal_names: Vec<String>, cols: BarColumns, ts_start: Vec<usize>) -> Bars {
        let BarColumns {
            ts,
            asset,
            open,
            high,
            low,
            close,
            volume,
            signals,
        } = cols;
        let mut bars = Bars {
            id: BarsId::next(),
            assets,
            signal_names,
            ts,
            asset,
            open,
            high,
            low,
            close,
            volume,
            signals,
            ts_start,
            times: TimeColumn::default(),
        };
        let times = (0..bars.n_timestamps()).map(|t| bars.ts[bars.timestamp_start(t)]);
        let mut column = TimeColumn::default();
        column.extend(times);
        bars.times = column;
        bars
    }

    /// The distinct timestamps, as arithmetic runs.
    pub fn times(&self) -> &TimeColumn {
        &self.times
    }

    /// One asset's bars; rows must be in strictly increasing time.
    #[allow(clippy::too_many_arguments)]
    pub fn single(
        asset: &str,
        ts: Vec<i64>,
        open: Vec<f64>,
        high: Vec<f64>,
        low: Vec<f64>,
        close: Vec<f64>,
        volume: Vec<f64>,
        signals: Vec<(String, Vec<f64>)>,
    ) -> Result<Self, MarketError> {
        let n = ts.len();
        let (signal_names, signals) = signals.into_iter().unzip();
        let cols = BarColumns {
            ts,
            asset: vec![AssetId(0); n],
            open,
            high,
            low,
            close,
            volume,
            signals,
        };
        Bars::new(vec![asset.to_owned()], signal_names, cols)
    }

    pub fn assets(&self) -> &[String] {
        &self.assets
    }

    pub fn asset_id(&self, name: &str) -> Option<AssetId> {
        self.assets
            .binary_search_by(|a| a.as_str().cmp(name))
            .ok()
            .map(|i| AssetId(i as u32))
    }

    pub fn signal_names(&self) -> &[String] {
        &self.signal_names
    }

    pub fn signal_id(&self, name: &str) -> Option<SignalId> {
        self.signal_names
            .iter()
            .position(|s| s == name)
            .map(|i| SignalId(i as u32))
    }

    /// Number of rows (bars over all assets).
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// Number of distinct timestamps.
    pub fn n_timestamps(&self) -> usize {
        self.ts_start.len().saturating_sub(1)
    }

    /// The `i`-th distinct timestamp's bars.
    #[inline]
    pub fn timestamp(&self, i: usize) -> Option<BarSlice<'_>> {
        if i >= self.n_timestamps() {
            return None;
        }
        Some(BarSlice {
            bars: self,
            rows: self.timestamp_start(i)..self.timestamp_start(i + 1),
            index: i,
        })
    }

    /// First row of timestamp `t` (`t == n_timestamps()`: the row count). With one bar per
    /// timestamp it is `t` itself, and the index is not read: a long single-asset run then
    /// does not stream (or cache-miss into) an index as large as a price column.
    #[inline]
    pub fn timestamp_start(&self, t: usize) -> usize {
        if self.ts_start.len() == self.ts.len() + 1 {
            t
        } else {
            self.ts_start[t]
        }
    }

    /// The bar at `row`.
    #[inline]
    pub fn bar(&self, row: usize) -> Bar<'_> {
        Bar { bars: self, row }
    }

    pub fn ts(&self) -> &[i64] {
        &self.ts
    }
    pub fn asset_ids(&self) -> &[AssetId] {
        &self.asset
    }
    pub fn open(&self) -> &[f64] {
        &self.open
    }
    pub fn high(&self) -> &[f64] {
        &self.high
    }
    pub fn low(&self) -> &[f64] {
        &self.low
    }
    pub fn close(&self) -> &[f64] {
        &self.close
    }
    pub fn volume(&self) -> &[f64] {
        &self.volume
    }
    pub fn signal_column(&self, id: SignalId) -> &[f64] {
        &self.signals[id.index()]
    }
    /// Start row of each distinct timestamp, then the row count.
    pub fn timestamp_starts(&self) -> &[usize] {
        &self.ts_start
    }

    /// Index of the timestamp that `row` belongs to, searching forward from timestamp `from`
    /// (at or before the answer): galloping, so a nearby row costs a few probes instead of a
    /// binary search over the whole index; with one bar per timestamp it is the row itself.
    #[inline]
    pub fn timestamp_of_row(&self, row: usize, from: usize) -> usize {
        let starts = &self.ts_start;
        if starts.len() == self.ts.len() + 1 {
            return row;
        }
        debug_assert!(starts[from] <= row && row < self.ts.len());
        let mut step = 1;
        let mut lo = from;
        while lo + step < starts.len() - 1 && starts[lo + step] <= row {
            lo += step;
            step *= 2;
        }
        let hi = (lo + step).min(starts.len() - 1);
        lo + starts[lo..hi].partition_point(|&s| s <= row) - 1
    }

    /// Distinct timestamps in order.
    pub fn timestamps(&self) -> impl Iterator<Item = TimestampNs> + '_ {
        self.ts_start[..self.n_timestamps()]
            .iter()
            .map(|&r| TimestampNs(self.ts[r]))
    }

    /// First and last timestamp, if any.
    pub fn time_range(&self) -> Option<(TimestampNs, TimestampNs)> {
        Some((TimestampNs(*self.ts.first()?), TimestampNs(*self.ts.last()?)))
    }

    /// The rows of distinct timestamps `range` (clamped to the data) as their own `Bars`, with
    /// the same assets and signals: a walk-forward window that cannot see the rows outside it.
    pub fn slice_timestamps(&self, range: Range<usize>) -> Bars {
        let end = range.end.min(self.n_timestamps());
        let start = range.start.min(end);
        let rows = self.timestamp_start(start)..self.timestamp_start(end);
        let cols = BarColumns {
            ts: self.ts[rows.clone()].to_vec(),
            asset: self.asset[rows.clone()].to_vec(),
            open: self.open[rows.clone()].to_vec(),
            high: self.high[rows.clone()].to_vec(),
            low: self.low[rows.clone()].to_vec(),
            close: self.close[rows.clone()].to_vec(),
            volume: self.volume[rows.clone()].to_vec(),
            signals: self.signals.iter().map(|c| c[rows.clone()].to_vec()).collect(),
        };
        // The source's rows are already validated: only the index is rebased.
        let ts_start = match self.ts_start.get(start..=end) {
            Some(s) => s.iter().map(|&r| r - rows.start).collect(),
            None => vec![0],
        };
        Bars::assemble(self.assets.clone(), self.signal_names.clone(), cols, ts_start)
    }

    /// Rows of one asset in time order (a scan over the asset column).
    pub fn rows_of(&self, asset: AssetId) -> Vec<usize> {
        if self.assets.len() == 1 {
            return (0..self.len()).collect();
        }
        self.asset
            .iter()
            .enumerate()
            .filter(|(_, a)| **a == asset)
            .map(|(i, _)| i)
            .collect()
    }
}

/// Checks the columns of [`Bars::new`] and fills `ts_start` (cleared first) with the start row of
/// each distinct timestamp, then the row count.
fn index_rows(
    assets: &[String],
    signal_names: &[String],
    cols: &BarColumns,
    ts_start: &mut Vec<usize>,
    check_names: bool,
) -> Result<(), MarketError> {
    let n = cols.ts.len();
    let lens = [
        ("asset", cols.asset.len()),
        ("open", cols.open.len()),
        ("high", cols.high.len()),
        ("low", cols.low.len()),
        ("close", cols.close.len()),
        ("volume", cols.volume.len()),
    ];
    for (column, len) in lens {
        if len != n {
            return Err(MarketError::LengthMismatch {
                column: column.into(),
                len,
                expected: n,
            });
        }
    }
    if cols.signals.len() != signal_names.len() {
        return Err(MarketError::SignalNames {
            signals: cols.signals.len(),
            names: signal_names.len(),
        });
    }
    for (name, col) in signal_names.iter().zip(&cols.signals) {
        if col.len() != n {
            return Err(MarketError::LengthMismatch {
                column: name.clone(),
                len: col.len(),
                expected: n,
            });
        }
    }
    if check_names {
        for w in assets.windows(2) {
            if w[0] >= w[1] {
                return Err(MarketError::AssetNamesUnsorted { name: w[1].clone() });
            }
        }
    }
    ts_start.clear();
    for row in 0..n {
        let id = cols.asset[row].0;
        if id as usize >= assets.len() {
            return Err(MarketError::AssetOutOfRange {
                row,
                id,
                n_assets: assets.len(),
            });
        }
        if row == 0 || cols.ts[row] != cols.ts[row - 1] {
            if row > 0 && cols.ts[row] < cols.ts[row - 1] {
                return Err(MarketError::Unsorted { row });
            }
            ts_start.push(row);
        } else if cols.asset[row] <= cols.asset[row - 1] {
            return Err(MarketError::Unsorted { row });
        }
    }
    ts_start.push(n);
    Ok(())
}

/// One bar: a row of [`Bars`].
#[derive(Debug, Clone, Copy)]
pub struct Bar<'a> {
    bars: &'a Bars,
    row: usize,
}

impl<'a> Bar<'a> {
    /// The data this bar belongs to.
    #[inline]
    pub fn source(&self) -> &'a Bars {
        self.bars
    }
    #[inline]
    pub fn row(&self) -> usize {
        self.row
    }
    #[inline]
    pub fn ts(&self) -> TimestampNs {
        TimestampNs(self.bars.ts[self.row])
    }
    #[inline]
    pub fn asset(&self) -> AssetId {
        self.bars.asset[self.row]
    }
    pub fn asset_name(&self) -> &'a str {
        &self.bars.assets[self.asset().index()]
    }
    #[inline]
    pub fn open(&self) -> f64 {
        self.bars.open[self.row]
    }
    #[inline]
    pub fn high(&self) -> f64 {
        self.bars.high[self.row]
    }
    #[inline]
    pub fn low(&self) -> f64 {
        self.bars.low[self.row]
    }
    #[inline]
    pub fn close(&self) -> f64 {
        self.bars.close[self.row]
    }
    #[inline]
    pub fn volume(&self) -> f64 {
        self.bars.volume[self.row]
    }
    /// The signal's value on this bar (NaN when missing): the fast path, with an id resolved once.
    #[inline]
    pub fn signal(&self, id: SignalId) -> f64 {
        self.bars.signals[id.index()][self.row]
    }
    /// The signal by name (a linear search over the signal names: convenient, not for hot loops).
    pub fn signal_by_name(&self, name: &str) -> Option<f64> {
        self.bars.signal_id(name).map(|id| self.signal(id))
    }
    /// Value of a named price column (`open`, `high`, `low`, `close`, `volume`) or signal.
    pub fn value(&self, name: &str) -> Option<f64> {
        match name {
            "open" => Some(self.open()),
            "high" => Some(self.high()),
            "low" => Some(self.low()),
            "close" => Some(self.close()),
            "volume" => Some(self.volume()),
            _ => self.signal_by_name(name),
        }
    }
}

/// All bars of one timestamp (one per asset that has a bar then), in asset-name order.
#[derive(Debug, Clone)]
pub struct BarSlice<'a> {
    bars: &'a Bars,
    rows: Range<usize>,
    index: usize,
}

impl<'a> BarSlice<'a> {
    /// A view of `rows` of `bars` (all of one timestamp) as the `index`-th timestamp of a feed.
    pub fn new(bars: &'a Bars, rows: Range<usize>, index: usize) -> Self {
        BarSlice { bars, rows, index }
    }
    /// Position of this timestamp in the feed (0-based).
    #[inline]
    pub fn index(&self) -> usize {
        self.index
    }
    #[inline]
    pub fn ts(&self) -> TimestampNs {
        TimestampNs(self.bars.ts.get(self.rows.start).copied().unwrap_or_default())
    }
    #[inline]
    pub fn len(&self) -> usize {
        self.rows.len()
    }
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
    pub fn rows(&self) -> Range<usize> {
        self.rows.clone()
    }
    /// The source data (names of assets and signals, and all columns).
    pub fn source(&self) -> &'a Bars {
        self.bars
    }
    #[inline]
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Bar<'a>> + '_ {
        let bars = self.bars;
        self.rows.clone().map(move |row| Bar { bars, row })
    }
    /// This timestamp's bar of `asset`, if it has one (binary search: rows are in asset order).
    #[inline]
    pub fn bar_of(&self, asset: AssetId) -> Option<Bar<'a>> {
        let ids = &self.bars.asset[self.rows.clone()];
        if ids.len() == 1 {
            return (ids[0] == asset).then_some(Bar {
                bars: self.bars,
                row: self.rows.start,
            });
        }
        ids.binary_search(&asset).ok().map(|i| Bar {
            bars: self.bars,
            row: self.rows.start + i,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_assets() -> Bars {
        let mut c = BarColumns::with_capacity(3, 1);
        c.push(1, AssetId(0), 10.0, 11.0, 9.0, 10.5, 100.0, &[0.1]);
        c.push(1, AssetId(1), 20.0, 21.0, 19.0, 20.5, 100.0, &[0.2]);
        c.push(2, AssetId(1), 20.5, 22.0, 20.0, 21.0, 100.0, &[f64::NAN]);
        Bars::new(vec!["A".into(), "B".into()], vec!["s".into()], c).unwrap()
    }

    #[test]
    fn bars_group_rows_by_timestamp() {
        let b = two_assets();
        assert_eq!(b.n_timestamps(), 2);
        let t0 = b.timestamp(0).unwrap();
        assert_eq!(t0.len(), 2);
        assert_eq!(t0.bar_of(AssetId(1)).unwrap().close(), 20.5);
        let t1 = b.timestamp(1).unwrap();
        assert!(t1.bar_of(AssetId(0)).is_none());
        assert!(t1.bar_of(AssetId(1)).unwrap().signal(SignalId(0)).is_nan());
        assert_eq!(t1.iter().next().unwrap().asset_name(), "B");
        assert!(b.timestamp(2).is_none());
    }

    #[test]
    fn slice_timestamps_equals_bars_built_from_those_rows() {
        let b = two_assets();
        let mut c = BarColumns::with_capacity(1, 1);
        c.push(2, AssetId(1), 20.5, 22.0, 20.0, 21.0, 100.0, &[f64::NAN]);
        let want = Bars::new(vec!["A".into(), "B".into()], vec!["s".into()], c).unwrap();
        let got = b.slice_timestamps(1..2);
        assert_eq!(got.n_timestamps(), 1);
        assert_eq!(got.timestamp_starts(), want.timestamp_starts());
        assert_eq!(got.ts(), want.ts());
        assert_eq!(got.close(), want.close());
        assert!(got.signal_column(SignalId(0))[0].is_nan());
        assert_ne!(got.id(), b.id());
        // The whole range is the same data (compared without the NaN signal).
        let all = b.slice_timestamps(0..2);
        assert_eq!((all.ts(), all.open(), all.close()), (b.ts(), b.open(), b.close()));
        assert_eq!(all.timestamp_starts(), b.timestamp_starts());
        assert_eq!(all.times(), b.times());
        assert_eq!(b.slice_timestamps(0..1).len(), 2);
        assert!(b.slice_timestamps(1..1).is_empty());
        assert!(b.slice_timestamps(5..9).is_empty());
    }

    #[test]
    fn timestamp_of_row_matches_a_binary_search() {
        // Timestamps with 1, 2 or 3 assets, in a pattern.
        let mut c = BarColumns::with_capacity(0, 0);
        for t in 0..200i64 {
            for a in 0..=(t % 3) as u32 {
                c.push(t, AssetId(a), 1.0, 1.0, 1.0, 1.0, 0.0, &[]);
            }
        }
        let b = Bars::new(vec!["A".into(), "B".into(), "C".into()], vec![], c).unwrap();
        let starts = b.timestamp_starts();
        for row in 0..b.len() {
            let want = starts.partition_point(|&s| s <= row) - 1;
            for from in [0, want / 2, want.saturating_sub(1), want] {
                assert_eq!(b.timestamp_of_row(row, from), want, "row {row} from {from}");
            }
        }
        let one = two_assets();
        assert_eq!(one.timestamp_of_row(2, 0), 1);
    }

    #[test]
    fn bars_reject_unsorted_rows() {
        let mut c = BarColumns::with_capacity(2, 0);
        c.push(2, AssetId(0), 1.0, 1.0, 1.0, 1.0, 0.0, &[]);
        c.push(1, AssetId(0), 1.0, 1.0, 1.0, 1.0, 0.0, &[]);
        assert_eq!(
            Bars::new(vec!["A".into()], vec![], c).unwrap_err(),
            MarketError::Unsorted { row: 1 }
        );
    }

    #[test]
    fn bars_reject_duplicate_pairs() {
        let mut c = BarColumns::with_capacity(2, 0);
        c.push(1, AssetId(0), 1.0, 1.0, 1.0, 1.0, 0.0, &[]);
        c.push(1, AssetId(0), 1.0, 1.0, 1.0, 1.0, 0.0, &[]);
        assert_eq!(
            Bars::new(vec!["A".into()], vec![], c).unwrap_err(),
            MarketError::Unsorted { row: 1 }
        );
    }

    #[test]
    fn bars_refill_reuses_names_and_validates() {
        let mut b = two_assets();
        let mut c = b.take_columns();
        assert!(b.is_empty() && c.is_empty());
        assert_eq!(b.n_timestamps(), 0);
        c.push(5, AssetId(1), 1.0, 1.0, 1.0, 1.0, 0.0, &[0.5]);
        b.set_columns(c).unwrap();
        assert_eq!((b.n_timestamps(), b.bar(0).asset_name()), (1, "B"));
        let mut bad = b.take_columns();
        bad.push(5, AssetId(2), 1.0, 1.0, 1.0, 1.0, 0.0, &[0.5]);
        assert!(matches!(b.set_columns(bad), Err(MarketError::AssetOutOfRange { .. })));
        assert_eq!(b.assets().len(), 2);
    }
}
