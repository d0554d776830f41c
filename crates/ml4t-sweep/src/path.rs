//! A parameter path names one number of a preset:
//!
//! - `entry[i]` / `exit[i]`: the number of the i-th rule of that list (0-based); `exit[0][2]` is
//!   the third rule inside the first exit group (`Any`/`All`); `Not` and switched-off rules are
//!   looked through. A rule with two numbers names them: `entry[1].lo`, `entry[1].hi`.
//!   `short_entry[i]` / `short_exit[i]` likewise for the short lists, and `filter[i]` for a
//!   hybrid's compiled filter.
//! - `sizer` (`sizer.scale` and `sizer.max` for the confidence-scaled sizer).
//! - `entry_order.offset`, `entry_order.valid_bars` (limit and stop entries), `initial_margin`
//!   (when the margin check is on).
//! - A rebalancing portfolio's `portfolio.every` (every k bars), `portfolio.n_long`,
//!   `portfolio.n_short`, `portfolio.w_long`, `portfolio.w_short`, `portfolio.long_fraction`,
//!   `portfolio.short_fraction` (when set), `portfolio.min_trade`, `portfolio.min_notional`.
//! - `broker.slippage_bps`, `broker.initial_cash`, `broker.commission.percent`,
//!   `broker.commission.per_share`, `broker.commission.per_order`, `broker.commission.minimum`,
//!   `broker.borrow_rate`, `broker.max_volume_fraction` (when the volume cap is on).
//!
//! Paths are resolved against the preset once; a wrong path, or one that points at a rule
//! without a number (`in position`, `close > sma`), is refused with the list of valid paths.

use ml4t_engine::strategy::rebalance::RebalanceEvery;
use ml4t_engine::strategy::rules::{EntryOrder, Rule, Sizer};
use ml4t_preset::{Preset, StrategySpec};

use crate::SweepError;

/// Entry or exit list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum List {
    Entry,
    Exit,
    ShortEntry,
    ShortExit,
    /// A hybrid's filter rules.
    Filter,
}

/// The rule lists by name, in the order `valid_paths` lists them (a rule strategy's four, then a
/// hybrid's filter).
const LISTS: [(&str, List); 5] = [
    ("entry", List::Entry),
    ("exit", List::Exit),
    ("short_entry", List::ShortEntry),
    ("short_exit", List::ShortExit),
    ("filter", List::Filter),
];

/// Which of a rule's or sizer's numbers: the only one, or the first/second of two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    One,
    First,
    Second,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BrokerField {
    SlippageBps,
    InitialCash,
    CommissionPercent,
    CommissionPerShare,
    CommissionPerOrder,
    CommissionMinimum,
    BorrowRate,
    MaxVolumeFraction,
}

/// Numbers of the rule strategy outside its lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SettingField {
    EntryOffset,
    EntryValidBars,
    InitialMargin,
}

/// Numbers of a rebalancing portfolio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PortfolioField {
    Every,
    NLong,
    NShort,
    WLong,
    WShort,
    LongFraction,
    ShortFraction,
    MinTrade,
    MinNotional,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Rule { list: List, index: Vec<usize>, slot: Slot },
    Sizer(Slot),
    Setting(SettingField),
    Portfolio(PortfolioField),
    Broker(BrokerField),
}

/// A resolved path: the text as the user gave it and where it points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamPath {
    text: String,
    target: Target,
    integer: bool,
}

