"""dashboard/app.py: the assembled page, without a browser."""

from __future__ import annotations

import pytest

from tests import reference


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
