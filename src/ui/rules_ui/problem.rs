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
    let (list, rules) = match list {
        "exit" => (ListKind::Exit, &strategy.exit),
        _ => (ListKind::Entry, &strategy.entry),
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
