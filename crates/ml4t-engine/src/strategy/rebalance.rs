//! Rebalancing portfolios (SEMANTICS.md, "Rebalancing portfolios"): at scheduled closes, rank
//! the assets by a signal, target the top `n_long` long and the bottom `n_short` short with
//! equal weights, and trade the difference at the next open: reductions first (sells and
//! covers, in asset-name order), then additions (in asset-name order).
//!
//! ```
//! use ml4t_engine::strategy::rebalance::{Rebalance, RebalanceEvery};
//! // S6LS: every 5 bars, long the best asset by ml_pred at 50 %, short the worst at 50 %.
//! let s = Rebalance {
//!     signal: "ml_pred".into(),
//!     every: RebalanceEvery::Bars(5),
//!     n_long: 1,
//!     w_long: 0.5,
//!     n_short: 1,
//!     w_short: 0.5,
//!     ..Rebalance::default()
//! };
//! assert!(s.validate(&["ml_pred".into()]).is_ok());
//! ```

use chrono::Datelike;
use serde::{Deserialize, Serialize};

use super::{Context, Strategy, StrategyError, StrategyResult};
use crate::market::BarSlice;
use crate::types::{AssetId, OrderId, SignalId, TimestampNs};

/// When a rebalance happens (at the close; its orders fill at the next open).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RebalanceEvery {
    /// At timestamps 0, k, 2k, ... of the feed.
    Bars(u32),
    /// At the first timestamp of each ISO week.
    Weekly,
    /// At the first timestamp of each calendar month.
    Monthly,
}

/// How a side's total weight is split among its assets.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weighting {
    /// `w / n` each (of the side's `n`, even when fewer assets could be ranked).
    #[default]
    Equal,
    /// Proportional to the rank within the side: of `m` assets, the strongest (the best long,
    /// the worst short) gets `m` parts, the next `m - 1`, ... the last 1.
    Rank,
    /// Proportional to `1 / column` (a volatility signal); an asset whose value is NaN or not
    /// positive gets nothing.
    InverseVolatility(String),
}

/// A ranked long/short portfolio, rebalanced on a schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Rebalance {
    /// The signal column to rank by (highest first; ties by asset name).
    pub signal: String,
    pub every: RebalanceEvery,
    /// Assets held long, and their total weight (a fraction of equity).
    pub n_long: usize,
    pub w_long: f64,
    /// Assets held short (the tail of the ranking), and their total weight.
    pub n_short: usize,
    pub w_short: f64,
    /// Instead of `n_long`: this fraction of the assets ranked at the timestamp (0.1 = the top
    /// decile), `floor(fraction * ranked)` but at least 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub long_fraction: Option<f64>,
    /// Instead of `n_short`: this fraction of the ranked assets, the bottom of the ranking.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short_fraction: Option<f64>,
    pub weighting: Weighting,
    /// Differences below this many shares are not traded.
    pub min_trade: f64,
    /// Differences worth less than this (at the decision close) are not traded; 0: no threshold.
    pub min_notional: f64,
}

impl Default for Rebalance {
    fn default() -> Self {
        Rebalance {
            signal: "ml_pred".into(),
            every: RebalanceEvery::Bars(5),
            n_long: 1,
            w_long: 1.0,
            n_short: 0,
            w_short: 0.0,
            long_fraction: None,
            short_fraction: None,
            weighting: Weighting::Equal,
            min_trade: 1.0,
            min_notional: 0.0,
        }
    }
}

impl Rebalance {
    /// Checks the settings against the data's signal names; the message names the field.
    pub fn validate(&self, signal_names: &[String]) -> Result<(), String> {
        if !signal_names.contains(&self.signal) {
            return Err(format!(
                "rebalance.signal: unknown column '{}'; the data has: {}",
                self.signal,
                signal_names.join(", ")
            ));
        }
        if let Weighting::InverseVolatility(c) = &self.weighting
            && !signal_names.contains(c)
        {
            return Err(format!(
                "rebalance.weighting: unknown column '{c}'; the data has: {}",
                signal_names.join(", ")
            ));
        }
        let weight = |w: f64| w.is_finite() && w >= 0.0;
        let checks = [
            (
                !matches!(self.every, RebalanceEvery::Bars(0)),
                "rebalance.every: Bars(k) needs k >= 1",
            ),
            (
                self.n_long + self.n_short > 0 || self.long_fraction.is_some() || self.short_fraction.is_some(),
                "rebalance: n_long + n_short must be at least 1",
            ),
            (
                [self.long_fraction, self.short_fraction]
                    .iter()
                    .flatten()
                    .all(|f| f.is_finite() && *f > 0.0 && *f <= 1.0),
                "rebalance: long_fraction and short_fraction must be in (0, 1] (0.1 = the top decile)",
            ),
            (
                weight(self.w_long) && weight(self.w_short),
                "rebalance: w_long and w_short must be fractions of equity >= 0 (0.5 = 50 %)",
            ),
            (
                self.min_trade.is_finite() && self.min_trade >= 0.0,
                "rebalance.min_trade must be >= 0 shares",
            ),
            (
                self.min_notional.is_finite() && self.min_notional >= 0.0,
                "rebalance.min_notional must be >= 0",
            ),
        ];
        match checks.iter().find(|(ok, _)| !ok) {
            Some((_, msg)) => Err((*msg).to_owned()),
            None => Ok(()),
        }
    }

