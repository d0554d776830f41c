"""Live paper trading from Python against the in-process replay server: a signal computer that
computes the file's signal gives the backtest's trades (rules, callback, hybrid; one and five
assets), a stop and a failing model resume from the journal to the same end, bad model output is
a clear ValueError, and Ctrl+C stops a run waiting on a slow feed."""

from __future__ import annotations

import logging

import polars as pl
import pytest
from conftest import DATA, assert_interrupt_stops

from ml4t_rs import (
    Engine,
    HistoricalDataFeed,
    LiveDataFeed,
    LiveRunError,
    PaperBroker,
    ReplayServer,
    Rule,
    SignalStrategy,
    SimulationBroker,
    Strategy,
)

# Small slices keep every run well under a second in a debug build.
ONE_ASSET_TIMESTAMPS = 300
FIVE_ASSET_TIMESTAMPS = 80
JOURNAL_TIMESTAMPS = 160


def head_timestamps(df: pl.DataFrame, n: int) -> pl.DataFrame:
    first = df["timestamp"].unique().sort().head(n)
    return df.filter(pl.col("timestamp").is_in(first.implode()))


@pytest.fixture(scope="module")
def one_asset() -> pl.DataFrame:
    return head_timestamps(pl.read_parquet(DATA / "syn_2k.parquet"), ONE_ASSET_TIMESTAMPS)


@pytest.fixture(scope="module")
def five_assets() -> pl.DataFrame:
    return head_timestamps(pl.read_parquet(DATA / "syn_2k_5a.parquet"), FIVE_ASSET_TIMESTAMPS)


class TableModel:
    """Computes ml_pred as the file has it, looked up by asset and time: what a model trained
    offline would output for these bars. Counts its calls; can stop the feed or fail on a call."""

    signals = ["ml_pred"]

    def __init__(self, df: pl.DataFrame, feed_to_stop=None, stop_on_call=None, fail_on_call=None):
        ts = df["timestamp"].cast(pl.Int64).to_list()
        self.table = dict(zip(zip(df["asset"].to_list(), ts), df["ml_pred"].to_list()))
        self.calls = 0
        self.first_bar = None
        self.feed_to_stop, self.stop_on_call, self.fail_on_call = feed_to_stop, stop_on_call, fail_on_call

    def compute(self, bar):
        self.calls += 1
        if self.first_bar is None:
            self.first_bar = bar
        if self.calls == self.fail_on_call:
            raise RuntimeError("the model broke")
        if self.calls == self.stop_on_call:
            self.feed_to_stop.stop()
        return {"ml_pred": self.table[(bar.asset, bar.timestamp_ns)]}


class A1(Strategy):
    """The seed's A1 callback."""

    def on_market_data(self, event):
        asset = event.asset_id
        if self.get_position(asset) == 0:
            if event.data.signals["ml_pred"] > 0.8:
                self.buy_percent(asset, 0.3)
        elif not -0.05 <= self.get_unrealized_pnl_pct(asset) <= 0.15:
            self.close_position(asset)


class FilteredA1(A1):
    filter = [Rule.any_(Rule.signal_above("ml_pred", 0.8), Rule.in_position())]


def rules() -> SignalStrategy:
    return SignalStrategy(
        entry_rules=[Rule.signal_above("ml_pred", 0.8), Rule.not_in_position()],
        exit_rules=[Rule.stop_loss(0.05), Rule.take_profit(0.15)],
    )


def backtest(df: pl.DataFrame, strategy):
    return Engine(HistoricalDataFeed(df, signal_columns=["ml_pred"]), strategy).run()


def assert_same_trading(live, expected) -> None:
    assert expected.n_trades > 0, "the scenario should trade"
    assert live.trades.equals(expected.trades), f"{live.trades}\n{expected.trades}"
    assert live.fills.equals(expected.fills)
    assert live.equity.equals(expected.equity)
    assert live.final_equity == expected.final_equity


@pytest.fixture(scope="module")
def one_asset_server(one_asset):
    # The server streams the bars without ml_pred: the model provides it.
    with ReplayServer(one_asset.drop("ml_pred")) as server:
        yield server


