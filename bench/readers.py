"""The dashboard's query set on one warehouse read two ways, side by side: e.g. a Spark-built Parquet warehouse
read by DuckDB (duckdb-parquet://) against Spark itself, or against a DuckDB file built from the same extract.

`python bench/readers.py URL_A URL_B [--rounds N]`: the median time of one filter change (bench/queries.py's
set, through the semantic layer) for each, their ratio, and a check that both give the same numbers.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def measure(url: str, rounds: int) -> tuple[float, list]:
    """(median milliseconds of a filter change, the answers to one of them) on the warehouse at `url`."""
    import semantic
    from queries import FILTER_CHANGES, layer_queries

    sl = semantic.connect(url)
    try:
        layer_queries(sl, FILTER_CHANGES[0])  # warm: connections, Spark's first job, file registration
        times = []
        for where in FILTER_CHANGES[1:rounds + 1]:  # distinct filters: nothing answered from a cache
            start = time.perf_counter()
            layer_queries(sl, where)
            times.append((time.perf_counter() - start) * 1000)
        return statistics.median(times), layer_queries(sl, FILTER_CHANGES[1])
    finally:
        sl.close()


def main() -> None:
    from queries import assert_same_numbers

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("urls", nargs=2, metavar="URL")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    (a, answers_a), (b, answers_b) = (measure(url, args.rounds) for url in args.urls)
    assert_same_numbers(answers_a, answers_b)
    print(f"{args.urls[0]}: {a:.1f} ms | {args.urls[1]}: {b:.1f} ms | ratio {a / b:.2f} (same numbers)")


if __name__ == "__main__":
    main()
