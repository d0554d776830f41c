//! Loading real files: the fidelity fixtures, every time format, folders, and one test per
//! validation error (each asserting the message names the file and the column/row).
#![allow(clippy::unwrap_used)] // test helpers, not only #[test] fns

use std::fs::File;
use std::path::{Path, PathBuf};

use ml4t_data::{ColumnMapping, DataError, IntTimeUnit, LoadOptions, LoadedData, inspect, load};
use ml4t_engine::types::{AssetId, NS_PER_DAY, SignalId, TimestampNs};
use polars::prelude::*;
use tempfile::TempDir;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/data")
        .join(name)
}

fn load_default(path: &Path) -> Result<LoadedData, DataError> {
    load(path, &LoadOptions::default())
}

/// A valid single-asset frame: daily naive ns timestamps, OHLCV and one signal.
fn good_frame(n: usize) -> DataFrame {
    let ts: Vec<i64> = (0..n as i64).map(|i| 19_000 * NS_PER_DAY + i * NS_PER_DAY).collect();
    let close: Vec<f64> = (0..n).map(|i| 100.0 + i as f64).collect();
    let open: Vec<f64> = close.iter().map(|c| c - 0.5).collect();
    let high: Vec<f64> = close.iter().map(|c| c + 1.0).collect();
    let low: Vec<f64> = close.iter().map(|c| c - 1.0).collect();
    let ts = Series::new("timestamp".into(), ts)
        .cast(&DataType::Datetime(TimeUnit::Nanoseconds, None))
        .unwrap();
    DataFrame::new(
        n,
        vec![
            ts.into(),
            Column::new("open".into(), open),
            Column::new("high".into(), high),
            Column::new("low".into(), low),
            Column::new("close".into(), close),
            Column::new("volume".into(), vec![1000.0; n]),
            Column::new("pred".into(), vec![0.5; n]),
        ],
    )
    .unwrap()
}

fn set(df: &mut DataFrame, col: Series) {
    df.with_column(col.into()).unwrap();
}

fn write_parquet(dir: &TempDir, name: &str, df: &mut DataFrame) -> PathBuf {
    let path = dir.path().join(name);
    ParquetWriter::new(File::create(&path).unwrap()).finish(df).unwrap();
    path
}

fn write_text(dir: &TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Writes `df` to a fresh Parquet file and returns the load error's message.
fn parquet_error(df: &mut DataFrame) -> String {
    let dir = TempDir::new().unwrap();
    let path = write_parquet(&dir, "bad.parquet", df);
    let msg = load_default(&path).unwrap_err().to_string();
    assert!(msg.contains("bad.parquet"), "message should name the file: {msg}");
    msg
}

fn assert_has(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "expected {p:?} in: {msg}");
    }
}

fn ts(text: &str) -> i64 {
    TimestampNs::parse(text).unwrap().0
}

// ---- fixtures ----

