//! Scripted strategies (Rhai): the script presets through `ml4t run` agree with the goldens (also
//! with command-line overrides); scripts and the equivalent rules give the same trades; hybrids
//! (rule filter + script) too; every sandbox limit trips with its own message; errors carry
//! `file:line:column`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ml4t_data::{LoadOptions, SampleSpec, load, sample};
use ml4t_engine::execution::{BrokerConfig, Commission};
use ml4t_engine::market::{Bar, Bars};
use ml4t_engine::results::RunResult;
use ml4t_engine::results::compare::compare;
use ml4t_engine::results::json::{ResultJson, RunLabel};
use ml4t_engine::strategy::hybrid::Hybrid;
use ml4t_engine::strategy::rules::{Rule, SignalStrategy, Sizer};
use ml4t_engine::strategy::{Context, Strategy, StrategyResult};
use ml4t_engine::types::SignalId;
use ml4t_engine::{EngineError, backtest};
use ml4t_preset::{ScriptSource, StrategySpec};
use ml4t_script::{Script, ScriptError, ScriptLimits, ScriptStrategy};

mod common;
use common::{golden, ml4t, root};

/// `ml4t run --preset <preset> --json ... --quiet <extra>`, the result JSON parsed.
fn run_json(preset: &str, extra: &[&str]) -> ResultJson {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    let mut args = vec!["run", "--preset", preset, "--json", out.to_str().unwrap(), "--quiet"];
    args.extend_from_slice(extra);
    let res = ml4t(&args);
    assert!(
        res.status.success(),
        "ml4t {args:?} failed: {}",
        String::from_utf8_lossy(&res.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap()
}

fn fixture_preset(name: &str) -> String {
    format!("tests/fixtures/presets/{name}.ron")
}

fn data_of(s: &str) -> &'static str {
    if s.starts_with("S3") { "syn_2k_5a" } else { "syn_2k" }
}

fn fixture_bars(data: &str) -> Bars {
    load(
        &root().join(format!("tests/fixtures/data/{data}.parquet")),
        &LoadOptions::default(),
    )
    .unwrap()
    .bars
}

fn reference_config() -> BrokerConfig {
    BrokerConfig {
        initial_cash: 100_000.0,
        commission: Commission::percent(0.001),
        ..BrokerConfig::default()
    }
}

fn as_json(run: &RunResult) -> ResultJson {
    let label = RunLabel {
        scenario: "t".into(),
        data: "t".into(),
        seconds: 0.0,
    };
    ResultJson::from_run(run, &label, None)
}

fn script(source: &str) -> ScriptStrategy {
    ScriptStrategy::new(Script::compile(source, "t.rhai").unwrap_or_else(|e| panic!("{e}")))
}

fn run_script(bars: &Bars, source: &str) -> Result<RunResult, EngineError> {
    backtest(bars, &mut script(source), reference_config())
}

/// A short single-asset series with one signal, `s`, rising 0.0, 0.1, 0.2, ...
fn small_bars(n: usize) -> Bars {
    let ts = (0..n as i64)
        .map(|i| 1_700_000_000_000_000_000 + i * 86_400_000_000_000)
        .collect();
    let px: Vec<f64> = (0..n).map(|i| 100.0 + i as f64).collect();
    let s = (0..n).map(|i| i as f64 / 10.0).collect();
    Bars::single(
        "AAA",
        ts,
        px.clone(),
        px.iter().map(|p| p + 1.0).collect(),
        px.iter().map(|p| p - 1.0).collect(),
        px,
        vec![1000.0; n],
        vec![("s".into(), s)],
    )
    .unwrap()
}

/// SEMANTICS.md's scenarios as rules and as script text.
fn scenario(id: &str) -> (SignalStrategy, String) {
    let (confident, exit_pred, size, size_call) = match id {
        "S0" => (false, true, Sizer::fixed_quantity(100.0), "ctx.buy(100)"),
        "S1" => (false, false, Sizer::percent_of_cash(0.95), "ctx.buy_percent(0.95)"),
        "S2" => (true, true, Sizer::percent_of_cash(0.95), "ctx.buy_percent(0.95)"),
        "S3" => (true, true, Sizer::percent_of_cash(0.19), "ctx.buy_percent(0.19)"),
        "S3C" => (true, true, Sizer::percent_of_cash(0.5), "ctx.buy_percent(0.5)"),
        _ => unreachable!(),
    };
    let mut rules = SignalStrategy::new().entry(Rule::signal_above("ml_pred", 0.8));
    if confident {
        rules = rules.entry(Rule::signal_above("confidence", 0.7));
    }
    let mut exits = Vec::new();
    if exit_pred {
        exits.push(Rule::signal_below("ml_pred", 0.4));
    }
    if id != "S0" {
        exits.extend([Rule::stop_loss(0.05), Rule::take_profit(0.15)]);
    }
    rules = rules.exit_any(exits).sizer(size);
    let entry = if confident {
        "bar.ml_pred > 0.8 && bar.confidence > 0.7"
    } else {
        "bar.ml_pred > 0.8"
    };
    let exit = match id {
        "S0" => "bar.ml_pred < 0.4",
        "S1" => "pnl < -0.05 || pnl > 0.15",
        _ => "bar.ml_pred < 0.4 || pnl < -0.05 || pnl > 0.15",
    };
    let text = format!(
        "fn on_bar(bar, ctx) {{
    if ctx.position() == 0.0 {{
        if {entry} {{ {size_call}; }}
    }} else {{
        let pnl = ctx.unrealized_pnl_pct();
        if {exit} {{ ctx.close_position(); }}
    }}
}}"
    );
    (rules, text)
}

