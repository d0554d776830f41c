"""The seed's user journey (SEMANTICS.md scenario S2), as a notebook would run it: predictions
from a model land in a pandas frame with a DatetimeIndex, a strategy uses the prediction and the
model's confidence, the results come back as frames, metrics and a tearsheet.

    python python/examples/user_journey.py [data.parquet]
"""

import sys

import pandas as pd

from ml4t_rs import Engine, HistoricalDataFeed, SimulationBroker, Strategy


class PredictionWithConfidence(Strategy):
    def on_market_data(self, event):
        asset = event.asset_id
        signals = event.data.signals
        if self.get_position(asset) == 0:
            if signals["ml_pred"] > 0.8 and signals["confidence"] > 0.7:
                self.buy_percent(asset, 0.95)
        else:
            pnl = self.get_unrealized_pnl_pct(asset)
            if signals["ml_pred"] < 0.4 or pnl < -0.05 or pnl > 0.15:
                self.close_position(asset)


def main(path: str = "tests/fixtures/data/syn_2k.parquet"):
    df = pd.read_parquet(path).set_index("timestamp")  # a DatetimeIndex, as pandas users have it
    feed = HistoricalDataFeed(df, signal_columns=["ml_pred", "confidence"])
    results = Engine(feed, PredictionWithConfidence(), SimulationBroker(initial_cash=100_000)).run()
    print(results.summary())
    print(results.trades.head())
    print({k: results.metrics[k] for k in ("total_return", "sharpe", "max_drawdown") if k in results.metrics})
    return results


if __name__ == "__main__":
    main(*sys.argv[1:])
