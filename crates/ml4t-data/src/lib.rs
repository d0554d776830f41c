//! Files to engine [`Bars`](ml4t_engine::market::Bars): Parquet/CSV loading, column mapping,
//! validation at the boundary, a deterministic sample generator, and writers.
//!
//! Polars types stay inside this module; callers get `Bars` and plain Rust values. Every error
//! names the file and, where it applies, the column and the 0-based data row (CSV rows also give
//! their line number, header = line 1), and says what to do about it.

mod columns;
mod export;
mod extract;
mod frame;
mod load;
mod merge;
mod pages;
mod sample;
mod stats;
mod validate;
mod write;

use std::fmt;
use std::path::PathBuf;

pub use columns::{ColumnMapping, IntTimeUnit};
pub use export::{TableFormat, export_dir, write_equity, write_fills, write_result_json, write_trades};
pub use frame::{ArrowArrayStream, frame_from_stream, load_arrow_stream, load_frame};
pub use load::{ColumnInfo, LoadOptions, LoadedData, SchemaInfo, inspect, load, load_files};
pub use sample::{SampleFreq, SampleSpec, sample};
pub use stats::{SignalInfo, signal_stats};
pub use write::{write_csv, write_parquet, write_returns_parquet};

use ml4t_engine::market::MarketError;
use ml4t_engine::types::TimestampNs;

/// A data row of a file: 0-based, not counting the header. CSV rows also show their line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowRef {
    pub row: usize,
    /// The row comes from a CSV file with a header line, so `line = row + 2`.
    pub csv: bool,
}

impl fmt::Display for RowRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {}", self.row)?;
        if self.csv {
            write!(f, " (line {})", self.row + 2)?;
        }
        Ok(())
    }
}

