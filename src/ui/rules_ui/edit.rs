//! Structural edits of a rule list, addressed by row paths. The drawing code records them as
//! [`Command`]s and they are applied once the list is drawn.

use super::kind::RuleKind;
use ml4t_data::SignalInfo;
use ml4t_engine::strategy::rules::Rule;

/// The entry or the exit list of a strategy (long or short side), or a hybrid's filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum ListKind {
    Entry,
    Exit,
    ShortEntry,
    ShortExit,
    Filter,
}

impl ListKind {
    /// The list in labels and messages ("short entry rule 2").
    pub(super) fn name(self) -> &'static str {
        match self {
            ListKind::Entry => "entry",
            ListKind::Exit => "exit",
            ListKind::ShortEntry => "short entry",
            ListKind::ShortExit => "short exit",
            ListKind::Filter => "filter",
        }
    }

    /// As [`ml4t_engine::strategy::rules::RuleError`] names the list.
    pub(super) fn from_error_name(name: &str) -> ListKind {
        match name {
            "exit" => ListKind::Exit,
            "short_entry" => ListKind::ShortEntry,
            "short_exit" => ListKind::ShortExit,
            _ => ListKind::Entry,
        }
    }
}

/// A row's index in its list, then in each enclosing group (a NOT has its rule at index 0).
pub(super) type RowPath = Vec<usize>;

/// "entry rule 2.1": the row's name in labels and messages, numbered from 1.
pub(super) fn row_name(list: ListKind, path: &[usize]) -> String {
    let numbers: Vec<String> = path.iter().map(|i| (i + 1).to_string()).collect();
    format!("{} rule {}", list.name(), numbers.join("."))
}

/// A change to the shape of a list, recorded while drawing.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Command {
    /// Appends a new row of `kind`: to the list when `parent` is empty, else to that group.
    Add {
        parent: RowPath,
        kind: RuleKind,
    },
    Remove(RowPath),
    /// Inserts a copy right below the row.
    Duplicate(RowPath),
    MoveUp(RowPath),
    MoveDown(RowPath),
    /// Unwraps (`true`) or wraps (`false`) the row in [`Rule::Disabled`].
    SetEnabled(RowPath, bool),
    SetKind(RowPath, RuleKind),
}

/// Applies `cmd`; false when it changed nothing (e.g. a path that no longer exists).
pub(super) fn apply(rules: &mut Vec<Rule>, cmd: &Command, signals: &[SignalInfo]) -> bool {
    match cmd {
        Command::Add { parent, kind } => match rows_at(rules, parent) {
            Some(rows) => {
                rows.push(kind.new_rule(signals));
                true
            }
            None => false,
        },
        Command::Remove(path) => with_siblings(rules, path, |rows, i| {
            rows.remove(i);
            true
        }),
        Command::Duplicate(path) => with_siblings(rules, path, |rows, i| {
            let copy = rows[i].clone();
            rows.insert(i + 1, copy);
            true
        }),
        Command::MoveUp(path) => with_siblings(rules, path, |rows, i| {
            let fits = i > 0;
            if fits {
                rows.swap(i - 1, i);
            }
            fits
        }),
        Command::MoveDown(path) => with_siblings(rules, path, |rows, i| {
            let fits = i + 1 < rows.len();
            if fits {
                rows.swap(i, i + 1);
            }
            fits
        }),
        Command::SetEnabled(path, on) => rule_at(rules, path).is_some_and(|rule| set_enabled(rule, *on)),
        Command::SetKind(path, kind) => match rule_at(rules, path) {
            Some(rule) => {
                let inner = inner_mut(rule);
                let new = kind.to_rule(inner, signals);
                let changed = *inner != new;
                *inner = new;
                changed
            }
            None => false,
        },
    }
}

/// Switches a row on (removes every `Disabled` layer) or off (wraps it once).
pub(super) fn set_enabled(rule: &mut Rule, on: bool) -> bool {
    if rule.is_enabled() == on {
        return false;
    }
    *rule = if on {
        rule.inner().clone()
    } else {
        Rule::Disabled(Box::new(std::mem::replace(rule, Rule::InPosition)))
    };
    true
}

/// The rule behind its `Disabled` wrappers, for editing.
pub(super) fn inner_mut(rule: &mut Rule) -> &mut Rule {
    match rule {
        Rule::Disabled(inner) => inner_mut(inner),
        other => other,
    }
}

/// The row at `path`, with its `Disabled` wrapper if it has one.
pub(super) fn rule_at<'a>(rules: &'a mut [Rule], path: &[usize]) -> Option<&'a mut Rule> {
    let (&first, rest) = path.split_first()?;
    let mut rule = rules.get_mut(first)?;
    for &i in rest {
        rule = match inner_mut(rule) {
            Rule::All(rows) | Rule::Any(rows) => rows.get_mut(i)?,
            Rule::Not(negated) if i == 0 => negated,
            _ => return None,
        };
    }
    Some(rule)
}

/// The rows of the list (empty path) or of the AND/ANY group at `path`.
fn rows_at<'a>(rules: &'a mut Vec<Rule>, path: &[usize]) -> Option<&'a mut Vec<Rule>> {
    if path.is_empty() {
        return Some(rules);
    }
    match inner_mut(rule_at(rules, path)?) {
        Rule::All(rows) | Rule::Any(rows) => Some(rows),
        _ => None,
    }
}

