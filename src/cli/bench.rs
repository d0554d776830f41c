//! `ml4t bench`: engine throughput for each strategy level (rules, Rust callback, script, hybrid),
//! S0 and S2 logic, engine-only and end-to-end (data load included), on generated data or on a
//! user's file (`--data`); or a user's preset on its data or on `--data` (`--preset`). Best of
//! `--repeat` runs; every figure is printed with the trade count of the run it times. The sweep
//! measurement runs S0 over a 10 x 10 threshold grid.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use clap::Args;
use serde::Serialize;

use ml4t_data::{LoadOptions, SampleFreq, SampleSpec, load, sample, write_parquet};
use ml4t_engine::execution::{BrokerConfig, Commission};
use ml4t_engine::market::Bars;
use ml4t_engine::strategy::Strategy;
use ml4t_engine::strategy::hybrid::Hybrid;
use ml4t_engine::strategy::reference::MlThreshold;
use ml4t_engine::strategy::rules::{Rule, SignalStrategy, Sizer};
use ml4t_engine::types::SignalId;
use ml4t_engine::{Engine, EngineError, backtest};
use ml4t_script::{Script, ScriptStrategy};

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Measure on this data file or folder (loaded as `ml4t run` loads it) instead of generated
    /// data; `--bars` and `--assets` are then ignored. Without `--preset` the S0/S2 levels run on
    /// it, which needs an `ml_pred` column (and `confidence` for S2).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Measure this preset's strategy and broker instead of the built-in levels: engine only
    /// (compile + run) and end to end (load + compile + run), on `--data` or the preset's data.
    #[arg(long)]
    pub preset: Option<PathBuf>,
    /// Bars per asset.
    #[arg(long, default_value_t = 1_000_000)]
    pub bars: usize,
    #[arg(long, default_value_t = 1)]
    pub assets: usize,
    /// Runs per measurement; the fastest counts.
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Measure only these levels (repeatable): compiled, interpreted, callback, script, hybrid,
    /// end-to-end. Default: all.
    #[arg(long = "level", value_enum)]
    pub levels: Vec<BenchLevel>,
    /// Commission as a fraction of notional (the default broker's 0.001 = 0.1 %). At minute scale
    /// the generated data's S0/S2 pay more commission than they earn and stop trading after about
    /// a million bars; `--commission 0` keeps them trading over the whole run.
    #[arg(long, default_value_t = 0.001)]
    pub commission: f64,
    /// Measure only this logic (repeatable). Default: S0 and S2.
    #[arg(long = "logic", value_parser = ["S0", "S2"])]
    pub logics: Vec<String>,
    /// Data file for the sweep measurement (e.g. the 1M 1-minute bars of the fidelity harness,
    /// made by gen_data.py) instead of the bars the other levels use.
    #[arg(long)]
    pub sweep_data: Option<std::path::PathBuf>,
    /// Worker threads of the sweep measurement (0 = one per core).
    #[arg(long, default_value_t = 0)]
    pub sweep_threads: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchLevel {
    Compiled,
    Interpreted,
    Callback,
    Script,
    Hybrid,
    EndToEnd,
    /// S0 logic over a 10 x 10 threshold grid (entry 0.55..0.95, exit 0.05..0.45), 100 runs.
    Sweep,
}

impl BenchArgs {
    fn wants(&self, level: BenchLevel) -> bool {
        self.levels.is_empty() || self.levels.contains(&level)
    }

    fn wants_logic(&self, logic: &str) -> bool {
        self.logics.is_empty() || self.logics.iter().any(|l| l == logic)
    }
}

#[derive(Debug, Serialize)]
struct Measurement {
    level: &'static str,
    /// S0, S2, or the preset's file stem.
    logic: String,
    scope: &'static str,
    bars: usize,
    seconds: f64,
    bars_per_sec: f64,
    trades: usize,
}

#[derive(Debug, Serialize)]
struct Report {
    /// The data file measured on; absent for generated data.
    data: Option<String>,
    /// The preset measured; absent for the built-in levels.
    preset: Option<String>,
    bars_per_asset: usize,
    assets: usize,
    total_bars: usize,
    commission: f64,
    /// Absent when the hybrid level was not measured.
    hybrid_filter_pass_fraction: Option<f64>,
    results: Vec<Measurement>,
    sweep: Option<SweepMeasurement>,
}

/// The sweep benchmark: every combination a full run with its metrics.
#[derive(Debug, Serialize)]
struct SweepMeasurement {
    data: String,
    bars: usize,
    combos: usize,
    threads: usize,
    seconds: f64,
    combination_bars_per_sec: f64,
    trades: usize,
}

/// The S0 grid of the sweep benchmark (the same as `sweep_vectorbt.py`'s defaults).
const SWEEP_GRID: [(&str, &str); 2] = [("entry[0]", "0.55:0.95:10"), ("exit[0]", "0.05:0.45:10")];

