//! A Python `Strategy` subclass behind the engine's `Strategy` trait. Per bar the engine moves a
//! shared cursor (the bar's row) and calls `on_market_data(event)` with the SAME `event` object
//! every time: `event.asset_id`, `event.data.close` and `event.data.signals['ml_pred']` are
//! getters reading the row's columns, so a bar allocates no Python object but the floats it
//! returns. Signal names are matched by string identity first (literals and the names we hand out
//! are interned), so `signals['ml_pred']` is a pointer compare and an index, not a dict lookup.
//!
//! Each call attaches to Python itself (a counter increment when the thread already holds the
//! GIL, as in a backtest), so the same strategy runs on a live feed's thread, which holds the GIL
//! only during calls.

use std::sync::Arc;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

use ml4t_engine::execution::Fill;
use ml4t_engine::market::{Bar, Bars};
use ml4t_engine::strategy::{Context, Strategy, StrategyError, StrategyResult};
use ml4t_engine::types::{AssetId, SignalId};
use pyo3::exceptions::{PyKeyError, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

/// Bars between two `check_signals` calls when the callback itself runs no Python bytecode that
/// would notice a pending Ctrl+C (about 0.1 ms at 1M bars/s).
const SIGNAL_CHECK_BARS: u32 = 128;

/// The bar the event objects show: a row of some `Bars`. In a backtest the bars are fixed and
/// `anchor` keeps them alive as long as any event object lives (a kept event reads a valid, if
/// stale, row). On a live feed the bars are refilled every timestamp, so the pointer is set only
/// while a callback runs, and set and cleared with the GIL held: Python never reads bars that the
/// engine is changing.
pub struct Cursor {
    row: AtomicUsize,
    bars: AtomicPtr<Bars>,
    anchor: Option<Arc<Bars>>,
}

impl Cursor {
    /// A backtest's cursor over `bars`.
    pub fn fixed(bars: &Arc<Bars>) -> Arc<Cursor> {
        Arc::new(Cursor {
            row: AtomicUsize::new(0),
            bars: AtomicPtr::new(Arc::as_ptr(bars).cast_mut()),
            anchor: Some(bars.clone()),
        })
    }

    /// A live run's cursor: shows a bar only during the callback that receives it.
    pub fn live() -> Arc<Cursor> {
        Arc::new(Cursor {
            row: AtomicUsize::new(0),
            bars: AtomicPtr::new(std::ptr::null_mut()),
            anchor: None,
        })
    }

    /// Shows `bar` (call with the GIL held; on a live feed, [`Cursor::hide`] before releasing it).
    fn show(&self, bar: &Bar<'_>) {
        self.row.store(bar.row(), Ordering::Relaxed);
        if self.anchor.is_none() {
            self.bars
                .store(std::ptr::from_ref(bar.source()).cast_mut(), Ordering::Relaxed);
        }
    }

    fn hide(&self) {
        if self.anchor.is_none() {
            self.bars.store(std::ptr::null_mut(), Ordering::Relaxed);
        }
    }

    /// The bars and row shown.
    fn get(&self) -> PyResult<(&Bars, usize)> {
        let p = self.bars.load(Ordering::Relaxed);
        if p.is_null() {
            return Err(PyRuntimeError::new_err(
                "a live bar's event is readable only during the on_market_data call that received it; \
                 copy the values you need (event.data.close, event.data.signals.to_dict())",
            ));
        }
        // SAFETY: non-null means either the anchor's bars (alive as long as `self`) or, on a live
        // feed, the bars of the callback running now, which the engine does not touch until the
        // callback returns and the pointer is cleared (both with the GIL held, as every read is).
        Ok((unsafe { &*p }, self.row.load(Ordering::Relaxed)))
    }
}

fn interned(py: Python<'_>, names: &[String]) -> Vec<Py<PyString>> {
    names.iter().map(|n| PyString::intern(py, n).unbind()).collect()
}

/// Finds `key` among `names`: by identity first (interned strings), then by value.
fn find(names: &[Py<PyString>], key: &Bound<'_, PyAny>) -> Option<usize> {
    let ptr = key.as_ptr();
    if let Some(i) = names.iter().position(|n| n.as_ptr() == ptr) {
        return Some(i);
    }
    let text = key.cast::<PyString>().ok()?.to_str().ok()?;
    let py = key.py();
    names.iter().position(|n| n.bind(py).to_str().is_ok_and(|s| s == text))
}

/// `event.data.signals`: a read-only mapping from signal name to the bar's value (NaN allowed).
#[pyclass(frozen, module = "ml4t_rs._core", mapping)]
pub struct Signals {
    cursor: Arc<Cursor>,
    names: Vec<Py<PyString>>,
    plain: Vec<String>,
}

impl Signals {
    fn value(&self, i: usize) -> PyResult<f64> {
        let (bars, row) = self.cursor.get()?;
        Ok(bars.signal_column(SignalId(i as u32))[row])
    }
}

#[pymethods]
impl Signals {
    fn __getitem__(&self, key: &Bound<'_, PyAny>) -> PyResult<f64> {
        match find(&self.names, key) {
            Some(i) => self.value(i),
            None => Err(PyKeyError::new_err(format!(
                "no signal {}; the data's signals: {}",
                key.repr().map_or_else(|_| key.to_string(), |r| r.to_string()),
                self.plain.join(", ")
            ))),
        }
    }
    #[pyo3(signature = (key, default=None))]
    fn get(&self, py: Python<'_>, key: &Bound<'_, PyAny>, default: Option<Py<PyAny>>) -> PyResult<Py<PyAny>> {
        Ok(match find(&self.names, key) {
            Some(i) => self.value(i)?.into_pyobject(py)?.into_any().unbind(),
            None => default.unwrap_or_else(|| py.None()),
        })
    }
    fn __contains__(&self, key: &Bound<'_, PyAny>) -> bool {
        find(&self.names, key).is_some()
    }
    fn __len__(&self) -> usize {
        self.names.len()
    }
    fn keys(&self, py: Python<'_>) -> Vec<Py<PyString>> {
        self.names.iter().map(|n| n.clone_ref(py)).collect()
    }
    fn __iter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let keys = self.keys(py);
        Ok(keys.into_pyobject(py)?.try_iter()?.into_any().unbind())
    }
    /// The bar's signals as a new dict (allocates: for inspection, not the hot path).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (i, n) in self.names.iter().enumerate() {
            d.set_item(n.bind(py), self.value(i)?)?;
        }
        Ok(d)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("Signals({})", self.to_dict(py)?.repr()?))
    }
}

