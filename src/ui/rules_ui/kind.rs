//! Rule kinds as the editor's combo box lists them, and the switch from one kind to another that
//! keeps what the user already set (column, threshold, percentage, sub-rules); column helpers.

use ml4t_data::SignalInfo;
use ml4t_engine::strategy::rules::{Cmp, Rule};

/// The price columns every rule on columns can read besides the signals.
pub(super) const PRICE_COLUMNS: [&str; 5] = ["open", "high", "low", "close", "volume"];

/// What a row of the rule editor is, without its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RuleKind {
    SignalAbove,
    SignalBelow,
    SignalBetween,
    CrossAbove,
    CrossBelow,
    Compare,
    StopLoss,
    TakeProfit,
    TrailingStop,
    MaxHoldingBars,
    TopN,
    BottomN,
    InPosition,
    NotInPosition,
    All,
    Any,
    Not,
}

impl RuleKind {
    /// In the order of the kind combo box.
    pub(super) const ALL: [RuleKind; 17] = [
        RuleKind::SignalAbove,
        RuleKind::SignalBelow,
        RuleKind::SignalBetween,
        RuleKind::CrossAbove,
        RuleKind::CrossBelow,
        RuleKind::Compare,
        RuleKind::StopLoss,
        RuleKind::TakeProfit,
        RuleKind::TrailingStop,
        RuleKind::MaxHoldingBars,
        RuleKind::TopN,
        RuleKind::BottomN,
        RuleKind::InPosition,
        RuleKind::NotInPosition,
        RuleKind::All,
        RuleKind::Any,
        RuleKind::Not,
    ];

