//! The Script tab's state and logic: the editor buffer of a scripted or hybrid strategy, opening
//! and saving `.rhai` files, switching the strategy kind (keeping the previous spec), hot reload.
//!
//! A file-based script's text lives in the buffer while edited; runs use the buffer (so edits run
//! before they are saved), and the preset keeps naming the file.

use std::path::{Path, PathBuf};

use super::{Command, StrategyKind, Workbench};
use ml4t_engine::strategy::rules::{Direction, Rule, SignalStrategy, Sizer};
use ml4t_preset::{Preset, ScriptSource, StrategySpec};
use ml4t_script::{Script, ScriptError};

/// Used when no template can be derived from the rules.
pub const DEFAULT_SCRIPT: &str = include_str!("../../assets/scripts/user_journey.rhai");

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
    /// A portfolio strategy switched away from.
    stash_portfolio: Option<SignalStrategy>,
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
            Command::OpenScriptDialog => self.open_dialog(super::dialog::DialogKind::OpenScript),
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
            StrategySpec::Rules(r) if r.portfolio.is_some() => ed.stash_portfolio = Some(r.clone()),
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
            StrategyKind::Portfolio => StrategySpec::Rules(ed.stash_portfolio.clone().unwrap_or_else(|| {
                let signal = self.data.as_ref().and_then(|d| d.bars.signal_names().first().cloned());
                new_portfolio(signal)
            })),
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
        if !matches!(kind, StrategyKind::Rules | StrategyKind::Portfolio)
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
        match ml4t_preset::atomic::write_atomic(path, self.script.text.as_bytes()) {
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
/// A new Portfolio strategy: the engine's defaults (every 5 bars, long the top asset with all
/// the equity) ranked by `signal` (the data's first signal, when there is data).
pub fn new_portfolio(signal: Option<String>) -> SignalStrategy {
    let mut p = ml4t_engine::strategy::rebalance::Rebalance::default();
    if let Some(signal) = signal {
        p.signal = signal;
    }
    SignalStrategy {
        portfolio: Some(Box::new(p)),
        ..SignalStrategy::default()
    }
}

pub fn filter_from_rules(rules: &SignalStrategy) -> Vec<Rule> {
    if rules.entry.is_empty() {
        return Vec::new();
    }
    vec![Rule::Any(vec![Rule::All(rules.entry.clone()), Rule::InPosition])]
}

/// A script that trades exactly as `rules` do, or None when the rules use what a script cannot
/// say as plainly (crosses and top/bottom-N, which need per-asset history or a ranking).
pub fn script_from_rules(rules: &SignalStrategy) -> Option<String> {
    // Only what the generated script reproduces exactly: long-only market entries with exits at
    // the next open, no margin check, no rebalancing. Anything else stays in the rules (the
    // Script tab then starts from the template instead of a translation that would differ).
    let plain = rules.direction == Direction::Long
        && rules.exit_fills == Default::default()
        && rules.entry_order == Default::default()
        && rules.initial_margin.is_none()
        && rules.portfolio.is_none();
    if rules.entry.is_empty() || !plain {
        return None;
    }
    let active = |list: &[Rule]| -> Vec<Rule> { ml4t_engine::strategy::rules::active(list).cloned().collect() };
    let (entry, exit) = (active(&rules.entry), active(&rules.exit));
    if entry.is_empty() {
        return None;
    }
    let all = |list: &[Rule], held: bool| -> Option<String> {
        let parts: Option<Vec<String>> = list.iter().map(|r| condition(r, held)).collect();
        let parts = parts?;
        Some(if parts.is_empty() {
            // An empty exit list never holds (an empty entry list was refused above).
            "false".to_owned()
        } else {
            parts.join(" && ")
        })
    };
    let (enter_if, exit_if) = (all(&entry, false)?, all(&exit, true)?);
    let tracks = |r: &Rule| matches!(r, Rule::MaxHoldingBars(_) | Rule::TrailingStop(_));
    let holding = any_rule(&exit, &tracks);
    let size = sizing(&rules.sizer);
    let mut out = String::from(
        "// Generated from the rules: enter when all entry rules hold, leave when all exit rules hold.\n\n",
    );
    out += "fn on_bar(bar, ctx) {\n    if ctx.position() == 0.0 {\n";
    if holding {
        out += "        ctx.asset_state.held = 0;\n";
    }
    out += &format!("        if {enter_if} {{\n{size}        }}\n    }} else {{\n");
    if holding {
        // Bars in the position (this one included) and the highest close since entry.
        out += "        ctx.asset_state.held += 1;\n";
        out += "        if ctx.asset_state.held == 1 || bar.close > ctx.asset_state.high {\n";
        out += "            ctx.asset_state.high = bar.close;\n        }\n";
    }
    out += "        let pnl = ctx.unrealized_pnl_pct();\n";
    out += &format!("        if {exit_if} {{\n            ctx.close_position();\n        }}\n    }}\n}}\n");
    Some(out)
}

/// Whether `pred` holds for a rule of `list`, groups included.
fn any_rule(list: &[Rule], pred: &dyn Fn(&Rule) -> bool) -> bool {
    list.iter().any(|r| {
        pred(r)
            || match r {
                Rule::All(v) | Rule::Any(v) => any_rule(v, pred),
                Rule::Not(inner) => any_rule(std::slice::from_ref(&**inner), pred),
                _ => false,
            }
    })
}

/// A column as the script reads it: price columns as `bar.close` (any case, as the rules
/// resolve them), signals as `bar.name`, or `bar["name"]` when the name is not an identifier.
fn column(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if ["open", "high", "low", "close", "volume"].contains(&lower.as_str()) && name != lower {
        return format!("bar.{lower}");
    }
    let ident = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ident {
        format!("bar.{name}")
    } else {
        format!("bar[{name:?}]")
    }
}

/// One rule as a script expression, evaluated flat (`held` false: entry rules) or in a
/// position (exit rules), with `pnl` the unrealized return.
fn condition(rule: &Rule, held: bool) -> Option<String> {
    let group = |rs: &[Rule], op: &str| -> Option<String> {
        let parts: Option<Vec<String>> = ml4t_engine::strategy::rules::active(rs)
            .map(|r| condition(r, held))
            .collect();
        let parts = parts?;
        Some(if parts.is_empty() {
            // As the rules: an empty group holds for All, not for Any.
            (op == " && ").to_string()
        } else {
            format!("({})", parts.join(op))
        })
    };
    // Position rules need a position; flat they never hold.
    let in_position = |text: String| if held { text } else { "false".to_owned() };
    Some(match rule {
        Rule::SignalAbove(c, x) => format!("{} > {x:?}", column(c)),
        Rule::SignalBelow(c, x) => format!("{} < {x:?}", column(c)),
        Rule::SignalBetween(c, lo, hi) => format!("({0} >= {lo:?} && {0} <= {hi:?})", column(c)),
        Rule::Compare(a, op, b) => format!("{} {} {}", column(a), op.symbol(), column(b)),
        Rule::InPosition => held.to_string(),
        Rule::NotInPosition => (!held).to_string(),
        Rule::StopLoss(p) => in_position(format!("pnl < -{p:?}")),
        Rule::TakeProfit(p) => in_position(format!("pnl > {p:?}")),
        Rule::TrailingStop(p) => in_position(format!("bar.close < ctx.asset_state.high * (1.0 - {p:?})")),
        Rule::MaxHoldingBars(n) => in_position(format!("ctx.asset_state.held >= {n}")),
        Rule::All(rs) => group(rs, " && ")?,
        Rule::Any(rs) => group(rs, " || ")?,
        Rule::Not(r) => format!("!({})", condition(r, held)?),
        _ => return None,
    })
}

/// The entry order for `sizer`, as the rules size it (same arithmetic, same rounding).
fn sizing(sizer: &Sizer) -> String {
    let buy = |qty: String| format!("            ctx.buy({qty});\n");
    match sizer {
        Sizer::PercentOfCash(p) => format!("            ctx.buy_percent({p:?});\n"),
        Sizer::PercentOfEquity(p) => buy(format!("(ctx.equity * {p:?} / bar.close).floor()")),
        Sizer::FixedQuantity(q) => buy(format!("{q:?}")),
        Sizer::FixedNotional(n) => buy(format!("({n:?} / bar.close).floor()")),
        Sizer::VolatilityTarget(c, t) => format!(
            "            let vol = {};\n            if vol > 0.0 {{\n                \
             let f = {t:?} / vol;\n                if f > 1.0 {{ f = 1.0; }}\n                \
             ctx.buy((ctx.equity * f / bar.close).floor());\n            }}\n",
            column(c)
        ),
        Sizer::ConfidenceScaled(c, scale, max) => format!(
            "            let conf = {};\n            if conf == conf {{\n                \
             let f = conf * {scale:?};\n                if f < 0.0 {{ f = 0.0; }}\n                \
             if f > {max:?} {{ f = {max:?}; }}\n                \
             ctx.buy((ctx.cash * f / bar.close).floor());\n            }}\n",
            column(c)
        ),
    }
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

    /// The generated script trades exactly as the rules it came from, for every rule and sizer
    /// kind it translates, with both fill timings.
    #[test]
    fn script_from_rules_trades_as_the_rules() {
        use ml4t_engine::backtest;
        use ml4t_engine::execution::{BrokerConfig, FillTiming};
        use ml4t_engine::strategy::rules::Cmp;
        use ml4t_script::ScriptStrategy;
        let bars = ml4t_data::sample(&ml4t_data::SampleSpec {
            assets: 4,
            bars: 500,
            ..Default::default()
        })
        .unwrap();
        let above = |c: &str, x| Rule::SignalAbove(c.into(), x);
        let below = |c: &str, x| Rule::SignalBelow(c.into(), x);
        let cases = [
            SignalStrategy {
                entry: vec![above("ml_pred", 0.8), above("confidence", 0.7)],
                exit: vec![Rule::Any(vec![
                    below("ml_pred", 0.4),
                    Rule::StopLoss(0.05),
                    Rule::TakeProfit(0.15),
                ])],
                sizer: Sizer::PercentOfCash(0.3),
                ..SignalStrategy::default()
            },
            SignalStrategy {
                entry: vec![
                    Rule::Compare("Close".into(), Cmp::Gt, "open".into()),
                    above("ml_pred", 0.6),
                ],
                exit: vec![Rule::Any(vec![Rule::MaxHoldingBars(5), Rule::TrailingStop(0.03)])],
                sizer: Sizer::PercentOfEquity(0.2),
                ..SignalStrategy::default()
            },
            SignalStrategy {
                entry: vec![Rule::Not(Box::new(below("confidence", 0.5))), Rule::NotInPosition],
                exit: vec![Rule::All(vec![below("ml_pred", 0.5), Rule::InPosition])],
                sizer: Sizer::FixedQuantity(10.0),
                ..SignalStrategy::default()
            },
            SignalStrategy {
                entry: vec![Rule::SignalBetween("ml_pred".into(), 0.7, 0.95)],
                exit: vec![Rule::StopLoss(0.02)],
                sizer: Sizer::FixedNotional(5_000.0),
                ..SignalStrategy::default()
            },
            SignalStrategy {
                entry: vec![
                    above("ml_pred", 0.75),
                    Rule::Disabled(Box::new(above("confidence", 2.0))),
                ],
                exit: vec![Rule::Any(vec![Rule::TakeProfit(0.05), Rule::MaxHoldingBars(10)])],
                sizer: Sizer::VolatilityTarget("volatility".into(), 0.01),
                ..SignalStrategy::default()
            },
            SignalStrategy {
                entry: vec![above("momentum", 0.0), above("ml_pred", 0.7)],
                exit: vec![],
                sizer: Sizer::ConfidenceScaled("confidence".into(), 0.5, 0.3),
                ..SignalStrategy::default()
            },
        ];
        for (i, rules) in cases.iter().enumerate() {
            let text = script_from_rules(rules).unwrap_or_else(|| panic!("case {i}: not translated"));
            let script = Script::compile(&text, "generated.rhai").unwrap_or_else(|e| panic!("case {i}: {e}\n{text}"));
            for timing in [FillTiming::NextOpen, FillTiming::SameClose] {
                let config = BrokerConfig {
                    fill_timing: timing,
                    ..BrokerConfig::default()
                };
                let by_rules = backtest(&bars, &mut rules.compile(&bars).unwrap(), config).unwrap();
                let by_script = backtest(&bars, &mut ScriptStrategy::new(script.clone()), config)
                    .unwrap_or_else(|e| panic!("case {i}: {e}\n{text}"));
                assert!(!by_rules.fills.is_empty(), "case {i} {timing:?}: no trades to compare");
                assert_eq!(by_script.fills, by_rules.fills, "case {i} {timing:?}\n{text}");
                assert_eq!(by_script.trades, by_rules.trades, "case {i} {timing:?}");
            }
        }
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
        let cross = SignalStrategy {
            entry: vec![Rule::CrossAbove("ml_pred".into(), 0.5)],
            ..SignalStrategy::default()
        };
        assert_eq!(script_from_rules(&cross), None);
        assert_eq!(script_from_rules(&SignalStrategy::default()), None);
    }
}
