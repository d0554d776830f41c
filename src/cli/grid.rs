//! What `ml4t sweep` and `ml4t walk-forward` share: the swept numbers, constraints, random
//! sampling and the objective, from the command line or else from the preset's sweep section.

use anyhow::Context as _;
use clap::Args;

use ml4t_sweep::{Objective, SweepDef};

#[derive(Debug, Args)]
pub struct GridArgs {
    /// A swept number: PATH=SPEC, e.g. entry[0]=0.55:0.95:10 (10 values from 0.55 to 0.95) or
    /// exit[0]=0.1,0.2,0.4. PATH: entry[i], exit[i], short_entry[i], short_exit[i], filter[i], exit[i][j]
    /// (inside a group), .lo/.hi for rules with two numbers, sizer, entry_order.offset,
    /// initial_margin, portfolio.n_long (and the portfolio's other numbers), broker.slippage_bps,
    /// broker.commission.percent, broker.borrow_rate. Repeatable; without it the preset's sweep
    /// section is used. A wrong path lists the preset's valid ones.
    #[arg(long = "param", value_name = "PATH=SPEC")]
    pub params: Vec<String>,
    /// A condition between parameters, e.g. "exit[0] < entry[0]". Repeatable.
    #[arg(long = "constraint", value_name = "A<B")]
    pub constraints: Vec<String>,
    /// Run this many random combinations (seeded; in a walk-forward the same in every fold)
    /// instead of the whole grid.
    #[arg(long, value_name = "N")]
    pub random: Option<usize>,
    /// Seed of --random.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The metric that picks the best combination (in a walk-forward, each fold's): sharpe,
    /// total_return, max_drawdown, ...
    #[arg(long)]
    pub objective: Option<String>,
    /// Maximise the objective (the default).
    #[arg(long, conflicts_with = "minimize")]
    pub maximize: bool,
    /// Minimise the objective.
    #[arg(long)]
    pub minimize: bool,
}

impl GridArgs {
    /// The sweep definition and objective: the command line's params, else the preset's sweep
    /// section (constraints, sampling and the objective's direction add to or override it).
    pub fn definition(&self, preset: &ml4t_preset::Preset) -> anyhow::Result<(SweepDef, Objective)> {
        let saved = preset.sweep.clone().unwrap_or_default();
        let mut def = if self.params.is_empty() {
            SweepDef::from_spec(&saved)
        } else {
            let params = self
                .params
                .iter()
                .map(|p| {
                    p.split_once('=')
                        .map(|(a, b)| (a.to_string(), b.to_string()))
                        .with_context(|| format!("--param '{p}': write PATH=SPEC, e.g. entry[0]=0.55:0.95:10"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            SweepDef {
                params,
                constraints: Vec::new(),
                random: None,
            }
        };
        def.constraints.extend(self.constraints.iter().cloned());
        if let Some(n) = self.random {
            def.random = Some((n, self.seed));
        }
        let maximize = if self.minimize {
            false
        } else {
            self.maximize || saved.maximize
        };
        let name = self.objective.as_deref().unwrap_or(&saved.objective);
        Ok((def, Objective::parse(name, maximize)?))
    }
}
