//! The Optimise view's work: the preset's sweep definition (added to from the editors' "sweep
//! this" buttons, with default ranges from the data), sweeps and walk-forwards on the worker
//! (progress as runs done of planned, cancel keeping a sweep's finished rows), and a clicked
//! combination written into the preset and run as the single backtest.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::Workbench;
use crate::research::{FullSampleBest, SweepView, WalkForwardView, num};
use crate::ui::optimise_ui::{JobProgress, OptimiseCommand, WalkForwardSettings};
use crate::worker::{JobHandle, Task};
use ml4t_engine::Engine;
use ml4t_engine::market::Bars;
use ml4t_engine::types::SignalId;
use ml4t_preset::{Preset, SweepParam, SweepSpec};
use ml4t_stats::OverfitOptions;
use ml4t_stats::walkforward::{WalkForwardSpec, WindowMode};
use ml4t_sweep::{Objective, ParamPath, SweepDef, SweepOptions, SweepPlan, WalkForwardOptions};

/// Per-period returns kept for the overfitting statistics, at most (f32 each: 400 MB). Larger
/// sweeps report no statistics and say why (`ml4t sweep --overfitting` has no such cap).
const RETURNS_BUDGET: usize = 100_000_000;

/// Values a "sweep this" range gets by default.
const DEFAULT_STEPS: usize = 5;

/// A job with a precise count of finished runs (progress bars say "12 / 25 combinations").
struct Job<T> {
    task: Task<T>,
    done: Arc<AtomicUsize>,
    total: Arc<AtomicUsize>,
}

impl<T: Send + 'static> Job<T> {
    fn progress(&self) -> JobProgress {
        JobProgress {
            done: self.done.load(Ordering::Relaxed),
            total: self.total.load(Ordering::Relaxed),
            elapsed: self.task.elapsed(),
        }
    }
}

/// The Optimise view's state in the app.
#[derive(Default)]
pub(super) struct Optimise {
    sweep_job: Option<Job<SweepView>>,
    pub(super) sweep: Option<SweepView>,
    wf_job: Option<Job<WalkForwardView>>,
    pub(super) walk_forward: Option<WalkForwardView>,
    /// The sweep row last written into the preset.
    pub(super) applied: Option<usize>,
    /// The preset the plan status was computed for, and the status: combinations or the error.
    checked: Option<(Preset, Result<String, String>)>,
    /// Every number of the preset a sweep can vary.
    pub(super) valid_paths: Vec<String>,
    /// What each path is, in words ("exit rule 1.2: stop loss 5%").
    pub(super) path_labels: Vec<(String, String)>,
}

impl Optimise {
    pub(super) fn busy(&self) -> bool {
        self.sweep_job.is_some() || self.wf_job.is_some()
    }
    pub(super) fn sweeping(&self) -> Option<JobProgress> {
        self.sweep_job.as_ref().map(Job::progress)
    }
    pub(super) fn walking(&self) -> Option<JobProgress> {
        self.wf_job.as_ref().map(Job::progress)
    }
    pub(super) fn plan_status(&self) -> Option<&Result<String, String>> {
        self.checked.as_ref().map(|(_, s)| s)
    }

    /// Re-checks the sweep when the preset changed since the last frame: on the UI thread, so it
    /// never lists a big grid's combinations (see [`status`]).
    pub(super) fn check(&mut self, preset: &Preset) {
        if self.checked.as_ref().is_some_and(|(p, _)| p == preset) {
            return;
        }
        let status = status(preset);
        self.valid_paths = ml4t_sweep::path::valid_paths(preset);
        self.path_labels = self
            .valid_paths
            .iter()
            .filter_map(|p| Some((p.clone(), describe_path(preset, p)?)))
            .collect();
        self.checked = Some((preset.clone(), status));
    }
}

/// Grids up to this size are listed on the UI thread to count what the constraints keep.
const LIST_ON_UI_THREAD: usize = 20_000;

