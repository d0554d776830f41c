//! `ml4t report`: run a preset and write its tearsheet, one self-contained HTML file.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use clap::Args;

use ml4t_data::load;
use ml4t_engine::Engine;
use ml4t_engine::results::analysis::{AnalysisOptions, BenchmarkSpec};

use crate::tearsheet::Tearsheet;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The preset (.ron) to run.
    #[arg(long)]
    pub preset: PathBuf,
    /// Data file or folder instead of the preset's.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Where to write the HTML file.
    #[arg(long, default_value = "report.html")]
    pub out: PathBuf,
    /// Benchmark: `equal-weight` (default), `none`, `asset:NAME`, `column:NAME` (a price level)
    /// or `returns:NAME` (a column of per-period returns).
    #[arg(long, default_value = "equal-weight")]
    pub benchmark: String,
    /// Window of the rolling Sharpe and volatility, in bars (default: half a year of bars).
    #[arg(long)]
    pub rolling_window: Option<usize>,
    /// Confidence of VaR and CVaR.
    #[arg(long, default_value_t = 0.95)]
    pub var_confidence: f64,
    /// Also run the preset's sweep section and add its heatmap and overfitting statistics (the
    /// research section, as the workbench's export has after a sweep).
    #[arg(long)]
    pub sweep: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Parses `--benchmark`.
fn benchmark(text: &str) -> anyhow::Result<BenchmarkSpec> {
    Ok(match text.split_once(':') {
        None if text == "equal-weight" => BenchmarkSpec::EqualWeight,
        None if text == "none" => BenchmarkSpec::None,
        Some(("asset", name)) => BenchmarkSpec::Asset(name.to_owned()),
        Some(("column", name)) => BenchmarkSpec::Column(name.to_owned()),
        Some(("returns", name)) => BenchmarkSpec::ColumnReturns(name.to_owned()),
        _ => anyhow::bail!(
            "--benchmark '{text}' is not one of: equal-weight, none, asset:NAME, column:NAME, returns:NAME"
        ),
    })
}

pub fn run(args: &ReportArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let p = ml4t_preset::load(&args.preset)?;
    let data_path = match &args.data {
        Some(d) => d.clone(),
        None => p.data_path(&args.preset),
    };
    let options = p.load_options()?;
    let loaded =
        load(&data_path, &options).with_context(|| format!("loading the data of {}", args.preset.display()))?;
    let result = ml4t_preset::run::run(&p, &args.preset, &loaded.bars, &mut Engine::new())
        .with_context(|| format!("running {}", args.preset.display()))?;
    let research = if args.sweep {
        Some(sweep_research(&p, &args.preset, &loaded.bars)?)
    } else {
        None
    };
    let opts = AnalysisOptions {
        rolling_window: args.rolling_window,
        var_confidence: args.var_confidence,
        benchmark: benchmark(&args.benchmark)?,
        ..AnalysisOptions::with_metrics(p.metrics)
    };
    let html = Tearsheet {
        preset: &p,
        preset_file: &args.preset,
        data_source: &data_path,
        data_files: &loaded.files,
        bars: &loaded.bars,
        result: &result,
        research: research.as_ref(),
    }
    .render(&opts)?;
    std::fs::write(&args.out, &html).with_context(|| format!("writing the report to {}", args.out.display()))?;
    if !args.quiet {
        println!(
            "wrote {} ({:.0} kB, {} trades) in {:.0} ms",
            args.out.display(),
            html.len() as f64 / 1024.0,
            result.trades.len(),
            started.elapsed().as_secs_f64() * 1e3
        );
    }
    Ok(())
}

/// The preset's sweep, run with returns kept, as the report's research section.
fn sweep_research(
    p: &ml4t_preset::Preset,
    preset_file: &std::path::Path,
    bars: &ml4t_engine::market::Bars,
) -> anyhow::Result<ml4t_report::Research> {
    let spec = p
        .sweep
        .clone()
        .with_context(|| format!("--sweep: {} has no sweep section", preset_file.display()))?;
    let objective = ml4t_sweep::Objective::parse(&spec.objective, spec.maximize)?;
    let plan = ml4t_sweep::SweepDef::from_spec(&spec)
        .plan(p)
        .with_context(|| format!("the sweep of {}", preset_file.display()))?;
    let opts = ml4t_sweep::SweepOptions {
        keep_returns: true,
        ..Default::default()
    };
    let started = Instant::now();
    let out = ml4t_sweep::run_sweep(p, preset_file, bars, &plan, &objective, &opts)
        .with_context(|| format!("sweeping {}", preset_file.display()))?;
    let view = crate::research::SweepView::new(&plan, out, objective, started.elapsed().as_secs_f64(), bars.len());
    crate::research::research(Some(&view), None, None).context("the sweep produced nothing to report")
}
