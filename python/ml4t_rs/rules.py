"""Declarative rules: the SAME serde model as the presets (ml4t_engine's ``Rule``,
``Sizer`` and ``SignalStrategy``). A ``Rule`` here is just that model's JSON form, so a strategy
built in Python is exactly a preset's ``strategy: Rules(...)`` section (see ``to_dict``)."""

from __future__ import annotations

import json
from typing import Any, Iterable, Sequence

_CMP = {">": "Gt", ">=": "Ge", "<": "Lt", "<=": "Le"}


class Rule:
    """One condition. Columns are signal names or ``open high low close volume``; any
    comparison with NaN is false. Combine with ``&``, ``|``, ``~`` or ``Rule.all_``/``any_``."""

    __slots__ = ("spec",)

    def __init__(self, spec: Any) -> None:
        self.spec = spec

    # Signal thresholds.
    @staticmethod
    def signal_above(column: str, x: float) -> Rule:
        return Rule({"SignalAbove": [column, float(x)]})

    @staticmethod
    def signal_below(column: str, x: float) -> Rule:
        return Rule({"SignalBelow": [column, float(x)]})

    @staticmethod
    def signal_between(column: str, lo: float, hi: float) -> Rule:
        return Rule({"SignalBetween": [column, float(lo), float(hi)]})

    @staticmethod
    def cross_above(column: str, x: float) -> Rule:
        return Rule({"CrossAbove": [column, float(x)]})

    @staticmethod
    def cross_below(column: str, x: float) -> Rule:
        return Rule({"CrossBelow": [column, float(x)]})

    @staticmethod
    def compare(a: str, op: str, b: str) -> Rule:
        """``Rule.compare('close', '>', 'sma_50')``: op is one of > >= < <=."""
        if op not in _CMP:
            raise ValueError(f"Rule.compare: operator {op!r} must be one of {', '.join(_CMP)}")
        return Rule({"Compare": [a, _CMP[op], b]})

    # Position state.
    @staticmethod
    def in_position() -> Rule:
        return Rule("InPosition")

    @staticmethod
    def not_in_position() -> Rule:
        return Rule("NotInPosition")

    @staticmethod
    def stop_loss(pct: float) -> Rule:
        """Exit when the close is ``pct`` below the entry (0.05 = 5 %)."""
        return Rule({"StopLoss": float(pct)})

    @staticmethod
    def take_profit(pct: float) -> Rule:
        return Rule({"TakeProfit": float(pct)})

    @staticmethod
    def trailing_stop(pct: float) -> Rule:
        return Rule({"TrailingStop": float(pct)})

    @staticmethod
    def max_holding_bars(n: int) -> Rule:
        return Rule({"MaxHoldingBars": int(n)})

    # Cross-sectional.
    @staticmethod
    def top_n(column: str, n: int) -> Rule:
        return Rule({"TopN": [column, int(n)]})

    @staticmethod
    def bottom_n(column: str, n: int) -> Rule:
        return Rule({"BottomN": [column, int(n)]})

    # Combinators.
    @staticmethod
    def all_(*rules: Rule) -> Rule:
        return Rule({"All": [_spec(r) for r in _flat(rules)]})

    @staticmethod
    def any_(*rules: Rule) -> Rule:
        return Rule({"Any": [_spec(r) for r in _flat(rules)]})

    @staticmethod
    def not_(rule: Rule) -> Rule:
        return Rule({"Not": _spec(rule)})

    def __and__(self, other: Rule) -> Rule:
        return Rule.all_(self, other)

    def __or__(self, other: Rule) -> Rule:
        return Rule.any_(self, other)

    def __invert__(self) -> Rule:
        return Rule.not_(self)

    def to_dict(self) -> Any:
        """The rule in the preset schema's JSON form."""
        return self.spec

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Rule) and other.spec == self.spec

    def __hash__(self) -> int:
        return hash(json.dumps(self.spec, sort_keys=True))

    def __repr__(self) -> str:
        return f"Rule({json.dumps(self.spec)})"


