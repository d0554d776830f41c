//! SEMANTICS.md's second set of rules on short hand-computed series: what the fixture data never
//! touches (a gap through a stop, a bar touching stop and take-profit, an open through the
//! take-profit while the low reaches the stop, a short squeezed through its stop, a limit entry
//! that never fills, a market exit voided by a gap). Every case runs compiled and interpreted.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ml4t_engine::backtest;
use ml4t_engine::execution::{BrokerConfig, Commission, FillKind};
use ml4t_engine::market::{BarColumns, Bars};
use ml4t_engine::results::RunResult;
use ml4t_engine::results::json::{ResultJson, RunLabel};
use ml4t_engine::strategy::rules::{Direction, EntryOrder, ExitFills, Rule, RuleError, SignalStrategy, Sizer};
use ml4t_engine::types::{AssetId, Side};

mod common;

/// One asset from (open, high, low, close, s) rows, a day apart.
fn bars(rows: &[(f64, f64, f64, f64, f64)]) -> Bars {
    let mut cols = BarColumns::with_capacity(rows.len(), 1);
    for (t, &(o, h, l, c, s)) in rows.iter().enumerate() {
        cols.push(t as i64 * common::DAY_NS, AssetId(0), o, h, l, c, 1e6, &[s]);
    }
    Bars::new(vec!["A".into()], vec!["s".into()], cols).unwrap()
}

fn config() -> BrokerConfig {
    BrokerConfig {
        initial_cash: 10_000.0,
        commission: Commission::percent(0.001),
        allow_short: true,
        ..BrokerConfig::default()
    }
}

/// Runs compiled and interpreted; both must give the same result, which is returned.
fn run(bars: &Bars, s: &SignalStrategy) -> RunResult {
    let a = backtest(bars, &mut s.compile(bars).unwrap(), config()).unwrap();
    let b = backtest(bars, &mut s.interpret(bars.signal_names(), 1).unwrap(), config()).unwrap();
    assert_eq!(a.fills, b.fills);
    assert_eq!(a.trades, b.trades);
    assert_eq!(a.notes, b.notes);
    assert_eq!(a.equity, b.equity);
    a
}

fn reasons(run: &RunResult) -> Vec<String> {
    ResultJson::from_run(run, &RunLabel::default(), None)
        .trades
        .into_iter()
        .map(|t| t.exit_reason.unwrap())
        .collect()
}

/// Long 10 shares when s > 0.8; intrabar stop 5 % and take-profit 15 % (entry at 100: stop 95,
/// limit 115), plus `extra` close-evaluated exits.
fn bracket(extra: Vec<Rule>) -> SignalStrategy {
    let mut exits = vec![Rule::stop_loss(0.05), Rule::take_profit(0.15)];
    exits.extend(extra);
    SignalStrategy {
        exit_fills: ExitFills::Intrabar,
        ..SignalStrategy::new()
            .entry(Rule::signal_above("s", 0.8))
            .exit_any(exits)
            .sizer(Sizer::fixed_quantity(10.0))
    }
}

/// Bar 0 decides the entry, bar 1 fills it at 100 (its own range touches neither order: they
/// rest from bar 2), then `rest`.
fn entry_then(rest: &[(f64, f64, f64, f64, f64)]) -> Bars {
    let mut rows = vec![(100.0, 100.0, 100.0, 100.0, 0.9), (100.0, 120.0, 80.0, 100.0, 0.5)];
    rows.extend_from_slice(rest);
    bars(&rows)
}

#[test]
fn intrabar_gap_through_the_stop_fills_at_the_open() {
    let r = run(&entry_then(&[(90.0, 92.0, 88.0, 91.0, 0.5)]), &bracket(vec![]));
    let t = &r.trades[0];
    assert_eq!(
        (t.entry_bar, t.entry_price, t.exit_bar, t.exit_price),
        (1, 100.0, 2, 90.0)
    );
    // 10 * (90 - 100) - 1.0 - 0.9
    assert!((t.pnl_net - -101.9).abs() < 1e-9, "{}", t.pnl_net);
    assert_eq!(r.notes.fill_kinds, [FillKind::Market, FillKind::StopGap]);
    assert_eq!(reasons(&r), ["stop_gap"]);
    assert!(r.open_orders.is_empty(), "the take-profit is cancelled");
    assert_eq!(r.notes.ambiguous_bars, 0);
}

#[test]
fn intrabar_stop_and_take_profit_in_one_bar_fill_the_stop() {
    let r = run(&entry_then(&[(100.0, 116.0, 94.0, 100.0, 0.5)]), &bracket(vec![]));
    assert_eq!((r.trades[0].exit_bar, r.trades[0].exit_price), (2, 95.0));
    assert_eq!(reasons(&r), ["stop"]);
    assert_eq!(r.notes.ambiguous_bars, 1);
    assert!(r.open_orders.is_empty());
}

