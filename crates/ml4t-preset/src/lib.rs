//! Strategy presets: which data to load, the strategy, broker costs and metric options, stored
//! as a human-readable RON file.
//!
//! ```ron
//! (
//!     data: (path: "../data/prices.parquet"),
//!     strategy: Rules(
//!         entry: [SignalAbove("ml_pred", 0.8)],
//!         exit: [Any([SignalBelow("ml_pred", 0.4), StopLoss(0.05)])],
//!         sizer: PercentOfCash(0.95),
//!     ),
//! )
//! ```
//!
//! Only `data.path` and `strategy` are required; every other field has a default. Files carry a
//! format `version` (missing = 1); files of older formats are migrated on reading, newer ones are
//! refused with a request to upgrade. Saving is atomic.

/// Atomic file replacement (temp file + rename), for presets and scripts.
pub mod atomic;
mod error;
mod format;
/// Running a preset: its strategy on its data with its broker.
pub mod run;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use error::PresetError;

/// Why a hybrid cannot run without a filter (the engine compiles the filter into a mask), in the
/// words the workbench shows.
pub const HYBRID_NO_FILTER: &str =
    "the hybrid has no (enabled) filter rule: add one on the Script tab, or switch the kind to Script";

use ml4t_data::{ColumnMapping, LoadOptions, LoadedData};
use ml4t_engine::execution::BrokerConfig;
use ml4t_engine::results::metrics::MetricsOptions;
use ml4t_engine::strategy::rules::{Rule, SignalStrategy};
use ml4t_engine::types::{NS_PER_DAY, TimestampNs};
use ml4t_script::{Script, ScriptError};

/// The preset format this build writes, and the newest it reads.
/// Version 2 adds optional fields only (a rules strategy's `direction` values `short_only` /
/// `long_short`, `short_entry`, `short_exit`, `exit_fills`, `entry_order`, `initial_margin`,
/// `portfolio`; the broker's `borrow_rate`, `bars_per_year`; the `sweep` section), so version 1
/// files read as they are.
pub const CURRENT_VERSION: u32 = 2;

/// A saved strategy with the data it runs on and the settings of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    /// Format version: [`CURRENT_VERSION`] after loading (older files are migrated); saving
    /// writes [`CURRENT_VERSION`].
    #[serde(default = "current_version")]
    pub version: u32,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub data: DataSpec,
    pub strategy: StrategySpec,
    #[serde(default)]
    pub broker: BrokerConfig,
    #[serde(default)]
    pub metrics: MetricsOptions,
    /// A parameter sweep over this preset (run by `ml4t sweep` and the Optimise view); `None`
    /// when the preset has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<SweepSpec>,
}

/// A parameter sweep as saved in a preset: which numbers vary and how, and what counts as best.
/// Paths and value specs stay text here; `ml4t-sweep` parses and checks them against the
/// strategy (so that a preset with a stale path still opens, and the error says which path).
///
/// ```ron
/// sweep: (
///     params: [(path: "entry[0]", values: "0.55:0.95:10"), (path: "exit[0]", values: "0.05,0.25,0.45")],
///     constraints: ["exit[0] < entry[0]"],
///     objective: "sharpe",
/// ),
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SweepSpec {
    /// The numbers that vary, in order (the first varies slowest in the grid).
    pub params: Vec<SweepParam>,
    /// Conditions every combination must meet, e.g. `exit[0] < entry[0]`.
    pub constraints: Vec<String>,
    /// The metric that picks the best combination (a field of the run metrics, e.g. `sharpe`).
    pub objective: String,
    /// Maximise the objective (false: minimise).
    pub maximize: bool,
    /// Draw this many random combinations instead of the whole grid.
    pub random: Option<RandomSampling>,
}

impl Default for SweepSpec {
    fn default() -> Self {
        SweepSpec {
            params: Vec::new(),
            constraints: Vec::new(),
            objective: "sharpe".into(),
            maximize: true,
            random: None,
        }
    }
}

/// One swept number: a path into the preset (`entry[0]`, `exit[1].lo`, `sizer`,
/// `broker.slippage_bps`) and its values (`a:b:n`, n values from a to b inclusive, or `v1,v2,...`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepParam {
    pub path: String,
    pub values: String,
}

/// Random sampling of a sweep: `samples` combinations drawn with a seeded generator (the same
/// seed draws the same combinations).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RandomSampling {
    pub samples: usize,
    #[serde(default)]
    pub seed: u64,
}

fn current_version() -> u32 {
    CURRENT_VERSION
}

/// Which data to load, and which part of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    /// A file or folder; a relative path is relative to the preset file's folder.
    pub path: PathBuf,
    /// Signal columns to load; `None` = every numeric column that is not a price.
    #[serde(default)]
    pub signals: Option<Vec<String>>,
    #[serde(default)]
    pub mapping: ColumnMapping,
    /// Assets to keep; `None` = all.
    #[serde(default)]
    pub assets: Option<Vec<String>>,
    /// First time to keep (inclusive): `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS` or RFC 3339.
    #[serde(default)]
    pub start: Option<String>,
    /// Last time to keep (inclusive); a bare date keeps that whole day.
    #[serde(default)]
    pub end: Option<String>,
}

