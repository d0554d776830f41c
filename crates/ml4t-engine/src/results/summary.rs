//! The text summary of a run (the seed's `results.summary()`).

use std::fmt::Write;

use super::RunResult;
use super::metrics::MetricsOptions;
use crate::execution::{CashRule, FillKind, FillTiming};

impl RunResult {
    /// A plain-text report: data span, costs, metrics, open positions, warnings.
    pub fn summary(&self, opts: &MetricsOptions) -> String {
        let m = self.metrics(opts);
        let mut out = String::new();
        let span = match (self.equity.first_ts(), self.equity.last().map(|p| p.ts)) {
            (Some(a), Some(b)) => format!("{} .. {}", a.to_date(), b.to_date()),
            _ => "no bars".to_owned(),
        };
        let assets = if self.assets.len() <= 6 {
            self.assets.join(", ")
        } else {
            format!(
                "{} .. {} ({} assets)",
                self.assets[0],
                self.assets[self.assets.len() - 1],
                self.assets.len()
            )
        };
        let c = &self.config;
        let _ = writeln!(
            out,
            "Backtest  {span}  |  {assets}  |  {} bars, {} timestamps",
            self.bars, self.timestamps
        );
        let _ = writeln!(
            out,
            "Costs     commission {:.3}%{}  |  slippage {} bps  |  cash rule {}  |  fills {}",
            c.commission.percent * 100.0,
            if c.commission.per_share > 0.0 || c.commission.per_order > 0.0 || c.commission.minimum > 0.0 {
                format!(
                    " + {}/share + {}/order (min {})",
                    c.commission.per_share, c.commission.per_order, c.commission.minimum
                )
            } else {
                String::new()
            },
            c.slippage_bps,
            match c.cash_rule {
                CashRule::Cap => "cap",
                CashRule::Reject => "reject",
            },
            match c.fill_timing {
                FillTiming::NextOpen => "next open",
                FillTiming::SameClose => "SAME CLOSE (optimistic: decisions fill at the price they saw)",
            }
        );
        let _ = writeln!(out, "Capital   {:.2} -> {:.2}", self.initial_cash, self.final_equity());
        let rows = m.rows();
        let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        for (k, v) in rows {
            let _ = writeln!(out, "  {k:<width$}  {v}");
        }
        let kinds = &self.notes.fill_kinds;
        if kinds.iter().any(|k| *k != FillKind::Market) {
            let n = |f: fn(&FillKind) -> bool| kinds.iter().filter(|k| f(k)).count();
            let _ = writeln!(
                out,
                "Intrabar  stops {} ({} at a gap open)  |  limits {} ({} at a gap open)  |  trailing {} ({} at a gap open)",
                n(|k| matches!(k, FillKind::Stop | FillKind::StopGap | FillKind::StopLimit)),
                n(|k| *k == FillKind::StopGap),
                n(|k| matches!(k, FillKind::Limit | FillKind::LimitGap)),
                n(|k| *k == FillKind::LimitGap),
                n(|k| matches!(k, FillKind::Trailing | FillKind::TrailingGap)),
                n(|k| *k == FillKind::TrailingGap),
            );
            let _ = writeln!(
                out,
                "          {} ambiguous bar(s): stop and take-profit both touched, the stop assumed first",
                self.notes.ambiguous_bars
            );
        }
        if !self.open_positions.is_empty() {
            let _ = writeln!(out, "Open positions at the end (not counted as trades):");
            for p in &self.open_positions {
                let _ = writeln!(
                    out,
                    "  {:<8} qty {:>10}  entry {} @ {:.4}  last {:.4}  unrealised {:+.2}",
                    self.asset_name(p.asset),
                    p.qty,
                    p.entry_ts.to_date(),
                    p.entry_price,
                    p.last_price,
                    p.unrealized_pnl
                );
            }
        }
        if !self.rejections.is_empty() {
            let _ = writeln!(
                out,
                "Note: {} order(s) were rejected (insufficient cash, nothing to sell, or invalid).",
                self.rejections.len()
            );
        }
        if !self.open_orders.is_empty() {
            let _ = writeln!(
                out,
                "Note: {} order(s) were still pending at the end.",
                self.open_orders.len()
            );
        }
        out
    }
}