fn sweep_bench(args: &BenchArgs, bars: &Bars, data: String, config: BrokerConfig) -> anyhow::Result<SweepMeasurement> {
    let mut preset = ml4t_preset::Preset::new("S0", "", rules("S0"));
    preset.broker = config;
    let plan = ml4t_sweep::SweepDef::grid(SWEEP_GRID).plan(&preset)?;
    let objective = ml4t_sweep::Objective::parse("sharpe", true)?;
    let opts = ml4t_sweep::SweepOptions {
        threads: args.sweep_threads,
        ..Default::default()
    };
    let mut best = f64::INFINITY;
    let mut trades = 0;
    for _ in 0..args.repeat.max(1) {
        let t = Instant::now();
        let out = ml4t_sweep::run_sweep(&preset, std::path::Path::new("S0.ron"), bars, &plan, &objective, &opts)?;
        best = best.min(t.elapsed().as_secs_f64());
        trades = out.rows.iter().map(|r| r.n_trades()).sum();
    }
    let combos = plan.combos.len();
    Ok(SweepMeasurement {
        data,
        bars: bars.len(),
        combos,
        threads: if args.sweep_threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            args.sweep_threads
        },
        seconds: best,
        combination_bars_per_sec: (combos * bars.len()) as f64 / best,
        trades,
    })
}

/// SEMANTICS.md's S0 and S2 as scripts (the same logic as [`rules`] and `MlThreshold`).
fn script(logic: &str) -> &'static str {
    match logic {
        "S0" => {
            "fn on_bar(bar, ctx) {
    if ctx.position() == 0.0 {
        if bar.ml_pred > 0.8 { ctx.buy(100); }
    } else if bar.ml_pred < 0.4 {
        ctx.close_position();
    }
}"
        }
        _ => {
            "fn on_bar(bar, ctx) {
    if ctx.position() == 0.0 {
        if bar.ml_pred > 0.8 && bar.confidence > 0.7 { ctx.buy_percent(0.95); }
    } else {
        let pnl = ctx.unrealized_pnl_pct();
        if bar.ml_pred < 0.4 || pnl < -0.05 || pnl > 0.15 { ctx.close_position(); }
    }
}"
        }
    }
}

/// SEMANTICS.md's S0 and S2 as rules.
fn rules(logic: &str) -> SignalStrategy {
    let base = SignalStrategy::new().entry(Rule::signal_above("ml_pred", 0.8));
    match logic {
        "S0" => base
            .exit(Rule::signal_below("ml_pred", 0.4))
            .sizer(Sizer::fixed_quantity(100.0)),
        _ => base
            .entry(Rule::signal_above("confidence", 0.7))
            .exit_any([
                Rule::signal_below("ml_pred", 0.4),
                Rule::stop_loss(0.05),
                Rule::take_profit(0.15),
            ])
            .sizer(Sizer::percent_of_cash(0.95)),
    }
}

fn best_of<F: FnMut() -> anyhow::Result<usize>>(repeat: usize, mut f: F) -> anyhow::Result<(f64, usize)> {
    let mut best = f64::INFINITY;
    let mut trades = 0;
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        trades = f()?;
        best = best.min(t.elapsed().as_secs_f64());
    }
    Ok((best, trades))
}

fn run_strategy(bars: &Bars, s: &mut dyn Strategy, config: BrokerConfig) -> Result<usize, EngineError> {
    backtest(bars, s, config).map(|r| r.trades.len())
}

/// The `ml_pred` value above which about 1 % of bars lie.
fn top_percentile(bars: &Bars) -> f64 {
    let Some(id) = bars.signal_id("ml_pred") else {
        return f64::INFINITY;
    };
    let mut v: Vec<f64> = bars.signal_column(id).iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return f64::INFINITY;
    }
    let k = (v.len() as f64 * 0.99) as usize;
    let k = k.min(v.len() - 1);
    *v.select_nth_unstable_by(k, f64::total_cmp).1
}

pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let report = match &args.preset {
        Some(preset) => bench_preset(args, preset)?,
        None => bench_levels(args)?,
    };
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print_table(args, &report);
    }
    Ok(())
}

