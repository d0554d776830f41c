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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SampleSpec, load, sample, write_parquet};
    use polars::prelude::{IntoColumn, NamedFrom};
    use polars_arrow::ffi::export_iterator;

    fn sample_frame(dir: &Path) -> (DataFrame, std::path::PathBuf) {
        let bars = sample(&SampleSpec {
            assets: 2,
            bars: 50,
            ..SampleSpec::default()
        })
        .unwrap();
        let path = dir.join("s.parquet");
        write_parquet(&bars, &path).unwrap();
        let df = polars::prelude::ParquetReader::new(std::fs::File::open(&path).unwrap())
            .finish()
            .unwrap();
        (df, path)
    }

    use polars::prelude::SerReader;

    /// Bars as text without their id (NaN signals make `==` false on equal data).
    fn shown(bars: &ml4t_engine::market::Bars) -> String {
        let text = format!("{bars:?}");
        text.split_once(", ").map(|(_, rest)| rest.to_owned()).unwrap_or(text)
    }

    #[test]
    fn frame_loads_like_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let (df, path) = sample_frame(dir.path());
        let from_file = load(&path, &LoadOptions::default()).unwrap();
        let from_frame = load_frame(&df, "<frame>", &LoadOptions::default()).unwrap();
        assert_eq!(shown(&from_frame.bars), shown(&from_file.bars));
        assert!(from_frame.files.is_empty());
    }

    #[test]
    fn arrow_stream_loads_like_the_frame() {
        let dir = tempfile::tempdir().unwrap();
        let (df, _) = sample_frame(dir.path());
        let direct = load_frame(&df, "<frame>", &LoadOptions::default()).unwrap();
        let fields: Vec<ArrowField> = df
            .columns()
            .iter()
            .map(|c| c.field().to_arrow(polars::prelude::CompatLevel::newest()))
            .collect();
        let field = ArrowField::new("frame".into(), ArrowDataType::Struct(fields), false);
        let batches: Vec<polars::prelude::PolarsResult<Box<dyn Array>>> = df
            .iter_chunks(polars::prelude::CompatLevel::newest(), false)
            .map(|batch| {
                let arrays = batch.into_arrays();
                let len = arrays.first().map_or(0, |a| a.len());
                Ok(Box::new(StructArray::new(field.dtype.clone(), len, arrays, None)) as Box<dyn Array>)
            })
            .collect();
        let stream = export_iterator(Box::new(batches.into_iter()), field);
        let via_stream = load_arrow_stream(Box::new(stream), "<frame>", &LoadOptions::default()).unwrap();
        assert_eq!(shown(&via_stream.bars), shown(&direct.bars));
    }

    #[test]
    fn bad_frame_gets_the_bad_files_message() {
        let dir = tempfile::tempdir().unwrap();
        let (mut df, _) = sample_frame(dir.path());
        let high: Vec<f64> = df.column("high").unwrap().f64().unwrap().into_no_null_iter().collect();
        let low: Vec<f64> = df.column("low").unwrap().f64().unwrap().into_no_null_iter().collect();
        let bad: Vec<f64> = high
            .iter()
            .zip(&low)
            .enumerate()
            .map(|(i, (h, l))| if i == 3 { l - 1.0 } else { *h })
            .collect();
        df.replace("high", Series::new("high".into(), bad).into_column())
            .unwrap();
        let path = dir.path().join("bad.parquet");
        let mut copy = df.clone();
        polars::prelude::ParquetWriter::new(std::fs::File::create(&path).unwrap())
            .finish(&mut copy)
            .unwrap();
        let file_err = load(&path, &LoadOptions::default()).unwrap_err().to_string();
        let frame_err = load_frame(&df, "bad.parquet", &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert_eq!(frame_err, file_err.replace(&path.display().to_string(), "bad.parquet"));
        assert!(frame_err.contains("row 3"), "{frame_err}");
    }
}