    pub(super) fn label(self) -> &'static str {
        match self {
            RuleKind::SignalAbove => "signal above",
            RuleKind::SignalBelow => "signal below",
            RuleKind::SignalBetween => "signal between",
            RuleKind::CrossAbove => "crosses above",
            RuleKind::CrossBelow => "crosses below",
            RuleKind::Compare => "compare columns",
            RuleKind::StopLoss => "stop loss",
            RuleKind::TakeProfit => "take profit",
            RuleKind::TrailingStop => "trailing stop",
            RuleKind::MaxHoldingBars => "max holding bars",
            RuleKind::TopN => "top N",
            RuleKind::BottomN => "bottom N",
            RuleKind::InPosition => "in position",
            RuleKind::NotInPosition => "not in position",
            RuleKind::All => "AND group",
            RuleKind::Any => "ANY group",
            RuleKind::Not => "NOT",
        }
    }

    /// What the rule means, for the hover text.
    pub(super) fn explanation(self) -> &'static str {
        match self {
            RuleKind::SignalAbove => "Holds while the column is above the threshold.",
            RuleKind::SignalBelow => "Holds while the column is below the threshold.",
            RuleKind::SignalBetween => "Holds while the column is within [lower, upper].",
            RuleKind::CrossAbove => "Holds on the bar where the column rises above the threshold.",
            RuleKind::CrossBelow => "Holds on the bar where the column falls below the threshold.",
            RuleKind::Compare => "Compares two columns on the same bar, e.g. close > sma_50.",
            RuleKind::StopLoss => "Holds when the open position has lost at least this percentage.",
            RuleKind::TakeProfit => "Holds when the open position has gained at least this percentage.",
            RuleKind::TrailingStop => "Holds when the close falls this percentage below its high since entry.",
            RuleKind::MaxHoldingBars => "Holds once the position has been held this many bars (entry bar = 1).",
            RuleKind::TopN => "Holds for the N assets with the highest value of the column at this time.",
            RuleKind::BottomN => "Holds for the N assets with the lowest value of the column at this time.",
            RuleKind::InPosition => "Holds while the asset has an open position.",
            RuleKind::NotInPosition => "Holds while the asset is flat.",
            RuleKind::All => "Holds when all of its rules hold.",
            RuleKind::Any => "Holds when at least one of its rules holds (OR).",
            RuleKind::Not => "Holds when its rule does not.",
        }
    }

    /// The kind of `rule`; a switched-off rule has the kind of the rule inside.
    pub(super) fn from_rule(rule: &Rule) -> RuleKind {
        match rule.inner() {
            Rule::SignalAbove(..) => RuleKind::SignalAbove,
            Rule::SignalBelow(..) => RuleKind::SignalBelow,
            Rule::SignalBetween(..) => RuleKind::SignalBetween,
            Rule::CrossAbove(..) => RuleKind::CrossAbove,
            Rule::CrossBelow(..) => RuleKind::CrossBelow,
            Rule::Compare(..) => RuleKind::Compare,
            Rule::InPosition => RuleKind::InPosition,
            Rule::NotInPosition => RuleKind::NotInPosition,
            Rule::StopLoss(_) => RuleKind::StopLoss,
            Rule::TakeProfit(_) => RuleKind::TakeProfit,
            Rule::TrailingStop(_) => RuleKind::TrailingStop,
            Rule::MaxHoldingBars(_) => RuleKind::MaxHoldingBars,
            Rule::TopN(..) => RuleKind::TopN,
            Rule::BottomN(..) => RuleKind::BottomN,
            Rule::All(_) => RuleKind::All,
            Rule::Any(_) => RuleKind::Any,
            // `inner` strips every `Disabled` layer.
            Rule::Not(_) | Rule::Disabled(_) => RuleKind::Not,
        }
    }

    /// Groups nest rows; the others carry parameters.
    pub(super) fn is_group(self) -> bool {
        matches!(self, RuleKind::All | RuleKind::Any | RuleKind::Not)
    }

    /// A fresh rule of this kind (a new row): the first signal, thresholds at its mean (to two
    /// significant digits: 0.5, not 0.49998).
    pub(super) fn new_rule(self, signals: &[SignalInfo]) -> Rule {
        self.build(Parts::default(), None, signals)
    }

    /// `old` (without its `Disabled` wrapper) switched to this kind, keeping its column, threshold,
    /// percentage or sub-rules where the new kind has a place for them.
    pub(super) fn to_rule(self, old: &Rule, signals: &[SignalInfo]) -> Rule {
        let old = old.inner();
        if RuleKind::from_rule(old) == self {
            return old.clone();
        }
        self.build(Parts::of(old), Some(old), signals)
    }

    fn build(self, parts: Parts, old: Option<&Rule>, signals: &[SignalInfo]) -> Rule {
        let Parts {
            column,
            other_column,
            cmp,
            lo,
            hi,
            pct,
            n,
            bars,
            children,
        } = parts;
        let column = column.unwrap_or_else(|| default_column(signals));
        let stats = stats_for(&column, signals);
        let mid = stats
            .map(|s| round_to_two_digits(s.mean))
            .filter(|m| m.is_finite())
            .unwrap_or(0.0);
        let above = lo.or(hi).unwrap_or(mid);
        let below = hi.or(lo).unwrap_or(mid);
        match self {
            RuleKind::SignalAbove => Rule::SignalAbove(column, above),
            RuleKind::SignalBelow => Rule::SignalBelow(column, below),
            RuleKind::CrossAbove => Rule::CrossAbove(column, above),
            RuleKind::CrossBelow => Rule::CrossBelow(column, below),
            RuleKind::SignalBetween => {
                let (lo, hi) = between_bounds(lo, hi, stats, mid);
                Rule::SignalBetween(column, lo, hi)
            }
            RuleKind::Compare => {
                let other = other_column.unwrap_or_else(|| other_column_than(&column, signals));
                Rule::Compare(column, cmp.unwrap_or(Cmp::Gt), other)
            }
            RuleKind::StopLoss => Rule::StopLoss(pct.unwrap_or(0.05)),
            RuleKind::TakeProfit => Rule::TakeProfit(pct.unwrap_or(0.10)),
            RuleKind::TrailingStop => Rule::TrailingStop(pct.unwrap_or(0.05)),
            RuleKind::MaxHoldingBars => Rule::MaxHoldingBars(bars.unwrap_or(10)),
            RuleKind::TopN => Rule::TopN(column, n.unwrap_or(1)),
            RuleKind::BottomN => Rule::BottomN(column, n.unwrap_or(1)),
            RuleKind::InPosition => Rule::InPosition,
            RuleKind::NotInPosition => Rule::NotInPosition,
            RuleKind::All => Rule::All(group_rules(children, old, signals)),
            RuleKind::Any => Rule::Any(group_rules(children, old, signals)),
            RuleKind::Not => Rule::Not(Box::new(negated_rule(children, old, signals))),
        }
    }
}

