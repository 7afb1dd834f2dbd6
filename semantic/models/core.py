"""Core star schema: two dimensions and two facts, each at one declared grain."""

from __future__ import annotations

import ibis.expr.types as ir

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
    return stg_fintech_data.select("customer_id", *CUSTOMER_ATTRIBUTES).distinct().order_by("customer_id")


def dim_account(stg_fintech_data: ir.Table) -> ir.Table:
    """One row per account (account_id is unique in the extract)."""
    return stg_fintech_data.select("account_id", *ACCOUNT_ATTRIBUTES).order_by("account_id")


def fct_customer_account_snapshot(stg_fintech_data: ir.Table) -> ir.Table:
    """One row per (customer_id, account_id): balances, flows and the loan application."""
    return stg_fintech_data.select("customer_id", "account_id", *SNAPSHOT_MEASURES).order_by("account_id")


def fct_account_activity(stg_fintech_data: ir.Table) -> ir.Table:
    """One row per (account_id, activity_date), from the three parallel list columns.

    Unnests the dates with their position and picks the other two lists at
    that position (the contract makes the three lists equally long). Not a
    zip of the three: PostgreSQL and Spark have no compiled array zip in Ibis.
    """
    dated = stg_fintech_data.unnest("ts_dates", offset="position")
    return dated.select(
        "account_id",
        activity_date=dated.ts_dates,
        transaction_amount=dated.ts_transactions[dated.position],
        repayment_amount=dated.ts_repayments[dated.position],
    )
