"""The metric catalog: every metric with its definition, format and grain, searchable; the SQL it compiles to on
the connected backend shown when a row is expanded."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import pandas as pd
import panel as pn

from dashboard import data
from semantic.catalog import METRICS

if TYPE_CHECKING:
    from dashboard.page import Page

TITLES = {"metric": "Metric", "description": "Definition"}


def catalog_frame() -> pd.DataFrame:
    return pd.DataFrame([{"metric": m.name, "description": m.description, "format": m.format, "grain": m.grain,
                          "sql": data.metric_sql(m.name)} for m in METRICS.values()])


def table_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """What the table shows, one row per metric (indexed by its name): the name with its format and grain
    beneath it, and the definition. Two columns, so that a row fits a phone's width."""
    names = [f'<span class="metric-name">{html.escape(m)}</span><br>'
             f'<span class="metric-kind">{html.escape(f)} · {html.escape(g)}</span>'
             for m, f, g in zip(frame.metric, frame.format, frame.grain)]
    return pd.DataFrame({"metric": names, "description": list(frame.description)},
                        index=pd.Index(frame.metric, name="name"))


def matching(frame: pd.DataFrame, text: str) -> pd.DataFrame:
    """The rows of a table_frame whose name or definition contains every word of `text` (any case); all rows
    when it is blank."""
    keep = pd.Series(True, index=frame.index)
    names, definitions = frame.index.str.lower(), frame.description.str.lower()
    for word in (text or "").lower().split():
        keep &= names.str.contains(word, regex=False) | definitions.str.contains(word, regex=False)
    return frame[keep.to_numpy()]


def sql_block(sql: str) -> pn.pane.HTML:
    """A row's content: the metric's SQL on the connected backend, wrapped to the table's width."""
    return pn.pane.HTML(f'<pre class="metric-sql">{html.escape(sql)}</pre>', sizing_mode="stretch_width",
                        margin=(0, 8))


def catalog_section() -> pn.viewable.Viewable:
    """A search box over name and definition, and one compact row per metric; expanding a row shows its SQL."""
    frame = catalog_frame()
    sql = dict(zip(frame.metric, frame.sql))
    search = pn.widgets.TextInput(name="Search metrics", placeholder="Name or definition, e.g. balance",
                                  sizing_mode="stretch_width", max_width=420, css_classes=["catalog-search"])
    table = pn.widgets.Tabulator(
        table_frame(frame), show_index=False, disabled=True, sizing_mode="stretch_width", layout="fit_columns",
        titles=TITLES, widths={"metric": "34%"}, header_align="left", text_align="left",
        formatters={"metric": {"type": "html"}, "description": {"type": "textarea"}},
        row_content=lambda row: sql_block(sql[row.name]), css_classes=["metric-catalog"])
    # Every keystroke (value_input, not value: that waits for Enter), filtered on the server; rows expanded
    # are closed first (Tabulator keeps a row's content by position: the row now there would show it)
    search.param.watch(lambda _event: setattr(table, "expanded", []), "value_input")
    table.add_filter(pn.bind(matching, text=search.param.value_input))
    return pn.Column(
        search,
        pn.pane.HTML('<span class="catalog-hint">Each metric with its format and grain. Expand a row (&#9654;) '
                     "for the SQL it compiles to on this backend.</span>", margin=(0, 10)),
        table, sizing_mode="stretch_width")


def parts(_page: Page) -> list:
    return [catalog_section()]
