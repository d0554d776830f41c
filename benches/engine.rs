//! Engine-only throughput with a Rust callback strategy (S2 logic: ML threshold entry with a
//! confidence filter, signal/stop-loss/take-profit exits, percent-of-cash sizing).
//! `cargo bench --bench engine`; figures go to BENCHMARKS.md.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ml4t_data::{SampleFreq, SampleSpec, sample};
use ml4t_engine::backtest;
use ml4t_engine::execution::BrokerConfig;
use ml4t_engine::market::Bars;
use ml4t_engine::strategy::reference::MlThreshold;

fn generate(assets: usize, bars: usize) -> Bars {
    // Minute bars: 10M weekday bars would not fit in i64 nanoseconds.
    let spec = SampleSpec {
        assets,
        bars,
        freq: SampleFreq::Every {
            step_ns: 60_000_000_000,
        },
        ..SampleSpec::default()
    };
    match sample(&spec) {
        Ok(b) => b,
        Err(e) => panic!("sample generation failed: {e}"),
    }
}

fn engine_s2(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine_s2_rust_callback");
    group.sample_size(10);
    for (assets, bars) in [(1, 1_000_000), (1, 10_000_000), (500, 5_000)] {
        let data = generate(assets, bars);
        group.throughput(Throughput::Elements(data.len() as u64));
        group.bench_function(format!("{assets}x{bars}"), |b| {
            b.iter(|| {
                let mut s = MlThreshold::scenario("S2").unwrap_or_else(|| unreachable!());
                let run = backtest(&data, &mut s, BrokerConfig::default());
                std::hint::black_box(run.map(|r| r.trades.len()).unwrap_or(0))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, engine_s2);
criterion_main!(benches);
