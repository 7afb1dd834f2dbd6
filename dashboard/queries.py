"""What the page asks of the semantic layer: each section's question, defined once, and the set one filter change
asks.

The sections ask through dashboard.data's caches (`Question.answer`); the bench asks the same set of a layer
directly (`Question.asked_of`, bench/queries.py) or through the caches as the page does (bench/scale.py), so
what it times is what the page asks, not a copy of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

import semantic
from dashboard import data

# The cards and the banner: asked as one query, so the sections share one result per filter.
HEADLINE_METRICS = ("accounts", "total_balance", "avg_balance", "credit_exposure", "approved_credit_exposure",
                    "pending_credit_exposure", "rejected_credit_exposure", "balance_weighted_rate",
                    "net_contributions", "avg_net_contribution", "top_10_share", "top_10_balance", "gini")


@dataclass(frozen=True)
class Question:
    """One call of the layer: `method` ("query", "deciles" or "lorenz") with its arguments, in the page's plain,
    hashable form (`where`: a data.Where)."""
    method: str
    where: data.Where = ()
    metrics: tuple[str, ...] = ()
    by: tuple[str, ...] = ()

    def answer(self) -> pd.DataFrame:
        """The answer the page shows: through dashboard.data, cached by warehouse version and filter values."""
        if self.method == "query":
            return data.query(self.metrics, self.by, self.where)
        return getattr(data, self.method)(self.where)

    def asked_of(self, sl: semantic.SemanticLayer) -> pd.DataFrame:
        """The answer of the layer `sl` itself, no cache between (the bench's side of its comparison)."""
        if self.method == "query":
            return sl.query(list(self.metrics), by=list(self.by), where=data.layer_filters(self.where))
        return getattr(sl, self.method)(where=data.layer_filters(self.where))


def without(where: data.Where, dimension: str) -> data.Where:
    """The filters but the one on `dimension`: a dimension's own chart shows each of its categories."""
    return tuple((dim, values) for dim, values in where if dim != dimension)


def headline(where: data.Where) -> Question:
    """The headline numbers of the filtered portfolio (one row): the banner, the overview and concentration
    cards."""
    return Question("query", where, HEADLINE_METRICS)


def net_contributions(dimension: str, where: data.Where) -> Question:
    """Net contributions per category of `dimension`, under every filter but its own."""
    return Question("query", without(where, dimension), ("net_contributions",), (dimension,))


# The whole portfolio by risk tier: the filters only decide which tiers are highlighted.
RISK_BREAKDOWN = Question("query", (), ("total_balance", "accounts"), ("risk_tolerance",))


ACTIVITY_METRICS = ("transaction_volume", "repayment_volume")


def activity(where: data.Where) -> Question:
    """Transactions and repayments per month (`where` may hold the activity months: an activity_date range)."""
    return Question("query", where, ACTIVITY_METRICS, ("activity_date",))


def deciles(where: data.Where) -> Question:
    return Question("deciles", where)


def lorenz(where: data.Where) -> Question:
    return Question("lorenz", where)


def headline_row(where: data.Where = ()) -> pd.Series:
    """The headline numbers as the sections read them: one row."""
    return headline(where).answer().iloc[0]


# The sections that ask each question: the banner, overview and concentration cards; the two contributions charts
# (components/contributions.py); the risk charts (risk.py); the activity chart (activity.py); the decile chart and
# table; the Lorenz curve (concentration.py).
def filter_change(where: data.Where) -> list[Question]:
    """Every question the page asks when the filters become `where`, in the order its sections ask them."""
    return [headline(where), net_contributions("account_type", where), net_contributions("region", where),
            RISK_BREAKDOWN, activity(where), deciles(where), lorenz(where)]
