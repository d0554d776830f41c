//! The workbench: an `eframe::App`. `logic` drains background jobs and file events and applies
//! the commands the panels emitted; `ui` draws (layout.rs). State lives in [`Workbench`].

mod dialog;
mod fills;
mod live;
mod logic;
mod optimise;
mod prints;
mod sample;
mod script;
mod watch;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

pub use crate::ui::command::{Command, StrategyKind};
pub use crate::ui::live_ui::{LiveState, LiveView};
pub use crate::ui::optimise_ui::OptimiseCommand;
pub use crate::ui::{DataView, RunView};
pub use script::ScriptEditor;

use crate::log::Log;
pub use crate::ui::layout::LeftTab;
use crate::ui::layout::{FillsTab, LiveTab, OptimiseTab, Screen, ScriptTab, workbench_ui};
use crate::ui::results_ui::ResultsState;
use crate::worker::Task;
use ml4t_preset::Preset;

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

/// The result of a background load.
pub struct LoadOutcome {
    pub data: DataView,
}

/// All workbench state.
pub struct Workbench {
    persisted: Persisted,
    /// The strategy document being edited.
    preset: Preset,
    /// Where it lives on disk (None: the built-in default, never saved).
    preset_path: Option<PathBuf>,
    /// Unsaved edits.
    dirty: bool,
    data: Option<DataView>,
    /// Last successful run.
    run: Option<RunView>,
    load_task: Option<Task<LoadOutcome>>,
    run_task: Option<Task<RunView>>,
    /// When the run in flight started, and once its result is in, that instant again: the
    /// frame that draws the result logs the run-to-redrawn-plots latency.
    run_started: Option<Instant>,
    redraw_from: Option<Instant>,
    /// The last run-to-redrawn-plots latency in milliseconds.
    last_latency_ms: Option<f64>,
    /// An HTML report being written: where to.
    report_task: Option<Task<PathBuf>>,
    /// The live paper-trading session (running or finished), if one was started.
    live: Option<live::LiveSession>,
    /// A run requested while the data was loading (or debounced auto-run): when to start it.
    run_at: Option<Instant>,
    /// The last error, shown as a banner until dismissed or fixed.
    error: Option<String>,
    /// Validation problem of the current strategy (shown inline, blocks runs).
    invalid: Option<String>,
    log: Log,
    commands: Vec<Command>,
    /// Text of the data path field (typed paths, recent files).
    data_path_field: String,
    preset_path_field: String,
    watcher: Option<watch::FileWatcher>,
    /// Native file dialogs, on threads of their own.
    dialogs: dialog::Dialogs,
    /// Script `print` lines on their way to the log.
    prints: prints::ScriptPrints,
    wake: Arc<dyn Fn() + Send + Sync>,
    /// Every asset seen in the current data file (the asset filter hides some from `data`).
    known_assets: Vec<String>,
    /// The preset on disk changed while there were unsaved edits.
    preset_changed_on_disk: bool,
    /// The Script tab's editor buffer.
    script: script::ScriptEditor,
    /// The fill-assumption comparison (Fills view of the results).
    fills: fills::FillsState,
    title: String,
    sample_dir: PathBuf,
    /// No window size was remembered: size the window to the screen at the first frame that
    /// knows the monitor.
    fit_to_screen: bool,
    /// Sweeps and walk-forwards (the Optimise view).
    optimise: optimise::Optimise,
}

impl Workbench {
    /// A workbench on the bundled sample and default preset (restoring the last session when
    /// `persisted` names files that still exist).
    pub fn new(persisted: Persisted, wake: Arc<dyn Fn() + Send + Sync>) -> Self {
        Self::with_sample_dir(persisted, wake, sample::sample_dir())
    }

    /// As [`Workbench::new`], unpacking the bundled sample into `sample_dir` (tests use a temp dir).
    pub fn with_sample_dir(persisted: Persisted, wake: Arc<dyn Fn() + Send + Sync>, sample_dir: PathBuf) -> Self {
        let mut log = Log::default();
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
            run_started: None,
            redraw_from: None,
            last_latency_ms: None,
            report_task: None,
            live: None,
            run_at: None,
            error: None,
            invalid: None,
            log,
            commands: Vec::new(),
            data_path_field: String::new(),
            preset_path_field: String::new(),
            watcher,
            dialogs: dialog::Dialogs::new(wake.clone()),
            prints: Default::default(),
            wake,
            preset_changed_on_disk: false,
            script: Default::default(),
            fills: Default::default(),
            known_assets: Vec::new(),
            title: String::new(),
            sample_dir,
            fit_to_screen: false,
            optimise: Default::default(),
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
        let mut app = Workbench::new(persisted, Arc::new(move || ctx.request_repaint()));
        // eframe remembers the window's geometry under "window"; without it this is a first start.
        app.fit_to_screen = cc.storage.is_none_or(|s| s.get_string("window").is_none());
        app
    }