#[test]
fn fixture_single_asset_loads() {
    let data = load_default(&fixture("syn_2k.parquet")).unwrap();
    let bars = &data.bars;
    assert_eq!(bars.len(), 2000);
    assert_eq!(bars.assets(), &["A000"]);
    assert_eq!(
        bars.signal_names(),
        &["ml_pred", "confidence", "volatility", "momentum"]
    );
    assert!(data.has_volume);
    assert_eq!(data.mapping_used.timestamp.as_deref(), Some("timestamp"));
    assert_eq!(data.mapping_used.asset.as_deref(), Some("asset"));
    let vol = bars.signal_column(SignalId(2));
    assert!(vol[..20].iter().all(|v| v.is_nan()));
    assert!(vol[20..].iter().all(|v| v.is_finite()));
    assert!(bars.ts().windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn fixture_five_assets_load() {
    let data = load_default(&fixture("syn_2k_5a.parquet")).unwrap();
    let bars = &data.bars;
    assert_eq!(bars.len(), 10_000);
    assert_eq!(bars.n_timestamps(), 2000);
    assert_eq!(bars.assets(), &["A000", "A001", "A002", "A003", "A004"]);
    let first = bars.timestamp(0).unwrap();
    let ids: Vec<AssetId> = first.iter().map(|b| b.asset()).collect();
    assert_eq!(ids, (0..5).map(AssetId).collect::<Vec<_>>());
}

#[test]
fn fixture_filters_assets_dates_and_signals() {
    let all = load_default(&fixture("syn_2k_5a.parquet")).unwrap().bars;
    let times: Vec<TimestampNs> = all.timestamps().collect();
    let opts = LoadOptions {
        signals: Some(vec!["ml_pred".into()]),
        assets: Some(vec!["A003".into(), "A001".into()]),
        start: Some(times[100]),
        end: Some(times[199]),
        ..LoadOptions::default()
    };
    let bars = load(&fixture("syn_2k_5a.parquet"), &opts).unwrap().bars;
    assert_eq!(bars.assets(), &["A001", "A003"]);
    assert_eq!(bars.signal_names(), &["ml_pred"]);
    assert_eq!(bars.len(), 200);
    assert_eq!(bars.time_range(), Some((times[100], times[199])));
}

#[test]
fn fixture_inspect_reads_schema_only() {
    let info = inspect(&fixture("syn_2k_5a.parquet")).unwrap();
    assert_eq!(info.rows, 10_000);
    let names: Vec<&str> = info.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "timestamp",
            "asset",
            "open",
            "high",
            "low",
            "close",
            "volume",
            "ml_pred",
            "confidence",
            "volatility",
            "momentum"
        ]
    );
    assert_eq!(info.columns[0].dtype, "datetime[ns]");
    assert_eq!(info.columns[2].dtype, "f64");
    assert_eq!(info.detected.close.as_deref(), Some("close"));
}

// ---- time formats and layouts ----

#[test]
fn csv_with_date_only_strings() {
    let dir = TempDir::new().unwrap();
    let text = "Date,Open,High,Low,Close,Volume,score\n\
                2024-01-02,10,11,9,10.5,100,0.1\n\
                2024-01-03,10.5,12,10,11,200,\n";
    let path = write_text(&dir, "SPY.csv", text);
    let data = load_default(&path).unwrap();
    let bars = &data.bars;
    assert_eq!(bars.assets(), &["SPY"]);
    assert_eq!(bars.ts(), &[ts("2024-01-02"), ts("2024-01-03")]);
    assert_eq!(bars.close(), &[10.5, 11.0]);
    assert_eq!(bars.signal_names(), &["score"]);
    assert!(bars.signal_column(SignalId(0))[1].is_nan());
    assert_eq!(data.mapping_used.timestamp.as_deref(), Some("Date"));
}

#[test]
fn csv_inspect_counts_rows() {
    let dir = TempDir::new().unwrap();
    let path = write_text(
        &dir,
        "x.csv",
        "date,open,high,low,close\n2024-01-02,1,1,1,1\n2024-01-03,1,1,1,1",
    );
    let info = inspect(&path).unwrap();
    assert_eq!(info.rows, 2);
    assert_eq!(info.columns.len(), 5);
    assert_eq!(info.detected.volume, None);
}

#[test]
fn tz_aware_datetime_becomes_utc() {
    let mut df = good_frame(2);
    let utc = [ts("2024-01-02T14:30:00"), ts("2024-01-03T14:30:00")];
    let tz = TimeZone::opt_try_new(Some("America/New_York")).unwrap();
    let col = Series::new("timestamp".into(), utc.map(|t| t / 1000))
        .cast(&DataType::Datetime(TimeUnit::Microseconds, tz))
        .unwrap();
    set(&mut df, col);
    let dir = TempDir::new().unwrap();
    let bars = load_default(&write_parquet(&dir, "ny.parquet", &mut df)).unwrap().bars;
    assert_eq!(bars.ts(), &utc);
}

#[test]
fn ms_datetime_and_integer_epochs() {
    let day = ts("2024-01-02");
    let dir = TempDir::new().unwrap();
    let mut df = good_frame(2);
    let ms = Series::new("timestamp".into(), [day / 1_000_000, (day + NS_PER_DAY) / 1_000_000])
        .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
        .unwrap();
    set(&mut df, ms);
    let bars = load_default(&write_parquet(&dir, "ms.parquet", &mut df)).unwrap().bars;
    assert_eq!(bars.ts(), &[day, day + NS_PER_DAY]);

    let secs = Series::new(
        "timestamp".into(),
        [day / 1_000_000_000, (day + NS_PER_DAY) / 1_000_000_000],
    );
    set(&mut df, secs);
    let bars = load_default(&write_parquet(&dir, "secs.parquet", &mut df))
        .unwrap()
        .bars;
    assert_eq!(bars.ts(), &[day, day + NS_PER_DAY]);
}

