//! Sweeps from Python: one row per combination, params as columns, through `ml4t-sweep`'s
//! `run_sweep` with the GIL released. A `[start, end)` slice of the combinations runs alone, so
//! the Python layer can fan chunks out over a Dask cluster and get the same rows back.

use std::path::{Path, PathBuf};

use ml4t_engine::execution::BrokerConfig;
use ml4t_engine::strategy::rules::SignalStrategy;
use ml4t_preset::Preset;
use ml4t_stats::OverfitOptions;
use ml4t_stats::walkforward::{WalkForwardSpec, WindowMode};
use ml4t_sweep::{Objective, SweepDef, SweepOptions, SweepPlan, WalkForwardOptions, run_sweep, run_walk_forward};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::StrategyError;
use crate::data::Data;
use crate::run::detached;

fn err(e: impl std::fmt::Display) -> PyErr {
    StrategyError::new_err(e.to_string())
}

/// The preset a sweep varies: a preset file, or rules and a broker built in Python.
fn preset_of(preset_path: Option<&Path>, strategy_json: Option<&str>, broker_json: Option<&str>) -> PyResult<Preset> {
    if let Some(path) = preset_path {
        return ml4t_preset::load(path).map_err(err);
    }
    let strategy: SignalStrategy = serde_json::from_str(strategy_json.unwrap_or("null"))
        .map_err(|e| err(format!("strategy: {e}; pass a SignalStrategy or a preset path")))?;
    let broker: BrokerConfig = match broker_json {
        Some(b) => serde_json::from_str(b).map_err(|e| err(format!("broker settings: {e}")))?,
        None => BrokerConfig::default(),
    };
    let mut preset = Preset::new("python sweep", PathBuf::from("."), strategy);
    preset.broker = broker;
    Ok(preset)
}

fn plan_of(preset: &Preset, params: Vec<(String, String)>, constraints: Vec<String>) -> PyResult<SweepPlan> {
    SweepDef {
        params,
        constraints,
        random: None,
    }
    .plan(preset)
    .map_err(err)
}

/// The preset, the resolved plan and the objective of a sweep or walk-forward.
fn prepare(
    preset_path: &Option<PathBuf>,
    strategy_json: Option<&str>,
    broker_json: Option<&str>,
    params: Vec<(String, String)>,
    constraints: Vec<String>,
    objective: &str,
) -> PyResult<(Preset, SweepPlan, Objective)> {
    let preset = preset_of(preset_path.as_deref(), strategy_json, broker_json)?;
    let plan = plan_of(&preset, params, constraints)?;
    let objective = Objective::parse(objective, true).map_err(err)?;
    Ok((preset, plan, objective))
}

/// The number of combinations and the parameter paths, for chunking.
#[pyfunction]
#[pyo3(signature = (params, constraints, preset_path=None, strategy_json=None, broker_json=None))]
pub fn sweep_plan(
    params: Vec<(String, String)>,
    constraints: Vec<String>,
    preset_path: Option<PathBuf>,
    strategy_json: Option<&str>,
    broker_json: Option<&str>,
) -> PyResult<(usize, Vec<String>)> {
    let preset = preset_of(preset_path.as_deref(), strategy_json, broker_json)?;
    let plan = plan_of(&preset, params, constraints)?;
    Ok((
        plan.combos.len(),
        plan.paths.iter().map(|p| p.as_str().to_owned()).collect(),
    ))
}

