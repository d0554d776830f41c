"""Speed of the Python API: rules (compiled, GIL released) and the seed's A1 logic as a Python
`on_market_data` callback, on one synthetic asset. Prints machine, data, bars, trades and bars/s.

    python python/bench/bench.py [--bars 2000000] [--repeat 3] [--cli target/release/ml4t]

With ``--cli``, the same frame (written to a temporary Parquet file) and the same rules (as a
preset) also run through ``ml4t bench --preset``, the Rust path, in the same session: the rules
row and the CLI's engine row must show the same trades, and their speeds compare like for like.

Build the extension optimised first (a debug build measures the debug engine):
    cd python && maturin develop --release
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import tempfile
import time

import numpy as np
import polars as pl

from ml4t_rs import Engine, HistoricalDataFeed, PercentSizer, Rule, SignalStrategy, SimulationBroker, Strategy


def synthetic(n: int, seed: int = 7) -> pl.DataFrame:
    """A random walk with a prediction that is right a little more often than not."""
    rng = np.random.default_rng(seed)
    ret = rng.normal(0.0, 0.01, n)
    close = 100.0 * np.exp(np.cumsum(ret))
    open_ = np.concatenate([[100.0], close[:-1]])
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.002, n)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.002, n)))
    nxt = np.concatenate([ret[1:], [0.0]])
    pred = 1 / (1 + np.exp(-(nxt * 80 + rng.normal(0, 1.5, n))))
    ts = np.arange(n, dtype="int64") * 60_000_000_000 + 946_684_800_000_000_000
    return pl.DataFrame(
        {
            "timestamp": pl.Series(ts).cast(pl.Datetime("ns")),
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "volume": np.full(n, 1000.0),
            "ml_pred": pred,
        }
    )


class A1(Strategy):
    """The seed's example A1 as written in the seed."""

    def on_market_data(self, event):
        asset = event.asset_id
        if self.get_position(asset) == 0:
            if event.data.signals["ml_pred"] > 0.8:
                self.buy_percent(asset, 0.95)
        else:
            pnl = self.get_unrealized_pnl_pct(asset)
            if pnl < -0.05 or pnl > 0.15:
                self.close_position(asset)


A3 = SignalStrategy(
    entry_rules=[Rule.signal_above("ml_pred", 0.8), Rule.not_in_position()],
    exit_rules=[Rule.stop_loss(0.05), Rule.take_profit(0.15)],
    position_sizer=PercentSizer(0.95),
)


# A3 as a preset, with SimulationBroker(initial_cash=100_000)'s defaults (0.1 % commission).
A3_PRESET = """(
    version: 1,
    name: "A3 (bench)",
    data: (path: "bench.parquet"),
    strategy: Rules(
        entry: [SignalAbove("ml_pred", 0.8), NotInPosition],
        exit: [Any([StopLoss(0.05), TakeProfit(0.15)])],
        sizer: PercentOfCash(0.95),
    ),
    broker: (initial_cash: 100000.0, commission: (percent: 0.001), slippage_bps: 0.0),
)
"""


def cli_engine(ml4t: str, df: pl.DataFrame, repeat: int) -> dict:
    """`ml4t bench --preset` on the same frame and rules: the engine-only row (compile + run)."""
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "bench.parquet")
        preset = os.path.join(tmp, "a3.ron")
        df.write_parquet(data)
        with open(preset, "w") as f:
            f.write(A3_PRESET)
        out = subprocess.run(
            [ml4t, "bench", "--preset", preset, "--data", data, "--repeat", str(repeat), "--json"],
            check=True, capture_output=True, text=True,
        ).stdout
    rows = json.loads(out)["results"]
    return next(r for r in rows if r["scope"] == "engine")


def best_of(repeat: int, run):
    best = None
    for _ in range(repeat):
        started = time.perf_counter()
        results = run()
        wall = time.perf_counter() - started
        if best is None or wall < best[0]:
            best = (wall, results)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bars", type=int, default=2_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cli", metavar="ML4T", help="the ml4t binary: also run the rules through `ml4t bench`")
    args = ap.parse_args()

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, polars {pl.__version__}")
    df = synthetic(args.bars)
    started = time.perf_counter()
    feed = HistoricalDataFeed(df)
    print(f"data: synthetic random walk, 1 asset, {feed.n_bars:,} 1-minute bars; "
          f"loaded from polars in {(time.perf_counter() - started) * 1e3:.0f} ms")
    broker = SimulationBroker(initial_cash=100_000)
    rows = [
        ("rules (A3, compiled, GIL released)", lambda: Engine(feed, A3, broker).run()),
        ("Python callback (A1 on_market_data)", lambda: Engine(feed, A1(), broker).run()),
        ("hybrid (A1 behind ml_pred>0.8 or in position)",
         lambda: Engine(feed, A1(), broker,
                        filter=[Rule.any_(Rule.signal_above("ml_pred", 0.8), Rule.in_position())]).run()),
    ]
    print(f"| strategy | bars | trades | wall ms | bars/s |")
    print(f"|---|---:|---:|---:|---:|")
    for name, run in rows:
        wall, r = best_of(args.repeat, run)
        print(f"| {name} | {r.bars:,} | {r.n_trades:,} | {wall * 1e3:.1f} | {r.bars / wall:,.0f} |")
    if args.cli:
        row = cli_engine(args.cli, df, args.repeat)
        print(f"| same rules from Rust (`ml4t bench --preset`, engine) | {row['bars']:,} | {row['trades']:,} "
              f"| {row['seconds'] * 1e3:.1f} | {row['bars_per_sec']:,.0f} |")


if __name__ == "__main__":
    main()
