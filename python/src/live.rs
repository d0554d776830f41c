//! Live paper trading from Python: the feed's settings (`LiveSource`), a signal computer (any
//! Python object with `compute(bar) -> dict[str, float]`) behind `ml4t-live`'s `SignalComputer`,
//! the run (`run_paper_computing`, exactly `ml4t paper`'s loop and journal), and a replay server
//! for tests and examples.
//!
//! The engine runs on a worker thread without the GIL; it attaches to Python only to call the
//! model and the strategy's callbacks. The calling thread waits for it and runs Python's signal
//! handlers every few milliseconds: Ctrl+C raises the feed's stop flag, the run ends after the
//! timestamp in progress (journal intact) and `KeyboardInterrupt` is raised.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ml4t_engine::market::{Bar, BarSlice};
use ml4t_engine::results::json::RunLabel;
use ml4t_engine::results::metrics::MetricsOptions;
use ml4t_engine::strategy::Strategy;
use ml4t_engine::strategy::hybrid::LiveHybrid;
use ml4t_engine::strategy::rules::{Rule, SignalStrategy};
use ml4t_engine::types::SignalId;
use ml4t_live::{
    FeedEvent, LiveError, LiveFeedConfig, PaperConfig, ReplayOptions, SignalComputer, first_timestamp_names,
    run_paper_computing,
};
use ml4t_preset::StrategySpec;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyString};

use crate::callback::{Cursor, Hooks, PyCallback, event_objects};
use crate::data::Data;
use crate::output::RunOutput;
use crate::run::{broker_of, detached_with, strategy_err};

pyo3::create_exception!(
    _core,
    LiveRunError,
    pyo3::exceptions::PyRuntimeError,
    "A live run could not start or stopped: the connection gave up, the journal is in use, damaged \
     or of another setup."
);

fn live_err(e: LiveError) -> PyErr {
    match e {
        LiveError::Config(m) => PyValueError::new_err(format!("live settings: {m}")),
        other => LiveRunError::new_err(other.to_string()),
    }
}

fn seconds(what: &str, v: f64, zero_ok: bool) -> PyResult<Duration> {
    if v.is_finite() && (v > 0.0 || (zero_ok && v == 0.0)) {
        Ok(Duration::from_secs_f64(v))
    } else {
        let need = if zero_ok { ">= 0" } else { "> 0" };
        Err(PyValueError::new_err(format!(
            "{what} must be a number of seconds {need}, got {v}"
        )))
    }
}

/// The stop flag of a live feed: raising it ends the run after the timestamp in progress.
#[pyclass(frozen, module = "ml4t_rs._core")]
pub struct StopFlag(Arc<AtomicBool>);