/// "25 combinations", or why the sweep cannot run. A big grid is checked on a one-value-per-
/// parameter copy (paths, values, constraints all parsed) and counted by multiplying, so an edit
/// never waits for a million combinations to be listed.
fn status(preset: &Preset) -> Result<String, String> {
    let spec = preset.sweep.clone().unwrap_or_default();
    let mut grid = 1usize;
    for p in &spec.params {
        let n = ml4t_sweep::spec::ValueSpec::parse(&p.values).map_or(1, |v| v.values().len());
        grid = grid.saturating_mul(n);
    }
    let random = spec.random.map(|r| r.samples);
    if grid <= LIST_ON_UI_THREAD || random.is_some_and(|n| n <= LIST_ON_UI_THREAD) {
        return plan(preset).map(|(plan, _)| format!("{} combinations", plan.combos.len()));
    }
    let mut probe = preset.clone();
    if let Some(s) = &mut probe.sweep {
        for p in &mut s.params {
            if let Ok(v) = ml4t_sweep::spec::ValueSpec::parse(&p.values) {
                p.values = v.values().first().map_or_else(|| p.values.clone(), |x| format!("{x}"));
            }
        }
        s.constraints.clear();
        s.random = None;
    }
    plan(&probe)?;
    // The real values are checked too (counts must be whole, at most 10M combinations).
    for c in &spec.constraints {
        ml4t_sweep::constraint::Constraint::parse(c, preset).map_err(|e| e.to_string())?;
    }
    if grid > ml4t_sweep::plan::MAX_COMBINATIONS && random.is_none() {
        return Err(format!(
            "{grid} combinations are more than {}: narrow the ranges or use random sampling",
            ml4t_sweep::plan::MAX_COMBINATIONS
        ));
    }
    Ok(match (random, spec.constraints.is_empty()) {
        (Some(n), _) => format!("{n} random combinations"),
        (None, true) => format!("{grid} combinations"),
        (None, false) => format!("up to {grid} combinations (the constraints are applied when the sweep starts)"),
    })
}

/// The preset's sweep planned, with its objective; errors as the user should read them.
fn plan(preset: &Preset) -> Result<(SweepPlan, Objective), String> {
    let spec = preset.sweep.clone().unwrap_or_default();
    if spec.params.is_empty() {
        return Err("no parameter is swept: click the sweep icon beside a number in the Rules or Broker tab".into());
    }
    let objective = Objective::parse(&spec.objective, spec.maximize).map_err(|e| e.to_string())?;
    let plan = SweepDef::from_spec(&spec).plan(preset).map_err(|e| e.to_string())?;
    Ok((plan, objective))
}

/// What a test (or a user) reads of the Optimise view.
impl Workbench {
    /// The last sweep (finished or cancelled).
    pub fn sweep(&self) -> Option<&SweepView> {
        self.optimise.sweep.as_ref()
    }
    /// A sweep is running.
    pub fn sweeping(&self) -> bool {
        self.optimise.sweep_job.is_some()
    }
    /// A running sweep's (finished, planned) combinations.
    pub fn sweep_progress(&self) -> Option<(usize, usize)> {
        self.optimise.sweeping().map(|p| (p.done, p.total))
    }
    /// A running walk-forward's (finished, planned) runs.
    pub fn walk_forward_progress(&self) -> Option<(usize, usize)> {
        self.optimise.walking().map(|p| (p.done, p.total))
    }
    /// The last walk-forward.
    pub fn walk_forward(&self) -> Option<&WalkForwardView> {
        self.optimise.walk_forward.as_ref()
    }
    /// A walk-forward is running.
    pub fn walking_forward(&self) -> bool {
        self.optimise.wf_job.is_some()
    }
    /// The sweep row last written into the preset.
    pub fn applied_row(&self) -> Option<usize> {
        self.optimise.applied
    }
}

