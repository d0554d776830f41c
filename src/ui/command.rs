//! What the UI asks the app to do. Panels push commands while drawing; the app applies them
//! after the frame is drawn, so state never changes under a panel's feet.

use std::path::PathBuf;

use ml4t_preset::StrategySpec;

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Load a data file or folder (background), keeping the current one until it succeeds.
    OpenData(PathBuf),
    /// Reload the current data with the preset's (changed) data options.
    ReloadData,
    /// Pick a data file with the native dialog.
    OpenDataDialog,
    OpenPreset(PathBuf),
    OpenPresetDialog,
    /// Save to the preset's file, or ask for one.
    SavePreset,
    SavePresetAs(PathBuf),
    SavePresetAsDialog,
    /// Reload the preset from disk, dropping unsaved edits.
    RevertPreset,
    Run,
    Cancel,
    /// Stop loading the data file: the previous data and results stay.
    CancelLoad,
    /// The strategy or broker settings changed (marks the preset unsaved; auto-run may follow).
    StrategyEdited,
    /// The data options (signals, mapping, assets, dates) changed: reload the data.
    DataOptionsEdited,
    DismissError,
    /// Paper trade the current strategy on the Live tab's feed URL.
    StartLive,
    /// Stop the live session's feed; the run finishes with what it has.
    StopLive,
    /// Switch between rules, portfolio, script and hybrid (the previous spec stays recoverable).
    SetStrategyKind(StrategyKind),
    /// Use this `.rhai` file as the strategy's script.
    OpenScript(PathBuf),
    OpenScriptDialog,
    /// Write the script buffer to its file.
    SaveScript,
    /// Write the script buffer to this file and use it from there.
    SaveScriptAs(PathBuf),
    /// Keep the script inline in the preset (true) or in its file (false).
    SetScriptInline(bool),
    /// Reload the script file, dropping unsaved script edits.
    ReloadScript,
    /// Write the last run's HTML tearsheet to this file (in the background).
    ExportReport(PathBuf),
    /// Rerun the strategy under next-open, intrabar and same-close fills (in the background).
    CompareFills,
    /// Stop the fill comparison, keeping the assumptions that finished.
    CancelFillComparison,
    /// Sweeps, walk-forwards and the sweep definition (the Optimise view, "sweep this").
    Optimise(super::optimise_ui::OptimiseCommand),
}

/// The strategy kinds the Script tab switches between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrategyKind {
    Rules,
    /// A rebalancing portfolio (`Rules` with `portfolio` set in the preset).
    Portfolio,
    Script,
    Hybrid,
}

impl StrategyKind {
    pub fn of(spec: &StrategySpec) -> Self {
        match spec {
            StrategySpec::Rules(r) if r.portfolio.is_some() => StrategyKind::Portfolio,
            StrategySpec::Rules(_) => StrategyKind::Rules,
            StrategySpec::Script(_) => StrategyKind::Script,
            StrategySpec::Hybrid { .. } => StrategyKind::Hybrid,
        }
    }
}