/// The parameters of a rule, each where a kind switch can pick it up.
#[derive(Debug, Default)]
struct Parts {
    column: Option<String>,
    other_column: Option<String>,
    cmp: Option<Cmp>,
    /// The threshold of "above" rules, the lower bound of "between".
    lo: Option<f64>,
    /// The threshold of "below" rules, the upper bound of "between".
    hi: Option<f64>,
    pct: Option<f64>,
    n: Option<usize>,
    bars: Option<u32>,
    /// `Some` (possibly empty) when the rule is a group.
    children: Option<Vec<Rule>>,
}

impl Parts {
    fn of(rule: &Rule) -> Parts {
        let col = |c: &String| Some(c.clone());
        match rule {
            Rule::SignalAbove(c, x) | Rule::CrossAbove(c, x) => Parts {
                column: col(c),
                lo: Some(*x),
                cmp: Some(Cmp::Gt),
                ..Parts::default()
            },
            Rule::SignalBelow(c, x) | Rule::CrossBelow(c, x) => Parts {
                column: col(c),
                hi: Some(*x),
                cmp: Some(Cmp::Lt),
                ..Parts::default()
            },
            Rule::SignalBetween(c, lo, hi) => Parts {
                column: col(c),
                lo: Some(*lo),
                hi: Some(*hi),
                ..Parts::default()
            },
            Rule::Compare(a, op, b) => Parts {
                column: col(a),
                other_column: col(b),
                cmp: Some(*op),
                ..Parts::default()
            },
            Rule::StopLoss(p) | Rule::TakeProfit(p) | Rule::TrailingStop(p) => Parts {
                pct: Some(*p),
                ..Parts::default()
            },
            Rule::MaxHoldingBars(b) => Parts {
                bars: Some(*b),
                ..Parts::default()
            },
            Rule::TopN(c, n) | Rule::BottomN(c, n) => Parts {
                column: col(c),
                n: Some(*n),
                ..Parts::default()
            },
            // A group switched to a single rule takes its first rule's parameters.
            Rule::All(v) | Rule::Any(v) => Parts {
                children: Some(v.clone()),
                ..v.first().map(Parts::of).unwrap_or_default()
            },
            Rule::Not(r) => Parts {
                children: Some(vec![(**r).clone()]),
                ..Parts::of(r)
            },
            Rule::Disabled(r) => Parts::of(r),
            Rule::InPosition | Rule::NotInPosition => Parts::default(),
        }
    }
}

/// The rows of a new AND/ANY group: the old group's rows, or the old single rule as its first row.
fn group_rules(children: Option<Vec<Rule>>, old: Option<&Rule>, signals: &[SignalInfo]) -> Vec<Rule> {
    match (children, old) {
        (Some(rows), _) if !rows.is_empty() => rows,
        (None, Some(leaf)) => vec![leaf.clone()],
        _ => vec![default_rule(signals)],
    }
}

/// The rule a new NOT negates: the old single rule, the only row of the old group, or the whole
/// old group when it has several rows.
fn negated_rule(children: Option<Vec<Rule>>, old: Option<&Rule>, signals: &[SignalInfo]) -> Rule {
    match (children, old) {
        (None, Some(leaf)) => leaf.clone(),
        (Some(mut rows), _) if rows.len() == 1 => rows.remove(0),
        (Some(rows), Some(group)) if rows.len() > 1 => group.clone(),
        _ => default_rule(signals),
    }
}

/// The rule a new row starts with: the first signal above its mean.
pub(super) fn default_rule(signals: &[SignalInfo]) -> Rule {
    RuleKind::SignalAbove.new_rule(signals)
}

