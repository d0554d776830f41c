//! A sweep definition (paths, value specs, constraints, grid or random sampling) and the
//! combinations it stands for, checked against a preset before anything runs.

use ml4t_preset::{Preset, SweepSpec};

use crate::constraint::Constraint;
use crate::spec::ValueSpec;
use crate::{ParamPath, SweepError};

/// More combinations than this are refused (rows alone would need gigabytes).
pub const MAX_COMBINATIONS: usize = 10_000_000;

/// What to sweep, as text (from the command line or a preset's `sweep` section).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SweepDef {
    /// (path, values spec), the first varying slowest in the grid.
    pub params: Vec<(String, String)>,
    pub constraints: Vec<String>,
    /// `Some((samples, seed))`: random combinations instead of the grid.
    pub random: Option<(usize, u64)>,
}

impl SweepDef {
    /// A full grid over `params`.
    pub fn grid<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        SweepDef {
            params: params
                .into_iter()
                .map(|(p, s)| (p.to_string(), s.to_string()))
                .collect(),
            ..Default::default()
        }
    }

    /// The definition saved in a preset.
    pub fn from_spec(spec: &SweepSpec) -> Self {
        SweepDef {
            params: spec.params.iter().map(|p| (p.path.clone(), p.values.clone())).collect(),
            constraints: spec.constraints.clone(),
            random: spec.random.map(|r| (r.samples, r.seed)),
        }
    }

    /// Resolves the paths against `preset`, parses the values and constraints, and lists the
    /// combinations that meet the constraints.
    pub fn plan(&self, preset: &Preset) -> Result<SweepPlan, SweepError> {
        if self.params.is_empty() {
            return Err(SweepError::NoParams);
        }
        let mut paths: Vec<ParamPath> = Vec::with_capacity(self.params.len());
        let mut specs = Vec::with_capacity(self.params.len());
        for (path, spec) in &self.params {
            let p = ParamPath::parse(path, preset)?;
            if paths.iter().any(|q| q.as_str().trim() == path.trim()) {
                return Err(SweepError::DuplicatePath { path: path.clone() });
            }
            let bad = |problem: String| SweepError::BadSpec {
                path: path.clone(),
                spec: spec.clone(),
                problem,
            };
            let s = ValueSpec::parse(spec).map_err(bad)?;
            if p.is_integer()
                && let Some(v) = s.values().into_iter().find(|v| v.fract() != 0.0 || *v < 0.0)
            {
                return Err(SweepError::NotInteger {
                    path: path.clone(),
                    value: v,
                });
            }
            paths.push(p);
            specs.push(s);
        }
        let constraints = self
            .constraints
            .iter()
            .map(|c| Constraint::parse(c, preset))
            .collect::<Result<Vec<_>, _>>()?;
        let values: Vec<Vec<f64>> = specs.iter().map(ValueSpec::values).collect();
        let mut plan = SweepPlan {
            paths,
            values,
            combos: Vec::new(),
            grid: self.random.is_none(),
        };
        let keep = |values: &[f64]| -> Result<bool, SweepError> {
            if constraints.is_empty() {
                return Ok(true);
            }
            let p = plan_apply(&plan.paths, preset, values)?;
            Ok(constraints.iter().all(|c| c.holds(&p)))
        };
        let mut combos = Vec::new();
        match self.random {
            None => {
                let n = plan
                    .values
                    .iter()
                    .try_fold(1u128, |acc, v| acc.checked_mul(v.len() as u128))
                    .unwrap_or(u128::MAX);
                if n > MAX_COMBINATIONS as u128 {
                    return Err(SweepError::TooManyCombinations {
                        n,
                        limit: MAX_COMBINATIONS,
                    });
                }
                let mut cell = vec![0usize; plan.values.len()];
                for _ in 0..n {
                    let values: Vec<f64> = cell.iter().zip(&plan.values).map(|(&i, v)| v[i]).collect();
                    if keep(&values)? {
                        combos.push(Combo {
                            values,
                            cell: Some(cell.clone()),
                        });
                    }
                    // Odometer: the last parameter varies fastest.
                    for k in (0..cell.len()).rev() {
                        cell[k] += 1;
                        if cell[k] < plan.values[k].len() {
                            break;
                        }
                        cell[k] = 0;
                    }
                }
                if combos.is_empty() {
                    return Err(SweepError::NoCombinations { grid: n as usize });
                }
            }
            Some((samples, seed)) => {
                if samples > MAX_COMBINATIONS {
                    return Err(SweepError::TooManyCombinations {
                        n: samples as u128,
                        limit: MAX_COMBINATIONS,
                    });
                }
                let mut rng = SplitMix64(seed);
                // Draws that break a constraint are drawn again, up to 100 tries per sample.
                let mut tries = 0usize;
                while combos.len() < samples && tries < samples.saturating_mul(100) {
                    tries += 1;
                    let values: Vec<f64> = specs
                        .iter()
                        .zip(&plan.paths)
                        .map(|(s, p)| {
                            let v = s.sample(rng.unit());
                            if p.is_integer() { v.round() } else { v }
                        })
                        .collect();
                    if keep(&values)? {
                        combos.push(Combo { values, cell: None });
                    }
                }
                if combos.is_empty() && samples > 0 {
                    return Err(SweepError::NoCombinations { grid: tries });
                }
            }
        }
        plan.combos = combos;
        Ok(plan)
    }
}

