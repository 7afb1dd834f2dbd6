"""How a page is put together: its sections, and what keeps them showing the current filters.

A `Section` is one entry of the page (dashboard/app.py lists them in order): its heading and how its parts are
made for one page. A `Page` is one session's page: the filters, and every chart and bound part its sections
made, refilled together on each filter change.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import panel as pn

from dashboard import data
from dashboard.components.common import lazy_card
from dashboard.components.filters import Filters


@dataclass(frozen=True)
class Section:
    """One section of the page: its heading (`title` at `level`, 2 or 3; none when `title` is None), and
    `parts(page)`, the panes it shows, in order. A `lazy` section is a collapsed card titled `title`, its parts
    made when it is first opened (a closed card costs no query)."""
    title: str | None
    parts: Callable[[Page], list]
    level: int = 2
    lazy: bool = False

    def panes(self, page: Page) -> list:
        if self.lazy:
            return [lazy_card(self.title, lambda: self.parts(page))]
        heading = [pn.pane.Markdown(f"{'#' * self.level} {self.title}")] if self.title else []
        return [*heading, *self.parts(page)]


def render_stamp(where: data.Where) -> pn.pane.HTML:
    """An invisible mark of the filters the page shows: bound last, so updated last, it says every section has
    caught up (tests and benches wait for it)."""
    key = ";".join(f"{dim}={','.join(map(str, values))}" for dim, values in where)
    return pn.pane.HTML(f'<span class="render-stamp" data-where="{key}"></span>', height=0, margin=0)


@contextlib.contextmanager
def frozen(doc):
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


def _replace(column: pn.Column, new) -> None:
    """Show `new` in `column`: a pane or table of the same kind takes the new content in place (no new model)."""
    old = column.objects[0] if len(column.objects) == 1 else None
    if isinstance(old, (pn.pane.HTML, pn.pane.Markdown)) and type(old) is type(new):
        old.object = new.object
    elif isinstance(old, pn.widgets.Tabulator) and type(old) is type(new):
        old.value = new.value
    else:
        column.objects = [new]


class Page:
    """One session's page: its filters (`filters`), this build's validation report (`validation`: the summary or
    None, and whether any report exists), and the charts and bound parts its sections made."""

    def __init__(self, filters: Filters, validation: tuple[dict | None, bool]):
        self.filters = filters
        self.validation = validation
        self.busy = pn.indicators.LoadingSpinner(value=False, size=24, margin=(12, 10), css_classes=["updating"])
        self._bound: list[tuple[pn.Column, Callable]] = []
        self._charts: list[list] = []  # [chart, its view of the filters, the view it shows]

    def bound(self, part: Callable[[data.Where], object]) -> pn.Column:
        """A part rebuilt on each filter change from the filters (cards, text, tables: cheap to rebuild)."""
        column = pn.Column(part(self.filters.where()), sizing_mode="stretch_width")
        self._bound.append((column, part))
        return column

    def chart(self, made, view: Callable[[data.Where], data.Where] = lambda where: where) -> pn.pane.Bokeh:
        """A chart of this page (dashboard/components/charts.py), refilled when its `view` of the filters
        changes."""
        shown = view(self.filters.where())
        made.update(shown)
        self._charts.append([made, view, shown])
        return pn.pane.Bokeh(made.plot, sizing_mode="stretch_width", min_width=280, styles={"flex": "1 1 420px"})

    def refresh(self, *_events) -> None:
        """Show the header spinner now; compute and send the new content on the next tick."""
        self.busy.value = True
        pn.state.execute(self.update, schedule=True)

    def update(self) -> None:
        """Update every chart and bound part for the current filters, sent to the browser as one update."""
        where = self.filters.where()
        with frozen(pn.state.curdoc), pn.io.hold():
            for entry in self._charts:
                chart, view, shown = entry
                new = view(where)
                if shown != new:
                    chart.update(new)
                    entry[2] = new
            for column, part in self._bound:
                _replace(column, part(where))
            self.busy.value = False
