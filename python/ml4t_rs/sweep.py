"""Parameter sweeps from Python: a polars frame with one row per combination, the parameters as
columns, then every metric. Runs ``ml4t-sweep`` (all cores, GIL released), locally or fanned out
over a Dask distributed cluster in chunks of combinations."""

from __future__ import annotations

import json
import os
from typing import Any, Mapping, Sequence

from . import _core
from .broker import SimulationBroker
from .feed import HistoricalDataFeed
from .frames import arrow_source, frame_name
from .rules import SignalStrategy


def _values(spec: Any) -> str:
    """``"0.5:0.9:5"`` (start:stop:count), ``"0.5,0.6"``, or a list of numbers."""
    if isinstance(spec, str):
        return spec
    return ",".join(repr(float(v)) for v in spec)


def _target(strategy: Any, broker: SimulationBroker | None) -> dict[str, Any]:
    if isinstance(strategy, SignalStrategy):
        return {
            "preset_path": None,
            "strategy_json": strategy.to_json(),
            "broker_json": (broker or SimulationBroker()).to_json(),
        }
    if isinstance(strategy, (str, os.PathLike)):
        if broker is not None:
            raise ValueError("a preset sweeps with its own broker settings; leave broker out")
        return {"preset_path": os.fspath(strategy), "strategy_json": None, "broker_json": None}
    raise TypeError(f"sweep needs a SignalStrategy or a preset path, got {type(strategy).__name__}")


def _frame(part: dict[str, Any]) -> Any:
    import polars as pl

    metrics = pl.DataFrame(json.loads(part.pop("metrics_json")), infer_schema_length=None)
    part.pop("cancelled", None)
    return pl.concat([pl.DataFrame(part), metrics], how="horizontal")


def _run_chunk(frame: Any, name: str, params, constraints, objective, target, start, end, threads):
    """One chunk on a Dask worker: the worker's copy of the data, the Rust sweep on all its cores."""
    data = HistoricalDataFeed(frame, name=name)._data
    return _core.sweep_rows(data, params, constraints, objective, start=start, end=end, threads=threads, **target)


def sweep(
    strategy: SignalStrategy | str | os.PathLike[str],
    data: Any,
    params: Mapping[str, Any],
    constraints: Sequence[str] = (),
    objective: str = "sharpe",
    broker: SimulationBroker | None = None,
    threads: int = 0,
    client: Any = None,
    chunks: int | None = None,
) -> Any:
    """Runs every combination of ``params`` (paths into the strategy, as in the workbench and
    ``ml4t sweep``: ``{"entry[0]": "0.55:0.95:9", "exit[0]": [0.05, 0.1]}``).

    ``strategy``: a :class:`SignalStrategy` or a preset file. ``data``: a feed, a frame or a file.
    ``constraints``: e.g. ``["exit[0] < entry[0]"]``. ``objective`` names the metric the sweep
    ranks by (validated, so a typo is an error). ``client``: a ``dask.distributed.Client``; the
    data is sent to each worker once and each runs a chunk of the combinations on all its cores;
    the rows come back in the same order as a local run. Returns a polars DataFrame."""
    target = _target(strategy, broker)
    pairs = [(str(k), _values(v)) for k, v in params.items()]
    cons = list(constraints)
    n, _paths = _core.sweep_plan(pairs, cons, **target)
    if client is None:
        feed = data if isinstance(data, HistoricalDataFeed) else HistoricalDataFeed(data)
        return _frame(_core.sweep_rows(feed._data, pairs, cons, objective, threads=threads, **target))
    return _sweep_dask(client, data, n, pairs, cons, objective, target, threads, chunks)


def _sweep_dask(client, data, n, pairs, cons, objective, target, threads, chunks):
    import polars as pl

    if isinstance(data, HistoricalDataFeed):
        raise TypeError("with a Dask client pass the frame (or file) itself: workers load it themselves")
    if isinstance(data, (str, os.PathLike)):
        name = os.path.basename(os.fspath(data))
        frame = pl.read_csv(data) if os.fspath(data).lower().endswith(".csv") else pl.read_parquet(data)
    else:
        name, frame = frame_name(data), arrow_source(data)
    workers = len(client.scheduler_info().get("workers", {})) or 1
    k = max(1, min(chunks or workers, n))
    bounds = [(i * n // k, (i + 1) * n // k) for i in range(k)]
    # hash=False: a fresh key per sweep, so a release of an earlier sweep's copy cannot race this one.
    shared = client.scatter(frame, broadcast=True, hash=False)
    futures = [
        client.submit(_run_chunk, shared, name, pairs, cons, objective, target, a, b, threads, pure=False)
        for a, b in bounds
    ]
    parts = client.gather(futures)
    # A metric can be null in every row of one chunk (no recovery yet): relaxed types reconcile it.
    return pl.concat([_frame(p) for p in parts], how="vertical_relaxed")


def walk_forward(
    strategy: SignalStrategy | str | os.PathLike[str],
    data: Any,
    params: Mapping[str, Any],
    train: str,
    test: str,
    constraints: Sequence[str] = (),
    objective: str = "sharpe",
    broker: SimulationBroker | None = None,
    anchored: bool = False,
    embargo_bars: int = 0,
    carry_equity: bool = False,
    threads: int = 0,
) -> Any:
    """Walk-forward as ``ml4t walk-forward``: on each fold the sweep over the train window picks
    the best combination by ``objective``, which then runs on the following test window.
    ``train``/``test``: window lengths as the CLI takes them (bars ``"500"`` or a period such as
    ``"2y"``, ``"6m"``). Returns a polars DataFrame, one row per fold: windows, chosen params,
    in- and out-of-sample objective, test trades and final equity."""
    import polars as pl

    target = _target(strategy, broker)
    feed = data if isinstance(data, HistoricalDataFeed) else HistoricalDataFeed(data)
    pairs = [(str(k), _values(v)) for k, v in params.items()]
    cols = _core.walk_forward_rows(
        feed._data, pairs, list(constraints), objective, train, test,
        anchored=anchored, embargo_bars=embargo_bars, carry_equity=carry_equity, threads=threads, **target,
    )
    df = pl.DataFrame(cols)
    times = ("train_start", "train_end", "test_start", "test_end")
    return df.with_columns([pl.col(c).cast(pl.Datetime("ns")) for c in times])
