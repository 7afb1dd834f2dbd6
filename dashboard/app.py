"""The portfolio dashboard: `panel serve dashboard/app.py` (or `make serve` / `fintech serve`).

It assembles the page from SECTIONS, in order; each section's parts ask the semantic
layer (dashboard/queries.py, through dashboard.data's caches) and render. Filters live
in the sidebar and in the URL.
"""

from __future__ import annotations

import html
import logging

import panel as pn

from dashboard import data
from dashboard.components import activity, banner, catalog, concentration, contributions, overview, quality, risk, theme
from dashboard.components.common import csv_download
from dashboard.components.filters import Filters
from dashboard.page import Page, Section, frozen, render_stamp
from semantic import config

pn.extension("tabulator", raw_css=[theme.CSS], loading_indicator=True, notifications=False)

TITLE = "Fintech Portfolio Dashboard"
log = logging.getLogger("dashboard")

# The page, top to bottom: a new section is one entry here (and its module in dashboard/components/).
SECTIONS = (
    Section(None, banner.parts),
    Section("Portfolio overview", overview.parts),
    Section("Segments and growth drivers", contributions.parts),
    Section("Customer risk appetite (whole portfolio)", risk.parts, level=3),
    Section("Activity over time", activity.parts, level=3),
    Section("Concentration and dependency risk", concentration.parts),
    # Bound last, so updated last: marks the moment every section shows the current filters (for tests, bench).
    Section(None, lambda page: [page.bound(render_stamp)]),
    Section("Data quality", quality.parts),
    Section("Metric catalog", catalog.parts, lazy=True),
)


def create_app() -> pn.template.BaseTemplate:
    data.pin_session()  # this page reads the warehouse published now, even across a rebuild
    filters = Filters()
    if pn.state.location is not None:
        filters.link_to_url(pn.state.location)
    page = Page(filters, data.validation_report())
    stale = data.staleness_notice()
    template = theme.template(TITLE)
    template.header.append(pn.Row(
        page.busy,
        pn.pane.HTML(f'<span class="backend">Backend: {html.escape(data.backend_label())}</span>', margin=(12, 10)),
        quality.badge(quality.badge_text(*page.validation)),
        *([pn.pane.HTML(f'<span class="stale-warehouse" style="color:#ffd54f">Note: {html.escape(stale)}</span>',
                        margin=(12, 10))] if stale else [])))
    template.sidebar.extend([
        pn.pane.Markdown("### Filters"),
        filters.panel(),
        pn.pane.Markdown("### Export"),
        csv_download(lambda: data.accounts(filters.where()), "accounts_filtered.csv", "CSV: filtered accounts"),
    ])
    template.main.extend([pane for section in SECTIONS for pane in section.panes(page)])
    for widget in filters.controls:
        widget.param.watch(page.refresh, "value")
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
        with frozen(target):  # the template adds ~30 roots: one walk of the document, not one per root
            show(create_app())
    except Exception as error:
        if target is not None:
            for root in [r for r in target.roots if r not in roots]:  # what the dashboard added before it failed
                target.remove_root(root)
        show(unavailable_page(error))


if __name__.startswith("bokeh"):
    serve_page()
