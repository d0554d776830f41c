//! The reference scenarios of SEMANTICS.md (S0..S3C) as one parameterised Rust strategy: enter
//! when flat and a signal is above a threshold (optionally with a confidence filter), exit when
//! in position and the signal falls below a threshold or the unrealised return leaves a band.

use super::{Context, Strategy, StrategyResult};
use crate::market::Bar;
use crate::types::SignalId;

/// How many units an entry buys.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EntrySize {
    Shares(f64),
    /// `floor(cash * pct / close)`.
    PercentOfCash(f64),
}

/// An ML-threshold strategy, applied to every asset independently.
#[derive(Debug, Clone, PartialEq)]
pub struct MlThreshold {
    pub signal: String,
    pub entry_above: f64,
    /// Optional second entry condition: `confidence_signal > threshold`.
    pub confidence: Option<(String, f64)>,
    /// Exit when the signal falls below this.
    pub exit_below: Option<f64>,
    /// Exit when the unrealised return is below `-stop_loss`.
    pub stop_loss: Option<f64>,
    /// Exit when the unrealised return is above `take_profit`.
    pub take_profit: Option<f64>,
    pub size: EntrySize,
    ids: Option<(SignalId, Option<SignalId>)>,
}

impl MlThreshold {
    pub fn new(signal: &str, entry_above: f64, size: EntrySize) -> Self {
        MlThreshold {
            signal: signal.into(),
            entry_above,
            confidence: None,
            exit_below: None,
            stop_loss: None,
            take_profit: None,
            size,
            ids: None,
        }
    }

    pub fn with_confidence(mut self, signal: &str, above: f64) -> Self {
        self.confidence = Some((signal.into(), above));
        self
    }

    pub fn with_exit_below(mut self, x: f64) -> Self {
        self.exit_below = Some(x);
        self
    }

    pub fn with_stops(mut self, stop_loss: f64, take_profit: f64) -> Self {
        self.stop_loss = Some(stop_loss);
        self.take_profit = Some(take_profit);
        self
    }

    /// The scenario of SEMANTICS.md's table by id: `S0`, `S1`, `S2`, `S3`, `S3C`.
    pub fn scenario(id: &str) -> Option<Self> {
        let s2 = |pct| {
            MlThreshold::new("ml_pred", 0.8, EntrySize::PercentOfCash(pct))
                .with_confidence("confidence", 0.7)
                .with_exit_below(0.4)
                .with_stops(0.05, 0.15)
        };
        Some(match id {
            "S0" => MlThreshold::new("ml_pred", 0.8, EntrySize::Shares(100.0)).with_exit_below(0.4),
            "S1" => MlThreshold::new("ml_pred", 0.8, EntrySize::PercentOfCash(0.95)).with_stops(0.05, 0.15),
            "S2" => s2(0.95),
            "S3" => s2(0.19),
            "S3C" => s2(0.5),
            _ => return None,
        })
    }
}

impl Strategy for MlThreshold {
    fn on_start(&mut self, ctx: &mut Context<'_>) -> StrategyResult {
        let pred = ctx.signal_id(&self.signal)?;
        let conf = match &self.confidence {
            Some((name, _)) => Some(ctx.signal_id(name)?),
            None => None,
        };
        self.ids = Some((pred, conf));
        Ok(())
    }

    #[inline]
    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: Bar<'_>) -> StrategyResult {
        let Some((pred_id, conf_id)) = self.ids else {
            return Err("MlThreshold: on_bar before on_start".into());
        };
        let asset = bar.asset();
        let pred = bar.signal(pred_id);
        if ctx.position(asset) == 0.0 {
            let confident = match (conf_id, &self.confidence) {
                (Some(id), Some((_, above))) => bar.signal(id) > *above,
                _ => true,
            };
            if pred > self.entry_above && confident {
                match self.size {
                    EntrySize::Shares(q) => ctx.buy(asset, q),
                    EntrySize::PercentOfCash(p) => ctx.buy_percent(asset, p),
                };
            }
        } else {
            let pnl = ctx.unrealized_pnl_pct(asset);
            let exit = self.exit_below.is_some_and(|x| pred < x)
                || self.stop_loss.is_some_and(|s| pnl < -s)
                || self.take_profit.is_some_and(|t| pnl > t);
            if exit {
                ctx.close_position(asset);
            }
        }
        Ok(())
    }
}