#[test]
fn intrabar_open_through_the_take_profit_wins_over_a_later_low() {
    let r = run(&entry_then(&[(116.0, 117.0, 94.0, 95.0, 0.5)]), &bracket(vec![]));
    assert_eq!((r.trades[0].exit_bar, r.trades[0].exit_price), (2, 116.0));
    assert_eq!(reasons(&r), ["tp_gap"]);
    assert_eq!(r.notes.ambiguous_bars, 0);
    // Inside the bar the limit fills at its price.
    let r = run(&entry_then(&[(110.0, 117.0, 96.0, 112.0, 0.5)]), &bracket(vec![]));
    assert!((r.trades[0].exit_price - 115.0).abs() < 1e-9);
    assert_eq!(reasons(&r), ["tp"]);
}

#[test]
fn intrabar_orders_rest_only_from_the_bar_after_the_entry() {
    // Bar 1 (the entry bar) spans 80..120, through both prices: nothing fills on it.
    let r = run(&entry_then(&[(100.0, 101.0, 99.0, 100.0, 0.5)]), &bracket(vec![]));
    assert!(r.trades.is_empty());
    assert_eq!(r.open_positions.len(), 1);
    assert_eq!(r.open_orders.len(), 2, "stop and take-profit still rest");
}

#[test]
fn intrabar_gap_voids_the_market_exit_decided_at_the_close() {
    // s < 0.5 at bar 1's close decides a market exit for bar 2's open; bar 2 gaps below the
    // stop: the stop fills first at the open and the market exit is void (no short position).
    let s = bracket(vec![Rule::signal_below("s", 0.5)]);
    let mut rows = [
        (100.0, 100.0, 100.0, 100.0, 0.9),
        (100.0, 101.0, 99.0, 100.0, 0.3),
        (90.0, 92.0, 88.0, 91.0, 0.5),
    ];
    let r = run(&bars(&rows), &s);
    assert_eq!(r.fills.len(), 2);
    assert_eq!(reasons(&r), ["stop_gap"]);
    assert_eq!((r.trades[0].exit_price, r.fills[1].position_after), (90.0, 0.0));
    assert!(r.open_orders.is_empty());
    // Without a gap the market exit fills at the open and cancels the resting orders, although
    // the bar's low reaches the stop later.
    rows[2] = (99.0, 100.0, 90.0, 91.0, 0.5);
    let r = run(&bars(&rows), &s);
    assert_eq!(r.fills.len(), 2);
    assert_eq!((r.trades[0].exit_price, reasons(&r)[0].as_str()), (99.0, "signal"));
    assert!(r.open_orders.is_empty());
}

#[test]
fn intrabar_trailing_stop_counts_the_entry_bars_high() {
    // Entry at 100 on bar 1 (high 110): the stop for bar 2 is 110 * 0.9 = 99; bar 2's high
    // 115 moves it to 103.5 for bar 3, which opens at 102 below it (a gap).
    let s = SignalStrategy {
        exit_fills: ExitFills::Intrabar,
        ..SignalStrategy::new()
            .entry(Rule::signal_above("s", 0.8))
            .exit(Rule::trailing_stop(0.1))
            .sizer(Sizer::fixed_quantity(10.0))
    };
    let rows = [
        (100.0, 100.0, 100.0, 100.0, 0.9),
        (100.0, 110.0, 100.0, 105.0, 0.5),
        (105.0, 115.0, 99.5, 112.0, 0.5),
        (102.0, 104.0, 101.0, 103.0, 0.5),
    ];
    let r = run(&bars(&rows), &s);
    assert_eq!((r.trades[0].exit_bar, r.trades[0].exit_price), (3, 102.0));
    assert_eq!(reasons(&r), ["trail_gap"]);
    // Bar 2 reaching 98.9 instead hits 99 within the bar.
    let mut rows = rows;
    rows[2].2 = 98.9;
    let r = run(&bars(&rows), &s);
    assert_eq!((r.trades[0].exit_bar, reasons(&r)[0].as_str()), (2, "trail"));
    assert!((r.trades[0].exit_price - 99.0).abs() < 1e-12);
}

/// Short 10 shares when s < 0.2; intrabar stop 5 % above and take-profit 15 % below the entry.
fn short_bracket() -> SignalStrategy {
    SignalStrategy {
        direction: Direction::ShortOnly,
        short_entry: vec![Rule::signal_below("s", 0.2)],
        short_exit: vec![Rule::any([Rule::stop_loss(0.05), Rule::take_profit(0.15)])],
        exit_fills: ExitFills::Intrabar,
        sizer: Sizer::fixed_quantity(10.0),
        ..SignalStrategy::default()
    }
}

