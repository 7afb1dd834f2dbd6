"""Section 1: portfolio overview, six KPI cards."""

from __future__ import annotations

import panel as pn

from dashboard import data
from dashboard.components.common import cards, empty_state, metric_card

OVERVIEW_CARDS = (
    ("accounts", "Total accounts"),
    ("total_balance", "Total balance (AUM)"),
    ("credit_exposure", "Total credit exposure"),
    ("balance_weighted_rate", "Balance-weighted product rate"),
    ("net_contributions", "Total net contributions"),
    ("avg_net_contribution", "Avg net contribution per account"),
)


def overview(where: data.Where) -> pn.viewable.Viewable:
    row = data.headline(where)
    if not row.accounts:
        return empty_state()
    return cards([metric_card(metric, title, row[metric]) for metric, title in OVERVIEW_CARDS])
