"""`fintech validate`: every suite on the published warehouse, with Data Docs and a summary for the dashboard."""

from __future__ import annotations

from pathlib import Path

from semantic import backends, config


def validate(url: str, out: Path | None = None):
    """Run the published-layer suites on the warehouse at `url`; write results under `out` (default: where that
    warehouse's reports live, semantic.backends.reports_dir), keyed to its build marker."""
    from expectations.gate import run_suite, write_results
    from expectations.suites import PUBLISHED_SUITES

    backends.require(url)  # NotAWarehouse (a ValueError) says what is there instead
    con = backends.open_warehouse(url)
    try:
        marker = backends.build_marker(con)
        tables = {name: con.table(name) for name in con.list_tables()}
        runs = [run_suite(suite, tables) for suite in PUBLISHED_SUITES]
    finally:
        con.disconnect()
    return runs, write_results(runs, Path(out) if out else backends.reports_dir(url), config.masked_url(url), marker)
