//! `ml4t bench`: engine throughput on generated data for each strategy level (rules, Rust callback,
//! script, hybrid), S0 and S2 logic, engine-only and end-to-end (Parquet load included). Best of
//! `--repeat` runs. The sweep measurement runs S0 over a 10 x 10 threshold grid.

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
use ml4t_engine::{EngineError, backtest};
use ml4t_script::{Script, ScriptStrategy};

#[derive(Debug, Args)]
pub struct BenchArgs {
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
    /// made by gen_data.py) instead of the generated bars.
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
    logic: &'static str,
    scope: &'static str,
    bars: usize,
    seconds: f64,
    bars_per_sec: f64,
    trades: usize,
}

#[derive(Debug, Serialize)]
struct Report {
    bars_per_asset: usize,
    assets: usize,
    total_bars: usize,
    commission: f64,
    hybrid_filter_pass_fraction: f64,
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

fn best_of<F: FnMut() -> Result<usize, EngineError>>(repeat: usize, mut f: F) -> anyhow::Result<(f64, usize)> {
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
    let config = BrokerConfig {
        commission: Commission::percent(args.commission),
        ..BrokerConfig::default()
    };
    config.validate().map_err(|e| anyhow::anyhow!("--commission: {e}"))?;
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
    let bars = sample(&spec)?;
    let n = bars.len();
    let threshold = top_percentile(&bars);
    let filter = [Rule::signal_above("ml_pred", threshold)];
    let pred = bars.signal_id("ml_pred").unwrap_or(SignalId(0));
    let pass = bars.signal_column(pred).iter().filter(|&&x| x > threshold).count() as f64 / n.max(1) as f64;

    let mut results = Vec::new();
    let mut push = |level, logic, scope, (seconds, trades): (f64, usize)| {
        results.push(Measurement {
            level,
            logic,
            scope,
            bars: n,
            seconds,
            bars_per_sec: n as f64 / seconds,
            trades,
        });
    };
    for logic in ["S0", "S2"] {
        if !args.wants_logic(logic) {
            continue;
        }
        let r = rules(logic);
        let reference = MlThreshold::scenario(logic).context("reference scenario")?;
        if args.wants(BenchLevel::Compiled) {
            push(
                "1 compiled",
                logic,
                "engine",
                best_of(args.repeat, || {
                    let mut c = r.compile(&bars).map_err(|e| EngineError::Config(e.to_string()))?;
                    run_strategy(&bars, &mut c, config)
                })?,
            );
        }
        if args.wants(BenchLevel::Interpreted) {
            push(
                "1 interpreted",
                logic,
                "engine",
                best_of(args.repeat, || {
                    let mut s = r
                        .interpret(bars.signal_names(), bars.assets().len())
                        .map_err(|e| EngineError::Config(e.to_string()))?;
                    run_strategy(&bars, &mut s, config)
                })?,
            );
        }
        if args.wants(BenchLevel::Callback) {
            push(
                "2 rust callback",
                logic,
                "engine",
                best_of(args.repeat, || run_strategy(&bars, &mut reference.clone(), config))?,
            );
        }
        if args.wants(BenchLevel::Script) {
            let compiled = Script::compile(script(logic), &format!("bench_{logic}.rhai"))?;
            push(
                "2 script",
                logic,
                "engine",
                best_of(args.repeat, || {
                    run_strategy(&bars, &mut ScriptStrategy::new(compiled.clone()), config)
                })?,
            );
        }
        if args.wants(BenchLevel::Hybrid) {
            push(
                "3 hybrid (1% filter)",
                logic,
                "engine",
                best_of(args.repeat, || {
                    let mut h = Hybrid::compile(&filter, &bars, reference.clone())
                        .map_err(|e| EngineError::Config(e.to_string()))?;
                    run_strategy(&bars, &mut h, config)
                })?,
            );
        }
    }
    if args.wants(BenchLevel::EndToEnd) && args.wants_logic("S2") {
        // End to end: Parquet load + compile + run.
        let dir = tempfile_dir()?;
        let path = dir.join("bench.parquet");
        write_parquet(&bars, &path)?;
        let r = rules("S2");
        let mut e2e_err = None;
        let timing = best_of(args.repeat, || {
            let data = match load(&path, &LoadOptions::default()) {
                Ok(d) => d,
                Err(e) => {
                    e2e_err = Some(e.to_string());
                    return Err(EngineError::Config("load failed".into()));
                }
            };
            let mut c = r.compile(&data.bars).map_err(|e| EngineError::Config(e.to_string()))?;
            run_strategy(&data.bars, &mut c, config)
        });
        let _ = std::fs::remove_dir_all(&dir);
        if let Some(e) = e2e_err {
            anyhow::bail!("end-to-end load failed: {e}");
        }
        push("1 compiled", "S2", "end-to-end (parquet load)", timing?);
    }

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
            None => sweep_bench(args, &bars, "generated".into(), config)?,
        })
    } else {
        None
    };

    let report = Report {
        bars_per_asset: args.bars,
        assets: args.assets,
        total_bars: n,
        commission: args.commission,
        hybrid_filter_pass_fraction: pass,
        results,
        sweep,
    };
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "{} bars ({} assets x {}), commission {} % of notional, best of {}",
            n,
            args.assets,
            args.bars,
            args.commission * 100.0,
            args.repeat
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
        println!(
            "hybrid filter (ml_pred > {threshold:.4}) passed on {:.2}% of bars",
            pass * 100.0
        );
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
    Ok(())
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
