"""The seed's example A2: regime switching. Each asset's regime (calm or turbulent) is tracked
from its `volatility` signal with hysteresis (three bars in a row to switch). In calm regimes the
strategy follows the model at full size; in turbulent ones it needs a stronger, more confident
prediction, buys half as much and cuts losses sooner. State lives on the strategy object.

    python python/examples/a2_regime_switching.py [data.parquet]
"""

import math
import sys

import polars as pl

from ml4t_rs import Engine, HistoricalDataFeed, SimulationBroker, Strategy


class RegimeSwitching(Strategy):
    def __init__(self, vol_threshold: float = 0.02):
        self.vol_threshold = vol_threshold
        self.regime = {}  # asset -> "calm" | "turbulent"
        self.streak = {}

    def on_start(self):
        self.regime.clear()
        self.streak.clear()

    def on_market_data(self, event):
        asset = event.asset_id
        signals = event.data.signals
        regime = self.regime.get(asset, "calm")
        vol = signals["volatility"]
        if not math.isnan(vol):
            seen = "turbulent" if vol > self.vol_threshold else "calm"
            streak = 0 if seen == regime else self.streak.get(asset, 0) + 1
            if streak >= 3:
                regime, streak = seen, 0
            self.regime[asset], self.streak[asset] = regime, streak
        entry, min_conf, size, stop = (0.75, 0.0, 0.95, 0.06) if regime == "calm" else (0.9, 0.8, 0.45, 0.03)
        if self.get_position(asset) == 0:
            if signals["ml_pred"] > entry and signals["confidence"] > min_conf:
                self.buy_percent(asset, size * self.weight)
        else:
            pnl = self.get_unrealized_pnl_pct(asset)
            if signals["ml_pred"] < 0.4 or pnl < -stop or pnl > 0.2:
                self.close_position(asset)


def main(path: str = "sample_data/sample.parquet"):
    feed = HistoricalDataFeed(pl.read_parquet(path))
    strategy = RegimeSwitching(0.02)
    strategy.weight = 1.0 / len(feed.assets)
    results = Engine(feed, strategy, SimulationBroker(initial_cash=100_000)).run()
    print(results.summary())
    return results


if __name__ == "__main__":
    main(*sys.argv[1:])
