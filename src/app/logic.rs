//! Applying commands, polling background jobs and file events, debouncing runs.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::dialog::{DialogAnswer, DialogKind};
use super::{Command, DataView, LoadOutcome, Workbench};
use crate::ui::RunView;
use crate::ui::plots::series::RunSeries;
use crate::worker::Task;
use ml4t_data::{inspect, load, signal_stats};
use ml4t_engine::results::RunResult;
use ml4t_engine::results::metrics::{Metrics, MetricsOptions};
use ml4t_engine::{Engine, Progress};
use ml4t_preset::Preset;

/// What a load the user cancelled ends with (nobody reads it: the task was dropped).
const LOAD_CANCELLED: &str = "loading cancelled";

/// Quiet time after an edit before auto-run starts.
const AUTO_RUN_DEBOUNCE: Duration = Duration::from_millis(300);
/// Quiet time after a file event before hot reload.
const RELOAD_DEBOUNCE: Duration = Duration::from_millis(400);
const RECENT_MAX: usize = 10;

fn remember(list: &mut Vec<PathBuf>, path: &Path) {
    list.retain(|p| p != path);
    list.insert(0, path.to_path_buf());
    list.truncate(RECENT_MAX);
}

/// `data` relative to the folder of `preset_file` when it lies below it, else unchanged.
fn relative_to(data: &Path, preset_file: &Path) -> PathBuf {
    let abs = std::fs::canonicalize(data).unwrap_or_else(|_| data.to_path_buf());
    let dir = preset_file
        .parent()
        .map(|d| std::fs::canonicalize(d).unwrap_or_else(|_| d.to_path_buf()));
    match dir.and_then(|d| abs.strip_prefix(&d).ok().map(Path::to_path_buf)) {
        Some(rel) => rel,
        None => data.to_path_buf(),
    }
}

impl Workbench {
    /// First load: the last session's files if they still exist, else the sample and default preset.
    pub(super) fn start(&mut self) {
        let restored = self.persisted.preset_path.clone().filter(|p| p.is_file());
        match restored {
            Some(path) => match ml4t_preset::load(&path) {
                Ok(p) => {
                    self.log.info(format!("restored preset {}", path.display()));
                    self.preset = p;
                    self.preset_path = Some(path);
                }
                Err(e) => {
                    self.log.warn(format!("could not restore the last preset: {e}"));
                    self.load_builtin();
                }
            },
            None => self.load_builtin(),
        }
        if let Some(unsaved) = self.persisted.unsaved_preset.take() {
            self.preset = unsaved;
            self.dirty = true;
            self.log.info("restored unsaved edits from the last session");
        }
        self.sync_script();
        if let Some(text) = self.persisted.unsaved_script.take()
            && self.script.disk_text.is_some()
        {
            self.script.text = text;
            self.check_script();
            self.log.info("restored unsaved script edits from the last session");
        }
        let data = self.data_path();
        self.start_load(data, true);
    }

    fn load_builtin(&mut self) {
        let result =
            super::sample::ensure_sample(&self.sample_dir).and_then(|sample| super::sample::default_preset(&sample));
        match result {
            Ok(p) => {
                self.log.info(format!(
                    "opened the bundled sample ({}) with the default preset",
                    p.data.path.display()
                ));
                self.preset = p;
                self.preset_path = None;
            }
            Err(e) => self.fail(format!("could not open the bundled sample: {e}")),
        }
    }

    /// The file the preset's relative paths (data, scripts) resolve against: its own file, or for
    /// the built-in preset a name in the working directory.
    pub fn preset_origin(&self) -> PathBuf {
        self.preset_path
            .clone()
            .unwrap_or_else(|| PathBuf::from("untitled.ron"))
    }

    /// The data path the preset names (resolved against the preset file).
    pub fn data_path(&self) -> PathBuf {
        match &self.preset_path {
            Some(file) => self.preset.data_path(file),
            None => self.preset.data.path.clone(),
        }
    }

    pub(super) fn fail(&mut self, message: String) {
        self.log.error(message.clone());
        self.error = Some(message);
    }