impl Workbench {
    pub(super) fn apply_optimise(&mut self, cmd: OptimiseCommand) {
        match cmd {
            OptimiseCommand::ToggleParam { path, column, value } => self.toggle_param(&path, column.as_deref(), value),
            OptimiseCommand::DefinitionEdited => self.dirty = true,
            OptimiseCommand::RunSweep => self.start_sweep(),
            OptimiseCommand::CancelSweep => {
                if let Some(j) = &self.optimise.sweep_job {
                    j.task.cancel();
                    self.log
                        .info("cancelling the sweep; the finished combinations are kept");
                }
            }
            OptimiseCommand::ApplyRow(i) => self.apply_row(i),
            OptimiseCommand::RunWalkForward => self.start_walk_forward(),
            OptimiseCommand::CancelWalkForward => {
                if let Some(j) = &self.optimise.wf_job {
                    j.task.cancel();
                    self.log.info("cancelling the walk-forward");
                }
            }
        }
    }

    /// Adds `path` to the sweep with a default range, or removes it when it is swept already.
    fn toggle_param(&mut self, path: &str, column: Option<&str>, value: f64) {
        let mut spec = self.preset.sweep.clone().unwrap_or_default();
        if let Some(i) = spec.params.iter().position(|p| p.path.trim() == path) {
            spec.params.remove(i);
            self.log.info(format!("{path} is no longer swept"));
        } else {
            let parsed = match ParamPath::parse(path, &self.preset) {
                Ok(p) => p,
                Err(e) => return self.fail(e.to_string()),
            };
            let current = if value.is_finite() {
                value
            } else {
                parsed.get(&self.preset).unwrap_or(0.0)
            };
            let bars = self.data.as_ref().map(|d| d.bars.as_ref());
            // From the Add menu no column comes along: the rule at the path has it.
            let column = column.map(str::to_owned).or_else(|| rule_column(&self.preset, path));
            let values = default_values(path, column.as_deref(), current, parsed.is_integer(), bars);
            self.log.info(format!(
                "sweeping {path} over {values} (edit the range in the Optimise view)"
            ));
            spec.params.push(SweepParam {
                path: path.to_owned(),
                values,
            });
        }
        self.preset.sweep = (spec != SweepSpec::default()).then_some(spec);
        self.dirty = true;
    }

    fn start_sweep(&mut self) {
        let Some(data) = &self.data else {
            return self.log.warn("nothing to sweep: load data first");
        };
        if let Some(Err(e)) = self.optimise.plan_status() {
            return self.fail(format!("the sweep cannot run: {e}"));
        }
        let bars = data.bars.clone();
        let preset = self.preset_for_run();
        let origin = self.preset_origin();
        let threads = self.persisted.results.optimise.threads;
        let blocks = self.persisted.results.optimise.cscv_blocks;
        let done = Arc::new(AtomicUsize::new(0));
        let total = Arc::new(AtomicUsize::new(0));
        let (counter, planned) = (done.clone(), total.clone());
        self.log.info("sweep started");
        // Listing the combinations of a big grid takes a moment: on the worker too.
        let job = move |h: &JobHandle| {
            let (plan, objective) = plan(&preset)?;
            let n = plan.combos.len();
            planned.store(n, Ordering::Relaxed);
            let keep_returns = n.saturating_mul(bars.n_timestamps()) <= RETURNS_BUDGET;
            let progress = |d: usize, t: usize| {
                counter.store(d, Ordering::Relaxed);
                h.progress(d as f32 / t.max(1) as f32);
            };
            let opts = SweepOptions {
                threads,
                keep_returns,
                overfit: OverfitOptions {
                    cscv_blocks: blocks,
                    ..OverfitOptions::default()
                },
                progress: Some(&progress),
                cancel: Some(h.cancel_flag()),
            };
            let started = Instant::now();
            let out =
                ml4t_sweep::run_sweep(&preset, &origin, &bars, &plan, &objective, &opts).map_err(|e| e.to_string())?;
            let mut view = SweepView::new(&plan, out, objective, started.elapsed().as_secs_f64(), bars.len());
            if !keep_returns {
                view.overfitting_note = Some(format!(
                    "No overfitting statistics: {n} combinations x {} periods of returns exceed the workbench's memory budget; \
                     run `ml4t sweep --overfitting` for them.",
                    bars.n_timestamps()
                ));
            }
            Ok(view)
        };
        match Task::spawn("ml4t-sweep", self.wake.clone(), job) {
            Ok(task) => self.optimise.sweep_job = Some(Job { task, done, total }),
            Err(e) => self.fail(e),
        }
    }

