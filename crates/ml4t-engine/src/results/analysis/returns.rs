//! Returns by calendar month and year (UTC), and the distribution of period returns: histogram
//! with a normal overlay, skewness, excess kurtosis, historical VaR and CVaR.

use super::histogram::Histogram;
use super::{PeriodReturns, finite, year_month};

/// One year of the monthly table.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct YearRow {
    pub year: i32,
    /// January..December: the month's last equity over the previous month's last equity (the
    /// initial cash before the first month), minus 1; `None` for a month without points or
    /// after a non-positive equity.
    pub months: [Option<f64>; 12],
    /// The year's last equity over the previous year's last equity (or the initial cash) minus 1.
    pub total: Option<f64>,
}

/// Year x month returns, years ascending (every year from the first to the last point, a year
/// without points included with empty months).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct MonthlyTable {
    pub years: Vec<YearRow>,
}

impl MonthlyTable {
    /// Yearly returns `(year, return)` of the years that have one.
    pub fn yearly(&self) -> Vec<(i32, f64)> {
        self.years.iter().filter_map(|y| Some((y.year, y.total?))).collect()
    }

    /// The monthly returns in time order `(year, month 1..=12, return)`.
    pub fn months(&self) -> Vec<(i32, u32, f64)> {
        self.years
            .iter()
            .flat_map(|y| {
                y.months
                    .iter()
                    .enumerate()
                    .filter_map(move |(m, r)| Some((y.year, m as u32 + 1, (*r)?)))
            })
            .collect()
    }
}

/// The monthly table of an equity curve (`ts[i]` ns UTC, `equity[i]`) starting from `init_cash`.
pub fn monthly_table(init_cash: f64, ts: &[i64], equity: &[f64]) -> MonthlyTable {
    let ratio = |end: f64, base: f64| if base > 0.0 { finite(end / base - 1.0) } else { None };
    let mut years: Vec<YearRow> = Vec::new();
    let mut month_base = init_cash;
    let mut year_base = init_cash;
    // The month being read: (year, month, last equity so far).
    let mut open: Option<(i32, u32, f64)> = None;
    let close_month = |years: &mut Vec<YearRow>, (y, m, end): (i32, u32, f64), month_base: &mut f64| {
        if let Some(row) = years.last_mut().filter(|r| r.year == y) {
            row.months[(m - 1) as usize] = ratio(end, *month_base);
        }
        *month_base = end;
    };
    for (&t, &e) in ts.iter().zip(equity) {
        let (y, m) = year_month(t);
        match open {
            Some((oy, om, _)) if (oy, om) == (y, m) => open = Some((y, m, e)),
            prev => {
                if let Some(p) = prev {
                    close_month(&mut years, p, &mut month_base);
                }
                if years.last().is_none_or(|r| r.year != y) {
                    if let Some(row) = years.last_mut() {
                        row.total = ratio(month_base, year_base);
                        year_base = month_base;
                        // Years without any point in between: empty rows.
                        let first_gap = row.year + 1;
                        years.extend((first_gap..y).map(|gap| YearRow {
                            year: gap,
                            months: [None; 12],
                            total: None,
                        }));
                    }
                    years.push(YearRow {
                        year: y,
                        months: [None; 12],
                        total: None,
                    });
                }
                open = Some((y, m, e));
            }
        }
    }
    if let Some(p) = open {
        close_month(&mut years, p, &mut month_base);
        if let Some(row) = years.last_mut() {
            row.total = ratio(month_base, year_base);
        }
    }
    MonthlyTable { years }
}

/// How period returns are distributed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReturnDistribution {
    pub histogram: Histogram,
    /// Adjusted Fisher-Pearson skewness (pandas `skew`); `None` below 3 returns or without spread.
    pub skewness: Option<f64>,
    /// Bias-corrected excess kurtosis (pandas `kurt`; 0 for a normal); `None` below 4 returns
    /// or without spread.
    pub kurtosis: Option<f64>,
    /// The confidence level of `var` and `cvar`.
    pub confidence: f64,
    /// Historical value at risk: the `1 - confidence` quantile of period returns (linear
    /// interpolation between order statistics, as numpy's default), a return (negative = loss).
    pub var: Option<f64>,
    /// Conditional VaR (expected shortfall): the mean of the returns at or below `var`.
    pub cvar: Option<f64>,
    pub best: Option<f64>,
    pub worst: Option<f64>,
    /// Fraction of periods with a positive return.
    pub positive_fraction: Option<f64>,
}

