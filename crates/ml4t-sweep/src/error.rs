//! Why a sweep could not be defined or run. Messages name the path, spec or combination.

use ml4t_preset::run::RunError;
use ml4t_stats::StatsError;
use ml4t_stats::walkforward::WalkForwardError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SweepError {
    #[error("parameter '{path}' is not a number of this preset ({problem}); valid paths: {valid}")]
    UnknownPath {
        path: String,
        problem: String,
        valid: String,
    },
    #[error("parameter '{path}' is given twice; give each path once")]
    DuplicatePath { path: String },
    #[error(
        "parameter '{path}': cannot read values '{spec}': {problem}; write a:b:n (n values from a to b) or v1,v2,..."
    )]
    BadSpec {
        path: String,
        spec: String,
        problem: String,
    },
    #[error("parameter '{path}' is a whole number (a count of bars or assets) but got {value}; use whole values")]
    NotInteger { path: String, value: f64 },
    #[error("constraint '{text}': {problem}")]
    BadConstraint { text: String, problem: String },
    #[error("objective '{name}' is not a metric; use one of: {available}")]
    UnknownMetric { name: String, available: String },
    #[error(
        "the sweep has no parameter; add at least one (--param PATH=SPEC, or params in the preset's sweep section)"
    )]
    NoParams,
    #[error(
        "no combination is left: the constraints exclude all {grid} of the grid; loosen a constraint or widen a range"
    )]
    NoCombinations { grid: usize },
    #[error("the grid has {n} combinations, more than the limit of {limit}; use fewer values or random sampling")]
    TooManyCombinations { n: u128, limit: usize },
    #[error("combination {params}: {message}; narrow that parameter's range")]
    InvalidCombination { params: String, message: String },
    #[error("combination {params}: {source}")]
    Run { params: String, source: RunError },
    #[error("overfitting statistics: {0}")]
    Stats(#[from] StatsError),
    #[error("cannot start {threads} worker threads: {message}; try fewer with --threads")]
    ThreadPool { threads: usize, message: String },
    #[error("{0}")]
    WalkForward(#[from] WalkForwardError),
    #[error(
        "walk-forward fold {fold}: no combination has a defined {objective} on its train window; choose another objective (--objective) or a longer train window (--train)"
    )]
    NoBest { fold: usize, objective: String },
    #[error(
        "walk-forward fold {fold}: the carried equity {equity} is not a positive cash to start the test window with; run with a fresh account per fold (without --carry-equity)"
    )]
    CarriedEquity { fold: usize, equity: f64 },
    #[error("walk-forward cancelled before every fold finished; nothing to report")]
    Cancelled,
}
