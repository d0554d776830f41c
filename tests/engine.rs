//! Engine-level properties on random data: accounting identities, the cash account, fill prices
//! inside the bar, and no look-ahead.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ml4t_engine::broker::SimulationBroker;
use ml4t_engine::execution::{BrokerConfig, CashRule, Commission, Fill, FillTiming, IntrabarPriority, OrderKind};
use ml4t_engine::feed::{DataFeed, FeedError, HistoricalFeed};
use ml4t_engine::market::{Bar, BarColumns, BarSlice, Bars};
use ml4t_engine::results::RunResult;
use ml4t_engine::strategy::{Context, Strategy, StrategyResult};
use ml4t_engine::types::{AssetId, Side, SignalId};
use ml4t_engine::{Engine, backtest};
use proptest::prelude::*;
use proptest::strategy::Strategy as _;

mod common;
use common::arb_bars;

/// A deterministic trader driven by the data: buys, partial sells, closes, stops and limits.
struct DataDriven;

impl Strategy for DataDriven {
    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: Bar<'_>) -> StrategyResult {
        let s = bar.signal(SignalId(0));
        let a = bar.asset();
        let pos = ctx.position(a);
        if s > 0.7 {
            ctx.buy_percent(a, 0.6);
        } else if s < 0.15 {
            ctx.close_position(a);
        } else if (0.45..0.5).contains(&s) {
            ctx.sell_percent(a, 0.5);
        } else if (0.3..0.33).contains(&s) && pos > 0.0 {
            ctx.sell_stop(a, pos, bar.close() * 0.98);
        } else if (0.55..0.58).contains(&s) {
            ctx.buy_limit(a, 3.0, bar.close() * 0.99);
        }
        Ok(())
    }
}

/// [`DataDriven`], recording each fill it is told about and the timestamp index it was told at.
#[derive(Default)]
struct FillLog {
    seen: Vec<(Fill, usize)>,
}

impl Strategy for FillLog {
    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: Bar<'_>) -> StrategyResult {
        DataDriven.on_bar(ctx, bar)
    }
    fn on_fill(&mut self, ctx: &mut Context<'_>, fill: &Fill) -> StrategyResult {
        self.seen.push((*fill, ctx.bar_index()));
        Ok(())
    }
}

/// A historical feed that does not say how much is left, as a live feed.
struct Unsized<'a>(HistoricalFeed<'a>);

impl DataFeed for Unsized<'_> {
    fn assets(&self) -> &[String] {
        self.0.assets()
    }
    fn signal_names(&self) -> &[String] {
        self.0.signal_names()
    }
    fn next_timestamp(&mut self) -> Result<Option<BarSlice<'_>>, FeedError> {
        self.0.next_timestamp()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// On a feed of unknown length orders are accepted up to the last bar; with same-close
    /// timing its fills still reach `on_fill` (before `on_end`).
    #[test]
    fn prop_every_fill_reaches_on_fill_on_a_feed_of_unknown_length(bars in arb_bars(30, 2), config in arb_config()) {
        let config = BrokerConfig { fill_timing: FillTiming::SameClose, ..config };
        let mut log = FillLog::default();
        let mut broker = SimulationBroker::new(config, bars.assets().len());
        let run = Engine::new().run(&mut Unsized(HistoricalFeed::new(&bars)), &mut broker, &mut log).unwrap();
        let told: Vec<Fill> = log.seen.iter().map(|(f, _)| *f).collect();
        prop_assert_eq!(&told, &run.fills);
    }

    /// Every fill reaches `on_fill` once, in order: fills at the open before that bar's
    /// decisions, fills at the close (same-close timing) before the next timestamp's.
    #[test]
    fn prop_every_fill_reaches_on_fill(bars in arb_bars(50, 3), config in arb_config(), same_close in prop::bool::ANY) {
        let config = BrokerConfig {
            fill_timing: if same_close { FillTiming::SameClose } else { FillTiming::NextOpen },
            ..config
        };
        let mut log = FillLog::default();
        let run = backtest(&bars, &mut log, config).unwrap();
        let told: Vec<Fill> = log.seen.iter().map(|(f, _)| *f).collect();
        prop_assert_eq!(&told, &run.fills);
        for (f, at) in &log.seen {
            let at_close = same_close && *at == f.bar_index + 1;
            prop_assert!(*at == f.bar_index || at_close, "fill at {} told at {at}", f.bar_index);
        }
    }
}

