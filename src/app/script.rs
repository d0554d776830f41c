//! The Script tab's state and logic: the editor buffer of a scripted or hybrid strategy, opening
//! and saving `.rhai` files, switching the strategy kind (keeping the previous spec), hot reload.
//!
//! A file-based script's text lives in the buffer while edited; runs use the buffer (so edits run
//! before they are saved), and the preset keeps naming the file.

use std::path::{Path, PathBuf};

use super::{Command, Workbench};
use crate::engine::strategy::rules::{Direction, Rule, SignalStrategy, Sizer};
use crate::preset::{Preset, ScriptSource, StrategySpec};
use crate::script::{Script, ScriptError};

/// Used when no template can be derived from the rules.
pub const DEFAULT_SCRIPT: &str = include_str!("../../assets/scripts/user_journey.rhai");

/// The strategy kinds the Script tab switches between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrategyKind {
    Rules,
    Script,
    Hybrid,
}

impl StrategyKind {
    pub fn of(spec: &StrategySpec) -> Self {
        match spec {
            StrategySpec::Rules(_) => StrategyKind::Rules,
            StrategySpec::Script(_) => StrategyKind::Script,
            StrategySpec::Hybrid { .. } => StrategyKind::Hybrid,
        }
    }
}

/// The editor buffer and what the tab shows about it.
#[derive(Debug, Default)]
pub struct ScriptEditor {
    /// The text being edited (for an inline script, a copy of the preset's source).
    pub text: String,
    /// The file's text as last read or written (file-based scripts): `text` differs = unsaved.
    pub disk_text: Option<String>,
    /// The compile error of `text`, if any.
    pub error: Option<ScriptError>,
    /// The Open / Save as path field.
    pub path_field: String,
    /// The file changed on disk while the buffer had unsaved edits.
    pub changed_on_disk: bool,
    /// The last run failed in the script: (line, message); cleared by an edit or a good run.
    pub runtime_error: Option<(usize, String)>,
    /// Specs switched away from, restored when switching back.
    stash_rules: Option<SignalStrategy>,
    stash_filter: Option<Vec<Rule>>,
    stash_script: Option<(ScriptSource, String)>,
}

impl ScriptEditor {
    /// Unsaved edits of a file-based script.
    pub fn unsaved(&self) -> bool {
        self.disk_text.as_ref().is_some_and(|d| *d != self.text)
    }
}

impl Workbench {
    /// The preset as runs see it: a file-based script with unsaved edits runs its buffer.
    pub fn preset_for_run(&self) -> Preset {
        let mut p = self.preset.clone();
        if let StrategySpec::Script(s) | StrategySpec::Hybrid { script: s, .. } = &mut p.strategy
            && s.source.is_none()
            && self.script.disk_text.is_some()
        {
            s.source = Some(self.script.text.clone());
        }
        p
    }

    /// The resolved file of a file-based script.
    pub fn script_file(&self) -> Option<PathBuf> {
        let s = self.preset.strategy.script()?;
        (s.source.is_none() && !s.path.as_os_str().is_empty()).then(|| s.resolved_path(&self.preset_origin()))
    }

    /// Fills the buffer from the preset's script (after opening a preset or switching kind).
    pub(super) fn sync_script(&mut self) {
        self.script.changed_on_disk = false;
        self.script.error = None;
        let Some(src) = self.preset.strategy.script().cloned() else {
            self.script.disk_text = None;
            return;
        };
        self.script.path_field = src.path.display().to_string();
        match &src.source {
            Some(text) => {
                self.script.text = text.clone();
                self.script.disk_text = None;
            }
            None => {
                let path = src.resolved_path(&self.preset_origin());
                match std::fs::read_to_string(&path) {
                    Ok(text) => {
                        self.script.text = text.clone();
                        self.script.disk_text = Some(text);
                    }
                    Err(e) => {
                        self.script.text.clear();
                        self.script.disk_text = None;
                        self.log.warn(format!(
                            "{}: cannot read the script: {e}; check the path",
                            path.display()
                        ));
                    }
                }
            }
        }
        self.check_script();
    }

