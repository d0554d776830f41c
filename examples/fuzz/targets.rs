//! The fuzz targets, shared by `examples/fuzz` (the fuzzer) and `tests/fuzz_corpus.rs` (which
//! replays the corpus in `cargo test`). Each takes arbitrary bytes; returning is a pass (errors
//! are expected), a panic is a crash. `Err` reports a panic the code caught itself at a boundary
//! (the data reader's guard): not a crash, but a finding worth a look.

use std::path::Path;
use std::sync::Arc;

use ml4t_engine::execution::BrokerConfig;
use ml4t_engine::market::{BarColumns, Bars};
use ml4t_engine::types::{AssetId, NS_PER_DAY};

/// The fuzz targets by name.
pub const TARGETS: &[&str] = &["csv", "parquet", "preset", "protocol", "script"];

/// Runs target `name` on `data`; `scratch` is a folder the target may write files to.
/// `Ok(signature)`: a short outcome label (to tell new behaviour from old); `Err`: a caught panic.
pub fn run(name: &str, scratch: &Path, data: &[u8]) -> Result<String, String> {
    match name {
        "csv" => data_file(scratch, "fuzz.csv", data),
        "parquet" => data_file(scratch, "fuzz.parquet", data),
        "preset" => preset(data),
        "protocol" => protocol(data),
        "script" => script(data),
        other => Ok(format!("unknown target {other}")),
    }
}

/// A label of an outcome: the message without the file name and digits, cut short.
fn signature(text: &str) -> String {
    text.chars().filter(|c| !c.is_ascii_digit()).take(48).collect()
}

fn data_file(scratch: &Path, name: &str, data: &[u8]) -> Result<String, String> {
    let path = scratch.join(name);
    if std::fs::write(&path, data).is_err() {
        return Ok("write failed".into());
    }
    let shown = path.display().to_string();
    let mut sig = String::new();
    for result in [
        ml4t_data::load(&path, &ml4t_data::LoadOptions::default()).map(|d| d.bars.len()),
        ml4t_data::inspect(&path).map(|i| i.rows),
    ] {
        match result {
            Ok(_) => sig.push_str("ok;"),
            Err(e @ ml4t_data::DataError::ReaderPanic { .. }) => return Err(e.to_string()),
            Err(e) => sig.push_str(&signature(&e.to_string().replace(&shown, ""))),
        }
    }
    Ok(sig)
}

fn preset(data: &[u8]) -> Result<String, String> {
    let text = String::from_utf8_lossy(data);
    match ml4t_preset::from_str(&text, Path::new("fuzz.ron")) {
        Ok(p) => {
            let _ = p.load_options();
            let _ = p.strategy.script();
            Ok("ok".into())
        }
        Err(e) => Ok(signature(&e.to_string())),
    }
}

fn protocol(data: &[u8]) -> Result<String, String> {
    let text = String::from_utf8_lossy(data);
    let mut sig = String::new();
    for line in text.lines().take(64) {
        match ml4t_live::protocol::ServerMessage::parse(line) {
            Ok(ml4t_live::protocol::ServerMessage::Bar(b)) => {
                sig.push_str(if b.timestamp.parse().is_ok() { "bar;" } else { "bar?;" })
            }
            Ok(_) => sig.push_str("msg;"),
            Err(e) => sig.push_str(&signature(&e)),
        }
        let _ = ml4t_live::protocol::Resume::parse(line);
    }
    Ok(sig.chars().take(96).collect())
}

/// Three assets, six days, one signal: the data a fuzzed script runs on.
fn script_bars() -> Arc<Bars> {
    let mut cols = BarColumns::with_capacity(18, 1);
    for t in 0..6 {
        for a in 0..3u32 {
            let px = 100.0 + f64::from(a) + t as f64;
            let s = if (t + a as i64) % 4 == 0 {
                f64::NAN
            } else {
                0.1 * (t as f64 + f64::from(a))
            };
            cols.push(t * NS_PER_DAY, AssetId(a), px, px + 1.0, px - 1.0, px + 0.5, 1e5, &[s]);
        }
    }
    let names = vec!["A".into(), "B".into(), "C".into()];
    Arc::new(Bars::new(names, vec!["ml_pred".into()], cols).unwrap_or_else(|_| unreachable!()))
}

fn script(data: &[u8]) -> Result<String, String> {
    let source = String::from_utf8_lossy(data);
    let limits = ml4t_script::ScriptLimits {
        max_operations: 20_000,
        ..ml4t_script::ScriptLimits::default()
    };
    let script = match ml4t_script::Script::compile_with(&source, "fuzz.rhai", limits) {
        Ok(s) => s,
        Err(e) => return Ok(format!("compile: {}", signature(&e.to_string()))),
    };
    let bars = script_bars();
    let mut strategy = ml4t_script::ScriptStrategy::new(script);
    let config = BrokerConfig {
        allow_short: true,
        ..BrokerConfig::default()
    };
    match ml4t_engine::backtest(&bars, &mut strategy, config) {
        Ok(run) => Ok(format!("ran: {} fills", run.fills.len().min(3))),
        Err(e) => Ok(format!("run: {}", signature(&e.to_string()))),
    }
}
