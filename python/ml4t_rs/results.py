"""Results of a run as polars frames, metrics, text, JSON and a notebook tearsheet."""

from __future__ import annotations

import html
import json
from functools import cached_property
from typing import Any


def _frame(columns: dict[str, list], times: tuple[str, ...]) -> Any:
    import polars as pl

    df = pl.DataFrame(columns)
    casts = [pl.col(c).cast(pl.Int64).cast(pl.Datetime("ns")) for c in times if c in df.columns]
    return df.with_columns(casts) if casts else df


class Results:
    """What a run produced. Frames are polars (``.to_pandas()`` for pandas); times are UTC."""

    def __init__(self, output: Any) -> None:
        self._out = output

    @cached_property
    def trades(self) -> Any:
        """Closed round trips: asset, side, qty, entry/exit time and price, pnl_net, ..."""
        return _frame(self._out.trades_columns(), ("entry_time", "exit_time"))

    @cached_property
    def fills(self) -> Any:
        """Every execution in order."""
        return _frame(self._out.fills_columns(), ("timestamp",))

    @cached_property
    def equity(self) -> Any:
        """One row per timestamp: equity, cash, exposures, drawdown."""
        return _frame(self._out.equity_columns(), ("timestamp",))

    @cached_property
    def positions(self) -> Any:
        """Positions still open at the end."""
        return _frame(self._out.positions_columns(), ("entry_time",))

    @cached_property
    def metrics(self) -> dict[str, Any]:
        """Every metric (the result JSON's ``metrics``)."""
        return json.loads(self._out.metrics_json())

    @property
    def final_equity(self) -> float:
        return self._out.final_equity

    @property
    def n_trades(self) -> int:
        return self._out.n_trades

    @property
    def bars(self) -> int:
        return self._out.bars

    @property
    def replayed_timestamps(self) -> int:
        """Timestamps a live run replayed from its journal before going live (0 otherwise)."""
        return self._out.replayed_timestamps

    @property
    def seconds(self) -> float:
        """Wall time of the run itself (not loading)."""
        return self._out.seconds

    @property
    def bars_per_sec(self) -> float:
        return self._out.bars / self._out.seconds if self._out.seconds > 0 else 0.0

    def summary(self) -> str:
        """The summary text ``ml4t run`` prints."""
        return self._out.summary()

    def to_json(self) -> str:
        """The result JSON exactly as ``ml4t run --json`` writes it."""
        return self._out.to_json()

    def to_dict(self) -> dict[str, Any]:
        return json.loads(self.to_json())

    def tearsheet_html(self) -> str:
        """The full tearsheet as one self-contained HTML page (what ``ml4t report`` writes)."""
        return self._out.tearsheet_html()

    def _repr_html_(self) -> str:
        # In an iframe: the page's styles stay out of the notebook's.
        page = html.escape(self.tearsheet_html(), quote=True)
        return (
            f'<iframe srcdoc="{page}" style="width:100%;height:900px;border:0" '
            'sandbox="allow-same-origin"></iframe>'
        )

    def __repr__(self) -> str:
        return (
            f"Results({self._out.scenario}: {self.n_trades} trades, final equity "
            f"{self.final_equity:,.2f}, {self.bars} bars in {self.seconds * 1e3:.1f} ms)"
        )
