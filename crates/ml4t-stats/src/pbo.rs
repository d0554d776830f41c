//! Probability of Backtest Overfitting by combinatorially symmetric
//! cross-validation (CSCV), after Bailey, Borwein, López de Prado & Zhu,
//! "The Probability of Backtest Overfitting" (2017).
//!
//! Conventions:
//! - Performance is the per-period Sharpe ratio mean / sample std. A window
//!   with fewer than 2 returns or (numerically) zero spread scores 0: a
//!   combination that never trades is neither good nor bad.
//! - The T periods are cut into S contiguous blocks; the remainder T mod S is
//!   *distributed*, one extra row to each of the first T mod S blocks, so no
//!   return is dropped.
//! - Splits are the C(S, S/2) choices of in-sample blocks, enumerated in
//!   lexicographic order of the chosen block indices ({0..S/2-1} first); the
//!   other blocks are out-of-sample. Per-split outputs come in that order.
//! - n* is the in-sample argmax; ties go to the lowest combination index.
//! - The out-of-sample rank of n* is 1 (worst) … N (best), tied values
//!   sharing their average rank; ω = rank / (N + 1), λ = ln(ω / (1 − ω)).
//! - PBO is the fraction of splits with λ ≤ 0 (the paper's integral of the
//!   logit density over (−∞, 0]): a selection that lands exactly on the
//!   out-of-sample median counts as overfit.
//!
//! Speed: the returns are reduced once to a per-block table of count, Σr and
//! Σr² for every combination; a split's in-sample sums add S/2 table rows and
//! its out-of-sample sums are the totals minus those. Splits run on scoped
//! threads in contiguous chunks, concatenated in split order, so the result
//! does not depend on the thread count.

use std::num::NonZeroUsize;

use serde::Serialize;
use thiserror::Error;

/// Most splits accepted: C(22, 11) = 705,432 passes, C(24, 12) does not.
pub const MAX_SPLITS: u64 = 1_000_000;

/// Why PBO could not be computed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum PboError {
    /// Fewer than two combinations: nothing was selected.
    #[error("PBO needs at least 2 combinations, got {n}; sweep more than one parameter set")]
    TooFewCombinations {
        /// Combinations given.
        n: usize,
    },
    /// S odd or below 2.
    #[error("cscv_blocks must be even and at least 2, got {blocks}; 16 is the usual choice")]
    BadBlockCount {
        /// Blocks asked for.
        blocks: usize,
    },
    /// C(S, S/2) above [`MAX_SPLITS`].
    #[error("cscv_blocks = {blocks} gives {splits} splits, more than {max}; use at most 22 blocks", max = MAX_SPLITS)]
    TooManySplits {
        /// Blocks asked for.
        blocks: usize,
        /// C(blocks, blocks/2).
        splits: u64,
    },
    /// T < S: some block would be empty.
    #[error(
        "PBO with {blocks} blocks needs at least {blocks} periods, got {periods}; use fewer cscv_blocks or a longer backtest"
    )]
    TooFewPeriods {
        /// Periods T.
        periods: usize,
        /// Blocks S.
        blocks: usize,
    },
    /// Combinations of different length.
    #[error(
        "combination {index} has {len} returns but combination 0 has {expected}; every combination must cover the same periods"
    )]
    RaggedColumns {
        /// Offending combination.
        index: usize,
        /// Its length.
        len: usize,
        /// Length of combination 0.
        expected: usize,
    },
    /// A column-major slice whose length is not N × T.
    #[error("returns slice has {len} values but {n_combinations} combinations × {n_periods} periods = {expected}")]
    BadMatrixLength {
        /// Slice length.
        len: usize,
        /// N given.
        n_combinations: usize,
        /// T given.
        n_periods: usize,
        /// N × T.
        expected: usize,
    },
    /// NaN or ±∞ in the returns.
    #[error("return of combination {combination} at period {period} is {value}; PBO needs finite returns")]
    NonFinite {
        /// Combination index.
        combination: usize,
        /// Period (row) index.
        period: usize,
        /// The value.
        value: f32,
    },
}

/// Options of [`pbo`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PboOptions {
    /// Number of blocks S (even, ≥ 2).
    pub blocks: usize,
    /// Worker threads; 0 uses every available core. Output is identical
    /// whatever the value.
    pub threads: usize,
}

impl Default for PboOptions {
    fn default() -> Self {
        Self { blocks: 16, threads: 0 }
    }
}

