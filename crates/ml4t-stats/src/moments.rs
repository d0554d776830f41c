//! Moments of one return series and its per-period Sharpe ratio.
//!
//! Conventions (those of the Deflated Sharpe Ratio paper):
//! - the standard deviation in the Sharpe ratio is the *sample* one (n - 1);
//! - skewness γ₃ = m₃ / m₂^{3/2} and kurtosis γ₄ = m₄ / m₂² use *population*
//!   central moments mₖ = Σ(x - x̄)ᵏ / n; kurtosis is non-excess (normal = 3);
//! - the Sharpe ratio is per period (mean / std of the returns as given, no
//!   risk-free rate, not annualised).
//!
//! Every function returns `None` instead of NaN or ±∞: on an empty series, on
//! a single value where a spread is needed, and on a constant series (zero
//! spread, so Sharpe, skewness and kurtosis are undefined).
//!
//! Inputs are any `Copy + Into<f64>` slice (`f32` sweep columns or `f64`);
//! arithmetic is always `f64`. Deviations are taken from the first value
//! before averaging so a constant series gives exactly zero spread, not a
//! rounding residue that would make its Sharpe ratio astronomically large.

use serde::Serialize;

/// The first four moments of a return series, all defined.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Moments {
    /// Number of returns.
    pub n: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (n - 1 denominator), > 0.
    pub std: f64,
    /// Population skewness γ₃ = m₃ / m₂^{3/2}.
    pub skewness: f64,
    /// Population non-excess kurtosis γ₄ = m₄ / m₂² (normal = 3).
    pub kurtosis: f64,
}

impl Moments {
    /// All moments of `xs`; `None` when it has fewer than 2 values or is constant.
    pub fn of<T: Copy + Into<f64>>(xs: &[T]) -> Option<Self> {
        let n = xs.len();
        if n < 2 {
            return None;
        }
        let (shift, shifted_mean) = shifted_mean(xs)?;
        let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
        for &x in xs {
            let d = x.into() - shift - shifted_mean;
            let d2 = d * d;
            m2 += d2;
            m3 += d2 * d;
            m4 += d2 * d2;
        }
        if m2 <= 0.0 {
            return None;
        }
        let nf = n as f64;
        let (m2p, m3p, m4p) = (m2 / nf, m3 / nf, m4 / nf);
        Some(Self {
            n,
            mean: shift + shifted_mean,
            std: (m2 / (nf - 1.0)).sqrt(),
            skewness: m3p / m2p.powf(1.5),
            kurtosis: m4p / (m2p * m2p),
        })
    }

    /// Per-period Sharpe ratio mean / std.
    pub fn sharpe(&self) -> f64 {
        self.mean / self.std
    }
}

/// Arithmetic mean; `None` for an empty series.
pub fn mean<T: Copy + Into<f64>>(xs: &[T]) -> Option<f64> {
    shifted_mean(xs).map(|(shift, m)| shift + m)
}

/// Sample standard deviation (n - 1); `None` for fewer than 2 values.
/// A constant series gives `Some(0.0)`.
pub fn sample_std<T: Copy + Into<f64>>(xs: &[T]) -> Option<f64> {
    if xs.len() < 2 {
        return None;
    }
    let (shift, m) = shifted_mean(xs)?;
    let ss: f64 = xs.iter().map(|&x| (x.into() - shift - m).powi(2)).sum();
    Some((ss / (xs.len() as f64 - 1.0)).sqrt())
}

/// Population skewness γ₃; `None` for fewer than 2 values or a constant series.
pub fn skewness<T: Copy + Into<f64>>(xs: &[T]) -> Option<f64> {
    Moments::of(xs).map(|m| m.skewness)
}

/// Population non-excess kurtosis γ₄ (normal = 3); `None` as for [`skewness`].
pub fn kurtosis<T: Copy + Into<f64>>(xs: &[T]) -> Option<f64> {
    Moments::of(xs).map(|m| m.kurtosis)
}