#[test]
fn folder_of_per_asset_files() {
    let dir = TempDir::new().unwrap();
    let mut b = good_frame(3);
    write_parquet(&dir, "MSFT.parquet", &mut b);
    // AAPL has one bar less and starts a day later: timestamps need not coincide.
    let mut a = good_frame(3).slice(1, 2);
    write_parquet(&dir, "AAPL.parquet", &mut a);
    write_text(&dir, "notes.txt", "not data");
    let data = load_default(dir.path()).unwrap();
    let bars = &data.bars;
    assert_eq!(data.files.len(), 2);
    assert_eq!(data.path, dir.path());
    assert_eq!(bars.assets(), &["AAPL", "MSFT"]);
    assert_eq!(bars.len(), 5);
    assert_eq!(bars.n_timestamps(), 3);
    assert_eq!(bars.timestamp(0).unwrap().len(), 1);
    assert_eq!(
        bars.timestamp(1)
            .unwrap()
            .iter()
            .map(|b| b.asset_name())
            .collect::<Vec<_>>(),
        ["AAPL", "MSFT"]
    );
}

#[test]
fn folder_files_must_share_signals() {
    let dir = TempDir::new().unwrap();
    write_parquet(&dir, "A.parquet", &mut good_frame(3));
    let mut b = good_frame(3);
    b.rename("pred", "other".into()).unwrap();
    write_parquet(&dir, "B.parquet", &mut b);
    let msg = load_default(dir.path()).unwrap_err().to_string();
    assert_has(&msg, &["B.parquet", "[other]", "[pred]"]);
}

#[test]
fn file_sorted_by_asset_then_time_is_reordered() {
    let dir = TempDir::new().unwrap();
    let text = "symbol,timestamp,open,high,low,close\n\
                ZZ,2024-01-02,1,1,1,1\nZZ,2024-01-03,2,2,2,2\n\
                AA,2024-01-02,3,3,3,3\nAA,2024-01-03,4,4,4,4\n";
    let bars = load_default(&write_text(&dir, "long.csv", text)).unwrap().bars;
    assert_eq!(bars.assets(), &["AA", "ZZ"]);
    assert_eq!(bars.close(), &[3.0, 1.0, 4.0, 2.0]);
    assert_eq!(bars.asset_ids(), &[AssetId(0), AssetId(1), AssetId(0), AssetId(1)]);
}

#[test]
fn categorical_asset_and_explicit_mapping() {
    let mut df = good_frame(2);
    let asset = Series::new("ticker".into(), ["X", "X"])
        .cast(&DataType::from_categories(Categories::global()))
        .unwrap();
    set(&mut df, asset);
    df.rename("close", "px_last".into()).unwrap();
    let dir = TempDir::new().unwrap();
    let path = write_parquet(&dir, "c.parquet", &mut df);
    let opts = LoadOptions {
        mapping: ColumnMapping {
            close: Some("PX_LAST".into()),
            ..ColumnMapping::default()
        },
        ..LoadOptions::default()
    };
    let data = load(&path, &opts).unwrap();
    assert_eq!(data.bars.assets(), &["X"]);
    assert_eq!(data.mapping_used.close.as_deref(), Some("px_last"));
    assert_eq!(data.bars.close(), &[100.0, 101.0]);
}

#[test]
fn adj_close_and_missing_volume() {
    let dir = TempDir::new().unwrap();
    let text = "date,open,high,low,Adj Close\n2024-01-02,1,2,1,1.5\n";
    let data = load_default(&write_text(&dir, "x.csv", text)).unwrap();
    assert_eq!(data.mapping_used.close.as_deref(), Some("Adj Close"));
    assert!(!data.has_volume);
    assert_eq!(data.bars.volume(), &[0.0]);
}

