//! ml4t-backtest: a research workbench and event-driven backtest engine for ML-driven trading
//! strategies. Predictions arrive as signal columns next to OHLCV bars; strategies turn them into
//! orders; a simulation broker fills them under the rules of SEMANTICS.md.
//!
//! Dependencies point one way: `ui -> app -> {worker, preset, data, script, live} -> engine`, and
//! `cli -> {preset, data, script, live} -> engine`. The engine is pure and synchronous.

/// The workbench app (eframe): state, commands, background loads and runs, hot reload.
pub mod app;
/// The `ml4t` command line (one file per subcommand).
pub mod cli;
/// The workbench's message log (shown in the log panel and the status bar).
pub mod log;
/// What sweeps and walk-forwards produced, as the Optimise view and the report's research section
/// read it.
pub mod research;
/// A preset's run as a self-contained HTML tearsheet (`ml4t report`, the workbench's export).
pub mod tearsheet;
/// Panels and plots of the workbench (egui): they draw borrowed state and emit commands.
mod ui;
/// Background jobs: named threads, bounded progress, cancel flag, join on drop.
mod worker;

/// The README's Rust example is compiled and run as a doctest, so it stays true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
