//! The workbench: an `eframe::App`. `logic` drains background jobs and file events and applies
//! the commands the panels emitted; `ui` draws (layout.rs). State lives in [`Workbench`].

pub mod command;
mod layout;
pub mod live;
pub mod log;
pub(crate) mod logic;
pub mod sample;
pub mod script;
mod watch;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

pub use command::Command;

use crate::ui::RunView;
use crate::ui::results_ui::ResultsState;
use crate::worker::Task;
use ml4t_data::{LoadedData, SchemaInfo, SignalInfo};
use ml4t_preset::Preset;

/// Left panel tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum LeftTab {
    #[default]
    Data,
    Rules,
    Broker,
    Live,
    Script,
}

/// What survives a restart (eframe storage).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Persisted {
    pub recent_data: Vec<PathBuf>,
    pub recent_presets: Vec<PathBuf>,
    pub data_path: Option<PathBuf>,
    pub preset_path: Option<PathBuf>,
    /// The preset with unsaved edits, if any.
    pub unsaved_preset: Option<Preset>,
    /// The text of a file-based script with unsaved edits, if any.
    pub unsaved_script: Option<String>,
    pub auto_run: bool,
    pub results: ResultsState,
    pub left_tab: LeftTab,
    pub show_log: bool,
    /// The Live tab's feed URL.
    pub live_url: String,
    /// The Live tab's journal folder (empty: no journal).
    pub live_journal: String,
    /// End the live run at the end of the stream (otherwise wait for more data until stopped).
    pub live_exit_at_end: bool,
}

/// Where `ml4t replay --port 9001` serves.
pub const DEFAULT_LIVE_URL: &str = "ws://127.0.0.1:9001";

impl Default for Persisted {
    fn default() -> Self {
        Persisted {
            recent_data: Vec::new(),
            recent_presets: Vec::new(),
            data_path: None,
            preset_path: None,
            unsaved_preset: None,
            unsaved_script: None,
            auto_run: false,
            results: ResultsState::default(),
            left_tab: LeftTab::default(),
            show_log: false,
            live_url: DEFAULT_LIVE_URL.into(),
            live_journal: String::new(),
            live_exit_at_end: true,
        }
    }
}

const STORAGE_KEY: &str = "ml4t-workbench";

/// Loaded data with what the panels show about it.
pub struct DataView {
    pub loaded: LoadedData,
    pub bars: Arc<ml4t_engine::market::Bars>,
    pub signals: Vec<SignalInfo>,
    pub schema: Option<SchemaInfo>,
}

/// The result of a background load.
pub struct LoadOutcome {
    pub data: DataView,
}

/// All workbench state.
pub struct Workbench {
    pub persisted: Persisted,
    /// The strategy document being edited.
    pub preset: Preset,
    /// Where it lives on disk (None: the built-in default, never saved).
    pub preset_path: Option<PathBuf>,
    /// Unsaved edits.
    pub dirty: bool,
    pub data: Option<DataView>,
    /// Last successful run.
    pub run: Option<RunView>,
    pub load_task: Option<Task<LoadOutcome>>,
    pub run_task: Option<Task<RunView>>,
    /// The live paper-trading session (running or finished), if one was started.
    pub live: Option<live::LiveSession>,
    /// A run requested while the data was loading (or debounced auto-run): when to start it.
    pub run_at: Option<Instant>,
    /// The last error, shown as a banner until dismissed or fixed.
    pub error: Option<String>,
    /// Validation problem of the current strategy (shown inline, blocks runs).
    pub invalid: Option<String>,
    pub log: log::Log,
    pub commands: Vec<Command>,
    /// Text of the data path field (typed paths, recent files).
    pub data_path_field: String,
    pub preset_path_field: String,
    watcher: Option<watch::FileWatcher>,
    wake: Arc<dyn Fn() + Send + Sync>,
    /// Every asset seen in the current data file (the asset filter hides some from `data`).
    pub known_assets: Vec<String>,
    /// The preset on disk changed while there were unsaved edits.
    pub preset_changed_on_disk: bool,
    /// The Script tab's editor buffer.
    pub script: script::ScriptEditor,
    title: String,
    sample_dir: PathBuf,
}

impl Workbench {
    /// A workbench on the bundled sample and default preset (restoring the last session when
    /// `persisted` names files that still exist).
    pub fn new(persisted: Persisted, wake: Arc<dyn Fn() + Send + Sync>) -> Self {
        Self::with_sample_dir(persisted, wake, sample::sample_dir())
    }

