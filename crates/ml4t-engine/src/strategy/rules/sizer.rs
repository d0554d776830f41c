//! Entry sizing, shared by the compiled and the interpreted rules.

use super::{Column, RuleError, Sizer};
use crate::market::Bar;
use crate::strategy::Context;
use crate::types::Side;

pub(super) fn validate(sizer: &Sizer, signal_names: &[String]) -> Result<(), RuleError> {
    let positive = |x: f64, what: &str| {
        if x.is_finite() && x > 0.0 {
            Ok(())
        } else {
            Err(RuleError::Sizer(format!("{what} must be a positive number")))
        }
    };
    let column = |c: &str| {
        Column::resolve(c, signal_names).map(|_| ()).ok_or_else(|| {
            RuleError::Sizer(format!(
                "unknown column '{c}'; the data has: {}",
                super::column::available(signal_names)
            ))
        })
    };
    match sizer {
        Sizer::PercentOfCash(p) | Sizer::PercentOfEquity(p) => {
            positive(*p, "the percentage")?;
            if *p > 1.0 {
                return Err(RuleError::Sizer(
                    "the percentage is a fraction of at most 1 (0.95 = 95 %)".into(),
                ));
            }
            Ok(())
        }
        Sizer::FixedQuantity(q) => positive(*q, "the quantity"),
        Sizer::FixedNotional(n) => positive(*n, "the notional"),
        Sizer::VolatilityTarget(c, t) => {
            column(c)?;
            positive(*t, "the volatility target")
        }
        Sizer::ConfidenceScaled(c, scale, max) => {
            column(c)?;
            positive(*scale, "the scale")?;
            positive(*max, "the maximum fraction")
        }
    }
}

/// A sizer with its column resolved.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ResolvedSizer {
    sizer: Sizer,
    column: Option<Column>,
}

impl ResolvedSizer {
    pub(super) fn new(sizer: &Sizer, signal_names: &[String]) -> Self {
        let column = match sizer {
            Sizer::VolatilityTarget(c, _) | Sizer::ConfidenceScaled(c, _, _) => Column::resolve(c, signal_names),
            _ => None,
        };
        ResolvedSizer {
            sizer: sizer.clone(),
            column,
        }
    }

    /// Units an entry on `side` takes for `bar`'s asset (0 or NaN: no entry). A short sized by
    /// a fraction uses equity instead of cash (SEMANTICS.md: the short sale adds cash).
    #[inline]
    pub(super) fn quantity(&self, ctx: &Context<'_>, bar: &Bar<'_>, side: Side) -> f64 {
        let funds = match side {
            Side::Buy => ctx.cash(),
            Side::Sell => ctx.equity(),
        };
        self.quantity_of(funds, ctx.equity(), ctx.price(bar.asset()), bar)
    }

    /// [`ResolvedSizer::quantity`] from the account values it reads: `funds` (the cash for a
    /// buy, the equity for a short sale), the equity and the asset's latest price.
    #[inline]
    pub(super) fn quantity_of(&self, funds: f64, equity: f64, price: f64, bar: &Bar<'_>) -> f64 {
        let close = bar.close();
        let col = self.column.map_or(f64::NAN, |c| c.value(bar));
        match self.sizer {
            // Same expression as `Context::buy_percent`.
            Sizer::PercentOfCash(p) => (funds * p / price).floor(),
            Sizer::PercentOfEquity(p) => (equity * p / close).floor(),
            Sizer::FixedQuantity(q) => q,
            Sizer::FixedNotional(n) => (n / close).floor(),
            Sizer::VolatilityTarget(_, target) => {
                if col.is_nan() || col <= 0.0 {
                    return 0.0;
                }
                (equity * (target / col).min(1.0) / close).floor()
            }
            Sizer::ConfidenceScaled(_, scale, max) => {
                if col.is_nan() {
                    return 0.0;
                }
                (funds * (col * scale).clamp(0.0, max) / close).floor()
            }
        }
    }
}