fn arb_config() -> impl proptest::strategy::Strategy<Value = BrokerConfig> {
    (0.0f64..0.01, prop::bool::ANY, prop::bool::ANY).prop_map(|(c, slip, reject)| BrokerConfig {
        initial_cash: 10_000.0,
        commission: Commission::percent(c),
        slippage_bps: if slip { 5.0 } else { 0.0 },
        cash_rule: if reject { CashRule::Reject } else { CashRule::Cap },
        ..BrokerConfig::default()
    })
}

/// Every broker setting a user can change: percent, per-share, per-order and minimum
/// commissions, slippage, both cash rules and fill timings, shorting, both intrabar priorities
/// and a volume cap (bars trade 1e6, so the cap is 1 to 100 units: orders fill in parts).
fn arb_full_config() -> impl proptest::strategy::Strategy<Value = BrokerConfig> {
    (
        (0.0f64..0.01, 0.0f64..0.02, 0.0f64..2.0, 0.0f64..5.0),
        (prop::bool::ANY, prop::bool::ANY, prop::bool::ANY),
        (prop::bool::ANY, prop::bool::ANY, prop::option::of(1e-6f64..1e-4)),
    )
        .prop_map(
            |((percent, per_share, per_order, minimum), (slip, reject, same_close), (short, stop_first, cap))| {
                BrokerConfig {
                    initial_cash: 10_000.0,
                    commission: Commission {
                        percent,
                        per_share,
                        per_order,
                        minimum,
                    },
                    slippage_bps: if slip { 5.0 } else { 0.0 },
                    cash_rule: if reject { CashRule::Reject } else { CashRule::Cap },
                    fill_timing: if same_close {
                        FillTiming::SameClose
                    } else {
                        FillTiming::NextOpen
                    },
                    allow_short: short,
                    intrabar_priority: if stop_first {
                        IntrabarPriority::StopFirst
                    } else {
                        IntrabarPriority::LimitFirst
                    },
                    max_volume_fraction: cap,
                    // Shorts pay a borrow fee (it moves cash, so the equity identity covers it).
                    borrow_rate: if short { 0.05 } else { 0.0 },
                    bars_per_year: 252.0,
                }
            },
        )
}

/// A data-driven trader that goes through every order helper: targets (long and short),
/// reductions, brackets, trailing stops, buy stops, stop-limits both ways, plain sells (shorts
/// where allowed), closes and cancels. Records what `on_fill` is told.
#[derive(Default)]
struct EveryHelper {
    seen: Vec<Fill>,
}

