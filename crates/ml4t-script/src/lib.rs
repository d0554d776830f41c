//! Level 2 for people who do not write Rust: strategies as [Rhai](https://rhai.rs) scripts,
//! sandboxed. A script defines some of these functions; the engine calls them like the methods of
//! a Rust [`Strategy`](ml4t_engine::strategy::Strategy):
//!
//! ```rhai
//! fn on_start(ctx) { ctx.state.entries = 0; }          // optional, once
//! fn on_bar(bar, ctx) {                                 // each asset's bar at its close
//!     if ctx.position() == 0.0 {
//!         if bar.ml_pred > 0.8 && bar.confidence > 0.7 {
//!             ctx.buy_percent(0.95);                    // the current bar's asset
//!             ctx.state.entries += 1;
//!         }
//!     } else {
//!         let pnl = ctx.unrealized_pnl_pct();
//!         if bar.ml_pred < 0.4 || pnl < -0.05 || pnl > 0.15 { ctx.close_position(); }
//!     }
//! }
//! fn on_timestamp(bars, ctx) { }                        // optional: all bars of a timestamp
//! fn on_fill(fill, ctx) { }                             // optional: each execution
//! fn on_end(ctx) { print(`entries: ${ctx.state.entries}`); }  // optional, once
//! ```
//!
//! Top-level code runs once, before `on_start`; its constants (`const ENTRY = 0.8;`) are visible
//! in the callbacks.
//!
//! **`bar`**: `ts` (ns since the epoch, integer), `timestamp` (ISO text), `asset` (name), `open`,
//! `high`, `low`, `close`, `volume`, and every signal column as a property (`bar.ml_pred`), by
//! index (`bar["ml-pred"]`) or by call (`bar.signal("ml_pred")`). Signal properties are resolved
//! to column ids once per run (one registered getter per column), never looked up per bar. A
//! `bar` kept with `let` or stored in `ctx.state` is a copy.
//!
//! **`ctx`**: the Rust [`Context`](ml4t_engine::strategy::Context) helpers. Each takes the asset
//! by name as an optional first argument; without it the current bar's asset (or the fill's, in
//! `on_fill`) is meant. Reads: `position()`, `position_value()`, `unrealized_pnl()`,
//! `unrealized_pnl_pct()`, `price()`, `positions()` (a map name -> qty), the properties `cash`,
//! `equity` (also as `cash()`, `equity()`), `assets`, `asset`, `ts`, `timestamp`, `bar_index`,
//! `can_trade`. Orders: `buy(qty)`, `sell(qty)`, `sell_short(qty)` (a short sale, in an account
//! that allows shorts), `buy_percent(pct)`, `sell_percent(pct)`,
//! `close_position()`, `reduce_position(qty)`, `order_target_percent(pct)`,
//! `order_target_qty(qty)`, `order_target_weights(#{ AAA: 0.5, BBB: -0.5 })` (a whole portfolio:
//! unlisted assets go flat, reductions are ordered first); they return nothing and fill as their
//! Rust twins do (SEMANTICS.md:
//! decided at the close, filled at the next open). State: `ctx.state` is a map kept for the
//! whole run (`ctx.state.count += 1`); `ctx.asset_state` is one such map per asset.
//!
//! **Sandbox**: no file, network, process or clock access (Rhai has none; `import` is compiled
//! out with the `no_module` feature, `eval` is disabled, `timestamp()` is compiled out with
//! `no_time` so results never depend on the wall clock). Every callback runs under
//! [`ScriptLimits`]: an operations budget (reset per call, so an endless loop stops the run with
//! an error instead of hanging it), and caps on string, array and map sizes, call depth,
//! expression depth and variables. Errors name `file:line:column`.
//!
//! Crate features: `sync` because strategies run on worker threads (`Strategy + Send`);
//! `no_module` (no `import`, so no file access); `no_time`; `no_custom_syntax` (nothing needs it);
//! `internals` for the lower-level call API that keeps Rhai's runtime state and function cache
//! across callback calls (see `caller.rs`; it opens nothing to scripts). Floats stay `f64`: prices are never `f32`.

