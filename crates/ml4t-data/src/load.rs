//! Reading Parquet and CSV files (or a folder of them) into [`Bars`], and a cheap schema preview.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use polars::prelude::{CsvReadOptions, DataFrame, DataType, ParquetReader, SerReader};
use serde::{Deserialize, Serialize};

use super::DataError;
use super::columns::{self, ColumnMapping};
use super::extract::{Table, extract};
use super::merge::{Filter, merge};
use super::pages;
use super::validate::validate;
use ml4t_engine::market::Bars;
use ml4t_engine::types::TimestampNs;

/// Rows CSV type inference looks at before fixing a column's type.
const CSV_INFER_ROWS: usize = 10_000;

/// What to load and how to read the columns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoadOptions {
    pub mapping: ColumnMapping,
    /// Signal columns to load; `None` = every numeric column that is not timestamp/asset/OHLCV.
    pub signals: Option<Vec<String>>,
    /// Assets to keep; `None` = all.
    pub assets: Option<Vec<String>>,
    /// First timestamp to keep (inclusive).
    pub start: Option<TimestampNs>,
    /// Last timestamp to keep (inclusive).
    pub end: Option<TimestampNs>,
}

/// Loaded, validated bars and where they came from.
#[derive(Debug, Clone)]
pub struct LoadedData {
    pub bars: Bars,
    /// The file or folder loaded (`load_files` with several files: the first file's folder).
    pub path: PathBuf,
    /// The data files read, in load order.
    pub files: Vec<PathBuf>,
    /// False when some file has no volume column (its volume is then 0).
    pub has_volume: bool,
    /// Column names used for each role (of the first file when several were read).
    pub mapping_used: ColumnMapping,
    pub load_ms: f64,
}

/// One column of a file, for a schema view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnInfo {
    pub name: String,
    /// Polars type name: `f64`, `i64`, `str`, `datetime[ns]`, `date`, ...
    pub dtype: String,
}

/// A file's (or a folder's first file's) columns, without reading the data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaInfo {
    pub columns: Vec<ColumnInfo>,
    /// Data rows over all files (CSV: counted as lines after the header).
    pub rows: usize,
    pub files: Vec<PathBuf>,
    /// Roles detected from the column names (`None` = not found), to prefill a mapping editor.
    pub detected: ColumnMapping,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Parquet,
    Csv,
}

fn format_of(path: &Path) -> Option<Format> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "parquet" | "pq" => Some(Format::Parquet),
        "csv" => Some(Format::Csv),
        _ => None,
    }
}

/// The data files at `path`: the file itself, or a folder's Parquet/CSV files sorted by name.
fn data_files(path: &Path) -> Result<Vec<PathBuf>, DataError> {
    let meta = std::fs::metadata(path).map_err(DataError::io(path))?;
    if !meta.is_dir() {
        return match format_of(path) {
            Some(_) => Ok(vec![path.to_path_buf()]),
            None => Err(DataError::UnsupportedFile {
                file: path.to_path_buf(),
            }),
        };
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(DataError::io(path))? {
        let p = entry.map_err(DataError::io(path))?.path();
        if p.is_file() && format_of(&p).is_some() {
            files.push(p);
        }
    }
    if files.is_empty() {
        return Err(DataError::NoFiles {
            dir: path.to_path_buf(),
        });
    }
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(files)
}

/// Loads a `.parquet`/`.pq`/`.csv` file, or every such file in a folder (one asset per file
/// unless a file has an asset column; an asset may appear in one file only).
pub fn load(path: &Path, opts: &LoadOptions) -> Result<LoadedData, DataError> {
    load_from(path, &data_files(path)?, opts)
}

/// Runs `read` on `file`, turning a panic inside the data reader (polars panics on some
/// malformed or unsupported files) into [`DataError::ReaderPanic`] naming the file: the last
/// resort at the load boundary, so that no input file can take the program down.
fn guarded<T>(file: &Path, read: impl FnOnce() -> Result<T, DataError>) -> Result<T, DataError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)) {
        Ok(result) => result,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_owned());
            Err(DataError::ReaderPanic {
                file: file.to_path_buf(),
                message,
            })
        }
    }
}

/// Loads several files into one [`Bars`]. Every file must have the same signal columns (those of
/// the first file, or `opts.signals`).
pub fn load_files(paths: &[PathBuf], opts: &LoadOptions) -> Result<LoadedData, DataError> {
    let Some(first) = paths.first() else {
        return Err(DataError::NoFiles {
            dir: PathBuf::from("(no files given)"),
        });
    };
    let origin = if paths.len() == 1 {
        first.clone()
    } else {
        let dir = first.parent().filter(|d| !d.as_os_str().is_empty());
        dir.unwrap_or(first).to_path_buf()
    };
    load_from(&origin, paths, opts)
}

