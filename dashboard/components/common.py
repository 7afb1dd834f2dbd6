"""Pieces every section uses: KPI cards (with their SQL), empty states, CSV downloads, rows of charts, lazy cards."""

from __future__ import annotations

import html
import io
from collections.abc import Sequence

import pandas as pd
import panel as pn

from dashboard import data
from semantic.catalog import METRICS
from semantic.formats import format_value

NO_MATCH = "No accounts match these filters"


def card(key: str, title: str, value: str, explanation: str, parts: Sequence[tuple[str, str, str]] = ()) -> str:
    """A KPI card: its value, the `parts` beneath it ((key, label, text) each), its one-line definition, and,
    when `key` is a catalog metric, the SQL it compiles to on the connected backend, collapsed until asked for."""
    beneath = "".join(f'<div class="kpi-part" data-part="{part}"><span class="kpi-part-label">'
                      f'{html.escape(label)}</span>: <span class="kpi-part-value">{html.escape(text)}</span></div>'
                      for part, label, text in parts)
    return (f'<div class="kpi-card" data-kpi="{key}"><div class="kpi-title">{html.escape(title)}</div>'
            f'<div class="kpi-value">{html.escape(value)}</div>'
            + (f'<div class="kpi-parts">{beneath}</div>' if parts else "")
            + f'<div class="kpi-help">{html.escape(explanation)}</div>{_sql_details(key)}</div>')


def _sql_details(metric: str) -> str:
    if metric not in METRICS:
        return ""
    return (f'<details class="kpi-sql"><summary>SQL</summary><pre>{html.escape(data.metric_sql(metric))}</pre>'
            '</details>')


def metric_card(metric: str, title: str, value, parts: Sequence[tuple[str, str, object]] = ()) -> str:
    """A card for a catalog metric: formatted by the catalog's format, explained by its description; `parts`
    are other metrics beneath it, (metric, label, value) each, formatted the same way."""
    return card(metric, title, format_value(value, METRICS[metric].format), METRICS[metric].description,
                [(part, label, format_value(v, METRICS[part].format)) for part, label, v in parts])


def cards(html_cards: list[str]) -> pn.pane.HTML:
    return pn.pane.HTML(f'<div class="kpi-row">{"".join(html_cards)}</div>', sizing_mode="stretch_width")


def empty_state(message: str = NO_MATCH) -> pn.pane.HTML:
    return pn.pane.HTML(f'<div class="empty-state">{html.escape(message)}</div>', sizing_mode="stretch_width")


# What a spreadsheet takes for the start of a formula (OWASP "CSV injection"): `=HYPERLINK(...)` in a
# text column must arrive as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that start like a formula, prefixed with an apostrophe; numbers are left as they are."""
    safe = frame.copy()
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):
            safe[column] = safe[column].map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v)
    return safe


def csv_download(frame_fn, filename: str, label: str) -> pn.widgets.FileDownload:
    """A button that asks for the data only when clicked; safe to open in a spreadsheet."""
    def callback():
        return io.StringIO(spreadsheet_safe(frame_fn()).to_csv(index=False))

    return pn.widgets.FileDownload(callback=callback, filename=filename, label=label, color="light",
                                   width=220)


def lazy_card(title: str, build) -> pn.Card:
    """A collapsed card whose content (`build()`: a list of panes) is made when it is first opened: a closed card
    costs no query."""
    card = pn.Card(title=title, collapsed=True, sizing_mode="stretch_width")

    def fill(event):
        if not event.new and not card.objects:
            card.extend(build())

    card.param.watch(fill, "collapsed")
    return card


def side_by_side(*panes) -> pn.FlexBox:
    """Charts in a row that wraps: one above the other on a narrow screen."""
    return pn.FlexBox(*panes, flex_wrap="wrap", gap="12px", sizing_mode="stretch_width")
