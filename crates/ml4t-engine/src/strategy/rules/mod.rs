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
mod orders;
mod sizer;

pub use column::Column;
pub(crate) use compile::{AssetState, PlainRules, scan_quiet};
pub use compile::{CompiledCondition, CompiledRules};
pub use interpret::InterpretedRules;
pub use mask_cache::MaskCache;

use serde::{Deserialize, Serialize};

use super::rebalance::Rebalance;

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

/// Which sides entries take (SEMANTICS.md, "Short selling"). Shorts are opt-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// `entry` / `exit` only (the default).
    #[default]
    #[serde(alias = "Long")]
    Long,
    /// `short_entry` / `short_exit` only.
    #[serde(alias = "ShortOnly")]
    ShortOnly,
    /// Both lists; when flat, the long entry rules are checked first.
    #[serde(alias = "LongShort")]
    LongShort,
}

impl Direction {
    pub fn trades_long(self) -> bool {
        matches!(self, Direction::Long | Direction::LongShort)
    }
    pub fn trades_short(self) -> bool {
        matches!(self, Direction::ShortOnly | Direction::LongShort)
    }
}

/// How stop-loss, take-profit and trailing-stop rules exit (SEMANTICS.md, "Intrabar exits").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitFills {
    /// Evaluated at the close like every other rule; a market exit at the next open.
    #[default]
    NextOpen,
    /// Resting stop / limit orders placed when the entry fills, active from the next bar: a gap
    /// fills at the open; a bar that touches both the stop and the take-profit (no gap deciding)
    /// fills the stop and counts as ambiguous. The orders are placed at the close of the bar
    /// whose open filled the entry (with same-close fills: at the close after the entry's).
    Intrabar,
}

/// The order an entry places (SEMANTICS.md, "Entry orders"). Offsets are fractions of the
/// decision bar's close; the order can fill on the `valid_bars` timestamps after the decision
/// and is cancelled after them.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryOrder {
    /// At the next open.
    #[default]
    Market,
    /// A buy limit at `close * (1 - offset)` (a short sale: `close * (1 + offset)`), filled at
    /// the limit or a better open.
    Limit {
        offset: f64,
        #[serde(default = "one_bar")]
        valid_bars: u32,
    },
    /// A buy stop at `close * (1 + offset)` (a short sale: `close * (1 - offset)`), a breakout
    /// entry filled at the stop or a worse open.
    Stop {
        offset: f64,
        #[serde(default = "one_bar")]
        valid_bars: u32,
    },
}

fn one_bar() -> u32 {
    1
}

impl EntryOrder {
    /// Timestamps an unfilled entry order stays valid (market orders: 1).
    pub fn valid_bars(self) -> u32 {
        match self {
            EntryOrder::Market => 1,
            EntryOrder::Limit { valid_bars, .. } | EntryOrder::Stop { valid_bars, .. } => valid_bars,
        }
    }
}

/// A declarative strategy: entry rules, exit rules and a sizer. Missing fields read as the
/// defaults (no rules, 95 % of cash, long only, next-open exits, market entries), so
/// hand-written presets can stay short and older presets read unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SignalStrategy {
    /// Checked for each flat asset; all must hold to enter (long).
    pub entry: Vec<Rule>,
    /// Checked for each asset in a long position; all must hold to exit (use `Rule::Any` for OR).
    pub exit: Vec<Rule>,
    pub sizer: Sizer,
    #[serde(default)]
    pub direction: Direction,
    /// Short entry rules (with `direction: short_only` or `long_short`), checked for a flat asset
    /// when the long entry rules do not hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub short_entry: Vec<Rule>,
    /// Checked for each asset in a short position. Position rules mean the mirrored thing: a
    /// stop loss when the close rose `pct` above the entry, a trailing stop above the lowest
    /// close since entry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub short_exit: Vec<Rule>,
    #[serde(default)]
    pub exit_fills: ExitFills,
    #[serde(default)]
    pub entry_order: EntryOrder,
    /// Initial margin as a fraction of notional: an entry is refused when equity is below this
    /// fraction of the gross exposure after it. `None`: no check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_margin: Option<f64>,
    /// A rebalancing portfolio instead of entry/exit rules (SEMANTICS.md, "Rebalancing
    /// portfolios"): when set, the rule lists, sizer, direction and order settings are not used
    /// and the strategy runs as [`Rebalance::strategy`]; [`SignalStrategy::compile`] and
    /// [`SignalStrategy::interpret`] refuse it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portfolio: Option<Box<Rebalance>>,
}

