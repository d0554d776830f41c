//! Trades: PnL and holding-time distributions, maximum adverse and favourable excursion per
//! trade, win and loss streaks, and each asset's contribution.

use super::histogram::Histogram;
use super::{RunResult, finite};
use crate::execution::{FillTiming, Trade};
use crate::market::Bars;
use crate::types::{AssetId, Side, TimestampNs};

/// How far prices went against and for one trade while it was open.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Excursion {
    /// Index in `RunResult::trades`.
    pub trade: usize,
    pub asset: AssetId,
    pub side: Side,
    pub entry_ts: TimestampNs,
    pub exit_ts: TimestampNs,
    /// Maximum adverse excursion: the worst price against the position over the entry price,
    /// as a fraction (0 or negative; e.g. -0.05 when a long saw a low 5 % under its entry).
    pub mae: f64,
    /// Maximum favourable excursion: the best price for the position, as a fraction (0 or more).
    pub mfe: f64,
    /// The same in money: `mae * entry_price * qty` (<= 0) and `mfe * entry_price * qty` (>= 0).
    pub mae_money: f64,
    pub mfe_money: f64,
    /// The outcome: net PnL and net return on the entry notional.
    pub pnl_net: f64,
    pub return_net: Option<f64>,
}

/// Rows of each asset with their timestamp index, in time order: `[asset] -> [(timestamp, row)]`.
pub fn rows_by_asset(bars: &Bars) -> Vec<Vec<(usize, usize)>> {
    let mut out: Vec<Vec<(usize, usize)>> = vec![Vec::new(); bars.assets().len()];
    let (ids, starts) = (bars.asset_ids(), bars.timestamp_starts());
    for (t, w) in starts.windows(2).enumerate() {
        for (row, id) in ids.iter().enumerate().take(w[1]).skip(w[0]) {
            if let Some(v) = out.get_mut(id.index()) {
                v.push((t, row));
            }
        }
    }
    out
}

/// The excursion of `trade` (number `index`) from `bars`' highs and lows while it was open.
///
/// Which bars count depends on when fills happen (`fill_timing`), since a bar's high and low may
/// fall before an entry or after an exit within it:
/// - `NextOpen` (the default): the position is open from the entry bar's open, so the entry
///   bar's whole range counts; a market exit fills at the exit bar's open, so the exit bar's
///   range does not (bars `entry_bar ..= exit_bar - 1`).
/// - `SameClose`: entry at the entry bar's close and exit at the exit bar's close
///   (bars `entry_bar + 1 ..= exit_bar`).
///
/// The entry and exit prices always count, so `mae <= min(0, outcome)` and
/// `mfe >= max(0, outcome)` before costs. A stop or limit filled inside a bar is approximated
/// by its fill price alone on that bar. `entry_bar`/`exit_bar` are timestamp indices of the
/// feed, i.e. of `bars` (`by_asset` from [`rows_by_asset`]).
pub fn excursion(
    index: usize,
    trade: &Trade,
    bars: &Bars,
    by_asset: &[Vec<(usize, usize)>],
    fill_timing: FillTiming,
) -> Excursion {
    let (first, last) = match fill_timing {
        FillTiming::NextOpen => (Some(trade.entry_bar), trade.exit_bar.checked_sub(1)),
        FillTiming::SameClose => (trade.entry_bar.checked_add(1), Some(trade.exit_bar)),
    };
    let mut hi = trade.entry_price.max(trade.exit_price);
    let mut lo = trade.entry_price.min(trade.exit_price);
    if let (Some(first), Some(last), Some(rows)) = (first, last, by_asset.get(trade.asset.index()))
        && first <= last
    {
        let from = rows.partition_point(|&(t, _)| t < first);
        let to = rows.partition_point(|&(t, _)| t <= last);
        for &(_, row) in &rows[from..to.max(from)] {
            let (h, l) = (bars.high()[row], bars.low()[row]);
            if h.is_finite() {
                hi = hi.max(h);
            }
            if l.is_finite() {
                lo = lo.min(l);
            }
        }
    }
    let entry = trade.entry_price;
    let frac = |x: f64| {
        if entry > 0.0 {
            finite(x / entry).unwrap_or(0.0)
        } else {
            0.0
        }
    };
    let (mae, mfe) = match trade.side {
        Side::Buy => (frac(lo - entry).min(0.0), frac(hi - entry).max(0.0)),
        Side::Sell => (frac(entry - hi).min(0.0), frac(entry - lo).max(0.0)),
    };
    let notional = entry * trade.qty;
    Excursion {
        trade: index,
        asset: trade.asset,
        side: trade.side,
        entry_ts: trade.entry_ts,
        exit_ts: trade.exit_ts,
        mae,
        mfe,
        mae_money: finite(mae * notional).unwrap_or(0.0),
        mfe_money: finite(mfe * notional).unwrap_or(0.0),
        pnl_net: finite(trade.pnl_net).unwrap_or(0.0),
        return_net: finite(trade.return_pct()),
    }
}

