use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ml4t_engine::Engine;
use ml4t_engine::broker::SimulationBroker;
use ml4t_engine::execution::BrokerConfig;
use ml4t_engine::feed::HistoricalFeed;
use ml4t_engine::results::RunResult;
use ml4t_engine::results::json::RunLabel;
use ml4t_engine::results::metrics::MetricsOptions;
use ml4t_engine::strategy::hybrid::Hybrid;
use ml4t_engine::strategy::rules::{Rule, SignalStrategy};
use ml4t_preset::Preset;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use crate::callback::{Cursor, Hooks, PyCallback, event_objects};
use crate::data::{Data, file_name};
use crate::output::RunOutput;
use crate::{DataError, StrategyError};

/// How often the waiting Python thread looks for Ctrl+C while a run works without the GIL.
const SIGNAL_POLL: Duration = Duration::from_millis(10);

pub fn strategy_err(e: impl std::fmt::Display) -> PyErr {
    StrategyError::new_err(e.to_string())
}

/// Runs `work` on a scoped thread with the GIL released; the calling (main) thread wakes every
/// [`SIGNAL_POLL`] to run Python's signal handlers, and raises the cancel flag on Ctrl+C, so a
/// long run stops within milliseconds with `KeyboardInterrupt`.
pub fn detached<T: Send>(py: Python<'_>, work: impl FnOnce(&AtomicBool) -> T + Send) -> PyResult<T> {
    detached_with(py, &AtomicBool::new(false), |_| {}, work)
}

