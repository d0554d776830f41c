"""The seed's example A1: buy when the model's prediction is above 0.8, sized at 95 % of cash;
exit on a 5 % loss or a 15 % gain (SEMANTICS.md scenario S1). A Python callback per bar.

    python python/examples/a1_ml_threshold.py [data.parquet]
"""

import sys

import polars as pl

from ml4t_rs import Engine, HistoricalDataFeed, SimulationBroker, Strategy


class MLStrategy(Strategy):
    def on_market_data(self, event):
        asset = event.asset_id
        if self.get_position(asset) == 0:
            if event.data.signals["ml_pred"] > 0.8:
                self.buy_percent(asset, 0.95)
        else:
            pnl = self.get_unrealized_pnl_pct(asset)
            if pnl < -0.05 or pnl > 0.15:
                self.close_position(asset)


def main(path: str = "sample_data/sample.parquet"):
    df = pl.read_parquet(path)
    feed = HistoricalDataFeed(df, signal_columns=["ml_pred", "confidence"], assets=[df["asset"][0]] if "asset" in df.columns else None)
    results = Engine(feed, MLStrategy(), SimulationBroker(initial_cash=100_000)).run()
    print(results.summary())
    return results


if __name__ == "__main__":
    main(*sys.argv[1:])