/// Everything that can go wrong between a file and [`Bars`](ml4t_engine::market::Bars).
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{}: {source}; check that the path exists and is readable", file.display())]
    Io { file: PathBuf, source: std::io::Error },
    #[error("{}: could not read or write the data: {source}", file.display())]
    Polars {
        file: PathBuf,
        source: polars::error::PolarsError,
    },
    #[error("{}: unsupported file type; use .parquet, .pq or .csv, or a folder of such files", file.display())]
    UnsupportedFile { file: PathBuf },
    #[error("{}: the folder has no .parquet, .pq or .csv files; pick a file or a folder with data files", dir.display())]
    NoFiles { dir: PathBuf },
    #[error(
        "{}: no {role} column ({wanted}); available columns: {available}; \
         rename the column or map it by hand (ColumnMapping / the column mapping panel)",
        file.display()
    )]
    MissingColumn {
        file: PathBuf,
        role: &'static str,
        wanted: String,
        available: String,
    },
    #[error("{}: column '{column}' has type {dtype}, expected {expected}; convert it or map another column", file.display())]
    ColumnType {
        file: PathBuf,
        column: String,
        dtype: String,
        expected: &'static str,
    },
    #[error("{}: column '{column}' is empty (null) at {row}; fill or drop that row", file.display())]
    Null { file: PathBuf, column: String, row: RowRef },
    #[error(
        "{}: column '{column}' at {row}: cannot read '{text}' as a time; \
         use YYYY-MM-DD, YYYY-MM-DD HH:MM:SS[.f] or RFC 3339",
        file.display()
    )]
    BadTimestamp {
        file: PathBuf,
        column: String,
        row: RowRef,
        text: String,
    },
    #[error(
        "{}: column '{column}' at {row}: value {value} is out of the representable time range \
         (years 1677..2262 in nanoseconds); check the column's unit",
        file.display()
    )]
    TimestampRange {
        file: PathBuf,
        column: String,
        row: RowRef,
        value: i64,
    },
    #[error("{}: column '{column}' at {row}: price {value} must be finite and positive; fix or drop that row", file.display())]
    BadPrice {
        file: PathBuf,
        column: String,
        row: RowRef,
        value: f64,
    },
    #[error("{}: {row}: high {high} is below low {low}; fix that bar (or check the high/low mapping)", file.display())]
    HighBelowLow {
        file: PathBuf,
        row: RowRef,
        high: f64,
        low: f64,
    },
    #[error("{}: {row}: {column} {value} is outside [low {low}, high {high}]; fix that bar", file.display())]
    OutsideRange {
        file: PathBuf,
        row: RowRef,
        column: &'static str,
        value: f64,
        low: f64,
        high: f64,
    },
    #[error("{}: column '{column}' at {row}: volume {value} must be finite and >= 0; fix or drop that row", file.display())]
    BadVolume {
        file: PathBuf,
        column: String,
        row: RowRef,
        value: f64,
    },
    #[error(
        "{}: {row}: asset '{asset}' at {ts} comes after {prev_row} at {prev_ts}; \
         each asset's rows must be in increasing time: sort the file by time",
        file.display()
    )]
    Unsorted {
        file: PathBuf,
        row: RowRef,
        asset: String,
        ts: TimestampNs,
        prev_row: RowRef,
        prev_ts: TimestampNs,
    },
    #[error(
        "{}: asset '{asset}' has two bars at {ts} ({first} and {second}); \
         keep one bar per (timestamp, asset)",
        file.display()
    )]
    Duplicate {
        file: PathBuf,
        asset: String,
        ts: TimestampNs,
        first: RowRef,
        second: RowRef,
    },
    #[error(
        "{}: asset '{asset}' is also in {}; put each asset's bars in one file",
        first.display(), second.display()
    )]
    AssetInTwoFiles {
        asset: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("{}: no signal column '{name}'; numeric columns that can be signals: {available}", file.display())]
    UnknownSignal {
        file: PathBuf,
        name: String,
        available: String,
    },
    #[error(
        "{}: signal columns [{found}] differ from [{expected}] in the first file; \
         give every file the same signal columns or list the signals to load",
        file.display()
    )]
    SignalMismatch {
        file: PathBuf,
        expected: String,
        found: String,
    },
    #[error("{origin}: no asset '{name}'; available assets: {available}; pick from those")]
    UnknownAsset {
        origin: String,
        name: String,
        available: String,
    },
    #[error(
        "{}: column '{column}' is empty in every row; fill it, or map another column to its role",
        file.display()
    )]
    EmptyColumn { file: PathBuf, column: String },
    #[error(
        "{}: integer time column '{column}' is ambiguous: {detail}; set its unit in the column \
         mapping (time_unit: yyyymmdd, s, ms, us or ns)",
        file.display()
    )]
    AmbiguousTime {
        file: PathBuf,
        column: String,
        detail: String,
    },
    #[error(
        "{}: column '{column}' at {row}: {value} is not a valid {unit} time; fix that row or set \
         another time_unit in the column mapping (yyyymmdd, s, ms, us or ns)",
        file.display()
    )]
    BadIntTime {
        file: PathBuf,
        column: String,
        row: RowRef,
        value: i64,
        unit: &'static str,
    },
    #[error(
        "{}: the Parquet file is damaged ({detail}); re-export it from its source and try again",
        file.display()
    )]
    CorruptParquet { file: PathBuf, detail: String },
    #[error(
        "{}: the data reader failed on this file ({message}); the file may be corrupt or use an \
         unsupported type: re-export it (e.g. as Parquet with float columns) and try again",
        file.display()
    )]
    ReaderPanic { file: PathBuf, message: String },
    #[error("{}: the file has no data rows; pick a file with bars", file.display())]
    Empty { file: PathBuf },
    #[error("{origin}: no rows left after the asset and date filters; widen the date range or pick other assets")]
    EmptyAfterFilter { origin: String },
    #[error(
        "sample: {bars} bars from the start date run past the year 2262 (the end of nanosecond time); use fewer bars or a shorter bar spacing"
    )]
    SampleTooLong { bars: usize },
    #[error("internal error building bars from validated data: {0}")]
    Market(#[from] MarketError),
}

impl DataError {
    pub(crate) fn polars(file: &std::path::Path) -> impl FnOnce(polars::error::PolarsError) -> DataError + '_ {
        move |source| DataError::Polars {
            file: file.to_path_buf(),
            source,
        }
    }

    pub(crate) fn io(file: &std::path::Path) -> impl FnOnce(std::io::Error) -> DataError + '_ {
        move |source| DataError::Io {
            file: file.to_path_buf(),
            source,
        }
    }
}

/// Up to `max` names joined by ", " (with a count of the rest), for error messages.
pub(crate) fn list_names<S: AsRef<str>>(names: &[S], max: usize) -> String {
    if names.is_empty() {
        return "(none)".into();
    }
    let mut out: Vec<&str> = names.iter().take(max).map(AsRef::as_ref).collect();
    let more = names.len().saturating_sub(max);
    let extra = format!("... and {more} more");
    if more > 0 {
        out.push(&extra);
    }
    out.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_ref_shows_csv_line() {
        assert_eq!(RowRef { row: 17, csv: true }.to_string(), "row 17 (line 19)");
        assert_eq!(RowRef { row: 17, csv: false }.to_string(), "row 17");
    }

    #[test]
    fn list_names_truncates() {
        assert_eq!(list_names(&["a", "b", "c"], 2), "a, b, ... and 1 more");
        assert_eq!(list_names::<&str>(&[], 2), "(none)");
    }
}
