//! Performance metrics, one family per file, computed once from a finished run.
//!
//! Returns, rates and exposures are fractions (0.1234 = 12.34 %); money is in account currency;
//! durations carry their unit in the name (`_bars`, `_ns`). No field is NaN or infinite: where a
//! figure is undefined (no trades, zero volatility, no drawdown) it is 0, or `None` where 0 would
//! mislead (profit factor without losses, drawdown dates without a drawdown). A figure that
//! still comes out non-finite (an equity that overflowed) is checked once in [`compute`]: it
//! becomes absent (NaN in memory, `null` in the JSON) and [`Metrics::notes`] says which and why.

/// Drawdown depth, dates and durations.
pub mod drawdown;
/// Time in the market, gross exposure, turnover, commissions.
pub mod exposure;
/// Periods per year: inferred from timestamps or given.
pub mod periods;
/// Sums with a repeated term (the flat stretches of a curve), exact to the bit.
mod repeat;
/// Period returns, CAGR, volatility, Sharpe, Sortino, Calmar.
pub mod returns;
/// Round-trip trade statistics.
pub mod trades;

use super::{EquityCurve, Fill, Stretch, Trade};
use crate::timeline::TimeColumn;
use crate::types::{NS_PER_DAY, TimestampNs};

/// Choices that change the figures.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct MetricsOptions {
    /// Bars per year for annualising; `None` infers it from the timestamps (see [`periods`]).
    pub periods_per_year: Option<f64>,
    /// Annual risk-free rate as a fraction, for Sharpe and Sortino.
    pub risk_free_rate: f64,
}

impl Default for MetricsOptions {
    fn default() -> Self {
        MetricsOptions {
            periods_per_year: None,
            risk_free_rate: 0.0,
        }
    }
}

