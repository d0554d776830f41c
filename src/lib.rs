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

/// Lets glibc keep freed run results for the next run instead of handing them back to the
/// kernel. A run writes tens of MB of fills, trades and equity points; by default glibc serves
/// such buffers with `mmap` and returns them at `free`, so every rerun (each edit in the
/// workbench, each repeat of `ml4t bench`) pays the kernel for zeroing fresh pages again: a
/// fifth of a trade-heavy run on 1M bars. Buffers up to 256 MB now come from the heap, and at
/// most 512 MB of free memory at its top is kept; beyond that it is returned as before.
///
/// For programs, not libraries: call it first in `main`, before other threads start (the `ml4t`
/// binary and the workbench benchmark do; the Python package does not touch its host's allocator).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn keep_freed_buffers() {
    // SAFETY: `mallopt` only sets allocator parameters; it is called before any other thread
    // exists, and a refused setting (return value 0) leaves glibc's defaults in place.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 512 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn keep_freed_buffers() {}