/// `event.data`: the bar's prices and signals.
#[pyclass(frozen, module = "ml4t_rs._core")]
pub struct BarData {
    cursor: Arc<Cursor>,
    signals: Py<Signals>,
}

impl BarData {
    fn read(&self, column: fn(&Bars) -> &[f64]) -> PyResult<f64> {
        let (bars, row) = self.cursor.get()?;
        Ok(column(bars)[row])
    }
}

#[pymethods]
impl BarData {
    #[getter]
    fn open(&self) -> PyResult<f64> {
        self.read(Bars::open)
    }
    #[getter]
    fn high(&self) -> PyResult<f64> {
        self.read(Bars::high)
    }
    #[getter]
    fn low(&self) -> PyResult<f64> {
        self.read(Bars::low)
    }
    #[getter]
    fn close(&self) -> PyResult<f64> {
        self.read(Bars::close)
    }
    #[getter]
    fn volume(&self) -> PyResult<f64> {
        self.read(Bars::volume)
    }
    #[getter]
    fn signals(&self, py: Python<'_>) -> Py<Signals> {
        self.signals.clone_ref(py)
    }
    fn __repr__(&self) -> PyResult<String> {
        Ok(format!(
            "BarData(open={}, high={}, low={}, close={}, volume={})",
            self.open()?,
            self.high()?,
            self.low()?,
            self.close()?,
            self.volume()?
        ))
    }
}

