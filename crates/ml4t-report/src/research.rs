//! Plain inputs for the research section: what a parameter sweep, a walk-forward and the
//! overfitting statistics produce, in a shape the report can draw without knowing the sweep
//! engine. Fill what you have; every part is optional.

/// A metric over a grid of two parameters (a sweep's heatmap).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct SweepHeatmap {
    /// e.g. "Sharpe by entry threshold and stop loss".
    pub title: String,
    /// Parameter names of the axes.
    pub x_label: String,
    pub y_label: String,
    /// Column labels (the x parameter's values) and row labels (the y parameter's values).
    pub x_values: Vec<String>,
    pub y_values: Vec<String>,
    /// `cells[row][column]`: the metric, `None` where the combination did not run or is undefined.
    pub cells: Vec<Vec<Option<f64>>>,
    /// What the cells hold, e.g. "Sharpe".
    pub metric_label: String,
    /// Whether the metric is a fraction to show as a percentage.
    pub percent: bool,
    /// The combination the report's run used: `(row, column)`.
    pub selected: Option<(usize, usize)>,
}

/// A walk-forward's folds as a table.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct FoldTable {
    pub title: String,
    /// Column headers, e.g. fold, train start, train end, test start, test end, chosen
    /// parameters, in-sample Sharpe, out-of-sample Sharpe.
    pub columns: Vec<String>,
    /// One row per fold, already formatted, as long as `columns`.
    pub rows: Vec<Vec<String>>,
}

/// Overfitting statistics of a sweep (see `ml4t-stats`). Probabilities are fractions.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct OverfittingPanel {
    /// Probabilistic Sharpe ratio of the selected combination.
    pub psr: Option<f64>,
    /// Deflated Sharpe ratio.
    pub dsr: Option<f64>,
    /// Probability of backtest overfitting (CSCV).
    pub pbo: Option<f64>,
    /// Trials behind the DSR.
    pub n_trials: Option<f64>,
    /// Minimum track record length, in returns.
    pub min_trl: Option<f64>,
    /// CSCV logits, one per split: the histogram's input (negative = the in-sample winner was
    /// below the out-of-sample median).
    pub logits: Vec<f64>,
    /// Further label/value lines (e.g. the degradation slope), shown as given.
    pub extra: Vec<(String, String)>,
}

/// The optional research section.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Research {
    pub heatmaps: Vec<SweepHeatmap>,
    pub folds: Option<FoldTable>,
    pub overfitting: Option<OverfittingPanel>,
}
