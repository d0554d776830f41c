//! The `ml4t` command line: one file per subcommand, all on the same engine as the workbench.

mod bench;
mod gen_sample;

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
    /// Measure engine throughput (bars/s) on generated data, for every strategy level.
    Bench(bench::BenchArgs),
    /// Write the deterministic synthetic sample data (OHLCV plus ML signals).
    GenSample(gen_sample::GenSampleArgs),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Some(Command::Bench(args)) => bench::run(&args),
        Some(Command::GenSample(args)) => gen_sample::run(&args),
        None => {
            use clap::CommandFactory;
            Cli::command().print_help()?;
            println!();
            Ok(())
        }
    }
}