#[test]
fn intrabar_short_squeezed_through_its_stop() {
    let rows = |third| {
        bars(&[
            (100.0, 100.0, 100.0, 100.0, 0.1),
            (100.0, 101.0, 99.0, 100.0, 0.5),
            third,
        ])
    };
    // Gap up through the buy stop at 105: covered at the open 110.
    let r = run(&rows((110.0, 112.0, 108.0, 111.0, 0.5)), &short_bracket());
    let t = &r.trades[0];
    assert_eq!(
        (t.side, t.qty, t.entry_price, t.exit_price),
        (Side::Sell, 10.0, 100.0, 110.0)
    );
    // -10 * (110 - 100) - 1.0 - 1.1
    assert!((t.pnl_net - -102.1).abs() < 1e-9, "{}", t.pnl_net);
    assert_eq!(reasons(&r), ["stop_gap"]);
    // cash: 10000 + 1000 - 1 - 1100 - 1.1
    assert!((r.final_equity() - 9_897.9).abs() < 1e-9);
    let json = ResultJson::from_run(&r, &RunLabel::default(), None);
    assert_eq!(json.trades[0].qty, -10.0);
    assert_eq!(json.fills.as_ref().unwrap()[0].qty, -10.0);
    // Squeezed within the bar: covered at the stop.
    let r = run(&rows((101.0, 106.0, 100.0, 104.0, 0.5)), &short_bracket());
    assert_eq!((r.trades[0].exit_price, reasons(&r)[0].as_str()), (105.0, "stop"));
    // Falling through the take-profit at 85.
    let r = run(&rows((90.0, 91.0, 84.0, 86.0, 0.5)), &short_bracket());
    assert_eq!((r.trades[0].exit_price, reasons(&r)[0].as_str()), (85.0, "tp"));
}

#[test]
fn short_sized_by_percent_uses_equity_and_exits_mirror() {
    // 50 % of equity 10000 at close 100: 50 shares; close-evaluated stop loss 5 %: the close
    // 106 is a 6 % loss on the short, covered at the next open.
    let s = SignalStrategy {
        direction: Direction::LongShort,
        short_entry: vec![Rule::signal_below("s", 0.2)],
        short_exit: vec![Rule::stop_loss(0.05)],
        ..SignalStrategy::new()
            .entry(Rule::signal_above("s", 0.8))
            .sizer(Sizer::percent_of_cash(0.5))
    };
    let rows = [
        (100.0, 100.0, 100.0, 100.0, 0.1),
        (100.0, 101.0, 99.0, 100.0, 0.5),
        (100.0, 107.0, 99.0, 106.0, 0.5),
        (107.0, 107.0, 107.0, 107.0, 0.5),
    ];
    let r = run(&bars(&rows), &s);
    let t = &r.trades[0];
    assert_eq!(
        (t.side, t.qty, t.entry_bar, t.exit_bar, t.exit_price),
        (Side::Sell, 50.0, 1, 3, 107.0)
    );
}

#[test]
fn long_short_reversal_waits_for_the_next_close() {
    // Long at bar 1; at bar 1's close the long exit and the short entry both hold: only the
    // exit is ordered. At bar 2's close (flat) the short entry holds again: short from bar 3.
    let s = SignalStrategy {
        direction: Direction::LongShort,
        short_entry: vec![Rule::signal_below("s", 0.2)],
        short_exit: vec![Rule::signal_above("s", 0.5)],
        ..SignalStrategy::new()
            .entry(Rule::signal_above("s", 0.8))
            .exit(Rule::signal_below("s", 0.5))
            .sizer(Sizer::fixed_quantity(1.0))
    };
    let flat = |s| (100.0, 100.0, 100.0, 100.0, s);
    let r = run(&bars(&[flat(0.9), flat(0.1), flat(0.1), flat(0.3), flat(0.3)]), &s);
    let sides: Vec<(f64, usize)> = r.fills.iter().map(|f| (f.position_after, f.bar_index)).collect();
    assert_eq!(sides, [(1.0, 1), (0.0, 2), (-1.0, 3)]);
}

#[test]
fn limit_entry_that_never_fills_expires() {
    // Buy limit at 100 * 0.99 = 99, valid 1 bar: bar 1's low 99.5 misses it; it is cancelled
    // at bar 1's close, so bar 2's low 90 fills nothing.
    let s = SignalStrategy {
        entry_order: EntryOrder::Limit {
            offset: 0.01,
            valid_bars: 1,
        },
        ..SignalStrategy::new()
            .entry(Rule::signal_above("s", 0.8))
            .sizer(Sizer::fixed_quantity(10.0))
    };
    let rows = [
        (100.0, 100.0, 100.0, 100.0, 0.9),
        (100.0, 101.0, 99.5, 100.0, 0.5),
        (95.0, 96.0, 90.0, 95.0, 0.5),
        (95.0, 96.0, 90.0, 95.0, 0.5),
    ];
    let r = run(&bars(&rows), &s);
    assert!(r.fills.is_empty());
    assert!(r.open_orders.is_empty());
    // Valid for 2 bars, the limit fills on bar 2, at its open 95 below the limit.
    let two = SignalStrategy {
        entry_order: EntryOrder::Limit {
            offset: 0.01,
            valid_bars: 2,
        },
        ..s
    };
    let r = run(&bars(&rows), &two);
    assert_eq!((r.fills[0].bar_index, r.fills[0].price), (2, 95.0));
    assert_eq!(r.notes.fill_kinds[0], FillKind::LimitGap);
}

