"""Section 2, customer risk appetite: the whole portfolio by risk tier, the tiers the risk filter chose
highlighted."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import panel as pn

from dashboard import data, queries
from dashboard.components.charts import GREY, HIGHLIGHT, BarChart
from dashboard.components.common import csv_download, side_by_side
from dashboard.state import label_of
from semantic.catalog import DIMENSIONS

if TYPE_CHECKING:
    from dashboard.page import Page


def chosen_tiers(where: data.Where) -> tuple[str, ...]:
    """The risk tiers the filter picked (none when the risk filter is off)."""
    return dict(where).get("risk_tolerance", ())


def risk_filter(where: data.Where) -> data.Where:
    """The only part of the filters the risk breakdown follows (to highlight, not to filter)."""
    return tuple((dim, values) for dim, values in where if dim == "risk_tolerance")


def risk_breakdown_frame(tiers: tuple[str, ...]) -> pd.DataFrame:
    """The whole portfolio by risk tier (filters ignored), Low to High, with the highlight of each tier."""
    frame = queries.RISK_BREAKDOWN.answer()
    order = {tier: i for i, tier in enumerate(DIMENSIONS["risk_tolerance"].values)}
    frame = frame.sort_values("risk_tolerance", key=lambda s: s.map(order)).reset_index(drop=True)
    highlighted = frame.risk_tolerance.isin(tiers) if tiers else frame.risk_tolerance.notnull()
    return frame.assign(highlighted=highlighted)


class RiskChart:
    """One measure of the whole portfolio by risk tier, the tiers the risk filter chose highlighted."""

    def __init__(self, measure: str, title: str, label: str, value_format: str):
        self.measure = measure
        self.chart = BarChart(f"{measure}_by_risk_tolerance", title, label_of("risk_tolerance"), label, value_format,
                              dark=pn.config.theme == "dark", height=260)
        self.plot = self.chart.plot

    def update(self, where: data.Where) -> None:
        frame = risk_breakdown_frame(chosen_tiers(where))
        self.chart.show(frame.risk_tolerance, frame[self.measure],
                        [HIGHLIGHT if h else GREY for h in frame.highlighted])


def risk_balance_chart() -> RiskChart:
    """Total balance per risk tier over the whole portfolio; the filter only decides what is highlighted."""
    return RiskChart("total_balance", "Total balance by risk appetite", "Total balance", "money")


def risk_accounts_chart() -> RiskChart:
    return RiskChart("accounts", "Accounts by risk appetite", "Accounts", "integer")


def risk_caption(where: data.Where) -> pn.pane.Markdown:
    tiers = chosen_tiers(where)
    caption = (f"Highlighted: {', '.join(tiers)} (the risk filter); other tiers greyed. "
               if tiers else "All tiers shown: no risk filter. ")
    return pn.pane.Markdown(caption + "These charts always show the whole portfolio.", css_classes=["risk-caption"])


def risk_download(where_now) -> pn.widgets.FileDownload:
    return csv_download(lambda: risk_breakdown_frame(chosen_tiers(where_now())), "risk_breakdown.csv",
                        "CSV: risk breakdown")


def parts(page: Page) -> list:
    """The balance and account charts side by side, the caption saying what is highlighted, the CSV button."""
    return [side_by_side(page.chart(risk_balance_chart(), risk_filter), page.chart(risk_accounts_chart(), risk_filter)),
            page.bound(risk_caption),
            risk_download(page.filters.where)]
