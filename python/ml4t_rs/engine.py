"""Engine: runs a strategy over a feed through a broker; run_preset: what the workbench runs."""

from __future__ import annotations

import json
import os
from typing import Any, Sequence

from . import _core
from .broker import PaperBroker, SimulationBroker
from .feed import HistoricalDataFeed, LiveDataFeed
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

    On a :class:`LiveDataFeed` the same strategies trade live with a :class:`PaperBroker` (the
    default there; a :class:`SimulationBroker` is a paper broker without journal): the loop of
    ``ml4t paper``, run in Rust without the GIL, which is taken only to call the signal computer
    and the strategy's callbacks. Rules run interpreted bar by bar (the same trades as compiled
    over a file). The run ends when the server ends the stream or the feed is stopped.
    """

    def __init__(
        self,
        feed: HistoricalDataFeed | LiveDataFeed,
        strategy: SignalStrategy | Strategy,
        broker: SimulationBroker | None = None,
        filter: Sequence[Rule] | None = None,
        name: str = "python",
    ) -> None:
        if not isinstance(feed, (HistoricalDataFeed, LiveDataFeed)):
            raise TypeError(f"feed must be a HistoricalDataFeed or a LiveDataFeed, got {type(feed).__name__}")
        if not isinstance(strategy, (SignalStrategy, Strategy)):
            raise TypeError(
                f"strategy must be a SignalStrategy or a Strategy subclass instance, got {type(strategy).__name__}"
            )
        if isinstance(feed, HistoricalDataFeed) and isinstance(broker, PaperBroker):
            raise TypeError("a PaperBroker trades a LiveDataFeed; backtest with a SimulationBroker")
        if broker is not None and not isinstance(broker, SimulationBroker):
            raise TypeError(f"broker must be a SimulationBroker or a PaperBroker, got {type(broker).__name__}")
        self.feed = feed
        self.strategy = strategy
        if broker is None:
            broker = PaperBroker() if isinstance(feed, LiveDataFeed) else SimulationBroker()
        self.broker = broker
        self.filter = filter
        self.name = name

    def _filter_json(self) -> str | None:
        if isinstance(self.strategy, SignalStrategy):
            if self.filter is not None:
                raise ValueError("filter applies to a Strategy callback; put the rules into the SignalStrategy")
            return None
        rules = self.filter if self.filter is not None else type(self.strategy).filter
        return json.dumps([_spec(r) for r in rules]) if rules else None

    def run(self) -> Results:
        filter_json = self._filter_json()
        if isinstance(self.feed, LiveDataFeed):
            return self._run_live(filter_json)
        data = self.feed._data
        broker = self.broker.to_json()
        if isinstance(self.strategy, SignalStrategy):
            out = _core.run_rules(data, self.strategy.to_json(), broker, self.name)
        else:
            out = _core.run_callback(data, self.strategy, broker, filter_json, self.name)
        return Results(out)

    def _run_live(self, filter_json: str | None) -> Results:
        feed = self.feed
        journal = getattr(self.broker, "journal", None)
        rules = isinstance(self.strategy, SignalStrategy)
        model = feed.signal_computer
        # What a journal belongs to: it resumes only the same strategy and signal computer.
        strategy_id = json.dumps(
            {
                "strategy": self.strategy.to_dict() if rules else "python:" + _qualified(type(self.strategy)),
                "filter": json.loads(filter_json) if filter_json else None,
                "signal_computer": _qualified(type(model)) if model is not None else None,
            },
            sort_keys=True,
        )
        feed._stop.clear()
        out = _core.run_live(
            feed._source,
            self.broker.to_json(),
            strategy_id,
            journal,
            self.strategy.to_json() if rules else None,
            None if rules else self.strategy,
            filter_json,
            self.name,
        )
        return Results(out)


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


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