#[test]
fn null_volume_is_zero_and_null_signal_is_nan() {
    let mut df = good_frame(2);
    set(&mut df, Series::new("volume".into(), [Some(5.0), None]));
    set(&mut df, Series::new("pred".into(), [None, Some(0.3)]));
    let dir = TempDir::new().unwrap();
    let bars = load_default(&write_parquet(&dir, "n.parquet", &mut df)).unwrap().bars;
    assert_eq!(bars.volume(), &[5.0, 0.0]);
    assert!(bars.signal_column(SignalId(0))[0].is_nan());
}

// ---- validation errors, one per rule ----

#[test]
fn error_missing_column_lists_available() {
    let mut df = good_frame(3);
    df.drop_in_place("close").unwrap();
    let msg = parquet_error(&mut df);
    assert_has(
        &msg,
        &[
            "no close column",
            "available columns: timestamp, open, high, low, volume, pred",
            "map it",
        ],
    );
}

#[test]
fn error_mapped_column_missing() {
    let dir = TempDir::new().unwrap();
    let path = write_parquet(&dir, "m.parquet", &mut good_frame(3));
    let opts = LoadOptions {
        mapping: ColumnMapping {
            open: Some("Open Price".into()),
            ..ColumnMapping::default()
        },
        ..LoadOptions::default()
    };
    assert_has(
        &load(&path, &opts).unwrap_err().to_string(),
        &["no open column", "mapped to 'Open Price'"],
    );
}

#[test]
fn error_non_numeric_price() {
    let mut df = good_frame(2);
    set(&mut df, Series::new("high".into(), ["a", "b"]));
    assert_has(
        &parquet_error(&mut df),
        &["column 'high' has type str", "expected a number"],
    );
}

#[test]
fn error_non_numeric_signal() {
    let mut df = good_frame(2);
    set(&mut df, Series::new("label".into(), ["up", "down"]));
    let dir = TempDir::new().unwrap();
    let path = write_parquet(&dir, "s.parquet", &mut df);
    let opts = LoadOptions {
        signals: Some(vec!["label".into()]),
        ..LoadOptions::default()
    };
    assert_has(
        &load(&path, &opts).unwrap_err().to_string(),
        &["column 'label' has type str"],
    );
    // Without a request, text columns are simply not signals.
    assert_eq!(load_default(&path).unwrap().bars.signal_names(), &["pred"]);
}

#[test]
fn error_null_timestamp() {
    let mut df = good_frame(3);
    let col = Series::new("timestamp".into(), [Some(1_000_000_000i64), None, Some(3_000_000_000)])
        .cast(&DataType::Datetime(TimeUnit::Nanoseconds, None))
        .unwrap();
    set(&mut df, col);
    assert_has(&parquet_error(&mut df), &["column 'timestamp'", "null", "row 1"]);
}

#[test]
fn error_null_asset() {
    let mut df = good_frame(3);
    set(&mut df, Series::new("asset".into(), [Some("A"), Some("A"), None]));
    assert_has(&parquet_error(&mut df), &["column 'asset'", "row 2"]);
}

#[test]
fn error_null_price() {
    let mut df = good_frame(3);
    set(&mut df, Series::new("low".into(), [Some(99.0), None, Some(101.0)]));
    assert_has(&parquet_error(&mut df), &["column 'low'", "null", "row 1"]);
}

#[test]
fn error_non_finite_price() {
    let mut df = good_frame(3);
    set(&mut df, Series::new("open".into(), [99.5, f64::INFINITY, 101.5]));
    assert_has(
        &parquet_error(&mut df),
        &["column 'open'", "row 1", "price inf", "finite and positive"],
    );
}

#[test]
fn error_non_positive_price() {
    let mut df = good_frame(3);
    set(&mut df, Series::new("close".into(), [100.0, 101.0, 0.0]));
    assert_has(&parquet_error(&mut df), &["column 'close'", "row 2", "price 0"]);
}

#[test]
fn error_high_below_low() {
    let mut df = good_frame(3);
    set(&mut df, Series::new("high".into(), [101.0, 99.5, 103.0]));
    assert_has(&parquet_error(&mut df), &["row 1", "high 99.5 is below low 100"]);
}

