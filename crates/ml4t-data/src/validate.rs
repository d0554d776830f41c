//! Row checks on one file's extracted columns: prices, bar shape, volume, and time order per asset.
//! Run once at the boundary; the engine then trusts the data.

use super::DataError;
use super::extract::Table;
use ml4t_engine::types::TimestampNs;

/// Checks every row of `t`; the first problem found is returned.
pub(crate) fn validate(t: &Table) -> Result<(), DataError> {
    let c = &t.cols;
    for (name, col) in [
        (&c.open, &t.open),
        (&c.high, &t.high),
        (&c.low, &t.low),
        (&c.close, &t.close),
    ] {
        if let Some(row) = col.iter().position(|v| !(v.is_finite() && *v > 0.0)) {
            return Err(DataError::BadPrice {
                file: t.file.clone(),
                column: name.clone(),
                row: t.row(row),
                value: col[row],
            });
        }
    }
    if let Some(row) = (0..t.ts.len()).find(|&r| t.high[r] < t.low[r]) {
        return Err(DataError::HighBelowLow {
            file: t.file.clone(),
            row: t.row(row),
            high: t.high[row],
            low: t.low[row],
        });
    }
    for (column, col) in [("open", &t.open), ("close", &t.close)] {
        if let Some(row) = (0..t.ts.len()).find(|&r| col[r] < t.low[r] || col[r] > t.high[r]) {
            let (low, high, value) = (t.low[row], t.high[row], col[row]);
            return Err(DataError::OutsideRange {
                file: t.file.clone(),
                row: t.row(row),
                column,
                value,
                low,
                high,
            });
        }
    }
    if let Some(name) = &c.volume
        && let Some(row) = t.volume.iter().position(|v| !(v.is_finite() && *v >= 0.0))
    {
        return Err(DataError::BadVolume {
            file: t.file.clone(),
            column: name.clone(),
            row: t.row(row),
            value: t.volume[row],
        });
    }
    check_order(t)
}

/// Within each asset, time must strictly increase in file order. Assets may be grouped or
/// interleaved.
fn check_order(t: &Table) -> Result<(), DataError> {
    let mut last_row = vec![usize::MAX; t.names.len()];
    for (row, (&ts, &a)) in t.ts.iter().zip(&t.asset).enumerate() {
        let prev = last_row[a as usize];
        if prev != usize::MAX && ts <= t.ts[prev] {
            let asset = t.names[a as usize].clone();
            let (file, prev_ts) = (t.file.clone(), TimestampNs(t.ts[prev]));
            return Err(if ts == t.ts[prev] {
                DataError::Duplicate {
                    file,
                    asset,
                    ts: prev_ts,
                    first: t.row(prev),
                    second: t.row(row),
                }
            } else {
                let ts = TimestampNs(ts);
                DataError::Unsorted {
                    file,
                    row: t.row(row),
                    asset,
                    ts,
                    prev_row: t.row(prev),
                    prev_ts,
                }
            });
        }
        last_row[a as usize] = row;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::columns::Resolved;

    /// Two assets, interleaved, one bar each at t = 1, 2.
    fn table() -> Table {
        let cols = Resolved {
            timestamp: "ts".into(),
            asset: Some("asset".into()),
            open: "open".into(),
            high: "high".into(),
            low: "low".into(),
            close: "close".into(),
            volume: Some("volume".into()),
            signals: vec![],
            time_unit: None,
        };
        Table {
            file: PathBuf::from("x.csv"),
            csv: true,
            cols,
            names: vec!["A".into(), "B".into()],
            asset: vec![0, 1, 0, 1],
            ts: vec![1, 1, 2, 2],
            open: vec![10.0; 4],
            high: vec![11.0; 4],
            low: vec![9.0; 4],
            close: vec![10.5; 4],
            volume: vec![100.0; 4],
            signals: vec![],
        }
    }

    fn err(t: &Table) -> String {
        validate(t).unwrap_err().to_string()
    }

    #[test]
    fn validate_accepts_interleaved_assets() {
        validate(&table()).unwrap();
    }

    #[test]
    fn validate_names_bad_price() {
        let mut t = table();
        t.close[2] = f64::NAN;
        let msg = err(&t);
        assert!(
            msg.contains("x.csv") && msg.contains("'close'") && msg.contains("row 2 (line 4)"),
            "{msg}"
        );
    }

    #[test]
    fn validate_bar_shape() {
        let mut t = table();
        t.high[1] = 8.0;
        assert!(err(&t).contains("row 1 (line 3): high 8 is below low 9"));
        let mut t = table();
        t.open[3] = 12.0;
        assert!(err(&t).contains("open 12 is outside [low 9, high 11]"));
        let mut t = table();
        t.volume[0] = -1.0;
        assert!(err(&t).contains("volume -1"));
    }

    #[test]
    fn validate_order_per_asset() {
        let mut t = table();
        t.ts = vec![2, 1, 1, 2];
        let msg = err(&t);
        assert!(
            msg.contains("row 2 (line 4): asset 'A'") && msg.contains("after row 0 (line 2)"),
            "{msg}"
        );
        let mut t = table();
        t.ts = vec![1, 1, 1, 2];
        let msg = err(&t);
        assert!(
            msg.contains("two bars") && msg.contains("row 0 (line 2) and row 2 (line 4)"),
            "{msg}"
        );
    }
}