    /// The script line a failed run's message points at (`origin:line:column: ...`), if any.
    pub(super) fn runtime_error_line(&self, message: &str) -> Option<usize> {
        let p = self.preset_for_run();
        let s = p.strategy.script()?;
        let origin = match &s.source {
            Some(_) if s.path.as_os_str().is_empty() => format!("{} (inline script)", self.preset_origin().display()),
            _ => s.resolved_path(&self.preset_origin()).display().to_string(),
        };
        let rest = &message[message.find(&format!("{origin}:"))? + origin.len() + 1..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok().filter(|l| *l > 0)
    }

    /// Compiles the buffer (without running it) and returns the error message, if any.
    pub(super) fn check_script(&mut self) -> Option<String> {
        let src = self.preset.strategy.script()?;
        let origin = if src.path.as_os_str().is_empty() {
            "inline script".to_owned()
        } else {
            src.path.display().to_string()
        };
        if src.source.is_none() && self.script.disk_text.is_none() {
            let msg = format!("{origin}: cannot read the script; check the path or open another file");
            self.script.error = None;
            return Some(msg);
        }
        self.script.error = Script::compile(&self.script.text, &origin).err();
        self.script.error.as_ref().map(ToString::to_string)
    }

    pub(super) fn apply_script(&mut self, cmd: Command) {
        match cmd {
            Command::SetStrategyKind(kind) => self.set_strategy_kind(kind),
            // Typed paths are relative to the working directory, where the preset's relative
            // paths are relative to the preset: keep them absolute until the preset is saved.
            Command::OpenScript(path) => self.open_script(&std::path::absolute(&path).unwrap_or(path)),
            Command::OpenScriptDialog => {
                match rfd::FileDialog::new()
                    .add_filter("Rhai script", &["rhai"])
                    .set_title("Open script")
                    .pick_file()
                {
                    Some(p) => self.open_script(&p),
                    None => self
                        .log
                        .info("no script chosen (if no dialog appeared, type a path in the script path field)"),
                }
            }
            Command::SaveScript => match self.script_file() {
                Some(p) => self.save_script(&p),
                None => self
                    .log
                    .warn("the script is inline: use Save script to path to write it to a file"),
            },
            Command::SaveScriptAs(path) => self.save_script(&std::path::absolute(&path).unwrap_or(path)),
            Command::SetScriptInline(inline) => self.set_script_inline(inline),
            Command::ReloadScript => {
                self.sync_script();
                self.validate();
                self.request_run(std::time::Duration::ZERO);
            }
            _ => {}
        }
    }

    fn script_mut(&mut self) -> Option<&mut ScriptSource> {
        match &mut self.preset.strategy {
            StrategySpec::Script(s) | StrategySpec::Hybrid { script: s, .. } => Some(s),
            StrategySpec::Rules(_) => None,
        }
    }

    fn set_strategy_kind(&mut self, kind: StrategyKind) {
        if StrategyKind::of(&self.preset.strategy) == kind {
            return;
        }
        let ed = &mut self.script;
        let mut template_from = None;
        match &self.preset.strategy {
            StrategySpec::Rules(r) => {
                ed.stash_rules = Some(r.clone());
                template_from = Some(r.clone());
            }
            StrategySpec::Script(s) => ed.stash_script = Some((s.clone(), ed.text.clone())),
            StrategySpec::Hybrid { filter, script } => {
                ed.stash_filter = Some(filter.clone());
                ed.stash_script = Some((script.clone(), ed.text.clone()));
            }
        }
        let script = || match &ed.stash_script {
            Some((s, _)) => s.clone(),
            None => ScriptSource::inline(
                template_from
                    .as_ref()
                    .or(ed.stash_rules.as_ref())
                    .and_then(script_from_rules)
                    .unwrap_or_else(|| DEFAULT_SCRIPT.to_owned()),
            ),
        };
        self.preset.strategy = match kind {
            StrategyKind::Rules => StrategySpec::Rules(ed.stash_rules.clone().unwrap_or_default()),
            StrategyKind::Script => StrategySpec::Script(script()),
            StrategyKind::Hybrid => StrategySpec::Hybrid {
                filter: ed.stash_filter.clone().unwrap_or_else(|| {
                    template_from
                        .as_ref()
                        .or(ed.stash_rules.as_ref())
                        .map(filter_from_rules)
                        .unwrap_or_default()
                }),
                script: script(),
            },
        };
        let stashed_text = self.script.stash_script.as_ref().map(|(_, t)| t.clone());
        self.sync_script();
        if kind != StrategyKind::Rules
            && let Some(text) = stashed_text
        {
            self.script.text = text;
            self.check_script();
        }
        self.log.info(format!("strategy kind: {kind:?}"));
        self.rewatch();
        self.apply(Command::StrategyEdited);
    }

    fn open_script(&mut self, path: &Path) {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => return self.fail(format!("{}: cannot read the script: {e}", path.display())),
        };
        if self.script_mut().is_none() {
            self.set_strategy_kind(StrategyKind::Script);
        }
        if let Some(s) = self.script_mut() {
            *s = ScriptSource::file(path);
        }
        self.script.text = text.clone();
        self.script.disk_text = Some(text);
        self.script.path_field = path.display().to_string();
        self.script.changed_on_disk = false;
        self.log.info(format!("opened script {}", path.display()));
        self.rewatch();
        self.apply(Command::StrategyEdited);
    }