#[test]
fn short_limit_and_stop_entries_mirror() {
    let short = |entry_order| SignalStrategy {
        direction: Direction::ShortOnly,
        short_entry: vec![Rule::signal_below("s", 0.2)],
        entry_order,
        sizer: Sizer::fixed_quantity(1.0),
        ..SignalStrategy::default()
    };
    let rows = [(100.0, 100.0, 100.0, 100.0, 0.1), (100.0, 102.0, 97.0, 100.0, 0.5)];
    // Sell limit at 101: the high 102 reaches it.
    let r = run(
        &bars(&rows),
        &short(EntryOrder::Limit {
            offset: 0.01,
            valid_bars: 1,
        }),
    );
    assert_eq!((r.fills[0].side, r.fills[0].price), (Side::Sell, 101.0));
    // Sell stop (breakdown) at 98: the low 97 reaches it.
    let r = run(
        &bars(&rows),
        &short(EntryOrder::Stop {
            offset: 0.02,
            valid_bars: 1,
        }),
    );
    assert_eq!((r.fills[0].side, r.fills[0].price), (Side::Sell, 98.0));
    assert_eq!(r.fills[0].position_after, -1.0);
}

#[test]
fn margin_check_refuses_entries_equity_cannot_carry() {
    // 10 shares at 100 need 1000 * 5 = 5000 of equity at a 500 % margin; 60 shares need 30000.
    let s = |q: f64| SignalStrategy {
        initial_margin: Some(5.0),
        ..SignalStrategy::new()
            .entry(Rule::signal_above("s", 0.8))
            .sizer(Sizer::fixed_quantity(q))
    };
    let rows = [(100.0, 100.0, 100.0, 100.0, 0.9), (100.0, 100.0, 100.0, 100.0, 0.9)];
    assert_eq!(run(&bars(&rows), &s(10.0)).fills.len(), 1);
    assert!(run(&bars(&rows), &s(60.0)).fills.is_empty());
}

#[test]
fn rules_intrabar_resting_rule_must_suffice_alone() {
    let s = SignalStrategy {
        exit_fills: ExitFills::Intrabar,
        ..SignalStrategy::new()
            .entry(Rule::signal_above("s", 0.8))
            .exit(Rule::all([Rule::stop_loss(0.05), Rule::signal_below("s", 0.5)]))
    };
    let err = s.validate(&["s".into()], 1).unwrap_err().to_string();
    assert!(
        err.contains("exit rule 'stop loss 5%'") && err.contains("resting order") && err.contains("next_open"),
        "{err}"
    );
    // The same rules exit at the close with next-open exits.
    assert!(
        SignalStrategy {
            exit_fills: ExitFills::NextOpen,
            ..s
        }
        .validate(&["s".into()], 1)
        .is_ok()
    );
}

#[test]
fn rules_short_direction_needs_short_entries() {
    let s = SignalStrategy {
        direction: Direction::LongShort,
        ..SignalStrategy::new().entry(Rule::signal_above("s", 0.8))
    };
    let err = s.validate(&["s".into()], 1).unwrap_err();
    assert!(
        matches!(
            &err,
            RuleError::InvalidValue {
                list: "short_entry",
                ..
            }
        ) && err.to_string().contains("long_short"),
        "{err}"
    );
    // Short only: the long entry list may stay empty.
    let s = SignalStrategy {
        direction: Direction::ShortOnly,
        short_entry: vec![Rule::signal_below("s", 0.2)],
        ..SignalStrategy::default()
    };
    assert!(s.validate(&["s".into()], 1).is_ok());
}