/// The market event of one asset's bar, reused for every bar of a run.
#[pyclass(frozen, module = "ml4t_rs._core")]
pub struct Event {
    cursor: Arc<Cursor>,
    assets: Vec<Py<PyString>>,
    data: Py<BarData>,
}

#[pymethods]
impl Event {
    /// The asset's name (the same interned string object for every bar of that asset).
    #[getter]
    fn asset_id(&self, py: Python<'_>) -> PyResult<Py<PyString>> {
        let (bars, row) = self.cursor.get()?;
        Ok(self.assets[bars.asset_ids()[row].index()].clone_ref(py))
    }
    #[getter]
    fn data(&self, py: Python<'_>) -> Py<BarData> {
        self.data.clone_ref(py)
    }
    /// The bar's time in nanoseconds since 1970 (UTC).
    #[getter]
    fn timestamp_ns(&self) -> PyResult<i64> {
        let (bars, row) = self.cursor.get()?;
        Ok(bars.ts()[row])
    }
    /// The bar's time as `YYYY-MM-DDTHH:MM:SS` (UTC), as in the result JSON.
    #[getter]
    fn timestamp(&self) -> PyResult<String> {
        Ok(ml4t_engine::types::TimestampNs(self.timestamp_ns()?).to_iso())
    }
    /// The bar's 0-based row in the data (a backtest); on a live feed, in its timestamp.
    #[getter]
    fn row_index(&self) -> PyResult<usize> {
        Ok(self.cursor.get()?.1)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "MarketEvent(asset_id={}, timestamp={}, close={})",
            self.asset_id(py)?,
            self.timestamp()?,
            self.data.get().close()?
        ))
    }
}

/// The strategy's view of the account during a callback: the seed's helper methods. It points
/// at the engine's `Context` only while a callback runs (every access holds the GIL, and the
/// engine thread holds the GIL whenever it sets or clears the pointer).
#[pyclass(frozen, module = "ml4t_rs._core")]
pub struct Account {
    ctx: AtomicPtr<()>,
    assets: Vec<Py<PyString>>,
    names: Vec<String>,
}

impl Account {
    fn with<R>(&self, f: impl FnOnce(&mut Context<'_>) -> R) -> PyResult<R> {
        let p = self.ctx.load(Ordering::Relaxed);
        if p.is_null() {
            return Err(PyRuntimeError::new_err(
                "the account is only available inside a strategy callback (on_start, on_market_data, on_fill, on_end)",
            ));
        }
        // SAFETY: non-null only while `PyCallback::call` runs, which holds the `&mut Context` this
        // points to and does not touch it until the Python call returns.
        let ctx = unsafe { &mut *p.cast::<Context<'static>>() };
        Ok(f(ctx))
    }

    fn asset(&self, key: &Bound<'_, PyAny>) -> PyResult<AssetId> {
        find(&self.assets, key).map(|i| AssetId(i as u32)).ok_or_else(|| {
            let shown = key.repr().map_or_else(|_| key.to_string(), |r| r.to_string());
            PyKeyError::new_err(format!(
                "no asset {shown}; the data's assets: {}",
                self.names.join(", ")
            ))
        })
    }
}

#[pymethods]
impl Account {
    /// Signed quantity held (0 when flat).
    fn get_position(&self, asset: &Bound<'_, PyAny>) -> PyResult<f64> {
        let a = self.asset(asset)?;
        self.with(|c| c.position(a))
    }
    /// `close / average entry - 1` (mirrored for a short); 0 when flat.
    fn get_unrealized_pnl_pct(&self, asset: &Bound<'_, PyAny>) -> PyResult<f64> {
        let a = self.asset(asset)?;
        self.with(|c| c.unrealized_pnl_pct(a))
    }
    fn get_unrealized_pnl(&self, asset: &Bound<'_, PyAny>) -> PyResult<f64> {
        let a = self.asset(asset)?;
        self.with(|c| c.unrealized_pnl(a))
    }
    fn get_cash(&self) -> PyResult<f64> {
        self.with(|c| c.cash())
    }
    fn get_equity(&self) -> PyResult<f64> {
        self.with(|c| c.equity())
    }
    /// Buys `floor(cash * pct / close)` shares at the next open; False if that is 0 (or on the
    /// last bar, where no order could fill).
    fn buy_percent(&self, asset: &Bound<'_, PyAny>, pct: f64) -> PyResult<bool> {
        let a = self.asset(asset)?;
        self.with(|c| c.buy_percent(a, pct).is_some())
    }
    fn buy(&self, asset: &Bound<'_, PyAny>, qty: f64) -> PyResult<bool> {
        let a = self.asset(asset)?;
        self.with(|c| c.buy(a, qty).is_some())
    }
    fn sell(&self, asset: &Bound<'_, PyAny>, qty: f64) -> PyResult<bool> {
        let a = self.asset(asset)?;
        self.with(|c| c.sell(a, qty).is_some())
    }
    /// Sells (or covers) the whole position at the next open.
    fn close_position(&self, asset: &Bound<'_, PyAny>) -> PyResult<bool> {
        let a = self.asset(asset)?;
        self.with(|c| c.close_position(a).is_some())
    }
    /// Reduces the position by `fraction` of it (0.5 halves it), whole shares rounded down.
    fn reduce_position(&self, asset: &Bound<'_, PyAny>, fraction: f64) -> PyResult<bool> {
        let a = self.asset(asset)?;
        if !(0.0..=1.0).contains(&fraction) {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "reduce_position: fraction {fraction} must be in [0, 1] (0.5 halves the position)"
            )));
        }
        self.with(|c| {
            let qty = (c.position(a).abs() * fraction).floor();
            qty > 0.0 && c.reduce_position(a, qty).is_some()
        })
    }
    /// Orders the difference to a target of `pct` of equity (negative = short).
    fn order_target_percent(&self, asset: &Bound<'_, PyAny>, pct: f64) -> PyResult<bool> {
        let a = self.asset(asset)?;
        self.with(|c| c.order_target_percent(a, pct).is_some())
    }
}

