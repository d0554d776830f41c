//! What a script sees: the `bar`, `fill` and `ctx` types and the sandboxed Rhai engine.
//!
//! The bridge to the borrowed Rust [`Context`]: the script never holds it. Before a callback the
//! strategy copies what the script may read into [`ScriptCtx`] (a snapshot of the account, taken
//! once per timestamp: within a timestamp the portfolio does not change, since fills happen at
//! the open and orders are only submitted after the callbacks), and the script's order calls go
//! into a queue that every copy of `ctx` shares. After the script returns, the queue is replayed
//! on the real `Context` in call order, through the same helpers a Rust strategy calls. So a
//! script sees exactly what a Rust strategy sees and places exactly the orders it would; nothing
//! borrowed outlives a call, and no `unsafe` is needed. The snapshot is read without locks (Rhai
//! hands the methods `&mut ScriptCtx`); only order calls and `ctx.asset_state` take a mutex.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rhai::{Array, Dynamic, Engine, EvalAltResult, FLOAT, INT, ImmutableString, Map};

use super::ScriptLimits;
use ml4t_engine::market::Bar;
use ml4t_engine::strategy::Context;
use ml4t_engine::types::{AssetId, SignalId, TimestampNs};

type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

/// The engine with the sandbox settings only (used to compile; the run adds the API).
pub(super) fn sandboxed_engine(limits: &ScriptLimits) -> Engine {
    let mut e = Engine::new();
    e.set_max_operations(limits.max_operations)
        .set_max_string_size(limits.max_string_size)
        .set_max_array_size(limits.max_array_size)
        .set_max_map_size(limits.max_map_size)
        .set_max_call_levels(limits.max_call_levels)
        .set_max_expr_depths(limits.max_expr_depth, limits.max_expr_depth)
        .set_max_variables(limits.max_variables)
        .set_max_functions(256);
    // `eval` compiles text at run time: nothing a strategy needs, and it would escape the
    // compile-time checks.
    e.disable_symbol("eval");
    e.on_print(|_| {});
    e.on_debug(|_, _, _| {});
    e
}

/// One bar as the script sees it. Signal values are copied in (a handful of floats); `on_bar`
/// reuses one `ScriptBar` for every bar, so the copy does not allocate. Rhai copies it on `let`
/// and on assignment, so a kept bar does not change under the script's feet.
#[derive(Debug, Clone, Default)]
pub(super) struct ScriptBar {
    pub ts: i64,
    pub asset: u32,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
    pub signals: Vec<f64>,
}

impl ScriptBar {
    /// Loads `bar` into the `ScriptBar` that `slot` holds, or puts a new one there.
    #[inline]
    pub fn load_into(slot: &mut Dynamic, bar: &Bar<'_>, n_signals: usize) {
        if let Some(mut b) = slot.write_lock::<ScriptBar>() {
            b.load(bar, n_signals);
            return;
        }
        let mut b = ScriptBar::default();
        b.load(bar, n_signals);
        *slot = Dynamic::from(b);
    }

    /// Overwrites this bar with `bar`'s values, keeping the signal buffer.
    #[inline]
    pub fn load(&mut self, bar: &Bar<'_>, n_signals: usize) {
        self.ts = bar.ts().0;
        self.asset = bar.asset().0;
        self.open = bar.open();
        self.high = bar.high();
        self.low = bar.low();
        self.close = bar.close();
        self.volume = bar.volume();
        self.signals.clear();
        self.signals
            .extend((0..n_signals).map(|i| bar.signal(SignalId(i as u32))));
    }
}

/// One execution as `on_fill` sees it.
#[derive(Debug, Clone)]
pub(super) struct ScriptFill {
    pub asset: ImmutableString,
    pub side: ImmutableString,
    pub qty: f64,
    pub price: f64,
    pub commission: f64,
    pub ts: i64,
    pub position_after: f64,
}

/// The order helpers a script can call; replayed on the real `Context` after the callback.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum OrderCall {
    Buy(AssetId, f64),
    Sell(AssetId, f64),
    SellShort(AssetId, f64),
    BuyPercent(AssetId, f64),
    SellPercent(AssetId, f64),
    ClosePosition(AssetId),
    ReducePosition(AssetId, f64),
    TargetPercent(AssetId, f64),
    TargetQty(AssetId, f64),
    TargetWeights(Vec<(AssetId, f64)>),
}

