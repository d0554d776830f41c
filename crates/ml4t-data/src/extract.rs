//! Polars columns to plain vectors: timestamps to ns, asset names to local indices, numbers to
//! `f64`. Nulls are rejected here where they are not allowed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use polars::prelude::{DataFrame, DataType, Series, TimeUnit};

use super::columns::{IntTimeUnit, Resolved};
use super::{DataError, RowRef};
use ml4t_engine::types::{NS_PER_DAY, TimestampNs};

/// One file's rows, in file order. Asset indices point into `names` (first-seen order).
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub file: PathBuf,
    pub csv: bool,
    pub cols: Resolved,
    pub names: Vec<String>,
    pub asset: Vec<u32>,
    pub ts: Vec<i64>,
    pub open: Vec<f64>,
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub close: Vec<f64>,
    pub volume: Vec<f64>,
    pub signals: Vec<Vec<f64>>,
}

impl Table {
    pub fn row(&self, row: usize) -> RowRef {
        RowRef { row, csv: self.csv }
    }
}

/// What to do with nulls in a numeric column.
#[derive(Clone, Copy, PartialEq)]
enum Nulls {
    Reject,
    Zero,
    Nan,
}

struct Ctx<'a> {
    file: &'a Path,
    csv: bool,
}

impl Ctx<'_> {
    fn row(&self, row: usize) -> RowRef {
        RowRef { row, csv: self.csv }
    }

    fn null(&self, column: &str, row: usize) -> DataError {
        DataError::Null {
            file: self.file.to_path_buf(),
            column: column.to_owned(),
            row: self.row(row),
        }
    }

    fn series<'d>(&self, df: &'d DataFrame, name: &str) -> Result<&'d Series, DataError> {
        Ok(df
            .column(name)
            .map_err(DataError::polars(self.file))?
            .as_materialized_series())
    }
}

/// Converts the resolved columns of `df`; single-asset files (no asset column) take the file stem.
pub(crate) fn extract(df: &DataFrame, cols: Resolved, file: &Path, csv: bool) -> Result<Table, DataError> {
    let cx = Ctx { file, csv };
    let n = df.height();
    let ts = timestamps(&cx, cx.series(df, &cols.timestamp)?, cols.time_unit)?;
    let (names, asset) = match &cols.asset {
        Some(name) => assets(&cx, cx.series(df, name)?)?,
        None => {
            let stem = file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            (vec![stem], vec![0; n])
        }
    };
    let num = |name: &str, nulls| floats(&cx, cx.series(df, name)?, nulls);
    let open = num(&cols.open, Nulls::Reject)?;
    let high = num(&cols.high, Nulls::Reject)?;
    let low = num(&cols.low, Nulls::Reject)?;
    let close = num(&cols.close, Nulls::Reject)?;
    let volume = match &cols.volume {
        Some(name) => num(name, Nulls::Zero)?,
        None => vec![0.0; n],
    };
    let signals = cols
        .signals
        .iter()
        .map(|s| num(s, Nulls::Nan))
        .collect::<Result<Vec<_>, _>>()?;
    // A damaged file can decode into columns of different lengths (polars trusts the row counts
    // it reads): refuse it here rather than index past a short column later.
    let lengths = [
        (cols.timestamp.as_str(), ts.len()),
        (cols.asset.as_deref().unwrap_or("asset"), asset.len()),
        (cols.open.as_str(), open.len()),
        (cols.high.as_str(), high.len()),
        (cols.low.as_str(), low.len()),
        (cols.close.as_str(), close.len()),
        (cols.volume.as_deref().unwrap_or("volume"), volume.len()),
    ];
    let signal_lengths = cols
        .signals
        .iter()
        .map(String::as_str)
        .zip(signals.iter().map(Vec::len));
    if let Some((name, len)) = lengths.into_iter().chain(signal_lengths).find(|&(_, len)| len != n) {
        return Err(DataError::CorruptParquet {
            file: file.to_path_buf(),
            detail: format!("column '{name}' holds {len} values where the file has {n} rows"),
        });
    }
    Ok(Table {
        file: file.to_path_buf(),
        csv,
        cols,
        names,
        asset,
        ts,
        open,
        high,
        low,
        close,
        volume,
        signals,
    })
}

