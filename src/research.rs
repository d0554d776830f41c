//! What a parameter sweep and a walk-forward produced, kept in a shape both the workbench's
//! Optimise view and the HTML report read: the rows with their grid cells, the best combination
//! and its stability, the overfitting statistics, the folds. One place turns them into
//! `ml4t-report`'s [`Research`] input and into the plain-language lines users read, so the window,
//! the exported report and the command line say the same thing.

use ml4t_engine::types::{NS_PER_DAY, TimestampNs};
use ml4t_report::{FoldTable, OverfittingPanel, Research, SweepHeatmap};
use ml4t_stats::OverfittingReport;
use ml4t_sweep::{Objective, Row, SweepOutput, SweepPlan, WalkForwardOutput};

/// A finished (or cancelled) sweep.
#[derive(Debug, Clone)]
pub struct SweepView {
    /// The swept paths, in the plan's order (the first varies slowest).
    pub paths: Vec<String>,
    /// Each parameter's values (the grid's axes).
    pub axes: Vec<Vec<f64>>,
    /// Whether the combinations form a grid (random sampling does not).
    pub grid: bool,
    /// Finished rows, in combination order.
    pub rows: Vec<Row>,
    /// Each row's cell in the grid (an index into each axis), for grid sweeps.
    pub cells: Vec<Option<Vec<usize>>>,
    /// Combinations planned (rows may be fewer after a cancel).
    pub combos: usize,
    pub cancelled: bool,
    pub objective: Objective,
    /// Index into `rows` of the best row.
    pub best: Option<usize>,
    pub best_value: Option<f64>,
    /// Median objective over the best cell's grid neighbours.
    pub stability: Option<f64>,
    pub overfitting: Option<OverfittingReport>,
    /// Why there are no overfitting statistics, when there are none.
    pub overfitting_note: Option<String>,
    /// Wall time of the sweep.
    pub seconds: f64,
    /// Bars of the data swept over.
    pub bars: usize,
}

impl SweepView {
    pub fn new(plan: &SweepPlan, out: SweepOutput, objective: Objective, seconds: f64, bars: usize) -> Self {
        let cells = out.rows.iter().map(|r| plan.combos[r.combo].cell.clone()).collect();
        SweepView {
            paths: plan.paths.iter().map(|p| p.as_str().trim().to_owned()).collect(),
            axes: plan.values.clone(),
            grid: plan.grid,
            rows: out.rows,
            cells,
            combos: out.combos,
            cancelled: out.cancelled,
            objective,
            best: out.best,
            best_value: out.best_value,
            stability: out.stability,
            overfitting: out.overfitting,
            overfitting_note: None,
            seconds,
            bars,
        }
    }

    /// The objective of row `i`.
    pub fn value(&self, i: usize) -> Option<f64> {
        self.rows.get(i).and_then(|r| self.objective.value(&r.metrics))
    }

    /// `entry[0]=0.7, exit[0][0]=0.3` for row `i`.
    pub fn describe(&self, i: usize) -> String {
        self.rows
            .get(i)
            .map_or_else(String::new, |r| describe(&self.paths, &r.params))
    }

    /// Trades of every finished row together.
    pub fn total_trades(&self) -> usize {
        self.rows.iter().map(Row::n_trades).sum()
    }

    /// The objective over the grid of parameters `x` (columns) and `y` (rows), the other
    /// parameters fixed at the axis indices in `fixed` (one per parameter; entries for `x` and
    /// `y` are ignored). `cells[yi][xi]` holds the row index, if that combination ran.
    pub fn grid_rows(&self, x: usize, y: Option<usize>, fixed: &[usize]) -> Vec<Vec<Option<usize>>> {
        let nx = self.axes.get(x).map_or(0, Vec::len);
        let ny = y.and_then(|y| self.axes.get(y)).map_or(1, Vec::len);
        let mut out = vec![vec![None; nx]; ny];
        for (i, cell) in self.cells.iter().enumerate() {
            let Some(cell) = cell else { continue };
            let others_match = cell
                .iter()
                .enumerate()
                .all(|(k, &c)| k == x || Some(k) == y || fixed.get(k).is_none_or(|&f| f == c));
            if !others_match {
                continue;
            }
            let yi = y.map_or(0, |y| cell[y]);
            if let Some(slot) = out.get_mut(yi).and_then(|r| r.get_mut(cell[x])) {
                *slot = Some(i);
            }
        }
        out
    }

    /// The best row's cell, or the first cell: where the fixed parameters start.
    pub fn best_cell(&self) -> Vec<usize> {
        self.best
            .and_then(|b| self.cells.get(b).cloned().flatten())
            .unwrap_or_else(|| vec![0; self.paths.len()])
    }