#[pymethods]
impl StopFlag {
    #[new]
    fn new() -> Self {
        StopFlag(Arc::new(AtomicBool::new(false)))
    }
    fn set(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
    fn clear(&self) {
        self.0.store(false, Ordering::Relaxed);
    }
    #[getter]
    fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// A live feed's settings, checked once.
#[pyclass(frozen, module = "ml4t_rs._core")]
pub struct LiveSource {
    url: String,
    assets: Option<Vec<String>>,
    signals: Option<Vec<String>>,
    computer: Option<Py<PyAny>>,
    computed: Vec<String>,
    exit_at_end: bool,
    max_attempts: u32,
    read_timeout: Duration,
    max_clock_skew: Option<Duration>,
    stop: Arc<AtomicBool>,
}

#[pymethods]
impl LiveSource {
    #[new]
    #[pyo3(signature = (url, stop, assets=None, signals=None, computer=None, computed=Vec::new(), exit_at_end=true, max_attempts=10, read_timeout=15.0, max_clock_skew=86_400.0))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        url: String,
        stop: &StopFlag,
        assets: Option<Vec<String>>,
        signals: Option<Vec<String>>,
        computer: Option<Bound<'_, PyAny>>,
        computed: Vec<String>,
        exit_at_end: bool,
        max_attempts: u32,
        read_timeout: f64,
        max_clock_skew: f64,
    ) -> PyResult<Self> {
        if let Some(c) = &computer
            && !c.getattr("compute").is_ok_and(|f| f.is_callable())
        {
            let ty = c.get_type().name()?;
            return Err(PyValueError::new_err(format!(
                "signal_computer: a {ty} has no compute(bar) method; give an object whose compute(bar) returns \
                 a dict of signal name -> float"
            )));
        }
        if computer.is_none() && !computed.is_empty() {
            return Err(PyValueError::new_err(
                "computed signals need a signal_computer to compute them",
            ));
        }
        if computer.is_some() && computed.is_empty() {
            return Err(PyValueError::new_err(
                "name the signals the signal_computer returns: give it a `signals` attribute (a list of names) \
                 or pass computed_signals=[...]",
            ));
        }
        for (i, n) in computed.iter().enumerate() {
            if n.is_empty() || computed[..i].contains(n) {
                return Err(PyValueError::new_err(format!(
                    "computed signal names must be unique and not empty: {computed:?}"
                )));
            }
        }
        if let (Some(own), false) = (&signals, computed.is_empty())
            && let Some(both) = own.iter().find(|s| computed.contains(s))
        {
            return Err(PyValueError::new_err(format!(
                "the signal '{both}' is both read from the feed (signals=...) and computed by the signal_computer; \
                 leave it out of signals"
            )));
        }
        if max_attempts == 0 {
            return Err(PyValueError::new_err("max_attempts must be at least 1"));
        }
        Ok(LiveSource {
            url,
            assets,
            signals,
            computer: computer.map(Bound::unbind),
            computed,
            exit_at_end,
            max_attempts,
            read_timeout: seconds("read_timeout", read_timeout, false)?,
            max_clock_skew: Some(seconds("max_clock_skew", max_clock_skew, true)?).filter(|d| !d.is_zero()),
            stop: stop.0.clone(),
        })
    }

    #[getter]
    fn url(&self) -> &str {
        &self.url
    }
    #[getter]
    fn computed(&self) -> Vec<String> {
        self.computed.clone()
    }
}

impl LiveSource {
    fn config(&self, assets: Vec<String>, signals: Vec<String>) -> LiveFeedConfig {
        let mut c = LiveFeedConfig::new(self.url.clone(), assets, signals);
        c.exit_at_end = self.exit_at_end;
        c.max_attempts = self.max_attempts;
        c.read_timeout = self.read_timeout;
        c.heartbeat = c.heartbeat.min(self.read_timeout / 3);
        c.max_clock_skew = self.max_clock_skew;
        c.stop = self.stop.clone();
        c
    }

    /// Asset names (sorted) and the signals read from the feed: as given, else those of the feed's
    /// first timestamp (less the computed ones, which the model replaces).
    fn names(&self, py: Python<'_>) -> PyResult<(Vec<String>, Vec<String>)> {
        let (mut assets, signals) = match (&self.assets, &self.signals) {
            (Some(a), Some(s)) => (a.clone(), s.clone()),
            _ => {
                let probe = self.config(Vec::new(), Vec::new());
                let (a, s) = detached_with(py, &self.stop, |_| {}, |_| first_timestamp_names(&probe))?.map_err(|e| {
                    LiveRunError::new_err(format!(
                        "reading the asset and signal names from the feed's first timestamp: {e}; pass assets=[...] \
                         and signals=[...] to LiveDataFeed"
                    ))
                })?;
                let s = s.into_iter().filter(|n| !self.computed.contains(n)).collect();
                (self.assets.clone().unwrap_or(a), self.signals.clone().unwrap_or(s))
            }
        };
        assets.sort();
        assets.dedup();
        Ok((assets, signals))
    }
}

/// One asset's bar as the signal computer gets it: a new object per bar (a model may keep it).
#[pyclass(frozen, module = "ml4t_rs._core")]
pub struct LiveBar {
    #[pyo3(get)]
    asset: Py<PyString>,
    /// `YYYY-MM-DDTHH:MM:SS` (UTC).
    #[pyo3(get)]
    timestamp: String,
    #[pyo3(get)]
    timestamp_ns: i64,
    #[pyo3(get)]
    open: f64,
    #[pyo3(get)]
    high: f64,
    #[pyo3(get)]
    low: f64,
    #[pyo3(get)]
    close: f64,
    #[pyo3(get)]
    volume: f64,
    /// The signals the feed sent with the bar (NaN when missing); a new dict per bar.
    #[pyo3(get)]
    signals: Py<PyDict>,
}

#[pymethods]
impl LiveBar {
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "LiveBar(asset={}, timestamp={}, open={}, high={}, low={}, close={}, volume={})",
            self.asset.bind(py),
            self.timestamp,
            self.open,
            self.high,
            self.low,
            self.close,
            self.volume
        )
    }
}