/// Per-period Sharpe ratio mean / sample std, not annualised;
/// `None` for fewer than 2 values or a constant series.
pub fn sharpe<T: Copy + Into<f64>>(xs: &[T]) -> Option<f64> {
    let std = sample_std(xs)?;
    if std > 0.0 { Some(mean(xs)? / std) } else { None }
}

/// Sample variance (n - 1) of already computed values, e.g. the Sharpe ratios
/// of a sweep's trials; `None` for fewer than 2 values.
pub fn sample_variance(xs: &[f64]) -> Option<f64> {
    sample_std(xs).map(|s| s * s)
}

/// (first value, mean of the values minus the first value).
fn shifted_mean<T: Copy + Into<f64>>(xs: &[T]) -> Option<(f64, f64)> {
    let shift: f64 = (*xs.first()?).into();
    let sum: f64 = xs.iter().map(|&x| x.into() - shift).sum();
    Some((shift, sum / xs.len() as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn moments_hand_computed() {
        // xs = [1, 2, 3, 4, 10]: mean = 20/5 = 4.
        // deviations -3, -2, -1, 0, 6
        // Σd² = 9+4+1+0+36 = 50   → m2 = 10, sample var = 50/4 = 12.5
        // Σd³ = -27-8-1+0+216 = 180 → m3 = 36
        // Σd⁴ = 81+16+1+0+1296 = 1394 → m4 = 278.8
        // skew = 36 / 10^1.5 = 1.1384199576606165
        // kurt = 278.8 / 100 = 2.788
        let m = Moments::of(&[1.0_f64, 2.0, 3.0, 4.0, 10.0]).unwrap();
        assert_eq!(m.n, 5);
        assert!(close(m.mean, 4.0));
        assert!(close(m.std, 12.5_f64.sqrt()));
        assert!(close(m.skewness, 36.0 / 10f64.powf(1.5)));
        assert!(close(m.kurtosis, 2.788));
        // Sharpe = 4 / √12.5 = 1.131370849898476
        assert!(close(m.sharpe(), 4.0 / 12.5_f64.sqrt()));
        assert!(close(
            sharpe(&[1.0_f64, 2.0, 3.0, 4.0, 10.0]).unwrap(),
            1.131_370_849_898_476
        ));
    }

    #[test]
    fn moments_symmetric_two_point_series() {
        // [-1, 1]: mean 0, sample std √2, m2 = 1, m3 = 0, m4 = 1 → skew 0, kurt 1.
        let m = Moments::of(&[-1.0_f32, 1.0]).unwrap();
        assert!(close(m.mean, 0.0));
        assert!(close(m.std, 2f64.sqrt()));
        assert!(close(m.skewness, 0.0));
        assert!(close(m.kurtosis, 1.0));
        assert!(close(m.sharpe(), 0.0));
    }

    #[test]
    fn moments_empty_single_and_constant_are_none() {
        let empty: [f64; 0] = [];
        assert_eq!(mean(&empty), None);
        assert_eq!(sample_std(&empty), None);
        assert_eq!(sharpe(&empty), None);
        assert_eq!(mean(&[3.0_f64]), Some(3.0));
        assert_eq!(sample_std(&[3.0_f64]), None);
        assert_eq!(Moments::of(&[3.0_f64]), None);
        // 0.1 is not exact in binary; the shift keeps the spread exactly zero.
        let flat = [0.1_f64; 7];
        assert_eq!(sample_std(&flat), Some(0.0));
        assert_eq!(sharpe(&flat), None);
        assert_eq!(skewness(&flat), None);
        assert_eq!(kurtosis(&flat), None);
    }

    #[test]
    fn sample_variance_hand_computed() {
        // [0.1, 0.2, 0.3]: mean 0.2, Σd² = 0.01 + 0 + 0.01 = 0.02, /2 = 0.01.
        assert!(close(sample_variance(&[0.1, 0.2, 0.3]).unwrap(), 0.01));
        assert_eq!(sample_variance(&[0.5]), None);
    }
}