def test_live_model_gives_the_backtest_trades_with_rules(one_asset, one_asset_server, caplog):
    model = TableModel(one_asset)
    feed = LiveDataFeed(one_asset_server.url, signal_computer=model)
    with caplog.at_level(logging.INFO, logger="ml4t_rs.live"):
        live = Engine(feed, rules(), PaperBroker()).run()
    logged = [r.getMessage() for r in caplog.records if r.name == "ml4t_rs.live"]
    assert any(m.startswith(f"connected to {one_asset_server.url}") for m in logged), logged
    assert_same_trading(live, backtest(one_asset, rules()))
    assert model.calls == ONE_ASSET_TIMESTAMPS
    # The bar the model gets: the server's prices and its own signals, a new object per bar.
    bar, row = model.first_bar, one_asset.row(0, named=True)
    assert (bar.asset, bar.open, bar.close, bar.volume) == ("A000", row["open"], row["close"], row["volume"])
    assert sorted(bar.signals) == ["confidence", "momentum", "volatility"]
    assert bar.signals["confidence"] == row["confidence"]
    assert live.metrics["n_trades"] == live.n_trades
    assert "<svg" in live.tearsheet_html()


@pytest.mark.parametrize("strategy", [A1, FilteredA1], ids=["callback", "hybrid"])
def test_live_model_gives_the_backtest_trades_on_five_assets(five_assets, strategy):
    expected = backtest(five_assets, strategy())
    with ReplayServer(five_assets.drop("ml_pred")) as server:
        feed = LiveDataFeed(server.url, signal_computer=TableModel(five_assets), signals=[])
        live = Engine(feed, strategy(), SimulationBroker()).run()
    assert_same_trading(live, expected)
    assert live.trades["asset"].n_unique() > 1, "several assets trade"


class Keeper(Strategy):
    """Keeps the event object past its callback (the docs say not to)."""

    def on_market_data(self, event):
        self.kept = event
        self.close_seen = event.data.close


def test_a_live_event_kept_past_its_callback_raises_instead_of_reading_stale_bars(one_asset_server, one_asset):
    keeper = Keeper()
    feed = LiveDataFeed(one_asset_server.url, signal_computer=TableModel(one_asset), assets=["A000"], signals=[])
    Engine(feed, keeper).run()
    assert keeper.close_seen == one_asset["close"][-1]
    with pytest.raises(RuntimeError, match="readable only during the on_market_data call"):
        keeper.kept.data.signals["ml_pred"]


def test_stop_halfway_then_restart_from_the_journal(one_asset, tmp_path):
    df = one_asset.head(JOURNAL_TIMESTAMPS)
    expected = backtest(df, A1())
    half = JOURNAL_TIMESTAMPS // 2
    with ReplayServer(df.drop("ml_pred")) as server:
        model = TableModel(df, stop_on_call=half)
        feed = LiveDataFeed(server.url, signal_computer=model, assets=["A000"], signals=[])
        model.feed_to_stop = feed
        first = Engine(feed, A1(), PaperBroker(journal=tmp_path)).run()
        # The stop ends the run after the timestamp in progress.
        assert first.equity.height == half
        assert first.n_trades < expected.n_trades

        again = TableModel(df)
        feed = LiveDataFeed(server.url, signal_computer=again, assets=["A000"], signals=[])
        rest = Engine(feed, A1(), PaperBroker(journal=tmp_path)).run()
    assert rest.replayed_timestamps == half
    assert again.calls == JOURNAL_TIMESTAMPS - half, "journaled signals are replayed, not computed again"
    assert_same_trading(rest, expected)


def test_a_failing_model_stops_the_run_and_the_journal_resumes(one_asset, tmp_path):
    df = one_asset.head(JOURNAL_TIMESTAMPS)
    expected = backtest(df, rules())
    fail_at = 50
    with ReplayServer(df.drop("ml_pred")) as server:
        def run(model):
            feed = LiveDataFeed(server.url, signal_computer=model, assets=["A000"], signals=[])
            return Engine(feed, rules(), PaperBroker(journal=tmp_path)).run()

        with pytest.raises(RuntimeError, match="the model broke") as raised:
            run(TableModel(df, fail_on_call=fail_at))
        assert raised.type is RuntimeError, "the model's own exception, not a wrapper"
        rest = run(TableModel(df))
    # Every timestamp before the failing one was journaled.
    assert rest.replayed_timestamps == fail_at - 1
    assert_same_trading(rest, expected)