/// CSCV outcome. Per-split vectors are in split order (see module docs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PboResult {
    /// Fraction of splits with λ ≤ 0.
    pub pbo: f64,
    /// Number of splits C(S, S/2).
    pub n_splits: usize,
    /// Blocks S.
    pub blocks: usize,
    /// λ per split.
    pub logits: Vec<f64>,
    /// n* (in-sample best combination) per split.
    pub selected: Vec<usize>,
    /// In-sample Sharpe of n* per split.
    pub is_sharpe: Vec<f64>,
    /// Out-of-sample Sharpe of n* per split.
    pub oos_sharpe: Vec<f64>,
    /// Slope of the OLS fit of `oos_sharpe` on `is_sharpe`; `None` when the
    /// in-sample values do not vary.
    pub degradation_slope: Option<f64>,
    /// Intercept of that fit; `None` with the slope.
    pub degradation_intercept: Option<f64>,
    /// Fraction of splits whose out-of-sample Sharpe of n* is below 0.
    pub prob_oos_loss: f64,
}

/// PBO of a sweep given as one return series per combination.
pub fn pbo(returns: &[Vec<f32>], opts: &PboOptions) -> Result<PboResult, PboError> {
    let cols: Vec<&[f32]> = returns.iter().map(Vec::as_slice).collect();
    pbo_columns(&cols, opts)
}

/// PBO of a sweep stored column-major: combination `n` is
/// `data[n * n_periods .. (n + 1) * n_periods]`.
pub fn pbo_column_major(
    data: &[f32],
    n_combinations: usize,
    n_periods: usize,
    opts: &PboOptions,
) -> Result<PboResult, PboError> {
    let expected = n_combinations.saturating_mul(n_periods);
    if data.len() != expected {
        return Err(PboError::BadMatrixLength {
            len: data.len(),
            n_combinations,
            n_periods,
            expected,
        });
    }
    // chunks_exact(0) would panic; zero periods is reported as too few periods.
    let cols: Vec<&[f32]> = if n_periods == 0 {
        vec![&[]; n_combinations]
    } else {
        data.chunks_exact(n_periods).collect()
    };
    pbo_columns(&cols, opts)
}

/// C(n, k), saturating at `u64::MAX`.
pub fn binomial(n: u64, k: u64) -> u64 {
    let k = k.min(n.saturating_sub(k));
    let mut c: u128 = 1;
    for i in 0..k {
        // Exact at every step: c·(n−i) is divisible by (i+1).
        c = c * u128::from(n - i) / u128::from(i + 1);
        if c > u128::from(u64::MAX) {
            return u64::MAX;
        }
    }
    c as u64
}

fn pbo_columns(cols: &[&[f32]], opts: &PboOptions) -> Result<PboResult, PboError> {
    let blocks = opts.blocks;
    if blocks < 2 || !blocks.is_multiple_of(2) {
        return Err(PboError::BadBlockCount { blocks });
    }
    let splits = binomial(blocks as u64, blocks as u64 / 2);
    if splits > MAX_SPLITS {
        return Err(PboError::TooManySplits { blocks, splits });
    }
    if cols.len() < 2 {
        return Err(PboError::TooFewCombinations { n: cols.len() });
    }
    let periods = cols[0].len();
    if let Some((index, c)) = cols.iter().enumerate().find(|(_, c)| c.len() != periods) {
        return Err(PboError::RaggedColumns {
            index,
            len: c.len(),
            expected: periods,
        });
    }
    if periods < blocks {
        return Err(PboError::TooFewPeriods { periods, blocks });
    }
    let table = BlockTable::build(cols, blocks)?;
    let masks = split_masks(blocks);
    debug_assert_eq!(masks.len() as u64, splits);

    let threads = match opts.threads {
        0 => std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
        t => t,
    }
    .min(masks.len());
    let outcomes = if threads <= 1 {
        run_splits(&table, &masks)
    } else {
        let chunk = masks.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = masks
                .chunks(chunk)
                .map(|part| scope.spawn(|| run_splits(&table, part)))
                .collect();
            // A worker only does arithmetic on validated data; if one panicked
            // anyway, re-raise its panic here rather than return partial output.
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect::<Vec<_>>()
        })
    };
    Ok(summarise(outcomes, blocks))
}

/// Per block and combination: count, Σd and Σd² of d = r − shift[n].
///
/// Shifting each column by its first return keeps Σd² − (Σd)²/n from
/// cancelling catastrophically and makes a constant stretch sum to exactly 0.
struct BlockTable {
    n: usize,
    blocks: usize,
    /// Rows per block.
    count: Vec<f64>,
    /// `[block * n + combination]`.
    s1: Vec<f64>,
    s2: Vec<f64>,
    total_count: f64,
    total_s1: Vec<f64>,
    total_s2: Vec<f64>,
    shift: Vec<f64>,
}