// ---- presets through the binary ----

#[test]
fn script_presets_match_goldens() {
    for s in ["S1", "S2", "S3"] {
        let ours = run_json(&fixture_preset(&format!("{s}_script")), &[]);
        let diffs = compare(&ours, &golden(data_of(s), s));
        assert!(diffs.is_empty(), "{s}_script: {}", diffs.join("\n"));
    }
}

#[test]
fn script_presets_with_slippage_match_slip_goldens() {
    for s in ["S1", "S2", "S3"] {
        let ours = run_json(&fixture_preset(&format!("{s}_script")), &["--slippage-bps", "5"]);
        let case = format!("{s}_slip5bps");
        let diffs = compare(&ours, &golden(data_of(s), &case));
        assert!(diffs.is_empty(), "{s}_script vs {case}: {}", diffs.join("\n"));
    }
}

#[test]
fn script_presets_take_data_and_cash_rule_overrides() {
    let ours = run_json(
        &fixture_preset("S2_script"),
        &["--data", "tests/fixtures/data/syn_2k.parquet"],
    );
    assert!(compare(&ours, &golden("syn_2k", "S2")).is_empty());
    // Under the reject rule the script and the rules still agree trade for trade.
    let args = ["--cash-rule", "reject"];
    let script = run_json(&fixture_preset("S3_script"), &args);
    let rules = run_json(&fixture_preset("S3"), &args);
    assert_eq!(script.cash_rule, "reject");
    let diffs = compare(&script, &rules);
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    assert_eq!(script.rejected_orders, rules.rejected_orders);
}

