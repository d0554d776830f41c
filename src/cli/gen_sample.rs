//! `ml4t gen-sample`: the synthetic sample data set, deterministic for a seed.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use ml4t_data::{SampleSpec, sample, write_csv, write_parquet};
use ml4t_engine::types::TimestampNs;

#[derive(Debug, Args)]
pub struct GenSampleArgs {
    /// Output file (.parquet or .csv).
    #[arg(long, default_value = "sample_data/sample.parquet")]
    pub out: PathBuf,
    /// Number of assets (A000, A001, ...).
    #[arg(long, default_value_t = 10)]
    pub assets: usize,
    /// Weekday bars per asset (2,610 is ten years).
    #[arg(long, default_value_t = 2_610)]
    pub bars: usize,
    /// First date, YYYY-MM-DD.
    #[arg(long, default_value = "2015-01-05")]
    pub start: String,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

pub fn run(args: &GenSampleArgs) -> anyhow::Result<()> {
    let start = TimestampNs::parse(&args.start)
        .with_context(|| format!("--start '{}' is not a date; use YYYY-MM-DD", args.start))?;
    let spec = SampleSpec {
        assets: args.assets,
        bars: args.bars,
        start,
        seed: args.seed,
        ..SampleSpec::default()
    };
    let bars = sample(&spec)?;
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let csv = args.out.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if csv {
        write_csv(&bars, &args.out)?;
    } else {
        write_parquet(&bars, &args.out)?;
    }
    let (first, last) = bars.time_range().unwrap_or_default();
    println!(
        "wrote {}: {} rows, {} assets, {} .. {}, signals {}",
        args.out.display(),
        bars.len(),
        bars.assets().len(),
        first.to_date(),
        last.to_date(),
        bars.signal_names().join(", ")
    );
    Ok(())
}