/// All metrics of one run, flat (one JSON object, one table row).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Metrics {
    /// Equity at the last timestamp (the initial cash if there is none).
    #[serde(deserialize_with = "null_as_nan")]
    pub final_equity: f64,
    /// The annualisation factor used (given or inferred).
    #[serde(deserialize_with = "null_as_nan")]
    pub periods_per_year: f64,
    /// Number of period returns (normally one per timestamp: the first runs from the initial cash).
    pub n_periods: usize,
    /// `n_periods / periods_per_year`.
    #[serde(deserialize_with = "null_as_nan")]
    pub years: f64,

    /// `final_equity / init_cash - 1`.
    #[serde(deserialize_with = "null_as_nan")]
    pub total_return: f64,
    /// `(final / init)^(1 / years) - 1`; -1 if everything was lost.
    #[serde(deserialize_with = "null_as_nan")]
    pub cagr: f64,
    /// Sample std of period returns times `sqrt(periods_per_year)`.
    #[serde(deserialize_with = "null_as_nan")]
    pub annual_volatility: f64,
    /// Annualised mean excess return over its std; 0 when the std is 0.
    #[serde(deserialize_with = "null_as_nan")]
    pub sharpe: f64,
    /// Annualised mean excess return over the downside deviation; 0 without downside.
    #[serde(deserialize_with = "null_as_nan")]
    pub sortino: f64,
    /// `cagr / |max_drawdown|`; 0 without drawdown.
    #[serde(deserialize_with = "null_as_nan")]
    pub calmar: f64,

    /// Deepest fall below the running peak (which starts at the initial cash): a fraction <= 0.
    #[serde(deserialize_with = "null_as_nan")]
    pub max_drawdown: f64,
    pub max_drawdown_peak_ts: Option<TimestampNs>,
    pub max_drawdown_trough_ts: Option<TimestampNs>,
    /// `None` if not recovered by the end (or no drawdown).
    pub max_drawdown_recovery_ts: Option<TimestampNs>,
    /// Peak to recovery, or to the end if not recovered.
    pub max_drawdown_duration_bars: usize,
    pub max_drawdown_duration_ns: i64,
    /// The longest stretch below a peak, deepest or not.
    pub longest_drawdown_bars: usize,
    pub longest_drawdown_ns: i64,

    /// Closed round trips (open positions at the end are not trades).
    pub n_trades: usize,
    pub n_long_trades: usize,
    pub n_short_trades: usize,
    /// Fraction of trades with `pnl_net > 0`.
    #[serde(deserialize_with = "null_as_nan")]
    pub win_rate: f64,
    /// Gross wins / |gross losses|; `None` without losses.
    pub profit_factor: Option<f64>,
    /// Mean `pnl_net` per trade.
    #[serde(deserialize_with = "null_as_nan")]
    pub expectancy: f64,
    #[serde(deserialize_with = "null_as_nan")]
    pub avg_win: f64,
    /// Negative (or 0 without losses).
    #[serde(deserialize_with = "null_as_nan")]
    pub avg_loss: f64,
    #[serde(deserialize_with = "null_as_nan")]
    pub largest_win: f64,
    /// Negative (or 0 without losses).
    #[serde(deserialize_with = "null_as_nan")]
    pub largest_loss: f64,
    /// Mean net return on entry notional per trade.
    #[serde(deserialize_with = "null_as_nan")]
    pub avg_trade_return: f64,
    #[serde(deserialize_with = "null_as_nan")]
    pub avg_holding_bars: f64,
    #[serde(deserialize_with = "null_as_nan")]
    pub avg_holding_ns: f64,

    /// Fraction of timestamps with an open position.
    #[serde(deserialize_with = "null_as_nan")]
    pub exposure_time: f64,
    /// Mean gross exposure / equity.
    #[serde(deserialize_with = "null_as_nan")]
    pub avg_gross_exposure: f64,
    /// Fill notional / mean equity.
    #[serde(deserialize_with = "null_as_nan")]
    pub turnover: f64,
    /// `turnover / years`.
    #[serde(deserialize_with = "null_as_nan")]
    pub turnover_annual: f64,
    /// Sum of fill commissions.
    #[serde(deserialize_with = "null_as_nan")]
    pub commission_total: f64,

    /// Why a figure is absent: each non-finite value (an equity that overflowed, a short at an
    /// extreme price) is replaced by NaN in memory and `null` in the JSON, with a note here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Computes every metric of a run. Never panics; see the field docs for the empty-input values.