impl Strategy for EveryHelper {
    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: Bar<'_>) -> StrategyResult {
        let (s, u) = (bar.signal(SignalId(0)), bar.signal(SignalId(1)));
        let (a, c) = (bar.asset(), bar.close());
        let pos = ctx.position(a);
        match (u * 11.0) as usize {
            0 => {
                ctx.order_target_percent(a, s - 0.3);
            }
            1 => {
                ctx.order_target_qty(a, ((s - 0.5) * 40.0).round());
            }
            2 => {
                ctx.reduce_position(a, 5.0);
            }
            3 if pos > 0.0 => {
                ctx.bracket(a, pos, c * 0.97, c * 1.03);
            }
            3 => {
                ctx.buy(a, 10.0);
            }
            4 => {
                ctx.sell_trailing_stop(a, pos.max(1.0), 0.02 + s.max(0.0) * 0.05);
            }
            5 => {
                ctx.buy_stop(a, 7.0, c * 1.01);
            }
            6 => {
                let kind = OrderKind::StopLimit {
                    stop: c * 0.99,
                    limit: c * 0.985,
                    triggered: false,
                };
                ctx.order(a, Side::Sell, 4.0, kind);
            }
            7 => {
                let kind = OrderKind::StopLimit {
                    stop: c * 1.01,
                    limit: c * 1.015,
                    triggered: false,
                };
                ctx.order(a, Side::Buy, 4.0, kind);
            }
            8 => {
                ctx.sell(a, 6.0);
            }
            9 => {
                ctx.buy_percent(a, 0.5);
            }
            _ => {
                ctx.close_position(a);
                if let Some(o) = ctx.open_orders().iter().find(|o| o.asset == a) {
                    let id = o.id;
                    ctx.cancel(id);
                }
            }
        }
        Ok(())
    }
    fn on_fill(&mut self, _ctx: &mut Context<'_>, fill: &Fill) -> StrategyResult {
        self.seen.push(*fill);
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The accounting invariants under every broker setting and order kind: equity is cash plus
    /// the positions marked at the close; a cash account never has negative cash or a short
    /// position; fills (without slippage) are inside their bar's range and never above the
    /// order's size; every fill reaches `on_fill` exactly once.
    #[test]
    fn prop_invariants_hold_for_every_order_helper_and_setting(
        bars in arb_bars(40, 3),
        config in arb_full_config(),
    ) {
        let mut strategy = EveryHelper::default();
        let run = backtest(&bars, &mut strategy, config).unwrap();
        prop_assert_eq!(&strategy.seen, &run.fills);

        let k = bars.assets().len();
        let positions = positions_at_each_timestamp(&run, k);
        let mut last_close = vec![f64::NAN; k];
        let equity = run.equity.equity();
        let cash = run.equity.cash();
        for t in 0..run.timestamps {
            for bar in bars.timestamp(t).unwrap().iter() {
                last_close[bar.asset().index()] = bar.close();
            }
            let marked: f64 = (0..k)
                .filter(|&a| positions[t][a] != 0.0)
                .map(|a| positions[t][a] * last_close[a])
                .sum();
            let expect = cash[t] + marked;
            prop_assert!((equity[t] - expect).abs() <= 1e-9 * expect.abs().max(1.0),
                "t={t}: equity {} vs cash + positions {expect}", equity[t]);
            if !config.allow_short {
                prop_assert!(cash[t] >= -1e-9, "cash {} at t={t} in a cash account", cash[t]);
            }
        }
        for f in &run.fills {
            prop_assert!(f.qty > 0.0 && f.qty.is_finite() && f.commission >= 0.0, "{f:?}");
            if !config.allow_short {
                prop_assert!(f.position_after >= 0.0, "a cash account went short: {f:?}");
            }
            if let Some(frac) = config.max_volume_fraction {
                prop_assert!(f.qty <= (1e6 * frac).floor(), "fill above the volume cap: {f:?}");
            }
            if config.slippage_bps == 0.0 {
                let bar = bars.timestamp(f.bar_index).unwrap().bar_of(f.asset).unwrap();
                prop_assert!(f.price >= bar.low() && f.price <= bar.high(),
                    "fill {f:?} outside [{}, {}]", bar.low(), bar.high());
            }
        }
        // Every fill once: no order fills beyond its size.
        let mut ids: Vec<u64> = run.fills.iter().map(|f| f.order_id.0).collect();
        ids.sort_unstable();
        ids.dedup();
        if config.max_volume_fraction.is_none() {
            prop_assert_eq!(ids.len(), run.fills.len(), "an order filled twice without a volume cap");
        }
    }
}

