//! A stable-toolchain fuzzer (no nightly, no cargo-fuzz): mutates a seed corpus with a small
//! built-in mutator and runs a target on each input, catching panics and timing out hangs.
//!
//! `cargo run --example fuzz -- TARGET [--secs N] [--execs N] [--seed N]`
//! with TARGET one of csv, parquet, preset, protocol, script (the seeds are in
//! `tests/fixtures/fuzz/TARGET/`). Crashes and hangs are written to `target/fuzz/TARGET/`; add
//! the fixed ones to the seed folder, where `cargo test` replays them (`tests/fuzz_corpus.rs`).
//! The feedback is crude but cheap: an input whose outcome (error message class) is new joins
//! the working corpus. The input being run is always in `target/fuzz/TARGET/last-input`, so
//! that a process abort (which no `catch_unwind` sees) leaves it behind.

#![allow(clippy::print_stdout)]

mod targets;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

/// An input slower than this is a hang.
const HANG: Duration = Duration::from_secs(10);
/// Inputs grow to at most this many bytes.
const MAX_LEN: usize = 64 * 1024;
/// The working corpus stops growing here.
const MAX_CORPUS: usize = 2_000;

/// Tokens worth inserting: numbers at the edges, separators, JSON/RON/Rhai syntax.
const DICT: &[&str] = &[
    "0",
    "-1",
    "1e308",
    "-1e308",
    "NaN",
    "inf",
    "1e-11",
    "9007199254740993",
    "20240102",
    "99999999",
    "2262-04-12",
    "1677-09-21",
    "2024-01-02T09:31:00",
    ",",
    "\n",
    "\r\n",
    "\"",
    "\"\"",
    ",,",
    "null",
    "true",
    "{",
    "}",
    "[",
    "]",
    ":",
    "(",
    ")",
    "Some(",
    "None",
    "\"type\":\"bar\"",
    "\"type\":\"end_of_timestamp\"",
    "\"asset\":",
    "\"timestamp\":",
    "\"signals\":{",
    "ctx.",
    "fn on_bar(ctx, bar) {",
    "ctx.buy(",
    "ctx.state.",
    "loop {",
    "while true {",
    "let x = ",
    "bar.signal(\"ml_pred\")",
    "[1,2,3]",
    "PAR1",
    "\u{0}",
    "\u{feff}",
    "é",
    "date",
    "close",
    "asset",
    "timestamp",
];

/// xorshift64*: deterministic for a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

fn mutate(rng: &mut Rng, input: &mut Vec<u8>, corpus: &[Vec<u8>]) {
    for _ in 0..1 + rng.below(4) {
        let len = input.len();
        match rng.below(8) {
            0 if len > 0 => {
                let i = rng.below(len);
                input[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                input[i] = rng.next() as u8;
            }
            2 => {
                let i = rng.below(len + 1);
                input.insert(i, rng.next() as u8);
            }
            3 if len > 1 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(64));
                input.drain(i..i + n);
            }
            4 if len > 1 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(256));
                let chunk = input[i..i + n].to_vec();
                let at = rng.below(len + 1);
                input.splice(at..at, chunk);
            }
            5 | 6 => {
                let token = DICT[rng.below(DICT.len())].as_bytes();
                let at = rng.below(len + 1);
                input.splice(at..at, token.iter().copied());
            }
            _ => {
                // Splice in part of another input.
                let other = &corpus[rng.below(corpus.len())];
                if !other.is_empty() {
                    let i = rng.below(other.len());
                    let n = 1 + rng.below((other.len() - i).min(512));
                    let at = rng.below(len + 1);
                    input.splice(at..at, other[i..i + n].iter().copied());
                }
            }
        }
    }
    input.truncate(MAX_LEN);
}

enum Reply {
    Done(Result<String, String>),
    Crash(String),
}

