//! The engine: pure and synchronous. It knows no GUI, data-frame, file or thread types.
//!
//! The run loop is a plain loop over the feed (DESIGN.md, "Engine event loop"): per timestamp,
//! (1) the broker fills pending orders against the new bars and marks positions to the close,
//! (2) strategy callbacks run and their order requests are submitted, (3) equity is recorded and
//! the broker commits the timestamp ([`broker::Broker::end_timestamp`]);
//! every `progress_every` timestamps the progress callback runs; the cancel flag is read after
//! every timestamp (and every chunk of a fast-forward).

/// The `Broker` trait (fallible: a venue can fail) and the simulation broker.
pub mod broker;
/// The execution vocabulary: orders, rejections, broker settings, commission, fills, trades,
/// and the narrow interface through which brokers record equity.
pub mod execution;
/// The `DataFeed` trait and the historical feed.
pub mod feed;
/// The event loop specialised for compiled rules on one asset (same results, less dispatch).
mod fused;
/// Market data (struct of arrays) and borrowed bar views.
pub mod market;
/// Cash, positions, marks, equity.
pub mod portfolio;
/// What a run produces: fills, trades, equity curve, metrics, summary, result JSON.
pub mod results;
/// The `Strategy` trait (event callbacks) and its `Context`.
pub mod strategy;
/// Timestamps stored as arithmetic runs, shared by market data and the equity curve.
pub mod timeline;
/// Time, id and side value types.
pub mod types;

use std::sync::atomic::{AtomicBool, Ordering};

use broker::{Broker, BrokerError, SimulationBroker};
use execution::BrokerConfig;
use feed::{DataFeed, FeedError, HistoricalFeed};
use market::Bars;
use results::{EquityCurve, ResultBuffers, RunResult};
use strategy::{Context, Request, Strategy, StrategyError};
use types::TimestampNs;

/// Why a run stopped without a result.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    #[error("the strategy stopped the run at {ts} (timestamp #{index}): {source}")]
    Strategy {
        ts: TimestampNs,
        index: usize,
        source: StrategyError,
    },
    #[error("the strategy failed in {callback}: {source}")]
    StrategyLifecycle {
        callback: &'static str,
        source: StrategyError,
    },
    #[error("data feed: {0}")]
    Feed(#[from] FeedError),
    #[error("run cancelled after {timestamps} timestamps")]
    Cancelled { timestamps: usize },
    #[error("broker settings: {0}")]
    Config(String),
    #[error("broker at timestamp #{index}: {source}")]
    Broker { index: usize, source: BrokerError },
}

/// Reported every `progress_every` timestamps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    pub timestamps_done: usize,
    /// Known for historical feeds.
    pub timestamps_total: Option<usize>,
    pub bars_done: usize,
}

impl Progress {
    /// Fraction done in [0, 1], if the total is known.
    pub fn fraction(&self) -> Option<f64> {
        self.timestamps_total.map(|t| {
            if t == 0 {
                1.0
            } else {
                self.timestamps_done as f64 / t as f64
            }
        })
    }
}

/// Runs strategies over feeds. Holds only run options; all state lives in the run.
pub struct Engine<'a> {
    progress_every: usize,
    on_progress: Option<&'a mut dyn FnMut(Progress)>,
    cancel: Option<&'a AtomicBool>,
    fuse: bool,
    buffers: Option<&'a mut ResultBuffers>,
}

impl Default for Engine<'_> {
    fn default() -> Self {
        Engine {
            progress_every: 1 << 16,
            on_progress: None,
            cancel: None,
            fuse: true,
            buffers: None,
        }
    }
}

impl<'a> Engine<'a> {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many timestamps between progress reports (at least 1); cancel is read every timestamp.
    pub fn progress_every(mut self, timestamps: usize) -> Self {
        self.progress_every = timestamps.max(1);
        self
    }

    /// Called every `progress_every` timestamps and once at the end; it must not block.
    pub fn on_progress(mut self, f: &'a mut dyn FnMut(Progress)) -> Self {
        self.on_progress = Some(f);
        self
    }

    /// When the flag becomes true the run stops with [`EngineError::Cancelled`].
    pub fn cancel_flag(mut self, flag: &'a AtomicBool) -> Self {
        self.cancel = Some(flag);
        self
    }