/// Positions rebuilt from the fills log at each timestamp index.
fn positions_at_each_timestamp(run: &RunResult, n_assets: usize) -> Vec<Vec<f64>> {
    let mut pos = vec![0.0; n_assets];
    let mut fi = 0;
    (0..run.timestamps)
        .map(|t| {
            while fi < run.fills.len() && run.fills[fi].bar_index == t {
                pos[run.fills[fi].asset.index()] = run.fills[fi].position_after;
                fi += 1;
            }
            pos.clone()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn prop_equity_is_cash_plus_marked_positions(bars in arb_bars(50, 3), config in arb_config()) {
        let run = backtest(&bars, &mut DataDriven, config).unwrap();
        let k = bars.assets().len();
        let positions = positions_at_each_timestamp(&run, k);
        let mut last_close = vec![f64::NAN; k];
        let equity = run.equity.equity();
        #[allow(clippy::needless_range_loop)]
        for t in 0..run.timestamps {
            let slice = bars.timestamp(t).unwrap();
            for bar in slice.iter() {
                last_close[bar.asset().index()] = bar.close();
            }
            let marked: f64 = (0..k).filter(|&a| positions[t][a] != 0.0).map(|a| positions[t][a] * last_close[a]).sum();
            let expect = run.equity.cash_at(t) + marked;
            prop_assert!((equity[t] - expect).abs() <= 1e-9 * expect.abs().max(1.0),
                "t={t}: equity {} vs cash + positions {}", equity[t], expect);
        }
    }

    #[test]
    fn prop_cash_never_negative_in_cash_account(bars in arb_bars(50, 3), config in arb_config()) {
        let run = backtest(&bars, &mut DataDriven, config).unwrap();
        for (t, c) in run.equity.cash().iter().enumerate() {
            prop_assert!(*c >= -1e-9, "cash {c} at t={t}");
        }
        for f in &run.fills {
            prop_assert!(f.position_after >= 0.0, "long-only account went short: {f:?}");
        }
    }

    #[test]
    fn prop_fills_inside_bar_range_without_slippage(bars in arb_bars(50, 3), config in arb_config()) {
        let config = BrokerConfig { slippage_bps: 0.0, ..config };
        let run = backtest(&bars, &mut DataDriven, config).unwrap();
        for f in &run.fills {
            let bar = bars.timestamp(f.bar_index).unwrap().bar_of(f.asset).unwrap();
            prop_assert!(f.price >= bar.low() && f.price <= bar.high(), "fill {f:?} outside [{}, {}]", bar.low(), bar.high());
        }
    }

    #[test]
    fn prop_trades_reconcile_with_cash(bars in arb_bars(50, 3), config in arb_config()) {
        // Trades are flat-to-flat round trips: for every asset flat at the end, its trades' pnl_net
        // add up to its fills' cash flows (commissions included); and final equity = initial cash
        // + every fill's cash flow + the open positions at their last price.
        let run = backtest(&bars, &mut DataDriven, config).unwrap();
        let flow = |f: &Fill| -f.side.sign() * f.qty * f.price - f.commission;
        let open: Vec<_> = run.open_positions.iter().map(|p| p.asset).collect();
        for a in 0..bars.assets().len() as u32 {
            let asset = AssetId(a);
            if open.contains(&asset) {
                continue;
            }
            let flows: f64 = run.fills.iter().filter(|f| f.asset == asset).map(flow).sum();
            let pnl: f64 = run.trades.iter().filter(|t| t.asset == asset).map(|t| t.pnl_net).sum();
            prop_assert!((flows - pnl).abs() < 1e-6 * flows.abs().max(1.0),
                "asset {a}: trades' pnl {pnl} vs cash flows {flows}");
        }
        let flows: f64 = run.fills.iter().map(flow).sum();
        let marked: f64 = run.open_positions.iter().map(|p| p.qty * p.last_price).sum();
        let expect = run.initial_cash + flows + marked;
        prop_assert!((run.final_equity() - expect).abs() < 1e-6 * expect.abs().max(1.0),
            "final equity {} vs reconciled {}", run.final_equity(), expect);
    }

    #[test]
    fn prop_no_look_ahead(bars in arb_bars(50, 3), config in arb_config(), cut in 0usize..50, bump in 0.5f64..1.5) {
        let n = bars.n_timestamps();
        let t = cut % n;
        let changed = perturb_after(&bars, t, bump);
        let a = backtest(&bars, &mut DataDriven, config).unwrap();
        let b = backtest(&changed, &mut DataDriven, config).unwrap();
        prop_assert_eq!(&a.equity.equity()[..=t], &b.equity.equity()[..=t]);
        prop_assert_eq!(&a.equity.cash()[..=t], &b.equity.cash()[..=t]);
        let fills_a: Vec<_> = a.fills.iter().filter(|f| f.bar_index <= t).collect();
        let fills_b: Vec<_> = b.fills.iter().filter(|f| f.bar_index <= t).collect();
        prop_assert_eq!(fills_a, fills_b);
        let trades_a: Vec<_> = a.trades.iter().filter(|x| x.exit_bar <= t).collect();
        let trades_b: Vec<_> = b.trades.iter().filter(|x| x.exit_bar <= t).collect();
        prop_assert_eq!(trades_a, trades_b);
    }
}

/// Every bar after timestamp index `t` scaled by `k` (prices) and its signal flipped.
fn perturb_after(bars: &Bars, t: usize, k: f64) -> Bars {
    let start = bars.timestamp_starts()[t + 1];
    let mut cols = BarColumns::with_capacity(bars.len(), 2);
    for r in 0..bars.len() {
        let bar = bars.bar(r);
        let (s, u) = (bar.signal(SignalId(0)), bar.signal(SignalId(1)));
        let (m, s, u) = if r >= start { (k, 1.0 - s, 1.0 - u) } else { (1.0, s, u) };
        let (o, h, l, c) = (bar.open() * m, bar.high() * m, bar.low() * m, bar.close() * m);
        cols.push(bar.ts().0, bar.asset(), o, h, l, c, bar.volume(), &[s, u]);
    }
    Bars::new(bars.assets().to_vec(), bars.signal_names().to_vec(), cols).unwrap()
}

#[test]
fn engine_cancel_flag_stops_the_run() {
    use ml4t_engine::broker::SimulationBroker;
    use ml4t_engine::feed::HistoricalFeed;
    use ml4t_engine::{Engine, EngineError};
    use std::sync::atomic::AtomicBool;
    let mut cols = BarColumns::with_capacity(100, 1);
    for t in 0..100 {
        cols.push(t, AssetId(0), 1.0, 1.0, 1.0, 1.0, 1.0, &[0.5]);
    }
    let bars = Bars::new(vec!["A".into()], vec!["s".into()], cols).unwrap();
    let cancel = AtomicBool::new(true);
    let mut seen = Vec::new();
    let mut on_progress = |p: ml4t_engine::Progress| seen.push(p.timestamps_done);
    let mut engine = Engine::new()
        .progress_every(10)
        .cancel_flag(&cancel)
        .on_progress(&mut on_progress);
    let mut broker = SimulationBroker::new(BrokerConfig::default(), 1);
    let err = engine
        .run(&mut HistoricalFeed::new(&bars), &mut broker, &mut DataDriven)
        .unwrap_err();
    // The flag is read after every timestamp, not every `progress_every`.
    assert_eq!(err, EngineError::Cancelled { timestamps: 1 });
    assert!(seen.is_empty());
}

/// Sleeps `per_bar` in every `on_bar`: a strategy that is slow per bar.
struct SlowPerBar {
    per_bar: std::time::Duration,
}

impl Strategy for SlowPerBar {
    fn on_bar(&mut self, _ctx: &mut Context<'_>, _bar: Bar<'_>) -> StrategyResult {
        std::thread::sleep(self.per_bar);
        Ok(())
    }
}

#[test]
fn engine_cancel_on_a_daily_run_takes_effect_within_100ms() {
    use ml4t_engine::EngineError;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};
    // Ten years of daily bars: 2,520 timestamps, far fewer than the default progress interval.
    let mut cols = BarColumns::with_capacity(2_520, 0);
    for t in 0..2_520 {
        cols.push(t * common::DAY_NS, AssetId(0), 10.0, 11.0, 9.0, 10.0, 1e6, &[]);
    }
    let bars = Bars::new(vec!["A".into()], vec![], cols).unwrap();
    let cancel = AtomicBool::new(false);
    let (result, latency) = std::thread::scope(|s| {
        let run = s.spawn(|| {
            let mut strategy = SlowPerBar {
                per_bar: Duration::from_millis(2),
            };
            let mut broker = SimulationBroker::new(BrokerConfig::default(), 1);
            let r = Engine::new()
                .cancel_flag(&cancel)
                .run(&mut HistoricalFeed::new(&bars), &mut broker, &mut strategy);
            (r, Instant::now())
        });
        std::thread::sleep(Duration::from_millis(50));
        let set_at = Instant::now();
        cancel.store(true, Ordering::Relaxed);
        let (r, done_at) = run.join().unwrap();
        (r, done_at.saturating_duration_since(set_at))
    });
    let err = result.unwrap_err();
    assert!(
        matches!(err, EngineError::Cancelled { timestamps } if timestamps < 2_520),
        "{err:?}"
    );
    assert!(latency < Duration::from_millis(100), "cancel took {latency:?}");
}

/// Fast-forwards over everything; never trades.
struct Idle;

impl Strategy for Idle {
    fn skip_quiet(&mut self, _ctx: &Context<'_>, bars: &Bars, next: usize) -> usize {
        bars.n_timestamps() - next
    }
    fn fast_forwards(&self) -> bool {
        true
    }
}

/// The simulation broker that raises the cancel flag in its first fast-forward and records
/// the row count of each fast-forward call.
struct CancelInQuiet<'a> {
    inner: SimulationBroker,
    cancel: &'a std::sync::atomic::AtomicBool,
    quiet_rows: Vec<usize>,
}

