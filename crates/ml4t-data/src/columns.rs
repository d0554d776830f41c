//! Which file column plays which role: explicit mapping first, else case-insensitive detection.

use std::path::Path;

use polars::prelude::DataType;
use serde::{Deserialize, Serialize};

use super::{DataError, list_names};

const TIMESTAMP_NAMES: &[&str] = &["timestamp", "datetime", "date", "time", "ts"];
const ASSET_NAMES: &[&str] = &["asset", "symbol", "ticker"];
const CLOSE_NAMES: &[&str] = &["close"];
/// Adjusted close is used only when the file has no plain close.
const ADJ_CLOSE_NAMES: &[&str] = &["adj_close", "adj close"];

/// Column names for each role. `None` = detect; after a load, [`LoadedData::mapping_used`]
/// holds the names actually used (`None` there = the file has no such column).
///
/// [`LoadedData::mapping_used`]: super::LoadedData::mapping_used
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ColumnMapping {
    pub timestamp: Option<String>,
    pub asset: Option<String>,
    pub open: Option<String>,
    pub high: Option<String>,
    pub low: Option<String>,
    pub close: Option<String>,
    pub volume: Option<String>,
    /// How an integer timestamp column is read; `None` = by what the values plausibly are
    /// (8-digit values from 19000101 to 21001231 that are all calendar dates: `YYYYMMDD`; else
    /// epoch seconds, ms, us or ns by magnitude). Datetime, date and text columns ignore it.
    pub time_unit: Option<IntTimeUnit>,
}

/// The meaning of an integer timestamp column (`time_unit` in a mapping: `yyyymmdd`, `s`,
/// `ms`, `us` or `ns`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IntTimeUnit {
    /// Calendar dates written as 8-digit numbers: 20240102 = 2024-01-02 (CRSP/Compustat style).
    #[serde(rename = "yyyymmdd")]
    Yyyymmdd,
    /// Seconds since 1970-01-01 UTC.
    #[serde(rename = "s")]
    Seconds,
    #[serde(rename = "ms")]
    Millis,
    #[serde(rename = "us")]
    Micros,
    #[serde(rename = "ns")]
    Nanos,
}

impl IntTimeUnit {
    /// Its mapping name: `yyyymmdd`, `s`, `ms`, `us` or `ns`.
    pub fn name(self) -> &'static str {
        match self {
            IntTimeUnit::Yyyymmdd => "yyyymmdd",
            IntTimeUnit::Seconds => "s",
            IntTimeUnit::Millis => "ms",
            IntTimeUnit::Micros => "us",
            IntTimeUnit::Nanos => "ns",
        }
    }

    /// Parses a mapping name (any letter case).
    pub fn parse(text: &str) -> Option<Self> {
        let all = [
            IntTimeUnit::Yyyymmdd,
            IntTimeUnit::Seconds,
            IntTimeUnit::Millis,
            IntTimeUnit::Micros,
            IntTimeUnit::Nanos,
        ];
        all.into_iter().find(|u| u.name().eq_ignore_ascii_case(text.trim()))
    }
}

/// The resolved roles of one file's columns.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Resolved {
    pub timestamp: String,
    pub asset: Option<String>,
    pub open: String,
    pub high: String,
    pub low: String,
    pub close: String,
    pub volume: Option<String>,
    pub signals: Vec<String>,
    pub time_unit: Option<IntTimeUnit>,
}

impl Resolved {
    /// Every column to read, each once.
    pub fn columns(&self) -> Vec<String> {
        let mut out = vec![self.timestamp.clone()];
        let optional = [&self.asset, &self.volume];
        let prices = [&self.open, &self.high, &self.low, &self.close];
        for name in optional.into_iter().flatten().chain(prices).chain(&self.signals) {
            if !out.contains(name) {
                out.push(name.clone());
            }
        }
        out
    }

    pub fn mapping(&self) -> ColumnMapping {
        ColumnMapping {
            timestamp: Some(self.timestamp.clone()),
            asset: self.asset.clone(),
            open: Some(self.open.clone()),
            high: Some(self.high.clone()),
            low: Some(self.low.clone()),
            close: Some(self.close.clone()),
            volume: self.volume.clone(),
            time_unit: self.time_unit,
        }
    }
}

