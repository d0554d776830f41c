//! `ml4t`: the command line. Subcommands run headless; see `ml4t --help`.

use clap::Parser;

fn main() {
    let cli = ml4t_backtest::cli::Cli::parse();
    if let Err(e) = ml4t_backtest::cli::run(cli) {
        eprintln!("error: {}", ml4t_backtest::cli::error_chain(&e));
        std::process::exit(1);
    }
}
