//! Agreement between two result JSONs, exactly as `fidelity/compare.py` checks it: same trade
//! count; trade by trade (sorted by entry time, asset) the same asset, entry/exit time and qty;
//! prices within 1e-9 relative; pnl_net within 1e-6 relative (abs floor 1e-6); the same open
//! positions; final equity within 1e-6 relative.

use super::json::{JsonTrade, ResultJson};

pub const PRICE_RTOL: f64 = 1e-9;
pub const PNL_RTOL: f64 = 1e-6;
pub const EQUITY_RTOL: f64 = 1e-6;

fn rel(a: f64, b: f64) -> f64 {
    let d = (a - b).abs();
    let s = a.abs().max(b.abs());
    if d == 0.0 {
        0.0
    } else if s > 0.0 {
        d / s
    } else {
        f64::INFINITY
    }
}

/// The differences found; empty means the runs agree.
pub fn compare(a: &ResultJson, b: &ResultJson) -> Vec<String> {
    let mut out = Vec::new();
    if a.n_trades != b.n_trades {
        out.push(format!("n_trades differ: {} vs {}", a.n_trades, b.n_trades));
    }
    let sorted = |r: &ResultJson| {
        let mut t: Vec<JsonTrade> = r.trades.clone();
        t.sort_by(|x, y| (&x.entry_time, &x.asset).cmp(&(&y.entry_time, &y.asset)));
        t
    };
    let (ta, tb) = (sorted(a), sorted(b));
    for (k, (x, y)) in ta.iter().zip(&tb).enumerate() {
        let mut msgs = Vec::new();
        if x.asset != y.asset {
            msgs.push(format!("asset {} vs {}", x.asset, y.asset));
        }
        if x.entry_time != y.entry_time {
            msgs.push(format!("entry_time {} vs {}", x.entry_time, y.entry_time));
        }
        if x.exit_time != y.exit_time {
            msgs.push(format!("exit_time {} vs {}", x.exit_time, y.exit_time));
        }
        if x.qty != y.qty {
            msgs.push(format!("qty {} vs {}", x.qty, y.qty));
        }
        for (f, p, q) in [
            ("entry_price", x.entry_price, y.entry_price),
            ("exit_price", x.exit_price, y.exit_price),
        ] {
            if rel(p, q) > PRICE_RTOL {
                msgs.push(format!("{f} {p} vs {q} (rel {:.2e})", rel(p, q)));
            }
        }
        let dp = (x.pnl_net - y.pnl_net).abs();
        if dp > PNL_RTOL * 1f64.max(x.pnl_net.abs()).max(y.pnl_net.abs()) {
            msgs.push(format!("pnl_net {} vs {} (abs diff {dp:.3e})", x.pnl_net, y.pnl_net));
        }
        if !msgs.is_empty() {
            out.push(format!(
                "trade #{k} [{} {}]: {}",
                x.asset,
                x.entry_time,
                msgs.join("; ")
            ));
        }
    }
    let mut pa = a.open_positions.clone();
    let mut pb = b.open_positions.clone();
    pa.sort_by(|x, y| x.asset.cmp(&y.asset));
    pb.sort_by(|x, y| x.asset.cmp(&y.asset));
    if pa.len() != pb.len() {
        out.push(format!("open positions differ: {} vs {}", pa.len(), pb.len()));
    } else {
        for (x, y) in pa.iter().zip(&pb) {
            if (&x.asset, &x.entry_time, x.qty) != (&y.asset, &y.entry_time, y.qty)
                || rel(x.entry_price, y.entry_price) > PRICE_RTOL
            {
                out.push(format!("open position differs: {x:?} vs {y:?}"));
            }
        }
    }
    let r = rel(a.final_equity, b.final_equity);
    if r > EQUITY_RTOL {
        out.push(format!(
            "final_equity {} vs {} (rel {r:.3e})",
            a.final_equity, b.final_equity
        ));
    }
    out
}
