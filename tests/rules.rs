//! Level 1 rules: compiled == interpreted on random rule sets and data; hand-checked cases;
//! invalid rules are rejected before the run with a message naming the rule.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ml4t_engine::backtest;
use ml4t_engine::execution::{BrokerConfig, Commission, FillTiming};
use ml4t_engine::market::{BarColumns, Bars};
use ml4t_engine::strategy::rules::{Cmp, Direction, EntryOrder, ExitFills, Rule, RuleError, SignalStrategy, Sizer};
use ml4t_engine::types::{AssetId, SignalId};
use proptest::prelude::*;

mod common;
use common::arb_bars;

fn arb_leaf() -> impl proptest::strategy::Strategy<Value = Rule> {
    let col = prop_oneof![Just("s"), Just("t")];
    prop_oneof![
        (col.clone(), 0.0f64..1.0).prop_map(|(c, x)| Rule::signal_above(c, x)),
        (col.clone(), 0.0f64..1.0).prop_map(|(c, x)| Rule::signal_below(c, x)),
        (col.clone(), 0.0f64..0.5, 0.5f64..1.0).prop_map(|(c, lo, hi)| Rule::signal_between(c, lo, hi)),
        (col.clone(), 0.2f64..0.8).prop_map(|(c, x)| Rule::cross_above(c, x)),
        (col.clone(), 0.2f64..0.8).prop_map(|(c, x)| Rule::cross_below(c, x)),
        prop_oneof![Just(Cmp::Gt), Just(Cmp::Lt), Just(Cmp::Ge), Just(Cmp::Le)]
            .prop_map(|op| Rule::compare("close", op, "open")),
        (col.clone(), 1usize..3).prop_map(|(c, n)| Rule::top_n(c, n)),
        (col, 1usize..3).prop_map(|(c, n)| Rule::bottom_n(c, n)),
        (0.01f64..0.08).prop_map(Rule::stop_loss),
        (0.01f64..0.1).prop_map(Rule::take_profit),
        (0.01f64..0.08).prop_map(Rule::trailing_stop),
        (1u32..6).prop_map(Rule::max_holding_bars),
        Just(Rule::InPosition),
        Just(Rule::NotInPosition),
    ]
}

fn arb_rule() -> impl proptest::strategy::Strategy<Value = Rule> {
    arb_leaf().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..3).prop_map(Rule::All),
            prop::collection::vec(inner.clone(), 1..3).prop_map(Rule::Any),
            inner.clone().prop_map(Rule::not),
            inner.prop_map(|r| Rule::Disabled(Box::new(r))),
        ]
    })
}

fn arb_sizer() -> impl proptest::strategy::Strategy<Value = Sizer> {
    prop_oneof![
        (0.05f64..1.0).prop_map(Sizer::percent_of_cash),
        (0.05f64..1.0).prop_map(Sizer::percent_of_equity),
        (1.0f64..50.0).prop_map(|q| Sizer::fixed_quantity(q.floor())),
        (100.0f64..5000.0).prop_map(Sizer::fixed_notional),
        (0.1f64..1.0).prop_map(|t| Sizer::volatility_target("t", t)),
        (0.5f64..2.0, 0.1f64..1.0).prop_map(|(s, m)| Sizer::confidence_scaled("s", s, m)),
    ]
}

/// Whether a stop-loss, take-profit or trailing-stop rule occurs anywhere in `rule`.
fn has_resting(rule: &Rule) -> bool {
    match rule {
        Rule::StopLoss(_) | Rule::TakeProfit(_) | Rule::TrailingStop(_) => true,
        Rule::All(v) | Rule::Any(v) => v.iter().any(has_resting),
        Rule::Not(r) | Rule::Disabled(r) => has_resting(r),
        _ => false,
    }
}

/// An exit list that can run with intrabar exits: one `any` group of resting-order rules and
/// rules without them.
fn arb_intrabar_exit() -> impl proptest::strategy::Strategy<Value = Vec<Rule>> {
    let resting = prop_oneof![
        (0.01f64..0.08).prop_map(Rule::stop_loss),
        (0.01f64..0.1).prop_map(Rule::take_profit),
        (0.01f64..0.08).prop_map(Rule::trailing_stop),
    ];
    let other = arb_rule().prop_filter("no resting rule", |r| !has_resting(r));
    prop::collection::vec(prop_oneof![resting, other], 1..4).prop_map(|v| vec![Rule::Any(v)])
}

