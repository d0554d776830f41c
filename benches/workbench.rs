//! Edit-to-redrawn-plots latency of the workbench, headless: the whole window (egui_kittest, no
//! GPU and no painting) on 1M one-minute bars, Run pressed again and again. Each figure is the
//! workbench's own log of a run: from the run's start to the end of the first frame that drew
//! its result (engine, metrics and plot series, the hand-over, plot preparation and layout),
//! which is what a desktop with a GPU shows plus the GPU's paint.
//!
//! `cargo bench --bench workbench` generates the data (the S0 rules on the generated sample);
//! `ML4T_BENCH_PRESET=path/to/S0.ron cargo bench --bench workbench` uses a preset and its data
//! instead (BENCHMARKS.md: the fidelity harness's 1M bars). `ML4T_BENCH_RUNS` sets the count.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use ml4t_backtest::app::{Command, Persisted, Workbench};
use ml4t_data::{SampleFreq, SampleSpec, sample, write_parquet};

/// S0 on the generated sample's file.
const S0: &str = r#"(
    version: 2,
    name: "S0 latency benchmark",
    data: (path: "bars.parquet"),
    strategy: Rules(
        entry: [SignalAbove("ml_pred", 0.8)],
        exit: [SignalBelow("ml_pred", 0.4)],
        sizer: FixedQuantity(100.0),
    ),
    broker: (initial_cash: 100000.0, commission: (percent: 0.001)),
)"#;

fn generated(dir: &Path) -> PathBuf {
    let bars = sample(&SampleSpec {
        assets: 1,
        bars: 1_000_000,
        freq: SampleFreq::Every {
            step_ns: 60_000_000_000,
        },
        ..SampleSpec::default()
    })
    .unwrap();
    write_parquet(&bars, &dir.join("bars.parquet")).unwrap();
    let preset = dir.join("s0.ron");
    std::fs::write(&preset, S0).unwrap();
    preset
}

fn step_until(h: &mut Harness<'static, Workbench>, what: &str, done: impl Fn(&Workbench) -> bool) {
    let start = Instant::now();
    while !done(h.state()) {
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "timed out waiting for {what} (error: {:?})",
            h.state().error()
        );
        h.step();
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn main() {
    // As the `ml4t` binary does: freed run results stay in the heap for the next run.
    ml4t_backtest::keep_freed_buffers();
    let dir = tempfile::tempdir().unwrap();
    let preset = std::env::var_os("ML4T_BENCH_PRESET").map_or_else(|| generated(dir.path()), PathBuf::from);
    let runs: usize = std::env::var("ML4T_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20)
        .max(1);
    let app = Workbench::with_sample_dir(Persisted::default(), Arc::new(|| {}), dir.path().join("sample"));
    let mut h = Harness::builder()
        .with_size(egui::vec2(1600.0, 1000.0))
        .build_ui_state(|ui, app: &mut Workbench| app.frame_ui(ui), app);
    step_until(&mut h, "the sample's first run", |a| a.run().is_some() && a.idle());
    h.state_mut().push(Command::OpenPreset(preset.clone()));
    step_until(&mut h, "the preset's data and run", |a| {
        a.idle() && a.run().is_some_and(|r| r.result.bars >= 100_000)
    });
    let (bars, trades) = {
        let r = &h.state().run().unwrap().result;
        (r.bars, r.trades.len())
    };
    let (mut total, mut engine, mut after) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        h.state_mut().clear_run();
        h.state_mut().push(Command::Run);
        step_until(&mut h, "the run", |a| a.idle() && a.run().is_some());
        // The frame that draws the result logs the latency.
        h.step();
        let run = h.state().run().unwrap();
        total.push(h.state().last_latency_ms().unwrap());
        engine.push(run.engine_ms);
        after.push(run.elapsed_ms - run.engine_ms);
    }
    for v in [&mut total, &mut engine, &mut after] {
        v.sort_by(f64::total_cmp);
    }
    println!("workbench latency, headless (no painting): {}", preset.display());
    println!("{bars} bars, {trades} trades, {runs} runs; ms: min / median / 90th percentile");
    for (name, v) in [
        ("run to redrawn plots", &total),
        ("  engine", &engine),
        ("  metrics and plot series", &after),
    ] {
        println!(
            "{name:28} {:7.1} {:7.1} {:7.1}",
            v[0],
            percentile(v, 0.5),
            percentile(v, 0.9)
        );
    }
}