#[test]
fn borrow_fee_is_charged_per_bar_on_the_short_value() {
    // Short 10 from bar 1 at 100; 25.2 % a year over 252 bars is 0.1 % a bar of 10 * close:
    // 1.0 at each close from bar 1 on, 4 bars held (the fast-forward of compiled rules too).
    let s = SignalStrategy {
        direction: Direction::ShortOnly,
        short_entry: vec![Rule::signal_below("s", 0.2)],
        sizer: Sizer::fixed_quantity(10.0),
        ..SignalStrategy::default()
    };
    let flat = |s| (100.0, 100.0, 100.0, 100.0, s);
    let b = bars(&[flat(0.1), flat(0.5), flat(0.5), flat(0.5), flat(0.5)]);
    let config = BrokerConfig {
        borrow_rate: 0.252,
        commission: Commission::default(),
        ..config()
    };
    let a = backtest(&b, &mut s.compile(&b).unwrap(), config).unwrap();
    let i = backtest(&b, &mut s.interpret(b.signal_names(), 1).unwrap(), config).unwrap();
    assert_eq!(a.equity, i.equity);
    let eq = a.equity.equity();
    for (t, e) in eq.iter().enumerate() {
        let fees = t as f64; // bars 1..=t
        assert!((e - (10_000.0 - fees)).abs() < 1e-9, "t={t}: {e}");
    }
}

#[test]
fn borrow_fee_is_in_the_short_trades_pnl_net() {
    // Short 10 at 100 on bar 1 (decided at bar 0), covered at 100 on bar 3 (decided at bar 2):
    // no price move, no commission, so the trade's pnl_net is minus the fee of closes 1 and 2.
    let s = SignalStrategy {
        direction: Direction::ShortOnly,
        short_entry: vec![Rule::signal_below("s", 0.2)],
        short_exit: vec![Rule::signal_above("s", 0.8)],
        sizer: Sizer::fixed_quantity(10.0),
        ..SignalStrategy::default()
    };
    let flat = |s| (100.0, 100.0, 100.0, 100.0, s);
    let b = bars(&[flat(0.1), flat(0.5), flat(0.9), flat(0.5), flat(0.5)]);
    let config = BrokerConfig {
        borrow_rate: 0.252,
        commission: Commission::default(),
        ..config()
    };
    let r = backtest(&b, &mut s.compile(&b).unwrap(), config).unwrap();
    assert_eq!(r.trades.len(), 1);
    let t = &r.trades[0];
    assert_eq!((t.entry_bar, t.exit_bar, t.pnl_gross()), (1, 3, 0.0));
    assert!((t.pnl_net + 2.0).abs() < 1e-9, "{}", t.pnl_net);
    // The same in the result JSON, and the books agree: final equity = cash + trades' pnl.
    let json = ResultJson::from_run(&r, &RunLabel::default(), None);
    assert_eq!(json.trades[0].pnl_net, t.pnl_net);
    assert!((r.final_equity() - (10_000.0 + t.pnl_net)).abs() < 1e-9);
}

mod rebalancing {
    use super::*;
    use ml4t_engine::strategy::rebalance::{Rebalance, RebalanceEvery};

    /// Assets A and B from per-timestamp rows of (open, close, s) for each.
    fn two(rows: &[[(f64, f64, f64); 2]]) -> Bars {
        let mut cols = BarColumns::with_capacity(rows.len() * 2, 1);
        for (t, row) in rows.iter().enumerate() {
            for (a, &(o, c, s)) in row.iter().enumerate() {
                cols.push(
                    t as i64 * common::DAY_NS,
                    AssetId(a as u32),
                    o,
                    o.max(c),
                    o.min(c),
                    c,
                    1e6,
                    &[s],
                );
            }
        }
        Bars::new(vec!["A".into(), "B".into()], vec!["s".into()], cols).unwrap()
    }

    fn spec(n_long: usize, w_long: f64, n_short: usize, w_short: f64, every: RebalanceEvery) -> Rebalance {
        Rebalance {
            signal: "s".into(),
            every,
            n_long,
            w_long,
            n_short,
            w_short,
            ..Rebalance::default()
        }
    }

    fn no_fees() -> BrokerConfig {
        BrokerConfig {
            commission: Commission::default(),
            ..config()
        }
    }

    /// (asset, bar, signed qty, position after) of every fill.
    fn fills(r: &RunResult) -> Vec<(u32, usize, f64, f64)> {
        r.fills
            .iter()
            .map(|f| (f.asset.0, f.bar_index, f.side.sign() * f.qty, f.position_after))
            .collect()
    }

    #[test]
    fn rebalance_that_flips_positions_closes_first_then_opens() {
        // Flat prices at 100, equity 10000: 50 shares a side. At bar 2 the ranking turns over:
        // reductions (A's sale, B's cover) go first, then the new sides, in name order.
        let flat = |sa, sb| [(100.0, 100.0, sa), (100.0, 100.0, sb)];
        let b = two(&[flat(0.9, 0.1), flat(0.9, 0.1), flat(0.1, 0.9), flat(0.1, 0.9)]);
        let s = spec(1, 0.5, 1, 0.5, RebalanceEvery::Bars(2));
        let r = backtest(&b, &mut s.strategy(), no_fees()).unwrap();
        assert_eq!(
            fills(&r),
            [
                (0, 1, 50.0, 50.0),
                (1, 1, -50.0, -50.0),
                (0, 3, -50.0, 0.0),
                (1, 3, 50.0, 0.0),
                (0, 3, -50.0, -50.0),
                (1, 3, 50.0, 50.0),
            ]
        );
        let json = ResultJson::from_run(&r, &RunLabel::default(), None);
        let trades: Vec<(&str, f64, &str)> = json
            .trades
            .iter()
            .map(|t| (t.asset.as_str(), t.qty, t.exit_reason.as_deref().unwrap()))
            .collect();
        assert_eq!(trades, [("A", 50.0, "rebalance"), ("B", -50.0, "rebalance")]);
    }