/// Resolves roles against a file's schema and checks each role's type. `signals: None` takes
/// every numeric column without a role. `empty` names the columns that hold no value at all
/// (CSV infers them as text): they count as numbers, so an empty signal column is a signal of
/// NaN and an empty volume is 0, while an empty timestamp, asset or price column is an error.
pub(crate) fn resolve(
    file: &Path,
    schema: &[(String, DataType)],
    mapping: &ColumnMapping,
    signals: Option<&[String]>,
    empty: &[String],
) -> Result<Resolved, DataError> {
    let is_empty = |name: &str| empty.iter().any(|e| e == name);
    let schema: Vec<(String, DataType)> = schema
        .iter()
        .map(|(n, d)| {
            let d = if is_empty(n) { DataType::Float64 } else { d.clone() };
            (n.clone(), d)
        })
        .collect();
    let schema = schema.as_slice();
    let names: Vec<&str> = schema.iter().map(|(n, _)| n.as_str()).collect();
    let find =
        |role: &'static str, explicit: &Option<String>, candidates: &[&str]| -> Result<Option<String>, DataError> {
            match explicit {
                Some(name) => match find_name(&names, &[name.as_str()]) {
                    Some(found) => Ok(Some(found)),
                    None => Err(missing(file, role, format!("mapped to '{name}'"), &names)),
                },
                None => Ok(find_name(&names, candidates)),
            }
        };
    let required = |role: &'static str, explicit: &Option<String>, candidates: &[&str]| -> Result<String, DataError> {
        find(role, explicit, candidates)?.ok_or_else(|| missing(file, role, looked_for(candidates), &names))
    };

    let timestamp = required("timestamp", &mapping.timestamp, TIMESTAMP_NAMES)?;
    let asset = find("asset", &mapping.asset, ASSET_NAMES)?;
    let open = required("open", &mapping.open, &["open"])?;
    let high = required("high", &mapping.high, &["high"])?;
    let low = required("low", &mapping.low, &["low"])?;
    let close = match find("close", &mapping.close, CLOSE_NAMES)? {
        Some(c) => c,
        None => {
            let all: Vec<&str> = CLOSE_NAMES.iter().chain(ADJ_CLOSE_NAMES).copied().collect();
            find_name(&names, ADJ_CLOSE_NAMES).ok_or_else(|| missing(file, "close", looked_for(&all), &names))?
        }
    };
    let volume = find("volume", &mapping.volume, &["volume"])?;

    for name in [&timestamp, &open, &high, &low, &close].into_iter().chain(&asset) {
        if is_empty(name) {
            return Err(DataError::EmptyColumn {
                file: file.to_path_buf(),
                column: name.clone(),
            });
        }
    }
    let dtype_of = |name: &str| schema.iter().find(|(n, _)| n == name).map(|(_, d)| d);
    check_type(
        file,
        &timestamp,
        dtype_of(&timestamp),
        is_time_type,
        "a datetime, date, integer epoch or text time",
    )?;
    if let Some(a) = &asset {
        check_type(
            file,
            a,
            dtype_of(a),
            is_asset_type,
            "text, categorical or integer asset names",
        )?;
    }
    for name in [&open, &high, &low, &close].into_iter().chain(volume.as_ref()) {
        check_type(file, name, dtype_of(name), is_number, "a number")?;
    }

    let roles: Vec<&String> = [&timestamp, &open, &high, &low, &close]
        .into_iter()
        .chain(&asset)
        .chain(&volume)
        .collect();
    let candidates: Vec<&str> = schema
        .iter()
        .filter(|(n, d)| is_number(d) && !roles.contains(&n) && !is_index_artifact(n))
        .map(|(n, _)| n.as_str())
        .collect();
    let signals = match signals {
        None => candidates.iter().map(|s| (*s).to_owned()).collect(),
        Some(wanted) => {
            for name in wanted {
                match dtype_of(name) {
                    None => {
                        return Err(DataError::UnknownSignal {
                            file: file.to_path_buf(),
                            name: name.clone(),
                            available: list_names(&candidates, 40),
                        });
                    }
                    Some(d) => check_type(file, name, Some(d), is_number, "a number")?,
                }
            }
            wanted.to_vec()
        }
    };
    Ok(Resolved {
        timestamp,
        asset,
        open,
        high,
        low,
        close,
        volume,
        signals,
        time_unit: mapping.time_unit,
    })
}

