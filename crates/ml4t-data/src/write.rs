//! [`Bars`] to long-format Parquet or CSV: `timestamp` (datetime, ns), `asset`, OHLCV, signals
//! (NaN written as null). Writes go to a temporary file in the target folder, then a rename, so
//! readers (and file watchers) never see half a file.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use polars::prelude::{
    Column, CsvWriter, DataFrame, DataType, Float64Chunked, IntoSeries, NamedFrom, NewChunkedArray, ParquetWriter,
    PolarsResult, SerWriter, Series, TimeUnit,
};

use super::DataError;
use ml4t_engine::market::Bars;

/// Writes `bars` as a Parquet file, replacing `path` atomically.
pub fn write_parquet(bars: &Bars, path: &Path) -> Result<(), DataError> {
    let mut df = frame(bars).map_err(DataError::polars(path))?;
    write_atomic(path, |file| {
        ParquetWriter::new(file)
            .finish(&mut df)
            .map(|_| ())
            .map_err(DataError::polars(path))
    })
}

/// Writes `bars` as a CSV file with a header, replacing `path` atomically.
pub fn write_csv(bars: &Bars, path: &Path) -> Result<(), DataError> {
    let mut df = frame(bars).map_err(DataError::polars(path))?;
    write_atomic(path, |file| {
        CsvWriter::new(file).finish(&mut df).map_err(DataError::polars(path))
    })
}

/// Writes a sweep's per-period returns as Parquet, replacing `path` atomically: a `timestamp`
/// column (datetime, ns; the period's end) and one Float32 column per combination, named as
/// given, one row per period. Every column must have one value per timestamp.
pub fn write_returns_parquet(path: &Path, ts: &[i64], columns: &[(String, Vec<f32>)]) -> Result<(), DataError> {
    if let Some((name, v)) = columns.iter().find(|(_, v)| v.len() != ts.len()) {
        return Err(DataError::Io {
            file: path.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "returns column '{name}' has {} values for {} timestamps; every column needs one per timestamp",
                    v.len(),
                    ts.len()
                ),
            ),
        });
    }
    let frame = || -> PolarsResult<DataFrame> {
        let time = Series::new("timestamp".into(), ts).cast(&DataType::Datetime(TimeUnit::Nanoseconds, None))?;
        let mut cols: Vec<Column> = Vec::with_capacity(columns.len() + 1);
        cols.push(time.into());
        cols.extend(
            columns
                .iter()
                .map(|(name, v)| Column::from(Series::new(name.as_str().into(), v.as_slice()))),
        );
        DataFrame::new(ts.len(), cols)
    };
    let mut df = frame().map_err(DataError::polars(path))?;
    write_atomic(path, |file| {
        ParquetWriter::new(file)
            .finish(&mut df)
            .map(|_| ())
            .map_err(DataError::polars(path))
    })
}

fn frame(bars: &Bars) -> PolarsResult<DataFrame> {
    let ts = Series::new("timestamp".into(), bars.ts()).cast(&DataType::Datetime(TimeUnit::Nanoseconds, None))?;
    let names = bars.assets();
    let asset: Vec<&str> = bars.asset_ids().iter().map(|a| names[a.index()].as_str()).collect();
    let mut cols: Vec<Column> = vec![ts.into(), Series::new("asset".into(), asset).into()];
    let prices = [
        ("open", bars.open()),
        ("high", bars.high()),
        ("low", bars.low()),
        ("close", bars.close()),
        ("volume", bars.volume()),
    ];
    cols.extend(
        prices
            .into_iter()
            .map(|(name, v)| Column::from(Series::new(name.into(), v))),
    );
    for (i, name) in bars.signal_names().iter().enumerate() {
        let values = bars.signal_column(ml4t_engine::types::SignalId(i as u32));
        let ca = Float64Chunked::from_iter_options(name.into(), values.iter().map(|v| (!v.is_nan()).then_some(*v)));
        cols.push(ca.into_series().into());
    }
    DataFrame::new(bars.len(), cols)
}

/// Writes through `write` into a temporary file beside `path`, syncs it, then renames it over
/// `path`: readers and file watchers never see half a file, and a failure leaves `path` as it was.
pub(crate) fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut File) -> Result<(), DataError>,
) -> Result<(), DataError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let file_name = path.file_name().ok_or_else(|| DataError::Io {
        file: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"),
    })?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp: PathBuf = dir.join(format!(
        ".{}.{}-{n}.tmp",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut file = File::create(&tmp).map_err(DataError::io(&tmp))?;
        write(&mut file)?;
        file.sync_all().map_err(DataError::io(&tmp))?;
        std::fs::rename(&tmp, path).map_err(DataError::io(path))
    })();
    if result.is_err() {
        // Best effort: the original error is what the caller needs to see.
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LoadOptions, SampleSpec, load, sample};

    /// Bitwise equality, so NaN signals compare equal.
    pub(crate) fn same_bars(a: &Bars, b: &Bars) -> bool {
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let cols = |x: &Bars| {
            let mut c = vec![
                bits(x.open()),
                bits(x.high()),
                bits(x.low()),
                bits(x.close()),
                bits(x.volume()),
            ];
            c.extend(
                (0..x.signal_names().len()).map(|i| bits(x.signal_column(ml4t_engine::types::SignalId(i as u32)))),
            );
            c
        };
        a.assets() == b.assets()
            && a.signal_names() == b.signal_names()
            && a.ts() == b.ts()
            && a.asset_ids() == b.asset_ids()
            && cols(a) == cols(b)
    }

    #[test]
    fn write_round_trips_parquet_and_csv() {
        let bars = sample(&SampleSpec {
            assets: 3,
            bars: 60,
            ..SampleSpec::default()
        })
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        for name in ["s.parquet", "s.csv"] {
            let path = dir.path().join(name);
            if name.ends_with("csv") {
                write_csv(&bars, &path).unwrap();
            } else {
                write_parquet(&bars, &path).unwrap();
            }
            let loaded = load(&path, &LoadOptions::default()).unwrap();
            assert!(same_bars(&bars, &loaded.bars), "{name}");
            assert!(loaded.has_volume);
        }
        // Only the two files: no temporary files left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn write_returns_parquet_has_a_column_per_combination() {
        use polars::prelude::{ParquetReader, SerReader};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.parquet");
        let cols = vec![
            ("c0".to_string(), vec![0.5f32, -0.25]),
            ("c1".to_string(), vec![0.0, 1.0]),
        ];
        write_returns_parquet(&path, &[0, 60_000_000_000], &cols).unwrap();
        let df = ParquetReader::new(File::open(&path).unwrap()).finish().unwrap();
        assert_eq!(df.shape(), (2, 3));
        assert_eq!(df.get_column_names(), ["timestamp", "c0", "c1"]);
        let ca = df.column("c0").unwrap().f32().unwrap();
        let c0: Vec<Option<f32>> = (0..2).map(|i| ca.get(i)).collect();
        assert_eq!(c0, vec![Some(0.5), Some(-0.25)]);
        let short = vec![("c0".to_string(), vec![0.5f32])];
        let e = write_returns_parquet(&path, &[0, 1], &short).unwrap_err().to_string();
        assert!(e.contains("'c0' has 1 values for 2 timestamps"), "{e}");
    }

    #[test]
    fn write_into_missing_folder_fails_cleanly() {
        let bars = sample(&SampleSpec {
            bars: 5,
            ..SampleSpec::default()
        })
        .unwrap();
        let err = write_parquet(&bars, Path::new("/nonexistent-dir/x.parquet")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent-dir"), "{err}");
    }
}