    fn start_walk_forward(&mut self) {
        let Some(data) = &self.data else {
            return self.log.warn("nothing to walk forward: load data first");
        };
        if let Some(Err(e)) = self.optimise.plan_status() {
            return self.fail(format!("the walk-forward cannot run: {e}"));
        }
        let w = self.persisted.results.optimise.walk_forward.clone();
        let mode = if w.anchored {
            WindowMode::Anchored
        } else {
            WindowMode::Rolling
        };
        let spec = match WalkForwardSpec::parse(&w.train, &w.test, mode, w.embargo) {
            Ok(s) => s,
            Err(e) => {
                return self.fail(format!(
                    "walk-forward windows (train '{}', test '{}'): {e}",
                    w.train, w.test
                ));
            }
        };
        let bars = data.bars.clone();
        let preset = self.preset_for_run();
        let origin = self.preset_origin();
        let threads = self.persisted.results.optimise.threads;
        let done = Arc::new(AtomicUsize::new(0));
        let total = Arc::new(AtomicUsize::new(0));
        let (d, t) = (done.clone(), total.clone());
        let settings = settings_text(&w);
        self.log.info(format!("walk-forward: {settings}"));
        let job = move |h: &JobHandle| {
            let started = Instant::now();
            let (plan, objective) = plan(&preset)?;
            let n = plan.combos.len();
            let offset = AtomicUsize::new(0);
            let progress = |done: usize, of: usize| {
                let base = offset.load(Ordering::Relaxed);
                d.store(base + done, Ordering::Relaxed);
                // The full-sample sweep and its single run follow the folds.
                t.store(if base == 0 { of + n + 1 } else { base + n + 1 }, Ordering::Relaxed);
                h.progress((base + done) as f32 / t.load(Ordering::Relaxed).max(1) as f32);
            };
            let opts = WalkForwardOptions {
                carry_equity: w.carry_equity,
                threads,
                progress: Some(&progress),
                cancel: Some(h.cancel_flag()),
                ..WalkForwardOptions::new(spec)
            };
            let out = ml4t_sweep::run_walk_forward(&preset, &origin, &bars, &plan, &objective, &opts)
                .map_err(|e| e.to_string())?;
            offset.store(d.load(Ordering::Relaxed), Ordering::Relaxed);
            let full_best = full_sample_best(&preset, &origin, &bars, &plan, &objective, threads, &progress, h, &out)?;
            Ok(WalkForwardView {
                objective,
                settings,
                full_best,
                seconds: started.elapsed().as_secs_f64(),
                out,
            })
        };
        match Task::spawn("ml4t-walk-forward", self.wake.clone(), job) {
            Ok(task) => self.optimise.wf_job = Some(Job { task, done, total }),
            Err(e) => self.fail(e),
        }
    }

    /// Writes sweep row `i`'s values into the preset (as an edit would) and runs it.
    fn apply_row(&mut self, i: usize) {
        let Some(view) = &self.optimise.sweep else { return };
        let Some(row) = view.rows.get(i) else { return };
        let mut preset = self.preset.clone();
        for (path, &value) in view.paths.iter().zip(&row.params) {
            let set = ParamPath::parse(path, &preset).and_then(|p| p.set(&mut preset, value));
            if let Err(e) = set {
                return self.fail(format!(
                    "could not apply {} to the preset (it changed since the sweep?): {e}",
                    view.describe(i)
                ));
            }
        }
        self.log
            .info(format!("applied {} from the sweep; running it", view.describe(i)));
        self.preset = preset;
        self.optimise.applied = Some(i);
        self.apply(super::Command::StrategyEdited);
        self.request_run(Duration::ZERO);
    }