    #[test]
    fn rebalance_cash_cap_binds_in_name_order() {
        // Targets at close 100: 50 shares each (50 % of 10000). Both open at 110: A costs 5500,
        // the 4500 left buys floor(4500 / 110) = 40 of B's 50.
        let b = two(&[
            [(100.0, 100.0, 0.9), (100.0, 100.0, 0.8)],
            [(110.0, 110.0, 0.9), (110.0, 110.0, 0.8)],
        ]);
        let s = spec(2, 1.0, 0, 0.0, RebalanceEvery::Bars(5));
        let r = backtest(&b, &mut s.strategy(), no_fees()).unwrap();
        assert_eq!(fills(&r), [(0, 1, 50.0, 50.0), (1, 1, 40.0, 40.0)]);
        assert!((r.equity.cash_at(1) - 100.0).abs() < 1e-9);
    }

    /// A (at 0.9) halves at bar 2 and drops to the bottom of the ranking at bar 4; B stays 0.5.
    fn halving() -> Bars {
        let row = |p, s| [(p, p, s), (p, p, 0.5)];
        two(&[
            row(100.0, 0.9),
            row(100.0, 0.9),
            row(50.0, 0.9),
            row(50.0, 0.9),
            row(50.0, 0.1),
            row(60.0, 0.1),
        ])
    }

    #[test]
    fn rebalance_resizes_and_reports_one_round_trip() {
        // Long A at 50 % each rebalance; the price halves, so at bar 2 the target doubles:
        // 50 shares at 100, then 50 more at 50; all 100 sold at bar 5 (A drops to the bottom).
        let b = halving();
        let s = spec(1, 0.5, 0, 0.0, RebalanceEvery::Bars(2));
        let r = backtest(&b, &mut s.strategy(), no_fees()).unwrap();
        // bar 2: equity 10000 - 2500 = 7500, target trunc(7500 * 0.5 / 50) = 75: buy 25 at bar 3.
        // bar 4: B (0.5) ranks above A (0.1): sell A's 75, buy B trunc(equity * 0.5 / 50).
        let a: Vec<(usize, f64)> = r
            .fills
            .iter()
            .filter(|f| f.asset.0 == 0)
            .map(|f| (f.bar_index, f.position_after))
            .collect();
        assert_eq!(a, [(1, 50.0), (3, 75.0), (5, 0.0)]);
        let json = ResultJson::from_run(&r, &RunLabel::default(), None);
        let t = json.trades.iter().find(|t| t.asset == "A").unwrap();
        // One trip: 75 shares at (50 * 100 + 25 * 50) / 75, sold at 60.
        assert_eq!((t.qty, t.entry_bar, t.exit_bar), (75.0, Some(1), Some(5)));
        assert!((t.entry_price - 6250.0 / 75.0).abs() < 1e-9);
        assert!((t.pnl_net - (75.0 * 60.0 - 6250.0)).abs() < 1e-9);
    }

    #[test]
    fn rebalance_run_trades_are_the_json_round_trips() {
        // The same resized position as above: the run's trades (what the GUI, the metrics and
        // the exports read) are the flat-to-flat trips of the result JSON.
        let b = halving();
        let s = spec(1, 0.5, 0, 0.0, RebalanceEvery::Bars(2));
        let r = backtest(&b, &mut s.strategy(), no_fees()).unwrap();
        let json = ResultJson::from_run(&r, &RunLabel::default(), None);
        assert_eq!(r.trades.len(), json.trades.len());
        for (t, j) in r.trades.iter().zip(&json.trades) {
            assert_eq!(t.side.sign() * t.qty, j.qty);
            assert_eq!(
                (t.entry_price, t.exit_price, t.pnl_net),
                (j.entry_price, j.exit_price, j.pnl_net)
            );
            assert_eq!((Some(t.entry_bar), Some(t.exit_bar)), (j.entry_bar, j.exit_bar));
        }
        let a = r.trades.iter().find(|t| t.asset.0 == 0).unwrap();
        assert_eq!((a.qty, a.entry_bar, a.exit_bar), (75.0, 1, 5));
    }