fn floats(cx: &Ctx, s: &Series, nulls: Nulls) -> Result<Vec<f64>, DataError> {
    let cast = s.cast(&DataType::Float64).map_err(DataError::polars(cx.file))?;
    let ca = cast.f64().map_err(DataError::polars(cx.file))?;
    if ca.null_count() == 0 {
        return Ok(ca.into_no_null_iter().collect());
    }
    let fill = match nulls {
        Nulls::Reject => return Err(cx.null(s.name(), ca.first_null().unwrap_or(0))),
        Nulls::Zero => 0.0,
        Nulls::Nan => f64::NAN,
    };
    Ok(ca.iter().map(|v| v.unwrap_or(fill)).collect())
}

/// A column's times in ns. `unit` says how integers are read (`None`: see [`int_unit`]).
fn timestamps(cx: &Ctx, s: &Series, unit: Option<IntTimeUnit>) -> Result<Vec<i64>, DataError> {
    let name = s.name().as_str();
    if let Some(row) = first_null(s) {
        return Err(cx.null(name, row));
    }
    match s.dtype() {
        DataType::String => {
            let ca = s.str().map_err(DataError::polars(cx.file))?;
            let parse = |(row, text): (usize, Option<&str>)| {
                let text = text.ok_or_else(|| cx.null(name, row))?;
                TimestampNs::parse(text)
                    .map(|t| t.0)
                    .ok_or_else(|| DataError::BadTimestamp {
                        file: cx.file.to_path_buf(),
                        column: name.to_owned(),
                        row: cx.row(row),
                        text: text.to_owned(),
                    })
            };
            ca.iter().enumerate().map(parse).collect()
        }
        DataType::Datetime(unit, _) => {
            // The physical values of a tz-aware column are already UTC instants.
            let scale = match unit {
                TimeUnit::Nanoseconds => 1,
                TimeUnit::Microseconds => 1_000,
                TimeUnit::Milliseconds => 1_000_000,
            };
            scaled(cx, s, scale)
        }
        DataType::Date => scaled(cx, s, NS_PER_DAY),
        _ => {
            let raw = ints(cx, s)?;
            let unit = match unit {
                Some(u) => u,
                None => int_unit(cx, name, &raw)?,
            };
            let scale = match unit {
                IntTimeUnit::Yyyymmdd => return yyyymmdd_all(cx, name, &raw),
                IntTimeUnit::Seconds => 1_000_000_000,
                IntTimeUnit::Millis => 1_000_000,
                IntTimeUnit::Micros => 1_000,
                IntTimeUnit::Nanos => 1,
            };
            scale_all(cx, name, raw, scale)
        }
    }
}

/// Smallest and largest `YYYYMMDD` value read as a date.
const YYYYMMDD_MIN: i64 = 19_000_101;
const YYYYMMDD_MAX: i64 = 21_001_231;

/// What an integer time column plausibly is: `YYYYMMDD` dates when every value is an 8-digit
/// calendar date from 1900-01-01 to 2100-12-31 (as epoch seconds these would all fall in
/// August 1970); else epoch s/ms/us/ns by the largest magnitude. Values in the date range that
/// are not all dates, or dates mixed with other values, are ambiguous: an error that asks for
/// the unit.
fn int_unit(cx: &Ctx, column: &str, raw: &[i64]) -> Result<IntTimeUnit, DataError> {
    let in_range = |v: i64| (YYYYMMDD_MIN..=YYYYMMDD_MAX).contains(&v);
    let first_in = raw.iter().position(|&v| in_range(v));
    if let Some(first_in) = first_in {
        let ambiguous = |row: usize, what: String| DataError::AmbiguousTime {
            file: cx.file.to_path_buf(),
            column: column.to_owned(),
            detail: format!("{what} ({})", cx.row(row)),
        };
        if let Some(row) = raw.iter().position(|&v| !in_range(v)) {
            return Err(ambiguous(
                row,
                format!("{} looks like a YYYYMMDD date but {} does not", raw[first_in], raw[row]),
            ));
        }
        if let Some(row) = raw.iter().position(|&v| yyyymmdd(v).is_none()) {
            return Err(ambiguous(
                row,
                format!(
                    "its values are 8-digit numbers like YYYYMMDD dates, but {} is not a calendar \
                     date (as epoch seconds they would all fall in August 1970)",
                    raw[row]
                ),
            ));
        }
        return Ok(IntTimeUnit::Yyyymmdd);
    }
    let max = raw.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0);
    Ok(match max {
        m if m < 100_000_000_000 => IntTimeUnit::Seconds,
        m if m < 100_000_000_000_000 => IntTimeUnit::Millis,
        m if m < 100_000_000_000_000_000 => IntTimeUnit::Micros,
        _ => IntTimeUnit::Nanos,
    })
}