class Returns:
    """A model returning a fixed value."""

    signals = ["ml_pred"]

    def __init__(self, value):
        self.value = value

    def compute(self, bar):
        return self.value


@pytest.mark.parametrize(
    "value, message",
    [
        ({}, r"returned no 'ml_pred' for A000 at \d{4}-\d\d-\d\dT"),
        ({"ml_pred": 0.5, "extra": 1.0}, r"returned 'extra' for A000 at .*not a declared signal"),
        ({"ml_pred": "0.5"}, r"returned '0.5' \(a str\) as 'ml_pred' for A000 at .*return a float"),
        ({"ml_pred": None}, r"returned None \(a NoneType\) as 'ml_pred'.*float\('nan'\)"),
        ({"ml_pred": True}, r"returned True \(a bool\) as 'ml_pred'"),
        ([0.5], r"returned a list for A000 at .*return a dict"),
    ],
    ids=["missing", "extra", "str", "none", "bool", "not-a-dict"],
)
def test_bad_model_output_is_a_clear_value_error(one_asset_server, value, message):
    feed = LiveDataFeed(one_asset_server.url, signal_computer=Returns(value), assets=["A000"], signals=[])
    with pytest.raises(ValueError, match=message):
        Engine(feed, rules()).run()


def test_numpy_and_int_values_are_numbers(one_asset_server):
    np = pytest.importorskip("numpy")
    feed = LiveDataFeed(
        one_asset_server.url, signal_computer=Returns({"ml_pred": np.float32(0.25)}), assets=["A000"], signals=[]
    )
    assert Engine(feed, rules()).run().n_trades == 0
    feed = LiveDataFeed(one_asset_server.url, signal_computer=Returns({"ml_pred": 1}), assets=["A000"], signals=[])
    assert Engine(feed, rules()).run().n_trades > 0


def test_settings_are_checked_before_connecting():
    url = "ws://127.0.0.1:9"
    with pytest.raises(ValueError, match="`signals` attribute"):
        LiveDataFeed(url, signal_computer=type("NoNames", (), {"compute": lambda self, bar: {}})())
    with pytest.raises(ValueError, match="no compute"):
        LiveDataFeed(url, signal_computer=object(), computed_signals=["x"])
    with pytest.raises(ValueError, match="both read from the feed"):
        LiveDataFeed(url, signal_computer=Returns({}), signals=["ml_pred"])
    with pytest.raises(TypeError, match="not a string"):
        LiveDataFeed(url, assets="A000")
    with pytest.raises(TypeError, match="PaperBroker trades a LiveDataFeed"):
        Engine(HistoricalDataFeed(pl.read_parquet(DATA / "syn_2k.parquet").head(5)), rules(), PaperBroker())
    with pytest.raises(ValueError, match="ws://"):
        Engine(LiveDataFeed("http://127.0.0.1:9", assets=["A"], signals=[]), A1()).run()


def test_a_journal_refuses_another_strategy(one_asset_server, one_asset, tmp_path):
    def run(strategy):
        model = TableModel(one_asset, stop_on_call=1)
        feed = LiveDataFeed(one_asset_server.url, signal_computer=model, assets=["A000"], signals=[])
        model.feed_to_stop = feed
        return Engine(feed, strategy, PaperBroker(journal=tmp_path)).run()

    assert run(rules()).equity.height == 1
    with pytest.raises(LiveRunError, match="the strategy is .* in the journal but .* now"):
        run(A1())


def test_keyboard_interrupt_stops_a_live_run_waiting_on_a_slow_feed(one_asset, ctrl_c_raises):
    # Two bars a second: the run spends its time waiting on the socket.
    with ReplayServer(one_asset.drop("ml_pred"), rate=2) as server:
        feed = LiveDataFeed(server.url, signal_computer=TableModel(one_asset), assets=["A000"], signals=[])
        assert_interrupt_stops(lambda: Engine(feed, A1()).run(), after=0.6)
