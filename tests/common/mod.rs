//! Shared generators for the integration tests.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

use ml4t_engine::market::{BarColumns, Bars};
use ml4t_engine::results::json::ResultJson;
use ml4t_engine::types::AssetId;
use proptest::prelude::*;

pub const DAY_NS: i64 = 86_400_000_000_000;

/// Random OHLC bars: 2..`max_ts` timestamps, 1..=`max_assets` assets, bars missing at random
/// after the first timestamp, signals `s` and `t` in [0, 1) with a few NaN.
pub fn arb_bars(max_ts: usize, max_assets: usize) -> impl Strategy<Value = Bars> {
    (2usize..max_ts, 1usize..=max_assets).prop_flat_map(|(n, k)| {
        prop::collection::vec(
            (
                0.0f64..1.0,
                -0.05f64..0.05,
                0.0f64..0.03,
                0.0f64..0.03,
                -0.03f64..0.03,
                0.0f64..1.0,
                0.0f64..1.0,
            ),
            n * k,
        )
        .prop_map(move |rows| {
            let mut cols = BarColumns::with_capacity(n * k, 2);
            let mut close = vec![100.0; k];
            for t in 0..n {
                for a in 0..k {
                    let (present, ret, up, down, gap, s, u) = rows[t * k + a];
                    if present > 0.85 && t > 0 {
                        continue;
                    }
                    let open = close[a] * (1.0 + gap);
                    let c = open * (1.0 + ret);
                    let high = open.max(c) * (1.0 + up);
                    let low = open.min(c) * (1.0 - down);
                    close[a] = c;
                    let s = if s > 0.97 { f64::NAN } else { s };
                    cols.push(t as i64 * DAY_NS, AssetId(a as u32), open, high, low, c, 1e6, &[s, u]);
                }
            }
            let names = (0..k).map(|a| format!("A{a:03}")).collect();
            Bars::new(names, vec!["s".into(), "t".into()], cols).unwrap()
        })
    })
}

/// The crate's root folder (fixtures are below it).
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the `ml4t` binary in the crate root.
pub fn ml4t(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ml4t"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

/// A golden result from `tests/fixtures/expected/<data>/<case>.json`.
pub fn golden(data: &str, case: &str) -> ResultJson {
    let p = root()
        .join("tests/fixtures/expected")
        .join(data)
        .join(format!("{case}.json"));
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}