fn file_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// A preset's strategy and broker, on its data or `--data`: engine only (compile, run, result
/// assembly, as for the levels) and end to end (the load as well).
fn bench_preset(args: &BenchArgs, preset_path: &Path) -> anyhow::Result<Report> {
    let preset = ml4t_preset::load(preset_path)?;
    let data_path = match &args.data {
        Some(d) => d.clone(),
        None => preset.data_path(preset_path),
    };
    let options = preset.load_options()?;
    let load_data = || load(&data_path, &options).with_context(|| format!("loading {}", data_path.display()));
    let loaded = load_data()?;
    let bars = &loaded.bars;
    preset.validate_against(preset_path, bars.signal_names(), bars.assets().len())?;
    if !args.json {
        println!(
            "{} on {}: {} bars ({} assets) ...",
            preset_path.display(),
            data_path.display(),
            bars.len(),
            bars.assets().len()
        );
    }
    let run_once = |bars: &Bars| -> anyhow::Result<usize> {
        let r = ml4t_preset::run::run(&preset, preset_path, bars, &mut Engine::new())
            .with_context(|| format!("running {}", preset_path.display()))?;
        Ok(r.trades.len())
    };
    let name = file_name(preset_path);
    let n = bars.len();
    let mut results = Vec::new();
    let engine = best_of(args.repeat, || run_once(bars))?;
    results.push(measurement("preset", name.clone(), "engine", n, engine));
    let e2e = best_of(args.repeat, || run_once(&load_data()?.bars))?;
    results.push(measurement("preset", name, "end-to-end (load)", n, e2e));
    let assets = bars.assets().len();
    Ok(Report {
        data: Some(data_path.display().to_string()),
        preset: Some(preset_path.display().to_string()),
        bars_per_asset: n / assets.max(1),
        assets,
        total_bars: n,
        commission: preset.broker.commission.percent,
        hybrid_filter_pass_fraction: None,
        results,
        sweep: None,
    })
}

fn measurement(
    level: &'static str,
    logic: String,
    scope: &'static str,
    bars: usize,
    (seconds, trades): (f64, usize),
) -> Measurement {
    Measurement {
        level,
        logic,
        scope,
        bars,
        seconds,
        bars_per_sec: bars as f64 / seconds,
        trades,
    }
}

