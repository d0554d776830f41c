//! Round-trip trade statistics. Money figures are in account currency, net of commissions.
//!
//! A win is a trade with `pnl_net > 0`, a loss one with `pnl_net < 0`; a trade at exactly 0 is
//! neither. Averages over an empty set are 0.

use crate::execution::Trade;
use crate::types::Side;

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TradeStats {
    pub n_trades: usize,
    pub n_long: usize,
    pub n_short: usize,
    /// Wins / trades (fraction); 0 with no trades.
    pub win_rate: f64,
    /// Gross wins / |gross losses|; `None` when there is no loss (it would be infinite or 0/0).
    pub profit_factor: Option<f64>,
    /// Mean `pnl_net` per trade.
    pub expectancy: f64,
    /// Mean `pnl_net` of wins (positive).
    pub avg_win: f64,
    /// Mean `pnl_net` of losses (negative).
    pub avg_loss: f64,
    pub largest_win: f64,
    /// Most negative `pnl_net`.
    pub largest_loss: f64,
    /// Mean of [`Trade::return_pct`] (net return on entry notional, a fraction) over trades where
    /// it is finite (entry notional not 0).
    pub avg_trade_return: f64,
    /// Mean of exit bar - entry bar.
    pub avg_holding_bars: f64,
    /// Mean of exit time - entry time, in ns.
    pub avg_holding_ns: f64,
}

pub fn trade_stats(trades: &[Trade]) -> TradeStats {
    let mut gross_win = 0.0;
    let mut gross_loss = 0.0;
    let (mut n_wins, mut n_losses, mut n_long) = (0usize, 0usize, 0usize);
    let (mut largest_win, mut largest_loss) = (0.0f64, 0.0f64);
    let (mut return_sum, mut n_returns) = (0.0, 0usize);
    let (mut bars_sum, mut ns_sum) = (0.0, 0.0);
    for t in trades {
        if t.pnl_net > 0.0 {
            n_wins += 1;
            gross_win += t.pnl_net;
            largest_win = largest_win.max(t.pnl_net);
        } else if t.pnl_net < 0.0 {
            n_losses += 1;
            gross_loss += t.pnl_net;
            largest_loss = largest_loss.min(t.pnl_net);
        }
        if t.side == Side::Buy {
            n_long += 1;
        }
        let r = t.return_pct();
        if r.is_finite() {
            return_sum += r;
            n_returns += 1;
        }
        bars_sum += t.holding_bars() as f64;
        ns_sum += t.holding_ns() as f64;
    }
    let n = trades.len();
    TradeStats {
        n_trades: n,
        n_long,
        n_short: n - n_long,
        win_rate: ratio(n_wins as f64, n),
        profit_factor: (gross_loss < 0.0).then(|| gross_win / -gross_loss),
        expectancy: ratio(gross_win + gross_loss, n),
        avg_win: ratio(gross_win, n_wins),
        avg_loss: ratio(gross_loss, n_losses),
        largest_win,
        largest_loss,
        avg_trade_return: ratio(return_sum, n_returns),
        avg_holding_bars: ratio(bars_sum, n),
        avg_holding_ns: ratio(ns_sum, n),
    }
}

/// `sum / count`, 0 for an empty count.
fn ratio(sum: f64, count: usize) -> f64 {
    if count == 0 { 0.0 } else { sum / count as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::metrics::assert_close;
    use crate::types::{AssetId, TimestampNs};

    /// A trade with zero commissions, so `pnl_net` = side * qty * (exit - entry).
    fn trade(side: Side, qty: f64, entry: f64, exit: f64, bars: (usize, usize)) -> Trade {
        Trade {
            asset: AssetId(0),
            side,
            qty,
            entry_ts: TimestampNs(bars.0 as i64 * 100),
            entry_price: entry,
            entry_bar: bars.0,
            exit_ts: TimestampNs(bars.1 as i64 * 100),
            exit_price: exit,
            exit_bar: bars.1,
            entry_commission: 0.0,
            exit_commission: 0.0,
            pnl_net: side.sign() * qty * (exit - entry),
        }
    }

    #[test]
    fn trades_empty_is_all_zero() {
        assert_eq!(trade_stats(&[]), TradeStats::default());
    }

    #[test]
    fn trades_hand_computed() {
        let trades = [
            trade(Side::Buy, 10.0, 100.0, 110.0, (0, 2)), // +100, +10 %, 2 bars
            trade(Side::Buy, 10.0, 100.0, 95.0, (3, 4)),  // -50, -5 %, 1 bar
            trade(Side::Sell, 5.0, 50.0, 40.0, (5, 11)),  // short: +50, +20 %, 6 bars
            trade(Side::Buy, 1.0, 20.0, 20.0, (12, 15)),  // 0: neither win nor loss, 3 bars
        ];
        let s = trade_stats(&trades);
        assert_eq!((s.n_trades, s.n_long, s.n_short), (4, 3, 1));
        assert_close(s.win_rate, 0.5); // 2 of 4
        assert_close(s.profit_factor.unwrap(), 3.0); // 150 / 50
        assert_close(s.expectancy, 25.0); // 100 / 4
        assert_close(s.avg_win, 75.0); // 150 / 2
        assert_close(s.avg_loss, -50.0);
        assert_close(s.largest_win, 100.0);
        assert_close(s.largest_loss, -50.0);
        assert_close(s.avg_trade_return, 0.0625); // (0.1 - 0.05 + 0.2 + 0) / 4
        assert_close(s.avg_holding_bars, 3.0); // (2 + 1 + 6 + 3) / 4
        assert_close(s.avg_holding_ns, 300.0);
    }

    #[test]
    fn trades_profit_factor_none_without_losses() {
        let s = trade_stats(&[trade(Side::Buy, 1.0, 10.0, 12.0, (0, 1))]);
        assert_eq!(s.profit_factor, None);
        assert_eq!((s.win_rate, s.avg_loss, s.largest_loss), (1.0, 0.0, 0.0));
        let s = trade_stats(&[trade(Side::Buy, 1.0, 10.0, 8.0, (0, 1))]);
        assert_eq!(s.profit_factor, Some(0.0));
    }

    #[test]
    fn trades_zero_entry_price_skipped_in_avg_return() {
        // return_pct of the first is +inf (entry notional 0); the second is +10 %.
        let s = trade_stats(&[
            trade(Side::Buy, 1.0, 0.0, 1.0, (0, 1)),
            trade(Side::Buy, 1.0, 10.0, 11.0, (0, 1)),
        ]);
        assert_close(s.avg_trade_return, 0.1);
    }
}
