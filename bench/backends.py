"""Every backend in one run: `fintech build` and the dashboard's query set on the same extract.

Each backend builds its warehouse from the same generated CSV (a real
PostgreSQL cluster is started for the run, Spark runs in local mode); then the
query set of one dashboard filter change (bench/queries.py) runs through the
semantic layer, the median of several rounds. Figures are seconds, and ratios
to DuckDB measured in the same run. `python bench/backends.py [--rows N]`, or
as part of `make bench`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from semantic import engines  # noqa: E402  (the registry: every engine, its URL in a folder)

BACKENDS = tuple(engines.ENGINES)


def _url(name: str, folder: Path, postgres: str) -> str:
    """The warehouse's URL in `folder` (a file or a Parquet directory); a server's is the cluster started here."""
    return engines.ENGINES[name].url_in(folder) or postgres


def measure(rows: int = 100_000, rounds: int = 5) -> dict:
    import run  # bench/run.py: the process-tree timer
    from queries import FILTER_CHANGES, layer_queries

    import semantic
    from tests.servers import postgres_server

    OUT.mkdir(exist_ok=True)
    csv = OUT / f"backends_{rows}.csv"
    if not csv.exists():
        subprocess.run(run.FINTECH + ["generate", "--rows", str(rows), "--seed", "3", "--out", str(csv)], check=True)
    results = {}
    with postgres_server() as postgres:
        for name in BACKENDS:
            folder = OUT / f"backend_{name}"
            subprocess.run(["rm", "-rf", str(folder)], check=True)
            folder.mkdir(parents=True)
            url = _url(name, folder, postgres)
            engine = engines.ENGINES[name]  # an engine that only reads: the one it names builds, in the same place
            built_at = url if engine.builds else _url(engine.built_by, folder, postgres)
            build = run.measure(run.FINTECH + ["build", "--source", str(csv), "--backend", built_at])
            with contextlib.closing(semantic.connect(url)) as sl:
                # warm: connections, Spark's first job, DataFusion's file registration
                layer_queries(sl, FILTER_CHANGES[0])
                times = []
                for where in FILTER_CHANGES[1:rounds + 1]:  # distinct filters: nothing answered from a cache
                    start = time.perf_counter()
                    layer_queries(sl, where)
                    times.append(time.perf_counter() - start)
            results[name] = {"build_s": build["seconds"], "build_peak_rss_mb": build["peak_rss_mb"],
                             "query_set_ms": round(statistics.median(times) * 1000)}
            print(f"{name}: {results[name]}", flush=True)
    base = results["duckdb"]
    for r in results.values():
        r["build_ratio_to_duckdb"] = round(r["build_s"] / base["build_s"], 2)
        r["query_set_ratio_to_duckdb"] = round(r["query_set_ms"] / base["query_set_ms"], 2)
    return {"rows": rows, "backends": results}


def table(measured: dict) -> str:
    lines = [f"Build + dashboard query set, {measured['rows']:,} accounts, one run:", "",
             "| backend | build (s) | x DuckDB | query set (ms) | x DuckDB |", "|---|---|---|---|---|"]
    for name, r in measured["backends"].items():
        lines.append(f"| {name} | {r['build_s']:.2f} | {r['build_ratio_to_duckdb']:.2f} | {r['query_set_ms']} | "
                     f"{r['query_set_ratio_to_duckdb']:.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    measured = measure(parser.parse_args().rows)
    print(table(measured))
    (OUT / "backends.json").write_text(json.dumps(measured, indent=2) + "\n")


if __name__ == "__main__":
    main()
