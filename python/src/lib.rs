//! `ml4t_rs._core`: the engine behind the Python package `ml4t_rs`. The pure-Python layer
//! (`python/ml4t_rs`) gives the seed's API; this module gives it data, runs and results.

/// Python `Strategy` subclasses behind the engine's `Strategy` trait, with reused event objects.
mod callback;
/// Frames and files in: the Arrow C stream of any frame, through `ml4t-data`'s validation.
mod data;
/// Live paper trading: the feed's settings, a Python signal computer, the run, a replay server.
mod live;
/// A finished run: columns for the result frames, metrics, summary, JSON, tearsheet.
mod output;
/// Runs: rules, callbacks, hybrids and presets, cancellable by Ctrl+C.
mod run;
/// Sweeps: rows as columns, a slice of the combinations at a time (for Dask).
mod sweep;

use pyo3::prelude::*;

pyo3::create_exception!(
    _core,
    DataError,
    pyo3::exceptions::PyValueError,
    "Bad input data: the same message a bad file gets (column, row and what to do)."
);
pyo3::create_exception!(
    _core,
    StrategyError,
    pyo3::exceptions::PyValueError,
    "A strategy, preset or broker setting the engine cannot run."
);

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("DataError", py.get_type::<DataError>())?;
    m.add("StrategyError", py.get_type::<StrategyError>())?;
    m.add("LiveRunError", py.get_type::<live::LiveRunError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<data::Data>()?;
    m.add_class::<callback::Event>()?;
    m.add_class::<callback::BarData>()?;
    m.add_class::<callback::Signals>()?;
    m.add_class::<callback::Account>()?;
    m.add_class::<output::RunOutput>()?;
    m.add_class::<live::StopFlag>()?;
    m.add_class::<live::LiveSource>()?;
    m.add_class::<live::LiveBar>()?;
    m.add_class::<live::ReplayServer>()?;
    m.add_function(wrap_pyfunction!(data::load_frame, m)?)?;
    m.add_function(wrap_pyfunction!(data::load_file, m)?)?;
    m.add_function(wrap_pyfunction!(run::run_rules, m)?)?;
    m.add_function(wrap_pyfunction!(run::run_callback, m)?)?;
    m.add_function(wrap_pyfunction!(run::run_preset, m)?)?;
    m.add_function(wrap_pyfunction!(live::run_live, m)?)?;
    m.add_function(wrap_pyfunction!(sweep::sweep_plan, m)?)?;
    m.add_function(wrap_pyfunction!(sweep::sweep_rows, m)?)?;
    m.add_function(wrap_pyfunction!(sweep::walk_forward_rows, m)?)?;
    Ok(())
}
