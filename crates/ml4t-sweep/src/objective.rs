//! What "best" means: one metric of a run, maximised or minimised; and how stable the best is:
//! the median objective over its immediate grid neighbours (a plateau scores close to the best,
//! a spike far below).

use ml4t_engine::results::metrics::Metrics;

use crate::SweepError;

type Getter = fn(&Metrics) -> Option<f64>;

/// Every metric that can be an objective, by its field name in [`Metrics`] (and in the JSON).
pub const METRICS: &[(&str, Getter)] = &[
    ("final_equity", |m| Some(m.final_equity)),
    ("periods_per_year", |m| Some(m.periods_per_year)),
    ("n_periods", |m| Some(m.n_periods as f64)),
    ("years", |m| Some(m.years)),
    ("total_return", |m| Some(m.total_return)),
    ("cagr", |m| Some(m.cagr)),
    ("annual_volatility", |m| Some(m.annual_volatility)),
    ("sharpe", |m| Some(m.sharpe)),
    ("sortino", |m| Some(m.sortino)),
    ("calmar", |m| Some(m.calmar)),
    ("max_drawdown", |m| Some(m.max_drawdown)),
    ("max_drawdown_duration_bars", |m| {
        Some(m.max_drawdown_duration_bars as f64)
    }),
    ("max_drawdown_duration_ns", |m| Some(m.max_drawdown_duration_ns as f64)),
    ("longest_drawdown_bars", |m| Some(m.longest_drawdown_bars as f64)),
    ("longest_drawdown_ns", |m| Some(m.longest_drawdown_ns as f64)),
    ("n_trades", |m| Some(m.n_trades as f64)),
    ("n_long_trades", |m| Some(m.n_long_trades as f64)),
    ("n_short_trades", |m| Some(m.n_short_trades as f64)),
    ("win_rate", |m| Some(m.win_rate)),
    ("profit_factor", |m| m.profit_factor),
    ("expectancy", |m| Some(m.expectancy)),
    ("avg_win", |m| Some(m.avg_win)),
    ("avg_loss", |m| Some(m.avg_loss)),
    ("largest_win", |m| Some(m.largest_win)),
    ("largest_loss", |m| Some(m.largest_loss)),
    ("avg_trade_return", |m| Some(m.avg_trade_return)),
    ("avg_holding_bars", |m| Some(m.avg_holding_bars)),
    ("avg_holding_ns", |m| Some(m.avg_holding_ns)),
    ("exposure_time", |m| Some(m.exposure_time)),
    ("avg_gross_exposure", |m| Some(m.avg_gross_exposure)),
    ("turnover", |m| Some(m.turnover)),
    ("turnover_annual", |m| Some(m.turnover_annual)),
    ("commission_total", |m| Some(m.commission_total)),
];

/// The objective of a sweep.
#[derive(Debug, Clone, Copy)]
pub struct Objective {
    name: &'static str,
    get: Getter,
    pub maximize: bool,
}

impl PartialEq for Objective {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.maximize == other.maximize
    }
}

