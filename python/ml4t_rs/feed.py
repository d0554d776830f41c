"""HistoricalDataFeed: bars and signals from a frame or a file, validated once; LiveDataFeed: bars
as they arrive over a WebSocket, with signals computed by a Python model."""

from __future__ import annotations

import json
import os
from typing import Any, Mapping, Sequence

from . import _core
from .frames import arrow_source, frame_name


class HistoricalDataFeed:
    """Bars (``timestamp``, optional ``asset``, ``open high low close volume``) and signal columns.

    ``data`` is a polars/pandas DataFrame, a pyarrow Table, any object with
    ``__arrow_c_stream__``, or the path of a Parquet/CSV file or folder. Columns are detected
    and validated exactly as the workbench does for files; a bad frame raises
    :class:`ml4t_rs.DataError` (a ``ValueError``) naming the column and row.

    ``signal_columns``: the signals to load (default: every other numeric column).
    ``assets``: keep only these assets. ``column_mapping``: roles mapped by hand, e.g.
    ``{"close": "adj_close", "asset": "ticker"}`` (ml4t-data's ``ColumnMapping`` fields).
    """

    def __init__(
        self,
        data: Any,
        signal_columns: Sequence[str] | None = None,
        assets: Sequence[str] | None = None,
        column_mapping: Mapping[str, Any] | None = None,
        name: str | None = None,
    ) -> None:
        signals = list(signal_columns) if signal_columns is not None else None
        keep = list(assets) if assets is not None else None
        mapping = json.dumps(dict(column_mapping)) if column_mapping else None
        if isinstance(data, (str, os.PathLike)):
            self._data = _core.load_file(os.fspath(data), signals, keep, mapping)
        else:
            label = name or frame_name(data)
            self._data = _core.load_frame(arrow_source(data), label, signals, keep, mapping)

    @property
    def assets(self) -> list[str]:
        """Asset names in id order (ascending)."""
        return self._data.assets

    @property
    def signal_columns(self) -> list[str]:
        return self._data.signals

    @property
    def n_bars(self) -> int:
        return self._data.n_bars

    @property
    def n_timestamps(self) -> int:
        return self._data.n_timestamps

    def __len__(self) -> int:
        return self._data.n_bars

    def __repr__(self) -> str:
        return "HistoricalDataFeed" + repr(self._data)[len("Data"):]


class LiveDataFeed:
    """Bars as they arrive from a WebSocket server in ml4t's live protocol (``ml4t replay``, or
    :class:`ml4t_rs.ReplayServer`), for ``Engine(feed, strategy, PaperBroker(...)).run()``.

    ``signal_computer``: any object with ``compute(bar) -> dict[str, float]`` (an sklearn,
    xgboost or torch model behind a few lines). It is called once per arriving bar of each asset,
    before the strategy sees the bar, with a :class:`ml4t_rs.LiveBar` (``asset``, ``timestamp``,
    ``timestamp_ns``, ``open high low close volume`` and the feed's own ``signals`` as a dict; a
    new object per bar, so the model may keep it). The returned values become the bar's signals,
    read by rules and by ``event.data.signals[...]`` exactly as file columns are in a backtest,
    and are journaled: a restart replays them and never calls the model for a journaled bar.

    The names it returns come from ``computed_signals``, else the model's ``signals`` attribute.
    ``compute`` must return exactly those keys with real numbers (float, int, numpy scalars;
    ``float('nan')`` for a missing value): a missing or extra key, a bool, None or a string raises
    ``ValueError`` naming the key, the asset and the timestamp. Whatever ``compute`` raises stops
    the run and is raised by ``Engine.run()`` as it was; the journal keeps every timestamp before
    the failing one, so running again resumes there.

    ``assets``/``signals``: the assets traded and the signals read from the server's bars; when
    either is left out it is taken from the feed's first timestamp (a signal the model computes
    is then left to the model). ``exit_at_end``: end the run when the server ends the stream (else
    wait for more until stopped). ``read_timeout``: reconnect after this many seconds without a
    message; ``max_attempts`` failed connections in a row end the run with
    :class:`ml4t_rs.LiveRunError`. ``max_clock_skew``: reject bars stamped more than this many
    seconds ahead of the wall clock (0: no limit).

    :meth:`stop` (from any thread, or from a callback) ends the run after the timestamp in
    progress; so does Ctrl+C, which then raises ``KeyboardInterrupt``. Connections, retries and
    rejected messages are logged to the ``logging`` logger ``ml4t_rs.live``.
    """

    def __init__(
        self,
        url: str,
        signal_computer: Any = None,
        assets: Sequence[str] | None = None,
        signals: Sequence[str] | None = None,
        computed_signals: Sequence[str] | None = None,
        exit_at_end: bool = True,
        max_attempts: int = 10,
        read_timeout: float = 15.0,
        max_clock_skew: float = 86_400.0,
    ) -> None:
        if computed_signals is None and signal_computer is not None:
            computed_signals = getattr(signal_computer, "signals", None)
        computed = _names("computed_signals", computed_signals) or []
        self.signal_computer = signal_computer
        self._stop = _core.StopFlag()
        self._source = _core.LiveSource(
            str(url),
            self._stop,
            _names("assets", assets),
            _names("signals", signals),
            signal_computer,
            computed,
            bool(exit_at_end),
            int(max_attempts),
            float(read_timeout),
            float(max_clock_skew),
        )

    @property
    def url(self) -> str:
        return self._source.url

    @property
    def computed_signals(self) -> list[str]:
        """The signals the signal computer returns."""
        return self._source.computed

    def stop(self) -> None:
        """Ends a run on this feed after the timestamp in progress (thread-safe)."""
        self._stop.set()

    def __repr__(self) -> str:
        model = type(self.signal_computer).__name__ if self.signal_computer is not None else None
        return f"LiveDataFeed({self.url!r}, signal_computer={model}, computed_signals={self.computed_signals})"


def _names(what: str, names: Sequence[str] | None) -> list[str] | None:
    if names is None:
        return None
    if isinstance(names, str):
        raise TypeError(f"{what} must be a list of names, not a string: use [{names!r}]")
    return [str(n) for n in names]
