//! Conditions between parameters: `exit[0] < entry[0]`, `entry[1].lo <= entry[1].hi`,
//! `exit[0][1] > 0.02`. Each side is a path of the preset (swept or not) or a number; a
//! combination is run only when every condition holds for the preset with its values.

use ml4t_engine::strategy::rules::Cmp;
use ml4t_preset::Preset;

use crate::{ParamPath, SweepError};

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Path(ParamPath),
    Number(f64),
}

/// One parsed condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    text: String,
    lhs: Operand,
    op: Cmp,
    rhs: Operand,
}

impl Constraint {
    /// Parses `text` (`LHS op RHS`, op one of `< <= > >=`), resolving paths against `preset`.
    pub fn parse(text: &str, preset: &Preset) -> Result<Constraint, SweepError> {
        let bad = |problem: String| SweepError::BadConstraint {
            text: text.to_string(),
            problem,
        };
        // Two-character operators first, so that `<=` is not read as `<`.
        let (at, op, len) = [("<=", Cmp::Le), (">=", Cmp::Ge), ("<", Cmp::Lt), (">", Cmp::Gt)]
            .iter()
            .find_map(|(sym, op)| text.find(sym).map(|i| (i, *op, sym.len())))
            .ok_or_else(|| bad("no comparison; write e.g. exit[0] < entry[0] (one of < <= > >=)".into()))?;
        let operand = |s: &str| -> Result<Operand, SweepError> {
            let s = s.trim();
            if s.is_empty() {
                return Err(bad("a side of the comparison is empty".into()));
            }
            if let Ok(x) = s.parse::<f64>() {
                return Ok(Operand::Number(x));
            }
            ParamPath::parse(s, preset).map(Operand::Path)
        };
        let rhs_text = &text[at + len..];
        if rhs_text.contains(['<', '>']) {
            return Err(bad(
                "one comparison per constraint; give several constraints instead".into()
            ));
        }
        Ok(Constraint {
            text: text.to_string(),
            lhs: operand(&text[..at])?,
            op,
            rhs: operand(rhs_text)?,
        })
    }

    /// Whether it holds for `preset` (the base with a combination's values written in).
    pub fn holds(&self, preset: &Preset) -> bool {
        let value = |o: &Operand| match o {
            Operand::Number(x) => Some(*x),
            Operand::Path(p) => p.get(preset),
        };
        match (value(&self.lhs), value(&self.rhs)) {
            (Some(a), Some(b)) => self.op.holds(a, b),
            _ => false,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ml4t_engine::strategy::rules::{Rule, SignalStrategy};

    fn preset(entry: f64, exit: f64) -> Preset {
        let s = SignalStrategy::new()
            .entry(Rule::signal_above("ml_pred", entry))
            .exit(Rule::signal_below("ml_pred", exit));
        Preset::new("t", "d.parquet", s)
    }

    #[test]
    fn constraint_compares_paths_and_numbers() {
        let c = Constraint::parse("exit[0] < entry[0]", &preset(0.8, 0.4)).unwrap();
        assert!(c.holds(&preset(0.8, 0.4)));
        assert!(!c.holds(&preset(0.4, 0.4)));
        let c = Constraint::parse("exit[0]<=entry[0]", &preset(0.8, 0.4)).unwrap();
        assert!(c.holds(&preset(0.4, 0.4)));
        let c = Constraint::parse("entry[0] >= 0.6", &preset(0.8, 0.4)).unwrap();
        assert!(c.holds(&preset(0.6, 0.1)));
        assert!(!c.holds(&preset(0.59, 0.1)));
    }

    #[test]
    fn constraint_errors_name_the_text() {
        let p = preset(0.8, 0.4);
        for bad in ["exit[0] = entry[0]", "exit[9] < 1", "< 1", "0 < exit[0] < 1"] {
            let e = Constraint::parse(bad, &p).unwrap_err().to_string();
            assert!(e.contains(bad) || e.contains("exit[9]"), "{bad}: {e}");
        }
    }
}
