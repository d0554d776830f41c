//! Deterministic synthetic bars for demos, tests and benchmarks.
//!
//! Prices follow a geometric random walk whose drift and volatility switch regime now and then.
//! `ml_pred` is a noisy view of the NEXT bar's shock (deliberately peeking, with a low
//! signal-to-noise ratio): a threshold strategy earns something, not a fortune.

use serde::{Deserialize, Serialize};

use super::DataError;
use ml4t_engine::market::{BarColumns, Bars};
use ml4t_engine::types::{AssetId, NS_PER_DAY, TimestampNs};

/// Bars per rolling window of `volatility` and `momentum`.
const WINDOW: usize = 20;
/// Weight of the next bar's shock in `ml_pred`'s logit (its noise has weight 1).
const PRED_SIGNAL: f64 = 0.1;
/// Chance per bar that an asset's drift/volatility regime changes.
const REGIME_SWITCH: f64 = 0.01;
const DRIFTS: [f64; 3] = [-0.0006, 0.0002, 0.0008];
const VOLS: [f64; 3] = [0.008, 0.015, 0.03];

/// Spacing of the generated timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SampleFreq {
    /// One bar per day, Monday to Friday, at the start's time of day.
    #[default]
    Weekdays,
    /// A fixed step, e.g. one minute, with no calendar gaps.
    Every { step_ns: i64 },
}

/// What to generate. Same spec, same bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SampleSpec {
    pub assets: usize,
    /// Bars per asset.
    pub bars: usize,
    /// First timestamp (moved to the next Monday if it falls on a weekend with `Weekdays`).
    pub start: TimestampNs,
    pub seed: u64,
    pub freq: SampleFreq,
}

impl Default for SampleSpec {
    fn default() -> Self {
        // 2000-01-03, a Monday.
        SampleSpec {
            assets: 1,
            bars: 2_000,
            start: TimestampNs(10_959 * NS_PER_DAY),
            seed: 42,
            freq: SampleFreq::Weekdays,
        }
    }
}

/// Generates `spec.assets` assets (`A000`, `A001`, ...) with the same timestamps, and signals
/// `ml_pred`, `confidence`, `volatility`, `momentum` (the last two NaN for the first 20 bars).
pub fn sample(spec: &SampleSpec) -> Result<Bars, DataError> {
    let (n_assets, n_bars) = (spec.assets, spec.bars);
    let rows = n_assets * n_bars;
    let times = timestamps(spec.start, n_bars, spec.freq);
    if times.len() < n_bars {
        return Err(DataError::SampleTooLong { bars: n_bars });
    }
    let mut cols = BarColumns {
        ts: Vec::with_capacity(rows),
        asset: Vec::with_capacity(rows),
        open: vec![0.0; rows],
        high: vec![0.0; rows],
        low: vec![0.0; rows],
        close: vec![0.0; rows],
        volume: vec![0.0; rows],
        signals: (0..4).map(|_| vec![0.0; rows]).collect(),
    };
    for &t in &times {
        cols.ts.extend(std::iter::repeat_n(t, n_assets));
        cols.asset.extend((0..n_assets as u32).map(AssetId));
    }
    for a in 0..n_assets {
        walk(&mut cols, a, n_assets, spec.seed, step_scale(spec.freq));
    }
    let width = (n_assets.saturating_sub(1)).to_string().len().max(3);
    let names = (0..n_assets).map(|i| format!("A{i:0width$}")).collect();
    let signals = ["ml_pred", "confidence", "volatility", "momentum"]
        .map(String::from)
        .to_vec();
    Ok(Bars::new(names, signals, cols)?)
}

fn timestamps(start: TimestampNs, n: usize, freq: SampleFreq) -> Vec<i64> {
    // Days since 1970-01-01 (a Thursday) + 3 = days since a Monday.
    let is_weekend = |t: i64| (t.div_euclid(NS_PER_DAY) + 3).rem_euclid(7) >= 5;
    let mut t = start.0;
    let mut out = Vec::with_capacity(n);
    // Stops early at the end of representable time; `Bars::new` then reports the short column.
    while out.len() < n && t < i64::MAX {
        match freq {
            SampleFreq::Weekdays if is_weekend(t) => {}
            _ => out.push(t),
        }
        t = t.saturating_add(match freq {
            SampleFreq::Weekdays => NS_PER_DAY,
            SampleFreq::Every { step_ns } => step_ns.max(1),
        });
    }
    out
}

