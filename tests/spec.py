"""What the spec lists, written here and not read from the code under test: a table, metric or dimension the
code stops providing fails a test instead of silently shrinking it (shared/spec/models-and-metrics.md, README)."""

# The spec's eleven tables and the two rollups the dashboard reads, in build order.
MODEL_TABLES = (
    "stg_fintech_data", "dim_customer", "dim_account", "fct_customer_account_snapshot", "fct_account_activity",
    "int_customer_account_metrics", "agg_accounts_by_segment", "agg_activity_by_month", "kpi_balance_deciles",
    "kpi_wealth_concentration", "kpi_portfolio_by_risk_tolerance", "kpi_leverage_by_risk_tolerance",
    "kpi_lorenz_curve",
)
# The build marker every published warehouse holds (a build replaces only a warehouse of this product).
MARKER_TABLE = "fintech_build"
PUBLISHED_TABLES = frozenset({*MODEL_TABLES, MARKER_TABLE})

# Every metric and the grain it is measured at.
METRIC_GRAINS = {
    "accounts": "account", "customers": "customer", "total_balance": "account", "avg_balance": "account",
    "credit_exposure": "account", "approved_credit_exposure": "account", "pending_credit_exposure": "account",
    "rejected_credit_exposure": "account", "avg_loan_amount": "account", "balance_weighted_rate": "account",
    "loan_weighted_rate": "account", "net_contributions": "account", "avg_net_contribution": "account",
    "avg_income": "customer", "avg_loan_to_income": "account", "top_leverage_quartile_share": "account",
    "top_10_balance": "distribution", "top_10_share": "distribution", "gini": "distribution",
    "transaction_volume": "activity", "repayment_volume": "activity", "active_accounts": "activity",
}
ACTIVITY_METRICS = [name for name, grain in METRIC_GRAINS.items() if grain == "activity"]
SNAPSHOT_METRICS = [name for name, grain in METRIC_GRAINS.items() if grain != "activity"]

# Every dimension, by kind.
CATEGORY_DIMENSIONS = ["risk_tolerance", "region", "account_type", "loan_status", "loan_purpose", "sector",
                       "education_level", "employment_status", "age_band"]
NUMBER_DIMENSIONS = ["age", "income_level", "balance", "loan_amount", "interest_rate"]
DERIVED_DIMENSIONS = ["balance_decile", "leverage_quartile"]
TIME_DIMENSIONS = ["activity_date"]
ACCOUNT_DIMENSIONS = CATEGORY_DIMENSIONS + NUMBER_DIMENSIONS + DERIVED_DIMENSIONS

# The metrics made of sums, which a rollup holding their sums answers: by hand, from their definitions.
ACCOUNT_ROLLUP_METRICS = {
    "accounts", "total_balance", "avg_balance", "credit_exposure", "approved_credit_exposure",
    "pending_credit_exposure", "rejected_credit_exposure", "avg_loan_amount", "balance_weighted_rate",
    "loan_weighted_rate", "net_contributions", "avg_net_contribution",
}
ACTIVITY_ROLLUP_METRICS = {"transaction_volume", "repayment_volume"}