#[test]
fn error_open_outside_range() {
    let mut df = good_frame(3);
    set(&mut df, Series::new("open".into(), [99.5, 100.5, 104.0]));
    assert_has(
        &parquet_error(&mut df),
        &["row 2", "open 104 is outside [low 101, high 103]"],
    );
}

#[test]
fn error_close_outside_range() {
    let dir = TempDir::new().unwrap();
    let text = "date,open,high,low,close\n2024-01-02,10,11,9,10\n2024-01-03,10,11,9,8.5\n";
    let msg = load_default(&write_text(&dir, "c.csv", text)).unwrap_err().to_string();
    assert_has(
        &msg,
        &["c.csv", "row 1 (line 3)", "close 8.5 is outside [low 9, high 11]"],
    );
}

#[test]
fn error_negative_volume() {
    let mut df = good_frame(3);
    set(&mut df, Series::new("volume".into(), [1.0, -5.0, 1.0]));
    assert_has(&parquet_error(&mut df), &["column 'volume'", "row 1", "volume -5"]);
}

#[test]
fn error_non_finite_volume() {
    let mut df = good_frame(3);
    set(&mut df, Series::new("volume".into(), [1.0, 1.0, f64::NAN]));
    assert_has(&parquet_error(&mut df), &["row 2", "volume NaN"]);
}

#[test]
fn error_unsorted_within_asset() {
    let dir = TempDir::new().unwrap();
    let text = "ticker,date,open,high,low,close\n\
                A,2024-01-03,1,1,1,1\nB,2024-01-02,1,1,1,1\nA,2024-01-02,1,1,1,1\n";
    let msg = load_default(&write_text(&dir, "u.csv", text)).unwrap_err().to_string();
    assert_has(
        &msg,
        &[
            "u.csv",
            "row 2 (line 4)",
            "asset 'A' at 2024-01-02T00:00:00",
            "after row 0 (line 2) at 2024-01-03T00:00:00",
            "sort",
        ],
    );
}

#[test]
fn error_duplicate_timestamp_asset() {
    let dir = TempDir::new().unwrap();
    let text = "ticker,date,open,high,low,close\n\
                A,2024-01-02,1,1,1,1\nB,2024-01-02,1,1,1,1\nB,2024-01-02,1,1,1,1\n";
    let msg = load_default(&write_text(&dir, "d.csv", text)).unwrap_err().to_string();
    assert_has(
        &msg,
        &[
            "asset 'B' has two bars at 2024-01-02T00:00:00",
            "row 1 (line 3) and row 2 (line 4)",
        ],
    );
}

#[test]
fn error_bad_timestamp_text() {
    let dir = TempDir::new().unwrap();
    let text = "date,open,high,low,close\n2024-01-02,1,1,1,1\n02/01/2024,1,1,1,1\n";
    let msg = load_default(&write_text(&dir, "t.csv", text)).unwrap_err().to_string();
    assert_has(
        &msg,
        &["t.csv", "column 'date'", "row 1 (line 3)", "'02/01/2024'", "YYYY-MM-DD"],
    );
}

#[test]
fn error_unknown_signal() {
    let dir = TempDir::new().unwrap();
    let path = write_parquet(&dir, "s.parquet", &mut good_frame(3));
    let opts = LoadOptions {
        signals: Some(vec!["ml_pred".into()]),
        ..LoadOptions::default()
    };
    assert_has(
        &load(&path, &opts).unwrap_err().to_string(),
        &["s.parquet", "no signal column 'ml_pred'", ": pred"],
    );
}

#[test]
fn error_unknown_asset() {
    let opts = LoadOptions {
        assets: Some(vec!["A009".into()]),
        ..LoadOptions::default()
    };
    let msg = load(&fixture("syn_2k_5a.parquet"), &opts).unwrap_err().to_string();
    assert_has(
        &msg,
        &["syn_2k_5a.parquet", "no asset 'A009'", "A000, A001, A002, A003, A004"],
    );
}

#[test]
fn error_empty_file() {
    let mut df = good_frame(3).slice(0, 0);
    assert_has(&parquet_error(&mut df), &["no data rows"]);
    let dir = TempDir::new().unwrap();
    let path = write_text(&dir, "e.csv", "");
    assert!(matches!(load_default(&path), Err(DataError::Empty { .. })));
}