/// The excursions of all trades of `result` on the `bars` it ran on.
pub fn excursions(result: &RunResult, bars: &Bars) -> Vec<Excursion> {
    let by_asset = rows_by_asset(bars);
    result
        .trades
        .iter()
        .enumerate()
        .map(|(i, t)| excursion(i, t, bars, &by_asset, result.config.fill_timing))
        .collect()
}

/// Longest runs of consecutive winning and losing trades, in closing order. A win has
/// `pnl_net > 0`, a loss `pnl_net < 0`; a trade at exactly 0 ends both runs.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Streaks {
    pub longest_win: usize,
    pub longest_loss: usize,
}

pub fn streaks(trades: &[Trade]) -> Streaks {
    let (mut s, mut win, mut loss) = (Streaks::default(), 0, 0);
    for t in trades {
        (win, loss) = if t.pnl_net > 0.0 {
            (win + 1, 0)
        } else if t.pnl_net < 0.0 {
            (0, loss + 1)
        } else {
            (0, 0)
        };
        s.longest_win = s.longest_win.max(win);
        s.longest_loss = s.longest_loss.max(loss);
    }
    s
}

/// One asset's closed trades.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AssetContribution {
    pub asset: String,
    /// Sum of `pnl_net`.
    pub pnl_net: f64,
    pub n_trades: usize,
    /// Fraction of its trades with `pnl_net > 0`.
    pub win_rate: f64,
    /// Mean net return on entry notional.
    pub avg_return: Option<f64>,
    /// Sum of its commissions (entry and exit).
    pub commission: f64,
}

/// Per-asset contribution of the assets that have trades, by net PnL, best first (ties by name).
pub fn contributions(assets: &[String], trades: &[Trade]) -> Vec<AssetContribution> {
    let mut acc: std::collections::BTreeMap<usize, (f64, usize, usize, f64, usize, f64)> = Default::default();
    for t in trades {
        let e = acc.entry(t.asset.index()).or_default();
        e.0 += t.pnl_net;
        e.1 += 1;
        e.2 += usize::from(t.pnl_net > 0.0);
        if let Some(r) = finite(t.return_pct()) {
            e.3 += r;
            e.4 += 1;
        }
        e.5 += t.entry_commission + t.exit_commission;
    }
    let mut out: Vec<AssetContribution> = acc
        .into_iter()
        .map(|(a, (pnl, n, wins, ret_sum, n_ret, commission))| AssetContribution {
            asset: assets.get(a).cloned().unwrap_or_else(|| format!("#{a}")),
            pnl_net: finite(pnl).unwrap_or(0.0),
            n_trades: n,
            win_rate: wins as f64 / n as f64,
            avg_return: (n_ret > 0).then(|| ret_sum / n_ret as f64).and_then(finite),
            commission: finite(commission).unwrap_or(0.0),
        })
        .collect();
    out.sort_by(|a, b| b.pnl_net.total_cmp(&a.pnl_net));
    out
}

/// The trades family of an analysis.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TradeAnalysis {
    /// Net PnL per trade.
    pub pnl: Histogram,
    /// Holding time in bars (timestamps) per trade.
    pub holding_bars: Histogram,
    /// One per trade, in `RunResult::trades` order.
    pub excursions: Vec<Excursion>,
    pub streaks: Streaks,
    pub per_asset: Vec<AssetContribution>,
}