    /// Writes the buffer to `path` (atomically) and makes the script file-based there.
    pub(super) fn save_script(&mut self, path: &Path) {
        if let Some(w) = &mut self.watcher {
            w.suppress(path);
        }
        match crate::preset::atomic::write_atomic(path, self.script.text.as_bytes()) {
            Ok(()) => {
                let was = self.script_file();
                if let Some(s) = self.script_mut() {
                    s.source = None;
                    if was.as_deref() != Some(path) {
                        s.path = path.to_path_buf();
                    }
                }
                self.script.disk_text = Some(self.script.text.clone());
                self.script.path_field = path.display().to_string();
                self.script.changed_on_disk = false;
                self.log.info(format!("saved script {}", path.display()));
                if was.as_deref() != Some(path) {
                    // The preset now names another file.
                    self.dirty = true;
                    self.rewatch();
                }
            }
            Err(e) => self.fail(format!("{}: saving the script failed: {e}", path.display())),
        }
    }

    fn set_script_inline(&mut self, inline: bool) {
        let text = self.script.text.clone();
        let origin = self.preset_origin();
        let Some(s) = self.script_mut() else { return };
        if inline {
            s.source = Some(text);
            self.script.disk_text = None;
        } else {
            if s.path.as_os_str().is_empty() {
                self.log
                    .warn("an inline script has no file yet: type a path and press Save script to path");
                return;
            }
            s.source = None;
            let path = s.resolved_path(&origin);
            // The buffer stays; the file's text tells whether it has unsaved edits.
            self.script.disk_text = Some(std::fs::read_to_string(&path).unwrap_or_default());
        }
        self.rewatch();
        self.apply(Command::StrategyEdited);
    }

    /// A watched script file changed on disk.
    pub(super) fn script_changed_on_disk(&mut self, path: &Path) {
        if self.script.unsaved() {
            self.script.changed_on_disk = true;
            self.log.warn(format!(
                "{} changed on disk; your unsaved script edits are kept",
                path.display()
            ));
            return;
        }
        match std::fs::read_to_string(path) {
            Ok(text) => {
                self.log
                    .info(format!("{} changed on disk: reloading and re-running", path.display()));
                self.script.text = text.clone();
                self.script.disk_text = Some(text);
                self.script.changed_on_disk = false;
                self.validate();
                self.request_run(std::time::Duration::ZERO);
            }
            Err(e) => self
                .log
                .warn(format!("{}: cannot read the script: {e}", path.display())),
        }
    }

    /// Before saving the preset to `preset_file`: the script's path relative to that file's
    /// folder (with `..` steps when they share a folder), so the pair can move together.
    pub(super) fn script_path_for(&self, preset_file: &Path) -> Option<PathBuf> {
        let s = self.preset.strategy.script()?;
        if s.path.as_os_str().is_empty() {
            return None;
        }
        let file = s.resolved_path(&self.preset_origin());
        let dir = preset_file
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Some(relative_path(&file, dir).unwrap_or(file))
    }
}

/// `target` relative to the folder `base` (both made absolute), or None when they share no
/// folder below the root.
fn relative_path(target: &Path, base: &Path) -> Option<PathBuf> {
    use std::path::Component;
    let abs = |p: &Path| -> Option<PathBuf> {
        if let Ok(a) = std::fs::canonicalize(p) {
            return Some(a);
        }
        // A file not written yet: its folder must exist.
        let dir = std::fs::canonicalize(p.parent()?).ok()?;
        Some(dir.join(p.file_name()?))
    };
    let (t, b) = (abs(target)?, abs(base)?);
    let tc: Vec<Component> = t.components().collect();
    let bc: Vec<Component> = b.components().collect();
    let common = tc.iter().zip(&bc).take_while(|(x, y)| x == y).count();
    if common <= 1 {
        return None;
    }
    let mut out = PathBuf::new();
    for _ in common..bc.len() {
        out.push("..");
    }
    for c in &tc[common..] {
        out.push(c);
    }
    Some(out)
}

/// A hybrid filter that lets through the bars where the rules could act: the entry holds, or a
/// position is open (so the script can exit). Empty without entry rules.
pub fn filter_from_rules(rules: &SignalStrategy) -> Vec<Rule> {
    if rules.entry.is_empty() {
        return Vec::new();
    }
    vec![Rule::Any(vec![Rule::All(rules.entry.clone()), Rule::InPosition])]
}

