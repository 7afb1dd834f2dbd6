"""Section 1: portfolio overview, six KPI cards."""

from __future__ import annotations

from typing import TYPE_CHECKING

import panel as pn

from dashboard import data, queries
from dashboard.components.common import cards, empty_state, metric_card

if TYPE_CHECKING:
    from dashboard.page import Page

OVERVIEW_CARDS = (
    ("accounts", "Total accounts"),
    ("total_balance", "Total balance (AUM)"),
    ("approved_credit_exposure", "Credit exposure (approved loans)"),
    ("balance_weighted_rate", "Balance-weighted product rate"),
    ("net_contributions", "Total net contributions"),
    ("avg_net_contribution", "Avg net contribution per account"),
)
# Beneath the approved exposure (the spec): the applications not granted, and the original pipeline's total.
CARD_PARTS = {
    "approved_credit_exposure": (
        ("pending_credit_exposure", "Pending applications"),
        ("rejected_credit_exposure", "Rejected applications"),
        ("credit_exposure", "All applications (total)"),
    ),
}


def overview(where: data.Where) -> pn.viewable.Viewable:
    row = queries.headline_row(where)
    if not row.accounts:
        return empty_state()
    return cards([metric_card(metric, title, row[metric],
                              [(part, label, row[part]) for part, label in CARD_PARTS.get(metric, ())])
                  for metric, title in OVERVIEW_CARDS])


def parts(page: Page) -> list:
    return [page.bound(overview)]