    /// The report's research section: the last sweep (its heatmap at the combination in use) and
    /// walk-forward.
    pub(super) fn research(&self) -> Option<ml4t_report::Research> {
        let o = &self.optimise;
        crate::research::research(o.sweep.as_ref(), o.walk_forward.as_ref(), o.applied)
    }

    /// Collects finished sweeps and walk-forwards; keeps the plan status current.
    pub(super) fn poll_optimise(&mut self) {
        self.optimise.check(&self.preset);
        if let Some(result) = self.optimise.sweep_job.as_mut().and_then(|j| j.task.poll()) {
            self.optimise.sweep_job = None;
            match result {
                Ok(view) => {
                    self.log.info(format!(
                        "sweep: {} of {} combinations in {:.2} s, {} trades in all{}; {}",
                        view.rows.len(),
                        view.combos,
                        view.seconds,
                        view.total_trades(),
                        if view.cancelled { " (cancelled)" } else { "" },
                        view.best_line()
                    ));
                    // Axes and fixed values start at the new best.
                    self.persisted.results.optimise.fixed = view.best_cell();
                    // The row the editor holds now, if the sweep ran it.
                    self.optimise.applied = row_of(&view, &self.preset);
                    self.optimise.sweep = Some(view);
                }
                Err(e) => self.fail(format!("the sweep failed: {e}")),
            }
        }
        if let Some(result) = self.optimise.wf_job.as_mut().and_then(|j| j.task.poll()) {
            self.optimise.wf_job = None;
            match result {
                Ok(view) => {
                    self.log.info(format!(
                        "walk-forward: {} folds in {:.2} s, {} out-of-sample trades; {}",
                        view.out.folds.len(),
                        view.seconds,
                        view.out.oos_metrics.n_trades,
                        view.efficiency_line()
                    ));
                    self.optimise.walk_forward = Some(view);
                }
                Err(e) if e.contains("cancelled") => self.log.info("walk-forward cancelled; the previous one stays"),
                Err(e) => self.fail(format!("the walk-forward failed: {e}")),
            }
        }
    }
}

/// What a sweep path points at, in the editor's words: "entry rule 1: ml_pred > 0.75",
/// "position size", "broker: slippage (bps)". None for a path the preset does not have.
pub(super) fn describe_path(preset: &Preset, path: &str) -> Option<String> {
    if let Some(field) = path.strip_prefix("broker.") {
        return Some(format!("broker: {}", field.replace(['.', '_'], " ")));
    }
    if path.starts_with("sizer") {
        return Some("position size".into());
    }
    let (rule, row, slot) = rule_at(preset, path)?;
    let which = match slot {
        Some("lo") => " (lower bound)",
        Some("hi") => " (upper bound)",
        _ => "",
    };
    Some(format!("{row}: {}{which}", rule.describe()))
}

/// The signal column the rule at `path` compares (its percentiles give the default range).
fn rule_column(preset: &Preset, path: &str) -> Option<String> {
    use ml4t_engine::strategy::rules::Rule;
    match rule_at(preset, path)?.0 {
        Rule::SignalAbove(c, _)
        | Rule::SignalBelow(c, _)
        | Rule::CrossAbove(c, _)
        | Rule::CrossBelow(c, _)
        | Rule::SignalBetween(c, _, _) => Some(c.clone()),
        _ => None,
    }
}

