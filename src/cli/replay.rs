//! `ml4t replay`: stream a data file over WebSocket in the live protocol, to test paper trading.

use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{RecvTimeoutError, sync_channel};
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;

use ml4t_data::{LoadOptions, load};
use ml4t_live::replay::{ReplayOptions, serve};

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Data file or folder to stream (Parquet or CSV, as `ml4t run` reads them).
    #[arg(long)]
    pub data: PathBuf,
    /// Port to listen on; 0 picks a free one (printed at start).
    #[arg(long)]
    pub port: u16,
    /// Bars per second sent to each client.
    #[arg(long, conflicts_with = "max")]
    pub rate: Option<f64>,
    /// Send as fast as each client reads (the default).
    #[arg(long)]
    pub max: bool,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Outage drill: stop the whole server once this many bars have been sent.
    #[arg(long)]
    pub stop_after_bars: Option<usize>,
}

pub fn run(args: &ReplayArgs) -> anyhow::Result<()> {
    if let Some(rate) = args.rate
        && !(rate.is_finite() && rate > 0.0)
    {
        anyhow::bail!("--rate must be a positive number of bars per second, got {rate}");
    }
    let loaded = load(&args.data, &LoadOptions::default())
        .with_context(|| format!("loading {} to replay", args.data.display()))?;
    let bars = Arc::new(loaded.bars);
    let (tx, rx) = sync_channel(1024);
    let opts = ReplayOptions {
        bind: args.bind,
        port: args.port,
        rate: args.rate,
        stop_after_bars: args.stop_after_bars,
        events: Some(tx),
        ..ReplayOptions::default()
    };
    let server = serve(bars.clone(), opts)?;
    super::stop_on_ctrl_c(server.stop_flag())?;
    let pace = match args.rate {
        Some(r) => format!("{r} bars/s"),
        None => "as fast as clients read".into(),
    };
    println!(
        "listening on {} ({} timestamps, {} bars of {} assets, {pace}); Ctrl+C stops",
        server.url(),
        bars.n_timestamps(),
        bars.len(),
        bars.assets().len()
    );
    std::io::stdout().flush()?;
    let stop = server.stop_flag();
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(ev) => println!("{ev}"),
            Err(RecvTimeoutError::Timeout) if server.is_stopped() || stop.load(Ordering::Relaxed) => break,
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        std::io::stdout().flush()?;
    }
    server.stop();
    while let Ok(ev) = rx.try_recv() {
        println!("{ev}");
    }
    println!("replay server stopped");
    Ok(())
}
