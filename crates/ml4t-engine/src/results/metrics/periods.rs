//! How many bars make a year: the annualisation factor for volatility, Sharpe, CAGR and turnover.

use crate::types::NS_PER_DAY;

/// Used when there are fewer than two timestamps (or they do not advance): trading days per year.
pub const FALLBACK_PERIODS_PER_YEAR: f64 = 252.0;

const NS_PER_YEAR: f64 = 365.25 * NS_PER_DAY as f64;
/// Below this span the bar count per calendar span is too noisy (a holiday weighs too much).
const MIN_SPAN_FOR_COUNTING_NS: i64 = 28 * NS_PER_DAY;

/// The override if it is a finite positive number, else [`infer_periods_per_year`] of `ts`.
pub fn resolve_periods_per_year(override_ppy: Option<f64>, ts: &[i64]) -> f64 {
    match override_ppy {
        Some(p) if p.is_finite() && p > 0.0 => p,
        _ => infer_periods_per_year(ts),
    }
}

/// [`resolve_periods_per_year`] of a stored time column: the same figure, and the timestamps
/// are materialised only when the span is too short to count bars (the median spacing).
pub fn resolve_periods_per_year_of(override_ppy: Option<f64>, ts: &crate::timeline::TimeColumn) -> f64 {
    match override_ppy {
        Some(p) if p.is_finite() && p > 0.0 => p,
        _ => match (ts.first(), ts.last()) {
            (Some(first), Some(last)) if ts.len() >= 2 && last.saturating_sub(first) >= MIN_SPAN_FOR_COUNTING_NS => {
                ts.len() as f64 / (last.saturating_sub(first) as f64 / NS_PER_YEAR)
            }
            _ => infer_periods_per_year(&ts.iter().collect::<Vec<_>>()),
        },
    }
}

/// Bars per year of ascending timestamps (ns).
///
/// - Span of at least 28 days: `n_timestamps / span_years`, `span_years = (last - first) / 365.25 days`.
///   Counting bars (rather than measuring spacing) gives ~252 for weekday daily bars and the right
///   figure for intraday bars with overnight and weekend gaps.
/// - Shorter span: `365.25 days / median spacing`.
/// - Fewer than two timestamps, or a median spacing of zero: [`FALLBACK_PERIODS_PER_YEAR`].
pub fn infer_periods_per_year(ts: &[i64]) -> f64 {
    let (Some(&first), Some(&last)) = (ts.first(), ts.last()) else {
        return FALLBACK_PERIODS_PER_YEAR;
    };
    if ts.len() < 2 {
        return FALLBACK_PERIODS_PER_YEAR;
    }
    let span_ns = last.saturating_sub(first);
    if span_ns >= MIN_SPAN_FOR_COUNTING_NS {
        return ts.len() as f64 / (span_ns as f64 / NS_PER_YEAR);
    }
    let median_ns = median_spacing_ns(ts);
    if median_ns > 0.0 {
        NS_PER_YEAR / median_ns
    } else {
        FALLBACK_PERIODS_PER_YEAR
    }
}

/// Median of consecutive differences (mean of the middle two for an even count); 0 if none.
fn median_spacing_ns(ts: &[i64]) -> f64 {
    let mut gaps: Vec<i64> = ts.windows(2).map(|w| w[1].saturating_sub(w[0])).collect();
    gaps.sort_unstable();
    let n = gaps.len();
    if n == 0 {
        return 0.0;
    }
    let upper = gaps[n / 2] as f64;
    if n % 2 == 1 {
        upper
    } else {
        (gaps[n / 2 - 1] as f64 + upper) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// From a stored column, the same figure to the bit as from the timestamps, for long and
    /// short spans, regular and gapped, and overrides.
    #[test]
    fn periods_of_a_column_equal_periods_of_its_timestamps() {
        const MINUTE: i64 = 60_000_000_000;
        let mut cases: Vec<Vec<i64>> = vec![vec![], vec![5], vec![7, 7, 7]];
        for n in [2i64, 10, 1_000, 100_000] {
            cases.push((0..n).map(|i| i * MINUTE).collect());
            cases.push((0..n).map(|i| i * MINUTE * 3 + (i / 7) * 13 * MINUTE).collect());
        }
        for ts in cases {
            let mut col = crate::timeline::TimeColumn::default();
            col.extend(ts.iter().copied());
            for o in [None, Some(12.0), Some(f64::NAN)] {
                let want = resolve_periods_per_year(o, &ts);
                assert_eq!(
                    resolve_periods_per_year_of(o, &col).to_bits(),
                    want.to_bits(),
                    "{}",
                    ts.len()
                );
            }
        }
    }
    use crate::results::metrics::assert_close;
    use crate::types::NS_PER_SEC;

    const HOUR: i64 = 3600 * NS_PER_SEC;

    #[test]
    fn periods_fallback_below_two_timestamps() {
        assert_eq!(infer_periods_per_year(&[]), 252.0);
        assert_eq!(infer_periods_per_year(&[5]), 252.0);
        // Duplicate timestamps: median spacing 0.
        assert_eq!(infer_periods_per_year(&[7, 7, 7]), 252.0);
    }

    #[test]
    fn periods_long_span_counts_bars() {
        // 30 daily bars span 29 days: 30 / (29 / 365.25) = 377.8448...
        let ts: Vec<i64> = (0..30).map(|d| d * NS_PER_DAY).collect();
        assert_close(infer_periods_per_year(&ts), 30.0 * 365.25 / 29.0);
    }

    #[test]
    fn periods_weekday_daily_bars() {
        // Mon..Fri for 52 weeks = 260 bars over 52*7-3 = 361 days: 260 * 365.25 / 361 = 263.06
        // (an exchange calendar's holidays bring this down to ~252).
        let ts: Vec<i64> = (0..52)
            .flat_map(|w| (0..5).map(move |d| (w * 7 + d) * NS_PER_DAY))
            .collect();
        assert_close(infer_periods_per_year(&ts), 260.0 * 365.25 / 361.0);
    }

    #[test]
    fn periods_short_span_uses_median_spacing() {
        // Gaps 1h, 1h, 3h: median 1h -> 365.25 * 24 = 8766.
        assert_close(infer_periods_per_year(&[0, HOUR, 2 * HOUR, 5 * HOUR]), 8766.0);
        // Gaps 1h, 2h: median 1.5h -> 8766 / 1.5 = 5844.
        assert_close(infer_periods_per_year(&[0, HOUR, 3 * HOUR]), 5844.0);
    }

    #[test]
    fn periods_override_wins_when_valid() {
        assert_eq!(resolve_periods_per_year(Some(12.0), &[0, HOUR]), 12.0);
        assert_close(resolve_periods_per_year(None, &[0, HOUR]), 8766.0);
        assert_close(resolve_periods_per_year(Some(0.0), &[0, HOUR]), 8766.0);
        assert_close(resolve_periods_per_year(Some(f64::NAN), &[0, HOUR]), 8766.0);
    }
}
