//! [`ScriptStrategy`]: a [`Script`] driven by the engine's callbacks.

use std::sync::Arc;

use rhai::{Dynamic, ImmutableString};

use super::api::{self, CtxShared, OrderCall, ScriptBar, ScriptCtx, ScriptFill};
use super::caller::Caller;
use super::{Script, error};
use crate::engine::market::{Bar, BarSlice};
use crate::engine::results::Fill;
use crate::engine::strategy::{Context, Strategy, StrategyError, StrategyResult};
use crate::engine::types::{Side, TimestampNs};

/// A script as a [`Strategy`]. The Rhai engine and its API are set up in `on_start`, once per
/// run, when the data's signal and asset names are known; the script itself was compiled once
/// by [`Script::compile`].
///
/// ```no_run
/// # use ml4t_backtest::engine::{backtest, broker::BrokerConfig, market::Bars};
/// # use ml4t_backtest::script::{Script, ScriptStrategy};
/// # fn demo(bars: &Bars) -> Result<(), Box<dyn std::error::Error>> {
/// let script = Script::compile(
///     "fn on_bar(bar, ctx) { if ctx.position() == 0.0 && bar.ml_pred > 0.8 { ctx.buy_percent(0.95); } }",
///     "inline.rhai",
/// )?;
/// let run = backtest(bars, &mut ScriptStrategy::new(script), BrokerConfig::default())?;
/// # Ok(()) }
/// ```
pub struct ScriptStrategy {
    script: Script,
    run: Option<Run>,
}

/// Per-run state: everything the hot path reuses.
struct Run {
    caller: Caller,
    /// The `bar` argument: one shared value updated in place for every bar, so passing it to the
    /// script is a reference-count increment, not an allocation. Rhai copies it on `let` and on
    /// assignment, so a kept bar does not change under the script's feet.
    bar: Dynamic,
    /// The `ctx` argument (shared, like `bar`), and the order queue its copies share.
    ctx: Dynamic,
    queue: Arc<CtxShared>,
    n_signals: usize,
    /// (bar index, timestamp) of the last account snapshot.
    snapshot_of: Option<(usize, TimestampNs)>,
    /// Order calls taken from the queue, replayed outside the lock.
    orders: Vec<OrderCall>,
}

impl ScriptStrategy {
    pub fn new(script: Script) -> Self {
        ScriptStrategy { script, run: None }
    }

    pub fn script(&self) -> &Script {
        &self.script
    }
}

fn started(run: &mut Option<Run>) -> Result<&mut Run, StrategyError> {
    run.as_mut()
        .ok_or_else(|| StrategyError("script strategy: a callback before on_start".into()))
}

impl Run {
    /// Sets up the engine and runs the script's top-level code.
    fn new(script: &Script, ctx: &Context<'_>) -> Result<Run, StrategyError> {
        let names: Arc<[ImmutableString]> = ctx.assets().iter().map(|s| ImmutableString::from(s.as_str())).collect();
        let mut engine = api::sandboxed_engine(&script.limits);
        api::register(&mut engine, ctx.signal_names(), names.clone(), &script.origin);
        let caller = Caller::new(engine, &script.ast, script.limits.max_call_levels).map_err(|e| {
            StrategyError(error::runtime_error(
                &script.origin,
                "top-level code",
                Some((1, 1)),
                &e,
                &script.limits,
            ))
        })?;
        let ctx_value = ScriptCtx::new(names);
        let queue = ctx_value.shared.clone();
        let bar = ScriptBar {
            signals: Vec::with_capacity(ctx.signal_names().len()),
            ..ScriptBar::default()
        };
        Ok(Run {
            caller,
            bar: Dynamic::from(bar).into_shared(),
            ctx: Dynamic::from(ctx_value).into_shared(),
            queue,
            n_signals: ctx.signal_names().len(),
            snapshot_of: None,
            orders: Vec::new(),
        })
    }

