"""The portfolio dashboard: `panel serve dashboard/app.py` (or `make serve` / `fintech serve`).

It assembles the sections; each section asks the semantic layer (through
dashboard.data) and renders. Filters live in the sidebar and in the URL.
"""

from __future__ import annotations

import functools

import holoviews as hv
import panel as pn

from dashboard import data
from dashboard.components import banner, catalog, concentration, overview, quality, segments
from dashboard.components.common import CSS, csv_download
from dashboard.components.filters import Filters

pn.extension("tabulator", raw_css=[CSS], loading_indicator=True, notifications=False)
hv.extension("bokeh", logo=False)
# Charts that plot the same column (total_balance, net_contributions) must not share an axis range:
# each keeps its own, or one chart's update would clip the other; and every update rescales (framewise).
hv.opts.defaults(*(getattr(hv.opts, kind)(shared_axes=False, framewise=True)
                   for kind in ("Bars", "Curve", "Area", "Labels", "Overlay")))

TITLE = "Fintech Portfolio Dashboard"


def render_stamp(where: data.Where) -> pn.pane.HTML:
    key = ";".join(f"{dim}={','.join(map(str, values))}" for dim, values in where)
    return pn.pane.HTML(f'<span class="render-stamp" data-where="{key}"></span>', height=0, margin=0)


def _replace(column: pn.Column, new) -> None:
    """Show `new` in `column`: a pane of the same kind takes the new content in place (no new model to build)."""
    old = column.objects[0] if len(column.objects) == 1 else None
    if isinstance(old, (pn.pane.HTML, pn.pane.Markdown)) and type(old) is type(new):
        old.object = new.object
    else:
        column.objects = [new]


def create_app() -> pn.template.BaseTemplate:
    filters = Filters()
    if pn.state.location is not None:
        filters.link_to_url(pn.state.location)
    widgets = list(filters.widgets.values())

    sections: list[tuple[pn.Column, object]] = []

    def bound(section):
        """A section rebuilt on each filter change (cards, text, tables: cheap to rebuild)."""
        column = pn.Column(section(filters.where()), sizing_mode="stretch_width")
        sections.append((column, section))
        return column

    def refresh(*_events):
        """Rebuild every section for the new filters and send them to the browser as one update."""
        where = filters.where()
        for column, _ in sections:
            column.loading = True
        with pn.io.hold():
            for column, section in sections:
                _replace(column, section(where))
                column.loading = False

    def chart(plot):
        """A chart whose data is swapped in place on each filter change (a DynamicMap): no new plot to build."""
        return pn.pane.HoloViews(hv.DynamicMap(pn.bind(lambda *values: plot(filters.where()), *widgets)),
                                 sizing_mode="stretch_width")

    risk_widget = filters.widgets["risk_tolerance"]
    summary = quality.load_summary()
    template = pn.template.BootstrapTemplate(title=TITLE, sidebar_width=300)
    template.header.append(pn.Row(
        pn.pane.HTML(f'<span class="backend">Backend: {data.backend_label()}</span>', margin=(12, 10)),
        quality.badge(summary)))
    template.sidebar.extend([
        pn.pane.Markdown("### Filters"),
        filters.panel(),
        pn.pane.Markdown("### Export"),
        csv_download(lambda: data.accounts(filters.where()), "accounts_filtered.csv", "CSV: filtered accounts"),
    ])
    template.main.extend([
        bound(banner.banner),
        pn.pane.Markdown("## Portfolio overview"),
        bound(overview.overview),
        pn.pane.Markdown("## Segments and growth drivers"),
        pn.Row(chart(functools.partial(segments.net_contributions_chart, "account_type",
                                       "Net contributions by product type")),
               chart(functools.partial(segments.net_contributions_chart, "region", "Net contributions by region")),
               sizing_mode="stretch_width"),
        segments.segment_downloads(filters.where),
        pn.pane.Markdown("### Customer risk appetite (whole portfolio)"),
        pn.panel(pn.bind(lambda tiers: segments.risk_breakdown(tuple(tiers)), risk_widget),
                 loading_indicator=True, sizing_mode="stretch_width"),
        pn.pane.Markdown("### Activity over time"),
        chart(segments.activity_chart),
        csv_download(lambda: segments.activity_frame(filters.where()), "activity_by_month.csv",
                     "CSV: activity by month"),
        pn.pane.Markdown("## Concentration and dependency risk"),
        bound(concentration.concentration_cards),
        chart(concentration.decile_bars),
        pn.Card(bound(concentration.decile_table), title="Deciles: accounts and balances", collapsed=True,
                sizing_mode="stretch_width"),
        bound(concentration.lorenz_note),
        chart(concentration.lorenz_chart),
        concentration.concentration_downloads(filters.where),
        # Bound last, so updated last: marks the moment every section shows the current filters (for tests, bench).
        bound(render_stamp),
        pn.pane.Markdown("## Data quality"),
        quality.quality_section(summary),
        pn.Card(catalog.catalog_section(), title="Metric catalog", collapsed=True, sizing_mode="stretch_width"),
    ])
    for widget in widgets:  # registered last: the charts (DynamicMaps) have updated when the render stamp does
        widget.param.watch(refresh, "value")
    return template


if __name__.startswith("bokeh"):
    create_app().servable(title=TITLE)
