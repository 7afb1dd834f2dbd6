"""`fintech validate`: every suite on the published warehouse, with Data Docs and a summary for the dashboard."""

from __future__ import annotations

from pathlib import Path

import ibis

from semantic import config


def validate(url: str, out: Path):
    """Run the published-layer suites on the warehouse at `url`; write results under `out`."""
    from expectations.gate import run_suite, write_results
    from expectations.suites import PUBLISHED_SUITES

    path = config.database_file(url)
    if path is not None and not path.exists():
        raise FileNotFoundError(f"no warehouse at {config.masked_url(url)}: run `fintech build` first")
    kwargs = {"read_only": True} if config.backend_name(url) == "duckdb" else {}
    con = ibis.connect(url, **kwargs)
    try:
        tables = {name: con.table(name) for name in con.list_tables()}
        runs = [run_suite(suite, tables) for suite in PUBLISHED_SUITES]
    finally:
        con.disconnect()
    return runs, write_results(runs, Path(out), config.masked_url(url))
