//! Level 1: strategies described as data. Entry rules are checked for each asset that is flat,
//! exit rules for each asset that holds a position; each list means "all must hold", and
//! [`Rule::Any`] groups give OR. Rules are evaluated at the close; orders fill at the next open.
//!
//! ```
//! use ml4t_engine::strategy::rules::{Rule, SignalStrategy, Sizer};
//! let s = SignalStrategy::new()
//!     .entry(Rule::signal_above("ml_pred", 0.8))
//!     .exit(Rule::any([Rule::signal_below("ml_pred", 0.4), Rule::stop_loss(0.05)]))
//!     .sizer(Sizer::percent_of_cash(0.95));
//! assert_eq!(s.entry.len(), 1);
//! ```
//!
//! Two executions of the same rules give the same trades: [`SignalStrategy::compile`] (stateless
//! conditions become column masks computed once; only position-dependent parts run per bar, and
//! quiet stretches are skipped) and [`SignalStrategy::interpret`] (a plain bar-by-bar walk of the
//! rule tree, the reference).

mod bitmask;
mod column;
mod compile;
mod interpret;
mod mask_cache;
mod sizer;

pub use column::Column;
pub(crate) use compile::{AssetState, scan_quiet};
pub use compile::{CompiledCondition, CompiledRules};
pub use interpret::InterpretedRules;
pub use mask_cache::MaskCache;

use serde::{Deserialize, Serialize};

/// Comparison operator of [`Rule::Compare`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cmp {
    Gt,
    Ge,
    Lt,
    Le,
}

impl Cmp {
    #[inline]
    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
            Cmp::Lt => "<",
            Cmp::Le => "<=",
        }
    }
}

/// One condition. Columns are signal names or the price columns `open high low close volume`.
/// Any comparison with NaN is false.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Rule {
    /// `col > x`
    SignalAbove(String, f64),
    /// `col < x`
    SignalBelow(String, f64),
    /// `lo <= col <= hi`
    SignalBetween(String, f64, f64),
    /// `col > x` now and `col <= x` on the asset's previous bar.
    CrossAbove(String, f64),
    /// `col < x` now and `col >= x` on the asset's previous bar.
    CrossBelow(String, f64),
    /// `col_a op col_b`, e.g. `close > sma_50`.
    Compare(String, Cmp, String),
    InPosition,
    NotInPosition,
    /// Unrealised return (close / average entry - 1) below `-pct`.
    StopLoss(f64),
    /// Unrealised return above `pct`.
    TakeProfit(f64),
    /// Close below the highest close since entry times `1 - pct`.
    TrailingStop(f64),
    /// The position has been held for at least `n` of the asset's bars (the entry bar counts as 1).
    MaxHoldingBars(u32),
    /// Among the assets with a bar at this timestamp and a non-NaN value, one of the `n` highest
    /// (ties broken by asset name).
    TopN(String, usize),
    /// One of the `n` lowest.
    BottomN(String, usize),
    /// All must hold.
    All(Vec<Rule>),
    /// At least one must hold.
    Any(Vec<Rule>),
    Not(Box<Rule>),
    /// A rule switched off in the editor: kept in the preset, ignored by the engine (as if absent).
    Disabled(Box<Rule>),
}

