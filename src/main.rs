//! `ml4t`: the workbench without arguments; subcommands run headless (see `ml4t --help`).

use clap::Parser;
use ml4t_backtest::{app, cli};

fn main() {
    ml4t_backtest::keep_freed_buffers();
    let outcome = match cli::Cli::parse().command {
        Some(command) => cli::run(command),
        None => app::run_gui().map_err(anyhow::Error::msg),
    };
    if let Err(e) = outcome {
        eprintln!("error: {}", cli::error_chain(&e));
        std::process::exit(1);
    }
}
