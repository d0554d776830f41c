//! In-memory frames as data: a polars `DataFrame`, or an Arrow C stream (what Python's
//! `__arrow_c_stream__` hands over: polars, pyarrow, pandas through pyarrow). Both go through the
//! same column detection, conversion and validation as a Parquet file, so a bad frame gets the
//! message a bad file would, with `origin` where the file name would stand.

use std::path::Path;

use polars::prelude::{ArrowField, Column, DataFrame, Series};
use polars_arrow::array::{Array, StructArray};
use polars_arrow::datatypes::ArrowDataType;
use polars_arrow::ffi::ArrowArrayStreamReader;

pub use polars_arrow::ffi::ArrowArrayStream;

use super::DataError;
use super::load::{LoadOptions, LoadedData, load_frame_at};

/// Loads a polars frame like a file named `origin`.
pub fn load_frame(df: &DataFrame, origin: &str, opts: &LoadOptions) -> Result<LoadedData, DataError> {
    load_frame_at(df, Path::new(origin), opts)
}

/// Reads an Arrow C stream of record batches (struct arrays) into a polars frame, without copying
/// the buffers where polars can keep them, then loads it like [`load_frame`]. The stream is
/// consumed and released.
pub fn load_arrow_stream(
    stream: Box<ArrowArrayStream>,
    origin: &str,
    opts: &LoadOptions,
) -> Result<LoadedData, DataError> {
    let df = frame_from_stream(stream, origin)?;
    load_frame(&df, origin, opts)
}

/// The frame an Arrow C stream holds: one column per field of its struct type.
pub fn frame_from_stream(stream: Box<ArrowArrayStream>, origin: &str) -> Result<DataFrame, DataError> {
    let file = Path::new(origin);
    let polars = DataError::polars(file);
    // SAFETY: the stream came from an Arrow C stream producer (a PyCapsule named
    // "arrow_array_stream"), whose contract is the C stream interface this reader assumes.
    let mut reader = match unsafe { ArrowArrayStreamReader::try_new(stream) } {
        Ok(r) => r,
        Err(e) => return Err(polars(e)),
    };
    let fields: Vec<ArrowField> = match reader.field().dtype().to_storage() {
        ArrowDataType::Struct(fields) => fields.clone(),
        other => {
            return Err(DataError::ReaderPanic {
                file: file.to_path_buf(),
                message: format!("the Arrow stream holds {other:?}, not a table (struct) of columns"),
            });
        }
    };
    if fields.is_empty() {
        return Err(DataError::Empty {
            file: file.to_path_buf(),
        });
    }
    let mut chunks: Vec<Vec<Box<dyn Array>>> = vec![Vec::new(); fields.len()];
    // SAFETY: as above; each batch is imported from the producer's own arrays.
    while let Some(batch) = unsafe { reader.next() } {
        let batch = batch.map_err(DataError::polars(file))?;
        let Some(batch) = batch.as_any().downcast_ref::<StructArray>() else {
            return Err(DataError::ReaderPanic {
                file: file.to_path_buf(),
                message: "the Arrow stream's batches are not record batches (struct arrays)".into(),
            });
        };
        for (chunk, column) in chunks.iter_mut().zip(batch.values()) {
            // A batch-level null mask never hides rows of a record batch; columns carry their own.
            chunk.push(column.clone());
        }
    }
    let mut columns = Vec::with_capacity(fields.len());
    for (field, arrays) in fields.iter().zip(chunks) {
        let series = if arrays.is_empty() {
            Series::new_empty(field.name.clone(), &polars::prelude::DataType::from_arrow_field(field))
        } else {
            Series::try_from((field, arrays)).map_err(DataError::polars(file))?
        };
        columns.push(Column::from(series));
    }
    DataFrame::new_infer_height(columns).map_err(DataError::polars(file))
}