/// A number slot of the preset, borrowed for writing.
enum NumMut<'a> {
    Float(&'a mut f64),
    U32(&'a mut u32),
    Usize(&'a mut usize),
}

const SETTING_FIELDS: [(&str, SettingField); 3] = [
    ("entry_order.offset", SettingField::EntryOffset),
    ("entry_order.valid_bars", SettingField::EntryValidBars),
    ("initial_margin", SettingField::InitialMargin),
];

const PORTFOLIO_FIELDS: [(&str, PortfolioField); 9] = [
    ("portfolio.every", PortfolioField::Every),
    ("portfolio.n_long", PortfolioField::NLong),
    ("portfolio.n_short", PortfolioField::NShort),
    ("portfolio.w_long", PortfolioField::WLong),
    ("portfolio.w_short", PortfolioField::WShort),
    ("portfolio.long_fraction", PortfolioField::LongFraction),
    ("portfolio.short_fraction", PortfolioField::ShortFraction),
    ("portfolio.min_trade", PortfolioField::MinTrade),
    ("portfolio.min_notional", PortfolioField::MinNotional),
];

const BROKER_FIELDS: [(&str, BrokerField); 8] = [
    ("broker.slippage_bps", BrokerField::SlippageBps),
    ("broker.initial_cash", BrokerField::InitialCash),
    ("broker.commission.percent", BrokerField::CommissionPercent),
    ("broker.commission.per_share", BrokerField::CommissionPerShare),
    ("broker.commission.per_order", BrokerField::CommissionPerOrder),
    ("broker.commission.minimum", BrokerField::CommissionMinimum),
    ("broker.borrow_rate", BrokerField::BorrowRate),
    ("broker.max_volume_fraction", BrokerField::MaxVolumeFraction),
];

impl ParamPath {
    /// Resolves `text` against `preset`. Spaces are ignored; the path keeps `text` as given.
    pub fn parse(text: &str, preset: &Preset) -> Result<ParamPath, SweepError> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let unknown = |problem: &str| SweepError::UnknownPath {
            path: text.to_string(),
            problem: problem.to_string(),
            valid: valid_paths(preset).join(", "),
        };
        let target = parse_target(&compact).ok_or_else(|| unknown("not a path"))?;
        let mut probe = preset.clone();
        let integer = match slot_mut(&mut probe, &target) {
            Ok(NumMut::Float(_)) => false,
            Ok(NumMut::U32(_) | NumMut::Usize(_)) => true,
            Err(problem) => return Err(unknown(&problem)),
        };
        Ok(ParamPath {
            text: text.to_string(),
            target,
            integer,
        })
    }

    /// The path as the user wrote it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the number is a count (holding bars, top-N): values must be whole.
    pub fn is_integer(&self) -> bool {
        self.integer
    }

    /// The number in `preset` (None if the preset no longer has it).
    pub fn get(&self, preset: &Preset) -> Option<f64> {
        let mut p = preset.clone();
        match slot_mut(&mut p, &self.target).ok()? {
            NumMut::Float(x) => Some(*x),
            NumMut::U32(n) => Some(f64::from(*n)),
            NumMut::Usize(n) => Some(*n as f64),
        }
    }

    /// Writes `value` into `preset`. Counts take whole non-negative values only.
    pub fn set(&self, preset: &mut Preset, value: f64) -> Result<(), SweepError> {
        let not_integer = || SweepError::NotInteger {
            path: self.text.clone(),
            value,
        };
        let whole = value.is_finite() && value >= 0.0 && value.fract() == 0.0;
        match slot_mut(preset, &self.target).map_err(|problem| SweepError::UnknownPath {
            path: self.text.clone(),
            problem,
            valid: String::new(),
        })? {
            NumMut::Float(x) => *x = value,
            NumMut::U32(n) if whole && value <= f64::from(u32::MAX) => *n = value as u32,
            NumMut::Usize(n) if whole && value <= u32::MAX as f64 => *n = value as usize,
            NumMut::U32(_) | NumMut::Usize(_) => return Err(not_integer()),
        }
        Ok(())
    }
}

/// `entry[0][2].lo` → Rule { Entry, [0, 2], First }; None when it is not path syntax.
fn parse_target(s: &str) -> Option<Target> {
    if let Some((_, f)) = BROKER_FIELDS.iter().find(|(name, _)| *name == s) {
        return Some(Target::Broker(*f));
    }
    if let Some((_, f)) = SETTING_FIELDS.iter().find(|(name, _)| *name == s) {
        return Some(Target::Setting(*f));
    }
    if let Some((_, f)) = PORTFOLIO_FIELDS.iter().find(|(name, _)| *name == s) {
        return Some(Target::Portfolio(*f));
    }
    let (head, slot) = match s.rsplit_once('.') {
        Some((h, "lo")) => (h, Slot::First),
        Some((h, "hi")) => (h, Slot::Second),
        Some(("sizer", "scale")) => ("sizer", Slot::First),
        Some(("sizer", "max")) => ("sizer", Slot::Second),
        Some(_) => return None,
        None => (s, Slot::One),
    };
    if head == "sizer" {
        return Some(Target::Sizer(slot));
    }
    let (list, mut rest) = LISTS.iter().find_map(|(name, list)| {
        head.strip_prefix(name)
            .filter(|r| r.starts_with('['))
            .map(|r| (*list, r))
    })?;
    let mut index = Vec::new();
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let (num, after) = inner.split_once(']')?;
        index.push(num.parse().ok()?);
        rest = after;
    }
    (!index.is_empty()).then_some(Target::Rule { list, index, slot })
}