impl BlockTable {
    fn build(cols: &[&[f32]], blocks: usize) -> Result<Self, PboError> {
        let n = cols.len();
        let periods = cols[0].len();
        let (q, r) = (periods / blocks, periods % blocks);
        // First r blocks take one extra row.
        let bounds: Vec<usize> = (0..=blocks).map(|b| b * q + b.min(r)).collect();
        let count: Vec<f64> = bounds.windows(2).map(|w| (w[1] - w[0]) as f64).collect();
        let mut s1 = vec![0.0; blocks * n];
        let mut s2 = vec![0.0; blocks * n];
        let mut shift = vec![0.0; n];
        for (c, col) in cols.iter().enumerate() {
            if let Some(period) = col.iter().position(|x| !x.is_finite()) {
                return Err(PboError::NonFinite {
                    combination: c,
                    period,
                    value: col[period],
                });
            }
            let sh = f64::from(col[0]);
            shift[c] = sh;
            for b in 0..blocks {
                let (mut a1, mut a2) = (0.0, 0.0);
                for &x in &col[bounds[b]..bounds[b + 1]] {
                    let d = f64::from(x) - sh;
                    a1 += d;
                    a2 += d * d;
                }
                s1[b * n + c] = a1;
                s2[b * n + c] = a2;
            }
        }
        let mut total_s1 = vec![0.0; n];
        let mut total_s2 = vec![0.0; n];
        for b in 0..blocks {
            for c in 0..n {
                total_s1[c] += s1[b * n + c];
                total_s2[c] += s2[b * n + c];
            }
        }
        Ok(Self {
            n,
            blocks,
            count,
            s1,
            s2,
            total_count: periods as f64,
            total_s1,
            total_s2,
            shift,
        })
    }
}

/// In-sample block sets as bit masks, lexicographic in the chosen indices.
fn split_masks(blocks: usize) -> Vec<u32> {
    let k = blocks / 2;
    let mut idx: Vec<usize> = (0..k).collect();
    let mut masks = Vec::new();
    loop {
        masks.push(idx.iter().fold(0u32, |m, &b| m | (1 << b)));
        // Rightmost index that can still move right.
        let Some(i) = (0..k).rev().find(|&i| idx[i] < blocks - k + i) else {
            return masks;
        };
        idx[i] += 1;
        for j in i + 1..k {
            idx[j] = idx[j - 1] + 1;
        }
    }
}

struct SplitOutcome {
    selected: usize,
    is_sharpe: f64,
    oos_sharpe: f64,
    logit: f64,
}

/// Sharpe ratios of all combinations from shifted sums over `count` rows.
fn sharpe_from_sums(count: f64, s1: &[f64], s2: &[f64], shift: &[f64], out: &mut [f64]) {
    if count < 2.0 {
        out.fill(0.0);
        return;
    }
    let inv_c = 1.0 / count;
    let inv_cm1 = 1.0 / (count - 1.0);
    for (((o, &a), &b), &sh) in out.iter_mut().zip(s1).zip(s2).zip(shift) {
        let m = a * inv_c;
        let var = (b - a * m) * inv_cm1;
        // Below 1e-14 of the mean square the spread is rounding residue of a
        // constant stretch, not risk: score 0 rather than a huge ratio.
        *o = if var > 1e-14 * b * inv_c {
            (m + sh) / var.sqrt()
        } else {
            0.0
        };
    }
}