impl DataSpec {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        DataSpec {
            path: path.into(),
            signals: None,
            mapping: ColumnMapping::default(),
            assets: None,
            start: None,
            end: None,
        }
    }
}

/// How the strategy is described. New kinds arrive as new variants, so older files keep reading.
///
/// ```ron
/// strategy: Script(path: "../scripts/s2.rhai"),
/// strategy: Script(source: "fn on_bar(bar, ctx) { if bar.ml_pred > 0.8 { ctx.buy_percent(0.95); } }"),
/// strategy: Hybrid(
///     filter: [Any([SignalAbove("ml_pred", 0.8), InPosition])],
///     script: (path: "../scripts/s2.rhai"),
/// ),
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StrategySpec {
    /// Level 1: declarative entry/exit rules and a sizer.
    Rules(SignalStrategy),
    /// Level 2: a Rhai script (see [`ml4t_script`]).
    Script(ScriptSource),
    /// Level 3: a compiled rule filter in front of a script; the script's `on_bar` runs only on
    /// the bars where all filter rules hold.
    Hybrid { filter: Vec<Rule>, script: ScriptSource },
}

impl StrategySpec {
    /// The declarative rules, if the strategy is made of rules.
    pub fn rules(&self) -> Option<&SignalStrategy> {
        match self {
            StrategySpec::Rules(r) => Some(r),
            _ => None,
        }
    }

    /// The script, for scripted and hybrid strategies.
    pub fn script(&self) -> Option<&ScriptSource> {
        match self {
            StrategySpec::Script(s) | StrategySpec::Hybrid { script: s, .. } => Some(s),
            StrategySpec::Rules(_) => None,
        }
    }
}

/// Where a script comes from: a file, or text kept in the preset itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptSource {
    /// The `.rhai` file; a relative path is relative to the preset file's folder. With `source`
    /// set, it only names the script in error messages (and may stay empty).
    #[serde(default)]
    pub path: PathBuf,
    /// The script text inline, instead of reading `path`.
    #[serde(default)]
    pub source: Option<String>,
}

impl ScriptSource {
    pub fn file(path: impl Into<PathBuf>) -> Self {
        ScriptSource {
            path: path.into(),
            source: None,
        }
    }

    pub fn inline(source: impl Into<String>) -> Self {
        ScriptSource {
            path: PathBuf::new(),
            source: Some(source.into()),
        }
    }

    /// The script path, resolved against the folder of `preset_file` when relative (`..` steps
    /// folded where possible, so that messages show a short path).
    pub fn resolved_path(&self, preset_file: &Path) -> PathBuf {
        let joined = match preset_file.parent() {
            Some(dir) if self.path.is_relative() => dir.join(&self.path),
            _ => self.path.clone(),
        };
        let mut out = PathBuf::new();
        for c in joined.components() {
            match c {
                std::path::Component::CurDir => {}
                std::path::Component::ParentDir
                    if matches!(out.components().next_back(), Some(std::path::Component::Normal(_))) =>
                {
                    out.pop();
                }
                c => out.push(c),
            }
        }
        out
    }

    /// Reads (unless inline) and compiles the script. Errors name the script file, or the preset
    /// for inline text, with line and column.
    /// "path/to/s.rhai", or "(inline, N lines)" for an inline script.
    pub fn describe(&self) -> String {
        match &self.source {
            Some(text) => format!("(inline, {} lines)", text.lines().count()),
            None => self.path.display().to_string(),
        }
    }

    pub fn load(&self, preset_file: &Path) -> Result<Script, ScriptError> {
        match &self.source {
            Some(text) => {
                let origin = if self.path.as_os_str().is_empty() {
                    format!("{} (inline script)", preset_file.display())
                } else {
                    self.resolved_path(preset_file).display().to_string()
                };
                Script::compile(text, &origin)
            }
            None if self.path.as_os_str().is_empty() => Err(ScriptError::Io {
                origin: preset_file.display().to_string(),
                message: "the script has neither a path nor inline source".into(),
            }),
            None => Script::load(&self.resolved_path(preset_file)),
        }
    }
}

/// Reads a preset file. Errors name the file, and for syntax errors the line and column.
pub fn load(path: &Path) -> Result<Preset, PresetError> {
    let text = std::fs::read_to_string(path).map_err(PresetError::io(path))?;
    from_str(&text, path)
}

/// Parses preset text; `origin` is the file it came from (named in errors). Also checks what can
/// be checked without the data: the date range and the broker settings.
pub fn from_str(text: &str, origin: &Path) -> Result<Preset, PresetError> {
    let preset = format::read(text, origin)?;
    preset.options_for(origin)?;
    preset
        .broker
        .validate()
        .map_err(|m| PresetError::field(origin, "broker", m))?;
    Ok(preset)
}

