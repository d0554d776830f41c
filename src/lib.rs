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
/// Files to engine bars and back: Parquet/CSV loading, column mapping, validation, sample data,
/// result exports.
pub mod data;
/// Pure, synchronous backtest engine: market data, feed, broker, portfolio, strategies, results.
pub mod engine;
/// Live paper trading: WebSocket feed, replay server, journaled paper broker, same strategies.
pub mod live;
/// Strategy presets: data, rules, broker and metric settings as versioned RON files, saved atomically.
pub mod preset;
/// Scripted strategies (Rhai, sandboxed) for people who do not write Rust: level 2 without Rust.
pub mod script;
/// Panels and plots of the workbench (egui).
pub mod ui;
/// Background jobs: named threads, bounded progress, cancel flag, join on drop.
pub mod worker;

/// The README's Rust example is compiled and run as a doctest, so it stays true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
