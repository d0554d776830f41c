//! The `ml4t` command line: one file per subcommand, all on the same engine as the workbench.

mod bench;
mod gen_sample;
mod grid;
mod paper;
mod replay;
mod report;
mod run;
mod sweep;
mod walk_forward;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "ml4t",
    version,
    about = "Backtest ML-driven trading strategies: rules, callbacks, hybrids"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a preset headless: print the summary, write the result JSON and tables.
    Run(run::RunArgs),
    /// Run a preset and write a self-contained HTML tearsheet (charts, tables, provenance).
    Report(report::ReportArgs),
    /// Sweep a preset's numbers: every combination in parallel, the best, its stability, overfitting.
    Sweep(sweep::SweepArgs),
    /// Walk-forward: sweep each train window, run its best on the test window after it; stitched out-of-sample result.
    WalkForward(walk_forward::WalkForwardArgs),
    /// Measure engine throughput (bars/s) on generated data, for every strategy level.
    Bench(bench::BenchArgs),
    /// Write the deterministic synthetic sample data (OHLCV plus ML signals).
    GenSample(gen_sample::GenSampleArgs),
    /// Stream a data file over WebSocket in the live protocol (a stand-in for a live feed).
    Replay(replay::ReplayArgs),
    /// Paper-trade a preset's strategy on a live WebSocket feed, journaled for restarts.
    Paper(paper::PaperArgs),
}

/// Runs a subcommand (without one, `main` opens the workbench instead).
pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Run(args) => run::run(&args),
        Command::Report(args) => report::run(&args),
        Command::Sweep(args) => sweep::run(&args),
        Command::WalkForward(args) => walk_forward::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::GenSample(args) => gen_sample::run(&args),
        Command::Replay(args) => replay::run(&args),
        Command::Paper(args) => paper::run(&args),
    }
}

/// Ctrl+C (and SIGTERM) raise `flag` for a clean stop; a second one ends the process at once.
/// The handler only stores to the flag, which is async-signal-safe (signal-hook).
pub(crate) fn stop_on_ctrl_c(flag: std::sync::Arc<std::sync::atomic::AtomicBool>) -> anyhow::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    for sig in [SIGINT, SIGTERM] {
        // The shutdown must be registered first: it acts on the second signal, once the flag is up.
        signal_hook::flag::register_conditional_shutdown(sig, 130, flag.clone())?;
        signal_hook::flag::register(sig, flag.clone())?;
    }
    Ok(())
}

/// An error and its causes on one line, skipping causes the message already quotes (our error
/// messages embed their source's text).
pub fn error_chain(e: &anyhow::Error) -> String {
    let mut out = e.to_string();
    for cause in e.chain().skip(1) {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
    }
    out
}
