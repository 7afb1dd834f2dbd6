"""Rollups: the published detail summed per cell of the dashboard's filters, so a filtered card or chart
reads a few thousand rows instead of every account or observation.

They hold sums only (`Sum` in semantic/catalog.py), and the layer (semantic/query.py) reads them only when
a request's metrics are all made of sums and it slices and filters by these dimensions alone: then the
sum over cells is the sum over rows, and the answer is the one the detail gives (a NULL key, in a warehouse
built elsewhere, is a cell of its own, as it is a group of the detail).
"""

from __future__ import annotations

import ibis.expr.types as ir

from semantic.catalog import METRICS, ROLLUP_DIMENSIONS, AccountMetric, ActivityMetric


def _sums(kind: type) -> dict:
    """Every sum the metrics of a kind (AccountMetric, ActivityMetric) read, once per rollup column."""
    return {s.column: s for m in METRICS.values() if isinstance(m, kind) for s in m.sums}


def agg_accounts_by_segment(int_customer_account_metrics: ir.Table) -> ir.Table:
    """Account sums per filter combination (accounts, balances, loans, flows, rate x weight)."""
    accounts = int_customer_account_metrics
    return accounts.group_by(list(ROLLUP_DIMENSIONS)).aggregate(
        **{column: s.over_rows(accounts) for column, s in _sums(AccountMetric).items()})


def agg_activity_by_month(fct_account_activity: ir.Table, int_customer_account_metrics: ir.Table) -> ir.Table:
    """Activity sums per month and filter combination, with the observations behind them."""
    accounts = int_customer_account_metrics.select("account_id", *ROLLUP_DIMENSIONS)
    rows = fct_account_activity.join(accounts, "account_id")
    return rows.group_by(activity_date=rows.activity_date.truncate("M"), **{d: rows[d] for d in ROLLUP_DIMENSIONS}
                         ).aggregate(observations=rows.count(),
                                     **{column: s.over_rows(rows) for column, s in _sums(ActivityMetric).items()})