/// The rows around the row at `path` and its index among them. The rule of a NOT has none: it
/// cannot be removed or moved on its own.
fn siblings<'a>(rules: &'a mut Vec<Rule>, path: &[usize]) -> Option<(&'a mut Vec<Rule>, usize)> {
    let (&i, parent) = path.split_last()?;
    let rows = rows_at(rules, parent)?;
    (i < rows.len()).then_some((rows, i))
}

/// Runs `edit` on the rows around `path` (false when there are none); `edit` says whether it
/// changed anything.
fn with_siblings(rules: &mut Vec<Rule>, path: &[usize], edit: impl FnOnce(&mut Vec<Rule>, usize) -> bool) -> bool {
    siblings(rules, path).is_some_and(|(rows, i)| edit(rows, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn above(x: f64) -> Rule {
        Rule::signal_above("ml_pred", x)
    }

    fn off(rule: Rule) -> Rule {
        Rule::Disabled(Box::new(rule))
    }

    #[test]
    fn row_name_numbers_from_one() {
        assert_eq!(row_name(ListKind::Entry, &[0]), "entry rule 1");
        assert_eq!(row_name(ListKind::Exit, &[1, 0]), "exit rule 2.1");
    }

    #[test]
    fn apply_add_appends_to_list_and_group() {
        let mut rules = vec![];
        let add = |parent: RowPath, kind| Command::Add { parent, kind };
        assert!(apply(&mut rules, &add(vec![], RuleKind::StopLoss), &[]));
        assert!(apply(&mut rules, &add(vec![], RuleKind::Any), &[]));
        assert!(apply(&mut rules, &add(vec![1], RuleKind::TakeProfit), &[]));
        assert_eq!(
            rules,
            [
                Rule::stop_loss(0.05),
                Rule::any([Rule::signal_above("close", 0.0), Rule::take_profit(0.1)])
            ]
        );
        // A leaf has no rows to add to.
        assert!(!apply(&mut rules, &add(vec![0], RuleKind::StopLoss), &[]));
    }

    #[test]
    fn apply_remove_duplicate_and_move_nested_rows() {
        let mut rules = vec![above(0.1), off(Rule::any([above(0.2), above(0.3), above(0.4)]))];
        assert!(apply(&mut rules, &Command::Remove(vec![1, 0]), &[]));
        assert!(apply(&mut rules, &Command::Duplicate(vec![1, 1]), &[]));
        assert_eq!(rules[1], off(Rule::any([above(0.3), above(0.4), above(0.4)])));
        assert!(apply(&mut rules, &Command::MoveUp(vec![1, 1]), &[]));
        assert_eq!(rules[1], off(Rule::any([above(0.4), above(0.3), above(0.4)])));
        assert!(apply(&mut rules, &Command::MoveDown(vec![0]), &[]));
        assert_eq!(rules[1], above(0.1));
    }

    #[test]
    fn apply_moves_past_the_ends_change_nothing() {
        let mut rules = vec![above(0.1), above(0.2)];
        assert!(!apply(&mut rules, &Command::MoveUp(vec![0]), &[]));
        assert!(!apply(&mut rules, &Command::MoveDown(vec![1]), &[]));
        assert!(!apply(&mut rules, &Command::Remove(vec![5]), &[]));
        assert!(!apply(&mut rules, &Command::Duplicate(vec![0, 0]), &[]));
        assert!(!apply(&mut rules, &Command::SetKind(vec![], RuleKind::Any), &[]));
        assert_eq!(rules, [above(0.1), above(0.2)]);
    }

    #[test]
    fn apply_keeps_the_rule_of_a_not_in_place() {
        let mut rules = vec![Rule::not(above(0.5))];
        assert!(!apply(&mut rules, &Command::Remove(vec![0, 0]), &[]));
        assert!(!apply(&mut rules, &Command::Duplicate(vec![0, 0]), &[]));
        assert!(apply(
            &mut rules,
            &Command::SetKind(vec![0, 0], RuleKind::StopLoss),
            &[]
        ));
        assert_eq!(rules, [Rule::not(Rule::stop_loss(0.05))]);
    }

    #[test]
    fn apply_set_enabled_wraps_and_unwraps() {
        let mut rules = vec![above(0.5), Rule::any([above(0.1)])];
        assert!(apply(&mut rules, &Command::SetEnabled(vec![0], false), &[]));
        assert_eq!(rules[0], off(above(0.5)));
        assert!(!apply(&mut rules, &Command::SetEnabled(vec![0], false), &[]));
        assert!(apply(&mut rules, &Command::SetEnabled(vec![1, 0], false), &[]));
        assert_eq!(rules[1], Rule::any([off(above(0.1))]));
        assert!(apply(&mut rules, &Command::SetEnabled(vec![0], true), &[]));
        assert_eq!(rules[0], above(0.5));
        // Presets may hold doubly wrapped rows; switching on removes every layer.
        let mut nested = off(off(above(0.5)));
        assert!(set_enabled(&mut nested, true));
        assert_eq!(nested, above(0.5));
    }

    #[test]
    fn apply_set_kind_keeps_the_row_switched_off() {
        let mut rules = vec![off(above(0.5))];
        assert!(apply(
            &mut rules,
            &Command::SetKind(vec![0], RuleKind::SignalBelow),
            &[]
        ));
        assert_eq!(rules, [off(Rule::signal_below("ml_pred", 0.5))]);
        assert!(!apply(
            &mut rules,
            &Command::SetKind(vec![0], RuleKind::SignalBelow),
            &[]
        ));
    }
}