#[test]
fn hybrid_preset_matches_its_rules_twin() {
    let hybrid = "assets/presets/hybrid_user_journey.ron";
    let p = ml4t_preset::load(&root().join(hybrid)).unwrap();
    assert!(matches!(p.strategy, StrategySpec::Hybrid { .. }));
    assert_eq!(ml4t_preset::run::thresholds(&p.strategy).len(), 1);
    if !root().join("sample_data/sample.parquet").exists() {
        return;
    }
    let ours = run_json(hybrid, &[]);
    let twin = run_json("assets/presets/user_journey.ron", &[]);
    assert!(ours.n_trades > 0);
    let diffs = compare(&ours, &twin);
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

#[test]
fn endless_script_stops_the_cli_with_the_operations_error() {
    let dir = tempfile::tempdir().unwrap();
    let data = root().join("tests/fixtures/data/syn_2k.parquet");
    let preset = dir.path().join("loop.ron");
    std::fs::write(
        &preset,
        format!("(data: (path: {data:?}), strategy: Script(source: \"fn on_bar(bar, ctx) {{\\n    loop {{ }}\\n}}\"))"),
    )
    .unwrap();
    let started = Instant::now();
    let res = ml4t(&["run", "--preset", preset.to_str().unwrap(), "--quiet"]);
    assert!(started.elapsed() < Duration::from_secs(60));
    assert!(!res.status.success());
    let err = String::from_utf8_lossy(&res.stderr);
    // Limits carry no position of their own: the callback's definition is named.
    assert!(err.contains("loop.ron (inline script):1:1: operations limit"), "{err}");
    assert!(err.contains("in on_bar()"), "{err}");
    assert!(err.contains("operations limit"), "{err}");
}

#[test]
fn script_errors_in_presets_name_the_script_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("scripts")).unwrap();
    std::fs::write(
        dir.path().join("scripts/bad.rhai"),
        "fn on_bar(bar, ctx) {\n    let x = ;\n}\n",
    )
    .unwrap();
    let data = root().join("tests/fixtures/data/syn_2k.parquet");
    let preset = dir.path().join("p.ron");
    std::fs::write(
        &preset,
        format!("(data: (path: {data:?}), strategy: Script(path: \"scripts/bad.rhai\"))"),
    )
    .unwrap();
    let res = ml4t(&["run", "--preset", preset.to_str().unwrap()]);
    assert!(!res.status.success());
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(err.contains("scripts/bad.rhai:2:13"), "{err}");
    // A missing file is named too.
    std::fs::remove_file(dir.path().join("scripts/bad.rhai")).unwrap();
    let res = ml4t(&["run", "--preset", preset.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(!res.status.success() && err.contains("scripts/bad.rhai"), "{err}");
}

#[test]
fn bench_has_a_script_level() {
    let res = ml4t(&["bench", "--bars", "2000", "--repeat", "1", "--json"]);
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let v: serde_json::Value = serde_json::from_slice(&res.stdout).unwrap();
    let rows: Vec<(String, String, u64)> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["level"].as_str().unwrap().to_owned(),
                m["logic"].as_str().unwrap().to_owned(),
                m["trades"].as_u64().unwrap(),
            )
        })
        .collect();
    for logic in ["S0", "S2"] {
        let trades = |level: &str| {
            rows.iter()
                .find(|(l, g, _)| l == level && g == logic)
                .unwrap_or_else(|| panic!("{level} {logic} missing from {rows:?}"))
                .2
        };
        assert_eq!(trades("2 script"), trades("2 rust callback"), "{logic}");
    }
}

// ---- scripts against rules, in process ----

#[test]
fn script_and_rules_give_the_same_trades() {
    for id in ["S0", "S1", "S2", "S3", "S3C"] {
        let bars = fixture_bars(data_of(id));
        let (rules, text) = scenario(id);
        for slippage_bps in [0.0, 5.0] {
            let config = BrokerConfig {
                slippage_bps,
                ..reference_config()
            };
            let by_rules = backtest(&bars, &mut rules.compile(&bars).unwrap(), config).unwrap();
            let by_script = backtest(&bars, &mut script(&text), config).unwrap();
            let diffs = compare(&as_json(&by_script), &as_json(&by_rules));
            assert!(diffs.is_empty(), "{id}: {}", diffs.join("\n"));
            assert_eq!(by_script.fills, by_rules.fills, "{id}");
            assert_eq!(by_script.equity.equity(), by_rules.equity.equity(), "{id}");
        }
    }
}

#[test]
fn hybrid_with_a_script_matches_the_goldens() {
    for id in ["S2", "S3", "S3C"] {
        let bars = fixture_bars(data_of(id));
        let (_, text) = scenario(id);
        let filter = [Rule::any([Rule::signal_above("ml_pred", 0.8), Rule::InPosition])];
        let mut hybrid = Hybrid::compile(&filter, &bars, script(&text)).unwrap();
        let run = backtest(&bars, &mut hybrid, reference_config()).unwrap();
        let diffs = compare(&as_json(&run), &golden(data_of(id), id));
        assert!(diffs.is_empty(), "hybrid {id}: {}", diffs.join("\n"));
    }
}

#[test]
fn hybrid_spec_builds_from_a_preset() {
    let (_, text) = scenario("S2");
    let spec = StrategySpec::Hybrid {
        filter: vec![Rule::any([Rule::signal_above("ml_pred", 0.8), Rule::InPosition])],
        script: ScriptSource::inline(text),
    };
    let bars = fixture_bars("syn_2k");
    let mut s = ml4t_preset::run::build_strategy(&spec, &bars, Path::new("x.ron")).unwrap();
    let run = backtest(&bars, &mut s, reference_config()).unwrap();
    assert!(compare(&as_json(&run), &golden("syn_2k", "S2")).is_empty());
    // A filter on a column the data lacks is refused with the rule named.
    let bad = StrategySpec::Hybrid {
        filter: vec![Rule::signal_above("nope", 0.8)],
        script: ScriptSource::inline("fn on_bar(bar, ctx) {}"),
    };
    let err = ml4t_preset::run::build_strategy(&bad, &bars, Path::new("x.ron"))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("nope"), "{err}");
}