/// `20240102` as ns at midnight UTC of 2024-01-02; `None` if it is not a calendar date.
fn yyyymmdd(v: i64) -> Option<i64> {
    if !(0..=99_991_231).contains(&v) {
        return None;
    }
    let (y, m, d) = (v / 10_000, (v / 100) % 100, v % 100);
    let date = chrono::NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, u32::try_from(m).ok()?, u32::try_from(d).ok()?)?;
    date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_nanos_opt()
}

fn yyyymmdd_all(cx: &Ctx, column: &str, raw: &[i64]) -> Result<Vec<i64>, DataError> {
    raw.iter()
        .enumerate()
        .map(|(row, &v)| {
            yyyymmdd(v).ok_or_else(|| DataError::BadIntTime {
                file: cx.file.to_path_buf(),
                column: column.to_owned(),
                row: cx.row(row),
                value: v,
                unit: "YYYYMMDD",
            })
        })
        .collect()
}

fn scaled(cx: &Ctx, s: &Series, scale: i64) -> Result<Vec<i64>, DataError> {
    let phys = s.to_physical_repr();
    scale_all(cx, s.name(), ints(cx, &phys)?, scale)
}

/// Integer values as `i64` (the caller has ruled out nulls).
fn ints(cx: &Ctx, s: &Series) -> Result<Vec<i64>, DataError> {
    let cast = s.strict_cast(&DataType::Int64).map_err(DataError::polars(cx.file))?;
    Ok(cast
        .i64()
        .map_err(DataError::polars(cx.file))?
        .into_no_null_iter()
        .collect())
}

fn scale_all(cx: &Ctx, column: &str, mut raw: Vec<i64>, scale: i64) -> Result<Vec<i64>, DataError> {
    if scale == 1 {
        return Ok(raw);
    }
    for (row, v) in raw.iter_mut().enumerate() {
        *v = v.checked_mul(scale).ok_or_else(|| DataError::TimestampRange {
            file: cx.file.to_path_buf(),
            column: column.to_owned(),
            row: cx.row(row),
            value: *v,
        })?;
    }
    Ok(raw)
}

fn first_null(s: &Series) -> Option<usize> {
    if s.null_count() == 0 {
        return None;
    }
    s.is_null().iter().position(|b| b == Some(true))
}