impl ml4t_engine::broker::Broker for CancelInQuiet<'_> {
    fn config(&self) -> &BrokerConfig {
        self.inner.config()
    }
    fn portfolio(&self) -> &ml4t_engine::portfolio::Portfolio {
        self.inner.portfolio()
    }
    fn submit(&mut self, order: ml4t_engine::execution::Order) -> Result<(), ml4t_engine::broker::BrokerError> {
        self.inner.submit(order)
    }
    fn cancel(&mut self, id: ml4t_engine::types::OrderId) -> bool {
        self.inner.cancel(id)
    }
    fn open_orders(&self) -> &[ml4t_engine::execution::Order] {
        self.inner.open_orders()
    }
    fn on_bars(&mut self, bars: &BarSlice<'_>, fills: &mut Vec<Fill>) {
        self.inner.on_bars(bars, fills);
    }
    fn on_quiet(
        &mut self,
        bars: &Bars,
        from: usize,
        to: usize,
        equity: &mut dyn ml4t_engine::execution::EquityRecorder,
    ) -> Result<(), ml4t_engine::broker::BrokerError> {
        self.quiet_rows
            .push(bars.timestamp_start(to) - bars.timestamp_start(from));
        self.cancel.store(true, std::sync::atomic::Ordering::Relaxed);
        self.inner.on_quiet(bars, from, to, equity)
    }
    fn after_decisions(&mut self, bars: &BarSlice<'_>, fills: &mut Vec<Fill>) {
        self.inner.after_decisions(bars, fills);
    }
    fn rejections(&self) -> &[ml4t_engine::execution::Rejection] {
        self.inner.rejections()
    }
}

