//! The fill-assumption comparison on the worker: the current preset rerun with exits at the next
//! open (the default), with stop-loss / take-profit / trailing rules as intrabar resting orders,
//! and with every order filled at the deciding bar's close (optimistic). The cases that finished
//! are kept when the user cancels.

use std::sync::Arc;

use super::{Command, Workbench};
use crate::ui::fills_ui::{FillCase, FillComparison, INTRABAR, NEXT_OPEN, SAME_CLOSE};
use crate::worker::{JobHandle, Task};
use ml4t_engine::execution::{BrokerConfig, FillTiming};
use ml4t_engine::market::Bars;
use ml4t_engine::strategy::rules::ExitFills;
use ml4t_engine::{Engine, Progress};
use ml4t_preset::{Preset, StrategySpec};

/// The comparison's job and its last result.
#[derive(Default)]
pub(super) struct FillsState {
    pub(super) task: Option<Task<FillComparison>>,
    pub(super) result: Option<FillComparison>,
    /// The strategy, broker and data the result was computed for (to tell it is out of date).
    computed_for: Option<Inputs>,
    /// The same, for the job in flight.
    pending_for: Option<Inputs>,
}

/// What a comparison depends on: the strategy, the broker settings and the data.
type Inputs = (StrategySpec, BrokerConfig, Arc<Bars>);

/// One assumption: its label, what it means, and the preset changed to follow it.
struct Variant {
    label: &'static str,
    help: &'static str,
    preset: Preset,
}

/// The assumptions that apply to `preset`, and notes on the ones left out.
fn variants(preset: &Preset) -> (Vec<Variant>, Vec<String>) {
    let with = |exit_fills: ExitFills, timing: FillTiming| {
        let mut p = preset.clone();
        p.broker.fill_timing = timing;
        if let StrategySpec::Rules(r) = &mut p.strategy {
            r.exit_fills = exit_fills;
        }
        p
    };
    let mut out = vec![Variant {
        label: NEXT_OPEN,
        help: "Orders decided at a close fill at the next bar's open; stops are checked at the close (no look-ahead)",
        preset: with(ExitFills::NextOpen, FillTiming::NextOpen),
    }];
    let mut notes = Vec::new();
    let rule_stops = matches!(&preset.strategy, StrategySpec::Rules(r) if r.portfolio.is_none());
    if rule_stops {
        out.push(Variant {
            label: INTRABAR,
            help: "Stop-loss, take-profit and trailing stops rest as orders from the bar after the entry: a gap fills \
                   at the open, else at the stop or limit; a bar touching both fills the stop (pessimistic)",
            preset: with(ExitFills::Intrabar, FillTiming::NextOpen),
        });
    } else {
        notes.push(
            "Intrabar exits apply to the stop-loss, take-profit and trailing rules of a Rules strategy: left out."
                .to_owned(),
        );
    }
    out.push(Variant {
        label: SAME_CLOSE,
        help: "Optimistic: every order fills at the close its decision already saw, which no live broker offers",
        preset: with(ExitFills::NextOpen, FillTiming::SameClose),
    });
    (out, notes)
}

/// Runs the variants one after the other, reporting progress over all of them; a cancel keeps
/// the cases that finished.
fn compare(preset: &Preset, origin: &std::path::Path, bars: &Bars, h: &JobHandle) -> Result<FillComparison, String> {
    let (variants, notes) = variants(preset);
    let n = variants.len() as f64;
    let mut out = FillComparison {
        notes,
        ..Default::default()
    };
    for (i, v) in variants.iter().enumerate() {
        let mut report = |p: Progress| h.progress(((i as f64 + p.fraction().unwrap_or(0.0)) / n) as f32);
        let result = {
            let mut engine = Engine::new()
                .progress_every(1 << 16)
                .on_progress(&mut report)
                .cancel_flag(h.cancel_flag());
            ml4t_preset::run::run(&v.preset, origin, bars, &mut engine)
        };
        let result = match result {
            Ok(r) => r,
            Err(_) if h.cancel_flag().load(std::sync::atomic::Ordering::Relaxed) => {
                out.cancelled = true;
                return Ok(out);
            }
            Err(e) => return Err(format!("{}: {e}", v.label)),
        };
        let m = result.metrics(&v.preset.metrics);
        out.cases.push(FillCase {
            label: v.label,
            help: v.help,
            total_return: m.total_return,
            sharpe: m.sharpe,
            max_drawdown: m.max_drawdown,
            trades: result.trades.len(),
            ambiguous_bars: result.notes.ambiguous_bars,
            xs: result
                .equity
                .ts()
                .into_iter()
                .map(crate::ui::plots::time_axis::ts_to_x)
                .collect(),
            equity: result.equity.equity(),
        });
    }
    Ok(out)
}