/// Daily drift and volatility scale with the bar spacing: (drift factor, volatility factor).
fn step_scale(freq: SampleFreq) -> (f64, f64) {
    match freq {
        SampleFreq::Weekdays => (1.0, 1.0),
        SampleFreq::Every { step_ns } => {
            let days = step_ns.max(1) as f64 / NS_PER_DAY as f64;
            (days, days.sqrt())
        }
    }
}

/// Fills asset `a`'s rows (every `stride`-th row from `a`) with one random walk whose daily drift
/// and volatility are scaled to the bar spacing (`scale` from [`step_scale`]).
fn walk(cols: &mut BarColumns, a: usize, stride: usize, seed: u64, scale: (f64, f64)) {
    let mut rng = Rng::new(seed ^ (a as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
    let mut prev_close = 20.0 * 10f64.powf(rng.uniform());
    let base_volume = 1e5 * 10f64.powf(rng.uniform());
    let (mut drift, mut vol) = (DRIFTS[1] * scale.0, VOLS[1] * scale.1);
    let mut returns = [0.0; WINDOW];
    let mut closes = [0.0; WINDOW];
    let mut z_next = rng.normal();
    let n_bars = cols.close.len() / stride.max(1);
    for (t, row) in (a..).step_by(stride.max(1)).take(n_bars).enumerate() {
        let z = z_next;
        z_next = rng.normal();
        if rng.uniform() < REGIME_SWITCH {
            drift = DRIFTS[rng.below(DRIFTS.len())] * scale.0;
            vol = VOLS[rng.below(VOLS.len())] * scale.1;
        }
        let close = prev_close * (drift + vol * z).exp();
        let open = prev_close * (0.2 * vol * (rng.uniform() - 0.5)).exp();
        let high = open.max(close) * (1.0 + 0.6 * vol * rng.uniform());
        let low = open.min(close) * (1.0 - 0.6 * vol * rng.uniform());
        let ret = close / prev_close - 1.0;

        let logit = PRED_SIGNAL * z_next + rng.normal();
        let confidence = sigmoid(1.5 * logit.abs() - 1.0 + (rng.uniform() - 0.5));
        // From bar WINDOW on, the rings hold the last WINDOW returns and the close WINDOW bars ago.
        returns[t % WINDOW] = ret;
        let (volatility, momentum) = if t >= WINDOW {
            (std_dev(&returns), close / closes[t % WINDOW] - 1.0)
        } else {
            (f64::NAN, f64::NAN)
        };
        closes[t % WINDOW] = close;

        cols.open[row] = open;
        cols.high[row] = high;
        cols.low[row] = low;
        cols.close[row] = close;
        cols.volume[row] = (base_volume * (0.5 + rng.uniform()) * (1.0 + 30.0 * ret.abs()))
            .round()
            .max(1.0);
        cols.signals[0][row] = sigmoid(logit);
        cols.signals[1][row] = confidence;
        cols.signals[2][row] = volatility;
        cols.signals[3][row] = momentum;
        prev_close = close;
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Sample standard deviation.
fn std_dev(xs: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    (xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0)).sqrt()
}

/// SplitMix64 with Box–Muller normals: small, fast, and stable across platforms and versions.
struct Rng {
    state: u64,
    spare: Option<f64>,
}

impl Rng {
    fn new(seed: u64) -> Self {
        Rng {
            state: seed,
            spare: None,
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in the open interval (0, 1).
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        ((self.uniform() * n as f64) as usize).min(n - 1)
    }

    fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let r = (-2.0 * self.uniform().ln()).sqrt();
        let (sin, cos) = (std::f64::consts::TAU * self.uniform()).sin_cos();
        self.spare = Some(r * sin);
        r * cos
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ml4t_engine::types::SignalId;

    fn spec(assets: usize, bars: usize, seed: u64) -> SampleSpec {
        SampleSpec {
            assets,
            bars,
            seed,
            ..SampleSpec::default()
        }
    }

    #[test]
    fn sample_minute_bars_stay_finite_and_long_spans_fail_clearly() {
        let spec = SampleSpec {
            bars: 200_000,
            freq: SampleFreq::Every {
                step_ns: 60_000_000_000,
            },
            ..SampleSpec::default()
        };
        let b = sample(&spec).unwrap();
        assert!(b.close().iter().all(|c| c.is_finite() && *c > 0.0));
        let (lo, hi) = b
            .close()
            .iter()
            .fold((f64::MAX, 0.0f64), |(l, h), &c| (l.min(c), h.max(c)));
        assert!(hi / lo < 100.0, "minute bars move like minutes, not days: {lo}..{hi}");
        let err = sample(&SampleSpec {
            bars: 1_000_000,
            ..SampleSpec::default()
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("2262"), "{err}");
    }

    #[test]
    fn sample_same_seed_same_bars() {
        let a = sample(&spec(3, 300, 7)).unwrap();
        let b = sample(&spec(3, 300, 7)).unwrap();
        // Debug compares NaN signals as equal text; each build has its own id, so leave it out.
        let data = |b: &Bars| format!("{b:?}").replacen(&format!("id: {:?}, ", b.id()), "", 1);
        assert_eq!(data(&a), data(&b));
        let c = sample(&spec(3, 300, 8)).unwrap();
        assert_ne!(a.close(), c.close());
    }

    #[test]
    fn sample_shape_and_names() {
        let b = sample(&spec(3, 50, 1)).unwrap();
        assert_eq!(b.len(), 150);
        assert_eq!(b.n_timestamps(), 50);
        assert_eq!(b.assets(), &["A000", "A001", "A002"]);
        assert_eq!(b.signal_names(), &["ml_pred", "confidence", "volatility", "momentum"]);
        let names = sample(&spec(1001, 1, 1)).unwrap();
        assert_eq!(names.assets()[1000], "A1000");
    }

    #[test]
    fn sample_skips_weekends() {
        let b = sample(&spec(1, 6, 1)).unwrap();
        let days: Vec<String> = b.timestamps().map(|t| t.to_date()).collect();
        assert_eq!(
            days,
            [
                "2000-01-03",
                "2000-01-04",
                "2000-01-05",
                "2000-01-06",
                "2000-01-07",
                "2000-01-10"
            ]
        );
    }

    #[test]
    fn sample_bars_are_consistent() {
        let b = sample(&spec(2, 500, 3)).unwrap();
        for r in 0..b.len() {
            let bar = b.bar(r);
            assert!(bar.low() > 0.0 && bar.low() <= bar.open().min(bar.close()));
            assert!(bar.high() >= bar.open().max(bar.close()));
            assert!(bar.volume() > 0.0);
            let (p, c) = (bar.signal(SignalId(0)), bar.signal(SignalId(1)));
            assert!(p > 0.0 && p < 1.0 && c > 0.0 && c < 1.0);
        }
        let rows = b.rows_of(AssetId(1));
        let vol = b.signal_column(SignalId(2));
        let mom = b.signal_column(SignalId(3));
        assert!(rows[..WINDOW].iter().all(|&r| vol[r].is_nan() && mom[r].is_nan()));
        assert!(rows[WINDOW..].iter().all(|&r| vol[r] > 0.0 && mom[r].is_finite()));
        let (c0, c20) = (b.close()[rows[0]], b.close()[rows[WINDOW]]);
        assert!((mom[rows[WINDOW]] - (c20 / c0 - 1.0)).abs() < 1e-12);
    }

    #[test]
    fn sample_pred_is_mildly_predictive() {
        let b = sample(&spec(1, 20_000, 11)).unwrap();
        let (close, pred) = (b.close(), b.signal_column(SignalId(0)));
        let (mut up_hi, mut n_hi, mut up_lo, mut n_lo) = (0, 0, 0, 0);
        for t in 0..b.len() - 1 {
            let up = close[t + 1] > close[t];
            if pred[t] > 0.5 {
                (up_hi, n_hi) = (up_hi + up as usize, n_hi + 1);
            } else {
                (up_lo, n_lo) = (up_lo + up as usize, n_lo + 1);
            }
        }
        let (hit_hi, hit_lo) = (up_hi as f64 / n_hi as f64, up_lo as f64 / n_lo as f64);
        assert!(hit_hi - hit_lo > 0.02 && hit_hi - hit_lo < 0.2, "{hit_hi} vs {hit_lo}");
    }

    #[test]
    fn rng_normals_have_unit_variance() {
        let mut rng = Rng::new(5);
        let xs: Vec<f64> = (0..100_000).map(|_| rng.normal()).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        assert!(mean.abs() < 0.02);
        assert!((std_dev(&xs) - 1.0).abs() < 0.02);
    }
}