    /// As [`Workbench::new`], unpacking the bundled sample into `sample_dir` (tests use a temp dir).
    pub fn with_sample_dir(persisted: Persisted, wake: Arc<dyn Fn() + Send + Sync>, sample_dir: PathBuf) -> Self {
        let mut log = log::Log::default();
        let watcher = match watch::FileWatcher::new(wake.clone()) {
            Ok(w) => Some(w),
            Err(e) => {
                log.warn(e);
                None
            }
        };
        let mut app = Workbench {
            persisted,
            preset: Preset::new("untitled", PathBuf::new(), Default::default()),
            preset_path: None,
            dirty: false,
            data: None,
            run: None,
            load_task: None,
            run_task: None,
            live: None,
            run_at: None,
            error: None,
            invalid: None,
            log,
            commands: Vec::new(),
            data_path_field: String::new(),
            preset_path_field: String::new(),
            watcher,
            wake,
            preset_changed_on_disk: false,
            script: Default::default(),
            known_assets: Vec::new(),
            title: String::new(),
            sample_dir,
        };
        app.start();
        app
    }

    /// Built for eframe: restores persisted state and wires repaints.
    pub fn from_creation_context(cc: &eframe::CreationContext<'_>) -> Self {
        let persisted = cc
            .storage
            .and_then(|s| eframe::get_value::<Persisted>(s, STORAGE_KEY))
            .unwrap_or_default();
        let ctx = cc.egui_ctx.clone();
        Workbench::new(persisted, Arc::new(move || ctx.request_repaint()))
    }

    /// Whether a load or run is in flight.
    pub fn busy(&self) -> bool {
        self.load_task.is_some() || self.run_task.is_some()
    }

    /// The window title: preset name, unsaved marker, data file.
    pub fn title(&self) -> String {
        let data = self
            .data
            .as_ref()
            .and_then(|d| d.loaded.path.file_name())
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| "no data".into());
        let name = self
            .preset_path
            .as_ref()
            .and_then(|p| p.file_name())
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| format!("{} (built-in)", self.preset.name));
        format!("{}{} — {} — ml4t", name, if self.dirty { " *" } else { "" }, data)
    }
}

impl Workbench {
    /// One whole frame without eframe (input, logic, drawing): what tests drive.
    pub fn frame_ui(&mut self, ui: &mut egui::Ui) {
        self.handle_input(ui.ctx());
        self.tick();
        layout::workbench_ui(ui, self);
    }
}

impl eframe::App for Workbench {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.handle_input(ctx);
        self.tick();
        let title = self.title();
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
        if self.busy() || self.run_at.is_some() || self.watcher.as_ref().is_some_and(|w| w.has_pending()) {
            ctx.request_repaint_after(std::time::Duration::from_millis(50));
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        layout::workbench_ui(ui, self);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.persisted.preset_path = self.preset_path.clone();
        self.persisted.data_path = self.data.as_ref().map(|d| d.loaded.path.clone());
        self.persisted.unsaved_preset = self.dirty.then(|| self.preset.clone());
        self.persisted.unsaved_script = self.script.unsaved().then(|| self.script.text.clone());
        eframe::set_value(storage, STORAGE_KEY, &self.persisted);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        // Stops the feed and joins the worker.
        self.live = None;
    }
}

/// Opens the workbench window. Fails with a message pointing at `ml4t run` when there is no display.
pub fn run_gui() -> Result<(), String> {
    #[cfg(target_os = "linux")]
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        return Err(
            "no display found (neither DISPLAY nor WAYLAND_DISPLAY is set), so the workbench cannot open.\n\
             Run a backtest headless instead: `ml4t run --preset assets/presets/default.ron` (see `ml4t --help`)."
                .into(),
        );
    }
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([1400.0, 900.0])
            .with_min_inner_size([800.0, 500.0])
            .with_title("ml4t")
            .with_app_id("ml4t")
            .with_drag_and_drop(true),
        ..Default::default()
    };
    eframe::run_native(
        "ml4t",
        options,
        Box::new(|cc| Ok(Box::new(Workbench::from_creation_context(cc)))),
    )
    .map_err(|e| {
        format!(
            "the workbench window could not open: {e}.\nRun a backtest headless instead: \
                 `ml4t run --preset assets/presets/default.ron` (see `ml4t --help`)."
        )
    })
}
