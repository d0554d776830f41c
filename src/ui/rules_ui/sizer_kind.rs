//! Sizer kinds as the editor's combo box lists them, and the switch between them that keeps the
//! fraction and the column.

use super::kind::{default_column, stats_for};
use ml4t_data::SignalInfo;
use ml4t_engine::strategy::rules::Sizer;

/// What a sizer is, without its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SizerKind {
    PercentOfCash,
    PercentOfEquity,
    FixedQuantity,
    FixedNotional,
    VolatilityTarget,
    ConfidenceScaled,
}

impl SizerKind {
    pub(super) const ALL: [SizerKind; 6] = [
        SizerKind::PercentOfCash,
        SizerKind::PercentOfEquity,
        SizerKind::FixedQuantity,
        SizerKind::FixedNotional,
        SizerKind::VolatilityTarget,
        SizerKind::ConfidenceScaled,
    ];

    pub(super) fn label(self) -> &'static str {
        match self {
            SizerKind::PercentOfCash => "percent of cash",
            SizerKind::PercentOfEquity => "percent of equity",
            SizerKind::FixedQuantity => "fixed quantity",
            SizerKind::FixedNotional => "fixed notional",
            SizerKind::VolatilityTarget => "volatility target",
            SizerKind::ConfidenceScaled => "confidence scaled",
        }
    }

    pub(super) fn explanation(self) -> &'static str {
        match self {
            SizerKind::PercentOfCash => "Buys floor(cash × percent / close) units.",
            SizerKind::PercentOfEquity => "Buys floor(equity × percent / close) units.",
            SizerKind::FixedQuantity => "Buys the same number of units on every entry.",
            SizerKind::FixedNotional => "Buys floor(notional / close) units.",
            SizerKind::VolatilityTarget => {
                "Buys floor(equity × min(1, target / volatility) / close) units; the column is the \
                 asset's volatility in the target's units."
            }
            SizerKind::ConfidenceScaled => {
                "Buys floor(cash × clamp(column × scale, 0, max) / close) units: larger positions when \
                 the model is more confident."
            }
        }
    }

    pub(super) fn from_sizer(sizer: &Sizer) -> SizerKind {
        match sizer {
            Sizer::PercentOfCash(_) => SizerKind::PercentOfCash,
            Sizer::PercentOfEquity(_) => SizerKind::PercentOfEquity,
            Sizer::FixedQuantity(_) => SizerKind::FixedQuantity,
            Sizer::FixedNotional(_) => SizerKind::FixedNotional,
            Sizer::VolatilityTarget(..) => SizerKind::VolatilityTarget,
            Sizer::ConfidenceScaled(..) => SizerKind::ConfidenceScaled,
        }
    }

    /// `old` switched to this kind, keeping its fraction of cash/equity and its column.
    pub(super) fn to_sizer(self, old: &Sizer, signals: &[SignalInfo]) -> Sizer {
        if SizerKind::from_sizer(old) == self {
            return old.clone();
        }
        let (fraction, column) = match old {
            Sizer::PercentOfCash(p) | Sizer::PercentOfEquity(p) => (Some(*p), None),
            Sizer::VolatilityTarget(c, _) => (None, Some(c.clone())),
            Sizer::ConfidenceScaled(c, _, max) => (Some(*max), Some(c.clone())),
            Sizer::FixedQuantity(_) | Sizer::FixedNotional(_) => (None, None),
        };
        let fraction = fraction.unwrap_or(0.95);
        let column = column.unwrap_or_else(|| default_column(signals));
        match self {
            SizerKind::PercentOfCash => Sizer::PercentOfCash(fraction),
            SizerKind::PercentOfEquity => Sizer::PercentOfEquity(fraction),
            SizerKind::FixedQuantity => Sizer::FixedQuantity(100.0),
            SizerKind::FixedNotional => Sizer::FixedNotional(10_000.0),
            SizerKind::VolatilityTarget => {
                let target = stats_for(&column, signals)
                    .map(|s| s.mean)
                    .filter(|m| m.is_finite() && *m > 0.0)
                    .unwrap_or(0.02);
                Sizer::VolatilityTarget(column, target)
            }
            SizerKind::ConfidenceScaled => Sizer::ConfidenceScaled(column, 1.0, fraction),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signals() -> Vec<SignalInfo> {
        let info = |name: &str, min, mean, max| SignalInfo {
            name: name.into(),
            min,
            mean,
            max,
            nan_count: 0,
        };
        vec![info("ml_pred", 0.0, 0.5, 1.0), info("vol_20", 0.01, 0.02, 0.05)]
    }

    #[test]
    fn sizer_kind_switch_keeps_fraction_and_column() {
        let s = signals();
        let cash = Sizer::percent_of_cash(0.5);
        assert_eq!(
            SizerKind::PercentOfEquity.to_sizer(&cash, &s),
            Sizer::percent_of_equity(0.5)
        );
        assert_eq!(
            SizerKind::ConfidenceScaled.to_sizer(&cash, &s),
            Sizer::confidence_scaled("ml_pred", 1.0, 0.5)
        );
        let vol = Sizer::volatility_target("vol_20", 0.03);
        assert_eq!(
            SizerKind::ConfidenceScaled.to_sizer(&vol, &s),
            Sizer::confidence_scaled("vol_20", 1.0, 0.95)
        );
        let cs = Sizer::confidence_scaled("vol_20", 2.0, 0.4);
        assert_eq!(
            SizerKind::VolatilityTarget.to_sizer(&cs, &s),
            Sizer::volatility_target("vol_20", 0.02)
        );
        assert_eq!(SizerKind::PercentOfCash.to_sizer(&cs, &s), Sizer::percent_of_cash(0.4));
        for kind in SizerKind::ALL {
            assert_eq!(SizerKind::from_sizer(&kind.to_sizer(&cash, &s)), kind);
        }
    }
}
