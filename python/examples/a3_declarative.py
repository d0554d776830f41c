"""The seed's example A3: A1 as declarative rules, compiled and run at Rust speed with the GIL
released. The rules are the preset model: `strategy.to_dict()` is a preset's `Rules(...)`.

    python python/examples/a3_declarative.py [data.parquet]
"""

import sys

import polars as pl

from ml4t_rs import Engine, HistoricalDataFeed, PercentSizer, Rule, SignalStrategy, SimulationBroker


def main(path: str = "sample_data/sample.parquet"):
    df = pl.read_parquet(path)
    feed = HistoricalDataFeed(df, signal_columns=["ml_pred", "confidence"], assets=[df["asset"][0]] if "asset" in df.columns else None)
    strategy = SignalStrategy(
        entry_rules=[Rule.signal_above("ml_pred", 0.8), Rule.not_in_position()],
        exit_rules=[Rule.stop_loss(0.05), Rule.take_profit(0.15)],
        position_sizer=PercentSizer(0.95),
    )
    results = Engine(feed, strategy, SimulationBroker(initial_cash=100_000)).run()
    print(results.summary())
    return results


if __name__ == "__main__":
    main(*sys.argv[1:])
