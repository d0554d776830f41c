//! The fused single-asset path: the event loop of [`crate::Engine::run`] specialised for
//! compiled rules driving the simulation broker over one asset (one bar per timestamp).
//!
//! Why: on trade-heavy data (a round trip every 15 bars) the generic loop's per-timestamp
//! machinery (the feed, dynamic dispatch, the progress tick, the general order book of
//! `fill_pending`) costs more than the work itself. Here the same strategy and broker methods
//! run in the same order on the same values, so the result is the generic loop's to the bit
//! (the property test `fused_equals_generic` pins it), and only the dispatch is gone: per
//! timestamp the broker fills and marks (`SimulationBroker::on_lone_bar`), the rules see the
//! fills, the bar and the timestamp, their orders are submitted, equity is recorded, and quiet
//! stretches are skipped through the rules' own `skip_quiet` and the broker's `on_quiet`.

use crate::broker::{Broker, SimulationBroker};
use crate::execution::{Fill, FillTiming, Order, OrderKind, RejectReason};
use crate::market::{BarSlice, Bars};
use crate::results::EquityCurve;
use crate::strategy::Strategy;
use crate::strategy::rules::{CompiledRules, PlainRules};
use crate::types::{AssetId, OrderId, Side, TimestampNs};
use crate::{EngineError, Session, apply_requests, record_equity};

/// Rows per call: at the generic loop's worst rate (every row a decision) well under 10 ms, so
/// the engine reads the cancel flag and reports progress that often.
pub(crate) const FUSED_CHUNK_ROWS: usize = 1 << 17;

/// Whether the fused path runs `rules` through `broker` over `bars` exactly as the generic loop
/// would: one asset, one bar per timestamp, the data the rules were compiled for, and fills at
/// the next open (same-close fills reach the strategy a timestamp later, which only the
/// generic loop models).
pub(crate) fn applies(rules: &CompiledRules, broker: &SimulationBroker, bars: &Bars) -> bool {
    bars.assets().len() == 1
        && bars.len() == bars.n_timestamps()
        && rules.is_source(bars)
        && broker.config().fill_timing == FillTiming::NextOpen
}

/// Runs timestamps `next..` of `bars` (at most about [`FUSED_CHUNK_ROWS`] of them, and never past
/// the end) as the generic loop would, and returns how many it ran. Called where the generic
/// loop would fast-forward: after a whole timestamp, with no order pending. It may return with
/// an order pending (the generic loop fills it at the next timestamp, as it would have).
#[allow(clippy::too_many_arguments)]
pub(crate) fn run(
    rules: &mut CompiledRules,
    broker: &mut SimulationBroker,
    bars: &Bars,
    next: usize,
    session: &mut Session,
    fills: &mut Vec<Fill>,
    equity: &mut EquityCurve,
) -> Result<usize, EngineError> {
    #[cfg(test)]
    tests::CALLS.with(|c| c.set(c.get() + 1));
    let n = bars.n_timestamps();
    let end = n.min(next.saturating_add(FUSED_CHUNK_ROWS));
    let last = n - 1;
    let (range, order) = (next..end, None);
    match rules.plain() {
        Some(plain) => drive(
            broker,
            bars,
            range,
            session,
            fills,
            equity,
            Plain { plain, last, order },
        ),
        None => drive(broker, bars, range, session, fills, equity, Callbacks { rules, last }),
    }
}

/// The decisions of a timestamp went through, or the run stops.
type Outcome = Result<(), EngineError>;

