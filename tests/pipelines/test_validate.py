"""`fintech validate`: every suite on the published warehouse; Data Docs and a summary the dashboard reads."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from tests.conftest import SAMPLE_CSV, build_warehouse, copy_published, run_fintech, warehouse_url


@pytest.fixture(scope="module")
def sample_warehouse(published_sample, tmp_path_factory):
    """The published sample, copied once for the tests that only read it (or copy it)."""
    return copy_published(published_sample, tmp_path_factory.mktemp("validated"))[0]


def test_a_good_warehouse_passes_and_writes_docs_and_summary(sample_warehouse, tmp_path):
    target = sample_warehouse
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


def test_a_warehouse_tampered_with_after_publishing_fails(sample_warehouse, tmp_path):
    target = sample_warehouse
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
    assert result.returncode == 2 and "no warehouse at" in result.stderr and "fintech build" in result.stderr
    assert "Traceback" not in result.stderr


def _summary(target) -> dict:
    return json.loads((target.parent / f"{target.name}.validation" / "summary.json").read_text())


def _build_id(target) -> str:
    with duckdb.connect(str(target), read_only=True) as con:
        return con.sql("SELECT build_id FROM fintech_build").fetchone()[0]


def test_each_warehouse_keeps_its_own_report(tmp_path, generate_csv):
    """Issue 14 part 8: a build writes its warehouse's report (and Data Docs) where that warehouse's reports
    live, keyed to its build; validating another warehouse never touches it."""
    a = build_warehouse(SAMPLE_CSV, tmp_path / "a" / "fintech.duckdb")
    b = build_warehouse(generate_csv(1_003, 7), tmp_path / "b" / "fintech.duckdb")
    report_a = (tmp_path / "a" / "fintech.duckdb.validation" / "summary.json").read_bytes()
    assert _summary(a)["build_id"] == _build_id(a) and _summary(b)["build_id"] == _build_id(b)
    assert _summary(a)["backend"] == warehouse_url(a) and _summary(a)["success"] is True
    assert [s["suite"] for s in _summary(a)["suites"]] == ["raw", "staging", "core", "kpi"]  # the whole gate

    result = run_fintech("validate", "--backend", warehouse_url(b))
    assert result.returncode == 0, result.stdout
    assert (tmp_path / "a" / "fintech.duckdb.validation" / "summary.json").read_bytes() == report_a
    assert _summary(b)["build_id"] == _build_id(b) and [s["suite"] for s in _summary(b)["suites"]] == [
        "staging", "core", "kpi"]


def test_data_docs_render_offline(sample_warehouse):
    import re

    docs = sample_warehouse.parent / "fintech.duckdb.validation" / "docs"
    pages = sorted(docs.glob("*.html"))
    assert len(pages) >= 10
    for page in pages:
        for reference in re.findall(r'(?:src|href)="([^"]*)"', page.read_text()):
            assert not reference.startswith(("http:", "https:", "//")), (page.name, reference)
            if reference and not reference.startswith("#"):
                assert (docs / reference.split("#")[0].split("?")[0]).exists(), (page.name, reference)
    assert 'rel="stylesheet"' in (docs / "index.html").read_text()


def test_the_dashboard_shows_only_its_own_build_s_report(tmp_path, monkeypatch):
    from dashboard import data
    from dashboard.components.quality import NOT_VALIDATED, badge_text

    target = build_warehouse(SAMPLE_CSV, tmp_path / "w" / "fintech.duckdb")
    report = tmp_path / "w" / "fintech.duckdb.validation" / "summary.json"
    monkeypatch.setenv("FINTECH_BACKEND", warehouse_url(target))
    data.reset()
    summary, any_report = data.validation_report()
    assert summary["build_id"] == _build_id(target) and badge_text(summary, any_report) == ""

    earlier = report.read_bytes()  # an earlier build's report, left where this build's should be
    build_warehouse(SAMPLE_CSV, target)
    report.write_bytes(earlier)
    data.reset()
    summary, any_report = data.validation_report()
    assert summary is None and badge_text(summary, any_report) == NOT_VALIDATED
    data.reset()


def test_a_report_never_overwrites_files_it_did_not_write(sample_warehouse, tmp_path):
    target = sample_warehouse
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "summary.json").write_text('{"mine": true}')
    (theirs / "notes.txt").write_text("keep")
    result = run_fintech("validate", "--backend", warehouse_url(target), "--out", str(theirs))
    assert result.returncode == 2 and "not a validation report of this product" in result.stderr
    assert sorted(p.name for p in theirs.iterdir()) == ["notes.txt", "summary.json"]
    assert (theirs / "summary.json").read_text() == '{"mine": true}'


def test_a_server_s_reports_are_named_without_its_credentials():
    from semantic.backends import reports_dir

    path = reports_dir("postgres://analyst:s3cret@db.example:5432/portfolio")
    assert path.name == "postgres-db.example-5432-portfolio" and "s3cret" not in str(path)
    assert path.parent.name == "validation"