#[test]
fn engine_cancel_is_read_inside_a_long_fast_forward() {
    use ml4t_engine::EngineError;
    use std::sync::atomic::AtomicBool;
    let n: i64 = 300_000;
    let mut cols = BarColumns::with_capacity(n as usize, 0);
    for t in 0..n {
        cols.push(t, AssetId(0), 10.0, 11.0, 9.0, 10.0, 1e6, &[]);
    }
    let bars = Bars::new(vec!["A".into()], vec![], cols).unwrap();
    let cancel = AtomicBool::new(false);
    let mut broker = CancelInQuiet {
        inner: SimulationBroker::new(BrokerConfig::default(), 1),
        cancel: &cancel,
        quiet_rows: Vec::new(),
    };
    let err = Engine::new()
        .cancel_flag(&cancel)
        .run(&mut HistoricalFeed::new(&bars), &mut broker, &mut Idle)
        .unwrap_err();
    // One timestamp through the strategy, then one chunk of the fast-forward, then the flag.
    assert_eq!(broker.quiet_rows, vec![1 << 16]);
    assert_eq!(
        err,
        EngineError::Cancelled {
            timestamps: 1 + (1 << 16)
        }
    );
    // Without the flag the chunks add up to the whole run.
    let flag = AtomicBool::new(false);
    let mut broker = CancelInQuiet {
        inner: SimulationBroker::new(BrokerConfig::default(), 1),
        cancel: &flag,
        quiet_rows: Vec::new(),
    };
    let run = Engine::new()
        .run(&mut HistoricalFeed::new(&bars), &mut broker, &mut Idle)
        .unwrap();
    assert_eq!(run.timestamps, n as usize);
    assert_eq!(run.equity.len(), n as usize);
    assert_eq!(broker.quiet_rows.iter().sum::<usize>(), n as usize - 1);
}

/// Calls every `Context` helper with asset ids outside the data.
struct BadIds;