/// The built-in levels with S0/S2 logic, on generated data or `--data`.
fn bench_levels(args: &BenchArgs) -> anyhow::Result<Report> {
    let config = BrokerConfig {
        commission: Commission::percent(args.commission),
        ..BrokerConfig::default()
    };
    config.validate().map_err(|e| anyhow::anyhow!("--commission: {e}"))?;
    let bars = match &args.data {
        Some(path) => {
            if !args.json {
                println!("loading {} ...", path.display());
            }
            let bars = load(path, &LoadOptions::default())
                .with_context(|| format!("loading {}", path.display()))?
                .bars;
            for (logic, column) in [("S0", "ml_pred"), ("S2", "ml_pred"), ("S2", "confidence")] {
                if args.wants_logic(logic) && bars.signal_id(column).is_none() {
                    anyhow::bail!(
                        "{} has no '{column}' column, which the {logic} logic reads; pick another \
                         --logic, or measure your own strategy with --preset",
                        path.display()
                    );
                }
            }
            bars
        }
        None => {
            let freq = if args.bars > 50_000 {
                SampleFreq::Every {
                    step_ns: 60_000_000_000,
                }
            } else {
                SampleFreq::Weekdays
            };
            let spec = SampleSpec {
                assets: args.assets,
                bars: args.bars,
                freq,
                ..SampleSpec::default()
            };
            if !args.json {
                println!("generating {} assets x {} bars ...", args.assets, args.bars);
            }
            sample(&spec)?
        }
    };
    let n = bars.len();
    let threshold = top_percentile(&bars);
    let filter = [Rule::signal_above("ml_pred", threshold)];
    let pred = bars.signal_id("ml_pred").unwrap_or(SignalId(0));
    let pass = bars.signal_column(pred).iter().filter(|&&x| x > threshold).count() as f64 / n.max(1) as f64;

    // End to end loads the user's file, or the generated bars written to a temporary Parquet file.
    let mut temp_dir = None;
    let e2e_path = match &args.data {
        _ if !args.wants(BenchLevel::EndToEnd) => None,
        Some(path) => Some(path.clone()),
        None => {
            let dir = tempfile_dir()?;
            let path = dir.join("bench.parquet");
            temp_dir = Some(dir);
            write_parquet(&bars, &path)?;
            Some(path)
        }
    };

    let mut results = Vec::new();
    let mut push = |level, logic: &str, scope, timing| {
        results.push(measurement(level, logic.to_owned(), scope, n, timing));
    };
    let compile = |r: &SignalStrategy, bars: &Bars| r.compile(bars).map_err(|e| anyhow::anyhow!("{e}"));
    let measured = (|| -> anyhow::Result<()> {
        for logic in ["S0", "S2"] {
            if !args.wants_logic(logic) {
                continue;
            }
            let r = rules(logic);
            let reference = MlThreshold::scenario(logic).context("reference scenario")?;
            if args.wants(BenchLevel::Compiled) {
                let timing = best_of(args.repeat, || {
                    Ok(run_strategy(&bars, &mut compile(&r, &bars)?, config)?)
                })?;
                push("1 compiled", logic, "engine", timing);
            }
            if args.wants(BenchLevel::Interpreted) {
                let timing = best_of(args.repeat, || {
                    let mut s = r
                        .interpret(bars.signal_names(), bars.assets().len())
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    Ok(run_strategy(&bars, &mut s, config)?)
                })?;
                push("1 interpreted", logic, "engine", timing);
            }
            if args.wants(BenchLevel::Callback) {
                let timing = best_of(args.repeat, || Ok(run_strategy(&bars, &mut reference.clone(), config)?))?;
                push("2 rust callback", logic, "engine", timing);
            }
            if args.wants(BenchLevel::Script) {
                let compiled = Script::compile(script(logic), &format!("bench_{logic}.rhai"))?;
                let timing = best_of(args.repeat, || {
                    Ok(run_strategy(&bars, &mut ScriptStrategy::new(compiled.clone()), config)?)
                })?;
                push("2 script", logic, "engine", timing);
            }
            if args.wants(BenchLevel::Hybrid) {
                let timing = best_of(args.repeat, || {
                    let mut h =
                        Hybrid::compile(&filter, &bars, reference.clone()).map_err(|e| anyhow::anyhow!("{e}"))?;
                    Ok(run_strategy(&bars, &mut h, config)?)
                })?;
                push("3 hybrid (1% filter)", logic, "engine", timing);
            }
            // End to end: load + compile + run. On generated data S2 only (the historical row).
            if let Some(path) = &e2e_path
                && (args.data.is_some() || logic == "S2")
            {
                let timing = best_of(args.repeat, || {
                    let data =
                        load(path, &LoadOptions::default()).with_context(|| format!("loading {}", path.display()))?;
                    Ok(run_strategy(&data.bars, &mut compile(&r, &data.bars)?, config)?)
                })?;
                push("1 compiled", logic, "end-to-end (load)", timing);
            }
        }
        Ok(())
    })();
    if let Some(dir) = temp_dir {
        let _ = std::fs::remove_dir_all(&dir);
    }
    measured?;

    let sweep = if args.wants(BenchLevel::Sweep) {
        if !args.json {
            println!("sweep: S0, entry 0.55..0.95 x exit 0.05..0.45 (100 combinations) ...");
        }
        Some(match &args.sweep_data {
            Some(path) => {
                let data =
                    load(path, &LoadOptions::default()).with_context(|| format!("--sweep-data {}", path.display()))?;
                sweep_bench(args, &data.bars, path.display().to_string(), config)?
            }
            None => sweep_bench(
                args,
                &bars,
                args.data
                    .as_ref()
                    .map_or("generated".into(), |p| p.display().to_string()),
                config,
            )?,
        })
    } else {
        None
    };

    let assets = bars.assets().len();
    let measured_hybrid = args.wants(BenchLevel::Hybrid);
    Ok(Report {
        data: args.data.as_ref().map(|p| p.display().to_string()),
        preset: None,
        bars_per_asset: n / assets.max(1),
        assets,
        total_bars: n,
        commission: args.commission,
        hybrid_filter_pass_fraction: measured_hybrid.then_some(pass),
        results,
        sweep,
    })
}

fn print_table(args: &BenchArgs, report: &Report) {
    let source = match (&report.preset, &report.data) {
        (Some(p), Some(d)) => format!("preset {p} on {d}: "),
        (_, Some(d)) => format!("{d}: "),
        _ => String::new(),
    };
    println!(
        "{source}{} bars ({} assets x {}), commission {} % of notional, best of {}",
        report.total_bars,
        report.assets,
        report.bars_per_asset,
        report.commission * 100.0,
        args.repeat.max(1)
    );
    println!(
        "{:<22} {:<6} {:<28} {:>10} {:>16} {:>8}",
        "level", "logic", "scope", "seconds", "bars/s", "trades"
    );
    for m in &report.results {
        println!(
            "{:<22} {:<6} {:<28} {:>10.4} {:>16} {:>8}",
            m.level,
            m.logic,
            m.scope,
            m.seconds,
            group_thousands(m.bars_per_sec),
            m.trades
        );
    }
    if let Some(pass) = report.hybrid_filter_pass_fraction {
        println!(
            "hybrid filter (top 1 % of ml_pred) passed on {:.2}% of bars",
            pass * 100.0
        );
    }
    if let Some(s) = &report.sweep {
        println!(
            "sweep S0 {} combinations x {} bars ({}), {} threads: {:.3} s, {} combination-bars/s, {} trades in all",
            s.combos,
            s.bars,
            s.data,
            s.threads,
            s.seconds,
            group_thousands(s.combination_bars_per_sec),
            s.trades
        );
    }
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("ml4t-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

fn group_thousands(x: f64) -> String {
    let s = format!("{:.0}", x);
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