    /// Whether the strategy sells short (its account must allow shorts).
    pub fn shorts(&self) -> bool {
        (self.n_short > 0 || self.short_fraction.is_some()) && self.w_short > 0.0
    }

    /// Assets on each side when `ranked` assets could be ranked: the counts, or the fractions
    /// of `ranked` (floor, at least 1).
    pub fn side_counts(&self, ranked: usize) -> (usize, usize) {
        let of = |n: usize, fraction: Option<f64>| match fraction {
            Some(f) => ((f * ranked as f64).floor() as usize).max(1),
            None => n,
        };
        (
            of(self.n_long, self.long_fraction),
            of(self.n_short, self.short_fraction),
        )
    }

    /// The executable strategy (signals resolved in `on_start`).
    pub fn strategy(&self) -> RebalanceStrategy {
        RebalanceStrategy {
            spec: self.clone(),
            signal: None,
            volatility: None,
            last_period: None,
            ranking: Vec::new(),
            target: Vec::new(),
            stale: Vec::new(),
        }
    }
}

/// A [`Rebalance`] running: its signal resolved and its buffers.
#[derive(Debug, Clone)]
pub struct RebalanceStrategy {
    spec: Rebalance,
    signal: Option<SignalId>,
    /// The inverse-volatility weighting's column.
    volatility: Option<SignalId>,
    /// The calendar period of the previous timestamp (weekly and monthly schedules).
    last_period: Option<(i32, u32)>,
    /// (signal, asset, close, volatility) of this timestamp's rankable bars.
    ranking: Vec<Ranked>,
    /// Target quantity per asset.
    target: Vec<f64>,
    /// Orders of an earlier rebalance still pending (an asset without a bar since), reused.
    stale: Vec<OrderId>,
}

impl RebalanceStrategy {
    fn due(&mut self, index: usize, ts: TimestampNs) -> bool {
        let calendar = |f: fn(chrono::NaiveDate) -> (i32, u32)| {
            let date = chrono::DateTime::from_timestamp_nanos(ts.0).date_naive();
            f(date)
        };
        let period = match self.spec.every {
            RebalanceEvery::Bars(k) => return index.is_multiple_of(k.max(1) as usize),
            RebalanceEvery::Weekly => calendar(|d| (d.iso_week().year(), d.iso_week().week())),
            RebalanceEvery::Monthly => calendar(|d| (d.year(), d.month())),
        };
        let first = self.last_period != Some(period);
        self.last_period = Some(period);
        first
    }
}

/// A rankable bar: (signal, asset, close, volatility).
type Ranked = (f64, AssetId, f64, f64);

/// Puts `ranking[..longs]` and `ranking[shorts_from..]` in their places of the ranking (signal
/// descending, ties by ascending asset name = id), in order; the middle, which no side uses, is
/// left unordered. Two partial selections and two short sorts instead of sorting the universe.
fn order_sides(ranking: &mut [Ranked], longs: usize, shorts_from: usize) {
    let by_rank = |a: &Ranked, b: &Ranked| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
    let n = ranking.len();
    if longs < n {
        ranking.select_nth_unstable_by(longs, by_rank);
    }
    ranking[..longs].sort_unstable_by(by_rank);
    let rest = &mut ranking[longs..];
    let tail = shorts_from - longs;
    if tail > 0 && tail < rest.len() {
        rest.select_nth_unstable_by(tail, by_rank);
    }
    rest[tail..].sort_unstable_by(by_rank);
}