impl Rule {
    pub fn signal_above(col: &str, x: f64) -> Rule {
        Rule::SignalAbove(col.into(), x)
    }
    pub fn signal_below(col: &str, x: f64) -> Rule {
        Rule::SignalBelow(col.into(), x)
    }
    pub fn signal_between(col: &str, lo: f64, hi: f64) -> Rule {
        Rule::SignalBetween(col.into(), lo, hi)
    }
    pub fn cross_above(col: &str, x: f64) -> Rule {
        Rule::CrossAbove(col.into(), x)
    }
    pub fn cross_below(col: &str, x: f64) -> Rule {
        Rule::CrossBelow(col.into(), x)
    }
    pub fn compare(a: &str, op: Cmp, b: &str) -> Rule {
        Rule::Compare(a.into(), op, b.into())
    }
    pub fn stop_loss(pct: f64) -> Rule {
        Rule::StopLoss(pct)
    }
    pub fn take_profit(pct: f64) -> Rule {
        Rule::TakeProfit(pct)
    }
    pub fn trailing_stop(pct: f64) -> Rule {
        Rule::TrailingStop(pct)
    }
    pub fn max_holding_bars(n: u32) -> Rule {
        Rule::MaxHoldingBars(n)
    }
    pub fn top_n(col: &str, n: usize) -> Rule {
        Rule::TopN(col.into(), n)
    }
    pub fn bottom_n(col: &str, n: usize) -> Rule {
        Rule::BottomN(col.into(), n)
    }
    pub fn any(rules: impl IntoIterator<Item = Rule>) -> Rule {
        Rule::Any(rules.into_iter().collect())
    }
    pub fn all(rules: impl IntoIterator<Item = Rule>) -> Rule {
        Rule::All(rules.into_iter().collect())
    }
    #[allow(clippy::should_implement_trait)]
    pub fn not(rule: Rule) -> Rule {
        Rule::Not(Box::new(rule))
    }

    /// A short human-readable form, used in error messages and the GUI.
    pub fn describe(&self) -> String {
        match self {
            Rule::SignalAbove(c, x) => format!("{c} > {x}"),
            Rule::SignalBelow(c, x) => format!("{c} < {x}"),
            Rule::SignalBetween(c, lo, hi) => format!("{lo} <= {c} <= {hi}"),
            Rule::CrossAbove(c, x) => format!("{c} crosses above {x}"),
            Rule::CrossBelow(c, x) => format!("{c} crosses below {x}"),
            Rule::Compare(a, op, b) => format!("{a} {} {b}", op.symbol()),
            Rule::InPosition => "in position".into(),
            Rule::NotInPosition => "not in position".into(),
            Rule::StopLoss(p) => format!("stop loss {}%", p * 100.0),
            Rule::TakeProfit(p) => format!("take profit {}%", p * 100.0),
            Rule::TrailingStop(p) => format!("trailing stop {}%", p * 100.0),
            Rule::MaxHoldingBars(n) => format!("held {n} bars"),
            Rule::TopN(c, n) => format!("top {n} by {c}"),
            Rule::BottomN(c, n) => format!("bottom {n} by {c}"),
            Rule::All(v) => format!(
                "all of ({})",
                v.iter().map(Rule::describe).collect::<Vec<_>>().join(", ")
            ),
            Rule::Any(v) => format!(
                "any of ({})",
                v.iter().map(Rule::describe).collect::<Vec<_>>().join(", ")
            ),
            Rule::Not(r) => format!("not ({})", r.describe()),
            Rule::Disabled(r) => format!("[off] {}", r.describe()),
        }
    }

    /// Columns the rule reads.
    pub fn columns(&self, out: &mut Vec<String>) {
        match self {
            Rule::SignalAbove(c, _)
            | Rule::SignalBelow(c, _)
            | Rule::SignalBetween(c, _, _)
            | Rule::CrossAbove(c, _)
            | Rule::CrossBelow(c, _)
            | Rule::TopN(c, _)
            | Rule::BottomN(c, _) => out.push(c.clone()),
            Rule::Compare(a, _, b) => {
                out.push(a.clone());
                out.push(b.clone());
            }
            Rule::All(v) | Rule::Any(v) => v.iter().for_each(|r| r.columns(out)),
            Rule::Not(r) => r.columns(out),
            _ => {}
        }
    }

    pub fn is_enabled(&self) -> bool {
        !matches!(self, Rule::Disabled(_))
    }

    /// The rule without its `Disabled` wrapper.
    pub fn inner(&self) -> &Rule {
        match self {
            Rule::Disabled(r) => r.inner(),
            r => r,
        }
    }
}

/// The rules that take part in evaluation (disabled ones are skipped).
pub fn active(rules: &[Rule]) -> impl Iterator<Item = &Rule> {
    rules.iter().filter(|r| r.is_enabled())
}