/// The seed's A2 in Rust (examples/a2_regime_switching.rs), to check its script twin.
struct RegimeSwitching {
    ids: Option<(SignalId, SignalId, SignalId)>,
    /// (turbulent, streak) per asset.
    state: Vec<(bool, u32)>,
}

impl Strategy for RegimeSwitching {
    fn on_start(&mut self, ctx: &mut Context<'_>) -> StrategyResult {
        self.ids = Some((
            ctx.signal_id("ml_pred")?,
            ctx.signal_id("confidence")?,
            ctx.signal_id("volatility")?,
        ));
        self.state = vec![(false, 0); ctx.assets().len()];
        Ok(())
    }

    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: Bar<'_>) -> StrategyResult {
        let (pred, conf, vol) = self.ids.unwrap();
        let asset = bar.asset();
        let st = &mut self.state[asset.index()];
        let v = bar.signal(vol);
        if !v.is_nan() {
            let seen = v > 0.02;
            st.1 = if seen == st.0 { 0 } else { st.1 + 1 };
            if st.1 >= 3 {
                st.0 = seen;
                st.1 = 0;
            }
        }
        let (entry, min_conf, size, stop) = if st.0 {
            (0.9, 0.8, 0.45, 0.03)
        } else {
            (0.75, 0.0, 0.95, 0.06)
        };
        let slot = 1.0 / ctx.assets().len() as f64;
        if ctx.position(asset) == 0.0 {
            if bar.signal(pred) > entry && bar.signal(conf) > min_conf {
                ctx.buy_percent(asset, size * slot);
            }
        } else {
            let pnl = ctx.unrealized_pnl_pct(asset);
            if bar.signal(pred) < 0.4 || pnl < -stop || pnl > 0.2 {
                ctx.close_position(asset);
            }
        }
        Ok(())
    }
}

#[test]
fn shipped_scripts_match_their_rust_and_rule_twins() {
    let bars = sample(&SampleSpec {
        assets: 3,
        bars: 1500,
        ..SampleSpec::default()
    })
    .unwrap();
    let load = |name: &str| ScriptStrategy::new(Script::load(&root().join("assets/scripts").join(name)).unwrap());
    let config = reference_config();

    let mut rust = RegimeSwitching {
        ids: None,
        state: Vec::new(),
    };
    let by_rust = backtest(&bars, &mut rust, config).unwrap();
    let by_script = backtest(&bars, &mut load("regime_switching.rhai"), config).unwrap();
    assert!(by_rust.trades.len() > 5);
    assert_eq!(by_script.fills, by_rust.fills);

    for (file, id) in [("seed_a1.rhai", "S1"), ("user_journey.rhai", "S2")] {
        let (rules, _) = scenario(id);
        let by_rules = backtest(&bars, &mut rules.compile(&bars).unwrap(), config).unwrap();
        let by_script = backtest(&bars, &mut load(file), config).unwrap();
        assert!(by_rules.trades.len() > 5);
        assert_eq!(by_script.fills, by_rules.fills, "{file}");
    }
}

// ---- the script API ----

#[test]
fn bar_exposes_prices_signals_and_names() {
    let bars = small_bars(3);
    let text = r#"
fn on_bar(bar, ctx) {
    if bar.ts == 1700000000000000000 {
        if bar.timestamp != "2023-11-14T22:13:20" { throw `timestamp ${bar.timestamp}`; }
        if bar.asset != "AAA" { throw `asset ${bar.asset}`; }
        if bar.open != 100.0 || bar.high != 101.0 || bar.low != 99.0 || bar.close != 100.0 { throw "prices"; }
        if bar.volume != 1000.0 { throw "volume"; }
        if `${bar}` != "Bar(AAA 2023-11-14T22:13:20 close 100)" { throw `to_string ${bar}`; }
    }
    if bar.s != bar.signal("s") || bar.s != bar["s"] || bar["close"] != bar.close { throw "signal access"; }
    ctx.state.sum += bar.s;
}
fn on_start(ctx) { ctx.state.sum = 0.0; }
fn on_end(ctx) { throw `sum ${ctx.state.sum}`; }
"#;
    let err = run_script(&bars, text).unwrap_err().to_string();
    // 0.0 + 0.1 + 0.2, reported by on_end.
    assert!(err.contains("sum 0.30000000000000004"), "{err}");
}

