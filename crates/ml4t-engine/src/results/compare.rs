//! Agreement between two result JSONs, exactly as `fidelity/compare.py` checks it: same trade
//! count; trade by trade (sorted by entry time, asset) the same asset, entry/exit time and qty;
//! prices within 1e-9 relative; pnl_net within 1e-6 relative (abs floor 1e-6); the same open
//! positions; final equity within 1e-6 relative. Quantities are signed (a `side` field with a
//! positive qty is read as signed). Second set: where both files carry them, the trades'
//! `exit_reason` and every fill (asset, time, signed qty exact; price 1e-9, commission 1e-6).

use super::json::{JsonFill, JsonTrade, ResultJson};

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
        if x.signed_qty() != y.signed_qty() {
            msgs.push(format!("qty {} vs {}", x.signed_qty(), y.signed_qty()));
        }
        if let (Some(rx), Some(ry)) = (&x.exit_reason, &y.exit_reason)
            && rx != ry
        {
            msgs.push(format!("exit_reason {rx} vs {ry}"));
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
            if (&x.asset, &x.entry_time, x.signed_qty()) != (&y.asset, &y.entry_time, y.signed_qty())
                || rel(x.entry_price, y.entry_price) > PRICE_RTOL
            {
                out.push(format!("open position differs: {x:?} vs {y:?}"));
            }
        }
    }
    if let (Some(fa), Some(fb)) = (&a.fills, &b.fills) {
        compare_fills(fa, fb, &mut out);
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

/// Fill by fill: same count, asset, time and signed qty; price within 1e-9 and commission
/// within 1e-6 relative (abs floor 1e-6). At most 10 differing fills are listed.
fn compare_fills(fa: &[JsonFill], fb: &[JsonFill], out: &mut Vec<String>) {
    if fa.len() != fb.len() {
        out.push(format!("n_fills differ: {} vs {}", fa.len(), fb.len()));
    }
    let mut n = 0;
    for (k, (x, y)) in fa.iter().zip(fb).enumerate() {
        let mut msgs = Vec::new();
        if x.asset != y.asset {
            msgs.push(format!("asset {} vs {}", x.asset, y.asset));
        }
        if x.time != y.time {
            msgs.push(format!("time {} vs {}", x.time, y.time));
        }
        if x.qty != y.qty {
            msgs.push(format!("qty {} vs {}", x.qty, y.qty));
        }
        if rel(x.price, y.price) > PRICE_RTOL {
            msgs.push(format!("price {} vs {}", x.price, y.price));
        }
        if (x.commission - y.commission).abs() > PNL_RTOL * 1f64.max(x.commission.abs()).max(y.commission.abs()) {
            msgs.push(format!("commission {} vs {}", x.commission, y.commission));
        }
        if !msgs.is_empty() {
            n += 1;
            if n <= 10 {
                out.push(format!("fill #{k} [{} {}]: {}", x.asset, x.time, msgs.join("; ")));
            }
        }
    }
    if n > 10 {
        out.push(format!("... {} more differing fills", n - 10));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn result(trades: &str, fills: &str) -> ResultJson {
        serde_json::from_str(&format!(
            r#"{{"framework": "x", "version": "1", "scenario": "S5", "data": "d", "assets": ["A"],
            "timestamps": 3, "bars": 3, "seconds": 0, "bars_per_sec": 0, "init_cash": 100000,
            "commission": 0.001, "slippage_bps": 0, "cash_rule": "cap", "final_equity": 100000,
            "n_trades": 1, "n_open_positions": 0, "open_positions": [], "trades": [{trades}]{fills}}}"#
        ))
        .unwrap()
    }

    const SHORT: &str = r#"{"asset": "A", "entry_time": "t1", "entry_price": 100, "exit_time": "t2",
        "exit_price": 90, "qty": -10, "pnl_net": 98, "exit_reason": "tp"}"#;

    #[test]
    fn compare_reads_a_side_field_as_a_signed_qty() {
        let sided = SHORT.replace(r#""qty": -10"#, r#""qty": 10, "side": "short""#);
        assert!(compare(&result(SHORT, ""), &result(&sided, "")).is_empty());
        let long = SHORT.replace(r#""qty": -10"#, r#""qty": 10"#);
        assert!(compare(&result(SHORT, ""), &result(&long, ""))[0].contains("qty -10 vs 10"));
    }

    #[test]
    fn compare_checks_exit_reasons_and_fills_only_where_both_have_them() {
        let stop = SHORT.replace(r#""tp""#, r#""stop""#);
        assert!(compare(&result(SHORT, ""), &result(&stop, ""))[0].contains("exit_reason tp vs stop"));
        let none = SHORT.replace(r#", "exit_reason": "tp""#, "");
        assert!(compare(&result(SHORT, ""), &result(&none, "")).is_empty());
        let fills = |px: f64| {
            format!(
                r#", "fills": [{{"asset": "A", "time": "t1", "qty": -10, "price": 100, "commission": 1}},
                {{"asset": "A", "time": "t2", "qty": 10, "price": {px}, "commission": 0.9}}]"#
            )
        };
        assert!(compare(&result(SHORT, &fills(90.0)), &result(SHORT, "")).is_empty());
        let d = compare(&result(SHORT, &fills(90.0)), &result(SHORT, &fills(90.5)));
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].starts_with("fill #1 [A t2]: price 90 vs 90.5"), "{d:?}");
    }
}
