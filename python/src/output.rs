//! A finished run for Python: the Rust side hands out plain columns (lists), and the Python
//! layer makes them polars frames (then `.to_pandas()` is free). Metrics, summary and the result
//! JSON come from the engine's own writers, so they match `ml4t run` byte for byte.

use std::sync::Arc;

use ml4t_engine::market::Bars;
use ml4t_engine::results::RunResult;
use ml4t_engine::results::analysis::{Analysis, AnalysisOptions};
use ml4t_engine::results::json::{ResultJson, RunLabel};
use ml4t_engine::results::metrics::MetricsOptions;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// One run's result.
#[pyclass(frozen, module = "ml4t_rs._core")]
pub struct RunOutput {
    result: RunResult,
    label: RunLabel,
    metrics: MetricsOptions,
    bars: Arc<Bars>,
    title: String,
    replayed_timestamps: usize,
}

impl RunOutput {
    pub fn new(result: RunResult, label: RunLabel, metrics: MetricsOptions, bars: Arc<Bars>, title: String) -> Self {
        RunOutput {
            result,
            label,
            metrics,
            bars,
            title,
            replayed_timestamps: 0,
        }
    }

    /// A live run that replayed `timestamps` from its journal before going live.
    pub fn replayed(mut self, timestamps: usize) -> Self {
        self.replayed_timestamps = timestamps;
        self
    }

    fn json(&self) -> ResultJson {
        ResultJson::from_run(&self.result, &self.label, Some(self.result.metrics(&self.metrics)))
    }
}

fn dict_of<'py>(py: Python<'py>, cols: Vec<(&str, Bound<'py, PyAny>)>) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in cols {
        d.set_item(k, v)?;
    }
    Ok(d)
}

