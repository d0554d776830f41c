"""Live paper trading with a Python model: a replay server streams prices only (as a broker's
feed would), a model computes `ml_pred` from each bar as it arrives, and the same rules as a
backtest trade on it through the journaled paper broker. Run it twice with the same journal
folder and the second run resumes from the journal (nothing is computed again for journaled bars).

    python python/examples/live_model.py [data.parquet] [journal_folder]

Any model fits where `MomentumModel` is: `compute(bar)` gets one asset's bar (`bar.asset`,
`bar.timestamp`, `bar.close`, ..., `bar.signals`) and returns `{"ml_pred": float}`, e.g.
`{"ml_pred": float(clf.predict_proba(features(bar))[0, 1])}` with sklearn.
"""

import math
import sys
import tempfile
from collections import defaultdict, deque

import polars as pl

from ml4t_rs import Engine, LiveDataFeed, PaperBroker, ReplayServer, Rule, SignalStrategy


class MomentumModel:
    """A toy model: the logistic of the return over the last `window` bars of the asset, so a
    rising asset scores near 1. NaN until it has seen `window` bars (rules compare NaN false)."""

    signals = ["ml_pred"]

    def __init__(self, window: int = 10, scale: float = 40.0) -> None:
        self.window = window
        self.scale = scale
        self.closes = defaultdict(lambda: deque(maxlen=window + 1))

    def compute(self, bar) -> dict:
        closes = self.closes[bar.asset]
        closes.append(bar.close)
        if len(closes) <= self.window:
            return {"ml_pred": float("nan")}
        change = closes[-1] / closes[0] - 1.0
        return {"ml_pred": 1.0 / (1.0 + math.exp(-self.scale * change))}


def main(path: str = "sample_data/sample.parquet", journal: str | None = None, timestamps: int = 250):
    df = pl.read_parquet(path)
    first = df["timestamp"].unique().sort().head(timestamps)
    prices = df.filter(pl.col("timestamp").is_in(first.implode())).select(
        [c for c in ("timestamp", "asset", "open", "high", "low", "close", "volume") if c in df.columns]
    )
    strategy = SignalStrategy(
        entry_rules=[Rule.signal_above("ml_pred", 0.7), Rule.not_in_position()],
        exit_rules=[Rule.signal_below("ml_pred", 0.4), Rule.stop_loss(0.05)],
    )
    with tempfile.TemporaryDirectory() as scratch, ReplayServer(prices) as server:
        feed = LiveDataFeed(server.url, signal_computer=MomentumModel())
        broker = PaperBroker(initial_cash=100_000, commission=0.001, journal=journal or scratch)
        results = Engine(feed, strategy, broker, name="live_model").run()
    if results.replayed_timestamps:
        print(f"resumed from the journal: {results.replayed_timestamps} timestamps replayed")
    print(results.summary())
    return results


if __name__ == "__main__":
    main(*sys.argv[1:])
