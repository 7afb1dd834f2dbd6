"""Section 2: segments and growth drivers, the net contributions by product type and by region."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pandas as pd
import panel as pn

from dashboard import data, queries
from dashboard.components.charts import BarChart, signed_colors
from dashboard.components.common import csv_download, side_by_side
from dashboard.state import label_of

if TYPE_CHECKING:
    from dashboard.page import Page

# Each chart: its dimension, title and CSV file; a click on one of its bars toggles that category in the filter.
CHARTS = (("account_type", "Net contributions by product type", "net_contributions_by_product.csv",
           "CSV: by product type"),
          ("region", "Net contributions by region", "net_contributions_by_region.csv", "CSV: by region"))


def contributions_frame(dimension: str, where: data.Where) -> pd.DataFrame:
    """Net contributions per category of `dimension` under the other filters, largest first; `chosen`: the
    categories its own filter picked (every one when it picks none)."""
    frame = queries.net_contributions(dimension, where).answer()
    frame = frame.sort_values("net_contributions", ascending=False).reset_index(drop=True)
    picked = dict(where).get(dimension)
    missing = [p for p in picked or () if p not in set(frame[dimension])]  # chosen, but no account there:
    if missing:  # still on the axis (no bar, its label "-"), so the chart says what is chosen
        absent = pd.DataFrame({dimension: missing, "net_contributions": [float("nan")] * len(missing)})
        frame = pd.concat([frame, absent], ignore_index=True)
    return frame.assign(chosen=frame[dimension].isin(picked) if picked else True)


class ContributionsChart:
    """Net contributions by one dimension; a click on a bar adds its category to that filter, or removes it."""

    def __init__(self, dimension: str, title: str, on_tap: Callable[[str, str], None] | None = None):
        tap = (lambda category: on_tap(dimension, category)) if on_tap else None
        self.dimension = dimension
        self.chart = BarChart(f"net_contributions_by_{dimension}", title, label_of(dimension), "Net contributions",
                              "money", dark=pn.config.theme == "dark", on_tap=tap)
        self.plot = self.chart.plot

    def update(self, where: data.Where) -> None:
        frame = contributions_frame(self.dimension, where)
        picked = dict(where).get(self.dimension)
        self.chart.show(frame[self.dimension], frame.net_contributions,
                        signed_colors(frame.net_contributions, list(frame.chosen) if picked else None))


def segment_downloads(where_now) -> pn.Row:
    """CSV buttons for the two charts (what each shows); `where_now()`: the filters at the click."""
    return pn.Row(*[csv_download(lambda dimension=dimension: contributions_frame(dimension, where_now()), filename,
                                 label)
                    for dimension, _, filename, label in CHARTS], sizing_mode="stretch_width")


def parts(page: Page) -> list:
    """The two charts side by side, then their CSV buttons."""
    return [side_by_side(*[page.chart(ContributionsChart(dimension, title, on_tap=page.filters.toggle))
                           for dimension, title, _, _ in CHARTS]),
            segment_downloads(page.filters.where)]