def _flat(rules: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for r in rules:
        if isinstance(r, (list, tuple)):
            out.extend(r)
        else:
            out.append(r)
    return out


def _spec(rule: Any) -> Any:
    if not isinstance(rule, Rule):
        raise TypeError(f"expected a Rule, got {type(rule).__name__}: {rule!r}")
    return rule.spec


class _Sizer:
    __slots__ = ("spec",)

    def __init__(self, spec: Any) -> None:
        self.spec = spec

    def to_dict(self) -> Any:
        return self.spec

    def __repr__(self) -> str:
        return f"{type(self).__name__}({json.dumps(self.spec)})"


class PercentSizer(_Sizer):
    """``floor(cash * pct / close)`` shares: the seed's PercentSizer."""

    def __init__(self, pct: float) -> None:
        super().__init__({"PercentOfCash": float(pct)})


class EquityPercentSizer(_Sizer):
    """``floor(equity * pct / close)`` shares."""

    def __init__(self, pct: float) -> None:
        super().__init__({"PercentOfEquity": float(pct)})


class FixedSizer(_Sizer):
    """A fixed number of shares."""

    def __init__(self, qty: float) -> None:
        super().__init__({"FixedQuantity": float(qty)})


class FixedNotionalSizer(_Sizer):
    """``floor(notional / close)`` shares."""

    def __init__(self, notional: float) -> None:
        super().__init__({"FixedNotional": float(notional)})


class ConfidenceSizer(_Sizer):
    """``floor(cash * clamp(column * scale, 0, max) / close)``: sized by the model's confidence."""

    def __init__(self, column: str, scale: float, max_pct: float) -> None:
        super().__init__({"ConfidenceScaled": [column, float(scale), float(max_pct)]})


class SignalStrategy:
    """Entry and exit rules plus a sizer: the seed's declarative strategy, run compiled (masks
    computed once) with the GIL released.

    ``entry_rules``: all must hold to enter (checked when flat). ``exit_rules``: ANY of them
    exits (the seed's meaning; it becomes one ``Any`` rule in the preset model).
    ``direction``: ``long`` (default), ``short_only`` or ``long_short`` with
    ``short_entry_rules``/``short_exit_rules``. ``exit_fills``: ``next_open`` (default) or
    ``intrabar`` (stops and take-profits rest as orders).
    """

    def __init__(
        self,
        entry_rules: Sequence[Rule],
        exit_rules: Sequence[Rule] = (),
        position_sizer: _Sizer | None = None,
        direction: str = "long",
        short_entry_rules: Sequence[Rule] = (),
        short_exit_rules: Sequence[Rule] = (),
        exit_fills: str = "next_open",
    ) -> None:
        self.entry_rules = list(entry_rules)
        self.exit_rules = list(exit_rules)
        self.position_sizer = position_sizer if position_sizer is not None else PercentSizer(0.95)
        self.direction = direction
        self.short_entry_rules = list(short_entry_rules)
        self.short_exit_rules = list(short_exit_rules)
        self.exit_fills = exit_fills

    @staticmethod
    def _any_of(rules: list[Rule]) -> list[Any]:
        if len(rules) <= 1:
            return [_spec(r) for r in rules]
        return [Rule.any_(*rules).spec]

    def to_dict(self) -> dict[str, Any]:
        """The preset's ``SignalStrategy`` (what ``strategy: Rules(...)`` holds), as JSON."""
        if not isinstance(self.position_sizer, _Sizer):
            raise TypeError(
                f"position_sizer must be a sizer such as PercentSizer(0.95), got {self.position_sizer!r}"
            )
        d: dict[str, Any] = {
            "entry": [_spec(r) for r in self.entry_rules],
            "exit": self._any_of(self.exit_rules),
            "sizer": self.position_sizer.spec,
            "direction": self.direction,
            "exit_fills": self.exit_fills,
        }
        if self.short_entry_rules:
            d["short_entry"] = [_spec(r) for r in self.short_entry_rules]
        if self.short_exit_rules:
            d["short_exit"] = self._any_of(self.short_exit_rules)
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    def __repr__(self) -> str:
        return f"SignalStrategy({self.to_json()})"
