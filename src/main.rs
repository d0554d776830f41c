//! `ml4t`: the workbench without arguments; subcommands run headless (see `ml4t --help`).

use clap::Parser;
use ml4t_backtest::{app, cli};

fn main() {
    keep_freed_buffers();
    let outcome = match cli::Cli::parse().command {
        Some(command) => cli::run(command),
        None => app::run_gui().map_err(anyhow::Error::msg),
    };
    if let Err(e) = outcome {
        eprintln!("error: {}", cli::error_chain(&e));
        std::process::exit(1);
    }
}

/// Lets glibc keep freed run results for the next run instead of handing them back to the
/// kernel. A run writes tens of MB of fills, trades and equity points; by default glibc serves
/// such buffers with `mmap` and returns them at `free`, so every rerun (each edit in the
/// workbench, each repeat of `ml4t bench`) pays the kernel for zeroing fresh pages again: a
/// fifth of a trade-heavy run on 1M bars. Buffers up to 256 MB now come from the heap, and at
/// most 512 MB of free memory at its top is kept; beyond that it is returned as before.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_freed_buffers() {
    // SAFETY: `mallopt` only sets allocator parameters; it is called before any other thread
    // exists, and a refused setting (return value 0) leaves glibc's defaults in place.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 512 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_freed_buffers() {}