/// A script doing what simple rules do (thresholds on signals, stop-loss and take-profit exits,
/// percent-of-cash sizing), or None when the rules use anything else.
pub fn script_from_rules(rules: &SignalStrategy) -> Option<String> {
    fn col(name: &str) -> String {
        let ident = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if ident {
            format!("bar.{name}")
        } else {
            format!("bar[{name:?}]")
        }
    }
    fn cond(rule: &Rule) -> Option<String> {
        Some(match rule {
            Rule::SignalAbove(c, x) => format!("{} > {x:?}", col(c)),
            Rule::SignalBelow(c, x) => format!("{} < {x:?}", col(c)),
            Rule::SignalBetween(c, lo, hi) => format!("({0} >= {lo:?} && {0} <= {hi:?})", col(c)),
            Rule::StopLoss(p) => format!("pnl < -{p:?}"),
            Rule::TakeProfit(p) => format!("pnl > {p:?}"),
            Rule::Any(rs) if !rs.is_empty() => {
                let parts: Option<Vec<String>> = rs.iter().map(cond).collect();
                format!("({})", parts?.join(" || "))
            }
            Rule::All(rs) if !rs.is_empty() => {
                let parts: Option<Vec<String>> = rs.iter().map(cond).collect();
                format!("({})", parts?.join(" && "))
            }
            _ => return None,
        })
    }
    let Sizer::PercentOfCash(pct) = rules.sizer else {
        return None;
    };
    if rules.entry.is_empty() || rules.exit.is_empty() || rules.direction != Direction::Long {
        return None;
    }
    let entry: Option<Vec<String>> = rules.entry.iter().map(cond).collect();
    let exit: Option<Vec<String>> = rules.exit.iter().map(cond).collect();
    let (entry, exit) = (entry?.join(" && "), exit?.join(" && "));
    Some(format!(
        "// Generated from the rules: enter when all entry rules hold, leave when all exit rules hold.\n\
         \n\
         fn on_bar(bar, ctx) {{\n    \
             if ctx.position() == 0.0 {{\n        \
                 if {entry} {{\n            \
                     ctx.buy_percent({pct:?});\n        \
                 }}\n    \
             }} else {{\n        \
                 let pnl = ctx.unrealized_pnl_pct();\n        \
                 if {exit} {{\n            \
                     ctx.close_position();\n        \
                 }}\n    \
             }}\n\
         }}\n"
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn script_from_rules_compiles_and_reads_like_the_rules() {
        let rules = SignalStrategy {
            entry: vec![
                Rule::signal_above("ml_pred", 0.8),
                Rule::SignalAbove("confidence".into(), 0.7),
            ],
            exit: vec![Rule::Any(vec![
                Rule::SignalBelow("ml_pred".into(), 0.4),
                Rule::StopLoss(0.05),
                Rule::TakeProfit(0.15),
            ])],
            ..SignalStrategy::default()
        };
        let text = script_from_rules(&rules).unwrap();
        assert!(
            text.contains("if bar.ml_pred > 0.8 && bar.confidence > 0.7 {"),
            "{text}"
        );
        assert!(
            text.contains("if (bar.ml_pred < 0.4 || pnl < -0.05 || pnl > 0.15) {"),
            "{text}"
        );
        Script::compile(&text, "t.rhai").unwrap();
    }

    #[test]
    fn relative_path_steps_up_to_the_shared_folder() {
        let dir = tempfile::tempdir().unwrap();
        for d in ["presets", "scripts", "a/b"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        let script = dir.path().join("scripts/s.rhai");
        std::fs::write(&script, "").unwrap();
        let rel = |base: &str| relative_path(&script, &dir.path().join(base)).unwrap();
        assert_eq!(rel("presets"), Path::new("../scripts/s.rhai"));
        assert_eq!(rel("scripts"), Path::new("s.rhai"));
        assert_eq!(rel("a/b"), Path::new("../../scripts/s.rhai"));
        assert_eq!(rel(""), Path::new("scripts/s.rhai"));
        // Not written yet: its folder decides.
        let new = dir.path().join("scripts/new.rhai");
        assert_eq!(
            relative_path(&new, &dir.path().join("presets")).unwrap(),
            Path::new("../scripts/new.rhai")
        );
    }

    #[test]
    fn script_from_rules_refuses_what_it_cannot_say() {
        let rules = SignalStrategy {
            entry: vec![Rule::TopN("ml_pred".into(), 3)],
            exit: vec![Rule::StopLoss(0.05)],
            ..SignalStrategy::default()
        };
        assert_eq!(script_from_rules(&rules), None);
        assert_eq!(script_from_rules(&SignalStrategy::default()), None);
    }
}