impl OrderCall {
    #[inline]
    pub fn apply(self, ctx: &mut Context<'_>) {
        match self {
            OrderCall::Buy(a, q) => ctx.buy(a, q),
            OrderCall::Sell(a, q) => ctx.sell(a, q),
            OrderCall::SellShort(a, q) => ctx.sell_short(a, q),
            OrderCall::BuyPercent(a, p) => ctx.buy_percent(a, p),
            OrderCall::SellPercent(a, p) => ctx.sell_percent(a, p),
            OrderCall::ClosePosition(a) => ctx.close_position(a),
            OrderCall::ReducePosition(a, q) => ctx.reduce_position(a, q),
            OrderCall::TargetPercent(a, p) => ctx.order_target_percent(a, p),
            OrderCall::TargetQty(a, q) => ctx.order_target_qty(a, q),
            OrderCall::TargetWeights(w) => {
                ctx.order_target_weights(&w);
                None
            }
        };
    }
}

/// What every copy of a `ctx` shares: the order queue and the per-asset state maps. Rhai copies
/// values passed to script functions, so `fn enter(ctx) { ctx.buy_percent(0.5) }` works on a
/// copy of `ctx`; its order must still reach the queue.
pub(super) struct CtxShared {
    /// Set when `orders` is not empty, so that a callback without orders costs no lock.
    pending: AtomicBool,
    orders: Mutex<Vec<OrderCall>>,
    /// `ctx.asset_state`, created on first use.
    asset_state: Mutex<Vec<Option<Dynamic>>>,
}

impl CtxShared {
    /// Moves the queued order calls into `out` (empty on return when none were queued).
    #[inline]
    pub fn take_orders(&self, out: &mut Vec<OrderCall>) {
        if self.pending.swap(false, Ordering::Acquire) {
            std::mem::swap(out, &mut lock(&self.orders));
        }
    }
}

/// A panic while holding one of these locks cannot leave a half-written value that matters later
/// (the run stops on any error), so poisoning is ignored.
#[inline]
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What `ctx` reads of the account, copied from the Rust [`Context`].
#[derive(Clone)]
struct Account {
    qty: Vec<f64>,
    avg: Vec<f64>,
    last: Vec<f64>,
    held: Vec<AssetId>,
    cash: f64,
    equity: f64,
    can_trade: bool,
    ts: i64,
    bar_index: usize,
    /// (bar index, timestamp) the copy was taken at; `None` forces the next refresh.
    of: Option<(usize, TimestampNs)>,
}

impl Account {
    fn new(n: usize) -> Self {
        Account {
            qty: vec![0.0; n],
            avg: vec![0.0; n],
            last: vec![f64::NAN; n],
            held: Vec::new(),
            cash: 0.0,
            equity: 0.0,
            can_trade: false,
            ts: 0,
            bar_index: 0,
            of: None,
        }
    }

    /// Copies what the script can read from the account. O(assets).
    fn refresh(&mut self, ctx: &Context<'_>) {
        for &a in &self.held {
            self.qty[a.index()] = 0.0;
            self.avg[a.index()] = 0.0;
        }
        self.held.clear();
        for (a, q) in ctx.positions() {
            if let Some(slot) = self.qty.get_mut(a.index()) {
                *slot = q;
                self.avg[a.index()] = ctx.position_info(a).avg_price;
                self.held.push(a);
            }
        }
        for (i, p) in self.last.iter_mut().enumerate() {
            *p = ctx.price(AssetId(i as u32));
        }
        self.cash = ctx.cash();
        self.equity = ctx.equity();
        self.can_trade = ctx.can_trade();
        self.ts = ctx.ts().0;
        self.bar_index = ctx.bar_index();
    }
}

/// `ctx`: the account snapshot, the persistent `ctx.state` map and a handle on the shared order
/// queue. A plain (not shared) value: the script's reads cost no lock; copies (a helper function's
/// argument) share the snapshot until the next refresh, the state and the queue.
#[derive(Clone)]
pub(super) struct ScriptCtx {
    pub names: Arc<[ImmutableString]>,
    account: Arc<Account>,
    /// The asset the argument-less helpers act on: the bar's (on_bar) or the fill's (on_fill).
    current: Option<AssetId>,
    /// `ctx.state`: a shared map, so `ctx.state.x = 1` writes through (and copies share it).
    state: Dynamic,
    pub shared: Arc<CtxShared>,
}

impl ScriptCtx {
    pub fn new(names: Arc<[ImmutableString]>) -> Self {
        let n = names.len();
        ScriptCtx {
            names,
            account: Arc::new(Account::new(n)),
            current: None,
            state: Dynamic::from_map(Map::new()).into_shared(),
            shared: Arc::new(CtxShared {
                pending: AtomicBool::new(false),
                orders: Mutex::new(Vec::new()),
                asset_state: Mutex::new(vec![None; n]),
            }),
        }
    }

