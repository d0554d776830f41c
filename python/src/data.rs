use std::path::Path;
use std::sync::Arc;

use ml4t_data::{ArrowArrayStream, LoadOptions, LoadedData};
use ml4t_engine::market::Bars;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::DataError;

/// Loaded, validated bars shared by every run on them (`Arc`: runs, sweeps and the callback's
/// event objects read the same columns, never a copy).
#[pyclass(frozen, module = "ml4t_rs._core")]
pub struct Data {
    pub bars: Arc<Bars>,
    /// What the data is called in messages and in the result JSON's `data` field.
    pub name: String,
}

#[pymethods]
impl Data {
    /// Asset names in id order (ascending name).
    #[getter]
    fn assets(&self) -> Vec<String> {
        self.bars.assets().to_vec()
    }
    /// Signal column names, in load order.
    #[getter]
    fn signals(&self) -> Vec<String> {
        self.bars.signal_names().to_vec()
    }
    #[getter]
    fn n_bars(&self) -> usize {
        self.bars.len()
    }
    #[getter]
    fn n_timestamps(&self) -> usize {
        self.bars.n_timestamps()
    }
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }
    fn __len__(&self) -> usize {
        self.bars.len()
    }
    fn __repr__(&self) -> String {
        format!(
            "Data({}: {} bars, {} timestamps, assets [{}], signals [{}])",
            self.name,
            self.bars.len(),
            self.bars.n_timestamps(),
            self.bars.assets().join(", "),
            self.bars.signal_names().join(", ")
        )
    }
}

/// The load options a Python caller can give: signal columns, assets, and the column mapping as
/// JSON in `ml4t-data`'s own `ColumnMapping` schema.
pub fn options(
    signals: Option<Vec<String>>,
    assets: Option<Vec<String>>,
    mapping_json: Option<&str>,
) -> PyResult<LoadOptions> {
    let mapping = match mapping_json {
        Some(text) => serde_json::from_str(text)
            .map_err(|e| DataError::new_err(format!("column mapping: {e}; use the ColumnMapping field names")))?,
        None => Default::default(),
    };
    Ok(LoadOptions {
        mapping,
        signals,
        assets,
        ..LoadOptions::default()
    })
}

fn data_of(loaded: LoadedData, name: String) -> Data {
    Data {
        bars: Arc::new(loaded.bars),
        name,
    }
}

/// Loads any object with `__arrow_c_stream__` (a polars or pyarrow frame) through the same
/// column detection and validation as a file named `name`.
#[pyfunction]
#[pyo3(signature = (frame, name, signals=None, assets=None, mapping_json=None))]
pub fn load_frame(
    py: Python<'_>,
    frame: &Bound<'_, PyAny>,
    name: String,
    signals: Option<Vec<String>>,
    assets: Option<Vec<String>>,
    mapping_json: Option<&str>,
) -> PyResult<Data> {
    let opts = options(signals, assets, mapping_json)?;
    load_frame_with(py, frame, name, &opts)
}

/// [`load_frame`] with load options already made (a preset's).
pub fn load_frame_with(py: Python<'_>, frame: &Bound<'_, PyAny>, name: String, opts: &LoadOptions) -> PyResult<Data> {
    let stream = take_stream(frame)?;
    let loaded = py
        .detach(|| ml4t_data::load_arrow_stream(stream, &name, opts))
        .map_err(|e| DataError::new_err(e.to_string()))?;
    Ok(data_of(loaded, name))
}

/// Moves the Arrow C stream out of `frame.__arrow_c_stream__()`'s capsule: the capsule is left
/// released (as the PyCapsule interface asks of a consumer), the stream is ours to release.
fn take_stream(frame: &Bound<'_, PyAny>) -> PyResult<Box<ArrowArrayStream>> {
    if !frame.hasattr("__arrow_c_stream__")? {
        let ty = frame.get_type().name()?;
        return Err(DataError::new_err(format!(
            "a {ty} is not a table: pass a polars or pandas DataFrame, a pyarrow Table, or any object \
             with __arrow_c_stream__"
        )));
    }
    let capsule = frame.call_method0("__arrow_c_stream__")?;
    let capsule = capsule
        .cast_into::<PyCapsule>()
        .map_err(|e| DataError::new_err(format!("__arrow_c_stream__ did not return a PyCapsule: {e}")))?;
    let ptr = capsule
        .pointer_checked(Some(c"arrow_array_stream"))?
        .cast::<ArrowArrayStream>();
    // SAFETY: the capsule named "arrow_array_stream" holds a valid `ArrowArrayStream`; replacing it
    // with an empty (released) one transfers ownership, so the capsule's destructor does nothing.
    let stream = unsafe { std::ptr::replace(ptr.as_ptr(), ArrowArrayStream::empty()) };
    Ok(Box::new(stream))
}

/// Loads a Parquet/CSV file or folder exactly as `ml4t run` does.
#[pyfunction]
#[pyo3(signature = (path, signals=None, assets=None, mapping_json=None))]
pub fn load_file(
    py: Python<'_>,
    path: std::path::PathBuf,
    signals: Option<Vec<String>>,
    assets: Option<Vec<String>>,
    mapping_json: Option<&str>,
) -> PyResult<Data> {
    let opts = options(signals, assets, mapping_json)?;
    let loaded = py
        .detach(|| ml4t_data::load(&path, &opts))
        .map_err(|e| DataError::new_err(e.to_string()))?;
    let name = file_name(&path);
    Ok(data_of(loaded, name))
}

/// The file name a result JSON names as its `data` (as `ml4t run` does).
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}