/// Writes `preset` to `path` as pretty RON, atomically: the old file stays intact if anything
/// fails, and no temporary file is left behind.
pub fn save(preset: &Preset, path: &Path) -> Result<(), PresetError> {
    let mut current = preset.clone();
    current.version = CURRENT_VERSION;
    let text = format::write(&current, path)?;
    atomic::write_atomic(path, text.as_bytes()).map_err(PresetError::io(path))
}

impl Preset {
    /// A preset of `strategy` on the data at `data_path`, with default broker and metrics.
    pub fn new(name: &str, data_path: impl Into<PathBuf>, strategy: SignalStrategy) -> Self {
        Preset {
            version: CURRENT_VERSION,
            name: name.into(),
            description: String::new(),
            data: DataSpec::new(data_path),
            strategy: StrategySpec::Rules(strategy),
            broker: BrokerConfig::default(),
            metrics: MetricsOptions::default(),
            sweep: None,
        }
    }

    /// The data path, resolved against the folder of `preset_file` when relative.
    pub fn data_path(&self, preset_file: &Path) -> PathBuf {
        match preset_file.parent() {
            Some(dir) if self.data.path.is_relative() => dir.join(&self.data.path),
            _ => self.data.path.clone(),
        }
    }

    /// The options for [`ml4t_data::load`]. Fails on a start/end that is not a time (the error
    /// names the field and the value) or a start after the end.
    pub fn load_options(&self) -> Result<LoadOptions, PresetError> {
        self.options_for(Path::new(""))
    }

    fn options_for(&self, preset_file: &Path) -> Result<LoadOptions, PresetError> {
        let d = &self.data;
        let start = parse_time(preset_file, "data.start", d.start.as_deref(), false)?;
        let end = parse_time(preset_file, "data.end", d.end.as_deref(), true)?;
        if let (Some(s), Some(e)) = (start, end)
            && s > e
        {
            return Err(PresetError::field(
                preset_file,
                "data.start",
                format!("{s} is after data.end {e}; swap them or widen the range"),
            ));
        }
        Ok(LoadOptions {
            mapping: d.mapping.clone(),
            signals: d.signals.clone(),
            assets: d.assets.clone(),
            start,
            end,
        })
    }

    /// Loads the preset's data (path resolved against `preset_file`); errors name the preset and
    /// the resolved data path.
    pub fn load_data(&self, preset_file: &Path) -> Result<LoadedData, PresetError> {
        let opts = self.options_for(preset_file)?;
        ml4t_data::load(&self.data_path(preset_file), &opts).map_err(|source| PresetError::Data {
            path: preset_file.to_path_buf(),
            source,
        })
    }

    /// Checks the whole preset against loaded data's signal names and asset count: the date range,
    /// the broker settings and the strategy. Errors name `preset_file` and the failing field.
    pub fn validate_against(
        &self,
        preset_file: &Path,
        signal_names: &[String],
        n_assets: usize,
    ) -> Result<(), PresetError> {
        self.options_for(preset_file)?;
        self.broker
            .validate()
            .map_err(|m| PresetError::field(preset_file, "broker", m))?;
        let invalid = |e: &dyn std::fmt::Display| PresetError::field(preset_file, "strategy", e.to_string());
        match &self.strategy {
            StrategySpec::Rules(rules) => rules.validate(signal_names, n_assets).map_err(|e| invalid(&e)),
            StrategySpec::Script(script) => script.load(preset_file).map(drop).map_err(|e| invalid(&e)),
            StrategySpec::Hybrid { filter, script } => {
                let check = SignalStrategy {
                    entry: filter.clone(),
                    ..SignalStrategy::default()
                };
                check
                    .validate(signal_names, n_assets)
                    .map_err(|e| PresetError::field(preset_file, "strategy.filter", e.to_string()))?;
                script.load(preset_file).map(drop).map_err(|e| invalid(&e))
            }
        }
    }
}

/// Parses an optional start/end time. A bare date as the end means the end of that day, so that
/// intraday bars of the last day are kept.
fn parse_time(
    preset_file: &Path,
    field: &str,
    text: Option<&str>,
    end: bool,
) -> Result<Option<TimestampNs>, PresetError> {
    let Some(text) = text else { return Ok(None) };
    let Some(ts) = TimestampNs::parse(text) else {
        return Err(PresetError::field(
            preset_file,
            field,
            format!("cannot read '{text}' as a time; use YYYY-MM-DD, YYYY-MM-DD HH:MM:SS or RFC 3339"),
        ));
    };
    let bare_date = ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"]
        .iter()
        .any(|f| chrono::NaiveDate::parse_from_str(text.trim(), f).is_ok());
    Ok(Some(if end && bare_date {
        TimestampNs(ts.0.saturating_add(NS_PER_DAY - 1))
    } else {
        ts
    }))
}

#[cfg(test)]
mod tests;