#[test]
fn unknown_column_names_the_available_ones() {
    let err = run_script(&small_bars(3), "fn on_bar(bar, ctx) {\n  let x = bar.nope;\n}")
        .unwrap_err()
        .to_string();
    assert!(err.contains("t.rhai:2:"), "{err}");
    assert!(err.contains("no column 'nope'") && err.contains("volume, s"), "{err}");
}

#[test]
fn ctx_reads_the_account_and_orders_fill_next_open() {
    // Buy 10 on bar 0 (fills at bar 1's open, 101); on bar 2 (close 102) check the account.
    let text = r#"
fn on_bar(bar, ctx) {
    if ctx.bar_index == 0 { ctx.buy(10); }
    if ctx.bar_index == 2 {
        let checks = [
            ctx.position() == 10.0,
            ctx.position("AAA") == 10.0,
            ctx.position_value() == 1020.0,
            ctx.unrealized_pnl() == 10.0,
            ctx.unrealized_pnl_pct() == 102.0 / 101.0 - 1.0,
            ctx.price() == 102.0,
            ctx.positions()["AAA"] == 10.0,
            ctx.cash == 100000.0 - 1010.0 - 1.01,
            ctx.equity() == ctx.cash + 1020.0,
            ctx.asset == "AAA",
            ctx.assets == ["AAA"],
            ctx.can_trade,
        ];
        let i = checks.index_of(false);
        if i >= 0 { throw `check ${i} failed`; }
        ctx.close_position();
    }
}
"#;
    let run = run_script(&small_bars(5), text).unwrap();
    assert_eq!(run.trades.len(), 1);
    assert_eq!((run.trades[0].entry_price, run.trades[0].exit_price), (101.0, 103.0));
}

#[test]
fn ctx_helpers_take_asset_names_and_work_from_helper_functions() {
    let bars = fixture_bars("syn_2k_5a");
    // on_timestamp buys the first asset by name through a helper function taking ctx; on_fill
    // and on_end count through ctx.state; asset_state keeps per-asset counters.
    let text = r#"
fn enter(ctx, name) { ctx.buy_percent(name, 0.1); }
fn on_start(ctx) { ctx.state.fills = 0; ctx.state.bars = 0; }
fn on_bar(bar, ctx) {
    ctx.state.bars += 1;
    if ctx.asset_state.n == () { ctx.asset_state.n = 0; }
    ctx.asset_state.n += 1;
}
fn on_timestamp(bars, ctx) {
    if bars.len != 5 { throw "five bars"; }
    let first = ctx.assets[0];
    if ctx.position(first) == 0.0 { enter(ctx, first); } else if ctx.bar_index % 10 == 0 { ctx.close_position(first); }
}
fn on_fill(fill, ctx) {
    if fill.asset != ctx.asset || fill.qty <= 0.0 { throw "fill"; }
    ctx.state.fills += 1;
}
fn on_end(ctx) { throw `fills ${ctx.state.fills} bars ${ctx.state.bars}`; }
"#;
    let err = run_script(&bars, text).unwrap_err().to_string();
    let n_bars = bars.len();
    let run = {
        let ok = text.replace("fn on_end(ctx) {", "fn on_end_(ctx) {");
        run_script(&bars, &ok).unwrap()
    };
    assert!(run.fills.len() > 10);
    assert!(run.fills.iter().all(|f| f.asset.0 == 0));
    assert!(
        err.contains(&format!("fills {} bars {n_bars}", run.fills.len())),
        "{err}"
    );
    // Without a current asset, the argument-less helpers say what to do.
    let err = run_script(&bars, "fn on_timestamp(bars, ctx) { ctx.position(); }")
        .unwrap_err()
        .to_string();
    assert!(err.contains("name the asset"), "{err}");
    let err = run_script(&bars, "fn on_bar(bar, ctx) { ctx.position(\"ZZZ\"); }")
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown asset 'ZZZ'"), "{err}");
}

#[test]
fn a_kept_bar_is_a_copy() {
    let text = r#"
fn on_bar(bar, ctx) {
    if ctx.state.first == () { ctx.state.first = bar; }
    if ctx.state.first.close != 100.0 { throw "the kept bar changed"; }
}
"#;
    run_script(&small_bars(4), text).unwrap();
}

