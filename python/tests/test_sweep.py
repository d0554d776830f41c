"""Sweeps from Python: rows equal single runs, and a Dask LocalCluster gives the local rows."""

from __future__ import annotations

import polars as pl
import pytest
from conftest import PRESETS
from scenarios import rules

from ml4t_rs import Engine, HistoricalDataFeed, SimulationBroker, StrategyError, sweep

PARAMS = {"entry[0]": "0.6:0.9:4", "exit[0][0]": [0.03, 0.05]}


def test_sweep_rows_equal_single_runs(frames):
    df = sweep(rules("S1"), frames["syn_2k"], PARAMS)
    assert df.height == 8
    assert df.columns[:3] == ["combo", "entry[0]", "exit[0][0]"]
    assert df["combo"].to_list() == list(range(8))
    row = df.filter((pl.col("entry[0]") == 0.8) & (pl.col("exit[0][0]") == 0.05)).row(0, named=True)
    single = Engine(HistoricalDataFeed(frames["syn_2k"]), rules("S1"), SimulationBroker()).run()
    assert row["n_trades"] == single.n_trades == 33
    assert row["final_equity"] == pytest.approx(single.final_equity, rel=1e-12)


def test_sweep_of_a_preset_file(frames):
    df = sweep(PRESETS / "S2.ron", frames["syn_2k"], {"entry[1]": [0.6, 0.7]}, objective="total_return")
    assert df["entry[1]"].to_list() == [0.6, 0.7]
    assert df.filter(pl.col("entry[1]") == 0.7)["n_trades"].item() > 0


def test_sweep_bad_path_names_the_valid_ones(frames):
    with pytest.raises(StrategyError, match="valid paths"):
        sweep(rules("S1"), frames["syn_2k"], {"entry[7]": "0.1,0.2"})


def test_dask_local_cluster_equals_local(frames):
    distributed = pytest.importorskip("distributed")
    params = {"entry[0]": "0.55:0.95:5", "exit[0][0]": [0.03, 0.05, 0.08]}
    local = sweep(rules("S2"), frames["syn_2k"], params)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            remote = sweep(rules("S2"), frames["syn_2k"], params, client=client, threads=1)
            chunked = sweep(rules("S2"), frames["syn_2k"], params, client=client, chunks=4, threads=1)
    assert remote.equals(local)
    assert chunked.equals(local)


def test_walk_forward_folds_pick_the_train_windows_best(frames):
    from ml4t_rs import sweep as sweep_fn
    from ml4t_rs import walk_forward

    df = frames["syn_2k"]
    params = {"entry[0]": "0.6:0.9:4"}
    wf = walk_forward(rules("S1"), df, params, train="500", test="250", objective="total_return")
    assert wf.height == 6
    assert wf.columns[:5] == ["fold", "train_start", "train_end", "test_start", "test_end"]
    assert (wf["test_start"] > wf["train_end"]).all()
    # Fold 0's choice is the best row of a sweep over its train window alone.
    train = sweep_fn(rules("S1"), df.slice(0, 500), params, objective="total_return")
    best = train.sort("total_return", descending=True).row(0, named=True)
    first = wf.row(0, named=True)
    assert first["entry[0]"] == best["entry[0]"]
    assert first["is_value"] == pytest.approx(best["total_return"], rel=1e-12)
