//! Level 3: a compiled rule filter in front of a callback strategy. The filter (masks computed
//! once, plus any position rules per bar) decides on which bars the callback runs at all; between
//! those bars the engine fast-forwards. The callback sees only the bars that pass.
//!
//! ```no_run
//! # use ml4t_engine::{backtest, execution::BrokerConfig, market::Bars};
//! # use ml4t_engine::strategy::{hybrid::Hybrid, reference::MlThreshold, rules::Rule};
//! # fn demo(bars: &Bars) -> Result<(), Box<dyn std::error::Error>> {
//! // Compiled part: only bars with a strong prediction, or where a position must be managed.
//! let filter = [Rule::any([Rule::signal_above("ml_pred", 0.8), Rule::InPosition])];
//! // Callback part: any `Strategy`.
//! let callback = MlThreshold::scenario("S2").ok_or("no such scenario")?;
//! let mut hybrid = Hybrid::compile(&filter, bars, callback)?;
//! let run = backtest(bars, &mut hybrid, BrokerConfig::default())?;
//! # Ok(()) }
//! ```

use super::rules::{AssetState, CompiledCondition, InterpretedRules, Rule, RuleError, SignalStrategy, scan_quiet};
use super::{Context, Strategy, StrategyResult};
use crate::execution::Fill;
use crate::market::{Bar, BarSlice, Bars, BarsId};

/// A callback strategy `S` behind a compiled rule filter.
pub struct Hybrid<S> {
    filter: CompiledCondition,
    callback: S,
    state: Vec<AssetState>,
    passed: bool,
    /// The data the filter's masks were computed for.
    source: BarsId,
}

impl<S: Strategy> Hybrid<S> {
    /// Compiles "all of `filter`" for `bars` and puts it in front of `callback`.
    pub fn compile(filter: &[Rule], bars: &Bars, callback: S) -> Result<Self, RuleError> {
        // The filter is validated like an entry list (which also requires at least one rule).
        let check = super::rules::SignalStrategy {
            entry: filter.to_vec(),
            ..Default::default()
        };
        check.validate(bars.signal_names(), bars.assets().len())?;
        Ok(Hybrid {
            filter: CompiledCondition::new(filter, bars, true),
            callback,
            state: vec![AssetState::default(); bars.assets().len()],
            passed: false,
            source: bars.id(),
        })
    }

    /// The callback strategy.
    pub fn callback(&self) -> &S {
        &self.callback
    }

    fn is_source(&self, bars: &Bars) -> bool {
        bars.id() == self.source
    }
}

impl<S: Strategy> Strategy for Hybrid<S> {
    fn on_start(&mut self, ctx: &mut Context<'_>) -> StrategyResult {
        self.callback.on_start(ctx)
    }

    fn on_fill(&mut self, ctx: &mut Context<'_>, fill: &Fill) -> StrategyResult {
        self.state[fill.asset.index()].on_fill(fill);
        self.callback.on_fill(ctx, fill)
    }

    #[inline]
    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: Bar<'_>) -> StrategyResult {
        if !self.is_source(bar.source()) {
            return Err("this hybrid's filter was compiled for other data; compile it for this data".into());
        }
        let asset = bar.asset();
        let qty = ctx.position(asset);
        let st = &mut self.state[asset.index()];
        st.on_bar(qty, bar.close());
        if self
            .filter
            .holds(bar.row(), qty, ctx.position_info(asset).avg_price, bar.close(), st)
        {
            self.passed = true;
            self.callback.on_bar(ctx, bar)?;
        }
        Ok(())
    }

    fn on_timestamp(&mut self, ctx: &mut Context<'_>, bars: &BarSlice<'_>) -> StrategyResult {
        if std::mem::take(&mut self.passed) {
            self.callback.on_timestamp(ctx, bars)?;
        }
        Ok(())
    }

    fn on_end(&mut self, ctx: &mut Context<'_>) -> StrategyResult {
        self.callback.on_end(ctx)
    }

    fn fast_forwards(&self) -> bool {
        true
    }

    fn skip_quiet(&mut self, ctx: &Context<'_>, bars: &Bars, next: usize) -> usize {
        if !self.is_source(bars) {
            return 0;
        }
        if self.filter.is_stateless() {
            // Position state is never read by a stateless filter: jump to the next passing row.
            return match self.filter.next_row(bars.timestamp_start(next), bars.len()) {
                Some(row) => bars.timestamp_of_row(row, next) - next,
                None => bars.n_timestamps() - next,
            };
        }
        let filter = &self.filter;
        scan_quiet(ctx, bars, next, &mut self.state, |row, qty, avg, close, st| {
            filter.holds(row, qty, avg, close, st)
        })
    }
}

/// The same filter-then-callback strategy for feeds that yield one timestamp at a time (live):
/// the filter runs interpreted, bar by bar, and gives the trades of [`Hybrid`] on the same bars.
pub struct LiveHybrid<S> {
    filter: InterpretedRules,
    callback: S,
    passed: Vec<bool>,
}

impl<S: Strategy> LiveHybrid<S> {
    /// "All of `filter`" in front of `callback`, for data with these signal columns and assets.
    pub fn new(filter: &[Rule], signal_names: &[String], n_assets: usize, callback: S) -> Result<Self, RuleError> {
        let rules = SignalStrategy {
            entry: filter.to_vec(),
            ..Default::default()
        };
        Ok(LiveHybrid {
            filter: rules.interpret(signal_names, n_assets)?,
            callback,
            passed: Vec::new(),
        })
    }

    /// The callback strategy.
    pub fn callback(&self) -> &S {
        &self.callback
    }
}

impl<S: Strategy> Strategy for LiveHybrid<S> {
    fn on_start(&mut self, ctx: &mut Context<'_>) -> StrategyResult {
        self.filter.on_start(ctx)?;
        self.callback.on_start(ctx)
    }

    fn on_fill(&mut self, ctx: &mut Context<'_>, fill: &Fill) -> StrategyResult {
        self.filter.on_fill(ctx, fill)?;
        self.callback.on_fill(ctx, fill)
    }

    /// The whole timestamp at once: orders apply only after all callbacks of a timestamp, so
    /// calling the callback's `on_bar` here, in name order, is the same as from the bar loop.
    fn on_timestamp(&mut self, ctx: &mut Context<'_>, bars: &BarSlice<'_>) -> StrategyResult {
        let mut passed = std::mem::take(&mut self.passed);
        self.filter.filter_timestamp(ctx, bars, &mut passed);
        let mut any = false;
        for (bar, ok) in bars.iter().zip(&passed) {
            if *ok {
                any = true;
                self.callback.on_bar(ctx, bar)?;
            }
        }
        self.passed = passed;
        if any {
            self.callback.on_timestamp(ctx, bars)?;
        }
        Ok(())
    }

    fn on_end(&mut self, ctx: &mut Context<'_>) -> StrategyResult {
        self.callback.on_end(ctx)
    }
}