    /// Puts the `ctx` argument into `slot`, in place when it holds the last call's `ctx` (no
    /// allocation), else as a copy of `template`: the account as of `ctx` (refreshed when the
    /// engine moved to another timestamp, or always when `always`), acting on `current`.
    #[inline]
    pub fn load_into(
        slot: &mut Dynamic,
        template: &ScriptCtx,
        ctx: &Context<'_>,
        current: Option<AssetId>,
        always: bool,
    ) {
        if let Some(mut c) = slot.write_lock::<ScriptCtx>() {
            c.load(ctx, current, always);
            return;
        }
        let mut c = template.clone();
        c.load(ctx, current, always);
        *slot = Dynamic::from(c);
    }

    /// Within a timestamp the account does not change (fills happen at the open, orders are only
    /// submitted after the callbacks), so one copy serves all of its callbacks.
    #[inline]
    fn load(&mut self, ctx: &Context<'_>, current: Option<AssetId>, always: bool) {
        let key = (ctx.bar_index(), ctx.ts());
        if always || self.account.of != Some(key) {
            let account = Arc::make_mut(&mut self.account);
            account.refresh(ctx);
            account.of = if always { None } else { Some(key) };
        }
        self.current = current;
    }

    #[inline]
    fn push_order(&self, call: OrderCall) {
        lock(&self.shared.orders).push(call);
        self.shared.pending.store(true, Ordering::Release);
    }

    fn asset(&self, name: Option<&str>) -> RhaiResult<AssetId> {
        match name {
            None => self.current.ok_or_else(|| {
                "this helper acts on the current bar's asset, and there is none here (only on_bar and \
                 on_fill have one); name the asset, e.g. ctx.position(\"AAPL\")"
                    .into()
            }),
            Some(n) => {
                if let Some(c) = self.current
                    && self.names[c.index()] == n
                {
                    return Ok(c);
                }
                self.names
                    .iter()
                    .position(|s| s == n)
                    .map(|i| AssetId(i as u32))
                    .ok_or_else(|| {
                        let all: Vec<&str> = self.names.iter().map(|s| s.as_str()).collect();
                        format!("unknown asset '{n}'; the data has: {}", all.join(", ")).into()
                    })
            }
        }
    }

    #[inline]
    fn position(&self, a: AssetId) -> f64 {
        self.account.qty[a.index()]
    }
    #[inline]
    fn position_value(&self, a: AssetId) -> f64 {
        let q = self.account.qty[a.index()];
        if q == 0.0 {
            0.0
        } else {
            q * self.account.last[a.index()]
        }
    }
    #[inline]
    fn unrealized_pnl(&self, a: AssetId) -> f64 {
        let (q, acc) = (self.account.qty[a.index()], &self.account);
        if q == 0.0 {
            0.0
        } else {
            q * (acc.last[a.index()] - acc.avg[a.index()])
        }
    }
    #[inline]
    fn unrealized_pnl_pct(&self, a: AssetId) -> f64 {
        let (q, acc) = (self.account.qty[a.index()], &self.account);
        if q == 0.0 {
            return 0.0;
        }
        let r = acc.last[a.index()] / acc.avg[a.index()] - 1.0;
        if q > 0.0 { r } else { -r }
    }
}

/// Registers the script API for data with these signal columns.
pub(super) fn register(
    engine: &mut Engine,
    signal_names: &[String],
    names: Arc<[ImmutableString]>,
    origin: &str,
    print: Option<crate::PrintSink>,
) {
    register_bar(engine, signal_names, names.clone());
    register_fill(engine);
    register_ctx(engine);
    let sink: crate::PrintSink = print.unwrap_or_else(|| Arc::new(|line: &str| eprintln!("{line}")));
    let (o, o2, sink2) = (Arc::<str>::from(origin), Arc::<str>::from(origin), sink.clone());
    engine.on_print(move |s| sink(&format!("{o}: {s}")));
    engine.on_debug(move |s, _, pos| match pos.line() {
        Some(l) => sink2(&format!("{o2}:{l}: {s}")),
        None => sink2(&format!("{o2}: {s}")),
    });
}

/// Names the bar type already uses; signals with these names stay reachable by index.
const BAR_FIELDS: [&str; 10] = [
    "ts",
    "timestamp",
    "asset",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "index",
    "signal",
];

