//! Strategies (level 2: event callbacks). A strategy reads bars and the account through a
//! [`Context`] and produces order requests; it never touches the broker or portfolio itself.

mod context;
/// The reference scenarios S0..S3C as a parameterised strategy.
pub mod reference;

pub use context::{Context, Request};

use super::market::{Bar, BarSlice};
use super::results::Fill;

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
/// at the open, `on_bar` for each asset's bar (name order), then `on_timestamp` with all bars.
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
    /// All bars of one timestamp, after `on_bar`: for cross-sectional logic (ranking assets).
    fn on_timestamp(&mut self, ctx: &mut Context<'_>, bars: &BarSlice<'_>) -> StrategyResult {
        let _ = (ctx, bars);
        Ok(())
    }
    /// Each execution, right after it happened (before the bar's `on_bar`).
    fn on_fill(&mut self, ctx: &mut Context<'_>, fill: &Fill) -> StrategyResult {
        let _ = (ctx, fill);
        Ok(())
    }
    /// Once after the last bar.
    fn on_end(&mut self, ctx: &mut Context<'_>) -> StrategyResult {
        let _ = ctx;
        Ok(())
    }
}

impl<S: Strategy + ?Sized> Strategy for Box<S> {
    fn on_start(&mut self, ctx: &mut Context<'_>) -> StrategyResult {
        (**self).on_start(ctx)
    }
    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: Bar<'_>) -> StrategyResult {
        (**self).on_bar(ctx, bar)
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
}
