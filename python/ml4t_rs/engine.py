"""Engine: runs a strategy over a feed through a broker; run_preset: what the workbench runs."""

from __future__ import annotations

import json
import os
from typing import Any, Sequence

from . import _core
from .broker import SimulationBroker
from .feed import HistoricalDataFeed
from .frames import arrow_source, frame_name
from .results import Results
from .rules import Rule, SignalStrategy, _spec
from .strategy import Strategy


class Engine:
    """``Engine(feed, strategy, broker).run()`` returns :class:`Results`.

    ``strategy`` is a :class:`SignalStrategy` (compiled rules, run with the GIL released) or a
    :class:`Strategy` subclass instance (its ``on_market_data`` called per bar). ``filter``
    (or the strategy's ``filter`` attribute) makes the callback a hybrid: compiled rules decide
    on which bars it is called at all. Ctrl+C stops a run with ``KeyboardInterrupt``.
    """

    def __init__(
        self,
        feed: HistoricalDataFeed,
        strategy: SignalStrategy | Strategy,
        broker: SimulationBroker | None = None,
        filter: Sequence[Rule] | None = None,
        name: str = "python",
    ) -> None:
        if not isinstance(feed, HistoricalDataFeed):
            raise TypeError(f"feed must be a HistoricalDataFeed, got {type(feed).__name__}")
        if not isinstance(strategy, (SignalStrategy, Strategy)):
            raise TypeError(
                f"strategy must be a SignalStrategy or a Strategy subclass instance, got {type(strategy).__name__}"
            )
        self.feed = feed
        self.strategy = strategy
        self.broker = broker if broker is not None else SimulationBroker()
        self.filter = filter
        self.name = name

    def run(self) -> Results:
        data = self.feed._data
        broker = self.broker.to_json()
        if isinstance(self.strategy, SignalStrategy):
            if self.filter is not None:
                raise ValueError("filter applies to a Strategy callback; put the rules into the SignalStrategy")
            out = _core.run_rules(data, self.strategy.to_json(), broker, self.name)
        else:
            rules = self.filter if self.filter is not None else type(self.strategy).filter
            filter_json = json.dumps([_spec(r) for r in rules]) if rules else None
            out = _core.run_callback(data, self.strategy, broker, filter_json, self.name)
        return Results(out)


def run_preset(preset: str | os.PathLike[str], data: Any = None) -> Results:
    """Runs a preset file (``.ron``) as the workbench and ``ml4t run`` do: its strategy (rules,
    script or hybrid), broker and metrics settings. ``data`` (a frame, or a file path) replaces
    the preset's data file and is read with the preset's own column settings."""
    path = os.fspath(preset)
    if data is None:
        return Results(_core.run_preset(path))
    if isinstance(data, (str, os.PathLike)):
        import polars as pl

        file = os.fspath(data)
        frame = pl.read_csv(file) if file.lower().endswith(".csv") else pl.read_parquet(file)
        return Results(_core.run_preset(path, frame, os.path.basename(file)))
    return Results(_core.run_preset(path, arrow_source(data), frame_name(data)))