fn register_bar(engine: &mut Engine, signal_names: &[String], names: Arc<[ImmutableString]>) {
    engine.register_type_with_name::<ScriptBar>("Bar");
    engine.register_get("ts", |b: &mut ScriptBar| b.ts as INT);
    engine.register_get("timestamp", |b: &mut ScriptBar| TimestampNs(b.ts).to_iso());
    let bar_names = names.clone();
    engine.register_get("asset", move |b: &mut ScriptBar| {
        bar_names.get(b.asset as usize).cloned().unwrap_or_default()
    });
    engine.register_get("open", |b: &mut ScriptBar| b.open as FLOAT);
    engine.register_get("high", |b: &mut ScriptBar| b.high as FLOAT);
    engine.register_get("low", |b: &mut ScriptBar| b.low as FLOAT);
    engine.register_get("close", |b: &mut ScriptBar| b.close as FLOAT);
    engine.register_get("volume", |b: &mut ScriptBar| b.volume as FLOAT);
    // One getter per signal column, its id captured: `bar.ml_pred` costs no name lookup.
    for (i, name) in signal_names.iter().enumerate() {
        if BAR_FIELDS.contains(&name.as_str()) {
            continue;
        }
        engine.register_get(name, move |b: &mut ScriptBar| {
            b.signals.get(i).copied().unwrap_or(f64::NAN)
        });
    }
    // By name at run time (`bar["ml-pred"]`, `bar.signal(name)`, and unknown properties, which
    // Rhai routes to the indexer): a search of a small table of names.
    let table: Arc<[String]> = signal_names.into();
    let t2 = table.clone();
    engine.register_indexer_get(move |b: &mut ScriptBar, name: ImmutableString| column(b, &table, &name));
    engine.register_fn("signal", move |b: &mut ScriptBar, name: ImmutableString| {
        column(b, &t2, &name)
    });
    engine.register_fn("to_string", move |b: &mut ScriptBar| {
        let asset = names.get(b.asset as usize).map_or("?", |s| s.as_str());
        format!("Bar({asset} {} close {})", TimestampNs(b.ts).to_iso(), b.close)
    });
}

fn column(b: &ScriptBar, signal_names: &[String], name: &str) -> RhaiResult<FLOAT> {
    Ok(match name {
        "open" => b.open,
        "high" => b.high,
        "low" => b.low,
        "close" => b.close,
        "volume" => b.volume,
        _ => match signal_names.iter().position(|s| s == name) {
            Some(i) => b.signals.get(i).copied().unwrap_or(f64::NAN),
            None => {
                return Err(format!(
                    "the bar has no column '{name}'; it has: open, high, low, close, volume{}{}",
                    if signal_names.is_empty() { "" } else { ", " },
                    signal_names.join(", ")
                )
                .into());
            }
        },
    })
}

fn register_fill(engine: &mut Engine) {
    engine.register_type_with_name::<ScriptFill>("Fill");
    engine.register_get("asset", |f: &mut ScriptFill| f.asset.clone());
    engine.register_get("side", |f: &mut ScriptFill| f.side.clone());
    engine.register_get("qty", |f: &mut ScriptFill| f.qty as FLOAT);
    engine.register_get("price", |f: &mut ScriptFill| f.price as FLOAT);
    engine.register_get("commission", |f: &mut ScriptFill| f.commission as FLOAT);
    engine.register_get("ts", |f: &mut ScriptFill| f.ts as INT);
    engine.register_get("timestamp", |f: &mut ScriptFill| TimestampNs(f.ts).to_iso());
    engine.register_get("position_after", |f: &mut ScriptFill| f.position_after as FLOAT);
}

/// `ctx.name(x)` (current asset) and `ctx.name("ASSET", x)`, for float and integer `x`.
fn register_order(engine: &mut Engine, name: &str, make: fn(AssetId, f64) -> OrderCall) {
    fn push(c: &ScriptCtx, name: Option<&str>, x: f64, make: fn(AssetId, f64) -> OrderCall) -> RhaiResult<()> {
        c.push_order(make(c.asset(name)?, x));
        Ok(())
    }
    engine.register_fn(name, move |c: &mut ScriptCtx, x: FLOAT| push(c, None, x, make));
    engine.register_fn(name, move |c: &mut ScriptCtx, x: INT| push(c, None, x as f64, make));
    engine.register_fn(name, move |c: &mut ScriptCtx, a: ImmutableString, x: FLOAT| {
        push(c, Some(&a), x, make)
    });
    engine.register_fn(name, move |c: &mut ScriptCtx, a: ImmutableString, x: INT| {
        push(c, Some(&a), x as f64, make)
    });
}

