//! `ml4t walk-forward`: per fold, sweep the train window, run the best combination on the test
//! window after it; print the fold table and the stitched out-of-sample summary; write JSON.

use std::io::{BufWriter, IsTerminal, Write as _};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use anyhow::Context as _;
use clap::Args;
use serde_json::{Map, Value, json};

use ml4t_data::load;
use ml4t_engine::types::{NS_PER_DAY, TimestampNs};
use ml4t_stats::walkforward::{WalkForwardSpec, WindowMode};
use ml4t_sweep::{Objective, SweepPlan, WalkForwardOptions, WalkForwardOutput, run_walk_forward};

/// The stitched curve in the JSON keeps at most about this many points.
const MAX_CURVE_POINTS: usize = 5_000;

#[derive(Debug, Args)]
pub struct WalkForwardArgs {
    /// The preset (.ron) whose numbers are swept on each train window.
    #[arg(long)]
    pub preset: PathBuf,
    /// Data file or folder instead of the preset's.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// The swept numbers and the objective.
    #[command(flatten)]
    pub grid: super::grid::GridArgs,
    /// Train window: bars (500 or 500b) or a period (30d, 4w, 6m, 2y).
    #[arg(long)]
    pub train: String,
    /// Test window, also the step between folds: bars or a period.
    #[arg(long)]
    pub test: String,
    /// Every train window starts at the first bar (grows) instead of rolling.
    #[arg(long)]
    pub anchored: bool,
    /// Bars after each train window used by neither the train nor the test window.
    #[arg(long, default_value_t = 0)]
    pub embargo: usize,
    /// Each test run starts with the previous fold's final equity (default: a fresh account
    /// with the preset's cash per fold).
    #[arg(long)]
    pub carry_equity: bool,
    /// Worker threads (0 = one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Write the folds, the stitched out-of-sample curve and metrics, WFE and drift as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: &WalkForwardArgs) -> anyhow::Result<()> {
    let preset = ml4t_preset::load(&args.preset)?;
    let (def, objective) = args.grid.definition(&preset)?;
    let plan = def
        .plan(&preset)
        .with_context(|| format!("the sweep of {}", args.preset.display()))?;
    let mode = if args.anchored {
        WindowMode::Anchored
    } else {
        WindowMode::Rolling
    };
    let spec = WalkForwardSpec::parse(&args.train, &args.test, mode, args.embargo)
        .with_context(|| format!("--train '{}' --test '{}'", args.train, args.test))?;
    let data_path = match &args.data {
        Some(d) => d.clone(),
        None => preset.data_path(&args.preset),
    };
    let loaded = load(&data_path, &preset.load_options()?)
        .with_context(|| format!("loading the data of {}", args.preset.display()))?;
    let bars = &loaded.bars;

    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    let bar = show_progress.then(|| {
        let pb = indicatif::ProgressBar::new(0);
        pb.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} runs {elapsed_precise} (eta {eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        pb
    });
    let progress = |done: usize, total: usize| {
        if let Some(b) = &bar {
            b.set_length(total as u64);
            b.set_position(done as u64);
        }
    };
    let cancel = Arc::new(AtomicBool::new(false));
    super::stop_on_ctrl_c(cancel.clone())?;
    let opts = WalkForwardOptions {
        carry_equity: args.carry_equity,
        threads: args.threads,
        progress: Some(&progress),
        cancel: Some(&cancel),
        ..WalkForwardOptions::new(spec)
    };
    let started = Instant::now();
    let out = run_walk_forward(&preset, &args.preset, bars, &plan, &objective, &opts);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let out = out.with_context(|| format!("walk-forward of {}", args.preset.display()))?;
    let seconds = started.elapsed().as_secs_f64();

    if !args.quiet {
        print_summary(&plan, &out, &objective, &spec, seconds);
    }
    if let Some(path) = &args.json {
        let doc = json_report(&out, &objective, &spec, seconds);
        let file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let mut w = BufWriter::new(file);
        serde_json::to_writer(&mut w, &doc).with_context(|| format!("writing {}", path.display()))?;
        w.flush().with_context(|| format!("writing {}", path.display()))?;
        if !args.quiet {
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}

/// The date alone for midnight timestamps (daily bars), else date and time.
fn when(ts: TimestampNs) -> String {
    if ts.0.rem_euclid(NS_PER_DAY) == 0 {
        ts.to_date()
    } else {
        ts.to_iso()
    }
}

fn num(x: Option<f64>) -> String {
    x.map_or("n/a".to_string(), |x| format!("{x:.4}"))
}

fn print_summary(
    plan: &SweepPlan,
    out: &WalkForwardOutput,
    objective: &Objective,
    spec: &WalkForwardSpec,
    seconds: f64,
) {
    println!(
        "{} folds x {} combinations in {:.3} s; train {}, test {}, {}, embargo {} bars; {}",
        out.folds.len(),
        out.combos,
        seconds,
        spec.train,
        spec.test,
        if spec.mode == WindowMode::Anchored {
            "anchored"
        } else {
            "rolling"
        },
        spec.embargo_bars,
        if out.account == ml4t_sweep::Account::Carried {
            "equity carried from fold to fold"
        } else {
            "fresh account per fold"
        },
    );
    println!(
        "objective: {} ({}); IS = the chosen combination on its train window, OOS = on the test window",
        objective.name(),
        if objective.maximize { "max" } else { "min" }
    );
    println!(
        "{:>4}  {:<25} {:<25} {:>10} {:>10} {:>7} {:>14}  params",
        "fold", "train", "test", "IS", "OOS", "trades", "final equity"
    );
    for (k, f) in out.folds.iter().enumerate() {
        println!(
            "{:>4}  {:<25} {:<25} {:>10} {:>10} {:>7} {:>14.2}  {}",
            k,
            format!("{}..{}", when(f.train_first_ts), when(f.train_last_ts)),
            format!("{}..{}", when(f.test_first_ts), when(f.test_last_ts)),
            num(f.is_value),
            num(f.oos_value),
            f.test_trades,
            f.test_final_equity,
            plan.describe(f.combo)
        );
    }
    let m = &out.oos_metrics;
    println!(
        "out of sample (stitched): final equity {:.2}, total return {:.2} %, CAGR {:.2} %, Sharpe {:.3}, max drawdown {:.2} %, {} trades",
        m.final_equity,
        m.total_return * 100.0,
        m.cagr * 100.0,
        m.sharpe,
        m.max_drawdown * 100.0,
        m.n_trades
    );
    println!(
        "walk-forward efficiency: {} (OOS annual return {:.2} % / mean IS annual return {:.2} %)",
        num(out.wfe),
        out.oos_annual_return * 100.0,
        out.is_annual_return * 100.0
    );
    for d in &out.drift {
        println!(
            "drift {}: min {}, max {}, std {:.4}; per fold {:?}",
            d.path, d.min, d.max, d.std, d.values
        );
    }
}

/// `{PATH: value}` keyed by the paths exactly as given.
fn params_json(paths: &[String], values: &[f64]) -> Value {
    let mut m = Map::new();
    for (p, v) in paths.iter().zip(values) {
        m.insert(p.clone(), json!(v));
    }
    Value::Object(m)
}

/// Every `step`-th point so at most about `max` remain, the last always kept.
fn thinned(ts: &[i64], equity: &[f64], max: usize) -> Vec<(i64, f64)> {
    let n = ts.len().min(equity.len());
    let step = n.div_ceil(max.max(1)).max(1);
    let mut out: Vec<(i64, f64)> = (0..n).step_by(step).map(|i| (ts[i], equity[i])).collect();
    if n > 0 && !(n - 1).is_multiple_of(step) {
        out.push((ts[n - 1], equity[n - 1]));
    }
    out
}

fn json_report(out: &WalkForwardOutput, objective: &Objective, spec: &WalkForwardSpec, seconds: f64) -> Value {
    let folds: Vec<Value> = out
        .folds
        .iter()
        .enumerate()
        .map(|(k, f)| {
            json!({
                "fold": k,
                "train_first_ts": f.train_first_ts.0,
                "train_last_ts": f.train_last_ts.0,
                "test_first_ts": f.test_first_ts.0,
                "test_last_ts": f.test_last_ts.0,
                "train_first": when(f.train_first_ts),
                "train_last": when(f.train_last_ts),
                "test_first": when(f.test_first_ts),
                "test_last": when(f.test_last_ts),
                "train_timestamps": f.train.len(),
                "test_timestamps": f.test.len(),
                "params": params_json(&out.paths, &f.params),
                "is_objective": f.is_value,
                "oos_objective": f.oos_value,
                "test_initial_cash": f.test_initial_cash,
                "test_trades": f.test_trades,
                "test_final_equity": f.test_final_equity,
            })
        })
        .collect();
    let mut drift = Map::new();
    for d in &out.drift {
        drift.insert(
            d.path.clone(),
            json!({"values": d.values, "min": d.min, "max": d.max, "std": d.std}),
        );
    }
    let equity: Vec<Value> = thinned(&out.oos_ts, &out.oos_equity, MAX_CURVE_POINTS)
        .into_iter()
        .map(|(t, e)| json!([t, e]))
        .collect();
    json!({
        "folds": folds,
        "oos": {
            "metrics": serde_json::to_value(&out.oos_metrics).unwrap_or(Value::Null),
            "points": out.oos_ts.len(),
            "equity": equity,
        },
        "wfe": out.wfe,
        "is_annual_return": out.is_annual_return,
        "oos_annual_return": out.oos_annual_return,
        "drift": drift,
        "account": out.account.as_str(),
        "initial_cash": out.initial_cash,
        "train": spec.train.to_string(),
        "test": spec.test.to_string(),
        "embargo": spec.embargo_bars,
        "anchored": spec.mode == WindowMode::Anchored,
        "objective": objective.name(),
        "maximize": objective.maximize,
        "combos": out.combos,
        "seconds": seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinned_keeps_at_most_about_max_points_and_the_last() {
        let ts: Vec<i64> = (0..10_001).collect();
        let eq: Vec<f64> = ts.iter().map(|&t| t as f64).collect();
        let t = thinned(&ts, &eq, 5_000);
        assert!(t.len() <= 5_001, "{}", t.len());
        assert_eq!(t.first(), Some(&(0, 0.0)));
        assert_eq!(t.last(), Some(&(10_000, 10_000.0)));
        assert_eq!(thinned(&ts[..3], &eq[..3], 5_000).len(), 3);
        assert!(thinned(&[], &[], 5_000).is_empty());
    }
}
