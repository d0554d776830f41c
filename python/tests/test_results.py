"""Results out: frames, metrics, summary, the result JSON of `ml4t run --json`, the tearsheet."""

from __future__ import annotations

import json
import os
import subprocess

import polars as pl
import pytest
from conftest import PRESETS, ROOT
from scenarios import rules

from ml4t_rs import Engine, HistoricalDataFeed, SimulationBroker, run_preset

TIMING = ("seconds", "bars_per_sec")


@pytest.fixture(scope="module")
def s3(frames):
    return Engine(HistoricalDataFeed(frames["syn_2k_5a"]), rules("S3"), SimulationBroker()).run()


def test_frames(s3):
    assert isinstance(s3.trades, pl.DataFrame)
    assert s3.trades.height == s3.n_trades > 0
    assert s3.trades.schema["entry_time"] == pl.Datetime("ns")
    assert s3.equity.height == 2000
    assert s3.equity["equity"][-1] == pytest.approx(s3.final_equity)
    assert s3.fills.height >= 2 * s3.n_trades
    assert set(s3.positions.columns) >= {"asset", "qty", "entry_price"}
    pdf = s3.trades.to_pandas()
    assert len(pdf) == s3.n_trades


def test_metrics_summary_and_json(s3):
    m = s3.metrics
    assert m["n_trades"] == s3.n_trades
    assert m["final_equity"] == pytest.approx(s3.final_equity)
    assert "Sharpe" in s3.summary() or "sharpe" in s3.summary().lower()
    d = json.loads(s3.to_json())
    assert d["framework"] == "ml4t-backtest" and d["n_trades"] == s3.n_trades
    assert d["metrics"]["final_equity"] == pytest.approx(s3.final_equity)


def test_repr_html_is_the_tearsheet(s3):
    html = s3._repr_html_()
    assert html.startswith("<iframe srcdoc=")
    page = s3.tearsheet_html()
    assert "<svg" in page and "</html>" in page


def _ml4t_binary():
    path = os.environ.get("ML4T_BIN") or str(ROOT / "target" / "debug" / "ml4t")
    return path if os.path.exists(path) else None


@pytest.mark.skipif(_ml4t_binary() is None, reason="target/debug/ml4t is not built (cargo build --bin ml4t)")
@pytest.mark.parametrize("name", ["S2", "S3C"])
def test_to_json_is_what_ml4t_run_writes(name, tmp_path):
    out = tmp_path / "cli.json"
    subprocess.run(
        [_ml4t_binary(), "run", "--preset", str(PRESETS / f"{name}.ron"), "--json", str(out), "--quiet"],
        check=True,
    )
    cli = json.loads(out.read_text())
    ours = json.loads(run_preset(PRESETS / f"{name}.ron").to_json())
    for d in (cli, ours):
        for k in TIMING:
            d.pop(k)
    assert ours == cli
