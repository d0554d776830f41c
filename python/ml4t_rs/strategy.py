"""Strategy: the seed's event-callback base class."""

from __future__ import annotations

from typing import Any, Sequence

_HELPERS = (
    "get_position",
    "get_unrealized_pnl_pct",
    "get_unrealized_pnl",
    "get_cash",
    "get_equity",
    "buy_percent",
    "buy",
    "sell",
    "close_position",
    "reduce_position",
    "order_target_percent",
)


class Strategy:
    """Subclass it and override :meth:`on_market_data` (and optionally ``on_start``, ``on_fill``,
    ``on_end``).

    The engine calls ``on_market_data(event)`` for each asset's bar at its close, in asset-name
    order, with ONE reused event object: read ``event.asset_id``, ``event.data.close``,
    ``event.data.signals['ml_pred']`` during the call, don't keep the object (on a live feed a
    kept event raises ``RuntimeError`` when read after its call). Orders placed through the
    helpers fill at the next bar's open (SEMANTICS.md). The same subclass runs on a
    :class:`ml4t_rs.LiveDataFeed` unchanged.

    ``filter``: optional compiled rules (a list of :class:`ml4t_rs.Rule`, all must hold) that
    decide on which bars ``on_market_data`` is called at all (the hybrid level): the engine
    fast-forwards between those bars at rule speed. Include ``Rule.in_position()`` in an
    ``Rule.any_`` if the callback manages open positions.
    """

    filter: Sequence[Any] | None = None

    def on_start(self) -> None:
        """Once before the first bar."""

    def on_market_data(self, event: Any) -> None:
        """Each asset's bar at its close."""
        raise NotImplementedError("override on_market_data(self, event) in your Strategy subclass")

    def on_fill(self, fill: dict) -> None:
        """Each execution: a dict with asset_id, side, qty, price, commission, timestamp."""

    def on_end(self) -> None:
        """Once after the last bar."""

    # The helpers below are replaced during a run by the account's own bound methods (one call
    # into Rust each, no Python frame in between); outside a run they raise.
    def get_position(self, asset_id: str) -> float:
        """Signed quantity held (0 when flat)."""
        return self._account_or_raise().get_position(asset_id)

    def get_unrealized_pnl_pct(self, asset_id: str) -> float:
        """``close / average entry price - 1`` (no commissions); 0 when flat."""
        return self._account_or_raise().get_unrealized_pnl_pct(asset_id)

    def get_unrealized_pnl(self, asset_id: str) -> float:
        return self._account_or_raise().get_unrealized_pnl(asset_id)

    def get_cash(self) -> float:
        return self._account_or_raise().get_cash()

    def get_equity(self) -> float:
        return self._account_or_raise().get_equity()

    def buy_percent(self, asset_id: str, pct: float) -> bool:
        """Buy ``floor(cash * pct / close)`` shares at the next open. True if an order was placed."""
        return self._account_or_raise().buy_percent(asset_id, pct)

    def buy(self, asset_id: str, qty: float) -> bool:
        return self._account_or_raise().buy(asset_id, qty)

    def sell(self, asset_id: str, qty: float) -> bool:
        return self._account_or_raise().sell(asset_id, qty)

    def close_position(self, asset_id: str) -> bool:
        """Sell (or cover) the whole position at the next open."""
        return self._account_or_raise().close_position(asset_id)

    def reduce_position(self, asset_id: str, fraction: float) -> bool:
        """Sell ``fraction`` of the position (0.5 halves it), whole shares rounded down."""
        return self._account_or_raise().reduce_position(asset_id, fraction)

    def order_target_percent(self, asset_id: str, pct: float) -> bool:
        """Order the difference to ``pct`` of equity in this asset (negative: short)."""
        return self._account_or_raise().order_target_percent(asset_id, pct)

    def _account_or_raise(self) -> Any:
        account = self.__dict__.get("_account")
        if account is None:
            raise RuntimeError(
                "the strategy's helpers work only while Engine(...).run() calls the strategy"
            )
        return account

    def _bind(self, account: Any) -> None:
        self.__dict__["_account"] = account
        for name in _HELPERS:
            self.__dict__[name] = getattr(account, name)

    def _unbind(self) -> None:
        self.__dict__.pop("_account", None)
        for name in _HELPERS:
            self.__dict__.pop(name, None)

    def _overrides(self, name: str) -> bool:
        return getattr(type(self), name, None) is not getattr(Strategy, name)
