//! [`Caller`]: calls a script's callbacks bar after bar at little more than the cost of
//! evaluating their bodies.
//!
//! `Engine::call_fn` suits occasional calls; per call it builds a fresh runtime state and an empty
//! function-resolution cache, so every function and property getter a callback uses is searched
//! for in the engine's modules again on every bar, and it moves the arguments into the scope
//! under newly allocated names (four allocations for `on_bar(bar, ctx)`). Here the state and the
//! cache live as long as the run, and each callback is called through a parameterless twin whose
//! arguments are variables kept at the top of the scope, so the strategy can update them in place
//! (one `bar` value reloaded for every bar, not a new one). Rhai's `EvalContext::call_fn_raw` (the
//! `internals` feature) is the call that runs on kept state.
//!
//! What a script sees does not change: the same scope layout (top-level variables, then the
//! arguments, then the callback's locals, which are dropped when it returns), a fresh operations
//! budget per call, the same call depth limit, and the same errors.

use std::mem;

use rhai::{
    AST, Caches, Dynamic, Engine, EvalAltResult, EvalContext, GlobalRuntimeState, ImmutableString, Module, Scope,
};

use super::CALLBACKS;

type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

/// Call levels that `EvalContext::call_fn_raw` counts before the callback's body runs (the call
/// itself and the dispatch to a script function) and `Engine::call_fn` does not. The limit is
/// raised by as much, so a script nests exactly as deep as `ScriptLimits::max_call_levels` says.
const ENTRY_CALL_LEVELS: usize = 2;

/// Twins are named like Rhai's closures (`anon$...`): `call_fn_raw` reaches them, script text
/// cannot (`$` ends an identifier, and `Fn("anon$on_bar")` is refused), so a script calling
/// `on_bar()` cannot run the twin against a scope without its arguments.
const TWIN_PREFIX: &str = "anon$";

/// One callback the script defines.
struct Callback {
    name: &'static str,
    /// The parameterless twin's name.
    twin: String,
    params: Vec<ImmutableString>,
    /// Its argument values while another callback's are in the scope, so that they can still be
    /// updated in place when it is called again.
    parked: Vec<Dynamic>,
}

/// The engine, its scope and the Rhai state kept across callback calls.
pub(super) struct Caller {
    engine: Engine,
    scope: Scope<'static>,
    global: GlobalRuntimeState,
    caches: Caches,
    callbacks: Vec<Callback>,
    /// Scope length below the arguments: the top-level variables.
    base: usize,
    /// The callback whose arguments are at the top of the scope.
    bound: Option<usize>,
}

impl Caller {
    /// Runs the script's top-level statements once, into the scope every callback then sees
    /// (constants), and loads the callbacks' twins.
    pub fn new(mut engine: Engine, ast: &AST, max_call_levels: usize) -> RhaiResult<Caller> {
        let mut scope = Scope::new();
        engine.run_ast_with_scope(&mut scope, ast)?;
        engine.set_max_call_levels(max_call_levels + ENTRY_CALL_LEVELS);
        let mut twins = Module::new();
        let mut callbacks = Vec::new();
        for f in ast.iter_fn_def() {
            let Some(&name) = CALLBACKS.iter().find(|c| **c == f.name.as_str()) else {
                continue;
            };
            let twin = format!("{TWIN_PREFIX}{name}");
            let mut def = (**f).clone();
            def.name = twin.as_str().into();
            def.params.clear();
            twins.set_script_fn(def);
            callbacks.push(Callback {
                name,
                twin,
                params: f.params.iter().cloned().collect(),
                parked: vec![Dynamic::UNIT; f.params.len()],
            });
        }
        let mut global = engine.new_global_runtime_state();
        global.lib.push(ast.shared_lib().clone());
        global.lib.push(twins.into());
        Ok(Caller {
            base: scope.len(),
            engine,
            scope,
            global,
            caches: Caches::new(),
            callbacks,
            bound: None,
        })
    }

    /// Calls the callback `name` (which the script defines), as `Engine::call_fn_with_options`
    /// with `eval_ast(false)` and `rewind_scope(true)` would. `set_arg(k, slot)` puts the k-th
    /// argument into `slot`, the variable the callback sees under that parameter's name: it
    /// holds the value it had when this callback last returned (so the argument can be updated
    /// in place), `()` on the first call.
    #[inline]
    pub fn call(&mut self, name: &'static str, set_arg: impl FnMut(usize, &mut Dynamic)) -> RhaiResult<()> {
        let Some(i) = self.callbacks.iter().position(|c| c.name == name) else {
            return Err(EvalAltResult::ErrorFunctionNotFound(name.into(), rhai::Position::NONE).into());
        };
        self.bind(i, set_arg);
        self.global.num_operations = 0;
        let twin = self.callbacks[i].twin.as_str();
        let result = EvalContext::new(&self.engine, &mut self.global, &mut self.caches, &mut self.scope, None)
            .call_fn_raw(twin, false, false, &mut []);
        match result {
            Ok(_) => Ok(()),
            Err(e) => match *e {
                // As with `call_fn`: an error in the callback's own body comes unwrapped, and
                // `exit()` ends the call normally.
                EvalAltResult::ErrorInFunctionCall(f, _, inner, _) if f == twin => Err(inner),
                EvalAltResult::Exit(..) => Ok(()),
                _ => Err(e),
            },
        }
    }

    /// Makes callback `i`'s parameters the top of the scope (kept while the same callback
    /// repeats; when another one is called, their values are parked) and sets their values.
    #[inline]
    fn bind(&mut self, i: usize, mut set_arg: impl FnMut(usize, &mut Dynamic)) {
        if self.bound != Some(i) {
            if let Some(b) = self.bound {
                let c = &mut self.callbacks[b];
                for (p, v) in c.params.iter().zip(&mut c.parked) {
                    *v = self.scope.get_mut(p).map(mem::take).unwrap_or_default();
                }
            }
            self.scope.rewind(self.base);
            let c = &mut self.callbacks[i];
            for (p, v) in c.params.iter().zip(&mut c.parked) {
                self.scope.push_dynamic(p.as_str(), mem::take(v));
            }
            self.bound = Some(i);
        }
        for (k, p) in self.callbacks[i].params.iter().enumerate() {
            if let Some(slot) = self.scope.get_mut(p) {
                set_arg(k, slot);
            }
        }
    }
}
