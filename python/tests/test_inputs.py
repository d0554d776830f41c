"""polars, pandas (tz-aware DatetimeIndex, categorical asset), pyarrow and file inputs give
identical results; bad frames raise the message a bad file gets."""

from __future__ import annotations

import json

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from conftest import DATA
from scenarios import Scenario, rules

import ml4t_rs
from ml4t_rs import DataError, Engine, HistoricalDataFeed, SimulationBroker

TIMING = ("seconds", "bars_per_sec", "data", "scenario")


def result_of(feed: HistoricalDataFeed) -> dict:
    d = json.loads(Engine(feed, rules("S3"), SimulationBroker()).run().to_json())
    for k in TIMING:
        d.pop(k)
    return d


@pytest.fixture(scope="module")
def multi(frames):
    return frames["syn_2k_5a"]


def test_pandas_pyarrow_and_file_equal_polars(multi):
    expected = result_of(HistoricalDataFeed(multi))
    assert expected["n_trades"] > 0
    pdf = multi.to_pandas()
    assert result_of(HistoricalDataFeed(pdf)) == expected
    assert result_of(HistoricalDataFeed(multi.to_arrow())) == expected
    assert result_of(HistoricalDataFeed(DATA / "syn_2k_5a.parquet")) == expected
    assert result_of(HistoricalDataFeed(multi.lazy())) == expected


def test_pandas_tz_aware_datetime_index_and_categorical_asset(multi):
    expected = result_of(HistoricalDataFeed(multi))
    pdf = multi.to_pandas()
    pdf["asset"] = pdf["asset"].astype("category")
    pdf = pdf.set_index(pd.DatetimeIndex(pdf.pop("timestamp")).tz_localize("UTC"))
    pdf.index.name = None  # an unnamed index becomes the `timestamp` column
    assert isinstance(pdf["asset"].dtype, pd.CategoricalDtype)
    assert result_of(HistoricalDataFeed(pdf)) == expected


def test_signal_columns_and_assets_select(multi):
    feed = HistoricalDataFeed(multi, signal_columns=["ml_pred", "confidence"], assets=["A001", "A003"])
    assert feed.signal_columns == ["ml_pred", "confidence"]
    assert feed.assets == ["A001", "A003"]
    assert feed.n_bars == 4000


def test_column_mapping_by_hand(frames):
    df = frames["syn_2k"].rename({"close": "adj"})
    with pytest.raises(DataError, match="no close column"):
        HistoricalDataFeed(df)
    feed = HistoricalDataFeed(df, column_mapping={"close": "adj"})
    assert feed.n_bars == 2000


def _bad_cases(df: pl.DataFrame) -> dict[str, pl.DataFrame]:
    n = df.height
    close = df["close"].to_list()
    return {
        "missing close": df.drop("close"),
        "high below low": df.with_columns(
            pl.when(pl.int_range(n) == 7).then(pl.col("low") - 1.0).otherwise(pl.col("high")).alias("high")
        ),
        "negative price": df.with_columns(pl.Series("close", [-1.0 if i == 3 else c for i, c in enumerate(close)])),
        "null close": df.with_columns(pl.Series("close", [None if i == 5 else c for i, c in enumerate(close)])),
        "text close": df.with_columns(pl.col("close").cast(pl.String)),
        "unsorted": pl.concat([df.slice(10, 5), df.slice(0, 10), df.slice(15)]),
        "duplicate": pl.concat([df.slice(0, 11), df.slice(10)]),
        "empty": df.clear(),
    }


BAD = ["missing close", "high below low", "negative price", "null close", "text close", "unsorted", "duplicate", "empty"]


@pytest.mark.parametrize("case", BAD)
def test_bad_frame_raises_the_file_message(case, frames, tmp_path):
    df = _bad_cases(frames["syn_2k"])[case]
    path = tmp_path / "bad.parquet"
    df.write_parquet(path)
    with pytest.raises(DataError) as from_file:
        HistoricalDataFeed(path)
    with pytest.raises(DataError) as from_frame:
        HistoricalDataFeed(df, name="bad.parquet")
    assert isinstance(from_frame.value, ValueError)
    file_msg = str(from_file.value).replace(str(path), "bad.parquet")
    assert str(from_frame.value) == file_msg
    # Without a name the frame is named by its type, in the same place.
    with pytest.raises(DataError) as unnamed:
        HistoricalDataFeed(df)
    assert str(unnamed.value) == file_msg.replace("bad.parquet", "<polars.DataFrame>", 1)


def test_not_a_frame_is_a_clear_error():
    with pytest.raises(DataError, match="not a table"):
        HistoricalDataFeed([1, 2, 3])


def test_unknown_signal_and_asset_in_a_callback(frames):
    class Bad(ml4t_rs.Strategy):
        def on_market_data(self, event):
            event.data.signals["no_such_signal"]

    with pytest.raises(KeyError, match="no_such_signal.*ml_pred"):
        Engine(HistoricalDataFeed(frames["syn_2k"]), Bad()).run()

    class BadAsset(ml4t_rs.Strategy):
        def on_market_data(self, event):
            self.get_position("ZZZ")

    with pytest.raises(KeyError, match="no asset 'ZZZ'; the data's assets: A000"):
        Engine(HistoricalDataFeed(frames["syn_2k"]), BadAsset()).run()


def test_bad_rule_is_a_strategy_error(frames):
    bad = ml4t_rs.SignalStrategy(entry_rules=[ml4t_rs.Rule.signal_above("nope", 0.5)])
    with pytest.raises(ml4t_rs.StrategyError, match="unknown column 'nope'"):
        Engine(HistoricalDataFeed(frames["syn_2k"]), bad).run()


def test_helpers_outside_a_run_raise():
    with pytest.raises(RuntimeError, match="only while"):
        Scenario("S1").get_position("A000")