/// Loads `paths`; `origin` (the file or folder the user picked) names the input in messages.
fn load_from(origin: &Path, paths: &[PathBuf], opts: &LoadOptions) -> Result<LoadedData, DataError> {
    let started = Instant::now();
    let mut tables: Vec<Table> = Vec::with_capacity(paths.len());
    for path in paths {
        if format_of(path).is_none() {
            return Err(DataError::UnsupportedFile { file: path.clone() });
        }
        let table = guarded(path, || read_table(path, opts))?;
        push_table(&mut tables, table, path)?;
    }
    let files = paths.to_vec();
    finish(origin, tables, files, opts, started)
}

/// Checks `table` against the first table's signals, validates it and appends it.
fn push_table(tables: &mut Vec<Table>, table: Table, path: &Path) -> Result<(), DataError> {
    if let Some(first) = tables.first()
        && first.cols.signals != table.cols.signals
    {
        let (expected, found) = (first.cols.signals.join(", "), table.cols.signals.join(", "));
        return Err(DataError::SignalMismatch {
            file: path.to_path_buf(),
            expected,
            found,
        });
    }
    validate(&table)?;
    tables.push(table);
    Ok(())
}

/// Loads one in-memory frame (from Python, an Arrow stream, ...) with the same column detection
/// and validation as a file; `origin` names it in messages where a file name would stand.
pub(crate) fn load_frame_at(df: &DataFrame, origin: &Path, opts: &LoadOptions) -> Result<LoadedData, DataError> {
    let started = Instant::now();
    let table = guarded(origin, || frame_table(df, origin, opts))?;
    let mut tables = Vec::with_capacity(1);
    push_table(&mut tables, table, origin)?;
    finish(origin, tables, Vec::new(), opts, started)
}

/// Merges validated tables into [`LoadedData`]; `origin` names the input in messages.
pub(crate) fn finish(
    origin: &Path,
    tables: Vec<Table>,
    files: Vec<PathBuf>,
    opts: &LoadOptions,
    started: Instant,
) -> Result<LoadedData, DataError> {
    let Some(first) = tables.first() else {
        return Err(DataError::NoFiles {
            dir: PathBuf::from("(no files given)"),
        });
    };
    let (signals, mapping_used) = (first.cols.signals.clone(), first.cols.mapping());
    let has_volume = tables.iter().all(|t| t.cols.volume.is_some());
    let filter = Filter {
        assets: opts.assets.as_deref(),
        start: opts.start,
        end: opts.end,
    };
    let bars = merge(&tables, signals, filter, &origin.display().to_string())?;
    let path = origin.to_path_buf();
    let load_ms = started.elapsed().as_secs_f64() * 1e3;
    Ok(LoadedData {
        bars,
        path,
        files,
        has_volume,
        mapping_used,
        load_ms,
    })
}

/// Reads the columns `opts` asks for from one file and converts them (not yet validated).
fn read_table(path: &Path, opts: &LoadOptions) -> Result<Table, DataError> {
    if std::fs::metadata(path).map_err(DataError::io(path))?.len() == 0 {
        return Err(DataError::Empty {
            file: path.to_path_buf(),
        });
    }
    let signals = opts.signals.as_deref();
    let (df, cols, csv) = match format_of(path) {
        Some(Format::Parquet) => {
            let mut reader = ParquetReader::new(File::open(path).map_err(DataError::io(path))?);
            let arrow = reader.schema().map_err(DataError::polars(path))?;
            let schema: Vec<(String, DataType)> = arrow
                .iter_values()
                .map(|f| (f.name.to_string(), DataType::from_arrow_field(f)))
                .collect();
            // A column of the Null type (pandas/pyarrow write one for an all-None column).
            let empty: Vec<String> = schema
                .iter()
                .filter(|(_, d)| d.is_null())
                .map(|(n, _)| n.clone())
                .collect();
            let cols = columns::resolve(path, &schema, &opts.mapping, signals, &empty)?;
            pages::check_page_headers(path, &cols.columns())?;
            let df = reader
                .with_columns(Some(cols.columns()))
                .finish()
                .map_err(DataError::polars(path))?;
            (df, cols, false)
        }
        _ => {
            let df = read_csv(path, None)?;
            // CSV inference makes a column with no value at all text; it is an empty number.
            let empty: Vec<String> = df
                .columns()
                .iter()
                .filter(|c| !c.is_empty() && c.null_count() == c.len())
                .map(|c| c.name().to_string())
                .collect();
            let cols = columns::resolve(path, &schema_of(&df), &opts.mapping, signals, &empty)?;
            (df, cols, true)
        }
    };
    if df.height() == 0 {
        return Err(DataError::Empty {
            file: path.to_path_buf(),
        });
    }
    extract(&df, cols, path, csv)
}