/// Asset names (text, categorical or integer) as indices into a first-seen list of names.
fn assets(cx: &Ctx, s: &Series) -> Result<(Vec<String>, Vec<u32>), DataError> {
    let text = s.cast(&DataType::String).map_err(DataError::polars(cx.file))?;
    let ca = text.str().map_err(DataError::polars(cx.file))?;
    let mut names: Vec<String> = Vec::new();
    let mut index: HashMap<String, u32> = HashMap::new();
    let mut ids = Vec::with_capacity(ca.len());
    let mut last: Option<(&str, u32)> = None;
    for (row, name) in ca.iter().enumerate() {
        let name = name.ok_or_else(|| cx.null(s.name(), row))?;
        // Files are usually grouped by asset: skip the hash lookup while the name repeats.
        let id = match last {
            Some((prev, id)) if prev == name => id,
            _ => match index.get(name) {
                Some(&id) => id,
                None => {
                    let id = names.len() as u32;
                    names.push(name.to_owned());
                    index.insert(name.to_owned(), id);
                    id
                }
            },
        };
        last = Some((name, id));
        ids.push(id);
    }
    Ok((names, ids))
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::NamedFrom;

    fn cx() -> Ctx<'static> {
        Ctx {
            file: Path::new("t.csv"),
            csv: true,
        }
    }

    #[test]
    fn timestamps_infer_epoch_unit() {
        let secs = Series::new("t".into(), &[86_400i64, 2 * 86_400]);
        assert_eq!(
            timestamps(&cx(), &secs, None).unwrap(),
            vec![NS_PER_DAY, 2 * NS_PER_DAY]
        );
        let ms = Series::new("t".into(), &[1_600_000_000_000i64]);
        assert_eq!(timestamps(&cx(), &ms, None).unwrap(), vec![1_600_000_000_000_000_000]);
        let us = Series::new("t".into(), &[1_600_000_000_000_000i64]);
        assert_eq!(timestamps(&cx(), &us, None).unwrap(), vec![1_600_000_000_000_000_000]);
        let ns = Series::new("t".into(), &[1_600_000_000_000_000_000i64]);
        assert_eq!(timestamps(&cx(), &ns, None).unwrap(), vec![1_600_000_000_000_000_000]);
    }

    #[test]
    fn timestamps_yyyymmdd_integers_are_dates() {
        let d = Series::new("date".into(), &[20240102i64, 20240103, 19000101, 21001231]);
        let ts = timestamps(&cx(), &d, None).unwrap();
        let day = |s: &str| TimestampNs::parse(s).unwrap().0;
        assert_eq!(
            ts,
            vec![
                day("2024-01-02"),
                day("2024-01-03"),
                day("1900-01-01"),
                day("2100-12-31")
            ]
        );
        // i32 columns (what CSV inference gives 8-digit numbers) too.
        let d32 = Series::new("date".into(), &[20240102i32]);
        assert_eq!(timestamps(&cx(), &d32, None).unwrap(), vec![day("2024-01-02")]);
    }

    #[test]
    fn timestamps_explicit_unit_overrides_the_guess() {
        let d = Series::new("t".into(), &[20240102i64]);
        assert_eq!(
            timestamps(&cx(), &d, Some(IntTimeUnit::Seconds)).unwrap(),
            vec![20_240_102 * 1_000_000_000]
        );
        let secs = Series::new("t".into(), &[86_400i64]);
        assert_eq!(
            timestamps(&cx(), &secs, Some(IntTimeUnit::Millis)).unwrap(),
            vec![86_400_000_000]
        );
        assert_eq!(
            timestamps(&cx(), &secs, Some(IntTimeUnit::Nanos)).unwrap(),
            vec![86_400]
        );
        let msg = timestamps(&cx(), &secs, Some(IntTimeUnit::Yyyymmdd))
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("'t' at row 0 (line 2)") && msg.contains("86400 is not a valid YYYYMMDD"),
            "{msg}"
        );
    }

    #[test]
    fn timestamps_ambiguous_integers_ask_for_the_unit() {
        // Epoch seconds in August 1970 with a day that is no calendar day.
        let s = Series::new("t".into(), &[20_000_101i64, 20_000_199]);
        let msg = timestamps(&cx(), &s, None).unwrap_err().to_string();
        assert!(msg.contains("t.csv") && msg.contains("'t' is ambiguous"), "{msg}");
        assert!(
            msg.contains("20000199 is not a calendar date") && msg.contains("row 1"),
            "{msg}"
        );
        assert!(msg.contains("time_unit"), "{msg}");
        // Dates mixed with epoch seconds.
        let s = Series::new("t".into(), &[20240102i64, 1_700_000_000]);
        let msg = timestamps(&cx(), &s, None).unwrap_err().to_string();
        assert!(
            msg.contains("20240102 looks like a YYYYMMDD date but 1700000000 does not"),
            "{msg}"
        );
        assert_eq!(
            timestamps(&cx(), &s, Some(IntTimeUnit::Seconds)).unwrap(),
            vec![20_240_102_000_000_000, 1_700_000_000_000_000_000]
        );
    }

    #[test]
    fn timestamps_from_dates_and_text() {
        let days = Series::new("d".into(), &[1i32]).cast(&DataType::Date).unwrap();
        assert_eq!(timestamps(&cx(), &days, None).unwrap(), vec![NS_PER_DAY]);
        let text = Series::new("d".into(), &["1970-01-02", "soon"]);
        let msg = timestamps(&cx(), &text, None).unwrap_err().to_string();
        assert!(msg.contains("row 1 (line 3)") && msg.contains("'soon'"), "{msg}");
    }

    #[test]
    fn assets_keep_first_seen_order() {
        let s = Series::new("a".into(), &["B", "B", "A", "B"]);
        let (names, ids) = assets(&cx(), &s).unwrap();
        assert_eq!(names, vec!["B", "A"]);
        assert_eq!(ids, vec![0, 0, 1, 0]);
        let ints = Series::new("a".into(), &[7i64, 3]);
        assert_eq!(assets(&cx(), &ints).unwrap().0, vec!["7", "3"]);
    }

    #[test]
    fn floats_null_policies() {
        let s = Series::new("v".into(), &[Some(1i32), None]);
        assert_eq!(floats(&cx(), &s, Nulls::Zero).unwrap(), vec![1.0, 0.0]);
        assert!(floats(&cx(), &s, Nulls::Nan).unwrap()[1].is_nan());
        let msg = floats(&cx(), &s, Nulls::Reject).unwrap_err().to_string();
        assert!(msg.contains("'v'") && msg.contains("row 1"), "{msg}");
    }
}
