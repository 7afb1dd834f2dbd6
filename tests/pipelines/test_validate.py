"""`fintech validate`: every suite on the published warehouse; Data Docs and a summary the dashboard reads."""

from __future__ import annotations

import json
import shutil

import duckdb

from tests.conftest import SAMPLE_CSV, build_warehouse, run_fintech, warehouse_url


def test_a_good_warehouse_passes_and_writes_docs_and_summary(tmp_path):
    target = build_warehouse(SAMPLE_CSV, tmp_path / "fintech.duckdb")
    out = tmp_path / "validation"
    result = run_fintech("validate", "--backend", warehouse_url(target), "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["success"] is True
    assert [s["suite"] for s in summary["suites"]] == ["staging", "core", "kpi"]
    assert all(s["failed"] == 0 and s["passed"] > 0 for s in summary["suites"])
    assert summary["run_at"] and summary["backend"] == warehouse_url(target)
    for page in ["index.html", "staging.stg_fintech_data.html", "core.dim_customer.html",
                 "kpi.kpi_lorenz_curve.html"]:
        assert (out / "docs" / page).stat().st_size > 300
    assert "Great Expectations" in (out / "docs" / "core.dim_customer.html").read_text()
    assert 'href="core.dim_customer.html"' in (out / "docs" / "index.html").read_text()


def test_a_warehouse_tampered_with_after_publishing_fails(tmp_path):
    target = build_warehouse(SAMPLE_CSV, tmp_path / "fintech.duckdb")
    tampered = tmp_path / "tampered.duckdb"
    shutil.copy(target, tampered)
    con = duckdb.connect(str(tampered))
    con.execute("INSERT INTO dim_customer SELECT * FROM dim_customer WHERE customer_id = 7")
    con.close()
    out = tmp_path / "validation"

    result = run_fintech("validate", "--backend", warehouse_url(tampered), "--out", str(out))

    assert result.returncode == 1
    assert "expect_column_values_to_be_unique on dim_customer.customer_id: 2 unexpected" in result.stdout
    summary = json.loads((out / "summary.json").read_text())
    core = next(s for s in summary["suites"] if s["suite"] == "core")
    assert summary["success"] is False and core["failed"] == 1
    assert core["failing"][0]["expectation"] == "expect_column_values_to_be_unique"
    assert core["failing"][0]["examples"] == [7]


def test_a_missing_warehouse_is_a_clear_error(tmp_path):
    result = run_fintech("validate", "--backend", warehouse_url(tmp_path / "nothing.duckdb"))
    assert result.returncode == 2 and "run `fintech build` first" in result.stderr
    assert "Traceback" not in result.stderr