fn between_bounds(lo: Option<f64>, hi: Option<f64>, stats: Option<&SignalInfo>, mid: f64) -> (f64, f64) {
    let range = stats.and_then(finite_range);
    match (lo, hi) {
        (Some(lo), Some(hi)) => (lo, hi),
        (Some(lo), None) => (lo, range.map(|(_, max)| max).filter(|max| *max >= lo).unwrap_or(lo)),
        (None, Some(hi)) => (range.map(|(min, _)| min).filter(|min| *min <= hi).unwrap_or(hi), hi),
        (None, None) => range.unwrap_or((mid, mid)),
    }
}

/// The column a new row reads: the first signal, or the close when there is none.
pub(super) fn default_column(signals: &[SignalInfo]) -> String {
    signals.first().map_or_else(|| "close".to_owned(), |s| s.name.clone())
}

/// A second column for a comparison, different from `column`.
fn other_column_than(column: &str, signals: &[SignalInfo]) -> String {
    column_options(signals)
        .into_iter()
        .find(|c| !c.eq_ignore_ascii_case(column))
        .unwrap_or_else(|| "close".to_owned())
}

/// The columns a rule may read, as the column pickers offer them: the signals, then the prices.
pub(super) fn column_options(signals: &[SignalInfo]) -> Vec<String> {
    signals
        .iter()
        .map(|s| s.name.clone())
        .chain(PRICE_COLUMNS.iter().map(|c| (*c).to_owned()))
        .collect()
}

pub(super) fn stats_for<'a>(column: &str, signals: &'a [SignalInfo]) -> Option<&'a SignalInfo> {
    signals.iter().find(|s| s.name == column)
}

/// `(min, max)` when both are finite and span a non-empty range.
fn finite_range(stats: &SignalInfo) -> Option<(f64, f64)> {
    (stats.min.is_finite() && stats.max.is_finite() && stats.max > stats.min).then_some((stats.min, stats.max))
}

/// Drag speed of a threshold: 1/200 of the column's range, else 1 % of the value's size.
pub(super) fn threshold_speed(stats: Option<&SignalInfo>, value: f64) -> f64 {
    match stats.and_then(finite_range) {
        Some((min, max)) => (max - min) / 200.0,
        // `f64::max` ignores a NaN value.
        None => value.abs().max(1.0) / 100.0,
    }
}

/// Range of a threshold: the column's observed range (values outside it never or always hold).
pub(super) fn threshold_range(stats: Option<&SignalInfo>) -> Option<std::ops::RangeInclusive<f64>> {
    stats.and_then(finite_range).map(|(min, max)| min..=max)
}

/// A fraction (0.05) as the editor shows it (5 %).
pub(super) fn percent_of(fraction: f64) -> f64 {
    fraction * 100.0
}

