//! A run as ONE self-contained HTML tearsheet: inline SVG charts drawn here, tables, the
//! strategy as text and the data's provenance. No script, no stylesheet or font from elsewhere,
//! no URL at all: the file opens offline in any browser and prints readably.
//!
//! The caller runs the backtest and the analysis and describes what only it knows (the strategy
//! in words, where the data came from, sweep results); [`render`] turns that into HTML:
//!
//! ```no_run
//! # fn demo(result: &ml4t_engine::results::RunResult, bars: &ml4t_engine::market::Bars) -> Result<(), ml4t_report::ReportError> {
//! use ml4t_engine::results::analysis::{Analysis, AnalysisOptions};
//! use ml4t_engine::results::metrics::MetricsOptions;
//! let opts = AnalysisOptions::with_metrics(MetricsOptions::default());
//! let analysis = Analysis::compute(result, bars, &opts)?;
//! let input = ml4t_report::ReportInput::new("My strategy", result, result.metrics(&opts.metrics), analysis);
//! ml4t_report::write(&input, std::path::Path::new("report.html"))?;
//! # Ok(()) }
//! ```
//!
//! Long series are thinned to the pixel (lowest and highest value per pixel column, in time
//! order), scatter points to one per pixel and outcome, and the trade list to
//! [`ReportInput::max_trade_rows`] rows, so ten years of minute bars stay readable and the file
//! stays small (a few hundred kB for the sample, under 5 MB by design for any run).

/// Number and date formatting, HTML escaping.
mod format;
/// FNV-1a 64 content hashes of data files.
pub mod hash;
/// Page assembly: sections, tables, cards.
mod html;
/// Inputs of the optional research section: sweep heatmap, fold table, overfitting panel.
pub mod research;
/// Inline SVG charts: lines, bars, histograms, scatter; thinning to the pixel.
pub mod svg;

use std::path::{Path, PathBuf};

use ml4t_engine::results::RunResult;
use ml4t_engine::results::analysis::{Analysis, AnalysisError};
use ml4t_engine::results::metrics::Metrics;

pub use research::{FoldTable, OverfittingPanel, Research, SweepHeatmap};

/// Why a report could not be made or written; the message names the file.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write the report to {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("analysis: {0}")]
    Analysis(#[from] AnalysisError),
}

/// A titled block of readable text (the strategy's rules, its sizer, the broker, fill timing).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct TextSection {
    pub title: String,
    /// One line each (shown as a list).
    pub lines: Vec<String>,
}

impl TextSection {
    pub fn new(title: impl Into<String>, lines: impl IntoIterator<Item = impl Into<String>>) -> Self {
        TextSection {
            title: title.into(),
            lines: lines.into_iter().map(Into::into).collect(),
        }
    }
}

/// One data file and its content hash.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default, serde::Serialize, serde::Deserialize)]
pub struct DataFile {
    pub path: String,
    pub bytes: u64,
    /// FNV-1a 64 of the file's bytes, 16 hex digits (see [`hash`]).
    pub fnv1a64: String,
}

/// Where the data came from and what of it the run used.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Provenance {
    /// The file or folder as given.
    pub source: String,
    pub files: Vec<DataFile>,
    /// FNV-1a 64 over all files (see [`hash::hash_path`]), 16 hex digits.
    pub combined_hash: String,
    /// First and last timestamp, as text.
    pub first: String,
    pub last: String,
    pub assets: Vec<String>,
    /// Signal columns loaded.
    pub signals: Vec<String>,
    /// Signal columns the strategy reads (a subset of `signals`).
    pub signals_used: Vec<String>,
    pub rows: usize,
    pub timestamps: usize,
}

impl Provenance {
    /// Hashes the files under `source` (a file or a folder) and fills the rest from the bars the
    /// run used.
    pub fn from_path(
        source: &Path,
        bars: &ml4t_engine::market::Bars,
        signals_used: Vec<String>,
    ) -> Result<Provenance, ReportError> {
        let (files, combined) = hash::hash_path(source)?;
        Ok(Self::with_files(source, files, combined, bars, signals_used))
    }

    /// Hashes exactly `files` (those a loader read from `source`, in load order).
    pub fn from_files(
        source: &Path,
        files: &[PathBuf],
        bars: &ml4t_engine::market::Bars,
        signals_used: Vec<String>,
    ) -> Result<Provenance, ReportError> {
        let base = if source.is_dir() {
            source
        } else {
            source.parent().unwrap_or(source)
        };
        let (files, combined) = hash::hash_files(files, base)?;
        Ok(Self::with_files(source, files, combined, bars, signals_used))
    }

    fn with_files(
        source: &Path,
        files: Vec<DataFile>,
        combined: u64,
        bars: &ml4t_engine::market::Bars,
        signals_used: Vec<String>,
    ) -> Provenance {
        let (first, last) = bars
            .time_range()
            .map_or((String::new(), String::new()), |(a, b)| (a.to_iso(), b.to_iso()));
        Provenance {
            source: source.display().to_string(),
            files,
            combined_hash: format!("{combined:016x}"),
            first,
            last,
            assets: bars.assets().to_vec(),
            signals: bars.signal_names().to_vec(),
            signals_used,
            rows: bars.len(),
            timestamps: bars.n_timestamps(),
        }
    }
}

/// Everything a report shows. Build it with [`ReportInput::new`] and set the optional parts.
#[derive(Debug, Clone)]
pub struct ReportInput<'a> {
    pub title: String,
    /// A line under the title (e.g. the preset's description).
    pub subtitle: String,
    pub result: &'a RunResult,
    pub metrics: Metrics,
    pub analysis: Analysis,
    /// The strategy in words: rules, sizer, broker, fill timing (in this order, by convention).
    pub strategy: Vec<TextSection>,
    pub provenance: Option<Provenance>,
    /// Sweep, walk-forward and overfitting results, when the run came from one.
    pub research: Option<Research>,
    /// Trades listed at most (the first and last half of this many when there are more).
    pub max_trade_rows: usize,
}

impl<'a> ReportInput<'a> {
    pub fn new(title: impl Into<String>, result: &'a RunResult, metrics: Metrics, analysis: Analysis) -> Self {
        ReportInput {
            title: title.into(),
            subtitle: String::new(),
            result,
            metrics,
            analysis,
            strategy: Vec::new(),
            provenance: None,
            research: None,
            max_trade_rows: 10_000,
        }
    }
}

/// The report as one HTML document.
pub fn render(input: &ReportInput<'_>) -> String {
    html::page(input)
}

/// Renders the report and writes it to `path` (replacing it).
pub fn write(input: &ReportInput<'_>, path: &Path) -> Result<(), ReportError> {
    std::fs::write(path, render(input)).map_err(|source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// The ids of the sections every report has, in page order (the research section,
/// `research`, only when given). Tests and the browser check look for these.
pub const SECTIONS: &[&str] = &[
    "summary",
    "strategy",
    "data",
    "equity",
    "drawdowns",
    "returns",
    "rolling",
    "benchmark",
    "trades",
    "trade-list",
    "metrics",
];

/// The `data-chart` names of the charts every report has (each an inline `<svg>`).
pub const CHARTS: &[&str] = &[
    "equity",
    "underwater",
    "monthly",
    "yearly",
    "distribution",
    "rolling-sharpe",
    "rolling-vol",
    "mae",
    "mfe",
    "pnl",
    "holding",
];