impl Default for SignalStrategy {
    fn default() -> Self {
        SignalStrategy {
            entry: Vec::new(),
            exit: Vec::new(),
            sizer: Sizer::PercentOfCash(0.95),
            direction: Direction::Long,
            short_entry: Vec::new(),
            short_exit: Vec::new(),
            exit_fills: ExitFills::NextOpen,
            entry_order: EntryOrder::Market,
            initial_margin: None,
            portfolio: None,
        }
    }
}

/// The resting exit orders of one side under [`ExitFills::Intrabar`], as fractions of the
/// entry fill (the tightest of each kind when a list names several).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RestingExits {
    pub stop_loss: Option<f64>,
    pub take_profit: Option<f64>,
    pub trailing_stop: Option<f64>,
}

impl RestingExits {
    pub fn is_empty(&self) -> bool {
        self.stop_loss.is_none() && self.take_profit.is_none() && self.trailing_stop.is_none()
    }
}

/// One side's exit split for execution: resting orders, and the rules still evaluated at the close.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct ExitPlan {
    pub(crate) resting: RestingExits,
    pub(crate) at_close: Vec<Rule>,
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
        if let Some(p) = &self.portfolio {
            return p.validate(signal_names).map_err(|problem| RuleError::InvalidValue {
                list: "portfolio",
                rule: format!("top {} / bottom {} by {}", p.n_long, p.n_short, p.signal),
                problem,
            });
        }
        let d = self.direction;
        if d.trades_long() && active(&self.entry).next().is_none() {
            return Err(RuleError::NoEntry);
        }
        if d.trades_short() && active(&self.short_entry).next().is_none() {
            let direction = if d == Direction::LongShort {
                "long_short"
            } else {
                "short_only"
            };
            return Err(RuleError::InvalidValue {
                list: "short_entry",
                rule: format!("direction {direction}"),
                problem: "the strategy goes short but has no (enabled) short entry rule: add one (for \
                          example ml_pred < 0.2) or set direction: long"
                    .into(),
            });
        }
        for (list, rules) in self.lists() {
            for rule in active(rules) {
                validate_rule(list, rule, rule, signal_names, n_assets)?;
            }
        }
        self.exit_plans()?;
        let bad_entry = |problem: &str| RuleError::InvalidValue {
            list: "entry_order",
            rule: format!("{:?}", self.entry_order),
            problem: problem.into(),
        };
        match self.entry_order {
            EntryOrder::Market => {}
            EntryOrder::Limit { offset, valid_bars } | EntryOrder::Stop { offset, valid_bars } => {
                if !(offset.is_finite() && (0.0..1.0).contains(&offset)) {
                    return Err(bad_entry(
                        "the offset must be a fraction in [0, 1), e.g. 0.005 for 0.5 %",
                    ));
                }
                if valid_bars == 0 {
                    return Err(bad_entry("valid_bars must be at least 1"));
                }
            }
        }
        if let Some(m) = self.initial_margin
            && !(m.is_finite() && m > 0.0)
        {
            return Err(RuleError::InvalidValue {
                list: "initial_margin",
                rule: m.to_string(),
                problem: "the margin is a positive fraction of notional, e.g. 0.5 for 50 %".into(),
            });
        }
        sizer::validate(&self.sizer, signal_names)
    }

    /// The rule lists that take part for this direction, with their names.
    pub(crate) fn lists(&self) -> Vec<(&'static str, &[Rule])> {
        let mut out = Vec::with_capacity(4);
        if self.direction.trades_long() {
            out.push(("entry", self.entry.as_slice()));
            out.push(("exit", self.exit.as_slice()));
        }
        if self.direction.trades_short() {
            out.push(("short_entry", self.short_entry.as_slice()));
            out.push(("short_exit", self.short_exit.as_slice()));
        }
        out
    }

    /// The long and the short exit as they execute. With [`ExitFills::Intrabar`], a stop-loss,
    /// take-profit or trailing-stop rule that alone suffices to exit (the only exit rule, or an
    /// alternative of such an `any` group) becomes a resting order; anywhere else (under `all`
    /// or `not`, or beside other exit rules) it could not rest as an order, and is an error.
    pub(crate) fn exit_plans(&self) -> Result<(ExitPlan, ExitPlan), RuleError> {
        let plan = |list: &'static str, rules: &[Rule]| -> Result<ExitPlan, RuleError> {
            let active: Vec<Rule> = active(rules).cloned().collect();
            if self.exit_fills == ExitFills::NextOpen {
                return Ok(ExitPlan {
                    resting: RestingExits::default(),
                    at_close: active,
                });
            }
            let mut resting = RestingExits::default();
            let at_close = match active.as_slice() {
                [only] => match split_resting(only, &mut resting) {
                    Some(rest) => vec![rest],
                    None => Vec::new(),
                },
                _ => active,
            };
            if let Some(r) = at_close.iter().find_map(|r| find_resting(r)) {
                return Err(RuleError::InvalidValue {
                    list,
                    rule: r.describe(),
                    problem: "with intrabar exits this rule becomes a resting order, so it must be \
                              enough on its own to exit: make it the only exit rule or an alternative \
                              of a top-level 'any' group, or use exit_fills: next_open"
                        .into(),
                });
            }
            Ok(ExitPlan { resting, at_close })
        };
        Ok((plan("exit", &self.exit)?, plan("short_exit", &self.short_exit)?))
    }

    /// Compiles for `bars` (masks over its columns). Validates first.
    pub fn compile(&self, bars: &crate::market::Bars) -> Result<CompiledRules, RuleError> {
        self.validate(bars.signal_names(), bars.assets().len())?;
        self.no_portfolio()?;
        CompiledRules::new(self, bars)
    }

    /// Whether the strategy sells short (its account must allow short sales).
    pub fn goes_short(&self) -> bool {
        match &self.portfolio {
            Some(p) => p.shorts(),
            None => self.direction.trades_short(),
        }
    }

    fn no_portfolio(&self) -> Result<(), RuleError> {
        match &self.portfolio {
            Some(p) => Err(RuleError::InvalidValue {
                list: "portfolio",
                rule: format!("top {} / bottom {} by {}", p.n_long, p.n_short, p.signal),
                problem: "a rebalancing portfolio does not run as entry/exit rules; run it with \
                          Rebalance::strategy (presets do)"
                    .into(),
            }),
            None => Ok(()),
        }
    }

    /// As [`SignalStrategy::compile`], sharing threshold masks with every other compilation
    /// through `cache` (same trades: a mask is a function of column, comparison and value).
    pub fn compile_cached(&self, bars: &crate::market::Bars, cache: &MaskCache) -> Result<CompiledRules, RuleError> {
        self.validate(bars.signal_names(), bars.assets().len())?;
        self.no_portfolio()?;
        CompiledRules::cached(self, bars, Some(cache))
    }

    /// The bar-by-bar reference interpreter (any feed, including live). Validates first.
    pub fn interpret(&self, signal_names: &[String], n_assets: usize) -> Result<InterpretedRules, RuleError> {
        self.validate(signal_names, n_assets)?;
        self.no_portfolio()?;
        InterpretedRules::new(self, signal_names)
    }
}