/// A Python model behind [`SignalComputer`]: `compute(bar)` per asset's bar, its dict checked.
struct PyComputer {
    compute: Option<Py<PyAny>>,
    names: Vec<String>,
    keys: Vec<Py<PyString>>,
    own: Vec<Py<PyString>>,
    assets: Vec<Py<PyString>>,
    /// The Python exception that stopped the run (the model's own, or a ValueError about its result).
    error: Option<PyErr>,
}

impl PyComputer {
    fn new(py: Python<'_>, source: &LiveSource, assets: &[String], own: &[String]) -> PyResult<Self> {
        let intern = |names: &[String]| names.iter().map(|n| PyString::intern(py, n).unbind()).collect();
        Ok(PyComputer {
            compute: match &source.computer {
                Some(c) => Some(c.bind(py).getattr("compute")?.unbind()),
                None => None,
            },
            names: source.computed.clone(),
            keys: intern(&source.computed),
            own: intern(own),
            assets: intern(assets),
            error: None,
        })
    }

    fn bar<'py>(&self, py: Python<'py>, b: &Bar<'_>) -> PyResult<Bound<'py, LiveBar>> {
        let signals = PyDict::new(py);
        for (i, name) in self.own.iter().enumerate() {
            signals.set_item(name.bind(py), b.signal(SignalId(i as u32)))?;
        }
        Bound::new(
            py,
            LiveBar {
                asset: self.assets[b.asset().index()].clone_ref(py),
                timestamp: b.ts().to_iso(),
                timestamp_ns: b.ts().0,
                open: b.open(),
                high: b.high(),
                low: b.low(),
                close: b.close(),
                volume: b.volume(),
                signals: signals.unbind(),
            },
        )
    }

    /// Checks `compute`'s result for `b` and writes it to `out`, in `names` order.
    fn read(&self, got: &Bound<'_, PyAny>, b: &Bar<'_>, out: &mut [f64]) -> PyResult<()> {
        let py = got.py();
        let at = || format!("{} at {}", b.asset_name(), b.ts());
        let declared = || self.names.join(", ");
        let Ok(dict) = got.cast::<PyDict>() else {
            return Err(PyValueError::new_err(format!(
                "signal_computer.compute returned a {} for {}; return a dict of signal name -> float with the keys \
                 {}",
                got.get_type().name()?,
                at(),
                declared()
            )));
        };
        for ((key, name), slot) in self.keys.iter().zip(&self.names).zip(out.iter_mut()) {
            let Some(v) = dict.get_item(key.bind(py))? else {
                return Err(PyValueError::new_err(format!(
                    "signal_computer.compute returned no '{name}' for {}; it must return every declared signal \
                     ({})",
                    at(),
                    declared()
                )));
            };
            let number = if v.is_instance_of::<PyBool>() {
                None
            } else {
                v.extract::<f64>().ok()
            };
            let Some(x) = number else {
                return Err(PyValueError::new_err(format!(
                    "signal_computer.compute returned {} (a {}) as '{name}' for {}; return a float (float('nan') \
                     for a missing value)",
                    v.repr()?,
                    v.get_type().name()?,
                    at()
                )));
            };
            *slot = x;
        }
        if dict.len() > self.names.len() {
            for key in dict.keys() {
                let known = key.extract::<&str>().is_ok_and(|k| self.names.iter().any(|n| n == k));
                if !known {
                    return Err(PyValueError::new_err(format!(
                        "signal_computer.compute returned {} for {}, which is not a declared signal ({}); declare it \
                         (the model's `signals`, or computed_signals=[...]) or leave it out",
                        key.repr()?,
                        at(),
                        declared()
                    )));
                }
            }
        }
        Ok(())
    }
}

impl SignalComputer for PyComputer {
    fn names(&self) -> &[String] {
        &self.names
    }

