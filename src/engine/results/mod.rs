//! What a run produces: fills, round-trip trades, the equity curve, open positions at the end,
//! and (computed from those on demand) metrics and a text summary.

pub mod compare;
pub mod json;
pub mod metrics;
mod summary;

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

/// Per-timestamp account values, as a struct of arrays (one entry per timestamp of the feed).
/// Cash changes only at fills, so it is kept as a step series rather than a column: a run writes
/// 24 bytes per timestamp, which is what bounds the engine's speed on long single-asset runs
/// (fresh memory has to be zeroed by the kernel).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EquityCurve {
    pub ts: Vec<i64>,
    /// Cash plus the marked value of all positions at each timestamp's close.
    pub equity: Vec<f64>,
    /// Sum of |qty * price| over positions.
    pub gross_exposure: Vec<f64>,
    /// (first timestamp index, cash) at each change of cash.
    cash_steps: Vec<(usize, f64)>,
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

impl EquityCurve {
    pub fn with_capacity(n: usize) -> Self {
        let mut c = EquityCurve {
            ts: Vec::with_capacity(n),
            equity: Vec::with_capacity(n),
            gross_exposure: Vec::with_capacity(n),
            cash_steps: Vec::new(),
        };
        advise_huge_pages(&mut c.ts);
        advise_huge_pages(&mut c.equity);
        advise_huge_pages(&mut c.gross_exposure);
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
        debug_assert!(
            !self.cash_steps.is_empty() || self.ts.is_empty(),
            "the first point needs its cash"
        );
        self.ts.push(ts.0);
        self.equity.push(equity);
        self.gross_exposure.push(gross);
    }

    pub fn len(&self) -> usize {
        self.ts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// Cash at the close of timestamp `i`.
    pub fn cash_at(&self, i: usize) -> f64 {
        let k = self.cash_steps.partition_point(|&(from, _)| from <= i);
        self.cash_steps.get(k.wrapping_sub(1)).map_or(0.0, |&(_, c)| c)
    }

    /// Cash at every timestamp.
    pub fn cash(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.len());
        for (k, &(from, c)) in self.cash_steps.iter().enumerate() {
            let to = self.cash_steps.get(k + 1).map_or(self.len(), |&(next, _)| next);
            out.extend(std::iter::repeat_n(c, to.saturating_sub(from)));
        }
        out
    }

    /// Net exposure (`Σ qty * price`) at every timestamp: equity minus cash.
    pub fn net_exposure(&self) -> Vec<f64> {
        self.equity.iter().zip(self.cash()).map(|(e, c)| e - c).collect()
    }

    /// Drawdown at each point as a fraction of the running peak (0 or negative).
    pub fn drawdown(&self) -> Vec<f64> {
        let mut peak = f64::NEG_INFINITY;
        self.equity
            .iter()
            .map(|&e| {
                peak = peak.max(e);
                if peak > 0.0 { e / peak - 1.0 } else { 0.0 }
            })
            .collect()
    }
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
        self.equity.equity.last().copied().unwrap_or(self.initial_cash)
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