impl Strategy for BadIds {
    fn on_bar(&mut self, ctx: &mut Context<'_>, _bar: Bar<'_>) -> StrategyResult {
        for a in [AssetId(1), AssetId(99), AssetId(u32::MAX)] {
            assert_eq!(ctx.position(a), 0.0);
            assert_eq!(ctx.position_info(a).qty, 0.0);
            assert_eq!(ctx.position_value(a), 0.0);
            assert_eq!(ctx.unrealized_pnl(a), 0.0);
            assert_eq!(ctx.unrealized_pnl_pct(a), 0.0);
            assert!(ctx.price(a).is_nan());
            assert_eq!(ctx.asset_name(a), "?");
            assert!(ctx.buy(a, 1.0).is_none());
            assert!(ctx.sell(a, 1.0).is_none());
            assert!(ctx.buy_percent(a, 0.5).is_none());
            assert!(ctx.sell_percent(a, 0.5).is_none());
            assert!(ctx.close_position(a).is_none());
            assert!(ctx.reduce_position(a, 1.0).is_none());
            assert!(ctx.order_target_percent(a, 0.5).is_none());
            assert!(ctx.order_target_qty(a, 3.0).is_none());
            assert!(ctx.buy_limit(a, 1.0, 10.0).is_none());
            assert!(ctx.sell_limit(a, 1.0, 10.0).is_none());
            assert!(ctx.buy_stop(a, 1.0, 10.0).is_none());
            assert!(ctx.sell_stop(a, 1.0, 10.0).is_none());
            assert!(ctx.sell_trailing_stop(a, 1.0, 0.1).is_none());
            assert!(ctx.bracket(a, 1.0, 9.0, 11.0).is_none());
        }
        Ok(())
    }
}

#[test]
fn context_helpers_take_any_asset_id() {
    let mut cols = BarColumns::with_capacity(3, 0);
    for t in 0..3 {
        cols.push(t * common::DAY_NS, AssetId(0), 10.0, 11.0, 9.0, 10.0, 1e6, &[]);
    }
    let bars = Bars::new(vec!["A".into()], vec![], cols).unwrap();
    let run = backtest(&bars, &mut BadIds, BrokerConfig::default()).unwrap();
    assert!(run.fills.is_empty() && run.rejections.is_empty());
}

/// Buys with all the cash at every bar.
struct AllIn;

impl Strategy for AllIn {
    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: Bar<'_>) -> StrategyResult {
        ctx.buy_percent(bar.asset(), 1.0);
        ctx.buy(bar.asset(), 9.0e15);
        Ok(())
    }
}

#[test]
fn engine_tiny_prices_reject_huge_quantities_and_terminate() {
    use ml4t_engine::execution::RejectReason;
    // 1e-11 with 100,000 cash asks for 1e16 shares (above 2^53); the 9e15 order (below 2^53)
    // costs more than the cash, so the cash cap sizes it: neither may spin.
    let mut cols = BarColumns::with_capacity(3, 0);
    for t in 0..3 {
        cols.push(t * common::DAY_NS, AssetId(0), 1e-11, 1e-11, 1e-11, 1e-11, 1e20, &[]);
    }
    let bars = Bars::new(vec!["A".into()], vec![], cols).unwrap();
    for commission in [Commission::default(), Commission::percent(0.001)] {
        let config = BrokerConfig {
            initial_cash: 100_000.0,
            commission,
            ..BrokerConfig::default()
        };
        let run = backtest(&bars, &mut AllIn, config).unwrap();
        assert!(
            run.rejections
                .iter()
                .any(|r| r.reason == RejectReason::QuantityTooLarge),
            "{:?}",
            run.rejections
        );
        assert!(run.fills.iter().all(|f| f.qty < ml4t_engine::execution::MAX_EXACT_QTY));
        assert!(run.equity.cash().iter().all(|c| *c >= -1e-9));
    }
}

#[test]
fn engine_places_no_order_on_the_last_bar() {
    let mut cols = BarColumns::with_capacity(3, 1);
    for t in 0..3 {
        cols.push(t, AssetId(0), 10.0, 10.0, 10.0, 10.0, 1.0, &[0.9]);
    }
    let bars = Bars::new(vec!["A".into()], vec!["s".into()], cols).unwrap();
    let run = backtest(&bars, &mut DataDriven, BrokerConfig::default()).unwrap();
    assert!(
        run.open_orders.is_empty(),
        "an order decided on the last bar could never fill"
    );
    assert_eq!(run.fills.len(), 2);
}

