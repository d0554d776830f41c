//! Turning a preset into a run: the strategy it describes, on the data it names, with its broker.
//! Shared by `ml4t run`, the workbench's background runs and benchmarks.

use std::path::Path;

use super::{Preset, StrategySpec};
use ml4t_engine::broker::SimulationBroker;
use ml4t_engine::execution::BrokerConfig;
use ml4t_engine::feed::HistoricalFeed;
use ml4t_engine::market::Bars;
use ml4t_engine::results::RunResult;
use ml4t_engine::strategy::Strategy;
use ml4t_engine::strategy::hybrid::{Hybrid, LiveHybrid};
use ml4t_engine::strategy::rules::RuleError;
use ml4t_engine::{Engine, EngineError};
use ml4t_script::{PrintSink, ScriptError, ScriptStrategy};

/// Why a preset could not run on some data.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RunError {
    #[error("strategy: {0}")]
    Rules(#[from] RuleError),
    #[error("script: {0}")]
    Script(#[from] ScriptError),
    #[error("broker settings: {0}")]
    Broker(String),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// The executable strategy for `spec` on `bars` (rules are compiled for these bars; scripts are
/// read relative to `preset_file`'s folder and compiled).
pub fn build_strategy(
    spec: &StrategySpec,
    bars: &Bars,
    preset_file: &Path,
) -> Result<Box<dyn Strategy + Send>, RunError> {
    build_strategy_printing(spec, bars, preset_file, None)
}

/// [`build_strategy`], with a script's `print` lines sent to `print` (stderr without one).
pub fn build_strategy_printing(
    spec: &StrategySpec,
    bars: &Bars,
    preset_file: &Path,
    print: Option<PrintSink>,
) -> Result<Box<dyn Strategy + Send>, RunError> {
    let script = |source: &super::ScriptSource| -> Result<ScriptStrategy, RunError> {
        let s = ScriptStrategy::new(source.load(preset_file)?);
        Ok(match &print {
            Some(p) => s.with_print(p.clone()),
            None => s,
        })
    };
    Ok(match spec {
        StrategySpec::Rules(rules) => match &rules.portfolio {
            Some(p) => {
                rules.validate(bars.signal_names(), bars.assets().len())?;
                Box::new(p.strategy())
            }
            None => Box::new(rules.compile(bars)?),
        },
        StrategySpec::Script(source) => Box::new(script(source)?),
        StrategySpec::Hybrid { filter, script: source } => Box::new(Hybrid::compile(filter, bars, script(source)?)?),
    })
}

/// The executable strategy for `spec` on a feed that yields bars one timestamp at a time (live):
/// rules and a hybrid's filter run interpreted, since compiled masks need the whole data up
/// front; scripts run as they are. Same trades as [`build_strategy`] on the same bars.
pub fn build_live_strategy(
    spec: &StrategySpec,
    signal_names: &[String],
    n_assets: usize,
    preset_file: &Path,
) -> Result<Box<dyn Strategy + Send>, RunError> {
    Ok(match spec {
        StrategySpec::Rules(rules) => match &rules.portfolio {
            Some(p) => {
                rules.validate(signal_names, n_assets)?;
                Box::new(p.strategy())
            }
            None => Box::new(rules.interpret(signal_names, n_assets)?),
        },
        StrategySpec::Script(source) => Box::new(ScriptStrategy::new(source.load(preset_file)?)),
        StrategySpec::Hybrid { filter, script } => {
            let callback = ScriptStrategy::new(script.load(preset_file)?);
            Box::new(LiveHybrid::new(filter, signal_names, n_assets, callback)?)
        }
    })
}

/// Runs the preset's strategy and broker over `bars` with `engine`'s progress and cancel hooks;
/// `preset_file` is where the preset came from (scripts are found relative to it).
pub fn run(preset: &Preset, preset_file: &Path, bars: &Bars, engine: &mut Engine<'_>) -> Result<RunResult, RunError> {
    run_printing(preset, preset_file, bars, engine, None)
}

/// [`run`], with a script's `print` lines sent to `print` (stderr without one).
pub fn run_printing(
    preset: &Preset,
    preset_file: &Path,
    bars: &Bars,
    engine: &mut Engine<'_>,
    print: Option<PrintSink>,
) -> Result<RunResult, RunError> {
    let config = broker_config(preset);
    config.validate().map_err(RunError::Broker)?;
    let mut strategy = build_strategy_printing(&preset.strategy, bars, preset_file, print)?;
    let mut broker = SimulationBroker::new(config, bars.assets().len());
    Ok(engine.run(&mut HistoricalFeed::new(bars), &mut broker, &mut strategy)?)
}

/// The broker settings a preset runs with: its `broker` section, with short sales allowed when
/// its rules go short (choosing `direction: short_only` or `long_short`, or a portfolio with
/// short positions, is the opt-in).
pub fn broker_config(preset: &Preset) -> BrokerConfig {
    let mut config = preset.broker;
    if preset.strategy.rules().is_some_and(|r| r.goes_short()) {
        config.allow_short = true;
    }
    config
}

/// Rule thresholds on signal columns, for drawing on plots: (column, value, label).
pub fn thresholds(spec: &StrategySpec) -> Vec<(String, f64, String)> {
    use ml4t_engine::strategy::rules::Rule;
    fn walk(list: &'static str, rule: &Rule, out: &mut Vec<(String, f64, String)>) {
        match rule {
            Rule::SignalAbove(c, x) | Rule::SignalBelow(c, x) | Rule::CrossAbove(c, x) | Rule::CrossBelow(c, x) => {
                out.push((c.clone(), *x, format!("{list}: {}", rule.describe())))
            }
            Rule::SignalBetween(c, lo, hi) => {
                out.push((c.clone(), *lo, format!("{list}: {}", rule.describe())));
                out.push((c.clone(), *hi, format!("{list}: {}", rule.describe())));
            }
            Rule::All(v) | Rule::Any(v) => v.iter().for_each(|r| walk(list, r, out)),
            Rule::Not(r) => walk(list, r, out),
            _ => {}
        }
    }
    let mut out = Vec::new();
    match spec {
        StrategySpec::Rules(s) => {
            s.entry.iter().for_each(|r| walk("entry", r, &mut out));
            s.exit.iter().for_each(|r| walk("exit", r, &mut out));
        }
        // A script's thresholds live in its code; only a hybrid's filter is known.
        StrategySpec::Script(_) => {}
        StrategySpec::Hybrid { filter, .. } => filter.iter().for_each(|r| walk("filter", r, &mut out)),
    }
    out
}
