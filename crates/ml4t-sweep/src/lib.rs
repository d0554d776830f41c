//! Parameter sweeps: a base preset plus the numbers that vary, every combination run as its own
//! backtest, in parallel, over one shared copy of the data.
//!
//! ```no_run
//! # fn demo(preset: &ml4t_preset::Preset, bars: &ml4t_engine::market::Bars) -> Result<(), ml4t_sweep::SweepError> {
//! use ml4t_sweep::{Objective, SweepDef, SweepOptions, run_sweep};
//! let def = SweepDef::grid([("entry[0]", "0.55:0.95:10"), ("exit[0]", "0.05:0.45:10")]);
//! let plan = def.plan(preset)?;
//! let out = run_sweep(preset, std::path::Path::new("s0.ron"), bars, &plan, &Objective::parse("sharpe", true)?, &SweepOptions::default())?;
//! println!("{} rows, best {:?}", out.rows.len(), out.best);
//! # Ok(()) }
//! ```
//!
//! Each row is exactly the result of a single run of that combination (same trades, same final
//! equity to the bit): a combination is the preset with its numbers replaced, run through the
//! same strategy builder, broker and engine as `ml4t run`. Only threshold masks are shared
//! between combinations (a mask depends on column, comparison and value alone).

/// Conditions between parameters (`exit[0] < entry[0]`).
pub mod constraint;
mod error;
/// The objective (any metric, maximised or minimised), the best row and its stability.
pub mod objective;
/// Addresses of numbers in a preset (`entry[0]`, `exit[1].lo`, `sizer`, `broker.slippage_bps`).
pub mod path;
/// Sweep definitions and their combinations (grid or seeded random sampling).
pub mod plan;
/// Running the combinations in parallel: rows, returns, progress and cancel.
pub mod run;
/// Value specs: `a:b:n` and `v1,v2,...`.
pub mod spec;
/// Walk-forward: the best combination of each train window run on the test window after it.
pub mod walkforward;

pub use error::SweepError;
pub use objective::{Objective, stability};
pub use path::ParamPath;
pub use plan::{Combo, SweepDef, SweepPlan};
pub use run::{Row, SweepOptions, SweepOutput, run_sweep};
pub use walkforward::{Account, FoldResult, ParamDrift, WalkForwardOptions, WalkForwardOutput, run_walk_forward};
