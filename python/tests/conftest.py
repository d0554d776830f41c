"""Shared fixtures: the repository's golden data, presets and compare.py."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
DATA = FIXTURES / "data"
PRESETS = FIXTURES / "presets"
EXPECTED = FIXTURES / "expected"


def _load_compare():
    spec = importlib.util.spec_from_file_location("fixture_compare", FIXTURES / "compare.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


COMPARE = _load_compare()

# Scenario -> data file and golden folder (SEMANTICS.md, first set).
DATA_OF = {
    "S0": "syn_2k",
    "S1": "syn_2k",
    "S2": "syn_2k",
    "S3": "syn_2k_5a",
    "S3C": "syn_2k_5a",
}


def golden(name: str) -> dict:
    scenario = name.split("_")[0]
    return json.loads((EXPECTED / DATA_OF[scenario] / f"{name}.json").read_text())


def assert_agrees(results, name: str) -> None:
    """The run agrees with the golden of ``name`` exactly as compare.py judges."""
    ours = json.loads(results.to_json())
    ok, header, diffs = COMPARE.compare(golden(name), ours, max_diffs=5, quiet=True)
    assert ok, f"{header}\n" + "\n".join(diffs)


@pytest.fixture(scope="session")
def frames() -> dict[str, pl.DataFrame]:
    return {k: pl.read_parquet(DATA / f"{k}.parquet") for k in ("syn_2k", "syn_2k_5a")}
