//! What a run produces: fills, round-trip trades, the equity curve, open positions at the end,
//! and (computed from those on demand) metrics and a text summary.

pub mod compare;
mod equity;
pub mod json;
pub mod metrics;
mod summary;

pub(crate) use equity::TimeColumn;
pub use equity::{EquityCurve, EquityPoint};

use super::types::{AssetId, OrderId, Side, TimestampNs};

/// One execution.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Fill {
    pub order_id: OrderId,
    pub asset: AssetId,
    pub side: Side,
    /// Always positive.
    pub qty: f64,
    /// Exact fill price, slippage included.
    pub price: f64,
    pub commission: f64,
    pub ts: TimestampNs,
    /// Index of the fill's timestamp in the feed.
    pub bar_index: usize,
    /// Signed position after this fill.
    pub position_after: f64,
}

impl Fill {
    pub fn notional(&self) -> f64 {
        self.qty * self.price
    }
}

/// One round trip (or the closed part of a position, for partial closes).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Trade {
    pub asset: AssetId,
    /// `Buy` for a long round trip, `Sell` for a short one.
    pub side: Side,
    /// Closed quantity, always positive.
    pub qty: f64,
    pub entry_ts: TimestampNs,
    /// Average entry price of the position (slippage included, commission excluded).
    pub entry_price: f64,
    pub entry_bar: usize,
    pub exit_ts: TimestampNs,
    pub exit_price: f64,
    pub exit_bar: usize,
    /// The part of the entry commissions allocated to this closed quantity.
    pub entry_commission: f64,
    pub exit_commission: f64,
    /// `side * qty * (exit - entry) - entry_commission - exit_commission`.
    pub pnl_net: f64,
}

impl Trade {
    pub fn pnl_gross(&self) -> f64 {
        self.side.sign() * self.qty * (self.exit_price - self.entry_price)
    }
    /// Net return on the entry notional.
    pub fn return_pct(&self) -> f64 {
        self.pnl_net / (self.qty * self.entry_price)
    }
    pub fn holding_bars(&self) -> usize {
        self.exit_bar.saturating_sub(self.entry_bar)
    }
    pub fn holding_ns(&self) -> i64 {
        self.exit_ts.0 - self.entry_ts.0
    }
}

/// A position still open at the end of the run.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OpenPosition {
    pub asset: AssetId,
    /// Signed quantity (negative = short).
    pub qty: f64,
    pub entry_ts: TimestampNs,
    pub entry_bar: usize,
    pub entry_price: f64,
    pub last_price: f64,
    pub unrealized_pnl: f64,
}

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

/// Everything a run produced. Deterministic: no wall-clock times (callers time runs themselves).
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    /// The broker settings the run used.
    pub config: crate::engine::broker::BrokerConfig,
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
    pub open_orders: Vec<crate::engine::broker::Order>,
    pub rejections: Vec<crate::engine::broker::Rejection>,
    pub timestamps: usize,
    pub bars: usize,
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

    /// Signed position of `asset` after each of its fills: (time, qty), a step series.
    pub fn position_history(&self, asset: AssetId) -> Vec<(TimestampNs, f64)> {
        self.fills
            .iter()
            .filter(|f| f.asset == asset)
            .map(|f| (f.ts, f.position_after))
            .collect()
    }
}