    /// Whether compiled rules on single-asset data may take the fused path (on by default; the
    /// results are the same to the bit, so this is for tests and measurements of the generic
    /// loop).
    pub fn fused(mut self, on: bool) -> Self {
        self.fuse = on;
        self
    }

    /// Runs into the storage of earlier results (given back with [`RunResult::recycle`])
    /// instead of fresh memory: the same result, without faulting in tens of MB per run. For
    /// callers that run many times on one thread (a sweep).
    pub fn reuse(mut self, buffers: &'a mut ResultBuffers) -> Self {
        self.buffers = Some(buffers);
        self
    }

    /// Runs `strategy` over `feed`, executing through `broker`.
    pub fn run<F, B, S>(&mut self, feed: &mut F, broker: &mut B, strategy: &mut S) -> Result<RunResult, EngineError>
    where
        F: DataFeed + ?Sized,
        B: Broker + ?Sized,
        S: Strategy + ?Sized,
    {
        let mut session = Session {
            assets: feed.assets().to_vec(),
            signals: feed.signal_names().to_vec(),
            requests: Vec::new(),
            next_id: 0,
        };
        let (n_ts_hint, n_rows_hint) = feed.size_hint().unwrap_or((1024, 1024));
        let reused = self.buffers.as_deref_mut().map(|b| {
            let equity = b.equity.take();
            let records = (
                std::mem::take(&mut b.trades),
                std::mem::take(&mut b.fill_kinds),
                std::mem::take(&mut b.rejections),
            );
            (equity, std::mem::take(&mut b.fills), records)
        });
        let (mut equity, mut fills) = match reused {
            Some((equity, mut fills, (trades, kinds, rejections))) => {
                if let Some(sim) = broker.as_simulation() {
                    sim.reuse_records(trades, kinds, rejections);
                }
                fills.clear();
                if fills.capacity() < fill_capacity(n_rows_hint) {
                    fills = Vec::with_capacity(fill_capacity(n_rows_hint));
                    results::advise_huge_pages(&mut fills);
                }
                let equity = match equity {
                    Some(e) => e.reuse(n_ts_hint),
                    None => EquityCurve::with_capacity(n_ts_hint),
                };
                (equity, fills)
            }
            None => {
                // Reserved, not touched: a trade-heavy run then never copies its fills to a
                // grown buffer (growing a multi-megabyte Vec copied it and faulted in fresh
                // pages each time), and the pages it does touch come as huge pages. Past the
                // reservation it grows as usual.
                let mut fills = Vec::with_capacity(fill_capacity(n_rows_hint));
                results::advise_huge_pages(&mut fills);
                (EquityCurve::with_capacity(n_ts_hint), fills)
            }
        };
        broker.reserve(n_ts_hint, n_rows_hint);
        // Fills at a timestamp's close (same-close timing) happen after its decisions: the
        // strategy is told of them first thing at the next timestamp.
        let mut close_fills: Vec<execution::Fill> = Vec::new();
        let mut timestamps = 0usize;
        let mut bars_done = 0usize;
        let mut countdown = self.progress_every;
        let total = feed.size_hint().map(|(t, _)| t);
        let fast_forwards = strategy.fast_forwards();

        {
            let mut ctx = session.context(broker, TimestampNs::default(), 0, true);
            strategy
                .on_start(&mut ctx)
                .map_err(|source| EngineError::StrategyLifecycle {
                    callback: "on_start",
                    source,
                })?;
        }
        apply_requests(broker, &mut session.requests).map_err(|source| EngineError::Broker { index: 0, source })?;

        loop {
            let is_last = feed.remaining() == Some(1);
            let Some(slice) = feed.next_timestamp()? else {
                break;
            };
            let ts = slice.ts();
            let index = slice.index();
            let fail = |source| EngineError::Strategy { ts, index, source };
            let broker_fail = |source| EngineError::Broker { index, source };

            // 1. Fills at the open (and intrabar), then marks at the close. The broker appends
            // them to the run's fills directly: no per-timestamp buffer to copy from.
            let first_new = fills.len();
            broker.on_bars(&slice, &mut fills);

            // 2. Decisions at the close.
            {
                let mut ctx = session.context(broker, ts, index, !is_last);
                for fill in close_fills.iter().chain(&fills[first_new..]) {
                    strategy.on_fill(&mut ctx, fill).map_err(fail)?;
                }
                strategy.on_bars(&mut ctx, &slice).map_err(fail)?;
                strategy.on_timestamp(&mut ctx, &slice).map_err(fail)?;
            }
            close_fills.clear();
            if !session.requests.is_empty() {
                apply_requests(broker, &mut session.requests).map_err(broker_fail)?;
                let first_close = fills.len();
                broker.after_decisions(&slice, &mut fills);
                close_fills.extend_from_slice(&fills[first_close..]);
            }

            // 3. Equity at the close; the broker's commit point.
            record_equity(broker.portfolio(), ts, &mut equity);
            broker.end_timestamp(&slice).map_err(broker_fail)?;
            bars_done += slice.len();
            self.tick(1, &mut countdown, &mut timestamps, total, bars_done)?;

            // Fast-forward over timestamps where the strategy guarantees it does nothing.
            if fast_forwards
                && close_fills.is_empty()
                && broker.open_orders().is_empty()
                && let Some((bars, next)) = feed.upcoming()
            {
                // Compiled rules on one asset: the fused loop runs the next timestamps (quiet
                // or not) with the same callbacks, and hands back between chunks.
                if self.fuse
                    && next < bars.n_timestamps()
                    && let Some(rules) = strategy.compiled_rules()
                    && let Some(sim) = broker.as_simulation()
                    && fused::applies(rules, sim, bars)
                {
                    let done = fused::run(rules, sim, bars, next, &mut session, &mut fills, &mut equity)?;
                    bars_done += done;
                    self.tick(done, &mut countdown, &mut timestamps, total, bars_done)?;
                    feed.advance(done);
                    continue;
                }
                let ctx = session.context(broker, ts, index, true);
                let skip = strategy.skip_quiet(&ctx, bars, next).min(bars.n_timestamps() - next);
                if skip > 0 {
                    // In chunks of at most QUIET_CHUNK_ROWS rows, so that a fast-forward over
                    // millions of bars still reads the cancel flag every few milliseconds.
                    let (mut from, end) = (next, next + skip);
                    while from < end {
                        let to = quiet_chunk_end(bars, from, end);
                        broker
                            .on_quiet(bars, from, to, &mut equity)
                            .map_err(|source| EngineError::Broker { index: from, source })?;
                        bars_done += bars.timestamp_start(to) - bars.timestamp_start(from);
                        self.tick(to - from, &mut countdown, &mut timestamps, total, bars_done)?;
                        from = to;
                    }
                    feed.advance(skip);
                }
            }
        }

        {
            let last_ts = equity.last().map_or(TimestampNs::default(), |p| p.ts);
            let mut ctx = session.context(broker, last_ts, timestamps.saturating_sub(1), false);
            // A feed that did not know its last timestamp (live) may end on fills at the close.
            for fill in &close_fills {
                strategy
                    .on_fill(&mut ctx, fill)
                    .map_err(|source| EngineError::StrategyLifecycle {
                        callback: "on_fill",
                        source,
                    })?;
            }
            strategy
                .on_end(&mut ctx)
                .map_err(|source| EngineError::StrategyLifecycle {
                    callback: "on_end",
                    source,
                })?;
        }
        if let Some(f) = self.on_progress.as_mut() {
            f(Progress {
                timestamps_done: timestamps,
                timestamps_total: total,
                bars_done,
            });
        }

        let (trades, rejections) = broker.take_records();
        let mut notes = broker.take_notes();
        notes.market_exit_reason = strategy.market_exit_reason();
        if notes.fill_kinds.len() != fills.len() {
            notes.fill_kinds.clear();
        }
        let portfolio = broker.portfolio();
        Ok(RunResult {
            config: *broker.config(),
            assets: session.assets,
            initial_cash: portfolio.initial_cash(),
            equity,
            trades,
            fills,
            open_positions: portfolio.open_positions(),
            open_orders: broker.open_orders().to_vec(),
            rejections,
            timestamps,
            bars: bars_done,
            notes,
        })
    }
}