/// The number slot `target` points at in `preset`, or why there is none.
fn slot_mut<'a>(preset: &'a mut Preset, target: &Target) -> Result<NumMut<'a>, String> {
    if let Target::Rule {
        list: List::Filter,
        index,
        slot,
    } = target
    {
        return match &mut preset.strategy {
            StrategySpec::Hybrid { filter, .. } => rule_in(filter, "filter", index, *slot),
            _ => Err("only a hybrid strategy has filter rules".into()),
        };
    }
    let b = &mut preset.broker;
    let rules = match &mut preset.strategy {
        StrategySpec::Rules(r) => Some(r),
        _ => None,
    };
    match target {
        Target::Broker(f) => Ok(NumMut::Float(match f {
            BrokerField::SlippageBps => &mut b.slippage_bps,
            BrokerField::InitialCash => &mut b.initial_cash,
            BrokerField::CommissionPercent => &mut b.commission.percent,
            BrokerField::CommissionPerShare => &mut b.commission.per_share,
            BrokerField::CommissionPerOrder => &mut b.commission.per_order,
            BrokerField::CommissionMinimum => &mut b.commission.minimum,
            BrokerField::BorrowRate => &mut b.borrow_rate,
            BrokerField::MaxVolumeFraction => b
                .max_volume_fraction
                .as_mut()
                .ok_or("the volume cap is off: turn it on to sweep it")?,
        })),
        Target::Setting(f) => {
            let rules = rules.ok_or("only rule strategies have entry orders and margin")?;
            match (f, &mut rules.entry_order) {
                (SettingField::EntryOffset, EntryOrder::Limit { offset, .. } | EntryOrder::Stop { offset, .. }) => {
                    Ok(NumMut::Float(offset))
                }
                (
                    SettingField::EntryValidBars,
                    EntryOrder::Limit { valid_bars, .. } | EntryOrder::Stop { valid_bars, .. },
                ) => Ok(NumMut::U32(valid_bars)),
                (SettingField::EntryOffset | SettingField::EntryValidBars, EntryOrder::Market) => {
                    Err("entries are market orders: pick a limit or stop entry to sweep its offset".into())
                }
                (SettingField::InitialMargin, _) => rules
                    .initial_margin
                    .as_mut()
                    .map(NumMut::Float)
                    .ok_or_else(|| "the margin check is off: turn it on to sweep it".into()),
            }
        }
        Target::Portfolio(f) => {
            let p = rules
                .and_then(|r| r.portfolio.as_deref_mut())
                .ok_or("only a portfolio strategy has portfolio numbers")?;
            match f {
                PortfolioField::Every => match &mut p.every {
                    RebalanceEvery::Bars(k) => Ok(NumMut::U32(k)),
                    _ => Err("the portfolio rebalances on the calendar: pick every k bars to sweep it".into()),
                },
                PortfolioField::NLong => Ok(NumMut::Usize(&mut p.n_long)),
                PortfolioField::NShort => Ok(NumMut::Usize(&mut p.n_short)),
                PortfolioField::WLong => Ok(NumMut::Float(&mut p.w_long)),
                PortfolioField::WShort => Ok(NumMut::Float(&mut p.w_short)),
                PortfolioField::LongFraction => p
                    .long_fraction
                    .as_mut()
                    .map(NumMut::Float)
                    .ok_or_else(|| "the long side takes a count, not a fraction: sweep portfolio.n_long".into()),
                PortfolioField::ShortFraction => p
                    .short_fraction
                    .as_mut()
                    .map(NumMut::Float)
                    .ok_or_else(|| "the short side takes a count, not a fraction: sweep portfolio.n_short".into()),
                PortfolioField::MinTrade => Ok(NumMut::Float(&mut p.min_trade)),
                PortfolioField::MinNotional => Ok(NumMut::Float(&mut p.min_notional)),
            }
        }
        Target::Sizer(slot) => {
            let rules = rules.ok_or("only rule strategies have a sizer")?;
            match (&mut rules.sizer, slot) {
                (
                    Sizer::PercentOfCash(x)
                    | Sizer::PercentOfEquity(x)
                    | Sizer::FixedQuantity(x)
                    | Sizer::FixedNotional(x)
                    | Sizer::VolatilityTarget(_, x),
                    Slot::One,
                ) => Ok(NumMut::Float(x)),
                (Sizer::ConfidenceScaled(_, x, _), Slot::First) | (Sizer::ConfidenceScaled(_, _, x), Slot::Second) => {
                    Ok(NumMut::Float(x))
                }
                (Sizer::ConfidenceScaled(..), Slot::One) => {
                    Err("the confidence sizer has two numbers: sizer.scale and sizer.max".into())
                }
                _ => Err("this sizer has one number: sizer".into()),
            }
        }
        Target::Rule { list, index, slot } => {
            let rules = rules.ok_or("only rule strategies have entry and exit rules")?;
            let (name, level) = match list {
                List::Entry => ("entry", &mut rules.entry),
                List::Exit => ("exit", &mut rules.exit),
                List::ShortEntry => ("short_entry", &mut rules.short_entry),
                List::ShortExit => ("short_exit", &mut rules.short_exit),
                List::Filter => return Err("only a hybrid strategy has filter rules".into()),
            };
            rule_in(level, name, index, *slot)
        }
    }
}