fn arb_exit(intrabar: bool) -> BoxedStrategy<Vec<Rule>> {
    if intrabar {
        prop_oneof![
            3 => arb_intrabar_exit(),
            1 => prop::collection::vec(arb_rule().prop_filter("no resting rule", |r| !has_resting(r)), 0..3),
        ]
        .boxed()
    } else {
        prop::collection::vec(arb_rule(), 0..3).boxed()
    }
}

fn arb_entry_order() -> impl proptest::strategy::Strategy<Value = EntryOrder> {
    prop_oneof![
        2 => Just(EntryOrder::Market),
        1 => (0.0f64..0.03, 1u32..4).prop_map(|(offset, valid_bars)| EntryOrder::Limit { offset, valid_bars }),
        1 => (0.0f64..0.03, 1u32..4).prop_map(|(offset, valid_bars)| EntryOrder::Stop { offset, valid_bars }),
    ]
}

/// Long-only rules as before (half the cases), or any direction with intrabar exits and entry
/// order types.
fn arb_strategy() -> impl proptest::strategy::Strategy<Value = SignalStrategy> {
    let first_set = (
        prop::collection::vec(arb_rule(), 1..3),
        prop::collection::vec(arb_rule(), 0..3),
        arb_sizer(),
    )
        .prop_map(|(entry, exit, sizer)| SignalStrategy {
            entry,
            exit,
            sizer,
            ..SignalStrategy::default()
        });
    let second_set = (
        prop_oneof![
            Just(Direction::Long),
            Just(Direction::ShortOnly),
            Just(Direction::LongShort)
        ],
        any::<bool>(),
        arb_entry_order(),
        arb_sizer(),
        prop::option::weighted(0.2, 0.3f64..1.5),
    )
        .prop_flat_map(|(direction, intrabar, entry_order, sizer, initial_margin)| {
            (
                prop::collection::vec(arb_rule(), 1..3),
                arb_exit(intrabar),
                prop::collection::vec(arb_rule(), 1..3),
                arb_exit(intrabar),
            )
                .prop_map(move |(entry, exit, short_entry, short_exit)| SignalStrategy {
                    entry,
                    exit,
                    sizer: sizer.clone(),
                    direction,
                    short_entry,
                    short_exit,
                    exit_fills: if intrabar {
                        ExitFills::Intrabar
                    } else {
                        ExitFills::NextOpen
                    },
                    entry_order,
                    initial_margin,
                    portfolio: None,
                })
        });
    prop_oneof![first_set, second_set]
}

fn config() -> BrokerConfig {
    BrokerConfig {
        initial_cash: 10_000.0,
        commission: Commission::percent(0.001),
        ..BrokerConfig::default()
    }
}

/// [`config`], allowing shorts when the strategy goes short.
fn config_for(s: &SignalStrategy) -> BrokerConfig {
    BrokerConfig {
        allow_short: s.direction.trades_short(),
        ..config()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { max_global_rejects: 8192, ..ProptestConfig::with_cases(400) })]

    #[test]
    fn prop_compiled_equals_interpreted(bars in arb_bars(60, 3), strategy in arb_strategy(), same_close in any::<bool>()) {
        prop_assume!(strategy.validate(bars.signal_names(), bars.assets().len()).is_ok());
        let config = BrokerConfig {
            fill_timing: if same_close { FillTiming::SameClose } else { FillTiming::NextOpen },
            ..config_for(&strategy)
        };
        let mut compiled = strategy.compile(&bars).unwrap();
        let mut interpreted = strategy.interpret(bars.signal_names(), bars.assets().len()).unwrap();
        let a = backtest(&bars, &mut compiled, config).unwrap();
        let b = backtest(&bars, &mut interpreted, config).unwrap();
        prop_assert_eq!(&a.fills, &b.fills);
        prop_assert_eq!(&a.trades, &b.trades);
        prop_assert_eq!(&a.equity, &b.equity);
        prop_assert_eq!(&a.notes, &b.notes);
        prop_assert_eq!(&a.open_orders, &b.open_orders);
    }
}