/// Builds the reused event objects and the account for bars of `assets` and `signals`, shown by
/// `cursor`.
pub fn event_objects(
    py: Python<'_>,
    assets: &[String],
    signals: &[String],
    cursor: &Arc<Cursor>,
) -> PyResult<(Py<Event>, Py<Account>)> {
    let interned_assets = interned(py, assets);
    let signals = Py::new(
        py,
        Signals {
            cursor: cursor.clone(),
            names: interned(py, signals),
            plain: signals.to_vec(),
        },
    )?;
    let data = Py::new(
        py,
        BarData {
            cursor: cursor.clone(),
            signals,
        },
    )?;
    let event = Py::new(
        py,
        Event {
            cursor: cursor.clone(),
            assets: interned_assets.iter().map(|a| a.clone_ref(py)).collect(),
            data,
        },
    )?;
    let account = Py::new(
        py,
        Account {
            ctx: AtomicPtr::new(std::ptr::null_mut()),
            assets: interned_assets,
            names: assets.to_vec(),
        },
    )?;
    Ok((event, account))
}

/// The Python methods a run calls; `None` for those the subclass did not override.
pub struct Hooks {
    pub on_market_data: Py<PyAny>,
    pub on_start: Option<Py<PyAny>>,
    pub on_fill: Option<Py<PyAny>>,
    pub on_end: Option<Py<PyAny>>,
}

impl Hooks {
    /// The hooks of a `ml4t_rs.Strategy` instance (its `_overrides` says which it overrides).
    pub fn of(strategy: &Bound<'_, PyAny>) -> PyResult<Hooks> {
        let hook = |name: &str| -> PyResult<Option<Py<PyAny>>> {
            let overridden: bool = strategy.call_method1("_overrides", (name,))?.extract()?;
            Ok(if overridden {
                Some(strategy.getattr(name)?.unbind())
            } else {
                None
            })
        };
        Ok(Hooks {
            on_market_data: strategy.getattr("on_market_data")?.unbind(),
            on_start: hook("on_start")?,
            on_fill: hook("on_fill")?,
            on_end: hook("on_end")?,
        })
    }
}