/// How many units an entry buys. Quantities are whole units, rounded down; zero places nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Sizer {
    /// `floor(cash * pct / close)`: the seed's PercentSizer.
    PercentOfCash(f64),
    /// `floor(equity * pct / close)`.
    PercentOfEquity(f64),
    FixedQuantity(f64),
    /// `floor(notional / close)`.
    FixedNotional(f64),
    /// `floor(equity * min(1, target / col) / close)`: a volatility target, with `col` the asset's
    /// volatility in the same units as `target`. NaN or non-positive volatility places nothing.
    VolatilityTarget(String, f64),
    /// `floor(cash * clamp(col * scale, 0, max) / close)`: the seed's `_dynamic_size`, sizing by the
    /// model's confidence.
    ConfidenceScaled(String, f64, f64),
}

impl Sizer {
    pub fn percent_of_cash(pct: f64) -> Sizer {
        Sizer::PercentOfCash(pct)
    }
    pub fn percent_of_equity(pct: f64) -> Sizer {
        Sizer::PercentOfEquity(pct)
    }
    pub fn fixed_quantity(q: f64) -> Sizer {
        Sizer::FixedQuantity(q)
    }
    pub fn fixed_notional(n: f64) -> Sizer {
        Sizer::FixedNotional(n)
    }
    pub fn volatility_target(col: &str, target: f64) -> Sizer {
        Sizer::VolatilityTarget(col.into(), target)
    }
    pub fn confidence_scaled(col: &str, scale: f64, max: f64) -> Sizer {
        Sizer::ConfidenceScaled(col.into(), scale, max)
    }
}

/// Which side entries take. Only long entries exist today; the field keeps presets stable when
/// short entries arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Direction {
    #[default]
    Long,
}

/// A declarative strategy: entry rules, exit rules and a sizer. Missing fields read as the
/// defaults (no rules, 95 % of cash), so hand-written presets can stay short.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SignalStrategy {
    /// Checked for each flat asset; all must hold to enter.
    pub entry: Vec<Rule>,
    /// Checked for each asset in position; all must hold to exit (use `Rule::Any` for OR).
    pub exit: Vec<Rule>,
    pub sizer: Sizer,
    #[serde(default)]
    pub direction: Direction,
}

impl Default for SignalStrategy {
    fn default() -> Self {
        SignalStrategy {
            entry: Vec::new(),
            exit: Vec::new(),
            sizer: Sizer::PercentOfCash(0.95),
            direction: Direction::Long,
        }
    }
}

/// A rule set that cannot run on the given data; the message names the rule.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuleError {
    #[error("{list} rule '{rule}': unknown column '{column}'; the data has: {available}")]
    UnknownColumn {
        list: &'static str,
        rule: String,
        column: String,
        available: String,
    },
    #[error("{list} rule '{rule}': {problem}")]
    InvalidValue {
        list: &'static str,
        rule: String,
        problem: String,
    },
    #[error("the strategy has no (enabled) entry rule: add or enable at least one (for example ml_pred > 0.8)")]
    NoEntry,
    #[error("{list} rule '{rule}': top/bottom-N ranks assets, but the data has a single asset")]
    RankingSingleAsset { list: &'static str, rule: String },
    #[error("sizer: {0}")]
    Sizer(String),
}

impl SignalStrategy {
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds an entry rule (all entry rules must hold).
    pub fn entry(mut self, rule: Rule) -> Self {
        self.entry.push(rule);
        self
    }
    /// Adds an exit rule (all exit rules must hold; group alternatives in `Rule::any`).
    pub fn exit(mut self, rule: Rule) -> Self {
        self.exit.push(rule);
        self
    }
    /// Adds alternatives to the exit: the position is closed when any of them holds.
    pub fn exit_any(self, rules: impl IntoIterator<Item = Rule>) -> Self {
        self.exit(Rule::any(rules))
    }
    pub fn sizer(mut self, sizer: Sizer) -> Self {
        self.sizer = sizer;
        self
    }

