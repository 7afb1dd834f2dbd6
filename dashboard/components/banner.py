"""The narrative banner: the portfolio in one paragraph of plain words."""

from __future__ import annotations

from typing import TYPE_CHECKING

import panel as pn

from dashboard import data, queries
from dashboard.components.common import NO_MATCH
from semantic.formats import format_value, gini_band

if TYPE_CHECKING:
    from dashboard.page import Page

# Within this share of the average balance, either way, an average net contribution is "about flat" (the spec).
FLAT_SHARE = 0.001


def trend(avg_net_contribution: float, avg_balance: float) -> str:
    """growing, shrinking, or about flat: a net contribution that small beside the balance is no trend to report."""
    if abs(avg_net_contribution) <= FLAT_SHARE * abs(avg_balance):
        return "about flat"
    return "growing" if avg_net_contribution > 0 else "shrinking"


def banner_text(where: data.Where) -> str:
    headline = queries.headline_row(where)
    if not headline.accounts:
        return f"**{NO_MATCH}.** Clear or widen the filters to see the portfolio."
    direction = trend(headline.avg_net_contribution, headline.avg_balance)
    text = (
        f"The portfolio holds **{format_value(headline.accounts, 'integer')} accounts** with a combined balance of "
        f"**{format_value(headline.total_balance, 'money')}**. On average accounts are **{direction}**: net "
        f"contributions are **{format_value(headline.avg_net_contribution, 'money')}** per account. Balances show "
        f"**{gini_band(headline.gini).lower()}**: the top 10% of accounts hold "
        f"**{format_value(headline.top_10_share, 'percent')}** of assets."
    )
    return text + (" *A filtered subset of the portfolio is shown.*" if where else "")


def banner(where: data.Where) -> pn.pane.Markdown:
    return pn.pane.Markdown(banner_text(where), css_classes=["banner"], sizing_mode="stretch_width")


def parts(page: Page) -> list:
    return [page.bound(banner)]
