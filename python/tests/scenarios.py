"""The reference scenarios S0-S3C (SEMANTICS.md) in each of the Python API's forms."""

from __future__ import annotations

from ml4t_rs import FixedSizer, PercentSizer, Rule, SignalStrategy, Strategy

# Scenario -> (entry needs confidence > 0.7, exit on ml_pred < 0.4, pnl band exits, sizing).
SPEC = {
    "S0": dict(confidence=False, signal_exit=True, band=False, shares=100, pct=None),
    "S1": dict(confidence=False, signal_exit=False, band=True, shares=None, pct=0.95),
    "S2": dict(confidence=True, signal_exit=True, band=True, shares=None, pct=0.95),
    "S3": dict(confidence=True, signal_exit=True, band=True, shares=None, pct=0.19),
    "S3C": dict(confidence=True, signal_exit=True, band=True, shares=None, pct=0.5),
}


class Scenario(Strategy):
    """A scenario as a Python callback (the seed's level 2)."""

    def __init__(self, name: str) -> None:
        s = SPEC[name]
        self.confidence = s["confidence"]
        self.signal_exit = s["signal_exit"]
        self.band = s["band"]
        self.shares = s["shares"]
        self.pct = s["pct"]

    def on_market_data(self, event):
        asset = event.asset_id
        signals = event.data.signals
        if self.get_position(asset) == 0:
            if signals["ml_pred"] > 0.8 and (not self.confidence or signals["confidence"] > 0.7):
                if self.shares is not None:
                    self.buy(asset, self.shares)
                else:
                    self.buy_percent(asset, self.pct)
        else:
            exit_now = self.signal_exit and signals["ml_pred"] < 0.4
            if self.band:
                pnl = self.get_unrealized_pnl_pct(asset)
                exit_now = exit_now or pnl < -0.05 or pnl > 0.15
            if exit_now:
                self.close_position(asset)


def rules(name: str) -> SignalStrategy:
    """The scenario as declarative rules (the seed's level 1, example A3's form)."""
    s = SPEC[name]
    entry = [Rule.signal_above("ml_pred", 0.8), Rule.not_in_position()]
    if s["confidence"]:
        entry.append(Rule.signal_above("confidence", 0.7))
    exits = []
    if s["signal_exit"]:
        exits.append(Rule.signal_below("ml_pred", 0.4))
    if s["band"]:
        exits += [Rule.stop_loss(0.05), Rule.take_profit(0.15)]
    sizer = FixedSizer(s["shares"]) if s["shares"] is not None else PercentSizer(s["pct"])
    return SignalStrategy(entry_rules=entry, exit_rules=exits, position_sizer=sizer)


# The hybrid's compiled filter: a candidate entry, or a position to manage.
FILTER = [Rule.any_(Rule.signal_above("ml_pred", 0.8), Rule.in_position())]