    /// Keyboard shortcuts and dropped files.
    pub(super) fn handle_input(&mut self, ctx: &egui::Context) {
        use egui::{Key, KeyboardShortcut, Modifiers};
        let (run, save, open) = ctx.input_mut(|i| {
            (
                i.consume_key(Modifiers::NONE, Key::F5),
                i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::S)),
                i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::O)),
            )
        });
        if run {
            self.commands.push(Command::Run);
        }
        if save {
            self.commands.push(Command::SavePreset);
        }
        if open {
            self.commands.push(Command::OpenDataDialog);
        }
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        for path in dropped {
            let is_preset = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("ron"));
            self.commands.push(if is_preset {
                Command::OpenPreset(path)
            } else {
                Command::OpenData(path)
            });
        }
    }

    /// One step of app logic: commands, jobs, file events, debounced runs.
    /// Opens a file dialog off the UI thread; its answer arrives in [`Workbench::tick`].
    pub(super) fn open_dialog(&mut self, kind: DialogKind) {
        if let Err(e) = self.dialogs.open(kind) {
            self.log.warn(e);
        }
    }

    pub fn tick(&mut self) {
        for cmd in std::mem::take(&mut self.commands) {
            self.apply(cmd);
        }
        while let Some(answer) = self.dialogs.poll() {
            match answer {
                DialogAnswer::Chosen(cmd) => self.commands.push(cmd),
                DialogAnswer::Nothing(message) => self.log.info(message),
            }
        }
        self.poll_load();
        self.poll_run();
        self.poll_fills();
        self.poll_report();
        self.poll_optimise();
        self.prints.drain_into(&mut self.log);
        if let Some(live) = &mut self.live {
            live.poll(&mut self.log);
        }
        self.poll_files();
        if self.run_at.is_some_and(|t| Instant::now() >= t) && self.load_task.is_none() {
            self.run_at = None;
            self.start_run();
        }
    }

    pub fn apply(&mut self, cmd: Command) {
        match cmd {
            Command::OpenData(path) => {
                // A new file: its own columns decide, not the previous file's selections.
                self.preset.data.path = path.clone();
                self.preset.data.signals = None;
                self.preset.data.assets = None;
                self.preset.data.mapping = Default::default();
                self.dirty = true;
                self.start_load(path, true);
            }
            Command::ReloadData | Command::DataOptionsEdited => {
                if matches!(cmd, Command::DataOptionsEdited) {
                    self.dirty = true;
                }
                let path = self.data_path();
                self.start_load(path, true);
            }
            Command::OpenDataDialog => self.open_dialog(DialogKind::OpenData),
            Command::OpenPreset(path) => self.open_preset(&path),
            Command::OpenPresetDialog => self.open_dialog(DialogKind::OpenPreset),
            Command::SavePreset => match self.preset_path.clone() {
                Some(p) => self.save_preset(&p),
                None => self.apply(Command::SavePresetAsDialog),
            },
            Command::SavePresetAs(path) => self.save_preset(&path),
            Command::SavePresetAsDialog => self.open_dialog(DialogKind::SavePresetAs),
            Command::RevertPreset => {
                if let Some(p) = self.preset_path.clone() {
                    self.dirty = false;
                    self.open_preset(&p);
                }
            }
            Command::Run => self.request_run(Duration::ZERO),
            Command::ExportReport(path) => self.export_report(path),
            Command::Cancel => {
                if let Some(t) = &self.run_task {
                    t.cancel();
                    self.log.info("cancelling the run");
                }
                self.run_at = None;
            }
            Command::CancelLoad => {
                // Dropping the task cancels and detaches it: the reader finishes (or stops at its
                // next check) on its own thread and its result goes nowhere.
                if let Some(t) = self.load_task.take() {
                    self.run_at = None;
                    self.log.info(format!(
                        "loading cancelled after {:.1} s; keeping the previous data",
                        t.elapsed().as_secs_f32()
                    ));
                }
            }
            Command::StrategyEdited => {
                self.dirty = true;
                self.script.runtime_error = None;
                self.validate();
                if self.persisted.auto_run && self.invalid.is_none() {
                    self.request_run(AUTO_RUN_DEBOUNCE);
                }
            }
            Command::DismissError => self.error = None,
            Command::CompareFills | Command::CancelFillComparison => self.apply_fills(&cmd),
            Command::StartLive => self.start_live(),
            Command::StopLive => self.stop_live(),
            Command::Optimise(c) => self.apply_optimise(c),
            cmd => self.apply_script(cmd),
        }
    }

    pub(super) fn request_run(&mut self, delay: Duration) {
        self.run_at = Some(Instant::now() + delay);
    }

    /// Checks the strategy and broker against the loaded data.
    pub fn validate(&mut self) {
        let script_problem = self.check_script();
        let Some(data) = &self.data else {
            self.invalid = script_problem;
            return;
        };
        let bars = &data.bars;
        let mut problem = self
            .preset
            .broker
            .validate()
            .err()
            .map(|e| format!("broker settings: {e}"));
        if problem.is_none()
            && let Some(rules) = self.preset.strategy.rules()
        {
            problem = rules
                .validate(bars.signal_names(), bars.assets().len())
                .err()
                .map(|e| e.to_string());
        }
        if problem.is_none()
            && let ml4t_preset::StrategySpec::Hybrid { filter, .. } = &self.preset.strategy
        {
            let check = ml4t_engine::strategy::rules::SignalStrategy {
                entry: filter.clone(),
                ..Default::default()
            };
            problem = check
                .validate(bars.signal_names(), bars.assets().len())
                .err()
                .map(|e| match e {
                    ml4t_engine::strategy::rules::RuleError::NoEntry => ml4t_preset::HYBRID_NO_FILTER.to_owned(),
                    e => format!("filter: {e}"),
                });
        }
        self.invalid = problem.or(script_problem);
    }

    fn start_load(&mut self, path: PathBuf, then_run: bool) {
        let options = match self.preset.load_options() {
            Ok(o) => o,
            Err(e) => return self.fail(e.to_string()),
        };
        self.log.info(format!("loading {}", path.display()));
        self.data_path_field = path.display().to_string();
        let job = move |job: &crate::worker::JobHandle| {
            let cancelled = || job.cancel_flag().load(std::sync::atomic::Ordering::Relaxed);
            let mut loaded = load(&path, &options).map_err(|e| e.to_string())?;
            // The reader itself cannot be interrupted; the stages after it can.
            if cancelled() {
                return Err(LOAD_CANCELLED.to_owned());
            }
            // One copy of the data: the bars move into the Arc that runs and plots share.
            let bars = Arc::new(std::mem::take(&mut loaded.bars));
            let signals = signal_stats(&bars);
            if cancelled() {
                return Err(LOAD_CANCELLED.to_owned());
            }
            let schema = inspect(&path).ok();
            Ok(LoadOutcome {
                data: DataView {
                    loaded,
                    bars,
                    signals,
                    schema,
                },
            })
        };
        match Task::spawn("ml4t-load", self.wake.clone(), job) {
            Ok(t) => {
                self.load_task = Some(t);
                if then_run {
                    self.run_at = Some(Instant::now());
                }
            }
            Err(e) => self.fail(e),
        }
    }

    fn poll_load(&mut self) {
        let Some(result) = self.load_task.as_mut().and_then(Task::poll) else {
            return;
        };
        self.load_task = None;
        match result {
            Ok(out) => {
                let d = &out.data;
                self.log.info(format!(
                    "loaded {}: {} rows, {} assets, {} signals in {:.0} ms",
                    d.loaded.path.display(),
                    d.bars.len(),
                    d.bars.assets().len(),
                    d.bars.signal_names().len(),
                    d.loaded.load_ms
                ));
                remember(&mut self.persisted.recent_data, &d.loaded.path);
                let same_file = self.data.as_ref().is_some_and(|old| old.loaded.path == d.loaded.path);
                if !same_file || self.preset.data.assets.is_none() {
                    self.known_assets = d.bars.assets().to_vec();
                } else {
                    for a in d.bars.assets() {
                        if !self.known_assets.contains(a) {
                            self.known_assets.push(a.clone());
                        }
                    }
                    self.known_assets.sort();
                }
                self.data = Some(out.data);
                // Plots follow the new data's range; a selected trade belonged to the old run.
                self.persisted.results.reset_view();
                self.error = None;
                self.validate();
                self.rewatch();
            }
            Err(e) => {
                // Keep the previous data and results.
                self.run_at = None;
                self.fail(format!("loading failed, keeping the previous data: {e}"));
            }
        }
    }

    fn start_run(&mut self) {
        self.validate();
        if let Some(problem) = &self.invalid {
            self.log.warn(format!("not running: {problem}"));
            return;
        }
        let Some(data) = &self.data else {
            self.log.warn("nothing to run: load data first");
            return;
        };
        // The newest request wins: a running job is cancelled and detached (never waited for).
        self.run_task = None;
        let bars = data.bars.clone();
        let preset = self.preset_for_run();
        let origin = self.preset_origin();
        let print = self.prints.sink_for_run();
        let job = move |h: &crate::worker::JobHandle| {
            let started = Instant::now();
            let mut report = |p: Progress| h.progress(p.fraction().unwrap_or(0.0) as f32);
            let result = {
                let mut engine = Engine::new()
                    .progress_every(1 << 16)
                    .on_progress(&mut report)
                    .cancel_flag(h.cancel_flag());
                ml4t_preset::run::run_printing(&preset, &origin, &bars, &mut engine, Some(print))
                    .map_err(|e| e.to_string())?
            };
            let engine_ms = started.elapsed().as_secs_f64() * 1e3;
            let (metrics, series) = metrics_and_series(&result, &preset.metrics);
            Ok(RunView {
                series: Arc::new(series),
                intrabar_exits: intrabar_exits(&preset.strategy),
                metrics_options: preset.metrics,
                thresholds: ml4t_preset::run::thresholds(&preset.strategy),
                elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
                engine_ms,
                result,
                metrics,
                bars,
            })
        };
        match Task::spawn("ml4t-run", self.wake.clone(), job) {
            Ok(t) => {
                self.run_task = Some(t);
                self.run_started = Some(Instant::now());
            }
            Err(e) => self.fail(e),
        }
    }

    /// Writes the last run's tearsheet to `path` on a worker thread (the analysis and the file
    /// take a moment on large runs); the log says where it went or why it could not.
    fn export_report(&mut self, path: PathBuf) {
        let (Some(run), Some(data)) = (&self.run, &self.data) else {
            self.log.warn("nothing to report: run a backtest first");
            return;
        };
        if self.report_task.is_some() {
            self.log.warn("a report is being written already");
            return;
        }
        let path = std::path::absolute(&path).unwrap_or(path);
        let preset = self.preset_for_run();
        let origin = self.preset_origin();
        let (source, files) = (data.loaded.path.clone(), data.loaded.files.clone());
        let (bars, result) = (run.bars.clone(), run.result.clone());
        let research = self.research();
        let s = &self.persisted.results.analysis;
        let opts = ml4t_engine::results::analysis::AnalysisOptions {
            metrics: run.metrics_options,
            rolling_window: s.rolling_window,
            benchmark: s.benchmark.clone(),
            ..Default::default()
        };
        self.log.info(format!("writing the report to {}", path.display()));
        let job = move |_: &crate::worker::JobHandle| {
            let sheet = crate::tearsheet::Tearsheet {
                preset: &preset,
                preset_file: &origin,
                data_source: &source,
                data_files: &files,
                bars: &bars,
                result: &result,
                research: research.as_ref(),
            };
            let html = sheet.render(&opts).map_err(|e| e.to_string())?;
            ml4t_preset::atomic::write_atomic(&path, html.as_bytes())
                .map_err(|e| format!("could not write {}: {e}", path.display()))?;
            Ok(path)
        };
        match Task::spawn("ml4t-report", self.wake.clone(), job) {
            Ok(t) => self.report_task = Some(t),
            Err(e) => self.fail(e),
        }
    }

    fn poll_report(&mut self) {
        let Some(result) = self.report_task.as_mut().and_then(Task::poll) else {
            return;
        };
        self.report_task = None;
        match result {
            Ok(path) => self
                .log
                .info(format!("report written: {} (open it in any browser)", path.display())),
            Err(e) => self.fail(format!("the report could not be written: {e}")),
        }
    }

    fn poll_run(&mut self) {
        let Some(result) = self.run_task.as_mut().and_then(Task::poll) else {
            return;
        };
        self.run_task = None;
        match result {
            Ok(view) => {
                let r = &view.result;
                self.log.info(format!(
                    "run: {} trades, final equity {:.2}, {} bars in {:.1} ms ({:.1} ms engine, {:.1} ms metrics and plot series; {:.1}M bars/s)",
                    r.trades.len(),
                    r.final_equity(),
                    r.bars,
                    view.elapsed_ms,
                    view.engine_ms,
                    view.elapsed_ms - view.engine_ms,
                    r.bars as f64 / view.elapsed_ms.max(1e-9) / 1e3
                ));
                if !r.rejections.is_empty() {
                    self.log.warn(format!(
                        "{} orders were rejected (cash or position limits)",
                        r.rejections.len()
                    ));
                }
                self.run = Some(view);
                self.redraw_from = self.run_started.take();
                self.script.runtime_error = None;
            }
            Err(e) if e.contains("cancelled") => self.log.info(format!("{e}; the previous results stay")),
            Err(e) => {
                self.script.runtime_error = self.runtime_error_line(&e).map(|line| (line, e.clone()));
                self.fail(format!("the run failed, keeping the previous results: {e}"));
            }
        }
    }

    pub(super) fn rewatch(&mut self) {
        let mut files = vec![self.data_path()];
        files.extend(self.preset_path.clone());
        files.extend(self.script_file());
        if let Some(w) = &mut self.watcher
            && let Err(e) = w.watch(&files)
        {
            self.log.warn(e);
        }
    }

    fn poll_files(&mut self) {
        let Some(w) = &mut self.watcher else { return };
        let changed = w.changed(RELOAD_DEBOUNCE);
        if changed.is_empty() {
            return;
        }
        let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let data = canon(&self.data_path());
        let preset_file = self.preset_path.as_deref().map(canon);
        let script_file = self.script_file().as_deref().map(canon);
        for path in changed {
            if Some(&path) == script_file.as_ref() {
                self.script_changed_on_disk(&path);
                continue;
            }
            if Some(&path) == preset_file.as_ref() {
                if self.dirty {
                    self.preset_changed_on_disk = true;
                    self.log.warn(format!(
                        "{} changed on disk; your unsaved edits are kept",
                        path.display()
                    ));
                } else {
                    self.log.info(format!("{} changed on disk: reloading", path.display()));
                    self.open_preset(&path);
                }
            } else if path == data {
                self.log
                    .info(format!("{} changed on disk: reloading and re-running", path.display()));
                self.start_load(self.data_path(), true);
            }
        }
    }

    fn open_preset(&mut self, path: &Path) {
        self.preset_path_field = path.display().to_string();
        match ml4t_preset::load(path) {
            Ok(p) => {
                self.log.info(format!("opened preset {}", path.display()));
                self.preset = p;
                self.preset_path = Some(path.to_path_buf());
                self.dirty = false;
                self.preset_changed_on_disk = false;
                self.error = None;
                remember(&mut self.persisted.recent_presets, path);
                self.sync_script();
                let data = self.data_path();
                self.start_load(data, true);
            }
            Err(e) => self.fail(format!("{e} (the current preset stays open)")),
        }
    }

    fn save_preset(&mut self, path: &Path) {
        // One Save keeps the preset and the script it names in step.
        if self.script.unsaved()
            && let Some(file) = self.script_file()
        {
            self.save_script(&file);
        }
        let mut p: Preset = self.preset.clone();
        let data = self.data_path();
        p.data.path = relative_to(&data, path);
        if let Some(rel) = self.script_path_for(path)
            && let ml4t_preset::StrategySpec::Script(s) | ml4t_preset::StrategySpec::Hybrid { script: s, .. } =
                &mut p.strategy
        {
            s.path = rel;
        }
        if let Some(w) = &mut self.watcher {
            w.suppress(path);
        }
        match ml4t_preset::save(&p, path) {
            Ok(()) => {
                self.log.info(format!("saved {}", path.display()));
                self.preset = p;
                self.preset_path = Some(path.to_path_buf());
                self.preset_path_field = path.display().to_string();
                self.dirty = false;
                self.preset_changed_on_disk = false;
                remember(&mut self.persisted.recent_presets, path);
                self.rewatch();
            }
            Err(e) => self.fail(format!("saving failed: {e}")),
        }
    }
}

/// Whether the strategy's stops rest as intrabar orders (a rules strategy, not a portfolio).
fn intrabar_exits(spec: &ml4t_preset::StrategySpec) -> bool {
    spec.rules()
        .is_some_and(|r| r.portfolio.is_none() && r.exit_fills == ml4t_engine::strategy::rules::ExitFills::Intrabar)
}

/// The run's metrics and its plot series, on two threads when one can be started (each is a
/// pass over the whole equity curve; a 1M-bar run's plots are then ready with its metrics).
fn metrics_and_series(result: &RunResult, options: &MetricsOptions) -> (Metrics, RunSeries) {
    std::thread::scope(|scope| {
        let series = std::thread::Builder::new()
            .name("ml4t-run-series".into())
            .spawn_scoped(scope, || RunSeries::new(result));
        let metrics = result.metrics(options);
        let series = match series {
            Ok(handle) => handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(_) => RunSeries::new(result),
        };
        (metrics, series)
    })
}
