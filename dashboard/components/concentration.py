"""Section 3: concentration and dependency risk."""

from __future__ import annotations

from typing import TYPE_CHECKING

import panel as pn

from dashboard import data, queries
from dashboard.components.charts import GREY, BarChart, LorenzChart
from dashboard.components.common import card, cards, csv_download, empty_state, lazy_card, metric_card
from semantic.formats import format_value, gini_band

if TYPE_CHECKING:
    from dashboard.page import Page

DECILE_COLORS = {1: "#1f4e8c", 2: "#7fa6d6", 3: "#7fa6d6"}  # D1 emphasized, D2-D3 lighter, the rest grey


def concentration_cards(where: data.Where) -> pn.viewable.Viewable:
    row = queries.headline_row(where)
    if not row.accounts:
        return empty_state()
    gini_value = f"{format_value(row.gini, 'ratio')} ({gini_band(row.gini)})"
    return cards([
        metric_card("top_10_share", "Share held by the top 10% of accounts", row.top_10_share),
        metric_card("top_10_balance", "Combined balance of the top 10%", row.top_10_balance),
        card("gini", "Gini coefficient", gini_value,
             "Inequality of balances: 0 = all equal, 1 = one account holds everything"),
    ])


class DecileBars:
    """Total balance by decile, D1 (richest) emphasized, D2-D3 lighter, the rest grey."""

    def __init__(self):
        self.chart = BarChart("total_balance_by_decile", "Balance by decile (D1 richest)", "Decile",
                              "Total balance", "money", dark=pn.config.theme == "dark", short=True)
        self.plot = self.chart.plot

    def update(self, where: data.Where) -> None:
        deciles = queries.deciles(where).answer()
        self.chart.show([f"D{d}" for d in deciles.balance_decile], deciles.total_balance,
                        [DECILE_COLORS.get(d, GREY) for d in deciles.balance_decile])


def decile_table(where: data.Where) -> pn.viewable.Viewable:
    deciles = queries.deciles(where).answer()
    if deciles.empty:
        return empty_state()
    return pn.widgets.Tabulator(deciles, show_index=False, disabled=True, sizing_mode="stretch_width",
                                formatters={"accounts": {"type": "money", "symbol": "", "precision": 0},
                                            **{c: {"type": "money", "symbol": "$", "precision": 0}
                                               for c in ("min_balance", "avg_balance", "max_balance",
                                                         "total_balance")}})


class LorenzCurve:
    """The actual distribution (poorest to richest) against the dashed line of perfect equality."""

    def __init__(self):
        self.chart = LorenzChart("lorenz_curve", "Lorenz curve (poorest to richest)",
                                 dark=pn.config.theme == "dark")
        self.plot = self.chart.plot

    def update(self, where: data.Where) -> None:
        curve = queries.lorenz(where).answer()
        self.chart.show(curve.population_share, curve.balance_share)


def lorenz_note(where: data.Where) -> pn.viewable.Viewable:
    """Says so, in words, when there is no curve to draw."""
    too_few = len(queries.lorenz(where).answer()) < 2
    return empty_state("Not enough data for a Lorenz curve") if too_few else pn.pane.HTML("")


def concentration_downloads(where_now) -> pn.Row:
    return pn.Row(csv_download(lambda: queries.deciles(where_now()).answer(), "balance_deciles.csv", "CSV: deciles"),
                  csv_download(lambda: queries.lorenz(where_now()).answer(), "lorenz_curve.csv", "CSV: Lorenz curve"),
                  sizing_mode="stretch_width")


def parts(page: Page) -> list:
    """The cards, the decile chart and its table (collapsed), the Lorenz curve (or why there is none), the CSV
    buttons."""
    return [page.bound(concentration_cards),
            page.chart(DecileBars()),
            lazy_card("Deciles: accounts and balances", lambda: [page.bound(decile_table)]),
            page.bound(lorenz_note),
            page.chart(LorenzCurve()),
            concentration_downloads(page.filters.where)]