/// 40 assets × 150 days of the sample generator, its signals renamed to the `s`/`t` the random
/// rules use, with every 7th row dropped (assets missing at some timestamps): a wide universe,
/// where compiled rules visit only the rows that can act.
fn wide_bars() -> &'static Bars {
    static WIDE: std::sync::OnceLock<Bars> = std::sync::OnceLock::new();
    WIDE.get_or_init(|| {
        let spec = ml4t_data::SampleSpec {
            assets: 40,
            bars: 150,
            ..Default::default()
        };
        let full = ml4t_data::sample(&spec).unwrap();
        let k = full.signal_names().len();
        let mut out = BarColumns::with_capacity(full.len(), k);
        for r in (0..full.len()).filter(|r| r % 7 != 3) {
            let b = full.bar(r);
            let sig: Vec<f64> = (0..k).map(|i| full.signal_column(SignalId(i as u32))[r]).collect();
            out.push_bar(&b, &sig);
        }
        let names = ["s", "t", "vol", "mom"].map(String::from).to_vec();
        Bars::new(full.assets().to_vec(), names, out).unwrap()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { max_global_rejects: 8192, ..ProptestConfig::with_cases(60) })]

    #[test]
    fn prop_compiled_equals_interpreted_on_a_wide_universe(strategy in arb_strategy()) {
        let bars = wide_bars();
        prop_assume!(strategy.validate(bars.signal_names(), bars.assets().len()).is_ok());
        let mut compiled = strategy.compile(bars).unwrap();
        let mut interpreted = strategy.interpret(bars.signal_names(), bars.assets().len()).unwrap();
        let a = backtest(bars, &mut compiled, config_for(&strategy)).unwrap();
        let b = backtest(bars, &mut interpreted, config_for(&strategy)).unwrap();
        prop_assert_eq!(&a.fills, &b.fills);
        prop_assert_eq!(&a.trades, &b.trades);
        prop_assert_eq!(&a.equity, &b.equity);
    }
}

/// A callback that trades on every bar it is shown.
struct EveryBar;