/// What the fused loop asks the strategy side: how far nothing happens, and the decisions of
/// one timestamp (after its fills, before its equity is recorded).
trait Decide {
    /// Timestamps from `t` on (no order pending) on which the strategy does nothing.
    fn quiet(&mut self, session: &mut Session, broker: &SimulationBroker, bars: &Bars, t: usize) -> usize;
    /// The decisions at timestamp `at`, after its fills `new`; orders go to `broker` (or are
    /// kept by the strategy side, see [`Decide::take_order`]).
    fn decide(&mut self, s: &mut Session, broker: &mut SimulationBroker, new: &[Fill], at: &BarSlice) -> Outcome;
    /// An admitted order kept here instead of in the broker's book (filled at the next bar).
    fn take_order(&mut self) -> Option<Order> {
        None
    }
    /// Whether such an order is kept.
    fn has_order(&self) -> bool {
        false
    }
    /// Timestamps from `t` on (before `end`, the kept order due to fill at `t`) that go by
    /// with nothing but refused orders, as the loop would run them: the kept order is refused
    /// for want of cash (the account stays flat), the timestamps up to the next entry are
    /// quiet, there the bar is marked and the decisions are taken, and so on; the equity
    /// points are recorded at once (flat, at the unchanged cash). Stops before a timestamp at
    /// which the order would fill, and after one that decides no order. Returns how many
    /// timestamps it ran.
    fn starved(
        &mut self,
        _: &mut Session,
        _: &mut SimulationBroker,
        _: &Bars,
        _: usize,
        _: usize,
        _: &mut EquityCurve,
    ) -> Result<usize, EngineError> {
        Ok(0)
    }
}

/// The engine loop's steps for each timestamp of `range` (one bar each), with quiet stretches
/// fast-forwarded by the broker; returns the number of timestamps run.
fn drive(
    broker: &mut SimulationBroker,
    bars: &Bars,
    range: std::ops::Range<usize>,
    session: &mut Session,
    fills: &mut Vec<Fill>,
    equity: &mut EquityCurve,
    mut strategy: impl Decide,
) -> Result<usize, EngineError> {
    let (next, end) = (range.start, range.end);
    let mut t = next;
    // The order due at the previous timestamp was refused (nothing filled).
    let mut refused = false;
    while t < end {
        if broker.open_orders().is_empty() && !strategy.has_order() {
            let skip = strategy.quiet(session, broker, bars, t).min(end - t);
            if skip > 0 {
                broker
                    .on_quiet(bars, t, t + skip, equity)
                    .map_err(|source| EngineError::Broker { index: t, source })?;
                t += skip;
                if t == end {
                    break;
                }
            }
        }
        if refused && strategy.has_order() {
            // A strategy too poor to buy submits and is refused at every bar its entry holds:
            // after the first refusal, those bars in bulk.
            let k = strategy.starved(session, broker, bars, t, end, equity)?;
            if k > 0 {
                t += k;
                continue;
            }
        }
        let slice = BarSlice::new(bars, t..t + 1, t);
        let bar = bars.bar(t);
        let first_new = fills.len();
        match strategy.take_order() {
            Some(order) => {
                broker.fill_lone(order, &slice, &bar, fills);
                broker.mark_lone(&slice, &bar);
                refused = fills.len() == first_new;
            }
            None => {
                broker.on_lone_bar(&slice, &bar, fills);
                refused = false;
            }
        }
        strategy.decide(session, broker, &fills[first_new..], &slice)?;
        record_equity(broker.portfolio(), bar.ts(), equity);
        broker
            .end_timestamp(&slice)
            .map_err(|source| EngineError::Broker { index: t, source })?;
        t += 1;
    }
    // An order decided at the chunk's last timestamp waits in the broker's book, where the
    // generic loop looks for it (admitted already: `submit` only books it).
    if let Some(order) = strategy.take_order() {
        broker
            .submit(order)
            .map_err(|source| EngineError::Broker { index: t, source })?;
    }
    Ok(t - next)
}

/// Any compiled rules: their own callbacks and fast-forward, as the generic loop calls them.
struct Callbacks<'a> {
    rules: &'a mut CompiledRules,
    last: usize,
}

impl Decide for Callbacks<'_> {
    #[inline]
    fn quiet(&mut self, session: &mut Session, broker: &SimulationBroker, bars: &Bars, t: usize) -> usize {
        let prev = t.saturating_sub(1);
        let ctx = session.context(broker, TimestampNs(bars.ts()[prev]), prev, true);
        self.rules.skip_quiet(&ctx, bars, t)
    }

    #[inline]
    fn decide(&mut self, s: &mut Session, broker: &mut SimulationBroker, new: &[Fill], at: &BarSlice) -> Outcome {
        let (session, slice) = (s, at);
        let (t, ts) = (slice.index(), slice.ts());
        let fail = |source| EngineError::Strategy { ts, index: t, source };
        {
            let mut ctx = session.context(broker, ts, t, t != self.last);
            for fill in new {
                self.rules.on_fill(&mut ctx, fill).map_err(fail)?;
            }
            self.rules.on_bar(&mut ctx, slice.source().bar(t)).map_err(fail)?;
            self.rules.on_timestamp(&mut ctx, slice).map_err(fail)?;
        }
        if !session.requests.is_empty() {
            apply_requests(broker, &mut session.requests).map_err(|source| EngineError::Broker { index: t, source })?;
        }
        Ok(())
    }
}