/// The worker thread: runs inputs, catches panics.
fn worker(target: &'static str, scratch: PathBuf, inputs: Receiver<Vec<u8>>, replies: Sender<Reply>) {
    for input in inputs {
        let r = std::panic::catch_unwind(|| targets::run(target, &scratch, &input));
        let reply = match r {
            Ok(outcome) => Reply::Done(outcome),
            Err(payload) => Reply::Crash(
                payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_default(),
            ),
        };
        if replies.send(reply).is_err() {
            return;
        }
    }
}

fn save(dir: &Path, kind: &str, n: usize, input: &[u8]) -> PathBuf {
    let path = dir.join(format!("{kind}-{n}"));
    let _ = std::fs::write(&path, input);
    path
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(target) = args.first().and_then(|t| targets::TARGETS.iter().find(|x| *x == t)) else {
        eprintln!(
            "usage: fuzz TARGET [--secs N] [--execs N] [--seed N]; targets: {}",
            targets::TARGETS.join(", ")
        );
        std::process::exit(2);
    };
    let flag = |name: &str| -> Option<u64> {
        let i = args.iter().position(|a| a == name)?;
        args.get(i + 1)?.parse().ok()
    };
    if args.iter().any(|a| a == "--make-seeds") {
        if let Err(e) = make_parquet_seeds() {
            eprintln!("writing the Parquet seeds: {e}");
            std::process::exit(1);
        }
        return;
    }
    let secs = flag("--secs").unwrap_or(60);
    let max_execs = flag("--execs").unwrap_or(u64::MAX);
    let mut rng = Rng(flag("--seed").unwrap_or(0x9e37_79b9_7f4a_7c15) | 1);

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let seeds = root.join("tests/fixtures/fuzz").join(target);
    let mut corpus: Vec<Vec<u8>> = std::fs::read_dir(&seeds)
        .map(|d| d.flatten().filter_map(|e| std::fs::read(e.path()).ok()).collect())
        .unwrap_or_default();
    if corpus.is_empty() {
        corpus.push(Vec::new());
    }
    let out = root.join("target/fuzz").join(target);
    let scratch = out.join("scratch");
    if let Err(e) = std::fs::create_dir_all(&scratch) {
        eprintln!("cannot create {}: {e}", scratch.display());
        std::process::exit(1);
    }
    // Panics are counted, not printed.
    std::panic::set_hook(Box::new(|_| {}));

    let (in_tx, in_rx) = channel::<Vec<u8>>();
    let (out_tx, out_rx) = channel::<Reply>();
    let scratch_w = scratch.clone();
    let target_name: &'static str = target;
    std::thread::spawn(move || worker(target_name, scratch_w, in_rx, out_tx));

    let last_input = out.join("last-input");
    let started = Instant::now();
    let (mut execs, mut crashes, mut caught, mut slowest) = (0u64, 0usize, 0usize, Duration::ZERO);
    let mut signatures: HashSet<String> = HashSet::new();
    let seeds_n = corpus.len();
    let mut i = 0usize;
    let mut hang = None;
    while started.elapsed() < Duration::from_secs(secs) && execs < max_execs {
        // Seeds as they are first, then mutants.
        let input = if i < seeds_n {
            corpus[i].clone()
        } else {
            let mut x = corpus[rng.below(corpus.len())].clone();
            mutate(&mut rng, &mut x, &corpus);
            x
        };
        i += 1;
        // An abort (a failed allocation) cannot be caught: the input that caused it stays here.
        let _ = std::fs::write(&last_input, &input);
        let t0 = Instant::now();
        if in_tx.send(input.clone()).is_err() {
            break;
        }
        let reply = match out_rx.recv_timeout(HANG) {
            Ok(r) => r,
            Err(_) => {
                hang = Some(save(&out, "hang", execs as usize, &input));
                break;
            }
        };
        slowest = slowest.max(t0.elapsed());
        execs += 1;
        match reply {
            Reply::Done(Ok(sig)) => {
                if signatures.insert(sig) && corpus.len() < MAX_CORPUS {
                    corpus.push(input);
                }
            }
            Reply::Done(Err(msg)) => {
                caught += 1;
                if caught <= 20 {
                    let p = save(&out, "caught", caught, &input);
                    println!("caught panic (now an error) #{caught}: {msg} -> {}", p.display());
                }
            }
            Reply::Crash(msg) => {
                crashes += 1;
                if crashes <= 20 {
                    let p = save(&out, "crash", crashes, &input);
                    println!("CRASH #{crashes}: {msg} -> {}", p.display());
                }
            }
        }
        if execs.is_power_of_two() && execs >= 1024 {
            println!(
                "{target}: {execs} execs in {:.0} s, corpus {}, outcomes {}, crashes {crashes}, caught {caught}",
                started.elapsed().as_secs_f64(),
                corpus.len(),
                signatures.len()
            );
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{target}: {execs} execs in {secs:.0} s ({:.0}/s); seeds {seeds_n}, corpus {}, distinct outcomes {}; \
         crashes {crashes}; caught reader panics {caught}; hangs {}; slowest input {:.0} ms",
        execs as f64 / secs.max(1e-9),
        corpus.len(),
        signatures.len(),
        usize::from(hang.is_some()),
        slowest.as_secs_f64() * 1e3
    );
    if let Some(h) = hang {
        println!("HANG: input over {} s -> {}", HANG.as_secs(), h.display());
        // The worker thread is stuck; leave without joining it.
        std::process::exit(3);
    }
}

/// Writes the Parquet seeds (`--make-seeds`): plain, decimal, YYYYMMDD integer dates,
/// multi-asset with a categorical asset and a null-typed column.
fn make_parquet_seeds() -> Result<(), Box<dyn std::error::Error>> {
    use polars::prelude::*;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz/parquet");
    std::fs::create_dir_all(&dir)?;
    let n = 6usize;
    let close: Vec<f64> = (0..n).map(|i| 100.0 + i as f64).collect();
    let base = || -> PolarsResult<DataFrame> {
        let ts: Vec<i64> = (0..n as i64).map(|i| (19_724 + i) * 86_400_000_000_000).collect();
        let ts = Series::new("timestamp".into(), ts).cast(&DataType::Datetime(TimeUnit::Nanoseconds, None))?;
        DataFrame::new(
            n,
            vec![
                ts.into(),
                Column::new("open".into(), close.iter().map(|c| c - 0.5).collect::<Vec<_>>()),
                Column::new("high".into(), close.iter().map(|c| c + 1.0).collect::<Vec<_>>()),
                Column::new("low".into(), close.iter().map(|c| c - 1.0).collect::<Vec<_>>()),
                Column::new("close".into(), close.clone()),
                Column::new("volume".into(), vec![1000.0; n]),
                Column::new(
                    "ml_pred".into(),
                    vec![Some(0.5), None, Some(0.9), Some(0.1), None, Some(0.7)],
                ),
            ],
        )
    };
    let write = |name: &str, df: &mut DataFrame| -> Result<(), Box<dyn std::error::Error>> {
        ParquetWriter::new(std::fs::File::create(dir.join(name))?).finish(df)?;
        Ok(())
    };
    write("plain.parquet", &mut base()?)?;
    let mut df = base()?;
    for name in ["open", "high", "low", "close"] {
        let s = df
            .column(name)?
            .as_materialized_series()
            .cast(&DataType::Decimal(12, 4))?;
        df.with_column(s.into())?;
    }
    write("decimal.parquet", &mut df)?;
    let mut df = base()?;
    let dates: Vec<i64> = (0..n as i64).map(|i| 20_240_102 + i).collect();
    df.with_column(Column::new("timestamp".into(), dates))?;
    write("yyyymmdd.parquet", &mut df)?;
    let mut df = base()?;
    let assets = Series::new("asset".into(), ["A", "B", "A", "B", "A", "B"])
        .cast(&DataType::from_categories(Categories::global()))?;
    let ts: Vec<i64> = (0..n as i64).map(|i| (19_724 + i / 2) * 86_400_000_000_000).collect();
    df.with_column(assets.into())?;
    df.with_column(Column::new("timestamp".into(), ts))?;
    df.with_column(Column::full_null("empty".into(), n, &DataType::Null))?;
    write("multi_asset.parquet", &mut df)?;
    Ok(())
}
