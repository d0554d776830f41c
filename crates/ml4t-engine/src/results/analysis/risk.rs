//! Risk over time: rolling Sharpe and volatility, the underwater series, the worst drawdowns.

use super::{PeriodReturns, finite};
use crate::types::TimestampNs;

/// Rolling figures over a window of period returns; one entry per return from the `window`-th on.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Rolling {
    /// Returns per window.
    pub window: usize,
    /// Where each window ends (ns UTC).
    pub ts: Vec<i64>,
    /// Annualised Sharpe of the window (`(mean - rf) / std * sqrt(ppy)`, std ddof 1); `None`
    /// where the window's returns are all equal.
    pub sharpe: Vec<Option<f64>>,
    /// Annualised volatility of the window (`std * sqrt(ppy)`); 0 for a constant window.
    pub volatility: Vec<Option<f64>>,
}

/// Rolling Sharpe and volatility of `returns` (ending at `ts`) over `window` (at least 2)
/// returns. O(n): running sums, recomputed exactly once per window length against drift, and a
/// window of identical returns (a flat stretch) is recognised exactly.
pub fn rolling(ts: &[i64], returns: &[f64], window: usize, rf_per_period: f64, ppy: f64) -> Rolling {
    let n = ts.len().min(returns.len());
    let w = window.max(2);
    let mut out = Rolling {
        window: w,
        ..Default::default()
    };
    if n < w {
        return out;
    }
    let cap = n - w + 1;
    out.ts.reserve(cap);
    out.sharpe.reserve(cap);
    out.volatility.reserve(cap);
    // Sums of deviations from a fixed centre keep the squares small (less cancellation).
    let centre = returns[..n].iter().sum::<f64>() / n as f64;
    let (mut s1, mut s2) = (0.0, 0.0);
    let mut same_run = 0usize;
    let annual = ppy.sqrt();
    for i in 0..n {
        let d = returns[i] - centre;
        s1 += d;
        s2 += d * d;
        same_run = if i > 0 && returns[i].to_bits() == returns[i - 1].to_bits() {
            same_run + 1
        } else {
            1
        };
        if i + 1 > w {
            let old = returns[i - w] - centre;
            s1 -= old;
            s2 -= old * old;
        }
        if (i + 1) % w == 0 {
            // Exact recomputation of the current window.
            s1 = returns[i + 1 - w..=i].iter().map(|r| r - centre).sum();
            s2 = returns[i + 1 - w..=i].iter().map(|r| (r - centre).powi(2)).sum();
        }
        if i + 1 < w {
            continue;
        }
        let wf = w as f64;
        let mean = centre + s1 / wf;
        let var = ((s2 - s1 * s1 / wf) / (wf - 1.0)).max(0.0);
        let sd = var.sqrt();
        out.ts.push(ts[i]);
        if same_run >= w || sd == 0.0 {
            out.volatility.push(Some(0.0));
            out.sharpe.push(None);
        } else {
            out.volatility.push(finite(sd * annual));
            out.sharpe.push(finite((mean - rf_per_period) / sd * annual));
        }
    }
    out
}

/// Drawdown below the running peak (which starts at the initial cash) at every equity point.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Underwater {
    pub ts: Vec<i64>,
    /// `equity / running peak - 1`: 0 or negative.
    pub drawdown: Vec<f64>,
}

/// The underwater series of an equity curve.
pub fn underwater(init_cash: f64, ts: &[i64], equity: &[f64]) -> Underwater {
    let n = ts.len().min(equity.len());
    let mut peak = init_cash;
    let drawdown = equity[..n]
        .iter()
        .map(|&e| {
            peak = peak.max(e);
            if peak > 0.0 {
                finite(e / peak - 1.0).unwrap_or(0.0).min(0.0)
            } else {
                0.0
            }
        })
        .collect();
    Underwater {
        ts: ts[..n].to_vec(),
        drawdown,
    }
}