/// The distribution of `returns` (non-finite ones ignored).
pub fn distribution(returns: &[f64], confidence: f64, bins: usize) -> ReturnDistribution {
    let xs: Vec<f64> = returns.iter().copied().filter(|x| x.is_finite()).collect();
    let var = historical_var(&xs, confidence);
    ReturnDistribution {
        histogram: Histogram::new(&xs, bins),
        skewness: skewness(&xs),
        kurtosis: excess_kurtosis(&xs),
        confidence,
        var,
        cvar: var.and_then(|v| cvar_below(&xs, v)),
        best: xs.iter().copied().reduce(f64::max),
        worst: xs.iter().copied().reduce(f64::min),
        positive_fraction: (!xs.is_empty()).then(|| xs.iter().filter(|&&x| x > 0.0).count() as f64 / xs.len() as f64),
    }
}

/// Population central moments m2, m3, m4 and the count; `None` when m2 is (numerically) 0.
fn moments(xs: &[f64]) -> Option<(f64, f64, f64, f64)> {
    let n = xs.len() as f64;
    let m = super::mean(xs)?;
    let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
    for &x in xs {
        let d = x - m;
        m2 += d * d;
        m3 += d * d * d;
        m4 += d * d * d * d;
    }
    let (m2, m3, m4) = (m2 / n, m3 / n, m4 / n);
    (!super::negligible(m2.sqrt(), xs)).then_some((n, m2, m3, m4))
}

/// Adjusted Fisher-Pearson skewness `G1 = sqrt(n (n-1)) / (n-2) * m3 / m2^1.5`.
pub fn skewness(xs: &[f64]) -> Option<f64> {
    if xs.len() < 3 {
        return None;
    }
    let (n, m2, m3, _) = moments(xs)?;
    finite((n * (n - 1.0)).sqrt() / (n - 2.0) * m3 / m2.powf(1.5))
}

/// Bias-corrected excess kurtosis `G2 = (n-1) / ((n-2)(n-3)) * ((n+1) m4 / m2^2 - 3 (n-1))`.
pub fn excess_kurtosis(xs: &[f64]) -> Option<f64> {
    if xs.len() < 4 {
        return None;
    }
    let (n, m2, _, m4) = moments(xs)?;
    finite((n - 1.0) / ((n - 2.0) * (n - 3.0)) * ((n + 1.0) * m4 / (m2 * m2) - 3.0 * (n - 1.0)))
}

/// The `1 - confidence` quantile of `xs` (linear interpolation); `None` when empty or the
/// confidence is not in (0, 1).
pub fn historical_var(xs: &[f64], confidence: f64) -> Option<f64> {
    if xs.is_empty() || !(confidence > 0.0 && confidence < 1.0) {
        return None;
    }
    let mut s: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    s.sort_by(f64::total_cmp);
    let h = (s.len() - 1) as f64 * (1.0 - confidence);
    let k = h.floor() as usize;
    let lo = *s.get(k)?;
    let hi = s.get(k + 1).copied().unwrap_or(lo);
    finite(lo + (h - k as f64) * (hi - lo))
}

/// Mean of the values at or below `var`.
fn cvar_below(xs: &[f64], var: f64) -> Option<f64> {
    let tail: Vec<f64> = xs.iter().copied().filter(|&x| x <= var).collect();
    super::mean(&tail).and_then(finite)
}

/// Historical CVaR of `xs` at `confidence`.
pub fn historical_cvar(xs: &[f64], confidence: f64) -> Option<f64> {
    cvar_below(xs, historical_var(xs, confidence)?)
}

/// The returns family of an analysis.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReturnsAnalysis {
    pub monthly: MonthlyTable,
    /// `(year, return)`, ascending.
    pub yearly: Vec<(i32, f64)>,
    pub distribution: ReturnDistribution,
}

