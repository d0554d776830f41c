//! Validated per-file tables to one [`Bars`]: asset ids in name order, filters, (time, asset) order.

use std::collections::BTreeMap;

use super::extract::Table;
use super::{DataError, list_names};
use ml4t_engine::market::{BarColumns, Bars};
use ml4t_engine::types::{AssetId, TimestampNs};

/// Rows to keep: `None` keeps everything; time bounds are inclusive.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Filter<'a> {
    pub assets: Option<&'a [String]>,
    pub start: Option<TimestampNs>,
    pub end: Option<TimestampNs>,
}

/// Merges tables (each asset in exactly one table) into bars. `origin` names the input in errors.
pub(crate) fn merge(
    tables: &[Table],
    signal_names: Vec<String>,
    filter: Filter,
    origin: &str,
) -> Result<Bars, DataError> {
    let mut owner: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, t) in tables.iter().enumerate() {
        for name in &t.names {
            if let Some(&first) = owner.get(name.as_str()) {
                let (first, second) = (tables[first].file.clone(), t.file.clone());
                return Err(DataError::AssetInTwoFiles {
                    asset: name.clone(),
                    first,
                    second,
                });
            }
            owner.insert(name, i);
        }
    }
    if let Some(wanted) = filter.assets {
        for name in wanted {
            if !owner.contains_key(name.as_str()) {
                let available: Vec<&str> = owner.keys().copied().collect();
                let (origin, name, available) = (origin.to_owned(), name.clone(), list_names(&available, 50));
                return Err(DataError::UnknownAsset {
                    origin,
                    name,
                    available,
                });
            }
        }
    }
    let names: Vec<String> = owner
        .keys()
        .filter(|n| filter.assets.is_none_or(|w| w.iter().any(|s| s == *n)))
        .map(|n| (*n).to_owned())
        .collect();

    let (lo, hi) = (
        filter.start.map_or(i64::MIN, |t| t.0),
        filter.end.map_or(i64::MAX, |t| t.0),
    );
    let total = tables.iter().map(|t| t.ts.len()).sum();
    let mut cols = BarColumns::with_capacity(total, signal_names.len());
    for t in tables {
        let ids: Vec<Option<AssetId>> = t
            .names
            .iter()
            .map(|n| names.binary_search(n).ok().map(|i| AssetId(i as u32)))
            .collect();
        for row in 0..t.ts.len() {
            let (ts, id) = (t.ts[row], ids[t.asset[row] as usize]);
            let Some(id) = id.filter(|_| lo <= ts && ts <= hi) else {
                continue;
            };
            cols.ts.push(ts);
            cols.asset.push(id);
            cols.open.push(t.open[row]);
            cols.high.push(t.high[row]);
            cols.low.push(t.low[row]);
            cols.close.push(t.close[row]);
            cols.volume.push(t.volume[row]);
            for (dst, src) in cols.signals.iter_mut().zip(&t.signals) {
                dst.push(src[row]);
            }
        }
    }
    if cols.is_empty() {
        return Err(DataError::EmptyAfterFilter {
            origin: origin.to_owned(),
        });
    }
    Ok(Bars::new(names, signal_names, sort_rows(cols))?)
}

/// Puts rows in (timestamp, asset id) order; a no-op when they already are.
fn sort_rows(cols: BarColumns) -> BarColumns {
    let key = |i: usize| (cols.ts[i], cols.asset[i]);
    if (1..cols.len()).all(|i| key(i - 1) < key(i)) {
        return cols;
    }
    let mut perm: Vec<usize> = (0..cols.len()).collect();
    perm.sort_unstable_by_key(|&i| key(i));
    BarColumns {
        ts: gather(&cols.ts, &perm),
        asset: gather(&cols.asset, &perm),
        open: gather(&cols.open, &perm),
        high: gather(&cols.high, &perm),
        low: gather(&cols.low, &perm),
        close: gather(&cols.close, &perm),
        volume: gather(&cols.volume, &perm),
        signals: cols.signals.iter().map(|s| gather(s, &perm)).collect(),
    }
}

fn gather<T: Copy>(src: &[T], perm: &[usize]) -> Vec<T> {
    perm.iter().map(|&i| src[i]).collect()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::columns::Resolved;

    fn table(file: &str, names: &[&str], asset: Vec<u32>, ts: Vec<i64>) -> Table {
        let n = ts.len();
        let close: Vec<f64> = (0..n).map(|i| 10.0 + i as f64).collect();
        let cols = Resolved {
            timestamp: "ts".into(),
            asset: None,
            open: "open".into(),
            high: "high".into(),
            low: "low".into(),
            close: "close".into(),
            volume: None,
            signals: vec!["s".into()],
            time_unit: None,
        };
        Table {
            file: PathBuf::from(file),
            csv: false,
            cols,
            names: names.iter().map(|s| (*s).to_owned()).collect(),
            asset,
            ts,
            open: close.clone(),
            high: close.clone(),
            low: close.clone(),
            close: close.clone(),
            volume: vec![0.0; n],
            signals: vec![close],
        }
    }

    #[test]
    fn merge_sorts_grouped_rows_by_time_then_name() {
        // Grouped by asset, and the first-seen asset ("B") sorts after "A".
        let t = table("f", &["B", "A"], vec![0, 0, 1, 1], vec![1, 2, 1, 2]);
        let bars = merge(&[t], vec!["s".into()], Filter::default(), "f").unwrap();
        assert_eq!(bars.assets(), &["A".to_string(), "B".to_string()]);
        assert_eq!(bars.ts(), &[1, 1, 2, 2]);
        assert_eq!(bars.asset_ids(), &[AssetId(0), AssetId(1), AssetId(0), AssetId(1)]);
        assert_eq!(bars.close(), &[12.0, 10.0, 13.0, 11.0]);
    }

    #[test]
    fn merge_filters_assets_and_inclusive_time() {
        let t = table("f", &["A", "B"], vec![0, 1, 0, 1, 0, 1], vec![1, 1, 2, 2, 3, 3]);
        let keep = ["B".to_string()];
        let filter = Filter {
            assets: Some(&keep),
            start: Some(TimestampNs(2)),
            end: Some(TimestampNs(3)),
        };
        let bars = merge(std::slice::from_ref(&t), vec!["s".into()], filter, "f").unwrap();
        assert_eq!(bars.assets(), &keep);
        assert_eq!(bars.ts(), &[2, 3]);
        let unknown = ["C".to_string()];
        let filter = Filter {
            assets: Some(&unknown),
            ..Filter::default()
        };
        let msg = merge(std::slice::from_ref(&t), vec!["s".into()], filter, "f")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("no asset 'C'; available assets: A, B"), "{msg}");
        let filter = Filter {
            start: Some(TimestampNs(4)),
            ..Filter::default()
        };
        assert!(matches!(
            merge(std::slice::from_ref(&t), vec!["s".into()], filter, "f"),
            Err(DataError::EmptyAfterFilter { .. })
        ));
    }

    #[test]
    fn merge_rejects_asset_in_two_files() {
        let a = table("a.parquet", &["X"], vec![0], vec![1]);
        let b = table("b.parquet", &["X"], vec![0], vec![2]);
        let msg = merge(&[a, b], vec!["s".into()], Filter::default(), "dir")
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("'X'") && msg.contains("a.parquet") && msg.contains("b.parquet"),
            "{msg}"
        );
    }
}
