//! How much of the time and of the capital the strategy had at work, how much it traded, what it paid.

use crate::execution::Fill;

use super::repeat::add_repeated;
use crate::results::{EquityCurve, Stretch};

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ExposureStats {
    /// Fraction of timestamps with `gross_exposure > 0`.
    pub exposure_time: f64,
    /// Mean of `gross_exposure / equity` over timestamps with positive equity (1.0 = fully invested).
    pub avg_gross_exposure: f64,
    /// `Σ fill notional / mean equity`: how many times the average capital was traded (a buy and
    /// its sell count twice).
    pub turnover: f64,
    /// `turnover / years`; 0 when `years <= 0`.
    pub turnover_annual: f64,
    /// `Σ fill commission`.
    pub commission_total: f64,
}

/// `years` is the span the returns cover (`n_periods / periods_per_year`).
pub fn exposure_stats(equity: &EquityCurve, fills: &[Fill], years: f64) -> ExposureStats {
    let mut acc = CurveExposure::default();
    equity.for_each_stretch(|s| acc.add(&s));
    acc.finish(fills, years)
}

/// [`exposure_stats`] of an equity curve fed a [`Stretch`] at a time (with the other metrics'
/// walk); a flat stretch's equities are added `n` times at once ([`add_repeated`]).
#[derive(Debug, Default, Clone, Copy)]
pub struct CurveExposure {
    n: usize,
    exposed: usize,
    fraction_sum: f64,
    n_positive: usize,
    equity_sum: f64,
}

impl CurveExposure {
    /// The next stretch of the curve.
    #[inline]
    pub fn add(&mut self, stretch: &Stretch<'_>) {
        match *stretch {
            Stretch::Held { equity, gross } => {
                // In a local for the stretch: sums kept in `self` would go through memory.
                let mut acc = *self;
                for (&e, &g) in equity.iter().zip(gross) {
                    acc.push_point(e, g, g / e);
                }
                *self = acc;
            }
            Stretch::Flat { cash, n } => {
                // A flat point has no exposure: its `g / e` is +0.0, which leaves the fraction
                // sum as it is (never -0.0: it starts at +0.0, and +0.0 + -0.0 is +0.0).
                self.n += n;
                if cash > 0.0 {
                    self.n_positive += n;
                }
                self.equity_sum = add_repeated(self.equity_sum, cash, n);
            }
        }
    }

    /// The next point of a held stretch: equity `e`, gross exposure `g` and their quotient
    /// `f = g / e` (computed by the caller, in batches).
    #[inline(always)]
    pub(super) fn push_point(&mut self, e: f64, g: f64, f: f64) {
        self.n += 1;
        self.exposed += usize::from(g > 0.0);
        if e > 0.0 {
            self.fraction_sum += f;
            self.n_positive += 1;
        }
        self.equity_sum += e;
    }