    #[test]
    fn rebalance_long_fraction_takes_a_share_of_the_ranked_assets() {
        let row = |p, s| [(p, p, s), (p, p, 0.5)];
        let b = two(&[row(100.0, 0.9), row(100.0, 0.9), row(100.0, 0.1), row(100.0, 0.1)]);
        let by_count = spec(1, 0.5, 0, 0.0, RebalanceEvery::Bars(2));
        // Half of two ranked assets is one; a tenth is floor(0.2) = 0, raised to at least 1.
        for fraction in [0.5, 0.1] {
            let by_fraction = Rebalance {
                n_long: 0,
                long_fraction: Some(fraction),
                ..by_count.clone()
            };
            let a = backtest(&b, &mut by_count.strategy(), no_fees()).unwrap();
            let f = backtest(&b, &mut by_fraction.strategy(), no_fees()).unwrap();
            assert_eq!(fills(&a), fills(&f), "fraction {fraction}");
        }
        assert_eq!(by_count.side_counts(10), (1, 0));
        let decile = Rebalance {
            long_fraction: Some(0.1),
            short_fraction: Some(0.25),
            ..by_count.clone()
        };
        assert_eq!(decile.side_counts(40), (4, 10));
        assert!(decile.shorts() == (decile.w_short > 0.0));
        let bad = Rebalance {
            long_fraction: Some(1.5),
            ..by_count
        };
        assert!(bad.validate(&["s".into()]).unwrap_err().contains("long_fraction"));
    }

    #[test]
    fn rebalance_weekly_on_the_first_bar_of_each_iso_week_and_nan_targets_zero() {
        // Daily bars from Thursday 1970-01-01: ISO weeks start at bars 0 and 4 (Monday). A's
        // signal is NaN from bar 3 on: at bar 4 it is not ranked and its position closes.
        let rows: Vec<[(f64, f64, f64); 2]> = (0..7)
            .map(|t| [(100.0, 100.0, if t < 3 { 0.9 } else { f64::NAN }), (100.0, 100.0, 0.5)])
            .collect();
        let s = spec(1, 0.5, 0, 0.0, RebalanceEvery::Weekly);
        let r = backtest(&two(&rows), &mut s.strategy(), no_fees()).unwrap();
        assert_eq!(fills(&r), [(0, 1, 50.0, 50.0), (0, 5, -50.0, 0.0), (1, 5, 50.0, 50.0)]);
    }

    #[test]
    fn rebalance_rank_and_inverse_volatility_weights_and_min_notional() {
        use ml4t_engine::strategy::rebalance::Weighting;
        // Three assets at 100, equity 10000, two long at 75 %: by rank the best gets 2 parts of
        // 3 (50 shares), the next 1 (25); by 1/vol with vols 0.3 (A) and 0.1 (B): 1/4 and 3/4
        // (18.75 and 56.25, truncated); equal: 37.5 each, truncated.
        let mut cols = BarColumns::with_capacity(6, 2);
        for t in 0..2i64 {
            for (a, (s, v)) in [(0.9, 0.3), (0.8, 0.1), (0.1, 0.2)].into_iter().enumerate() {
                cols.push(
                    t * common::DAY_NS,
                    AssetId(a as u32),
                    100.0,
                    100.0,
                    100.0,
                    100.0,
                    1e6,
                    &[s, v],
                );
            }
        }
        let b = Bars::new(
            vec!["A".into(), "B".into(), "C".into()],
            vec!["s".into(), "vol".into()],
            cols,
        )
        .unwrap();
        let qtys = |weighting, min_notional| {
            let s = Rebalance {
                weighting,
                min_notional,
                ..spec(2, 0.75, 0, 0.0, RebalanceEvery::Bars(5))
            };
            let r = backtest(&b, &mut s.strategy(), no_fees()).unwrap();
            r.fills.iter().map(|f| (f.asset.0, f.qty)).collect::<Vec<_>>()
        };
        assert_eq!(qtys(Weighting::Rank, 0.0), [(0, 50.0), (1, 25.0)]);
        assert_eq!(
            qtys(Weighting::InverseVolatility("vol".into()), 0.0),
            [(0, 18.0), (1, 56.0)]
        );
        assert_eq!(qtys(Weighting::Equal, 0.0), [(0, 37.0), (1, 37.0)]);
        // A 2600 threshold skips the 25 shares (2500) of the rank weighting.
        assert_eq!(qtys(Weighting::Rank, 2600.0), [(0, 50.0)]);
    }

