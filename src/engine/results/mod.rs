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

/// Per-timestamp account values: one point per timestamp of the feed.
///
/// Stored compactly, because recording it is what bounds a long run's speed (every point is
/// fresh memory the kernel has to zero): cash changes only at fills, so it is a step series;
/// and while the account is flat (equity equal to cash, no exposure) a point costs only its
/// timestamp, the flat stretches being kept as index ranges. Equity and gross exposure are
/// stored for the other points. Read it with [`EquityCurve::iter`] or the column accessors.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EquityCurve {
    ts: Vec<i64>,
    /// Ranges `start..end` of flat points, in order, disjoint and never adjacent.
    flat: Vec<(usize, usize)>,
    /// Equity and gross exposure of the points outside `flat`, in order.
    held_equity: Vec<f64>,
    held_gross: Vec<f64>,
    /// (first point index, cash) at each change of cash.
    cash_steps: Vec<(usize, f64)>,
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
        // Reserved, not touched: the held columns only take memory where a position is held.
        let mut c = EquityCurve {
            ts: Vec::with_capacity(n),
            held_equity: Vec::with_capacity(n),
            held_gross: Vec::with_capacity(n),
            ..Default::default()
        };
        advise_huge_pages(&mut c.ts);
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
        debug_assert!(
            !self.cash_steps.is_empty() || self.ts.is_empty(),
            "the first point needs its cash"
        );
        let cash = self.cash_steps.last().map_or(f64::NAN, |&(_, c)| c);
        // Bit-equal, so the flat form gives back exactly what was pushed.
        if equity.to_bits() == cash.to_bits() && gross.to_bits() == 0 {
            self.push_flat(std::iter::once(ts.0));
        } else {
            self.ts.push(ts.0);
            self.held_equity.push(equity);
            self.held_gross.push(gross);
        }
    }

    /// Records `(timestamp, equity, gross exposure)` points, all with the previous point's cash.
    #[inline]
    pub fn extend_same_cash(&mut self, points: impl IntoIterator<Item = (i64, f64, f64)>) {
        let Some(&(_, cash)) = self.cash_steps.last() else {
            debug_assert!(false, "the first point needs its cash");
            return;
        };
        for (ts, equity, gross) in points {
            if equity.to_bits() == cash.to_bits() && gross.to_bits() == 0 {
                self.push_flat(std::iter::once(ts));
            } else {
                self.ts.push(ts);
                self.held_equity.push(equity);
                self.held_gross.push(gross);
            }
        }
    }

    /// Records timestamps at which the account is flat (equity = the current cash, no exposure).
    #[inline]
    pub fn push_flat(&mut self, ts: impl IntoIterator<Item = i64>) {
        debug_assert!(!self.cash_steps.is_empty(), "the first point needs its cash");
        let start = self.ts.len();
        self.ts.extend(ts);
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
        self.ts.is_empty()
    }

    /// Timestamps (ns since the epoch, UTC) of the points.
    pub fn ts(&self) -> &[i64] {
        &self.ts
    }

    /// The points in order, without materialising any column.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = EquityPoint> + '_ {
        let mut flat = self.flat.iter().peekable();
        let mut cash = self.cash_steps.iter().peekable();
        let mut current_cash = f64::NAN;
        let mut held = 0;
        (0..self.ts.len()).map(move |i| {
            while let Some(&&(from, c)) = cash.peek()
                && from <= i
            {
                current_cash = c;
                cash.next();
            }
            while flat.peek().is_some_and(|r| r.1 <= i) {
                flat.next();
            }
            let ts = TimestampNs(self.ts[i]);
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

    /// The last point.
    pub fn last(&self) -> Option<EquityPoint> {
        let i = self.ts.len().checked_sub(1)?;
        let cash = self.cash_at(i);
        let flat = self.flat.last().is_some_and(|r| r.1 == self.ts.len());
        Some(EquityPoint {
            ts: TimestampNs(self.ts[i]),
            equity: if flat { cash } else { *self.held_equity.last()? },
            cash,
            gross_exposure: if flat { 0.0 } else { *self.held_gross.last()? },
        })
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
        assert_eq!(c.ts(), &[1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert_eq!(c.equity(), want.iter().map(|w| w.1).collect::<Vec<_>>());
        assert_eq!(c.cash(), want.iter().map(|w| w.2).collect::<Vec<_>>());
        assert_eq!(c.gross_exposure()[2], 91.5);
        assert_eq!(c.net_exposure()[2], 91.5);
        assert_eq!(c.cash_at(2), 10.0);
        let last = want.pop().unwrap();
        assert_eq!(
            c.last().map(|p| (p.ts.0, p.equity, p.cash)),
            Some((last.0, last.1, last.2))
        );
        // Only the held points take equity and exposure storage.
        assert_eq!((c.held_equity.len(), c.flat.len()), (3, 4));
        assert_eq!(EquityCurve::default().last(), None);
    }
}
