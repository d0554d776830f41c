"""ml4t_rs: the ml4t-backtest engine in Python.

The seed's API on polars/pandas/pyarrow frames, running on the Rust engine::

    from ml4t_rs import HistoricalDataFeed, Strategy, SimulationBroker, Engine

    class MLStrategy(Strategy):
        def on_market_data(self, event):
            asset = event.asset_id
            if self.get_position(asset) == 0:
                if event.data.signals["ml_pred"] > 0.8:
                    self.buy_percent(asset, 0.95)
            elif not -0.05 <= self.get_unrealized_pnl_pct(asset) <= 0.15:
                self.close_position(asset)

    feed = HistoricalDataFeed(df, signal_columns=["ml_pred"])
    results = Engine(feed, MLStrategy(), SimulationBroker(initial_cash=100_000)).run()
    print(results.summary())

The same strategy trades live (paper) with signals computed by a Python model as bars arrive::

    feed = LiveDataFeed("ws://127.0.0.1:9001", signal_computer=MyMLModel())
    results = Engine(feed, MLStrategy(), PaperBroker(initial_cash=100_000, journal="paper")).run()
"""

from ._core import DataError, LiveBar, LiveRunError, StrategyError, __version__
from .broker import PaperBroker, SimulationBroker
from .engine import Engine, run_preset
from .feed import HistoricalDataFeed, LiveDataFeed
from .replay import ReplayServer
from .results import Results
from .rules import (
    ConfidenceSizer,
    EquityPercentSizer,
    FixedNotionalSizer,
    FixedSizer,
    PercentSizer,
    Rule,
    SignalStrategy,
)
from .strategy import Strategy
from .sweep import sweep, walk_forward

__all__ = [
    "ConfidenceSizer",
    "DataError",
    "Engine",
    "EquityPercentSizer",
    "FixedNotionalSizer",
    "FixedSizer",
    "HistoricalDataFeed",
    "LiveBar",
    "LiveDataFeed",
    "LiveRunError",
    "PaperBroker",
    "PercentSizer",
    "ReplayServer",
    "Results",
    "Rule",
    "SignalStrategy",
    "SimulationBroker",
    "Strategy",
    "StrategyError",
    "__version__",
    "run_preset",
    "sweep",
    "walk_forward",
]
