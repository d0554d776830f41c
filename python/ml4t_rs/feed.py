"""HistoricalDataFeed: bars and signals from a frame or a file, validated once."""

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
