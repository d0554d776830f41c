"""Ctrl+C (KeyboardInterrupt) cancels a long Python-callback run within 100 ms."""

from __future__ import annotations

import _thread
import signal
import threading
import time

import numpy as np
import polars as pl
import pytest

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


@pytest.fixture
def ctrl_c_raises():
    """Python's own Ctrl+C handler, as in a terminal or a notebook. A process started with SIGINT
    ignored (a background job of a non-interactive shell, as some CI runners start their steps)
    keeps it ignored, and `_thread.interrupt_main` then does nothing."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_keyboard_interrupt_cancels_a_callback_run_quickly(ctrl_c_raises):
    # Seconds of work in a debug or a release build; the interrupt comes after 0.5 s.
    feed = HistoricalDataFeed(long_frame(5_000_000))
    sent = {}

    def interrupt():
        time.sleep(0.5)
        sent["at"] = time.perf_counter()
        _thread.interrupt_main()

    threading.Thread(target=interrupt, daemon=True).start()
    started = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        Engine(feed, Busy()).run()
    stopped = time.perf_counter()
    assert "at" in sent, f"the run finished in {stopped - started:.2f} s before the interrupt was sent"
    assert stopped - sent["at"] < 0.1, f"took {(stopped - sent['at']) * 1e3:.0f} ms to stop"