impl Workbench {
    /// Starts the comparison (replacing one in flight).
    fn compare_fills(&mut self) {
        self.validate();
        if let Some(problem) = &self.invalid {
            return self.fail(format!("cannot compare fill assumptions: {problem}"));
        }
        let Some(data) = &self.data else {
            self.log.warn("nothing to compare: load data first");
            return;
        };
        let bars = data.bars.clone();
        let preset = self.preset_for_run();
        let origin = self.preset_origin();
        self.fills.pending_for = Some((self.preset.strategy.clone(), self.preset.broker, bars.clone()));
        self.log
            .info("comparing fill assumptions (next open, intrabar, same close)");
        let job = move |h: &JobHandle| compare(&preset, &origin, &bars, h);
        match Task::spawn("ml4t-fills", self.wake.clone(), job) {
            Ok(t) => self.fills.task = Some(t),
            Err(e) => self.fail(e),
        }
    }

    /// Applies the comparison's commands.
    pub(super) fn apply_fills(&mut self, cmd: &Command) {
        match cmd {
            Command::CompareFills => self.compare_fills(),
            Command::CancelFillComparison => {
                if let Some(t) = &self.fills.task {
                    t.cancel();
                    self.log
                        .info("cancelling the fill comparison; finished assumptions are kept");
                }
            }
            _ => {}
        }
    }

    /// Collects a finished comparison.
    pub(super) fn poll_fills(&mut self) {
        let Some(result) = self.fills.task.as_mut().and_then(Task::poll) else {
            return;
        };
        let elapsed_ms = self.fills.task.take().map_or(0.0, |t| t.elapsed().as_secs_f64() * 1e3);
        match result {
            Ok(c) if c.cases.is_empty() => self.log.info("fill comparison cancelled before a case finished"),
            Ok(c) => {
                let trades: Vec<String> = c.cases.iter().map(|k| format!("{} {}", k.label, k.trades)).collect();
                self.log.info(format!(
                    "fill comparison{}: {} runs in {:.0} ms (trades: {})",
                    if c.cancelled { " (cancelled)" } else { "" },
                    c.cases.len(),
                    elapsed_ms,
                    trades.join(", ")
                ));
                self.fills.computed_for = self.fills.pending_for.take();
                self.fills.result = Some(c);
            }
            Err(e) => self.fail(format!("the fill comparison failed: {e}")),
        }
    }

    /// The strategy, the broker or the data changed since the comparison was computed.
    pub(super) fn fills_stale(&self) -> bool {
        self.fills.computed_for.as_ref().is_some_and(|(s, b, bars)| {
            *s != self.preset.strategy
                || *b != self.preset.broker
                || self.data.as_ref().is_none_or(|d| !Arc::ptr_eq(&d.bars, bars))
        })
    }

    /// The last fill-assumption comparison (kept when a later one is cancelled).
    pub fn fill_comparison(&self) -> Option<&FillComparison> {
        self.fills.result.as_ref()
    }

    /// A fill comparison is in flight.
    pub fn comparing_fills(&self) -> bool {
        self.fills.task.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ml4t_engine::strategy::rules::{Rule, SignalStrategy};

    #[test]
    fn variants_of_a_rules_preset_are_three_and_set_the_modes() {
        let mut p = Preset::new("t", std::path::PathBuf::from("x.parquet"), Default::default());
        p.strategy = StrategySpec::Rules(SignalStrategy::new().entry(Rule::signal_above("ml_pred", 0.8)));
        let (v, notes) = variants(&p);
        assert!(notes.is_empty());
        let modes: Vec<_> = v
            .iter()
            .map(|v| {
                (
                    v.label,
                    v.preset.strategy.rules().unwrap().exit_fills,
                    v.preset.broker.fill_timing,
                )
            })
            .collect();
        assert_eq!(
            modes,
            [
                (NEXT_OPEN, ExitFills::NextOpen, FillTiming::NextOpen),
                (INTRABAR, ExitFills::Intrabar, FillTiming::NextOpen),
                (SAME_CLOSE, ExitFills::NextOpen, FillTiming::SameClose),
            ]
        );
    }

    #[test]
    fn variants_of_a_portfolio_leave_intrabar_out_with_a_note() {
        let mut p = Preset::new("t", std::path::PathBuf::from("x.parquet"), Default::default());
        p.strategy = StrategySpec::Rules(super::super::script::new_portfolio(None));
        let (v, notes) = variants(&p);
        assert_eq!(v.iter().map(|v| v.label).collect::<Vec<_>>(), [NEXT_OPEN, SAME_CLOSE]);
        assert_eq!(notes.len(), 1);
    }
}