    /// The figures, after every stretch of the curve was added.
    pub fn finish(self, fills: &[Fill], years: f64) -> ExposureStats {
        let n = self.n;
        let mean_equity = if n == 0 { 0.0 } else { self.equity_sum / n as f64 };
        // Both sums in one pass over the fills, each in order from -0.0 as `Iterator::sum` adds.
        let (notional, commission_total) = fills
            .iter()
            .fold((-0.0, -0.0), |(n, c), f| (n + f.notional(), c + f.commission));
        let turnover = if mean_equity > 0.0 { notional / mean_equity } else { 0.0 };

        ExposureStats {
            exposure_time: if n == 0 { 0.0 } else { self.exposed as f64 / n as f64 },
            avg_gross_exposure: if self.n_positive == 0 {
                0.0
            } else {
                self.fraction_sum / self.n_positive as f64
            },
            turnover,
            turnover_annual: if years > 0.0 { turnover / years } else { 0.0 },
            commission_total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::metrics::assert_close;
    use crate::types::{AssetId, OrderId, Side, TimestampNs};

    fn fill(side: Side, qty: f64, price: f64, commission: f64) -> Fill {
        Fill {
            order_id: OrderId(0),
            asset: AssetId(0),
            side,
            qty,
            price,
            commission,
            ts: TimestampNs(0),
            bar_index: 0,
            position_after: 0.0,
        }
    }

    fn curve(equity: &[f64], gross: &[f64]) -> EquityCurve {
        let mut c = EquityCurve::with_capacity(equity.len());
        for (i, (&e, &g)) in equity.iter().zip(gross).enumerate() {
            c.push(TimestampNs(i as i64), e, e - g, g);
        }
        c
    }

    /// The fills' notional and commission sums (one pass) are `Iterator::sum`'s, to the bit.
    #[test]
    fn fill_sums_equal_iterator_sums() {
        let mut rnd = crate::test_rng(3);
        for n in [0usize, 1, 2, 7, 100] {
            let fills: Vec<Fill> = (0..n)
                .map(|_| {
                    let side = if rnd(2) == 0 { Side::Buy } else { Side::Sell };
                    fill(
                        side,
                        rnd(500) as f64 / 3.0,
                        rnd(10_000) as f64 / 7.0,
                        rnd(90) as f64 / 11.0,
                    )
                })
                .collect();
            let s = exposure_stats(&EquityCurve::default(), &fills, 1.0);
            let commission: f64 = fills.iter().map(|f| f.commission).sum();
            assert_eq!(s.commission_total.to_bits(), commission.to_bits(), "{n} fills");
            let mut c = EquityCurve::with_capacity(4);
            c.push(TimestampNs(0), 1_000.0 / 3.0, 1_000.0 / 3.0, 0.0);
            let s = exposure_stats(&c, &fills, 1.0);
            let notional: f64 = fills.iter().map(Fill::notional).sum();
            assert_eq!(
                s.turnover.to_bits(),
                (notional / (1_000.0 / 3.0)).to_bits(),
                "{n} fills"
            );
        }
    }

    #[test]
    fn exposure_hand_computed() {
        // Exposed on 2 of 4 bars; fractions 0, 0.5, 1.0 (110/110), 0 -> mean 0.375.
        // Mean equity (100 + 100 + 110 + 90) / 4 = 100; notional 100 + 110 = 210 -> turnover 2.1,
        // over half a year 4.2 a year. Commissions 0.1 + 0.11.
        let c = curve(&[100.0, 100.0, 110.0, 90.0], &[0.0, 50.0, 110.0, 0.0]);
        let fills = [fill(Side::Buy, 1.0, 100.0, 0.1), fill(Side::Sell, 1.0, 110.0, 0.11)];
        let s = exposure_stats(&c, &fills, 0.5);
        assert_close(s.exposure_time, 0.5);
        assert_close(s.avg_gross_exposure, 0.375);
        assert_close(s.turnover, 2.1);
        assert_close(s.turnover_annual, 4.2);
        assert_close(s.commission_total, 0.21);
    }

    /// The stretch-wise sums equal the point-by-point ones to the bit, flat stretches (at
    /// positive, zero and negative cash) and held points mixed.
    #[test]
    fn exposure_stretches_equal_point_by_point() {
        for c in crate::results::equity::tests::random_curves(5, 300) {
            let (mut exposed, mut fraction_sum, mut n_positive, mut equity_sum) = (0usize, 0.0f64, 0usize, 0.0f64);
            for p in c.iter() {
                let (e, g) = (p.equity, p.gross_exposure);
                exposed += usize::from(g > 0.0);
                if e > 0.0 {
                    fraction_sum += g / e;
                    n_positive += 1;
                }
                equity_sum += e;
            }
            let s = exposure_stats(&c, &[], 1.0);
            let n = c.len().max(1) as f64;
            assert_eq!(s.exposure_time.to_bits(), (exposed as f64 / n).to_bits());
            let avg = if n_positive == 0 {
                0.0
            } else {
                fraction_sum / n_positive as f64
            };
            assert_eq!(s.avg_gross_exposure.to_bits(), avg.to_bits());
            let mean = if c.is_empty() { 0.0 } else { equity_sum / n };
            // An empty sum of f64 is -0.0.
            let notional: f64 = std::iter::empty::<f64>().sum();
            let turnover = if mean > 0.0 { notional / mean } else { 0.0 };
            assert_eq!(s.turnover.to_bits(), turnover.to_bits());
        }
    }

    #[test]
    fn exposure_empty_is_zero() {
        assert_eq!(
            exposure_stats(&EquityCurve::default(), &[], 0.0),
            ExposureStats::default()
        );
    }

    #[test]
    fn exposure_skips_non_positive_equity() {
        // Only the first bar has positive equity: 50 / 100. Mean equity (100 - 100) / 2 = 0 -> no turnover.
        let c = curve(&[100.0, -100.0], &[50.0, 30.0]);
        let s = exposure_stats(&c, &[fill(Side::Buy, 1.0, 50.0, 0.0)], 1.0);
        assert_close(s.avg_gross_exposure, 0.5);
        assert_eq!((s.turnover, s.turnover_annual), (0.0, 0.0));
        assert_close(s.exposure_time, 1.0);
    }
}