/// Per-run names and order bookkeeping that every [`Context`] borrows.
struct Session {
    assets: Vec<String>,
    signals: Vec<String>,
    requests: Vec<Request>,
    next_id: u64,
}

impl Session {
    #[inline]
    fn context<'a, B: Broker + ?Sized>(
        &'a mut self,
        broker: &'a B,
        ts: TimestampNs,
        index: usize,
        accept_orders: bool,
    ) -> Context<'a> {
        Context::new(
            broker.portfolio(),
            broker.open_orders(),
            &self.assets,
            &self.signals,
            &mut self.requests,
            &mut self.next_id,
            ts,
            index,
            accept_orders,
        )
    }
}

impl Engine<'_> {
    /// Counts `n` processed timestamps; every `progress_every` reports progress. The cancel flag
    /// is read on every call, i.e. after every timestamp and every fast-forward chunk: a relaxed
    /// load costs nothing next to a timestamp's work, and reading it by work done rather than by
    /// a timestamp count lets a strategy that is slow per bar on daily data (2,520 timestamps
    /// for ten years) stop within one bar's time.
    #[inline]
    fn tick(
        &mut self,
        n: usize,
        countdown: &mut usize,
        timestamps: &mut usize,
        total: Option<usize>,
        bars_done: usize,
    ) -> Result<(), EngineError> {
        *timestamps += n;
        if n < *countdown {
            *countdown -= n;
        } else {
            *countdown = self.progress_every - (n - *countdown) % self.progress_every;
            if let Some(f) = self.on_progress.as_mut() {
                f(Progress {
                    timestamps_done: *timestamps,
                    timestamps_total: total,
                    bars_done,
                });
            }
        }
        if self.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(EngineError::Cancelled {
                timestamps: *timestamps,
            });
        }
        Ok(())
    }
}