    fn compute(&mut self, bars: &BarSlice<'_>, out: &mut [f64]) -> Result<(), String> {
        let Some(compute) = &self.compute else {
            return Ok(());
        };
        let n = self.names.len();
        let outcome = Python::attach(|py| -> PyResult<()> {
            let compute = compute.bind(py);
            for (i, b) in bars.iter().enumerate() {
                let got = compute.call1((self.bar(py, &b)?,))?;
                self.read(&got, &b, &mut out[i * n..(i + 1) * n])?;
            }
            Ok(())
        });
        outcome.map_err(|e| {
            let message = e.to_string();
            self.error = Some(e);
            message
        })
    }
}

/// The strategy of a live run, kept concrete so that a callback's Python exception can be taken
/// back after the run.
enum LiveStrategy {
    Rules(Box<dyn Strategy + Send>),
    Callback(PyCallback),
    Hybrid(Box<LiveHybrid<PyCallback>>),
}

impl LiveStrategy {
    fn as_dyn(&mut self) -> &mut (dyn Strategy + Send) {
        match self {
            LiveStrategy::Rules(s) => s.as_mut(),
            LiveStrategy::Callback(s) => s,
            LiveStrategy::Hybrid(s) => s.as_mut(),
        }
    }

    /// The exception a Python callback raised, which stopped the run.
    fn python_error(&mut self, py: Python<'_>) -> Option<PyErr> {
        match self {
            LiveStrategy::Rules(_) => None,
            LiveStrategy::Callback(s) => s.error.take(),
            LiveStrategy::Hybrid(s) => s.callback().error.as_ref().map(|e| e.clone_ref(py)),
        }
    }
}

/// Runs a strategy live: compiled-rule JSON (`strategy_json`) or a Python `Strategy` object
/// (`callback`, behind the `filter_json` rules when given), with a paper broker journaling to
/// `journal` (resumed when it has records).
#[pyfunction]
#[pyo3(signature = (feed, broker_json, strategy_id, journal=None, strategy_json=None, callback=None, filter_json=None, scenario="python".to_owned()))]
#[allow(clippy::too_many_arguments)]
pub fn run_live(
    py: Python<'_>,
    feed: &LiveSource,
    broker_json: &str,
    strategy_id: String,
    journal: Option<PathBuf>,
    strategy_json: Option<&str>,
    callback: Option<&Bound<'_, PyAny>>,
    filter_json: Option<&str>,
    scenario: String,
) -> PyResult<RunOutput> {
    let broker = broker_of(broker_json)?;
    let (assets, own) = feed.names(py)?;
    let mut all = own.clone();
    all.extend_from_slice(&feed.computed);
    let mut computer = PyComputer::new(py, feed, &assets, &own)?;
    // The strategy's helpers are bound to the account once nothing can fail before the run.
    let mut bind = None;
    let mut strategy = match (strategy_json, callback) {
        (Some(json), None) => {
            let rules: SignalStrategy =
                serde_json::from_str(json).map_err(|e| strategy_err(format!("strategy: {e}")))?;
            LiveStrategy::Rules(
                ml4t_preset::run::build_live_strategy(&StrategySpec::Rules(rules), &all, assets.len(), Path::new("."))
                    .map_err(strategy_err)?,
            )
        }
        (None, Some(object)) => {
            let cursor = Cursor::live();
            let (event, account) = event_objects(py, &assets, &all, &cursor)?;
            bind = Some((object, account.clone_ref(py)));
            let callback = PyCallback::new(Hooks::of(object)?, event, account, cursor);
            match filter_json {
                Some(json) => {
                    let filter: Vec<Rule> =
                        serde_json::from_str(json).map_err(|e| strategy_err(format!("filter rules: {e}")))?;
                    LiveStrategy::Hybrid(Box::new(
                        LiveHybrid::new(&filter, &all, assets.len(), callback).map_err(strategy_err)?,
                    ))
                }
                None => LiveStrategy::Callback(callback),
            }
        }
        _ => {
            return Err(PyValueError::new_err(
                "run_live needs exactly one of strategy_json and callback",
            ));
        }
    };
    let (events, log) = sync_channel(1024);
    let mut live_feed = feed.config(assets, own);
    live_feed.events = Some(events);
    let config = PaperConfig {
        feed: live_feed,
        broker,
        journal,
        strategy_id,
    };
    if let Some((object, account)) = &bind {
        object.call_method1("_bind", (account,))?;
    }
    let started = Instant::now();
    let outcome = detached_with(
        py,
        &feed.stop,
        move |py| pass_on(py, &log),
        |_| {
            // One thread state for the whole run, released except while Python code runs.
            Python::attach(|py| py.detach(|| run_paper_computing(config, strategy.as_dyn(), None, &mut computer)))
        },
    );
    if let Some((object, _)) = bind {
        object.call_method0("_unbind")?;
    }
    let run = outcome?;
    if let Some(e) = computer.error.take() {
        return Err(e);
    }
    if let Some(e) = strategy.python_error(py) {
        return Err(e);
    }
    let run = run.map_err(live_err)?;
    let bars = Arc::new(
        run.bars
            .ok_or_else(|| PyRuntimeError::new_err("the live run kept no bars"))?,
    );
    let label = RunLabel {
        scenario: scenario.clone(),
        data: feed.url.clone(),
        seconds: started.elapsed().as_secs_f64(),
    };
    Ok(RunOutput::new(run.result, label, MetricsOptions::default(), bars, scenario).replayed(run.replayed_timestamps))
}

