//! Per-column summaries for the data panel and the rule editor's value ranges.

use ml4t_engine::market::Bars;
use ml4t_engine::types::SignalId;

/// min / mean / max over the non-NaN values of a signal column, and how many are NaN.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalInfo {
    pub name: String,
    /// NaN when the column has no value.
    pub min: f64,
    pub mean: f64,
    pub max: f64,
    pub nan_count: usize,
}

/// Stats of every signal column of `bars`.
pub fn signal_stats(bars: &Bars) -> Vec<SignalInfo> {
    bars.signal_names()
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let (mut min, mut max, mut sum, mut n, mut nan) = (f64::INFINITY, f64::NEG_INFINITY, 0.0, 0usize, 0usize);
            for &v in bars.signal_column(SignalId(i as u32)) {
                if v.is_nan() {
                    nan += 1;
                } else {
                    min = min.min(v);
                    max = max.max(v);
                    sum += v;
                    n += 1;
                }
            }
            let (min, mean, max) = if n == 0 {
                (f64::NAN, f64::NAN, f64::NAN)
            } else {
                (min, sum / n as f64, max)
            };
            SignalInfo {
                name: name.clone(),
                min,
                mean,
                max,
                nan_count: nan,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ml4t_engine::market::BarColumns;
    use ml4t_engine::types::AssetId;

    #[test]
    fn signal_stats_ignore_nan() {
        let mut c = BarColumns::with_capacity(3, 1);
        for (t, v) in [1.0, f64::NAN, 3.0].into_iter().enumerate() {
            c.push(t as i64, AssetId(0), 1.0, 1.0, 1.0, 1.0, 1.0, &[v]);
        }
        let bars = Bars::new(vec!["A".into()], vec!["s".into()], c).unwrap();
        let s = &signal_stats(&bars)[0];
        assert_eq!((s.min, s.mean, s.max, s.nan_count), (1.0, 2.0, 3.0, 1));
    }
}
