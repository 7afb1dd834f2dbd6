"""The suites' definitions (expectations/suites.py): what every suite must hold, whatever its data."""

from __future__ import annotations

# ---- the suites: an accepted-value check counts NULLs as failures -------------------------------

STAGING_REQUIRED = [  # every staging column but transaction_description (models-and-metrics.md)
    "customer_id", "age", "occupation", "risk_tolerance", "investment_goals", "education_level", "marital_status",
    "dependents", "region", "financial_history", "sector", "income_level", "employment_history", "account_id",
    "balance", "deposits", "withdrawals", "transfers", "international_transfers", "investments", "account_type",
    "transaction_threshold", "loan_amount", "loan_purpose", "employment_status", "loan_term", "interest_rate",
    "loan_status", "ts_dates", "ts_transactions", "ts_repayments",
]


def test_every_in_set_expectation_comes_with_not_null_and_staging_requires_every_column():
    from expectations.suites import STAGING, SUITES

    for suite in SUITES:
        for target in suite.targets:
            not_null = {e.column for e in target.expectations
                        if e.expectation_type == "expect_column_values_to_not_be_null"}
            in_set = {e.column for e in target.expectations
                      if e.expectation_type == "expect_column_values_to_be_in_set"}
            assert in_set <= not_null, (suite.name, target.name, in_set - not_null)
    staging = next(t for t in STAGING.targets if t.name == "stg_fintech_data")
    not_null = {e.column for e in staging.expectations if e.expectation_type == "expect_column_values_to_not_be_null"}
    assert set(STAGING_REQUIRED) <= not_null
