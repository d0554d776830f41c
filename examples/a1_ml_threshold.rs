//! The seed's example A1: buy when the model's prediction is above 0.8, sized at 95 % of cash;
//! exit on a 5 % loss or a 15 % gain. (SEMANTICS.md scenario S1; its declarative twin is A3.)
//!
//! `cargo run --release --example a1_ml_threshold [data.parquet]`

use ml4t_data::{LoadOptions, load};
use ml4t_engine::backtest;
use ml4t_engine::execution::BrokerConfig;
use ml4t_engine::market::Bar;
use ml4t_engine::results::metrics::MetricsOptions;
use ml4t_engine::strategy::{Context, Strategy, StrategyResult};
use ml4t_engine::types::SignalId;

#[derive(Default)]
struct MlThresholdA1 {
    ml_pred: Option<SignalId>,
}

impl Strategy for MlThresholdA1 {
    fn on_start(&mut self, ctx: &mut Context<'_>) -> StrategyResult {
        // Resolve the column once; the loop reads it by index.
        self.ml_pred = Some(ctx.signal_id("ml_pred")?);
        Ok(())
    }

    fn on_bar(&mut self, ctx: &mut Context<'_>, bar: Bar<'_>) -> StrategyResult {
        let Some(ml_pred) = self.ml_pred else { return Ok(()) };
        let asset = bar.asset();
        if ctx.position(asset) == 0.0 {
            if bar.signal(ml_pred) > 0.8 {
                ctx.buy_percent(asset, 0.95);
            }
        } else {
            // Outside the band [-5 %, +15 %]: stop loss or take profit.
            let pnl = ctx.unrealized_pnl_pct(asset);
            if !(-0.05..=0.15).contains(&pnl) {
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
    let options = LoadOptions {
        assets: Some(vec!["A000".into()]),
        ..LoadOptions::default()
    };
    let data = load(path.as_ref(), &options)?;
    let run = backtest(&data.bars, &mut MlThresholdA1::default(), BrokerConfig::default())?;
    println!("{}", run.summary(&MetricsOptions::default()));
    Ok(())
}
