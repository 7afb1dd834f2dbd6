"""The Data Docs render offline: every CDN stylesheet, script and image of GX's pages is a local copy.

A real page is rendered by `expectations.gate.write_results` from a small fake run (one failing and two
passing expectations), then each page is passed through `make_offline` as `write_results` does.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlsplit

import great_expectations as gx
import pytest
from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult

from expectations.docs_assets import make_offline
from expectations.gate import Failure, SuiteRun, write_results

E = gx.expectations
REFERENCE = re.compile(r"""\s(?:src|href)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.I)
CSS_URL = re.compile(r"""url\(\s*["']?([^"')]*)["']?\s*\)""", re.I)


def _references(html: str) -> list[str]:
    return [next(v for v in m.groups() if v is not None) for m in REFERENCE.finditer(html)]


def _local_files(html: str) -> list[str]:
    """The references that name a file: not anchors, data: or mailto: URLs."""
    refs = _references(html) + CSS_URL.findall(html)
    return [r for r in refs if r and not r.startswith("#") and not re.match(r"^(data|mailto|javascript):", r)]


def _run() -> SuiteRun:
    unique = E.ExpectColumnValuesToBeUnique(column="customer_id")
    between = E.ExpectColumnValuesToBeBetween(column="age", min_value=18, max_value=120)
    rows = E.ExpectTableRowCountToEqual(value=3)
    results = [
        ExpectationValidationResult(success=False, expectation_config=unique.configuration, result={
            "element_count": 3, "unexpected_count": 2, "unexpected_percent": 66.7,
            "partial_unexpected_list": [7], "missing_count": 0}),
        ExpectationValidationResult(success=True, expectation_config=between.configuration, result={
            "element_count": 3, "unexpected_count": 0, "unexpected_percent": 0.0,
            "partial_unexpected_list": [], "missing_count": 0}),
        ExpectationValidationResult(success=True, expectation_config=rows.configuration,
                                    result={"observed_value": 3}),
    ]
    result = ExpectationSuiteValidationResult(
        success=False, results=results, suite_name="core",
        statistics={"evaluated_expectations": 3, "successful_expectations": 2,
                    "unsuccessful_expectations": 1, "success_percent": 200 / 3},
        meta={"run_id": {"run_name": "core", "run_time": datetime.now(timezone.utc).isoformat()},
              "batch_spec": {"data_asset_name": "dim_customer"}})
    failure = Failure("core", "dim_customer", "expect_column_values_to_be_unique", "customer_id", 2, 3, [7],
                      None, "critical")
    return SuiteRun("core", result, [failure], 0.01, {"dim_customer": result}, [])


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("validation")
    write_results([_run()], out, "duckdb://test")
    docs = out / "docs"
    for page in docs.glob("*.html"):  # what write_results does with each page it writes
        page.write_text(make_offline(page.read_text(), docs))
    return docs


def test_gx_pages_ask_for_cdns_to_begin_with(tmp_path):
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    page = DefaultJinjaPageView().render(ValidationResultsPageRenderer().render(_run().by_target["dim_customer"]))
    remote = [r for r in _references(page) if r.startswith(("http://", "https://"))]
    assert any("bootstrap.min.css" in r for r in remote) and any("jquery" in r for r in remote)
    assert not any(r.startswith(("http://", "https://")) for r in _references(make_offline(page, tmp_path)))


def test_no_page_references_a_remote_resource(docs):
    pages = sorted(docs.glob("*.html"))
    assert [p.name for p in pages] == ["core.dim_customer.html", "index.html"]
    for page in pages:
        html = page.read_text()
        remote = [r for r in _references(html) + CSS_URL.findall(html) if re.match(r"^\s*(https?:)?//", r)]
        assert remote == [], f"{page.name} still loads {remote}"
        assert "http://" not in " ".join(_references(html)) and "https://" not in " ".join(_references(html))
        assert "integrity=" not in html  # the CDN's hashes would refuse the local copies


def test_every_local_reference_exists(docs):
    for page in docs.glob("*.html"):
        for ref in _local_files(page.read_text()):
            path = docs / unquote(urlsplit(ref).path)
            assert path.is_file(), f"{page.name} references {ref}, which is not at {path}"


def test_the_local_libraries_are_the_real_ones(docs):
    page = (docs / "core.dim_customer.html").read_text()
    refs = _references(page)
    for asset, marker in [("static/bootstrap4/css/bootstrap.min.css", "Bootstrap v4"),
                          ("static/bootstrap4/js/bootstrap.bundle.min.js", "Bootstrap v4"),
                          ("static/jquery/jquery.min.js", "jQuery v3"),
                          ("static/font-awesome/css/all.min.css", "Font Awesome")]:
        assert asset in refs
        assert marker in (docs / asset).read_text()[:500]
    icons = (docs / "static/font-awesome/css/all.min.css").read_text()
    for font in re.findall(r"url\((\.\./webfonts/[^)?#]+\.woff2)\)", icons):
        assert (docs / "static/font-awesome/css" / font).resolve().is_file()


def test_the_index_uses_the_same_stylesheet(docs):
    index = (docs / "index.html").read_text()
    page = (docs / "core.dim_customer.html").read_text()
    sheet = "static/bootstrap4/css/bootstrap.min.css"
    assert sheet in _references(index) and sheet in _references(page)
    assert 'href="core.dim_customer.html"' in index
    assert page.count('href="index.html"') >= 1  # GX's "Home" links, which assumed GX's site layout


def test_applying_it_twice_changes_nothing(docs):
    for page in docs.glob("*.html"):
        html = page.read_text()
        assert make_offline(html, docs) == html


def test_what_has_no_local_copy_is_dropped(tmp_path):
    html = ('<html><head><link rel="stylesheet" href="https://unpkg.com/bootstrap-table@1.19.1/dist/x.css">'
            '<script src="//cdn.example.org/unknown.js"></script>'
            "<style>a{background:url('https://example.org/bg.png')}</style></head>"
            '<body><a href="https://greatexpectations.io">GX</a><img src="https://example.org/i.png" alt="i">'
            '<a href="../../../expectations/core.html">core</a></body></html>')
    out = make_offline(html, tmp_path)
    assert "example.org" not in out and "unpkg" not in out and "greatexpectations.io" not in out
    assert "<a>GX</a>" in out and "<a>core</a>" in out and 'alt="i"' in out and "background:none" in out
    assert 'href="static/bootstrap4/css/bootstrap.min.css"' in out  # no stylesheet left: the local one