/// Takes the resting-order rules out of a rule that alone suffices to exit; returns what is
/// left to evaluate at the close (None: nothing).
fn split_resting(rule: &Rule, out: &mut RestingExits) -> Option<Rule> {
    let tightest = |slot: &mut Option<f64>, p: f64| *slot = Some(slot.map_or(p, |q| q.min(p)));
    match rule {
        Rule::StopLoss(p) => tightest(&mut out.stop_loss, *p),
        Rule::TakeProfit(p) => tightest(&mut out.take_profit, *p),
        Rule::TrailingStop(p) => tightest(&mut out.trailing_stop, *p),
        Rule::Any(v) => {
            let rest: Vec<Rule> = active(v).filter_map(|r| split_resting(r, out)).collect();
            return (!rest.is_empty()).then_some(Rule::Any(rest));
        }
        other => return Some(other.clone()),
    }
    None
}

/// The first stop-loss, take-profit or trailing-stop rule anywhere in `rule`.
fn find_resting(rule: &Rule) -> Option<&Rule> {
    match rule {
        Rule::StopLoss(_) | Rule::TakeProfit(_) | Rule::TrailingStop(_) => Some(rule),
        Rule::All(v) | Rule::Any(v) => active(v).find_map(find_resting),
        Rule::Not(r) => find_resting(r),
        _ => None,
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
