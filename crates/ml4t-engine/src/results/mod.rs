//! What a run produces: fills, round-trip trades, the equity curve, open positions at the end,
//! and (computed from those on demand) metrics and a text summary.

/// Research analysis of a finished run (monthly table, rolling risk, MAE/MFE, benchmark).
pub mod analysis;
pub mod compare;
mod equity;
pub mod json;
pub mod metrics;
mod summary;

pub use equity::{EquityCurve, EquityPoint, Stretch};

use crate::execution::{BrokerConfig, ExecutionNotes, Fill, OpenPosition, Order, Rejection, Trade};
use crate::types::{AssetId, TimestampNs};

/// Asks the kernel to back a large buffer with transparent huge pages: a long run writes every
/// element once, and first touches of fresh memory (page faults) would otherwise cost about as
/// much as the engine loop. Only a hint; ignored where unsupported.
pub(crate) fn advise_huge_pages<T>(v: &mut Vec<T>) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let bytes = v.capacity() * std::mem::size_of::<T>();
        if bytes < 2 * HUGE {
            return;
        }
        let start = v.as_mut_ptr() as usize;
        let aligned = start.next_multiple_of(HUGE);
        let len = (start + bytes).saturating_sub(aligned) / HUGE * HUGE;
        if len > 0 {
            // SAFETY: madvise only changes how the kernel backs pages of this allocation (owned by
            // `v`, alive for the call); the range lies inside it and MADV_HUGEPAGE never changes
            // memory contents. A failure is harmless and ignored.
            unsafe {
                libc::madvise(aligned as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = v;
}

/// The storage of finished runs, kept for the next run on the same thread
/// ([`crate::Engine::reuse`], [`RunResult::recycle`]). A trade-heavy run on 1M bars writes tens
/// of MB of fills, trades and equity points; fresh memory has to be faulted in and zeroed by the
/// kernel page by page, which costs about as much as the run, and a sweep runs thousands.
/// Reusing the buffers changes no result: every one is emptied first.
#[derive(Debug, Default)]
pub struct ResultBuffers {
    pub(crate) fills: Vec<Fill>,
    pub(crate) trades: Vec<Trade>,
    pub(crate) fill_kinds: Vec<crate::execution::FillKind>,
    pub(crate) rejections: Vec<crate::execution::Rejection>,
    pub(crate) equity: Option<EquityCurve>,
}

impl ResultBuffers {
    pub fn new() -> Self {
        Self::default()
    }
}

/// Everything a run produced. Deterministic: no wall-clock times (callers time runs themselves).
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    /// The broker settings the run used.
    pub config: BrokerConfig,
    /// Asset names; `AssetId(i)` is `assets[i]`.
    pub assets: Vec<String>,
    pub initial_cash: f64,
    pub equity: EquityCurve,
    /// Closed round trips in closing order.
    pub trades: Vec<Trade>,
    /// Every execution in time order.
    pub fills: Vec<Fill>,
    pub open_positions: Vec<OpenPosition>,
    /// Orders still pending at the end.
    pub open_orders: Vec<Order>,
    pub rejections: Vec<Rejection>,
    pub timestamps: usize,
    pub bars: usize,
    /// Fill kinds (for exit reasons) and the count of ambiguous intrabar bars.
    pub notes: ExecutionNotes,
}

impl RunResult {
    pub fn asset_name(&self, asset: AssetId) -> &str {
        self.assets.get(asset.index()).map_or("?", String::as_str)
    }

    /// Equity at the last bar (the initial cash if there were no bars).
    pub fn final_equity(&self) -> f64 {
        self.equity.last().map_or(self.initial_cash, |p| p.equity)
    }

    /// Performance metrics of the run.
    pub fn metrics(&self, opts: &metrics::MetricsOptions) -> metrics::Metrics {
        metrics::compute(self.initial_cash, &self.equity, &self.trades, &self.fills, opts)
    }

    /// Gives the result's large buffers (fills, trades, fill kinds, rejections, equity curve) to `into`
    /// for the next run (see [`ResultBuffers`]).
    pub fn recycle(self, into: &mut ResultBuffers) {
        let mut fills = self.fills;
        let mut trades = self.trades;
        let mut kinds = self.notes.fill_kinds;
        let mut rejections = self.rejections;
        fills.clear();
        trades.clear();
        kinds.clear();
        rejections.clear();
        into.fills = fills;
        into.trades = trades;
        into.fill_kinds = kinds;
        into.rejections = rejections;
        into.equity = Some(self.equity);
    }

    /// Signed position of `asset` after each of its fills: (time, qty), a step series.
    pub fn position_history(&self, asset: AssetId) -> Vec<(TimestampNs, f64)> {
        self.fills
            .iter()
            .filter(|f| f.asset == asset)
            .map(|f| (f.ts, f.position_after))
            .collect()
    }
}