/// Rows per fast-forward chunk: marking this many positions takes well under a millisecond.
const QUIET_CHUNK_ROWS: usize = 1 << 16;

/// The end of the fast-forward chunk starting at timestamp `from`: the last timestamp `to <= end`
/// whose rows since `from` stay within [`QUIET_CHUNK_ROWS`], and at least `from + 1`.
fn quiet_chunk_end(bars: &Bars, from: usize, end: usize) -> usize {
    let limit = bars.timestamp_start(from).saturating_add(QUIET_CHUNK_ROWS);
    if bars.timestamp_start(end) <= limit {
        return end;
    }
    // start(lo) is accepted (lo = from + 1 always is), start(hi) is past the limit.
    let (mut lo, mut hi) = (from + 1, end);
    while lo + 1 < hi {
        let mid = lo + (hi - lo) / 2;
        if bars.timestamp_start(mid) <= limit {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// A small deterministic generator for tests: each call `rnd(k)` is uniform in `0..k`.
#[cfg(test)]
pub(crate) fn test_rng(seed: u64) -> impl FnMut(u64) -> u64 {
    let mut x = seed;
    move |k| {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (x >> 33) % k
    }
}

/// Room reserved for the fills of a run over `rows` bars: one fill per four bars covers runs that
/// trade every few bars (S0 on minute bars fills on one bar in seven).
pub(crate) fn fill_capacity(rows: usize) -> usize {
    (rows / 4).max(64)
}

#[inline]
fn record_equity(p: &portfolio::Portfolio, ts: TimestampNs, equity: &mut EquityCurve) {
    let (eq, gross, _) = p.marked();
    equity.push(ts, eq, p.cash(), gross);
}

fn apply_requests<B: Broker + ?Sized>(broker: &mut B, requests: &mut Vec<Request>) -> Result<(), BrokerError> {
    for r in requests.drain(..) {
        match r {
            Request::Submit(order) => broker.submit(order)?,
            Request::Cancel(id) => {
                broker.cancel(id);
            }
        }
    }
    Ok(())
}

/// Runs `strategy` over `bars` with a [`SimulationBroker`]: the one-call backtest.
pub fn backtest<S: Strategy + ?Sized>(
    bars: &Bars,
    strategy: &mut S,
    config: BrokerConfig,
) -> Result<RunResult, EngineError> {
    config.validate().map_err(EngineError::Config)?;
    let mut broker = SimulationBroker::new(config, bars.assets().len());
    Engine::new().run(&mut HistoricalFeed::new(bars), &mut broker, strategy)
}
