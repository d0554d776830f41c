//! Sums with a repeated term, to the bit: `for _ in 0..n { s += x }` without the `n` steps.
//!
//! Why: most points of a long equity curve sit in flat stretches (one cash value for thousands
//! of timestamps), and the metrics add the same term for each of them (the stretch's return,
//! its squared deviation from the mean, its equity). Every figure must stay exactly what the
//! one-point-at-a-time sums give (sweep rows equal single runs, and both equal what they were),
//! so the shortcut has to reproduce IEEE round-to-nearest-even addition step for step. It does
//! so in integer arithmetic on the accumulator's significand: while the sum stays within one
//! binade, every step adds the same number of units in the last place.

/// `s` after `n` additions of `x` in order, equal to the loop to the bit (signed zeros, NaN,
/// infinities and subnormals included). Time grows with the binades the sum crosses, not
/// with `n`.
pub(crate) fn add_repeated(mut s: f64, x: f64, mut n: usize) -> f64 {
    if x == 0.0 || n == 0 {
        // s + 0.0 is s, but +0.0 for a -0.0 sum; s + -0.0 is s: one step says it all.
        return if n == 0 { s } else { s + x };
    }
    if n <= 8 {
        // A few steps cost less than finding the binade.
        for _ in 0..n {
            s += x;
        }
        return s;
    }
    while n > 0 {
        if s.is_normal() && x.is_finite() {
            // fl(-a + -b) = -fl(a + b): a negative sum with a non-positive term is the mirror
            // of a positive one.
            let took = if s > 0.0 && x >= 0.0 {
                Some(in_binade(s, x, n))
            } else if s < 0.0 && x <= 0.0 {
                Some(in_binade(-s, -x, n).map(|(t, k)| (-t, k)))
            } else {
                None
            };
            match took {
                // The sum no longer changes.
                Some(None) => return s,
                Some(Some((t, k))) if k > 0 => {
                    s = t;
                    n -= k;
                    continue;
                }
                _ => {}
            }
        }
        // One step as the loop takes it: across a binade, from zero or a subnormal, with
        // mixed signs, or with NaN or an infinity. A step that changes nothing never will.
        let next = s + x;
        n -= 1;
        if next.to_bits() == s.to_bits() {
            return s;
        }
        s = next;
    }
    s
}

/// For `s > 0` normal and `x >= 0` finite: `Some((sum, k))` after the `k <= n` steps that keep
/// the sum inside `s`'s binade (maybe 0, then the caller takes one step the ordinary way), or
/// `None` when adding `x` leaves `s` unchanged (for good).
fn in_binade(s: f64, x: f64, n: usize) -> Option<(f64, usize)> {
    const FRACTION: u64 = (1 << 52) - 1;
    const TOP: u64 = 1 << 53;
    let bits = s.to_bits();
    let exp_s = (bits >> 52) as i64;
    // s = sig * u with sig in [2^52, 2^53) and u = 2^(exp_s - 1075).
    let sig = (bits & FRACTION) | (1 << 52);
    // The sign bit of a zero term is dropped: s + 0 and s - 0 are s.
    let xb = x.to_bits() & !(1 << 63);
    let exp_x = (xb >> 52) as i64;
    // x = xs * 2^(max(exp_x, 1) - 1075): a subnormal has no hidden bit.
    let (xs, exp_x) = if exp_x == 0 {
        (xb & FRACTION, 1)
    } else {
        ((xb & FRACTION) | (1 << 52), exp_x)
    };
    if xs == 0 {
        return None;
    }
    // x / u = xs * 2^d.
    let d = exp_x - exp_s;
    if d >= 0 {
        // At least 2^52 units: one step leaves the binade (or reaches its top).
        return Some((s, 0));
    }
    let shift = -d;
    if shift > 60 {
        // Below half a unit: s + x rounds back to s.
        return None;
    }
    let q = xs >> shift;
    let rest = xs & ((1u64 << shift) - 1);
    let half = 1u64 << (shift - 1);
    let inc = if rest > half {
        q + 1
    } else if rest < half {
        q
    } else if sig & 1 == 0 {
        // A tie, from an even significand: ties go to even, and stay at this increment.
        q + (q & 1)
    } else {
        // A tie from an odd significand: one ordinary step makes it even.
        return Some((s, 0));
    };
    if inc == 0 {
        return None;
    }
    let steps = ((TOP - 1 - sig) / inc).min(n as u64);
    let sig = sig + steps * inc;
    let t = f64::from_bits(((exp_s as u64) << 52) | (sig & FRACTION));
    Some((t, steps as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn looped(mut s: f64, x: f64, n: usize) -> f64 {
        for _ in 0..n {
            s += x;
        }
        s
    }

    #[track_caller]
    fn check(s: f64, x: f64, n: usize) {
        let (got, want) = (add_repeated(s, x, n), looped(s, x, n));
        assert!(
            got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
            "{s:e} + {x:e} x {n}: {got:e} != {want:e}"
        );
    }

    #[test]
    fn add_repeated_equals_the_loop_on_special_values() {
        let specials = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            -0.1,
            1e-300,
            f64::MIN_POSITIVE,
            f64::MIN_POSITIVE / 3.0,
            5e-324,
            -5e-324,
            f64::MAX,
            f64::MAX / 3.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            100_000.0,
            84_757.207007,
            2f64.powi(53),
            2f64.powi(53) - 1.0,
            1e-14,
            -1e-14,
        ];
        for &s in &specials {
            for &x in &specials {
                for n in [0, 1, 2, 3, 17, 1_000] {
                    check(s, x, n);
                }
            }
        }
    }

    #[test]
    fn add_repeated_equals_the_loop_on_ties_and_binade_edges() {
        // x an exact half unit (or a unit and a half) of s: ties to even, from odd and even
        // significands; sums that end on a binade's top.
        let one_ulp = f64::EPSILON;
        for s in [
            1.0,
            1.0 + one_ulp,
            1.0 + 2.0 * one_ulp,
            2.0 - 4.0 * one_ulp,
            2.0 - one_ulp,
        ] {
            for k in [0.5, 1.5, 2.5, 3.5, 1.0, 2.0, 0.25, 0.75, 0.4999, 0.5001] {
                check(s, k * one_ulp, 50);
                check(-s, -k * one_ulp, 50);
                check(s, k * one_ulp, 5_000);
            }
        }
        check(2.0 - 8.0 * one_ulp, one_ulp, 100);
        check(1.0, 1.0, 100);
        check(1.0, 0.75, 100);
    }

    #[test]
    fn add_repeated_equals_the_loop_on_random_terms() {
        let mut rnd = crate::test_rng(77);
        let value = |rnd: &mut dyn FnMut(u64) -> u64| {
            let m = rnd(1 << 30) as f64 / (1u64 << 30) as f64;
            let e = rnd(80) as i32 - 40;
            let sign = if rnd(6) == 0 { -1.0 } else { 1.0 };
            sign * m * 2f64.powi(e)
        };
        for _ in 0..3_000 {
            let s = value(&mut rnd);
            let x = value(&mut rnd);
            let n = rnd(3_000) as usize;
            check(s, x, n);
            check(-0.0, x, n);
            check(s, x * x, n);
        }
    }
}