// ---- sandbox ----

fn tight() -> ScriptLimits {
    ScriptLimits {
        max_operations: 10_000,
        max_string_size: 100,
        max_array_size: 50,
        max_map_size: 20,
        max_call_levels: 8,
        max_expr_depth: 16,
        max_variables: 100,
    }
}

fn run_limited(source: &str, n_bars: usize) -> Result<RunResult, EngineError> {
    let s = Script::compile_with(source, "limits.rhai", tight()).unwrap();
    backtest(&small_bars(n_bars), &mut ScriptStrategy::new(s), reference_config())
}

fn limited_error(source: &str) -> String {
    run_limited(source, 3).unwrap_err().to_string()
}

#[test]
fn sandbox_operations_limit_stops_an_endless_loop() {
    let started = Instant::now();
    let err = limited_error("fn on_bar(bar, ctx) {\n    let i = 0;\n    while true { i += 1; }\n}");
    assert!(err.contains("operations limit"), "{err}");
    assert!(err.contains("limits.rhai:1:1:"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(30));
    // The budget is per call: a callback under it runs on every bar.
    let ok = Script::compile_with(
        "fn on_bar(bar, ctx) { let i = 0; while i < 500 { i += 1; } }",
        "ok.rhai",
        tight(),
    )
    .unwrap();
    backtest(&small_bars(50), &mut ScriptStrategy::new(ok), reference_config()).unwrap();
}

#[test]
fn sandbox_string_limit() {
    let err = limited_error("fn on_bar(bar, ctx) { let s = \"x\"; loop { s += s; } }");
    assert!(
        err.contains("string size limit") && err.contains("100 characters"),
        "{err}"
    );
}

#[test]
fn sandbox_array_limit() {
    let err = limited_error("fn on_bar(bar, ctx) { let a = []; loop { a.push(1); } }");
    assert!(err.contains("array size limit") && err.contains("50 elements"), "{err}");
}

#[test]
fn sandbox_map_limit_covers_the_state() {
    let err = limited_error("fn on_bar(bar, ctx) { let i = 0; loop { ctx.state[`k${i}`] = i; i += 1; } }");
    assert!(err.contains("map size limit") && err.contains("20 entries"), "{err}");
}

#[test]
fn sandbox_call_depth_limit() {
    let err = limited_error("fn down(n) { down(n + 1) }\nfn on_bar(bar, ctx) { down(0); }");
    assert!(err.contains("call depth limit") && err.contains("8 calls"), "{err}");
    // Exactly the limit: 8 nested calls run, 9 do not.
    let nested = |calls: usize| {
        format!(
            "fn down(n) {{ if n < {} {{ down(n + 1) }} }}\nfn on_bar(bar, ctx) {{ down(0); }}",
            calls - 1
        )
    };
    run_limited(&nested(8), 3).unwrap();
    assert!(limited_error(&nested(9)).contains("call depth limit"));
}

#[test]
fn callbacks_get_fresh_arguments_and_locals_every_call() {
    // A reassigned parameter and locals do not outlive a call: on_timestamp runs 300 times (at
    // most 100 variables alive), on_fill in between some of them.
    let text = r#"
fn on_start(c) { c.state.calls = 0; c.state.fills = 0; }
fn on_timestamp(all, c) {
    if type_of(all) != "array" { throw `argument ${type_of(all)}`; }
    c.state.calls += 1;
    let x = 1;
    let y = 2;
    let a = c.assets[0];
    if c.bar_index % 10 == 0 { c.buy(a, 1); } else if c.bar_index % 10 == 5 { c.close_position(a); }
    all = ();
}
fn on_fill(f, c) { if type_of(f) != "Fill" { throw "fill"; } c.state.fills += 1; let z = 3; f = (); }
fn on_end(c) { throw `calls ${c.state.calls} fills ${c.state.fills}`; }
"#;
    let err = run_limited(text, 300).unwrap_err().to_string();
    assert!(err.contains("calls 300 fills 60"), "{err}");
}

#[test]
fn reassigned_bar_and_ctx_do_not_reach_the_next_call() {
    let text = r#"
fn on_start(ctx) { ctx.state.n = 0; }
fn on_bar(bar, ctx) {
    if type_of(bar) != "Bar" || type_of(ctx) != "Context" { throw `arguments ${type_of(bar)} ${type_of(ctx)}`; }
    ctx.state.n += 1;
    bar = ();
    ctx = ();
}
fn on_end(ctx) { throw `bars ${ctx.state.n}`; }
"#;
    let err = run_script(&small_bars(5), text).unwrap_err().to_string();
    assert!(err.contains("bars 5"), "{err}");
}

#[test]
fn scripts_cannot_call_a_callback_without_its_arguments() {
    let err = limited_error("fn on_bar(bar, ctx) { bar.close }\nfn on_timestamp(bars, ctx) { on_bar(); }");
    assert!(err.contains("Function not found: on_bar"), "{err}");
}

#[test]
fn sandbox_expression_depth_limit() {
    let deep = format!(
        "fn on_bar(bar, ctx) {{ let x = {}1{}; }}",
        "(".repeat(40),
        ")".repeat(40)
    );
    let err = Script::compile_with(&deep, "deep.rhai", tight()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("deep.rhai:1:"), "{msg}");
    assert!(msg.contains("nested deeper than the limit of 16"), "{msg}");
}

#[test]
fn sandbox_variables_limit() {
    let lets: String = (0..150).map(|i| format!("let v{i} = {i};\n")).collect();
    let err = limited_error(&format!("fn on_bar(bar, ctx) {{\n{lets}}}"));
    assert!(err.contains("variables limit"), "{err}");
}

#[test]
fn sandbox_has_no_import_eval_or_clock() {
    for (source, expected) in [
        (
            "import \"x\" as y;\nfn on_bar(bar, ctx) {}",
            "x.rhai:1:1: 'import' is a reserved keyword",
        ),
        ("fn on_bar(bar, ctx) { eval(\"1\"); }", "'eval' is disabled"),
        (
            "fn on_bar(bar, ctx) { let t = timestamp(); }",
            "Function not found: timestamp",
        ),
    ] {
        let err = match Script::compile(source, "x.rhai") {
            Err(e) => e.to_string(),
            Ok(s) => backtest(&small_bars(2), &mut ScriptStrategy::new(s), reference_config())
                .unwrap_err()
                .to_string(),
        };
        assert!(err.contains(expected), "{err}");
    }
}

// ---- error positions ----

#[test]
fn parse_errors_carry_file_line_and_column() {
    let err = Script::compile(
        "fn on_bar(bar, ctx) {\n    let x = 1\n    let y = 2;\n}",
        "strategies/s2.rhai",
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("strategies/s2.rhai:3:5: "), "{msg}");
    assert!(matches!(err, ScriptError::Parse { line: 3, .. }));
    // A script without callbacks, or with the wrong parameters, says what the engine calls.
    let err = Script::compile("let x = 1;", "s.rhai").unwrap_err().to_string();
    assert!(err.contains("on_bar(bar, ctx)"), "{err}");
    let err = Script::compile("fn on_bar(bar) {}", "s.rhai").unwrap_err().to_string();
    assert!(err.contains("on_bar(bar, ctx)"), "{err}");
}

#[test]
fn runtime_errors_carry_file_line_and_column() {
    let err = run_script(&small_bars(3), "fn on_bar(bar, ctx) {\n\n    nothing_like_this(1);\n}")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("t.rhai:3:5: Function not found: nothing_like_this"),
        "{err}"
    );
    let err = run_script(&small_bars(3), "fn on_bar(bar, ctx) {\n\n    foo + 1;\n}")
        .unwrap_err()
        .to_string();
    assert!(err.contains("t.rhai:3:5: Variable not found: foo"), "{err}");
    // In a helper function: the innermost place, then the call chain.
    let text = "fn helper(x) {\n    x / 0\n}\nfn on_bar(bar, ctx) {\n    helper(1);\n}";
    let err = run_script(&small_bars(3), text).unwrap_err().to_string();
    assert!(err.contains("t.rhai:2:"), "{err}");
    assert!(err.contains("in helper() called at 5:5"), "{err}");
    // The engine adds when it happened.
    assert!(err.contains("timestamp #0"), "{err}");
}

