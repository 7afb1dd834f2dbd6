"""Every chart's data (each bar, label, colour, point and range) against the pandas reference, in the assembled
app without a browser: unfiltered, under filters, with a dimension's own filter (drill-down) and with none left."""

from __future__ import annotations

import pandas as pd
import panel as pn
import pytest
from bokeh.document import Document
from bokeh.models import HoverTool, NumeralTickFormatter
from panel.io.state import set_curdoc

from dashboard import data
from dashboard.components.charts import DIMMED, GAIN, GREY, HIGHLIGHT, LOSS
from tests import reference
from tests.dashboard.test_browser import expected_text

FILTER_SETS = [
    {},
    {"region": ["West"]},
    {"region": ["North", "East"], "account_type": ["savings"]},
    {"risk_tolerance": ["High"], "loan_status": ["approved"]},
    {"age_band": ["30-44", "60+"]},
    {"region": ["North"], "account_type": ["credit"]},  # made empty on purpose (tests/dashboard/conftest.py)
]
LABELS = {"risk_tolerance": "Customer risk appetite", "region": "Region", "account_type": "Product type",
          "loan_status": "Loan status", "age_band": "Age band"}


@pytest.fixture(scope="module")
def staged(dashboard_data):
    data_dir, _, accounts = dashboard_data
    return reference.staging(data_dir / "raw" / "fintech_data.csv"), accounts


def open_app(dashboard_data, monkeypatch) -> tuple[Document, dict]:
    """The dashboard as a session would get it: its document, and its filter widgets by dimension."""
    from dashboard.app import create_app

    data_dir, url, _ = dashboard_data
    monkeypatch.setenv("FINTECH_BACKEND", url)
    monkeypatch.setenv("FINTECH_DATA_DIR", str(data_dir))
    data.reset()
    doc = Document()
    with set_curdoc(doc):
        template = create_app()
        template.server_doc(doc)
    widgets = {w.label: w for obj in template.sidebar for w in obj.select(pn.widgets.MultiChoice)}
    return doc, {dim: widgets[label] for dim, label in LABELS.items()}


def chart_data(doc: Document, name: str) -> dict:
    (plot,) = doc.select({"name": name})
    return plot, dict(plot.renderers[0].data_source.data)


def choose(doc: Document, widgets: dict, where: dict) -> None:
    with set_curdoc(doc):
        for dim, widget in widgets.items():
            widget.value = list(where.get(dim, []))


def money(values) -> list[str]:
    """The spec's money format; a missing value is "-"."""
    return [expected_text(v, "money") if v == v else "-" for v in values]


def short(value: float) -> str:
    """A bar label of three significant digits, written out by hand: $8.59M, $94.8K, $950."""
    size = abs(value)
    for unit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if size >= unit * 0.9995:
            digits = f"{size / unit:.3g}" if size / unit < 999.5 else f"{size / unit:.0f}"
            whole, _, part = digits.partition(".")
            digits = f"{whole}.{part.ljust(3 - len(whole), '0')}" if len(whole) < 3 else whole
            return f"{'-' if value < 0 else ''}${digits}{suffix}"
    return expected_text(value, "money")


def assert_range_fits(plot, values) -> None:
    """Zero on the axis, every value inside, with room beyond the extremes for a label."""
    low, high = plot.y_range.start, plot.y_range.end
    assert low <= 0 <= high
    if len(values):
        assert low < min(values) or min(values) >= 0
        assert high > max(values) or max(values) <= 0
        span = max(max(values), 0) - min(min(values), 0)
        assert high - max(max(values), 0) >= 0.1 * span - 1e-9 or max(values) <= 0
        assert min(min(values), 0) - low >= 0.1 * span - 1e-9 or min(values) >= 0


@pytest.mark.parametrize("where", FILTER_SETS, ids=lambda w: ",".join(f"{k}={'+'.join(v)}" for k, v in w.items())
                         or "unfiltered")