/// The rule a rule path points at (looking through NOT and switched-off rules), the editor's
/// name of its row ("exit rule 1.2") and the `.lo`/`.hi` slot.
fn rule_at<'a, 'p>(
    preset: &'a Preset,
    path: &'p str,
) -> Option<(&'a ml4t_engine::strategy::rules::Rule, String, Option<&'p str>)> {
    use ml4t_engine::strategy::rules::Rule;
    let rules = preset.strategy.rules()?;
    let (list, rest) = if let Some(r) = path.strip_prefix("entry") {
        ("entry", r)
    } else {
        ("exit", path.strip_prefix("exit")?)
    };
    let (indices, slot) = match rest.rsplit_once('.') {
        Some((i, s)) => (i, Some(s)),
        None => (rest, None),
    };
    let idx: Vec<usize> = indices
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split("][")
        .map(|s| s.parse().ok())
        .collect::<Option<_>>()?;
    let mut level = if list == "entry" { &rules.entry } else { &rules.exit };
    let mut rule = None;
    for (k, &i) in idx.iter().enumerate() {
        let mut r = level.get(i)?;
        while let Rule::Not(inner) | Rule::Disabled(inner) = r {
            r = inner;
        }
        if k + 1 < idx.len() {
            match r {
                Rule::All(v) | Rule::Any(v) => level = v,
                _ => return None,
            }
        } else {
            rule = Some(r);
        }
    }
    let numbers: Vec<String> = idx.iter().map(|i| (i + 1).to_string()).collect();
    Some((rule?, format!("{list} rule {}", numbers.join(".")), slot))
}

/// The sweep row whose values the preset holds, if any.
fn row_of(view: &SweepView, preset: &Preset) -> Option<usize> {
    let current: Vec<f64> = view
        .paths
        .iter()
        .map(|p| ParamPath::parse(p, preset).ok().and_then(|p| p.get(preset)))
        .collect::<Option<_>>()?;
    view.rows.iter().position(|r| r.params == current)
}

/// "train 1y, test 3m, rolling, embargo 0 bars, fresh account per fold".
fn settings_text(w: &WalkForwardSettings) -> String {
    format!(
        "train {}, test {}, {}, embargo {} bars, {}",
        w.train.trim(),
        w.test.trim(),
        if w.anchored { "anchored" } else { "rolling" },
        w.embargo,
        if w.carry_equity {
            "equity carried from fold to fold"
        } else {
            "fresh account per fold"
        }
    )
}

/// The best combination over the whole sample (in hindsight) and its equity over the stretch the
/// folds tested, rebased to start where the stitched curve starts.
#[allow(clippy::too_many_arguments)]
fn full_sample_best(
    preset: &Preset,
    origin: &std::path::Path,
    bars: &Bars,
    plan: &SweepPlan,
    objective: &Objective,
    threads: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
    h: &JobHandle,
    wf: &ml4t_sweep::WalkForwardOutput,
) -> Result<Option<FullSampleBest>, String> {
    let opts = SweepOptions {
        threads,
        progress: Some(progress),
        cancel: Some(h.cancel_flag()),
        ..SweepOptions::default()
    };
    let out = ml4t_sweep::run_sweep(preset, origin, bars, plan, objective, &opts).map_err(|e| e.to_string())?;
    if out.cancelled {
        return Err("walk-forward cancelled".into());
    }
    let Some(best) = out.best else { return Ok(None) };
    let combo = out.rows[best].combo;
    let p = plan.apply(preset, combo).map_err(|e| e.to_string())?;
    let mut engine = Engine::new().cancel_flag(h.cancel_flag());
    let result = ml4t_preset::run::run(&p, origin, bars, &mut engine).map_err(|e| e.to_string())?;
    progress(plan.combos.len() + 1, plan.combos.len() + 1);
    let start = wf.oos_ts.first().copied().unwrap_or(i64::MIN);
    let pts: Vec<(i64, f64)> = result
        .equity
        .iter()
        .map(|q| (q.ts.0, q.equity))
        .filter(|(t, _)| *t >= start)
        .collect();
    let scale = match (pts.first(), wf.oos_equity.first()) {
        (Some((_, e0)), Some(&o0)) if *e0 > 0.0 => o0 / e0,
        _ => 1.0,
    };
    let paths: Vec<String> = plan.paths.iter().map(|p| p.as_str().trim().to_owned()).collect();
    Ok(Some(FullSampleBest {
        params: crate::research::describe(&paths, &plan.combos[combo].values),
        ts: pts.iter().map(|(t, _)| *t).collect(),
        equity: pts.iter().map(|(_, e)| e * scale).collect(),
        trades: result.trades.len(),
    }))
}