#[test]
fn engine_reports_unknown_signal_from_on_start() {
    use ml4t_engine::strategy::reference::MlThreshold;
    let mut cols = BarColumns::with_capacity(1, 1);
    cols.push(0, AssetId(0), 1.0, 1.0, 1.0, 1.0, 1.0, &[0.5]);
    let bars = Bars::new(vec!["A".into()], vec!["s".into()], cols).unwrap();
    let mut s = MlThreshold::scenario("S0").unwrap();
    let err = backtest(&bars, &mut s, BrokerConfig::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("unknown signal column 'ml_pred'") && err.contains("the data has: s"),
        "{err}"
    );
}

/// A venue that fails: it accepts `accept` orders, then refuses the next one; or it loses its
/// connection when a timestamp is committed. Fills are the simulation broker's.
struct FailingBroker {
    inner: SimulationBroker,
    accept: usize,
    fail_commit_at: Option<usize>,
}

impl ml4t_engine::broker::Broker for FailingBroker {
    fn config(&self) -> &BrokerConfig {
        self.inner.config()
    }
    fn portfolio(&self) -> &ml4t_engine::portfolio::Portfolio {
        self.inner.portfolio()
    }
    fn submit(&mut self, order: ml4t_engine::execution::Order) -> Result<(), ml4t_engine::broker::BrokerError> {
        if self.accept == 0 {
            return Err(ml4t_engine::broker::BrokerError::Refused {
                order: order.id.0,
                reason: "account locked".into(),
            });
        }
        self.accept -= 1;
        self.inner.submit(order)
    }
    fn cancel(&mut self, id: ml4t_engine::types::OrderId) -> bool {
        self.inner.cancel(id)
    }
    fn open_orders(&self) -> &[ml4t_engine::execution::Order] {
        self.inner.open_orders()
    }
    fn on_bars(&mut self, bars: &BarSlice<'_>, fills: &mut Vec<Fill>) {
        self.inner.on_bars(bars, fills);
    }
    fn after_decisions(&mut self, bars: &BarSlice<'_>, fills: &mut Vec<Fill>) {
        self.inner.after_decisions(bars, fills);
    }
    fn end_timestamp(&mut self, bars: &BarSlice<'_>) -> Result<(), ml4t_engine::broker::BrokerError> {
        if self.fail_commit_at == Some(bars.index()) {
            return Err(ml4t_engine::broker::BrokerError::Disconnected("socket closed".into()));
        }
        Ok(())
    }
    fn rejections(&self) -> &[ml4t_engine::execution::Rejection] {
        self.inner.rejections()
    }
}

/// Buys one share at every bar.
struct BuyEveryBar;

impl Strategy for BuyEveryBar {
    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: Bar<'_>) -> StrategyResult {
        ctx.buy(bar.asset(), 1.0);
        Ok(())
    }
}

#[test]
fn engine_broker_errors_reach_the_run_result() {
    let mut cols = BarColumns::with_capacity(6, 0);
    for t in 0..6 {
        cols.push(t * common::DAY_NS, AssetId(0), 10.0, 11.0, 9.0, 10.0, 1e6, &[]);
    }
    let bars = Bars::new(vec!["A".into()], vec![], cols).unwrap();
    let broker = |accept, fail_commit_at| FailingBroker {
        inner: SimulationBroker::new(BrokerConfig::default(), 1),
        accept,
        fail_commit_at,
    };
    // The third order is refused: the run stops at the timestamp that submitted it.
    let err = Engine::new()
        .run(&mut HistoricalFeed::new(&bars), &mut broker(2, None), &mut BuyEveryBar)
        .unwrap_err();
    assert!(
        matches!(
            &err,
            ml4t_engine::EngineError::Broker {
                index: 2,
                source: ml4t_engine::broker::BrokerError::Refused { .. }
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("account locked"), "{err}");
    // A lost connection at the commit of timestamp 4 stops the run there.
    let err = Engine::new()
        .run(
            &mut HistoricalFeed::new(&bars),
            &mut broker(100, Some(4)),
            &mut BuyEveryBar,
        )
        .unwrap_err();
    assert!(
        matches!(
            &err,
            ml4t_engine::EngineError::Broker {
                index: 4,
                source: ml4t_engine::broker::BrokerError::Disconnected(_)
            }
        ),
        "{err:?}"
    );
    // The same broker that never fails runs to the end.
    assert!(
        Engine::new()
            .run(
                &mut HistoricalFeed::new(&bars),
                &mut broker(100, None),
                &mut BuyEveryBar
            )
            .is_ok()
    );
}
