"""KPI tables: small published summaries, each asked of the metric catalog.

No formula here: every number is a catalog metric (semantic/catalog.py) or a
distribution table (semantic/distribution.py), renamed to the KPI's column.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from semantic import distribution
from semantic.catalog import balance_summary
from semantic.models.raw import RISK_TOLERANCES
from semantic.query import ACCOUNTS_TABLE, Request, compile_request


def _metrics(accounts: ir.Table, columns: dict[str, str], by: tuple[str, ...] = ()) -> ir.Table:
    """The catalog metrics `columns` (KPI column -> metric) over `accounts`, grouped by `by`."""
    result = compile_request({ACCOUNTS_TABLE: accounts}, Request.of(list(columns.values()), by=by))
    return result.select(*by, **{column: result[metric] for column, metric in columns.items()})


def _in_risk_order(table: ir.Table) -> ir.Table:
    order = ibis.cases(*[(table.risk_tolerance == tier, i) for i, tier in enumerate(RISK_TOLERANCES)], else_=99)
    return table.order_by([order, "risk_tolerance"])


def kpi_balance_deciles(int_customer_account_metrics: ir.Table) -> ir.Table:
    """Accounts cut into NTILE(10) by balance, richest first: decile 1 holds the top 10%."""
    return distribution.deciles(balance_summary(int_customer_account_metrics))


def kpi_wealth_concentration(int_customer_account_metrics: ir.Table) -> ir.Table:
    """One row: how much of all balances the richest decile holds, and the Gini coefficient."""
    return _metrics(int_customer_account_metrics, {
        "total_balance": "total_balance",
        "top_10_balance": "top_10_balance",
        "top_10_share": "top_10_share",
        "gini": "gini",
    })


def kpi_portfolio_by_risk_tolerance(int_customer_account_metrics: ir.Table) -> ir.Table:
    return _in_risk_order(_metrics(int_customer_account_metrics, {
        "accounts": "accounts",
        "total_balance": "total_balance",
        "avg_balance": "avg_balance",
        "total_loan_amount": "credit_exposure",
        "avg_net_flow": "avg_net_contribution",
        # Weighted by loan amount: the rate a lender earns on the book (not balance-weighted).
        "weighted_avg_interest_rate": "loan_weighted_rate",
    }, by=("risk_tolerance",)))


def kpi_leverage_by_risk_tolerance(int_customer_account_metrics: ir.Table) -> ir.Table:
    """Leverage quartiles over the whole portfolio (equal ratios in account_id order, as the catalog's
    leverage_quartile), then how each risk tier falls into them."""
    return _in_risk_order(_metrics(int_customer_account_metrics, {
        "accounts": "accounts",
        "avg_income": "avg_income",
        "avg_loan_amount": "avg_loan_amount",
        "avg_loan_to_income": "avg_loan_to_income",
        "pct_top_quartile_leverage": "top_leverage_quartile_share",
    }, by=("risk_tolerance",)))


def kpi_lorenz_curve(int_customer_account_metrics: ir.Table) -> ir.Table:
    return distribution.lorenz_curve(balance_summary(int_customer_account_metrics))