    #[test]
    fn portfolio_in_rules_is_refused_by_the_rule_compiler() {
        let s = SignalStrategy {
            portfolio: Some(Box::new(spec(1, 0.5, 0, 0.0, RebalanceEvery::Monthly))),
            ..SignalStrategy::default()
        };
        let b = two(&[[(100.0, 100.0, 0.5), (100.0, 100.0, 0.5)]]);
        assert!(s.validate(b.signal_names(), 2).is_ok());
        let err = s.compile(&b).unwrap_err().to_string();
        assert!(
            err.contains("portfolio") && err.contains("Rebalance::strategy"),
            "{err}"
        );
        let bad = SignalStrategy {
            portfolio: Some(Box::new(Rebalance {
                signal: "nope".into(),
                ..spec(1, 0.5, 0, 0.0, RebalanceEvery::Bars(0))
            })),
            ..SignalStrategy::default()
        };
        let err = bad.validate(b.signal_names(), 2).unwrap_err().to_string();
        assert!(err.contains("unknown column 'nope'"), "{err}");
    }
}

mod rebalancing_properties {
    use super::*;
    use common::arb_bars;
    use ml4t_engine::strategy::rebalance::{Rebalance, RebalanceEvery, Weighting};
    use proptest::prelude::*;

    fn arb_spec() -> impl Strategy<Value = Rebalance> {
        (
            prop_oneof![
                (1u32..5).prop_map(RebalanceEvery::Bars),
                Just(RebalanceEvery::Weekly),
                Just(RebalanceEvery::Monthly)
            ],
            0usize..3,
            0.0f64..1.0,
            0usize..3,
            0.0f64..1.0,
            prop_oneof![
                Just(Weighting::Equal),
                Just(Weighting::Rank),
                Just(Weighting::InverseVolatility("t".into()))
            ],
            prop_oneof![Just(0.0), 0.0f64..500.0],
        )
            .prop_filter("at least one side", |(_, nl, _, ns, _, _, _)| nl + ns > 0)
            .prop_map(
                |(every, n_long, w_long, n_short, w_short, weighting, min_notional)| Rebalance {
                    signal: "s".into(),
                    every,
                    n_long,
                    w_long,
                    n_short,
                    w_short,
                    weighting,
                    min_trade: 1.0,
                    min_notional,
                    ..Rebalance::default()
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Rebalancing with shorts: equity is cash plus every position at its last close at
        /// every timestamp; fills at the open; the JSON's round trips account for all closed
        /// cash flows (final equity = initial cash + Σ pnl_net + open positions' value less
        /// their cost and commissions, checked through the totals).
        #[test]
        fn prop_rebalance_accounting(bars in arb_bars(60, 3), spec in arb_spec()) {
            let run = backtest(&bars, &mut spec.strategy(), config()).unwrap();
            let k = bars.assets().len();
            let mut pos = vec![0.0; k];
            let mut last = vec![f64::NAN; k];
            let mut fi = 0;
            for t in 0..run.timestamps {
                while fi < run.fills.len() && run.fills[fi].bar_index == t {
                    let f = &run.fills[fi];
                    let bar = bars.timestamp(t).unwrap().bar_of(f.asset).unwrap();
                    prop_assert_eq!(f.price, bar.open());
                    pos[f.asset.index()] = f.position_after;
                    fi += 1;
                }
                for bar in bars.timestamp(t).unwrap().iter() {
                    last[bar.asset().index()] = bar.close();
                }
                let marked: f64 = (0..k).filter(|&a| pos[a] != 0.0).map(|a| pos[a] * last[a]).sum();
                let expect = run.equity.cash_at(t) + marked;
                let eq = run.equity.equity()[t];
                prop_assert!((eq - expect).abs() <= 1e-9 * expect.abs().max(1.0), "t={}: {} vs {}", t, eq, expect);
            }
            let json = ResultJson::from_run(&run, &RunLabel::default(), None);
            let closed: f64 = json.trades.iter().map(|t| t.pnl_net).sum();
            // Fills that belong to positions still open: their signed cash flow and commission.
            let open: f64 = run.open_positions.iter().map(|p| p.qty * p.last_price).sum();
            let cash_open: f64 = {
                let mut trip_cash = vec![0.0; k];
                for f in &run.fills {
                    let a = f.asset.index();
                    let before = f.position_after - f.side.sign() * f.qty;
                    // The part of the fill that belongs to the trip still open after it.
                    let opening = if f.position_after == 0.0 {
                        trip_cash[a] = 0.0;
                        0.0
                    } else if before != 0.0 && before.signum() != f.position_after.signum() {
                        trip_cash[a] = 0.0;
                        f.position_after.abs()
                    } else {
                        f.qty
                    };
                    trip_cash[a] -= (f.side.sign() * f.price + f.commission / f.qty) * opening;
                }
                run.open_positions.iter().map(|p| trip_cash[p.asset.index()]).sum()
            };
            let expect = run.initial_cash + closed + cash_open + open;
            prop_assert!((run.final_equity() - expect).abs() <= 1e-6 * expect.abs().max(1.0),
                "final equity {} vs round trips {}", run.final_equity(), expect);
        }
    }
}
