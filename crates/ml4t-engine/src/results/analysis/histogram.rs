//! Fixed-width histograms, with the normal distribution of the same mean and deviation as an
//! overlay (expected counts per bin).

use super::{finite, mean, negligible, sample_std};

/// One bin: values in `[lo, hi)` (the last bin also holds `hi`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Bin {
    pub lo: f64,
    pub hi: f64,
    pub count: usize,
}

/// A normal distribution fitted by moments (sample mean and deviation).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NormalFit {
    pub mean: f64,
    /// Sample standard deviation (ddof 1), > 0.
    pub std: f64,
}

impl NormalFit {
    /// The fit of `values` (non-finite ones ignored); `None` below two values or without spread.
    pub fn of(values: &[f64]) -> Option<NormalFit> {
        let xs: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        let (m, sd) = (mean(&xs)?, sample_std(&xs)?);
        (!negligible(sd, &xs)).then_some(NormalFit { mean: m, std: sd })
    }

    /// Probability density at `x`.
    pub fn pdf(&self, x: f64) -> f64 {
        let z = (x - self.mean) / self.std;
        (-0.5 * z * z).exp() / (self.std * (2.0 * std::f64::consts::PI).sqrt())
    }
}

/// Counts of values in equal-width bins from the lowest to the highest finite value.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct Histogram {
    /// Ascending, contiguous; empty when there were no finite values.
    pub bins: Vec<Bin>,
    /// Finite values counted.
    pub n: usize,
    /// The normal fit of the values, if defined.
    pub normal: Option<NormalFit>,
    /// Expected count per bin under `normal` (`n * width * pdf(bin centre)`); empty without it.
    pub normal_counts: Vec<f64>,
}

impl Histogram {
    /// `n_bins` (at least 1) equal bins over the finite values; a single distinct value gets one
    /// bin of width 1 (or `|value|`) centred on it.
    pub fn new(values: &[f64], n_bins: usize) -> Histogram {
        let xs: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        let (Some(lo), Some(hi)) = (xs.iter().copied().reduce(f64::min), xs.iter().copied().reduce(f64::max)) else {
            return Histogram::default();
        };
        let (lo, hi, n_bins) = if hi > lo && finite(hi - lo).is_some() {
            (lo, hi, n_bins.max(1))
        } else {
            let half = if lo != 0.0 { 0.5 * lo.abs() } else { 0.5 };
            (lo - half, hi + half, 1)
        };
        Self::with_range(&xs, lo, hi, n_bins)
    }

    /// Bins of width 1 for whole numbers from `0` to the largest value (at most `max_bins` bins;
    /// wider bins of whole widths beyond that), e.g. holding times in bars.
    pub fn integers(values: &[usize], max_bins: usize) -> Histogram {
        let Some(&top) = values.iter().max() else {
            return Histogram::default();
        };
        let max_bins = max_bins.max(1);
        let width = (top + 1).div_ceil(max_bins).max(1);
        let n_bins = (top + 1).div_ceil(width);
        let xs: Vec<f64> = values.iter().map(|&v| v as f64).collect();
        // Edges at -0.5 + k * width so each bin is centred on whole numbers.
        let lo = -0.5;
        let hi = lo + (n_bins * width) as f64;
        Self::with_range(&xs, lo, hi, n_bins)
    }

    fn with_range(xs: &[f64], lo: f64, hi: f64, n_bins: usize) -> Histogram {
        let width = (hi - lo) / n_bins as f64;
        let mut bins: Vec<Bin> = (0..n_bins)
            .map(|k| Bin {
                lo: lo + k as f64 * width,
                hi: if k + 1 == n_bins {
                    hi
                } else {
                    lo + (k + 1) as f64 * width
                },
                count: 0,
            })
            .collect();
        for &x in xs {
            let k = (((x - lo) / width) as usize).min(n_bins - 1);
            bins[k].count += 1;
        }
        let normal = NormalFit::of(xs);
        let normal_counts = normal.map_or_else(Vec::new, |f| {
            bins.iter()
                .map(|b| {
                    let c = xs.len() as f64 * (b.hi - b.lo) * f.pdf(0.5 * (b.lo + b.hi));
                    finite(c).unwrap_or(0.0)
                })
                .collect()
        });
        Histogram {
            bins,
            n: xs.len(),
            normal,
            normal_counts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::analysis::assert_close;

    #[test]
    fn histogram_hand_computed() {
        // 0, 1, 1, 2, 4 over [0, 4] in 4 bins of width 1: [0,1) 1, [1,2) 2, [2,3) 1, [3,4] 1.
        let h = Histogram::new(&[0.0, 1.0, 1.0, 2.0, 4.0, f64::NAN], 4);
        let counts: Vec<usize> = h.bins.iter().map(|b| b.count).collect();
        assert_eq!(counts, vec![1, 2, 1, 1]);
        assert_eq!(h.n, 5);
        assert_eq!((h.bins[0].lo, h.bins[3].hi), (0.0, 4.0));
        // Mean 8/5 = 1.6; squares of deviations 2.56 + 0.36*2 + 0.16 + 5.76 = 9.2; var 9.2/4 = 2.3.
        let f = h.normal.unwrap();
        assert_close(f.mean, 1.6);
        assert_close(f.std, 2.3f64.sqrt());
        // First bin centre 0.5: 5 * 1 * pdf(0.5).
        let z: f64 = (0.5 - 1.6) / 2.3f64.sqrt();
        let pdf = (-0.5 * z * z).exp() / (2.3f64.sqrt() * (2.0 * std::f64::consts::PI).sqrt());
        assert_close(h.normal_counts[0], 5.0 * pdf);
    }

    #[test]
    fn histogram_degenerate_inputs() {
        assert_eq!(Histogram::new(&[], 10), Histogram::default());
        assert_eq!(Histogram::new(&[f64::INFINITY], 10), Histogram::default());
        // One distinct value: one bin [1.5, 4.5] holding both, no normal fit.
        let h = Histogram::new(&[3.0, 3.0], 10);
        assert_eq!(
            h.bins,
            vec![Bin {
                lo: 1.5,
                hi: 4.5,
                count: 2
            }]
        );
        assert!(h.normal.is_none() && h.normal_counts.is_empty());
    }

    #[test]
    fn histogram_integers_centred_bins() {
        // 1, 1, 3 up to 3 in at most 10 bins: 4 bins of width 1 around 0, 1, 2, 3.
        let h = Histogram::integers(&[1, 1, 3], 10);
        let counts: Vec<usize> = h.bins.iter().map(|b| b.count).collect();
        assert_eq!(counts, vec![0, 2, 0, 1]);
        assert_eq!((h.bins[0].lo, h.bins[0].hi), (-0.5, 0.5));
        // 0..=9 in at most 5 bins: width 2.
        let h = Histogram::integers(&(0..10).collect::<Vec<_>>(), 5);
        assert_eq!(h.bins.len(), 5);
        assert!(h.bins.iter().all(|b| b.count == 2));
    }
}