/// [`detached`] raising `cancel` (a live feed's stop flag) on Ctrl+C, and calling `tick` on the
/// calling thread with the GIL at every poll and once at the end (to pass on a run's log).
pub fn detached_with<T: Send>(
    py: Python<'_>,
    cancel: &AtomicBool,
    mut tick: impl FnMut(Python<'_>) + Send,
    work: impl FnOnce(&AtomicBool) -> T + Send,
) -> PyResult<T> {
    let outcome = py.detach(|| {
        std::thread::scope(|s| {
            let waiter = std::thread::current();
            let cancel = &cancel;
            let handle = s.spawn(move || {
                let out = work(cancel);
                waiter.unpark();
                out
            });
            let mut interrupt = None;
            while !handle.is_finished() {
                std::thread::park_timeout(SIGNAL_POLL);
                let signals = Python::attach(|py| {
                    tick(py);
                    py.check_signals()
                });
                if interrupt.is_none()
                    && let Err(e) = signals
                {
                    cancel.store(true, Ordering::Relaxed);
                    interrupt = Some(e);
                }
            }
            Python::attach(&mut tick);
            (handle.join(), interrupt)
        })
    });
    match outcome {
        (_, Some(interrupt)) => Err(interrupt),
        (Ok(out), None) => Ok(out),
        (Err(_), None) => Err(PyRuntimeError::new_err(
            "the run stopped on an internal error (a panic)",
        )),
    }
}

fn label(scenario: &str, data: &Data, seconds: f64) -> RunLabel {
    RunLabel {
        scenario: scenario.to_owned(),
        data: data.name.clone(),
        seconds,
    }
}

pub fn broker_of(json: &str) -> PyResult<BrokerConfig> {
    let config: BrokerConfig = serde_json::from_str(json).map_err(|e| strategy_err(format!("broker settings: {e}")))?;
    config
        .validate()
        .map_err(|e| strategy_err(format!("broker settings: {e}")))?;
    Ok(config)
}

/// A preset for a strategy built in Python: the same document the workbench saves, so rules
/// from Python run through exactly the preset's path (one schema).
fn preset_of(name: &str, data: &Data, strategy: SignalStrategy, broker: BrokerConfig) -> Preset {
    let mut preset = Preset::new(name, PathBuf::from(&data.name), strategy);
    preset.broker = broker;
    preset
}

/// Runs a `SignalStrategy` (the preset's serde model, as JSON) with the GIL released.
#[pyfunction]
#[pyo3(signature = (data, strategy_json, broker_json, scenario="python".to_owned()))]
pub fn run_rules(
    py: Python<'_>,
    data: &Data,
    strategy_json: &str,
    broker_json: &str,
    scenario: String,
) -> PyResult<RunOutput> {
    let strategy: SignalStrategy =
        serde_json::from_str(strategy_json).map_err(|e| strategy_err(format!("strategy: {e}")))?;
    let preset = preset_of(&scenario, data, strategy, broker_of(broker_json)?);
    run_preset_on(py, preset, Path::new("."), data, scenario)
}

fn run_preset_on(
    py: Python<'_>,
    preset: Preset,
    preset_file: &Path,
    data: &Data,
    scenario: String,
) -> PyResult<RunOutput> {
    let bars = data.bars.clone();
    let (result, seconds) = detached(py, |cancel| {
        let started = Instant::now();
        let mut engine = Engine::new().cancel_flag(cancel);
        let r = ml4t_preset::run::run(&preset, preset_file, &bars, &mut engine);
        (r, started.elapsed().as_secs_f64())
    })?;
    let result = result.map_err(strategy_err)?;
    Ok(RunOutput::new(
        result,
        label(&scenario, data, seconds),
        preset.metrics,
        data.bars.clone(),
        preset.name,
    ))
}

/// Runs a preset file, on `frame` when given (read with the preset's own load options: its
/// signals, assets and column mapping) or on the data file the preset names: what the workbench
/// and `ml4t run` run.
#[pyfunction]
#[pyo3(signature = (path, frame=None, name=None))]
pub fn run_preset(
    py: Python<'_>,
    path: PathBuf,
    frame: Option<&Bound<'_, PyAny>>,
    name: Option<String>,
) -> PyResult<RunOutput> {
    let preset = ml4t_preset::load(&path).map_err(strategy_err)?;
    let scenario = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let opts = preset.load_options().map_err(strategy_err)?;
    let data = match frame {
        Some(frame) => crate::data::load_frame_with(py, frame, name.unwrap_or_else(|| "<DataFrame>".into()), &opts)?,
        None => {
            let file = preset.data_path(&path);
            let loaded = py
                .detach(|| ml4t_data::load(&file, &opts))
                .map_err(|e| DataError::new_err(e.to_string()))?;
            Data {
                bars: std::sync::Arc::new(loaded.bars),
                name: file_name(&file),
            }
        }
    };
    run_preset_on(py, preset, &path, &data, scenario)
}

/// Runs a Python strategy object: `on_market_data(event)` per bar, behind a compiled `filter`
/// (rules as JSON) when given (the hybrid: the callback sees only the bars that pass).
#[pyfunction]
#[pyo3(signature = (data, strategy, broker_json, filter_json=None, scenario="python".to_owned()))]
pub fn run_callback(
    py: Python<'_>,
    data: &Data,
    strategy: &Bound<'_, PyAny>,
    broker_json: &str,
    filter_json: Option<&str>,
    scenario: String,
) -> PyResult<RunOutput> {
    let config = broker_of(broker_json)?;
    let cursor = Cursor::fixed(&data.bars);
    let (event, account) = event_objects(py, data.bars.assets(), data.bars.signal_names(), &cursor)?;
    strategy.call_method1("_bind", (&account,))?;
    let hooks = Hooks::of(strategy)?;
    let callback = PyCallback::new(hooks, event, account, cursor);
    let bars = &data.bars;
    let started = Instant::now();
    let mut broker = SimulationBroker::new(config, bars.assets().len());
    let mut feed = HistoricalFeed::new(bars);
    let (result, error) = match filter_json {
        Some(json) => {
            let filter: Vec<Rule> =
                serde_json::from_str(json).map_err(|e| strategy_err(format!("filter rules: {e}")))?;
            let mut hybrid = Hybrid::compile(&filter, bars, callback).map_err(strategy_err)?;
            let r = Engine::new().run(&mut feed, &mut broker, &mut hybrid);
            (r, hybrid.callback().error.as_ref().map(|e| e.clone_ref(py)))
        }
        None => {
            let mut callback = callback;
            let r = Engine::new().run(&mut feed, &mut broker, &mut callback);
            (r, callback.error)
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    strategy.call_method0("_unbind")?;
    if let Some(e) = error {
        return Err(e);
    }
    let result: RunResult = result.map_err(strategy_err)?;
    Ok(RunOutput::new(
        result,
        label(&scenario, data, seconds),
        MetricsOptions::default(),
        data.bars.clone(),
        scenario,
    ))
}