fn run_splits(t: &BlockTable, masks: &[u32]) -> Vec<SplitOutcome> {
    let n = t.n;
    let mut is1 = vec![0.0; n];
    let mut is2 = vec![0.0; n];
    let mut oos1 = vec![0.0; n];
    let mut oos2 = vec![0.0; n];
    let mut is_perf = vec![0.0; n];
    let mut oos_perf = vec![0.0; n];
    let mut out = Vec::with_capacity(masks.len());
    for &mask in masks {
        is1.fill(0.0);
        is2.fill(0.0);
        let mut is_count = 0.0;
        for b in (0..t.blocks).filter(|b| mask & (1 << b) != 0) {
            is_count += t.count[b];
            let row = b * n..(b + 1) * n;
            for (acc, &v) in is1.iter_mut().zip(&t.s1[row.clone()]) {
                *acc += v;
            }
            for (acc, &v) in is2.iter_mut().zip(&t.s2[row]) {
                *acc += v;
            }
        }
        for c in 0..n {
            oos1[c] = t.total_s1[c] - is1[c];
            oos2[c] = t.total_s2[c] - is2[c];
        }
        sharpe_from_sums(is_count, &is1, &is2, &t.shift, &mut is_perf);
        sharpe_from_sums(t.total_count - is_count, &oos1, &oos2, &t.shift, &mut oos_perf);

        let mut best = 0;
        for c in 1..n {
            if is_perf[c] > is_perf[best] {
                best = c;
            }
        }
        let v = oos_perf[best];
        let below = oos_perf.iter().filter(|&&x| x < v).count();
        let equal = oos_perf.iter().filter(|&&x| x == v).count();
        let rank = below as f64 + (equal as f64 + 1.0) / 2.0;
        let omega = rank / (n as f64 + 1.0);
        out.push(SplitOutcome {
            selected: best,
            is_sharpe: is_perf[best],
            oos_sharpe: v,
            logit: (omega / (1.0 - omega)).ln(),
        });
    }
    out
}

fn summarise(outcomes: Vec<SplitOutcome>, blocks: usize) -> PboResult {
    let n_splits = outcomes.len();
    let ns = n_splits as f64;
    let mut r = PboResult {
        pbo: 0.0,
        n_splits,
        blocks,
        logits: Vec::with_capacity(n_splits),
        selected: Vec::with_capacity(n_splits),
        is_sharpe: Vec::with_capacity(n_splits),
        oos_sharpe: Vec::with_capacity(n_splits),
        degradation_slope: None,
        degradation_intercept: None,
        prob_oos_loss: 0.0,
    };
    for o in outcomes {
        r.logits.push(o.logit);
        r.selected.push(o.selected);
        r.is_sharpe.push(o.is_sharpe);
        r.oos_sharpe.push(o.oos_sharpe);
    }
    r.pbo = r.logits.iter().filter(|&&l| l <= 0.0).count() as f64 / ns;
    r.prob_oos_loss = r.oos_sharpe.iter().filter(|&&y| y < 0.0).count() as f64 / ns;
    if let Some((slope, intercept)) = ols(&r.is_sharpe, &r.oos_sharpe) {
        r.degradation_slope = Some(slope);
        r.degradation_intercept = Some(intercept);
    }
    r
}

