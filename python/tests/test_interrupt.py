"""Ctrl+C (KeyboardInterrupt) cancels a long Python-callback run within 100 ms."""

from __future__ import annotations

import numpy as np
import polars as pl
from conftest import assert_interrupt_stops

from ml4t_rs import Engine, HistoricalDataFeed, Strategy


class Busy(Strategy):
    """Does a little work per bar and never trades."""

    def on_market_data(self, event):
        event.data.close


def long_frame(n: int) -> pl.DataFrame:
    t = np.arange(n, dtype="int64") * 60_000_000_000 + 631_152_000_000_000_000
    close = 100.0 + np.sin(np.arange(n) / 100.0)
    return pl.DataFrame(
        {
            "timestamp": pl.Series(t).cast(pl.Datetime("ns")),
            "open": close,
            "high": close + 0.5,
            "low": close - 0.5,
            "close": close,
            "volume": np.full(n, 1000.0),
            "ml_pred": np.zeros(n),
        }
    )


def test_keyboard_interrupt_cancels_a_callback_run_quickly(ctrl_c_raises):
    # Seconds of work in a debug or a release build; the interrupt comes after 0.5 s.
    feed = HistoricalDataFeed(long_frame(5_000_000))
    assert_interrupt_stops(lambda: Engine(feed, Busy()).run(), after=0.5)
