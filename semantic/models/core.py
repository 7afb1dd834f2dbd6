"""Core star schema: two dimensions and two facts, each at one declared grain.

No model here sorts its rows: no reader depends on their order, and sorting
10M rows cost ~3 s of the build (order what you read: `order_by`).
"""

from __future__ import annotations

import ibis.expr.types as ir

from semantic.models import lists

# Customer-grain attributes. employment_status comes from the loan application
# but describes the customer, so it lives here (models-and-metrics.md).
CUSTOMER_ATTRIBUTES = (
    "age", "occupation", "risk_tolerance", "investment_goals", "education_level",
    "marital_status", "dependents", "region", "sector", "income_level",
    "employment_history", "employment_status", "financial_history",
)
ACCOUNT_ATTRIBUTES = ("account_type", "transaction_threshold")
SNAPSHOT_MEASURES = (
    "balance", "deposits", "withdrawals", "transfers", "international_transfers",
    "investments", "loan_amount", "interest_rate", "loan_purpose", "loan_term",
    "loan_status", "transaction_description",
)


def dim_customer(stg_fintech_data: ir.Table) -> ir.Table:
    """One row per customer: the extract repeats customer columns on each of a customer's accounts."""
    return stg_fintech_data.select("customer_id", *CUSTOMER_ATTRIBUTES).distinct()


def dim_account(stg_fintech_data: ir.Table) -> ir.Table:
    """One row per account (account_id is unique in the extract)."""
    return stg_fintech_data.select("account_id", *ACCOUNT_ATTRIBUTES)


def fct_customer_account_snapshot(stg_fintech_data: ir.Table) -> ir.Table:
    """One row per (customer_id, account_id): balances, flows and the loan application."""
    return stg_fintech_data.select("customer_id", "account_id", *SNAPSHOT_MEASURES)


def fct_account_activity(stg_fintech_data: ir.Table) -> ir.Table:
    """One row per (account_id, activity_date), from the three parallel list columns.

    Each account is crossed with the positions 0..23 and keeps those within its
    list of dates; the other two lists are read at the same position (the
    contract makes the three equally long). Plain joins and indexing: no array
    zip or unnest, which PostgreSQL, DataFusion or SQLite lack in Ibis.
    """
    stg = stg_fintech_data.select("account_id", "ts_dates", "ts_transactions", "ts_repayments")
    at = stg.cross_join(lists.positions())
    at = at.filter(at.position < lists.length(at.ts_dates))
    return at.select(
        "account_id",
        activity_date=lists.element(at.ts_dates, at.position, "date"),
        transaction_amount=lists.element(at.ts_transactions, at.position, "float64"),
        repayment_amount=lists.element(at.ts_repayments, at.position, "float64"),
    )
