"""Intermediate: one row per account with every slicing attribute and row-level ratio."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

AGE_BANDS = ("18-29", "30-44", "45-59", "60+")


def age_band(age: ir.IntegerValue) -> ir.StringValue:
    return ibis.cases((age < 30, AGE_BANDS[0]), (age < 45, AGE_BANDS[1]), (age < 60, AGE_BANDS[2]), else_=AGE_BANDS[3])


def ratio_or_null(numerator: ir.NumericValue, denominator: ir.NumericValue) -> ir.FloatingValue:
    """numerator / denominator, null when the denominator is 0 (never inf): the row ratios here, and the
    catalog's ratios of sums (semantic/catalog.py)."""
    return ibis.ifelse(denominator == 0, ibis.null("float64"), numerator / denominator)


def int_customer_account_metrics(
    fct_customer_account_snapshot: ir.Table, dim_customer: ir.Table, dim_account: ir.Table
) -> ir.Table:
    joined = fct_customer_account_snapshot.join(dim_customer, "customer_id").join(dim_account, "account_id")
    return joined.mutate(
        age_band=age_band(joined.age),
        net_flow=joined.deposits - joined.withdrawals,
        loan_to_income=ratio_or_null(joined.loan_amount, joined.income_level),
        loan_to_balance=ratio_or_null(joined.loan_amount, joined.balance),
        investment_to_balance=ratio_or_null(joined.investments, joined.balance),
    )
