"""Intermediate: one row per account with every slicing attribute and row-level ratio; monthly activity rolled up."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

AGE_BANDS = ("18-29", "30-44", "45-59", "60+")


def age_band(age: ir.IntegerValue) -> ir.StringValue:
    return ibis.cases((age < 30, AGE_BANDS[0]), (age < 45, AGE_BANDS[1]), (age < 60, AGE_BANDS[2]), else_=AGE_BANDS[3])


def ratio_or_null(numerator: ir.NumericValue, denominator: ir.NumericValue) -> ir.FloatingValue:
    """numerator / denominator, null when the denominator is 0 (never inf)."""
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


# The dashboard's filters: the activity rollup keeps them, so a filtered activity chart reads a few
# thousand rows instead of every observation (semantic/query.py uses it when a request allows).
ROLLUP_DIMENSIONS = ("region", "risk_tolerance", "account_type")


def agg_activity_by_month(fct_account_activity: ir.Table, int_customer_account_metrics: ir.Table) -> ir.Table:
    """Activity sums per month and filter combination: same column names as the fact, so the catalog's
    additive measures (sums) read it unchanged; a sum of these sums is the sum of the observations."""
    accounts = int_customer_account_metrics.select("account_id", *ROLLUP_DIMENSIONS)
    rows = fct_account_activity.join(accounts, "account_id")
    return rows.group_by(activity_date=rows.activity_date.truncate("M"), **{d: rows[d] for d in ROLLUP_DIMENSIONS}
                         ).aggregate(transaction_amount=rows.transaction_amount.sum(),
                                     repayment_amount=rows.repayment_amount.sum(),
                                     observations=rows.count())