/// The number `slot` of the rule at `index` (a group's index, then the rule's inside it) of the
/// list `name`.
fn rule_in<'a>(mut level: &'a mut Vec<Rule>, name: &str, index: &[usize], slot: Slot) -> Result<NumMut<'a>, String> {
    let (last, groups) = index.split_last().ok_or("no rule index")?;
    for &i in groups {
        let len = level.len();
        let rule = level
            .get_mut(i)
            .ok_or_else(|| format!("{name} has no rule {i} here (it has {len})"))?;
        level = match unwrap_mut(rule) {
            Rule::All(v) | Rule::Any(v) => v,
            other => return Err(format!("'{}' is not a group", other.describe())),
        };
    }
    let len = level.len();
    let rule = level
        .get_mut(*last)
        .ok_or_else(|| format!("{name} has no rule {last} here (it has {len})"))?;
    rule_slot(unwrap_mut(rule), slot)
}

/// Looks through `Not` and `Disabled` to the rule with the numbers.
fn unwrap_mut(rule: &mut Rule) -> &mut Rule {
    match rule {
        Rule::Not(r) | Rule::Disabled(r) => unwrap_mut(r),
        r => r,
    }
}

fn rule_slot(rule: &mut Rule, slot: Slot) -> Result<NumMut<'_>, String> {
    let what = rule.describe();
    match (rule, slot) {
        (
            Rule::SignalAbove(_, x)
            | Rule::SignalBelow(_, x)
            | Rule::CrossAbove(_, x)
            | Rule::CrossBelow(_, x)
            | Rule::StopLoss(x)
            | Rule::TakeProfit(x)
            | Rule::TrailingStop(x),
            Slot::One,
        ) => Ok(NumMut::Float(x)),
        (Rule::MaxHoldingBars(n), Slot::One) => Ok(NumMut::U32(n)),
        (Rule::TopN(_, n) | Rule::BottomN(_, n), Slot::One) => Ok(NumMut::Usize(n)),
        (Rule::SignalBetween(_, lo, _), Slot::First) | (Rule::SignalBetween(_, _, lo), Slot::Second) => {
            Ok(NumMut::Float(lo))
        }
        (Rule::SignalBetween(..), Slot::One) => Err(format!("'{what}' has two numbers: add .lo or .hi")),
        (Rule::All(_) | Rule::Any(_), _) => Err(format!("'{what}' is a group: add the index of a rule inside it")),
        (_, Slot::One) => Err(format!("'{what}' has no number")),
        (_, _) => Err(format!("'{what}' has one number: leave out .lo/.hi")),
    }
}