pub fn compute(
    init_cash: f64,
    equity: &EquityCurve,
    trades: &[Trade],
    fills: &[Fill],
    opts: &MetricsOptions,
) -> Metrics {
    let times = equity.times();
    let ppy = periods::resolve_periods_per_year_of(opts.periods_per_year, times);
    // Nothing is materialised: one walk over the stored curve, a stretch at a time, feeds every
    // family (and a second one the squared deviations of the returns about their mean), with
    // the sums of the point-by-point formulas: equal to the bit. A sweep computes this for
    // every combination.
    let rf_pp = returns::risk_free_per_period(opts.risk_free_rate, ppy);
    let mut rets = returns::CurveReturns::new(init_cash, rf_pp);
    let mut draw = drawdown::CurveDrawdown::new(init_cash);
    let mut expo = exposure::CurveExposure::default();
    let mut i = 0;
    equity.for_each_stretch(|s| {
        match s {
            Stretch::Held { equity, gross } => {
                add_held(&mut rets, &mut draw, &mut expo, i, equity, gross, times);
            }
            Stretch::Flat { .. } => {
                rets.add(&s);
                draw.add(i, &s, times);
                expo.add(&s);
            }
        }
        i += s.len();
    });
    let stats = rets.finish(equity);
    let n_periods = stats.len();
    let years = n_periods as f64 / ppy;
    let final_equity = equity.last().map_or(init_cash, |p| p.equity);
    let cagr = returns::cagr(init_cash, final_equity, years);
    let dd = draw.finish(times);
    let max_dd = dd.max.map_or(0.0, |m| m.depth);
    let t = trades::trade_stats(trades);
    let x = expo.finish(fills, years);

    let mut m = Metrics {
        final_equity,
        periods_per_year: ppy,
        n_periods,
        years,
        total_return: returns::total_return(init_cash, final_equity),
        cagr,
        annual_volatility: returns::annual_volatility_of(&stats, ppy),
        sharpe: returns::sharpe_of(&stats, ppy),
        sortino: returns::sortino_of(&stats, ppy),
        calmar: returns::calmar(cagr, max_dd),
        max_drawdown: max_dd,
        max_drawdown_peak_ts: dd.max.map(|m| m.peak_ts),
        max_drawdown_trough_ts: dd.max.map(|m| m.trough_ts),
        max_drawdown_recovery_ts: dd.max.and_then(|m| m.recovery_ts),
        max_drawdown_duration_bars: dd.max.map_or(0, |m| m.duration_bars),
        max_drawdown_duration_ns: dd.max.map_or(0, |m| m.duration_ns),
        longest_drawdown_bars: dd.longest_bars,
        longest_drawdown_ns: dd.longest_ns,
        n_trades: t.n_trades,
        n_long_trades: t.n_long,
        n_short_trades: t.n_short,
        win_rate: t.win_rate,
        profit_factor: t.profit_factor,
        expectancy: t.expectancy,
        avg_win: t.avg_win,
        avg_loss: t.avg_loss,
        largest_win: t.largest_win,
        largest_loss: t.largest_loss,
        avg_trade_return: t.avg_trade_return,
        avg_holding_bars: t.avg_holding_bars,
        avg_holding_ns: t.avg_holding_ns,
        exposure_time: x.exposure_time,
        avg_gross_exposure: x.avg_gross_exposure,
        turnover: x.turnover,
        turnover_annual: x.turnover_annual,
        commission_total: x.commission_total,
        notes: Vec::new(),
    };
    m.absent_if_not_finite();
    m
}

/// A held stretch (points `i..`) for the return, drawdown and exposure families at once: one
/// loop over the points, with the divisions of a batch of them (the returns and the exposure
/// fractions) first, in loops without branches that run several at once. Each family takes the
/// points in order with its own per-point step, so every sum is the one the families' own walks
/// give, to the bit (a test pins it); only the loop is shared. A sweep computes this for every
/// combination, and a trade-heavy one has a held stretch every few points.
#[inline]
fn add_held(
    rets: &mut returns::CurveReturns,
    draw: &mut drawdown::CurveDrawdown,
    expo: &mut exposure::CurveExposure,
    i: usize,
    equity: &[f64],
    gross: &[f64],
    times: &TimeColumn,
) {
    // In locals for the stretch: kept behind the references they would go through memory.
    let (mut r, mut d, mut x) = (*rets, *draw, *expo);
    // One loop, the divisions inline: a held stretch is a few points long on trade-heavy runs,
    // where every extra loop costs a mispredicted exit; the divisions of successive points
    // still overlap (they depend on loads only).
    let mut before = r.prev();
    for (at, (&e, &g)) in (i..).zip(equity.iter().zip(gross)) {
        r.push_point(e / before - 1.0, e);
        d.push_point(at, e, times);
        x.push_point(e, g, g / e);
        before = e;
    }
    (*rets, *draw, *expo) = (r, d, x);
}

/// Reads a JSON `null` (an absent figure) back as NaN.
fn null_as_nan<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v: Option<f64> = serde::Deserialize::deserialize(d)?;
    Ok(v.unwrap_or(f64::NAN))
}

