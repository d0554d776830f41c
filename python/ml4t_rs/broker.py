"""SimulationBroker: the account and execution settings of a backtest; PaperBroker: the same
fills on a live feed, journaled."""

from __future__ import annotations

import json
import os
from typing import Any


class SimulationBroker:
    """The engine's simulation broker (SEMANTICS.md defaults: next-open fills, 0.1 % commission,
    buys capped to the cash).

    ``commission``: fraction of notional (0.001 = 0.1 %); ``per_share``, ``per_order`` and
    ``min_commission`` add to it. ``slippage_bps``: adverse slippage on every fill.
    ``cash_rule``: ``cap`` (shrink an unaffordable buy) or ``reject``. ``fill_timing``:
    ``next_open`` or ``same_close`` (optimistic). ``allow_short``: permit short sales.
    """

    def __init__(
        self,
        initial_cash: float = 100_000.0,
        commission: float = 0.001,
        slippage_bps: float = 0.0,
        cash_rule: str = "cap",
        fill_timing: str = "next_open",
        allow_short: bool = False,
        per_share: float = 0.0,
        per_order: float = 0.0,
        min_commission: float = 0.0,
    ) -> None:
        self.initial_cash = float(initial_cash)
        self.commission = float(commission)
        self.slippage_bps = float(slippage_bps)
        self.cash_rule = cash_rule
        self.fill_timing = fill_timing
        self.allow_short = bool(allow_short)
        self.per_share = float(per_share)
        self.per_order = float(per_order)
        self.min_commission = float(min_commission)

    def to_dict(self) -> dict[str, Any]:
        """The preset's ``broker`` section (``BrokerConfig``) as JSON."""
        return {
            "initial_cash": self.initial_cash,
            "commission": {
                "percent": self.commission,
                "per_share": self.per_share,
                "per_order": self.per_order,
                "minimum": self.min_commission,
            },
            "slippage_bps": self.slippage_bps,
            "cash_rule": self.cash_rule,
            "fill_timing": self.fill_timing,
            "allow_short": self.allow_short,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    def __repr__(self) -> str:
        return f"SimulationBroker({self.to_json()})"


class PaperBroker(SimulationBroker):
    """The paper broker of ``ml4t paper``: exactly the :class:`SimulationBroker`'s fills (same
    options) on a :class:`LiveDataFeed`, plus a journal.

    ``journal``: a folder. Every committed timestamp (its bars with their signals, computed ones
    included, fills, orders, cash and positions) is appended and synced there; running again with
    the same folder replays the journal through the strategy (no signal is computed again) and
    resumes the feed after its last timestamp, ending as an uninterrupted run would. A journal
    resumes only the setup that wrote it (assets, signals, broker settings, strategy) and is locked
    while a run uses it. ``None`` keeps nothing across runs.
    """

    def __init__(self, initial_cash: float = 100_000.0, *, journal: str | os.PathLike[str] | None = None, **options: Any) -> None:
        super().__init__(initial_cash, **options)
        self.journal = os.fspath(journal) if journal is not None else None

    def __repr__(self) -> str:
        return f"PaperBroker({self.to_json()}, journal={self.journal!r})"