/// The default values of a newly swept number: for a threshold on a signal column its 5th to
/// 95th percentile, else ±50 % around the current value (a zero cost gets a typical range);
/// counts as whole values.
pub(super) fn default_values(
    path: &str,
    column: Option<&str>,
    value: f64,
    integer: bool,
    bars: Option<&Bars>,
) -> String {
    if integer {
        let v = value.round().max(1.0);
        let lo = (v * 0.5).round().max(1.0);
        let hi = (v * 1.5).round().max(lo + 1.0);
        let count = ((hi - lo) as usize + 1).min(DEFAULT_STEPS);
        let mut vals: Vec<i64> = (0..count)
            .map(|k| (lo + (hi - lo) * k as f64 / (count - 1).max(1) as f64).round() as i64)
            .collect();
        vals.dedup();
        return vals.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    }
    if let Some((lo, hi)) = column
        .and_then(|c| bars.and_then(|b| percentiles(b, c)))
        .filter(|(lo, hi)| hi > lo)
    {
        return format!("{}:{}:{DEFAULT_STEPS}", round_sig(lo), round_sig(hi));
    }
    let (lo, hi) = if value == 0.0 {
        match path {
            "broker.slippage_bps" => (0.0, 10.0),
            "broker.commission.percent" => (0.0, 0.002),
            "broker.commission.per_share" => (0.0, 0.01),
            "broker.borrow_rate" => (0.0, 0.05),
            "portfolio.min_notional" => (0.0, 5_000.0),
            _ => (0.0, 1.0),
        }
    } else {
        let (a, b) = (value * 0.5, value * 1.5);
        (a.min(b), a.max(b))
    };
    format!("{}:{}:{DEFAULT_STEPS}", round_sig(lo), round_sig(hi))
}