impl Strategy for RebalanceStrategy {
    fn on_start(&mut self, ctx: &mut Context<'_>) -> StrategyResult {
        self.spec.validate(ctx.signal_names()).map_err(StrategyError)?;
        self.signal = Some(ctx.signal_id(&self.spec.signal)?);
        if let Weighting::InverseVolatility(c) = &self.spec.weighting {
            self.volatility = Some(ctx.signal_id(c)?);
        }
        self.target = vec![0.0; ctx.assets().len()];
        Ok(())
    }

    fn on_timestamp(&mut self, ctx: &mut Context<'_>, bars: &BarSlice<'_>) -> StrategyResult {
        let Some(signal) = self.signal else {
            return Err("the rebalancing strategy was not started (no on_start)".into());
        };
        if !self.due(bars.index(), bars.ts()) || !ctx.can_trade() {
            return Ok(());
        }
        // Orders of an earlier rebalance that have not filled (their asset had no bar) are
        // replaced: the differences below are taken from the positions alone.
        self.stale.clear();
        self.stale.extend(ctx.open_orders().iter().map(|o| o.id));
        for &id in &self.stale {
            ctx.cancel(id);
        }
        let s = &self.spec;
        let vol = self.volatility;
        self.ranking.clear();
        self.ranking.extend(
            bars.iter()
                .map(|b| {
                    (
                        b.signal(signal),
                        b.asset(),
                        b.close(),
                        vol.map_or(f64::NAN, |v| b.signal(v)),
                    )
                })
                .filter(|r| !r.0.is_nan()),
        );
        self.target.iter_mut().for_each(|t| *t = 0.0);
        let equity = ctx.equity();
        let n = self.ranking.len();
        let (n_long, n_short) = s.side_counts(n);
        let longs = n_long.min(n);
        let shorts_from = n.saturating_sub(n_short).max(longs);
        order_sides(&mut self.ranking, longs, shorts_from);
        // The long side is the head of the ranking (strongest first), the short side its tail
        // (weakest last, so strongest short first when walked backwards).
        let sides: [(std::ops::Range<usize>, f64, usize, bool); 2] = [
            (0..longs, s.w_long, n_long, false),
            (shorts_from..n, -s.w_short, n_short, true),
        ];
        for (range, total, n_side, tail) in sides {
            let m = range.len();
            let part = |k: usize, r: &Ranked| match &s.weighting {
                Weighting::Equal => 1.0,
                Weighting::Rank => {
                    let strength = if tail { k - range.start + 1 } else { range.end - k };
                    strength as f64
                }
                Weighting::InverseVolatility(_) if r.3 > 0.0 => 1.0 / r.3,
                Weighting::InverseVolatility(_) => 0.0,
            };
            let sum: f64 = match s.weighting {
                // Same expression as SEMANTICS.md's `w / n` (bit for bit with the goldens).
                Weighting::Equal => n_side as f64,
                _ => range.clone().map(|k| part(k, &self.ranking[k])).sum(),
            };
            if m == 0 || sum <= 0.0 {
                continue;
            }
            for k in range.clone() {
                let r = self.ranking[k];
                let w = match s.weighting {
                    Weighting::Equal => total / sum,
                    _ => total * part(k, &r) / sum,
                };
                if w != 0.0 {
                    self.target[r.1.index()] = (equity * w / r.2).trunc();
                }
            }
        }
        ctx.order_targets(&self.target, s.min_trade, s.min_notional);
        Ok(())
    }

    fn market_exit_reason(&self) -> &'static str {
        "rebalance"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sides come out as a full sort would place them, ties and infinities included.
    #[test]
    fn order_sides_equals_full_sort_on_the_sides() {
        let mut rnd = crate::test_rng(3);
        for _ in 0..500 {
            let n = rnd(30) as usize;
            let ranking: Vec<Ranked> = (0..n)
                .map(|a| {
                    let v = match rnd(8) {
                        0 => f64::INFINITY,
                        1 => -0.0,
                        k => (k % 3) as f64,
                    };
                    (v, AssetId(a as u32), 1.0, 1.0)
                })
                .collect();
            let mut full = ranking.clone();
            full.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let ids = |r: &[Ranked]| r.iter().map(|r| r.1).collect::<Vec<_>>();
            for (n_long, n_short) in [(0, 0), (1, 1), (3, 2), (5, 40), (40, 5), (40, 40)] {
                let longs = n_long.min(n);
                let shorts_from = n.saturating_sub(n_short).max(longs);
                let mut got = ranking.clone();
                order_sides(&mut got, longs, shorts_from);
                assert_eq!(ids(&got[..longs]), ids(&full[..longs]));
                assert_eq!(ids(&got[shorts_from..]), ids(&full[shorts_from..]));
            }
        }
    }
}