/// Plain rules (see [`CompiledRules::plain`]): the decisions come straight from the masks and
/// the sizer, with the checks and the order fields of `CompiledRules::on_bar`,
/// `RuleOrders::enter` / `exit` and `Context::order_oco`; the quiet stretches are the ones
/// `skip_quiet` finds (up to the next row where the entry holds when flat, the exit when long).
struct Plain<'a> {
    plain: PlainRules<'a>,
    last: usize,
    /// The order decided at the previous timestamp, admitted (it fills at this one).
    order: Option<Order>,
}

const ASSET: AssetId = AssetId(0);

impl Decide for Plain<'_> {
    #[inline]
    fn quiet(&mut self, _: &mut Session, broker: &SimulationBroker, bars: &Bars, t: usize) -> usize {
        let n = bars.n_timestamps();
        let to = if broker.portfolio().qty(ASSET) != 0.0 {
            self.plain.next_exit(t, n)
        } else {
            self.plain.next_entry(t, n)
        };
        to - t
    }

    #[inline]
    fn decide(&mut self, s: &mut Session, broker: &mut SimulationBroker, _: &[Fill], at: &BarSlice) -> Outcome {
        let (session, slice) = (s, at);
        let t = slice.index();
        // No order on the last bar (the context refuses them there: nothing could fill).
        if t == self.last {
            return Ok(());
        }
        let bar = slice.source().bar(t);
        let p = broker.portfolio();
        let q = p.qty(ASSET);
        let order = if q == 0.0 {
            if self.plain.enters(t) {
                self.plain
                    .entry_qty(p.cash(), p.last_price(ASSET), &bar)
                    .map(|qty| (Side::Buy, qty))
            } else {
                None
            }
        } else if self.plain.exits(t) {
            // `Context::close_position`.
            Some(if q > 0.0 { (Side::Sell, q) } else { (Side::Buy, -q) })
        } else {
            None
        };
        let Some((side, qty)) = order else {
            return Ok(());
        };
        // Built in place: a copy read back right after its fields were written would stall
        // on store forwarding (several narrow stores, one wide load).
        let order = self.order.insert(Order {
            id: OrderId(session.next_id),
            asset: ASSET,
            side,
            qty,
            kind: OrderKind::Market,
            submitted_ts: slice.ts(),
            submitted_bar: t,
            oco: None,
        });
        session.next_id += 1;
        // `submit`, with the book kept here.
        if !broker.admit(order) {
            self.order = None;
        }
        Ok(())
    }

    #[inline]
    fn take_order(&mut self) -> Option<Order> {
        self.order.take()
    }

    fn starved(
        &mut self,
        s: &mut Session,
        broker: &mut SimulationBroker,
        bars: &Bars,
        t: usize,
        end: usize,
        equity: &mut EquityCurve,
    ) -> Result<usize, EngineError> {
        // The account holds nothing, so `record_equity` would record each point as flat: its
        // equity `cash + 0.0` is the cash itself (but for a cash of -0.0), with no exposure.
        // And a first point records the cash, which flat points after it take.
        let p = broker.portfolio();
        if !p.held().is_empty() || p.cash().to_bits() == (-0.0f64).to_bits() || equity.is_empty() {
            return Ok(0);
        }
        let (start, n) = (t, bars.n_timestamps());
        let mut t = t;
        // At `t` the kept order is due to fill.
        while t < end {
            let Some(order) = self.order.as_ref() else {
                break;
            };
            let bar = bars.bar(t);
            if !broker.lone_buy_refused(order, &bar) {
                break;
            }
            // `fill_lone`, the order refused. The timestamps up to the next entry are quiet
            // (flat, no order): only the last one's mark counts, and the next entry's
            // decisions read it.
            broker.reject(order, bar.ts(), RejectReason::InsufficientCash);
            self.order = None;
            let entry = self.plain.next_entry(t, n).min(end);
            let at = if entry == end { end - 1 } else { entry };
            let slice = BarSlice::new(bars, at..at + 1, at);
            broker.mark_lone(&slice, &bars.bar(at));
            if entry == end {
                t = end;
                break;
            }
            self.decide(s, broker, &[], &slice)?;
            t = entry + 1;
        }
        if t > start {
            equity.push_flat_times(bars.times(), start, t);
        }
        Ok(t - start)
    }

    #[inline]
    fn has_order(&self) -> bool {
        self.order.is_some()
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use proptest::prelude::*;

    use crate::execution::{BrokerConfig, CashRule, Commission, FillTiming};
    use crate::feed::HistoricalFeed;
    use crate::market::Bars;
    use crate::results::metrics::MetricsOptions;
    use crate::strategy::rules::{Direction, EntryOrder, ExitFills, Rule, SignalStrategy, Sizer};
    use crate::{Engine, EngineError, RunResult, broker::SimulationBroker};

    thread_local! {
        /// Calls of the fused path on this thread (tests only).
        pub(super) static CALLS: Cell<usize> = const { Cell::new(0) };
    }

    /// A random walk of `n` bars with signals `s` (uniform, some NaN) and `v` (uniform), from
    /// `seed`; prices stay positive and every bar's open and close lie in its [low, high].
    fn walk(n: usize, seed: u64, start: f64) -> Bars {
        let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let mut next = move || {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        let (mut o, mut h, mut l, mut c, mut v, mut s, mut s2) =
            (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
        let mut px = start;
        for _ in 0..n {
            let open = px * (1.0 + (next() - 0.5) * 0.02);
            let close = open * (1.0 + (next() - 0.5) * 0.04);
            o.push(open);
            c.push(close);
            h.push(open.max(close) * (1.0 + next() * 0.01));
            l.push(open.min(close) * (1.0 - next() * 0.01));
            v.push((next() * 1e4).floor());
            let u = next();
            s.push(if u < 0.03 { f64::NAN } else { next() });
            s2.push(next());
            px = close;
        }
        let ts = (0..n as i64)
            .map(|i| 1_700_000_000_000_000_000 + i * 60_000_000_000)
            .collect();
        Bars::single("A", ts, o, h, l, c, v, vec![("s".into(), s), ("v".into(), s2)]).unwrap()
    }

    fn run(bars: &Bars, rules: &SignalStrategy, config: BrokerConfig, fuse: bool) -> Result<RunResult, EngineError> {
        let mut compiled = rules.compile(bars).unwrap();
        let mut broker = SimulationBroker::new(config, 1);
        Engine::new()
            .fused(fuse)
            .run(&mut HistoricalFeed::new(bars), &mut broker, &mut compiled)
    }

    /// Every field of a result as text: floats print to the bit (shortest round trip, signed
    /// zeros), the equity curve as its points and as stored.
    fn fingerprint(r: &RunResult) -> String {
        let points: Vec<_> = r
            .equity
            .iter()
            .map(|p| (p.ts.0, p.equity.to_bits(), p.cash.to_bits(), p.gross_exposure.to_bits()))
            .collect();
        format!("{r:?}\n{points:?}\n{:?}", r.metrics(&MetricsOptions::default()))
    }

    fn sizer(k: u8, x: f64) -> Sizer {
        match k % 5 {
            0 => Sizer::FixedQuantity((x * 40.0).floor() + 1.0),
            1 => Sizer::PercentOfCash(0.05 + x * 0.95),
            2 => Sizer::PercentOfEquity(0.05 + x * 0.95),
            3 => Sizer::FixedNotional(50.0 + x * 5_000.0),
            _ => Sizer::ConfidenceScaled("v".into(), 1.0 + x, 0.9),
        }
    }

    /// Entry and exit lists from `k`: thresholds, ranges, OR groups, negations, no exit at all,
    /// and (for the fused path's general loop) position rules, shorts and resting orders.
    fn rules(k: u8, te: f64, tx: f64, x: f64) -> SignalStrategy {
        let base = SignalStrategy::new().entry(Rule::signal_above("s", te));
        match k % 10 {
            0 => base.exit(Rule::signal_below("s", tx)),
            1 => base
                .entry(Rule::signal_below("v", 0.5 + x / 2.0))
                .exit(Rule::signal_below("s", tx)),
            2 => base.exit_any([Rule::signal_below("s", tx), Rule::signal_above("v", 0.9)]),
            3 => base,
            4 => SignalStrategy::new()
                .entry(Rule::not(Rule::signal_between("s", tx.min(te), tx.max(te))))
                .exit(Rule::signal_between("s", tx.min(te), tx.max(te))),
            5 => base.exit_any([
                Rule::signal_below("s", tx),
                Rule::stop_loss(0.01),
                Rule::take_profit(0.02),
            ]),
            6 => SignalStrategy {
                direction: Direction::LongShort,
                short_entry: vec![Rule::signal_below("s", tx)],
                short_exit: vec![Rule::signal_above("s", te)],
                ..base.exit(Rule::signal_below("s", tx))
            },
            7 => SignalStrategy {
                exit_fills: ExitFills::Intrabar,
                ..base.exit_any([
                    Rule::signal_below("s", tx),
                    Rule::stop_loss(0.01),
                    Rule::take_profit(0.015),
                ])
            },
            8 => SignalStrategy {
                entry_order: EntryOrder::Limit {
                    offset: x * 0.01,
                    valid_bars: 1 + (x * 3.0) as u32,
                },
                ..base.exit(Rule::signal_below("s", tx))
            },
            _ => base.exit(Rule::max_holding_bars(1 + (x * 5.0) as u32)),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// The fused single-asset path gives the generic loop's result on every field: fills,
        /// fill kinds, trades, rejections, equity points, open positions and orders, metrics.
        #[test]
        fn prop_fused_equals_generic(
            n in 2usize..300,
            seed in any::<u64>(),
            kind in any::<u8>(),
            sizer_kind in any::<u8>(),
            te in 0.3f64..0.95,
            tx in 0.05f64..0.6,
            x in 0.0f64..1.0,
            cash in prop_oneof![50.0f64..2_000.0, 2_000.0f64..200_000.0],
            percent in prop_oneof![Just(0.0), 0.0f64..0.01],
            minimum in prop_oneof![Just(0.0), 0.0f64..5.0],
            slippage_bps in prop_oneof![Just(0.0), 0.0f64..50.0],
            reject in any::<bool>(),
            volume_cap in prop_oneof![Just(None), Just(Some(0.01))],
        ) {
            let bars = walk(n, seed, 100.0);
            let mut s = rules(kind, te, tx, x);
            s.sizer = sizer(sizer_kind, x);
            let config = BrokerConfig {
                initial_cash: cash,
                commission: Commission { percent, minimum, ..Commission::default() },
                slippage_bps,
                cash_rule: if reject { CashRule::Reject } else { CashRule::Cap },
                allow_short: s.goes_short(),
                max_volume_fraction: volume_cap,
                borrow_rate: if s.goes_short() { 0.05 } else { 0.0 },
                // Same-close fills keep the generic loop.
                fill_timing: if x > 0.9 { FillTiming::SameClose } else { FillTiming::NextOpen },
                ..BrokerConfig::default()
            };
            let before = CALLS.with(Cell::get);
            let fused = run(&bars, &s, config, true).unwrap();
            let fused_calls = CALLS.with(Cell::get) - before;
            let generic = run(&bars, &s, config, false).unwrap();
            prop_assert_eq!(CALLS.with(Cell::get) - before, fused_calls, "the generic run took the fused path");
            prop_assert_eq!(fingerprint(&fused), fingerprint(&generic));
            prop_assert_eq!(fused, generic);
        }
    }

    /// A run into the recycled buffers of other runs gives a fresh run's result.
    #[test]
    fn run_into_reused_buffers_equals_a_fresh_run() {
        let bars = walk(3_000, 11, 100.0);
        let config = BrokerConfig {
            commission: Commission::percent(0.001),
            ..BrokerConfig::default()
        };
        let mut buffers = crate::results::ResultBuffers::new();
        for (k, (te, tx)) in [(0.6, 0.5), (0.9, 0.1), (0.7, 0.3), (0.6, 0.5)].into_iter().enumerate() {
            let s = rules(k as u8 * 5, te, tx, 0.5).sizer(Sizer::FixedQuantity(3.0));
            let fresh = run(&bars, &s, config, true).unwrap();
            let mut compiled = s.compile(&bars).unwrap();
            let mut broker = SimulationBroker::new(config, 1);
            let reused = Engine::new()
                .reuse(&mut buffers)
                .run(&mut HistoricalFeed::new(&bars), &mut broker, &mut compiled)
                .unwrap();
            assert_eq!(fingerprint(&reused), fingerprint(&fresh), "run {k}");
            reused.recycle(&mut buffers);
        }
    }

    /// Past one chunk the engine takes over between chunks (progress, cancel): same result.
    #[test]
    fn fused_equals_generic_across_chunks() {
        let bars = walk(super::FUSED_CHUNK_ROWS * 2 + 1_000, 7, 100.0);
        let s = SignalStrategy::new()
            .entry(Rule::signal_above("s", 0.8))
            .exit(Rule::signal_below("s", 0.4))
            .sizer(Sizer::FixedQuantity(1.0));
        let config = BrokerConfig::default();
        let before = CALLS.with(Cell::get);
        let fused = run(&bars, &s, config, true).unwrap();
        assert!(CALLS.with(Cell::get) - before >= 3, "one call per chunk at least");
        let generic = run(&bars, &s, config, false).unwrap();
        assert!(fused.trades.len() > 1_000);
        assert_eq!(fingerprint(&fused), fingerprint(&generic));
    }

    /// An account too poor to buy is refused at every bar its entry holds (those bars run in
    /// bulk), and buys again when the price falls back: the generic loop's result, across
    /// chunks (an order refused or due at a chunk's end), for both cash rules.
    #[test]
    fn starved_account_equals_generic() {
        let bars = walk(super::FUSED_CHUNK_ROWS * 2 + 5_000, 5, 100.0);
        let sizers = [Sizer::FixedQuantity(10.0), Sizer::PercentOfEquity(1.0)];
        for (rule, sizer) in [CashRule::Cap, CashRule::Reject].into_iter().zip(sizers) {
            for cash in [150.0, 1_000.0, 20_000.0] {
                let s = SignalStrategy::new()
                    .entry(Rule::signal_above("s", 0.3))
                    .exit(Rule::signal_below("s", 0.2))
                    .sizer(sizer.clone());
                let config = BrokerConfig {
                    initial_cash: cash,
                    commission: Commission {
                        percent: 0.001,
                        minimum: 1.0,
                        ..Commission::default()
                    },
                    slippage_bps: 5.0,
                    cash_rule: rule,
                    ..BrokerConfig::default()
                };
                let fused = run(&bars, &s, config, true).unwrap();
                let generic = run(&bars, &s, config, false).unwrap();
                assert!(
                    fused.rejections.len() > 1_000,
                    "{rule:?} {cash}: {}",
                    fused.rejections.len()
                );
                assert!(!fused.trades.is_empty(), "{rule:?} {cash}: no trade");
                assert_eq!(fingerprint(&fused), fingerprint(&generic), "{rule:?} {cash}");
                assert_eq!(fused, generic);
            }
        }
    }

    /// The cancel flag stops a fused run within a chunk.
    #[test]
    fn fused_run_honours_cancel_and_progress() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let bars = walk(super::FUSED_CHUNK_ROWS * 3, 3, 100.0);
        let s = SignalStrategy::new()
            .entry(Rule::signal_above("s", 0.8))
            .exit(Rule::signal_below("s", 0.4))
            .sizer(Sizer::FixedQuantity(1.0));
        let cancel = AtomicBool::new(false);
        let mut reports = Vec::new();
        let mut on_progress = |p: crate::Progress| {
            reports.push(p.timestamps_done);
            if p.timestamps_done > super::FUSED_CHUNK_ROWS {
                cancel.store(true, Ordering::Relaxed);
            }
        };
        let mut compiled = s.compile(&bars).unwrap();
        let mut broker = SimulationBroker::new(BrokerConfig::default(), 1);
        let r = Engine::new()
            .progress_every(1_000)
            .on_progress(&mut on_progress)
            .cancel_flag(&cancel)
            .run(&mut HistoricalFeed::new(&bars), &mut broker, &mut compiled);
        match r {
            Err(EngineError::Cancelled { timestamps }) => {
                assert!(timestamps < 2 * super::FUSED_CHUNK_ROWS + 10, "{timestamps}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(reports, [super::FUSED_CHUNK_ROWS + 1], "one report per chunk");
    }
}
