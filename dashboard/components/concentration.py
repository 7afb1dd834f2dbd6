"""Section 3: concentration and dependency risk."""

from __future__ import annotations

import holoviews as hv
import panel as pn
from bokeh.models import NumeralTickFormatter

from dashboard import data
from dashboard.components.common import card, cards, csv_download, empty_state, metric_card, money_labels
from dashboard.components.segments import value_range
from semantic.formats import format_value, gini_band

PERCENT_AXIS = NumeralTickFormatter(format="0%")
MONEY_AXIS = NumeralTickFormatter(format="$0,0")
DECILE_COLORS = {1: "#1f4e8c", 2: "#7fa6d6", 3: "#7fa6d6"}  # D1 emphasized, D2-D3 lighter, the rest grey


def concentration_cards(where: data.Where) -> pn.viewable.Viewable:
    row = data.headline(where)
    if not row.accounts:
        return empty_state()
    gini_value = f"{format_value(row.gini, 'ratio')} ({gini_band(row.gini)})"
    return cards([
        metric_card("top_10_share", "Share held by the top 10% of accounts", row.top_10_share),
        metric_card("top_10_balance", "Combined balance of the top 10%", row.top_10_balance),
        card("gini", "Gini coefficient", gini_value,
             "Inequality of balances: 0 = all equal, 1 = one account holds everything"),
    ])


def decile_bars(where: data.Where):
    """Total balance by decile, D1 (richest) emphasized, D2-D3 lighter, the rest grey."""
    deciles = data.deciles(where)
    frame = deciles.assign(decile=[f"D{d}" for d in deciles.balance_decile],
                           color=[DECILE_COLORS.get(d, "#c8ccd4") for d in deciles.balance_decile],
                           label=money_labels(deciles, "total_balance"))
    return hv.Bars(frame, "decile", ["total_balance", "color", "label"]).opts(
        color="color", yformatter=MONEY_AXIS, title="Total balance by decile (D1 = richest 10%)", responsive=True,
        height=300, xlabel="", ylabel="", tools=["hover"], framewise=True,
        ylim=value_range(deciles.total_balance))


def decile_table(where: data.Where) -> pn.viewable.Viewable:
    deciles = data.deciles(where)
    if deciles.empty:
        return empty_state()
    return pn.widgets.Tabulator(deciles, show_index=False, disabled=True, sizing_mode="stretch_width",
                                formatters={c: {"type": "money", "symbol": "$", "precision": 0}
                                            for c in ("min_balance", "avg_balance", "max_balance", "total_balance")})


def lorenz_chart(where: data.Where):
    """The actual distribution (poorest to richest) against the dashed line of perfect equality."""
    curve = data.lorenz(where)
    actual = hv.Area(curve, "population_share", "balance_share", label="Actual distribution").opts(
        alpha=0.4, color="#2f6fb0")
    equality = hv.Curve([(0, 0), (1, 1)], "population_share", "balance_share", label="Perfect equality").opts(
        line_dash="dashed", color="#444")
    return (actual * equality).opts(
        title="Lorenz curve of balances (poorest to richest)", responsive=True, height=320,
        xformatter=PERCENT_AXIS, yformatter=PERCENT_AXIS, xlabel="Share of accounts", ylabel="Share of balances",
        legend_position="top_left")


def lorenz_note(where: data.Where) -> pn.viewable.Viewable:
    """Says so, in words, when there is no curve to draw."""
    return empty_state("Not enough data for a Lorenz curve") if len(data.lorenz(where)) < 2 else pn.pane.HTML("")


def concentration_downloads(where_now) -> pn.Row:
    return pn.Row(csv_download(lambda: data.deciles(where_now()), "balance_deciles.csv", "CSV: deciles"),
                  csv_download(lambda: data.lorenz(where_now()), "lorenz_curve.csv", "CSV: Lorenz curve"))