    /// At a first start: 90 % of the monitor (at least the minimum size), centred.
    fn fit_window(&mut self, ctx: &egui::Context) {
        if !self.fit_to_screen {
            return;
        }
        let Some(monitor) = ctx.input(|i| i.viewport().monitor_size) else {
            return;
        };
        self.fit_to_screen = false;
        let size = (monitor * 0.9).max(egui::vec2(MIN_WINDOW[0], MIN_WINDOW[1]));
        ctx.send_viewport_cmd(egui::ViewportCommand::InnerSize(size));
        let corner = ((monitor - size) * 0.5).max(egui::Vec2::ZERO);
        ctx.send_viewport_cmd(egui::ViewportCommand::OuterPosition(corner.to_pos2()));
    }

    /// Whether a load or run is in flight (the fill comparison runs beside them).
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

/// What a test (or an embedding program) reads and does: the state the window shows, and the
/// commands a user's clicks would push. Drive frames with [`Workbench::frame_ui`].
impl Workbench {
    /// The last successful run.
    pub fn run(&self) -> Option<&RunView> {
        self.run.as_ref()
    }
    pub fn data(&self) -> Option<&DataView> {
        self.data.as_ref()
    }
    /// The strategy document being edited.
    pub fn preset(&self) -> &Preset {
        &self.preset
    }
    /// Edits the preset as a panel does; push [`Command::StrategyEdited`] after, as panels do.
    pub fn preset_mut(&mut self) -> &mut Preset {
        &mut self.preset
    }
    /// Where the preset lives on disk (None: the built-in default).
    pub fn preset_path(&self) -> Option<&std::path::Path> {
        self.preset_path.as_deref()
    }
    /// Unsaved edits.
    pub fn dirty(&self) -> bool {
        self.dirty
    }
    /// The error banner.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
    /// Why the current strategy cannot run.
    pub fn invalid(&self) -> Option<&str> {
        self.invalid.as_deref()
    }
    pub fn log(&self) -> &Log {
        &self.log
    }
    pub fn persisted(&self) -> &Persisted {
        &self.persisted
    }
    pub fn script(&self) -> &ScriptEditor {
        &self.script
    }
    /// The live session's view, if one was started.
    pub fn live(&self) -> Option<&LiveView> {
        self.live.as_ref().map(|s| &s.view)
    }
    /// A data file is being loaded.
    pub fn loading(&self) -> bool {
        self.load_task.is_some()
    }
    /// A run is in flight.
    pub fn running(&self) -> bool {
        self.run_task.is_some()
    }
    /// Nothing in flight, nothing scheduled, no command waiting.
    pub fn idle(&self) -> bool {
        !self.busy() && !self.optimise.busy() && self.run_at.is_none() && self.commands.is_empty()
    }
    /// Queues what a click would queue; applied at the next frame.
    pub fn push(&mut self, command: Command) {
        self.commands.push(command);
    }
    /// Types into the data path field.
    pub fn type_data_path(&mut self, text: &str) {
        text.clone_into(&mut self.data_path_field);
    }
    /// Uses `data` as if it had been loaded (tests that need data no file holds).
    pub fn set_data(&mut self, data: DataView) {
        self.data = Some(data);
    }
    /// Forgets the last run (so a test can wait for the next one).
    pub fn clear_run(&mut self) {
        self.run = None;
    }
    /// Forgets the loaded data.
    pub fn clear_data(&mut self) {
        self.data = None;
    }
}

impl Workbench {
    /// One whole frame without eframe (input, logic, drawing): what tests drive.
    pub fn frame_ui(&mut self, ui: &mut egui::Ui) {
        self.handle_input(ui.ctx());
        self.tick();
        let drawing = Instant::now();
        workbench_ui(ui, &mut self.screen());
        self.log_redraw_latency(drawing);
    }

