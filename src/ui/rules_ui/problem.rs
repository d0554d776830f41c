//! Where in the editor a validation error is shown: under the row it names, at the top of a
//! list, or under the sizer.

use super::edit::ListKind;
use ml4t_engine::strategy::rules::{Rule, RuleError, SignalStrategy};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    ListTop(ListKind),
    /// Under the top-level row with this index.
    Row(ListKind, usize),
    Sizer,
    /// Under the direction, exit-fill and entry-order settings (entry order, margin).
    Settings,
    /// Under the portfolio settings.
    Portfolio,
}

/// The first thing that keeps the strategy from running, and where to show it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Problem {
    pub place: Place,
    pub message: String,
}

impl Problem {
    /// The problem at `place`, if that is where it is.
    pub(super) fn at(problem: Option<&Problem>, place: Place) -> Option<&str> {
        problem.filter(|p| p.place == place).map(|p| p.message.as_str())
    }
}

pub(super) fn find_problem(strategy: &SignalStrategy, signal_names: &[String], n_assets: usize) -> Option<Problem> {
    let err = strategy.validate(signal_names, n_assets).err()?;
    Some(Problem {
        place: place_of(&err, strategy),
        message: err.to_string(),
    })
}

pub(super) fn place_of(err: &RuleError, strategy: &SignalStrategy) -> Place {
    let (list, rule) = match err {
        RuleError::UnknownColumn { list, rule, .. }
        | RuleError::InvalidValue { list, rule, .. }
        | RuleError::RankingSingleAsset { list, rule } => (*list, rule),
        RuleError::NoEntry => return Place::ListTop(ListKind::Entry),
        RuleError::Sizer(_) => return Place::Sizer,
    };
    match list {
        "entry_order" | "initial_margin" => return Place::Settings,
        "portfolio" => return Place::Portfolio,
        _ => {}
    }
    let list = ListKind::from_error_name(list);
    let rules = match list {
        ListKind::Exit => &strategy.exit,
        ListKind::ShortEntry => &strategy.short_entry,
        ListKind::ShortExit => &strategy.short_exit,
        _ => &strategy.entry,
    };
    // The error names the rule by its description; validation skips switched-off rows.
    match rows_described(rules, rule) {
        Some(i) => Place::Row(list, i),
        None => Place::ListTop(list),
    }
}

fn rows_described(rules: &[Rule], description: &str) -> Option<usize> {
    rules.iter().position(|r| r.is_enabled() && r.describe() == description)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ml4t_engine::strategy::rules::Sizer;

    fn names() -> Vec<String> {
        vec!["ml_pred".to_owned()]
    }

    fn place(strategy: &SignalStrategy, n_assets: usize) -> Option<Place> {
        find_problem(strategy, &names(), n_assets).map(|p| p.place)
    }

    #[test]
    fn place_of_valid_strategy_is_none() {
        let s = SignalStrategy::new().entry(Rule::signal_above("ml_pred", 0.5));
        assert_eq!(place(&s, 1), None);
    }

    #[test]
    fn place_of_no_entry_is_entry_list_top() {
        let off = Rule::Disabled(Box::new(Rule::signal_above("ml_pred", 0.5)));
        let s = SignalStrategy::new().entry(off);
        assert_eq!(place(&s, 1), Some(Place::ListTop(ListKind::Entry)));
    }

    #[test]
    fn place_of_rule_error_is_its_row() {
        let s = SignalStrategy::new()
            .entry(Rule::signal_above("ml_pred", 0.5))
            .exit(Rule::stop_loss(0.05))
            .exit(Rule::any([Rule::signal_below("nope", 0.2)]));
        assert_eq!(place(&s, 1), Some(Place::Row(ListKind::Exit, 1)));
        let s = SignalStrategy::new().entry(Rule::top_n("ml_pred", 2));
        assert_eq!(place(&s, 1), Some(Place::Row(ListKind::Entry, 0)));
        assert_eq!(place(&s, 3), None);
    }

    #[test]
    fn place_of_rule_error_skips_switched_off_twins() {
        let bad = Rule::signal_above("ml_pred", f64::NAN);
        let s = SignalStrategy::new()
            .entry(Rule::Disabled(Box::new(bad.clone())))
            .entry(bad);
        assert_eq!(place(&s, 1), Some(Place::Row(ListKind::Entry, 1)));
    }

    #[test]
    fn place_of_short_lists_settings_and_portfolio() {
        use ml4t_engine::strategy::rebalance::Rebalance;
        use ml4t_engine::strategy::rules::{Direction, EntryOrder};
        let mut s = SignalStrategy::new().entry(Rule::signal_above("ml_pred", 0.5));
        s.direction = Direction::LongShort;
        assert_eq!(place(&s, 1), Some(Place::ListTop(ListKind::ShortEntry)));
        s.short_entry.push(Rule::signal_below("nope", 0.2));
        assert_eq!(place(&s, 1), Some(Place::Row(ListKind::ShortEntry, 0)));
        s.short_entry[0] = Rule::signal_below("ml_pred", 0.2);
        s.short_exit.push(Rule::signal_above("nope", 0.5));
        assert_eq!(place(&s, 1), Some(Place::Row(ListKind::ShortExit, 0)));
        s.short_exit.clear();
        s.entry_order = EntryOrder::Limit {
            offset: 2.0,
            valid_bars: 1,
        };
        assert_eq!(place(&s, 1), Some(Place::Settings));
        s.portfolio = Some(Box::new(Rebalance {
            signal: "nope".into(),
            ..Rebalance::default()
        }));
        assert_eq!(place(&s, 1), Some(Place::Portfolio));
    }

    #[test]
    fn place_of_sizer_error_is_sizer() {
        let s = SignalStrategy::new()
            .entry(Rule::signal_above("ml_pred", 0.5))
            .sizer(Sizer::volatility_target("nope", 0.02));
        assert_eq!(place(&s, 1), Some(Place::Sizer));
    }

    #[test]
    fn problem_at_filters_by_place() {
        let p = Problem {
            place: Place::Sizer,
            message: "m".into(),
        };
        assert_eq!(Problem::at(Some(&p), Place::Sizer), Some("m"));
        assert_eq!(Problem::at(Some(&p), Place::ListTop(ListKind::Exit)), None);
        assert_eq!(Problem::at(None, Place::Sizer), None);
    }
}