/// Every valid path of `preset`, in preset order.
pub fn valid_paths(preset: &Preset) -> Vec<String> {
    let mut out = Vec::new();
    if let StrategySpec::Rules(r) = &preset.strategy
        && r.portfolio.is_none()
    {
        let lists = [&r.entry, &r.exit, &r.short_entry, &r.short_exit];
        for ((name, _), list) in LISTS.iter().zip(lists) {
            for (i, rule) in list.iter().enumerate() {
                rule_paths(&format!("{name}[{i}]"), rule, &mut out);
            }
        }
        match r.sizer {
            Sizer::ConfidenceScaled(..) => out.extend(["sizer.scale".to_string(), "sizer.max".to_string()]),
            _ => out.push("sizer".into()),
        }
    }
    if let StrategySpec::Hybrid { filter, .. } = &preset.strategy {
        for (i, rule) in filter.iter().enumerate() {
            rule_paths(&format!("filter[{i}]"), rule, &mut out);
        }
    }
    // Every other number: listed when it is there to sweep (resolving tells).
    let others = SETTING_FIELDS
        .iter()
        .map(|(n, f)| (*n, Target::Setting(*f)))
        .chain(PORTFOLIO_FIELDS.iter().map(|(n, f)| (*n, Target::Portfolio(*f))))
        .chain(BROKER_FIELDS.iter().map(|(n, f)| (*n, Target::Broker(*f))));
    let mut probe = preset.clone();
    for (name, target) in others {
        if slot_mut(&mut probe, &target).is_ok() {
            out.push(name.to_string());
        }
    }
    out
}

