//! [`ScriptStrategy`]: a [`Script`] driven by the engine's callbacks.

use std::mem;
use std::sync::Arc;

use rhai::{Dynamic, ImmutableString};

use super::api::{self, OrderCall, ScriptBar, ScriptCtx, ScriptFill};
use super::caller::Caller;
use super::{Script, error};
use ml4t_engine::execution::Fill;
use ml4t_engine::market::{Bar, BarSlice};
use ml4t_engine::strategy::{Context, Strategy, StrategyError, StrategyResult};
use ml4t_engine::types::{AssetId, Side};

/// A script as a [`Strategy`]. The Rhai engine and its API are set up in `on_start`, once per
/// run, when the data's signal and asset names are known; the script itself was compiled once
/// by [`Script::compile`].
///
/// ```no_run
/// # use ml4t_engine::{backtest, execution::BrokerConfig, market::Bars};
/// # use ml4t_script::{Script, ScriptStrategy};
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
    print: Option<crate::PrintSink>,
}

/// Per-run state: everything the hot path reuses.
struct Run {
    caller: Caller,
    /// What a new `ctx` argument is copied from (its copies share the state and order queue).
    ctx: ScriptCtx,
    n_signals: usize,
    /// Order calls taken from the queue, replayed outside the lock.
    orders: Vec<OrderCall>,
}

/// A callback's argument before `ctx`.
enum FirstArg<'a> {
    /// None: on_start and on_end take only `ctx`.
    None,
    /// `on_bar`'s bar, loaded in place into the variable the script sees: no allocation, and a
    /// plain value (a shared one would cost a lock and reference counting on every access).
    Bar(&'a Bar<'a>),
    Value(Dynamic),
}

impl ScriptStrategy {
    pub fn new(script: Script) -> Self {
        ScriptStrategy {
            script,
            run: None,
            print: None,
        }
    }

    /// Sends the script's `print` and `debug` lines to `sink` instead of stderr.
    pub fn with_print(mut self, sink: crate::PrintSink) -> Self {
        self.print = Some(sink);
        self
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
    fn new(script: &Script, ctx: &Context<'_>, print: Option<crate::PrintSink>) -> Result<Run, StrategyError> {
        let names: Arc<[ImmutableString]> = ctx.assets().iter().map(|s| ImmutableString::from(s.as_str())).collect();
        let mut engine = api::sandboxed_engine(&script.limits);
        api::register(&mut engine, ctx.signal_names(), names.clone(), &script.origin, print);
        let caller = Caller::new(engine, &script.ast, script.limits.max_call_levels).map_err(|e| {
            StrategyError(error::runtime_error(
                &script.origin,
                "top-level code",
                Some((1, 1)),
                &e,
                &script.limits,
            ))
        })?;
        Ok(Run {
            caller,
            ctx: ScriptCtx::new(names),
            n_signals: ctx.signal_names().len(),
            orders: Vec::new(),
        })
    }

    /// Calls `name` with `first` (if it takes two arguments) and `ctx` as of now, acting on
    /// `current` (`always`: with the account copied anew, for on_start and on_end), then replays
    /// the queued orders on `ctx`.
    #[inline]
    fn call(
        &mut self,
        script: &Script,
        ctx: &mut Context<'_>,
        name: &'static str,
        mut first: FirstArg<'_>,
        current: Option<AssetId>,
        always: bool,
    ) -> StrategyResult {
        let ctx_at = usize::from(!matches!(first, FirstArg::None));
        let (template, n_signals, now) = (&self.ctx, self.n_signals, &*ctx);
        let result = self.caller.call(name, |k, slot| {
            if k == ctx_at {
                ScriptCtx::load_into(slot, template, now, current, always);
            } else {
                match &mut first {
                    FirstArg::Bar(bar) => ScriptBar::load_into(slot, bar, n_signals),
                    FirstArg::Value(v) => *slot = mem::take(v),
                    FirstArg::None => {}
                }
            }
        });
        self.ctx.shared.take_orders(&mut self.orders);
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
        let mut run = Run::new(&self.script, ctx, self.print.clone())?;
        if self.script.hooks.on_start {
            run.call(&self.script, ctx, "on_start", FirstArg::None, None, true)?;
        }
        self.run = Some(run);
        Ok(())
    }

    fn on_fill(&mut self, ctx: &mut Context<'_>, fill: &Fill) -> StrategyResult {
        if !self.script.hooks.on_fill {
            return Ok(());
        }
        let run = started(&mut self.run)?;
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
        let f = FirstArg::Value(Dynamic::from(f));
        run.call(&self.script, ctx, "on_fill", f, Some(fill.asset), false)
    }

    #[inline]
    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: Bar<'_>) -> StrategyResult {
        if !self.script.hooks.on_bar {
            return Ok(());
        }
        let run = started(&mut self.run)?;
        let asset = bar.asset();
        run.call(&self.script, ctx, "on_bar", FirstArg::Bar(&bar), Some(asset), false)
    }

    fn on_timestamp(&mut self, ctx: &mut Context<'_>, bars: &BarSlice<'_>) -> StrategyResult {
        if !self.script.hooks.on_timestamp {
            return Ok(());
        }
        let run = started(&mut self.run)?;
        let n = run.n_signals;
        let array: rhai::Array = bars
            .iter()
            .map(|b| {
                let mut sb = ScriptBar::default();
                sb.load(&b, n);
                Dynamic::from(sb)
            })
            .collect();
        let bars = FirstArg::Value(Dynamic::from_array(array));
        run.call(&self.script, ctx, "on_timestamp", bars, None, false)
    }

    fn on_end(&mut self, ctx: &mut Context<'_>) -> StrategyResult {
        if !self.script.hooks.on_end {
            return Ok(());
        }
        let run = started(&mut self.run)?;
        run.call(&self.script, ctx, "on_end", FirstArg::None, None, true)
    }
}