    /// One line on the best cell and its stability, e.g. "Best: entry[0]=0.7 → sharpe 1.42;
    /// its 8 neighbours have a median of 1.30 (91 % of the best: a plateau)".
    pub fn best_line(&self) -> String {
        let name = self.objective.name();
        let (Some(b), Some(v)) = (self.best, self.best_value) else {
            return format!("No combination has a defined {name}.");
        };
        let mut line = format!("Best: {} gives {name} {}", self.describe(b), num(v));
        match self.stability {
            Some(s) => {
                let verdict = stability_verdict(v, s, self.objective.maximize);
                line.push_str(&format!(
                    "; stability {}: the median {name} of its grid neighbours ({verdict})",
                    num(s)
                ));
            }
            None if self.grid => line.push_str("; no stability score (it has no finished grid neighbours)"),
            None => line.push_str("; no stability score (random sampling has no grid neighbours)"),
        }
        line
    }

    /// The report's heatmap: the first two parameters (one row for a single parameter), the
    /// others at the `fixed` cell, `selected` the combination the report's run used.
    pub fn heatmap(&self, x: usize, y: Option<usize>, fixed: &[usize], selected: Option<usize>) -> SweepHeatmap {
        let grid = self.grid_rows(x, y, fixed);
        let label = |k: usize| self.paths.get(k).cloned().unwrap_or_default();
        let values = |k: usize| {
            self.axes
                .get(k)
                .map_or_else(Vec::new, |a| a.iter().map(|v| num(*v)).collect())
        };
        let mut title = format!("{} by {}", self.objective.name(), label(x));
        if let Some(y) = y {
            title.push_str(&format!(" and {}", label(y)));
        }
        let others: Vec<String> = (0..self.paths.len())
            .filter(|&k| k != x && Some(k) != y)
            .filter_map(|k| Some(format!("{}={}", label(k), num(*self.axes.get(k)?.get(*fixed.get(k)?)?))))
            .collect();
        if !others.is_empty() {
            title.push_str(&format!(" ({})", others.join(", ")));
        }
        let selected = selected.and_then(|s| {
            grid.iter()
                .enumerate()
                .find_map(|(r, cols)| cols.iter().position(|c| *c == Some(s)).map(|c| (r, c)))
        });
        SweepHeatmap {
            title,
            x_label: label(x),
            y_label: y.map_or_else(String::new, label),
            x_values: values(x),
            y_values: y.map_or_else(|| vec![String::new()], values),
            cells: grid
                .iter()
                .map(|cols| cols.iter().map(|c| c.and_then(|i| self.value(i))).collect())
                .collect(),
            metric_label: self.objective.name().to_owned(),
            percent: false,
            selected,
        }
    }
}

/// Plateau or spike, from the stability's share of the best.
fn stability_verdict(best: f64, stability: f64, maximize: bool) -> String {
    let gap = if maximize { best - stability } else { stability - best };
    if best != 0.0 && best.is_finite() && stability.is_finite() {
        let share = stability / best;
        if best > 0.0 && (0.0..=2.0).contains(&share) {
            let kind = if share >= 0.8 {
                "a plateau"
            } else {
                "a spike: the neighbours are much worse"
            };
            return format!("{:.0} % of the best: {kind}", share * 100.0);
        }
    }
    if gap.abs() <= 0.1 * best.abs().max(1e-12) {
        "close to the best: a plateau".into()
    } else {
        "far from the best: a spike".into()
    }
}