/// Integers, floats and decimals (read as f64).
fn is_number(d: &DataType) -> bool {
    d.is_primitive_numeric() || d.is_decimal()
}

/// Index columns pandas writes (`__index_level_0__` in Parquet, `Unnamed: 0` in CSV) are not
/// signals unless asked for by name.
fn is_index_artifact(name: &str) -> bool {
    name.starts_with("__index_level_") || name.starts_with("Unnamed: ")
}

/// Roles found by name alone (nothing required, no type checks), to prefill a mapping editor.
pub(crate) fn detect(names: &[&str]) -> ColumnMapping {
    ColumnMapping {
        timestamp: find_name(names, TIMESTAMP_NAMES),
        asset: find_name(names, ASSET_NAMES),
        open: find_name(names, &["open"]),
        high: find_name(names, &["high"]),
        low: find_name(names, &["low"]),
        close: find_name(names, CLOSE_NAMES).or_else(|| find_name(names, ADJ_CLOSE_NAMES)),
        volume: find_name(names, &["volume"]),
        time_unit: None,
    }
}

/// The first candidate present in `names` (an exact match wins over a case-insensitive one).
fn find_name(names: &[&str], candidates: &[&str]) -> Option<String> {
    candidates.iter().find_map(|c| {
        names
            .iter()
            .find(|n| *n == c)
            .or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(c)))
            .map(|n| (*n).to_owned())
    })
}

fn looked_for(candidates: &[&str]) -> String {
    let quoted: Vec<String> = candidates.iter().map(|c| format!("'{c}'")).collect();
    format!("looked for {} in any letter case", quoted.join(", "))
}

fn missing(file: &Path, role: &'static str, wanted: String, names: &[&str]) -> DataError {
    DataError::MissingColumn {
        file: file.to_path_buf(),
        role,
        wanted,
        available: list_names(names, 40),
    }
}

fn check_type(
    file: &Path,
    column: &str,
    dtype: Option<&DataType>,
    ok: fn(&DataType) -> bool,
    expected: &'static str,
) -> Result<(), DataError> {
    match dtype {
        Some(d) if !ok(d) => Err(DataError::ColumnType {
            file: file.to_path_buf(),
            column: column.to_owned(),
            dtype: d.to_string(),
            expected,
        }),
        _ => Ok(()),
    }
}

fn is_time_type(d: &DataType) -> bool {
    matches!(d, DataType::Datetime(..) | DataType::Date | DataType::String) || d.is_integer()
}