impl Metrics {
    /// The one finiteness check: every non-finite figure becomes absent, with a note.
    fn absent_if_not_finite(&mut self) {
        macro_rules! check {
            ($($field:ident),* $(,)?) => {$(
                if !self.$field.is_finite() {
                    self.notes.push(format!(
                        "{} is absent: it came out {} (equity or prices beyond the range of \
                         f64); check the data for extreme prices",
                        stringify!($field),
                        if self.$field.is_nan() { "not a number" } else { "infinite" },
                    ));
                    self.$field = f64::NAN;
                }
            )*};
        }
        check!(
            final_equity,
            periods_per_year,
            years,
            total_return,
            cagr,
            annual_volatility,
            sharpe,
            sortino,
            calmar,
            max_drawdown,
            win_rate,
            expectancy,
            avg_win,
            avg_loss,
            largest_win,
            largest_loss,
            avg_trade_return,
            avg_holding_bars,
            avg_holding_ns,
            exposure_time,
            avg_gross_exposure,
            turnover,
            turnover_annual,
            commission_total
        );
        if let Some(pf) = self.profit_factor
            && !pf.is_finite()
        {
            self.notes
                .push("profit_factor is absent: it came out infinite or not a number".to_owned());
            self.profit_factor = None;
        }
    }

    /// Label/value pairs for a text summary or a GUI table, in reading order.
    pub fn rows(&self) -> Vec<(&'static str, String)> {
        let absent = "n/a".to_owned();
        let pct = |x: f64| {
            if x.is_finite() {
                format!("{:.2}%", x * 100.0)
            } else {
                absent.clone()
            }
        };
        let num = |x: f64| {
            if x.is_finite() {
                format!("{x:.2}")
            } else {
                absent.clone()
            }
        };
        let times = |x: f64| {
            if x.is_finite() {
                format!("{x:.2}x")
            } else {
                absent.clone()
            }
        };
        let has_dd = self.max_drawdown_peak_ts.is_some();
        let recovery = match self.max_drawdown_recovery_ts {
            Some(ts) => when(ts),
            None if has_dd => "not recovered".to_owned(),
            None => "-".to_owned(),
        };
        let profit_factor = match self.profit_factor {
            Some(pf) => num(pf),
            None if self.avg_win > 0.0 => "no losses".to_owned(),
            None => "-".to_owned(),
        };
        vec![
            ("Final equity", num(self.final_equity)),
            ("Total return", pct(self.total_return)),
            ("CAGR", pct(self.cagr)),
            ("Annual volatility", pct(self.annual_volatility)),
            ("Sharpe ratio", num(self.sharpe)),
            ("Sortino ratio", num(self.sortino)),
            ("Calmar ratio", num(self.calmar)),
            ("Max drawdown", pct(self.max_drawdown)),
            (
                "Max drawdown peak",
                self.max_drawdown_peak_ts.map_or("-".to_owned(), when),
            ),
            (
                "Max drawdown trough",
                self.max_drawdown_trough_ts.map_or("-".to_owned(), when),
            ),
            ("Max drawdown recovery", recovery),
            (
                "Max drawdown duration",
                duration(
                    self.max_drawdown_duration_bars as f64,
                    self.max_drawdown_duration_ns as f64,
                ),
            ),
            (
                "Longest drawdown",
                duration(self.longest_drawdown_bars as f64, self.longest_drawdown_ns as f64),
            ),
            (
                "Trades",
                format!(
                    "{} ({} long, {} short)",
                    self.n_trades, self.n_long_trades, self.n_short_trades
                ),
            ),
            ("Win rate", pct(self.win_rate)),
            ("Profit factor", profit_factor),
            ("Expectancy", num(self.expectancy)),
            ("Average win", num(self.avg_win)),
            ("Average loss", num(self.avg_loss)),
            ("Largest win", num(self.largest_win)),
            ("Largest loss", num(self.largest_loss)),
            ("Average trade return", pct(self.avg_trade_return)),
            (
                "Average holding time",
                duration(self.avg_holding_bars, self.avg_holding_ns),
            ),
            ("Exposure time", pct(self.exposure_time)),
            ("Average gross exposure", pct(self.avg_gross_exposure)),
            ("Turnover", times(self.turnover)),
            ("Annual turnover", times(self.turnover_annual)),
            ("Commission paid", num(self.commission_total)),
            ("Periods per year", format!("{:.1}", self.periods_per_year)),
        ]
    }
}