/// The engine's `Strategy` for a Python strategy object.
pub struct PyCallback {
    hooks: Hooks,
    event: Py<Event>,
    account: Py<Account>,
    cursor: Arc<Cursor>,
    countdown: u32,
    /// The Python exception that stopped the run (raised again after it, traceback intact).
    pub error: Option<PyErr>,
}

impl PyCallback {
    pub fn new(hooks: Hooks, event: Py<Event>, account: Py<Account>, cursor: Arc<Cursor>) -> Self {
        PyCallback {
            hooks,
            event,
            account,
            cursor,
            countdown: SIGNAL_CHECK_BARS,
            error: None,
        }
    }

    /// Runs `f` attached to Python, with the account pointing at `ctx` and the event showing
    /// `bar`; a Python exception is kept and stops the run.
    fn call(
        &mut self,
        ctx: &mut Context<'_>,
        bar: Option<&Bar<'_>>,
        f: impl FnOnce(Python<'_>, &Self) -> PyResult<()>,
    ) -> StrategyResult {
        let result = Python::attach(|py| {
            let account = self.account.get();
            account.ctx.store((ctx as *mut Context<'_>).cast(), Ordering::Relaxed);
            if let Some(bar) = bar {
                self.cursor.show(bar);
            }
            let result = f(py, self);
            self.cursor.hide();
            account.ctx.store(std::ptr::null_mut(), Ordering::Relaxed);
            result.and_then(|()| {
                self.countdown -= 1;
                if self.countdown == 0 {
                    self.countdown = SIGNAL_CHECK_BARS;
                    py.check_signals()?;
                }
                Ok(())
            })
        });
        result.map_err(|e| {
            self.error = Some(e);
            StrategyError::from("the Python strategy raised an exception")
        })
    }

    /// Calls the optional hook `pick(hooks)` with `args`.
    fn call_hook(
        &mut self,
        ctx: &mut Context<'_>,
        pick: fn(&Hooks) -> Option<&Py<PyAny>>,
        args: impl for<'py> FnOnce(Python<'py>) -> PyResult<Vec<Bound<'py, PyAny>>>,
    ) -> StrategyResult {
        if pick(&self.hooks).is_none() {
            return Ok(());
        }
        self.call(ctx, None, |py, s| {
            let args = pyo3::types::PyTuple::new(py, args(py)?)?;
            match pick(&s.hooks) {
                Some(f) => f.bind(py).call1(args).map(drop),
                None => Ok(()),
            }
        })
    }
}

fn fill_dict<'py>(py: Python<'py>, asset: &str, fill: &Fill) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("asset_id", asset)?;
    d.set_item("side", fill.side.to_string())?;
    d.set_item("qty", fill.qty)?;
    d.set_item("price", fill.price)?;
    d.set_item("commission", fill.commission)?;
    d.set_item("timestamp", fill.ts.to_iso())?;
    d.set_item("timestamp_ns", fill.ts.0)?;
    d.set_item("position_after", fill.position_after)?;
    Ok(d)
}

impl Strategy for PyCallback {
    fn on_start(&mut self, ctx: &mut Context<'_>) -> StrategyResult {
        self.call_hook(ctx, |h| h.on_start.as_ref(), |_| Ok(Vec::new()))
    }

    #[inline]
    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: Bar<'_>) -> StrategyResult {
        self.call(ctx, Some(&bar), |py, s| {
            s.hooks.on_market_data.bind(py).call1((s.event.bind(py),)).map(drop)
        })
    }

    fn on_fill(&mut self, ctx: &mut Context<'_>, fill: &Fill) -> StrategyResult {
        let name = ctx.asset_name(fill.asset).to_owned();
        let fill = *fill;
        self.call_hook(
            ctx,
            |h| h.on_fill.as_ref(),
            move |py| {
                let d = fill_dict(py, &name, &fill)?;
                Ok(vec![d.into_any()])
            },
        )
    }

    fn on_end(&mut self, ctx: &mut Context<'_>) -> StrategyResult {
        self.call_hook(ctx, |h| h.on_end.as_ref(), |_| Ok(Vec::new()))
    }
}
