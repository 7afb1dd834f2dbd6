"""Pieces every section uses: KPI cards, empty states, CSV downloads."""

from __future__ import annotations

import html
import io

import pandas as pd
import panel as pn

from semantic.catalog import METRICS
from semantic.formats import format_value

NO_MATCH = "No accounts match these filters"


def card(key: str, title: str, value: str, explanation: str) -> str:
    return (f'<div class="kpi-card" data-kpi="{key}"><div class="kpi-title">{html.escape(title)}</div>'
            f'<div class="kpi-value">{html.escape(value)}</div>'
            f'<div class="kpi-help">{html.escape(explanation)}</div></div>')


def metric_card(metric: str, title: str, value) -> str:
    """A card for a catalog metric: formatted by the catalog's format, explained by its description."""
    return card(metric, title, format_value(value, METRICS[metric].format), METRICS[metric].description)


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
    """A collapsed card whose content is built when it is first opened: a closed card costs no query."""
    card = pn.Card(title=title, collapsed=True, sizing_mode="stretch_width")

    def fill(event):
        if not event.new and not card.objects:
            card.append(build())

    card.param.watch(fill, "collapsed")
    return card


def money_labels(frame: pd.DataFrame, column: str) -> list[str]:
    return [format_value(v, "money") for v in frame[column]]
