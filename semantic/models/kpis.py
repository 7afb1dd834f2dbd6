"""KPI tables: small, published summaries of the account-level metrics."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from semantic.distribution import gini, lorenz_curve, ntile
from semantic.models.raw import RISK_TOLERANCES


def _in_risk_order(table: ir.Table) -> ir.Table:
    order = ibis.cases(*[(table.risk_tolerance == tier, i) for i, tier in enumerate(RISK_TOLERANCES)], else_=99)
    return table.order_by([order, "risk_tolerance"])


def kpi_balance_deciles(int_customer_account_metrics: ir.Table) -> ir.Table:
    """Accounts cut into NTILE(10) by balance, richest first: decile 1 holds the top 10%."""
    t = int_customer_account_metrics
    tiled = t.mutate(balance_decile=ntile(10, ibis.desc("balance")))
    return (
        tiled.group_by("balance_decile")
        .aggregate(
            accounts=tiled.count(),
            min_balance=tiled.balance.min(),
            avg_balance=tiled.balance.mean(),
            max_balance=tiled.balance.max(),
            total_balance=tiled.balance.sum(),
        )
        .order_by("balance_decile")
    )


def kpi_wealth_concentration(int_customer_account_metrics: ir.Table, kpi_balance_deciles: ir.Table) -> ir.Table:
    """One row: how much of all balances the richest decile holds, and the Gini coefficient."""
    deciles = kpi_balance_deciles
    totals = deciles.aggregate(
        total_balance=deciles.total_balance.sum(),
        top_10_balance=deciles.total_balance.sum(where=deciles.balance_decile == 1),
    )
    joined = totals.cross_join(gini(int_customer_account_metrics, "balance"))
    return joined.select(
        "total_balance",
        "top_10_balance",
        top_10_share=ibis.ifelse(
            joined.total_balance == 0, ibis.null("float64"), joined.top_10_balance / joined.total_balance
        ),
        gini=joined.gini,
    )


def kpi_portfolio_by_risk_tolerance(int_customer_account_metrics: ir.Table) -> ir.Table:
    t = int_customer_account_metrics
    per_tier = t.group_by("risk_tolerance").aggregate(
        accounts=t.count(),
        total_balance=t.balance.sum(),
        avg_balance=t.balance.mean(),
        total_loan_amount=t.loan_amount.sum(),
        avg_net_flow=t.net_flow.mean(),
        # Weighted by loan amount: the rate a lender earns on the book (not balance-weighted).
        weighted_avg_interest_rate=(t.loan_amount * t.interest_rate).sum() / t.loan_amount.sum(),
    )
    return _in_risk_order(per_tier)


def kpi_leverage_by_risk_tolerance(int_customer_account_metrics: ir.Table) -> ir.Table:
    """Leverage quartiles over the whole portfolio, then how each risk tier falls into them."""
    t = int_customer_account_metrics
    # Accounts without a loan-to-income (income 0) are not ranked: they would take places in the last tile.
    ranked = t.filter(t.loan_to_income.notnull())
    ranked = ranked.mutate(leverage_quartile=ntile(4, ranked.loan_to_income))
    top_quartile = ranked.group_by("risk_tolerance").aggregate(
        _top_quartile_accounts=ranked.count(where=ranked.leverage_quartile == 4)
    )
    # Income is a customer attribute: each customer counts once, however many accounts it holds.
    customers = t.select("risk_tolerance", "customer_id", "income_level").distinct()
    income = customers.group_by("risk_tolerance").aggregate(avg_income=customers.income_level.mean())
    accounts = t.group_by("risk_tolerance").aggregate(
        accounts=t.count(),
        avg_loan_amount=t.loan_amount.mean(),
        avg_loan_to_income=t.loan_to_income.mean(),
    )
    joined = accounts.join(income, "risk_tolerance").left_join(top_quartile, "risk_tolerance")
    per_tier = joined.select(
        "risk_tolerance",
        "accounts",
        "avg_income",
        "avg_loan_amount",
        "avg_loan_to_income",
        pct_top_quartile_leverage=joined._top_quartile_accounts.fill_null(0) / joined.accounts,
    )
    return _in_risk_order(per_tier)


def kpi_lorenz_curve(int_customer_account_metrics: ir.Table) -> ir.Table:
    return lorenz_curve(int_customer_account_metrics, "balance", points=1001)