/// 5th and 95th percentile of a signal column (NaN skipped; at most 200k values looked at).
fn percentiles(bars: &Bars, column: &str) -> Option<(f64, f64)> {
    let id = bars.signal_names().iter().position(|s| s == column)?;
    let col = bars.signal_column(SignalId(id as u32));
    let step = (col.len() / 200_000).max(1);
    let mut v: Vec<f64> = col.iter().step_by(step).copied().filter(|x| x.is_finite()).collect();
    if v.len() < 2 {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    Some((at(0.05), at(0.95)))
}

/// Three significant digits, so ranges read as 0.123:0.877 rather than 0.12345678.
fn round_sig(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return "0".into();
    }
    let digits = 3 - 1 - x.abs().log10().floor() as i32;
    let f = 10f64.powi(digits.max(0));
    let r = (x * f).round() / f;
    num(if digits >= 0 { r } else { x.round() })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ml4t_engine::market::BarColumns;
    use ml4t_engine::types::AssetId;

    fn bars() -> Bars {
        let mut cols = BarColumns::with_capacity(101, 1);
        for i in 0..=100 {
            let s = i as f64 / 100.0;
            cols.push(i * 86_400_000_000_000, AssetId(0), 1.0, 1.0, 1.0, 1.0, 1.0, &[s]);
        }
        Bars::new(vec!["A".into()], vec!["p".into()], cols).unwrap()
    }

    #[test]
    fn default_range_of_a_threshold_is_the_columns_5th_to_95th_percentile() {
        let b = bars();
        assert_eq!(
            default_values("entry[0]", Some("p"), 0.7, false, Some(&b)),
            "0.05:0.95:5"
        );
        // A price column (no statistics): around the current value.
        assert_eq!(
            default_values("entry[0]", Some("close"), 0.8, false, Some(&b)),
            "0.4:1.2:5"
        );
    }

    #[test]
    fn describe_path_names_the_rule_as_the_editor_does() {
        use ml4t_engine::strategy::rules::{Rule, SignalStrategy};
        let s = SignalStrategy::new()
            .entry(Rule::signal_above("ml_pred", 0.75))
            .exit_any([Rule::signal_below("ml_pred", 0.45), Rule::not(Rule::stop_loss(0.05))]);
        let p = Preset::new("t", "d.parquet", s);
        assert_eq!(describe_path(&p, "entry[0]").unwrap(), "entry rule 1: ml_pred > 0.75");
        assert!(
            describe_path(&p, "exit[0][1]")
                .unwrap()
                .starts_with("exit rule 1.2: stop loss")
        );
        assert_eq!(
            describe_path(&p, "broker.slippage_bps").unwrap(),
            "broker: slippage bps"
        );
        assert_eq!(describe_path(&p, "exit[3]"), None);
        assert_eq!(rule_column(&p, "exit[0][0]").as_deref(), Some("ml_pred"));
        assert_eq!(rule_column(&p, "exit[0][1]"), None);
    }

    #[test]
    fn status_counts_big_grids_without_listing_them() {
        use ml4t_engine::strategy::rules::{Rule, SignalStrategy};
        let s = SignalStrategy::new()
            .entry(Rule::signal_above("p", 0.75))
            .exit(Rule::signal_below("p", 0.45));
        let mut p = Preset::new("t", "d.parquet", s);
        let sweep = |entry: &str, exit: &str, constraints: Vec<String>| SweepSpec {
            params: vec![
                SweepParam {
                    path: "entry[0]".into(),
                    values: entry.into(),
                },
                SweepParam {
                    path: "exit[0]".into(),
                    values: exit.into(),
                },
            ],
            constraints,
            ..SweepSpec::default()
        };
        p.sweep = Some(sweep("0.5:0.9:5", "0.1:0.5:5", vec!["exit[0] < entry[0]".into()]));
        assert_eq!(status(&p).unwrap(), "24 combinations");
        p.sweep = Some(sweep("0:1:2000", "0:1:2000", vec![]));
        let started = Instant::now();
        assert_eq!(status(&p).unwrap(), "4000000 combinations");
        assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
        p.sweep = Some(sweep("0:1:2000", "0:1:2000", vec!["exit[0] < entry[0]".into()]));
        assert!(status(&p).unwrap().starts_with("up to 4000000 combinations"));
        p.sweep = Some(sweep("0:1:2000", "0:1:2000", vec!["exit[9] < entry[0]".into()]));
        assert!(status(&p).unwrap_err().contains("exit[9]"));
        p.sweep = Some(sweep("0:1:5000", "0:1:5000", vec![]));
        assert!(status(&p).unwrap_err().contains("narrow the ranges"));
        p.sweep = Some(sweep("0:1:5", "x", vec![]));
        assert!(status(&p).unwrap_err().contains("exit[0]"));
    }

    #[test]
    fn default_range_around_the_value_counts_and_zero_costs() {
        assert_eq!(default_values("exit[0][1]", None, 0.05, false, None), "0.025:0.075:5");
        assert_eq!(default_values("exit[0][3]", None, 20.0, true, None), "10,15,20,25,30");
        assert_eq!(default_values("exit[0][3]", None, 2.0, true, None), "1,2,3");
        assert_eq!(default_values("broker.slippage_bps", None, 0.0, false, None), "0:10:5");
        assert_eq!(
            default_values("portfolio.min_notional", None, 0.0, false, None),
            "0:5000:5"
        );
        assert_eq!(default_values("portfolio.w_short", None, 0.0, false, None), "0:1:5");
        assert_eq!(round_sig(123_456.0), "123456");
        assert_eq!(round_sig(0.012345), "0.0123");
    }
}
