//! The engine: pure and synchronous. It knows no GUI, data-frame, file or thread types.

/// Market data (struct of arrays) and borrowed bar views.
pub mod market;
/// What a run produces: fills, trades, equity curve, metrics, summary.
pub mod results;
/// Time, id and side value types.
pub mod types;