    /// Checks the rules against the data's column names and asset count.
    pub fn validate(&self, signal_names: &[String], n_assets: usize) -> Result<(), RuleError> {
        if active(&self.entry).next().is_none() {
            return Err(RuleError::NoEntry);
        }
        for (list, rules) in [("entry", &self.entry), ("exit", &self.exit)] {
            for rule in active(rules) {
                validate_rule(list, rule, rule, signal_names, n_assets)?;
            }
        }
        sizer::validate(&self.sizer, signal_names)
    }

    /// Compiles for `bars` (masks over its columns). Validates first.
    pub fn compile(&self, bars: &crate::market::Bars) -> Result<CompiledRules, RuleError> {
        self.validate(bars.signal_names(), bars.assets().len())?;
        CompiledRules::new(self, bars)
    }

    /// As [`SignalStrategy::compile`], sharing threshold masks with every other compilation
    /// through `cache` (same trades: a mask is a function of column, comparison and value).
    pub fn compile_cached(&self, bars: &crate::market::Bars, cache: &MaskCache) -> Result<CompiledRules, RuleError> {
        self.validate(bars.signal_names(), bars.assets().len())?;
        CompiledRules::cached(self, bars, Some(cache))
    }

    /// The bar-by-bar reference interpreter (any feed, including live). Validates first.
    pub fn interpret(&self, signal_names: &[String], n_assets: usize) -> Result<InterpretedRules, RuleError> {
        self.validate(signal_names, n_assets)?;
        InterpretedRules::new(self, signal_names)
    }
}

fn validate_rule(
    list: &'static str,
    top: &Rule,
    rule: &Rule,
    signal_names: &[String],
    n_assets: usize,
) -> Result<(), RuleError> {
    let bad = |problem: &str| RuleError::InvalidValue {
        list,
        rule: top.describe(),
        problem: problem.into(),
    };
    if !rule.is_enabled() {
        return Ok(());
    }
    let mut cols = Vec::new();
    rule.columns(&mut cols);
    for c in cols {
        if Column::resolve(&c, signal_names).is_none() {
            return Err(RuleError::UnknownColumn {
                list,
                rule: top.describe(),
                column: c,
                available: column::available(signal_names),
            });
        }
    }
    match rule {
        Rule::SignalAbove(_, x) | Rule::SignalBelow(_, x) | Rule::CrossAbove(_, x) | Rule::CrossBelow(_, x)
            if !x.is_finite() =>
        {
            Err(bad("the threshold must be a finite number (not NaN or infinite)"))
        }
        Rule::SignalBetween(_, lo, hi) if !(lo.is_finite() && hi.is_finite()) => {
            Err(bad("both bounds must be finite numbers"))
        }
        Rule::SignalBetween(_, lo, hi) if lo > hi => Err(bad("the lower bound is above the upper bound")),
        Rule::StopLoss(p) | Rule::TrailingStop(p) if !(p.is_finite() && *p > 0.0 && *p < 1.0) => {
            Err(bad("the percentage must be a fraction in (0, 1), e.g. 0.05 for 5 %"))
        }
        Rule::TakeProfit(p) if !(p.is_finite() && *p > 0.0) => {
            Err(bad("the percentage must be a positive fraction, e.g. 0.15 for 15 %"))
        }
        Rule::MaxHoldingBars(0) => Err(bad("the holding period must be at least 1 bar")),
        Rule::TopN(..) | Rule::BottomN(..) if n_assets < 2 => Err(RuleError::RankingSingleAsset {
            list,
            rule: top.describe(),
        }),
        Rule::TopN(_, 0) | Rule::BottomN(_, 0) => Err(bad("N must be at least 1")),
        Rule::All(v) | Rule::Any(v) if active(v).next().is_none() => Err(bad(
            "an empty group (or all its rules are off); add or enable a rule, or remove the group",
        )),
        Rule::All(v) | Rule::Any(v) => v
            .iter()
            .try_for_each(|r| validate_rule(list, top, r, signal_names, n_assets)),
        Rule::Not(r) if !r.is_enabled() => Err(bad("'not' of a switched-off rule; switch off the whole 'not' instead")),
        Rule::Not(r) => validate_rule(list, top, r, signal_names, n_assets),
        _ => Ok(()),
    }
}
