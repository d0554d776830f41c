//! Standard normal distribution: CDF Φ and its inverse Φ⁻¹.
//!
//! Φ is built on erfc evaluated two ways, each where it is exact to a few ulps:
//! a positive-term series for erf near zero (no cancellation), and the Laplace
//! continued fraction for erfc in the tail (keeps *relative* accuracy there, so
//! Φ(-8) is as good as Φ(0)). Absolute error is below 1e-15 everywhere and the
//! relative error in the lower tail is below 1e-13, which the PSR needs when a
//! strategy is far below its benchmark.
//!
//! Φ⁻¹ is Acklam's rational approximation (relative error 1.15e-9) polished by
//! one Halley step against the accurate Φ above, which brings it to ~1e-15.

use std::f64::consts::{FRAC_1_SQRT_2, PI};

/// 2/√π.
const TWO_OVER_SQRT_PI: f64 = std::f64::consts::FRAC_2_SQRT_PI;

/// Below this z the series for erf is used, above it the continued fraction.
/// At z = 2 both converge quickly (~40 and ~120 terms) and 1 - erf(z) still
/// keeps 14 significant digits of erfc(z) = 0.0047.
const SERIES_LIMIT: f64 = 2.0;

/// Standard normal cumulative distribution function Φ(x) = P(Z ≤ x).
///
/// Returns 0 or 1 where the true value underflows (|x| > ~38); NaN in, NaN out.
pub fn cdf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x.is_infinite() {
        // The continued fraction would compute ∞/∞.
        return if x > 0.0 { 1.0 } else { 0.0 };
    }
    // Φ(x) = erfc(-x/√2)/2; the exponent -x²/2 is passed separately because
    // forming it from x directly is more exact than squaring x/√2.
    let z = x.abs() * FRAC_1_SQRT_2;
    let upper_tail = 0.5 * erfc_nonneg(z, -0.5 * x * x);
    if x < 0.0 { upper_tail } else { 1.0 - upper_tail }
}

/// Inverse of the standard normal CDF: the x with Φ(x) = p.
///
/// p ≤ 0 gives -∞, p ≥ 1 gives +∞, NaN gives NaN (callers that must not emit
/// non-finite numbers check `is_finite`).
pub fn inv_cdf(p: f64) -> f64 {
    if p.is_nan() {
        return f64::NAN;
    }
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    // Work in the lower half only: 1 - p is exact for p in [0.5, 1) (Sterbenz),
    // and the lower tail is where Φ keeps full relative accuracy for Halley.
    if p > 0.5 {
        -inv_cdf_lower(1.0 - p)
    } else {
        inv_cdf_lower(p)
    }
}

/// Φ⁻¹(p) for 0 < p ≤ 0.5.
fn inv_cdf_lower(p: f64) -> f64 {
    let x = acklam(p);
    // Halley step on f(x) = Φ(x) - p: cubic convergence takes Acklam's 1e-9 to
    // rounding level in one step.
    let e = cdf(x) - p;
    let u = e * (2.0 * PI).sqrt() * (0.5 * x * x).exp();
    x - u / (1.0 + 0.5 * x * u)
}

