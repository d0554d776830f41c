//! Walk-forward and overfitting statistics for parameter sweeps: is the best
//! backtest's Sharpe ratio real, or the luck of many trials?
//!
//! Pure math over plain slices; no I/O, no engine types. Sharpe ratios are
//! per period (not annualised) throughout. Start at [`overfitting_report`].
//!
//! Sources: Bailey & López de Prado, "The Sharpe Ratio Efficient Frontier"
//! (2012: PSR, MinTRL) and "The Deflated Sharpe Ratio" (2014); Bailey,
//! Borwein, López de Prado & Zhu, "The Probability of Backtest Overfitting"
//! (2017: CSCV).

/// UTC civil-date arithmetic on ns timestamps (Hinnant), for calendar windows.
pub mod calendar;
/// Deflated Sharpe ratio and the expected maximum Sharpe of N trials.
pub mod dsr;
/// Mean, sample std, skewness, kurtosis and Sharpe ratio of a return series.
pub mod moments;
/// Standard normal CDF and inverse CDF.
pub mod normal;
/// Probability of backtest overfitting by CSCV, with performance degradation.
pub mod pbo;
/// Probabilistic Sharpe ratio and minimum track record length.
pub mod psr;
/// The whole overfitting report of a sweep in one call.
pub mod report;
/// Walk-forward fold planning and walk-forward efficiency.
pub mod walkforward;

#[cfg(test)]
mod test_rng;

pub use report::{OverfitOptions, OverfittingReport, StatsError, overfitting_report};
