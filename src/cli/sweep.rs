//! `ml4t sweep`: run every combination of a preset's numbers in parallel; print the best, write
//! the rows (JSON, CSV) and the per-period returns (Parquet).

use std::io::{BufWriter, IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use anyhow::Context as _;
use clap::Args;
use serde_json::{Map, Value, json};

use ml4t_data::{load, write_returns_parquet};
use ml4t_engine::market::Bars;
use ml4t_stats::OverfitOptions;
use ml4t_sweep::{Objective, SweepOptions, SweepOutput, SweepPlan, run_sweep};

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The preset (.ron) whose numbers are swept.
    #[arg(long)]
    pub preset: PathBuf,
    /// Data file or folder instead of the preset's.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// The swept numbers and the objective.
    #[command(flatten)]
    pub grid: super::grid::GridArgs,
    /// Worker threads (0 = one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Write the rows, the best and the statistics as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write one row per combination (params, then every metric) as CSV here.
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Write the per-period returns (one f32 column per combination) as Parquet here, and the
    /// columns' params beside it (NAME.params.json). Implies --overfitting.
    #[arg(long)]
    pub returns: Option<PathBuf>,
    /// Keep per-period returns and report the overfitting statistics (PSR, DSR, PBO, MinTRL).
    #[arg(long)]
    pub overfitting: bool,
    /// CSCV blocks of the PBO (even).
    #[arg(long, default_value_t = 16)]
    pub cscv_blocks: usize,
    /// Rows to print, best first.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: &SweepArgs) -> anyhow::Result<()> {
    let preset = ml4t_preset::load(&args.preset)?;
    let (def, objective) = args.grid.definition(&preset)?;
    let plan = def
        .plan(&preset)
        .with_context(|| format!("the sweep of {}", args.preset.display()))?;
    let data_path = match &args.data {
        Some(d) => d.clone(),
        None => preset.data_path(&args.preset),
    };
    let loaded = load(&data_path, &preset.load_options()?)
        .with_context(|| format!("loading the data of {}", args.preset.display()))?;
    let bars = &loaded.bars;

    let n = plan.combos.len();
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    let bar = show_progress.then(|| {
        let pb = indicatif::ProgressBar::new(n as u64);
        pb.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} combinations {elapsed_precise} (eta {eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        pb
    });
    let progress = |done: usize, _total: usize| {
        if let Some(b) = &bar {
            b.set_position(done as u64);
        }
    };
    // Ctrl+C stops the sweep; the finished rows are still reported and written.
    let cancel = Arc::new(AtomicBool::new(false));
    super::stop_on_ctrl_c(cancel.clone())?;
    let keep_returns = args.returns.is_some() || args.overfitting;
    let opts = SweepOptions {
        threads: args.threads,
        keep_returns,
        overfit: OverfitOptions {
            cscv_blocks: args.cscv_blocks,
            ..OverfitOptions::default()
        },
        progress: Some(&progress),
        cancel: Some(&cancel),
    };
    let started = Instant::now();
    let out = run_sweep(&preset, &args.preset, bars, &plan, &objective, &opts);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let out = out.with_context(|| format!("sweeping {}", args.preset.display()))?;
    let seconds = started.elapsed().as_secs_f64();

    if !args.quiet {
        print_summary(&plan, &out, &objective, bars, seconds, args.top);
    }
    if let Some(path) = &args.json {
        let doc = json_report(&plan, &out, &objective, bars, seconds, args.threads);
        let file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let mut w = BufWriter::new(file);
        serde_json::to_writer(&mut w, &doc).with_context(|| format!("writing {}", path.display()))?;
        w.flush().with_context(|| format!("writing {}", path.display()))?;
        if !args.quiet {
            println!("wrote {}", path.display());
        }
    }
    if let Some(path) = &args.csv {
        write_csv(path, &plan, &out)?;
        if !args.quiet {
            println!("wrote {}", path.display());
        }
    }
    if let (Some(path), Some(returns)) = (&args.returns, &out.returns) {
        let side = write_returns(path, &plan, &out, returns, bars)?;
        if !args.quiet {
            println!("wrote {} and {}", path.display(), side.display());
        }
    }
    Ok(())
}

/// `{PATH: value}` of a row, keyed by the paths exactly as given.
fn params_json(plan: &SweepPlan, values: &[f64]) -> Value {
    let mut m = Map::new();
    for (p, v) in plan.paths.iter().zip(values) {
        m.insert(p.as_str().to_string(), json!(v));
    }
    Value::Object(m)
}

/// A row: `params`, then every metric (final equity and trade count among them).
fn row_json(plan: &SweepPlan, row: &ml4t_sweep::Row) -> Value {
    let mut m = match serde_json::to_value(&row.metrics) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    m.insert("params".into(), params_json(plan, &row.params));
    m.insert("combo".into(), json!(row.combo));
    Value::Object(m)
}

fn json_report(
    plan: &SweepPlan,
    out: &SweepOutput,
    objective: &Objective,
    bars: &Bars,
    seconds: f64,
    threads: usize,
) -> Value {
    let best = out.best.map(|b| row_json(plan, &out.rows[b]));
    let mut doc = json!({
        "bars": bars.len(),
        "combos": out.combos,
        "finished": out.rows.len(),
        "cancelled": out.cancelled,
        "seconds": seconds,
        "combination_bars_per_sec": (out.rows.len() * bars.len()) as f64 / seconds.max(1e-12),
        "threads": threads,
        "objective": objective.name(),
        "maximize": objective.maximize,
        "best": best,
        "best_value": out.best_value,
        "stability": out.stability,
        "mask_builds": out.mask_builds,
        "rows": out.rows.iter().map(|r| row_json(plan, r)).collect::<Vec<_>>(),
    });
    if let (Some(report), Value::Object(m)) = (&out.overfitting, &mut doc) {
        m.insert(
            "overfitting".into(),
            serde_json::to_value(report).unwrap_or(Value::Null),
        );
    }
    doc
}

fn print_summary(plan: &SweepPlan, out: &SweepOutput, objective: &Objective, bars: &Bars, seconds: f64, top: usize) {
    let trades: usize = out.rows.iter().map(|r| r.n_trades()).sum();
    println!(
        "{} of {} combinations x {} bars in {:.3} s ({:.1} M combination-bars/s), {} trades in all{}",
        out.rows.len(),
        out.combos,
        bars.len(),
        seconds,
        (out.rows.len() * bars.len()) as f64 / seconds.max(1e-12) / 1e6,
        trades,
        if out.cancelled { " (cancelled)" } else { "" }
    );
    let dir = if objective.maximize { "max" } else { "min" };
    match out.best {
        Some(b) => {
            let r = &out.rows[b];
            println!(
                "best by {} ({dir}): {} -> {} = {:.6}, final equity {:.2}, {} trades",
                objective.name(),
                plan.describe(r.combo),
                objective.name(),
                out.best_value.unwrap_or(f64::NAN),
                r.final_equity(),
                r.n_trades()
            );
            if let Some(s) = out.stability {
                println!("stability (median {} of its grid neighbours): {s:.6}", objective.name());
            }
        }
        None => println!("no combination has a defined {}", objective.name()),
    }
    if let Some(o) = &out.overfitting {
        let f = |x: Option<f64>| x.map_or("n/a".to_string(), |x| format!("{x:.3}"));
        println!(
            "overfitting: PSR {}, DSR {} ({} trials), PBO {}, MinTRL {} periods",
            f(o.psr),
            f(o.dsr),
            o.n_trials,
            f(o.pbo),
            f(o.min_trl)
        );
        if let Some(p) = o.pbo {
            println!("{}", crate::research::pbo_sentence(p));
        }
    }
    let mut order: Vec<usize> = (0..out.rows.len()).collect();
    let value = |i: usize| objective.value(&out.rows[i].metrics);
    order.sort_by(|&a, &b| match (value(a), value(b)) {
        (Some(x), Some(y)) if objective.better(x, y) => std::cmp::Ordering::Less,
        (Some(x), Some(y)) if objective.better(y, x) => std::cmp::Ordering::Greater,
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        _ => a.cmp(&b),
    });
    if top > 0 && !out.rows.is_empty() {
        println!(
            "{:>14} {:>8} {:>14}  params",
            objective.name(),
            "trades",
            "final equity"
        );
        for &i in order.iter().take(top) {
            let r = &out.rows[i];
            println!(
                "{:>14.6} {:>8} {:>14.2}  {}",
                value(i).unwrap_or(f64::NAN),
                r.n_trades(),
                r.final_equity(),
                plan.describe(r.combo)
            );
        }
    }
}

fn csv_cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn write_csv(path: &Path, plan: &SweepPlan, out: &SweepOutput) -> anyhow::Result<()> {
    let ctx = || format!("writing {}", path.display());
    let file = std::fs::File::create(path).with_context(ctx)?;
    let mut w = BufWriter::new(file);
    let quote = |s: &str| {
        if s.contains([',', '"']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let mut header: Vec<String> = vec!["combo".into()];
    header.extend(plan.paths.iter().map(|p| quote(p.as_str())));
    let mut metric_keys: Vec<String> = Vec::new();
    for row in &out.rows {
        let Ok(Value::Object(m)) = serde_json::to_value(&row.metrics) else {
            continue;
        };
        if metric_keys.is_empty() {
            metric_keys = m.keys().cloned().collect();
            header.extend(metric_keys.iter().cloned());
            writeln!(w, "{}", header.join(",")).with_context(ctx)?;
        }
        let mut cells = vec![row.combo.to_string()];
        cells.extend(row.params.iter().map(|v| v.to_string()));
        cells.extend(metric_keys.iter().map(|k| csv_cell(m.get(k).unwrap_or(&Value::Null))));
        writeln!(w, "{}", cells.join(",")).with_context(ctx)?;
    }
    if metric_keys.is_empty() {
        writeln!(w, "{}", header.join(",")).with_context(ctx)?;
    }
    w.flush().with_context(ctx)?;
    Ok(())
}

/// The returns Parquet (column `c<combo>` per row) and `<stem>.params.json` beside it, which
/// maps each column to its params. Returns the side file's path.
fn write_returns(
    path: &Path,
    plan: &SweepPlan,
    out: &SweepOutput,
    returns: &[Vec<f32>],
    bars: &Bars,
) -> anyhow::Result<PathBuf> {
    let ts: Vec<i64> = bars.timestamp_starts()[..bars.n_timestamps()]
        .iter()
        .map(|&row| bars.ts()[row])
        .collect();
    let columns: Vec<(String, Vec<f32>)> = out
        .rows
        .iter()
        .zip(returns)
        .map(|(row, r)| (format!("c{}", row.combo), r.clone()))
        .collect();
    write_returns_parquet(path, &ts, &columns)?;
    let side = path.with_extension("params.json");
    let doc = json!({
        "returns": path.file_name().map(|f| f.to_string_lossy().into_owned()),
        "params": plan.paths.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        "columns": out.rows.iter().map(|r| json!({
            "column": format!("c{}", r.combo),
            "combo": r.combo,
            "params": params_json(plan, &r.params),
        })).collect::<Vec<_>>(),
    });
    let text = serde_json::to_string_pretty(&doc)?;
    std::fs::write(&side, text).with_context(|| format!("writing {}", side.display()))?;
    Ok(side)
}