/// Acklam's rational approximation of Φ⁻¹ on (0, 0.5].
fn acklam(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const P_LOW: f64 = 0.024_25;
    if p < P_LOW {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// erfc(z) for z ≥ 0, given `neg_z2` = -z² computed by the caller.
fn erfc_nonneg(z: f64, neg_z2: f64) -> f64 {
    if z < SERIES_LIMIT {
        // erf(z) = 2/√π · e^{-z²} · Σ z(2z²)ⁿ / (2n+1)!!  — every term positive.
        let two_z2 = -2.0 * neg_z2;
        let mut term = z;
        let mut sum = z;
        let mut n = 0.0;
        while term > sum * 1e-17 {
            n += 1.0;
            term *= two_z2 / (2.0 * n + 1.0);
            sum += term;
        }
        1.0 - TWO_OVER_SQRT_PI * neg_z2.exp() * sum
    } else {
        // erfc(z) = e^{-z²}/√π · 1/(z + (1/2)/(z + (2/2)/(z + (3/2)/(z + …)))),
        // evaluated by the modified Lentz method.
        const TINY: f64 = 1e-300;
        let mut f = z;
        let mut c = z;
        let mut d = 0.0;
        for k in 1..2000 {
            let a = 0.5 * f64::from(k);
            d = z + a * d;
            if d.abs() < TINY {
                d = TINY;
            }
            c = z + a / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let delta = c * d;
            f *= delta;
            if (delta - 1.0).abs() < 1e-16 {
                break;
            }
        }
        neg_z2.exp() / (PI.sqrt() * f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(f64::MIN_POSITIVE)
    }

    #[test]
    fn cdf_known_values() {
        // Reference values: Φ(x) = erfc(-x/√2)/2 from high-precision tables.
        assert_eq!(cdf(0.0), 0.5);
        assert!(close(cdf(1.96), 0.975_002_104_851_779_5, 1e-14));
        assert!(close(cdf(-1.96), 0.024_997_895_148_220_435, 1e-13));
        assert!(close(cdf(1.0), 0.841_344_746_068_542_9, 1e-14));
        assert!(close(cdf(-1.0), 0.158_655_253_931_457_05, 1e-13));
        assert!(close(cdf(-5.0), 2.866_515_718_791_939e-7, 1e-12));
        assert!(close(cdf(-10.0), 7.619_853_024_160_527e-24, 1e-12));
        assert!(close(cdf(2.5), 0.993_790_334_674_223_8, 1e-14));
    }

    #[test]
    fn cdf_seam_between_series_and_fraction_is_continuous() {
        // x = 2√2 is where z = 2 switches method; Φ(-2√2) = erfc(2)/2 = 0.0023388674905236...
        let x = 2.0 * std::f64::consts::SQRT_2;
        assert!(close(cdf(-x), 0.004_677_734_981_047_266 / 2.0, 1e-13));
        let below = cdf(-x + 1e-12);
        let above = cdf(-x - 1e-12);
        assert!(below >= above);
        assert!((below - above) < 1e-13);
    }

    #[test]
    fn cdf_extremes_and_nan() {
        assert_eq!(cdf(-40.0), 0.0);
        assert_eq!(cdf(40.0), 1.0);
        assert!(cdf(f64::NAN).is_nan());
        assert_eq!(cdf(f64::NEG_INFINITY), 0.0);
        assert_eq!(cdf(f64::INFINITY), 1.0);
    }

    #[test]
    fn inv_cdf_known_values() {
        assert!(close(inv_cdf(0.975), 1.959_963_984_540_054, 1e-14));
        assert!(close(inv_cdf(0.025), -1.959_963_984_540_054, 1e-14));
        assert!(close(inv_cdf(0.95), 1.644_853_626_951_472_2, 1e-14));
        assert!(close(inv_cdf(0.99), 2.326_347_874_040_841, 1e-14));
        assert!(close(inv_cdf(1e-10), -6.361_340_902_404_056, 1e-13));
        assert_eq!(inv_cdf(0.5), 0.0);
    }

    #[test]
    fn inv_cdf_edges() {
        assert_eq!(inv_cdf(0.0), f64::NEG_INFINITY);
        assert_eq!(inv_cdf(1.0), f64::INFINITY);
        assert!(inv_cdf(f64::NAN).is_nan());
    }

    #[test]
    fn inv_cdf_round_trips_cdf() {
        for i in 1..200 {
            let p = f64::from(i) / 200.0;
            let x = inv_cdf(p);
            assert!(close(cdf(x), p, 1e-13), "p = {p}: Φ(Φ⁻¹(p)) = {}", cdf(x));
        }
        for k in 3..15 {
            let p = 10f64.powi(-k);
            assert!(close(cdf(inv_cdf(p)), p, 1e-12));
        }
    }
}