/// Passes the feed's connection events on to Python's `logging` (logger `ml4t_rs.live`):
/// connections at INFO, lost connections, retries and rejected messages at WARNING.
fn pass_on(py: Python<'_>, log: &Receiver<FeedEvent>) {
    let mut logger = None;
    while let Ok(ev) = log.try_recv() {
        if logger.is_none() {
            logger = py
                .import("logging")
                .and_then(|m| m.call_method1("getLogger", ("ml4t_rs.live",)))
                .ok();
        }
        let Some(logger) = &logger else { return };
        let level = match ev {
            FeedEvent::Connected { .. } | FeedEvent::EndOfStream { .. } | FeedEvent::Waiting { .. } => "info",
            _ => "warning",
        };
        // Logging never stops a run.
        let _ = logger.call_method1(level, (ev.to_string(),));
    }
}

/// A replay server streaming loaded bars in the live protocol (what `ml4t replay` runs).
#[pyclass(frozen, module = "ml4t_rs._core")]
pub struct ReplayServer {
    server: Mutex<Option<ml4t_live::ReplayServer>>,
    url: String,
    port: u16,
}

#[pymethods]
impl ReplayServer {
    #[new]
    #[pyo3(signature = (data, rate=None, port=0, bind="127.0.0.1", stop_after_bars=None))]
    fn new(
        py: Python<'_>,
        data: &Data,
        rate: Option<f64>,
        port: u16,
        bind: &str,
        stop_after_bars: Option<usize>,
    ) -> PyResult<Self> {
        if let Some(r) = rate
            && !(r.is_finite() && r > 0.0)
        {
            return Err(PyValueError::new_err(format!(
                "rate must be a positive number of bars per second, got {r}"
            )));
        }
        let bind: IpAddr = bind
            .parse()
            .map_err(|e| PyValueError::new_err(format!("bind: '{bind}' is not an IP address ({e})")))?;
        let opts = ReplayOptions {
            bind,
            port,
            rate,
            stop_after_bars,
            ..ReplayOptions::default()
        };
        let bars = data.bars.clone();
        let server = py.detach(|| ml4t_live::serve(bars, opts)).map_err(live_err)?;
        Ok(ReplayServer {
            url: server.url(),
            port: server.port(),
            server: Mutex::new(Some(server)),
        })
    }

    /// `ws://ADDR:PORT`.
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }
    #[getter]
    fn port(&self) -> u16 {
        self.port
    }
    /// True once the server stopped (`stop`, or `stop_after_bars` reached).
    #[getter]
    fn is_stopped(&self) -> bool {
        self.lock().as_ref().is_none_or(ml4t_live::ReplayServer::is_stopped)
    }
    /// Stops the server and closes every connection (abruptly, as a server going away).
    fn stop(&self, py: Python<'_>) {
        let server = self.lock().take();
        py.detach(|| drop(server));
    }
}

impl ReplayServer {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<ml4t_live::ReplayServer>> {
        self.server.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