fn is_asset_type(d: &DataType) -> bool {
    d.is_string() || d.is_categorical() || d.is_enum() || d.is_integer()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(cols: &[(&str, DataType)]) -> Vec<(String, DataType)> {
        cols.iter().map(|(n, d)| ((*n).to_owned(), d.clone())).collect()
    }

    fn ohlc(extra: &[(&str, DataType)]) -> Vec<(String, DataType)> {
        let f = DataType::Float64;
        let mut cols = vec![
            ("Date", DataType::Date),
            ("Open", f.clone()),
            ("High", f.clone()),
            ("Low", f.clone()),
        ];
        cols.extend(extra.iter().cloned());
        schema(&cols)
    }

    #[test]
    fn resolve_detects_case_insensitively() {
        let s = ohlc(&[
            ("Close", DataType::Float64),
            ("Ticker", DataType::String),
            ("pred", DataType::Float32),
        ]);
        let r = resolve(Path::new("f.csv"), &s, &ColumnMapping::default(), None, &[]).unwrap();
        assert_eq!(r.timestamp, "Date");
        assert_eq!(r.asset.as_deref(), Some("Ticker"));
        assert_eq!(r.close, "Close");
        assert_eq!(r.volume, None);
        assert_eq!(r.signals, vec!["pred".to_string()]);
        assert_eq!(
            r.columns(),
            vec!["Date", "Ticker", "Open", "High", "Low", "Close", "pred"]
        );
    }

    #[test]
    fn resolve_uses_adj_close_only_without_close() {
        let f = DataType::Float64;
        let s = ohlc(&[("Adj Close", f.clone()), ("close", f.clone())]);
        let r = resolve(Path::new("f"), &s, &ColumnMapping::default(), None, &[]).unwrap();
        assert_eq!(r.close, "close");
        assert_eq!(r.signals, vec!["Adj Close".to_string()]);
        let s = ohlc(&[("adj_close", f)]);
        assert_eq!(
            resolve(Path::new("f"), &s, &ColumnMapping::default(), None, &[])
                .unwrap()
                .close,
            "adj_close"
        );
    }

    #[test]
    fn resolve_skips_pandas_index_columns() {
        let f = DataType::Float64;
        let s = ohlc(&[
            ("close", f.clone()),
            ("Unnamed: 0", DataType::Int64),
            ("__index_level_0__", DataType::Int64),
        ]);
        let r = resolve(Path::new("f"), &s, &ColumnMapping::default(), None, &[]).unwrap();
        assert!(r.signals.is_empty());
        let want = vec!["Unnamed: 0".to_string()];
        let r = resolve(Path::new("f"), &s, &ColumnMapping::default(), Some(&want), &[]).unwrap();
        assert_eq!(r.signals, want);
    }

    #[test]
    fn resolve_explicit_mapping_wins() {
        let f = DataType::Float64;
        let s = ohlc(&[("close", f.clone()), ("px", f)]);
        let m = ColumnMapping {
            close: Some("px".into()),
            ..Default::default()
        };
        let r = resolve(Path::new("f"), &s, &m, None, &[]).unwrap();
        assert_eq!(r.close, "px");
        assert_eq!(r.signals, vec!["close".to_string()]);
    }

    #[test]
    fn resolve_missing_close_lists_columns() {
        let err = resolve(Path::new("f.csv"), &ohlc(&[]), &ColumnMapping::default(), None, &[]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("no close column"), "{msg}");
        assert!(msg.contains("Date, Open, High, Low"), "{msg}");
        assert!(msg.contains("map it by hand"), "{msg}");
    }

    #[test]
    fn resolve_empty_columns_are_numbers_but_not_for_required_roles() {
        let s = ohlc(&[
            ("close", DataType::Float64),
            ("ml_pred", DataType::String),
            ("volume", DataType::String),
        ]);
        let empty = vec!["ml_pred".to_string(), "volume".to_string()];
        let r = resolve(Path::new("f.csv"), &s, &ColumnMapping::default(), None, &empty).unwrap();
        assert_eq!(r.signals, vec!["ml_pred".to_string()]);
        assert_eq!(r.volume.as_deref(), Some("volume"));
        let empty = vec!["Open".to_string()];
        let msg = resolve(Path::new("f.csv"), &s, &ColumnMapping::default(), None, &empty)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("f.csv") && msg.contains("'Open' is empty in every row"),
            "{msg}"
        );
    }

    #[test]
    fn int_time_unit_names_round_trip() {
        for u in [
            IntTimeUnit::Yyyymmdd,
            IntTimeUnit::Seconds,
            IntTimeUnit::Millis,
            IntTimeUnit::Micros,
            IntTimeUnit::Nanos,
        ] {
            assert_eq!(IntTimeUnit::parse(u.name()), Some(u));
            assert_eq!(serde_json::to_string(&u).unwrap(), format!("\"{}\"", u.name()));
        }
        assert_eq!(IntTimeUnit::parse("YYYYMMDD"), Some(IntTimeUnit::Yyyymmdd));
        assert_eq!(IntTimeUnit::parse("days"), None);
    }

    #[test]
    fn resolve_rejects_text_prices_and_unknown_signals() {
        let s = ohlc(&[("close", DataType::String)]);
        let msg = resolve(Path::new("f"), &s, &ColumnMapping::default(), None, &[])
            .unwrap_err()
            .to_string();
        assert!(msg.contains("'close' has type str"), "{msg}");
        let s = ohlc(&[("close", DataType::Float64), ("p", DataType::Float64)]);
        let want = vec!["q".to_string()];
        let msg = resolve(Path::new("f"), &s, &ColumnMapping::default(), Some(&want), &[])
            .unwrap_err()
            .to_string();
        assert!(msg.contains("no signal column 'q'") && msg.contains(": p"), "{msg}");
    }
}
