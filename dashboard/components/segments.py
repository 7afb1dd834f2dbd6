"""Section 2: segments and growth drivers."""

from __future__ import annotations

import holoviews as hv
import panel as pn
from bokeh.models import NumeralTickFormatter

from dashboard import data
from dashboard.components.common import csv_download, money_labels
from semantic.models.raw import RISK_TOLERANCES

HIGHLIGHT, GREY = "#2f6fb0", "#c8ccd4"
MONEY_AXIS = NumeralTickFormatter(format="$0,0")


def net_contributions_by(dimension: str, where: data.Where):
    frame = data.query(("net_contributions",), by=(dimension,), where=where)
    return frame.sort_values("net_contributions", ascending=False).reset_index(drop=True)


def value_range(values) -> tuple[float, float]:
    """A y range that holds zero and every bar with room for its label: set per update, so the axis follows."""
    low, high = min([0.0, *values]), max([0.0, *values])
    pad = 0.12 * ((high - low) or 1.0)
    return (low - pad if low < 0 else 0.0), (high + pad if high > 0 else 0.0)


def _bars(frame, x: str, y: str, title: str, color="#2f6fb0"):
    frame = frame.assign(label=money_labels(frame, y))
    # The categories of this frame, stated: otherwise a chart keeps showing every category it has ever shown.
    x = hv.Dimension(x, values=list(frame[x]))
    bars = hv.Bars(frame, x, [y, "label"]).opts(color=color, yformatter=MONEY_AXIS, title=title, tools=["hover"],
                                                responsive=True, height=300, xlabel="", ylabel="", framewise=True,
                                                ylim=value_range(frame[y]))
    return bars * hv.Labels(frame, [x, y], "label").opts(text_font_size="9pt", text_baseline="bottom")


def net_contributions_chart(dimension: str, title: str, where: data.Where):
    """Bars of net contributions by `dimension`, largest first, labelled as money (no bars when nothing matches).

    The dashboard wraps it in a DynamicMap: a filter change replaces the data of
    the plot already on the page instead of building a new one.
    """
    return _bars(net_contributions_by(dimension, where), dimension, "net_contributions", title)


def segment_downloads(where_now) -> pn.Row:
    """CSV buttons for the two segment charts; `where_now()` gives the filters at the time of the click."""
    return pn.Row(
        csv_download(lambda: net_contributions_by("account_type", where_now()), "net_contributions_by_product.csv",
                     "CSV: by product type"),
        csv_download(lambda: net_contributions_by("region", where_now()), "net_contributions_by_region.csv",
                     "CSV: by region"))


def chosen_tiers(where: data.Where) -> tuple[str, ...]:
    """The risk tiers the filter picked (none when the risk filter is off)."""
    return dict(where).get("risk_tolerance", ())


def risk_filter(where: data.Where) -> data.Where:
    """The only part of the filters the risk breakdown follows (to highlight, not to filter)."""
    return tuple((dim, values) for dim, values in where if dim == "risk_tolerance")


def risk_breakdown_frame(tiers: tuple[str, ...]):
    """The whole portfolio by risk tier (filters ignored), Low to High, with the highlight of each tier."""
    frame = data.query(("total_balance", "accounts"), by=("risk_tolerance",))
    order = {tier: i for i, tier in enumerate(RISK_TOLERANCES)}
    frame = frame.sort_values("risk_tolerance", key=lambda s: s.map(order)).reset_index(drop=True)
    highlighted = frame.risk_tolerance.isin(tiers) if tiers else frame.risk_tolerance.notnull()
    return frame.assign(highlighted=highlighted, color=[HIGHLIGHT if h else GREY for h in highlighted])


def _risk_bars(measure: str, title: str, axis_format: str, where: data.Where):
    frame = risk_breakdown_frame(chosen_tiers(where))
    return hv.Bars(frame, "risk_tolerance", [measure, "color"]).opts(
        color="color", yformatter=NumeralTickFormatter(format=axis_format), title=title, responsive=True,
        height=260, xlabel="", ylabel="", tools=["hover"])


def risk_balance_chart(where: data.Where):
    """Total balance per risk tier over the whole portfolio; the filter only decides what is highlighted."""
    return _risk_bars("total_balance", "Total balance by risk appetite", "$0,0", where)


def risk_accounts_chart(where: data.Where):
    return _risk_bars("accounts", "Accounts by risk appetite", "0,0", where)


def risk_caption(where: data.Where) -> pn.pane.Markdown:
    tiers = chosen_tiers(where)
    caption = (f"Highlighted: {', '.join(tiers)} (the risk filter); other tiers greyed. "
               if tiers else "All tiers shown: no risk filter. ")
    return pn.pane.Markdown(caption + "These charts always show the whole portfolio.", css_classes=["risk-caption"])


def risk_download(where_now) -> pn.widgets.FileDownload:
    return csv_download(lambda: risk_breakdown_frame(chosen_tiers(where_now())).drop(columns="color"),
                        "risk_breakdown.csv", "CSV: risk breakdown")


def activity_frame(where: data.Where):
    return data.query(("transaction_volume", "repayment_volume"), by=("activity_date",), where=where)


def activity_chart(where: data.Where):
    frame = activity_frame(where)
    return (hv.Curve(frame, "activity_date", "transaction_volume", label="Net transactions")
            * hv.Curve(frame, "activity_date", "repayment_volume", label="Repayments")).opts(
        hv.opts.Curve(tools=["hover"], yformatter=MONEY_AXIS, framewise=True),
        hv.opts.Overlay(title="Activity per month", responsive=True, height=300, legend_position="top_left",
                        xlabel="", ylabel=""))