mod api;
mod caller;
mod error;
mod strategy;

use std::path::Path;
use std::sync::Arc;

use rhai::AST;

pub use error::ScriptError;
pub use strategy::ScriptStrategy;

/// Where a script's `print` and `debug` lines go (each prefixed with the script's origin and,
/// for `debug`, its line). Without one they go to stderr (the command line); the workbench
/// passes one that feeds its log panel.
pub type PrintSink = std::sync::Arc<dyn Fn(&str) + Send + Sync>;

/// Resource caps for one script. Operation counts are per callback call: each call of `on_bar`
/// etc. starts from zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScriptLimits {
    /// Rhai operations (statements, expressions, calls) allowed in one callback call.
    pub max_operations: u64,
    /// Characters in one string.
    pub max_string_size: usize,
    /// Elements in one array.
    pub max_array_size: usize,
    /// Entries in one map (`ctx.state` included).
    pub max_map_size: usize,
    /// Nested function calls (recursion depth).
    pub max_call_levels: usize,
    /// Nesting of one expression (checked when compiling).
    pub max_expr_depth: usize,
    /// Variables alive at once.
    pub max_variables: usize,
}

impl Default for ScriptLimits {
    fn default() -> Self {
        ScriptLimits {
            max_operations: 1_000_000,
            max_string_size: 64 * 1024,
            max_array_size: 100_000,
            max_map_size: 100_000,
            max_call_levels: 32,
            max_expr_depth: 64,
            max_variables: 1_000,
        }
    }
}

/// Which callbacks a script defines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Hooks {
    pub on_start: bool,
    pub on_bar: bool,
    pub on_timestamp: bool,
    pub on_fill: bool,
    pub on_end: bool,
}

/// A compiled script: parsed once, checked for its callbacks; cheap to clone.
#[derive(Clone)]
pub struct Script {
    ast: Arc<AST>,
    origin: Arc<str>,
    limits: ScriptLimits,
    hooks: Hooks,
    /// (callback, line, column) of each `fn on_...` definition: where a limit error points,
    /// since Rhai reports those without a position.
    definitions: Arc<[(&'static str, usize, usize)]>,
}

impl std::fmt::Debug for Script {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Script")
            .field("origin", &self.origin)
            .field("limits", &self.limits)
            .field("hooks", &self.hooks)
            .finish_non_exhaustive()
    }
}

impl Script {
    /// Compiles `source` with the default limits; `origin` (a file name) prefixes error messages.
    pub fn compile(source: &str, origin: &str) -> Result<Script, ScriptError> {
        Self::compile_with(source, origin, ScriptLimits::default())
    }

    /// Compiles `source` under `limits`.
    pub fn compile_with(source: &str, origin: &str, limits: ScriptLimits) -> Result<Script, ScriptError> {
        let engine = api::sandboxed_engine(&limits);
        let ast = engine
            .compile(source)
            .map_err(|e| error::parse_error(origin, &e, &limits))?;
        let hooks = hooks(&ast, origin)?;
        Ok(Script {
            ast: Arc::new(ast),
            origin: origin.into(),
            limits,
            hooks,
            definitions: definitions(source).into(),
        })
    }

    /// Reads and compiles a script file; errors name the file as given.
    pub fn load(path: &Path) -> Result<Script, ScriptError> {
        let origin = path.display().to_string();
        let source = std::fs::read_to_string(path).map_err(|e| ScriptError::Io {
            origin: origin.clone(),
            message: e.to_string(),
        })?;
        Self::compile(&source, &origin)
    }

    /// The name used in error messages (usually the file path).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn limits(&self) -> &ScriptLimits {
        &self.limits
    }