    /// Refreshes the account snapshot when the engine moved to another timestamp (or always, for
    /// `on_start`/`on_end`), and sets the asset the argument-less helpers act on.
    #[inline]
    fn prepare(&mut self, ctx: &Context<'_>, current: Option<crate::engine::types::AssetId>, always: bool) {
        let key = (ctx.bar_index(), ctx.ts());
        let Some(mut s) = self.ctx.write_lock::<ScriptCtx>() else {
            return;
        };
        if always || self.snapshot_of != Some(key) {
            s.refresh(ctx);
            self.snapshot_of = if always { None } else { Some(key) };
        }
        s.current = current;
    }

    /// Calls `name` with `args`, then replays the queued orders on `ctx`.
    #[inline]
    fn call<const N: usize>(
        &mut self,
        script: &Script,
        ctx: &mut Context<'_>,
        name: &'static str,
        args: [Dynamic; N],
    ) -> StrategyResult {
        let result = self.caller.call(name, args);
        self.queue.take_orders(&mut self.orders);
        // A failed call places nothing: the run stops anyway.
        if let Err(e) = result {
            self.orders.clear();
            let definition = script
                .definitions
                .iter()
                .find(|(n, ..)| *n == name)
                .map(|&(_, l, c)| (l, c));
            return Err(StrategyError(error::runtime_error(
                &script.origin,
                name,
                definition,
                &e,
                &script.limits,
            )));
        }
        for o in self.orders.drain(..) {
            o.apply(ctx);
        }
        Ok(())
    }
}

impl Strategy for ScriptStrategy {
    fn on_start(&mut self, ctx: &mut Context<'_>) -> StrategyResult {
        let mut run = Run::new(&self.script, ctx)?;
        if self.script.hooks.on_start {
            run.prepare(ctx, None, true);
            let c = run.ctx.clone();
            run.call(&self.script, ctx, "on_start", [c])?;
        }
        self.run = Some(run);
        Ok(())
    }

    fn on_fill(&mut self, ctx: &mut Context<'_>, fill: &Fill) -> StrategyResult {
        if !self.script.hooks.on_fill {
            return Ok(());
        }
        let script = &self.script;
        let run = started(&mut self.run)?;
        run.prepare(ctx, Some(fill.asset), false);
        let f = ScriptFill {
            asset: ctx.asset_name(fill.asset).into(),
            side: match fill.side {
                Side::Buy => "buy".into(),
                Side::Sell => "sell".into(),
            },
            qty: fill.qty,
            price: fill.price,
            commission: fill.commission,
            ts: fill.ts.0,
            position_after: fill.position_after,
        };
        let c = run.ctx.clone();
        run.call(script, ctx, "on_fill", [Dynamic::from(f), c])
    }

    #[inline]
    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: Bar<'_>) -> StrategyResult {
        if !self.script.hooks.on_bar {
            return Ok(());
        }
        let run = started(&mut self.run)?;
        run.prepare(ctx, Some(bar.asset()), false);
        if let Some(mut b) = run.bar.write_lock::<ScriptBar>() {
            b.load(&bar, run.n_signals);
        }
        let args = [run.bar.clone(), run.ctx.clone()];
        run.call(&self.script, ctx, "on_bar", args)
    }

    fn on_timestamp(&mut self, ctx: &mut Context<'_>, bars: &BarSlice<'_>) -> StrategyResult {
        if !self.script.hooks.on_timestamp {
            return Ok(());
        }
        let script = &self.script;
        let run = started(&mut self.run)?;
        run.prepare(ctx, None, false);
        let n = run.n_signals;
        let array: rhai::Array = bars
            .iter()
            .map(|b| {
                let mut sb = ScriptBar::default();
                sb.load(&b, n);
                Dynamic::from(sb)
            })
            .collect();
        let c = run.ctx.clone();
        run.call(script, ctx, "on_timestamp", [Dynamic::from_array(array), c])
    }

    fn on_end(&mut self, ctx: &mut Context<'_>) -> StrategyResult {
        if !self.script.hooks.on_end {
            return Ok(());
        }
        let script = &self.script;
        let run = started(&mut self.run)?;
        run.prepare(ctx, None, true);
        let c = run.ctx.clone();
        run.call(script, ctx, "on_end", [c])
    }
}
