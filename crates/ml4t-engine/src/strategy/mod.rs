//! Strategies (level 2: event callbacks). A strategy reads bars and the account through a
//! [`Context`] and produces order requests; it never touches the broker or portfolio itself.

mod context;
/// The reference scenarios S0..S3C as a parameterised strategy.
/// Level 3: a compiled rule filter in front of a callback strategy.
pub mod hybrid;
/// Ranked long/short portfolios rebalanced on a schedule.
pub mod rebalance;
pub mod reference;
/// Level 1: declarative rules, compiled or interpreted.
pub mod rules;

pub use context::{Context, Request};

use super::execution::Fill;
use super::market::{Bar, BarSlice, Bars};

/// An error a strategy raises to stop the run (a bad parameter, a script error, ...).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct StrategyError(pub String);

impl From<String> for StrategyError {
    fn from(s: String) -> Self {
        StrategyError(s)
    }
}

impl From<&str> for StrategyError {
    fn from(s: &str) -> Self {
        StrategyError(s.to_owned())
    }
}

pub type StrategyResult = Result<(), StrategyError>;

/// Event callbacks, called by the engine in this order at every timestamp: `on_fill` for each fill
/// at the open, `on_bars` with the timestamp's bars (by default `on_bar` for each, in name
/// order), then `on_timestamp` with all bars.
/// Orders placed through the context are submitted after the callbacks of the timestamp.
pub trait Strategy {
    /// Once before the first bar: resolve signal ids (`ctx.signal_id("ml_pred")?`), size buffers.
    fn on_start(&mut self, ctx: &mut Context<'_>) -> StrategyResult {
        let _ = ctx;
        Ok(())
    }
    /// Each asset's bar at its close.
    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: Bar<'_>) -> StrategyResult {
        let _ = (ctx, bar);
        Ok(())
    }
    /// The bars of one timestamp, in name order. The default calls `on_bar` for each; a strategy
    /// that knows which bars cannot lead to an order may call it for the others only (compiled
    /// rules do), as long as the result is the same as calling it for every bar.
    #[inline]
    fn on_bars(&mut self, ctx: &mut Context<'_>, bars: &BarSlice<'_>) -> StrategyResult {
        for bar in bars.iter() {
            self.on_bar(ctx, bar)?;
        }
        Ok(())
    }
    /// All bars of one timestamp, after `on_bar`: for cross-sectional logic (ranking assets).
    fn on_timestamp(&mut self, ctx: &mut Context<'_>, bars: &BarSlice<'_>) -> StrategyResult {
        let _ = (ctx, bars);
        Ok(())
    }
    /// Each execution, right after it happened: a fill at the open before that bar's `on_bar`; a
    /// fill at the close (same-close timing) first thing at the next timestamp.
    fn on_fill(&mut self, ctx: &mut Context<'_>, fill: &Fill) -> StrategyResult {
        let _ = (ctx, fill);
        Ok(())
    }
    /// Fast-forward (levels 1 and 3). Called only when no order is pending and the feed holds its
    /// data, with `bars` and the index `next` of the first timestamp not yet processed. Returns
    /// how many timestamps from `next` on need no callback at all: the strategy guarantees it
    /// would place no order there and has advanced its own state over them, deciding each bar
    /// from data up to that bar only. The engine then just marks and records equity for them.
    /// The default, 0, calls the strategy on every bar. Called only if [`Strategy::fast_forwards`].
    fn skip_quiet(&mut self, ctx: &Context<'_>, bars: &Bars, next: usize) -> usize {
        let _ = (ctx, bars, next);
        0
    }
    /// Whether the strategy implements [`Strategy::skip_quiet`]; asked once per run, so that a
    /// strategy that never skips costs the event loop nothing for it.
    fn fast_forwards(&self) -> bool {
        false
    }
    /// Once after the last bar.
    fn on_end(&mut self, ctx: &mut Context<'_>) -> StrategyResult {
        let _ = ctx;
        Ok(())
    }
    /// The result JSON's `exit_reason` of trades closed by this strategy's market orders.
    fn market_exit_reason(&self) -> &'static str {
        "signal"
    }
    /// The compiled rules this strategy is, if it is exactly that: the engine then runs
    /// single-asset data through its fused path (same callbacks, same order, no per-timestamp
    /// dispatch). A strategy that wraps rules and adds behaviour keeps the default, `None`.
    fn compiled_rules(&mut self) -> Option<&mut rules::CompiledRules> {
        None
    }
}

impl<S: Strategy + ?Sized> Strategy for Box<S> {
    fn on_start(&mut self, ctx: &mut Context<'_>) -> StrategyResult {
        (**self).on_start(ctx)
    }
    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: Bar<'_>) -> StrategyResult {
        (**self).on_bar(ctx, bar)
    }
    fn on_bars(&mut self, ctx: &mut Context<'_>, bars: &BarSlice<'_>) -> StrategyResult {
        (**self).on_bars(ctx, bars)
    }
    fn on_timestamp(&mut self, ctx: &mut Context<'_>, bars: &BarSlice<'_>) -> StrategyResult {
        (**self).on_timestamp(ctx, bars)
    }
    fn on_fill(&mut self, ctx: &mut Context<'_>, fill: &Fill) -> StrategyResult {
        (**self).on_fill(ctx, fill)
    }
    fn on_end(&mut self, ctx: &mut Context<'_>) -> StrategyResult {
        (**self).on_end(ctx)
    }
    fn skip_quiet(&mut self, ctx: &Context<'_>, bars: &Bars, next: usize) -> usize {
        (**self).skip_quiet(ctx, bars, next)
    }
    fn fast_forwards(&self) -> bool {
        (**self).fast_forwards()
    }
    fn market_exit_reason(&self) -> &'static str {
        (**self).market_exit_reason()
    }
    fn compiled_rules(&mut self) -> Option<&mut rules::CompiledRules> {
        (**self).compiled_rules()
    }
}
