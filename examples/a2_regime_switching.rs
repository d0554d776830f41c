//! The seed's example A2: regime switching. Each asset's regime (calm or turbulent) is tracked
//! from its `volatility` signal with hysteresis (three bars in a row to switch). In calm regimes
//! the strategy follows the model at full size; in turbulent ones it needs a stronger, more
//! confident prediction, buys half as much and cuts losses sooner.
//!
//! `cargo run --release --example a2_regime_switching [data.parquet]`

use ml4t_data::{LoadOptions, load};
use ml4t_engine::backtest;
use ml4t_engine::execution::BrokerConfig;
use ml4t_engine::market::Bar;
use ml4t_engine::results::metrics::MetricsOptions;
use ml4t_engine::strategy::{Context, Strategy, StrategyResult};
use ml4t_engine::types::SignalId;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Regime {
    Calm,
    Turbulent,
}

/// Per-asset state that persists across bars.
#[derive(Debug, Clone, Copy)]
struct AssetState {
    regime: Regime,
    /// Consecutive bars that disagree with the current regime.
    streak: u32,
}

struct RegimeSwitching {
    /// Volatility above this is turbulent.
    vol_threshold: f64,
    ids: Option<(SignalId, SignalId, SignalId)>,
    state: Vec<AssetState>,
}

impl RegimeSwitching {
    fn new(vol_threshold: f64) -> Self {
        RegimeSwitching {
            vol_threshold,
            ids: None,
            state: Vec::new(),
        }
    }
}

impl Strategy for RegimeSwitching {
    fn on_start(&mut self, ctx: &mut Context<'_>) -> StrategyResult {
        self.ids = Some((
            ctx.signal_id("ml_pred")?,
            ctx.signal_id("confidence")?,
            ctx.signal_id("volatility")?,
        ));
        self.state = vec![
            AssetState {
                regime: Regime::Calm,
                streak: 0
            };
            ctx.assets().len()
        ];
        Ok(())
    }

    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: Bar<'_>) -> StrategyResult {
        let Some((pred, conf, vol)) = self.ids else {
            return Ok(());
        };
        let asset = bar.asset();
        let st = &mut self.state[asset.index()];
        let v = bar.signal(vol);
        if !v.is_nan() {
            let seen = if v > self.vol_threshold {
                Regime::Turbulent
            } else {
                Regime::Calm
            };
            st.streak = if seen == st.regime { 0 } else { st.streak + 1 };
            if st.streak >= 3 {
                st.regime = seen;
                st.streak = 0;
            }
        }
        let (entry, min_conf, size, stop) = match st.regime {
            Regime::Calm => (0.75, 0.0, 0.95, 0.06),
            Regime::Turbulent => (0.9, 0.8, 0.45, 0.03),
        };
        let position_size = 1.0 / ctx.assets().len() as f64;
        if ctx.position(asset) == 0.0 {
            if bar.signal(pred) > entry && bar.signal(conf) > min_conf {
                ctx.buy_percent(asset, size * position_size);
            }
        } else {
            let pnl = ctx.unrealized_pnl_pct(asset);
            if bar.signal(pred) < 0.4 || pnl < -stop || pnl > 0.2 {
                ctx.close_position(asset);
            }
        }
        Ok(())
    }
}

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "sample_data/sample.parquet".into());
    let data = load(path.as_ref(), &LoadOptions::default())?;
    let run = backtest(&data.bars, &mut RegimeSwitching::new(0.02), BrokerConfig::default())?;
    println!("{}", run.summary(&MetricsOptions::default()));
    Ok(())
}