    /// After the first frame that drew a new result: how long from the run's start (engine,
    /// metrics, hand-over and plot preparation together), in the log and [`Self::last_latency_ms`].
    /// `drawing`: when this frame's drawing started (the rest of the time after the run is the
    /// wait for the frame: the previous one being painted, the wake-up).
    fn log_redraw_latency(&mut self, drawing: Instant) {
        let Some(started) = self.redraw_from.take() else { return };
        let total = started.elapsed().as_secs_f64() * 1e3;
        let draw = drawing.elapsed().as_secs_f64() * 1e3;
        self.last_latency_ms = Some(total);
        if let Some(run) = &self.run {
            self.log.info(format!(
                "run to redrawn plots: {total:.1} ms ({:.1} ms engine and metrics, {:.1} ms waiting for the frame, {draw:.1} ms preparing and laying out the plots)",
                run.elapsed_ms,
                (total - run.elapsed_ms - draw).max(0.0)
            ));
        }
    }

    /// The last run-to-redrawn-plots latency in milliseconds (engine, metrics, plot preparation).
    pub fn last_latency_ms(&self) -> Option<f64> {
        self.last_latency_ms
    }

    /// The window's view of the state for one frame.
    fn screen(&mut self) -> Screen<'_> {
        let loading = self.load_task.as_ref().map(|t| t.elapsed());
        let running = self.run_task.as_ref().map(|t| (t.progress(), t.elapsed()));
        let unsaved_script = self.script.unsaved();
        let fills_stale = self.fills_stale();
        let swept = self
            .preset
            .sweep
            .as_ref()
            .map(|s| s.params.iter().map(|p| p.path.trim().to_owned()).collect())
            .unwrap_or_default();
        let o = &self.optimise;
        let p = &mut self.persisted;
        Screen {
            commands: &mut self.commands,
            preset: &mut self.preset,
            dirty: &mut self.dirty,
            has_preset_file: self.preset_path.is_some(),
            preset_path_field: &mut self.preset_path_field,
            recent_presets: &p.recent_presets,
            auto_run: &mut p.auto_run,
            show_log: &mut p.show_log,
            left_tab: &mut p.left_tab,
            results: &mut p.results,
            data: self.data.as_ref(),
            data_path_field: &mut self.data_path_field,
            recent_data: &p.recent_data,
            known_assets: &self.known_assets,
            invalid: self.invalid.as_deref(),
            loading,
            running,
            run: self.run.as_ref(),
            log: &self.log,
            error: self.error.as_deref(),
            preset_changed_on_disk: self.preset_changed_on_disk,
            script: ScriptTab {
                text: &mut self.script.text,
                path_field: &mut self.script.path_field,
                error: self.script.error.as_ref(),
                runtime_error: self.script.runtime_error.as_ref(),
                changed_on_disk: self.script.changed_on_disk,
                unsaved: unsaved_script,
            },
            fills: FillsTab {
                comparison: self.fills.result.as_ref(),
                running: self.fills.task.as_ref().map(crate::worker::Task::progress),
                stale: fills_stale,
            },
            live: LiveTab {
                session: self.live.as_ref().map(|s| &s.view),
                url: &mut p.live_url,
                journal: &mut p.live_journal,
                exit_at_end: &mut p.live_exit_at_end,
            },
            optimise: OptimiseTab {
                swept,
                valid_paths: &o.valid_paths,
                path_labels: &o.path_labels,
                plan: o.plan_status(),
                sweep: o.sweep.as_ref(),
                sweeping: o.sweeping(),
                walk_forward: o.walk_forward.as_ref(),
                walking: o.walking(),
                applied: o.applied,
            },
        }
    }
}

impl eframe::App for Workbench {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.fit_window(ctx);
        self.handle_input(ctx);
        self.tick();
        let title = self.title();
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
        if self.busy()
            || self.comparing_fills()
            || self.optimise.busy()
            || self.run_at.is_some()
            || self.dialogs.is_open()
            || self.report_task.is_some()
            || self.watcher.as_ref().is_some_and(|w| w.has_pending())
        {
            // A young run is not drawn (its result wakes the window): the next frame waits until
            // its progress would show.
            let young_run = self.run_task.as_ref().map(crate::worker::Task::elapsed);
            let delay = match young_run {
                Some(age) if age < crate::worker::QUIET_START => crate::worker::QUIET_START - age,
                _ => std::time::Duration::from_millis(50),
            };
            ctx.request_repaint_after(delay);
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let drawing = Instant::now();
        workbench_ui(ui, &mut self.screen());
        self.log_redraw_latency(drawing);
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

/// The smallest window the layout works in.
const MIN_WINDOW: [f32; 2] = [800.0, 500.0];

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
            .with_min_inner_size(MIN_WINDOW)
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
