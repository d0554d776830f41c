"""Shared fixtures: the repository's golden data, presets and compare.py."""

from __future__ import annotations

import _thread
import importlib.util
import json
import signal
import threading
import time
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


@pytest.fixture
def ctrl_c_raises():
    """Python's own Ctrl+C handler, as in a terminal or a notebook. A process started with SIGINT
    ignored (a background job of a non-interactive shell, as some CI runners start their steps)
    keeps it ignored, and `_thread.interrupt_main` then does nothing."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def assert_interrupt_stops(run, after: float) -> None:
    """Ctrl+C (`interrupt_main`) `after` seconds into `run()` raises KeyboardInterrupt within 100 ms."""
    sent = {}

    def interrupt():
        time.sleep(after)
        sent["at"] = time.perf_counter()
        _thread.interrupt_main()

    threading.Thread(target=interrupt, daemon=True).start()
    started = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        run()
    stopped = time.perf_counter()
    assert "at" in sent, f"the run finished in {stopped - started:.2f} s before the interrupt was sent"
    assert stopped - sent["at"] < 0.1, f"took {(stopped - sent['at']) * 1e3:.0f} ms to stop"
