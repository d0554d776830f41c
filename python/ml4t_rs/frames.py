"""Turning the frames users have into an Arrow C stream the Rust side reads without copies."""

from __future__ import annotations

from typing import Any


def _is_pandas(obj: Any) -> bool:
    return type(obj).__module__.split(".")[0] == "pandas" and hasattr(obj, "columns")


def _from_pandas(df: Any) -> Any:
    """A pandas frame as a pyarrow Table: a DatetimeIndex (tz-aware or not) becomes the
    timestamp column (named after the index, else ``timestamp``); a categorical asset column
    stays a dictionary column (polars reads it as a categorical)."""
    import pandas as pd
    import pyarrow as pa

    if isinstance(df.index, pd.DatetimeIndex):
        name = df.index.name or "timestamp"
        if name in df.columns:
            raise ValueError(
                f"<pandas.DataFrame>: the DatetimeIndex is named '{name}' like a column; "
                "rename one of them"
            )
        df = df.reset_index(names=name)
    return pa.Table.from_pandas(df, preserve_index=False)


def arrow_source(obj: Any) -> Any:
    """An object with ``__arrow_c_stream__`` for any supported frame.

    polars DataFrames (LazyFrames are collected), pyarrow Tables and RecordBatchReaders, and
    anything else implementing the Arrow PyCapsule interface pass as they are; pandas goes
    through pyarrow (see :func:`_from_pandas`)."""
    if _is_pandas(obj):
        return _from_pandas(obj)
    if type(obj).__name__ == "LazyFrame" and hasattr(obj, "collect"):
        obj = obj.collect()
    return obj


def frame_name(obj: Any) -> str:
    """How a frame is named in messages and in the result JSON's ``data`` field."""
    return f"<{type(obj).__module__.split('.')[0]}.{type(obj).__name__}>"
