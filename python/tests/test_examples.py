"""The examples under python/examples run, and A1/A3 agree with each other and the goldens."""

from __future__ import annotations

import runpy
import sys

import pytest
from conftest import DATA, ROOT, assert_agrees

EXAMPLES = ROOT / "python" / "examples"


def run_example(name: str, data: str):
    module = runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name="example")
    return module["main"](data)


def test_a1_is_scenario_s1():
    assert_agrees(run_example("a1_ml_threshold", str(DATA / "syn_2k.parquet")), "S1")


def test_a3_is_scenario_s1():
    assert_agrees(run_example("a3_declarative", str(DATA / "syn_2k.parquet")), "S1")


def test_user_journey_is_scenario_s2():
    assert_agrees(run_example("user_journey", str(DATA / "syn_2k.parquet")), "S2")


def test_a2_runs_on_several_assets():
    results = run_example("a2_regime_switching", str(DATA / "syn_2k_5a.parquet"))
    assert results.n_trades > 0
    assert set(results.trades["asset"].unique()) <= {f"A00{i}" for i in range(5)}


@pytest.mark.parametrize("name", ["a1_ml_threshold", "a3_declarative"])
def test_examples_run_on_the_bundled_sample(name, capsys):
    run_example(name, str(ROOT / "sample_data" / "sample.parquet"))
    assert "trades" in capsys.readouterr().out.lower()


def test_live_model_trades_and_resumes_from_its_journal(tmp_path):
    module = runpy.run_path(str(EXAMPLES / "live_model.py"), run_name="example")
    data = str(DATA / "syn_2k_5a.parquet")
    first = module["main"](data, str(tmp_path), 60)
    again = module["main"](data, str(tmp_path), 60)
    assert first.n_trades > 0
    assert again.replayed_timestamps == 60
    assert again.trades.equals(first.trades)