/// One combination: a value per parameter, and its grid cell (value indices) for a grid sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct Combo {
    pub values: Vec<f64>,
    pub cell: Option<Vec<usize>>,
}

/// The resolved sweep: paths, each parameter's grid values and the combinations to run, in the
/// order rows come out.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepPlan {
    pub paths: Vec<ParamPath>,
    /// Each parameter's grid values (for random sampling: the spec's grid, for reference).
    pub values: Vec<Vec<f64>>,
    pub combos: Vec<Combo>,
    /// A full grid (neighbours exist), not random samples.
    pub grid: bool,
}

impl SweepPlan {
    /// `preset` with combination `i`'s values written in.
    pub fn apply(&self, preset: &Preset, i: usize) -> Result<Preset, SweepError> {
        plan_apply(&self.paths, preset, &self.combos[i].values)
    }

    /// `path=value, ...` of combination `i`, for messages.
    pub fn describe(&self, i: usize) -> String {
        self.paths
            .iter()
            .zip(&self.combos[i].values)
            .map(|(p, v)| format!("{}={v}", p.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn plan_apply(paths: &[ParamPath], preset: &Preset, values: &[f64]) -> Result<Preset, SweepError> {
    let mut p = preset.clone();
    for (path, &v) in paths.iter().zip(values) {
        path.set(&mut p, v)?;
    }
    Ok(p)
}

/// A small seeded generator (SplitMix64): the same seed draws the same combinations on every
/// machine, without a dependency.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ml4t_engine::strategy::rules::{Rule, SignalStrategy};

    fn preset() -> Preset {
        let s = SignalStrategy::new()
            .entry(Rule::signal_above("ml_pred", 0.8))
            .exit(Rule::signal_below("ml_pred", 0.4))
            .exit(Rule::max_holding_bars(5));
        Preset::new("t", "d.parquet", s)
    }

    #[test]
    fn plan_grid_first_parameter_varies_slowest() {
        let plan = SweepDef::grid([("entry[0]", "0.6,0.8"), ("exit[0]", "0.1:0.3:3")])
            .plan(&preset())
            .unwrap();
        let got: Vec<Vec<f64>> = plan.combos.iter().map(|c| c.values.clone()).collect();
        assert_eq!(
            got,
            vec![
                vec![0.6, 0.1],
                vec![0.6, 0.2],
                vec![0.6, 0.3],
                vec![0.8, 0.1],
                vec![0.8, 0.2],
                vec![0.8, 0.3]
            ]
        );
        assert_eq!(plan.combos[4].cell, Some(vec![1, 1]));
        assert_eq!(plan.describe(4), "entry[0]=0.8, exit[0]=0.2");
        let p = plan.apply(&preset(), 4).unwrap();
        assert_eq!(p.strategy.rules().unwrap().exit[0], Rule::signal_below("ml_pred", 0.2));
    }

    #[test]
    fn plan_constraints_drop_combinations() {
        let mut def = SweepDef::grid([("entry[0]", "0.2,0.4,0.6"), ("exit[0]", "0.3,0.5")]);
        def.constraints.push("exit[0] < entry[0]".into());
        let plan = def.plan(&preset()).unwrap();
        let got: Vec<Vec<f64>> = plan.combos.iter().map(|c| c.values.clone()).collect();
        assert_eq!(got, vec![vec![0.4, 0.3], vec![0.6, 0.3], vec![0.6, 0.5]]);
        def.constraints.push("entry[0] > 1".into());
        assert!(matches!(
            def.plan(&preset()),
            Err(SweepError::NoCombinations { grid: 6 })
        ));
    }

    #[test]
    fn plan_random_is_seeded_and_in_range() {
        let mut def = SweepDef::grid([("entry[0]", "0.5:0.9:5"), ("exit[1]", "1:20:20")]);
        def.random = Some((50, 42));
        let a = def.plan(&preset()).unwrap();
        let b = def.plan(&preset()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.combos.len(), 50);
        assert!(!a.grid);
        for c in &a.combos {
            assert!((0.5..=0.9).contains(&c.values[0]));
            assert!((1.0..=20.0).contains(&c.values[1]) && c.values[1].fract() == 0.0);
            assert_eq!(c.cell, None);
        }
        def.random = Some((50, 43));
        assert_ne!(def.plan(&preset()).unwrap(), a);
    }

    #[test]
    fn plan_refuses_bad_definitions() {
        let p = preset();
        assert!(matches!(SweepDef::default().plan(&p), Err(SweepError::NoParams)));
        let dup = SweepDef::grid([("entry[0]", "1"), ("entry[0]", "2")]);
        assert!(matches!(dup.plan(&p), Err(SweepError::DuplicatePath { .. })));
        let e = SweepDef::grid([("entry[0]", "1:2")]).plan(&p).unwrap_err().to_string();
        assert!(e.contains("entry[0]") && e.contains("'1:2'"), "{e}");
        let e = SweepDef::grid([("exit[1]", "1.5,2")]).plan(&p).unwrap_err().to_string();
        assert!(e.contains("whole") && e.contains("1.5"), "{e}");
        let huge = SweepDef::grid([("entry[0]", "0:1:10000"), ("exit[0]", "0:1:10000")]);
        assert!(matches!(huge.plan(&p), Err(SweepError::TooManyCombinations { .. })));
    }
}