def test_every_chart_shows_the_reference_numbers(dashboard_data, staged, monkeypatch, where):
    stg, accounts = staged
    doc, widgets = open_app(dashboard_data, monkeypatch)
    choose(doc, widgets, where)

    for dimension in ("account_type", "region"):
        plot, shown = chart_data(doc, f"net_contributions_by_{dimension}")
        others = {d: v for d, v in where.items() if d != dimension}
        want = reference.metrics(accounts, ["net_contributions"], by=[dimension], where=others)
        want = want.sort_values("net_contributions", ascending=False)
        chosen = where.get(dimension)
        absent = [c for c in chosen or () if c not in set(want[dimension])]  # chosen, no account: no bar
        # every category under the other filters, then the chosen ones without accounts (no value)
        assert shown["category"] == [*want[dimension], *absent]
        assert shown["value"] == pytest.approx([*want.net_contributions, *[float("nan")] * len(absent)],
                                               rel=1e-9, nan_ok=True)
        assert shown["label"] == money(shown["value"])  # (the spec's format of each bar's value, found above)
        for category, value, color in zip(shown["category"], shown["value"], shown["color"]):
            if value != value:
                continue  # no bar to colour
            signed = GAIN if value >= 0 else LOSS
            assert color == (signed if not chosen or category in chosen else DIMMED[signed]), category
        assert list(plot.x_range.factors) == shown["category"]
        assert_range_fits(plot, [v for v in shown["value"] if v == v])
        (hover,) = plot.select(HoverTool)
        assert hover.tooltips == [(LABELS[dimension], "@category"), ("Net contributions", "@value_text")]
        assert shown["value_text"] == shown["label"]

    whole = reference.metrics(accounts, ["total_balance", "accounts"], by=["risk_tolerance"])
    whole = whole.set_index("risk_tolerance").loc[["Low", "Medium", "High"]]
    for measure, kind in (("total_balance", "money"), ("accounts", "integer")):
        plot, shown = chart_data(doc, f"{measure}_by_risk_tolerance")
        assert shown["category"] == ["Low", "Medium", "High"]
        assert shown["value"] == pytest.approx(list(whole[measure]), rel=1e-9)
        assert shown["label"] == [expected_text(v, kind) for v in shown["value"]]
        tiers = where.get("risk_tolerance")
        assert shown["color"] == [HIGHLIGHT if not tiers or t in tiers else GREY for t in shown["category"]]
        assert_range_fits(plot, shown["value"])

    plot, shown = chart_data(doc, "activity_by_month")
    months = reference.activity_metrics(stg, accounts, ["transaction_volume", "repayment_volume"], "month",
                                        where=where).sort_values("activity_date")
    assert list(pd.to_datetime(shown["month"])) == list(months.activity_date)
    for column in ("transaction_volume", "repayment_volume"):
        assert shown[column] == pytest.approx(list(months[column]), rel=1e-9)
        assert shown[f"{column}_label"] == money(shown[column])
    assert_range_fits(plot, [*shown["transaction_volume"], *shown["repayment_volume"]])

    population = reference.population(accounts, where)
    plot, shown = chart_data(doc, "total_balance_by_decile")
    if population.empty:
        assert shown["category"] == []
    else:
        deciles = reference.kpi_balance_deciles(population).sort_values("balance_decile")
        assert shown["category"] == [f"D{d}" for d in deciles.balance_decile]
        assert shown["value"] == pytest.approx(list(deciles.total_balance), rel=1e-9)
        assert shown["value_text"] == money(shown["value"])
        assert shown["label"] == [short(v) for v in shown["value"]]  # ten bars on a phone's width
        assert_range_fits(plot, shown["value"])

    plot, shown = chart_data(doc, "lorenz_curve")
    if population.empty:
        assert shown["population_share"] == []
    else:
        curve = reference.kpi_lorenz_curve(population)
        assert shown["population_share"] == pytest.approx(list(curve.population_share), abs=1e-12)
        assert shown["balance_share"] == pytest.approx(list(curve.balance_share), rel=1e-9, abs=1e-12)
    data.reset()


