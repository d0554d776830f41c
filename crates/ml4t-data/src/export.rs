//! Run results to files: the SEMANTICS.md result JSON (plus metrics), and trades, equity and
//! fills as CSV or Parquet (chosen by extension). Every write is atomic.

use std::io::Write;
use std::path::{Path, PathBuf};

use polars::prelude::{
    Column, CsvWriter, DataFrame, DataType, NamedFrom, ParquetWriter, PolarsResult, SerWriter, Series, TimeUnit,
};

use super::DataError;
use super::write::write_atomic;
use ml4t_engine::results::RunResult;
use ml4t_engine::results::json::{ResultJson, RunLabel};
use ml4t_engine::results::metrics::MetricsOptions;

/// File format of a table export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    Csv,
    Parquet,
}

impl TableFormat {
    pub fn extension(self) -> &'static str {
        match self {
            TableFormat::Csv => "csv",
            TableFormat::Parquet => "parquet",
        }
    }

    /// From a path's extension (`.csv`, `.parquet`/`.pq`).
    pub fn of(path: &Path) -> Result<Self, DataError> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("csv") => Ok(TableFormat::Csv),
            Some("parquet" | "pq") => Ok(TableFormat::Parquet),
            _ => Err(DataError::UnsupportedFile {
                file: path.to_path_buf(),
            }),
        }
    }
}

/// Writes the result JSON (SEMANTICS.md schema, with metrics).
pub fn write_result_json(
    run: &RunResult,
    label: &RunLabel,
    opts: &MetricsOptions,
    path: &Path,
) -> Result<(), DataError> {
    let json = ResultJson::from_run(run, label, Some(run.metrics(opts)));
    let text = serde_json::to_string_pretty(&json).map_err(|e| DataError::Io {
        file: path.to_path_buf(),
        source: std::io::Error::other(e),
    })?;
    write_atomic(path, |f| f.write_all(text.as_bytes()).map_err(DataError::io(path)))
}

fn datetime(name: &str, ts: impl Iterator<Item = i64>) -> PolarsResult<Column> {
    Ok(Series::new(name.into(), ts.collect::<Vec<_>>())
        .cast(&DataType::Datetime(TimeUnit::Nanoseconds, None))?
        .into())
}

fn f64s(name: &str, v: impl Iterator<Item = f64>) -> Column {
    Series::new(name.into(), v.collect::<Vec<_>>()).into()
}

fn trades_frame(run: &RunResult) -> PolarsResult<DataFrame> {
    let t = &run.trades;
    let cols = vec![
        Series::new(
            "asset".into(),
            t.iter().map(|x| run.asset_name(x.asset)).collect::<Vec<_>>(),
        )
        .into(),
        Series::new(
            "side".into(),
            t.iter()
                .map(|x| if x.side.sign() > 0.0 { "long" } else { "short" })
                .collect::<Vec<_>>(),
        )
        .into(),
        f64s("qty", t.iter().map(|x| x.qty)),
        datetime("entry_time", t.iter().map(|x| x.entry_ts.0))?,
        f64s("entry_price", t.iter().map(|x| x.entry_price)),
        datetime("exit_time", t.iter().map(|x| x.exit_ts.0))?,
        f64s("exit_price", t.iter().map(|x| x.exit_price)),
        f64s("pnl_net", t.iter().map(|x| x.pnl_net)),
        f64s("return_pct", t.iter().map(|x| x.return_pct())),
        Series::new(
            "holding_bars".into(),
            t.iter().map(|x| x.holding_bars() as u64).collect::<Vec<_>>(),
        )
        .into(),
        f64s("entry_commission", t.iter().map(|x| x.entry_commission)),
        f64s("exit_commission", t.iter().map(|x| x.exit_commission)),
    ];
    DataFrame::new(t.len(), cols)
}

fn equity_frame(run: &RunResult) -> PolarsResult<DataFrame> {
    let e = &run.equity;
    let cols = vec![
        datetime("timestamp", e.ts().iter().copied())?,
        f64s("equity", e.iter().map(|p| p.equity)),
        f64s("cash", e.cash().into_iter()),
        f64s("gross_exposure", e.iter().map(|p| p.gross_exposure)),
        f64s("net_exposure", e.net_exposure().into_iter()),
        f64s("drawdown", e.drawdown().into_iter()),
    ];
    DataFrame::new(e.len(), cols)
}