fn rule_paths(prefix: &str, rule: &Rule, out: &mut Vec<String>) {
    match rule {
        Rule::Not(r) | Rule::Disabled(r) => rule_paths(prefix, r, out),
        Rule::All(v) | Rule::Any(v) => {
            for (j, r) in v.iter().enumerate() {
                rule_paths(&format!("{prefix}[{j}]"), r, out);
            }
        }
        Rule::SignalBetween(..) => {
            out.push(format!("{prefix}.lo"));
            out.push(format!("{prefix}.hi"));
        }
        Rule::SignalAbove(..)
        | Rule::SignalBelow(..)
        | Rule::CrossAbove(..)
        | Rule::CrossBelow(..)
        | Rule::StopLoss(_)
        | Rule::TakeProfit(_)
        | Rule::TrailingStop(_)
        | Rule::MaxHoldingBars(_)
        | Rule::TopN(..)
        | Rule::BottomN(..) => out.push(prefix.to_string()),
        Rule::Compare(..) | Rule::InPosition | Rule::NotInPosition => {}
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ml4t_engine::strategy::rules::SignalStrategy;

    fn preset() -> Preset {
        let s = SignalStrategy::new()
            .entry(Rule::signal_above("ml_pred", 0.8))
            .entry(Rule::signal_between("confidence", 0.2, 0.9))
            .entry(Rule::InPosition)
            .exit_any([
                Rule::signal_below("ml_pred", 0.4),
                Rule::not(Rule::stop_loss(0.05)),
                Rule::max_holding_bars(10),
            ])
            .sizer(Sizer::fixed_quantity(100.0));
        Preset::new("t", "d.parquet", s)
    }

    #[test]
    fn path_reads_and_writes_each_kind_of_number() {
        let mut p = preset();
        let cases = [
            ("entry[0]", 0.8, 0.7),
            ("entry[1].lo", 0.2, 0.3),
            ("entry[1].hi", 0.9, 0.95),
            ("exit[0][0]", 0.4, 0.35),
            ("exit[0][1]", 0.05, 0.07),
            ("exit[0][2]", 10.0, 20.0),
            ("sizer", 100.0, 50.0),
            ("broker.slippage_bps", 0.0, 5.0),
            ("broker.commission.percent", 0.001, 0.002),
        ];
        for (text, before, after) in cases {
            let path = ParamPath::parse(text, &p).unwrap();
            assert_eq!(path.get(&p), Some(before), "{text}");
            path.set(&mut p, after).unwrap();
            assert_eq!(path.get(&p), Some(after), "{text}");
        }
        let rules = p.strategy.rules().unwrap();
        assert_eq!(rules.entry[1], Rule::signal_between("confidence", 0.3, 0.95));
        assert_eq!(
            rules.exit[0],
            Rule::any([
                Rule::signal_below("ml_pred", 0.35),
                Rule::not(Rule::stop_loss(0.07)),
                Rule::max_holding_bars(20)
            ])
        );
        assert_eq!(p.broker.commission.percent, 0.002);
    }

    #[test]
    fn path_counts_take_whole_values_only() {
        let mut p = preset();
        let path = ParamPath::parse("exit[0][2]", &p).unwrap();
        assert!(path.is_integer());
        assert!(matches!(path.set(&mut p, 2.5), Err(SweepError::NotInteger { .. })));
        assert!(matches!(path.set(&mut p, -1.0), Err(SweepError::NotInteger { .. })));
        assert!(!ParamPath::parse("entry[0]", &p).unwrap().is_integer());
    }

    #[test]
    fn path_errors_list_the_valid_paths() {
        let p = preset();
        for (bad, why) in [
            ("entry[2]", "has no number"),
            ("entry[1]", "add .lo or .hi"),
            ("entry[0].lo", "leave out .lo/.hi"),
            ("exit[0]", "is a group"),
            ("exit[3]", "has no rule 3"),
            ("entry[0][1]", "is not a group"),
            ("sizer.max", "one number"),
            ("broker.cash", "not a path"),
            ("entry", "not a path"),
        ] {
            let e = ParamPath::parse(bad, &p).unwrap_err().to_string();
            assert!(e.contains(bad) && e.contains(why), "{bad}: {e}");
            assert!(
                e.contains("valid paths: entry[0], entry[1].lo, entry[1].hi, exit[0][0], exit[0][1], exit[0][2], sizer, broker.slippage_bps"),
                "{e}"
            );
        }
    }

    #[test]
    fn path_reaches_short_lists_entry_orders_margin_and_borrow_fee() {
        use ml4t_engine::strategy::rules::Direction;
        let mut p = preset();
        if let StrategySpec::Rules(r) = &mut p.strategy {
            r.direction = Direction::LongShort;
            r.short_entry = vec![Rule::signal_below("ml_pred", 0.2)];
            r.short_exit = vec![Rule::any([Rule::signal_above("ml_pred", 0.6), Rule::stop_loss(0.05)])];
            r.entry_order = EntryOrder::Limit {
                offset: 0.01,
                valid_bars: 3,
            };
            r.initial_margin = Some(0.5);
        }
        p.broker.borrow_rate = 0.03;
        for (text, before, after) in [
            ("short_entry[0]", 0.2, 0.25),
            ("short_exit[0][0]", 0.6, 0.65),
            ("short_exit[0][1]", 0.05, 0.04),
            ("entry_order.offset", 0.01, 0.02),
            ("entry_order.valid_bars", 3.0, 5.0),
            ("initial_margin", 0.5, 0.25),
            ("broker.borrow_rate", 0.03, 0.05),
        ] {
            let path = ParamPath::parse(text, &p).unwrap();
            assert_eq!(path.get(&p), Some(before), "{text}");
            path.set(&mut p, after).unwrap();
            assert_eq!(path.get(&p), Some(after), "{text}");
        }
        assert!(ParamPath::parse("entry_order.valid_bars", &p).unwrap().is_integer());
        let valid = valid_paths(&p);
        for want in [
            "short_entry[0]",
            "short_exit[0][1]",
            "entry_order.offset",
            "initial_margin",
            "broker.borrow_rate",
        ] {
            assert!(valid.iter().any(|v| v == want), "{want} in {valid:?}");
        }
        assert!(
            !valid
                .iter()
                .any(|v| v.starts_with("portfolio.") || v == "broker.max_volume_fraction")
        );
        // Off switches say how to turn them on.
        let plain = preset();
        for (text, why) in [
            ("entry_order.offset", "market orders"),
            ("initial_margin", "margin check is off"),
            ("broker.max_volume_fraction", "volume cap is off"),
            ("portfolio.n_long", "only a portfolio strategy"),
            ("short_entry[0]", "has no rule 0"),
        ] {
            let e = ParamPath::parse(text, &plain).unwrap_err().to_string();
            assert!(e.contains(why), "{text}: {e}");
        }
    }

    #[test]
    fn path_reaches_the_portfolio_numbers() {
        use ml4t_engine::strategy::rebalance::Rebalance;
        let mut p = preset();
        let rb = Rebalance {
            n_long: 10,
            n_short: 5,
            w_short: 0.5,
            min_trade: 0.0,
            ..Rebalance::default()
        };
        if let StrategySpec::Rules(r) = &mut p.strategy {
            r.portfolio = Some(Box::new(rb));
        }
        let valid = valid_paths(&p);
        assert!(
            !valid.iter().any(|v| v.starts_with("entry") || v == "sizer"),
            "{valid:?}"
        );
        for (text, before, after) in [
            ("portfolio.every", 5.0, 20.0),
            ("portfolio.n_long", 10.0, 20.0),
            ("portfolio.n_short", 5.0, 10.0),
            ("portfolio.w_long", 1.0, 0.8),
            ("portfolio.w_short", 0.5, 0.3),
            ("portfolio.min_trade", 0.0, 1.0),
        ] {
            assert!(valid.iter().any(|v| v == text), "{text} in {valid:?}");
            let path = ParamPath::parse(text, &p).unwrap();
            assert_eq!(path.get(&p), Some(before), "{text}");
            path.set(&mut p, after).unwrap();
            assert_eq!(path.get(&p), Some(after), "{text}");
        }
        let e = ParamPath::parse("portfolio.long_fraction", &p).unwrap_err().to_string();
        assert!(e.contains("sweep portfolio.n_long"), "{e}");
    }

    #[test]
    fn path_keeps_the_text_as_given() {
        let p = preset();
        let path = ParamPath::parse(" entry [0] ", &p).unwrap();
        assert_eq!(path.as_str(), " entry [0] ");
        assert_eq!(path.get(&p), Some(0.8));
    }
}