/// `a=1, b=2`.
pub fn describe(paths: &[String], values: &[f64]) -> String {
    paths
        .iter()
        .zip(values)
        .map(|(p, v)| format!("{p}={}", num(*v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Short decimal: up to 4 significant decimals, no trailing zeros.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    if x != 0.0 && (x.abs() >= 1e7 || x.abs() < 1e-4) {
        return format!("{x:.3e}");
    }
    let s = format!("{x:.4}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// The sentence issue 13 asks for beside every PBO.
pub fn pbo_sentence(pbo: f64) -> String {
    format!(
        "PBO {pbo:.2}: the best in-sample setting ranks below the median out of sample in {:.0} % of splits",
        pbo * 100.0
    )
}

/// The overfitting statistics as the report's panel (the same numbers the Optimise view shows).
pub fn overfitting_panel(o: &OverfittingReport) -> OverfittingPanel {
    let mut extra = Vec::new();
    let opt = |x: Option<f64>| x.map_or_else(|| "n/a".to_owned(), num);
    if let Some(p) = o.pbo {
        extra.push(("In words".to_owned(), pbo_sentence(p)));
    }
    extra.push(("Sharpe of the best (per period)".to_owned(), opt(o.sharpe)));
    extra.push((
        "Skewness / kurtosis".to_owned(),
        format!("{} / {}", opt(o.skewness), opt(o.kurtosis)),
    ));
    extra.push((
        "Expected max Sharpe of the trials".to_owned(),
        opt(o.expected_max_sharpe),
    ));
    extra.push(("Variance of the trials' Sharpe".to_owned(), opt(o.sharpe_variance)));
    extra.push(("CSCV blocks".to_owned(), o.cscv_blocks.to_string()));
    extra.push((
        "Degradation slope (OOS on IS Sharpe)".to_owned(),
        opt(o.degradation_slope),
    ));
    extra.push((
        "Chance the in-sample best loses out of sample".to_owned(),
        o.prob_oos_loss
            .map_or_else(|| "n/a".to_owned(), |p| format!("{:.0} %", p * 100.0)),
    ));
    OverfittingPanel {
        psr: o.psr,
        dsr: o.dsr,
        pbo: o.pbo,
        n_trials: Some(o.n_trials),
        min_trl: o.min_trl,
        logits: o.logits.clone(),
        extra,
    }
}

/// A finished walk-forward, with the full-sample best combination's run to compare against.
#[derive(Debug, Clone)]
pub struct WalkForwardView {
    pub out: WalkForwardOutput,
    pub objective: Objective,
    /// "train 2y, test 6m, rolling, embargo 5 bars, fresh account per fold".
    pub settings: String,
    /// The best combination over the whole sample, and its equity (timestamps, values).
    pub full_best: Option<FullSampleBest>,
    pub seconds: f64,
}

/// The full-sample best combination's single run.
#[derive(Debug, Clone)]
pub struct FullSampleBest {
    pub params: String,
    pub ts: Vec<i64>,
    pub equity: Vec<f64>,
    pub trades: usize,
}

impl WalkForwardView {
    /// The fold table as the window and the report show it.
    pub fn fold_table(&self) -> FoldTable {
        let name = self.objective.name();
        let mut columns: Vec<String> = ["fold", "train", "test"].iter().map(|s| (*s).to_owned()).collect();
        columns.extend(self.out.paths.iter().cloned());
        columns.extend([
            format!("IS {name}"),
            format!("OOS {name}"),
            "OOS trades".to_owned(),
            "OOS final equity".to_owned(),
        ]);
        let rows = self
            .out
            .folds
            .iter()
            .enumerate()
            .map(|(k, f)| {
                let mut row = vec![
                    (k + 1).to_string(),
                    format!("{} .. {}", when(f.train_first_ts), when(f.train_last_ts)),
                    format!("{} .. {}", when(f.test_first_ts), when(f.test_last_ts)),
                ];
                row.extend(f.params.iter().map(|v| num(*v)));
                row.extend([
                    f.is_value.map_or_else(|| "n/a".to_owned(), num),
                    f.oos_value.map_or_else(|| "n/a".to_owned(), num),
                    f.test_trades.to_string(),
                    format!("{:.2}", f.test_final_equity),
                ]);
                row
            })
            .collect();
        FoldTable {
            title: format!("Walk-forward folds ({})", self.settings),
            columns,
            rows,
        }
    }

    /// "Walk-forward efficiency 0.62: out of sample earned 62 % of the in-sample annual return".
    pub fn efficiency_line(&self) -> String {
        let o = &self.out;
        match o.wfe {
            Some(w) => format!(
                "Walk-forward efficiency {w:.2}: out of sample earned {:.0} % of the in-sample annual return ({:.2} % vs {:.2} % a year)",
                w * 100.0,
                o.oos_annual_return * 100.0,
                o.is_annual_return * 100.0
            ),
            None => format!(
                "Walk-forward efficiency undefined: the in-sample annual return ({:.2} %) is not positive; out of sample {:.2} % a year",
                o.is_annual_return * 100.0,
                o.oos_annual_return * 100.0
            ),
        }
    }

    /// One line per parameter: its chosen values' range and spread across folds.
    pub fn drift_lines(&self) -> Vec<String> {
        self.out
            .drift
            .iter()
            .map(|d| {
                let distinct = {
                    let mut v = d.values.clone();
                    v.sort_by(f64::total_cmp);
                    v.dedup();
                    v.len()
                };
                format!(
                    "{}: {} .. {} (std {}), {distinct} distinct values over {} folds",
                    d.path,
                    num(d.min),
                    num(d.max),
                    num(d.std),
                    d.values.len()
                )
            })
            .collect()
    }
}

/// The date alone for midnight timestamps (daily bars), else date and time.
pub fn when(ts: TimestampNs) -> String {
    if ts.0.rem_euclid(NS_PER_DAY) == 0 {
        ts.to_date()
    } else {
        ts.to_iso()
    }
}

/// The report's research section from the last sweep and walk-forward (None without either).
/// `selected` is the sweep row the report's run used, if it came from one.
pub fn research(sweep: Option<&SweepView>, wf: Option<&WalkForwardView>, selected: Option<usize>) -> Option<Research> {
    if sweep.is_none() && wf.is_none() {
        return None;
    }
    let mut r = Research::default();
    if let Some(s) = sweep {
        if s.grid && !s.paths.is_empty() {
            let fixed = selected
                .and_then(|i| s.cells.get(i).cloned().flatten())
                .unwrap_or_else(|| s.best_cell());
            let y = (s.paths.len() > 1).then_some(1);
            r.heatmaps.push(s.heatmap(0, y, &fixed, selected));
        }
        r.overfitting = s.overfitting.as_ref().map(overfitting_panel);
    }
    r.folds = wf.map(WalkForwardView::fold_table);
    Some(r)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ml4t_engine::results::metrics::Metrics;

    fn empty() -> Metrics {
        ml4t_engine::results::metrics::compute(
            100.0,
            &ml4t_engine::results::EquityCurve::default(),
            &[],
            &[],
            &Default::default(),
        )
    }

    fn view(values: &[(usize, usize, f64)]) -> SweepView {
        let rows = values
            .iter()
            .enumerate()
            .map(|(i, &(a, b, sharpe))| Row {
                combo: i,
                params: vec![a as f64, b as f64 / 10.0],
                metrics: Metrics { sharpe, ..empty() },
            })
            .collect();
        SweepView {
            paths: vec!["entry[0]".into(), "exit[0]".into()],
            axes: vec![vec![0.0, 1.0, 2.0], vec![0.0, 0.1]],
            grid: true,
            rows,
            cells: values.iter().map(|&(a, b, _)| Some(vec![a, b])).collect(),
            combos: 6,
            cancelled: false,
            objective: Objective::parse("sharpe", true).unwrap(),
            best: Some(2),
            best_value: Some(3.0),
            stability: Some(2.7),
            overfitting: None,
            overfitting_note: None,
            seconds: 0.1,
            bars: 100,
        }
    }

    #[test]
    fn research_heatmap_places_rows_in_their_cells() {
        // Only 5 of 6 cells ran (a cancel): the missing one stays empty.
        let v = view(&[(0, 0, 1.0), (0, 1, 2.0), (1, 0, 3.0), (1, 1, 2.5), (2, 0, 0.5)]);
        let grid = v.grid_rows(0, Some(1), &[0, 0]);
        assert_eq!(
            grid,
            vec![vec![Some(0), Some(2), Some(4)], vec![Some(1), Some(3), None]]
        );
        let h = v.heatmap(0, Some(1), &[0, 0], Some(2));
        assert_eq!(h.x_values, vec!["0", "1", "2"]);
        assert_eq!(h.y_values, vec!["0", "0.1"]);
        assert_eq!(h.cells[0], vec![Some(1.0), Some(3.0), Some(0.5)]);
        assert_eq!(h.cells[1][2], None);
        assert_eq!(h.selected, Some((0, 1)));
        // One parameter on x, the other fixed at its second value.
        let line = v.grid_rows(0, None, &[0, 1]);
        assert_eq!(line, vec![vec![Some(1), Some(3), None]]);
    }

    #[test]
    fn research_best_line_explains_stability() {
        let v = view(&[(0, 0, 1.0), (0, 1, 2.0), (1, 0, 3.0)]);
        let line = v.best_line();
        assert!(
            line.contains("entry[0]=1, exit[0]=0") && line.contains("sharpe 3"),
            "{line}"
        );
        assert!(
            line.contains("stability 2.7") && line.contains("90 % of the best: a plateau"),
            "{line}"
        );
        let mut spike = v.clone();
        spike.stability = Some(0.3);
        assert!(spike.best_line().contains("a spike"), "{}", spike.best_line());
    }

    #[test]
    fn research_pbo_sentence_reads_as_in_the_issue() {
        assert_eq!(
            pbo_sentence(0.62),
            "PBO 0.62: the best in-sample setting ranks below the median out of sample in 62 % of splits"
        );
    }

    #[test]
    fn research_section_only_with_a_sweep_or_walk_forward() {
        assert!(research(None, None, None).is_none());
        let v = view(&[(0, 0, 1.0), (1, 1, 2.0)]);
        let r = research(Some(&v), None, None).unwrap();
        assert_eq!(r.heatmaps.len(), 1);
        assert!(r.folds.is_none() && r.overfitting.is_none());
    }
}
