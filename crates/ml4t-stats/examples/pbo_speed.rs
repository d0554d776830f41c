//! PBO speed on a sweep-sized matrix: 1,000 combinations × 2,520 daily
//! returns (10 years), S = 16 blocks (12,870 splits).
//!
//! `cargo run --release --example pbo_speed`

use std::time::Instant;

use ml4t_stats::pbo::{PboOptions, pbo};

/// splitmix64 + Box–Muller, so the example needs no `rand`.
fn noise(n: usize, t: usize, mut state: u64) -> Vec<Vec<f32>> {
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64 + 0.5 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| {
            (0..t)
                .map(|_| {
                    let (u1, u2) = (next(), next());
                    (0.01 * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
                })
                .collect()
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (n, t) = (1000, 2520);
    let returns = noise(n, t, 42);
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    for threads in [1, 0] {
        let opts = PboOptions { blocks: 16, threads };
        // Warm-up run, then the best of three.
        pbo(&returns, &opts)?;
        let mut best = f64::INFINITY;
        let mut last = None;
        for _ in 0..3 {
            let start = Instant::now();
            let r = pbo(&returns, &opts)?;
            best = best.min(start.elapsed().as_secs_f64());
            last = Some(r);
        }
        let label = if threads == 0 {
            format!("all {cores} cores")
        } else {
            "1 thread".to_owned()
        };
        if let Some(r) = last {
            println!(
                "{n} combinations × {t} periods, S = 16 ({} splits), {label}: {:.1} ms (PBO of pure noise = {:.3})",
                r.n_splits,
                best * 1e3,
                r.pbo
            );
        }
    }
    Ok(())
}