/// One stretch below a running peak.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DrawdownEpisode {
    /// `trough / peak - 1`, negative.
    pub depth: f64,
    /// The peak's timestamp (the first point's for a peak at the initial cash).
    pub start_ts: TimestampNs,
    pub trough_ts: TimestampNs,
    /// First point back at or above the peak; `None` if not recovered by the end.
    pub recovery_ts: Option<TimestampNs>,
    /// Equity point indices of the peak, trough and recovery (for zooming a plot).
    pub start_index: usize,
    pub trough_index: usize,
    pub recovery_index: Option<usize>,
    /// Periods from the peak to the recovery, or to the last point if not recovered.
    pub length_bars: usize,
    pub length_ns: i64,
}

/// The `n` deepest drawdowns, deepest first (ties: earlier first). Same episodes as the
/// metrics' max drawdown: the first is the run's max drawdown.
pub fn worst_drawdowns(init_cash: f64, ts: &[i64], equity: &[f64], n: usize) -> Vec<DrawdownEpisode> {
    let len = ts.len().min(equity.len());
    let mut episodes = Vec::new();
    let ts_at = |i: usize| TimestampNs(ts.get(i).copied().unwrap_or_default());
    let make = |peak: usize, trough: usize, depth: f64, recovery: Option<usize>| {
        let end = recovery.unwrap_or(len.saturating_sub(1));
        DrawdownEpisode {
            depth,
            start_ts: ts_at(peak),
            trough_ts: ts_at(trough),
            recovery_ts: recovery.map(ts_at),
            start_index: peak,
            trough_index: trough,
            recovery_index: recovery,
            length_bars: end.saturating_sub(peak),
            length_ns: ts_at(end).0 - ts_at(peak).0,
        }
    };
    let mut peak_value = init_cash;
    let mut peak = 0;
    // The open episode: (trough index, depth).
    let mut open: Option<(usize, f64)> = None;
    for (i, &e) in equity[..len].iter().enumerate() {
        if e >= peak_value {
            if let Some((trough, depth)) = open.take() {
                episodes.push(make(peak, trough, depth, Some(i)));
            }
            peak_value = e;
            peak = i;
            continue;
        }
        let depth = if peak_value > 0.0 {
            finite(e / peak_value - 1.0).unwrap_or(0.0)
        } else {
            0.0
        };
        match &mut open {
            Some((trough, d)) if depth < *d => {
                *trough = i;
                *d = depth;
            }
            Some(_) => {}
            None => open = Some((i, depth)),
        }
    }
    if let Some((trough, depth)) = open {
        episodes.push(make(peak, trough, depth, None));
    }
    episodes.retain(|e| e.depth < 0.0);
    // Stable: ties keep time order.
    episodes.sort_by(|a, b| a.depth.total_cmp(&b.depth));
    episodes.truncate(n);
    episodes
}

/// The risk family of an analysis.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RiskAnalysis {
    pub rolling: Rolling,
    pub underwater: Underwater,
    pub worst_drawdowns: Vec<DrawdownEpisode>,
}