def test_no_two_pages_share_a_chart_model(dashboard_data, monkeypatch):
    """Each page's charts are its own (axis formats included): a page discarded takes nothing of another's."""
    first, _ = open_app(dashboard_data, monkeypatch)
    second, _ = open_app(dashboard_data, monkeypatch)
    ids = [{m.id for m in doc.models} for doc in (first, second)]
    assert not ids[0] & ids[1]
    formats = sorted((f.format for f in second.select({"type": NumeralTickFormatter})))
    assert formats.count("$0,0") == 5 and formats.count("0%") == 2 and formats.count("0,0") == 1
    data.reset()


def test_a_click_on_a_bar_sets_its_filter_and_a_second_click_takes_it_away(dashboard_data, monkeypatch):
    doc, widgets = open_app(dashboard_data, monkeypatch)
    plot, shown = chart_data(doc, "net_contributions_by_region")
    source = plot.renderers[0].data_source
    west = shown["category"].index("West")
    with set_curdoc(doc):
        source.selected.indices = [west]  # what the tap tool sends
    assert widgets["region"].value == ["West"]
    assert source.selected.indices == []  # the filter says what is chosen; nothing stays selected
    _, shown = chart_data(doc, "net_contributions_by_region")
    assert len(shown["category"]) == 5  # the region chart keeps every region, West highlighted
    assert [c in DIMMED.values() for c in shown["color"]].count(False) == 1
    with set_curdoc(doc):
        source.selected.indices = [chart_data(doc, "net_contributions_by_region")[1]["category"].index("West")]
    assert widgets["region"].value == []
    data.reset()


def test_the_activity_months_narrow_the_activity_chart_only(dashboard_data, staged, monkeypatch):
    import datetime

    from dashboard.app import create_app

    stg, accounts = staged
    monkeypatch.setenv("FINTECH_BACKEND", dashboard_data[1])
    monkeypatch.setenv("FINTECH_DATA_DIR", str(dashboard_data[0]))
    data.reset()
    doc = Document()
    with set_curdoc(doc):
        template = create_app()
        template.server_doc(doc)
        unfiltered = dict(doc.select_one({"name": "net_contributions_by_region"}).renderers[0].data_source.data)
        (slider,) = [w for obj in template.sidebar for w in obj.select(pn.widgets.DateRangeSlider)]
        (region,) = [w for obj in template.sidebar for w in obj.select(pn.widgets.MultiChoice) if w.label == "Region"]
        region.value = ["East"]
        slider.value = (datetime.date(2023, 3, 1), datetime.date(2023, 8, 31))
    _, shown = chart_data(doc, "activity_by_month")
    want = reference.activity_metrics(stg, accounts, ["transaction_volume", "repayment_volume"], "month",
                                      where={"region": ["East"]}, dates=("2023-03-01", "2023-08-31"))
    want = want.sort_values("activity_date")
    assert list(pd.to_datetime(shown["month"])) == list(want.activity_date)
    assert len(want) == 6 and shown["transaction_volume"] == pytest.approx(list(want.transaction_volume), rel=1e-9)
    _, by_region = chart_data(doc, "net_contributions_by_region")
    every_region = reference.metrics(accounts, ["net_contributions"], by=["region"])
    assert by_region["value"] == pytest.approx(sorted(every_region.net_contributions, reverse=True), rel=1e-9)
    assert by_region["value"] == pytest.approx(unfiltered["value"], rel=1e-9)  # the months touch no other chart
    with set_curdoc(doc):  # a handle inside a month takes the whole month (the slider moves by days)
        slider.value = (datetime.date(2023, 3, 15), datetime.date(2024, 12, 30))
    _, shown = chart_data(doc, "activity_by_month")
    want = reference.activity_metrics(stg, accounts, ["transaction_volume"], "month", where={"region": ["East"]},
                                      dates=("2023-03-01", "2024-12-31")).sort_values("activity_date")
    assert len(want) == 22 and list(pd.to_datetime(shown["month"])) == list(want.activity_date)
    data.reset()
