//! `ml4t paper`: run a preset's strategy on a live feed with the journaled paper broker.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::sync_channel;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;

use ml4t_data::write_result_json;
use ml4t_engine::results::json::RunLabel;
use ml4t_live::{LiveFeedConfig, PaperConfig, PaperEvent, first_timestamp_names, run_paper};
use ml4t_preset::Preset;

#[derive(Debug, Args)]
pub struct PaperArgs {
    /// The preset (.ron): its strategy and broker settings.
    #[arg(long)]
    pub preset: PathBuf,
    /// The live feed, ws://HOST:PORT (`ml4t replay` serves one).
    #[arg(long)]
    pub url: String,
    /// Journal folder: every timestamp's bars, fills and account are written there, and a
    /// restart with the same folder resumes after the last of them.
    #[arg(long)]
    pub journal: Option<PathBuf>,
    /// Stop at the end of the stream (otherwise wait for more data until Ctrl+C).
    #[arg(long)]
    pub exit_at_end: bool,
    /// Write the result JSON (as `ml4t run --json`) when the run stops.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Asset names (comma separated); default: the preset's data.assets, else its data file's.
    #[arg(long, value_delimiter = ',')]
    pub assets: Option<Vec<String>>,
    /// Signal names (comma separated); default: the preset's data.signals, else its data file's.
    #[arg(long, value_delimiter = ',')]
    pub signals: Option<Vec<String>>,
    /// Failed connection attempts in a row before giving up.
    #[arg(long, default_value_t = 10)]
    pub max_attempts: u32,
    /// Reconnect when nothing (not even a ping) arrived for this many seconds.
    #[arg(long, default_value_t = 15.0)]
    pub read_timeout_secs: f64,
    /// Reject bars stamped more than this many seconds ahead of the wall clock (0: no limit).
    #[arg(long, default_value_t = 86_400.0)]
    pub max_clock_skew_secs: f64,
    /// Print only the final summary and errors.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: &PaperArgs) -> anyhow::Result<()> {
    let p = ml4t_preset::load(&args.preset)?;
    if !(args.read_timeout_secs.is_finite() && args.read_timeout_secs > 0.0) {
        anyhow::bail!("--read-timeout-secs must be a positive number");
    }
    if !(args.max_clock_skew_secs.is_finite() && args.max_clock_skew_secs >= 0.0) {
        anyhow::bail!("--max-clock-skew-secs must be a number >= 0 (0 = no limit)");
    }
    let (assets, signals) = names(args, &p)?;
    let mut strategy = ml4t_preset::run::build_live_strategy(&p.strategy, &signals, assets.len(), &args.preset)
        .with_context(|| format!("preparing the strategy of {}", args.preset.display()))?;
    let strategy_id = serde_json::to_string(&p.strategy)?;

    let (tx, rx) = sync_channel(4096);
    let quiet = args.quiet;
    let printer = std::thread::Builder::new()
        .name("ml4t-paper-log".into())
        .spawn(move || {
            for ev in rx {
                if !quiet {
                    eprintln!("live: {ev}");
                }
            }
        })?;

    let mut feed = LiveFeedConfig::new(args.url.clone(), assets, signals);
    feed.exit_at_end = args.exit_at_end;
    feed.max_attempts = args.max_attempts;
    feed.read_timeout = Duration::from_secs_f64(args.read_timeout_secs);
    feed.max_clock_skew = (args.max_clock_skew_secs > 0.0).then(|| Duration::from_secs_f64(args.max_clock_skew_secs));
    feed.heartbeat = feed.heartbeat.min(feed.read_timeout / 3);
    feed.events = Some(tx);
    super::stop_on_ctrl_c(feed.stop.clone())?;
    let config = PaperConfig {
        feed,
        broker: ml4t_preset::run::broker_config(&p),
        journal: args.journal.clone(),
        strategy_id,
    };