fn col<'py, T: IntoPyObject<'py>>(py: Python<'py>, v: Vec<T>) -> PyResult<Bound<'py, PyAny>> {
    Ok(v.into_pyobject(py)?.into_any())
}

#[pymethods]
impl RunOutput {
    /// Round trips: the columns of `ml4t run --out`'s trades table; times in ns since 1970.
    fn trades_columns<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let r = &self.result;
        let t = &r.trades;
        dict_of(
            py,
            vec![
                (
                    "asset",
                    col(py, t.iter().map(|x| r.asset_name(x.asset)).collect::<Vec<_>>())?,
                ),
                (
                    "side",
                    col(
                        py,
                        t.iter()
                            .map(|x| if x.side.sign() > 0.0 { "long" } else { "short" })
                            .collect::<Vec<_>>(),
                    )?,
                ),
                ("qty", col(py, t.iter().map(|x| x.qty).collect::<Vec<_>>())?),
                (
                    "entry_time",
                    col(py, t.iter().map(|x| x.entry_ts.0).collect::<Vec<_>>())?,
                ),
                (
                    "entry_price",
                    col(py, t.iter().map(|x| x.entry_price).collect::<Vec<_>>())?,
                ),
                ("exit_time", col(py, t.iter().map(|x| x.exit_ts.0).collect::<Vec<_>>())?),
                (
                    "exit_price",
                    col(py, t.iter().map(|x| x.exit_price).collect::<Vec<_>>())?,
                ),
                ("pnl_net", col(py, t.iter().map(|x| x.pnl_net).collect::<Vec<_>>())?),
                (
                    "return_pct",
                    col(py, t.iter().map(|x| x.return_pct()).collect::<Vec<_>>())?,
                ),
                (
                    "holding_bars",
                    col(py, t.iter().map(|x| x.holding_bars() as u64).collect::<Vec<_>>())?,
                ),
                (
                    "entry_commission",
                    col(py, t.iter().map(|x| x.entry_commission).collect::<Vec<_>>())?,
                ),
                (
                    "exit_commission",
                    col(py, t.iter().map(|x| x.exit_commission).collect::<Vec<_>>())?,
                ),
            ],
        )
    }

    /// Every execution in order.
    fn fills_columns<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let r = &self.result;
        let f = &r.fills;
        dict_of(
            py,
            vec![
                ("timestamp", col(py, f.iter().map(|x| x.ts.0).collect::<Vec<_>>())?),
                (
                    "asset",
                    col(py, f.iter().map(|x| r.asset_name(x.asset)).collect::<Vec<_>>())?,
                ),
                (
                    "side",
                    col(py, f.iter().map(|x| x.side.to_string()).collect::<Vec<_>>())?,
                ),
                ("qty", col(py, f.iter().map(|x| x.qty).collect::<Vec<_>>())?),
                ("price", col(py, f.iter().map(|x| x.price).collect::<Vec<_>>())?),
                (
                    "commission",
                    col(py, f.iter().map(|x| x.commission).collect::<Vec<_>>())?,
                ),
                (
                    "position_after",
                    col(py, f.iter().map(|x| x.position_after).collect::<Vec<_>>())?,
                ),
            ],
        )
    }

    /// The equity curve, one row per timestamp.
    fn equity_columns<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let e = &self.result.equity;
        dict_of(
            py,
            vec![
                ("timestamp", col(py, e.ts())?),
                ("equity", col(py, e.equity())?),
                ("cash", col(py, e.cash())?),
                ("gross_exposure", col(py, e.gross_exposure())?),
                ("net_exposure", col(py, e.net_exposure())?),
                ("drawdown", col(py, e.drawdown())?),
            ],
        )
    }

    /// Positions still open at the end (reported, not counted as trades).
    fn positions_columns<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let r = &self.result;
        let p = &r.open_positions;
        dict_of(
            py,
            vec![
                (
                    "asset",
                    col(py, p.iter().map(|x| r.asset_name(x.asset)).collect::<Vec<_>>())?,
                ),
                ("qty", col(py, p.iter().map(|x| x.qty).collect::<Vec<_>>())?),
                (
                    "entry_time",
                    col(py, p.iter().map(|x| x.entry_ts.0).collect::<Vec<_>>())?,
                ),
                (
                    "entry_price",
                    col(py, p.iter().map(|x| x.entry_price).collect::<Vec<_>>())?,
                ),
                (
                    "last_price",
                    col(py, p.iter().map(|x| x.last_price).collect::<Vec<_>>())?,
                ),
                (
                    "unrealized_pnl",
                    col(py, p.iter().map(|x| x.unrealized_pnl).collect::<Vec<_>>())?,
                ),
            ],
        )
    }

    /// Every metric, as the result JSON's `metrics` object.
    fn metrics_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.result.metrics(&self.metrics)).map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// The summary `ml4t run` prints.
    fn summary(&self) -> String {
        self.result.summary(&self.metrics)
    }

    /// The result JSON exactly as `ml4t run --json` writes it (SEMANTICS.md schema + metrics).
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string_pretty(&self.json()).map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// The run's tearsheet: one self-contained HTML page (ml4t-report), for notebooks.
    fn tearsheet_html(&self, py: Python<'_>) -> PyResult<String> {
        py.detach(|| {
            let metrics = self.result.metrics(&self.metrics);
            let opts = AnalysisOptions {
                metrics: self.metrics,
                ..AnalysisOptions::default()
            };
            let analysis = Analysis::compute(&self.result, &self.bars, &opts)
                .map_err(|e| PyRuntimeError::new_err(format!("analysis: {e}")))?;
            let input = ml4t_report::ReportInput::new(self.title.clone(), &self.result, metrics, analysis);
            Ok(ml4t_report::render(&input))
        })
    }

    #[getter]
    fn final_equity(&self) -> f64 {
        self.result.final_equity()
    }
    #[getter]
    fn n_trades(&self) -> usize {
        self.result.trades.len()
    }
    #[getter]
    fn bars(&self) -> usize {
        self.result.bars
    }
    #[getter]
    fn timestamps(&self) -> usize {
        self.result.timestamps
    }
    #[getter]
    fn seconds(&self) -> f64 {
        self.label.seconds
    }
    #[getter]
    fn scenario(&self) -> &str {
        &self.label.scenario
    }
    /// Timestamps a live run replayed from its journal (0 for a backtest or a fresh journal).
    #[getter]
    fn replayed_timestamps(&self) -> usize {
        self.replayed_timestamps
    }
    #[getter]
    fn assets(&self) -> Vec<String> {
        self.result.assets.clone()
    }
}