/// `ctx.name()` (current asset) and `ctx.name("ASSET")` for a per-asset read.
fn register_read(engine: &mut Engine, name: &str, read: fn(&ScriptCtx, AssetId) -> f64) {
    engine.register_fn(name, move |c: &mut ScriptCtx| -> RhaiResult<FLOAT> {
        Ok(read(c, c.asset(None)?))
    });
    engine.register_fn(
        name,
        move |c: &mut ScriptCtx, a: ImmutableString| -> RhaiResult<FLOAT> { Ok(read(c, c.asset(Some(&a))?)) },
    );
}

fn register_ctx(engine: &mut Engine) {
    engine.register_type_with_name::<ScriptCtx>("Context");
    register_read(engine, "position", ScriptCtx::position);
    register_read(engine, "position_value", ScriptCtx::position_value);
    register_read(engine, "unrealized_pnl", ScriptCtx::unrealized_pnl);
    register_read(engine, "unrealized_pnl_pct", ScriptCtx::unrealized_pnl_pct);
    register_read(engine, "price", |s, a| s.account.last[a.index()]);

    let cash = |c: &mut ScriptCtx| c.account.cash as FLOAT;
    let equity = |c: &mut ScriptCtx| c.account.equity as FLOAT;
    engine.register_get("cash", cash);
    engine.register_fn("cash", cash);
    engine.register_get("equity", equity);
    engine.register_fn("equity", equity);
    engine.register_get("can_trade", |c: &mut ScriptCtx| c.account.can_trade);
    engine.register_get("bar_index", |c: &mut ScriptCtx| c.account.bar_index as INT);
    engine.register_get("ts", |c: &mut ScriptCtx| c.account.ts as INT);
    engine.register_get("timestamp", |c: &mut ScriptCtx| TimestampNs(c.account.ts).to_iso());
    engine.register_get("asset", |c: &mut ScriptCtx| -> Dynamic {
        c.current
            .and_then(|a| c.names.get(a.index()).cloned())
            .map_or(Dynamic::UNIT, Dynamic::from)
    });
    engine.register_get("assets", |c: &mut ScriptCtx| -> Array {
        c.names.iter().cloned().map(Dynamic::from).collect()
    });
    engine.register_fn("positions", |c: &mut ScriptCtx| -> Map {
        c.account
            .held
            .iter()
            .map(|a| {
                (
                    c.names[a.index()].as_str().into(),
                    Dynamic::from_float(c.account.qty[a.index()]),
                )
            })
            .collect()
    });
    engine.register_get("state", |c: &mut ScriptCtx| c.state.clone());
    engine.register_get("asset_state", |c: &mut ScriptCtx| -> RhaiResult<Dynamic> {
        let a = c.asset(None)?;
        Ok(lock(&c.shared.asset_state)[a.index()]
            .get_or_insert_with(|| Dynamic::from_map(Map::new()).into_shared())
            .clone())
    });

    register_order(engine, "buy", OrderCall::Buy);
    register_order(engine, "sell", OrderCall::Sell);
    register_order(engine, "sell_short", OrderCall::SellShort);
    register_order(engine, "buy_percent", OrderCall::BuyPercent);
    register_order(engine, "sell_percent", OrderCall::SellPercent);
    register_order(engine, "reduce_position", OrderCall::ReducePosition);
    register_order(engine, "order_target_percent", OrderCall::TargetPercent);
    register_order(engine, "order_target_qty", OrderCall::TargetQty);
    engine.register_fn(
        "order_target_weights",
        |c: &mut ScriptCtx, weights: Map| -> RhaiResult<()> {
            let mut w = Vec::with_capacity(weights.len());
            for (name, value) in weights {
                let asset = c.asset(Some(name.as_str()))?;
                let x = value
                    .as_float()
                    .or_else(|_| value.as_int().map(|i| i as FLOAT))
                    .map_err(|t| format!("order_target_weights: the weight of '{name}' is a {t}, not a number"))?;
                w.push((asset, x));
            }
            w.sort_by_key(|&(a, _)| a);
            c.push_order(OrderCall::TargetWeights(w));
            Ok(())
        },
    );
    engine.register_fn("close_position", |c: &mut ScriptCtx| -> RhaiResult<()> {
        c.push_order(OrderCall::ClosePosition(c.asset(None)?));
        Ok(())
    });
    engine.register_fn(
        "close_position",
        |c: &mut ScriptCtx, name: ImmutableString| -> RhaiResult<()> {
            c.push_order(OrderCall::ClosePosition(c.asset(Some(&name))?));
            Ok(())
        },
    );
}