#[test]
fn error_empty_after_filters() {
    let opts = LoadOptions {
        end: Some(TimestampNs(0)),
        ..LoadOptions::default()
    };
    let msg = load(&fixture("syn_2k.parquet"), &opts).unwrap_err().to_string();
    assert_has(&msg, &["syn_2k.parquet", "no rows left", "widen the date range"]);
}

#[test]
fn error_unsupported_and_missing_paths() {
    let dir = TempDir::new().unwrap();
    let txt = write_text(&dir, "a.txt", "x");
    assert!(matches!(load_default(&txt), Err(DataError::UnsupportedFile { .. })));
    let missing = dir.path().join("nope.parquet");
    assert_has(&load_default(&missing).unwrap_err().to_string(), &["nope.parquet"]);
    let empty = TempDir::new().unwrap();
    assert!(matches!(load_default(empty.path()), Err(DataError::NoFiles { .. })));
}

// ---- real-world files that used to be misread or crash ----

#[test]
fn yyyymmdd_integer_dates_load_as_dates() {
    // CRSP/Compustat style: `date` = 20240102 used to load as epoch seconds (1970-08-23).
    let data = load_default(&fixture("bad/yyyymmdd.csv")).unwrap();
    let day = ts("2024-01-02");
    assert_eq!(data.bars.ts(), &[day, day + NS_PER_DAY, day + 2 * NS_PER_DAY]);
    assert_eq!(data.bars.assets(), &["AAA"]);
}

