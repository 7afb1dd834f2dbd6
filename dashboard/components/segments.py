"""Section 2: segments and growth drivers."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import panel as pn

from dashboard import data
from dashboard.components.charts import GREY, HIGHLIGHT, ActivityChart, BarChart, signed_colors
from dashboard.components.common import csv_download
from dashboard.state import label_of
from semantic.models.raw import RISK_TOLERANCES


def without(where: data.Where, dimension: str) -> data.Where:
    """The filters but the one on `dimension`: a dimension's own chart shows each of its categories."""
    return tuple((dim, values) for dim, values in where if dim != dimension)


def contributions_frame(dimension: str, where: data.Where) -> pd.DataFrame:
    """Net contributions per category of `dimension` under the other filters, largest first; `chosen`: the
    categories its own filter picked (every one when it picks none)."""
    frame = data.query(("net_contributions",), by=(dimension,), where=without(where, dimension))
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
    """CSV buttons for the two segment charts (what each shows); `where_now()`: the filters at the click."""
    return pn.Row(
        csv_download(lambda: contributions_frame("account_type", where_now()), "net_contributions_by_product.csv",
                     "CSV: by product type"),
        csv_download(lambda: contributions_frame("region", where_now()), "net_contributions_by_region.csv",
                     "CSV: by region"), sizing_mode="stretch_width")


def chosen_tiers(where: data.Where) -> tuple[str, ...]:
    """The risk tiers the filter picked (none when the risk filter is off)."""
    return dict(where).get("risk_tolerance", ())


def risk_filter(where: data.Where) -> data.Where:
    """The only part of the filters the risk breakdown follows (to highlight, not to filter)."""
    return tuple((dim, values) for dim, values in where if dim == "risk_tolerance")


def risk_breakdown_frame(tiers: tuple[str, ...]) -> pd.DataFrame:
    """The whole portfolio by risk tier (filters ignored), Low to High, with the highlight of each tier."""
    frame = data.query(("total_balance", "accounts"), by=("risk_tolerance",))
    order = {tier: i for i, tier in enumerate(RISK_TOLERANCES)}
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


def activity_frame(where: data.Where) -> pd.DataFrame:
    return data.query(("transaction_volume", "repayment_volume"), by=("activity_date",), where=where)


class ActivityOverTime:
    def __init__(self):
        self.chart = ActivityChart("activity_by_month", "Activity per month", dark=pn.config.theme == "dark")
        self.plot = self.chart.plot

    def update(self, where: data.Where) -> None:
        frame = activity_frame(where)
        self.chart.show(pd.to_datetime(frame.activity_date).to_numpy(),
                        {column: frame[column] for column in ("transaction_volume", "repayment_volume")})