#[test]
fn top_level_constants_are_visible_in_callbacks() {
    let text = "const ENTRY = 0.25;\nfn on_bar(bar, ctx) { if ctx.position() == 0.0 && bar.s > ENTRY { ctx.buy(1); } }";
    let run = run_script(&small_bars(5), text).unwrap();
    assert_eq!(run.fills.len(), 1);
    assert_eq!(run.fills[0].bar_index, 4);
}

#[test]
fn preset_paths_resolve_relative_to_the_preset() {
    let s = ScriptSource::file("../scripts/S2.rhai");
    let p = s.resolved_path(Path::new("tests/fixtures/presets/S2_script.ron"));
    assert_eq!(p, PathBuf::from("tests/fixtures/scripts/S2.rhai"));
    let p = ml4t_preset::load(&root().join("tests/fixtures/presets/S2_script.ron")).unwrap();
    assert_eq!(p.strategy.script(), Some(&s));
    assert!(p.strategy.rules().is_none());
    assert!(ml4t_preset::run::thresholds(&p.strategy).is_empty());
}

#[test]
fn script_print_goes_to_the_print_sink() {
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink_lines = lines.clone();
    let sink: ml4t_script::PrintSink =
        std::sync::Arc::new(move |l: &str| sink_lines.lock().unwrap().push(l.to_owned()));
    let bars = small_bars(5);
    let mut s = script(
        "fn on_bar(bar, ctx) { if bar.s < 0.05 { print(`first ${bar.close}`); } }\nfn on_end(ctx) { debug(\"done\"); }",
    )
    .with_print(sink);
    backtest(&bars, &mut s, BrokerConfig::default()).unwrap();
    let got = lines.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got[0].starts_with("t.rhai: first "), "{got:?}");
    assert!(got[1].starts_with("t.rhai:2:") && got[1].contains("done"), "{got:?}");
}