/// A percentage typed in the editor (5 %) as the model stores it (0.05). Dividing keeps round
/// numbers exact: `5.0 / 100.0 == 0.05`, whereas `5.0 * 0.01 != 0.05`.
pub(super) fn fraction_of(percent: f64) -> f64 {
    percent / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signals() -> Vec<SignalInfo> {
        vec![
            SignalInfo {
                name: "ml_pred".into(),
                min: 0.0,
                mean: 0.5,
                max: 1.0,
                nan_count: 0,
            },
            SignalInfo {
                name: "vol_20".into(),
                min: 0.01,
                mean: 0.02,
                max: 0.05,
                nan_count: 3,
            },
        ]
    }

    fn every_kind_example() -> Vec<Rule> {
        vec![
            Rule::signal_above("ml_pred", 0.8),
            Rule::signal_below("ml_pred", 0.2),
            Rule::signal_between("ml_pred", 0.2, 0.4),
            Rule::cross_above("ml_pred", 0.6),
            Rule::cross_below("ml_pred", 0.3),
            Rule::compare("close", Cmp::Le, "ml_pred"),
            Rule::stop_loss(0.03),
            Rule::take_profit(0.2),
            Rule::trailing_stop(0.04),
            Rule::max_holding_bars(7),
            Rule::top_n("ml_pred", 3),
            Rule::bottom_n("vol_20", 2),
            Rule::InPosition,
            Rule::NotInPosition,
            Rule::all([Rule::InPosition]),
            Rule::any([Rule::stop_loss(0.05), Rule::take_profit(0.1)]),
            Rule::not(Rule::signal_above("ml_pred", 0.9)),
        ]
    }

    #[test]
    fn rule_kind_from_rule_covers_every_kind_in_order() {
        let kinds: Vec<RuleKind> = every_kind_example().iter().map(RuleKind::from_rule).collect();
        assert_eq!(kinds, RuleKind::ALL);
    }

    #[test]
    fn rule_kind_from_disabled_rule_is_the_inner_kind() {
        let off = Rule::Disabled(Box::new(Rule::stop_loss(0.05)));
        assert_eq!(RuleKind::from_rule(&off), RuleKind::StopLoss);
    }

    #[test]
    fn rule_kind_to_same_kind_keeps_the_rule() {
        for rule in every_kind_example() {
            assert_eq!(RuleKind::from_rule(&rule).to_rule(&rule, &signals()), rule);
        }
    }

    #[test]
    fn rule_kind_new_rule_has_its_kind() {
        for kind in RuleKind::ALL {
            assert_eq!(RuleKind::from_rule(&kind.new_rule(&signals())), kind, "{kind:?}");
        }
    }

    #[test]
    fn rule_kind_switch_between_thresholds_keeps_column_and_value() {
        let s = signals();
        let above = Rule::signal_above("vol_20", 0.03);
        assert_eq!(
            RuleKind::SignalBelow.to_rule(&above, &s),
            Rule::signal_below("vol_20", 0.03)
        );
        assert_eq!(
            RuleKind::CrossAbove.to_rule(&above, &s),
            Rule::cross_above("vol_20", 0.03)
        );
        // Above x becomes [x, max]; below x becomes [min, x].
        assert_eq!(
            RuleKind::SignalBetween.to_rule(&above, &s),
            Rule::signal_between("vol_20", 0.03, 0.05)
        );
        let below = Rule::signal_below("vol_20", 0.03);
        assert_eq!(
            RuleKind::SignalBetween.to_rule(&below, &s),
            Rule::signal_between("vol_20", 0.01, 0.03)
        );
        let between = Rule::signal_between("ml_pred", 0.2, 0.7);
        assert_eq!(
            RuleKind::SignalAbove.to_rule(&between, &s),
            Rule::signal_above("ml_pred", 0.2)
        );
        assert_eq!(
            RuleKind::CrossBelow.to_rule(&between, &s),
            Rule::cross_below("ml_pred", 0.7)
        );
    }

    #[test]
    fn rule_kind_switch_to_compare_and_ranking_keeps_column() {
        let s = signals();
        let below = Rule::signal_below("vol_20", 0.03);
        assert_eq!(
            RuleKind::Compare.to_rule(&below, &s),
            Rule::compare("vol_20", Cmp::Lt, "ml_pred")
        );
        assert_eq!(RuleKind::TopN.to_rule(&below, &s), Rule::top_n("vol_20", 1));
        let top = Rule::top_n("vol_20", 4);
        assert_eq!(RuleKind::BottomN.to_rule(&top, &s), Rule::bottom_n("vol_20", 4));
        // Mean of the column as the threshold when there was none.
        assert_eq!(
            RuleKind::SignalAbove.to_rule(&top, &s),
            Rule::signal_above("vol_20", 0.02)
        );
    }

    #[test]
    fn rule_kind_switch_between_percentages_keeps_the_percentage() {
        let s = signals();
        let stop = Rule::stop_loss(0.07);
        assert_eq!(RuleKind::TakeProfit.to_rule(&stop, &s), Rule::take_profit(0.07));
        assert_eq!(RuleKind::TrailingStop.to_rule(&stop, &s), Rule::trailing_stop(0.07));
        assert_eq!(RuleKind::MaxHoldingBars.to_rule(&stop, &s), Rule::max_holding_bars(10));
        assert_eq!(RuleKind::StopLoss.to_rule(&Rule::InPosition, &s), Rule::stop_loss(0.05));
    }

    #[test]
    fn rule_kind_switch_to_group_wraps_the_rule() {
        let s = signals();
        let leaf = Rule::signal_above("ml_pred", 0.8);
        assert_eq!(RuleKind::Any.to_rule(&leaf, &s), Rule::any([leaf.clone()]));
        assert_eq!(RuleKind::Not.to_rule(&leaf, &s), Rule::not(leaf.clone()));
        let any = Rule::any([leaf.clone(), Rule::stop_loss(0.05)]);
        assert_eq!(
            RuleKind::All.to_rule(&any, &s),
            Rule::all([leaf.clone(), Rule::stop_loss(0.05)])
        );
        // NOT of a two-row group negates the whole group; of a one-row group, that row.
        assert_eq!(RuleKind::Not.to_rule(&any, &s), Rule::not(any.clone()));
        assert_eq!(
            RuleKind::Not.to_rule(&Rule::all([leaf.clone()]), &s),
            Rule::not(leaf.clone())
        );
        assert_eq!(RuleKind::Any.to_rule(&Rule::not(leaf.clone()), &s), Rule::any([leaf]));
    }

    #[test]
    fn rule_kind_switch_from_group_takes_first_row_parameters() {
        let s = signals();
        let any = Rule::any([Rule::signal_above("vol_20", 0.04), Rule::stop_loss(0.05)]);
        assert_eq!(
            RuleKind::SignalBelow.to_rule(&any, &s),
            Rule::signal_below("vol_20", 0.04)
        );
        let empty = Rule::All(vec![]);
        assert_eq!(
            RuleKind::Any.to_rule(&empty, &s),
            Rule::any([Rule::signal_above("ml_pred", 0.5)])
        );
        assert_eq!(RuleKind::InPosition.to_rule(&empty, &s), Rule::InPosition);
    }

    #[test]
    fn rule_kind_without_signals_uses_close() {
        assert_eq!(RuleKind::SignalAbove.new_rule(&[]), Rule::signal_above("close", 0.0));
        assert_eq!(RuleKind::Compare.new_rule(&[]), Rule::compare("close", Cmp::Gt, "open"));
        assert_eq!(
            RuleKind::SignalBetween.new_rule(&[]),
            Rule::signal_between("close", 0.0, 0.0)
        );
    }

    #[test]
    fn percent_mapping_round_numbers_are_exact() {
        assert_eq!(fraction_of(5.0), 0.05);
        assert_eq!(fraction_of(0.1), 0.001);
        assert_eq!(percent_of(0.5), 50.0);
        assert!((percent_of(0.05) - 5.0).abs() < 1e-12);
    }

    #[test]
    fn threshold_speed_and_range_follow_the_column_stats() {
        let s = signals();
        assert!((threshold_speed(stats_for("ml_pred", &s), 0.5) - 0.005).abs() < 1e-15);
        assert_eq!(threshold_range(stats_for("ml_pred", &s)), Some(0.0..=1.0));
        // Price columns have no stats: speed from the value, no range.
        assert_eq!(threshold_speed(None, 250.0), 2.5);
        assert_eq!(threshold_speed(None, f64::NAN), 0.01);
        assert_eq!(threshold_range(None), None);
        let constant = SignalInfo {
            name: "c".into(),
            min: 1.0,
            mean: 1.0,
            max: 1.0,
            nan_count: 0,
        };
        assert_eq!(threshold_range(Some(&constant)), None);
    }

    #[test]
    fn column_options_list_signals_then_prices() {
        assert_eq!(
            column_options(&signals()),
            ["ml_pred", "vol_20", "open", "high", "low", "close", "volume"]
        );
    }
}

/// `x` to two significant digits (0.49998 -> 0.5, -0.00913 -> -0.0091): a default a user reads
/// at a glance and that keeps a rule row narrow.
fn round_to_two_digits(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(x.abs().log10().floor() as i32 - 1);
    let r = (x / scale).round() * scale;
    // Through text, so the stored number is the shortest one that prints as the rounded value.
    format!("{r:.12}").parse().unwrap_or(r)
}

#[cfg(test)]
mod rounding_tests {
    use super::round_to_two_digits;

    #[test]
    fn defaults_round_to_two_significant_digits() {
        assert_eq!(round_to_two_digits(0.49998), 0.5);
        assert_eq!(round_to_two_digits(-0.00913), -0.0091);
        assert_eq!(round_to_two_digits(1234.5), 1200.0);
        assert_eq!(round_to_two_digits(0.0), 0.0);
        assert!(round_to_two_digits(f64::NAN).is_nan());
    }
}