#[test]
fn yyyymmdd_in_parquet_int64_and_unit_override() {
    let dir = TempDir::new().unwrap();
    let mut df = good_frame(2);
    set(&mut df, Series::new("timestamp".into(), [20240102i64, 20240103]));
    let path = write_parquet(&dir, "d.parquet", &mut df);
    let day = ts("2024-01-02");
    assert_eq!(load_default(&path).unwrap().bars.ts(), &[day, day + NS_PER_DAY]);
    // The override reads the same numbers as epoch seconds.
    let opts = LoadOptions {
        mapping: ColumnMapping {
            time_unit: Some(IntTimeUnit::Seconds),
            ..ColumnMapping::default()
        },
        ..LoadOptions::default()
    };
    let data = load(&path, &opts).unwrap();
    assert_eq!(data.bars.ts(), &[20_240_102_000_000_000, 20_240_103_000_000_000]);
    assert_eq!(data.mapping_used.time_unit, Some(IntTimeUnit::Seconds));
    // A mapping written as JSON/RON names the unit as `time_unit: "yyyymmdd"`.
    let m: ColumnMapping = serde_json::from_str(r#"{"time_unit": "ms"}"#).unwrap();
    assert_eq!(m.time_unit, Some(IntTimeUnit::Millis));
}

#[test]
fn error_ambiguous_integer_time_names_file_column_row() {
    let dir = TempDir::new().unwrap();
    let text = "date,open,high,low,close\n20240102,1,2,1,1.5\n1700000000,1,2,1,1.5\n";
    let msg = load_default(&write_text(&dir, "mixed.csv", text))
        .unwrap_err()
        .to_string();
    assert_has(
        &msg,
        &[
            "mixed.csv",
            "'date' is ambiguous",
            "row 1 (line 3)",
            "time_unit: yyyymmdd, s, ms, us or ns",
        ],
    );
    let opts = LoadOptions {
        mapping: ColumnMapping {
            time_unit: Some(IntTimeUnit::Yyyymmdd),
            ..ColumnMapping::default()
        },
        ..LoadOptions::default()
    };
    let msg = load(&write_text(&dir, "mixed.csv", text), &opts)
        .unwrap_err()
        .to_string();
    assert_has(
        &msg,
        &[
            "mixed.csv",
            "'date' at row 1 (line 3)",
            "1700000000 is not a valid YYYYMMDD",
        ],
    );
}

#[test]
fn decimal_parquet_columns_load_as_f64() {
    // What databases and Spark write; polars used to panic ("Arrow datatype Decimal(12, 4) not
    // supported").
    let dir = TempDir::new().unwrap();
    let mut df = good_frame(3);
    for name in ["open", "high", "low", "close", "pred"] {
        let col = df.column(name).unwrap().as_materialized_series().clone();
        set(&mut df, col.cast(&DataType::Decimal(12, 4)).unwrap());
    }
    assert_eq!(df.column("close").unwrap().dtype(), &DataType::Decimal(12, 4));
    let path = write_parquet(&dir, "decimal.parquet", &mut df);
    let data = load_default(&path).unwrap();
    assert_eq!(data.bars.close(), &[100.0, 101.0, 102.0]);
    assert_eq!(data.bars.signal_names(), &["pred"]);
    assert_eq!(data.bars.signal_column(SignalId(0)), &[0.5, 0.5, 0.5]);
    let info = inspect(&path).unwrap();
    assert!(
        info.columns
            .iter()
            .any(|c| c.name == "close" && c.dtype.contains("decimal")),
        "{info:?}"
    );
}

#[test]
fn corrupt_parquet_is_an_error_naming_the_file() {
    let dir = TempDir::new().unwrap();
    let good = write_parquet(&dir, "good.parquet", &mut good_frame(50));
    let bytes = std::fs::read(&good).unwrap();
    // Truncations and byte flips: each must be an error naming the file, never a panic.
    for (i, cut) in [8, bytes.len() / 2, bytes.len() - 9, bytes.len() - 1]
        .into_iter()
        .enumerate()
    {
        let path = dir.path().join(format!("cut{i}.parquet"));
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let msg = load_default(&path).unwrap_err().to_string();
        assert!(msg.contains(&format!("cut{i}.parquet")), "{msg}");
    }
}

#[test]
fn all_empty_signal_column_is_a_signal_of_nan() {
    // CSV inference made the empty column text and dropped it: "unknown column 'ml_pred'".
    let path = fixture("bad/empty_signal.csv");
    let data = load_default(&path).unwrap();
    assert_eq!(data.bars.signal_names(), &["ml_pred"]);
    assert!(data.bars.signal_column(SignalId(0)).iter().all(|v| v.is_nan()));
    let opts = LoadOptions {
        signals: Some(vec!["ml_pred".into()]),
        ..LoadOptions::default()
    };
    assert_eq!(load(&path, &opts).unwrap().bars.signal_names(), &["ml_pred"]);
}

#[test]
fn error_all_empty_price_or_time_column() {
    let dir = TempDir::new().unwrap();
    let text = "date,open,high,low,close\n2024-01-02,1,2,1,\n2024-01-03,1,2,1,\n";
    let msg = load_default(&write_text(&dir, "e.csv", text)).unwrap_err().to_string();
    assert_has(&msg, &["e.csv", "'close' is empty in every row"]);
    let text = "date,open,high,low,close\n,1,2,1,1\n,1,2,1,1\n";
    let msg = load_default(&write_text(&dir, "t.csv", text)).unwrap_err().to_string();
    assert_has(&msg, &["t.csv", "'date' is empty in every row"]);
}

#[test]
fn parquet_page_claiming_2_pow_61_values_is_an_error_not_an_abort() {
    // Found by the fuzzer (RELIABILITY.md): a data page header whose value count is corrupt made
    // polars reserve 2^61 bytes, and the failed allocation aborted the process.
    let msg = load_default(&fixture("bad/page_count_2e61.parquet"))
        .unwrap_err()
        .to_string();
    assert_has(
        &msg,
        &["page_count_2e61.parquet", "the Parquet file is damaged", "values"],
    );
}

/// Found by the fuzzer: a damaged Parquet file that polars decodes into columns shorter than
/// the file's row count. It indexed past the short column (a crash); now it is an error that
/// names the file and the column.
#[test]
fn parquet_decoding_to_a_short_column_is_a_damaged_file_error() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz/parquet");
    for i in 1..=7 {
        let path = root.join(format!("short-column-{i}.parquet"));
        let err = load_default(&path).expect_err("a damaged file");
        let text = err.to_string();
        assert!(text.contains(&format!("short-column-{i}.parquet")), "{text}");
        assert!(
            matches!(err, DataError::CorruptParquet { .. } | DataError::ReaderPanic { .. }),
            "{text}"
        );
        println!("{text}");
    }
}
