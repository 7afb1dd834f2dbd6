"""The portfolio dashboard: `panel serve dashboard/app.py` (or `make serve` / `fintech serve`).

It assembles the sections; each section asks the semantic layer (through
dashboard.data) and renders. Filters live in the sidebar and in the URL.
"""

from __future__ import annotations

import contextlib
import html
import logging

import panel as pn

from dashboard import data
from dashboard.components import banner, catalog, concentration, overview, quality, segments, theme
from dashboard.components.common import csv_download, lazy_card
from dashboard.components.filters import Filters
from semantic import config

pn.extension("tabulator", raw_css=[theme.CSS], loading_indicator=True, notifications=False)

TITLE = "Fintech Portfolio Dashboard"
log = logging.getLogger("dashboard")


def render_stamp(where: data.Where) -> pn.pane.HTML:
    key = ";".join(f"{dim}={','.join(map(str, values))}" for dim, values in where)
    return pn.pane.HTML(f'<span class="render-stamp" data-where="{key}"></span>', height=0, margin=0)


def _replace(column: pn.Column, new) -> None:
    """Show `new` in `column`: a pane or table of the same kind takes the new content in place (no new model)."""
    old = column.objects[0] if len(column.objects) == 1 else None
    if isinstance(old, (pn.pane.HTML, pn.pane.Markdown)) and type(old) is type(new):
        old.object = new.object
    elif isinstance(old, pn.widgets.Tabulator) and type(old) is type(new):
        old.value = new.value
    else:
        column.objects = [new]


@contextlib.contextmanager
def _frozen(doc):
    """Bokeh re-walks the whole document after every change to its model graph, unless frozen: freeze once.
    Thawed however the block ends (Bokeh's own freeze() stays frozen after an exception: every model added
    later would be unknown to the document)."""
    if doc is None:
        yield
        return
    freeze = doc.models.freeze()
    freeze.__enter__()
    try:
        yield
    finally:
        freeze.__exit__(None, None, None)


def create_app() -> pn.template.BaseTemplate:
    data.pin_session()  # this page reads the warehouse published now, even across a rebuild
    filters = Filters()
    if pn.state.location is not None:
        filters.link_to_url(pn.state.location)
    sections: list[tuple[pn.Column, object]] = []
    charts: list[list] = []  # [chart, its view of the filters, the view it shows]
    busy = pn.indicators.LoadingSpinner(value=False, size=24, margin=(12, 10), css_classes=["updating"])

    def bound(section):
        """A section rebuilt on each filter change (cards, text, tables: cheap to rebuild)."""
        column = pn.Column(section(filters.where()), sizing_mode="stretch_width")
        sections.append((column, section))
        return column

    def refresh(*_events):
        """Show the header spinner now; compute and send the new content on the next tick."""
        busy.value = True
        pn.state.execute(update, schedule=True)

    def update():
        """Update every chart and section for the current filters, sent to the browser as one update."""
        where = filters.where()
        with _frozen(pn.state.curdoc), pn.io.hold():
            for entry in charts:
                chart, view, shown = entry
                if shown != view(where):
                    chart.update(view(where))
                    entry[2] = view(where)
            for column, section in sections:
                _replace(column, section(where))
            busy.value = False

    def chart(made, view=lambda where: where):
        """A chart of this page (dashboard/components/charts.py), refilled when its `view` of the filters changes."""
        made.update(view(filters.where()))
        charts.append([made, view, view(filters.where())])
        return pn.pane.Bokeh(made.plot, sizing_mode="stretch_width", min_width=280, styles={"flex": "1 1 420px"})

    def side_by_side(*panes):
        """Charts in a row that wraps: one above the other on a narrow screen."""
        return pn.FlexBox(*panes, flex_wrap="wrap", gap="12px", sizing_mode="stretch_width")

    summary, any_report = data.validation_report()
    stale = data.staleness_notice()
    template = theme.template(TITLE)
    template.header.append(pn.Row(
        busy,
        pn.pane.HTML(f'<span class="backend">Backend: {html.escape(data.backend_label())}</span>', margin=(12, 10)),
        quality.badge(quality.badge_text(summary, any_report)),
        *([pn.pane.HTML(f'<span class="stale-warehouse" style="color:#ffd54f">Note: {html.escape(stale)}</span>',
                        margin=(12, 10))] if stale else [])))
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
        side_by_side(chart(segments.ContributionsChart("account_type", "Net contributions by product type",
                                                       on_tap=filters.toggle)),
                     chart(segments.ContributionsChart("region", "Net contributions by region",
                                                       on_tap=filters.toggle))),
        segments.segment_downloads(filters.where),
        pn.pane.Markdown("### Customer risk appetite (whole portfolio)"),
        side_by_side(chart(segments.risk_balance_chart(), segments.risk_filter),
                     chart(segments.risk_accounts_chart(), segments.risk_filter)),
        bound(segments.risk_caption),
        segments.risk_download(filters.where),
        pn.pane.Markdown("### Activity over time"),
        chart(segments.ActivityOverTime(), lambda _where: filters.activity_where()),
        csv_download(lambda: segments.activity_frame(filters.activity_where()), "activity_by_month.csv",
                     "CSV: activity by month"),
        pn.pane.Markdown("## Concentration and dependency risk"),
        bound(concentration.concentration_cards),
        chart(concentration.DecileBars()),
        lazy_card("Deciles: accounts and balances", lambda: bound(concentration.decile_table)),
        bound(concentration.lorenz_note),
        chart(concentration.LorenzCurve()),
        concentration.concentration_downloads(filters.where),
        # Bound last, so updated last: marks the moment every section shows the current filters (for tests, bench).
        bound(render_stamp),
        pn.pane.Markdown("## Data quality"),
        quality.quality_section(summary, any_report),
        lazy_card("Metric catalog", catalog.catalog_section),
    ])
    for widget in filters.controls:
        widget.param.watch(refresh, "value")
    return template


def unavailable_reason(error: BaseException, url: str) -> str:
    """What went wrong reading the warehouse at `url`, fit to show: one line, its secrets removed."""
    lines = config.redact(str(error), url).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def unavailable_page(error: BaseException) -> pn.viewable.Viewable:
    """The page shown when the warehouse cannot be read as a session starts (a server stopped, a file gone):
    what failed and to reload later. Said in the server's log as one line, not a traceback."""
    url = config.backend_url(None)
    reason = unavailable_reason(error, url)
    log.warning("dashboard: the warehouse %s cannot be read: %s", config.masked_url(url), reason)
    return pn.Column(pn.pane.HTML(
        f'<div class="warehouse-unavailable"><h2>{TITLE}</h2>'
        f"<p>The warehouse cannot be read now ({html.escape(reason)}).</p>"
        "<p>Reload this page later.</p></div>"), sizing_mode="stretch_width")


def serve_page(doc=None) -> None:
    """Show the dashboard, or the page saying the warehouse cannot be read: in `doc` (the warm-up's throwaway
    document), else as this session's page."""
    target = doc if doc is not None else pn.state.curdoc
    roots = list(target.roots) if target is not None else []

    def show(view) -> None:
        view.server_doc(doc, title=TITLE) if doc is not None else view.servable(title=TITLE)

    try:
        with _frozen(target):  # the template adds ~30 roots: one walk of the document, not one per root
            show(create_app())
    except Exception as error:
        if target is not None:
            for root in [r for r in target.roots if r not in roots]:  # what the dashboard added before it failed
                target.remove_root(root)
        show(unavailable_page(error))


if __name__.startswith("bokeh"):
    serve_page()