pub(crate) fn analyse(init_cash: f64, series: &PeriodReturns, confidence: f64, bins: usize) -> ReturnsAnalysis {
    let monthly = monthly_table(init_cash, &series.curve_ts, &series.equity);
    ReturnsAnalysis {
        yearly: monthly.yearly(),
        monthly,
        distribution: distribution(&series.returns, confidence, bins),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::analysis::{assert_close, assert_some_close};
    use crate::types::TimestampNs;

    fn t(date: &str) -> i64 {
        TimestampNs::parse(date).unwrap().0
    }

    #[test]
    fn monthly_table_known_series() {
        // Initial cash 100. Jan 2023 ends at 110: +10 %. No point in February. March ends at 99:
        // 99 / 110 - 1 = -10 %. 2023: 99 / 100 - 1 = -1 %. No point in 2024. January 2025 ends at
        // 108.9: 108.9 / 99 - 1 = +10 %, which is also 2025's total.
        let ts = [
            t("2023-01-15"),
            t("2023-01-31T23:59:59"),
            t("2023-03-10"),
            t("2025-01-05"),
        ];
        let table = monthly_table(100.0, &ts, &[105.0, 110.0, 99.0, 108.9]);
        let years: Vec<i32> = table.years.iter().map(|y| y.year).collect();
        assert_eq!(years, vec![2023, 2024, 2025]);
        let y23 = &table.years[0];
        assert_some_close(y23.months[0], 0.1);
        assert_eq!(y23.months[1], None);
        assert_some_close(y23.months[2], -0.1);
        assert!(y23.months[3..].iter().all(Option::is_none));
        assert_some_close(y23.total, -0.01);
        assert_eq!(table.years[1].total, None);
        assert_some_close(table.years[2].months[0], 0.1);
        assert_some_close(table.years[2].total, 0.1);
        let yearly = table.yearly();
        assert_eq!(yearly.len(), 2);
        assert_eq!((yearly[0].0, yearly[1].0), (2023, 2025));
        assert_close(yearly[1].1, 0.1);
        let months = table.months();
        assert_eq!(
            months.iter().map(|m| (m.0, m.1)).collect::<Vec<_>>(),
            vec![(2023, 1), (2023, 3), (2025, 1)]
        );
        assert!(monthly_table(100.0, &[], &[]).years.is_empty());
    }

    #[test]
    fn monthly_table_after_total_loss() {
        // 100 -> 0 in January (-100 %), 0 -> 5 in February: no return from 0.
        let table = monthly_table(100.0, &[t("2023-01-02"), t("2023-02-02")], &[0.0, 5.0]);
        assert_some_close(table.years[0].months[0], -1.0);
        assert_eq!(table.years[0].months[1], None);
        assert_some_close(table.years[0].total, -0.95);
    }

    #[test]
    fn skew_and_kurtosis_hand_computed() {
        // x = 0, 0, 0, 3: mean 0.75, m2 = 27/16, m3 = 81/32, m4 = 6.64453125 (m4/m2^2 = 7/3).
        // g1 = (81/32) / (27/16)^1.5 = 2/sqrt(3); G1 = sqrt(12)/2 * 2/sqrt(3) = 2.
        // G2 = 3/(2*1) * (5 * 7/3 - 9) = 4. (pandas: skew() 2.0, kurt() 4.0.)
        let x = [0.0, 0.0, 0.0, 3.0];
        assert_some_close(skewness(&x), 2.0);
        assert_some_close(excess_kurtosis(&x), 4.0);
        assert_eq!(skewness(&[1.0, 2.0]), None);
        assert_eq!(excess_kurtosis(&[1.0, 2.0, 3.0]), None);
        assert_eq!(skewness(&[0.01; 5]), None);
    }

    #[test]
    fn var_and_cvar_hand_computed() {
        let r = [0.02, -0.05, 0.0, -0.01, -0.03];
        // Sorted -0.05, -0.03, -0.01, 0, 0.02. 75 %: h = 4 * 0.25 = 1 -> -0.03; tail -0.05, -0.03.
        assert_some_close(historical_var(&r, 0.75), -0.03);
        assert_some_close(historical_cvar(&r, 0.75), -0.04);
        // 95 %: h = 0.2 -> -0.05 + 0.2 * 0.02 = -0.046; tail is -0.05 alone.
        assert_some_close(historical_var(&r, 0.95), -0.046);
        assert_some_close(historical_cvar(&r, 0.95), -0.05);
        assert_eq!(historical_var(&[], 0.95), None);
        assert_eq!(historical_var(&r, 1.0), None);
        let d = distribution(&r, 0.95, 5);
        assert_some_close(d.best, 0.02);
        assert_some_close(d.worst, -0.05);
        assert_some_close(d.positive_fraction, 0.2);
        assert_eq!(d.histogram.n, 5);
    }
}