fn fills_frame(run: &RunResult) -> PolarsResult<DataFrame> {
    let f = &run.fills;
    let cols = vec![
        datetime("timestamp", f.iter().map(|x| x.ts.0))?,
        Series::new(
            "asset".into(),
            f.iter().map(|x| run.asset_name(x.asset)).collect::<Vec<_>>(),
        )
        .into(),
        Series::new("side".into(), f.iter().map(|x| x.side.to_string()).collect::<Vec<_>>()).into(),
        f64s("qty", f.iter().map(|x| x.qty)),
        f64s("price", f.iter().map(|x| x.price)),
        f64s("commission", f.iter().map(|x| x.commission)),
        f64s("position_after", f.iter().map(|x| x.position_after)),
        Series::new("order_id".into(), f.iter().map(|x| x.order_id.0).collect::<Vec<_>>()).into(),
    ];
    DataFrame::new(f.len(), cols)
}

fn write_table(mut df: DataFrame, path: &Path) -> Result<(), DataError> {
    let format = TableFormat::of(path)?;
    write_atomic(path, |file| {
        match format {
            TableFormat::Csv => CsvWriter::new(file).finish(&mut df),
            TableFormat::Parquet => ParquetWriter::new(file).finish(&mut df).map(|_| ()),
        }
        .map_err(DataError::polars(path))
    })
}

/// Round-trip trades (CSV or Parquet by extension).
pub fn write_trades(run: &RunResult, path: &Path) -> Result<(), DataError> {
    write_table(trades_frame(run).map_err(DataError::polars(path))?, path)
}

/// The equity curve with cash, exposures and drawdown.
pub fn write_equity(run: &RunResult, path: &Path) -> Result<(), DataError> {
    write_table(equity_frame(run).map_err(DataError::polars(path))?, path)
}

/// Every fill.
pub fn write_fills(run: &RunResult, path: &Path) -> Result<(), DataError> {
    write_table(fills_frame(run).map_err(DataError::polars(path))?, path)
}

/// Writes `result.json`, `summary.txt`, `trades`, `equity` and `fills` into `dir` (created if
/// missing). Returns the files written.
pub fn export_dir(
    run: &RunResult,
    label: &RunLabel,
    opts: &MetricsOptions,
    dir: &Path,
    format: TableFormat,
) -> Result<Vec<PathBuf>, DataError> {
    std::fs::create_dir_all(dir).map_err(DataError::io(dir))?;
    let ext = format.extension();
    let files = [
        dir.join("result.json"),
        dir.join("summary.txt"),
        dir.join(format!("trades.{ext}")),
        dir.join(format!("equity.{ext}")),
        dir.join(format!("fills.{ext}")),
    ];
    write_result_json(run, label, opts, &files[0])?;
    let summary = run.summary(opts);
    write_atomic(&files[1], |f| {
        f.write_all(summary.as_bytes()).map_err(DataError::io(&files[1]))
    })?;
    write_trades(run, &files[2])?;
    write_equity(run, &files[3])?;
    write_fills(run, &files[4])?;
    Ok(files.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SampleSpec, sample};
    use ml4t_engine::backtest;
    use ml4t_engine::execution::BrokerConfig;
    use ml4t_engine::strategy::reference::MlThreshold;

    #[test]
    fn export_writes_every_table_in_both_formats() {
        let bars = sample(&SampleSpec {
            assets: 2,
            bars: 300,
            ..SampleSpec::default()
        })
        .unwrap();
        let run = backtest(
            &bars,
            &mut MlThreshold::scenario("S3").unwrap(),
            BrokerConfig::default(),
        )
        .unwrap();
        assert!(!run.trades.is_empty());
        let dir = tempfile::tempdir().unwrap();
        for format in [TableFormat::Csv, TableFormat::Parquet] {
            let out = dir.path().join(format.extension());
            let files = export_dir(&run, &RunLabel::default(), &MetricsOptions::default(), &out, format).unwrap();
            assert!(files.iter().all(|f| f.is_file()), "{files:?}");
        }
        let csv = std::fs::read_to_string(dir.path().join("csv/trades.csv")).unwrap();
        assert_eq!(csv.lines().count(), run.trades.len() + 1);
        assert!(csv.starts_with("asset,side,qty,entry_time,entry_price"));
        let json: ResultJson =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("csv/result.json")).unwrap()).unwrap();
        assert_eq!(json.n_trades, run.trades.len());
        assert!(json.metrics.is_some());
    }

    #[test]
    fn export_rejects_unknown_extension() {
        let err = TableFormat::of(Path::new("out/trades.xlsx")).unwrap_err().to_string();
        assert!(err.contains("trades.xlsx") && err.contains(".csv"), "{err}");
    }
}