/// The columns of an in-memory frame that `opts` asks for, converted (not yet validated) exactly
/// as a Parquet file's: `origin` stands for the file name in messages.
pub(crate) fn frame_table(df: &DataFrame, origin: &Path, opts: &LoadOptions) -> Result<Table, DataError> {
    let schema = schema_of(df);
    let empty: Vec<String> = schema
        .iter()
        .filter(|(_, d)| d.is_null())
        .map(|(n, _)| n.clone())
        .collect();
    let cols = columns::resolve(origin, &schema, &opts.mapping, opts.signals.as_deref(), &empty)?;
    if df.height() == 0 {
        return Err(DataError::Empty {
            file: origin.to_path_buf(),
        });
    }
    extract(df, cols, origin, false)
}

fn read_csv(path: &Path, n_rows: Option<usize>) -> Result<DataFrame, DataError> {
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(CSV_INFER_ROWS))
        .with_n_rows(n_rows)
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .and_then(SerReader::finish)
        .map_err(DataError::polars(path))
}

fn schema_of(df: &DataFrame) -> Vec<(String, DataType)> {
    df.schema().iter().map(|(n, d)| (n.to_string(), d.clone())).collect()
}

/// Column names, types and row count of a file or folder, reading only metadata (Parquet) or
/// the first rows plus a line count (CSV).
pub fn inspect(path: &Path) -> Result<SchemaInfo, DataError> {
    guarded(path, || inspect_files(path))
}

fn inspect_files(path: &Path) -> Result<SchemaInfo, DataError> {
    let files = data_files(path)?;
    let mut schema = Vec::new();
    let mut rows = 0;
    for (i, file) in files.iter().enumerate() {
        if std::fs::metadata(file).map_err(DataError::io(file))?.len() == 0 {
            return Err(DataError::Empty { file: file.clone() });
        }
        match format_of(file) {
            Some(Format::Parquet) => {
                let mut reader = ParquetReader::new(File::open(file).map_err(DataError::io(file))?);
                rows += reader.num_rows().map_err(DataError::polars(file))?;
                if i == 0 {
                    let arrow = reader.schema().map_err(DataError::polars(file))?;
                    schema = arrow
                        .iter_values()
                        .map(|f| (f.name.to_string(), DataType::from_arrow_field(f)))
                        .collect();
                }
            }
            _ => {
                rows += count_csv_rows(file)?;
                if i == 0 {
                    schema = schema_of(&read_csv(file, Some(CSV_INFER_ROWS))?);
                }
            }
        }
    }
    let names: Vec<&str> = schema.iter().map(|(n, _)| n.as_str()).collect();
    let detected = columns::detect(&names);
    let columns = schema
        .into_iter()
        .map(|(name, d)| ColumnInfo {
            name,
            dtype: d.to_string(),
        })
        .collect();
    Ok(SchemaInfo {
        columns,
        rows,
        files,
        detected,
    })
}

/// Lines after the header, not counting a trailing newline (quoted newlines are miscounted).
fn count_csv_rows(path: &Path) -> Result<usize, DataError> {
    let mut file = File::open(path).map_err(DataError::io(path))?;
    let mut buf = vec![0u8; 1 << 16];
    let (mut lines, mut last) = (0usize, b'\n');
    loop {
        let n = file.read(&mut buf).map_err(DataError::io(path))?;
        if n == 0 {
            break;
        }
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count();
        last = buf[n - 1];
    }
    if last != b'\n' {
        lines += 1;
    }
    Ok(lines.saturating_sub(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guarded_turns_a_reader_panic_into_an_error_naming_the_file() {
        let file = Path::new("prices.parquet");
        let err = guarded::<()>(file, || panic!("Arrow datatype Decimal(12, 4) not supported")).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, DataError::ReaderPanic { .. }), "{err:?}");
        assert!(
            msg.starts_with("prices.parquet: ") && msg.contains("Decimal(12, 4)"),
            "{msg}"
        );
        let formatted = guarded::<()>(file, || panic!("{} rows", 3)).unwrap_err().to_string();
        assert!(formatted.contains("3 rows"), "{formatted}");
        assert_eq!(guarded(file, || Ok(7)).unwrap(), 7);
    }
}