    if !quiet {
        println!(
            "paper trading {} on {}{}; Ctrl+C stops",
            args.preset.display(),
            args.url,
            args.journal
                .as_ref()
                .map(|j| format!(", journal {}", j.display()))
                .unwrap_or_default()
        );
    }
    let started = Instant::now();
    let mut last_summary: Option<Instant> = None;
    let mut was_replaying = false;
    let on_event = Box::new(move |ev: &PaperEvent<'_>| {
        if quiet {
            return;
        }
        match *ev {
            PaperEvent::Fill {
                fill,
                asset,
                replayed: false,
            } => {
                println!(
                    "fill  {}  {} {} {asset} @ {}  commission {:.2}  position {}",
                    fill.ts, fill.side, fill.qty, fill.price, fill.commission, fill.position_after
                );
                last_summary = None;
            }
            PaperEvent::Fill { replayed: true, .. } => {}
            PaperEvent::Timestamp {
                index,
                ts,
                equity,
                cash,
                positions,
                trades,
                replayed,
                ..
            } => {
                if replayed {
                    was_replaying = true;
                    return;
                }
                if was_replaying {
                    was_replaying = false;
                    println!("resumed from the journal: {index} timestamps replayed, going live");
                }
                if last_summary.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                    println!(
                        "{ts}  equity {equity:.2}  cash {cash:.2}  positions {positions}  trades {trades}  \
                         ({} timestamps)",
                        index + 1
                    );
                    last_summary = Some(Instant::now());
                }
            }
        }
        let _ = std::io::stdout().flush();
    });
    let outcome = run_paper(config, &mut strategy, Some(on_event));
    let _ = printer.join();
    let run = outcome.with_context(|| format!("paper trading {}", args.preset.display()))?;
    let seconds = started.elapsed().as_secs_f64();

    let result = &run.result;
    if !quiet {
        if run.journal_truncated_bytes > 0 {
            println!(
                "journal: cut a torn last line ({} bytes) left by a crash",
                run.journal_truncated_bytes
            );
        }
        if run.replayed_timestamps > 0 {
            println!(
                "journal: {} timestamps and {} fills replayed at start",
                run.replayed_timestamps, run.replayed_fills
            );
        }
        print!("{}", result.summary(&p.metrics));
        println!(
            "{} timestamps, {} bars in {seconds:.1} s",
            result.timestamps, result.bars
        );
    }
    if let Some(path) = &args.json {
        let label = RunLabel {
            scenario: stem(&args.preset),
            data: args.url.clone(),
            seconds,
        };
        write_result_json(result, &label, &p.metrics, path)?;
        if !quiet {
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Asset and signal names of the feed: the flags, else the preset's lists, else its data file's,
/// else (nothing configures them) those of the feed's first timestamp.
fn names(args: &PaperArgs, p: &Preset) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let mut assets = args.assets.clone().or_else(|| p.data.assets.clone());
    let mut signals = args.signals.clone().or_else(|| p.data.signals.clone());
    if assets.is_none() || signals.is_none() {
        match p.load_data(&args.preset) {
            Ok(loaded) => {
                assets = assets.or_else(|| Some(loaded.bars.assets().to_vec()));
                signals = signals.or_else(|| Some(loaded.bars.signal_names().to_vec()));
            }
            Err(unreadable) => {
                let mut probe = LiveFeedConfig::new(args.url.clone(), Vec::new(), Vec::new());
                probe.read_timeout = Duration::from_secs_f64(args.read_timeout_secs);
                let (feed_assets, feed_signals) = first_timestamp_names(&probe).with_context(|| {
                    format!(
                        "the live feed needs the asset and signal names, and the preset's data could not \
                         be read ({unreadable}); pass --assets and --signals or list them in the preset \
                         (data.assets, data.signals)"
                    )
                })?;
                if !args.quiet {
                    eprintln!(
                        "live: taking the names from the feed's first timestamp (the preset's data could \
                         not be read): assets {}; signals {}",
                        feed_assets.join(", "),
                        feed_signals.join(", ")
                    );
                }
                assets = assets.or(Some(feed_assets));
                signals = signals.or(Some(feed_signals));
            }
        }
    }
    let mut assets = assets.unwrap_or_default();
    assets.sort();
    assets.dedup();
    Ok((assets, signals.unwrap_or_default()))
}