pub(crate) fn analyse(result: &RunResult, bars: &Bars, bins: usize) -> TradeAnalysis {
    let pnl: Vec<f64> = result.trades.iter().map(|t| t.pnl_net).collect();
    let holding: Vec<usize> = result.trades.iter().map(Trade::holding_bars).collect();
    TradeAnalysis {
        pnl: Histogram::new(&pnl, bins),
        holding_bars: Histogram::integers(&holding, bins),
        excursions: excursions(result, bars),
        streaks: streaks(&result.trades),
        per_asset: contributions(&result.assets, &result.trades),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::BarColumns;
    use crate::results::analysis::{assert_close, assert_some_close};

    /// Asset A (id 0) on timestamps 0..=5 with (high, low); asset B (id 1) alongside with wild
    /// prices that must never leak into A's excursions.
    fn bars() -> Bars {
        let a = [
            (101.0, 99.0),
            (103.0, 98.0),
            (106.0, 99.0),
            (104.0, 95.0),
            (108.0, 101.0),
            (120.0, 90.0),
        ];
        let mut c = BarColumns::default();
        for (t, (h, l)) in a.iter().enumerate() {
            for (asset, (h, l)) in [(0, (*h, *l)), (1, (1000.0, 1.0))] {
                c.ts.push(t as i64);
                c.asset.push(AssetId(asset));
                c.open.push(100.0);
                c.high.push(h);
                c.low.push(l);
                c.close.push(100.0);
                c.volume.push(1.0);
            }
        }
        Bars::new(vec!["A".into(), "B".into()], vec![], c).unwrap()
    }

    fn trade(side: Side, entry_bar: usize, exit_bar: usize, exit_price: f64, pnl: f64) -> Trade {
        Trade {
            asset: AssetId(0),
            side,
            qty: 10.0,
            entry_ts: TimestampNs(entry_bar as i64),
            entry_price: 100.0,
            entry_bar,
            exit_ts: TimestampNs(exit_bar as i64),
            exit_price,
            exit_bar,
            entry_commission: 1.0,
            exit_commission: 1.0,
            pnl_net: pnl,
        }
    }

    #[test]
    fn excursion_five_bar_long_trade_next_open() {
        // Entered at bar 1's open (100), exited at bar 5's open (104). Bars 1..=4 count:
        // lows 98, 99, 95, 101 -> 95; highs 103, 106, 104, 108 -> 108. Bar 5 (120/90) is after
        // the exit and bar 0 before the entry. MAE = (95 - 100) / 100 = -5 %, MFE = +8 %;
        // in money with 10 shares on 1000 notional: -50 and +80.
        let b = bars();
        let by_asset = rows_by_asset(&b);
        let t = trade(Side::Buy, 1, 5, 104.0, 38.0);
        let x = excursion(0, &t, &b, &by_asset, FillTiming::NextOpen);
        assert_close(x.mae, -0.05);
        assert_close(x.mfe, 0.08);
        assert_close(x.mae_money, -50.0);
        assert_close(x.mfe_money, 80.0);
        assert_close(x.pnl_net, 38.0);
        assert_some_close(x.return_net, 0.038);
    }

    #[test]
    fn excursion_short_and_same_close() {
        let b = bars();
        let by_asset = rows_by_asset(&b);
        // Short over the same bars: adverse is the high 108 (-8 %), favourable the low 95 (+5 %).
        let t = trade(Side::Sell, 1, 5, 104.0, -42.0);
        let x = excursion(0, &t, &b, &by_asset, FillTiming::NextOpen);
        assert_close(x.mae, -0.08);
        assert_close(x.mfe, 0.05);
        // Same close: bars 2..=5 count (entry at bar 1's close, exit at bar 5's close):
        // lows 99, 95, 101, 90 -> 90 (-10 %); highs 106, 104, 108, 120 -> 120 (+20 %), for a long.
        let t = trade(Side::Buy, 1, 5, 104.0, 38.0);
        let x = excursion(0, &t, &b, &by_asset, FillTiming::SameClose);
        assert_close(x.mae, -0.1);
        assert_close(x.mfe, 0.2);
        // Entry and exit on one bar at the open: only the fill prices count (exit 97: -3 %).
        let t = trade(Side::Buy, 2, 2, 97.0, -32.0);
        let x = excursion(0, &t, &b, &by_asset, FillTiming::NextOpen);
        assert_close(x.mae, -0.03);
        assert_eq!(x.mfe, 0.0);
    }

    #[test]
    fn streaks_and_contributions_hand_computed() {
        // W W L L L 0 W: longest win 2, longest loss 3.
        let pnls = [5.0, 3.0, -1.0, -2.0, -4.0, 0.0, 7.0];
        let trades: Vec<Trade> = pnls.iter().map(|&p| trade(Side::Buy, 0, 1, 100.0, p)).collect();
        assert_eq!(
            streaks(&trades),
            Streaks {
                longest_win: 2,
                longest_loss: 3
            }
        );
        assert_eq!(streaks(&[]), Streaks::default());
        let mut trades = trades;
        trades[6].asset = AssetId(1);
        let c = contributions(&["A".into(), "B".into()], &trades);
        // B: one trade of +7. A: 5 + 3 - 1 - 2 - 4 + 0 = 1 over 6 trades, 2 wins.
        assert_eq!(c.len(), 2);
        assert_eq!((c[0].asset.as_str(), c[0].n_trades), ("B", 1));
        assert_close(c[0].pnl_net, 7.0);
        assert_close(c[1].pnl_net, 1.0);
        assert_close(c[1].win_rate, 2.0 / 6.0);
        // Returns on 1000 notional: mean of pnl / 1000 = 1/6000.
        assert_some_close(c[1].avg_return, 1.0 / 6000.0);
        assert_close(c[1].commission, 12.0);
    }
}