/// (slope, intercept) of y on x; `None` when x does not vary.
fn ols(x: &[f64], y: &[f64]) -> Option<(f64, f64)> {
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let (mut sxx, mut sxy) = (0.0, 0.0);
    for (&a, &b) in x.iter().zip(y) {
        sxx += (a - mx) * (a - mx);
        sxy += (a - mx) * (b - my);
    }
    if sxx.is_nan() || sxx <= 1e-300 {
        return None;
    }
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    (slope.is_finite() && intercept.is_finite()).then_some((slope, intercept))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Rng;
    use proptest::prelude::*;

    const SQRT2: f64 = std::f64::consts::SQRT_2;

    fn opts(blocks: usize) -> PboOptions {
        PboOptions { blocks, threads: 1 }
    }

    /// Three combinations, T = 4, S = 2: blocks are rows {0,1} and {2,3}.
    /// Block Sharpe ratios (mean / sample std):
    ///   A = [1, 3 | −1, −3]:  2/√2 = √2,      −2/√2 = −√2
    ///   B = [0, 2 |  1,  4]:  1/√2 = √2/2,   2.5/√4.5 = (5/6)√2
    ///   C = [−1, 1 | 0, 0]:   0/√2 = 0,      constant → 0
    fn three_combinations() -> Vec<Vec<f32>> {
        vec![
            vec![1.0, 3.0, -1.0, -3.0],
            vec![0.0, 2.0, 1.0, 4.0],
            vec![-1.0, 1.0, 0.0, 0.0],
        ]
    }

    #[test]
    fn pbo_hand_computed_two_blocks() {
        let r = pbo(&three_combinations(), &opts(2)).unwrap();
        assert_eq!(r.n_splits, 2);
        // Split 0, IS = block 0: IS (√2, √2/2, 0) → n* = A.
        //   OOS (−√2, (5/6)√2, 0): A is worst, rank 1, ω = 1/4, λ = ln(1/3).
        // Split 1, IS = block 1: IS (−√2, (5/6)√2, 0) → n* = B.
        //   OOS (√2, √2/2, 0): B is middle, rank 2, ω = 2/4, λ = 0 → overfit (≤).
        assert_eq!(r.selected, vec![0, 1]);
        assert!((r.logits[0] - (1.0f64 / 3.0).ln()).abs() < 1e-12);
        assert!(r.logits[1].abs() < 1e-12);
        assert_eq!(r.pbo, 1.0);
        assert!((r.is_sharpe[0] - SQRT2).abs() < 1e-12);
        assert!((r.oos_sharpe[0] + SQRT2).abs() < 1e-12);
        assert!((r.is_sharpe[1] - 5.0 / 6.0 * SQRT2).abs() < 1e-12);
        assert!((r.oos_sharpe[1] - SQRT2 / 2.0).abs() < 1e-12);
        // One of two OOS Sharpes of n* is negative.
        assert_eq!(r.prob_oos_loss, 0.5);
        // Points (√2, −√2) and ((5/6)√2, √2/2):
        // slope = (√2/2 + √2) / ((5/6)√2 − √2) = (3/2)/(−1/6) = −9
        // intercept = −√2 + 9·√2 = 8√2
        assert!((r.degradation_slope.unwrap() + 9.0).abs() < 1e-9);
        assert!((r.degradation_intercept.unwrap() - 8.0 * SQRT2).abs() < 1e-9);
    }

    #[test]
    fn pbo_column_major_matches_vec_input() {
        let cols = three_combinations();
        let flat: Vec<f32> = cols.concat();
        assert_eq!(pbo_column_major(&flat, 3, 4, &opts(2)), pbo(&cols, &opts(2)));
        assert!(matches!(
            pbo_column_major(&flat, 3, 5, &opts(2)),
            Err(PboError::BadMatrixLength { .. })
        ));
        assert_eq!(
            pbo_column_major(&[], 3, 0, &opts(2)),
            Err(PboError::TooFewPeriods { periods: 0, blocks: 2 })
        );
    }

    #[test]
    fn pbo_ties_pick_lowest_index_and_share_average_rank() {
        // A and A' identical, C flat. Split 0 (IS rows 0..2): A and A' tie at
        // the top in-sample, n* = 0. OOS: A = A' = √2 > C = 0, so the two tie
        // for ranks 2 and 3 → rank 2.5, ω = 2.5/4, λ = ln(2.5/1.5) = ln(5/3).
        let a = vec![1.0, 3.0, 1.0, 3.0];
        let cols = vec![a.clone(), a, vec![0.0; 4]];
        let r = pbo(&cols, &opts(2)).unwrap();
        assert_eq!(r.selected, vec![0, 0]);
        assert!((r.logits[0] - (5.0f64 / 3.0).ln()).abs() < 1e-12);
        assert_eq!(r.pbo, 0.0);
    }

    #[test]
    fn pbo_remainder_rows_go_to_first_blocks() {
        // T = 7, S = 2 → blocks of 4 and 3 rows: [0..4) and [4..7).
        // A = [0, 0, 0, 0 | 1, 2, 3]: block 0 flat (Sharpe 0), block 1 mean 2, std 1 → 2.
        // B = [1, 2, 3, 4 | 0, 0, 0]: block 0 mean 2.5, std √(5/3) → 1.9365; block 1 flat → 0.
        // Had the remainder row been dropped or put last, block 0 would be [0,0,0] / [1,2,3].
        let cols = vec![
            vec![0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0],
            vec![1.0, 2.0, 3.0, 4.0, 0.0, 0.0, 0.0],
        ];
        let r = pbo(&cols, &opts(2)).unwrap();
        assert_eq!(r.selected, vec![1, 0]);
        assert!((r.is_sharpe[0] - 2.5 / (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert!((r.is_sharpe[1] - 2.0).abs() < 1e-12);
    }

    #[test]
    fn pbo_split_order_is_lexicographic() {
        // S = 4: {0,1}, {0,2}, {0,3}, {1,2}, {1,3}, {2,3}.
        assert_eq!(split_masks(4), vec![0b0011, 0b0101, 0b1001, 0b0110, 0b1010, 0b1100]);
        assert_eq!(split_masks(16).len(), 12_870);
        assert_eq!(binomial(16, 8), 12_870);
        assert_eq!(binomial(22, 11), 705_432);
        assert_eq!(binomial(2, 1), 2);
    }

    #[test]
    fn pbo_input_errors() {
        let ok = three_combinations();
        assert_eq!(pbo(&ok, &opts(3)), Err(PboError::BadBlockCount { blocks: 3 }));
        assert_eq!(pbo(&ok, &opts(0)), Err(PboError::BadBlockCount { blocks: 0 }));
        assert_eq!(
            pbo(&ok, &opts(6)),
            Err(PboError::TooFewPeriods { periods: 4, blocks: 6 })
        );
        assert!(matches!(pbo(&ok, &opts(26)), Err(PboError::TooManySplits { .. })));
        assert_eq!(pbo(&ok[..1], &opts(2)), Err(PboError::TooFewCombinations { n: 1 }));
        let ragged = vec![vec![0.0; 4], vec![0.0; 5]];
        assert_eq!(
            pbo(&ragged, &opts(2)),
            Err(PboError::RaggedColumns {
                index: 1,
                len: 5,
                expected: 4
            })
        );
        let mut bad = three_combinations();
        bad[2][3] = f32::NAN;
        assert!(matches!(
            pbo(&bad, &opts(2)),
            Err(PboError::NonFinite {
                combination: 2,
                period: 3,
                ..
            })
        ));
        let msg = PboError::TooFewPeriods { periods: 4, blocks: 6 }.to_string();
        assert!(msg.contains("fewer cscv_blocks"));
    }

    fn noise(n: usize, t: usize, seed: u64) -> Vec<Vec<f32>> {
        let mut rng = Rng::new(seed);
        (0..n).map(|_| (0..t).map(|_| rng.normal() as f32).collect()).collect()
    }

    #[test]
    fn pbo_pure_noise_is_near_one_half() {
        // The splits of one data set are strongly dependent, so a single
        // noise sweep's PBO scatters widely around 1/2 (0.26..0.85 over 40
        // seeds when this test was written); the mean over 10 seeds is tight
        // (standard error ≈ 0.05).
        let pbos: Vec<f64> = (1..=10)
            .map(|seed| {
                let r = pbo(&noise(50, 2000, seed), &opts(16)).unwrap();
                assert_eq!(r.n_splits, 12_870);
                assert!((0.1..0.95).contains(&r.pbo), "seed {seed}: PBO {}", r.pbo);
                r.pbo
            })
            .collect();
        let mean = pbos.iter().sum::<f64>() / 10.0;
        assert!((0.35..0.65).contains(&mean), "mean PBO {mean}: {pbos:?}");
    }

    #[test]
    fn pbo_one_real_edge_is_near_zero() {
        for seed in [1, 2, 3] {
            let mut cols = noise(50, 2000, seed);
            // Combination 17 earns 0.2σ per period.
            for x in &mut cols[17] {
                *x += 0.2;
            }
            let r = pbo(&cols, &opts(16)).unwrap();
            assert!(r.pbo < 0.1, "seed {seed}: PBO {}", r.pbo);
            assert!(r.selected.iter().all(|&s| s == 17));
            assert_eq!(r.prob_oos_loss, 0.0);
        }
    }

    #[test]
    fn pbo_thread_count_does_not_change_output() {
        let cols = noise(20, 300, 9);
        let one = pbo(&cols, &PboOptions { blocks: 8, threads: 1 }).unwrap();
        for threads in [2, 3, 7, 0] {
            assert_eq!(pbo(&cols, &PboOptions { blocks: 8, threads }).unwrap(), one);
        }
    }

    proptest! {
        #[test]
        fn prop_pbo_invariant_to_combination_order(
            seed in any::<u64>(),
            n in 2usize..8,
            t in 8usize..60,
            half_blocks in 1usize..4,
            perm_seed in any::<u64>(),
        ) {
            let blocks = 2 * half_blocks;
            prop_assume!(t >= blocks);
            let cols = noise(n, t, seed);
            let perm = Rng::new(perm_seed).permutation(n);
            // permuted[i] = cols[perm[i]]
            let permuted: Vec<Vec<f32>> = perm.iter().map(|&p| cols[p].clone()).collect();
            let a = pbo(&cols, &opts(blocks)).unwrap();
            let b = pbo(&permuted, &opts(blocks)).unwrap();
            prop_assert_eq!(a.pbo, b.pbo);
            prop_assert_eq!(&a.logits, &b.logits);
            prop_assert_eq!(&a.is_sharpe, &b.is_sharpe);
            prop_assert_eq!(&a.oos_sharpe, &b.oos_sharpe);
            let mapped: Vec<usize> = b.selected.iter().map(|&s| perm[s]).collect();
            prop_assert_eq!(mapped, a.selected);
        }
    }
}