/// Runs combinations `[start, end)` (all by default) on `data`; returns the rows as columns:
/// `combo`, one column per parameter path, and the metrics as a JSON array (one object a row).
#[pyfunction]
#[pyo3(signature = (data, params, constraints, objective, preset_path=None, strategy_json=None, broker_json=None, start=0, end=None, threads=0))]
#[allow(clippy::too_many_arguments)]
pub fn sweep_rows<'py>(
    py: Python<'py>,
    data: &Data,
    params: Vec<(String, String)>,
    constraints: Vec<String>,
    objective: &str,
    preset_path: Option<PathBuf>,
    strategy_json: Option<&str>,
    broker_json: Option<&str>,
    start: usize,
    end: Option<usize>,
    threads: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let (preset, mut plan, objective) =
        prepare(&preset_path, strategy_json, broker_json, params, constraints, objective)?;
    let n = plan.combos.len();
    let end = end.unwrap_or(n).min(n);
    if start > end {
        return Err(err(format!(
            "sweep chunk [{start}, {end}) is empty or reversed (there are {n} combinations)"
        )));
    }
    // A chunk is its own (non-grid) plan: rows come back in combination order, offset by `start`.
    plan.combos = plan.combos[start..end].to_vec();
    plan.grid = plan.grid && start == 0 && end == n;
    let file = preset_path.unwrap_or_else(|| PathBuf::from("."));
    let bars = data.bars.clone();
    let out = detached(py, |cancel| {
        let opts = SweepOptions {
            threads,
            keep_returns: false,
            overfit: OverfitOptions::default(),
            progress: None,
            cancel: Some(cancel),
        };
        run_sweep(&preset, &file, &bars, &plan, &objective, &opts)
    })?
    .map_err(err)?;
    let d = PyDict::new(py);
    d.set_item("combo", out.rows.iter().map(|r| r.combo + start).collect::<Vec<_>>())?;
    for (k, path) in plan.paths.iter().enumerate() {
        d.set_item(path.as_str(), out.rows.iter().map(|r| r.params[k]).collect::<Vec<_>>())?;
    }
    let metrics: Vec<_> = out.rows.iter().map(|r| &r.metrics).collect();
    d.set_item("metrics_json", serde_json::to_string(&metrics).map_err(err)?)?;
    d.set_item("cancelled", out.cancelled)?;
    Ok(d)
}

/// Walk-forward: per fold, the sweep on the train window picks the best combination by the
/// objective, which then runs on the test window. Returns one row per fold as columns (fold
/// windows as ns timestamps, the chosen params, in- and out-of-sample objective, test trades and
/// final equity).
#[pyfunction]
#[pyo3(signature = (data, params, constraints, objective, train, test, anchored=false, embargo_bars=0, carry_equity=false, preset_path=None, strategy_json=None, broker_json=None, threads=0))]
#[allow(clippy::too_many_arguments)]
pub fn walk_forward_rows<'py>(
    py: Python<'py>,
    data: &Data,
    params: Vec<(String, String)>,
    constraints: Vec<String>,
    objective: &str,
    train: &str,
    test: &str,
    anchored: bool,
    embargo_bars: usize,
    carry_equity: bool,
    preset_path: Option<PathBuf>,
    strategy_json: Option<&str>,
    broker_json: Option<&str>,
    threads: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let (preset, plan, objective) = prepare(&preset_path, strategy_json, broker_json, params, constraints, objective)?;
    let mode = if anchored {
        WindowMode::Anchored
    } else {
        WindowMode::Rolling
    };
    let spec = WalkForwardSpec::parse(train, test, mode, embargo_bars).map_err(err)?;
    let file = preset_path.unwrap_or_else(|| PathBuf::from("."));
    let bars = data.bars.clone();
    let out = detached(py, |cancel| {
        let opts = WalkForwardOptions {
            spec,
            carry_equity,
            threads,
            progress: None,
            cancel: Some(cancel),
        };
        run_walk_forward(&preset, &file, &bars, &plan, &objective, &opts)
    })?
    .map_err(err)?;
    let f = &out.folds;
    let d = PyDict::new(py);
    d.set_item("fold", (0..f.len()).collect::<Vec<_>>())?;
    d.set_item("train_start", f.iter().map(|x| x.train_first_ts.0).collect::<Vec<_>>())?;
    d.set_item("train_end", f.iter().map(|x| x.train_last_ts.0).collect::<Vec<_>>())?;
    d.set_item("test_start", f.iter().map(|x| x.test_first_ts.0).collect::<Vec<_>>())?;
    d.set_item("test_end", f.iter().map(|x| x.test_last_ts.0).collect::<Vec<_>>())?;
    for (k, path) in out.paths.iter().enumerate() {
        d.set_item(path.as_str(), f.iter().map(|x| x.params[k]).collect::<Vec<_>>())?;
    }
    d.set_item("is_value", f.iter().map(|x| x.is_value).collect::<Vec<_>>())?;
    d.set_item("oos_value", f.iter().map(|x| x.oos_value).collect::<Vec<_>>())?;
    d.set_item("test_trades", f.iter().map(|x| x.test_trades).collect::<Vec<_>>())?;
    d.set_item(
        "test_final_equity",
        f.iter().map(|x| x.test_final_equity).collect::<Vec<_>>(),
    )?;
    Ok(d)
}
