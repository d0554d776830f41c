//! `ml4t run`: run a preset headless, print the summary, write results.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use clap::{Args, ValueEnum};

use ml4t_data::{TableFormat, export_dir, load, write_result_json};
use ml4t_engine::Engine;
use ml4t_engine::execution::CashRule;
use ml4t_engine::results::json::RunLabel;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CashRuleArg {
    Cap,
    Reject,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Csv,
    Parquet,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The preset (.ron) to run.
    #[arg(long)]
    pub preset: PathBuf,
    /// Data file or folder instead of the preset's.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Slippage in basis points instead of the preset's.
    #[arg(long)]
    pub slippage_bps: Option<f64>,
    /// Cash rule instead of the preset's.
    #[arg(long, value_enum)]
    pub cash_rule: Option<CashRuleArg>,
    /// Write the result JSON (SEMANTICS.md schema plus metrics) here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write result.json, summary.txt, trades, equity and fills into this folder.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Table format for --out.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: FormatArg,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: &RunArgs) -> anyhow::Result<()> {
    let mut p = ml4t_preset::load(&args.preset)?;
    if let Some(bps) = args.slippage_bps {
        p.broker.slippage_bps = bps;
    }
    if let Some(rule) = args.cash_rule {
        p.broker.cash_rule = match rule {
            CashRuleArg::Cap => CashRule::Cap,
            CashRuleArg::Reject => CashRule::Reject,
        };
    }
    let data_path = match &args.data {
        Some(d) => d.clone(),
        None => p.data_path(&args.preset),
    };
    let options = p.load_options()?;
    let loaded =
        load(&data_path, &options).with_context(|| format!("loading the data of {}", args.preset.display()))?;
    let bars = &loaded.bars;

    let started = Instant::now();
    let show_progress = !args.quiet && std::io::stdout().is_terminal() && bars.len() > 2_000_000;
    let bar = show_progress.then(|| {
        let pb = indicatif::ProgressBar::new(bars.n_timestamps() as u64);
        pb.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} timestamps {elapsed_precise}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        pb
    });
    let mut report = |pr: ml4t_engine::Progress| {
        if let Some(b) = &bar {
            b.set_position(pr.timestamps_done as u64);
        }
    };
    let result = {
        let mut engine = Engine::new().progress_every(1 << 16).on_progress(&mut report);
        ml4t_preset::run::run(&p, &args.preset, bars, &mut engine)
            .with_context(|| format!("running {}", args.preset.display()))
    };
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let result = result?;
    let seconds = started.elapsed().as_secs_f64();

    // The file stem names the scenario (S2.ron -> "S2"), as in the fidelity goldens.
    let scenario = args
        .preset
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let data_name = data_path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let label = RunLabel {
        scenario,
        data: data_name,
        seconds,
    };
    if !args.quiet {
        print!("{}", result.summary(&p.metrics));
        println!(
            "Ran {} bars in {:.1} ms ({:.0} bars/s), data loaded in {:.1} ms",
            result.bars,
            seconds * 1e3,
            result.bars as f64 / seconds.max(1e-12),
            loaded.load_ms
        );
    }
    if let Some(path) = &args.json {
        write_result_json(&result, &label, &p.metrics, path)?;
        if !args.quiet {
            println!("wrote {}", path.display());
        }
    }
    if let Some(dir) = &args.out {
        let format = match args.format {
            FormatArg::Csv => TableFormat::Csv,
            FormatArg::Parquet => TableFormat::Parquet,
        };
        let files = export_dir(&result, &label, &p.metrics, dir, format)?;
        if !args.quiet {
            println!("wrote {} files to {}", files.len(), dir.display());
        }
    }
    Ok(())
}