    /// Names of the callbacks the script defines, in call order.
    pub fn callbacks(&self) -> Vec<&'static str> {
        let h = self.hooks;
        [
            (h.on_start, "on_start"),
            (h.on_fill, "on_fill"),
            (h.on_bar, "on_bar"),
            (h.on_timestamp, "on_timestamp"),
            (h.on_end, "on_end"),
        ]
        .into_iter()
        .filter_map(|(has, name)| has.then_some(name))
        .collect()
    }
}

const CALLBACKS: [&str; 5] = ["on_start", "on_bar", "on_timestamp", "on_fill", "on_end"];

/// Line and column of each line starting with `fn <callback>` (a text scan: the AST keeps no
/// positions of function definitions).
fn definitions(source: &str) -> Vec<(&'static str, usize, usize)> {
    let mut out: Vec<(&'static str, usize, usize)> = Vec::new();
    for (i, line) in source.lines().enumerate() {
        let text = line.trim_start();
        let Some(after) = text.strip_prefix("fn ") else {
            continue;
        };
        let after = after.trim_start();
        let is_name_end = |rest: &str| !rest.starts_with(|ch: char| ch.is_alphanumeric() || ch == '_');
        if let Some(name) = CALLBACKS
            .iter()
            .find(|c| after.strip_prefix(**c).is_some_and(is_name_end))
            && !out.iter().any(|(n, ..)| n == name)
        {
            out.push((*name, i + 1, line.len() - text.len() + 1));
        }
    }
    out
}

/// Finds the callbacks and checks their parameter counts.
fn hooks(ast: &AST, origin: &str) -> Result<Hooks, ScriptError> {
    const SIGNATURES: [(&str, usize, &str); 5] = [
        ("on_start", 1, "on_start(ctx)"),
        ("on_bar", 2, "on_bar(bar, ctx)"),
        ("on_timestamp", 2, "on_timestamp(bars, ctx)"),
        ("on_fill", 2, "on_fill(fill, ctx)"),
        ("on_end", 1, "on_end(ctx)"),
    ];
    let mut h = Hooks::default();
    for f in ast.iter_functions() {
        let Some(&(name, n, signature)) = SIGNATURES.iter().find(|(name, ..)| *name == f.name) else {
            continue;
        };
        if f.params.len() != n {
            return Err(ScriptError::Callback {
                origin: origin.into(),
                message: format!(
                    "{name} takes {} parameter(s) here; the engine calls it as {signature}",
                    f.params.len()
                ),
            });
        }
        match name {
            "on_start" => h.on_start = true,
            "on_bar" => h.on_bar = true,
            "on_timestamp" => h.on_timestamp = true,
            "on_fill" => h.on_fill = true,
            _ => h.on_end = true,
        }
    }
    if !(h.on_bar || h.on_timestamp) {
        return Err(ScriptError::Callback {
            origin: origin.into(),
            message: "the script defines neither on_bar(bar, ctx) nor on_timestamp(bars, ctx); \
                      add one, e.g. fn on_bar(bar, ctx) { if bar.ml_pred > 0.8 { ctx.buy_percent(0.95); } }"
                .into(),
        });
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn definitions_find_callbacks_at_line_starts_only() {
        let src = "fn on_bar(bar, ctx) {}\n  fn  on_start(ctx) {}\n// fn on_end(ctx)\nfn on_bar_x() {}\nlet s = \"fn on_fill\";";
        assert_eq!(definitions(src), [("on_bar", 1, 1), ("on_start", 2, 3)]);
    }

    #[test]
    fn callbacks_are_listed_in_call_order() {
        let s = Script::compile(
            "fn on_end(ctx) {}\nfn on_bar(bar, ctx) {}\nfn on_start(ctx) {}",
            "s.rhai",
        )
        .unwrap();
        assert_eq!(s.callbacks(), ["on_start", "on_bar", "on_end"]);
        assert_eq!(s.origin(), "s.rhai");
    }
}