impl Objective {
    /// `name` is a metric's field name (`sharpe`, `total_return`, `max_drawdown`, ...).
    pub fn parse(name: &str, maximize: bool) -> Result<Objective, SweepError> {
        let name = name.trim();
        let (name, get) = METRICS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .copied()
            .ok_or_else(|| SweepError::UnknownMetric {
                name: name.to_string(),
                available: METRICS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "),
            })?;
        Ok(Objective { name, get, maximize })
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The objective's value for a run (None when the metric is undefined, e.g. a profit factor
    /// without losses).
    pub fn value(&self, m: &Metrics) -> Option<f64> {
        (self.get)(m).filter(|x| x.is_finite())
    }

    /// Whether `a` is strictly better than `b`.
    pub fn better(&self, a: f64, b: f64) -> bool {
        if self.maximize { a > b } else { a < b }
    }

    /// The index of the best value (the first on ties); None if no value is defined.
    pub fn best(&self, values: impl IntoIterator<Item = Option<f64>>) -> Option<usize> {
        let mut best: Option<(usize, f64)> = None;
        for (i, v) in values.into_iter().enumerate() {
            if let Some(v) = v
                && best.is_none_or(|(_, b)| self.better(v, b))
            {
                best = Some((i, v));
            }
        }
        best.map(|(i, _)| i)
    }
}

/// The median of the objective over the grid neighbours of cell `best` (every cell whose index
/// differs by at most one in each parameter, itself excluded), among `cells` that have a value.
/// None without such neighbours (a one-value grid, random sampling).
pub fn stability(cells: &[(Vec<usize>, Option<f64>)], best: &[usize]) -> Option<f64> {
    let mut around: Vec<f64> = cells
        .iter()
        .filter(|(c, _)| c.len() == best.len() && c.as_slice() != best)
        .filter(|(c, _)| c.iter().zip(best).all(|(a, b)| a.abs_diff(*b) <= 1))
        .filter_map(|(_, v)| *v)
        .collect();
    if around.is_empty() {
        return None;
    }
    around.sort_by(f64::total_cmp);
    let n = around.len();
    Some(if n % 2 == 1 {
        around[n / 2]
    } else {
        (around[n / 2 - 1] + around[n / 2]) / 2.0
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn objective_table_covers_every_numeric_metric() {
        let m = ml4t_engine::results::metrics::compute(
            100.0,
            &ml4t_engine::results::EquityCurve::default(),
            &[],
            &[],
            &Default::default(),
        );
        let json = serde_json::to_value(&m).unwrap();
        let ts_fields = [
            "max_drawdown_peak_ts",
            "max_drawdown_trough_ts",
            "max_drawdown_recovery_ts",
        ];
        for (key, _) in json.as_object().unwrap() {
            if ts_fields.contains(&key.as_str()) {
                continue;
            }
            assert!(
                METRICS.iter().any(|(n, _)| n == key),
                "metric {key} is not an objective"
            );
        }
        assert_eq!(METRICS.len() + ts_fields.len(), json.as_object().unwrap().len());
    }

    #[test]
    fn objective_best_maximises_or_minimises_first_on_ties() {
        let max = Objective::parse("Sharpe", true).unwrap();
        assert_eq!(max.name(), "sharpe");
        assert_eq!(max.best([Some(1.0), None, Some(3.0), Some(3.0)]), Some(2));
        let min = Objective::parse("max_drawdown", false).unwrap();
        assert_eq!(min.best([Some(-0.1), Some(-0.3), Some(-0.2)]), Some(1));
        assert_eq!(min.best([None, None]), None);
        let e = Objective::parse("sharp", true).unwrap_err().to_string();
        assert!(e.contains("'sharp'") && e.contains("sharpe, sortino"), "{e}");
    }

    #[test]
    fn stability_is_the_median_of_the_neighbours() {
        // 3 x 3 grid, values row-major 1..9; best in the middle (index [1, 1]) with value 5:
        // neighbours 1 2 3 4 6 7 8 9 → median (4 + 6) / 2 = 5.
        let cells: Vec<(Vec<usize>, Option<f64>)> =
            (0..9).map(|k| (vec![k / 3, k % 3], Some((k + 1) as f64))).collect();
        assert_eq!(stability(&cells, &[1, 1]), Some(5.0));
        // A corner: neighbours [0,1]=2, [1,0]=4, [1,1]=5 → 4.
        assert_eq!(stability(&cells, &[0, 0]), Some(4.0));
        // A spike: 100 at the corner, the rest small, the stability stays small.
        let mut spike = cells.clone();
        spike[0].1 = Some(100.0);
        assert_eq!(stability(&spike, &[0, 0]), Some(4.0));
        // Missing cells (constraints, cancel) are skipped; no neighbour gives None.
        assert_eq!(stability(&cells[..1], &[0, 0]), None);
    }
}
