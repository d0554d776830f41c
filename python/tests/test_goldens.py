"""The fixture goldens S0-S3C through every form of the Python API, judged by compare.py."""

from __future__ import annotations

import pytest
from conftest import DATA_OF, PRESETS, assert_agrees
from scenarios import FILTER, Scenario, rules

from ml4t_rs import Engine, HistoricalDataFeed, SimulationBroker, run_preset

NAMES = ["S0", "S1", "S2", "S3", "S3C", "S0_slip5bps", "S1_slip5bps", "S2_slip5bps", "S3_slip5bps"]


def broker(name: str) -> SimulationBroker:
    return SimulationBroker(initial_cash=100_000, slippage_bps=5.0 if name.endswith("slip5bps") else 0.0)


@pytest.fixture(scope="module")
def feeds(frames):
    return {k: HistoricalDataFeed(df) for k, df in frames.items()}


@pytest.mark.parametrize("name", NAMES)
def test_callback_agrees_with_golden(name, feeds):
    scenario = name.split("_")[0]
    results = Engine(feeds[DATA_OF[scenario]], Scenario(scenario), broker(name)).run()
    assert_agrees(results, name)


@pytest.mark.parametrize("name", NAMES)
def test_rules_agree_with_golden(name, feeds):
    scenario = name.split("_")[0]
    results = Engine(feeds[DATA_OF[scenario]], rules(scenario), broker(name)).run()
    assert_agrees(results, name)


@pytest.mark.parametrize("name", NAMES)
def test_hybrid_agrees_with_golden(name, feeds):
    scenario = name.split("_")[0]
    results = Engine(feeds[DATA_OF[scenario]], Scenario(scenario), broker(name), filter=FILTER).run()
    assert_agrees(results, name)


def test_hybrid_calls_the_callback_only_on_filtered_bars(feeds):
    class Counting(Scenario):
        calls = 0

        def on_market_data(self, event):
            Counting.calls += 1
            super().on_market_data(event)

    Engine(feeds["syn_2k"], Counting("S1"), broker("S1"), filter=FILTER).run()
    assert 0 < Counting.calls < feeds["syn_2k"].n_bars


@pytest.mark.parametrize("name", ["S0", "S1", "S2", "S3", "S3C"])
def test_run_preset_on_a_frame_agrees_with_golden(name, frames):
    results = run_preset(PRESETS / f"{name}.ron", data=frames[DATA_OF[name]])
    assert_agrees(results, name)


@pytest.mark.parametrize("name", ["S1", "S2", "S3"])
def test_run_preset_script_agrees_with_golden(name):
    # The preset's own data file and its Rhai script: what the workbench runs.
    assert_agrees(run_preset(PRESETS / f"{name}_script.ron"), name)


def test_rules_and_preset_give_the_same_json(frames):
    feed = HistoricalDataFeed(frames["syn_2k"])
    ours = Engine(feed, rules("S2"), broker("S2")).run().to_dict()
    preset = run_preset(PRESETS / "S2.ron", data=frames["syn_2k"]).to_dict()
    for d in (ours, preset):
        for k in ("seconds", "bars_per_sec", "scenario", "data"):
            d.pop(k)
    assert ours == preset