#[test]
fn script_sell_short_opens_a_short_that_close_position_covers() {
    // Short 3 at bar 1's open (101), covered at bar 3's open (103).
    let bars = small_bars(5);
    let src = "fn on_bar(bar, ctx) { if ctx.bar_index == 0 { ctx.sell_short(3); } \
               if ctx.bar_index == 2 { ctx.close_position(); } }";
    let config = BrokerConfig {
        allow_short: true,
        ..reference_config()
    };
    let run = backtest(&bars, &mut script(src), config).unwrap();
    let positions: Vec<f64> = run.fills.iter().map(|f| f.position_after).collect();
    assert_eq!(positions, [-3.0, 0.0]);
    let json = as_json(&run);
    assert_eq!(
        (
            json.trades[0].qty,
            json.trades[0].entry_price,
            json.trades[0].exit_price
        ),
        (-3.0, 101.0, 103.0)
    );
}

#[test]
fn script_order_target_weights_reduces_first_and_flattens_the_rest() {
    // Two assets at flat prices; bar 0: 40 % A long, 20 % B short; bar 2: only B, long 30 %:
    // A is sold and B covered first, then B bought.
    let mut cols = ml4t_engine::market::BarColumns::with_capacity(8, 0);
    for t in 0..4i64 {
        for a in 0..2u32 {
            cols.push(
                t * 86_400_000_000_000,
                ml4t_engine::types::AssetId(a),
                100.0,
                100.0,
                100.0,
                100.0,
                1e6,
                &[],
            );
        }
    }
    let bars = Bars::new(vec!["A".into(), "B".into()], vec![], cols).unwrap();
    let src = r#"fn on_timestamp(bars, ctx) {
        if ctx.bar_index == 0 { ctx.order_target_weights(#{ A: 0.4, B: -0.2 }); }
        if ctx.bar_index == 2 { ctx.order_target_weights(#{ B: 0.3 }); }
    }"#;
    let config = BrokerConfig {
        allow_short: true,
        commission: Commission::default(),
        ..reference_config()
    };
    let run = backtest(&bars, &mut script(src), config).unwrap();
    let fills: Vec<(u32, usize, f64)> = run
        .fills
        .iter()
        .map(|f| (f.asset.0, f.bar_index, f.side.sign() * f.qty))
        .collect();
    assert_eq!(
        fills,
        [
            (0, 1, 400.0),
            (1, 1, -200.0),
            (0, 3, -400.0),
            (1, 3, 200.0),
            (1, 3, 300.0)
        ]
    );
    let bad = backtest(
        &bars,
        &mut script(r#"fn on_timestamp(bars, ctx) { ctx.order_target_weights(#{ A: "x" }); }"#),
        config,
    )
    .unwrap_err()
    .to_string();
    assert!(bad.contains("weight of 'A'"), "{bad}");
}
