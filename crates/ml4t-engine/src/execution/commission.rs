//! Commission: a percent of notional, per share, per order, with a minimum; each part optional.

/// 2^53: from here on `q - 1.0 == q` in f64, so whole-unit quantities are no longer exact. The
/// broker rejects orders this large ([`RejectReason::QuantityTooLarge`]) and the cash cap never
/// sizes above it.
///
/// [`RejectReason::QuantityTooLarge`]: super::RejectReason::QuantityTooLarge
pub const MAX_EXACT_QTY: f64 = 9_007_199_254_740_992.0;

/// Steps of the float guard in [`Commission::max_affordable`]; the estimate is off by a unit or
/// two, so this bound is never reached in practice, it only rules out a spin.
const MAX_GUARD_STEPS: usize = 64;

/// `max(minimum, notional * percent + qty * per_share + per_order)` for every fill.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Commission {
    /// Fraction of notional: 0.001 = 0.1 %.
    pub percent: f64,
    pub per_share: f64,
    pub per_order: f64,
    pub minimum: f64,
}

impl Commission {
    pub fn percent(rate: f64) -> Self {
        Commission {
            percent: rate,
            ..Default::default()
        }
    }

    pub fn per_share(rate: f64) -> Self {
        Commission {
            per_share: rate,
            ..Default::default()
        }
    }

    pub fn fixed(per_order: f64) -> Self {
        Commission {
            per_order,
            ..Default::default()
        }
    }

    #[inline]
    pub fn on(&self, qty: f64, price: f64) -> f64 {
        let c = qty * price * self.percent + qty * self.per_share + self.per_order;
        c.max(self.minimum)
    }

    /// Cash needed to buy `qty` at `price`: `q*px + q*px*c` for a percent commission.
    #[inline]
    pub fn buy_cost(&self, qty: f64, price: f64) -> f64 {
        qty * price + self.on(qty, price)
    }

    /// The largest whole quantity whose buy cost fits in `cash` (SEMANTICS.md cash cap):
    /// `floor(cash / (px * (1 + c)))`, then decremented while the cost still exceeds the cash.
    /// Never above `MAX_EXACT_QTY - 1` (where decrementing stops changing the value), and 0 for
    /// non-finite or non-positive inputs.
    #[inline]
    pub fn max_affordable(&self, cash: f64, price: f64) -> f64 {
        if !(cash > 0.0 && price > 0.0 && price.is_finite()) {
            return 0.0;
        }
        let (money, unit) = (cash - self.per_order, price * (1.0 + self.percent) + self.per_share);
        if money > 0.0 && money < unit * (1.0 - 1e-9) {
            // Not a single unit, whatever the rounding: the quotient below is in (0, 1), its
            // floor +0.0, and so is the answer. Without the division: an account too poor to
            // buy is asked at every bar its entry holds.
            return 0.0;
        }
        self.divided(cash, price, money, unit)
    }

    /// [`Commission::max_affordable`] by the division, for `money = cash - per_order` and
    /// `unit = price * (1 + percent) + per_share`.
    #[inline(never)]
    fn divided(&self, cash: f64, price: f64, money: f64, unit: f64) -> f64 {
        let mut q = (money / unit).floor();
        if self.minimum > 0.0 && q > 0.0 && self.buy_cost(q, price) > cash {
            q = q.min(((cash - self.minimum) / price).floor());
        }
        if q.is_nan() {
            return 0.0;
        }
        q = q.clamp(0.0, MAX_EXACT_QTY - 1.0);
        // Float guard: a unit or two at most; bounded so that no input can make it spin.
        for _ in 0..MAX_GUARD_STEPS {
            if q <= 0.0 || self.buy_cost(q, price) <= cash {
                return q;
            }
            q -= 1.0;
        }
        if self.buy_cost(q, price) <= cash { q } else { 0.0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Skipping the division for less than one unit changes no answer (to the bit).
        #[test]
        fn prop_max_affordable_short_cut_is_exact(
            units in prop_oneof![0.0f64..3.0, 0.999_999f64..1.000_001, 0.0f64..1e6],
            price in prop_oneof![1e-6f64..1e-3, 0.01f64..10_000.0],
            percent in prop_oneof![Just(0.0), 0.0f64..0.05],
            per_share in prop_oneof![Just(0.0), 0.0f64..0.05],
            per_order in prop_oneof![Just(0.0), 0.0f64..5.0],
            minimum in prop_oneof![Just(0.0), 0.0f64..10.0],
        ) {
            let c = Commission { percent, per_share, per_order, minimum };
            let unit = price * (1.0 + percent) + per_share;
            let cash = per_order + units * unit;
            let money = cash - per_order;
            let expected = if cash > 0.0 { c.divided(cash, price, money, unit) } else { 0.0 };
            prop_assert_eq!(c.max_affordable(cash, price).to_bits(), expected.to_bits());
        }
    }

    #[test]
    fn commission_percent_of_notional() {
        let c = Commission::percent(0.001);
        assert!((c.on(100.0, 50.0) - 5.0).abs() < 1e-12);
        assert!((c.buy_cost(100.0, 50.0) - 5_005.0).abs() < 1e-9);
    }

    #[test]
    fn commission_per_share_fixed_and_minimum() {
        let c = Commission {
            percent: 0.0,
            per_share: 0.005,
            per_order: 1.0,
            minimum: 2.0,
        };
        // 100 * 0.005 + 1 = 1.5, below the 2.0 minimum
        assert_eq!(c.on(100.0, 10.0), 2.0);
        // 1000 * 0.005 + 1 = 6
        assert_eq!(c.on(1_000.0, 10.0), 6.0);
    }

    #[test]
    fn commission_cash_cap_fits_the_cash() {
        let c = Commission::percent(0.001);
        // 10_000 / (99 * 1.001) = 100.91 -> 100 shares cost 9909.9
        assert_eq!(c.max_affordable(10_000.0, 99.0), 100.0);
        assert_eq!(c.max_affordable(50.0, 99.0), 0.0);
        assert_eq!(c.max_affordable(-5.0, 99.0), 0.0);
        let m = Commission {
            minimum: 20.0,
            ..Commission::percent(0.001)
        };
        // 100 shares at 99 cost 9900 + 20 (minimum) = 9920 <= 10000
        assert_eq!(m.max_affordable(10_000.0, 99.0), 100.0);
        // 1000 cash: 10 shares cost 990 + 20 = 1010 > 1000, 9 cost 891 + 20 = 911
        assert_eq!(m.max_affordable(1_000.0, 99.0), 9.0);
    }

    #[test]
    fn commission_cash_cap_tiny_price_stays_below_2_pow_53() {
        // 100_000 / 1e-11 = 1e16 shares: above 2^53, where `q - 1.0 == q` (the old loop spun).
        for c in [
            Commission::default(),
            Commission::percent(0.001),
            Commission {
                minimum: 1.0,
                per_share: 0.0,
                ..Commission::percent(1e-3)
            },
        ] {
            let q = c.max_affordable(100_000.0, 1e-11);
            assert!(q > 0.0 && q < MAX_EXACT_QTY, "{q}");
            assert!(c.buy_cost(q, 1e-11) <= 100_000.0);
        }
        assert_eq!(
            Commission::default().max_affordable(f64::INFINITY, 1.0),
            MAX_EXACT_QTY - 1.0
        );
        assert_eq!(Commission::default().max_affordable(1e300, 1e-300), MAX_EXACT_QTY - 1.0);
        assert_eq!(Commission::percent(f64::NAN).max_affordable(100.0, 1.0), 0.0);
    }
}