impl ml4t_engine::strategy::Strategy for EveryBar {
    fn on_bar(
        &mut self,
        ctx: &mut ml4t_engine::strategy::Context<'_>,
        bar: ml4t_engine::market::Bar<'_>,
    ) -> ml4t_engine::strategy::StrategyResult {
        if ctx.position(bar.asset()) == 0.0 {
            ctx.buy_percent(bar.asset(), 0.3);
        } else {
            ctx.close_position(bar.asset());
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn prop_live_hybrid_equals_compiled_hybrid(bars in arb_bars(60, 3), filter in prop::collection::vec(arb_rule(), 1..3)) {
        use ml4t_engine::strategy::hybrid::{Hybrid, LiveHybrid};
        let check = SignalStrategy { entry: filter.clone(), ..SignalStrategy::default() };
        prop_assume!(check.validate(bars.signal_names(), bars.assets().len()).is_ok());
        let mut compiled = Hybrid::compile(&filter, &bars, EveryBar).unwrap();
        let mut live = LiveHybrid::new(&filter, bars.signal_names(), bars.assets().len(), EveryBar).unwrap();
        let a = backtest(&bars, &mut compiled, config()).unwrap();
        let b = backtest(&bars, &mut live, config()).unwrap();
        prop_assert_eq!(&a.fills, &b.fills);
        prop_assert_eq!(&a.equity, &b.equity);
    }
}

fn one_asset(closes: &[f64], s: &[f64]) -> Bars {
    let mut cols = BarColumns::with_capacity(closes.len(), 2);
    for (t, (&c, &v)) in closes.iter().zip(s).enumerate() {
        cols.push(t as i64 * common::DAY_NS, AssetId(0), c, c, c, c, 1e6, &[v, 0.5]);
    }
    Bars::new(vec!["A000".into()], vec!["s".into(), "t".into()], cols).unwrap()
}

#[test]
fn rules_cross_above_fires_once_per_crossing() {
    // s crosses above 0.5 at bars 1 and 4; exit after holding 1 bar.
    let bars = one_asset(&[10.0; 7], &[0.4, 0.6, 0.7, 0.3, 0.9, 0.9, 0.9]);
    let s = SignalStrategy::new()
        .entry(Rule::cross_above("s", 0.5))
        .exit(Rule::max_holding_bars(1))
        .sizer(Sizer::fixed_quantity(1.0));
    for run in [
        backtest(&bars, &mut s.compile(&bars).unwrap(), config()).unwrap(),
        backtest(&bars, &mut s.interpret(bars.signal_names(), 1).unwrap(), config()).unwrap(),
    ] {
        let entries: Vec<usize> = run.trades.iter().map(|t| t.entry_bar).collect();
        // decided at 1 and 4, filled at the next open; held one bar, out the bar after
        assert_eq!(entries, vec![2, 5]);
        assert_eq!(run.trades[0].exit_bar, 3);
    }
}

#[test]
fn rules_trailing_stop_uses_highest_close_since_entry() {
    // enter at bar 1 (decided bar 0), closes rise to 120, then 107 < 120 * 0.9 = 108.
    let bars = one_asset(
        &[100.0, 100.0, 120.0, 110.0, 107.0, 100.0, 100.0],
        &[0.9, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    let s = SignalStrategy::new()
        .entry(Rule::signal_above("s", 0.8))
        .exit(Rule::trailing_stop(0.1))
        .sizer(Sizer::fixed_quantity(1.0));
    let run = backtest(&bars, &mut s.compile(&bars).unwrap(), config()).unwrap();
    assert_eq!((run.trades[0].entry_bar, run.trades[0].exit_bar), (1, 5));
}

#[test]
fn rules_compiled_for_other_data_refuse_to_run() {
    let a = one_asset(&[10.0; 3], &[0.9; 3]);
    let b = one_asset(&[10.0; 3], &[0.9; 3]);
    let s = SignalStrategy::new().entry(Rule::signal_above("s", 0.5));
    let err = backtest(&b, &mut s.compile(&a).unwrap(), config())
        .unwrap_err()
        .to_string();
    assert!(err.contains("compiled for other data"), "{err}");
}

#[test]
fn rules_reloaded_same_length_data_never_reuses_stale_masks() {
    // The workbench's reload: the same variable, at the same address, takes new data of the
    // same length. Masks compiled for the first file must not run on the second one's values
    // (the entry holds on every bar of `a` and on none of `b`).
    let s = SignalStrategy::new()
        .entry(Rule::signal_above("s", 0.5))
        .sizer(Sizer::fixed_quantity(1.0));
    let mut bars = one_asset(&[10.0; 4], &[0.9; 4]);
    let mut h =
        ml4t_engine::strategy::hybrid::Hybrid::compile(&[Rule::signal_above("s", 0.5)], &bars, EveryBar).unwrap();
    let mut compiled = s.compile(&bars).unwrap();
    let before = std::ptr::from_ref(&bars);
    bars = one_asset(&[10.0; 4], &[0.1; 4]);
    assert_eq!(std::ptr::from_ref(&bars), before);
    for err in [
        backtest(&bars, &mut compiled, config()).unwrap_err().to_string(),
        backtest(&bars, &mut h, config()).unwrap_err().to_string(),
    ] {
        assert!(err.contains("compiled for other data"), "{err}");
    }
    // Compiled again for the new data: no entry, no trade.
    let run = backtest(&bars, &mut s.compile(&bars).unwrap(), config()).unwrap();
    assert!(run.fills.is_empty());
    // A clone carries the same contents, so its masks stay valid.
    let copy = bars.clone();
    assert_eq!(copy.id(), bars.id());
    assert!(backtest(&copy, &mut s.compile(&bars).unwrap(), config()).is_ok());
}

#[test]
fn rules_invalid_are_rejected_with_the_rule_named() {
    let bars = one_asset(&[10.0; 3], &[0.9; 3]);
    let names = bars.signal_names();
    let err = |s: SignalStrategy| s.validate(names, 1).unwrap_err();
    assert_eq!(err(SignalStrategy::new()), RuleError::NoEntry);
    let e = err(SignalStrategy::new().entry(Rule::signal_above("ml_pred", 0.8))).to_string();
    assert!(
        e.contains("entry rule 'ml_pred > 0.8'") && e.contains("unknown column 'ml_pred'") && e.contains("s, t"),
        "{e}"
    );
    let e = err(SignalStrategy::new().entry(Rule::signal_above("s", f64::NAN))).to_string();
    assert!(e.contains("entry rule 's > NaN'") && e.contains("finite"), "{e}");
    let e = err(SignalStrategy::new().entry(Rule::top_n("s", 2))).to_string();
    assert!(e.contains("top 2 by s") && e.contains("single asset"), "{e}");
    let e = err(SignalStrategy::new()
        .entry(Rule::signal_above("s", 0.5))
        .exit(Rule::stop_loss(5.0)))
    .to_string();
    assert!(e.contains("exit rule 'stop loss 500%'"), "{e}");
    let e = err(SignalStrategy::new()
        .entry(Rule::signal_above("s", 0.5))
        .sizer(Sizer::percent_of_cash(95.0)))
    .to_string();
    assert!(e.contains("sizer") && e.contains("0.95 = 95 %"), "{e}");
    let e = err(SignalStrategy::new().entry(Rule::any([]))).to_string();
    assert!(e.contains("empty group"), "{e}");
}

#[test]
fn hybrid_calls_the_callback_only_where_the_filter_holds() {
    use ml4t_engine::market::Bar;
    use ml4t_engine::strategy::hybrid::Hybrid;
    use ml4t_engine::strategy::{Context, Strategy, StrategyResult};
    #[derive(Default)]
    struct Count(Vec<usize>);
    impl Strategy for Count {
        fn on_bar(&mut self, _ctx: &mut Context<'_>, bar: Bar<'_>) -> StrategyResult {
            self.0.push(bar.row());
            Ok(())
        }
    }
    let bars = one_asset(
        &[10.0; 40],
        &(0..40).map(|i| if i % 10 == 3 { 0.9 } else { 0.1 }).collect::<Vec<_>>(),
    );
    let mut h = Hybrid::compile(&[Rule::signal_above("s", 0.5)], &bars, Count::default()).unwrap();
    backtest(&bars, &mut h, config()).unwrap();
    assert_eq!(h.callback().0, vec![3, 13, 23, 33]);
}

/// Positions rebuilt from the fills log at each timestamp index.
fn positions_at_each_timestamp(run: &ml4t_engine::results::RunResult, n_assets: usize) -> Vec<Vec<f64>> {
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
    #![proptest_config(ProptestConfig { max_global_rejects: 8192, ..ProptestConfig::with_cases(300) })]

    /// With shorts, resting exits and entry limits/stops: equity is cash plus every position
    /// marked at its last close at every timestamp; every fill lies inside its bar's
    /// [low, high] (no slippage), and a fill the kinds call a gap is at the bar's open.
    #[test]
    fn prop_rules_accounting_with_shorts_and_resting_orders(bars in arb_bars(60, 3), strategy in arb_strategy()) {
        use ml4t_engine::execution::FillKind;
        prop_assume!(strategy.validate(bars.signal_names(), bars.assets().len()).is_ok());
        let run = backtest(&bars, &mut strategy.compile(&bars).unwrap(), config_for(&strategy)).unwrap();
        let k = bars.assets().len();
        let positions = positions_at_each_timestamp(&run, k);
        let mut last_close = vec![f64::NAN; k];
        let equity = run.equity.equity();
        #[allow(clippy::needless_range_loop)]
        for t in 0..run.timestamps {
            for bar in bars.timestamp(t).unwrap().iter() {
                last_close[bar.asset().index()] = bar.close();
            }
            let marked: f64 = (0..k).filter(|&a| positions[t][a] != 0.0).map(|a| positions[t][a] * last_close[a]).sum();
            let expect = run.equity.cash_at(t) + marked;
            prop_assert!((equity[t] - expect).abs() <= 1e-9 * expect.abs().max(1.0),
                "t={t}: equity {} vs cash + positions {}", equity[t], expect);
        }
        prop_assert_eq!(run.notes.fill_kinds.len(), run.fills.len());
        for (f, kind) in run.fills.iter().zip(&run.notes.fill_kinds) {
            let bar = bars.timestamp(f.bar_index).unwrap().bar_of(f.asset).unwrap();
            prop_assert!(f.price >= bar.low() && f.price <= bar.high(), "fill {f:?} outside [{}, {}]", bar.low(), bar.high());
            if matches!(kind, FillKind::StopGap | FillKind::LimitGap | FillKind::TrailingGap | FillKind::Market) {
                prop_assert_eq!(f.price, bar.open(), "{:?} fill {:?} not at the open", kind, f);
            }
        }
    }
}