pub(crate) fn analyse(
    init_cash: f64,
    s: &PeriodReturns,
    window: usize,
    rf_per_period: f64,
    ppy: f64,
    n_worst: usize,
) -> RiskAnalysis {
    RiskAnalysis {
        rolling: rolling(&s.ts, &s.returns, window, rf_per_period, ppy),
        underwater: underwater(init_cash, &s.curve_ts, &s.equity),
        worst_drawdowns: worst_drawdowns(init_cash, &s.curve_ts, &s.equity, n_worst),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::analysis::{assert_close, assert_some_close};

    #[test]
    fn rolling_hand_computed() {
        // r = 0.1, -0.1, 0.1, 0.1, window 3, 3 periods a year. Both windows hold {0.1, 0.1, -0.1}:
        // mean 1/30, std 1/sqrt(75); vol = sqrt(3/75) = 0.2; Sharpe = (1/30) sqrt(75) sqrt(3) = 0.5.
        let r = rolling(&[1, 2, 3, 4], &[0.1, -0.1, 0.1, 0.1], 3, 0.0, 3.0);
        assert_eq!(r.ts, vec![3, 4]);
        for k in 0..2 {
            assert_some_close(r.volatility[k], 0.2);
            assert_some_close(r.sharpe[k], 0.5);
        }
    }

    #[test]
    fn rolling_flat_window_has_no_sharpe() {
        // 0, 0, 0 is flat: vol 0, no Sharpe. 0, 0, 0.1: mean 1/30, deviations -1/30, -1/30, 2/30,
        // var (6/900)/2 = 1/300; vol = sqrt(3/300) = 0.1; Sharpe = (1/30) sqrt(300) sqrt(3) = 1.
        let r = rolling(&[1, 2, 3, 4], &[0.0, 0.0, 0.0, 0.1], 3, 0.0, 3.0);
        assert_eq!((r.volatility[0], r.sharpe[0]), (Some(0.0), None));
        assert_some_close(r.volatility[1], 0.1);
        assert_some_close(r.sharpe[1], 1.0);
        // With rf 0.01 per period: (1/30 - 0.01) * 30 = 0.7.
        let r = rolling(&[1, 2, 3, 4], &[0.0, 0.0, 0.0, 0.1], 3, 0.01, 3.0);
        assert_some_close(r.sharpe[1], 0.7);
        assert!(rolling(&[1], &[0.1], 3, 0.0, 3.0).ts.is_empty());
    }

    #[test]
    fn rolling_long_series_matches_direct_computation() {
        // Drift check: the running sums agree with a direct computation at every window.
        let r: Vec<f64> = (0..1000).map(|i| ((i * 7919) % 101) as f64 / 1000.0 - 0.05).collect();
        let ts: Vec<i64> = (0..1000).collect();
        let got = rolling(&ts, &r, 50, 0.0, 252.0);
        for (k, v) in got.volatility.iter().enumerate() {
            let w = &r[k..k + 50];
            let sd = crate::results::analysis::sample_std(w).unwrap();
            assert!((v.unwrap() - sd * 252f64.sqrt()).abs() < 1e-9);
        }
    }

    #[test]
    fn underwater_and_worst_drawdowns_hand_computed() {
        let ts = [10, 20, 30, 40, 50, 60];
        let eq = [100.0, 120.0, 90.0, 110.0, 130.0, 117.0];
        // Peak 120 at ts 20, trough 90 (-25 %), back above at 130 (ts 50): 3 bars, 30 ns.
        // Then 117 / 130 - 1 = -10 %, not recovered: 1 bar to the end, 10 ns.
        let u = underwater(100.0, &ts, &eq);
        assert_eq!(u.drawdown[..2], [0.0, 0.0]);
        assert_close(u.drawdown[2], -0.25);
        assert_close(u.drawdown[3], 110.0 / 120.0 - 1.0);
        assert_close(u.drawdown[5], -0.1);
        let w = worst_drawdowns(100.0, &ts, &eq, 10);
        assert_eq!(w.len(), 2);
        assert_close(w[0].depth, -0.25);
        assert_eq!(
            (w[0].start_ts, w[0].trough_ts, w[0].recovery_ts),
            (TimestampNs(20), TimestampNs(30), Some(TimestampNs(50)))
        );
        assert_eq!((w[0].length_bars, w[0].length_ns), (3, 30));
        assert_eq!(
            (w[0].start_index, w[0].trough_index, w[0].recovery_index),
            (1, 2, Some(4))
        );
        assert_close(w[1].depth, -0.1);
        assert_eq!((w[1].recovery_ts, w[1].length_bars, w[1].length_ns), (None, 1, 10));
        assert_eq!(worst_drawdowns(100.0, &ts, &eq, 1).len(), 1);
        assert!(worst_drawdowns(100.0, &[0, 1], &[100.0, 101.0], 10).is_empty());
    }
}