/// The date alone for midnight timestamps (daily bars), else date and time.
fn when(ts: TimestampNs) -> String {
    if ts.0.rem_euclid(NS_PER_DAY) == 0 {
        ts.to_date()
    } else {
        ts.to_iso()
    }
}

/// Whole bar counts without decimals, averages with one; days with one decimal.
fn duration(bars: f64, ns: f64) -> String {
    let days = ns / NS_PER_DAY as f64;
    if bars.fract() == 0.0 {
        format!("{bars:.0} bars ({days:.1} days)")
    } else {
        format!("{bars:.1} bars ({days:.1} days)")
    }
}

/// Equal within 1e-12 (absolute, or relative for large values).
#[cfg(test)]
#[track_caller]
fn assert_close(actual: f64, expected: f64) {
    let tol = 1e-12 * expected.abs().max(1.0);
    assert!(
        (actual - expected).abs() <= tol,
        "{actual} != {expected} (tolerance {tol})"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{AssetId, OrderId, Side};

    const DAY: i64 = NS_PER_DAY;

    /// Made-up inputs (not one consistent simulation), chosen for easy numbers: 100 initial cash,
    /// equity 110, 99, 108.9 on days 0, 1, 2; gross exposure 100, 0, 0; one long trade losing 1;
    /// fills of 1 @ 100 and 1 @ 99 with 0.5 commission each.
    fn run() -> (EquityCurve, Vec<Trade>, Vec<Fill>) {
        let mut c = EquityCurve::with_capacity(3);
        c.push(TimestampNs(0), 110.0, 10.0, 100.0);
        c.push(TimestampNs(DAY), 99.0, 99.0, 0.0);
        c.push(TimestampNs(2 * DAY), 108.9, 108.9, 0.0);
        let trade = Trade {
            asset: AssetId(0),
            side: Side::Buy,
            qty: 1.0,
            entry_ts: TimestampNs(0),
            entry_price: 100.0,
            entry_bar: 0,
            exit_ts: TimestampNs(2 * DAY),
            exit_price: 99.0,
            exit_bar: 2,
            entry_commission: 0.0,
            exit_commission: 0.0,
            pnl_net: -1.0,
        };
        let fill = |side, price, bar: usize| Fill {
            order_id: OrderId(bar as u64),
            asset: AssetId(0),
            side,
            qty: 1.0,
            price,
            commission: 0.5,
            ts: TimestampNs(bar as i64 * DAY),
            bar_index: bar,
            position_after: 0.0,
        };
        (
            c,
            vec![trade],
            vec![fill(Side::Buy, 100.0, 0), fill(Side::Sell, 99.0, 2)],
        )
    }

    /// The shared walk of `compute` gives each family's own walk's figures, to the bit: on
    /// random curves, and on long held stretches (many batches of divisions) with cash changes.
    #[test]
    fn compute_equals_each_family_walked_alone() {
        let mut curves = crate::results::equity::tests::random_curves(31, 300);
        let mut rnd = crate::test_rng(7);
        for k in 0..20 {
            let mut c = EquityCurve::with_capacity(8);
            let mut cash = 1_000.0 / 3.0 + k as f64;
            for t in 0..(50 + rnd(300)) as i64 {
                if rnd(40) == 0 {
                    cash = rnd(2_000) as f64 / 7.0 - 100.0;
                }
                let g = if rnd(25) == 0 { 0.0 } else { rnd(3_000) as f64 / 9.0 };
                c.push(TimestampNs(t * 60_000_000_000), cash + g - 50.0, cash, g);
            }
            curves.push(c);
        }
        let opts = MetricsOptions {
            risk_free_rate: 0.02,
            ..MetricsOptions::default()
        };
        for (k, c) in curves.iter().enumerate() {
            let init = 1_000.0 / 3.0;
            let m = compute(init, c, &[], &[], &opts);
            let rf = returns::risk_free_per_period(opts.risk_free_rate, m.periods_per_year);
            let stats = returns::ReturnStats::of_curve(init, c, rf);
            let dd = drawdown::drawdown_stats_of(init, c);
            let x = exposure::exposure_stats(c, &[], m.years);
            let bits = |v: f64| if v.is_nan() { u64::MAX } else { v.to_bits() };
            let pairs = [
                (m.sharpe, returns::sharpe_of(&stats, m.periods_per_year)),
                (m.sortino, returns::sortino_of(&stats, m.periods_per_year)),
                (
                    m.annual_volatility,
                    returns::annual_volatility_of(&stats, m.periods_per_year),
                ),
                (m.max_drawdown, dd.max.map_or(0.0, |d| d.depth)),
                (m.exposure_time, x.exposure_time),
                (m.avg_gross_exposure, x.avg_gross_exposure),
                (m.turnover, x.turnover),
            ];
            for (j, (a, b)) in pairs.into_iter().enumerate() {
                assert_eq!(bits(a), bits(b), "curve {k}, figure {j}: {a} != {b}");
            }
            assert_eq!(m.n_periods, stats.len(), "curve {k}");
            assert_eq!(m.max_drawdown_peak_ts, dd.max.map(|d| d.peak_ts), "curve {k}");
            assert_eq!(m.max_drawdown_trough_ts, dd.max.map(|d| d.trough_ts), "curve {k}");
            assert_eq!(m.longest_drawdown_bars, dd.longest_bars, "curve {k}");
        }
    }

    #[test]
    fn compute_hand_computed() {
        let (c, trades, fills) = run();
        let opts = MetricsOptions {
            periods_per_year: Some(3.0),
            risk_free_rate: 0.0,
        };
        let m = compute(100.0, &c, &trades, &fills, &opts);
        // Returns 0.1, -0.1, 0.1 (from the initial cash); 3 periods at 3 a year = 1 year.
        assert_eq!((m.n_periods, m.periods_per_year), (3, 3.0));
        assert_close(m.years, 1.0);
        assert_close(m.final_equity, 108.9);
        assert_close(m.total_return, 0.089);
        assert_close(m.cagr, 0.089);
        // mean 1/30, std 1/sqrt(75): vol = sqrt(3/75) = 0.2; Sharpe = (1/30) * sqrt(75) * sqrt(3) = 15/30.
        assert_close(m.annual_volatility, 0.2);
        assert_close(m.sharpe, 0.5);
        // Downside dev 0.1/sqrt(3): (1/30) * sqrt(3)/0.1 * sqrt(3) = 1.
        assert_close(m.sortino, 1.0);
        // Peak 110 (day 0), trough 99 (day 1): -10 %, not recovered, 2 bars to the end.
        assert_close(m.max_drawdown, -0.1);
        assert_eq!(m.max_drawdown_peak_ts, Some(TimestampNs(0)));
        assert_eq!(m.max_drawdown_trough_ts, Some(TimestampNs(DAY)));
        assert_eq!(m.max_drawdown_recovery_ts, None);
        assert_eq!((m.max_drawdown_duration_bars, m.max_drawdown_duration_ns), (2, 2 * DAY));
        assert_eq!((m.longest_drawdown_bars, m.longest_drawdown_ns), (2, 2 * DAY));
        assert_close(m.calmar, 0.89); // 0.089 / 0.1
        assert_eq!((m.n_trades, m.n_long_trades, m.n_short_trades), (1, 1, 0));
        assert_eq!(m.profit_factor, Some(0.0));
        assert_close(m.exposure_time, 1.0 / 3.0);
        // Turnover: notional 199 / mean equity (317.9 / 3); annual = the same over 1 year.
        assert_close(m.turnover, 199.0 * 3.0 / 317.9);
        assert_close(m.turnover_annual, m.turnover);
        assert_close(m.commission_total, 1.0);
    }

    #[test]
    fn compute_infers_periods_from_timestamps() {
        // Three daily timestamps span 2 days (< 28): median spacing 1 day -> 365.25.
        let (c, trades, fills) = run();
        let m = compute(100.0, &c, &trades, &fills, &MetricsOptions::default());
        assert_close(m.periods_per_year, 365.25);
    }

    #[test]
    fn compute_empty_run_is_finite() {
        let m = compute(100.0, &EquityCurve::default(), &[], &[], &MetricsOptions::default());
        assert_eq!((m.final_equity, m.periods_per_year, m.n_periods), (100.0, 252.0, 0));
        let json = serde_json::to_value(&m).unwrap();
        for (key, value) in json.as_object().unwrap() {
            let nullable = key == "profit_factor" || key.ends_with("_ts");
            assert!(nullable || value.is_number(), "{key} = {value}");
            let expected_nonzero = key == "final_equity" || key == "periods_per_year";
            if let Some(x) = value.as_f64()
                && !expected_nonzero
            {
                assert_eq!(x, 0.0, "{key}");
            }
        }
        let back: Metrics = serde_json::from_value(json).unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn compute_non_finite_figures_become_absent_with_a_note() {
        // A short at an extreme price: equity overflows to -inf, then NaN.
        let mut c = EquityCurve::with_capacity(3);
        c.push(TimestampNs(0), 100.0, 100.0, 0.0);
        c.push(TimestampNs(DAY), f64::NEG_INFINITY, 1e308, f64::INFINITY);
        c.push(TimestampNs(2 * DAY), f64::NAN, 1e308, f64::INFINITY);
        let m = compute(100.0, &c, &[], &[], &MetricsOptions::default());
        assert!(m.final_equity.is_nan() && m.total_return.is_nan());
        assert!(
            m.notes.iter().any(|n| n.starts_with("final_equity is absent")),
            "{:?}",
            m.notes
        );
        assert!(
            m.notes.iter().any(|n| n.starts_with("total_return is absent")),
            "{:?}",
            m.notes
        );
        let json = serde_json::to_string(&m).unwrap();
        assert!(!json.contains(":NaN") && !json.contains("Infinity"), "{json}");
        assert!(json.contains("\"final_equity\":null"), "{json}");
        let back: Metrics = serde_json::from_str(&json).unwrap();
        assert!(back.final_equity.is_nan());
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
        let rows = m.rows();
        assert!(rows.iter().any(|(l, v)| *l == "Total return" && v == "n/a"), "{rows:?}");
        // A finite run has no notes and writes none.
        let (c, trades, fills) = run();
        let m = compute(100.0, &c, &trades, &fills, &MetricsOptions::default());
        assert!(m.notes.is_empty());
        assert!(!serde_json::to_string(&m).unwrap().contains("notes"));
    }

    #[test]
    fn rows_format_percentages_ratios_and_durations() {
        let (c, trades, fills) = run();
        let opts = MetricsOptions {
            periods_per_year: Some(3.0),
            risk_free_rate: 0.0,
        };
        let rows = compute(100.0, &c, &trades, &fills, &opts).rows();
        let get = |label: &str| rows.iter().find(|(l, _)| *l == label).map(|(_, v)| v.as_str());
        assert_eq!(get("Total return"), Some("8.90%"));
        assert_eq!(get("Sharpe ratio"), Some("0.50"));
        assert_eq!(get("Max drawdown"), Some("-10.00%"));
        assert_eq!(get("Max drawdown peak"), Some("1970-01-01"));
        assert_eq!(get("Max drawdown recovery"), Some("not recovered"));
        assert_eq!(get("Max drawdown duration"), Some("2 bars (2.0 days)"));
        assert_eq!(get("Trades"), Some("1 (1 long, 0 short)"));
        assert_eq!(get("Profit factor"), Some("0.00"));
        assert_eq!(get("Average holding time"), Some("2 bars (2.0 days)"));
        let mut labels: Vec<_> = rows.iter().map(|(l, _)| *l).collect();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), rows.len(), "labels are unique");
    }
}
