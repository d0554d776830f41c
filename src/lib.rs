//! ml4t-backtest: a research workbench and event-driven backtest engine for ML-driven trading
//! strategies. Predictions arrive as signal columns next to OHLCV bars; strategies turn them into
//! orders; a simulation broker fills them under the rules of SEMANTICS.md.
//!
//! Dependencies point one way: `cli -> preset -> data -> engine`. The engine is pure and synchronous.

/// Files to engine bars: Parquet/CSV loading, column mapping, validation, sample data, writers.
pub mod data;
/// Pure, synchronous backtest engine: market data, feed, broker, portfolio, strategies, results.
pub mod engine;
/// Strategy presets: data, rules, broker and metric settings as versioned RON files, saved atomically.
pub mod preset;
