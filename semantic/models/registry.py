"""The build order of the warehouse's models.

Each model is a function of Ibis tables returning an Ibis table; its name is
the table it produces and its parameters name the tables it reads
(`raw_fintech_data` is the loaded extract). `MODELS` is the build order.
"""

from semantic.models.core import dim_account, dim_customer, fct_account_activity, fct_customer_account_snapshot
from semantic.models.intermediate import int_customer_account_metrics
from semantic.models.kpis import (
    kpi_balance_deciles,
    kpi_leverage_by_risk_tolerance,
    kpi_lorenz_curve,
    kpi_portfolio_by_risk_tolerance,
    kpi_wealth_concentration,
)
from semantic.models.rollups import agg_accounts_by_segment, agg_activity_by_month
from semantic.models.staging import stg_fintech_data

RAW_TABLE = "raw_fintech_data"

MODELS = (
    stg_fintech_data,
    dim_customer,
    dim_account,
    fct_customer_account_snapshot,
    fct_account_activity,
    int_customer_account_metrics,
    agg_accounts_by_segment,
    agg_activity_by_month,
    kpi_balance_deciles,
    kpi_wealth_concentration,
    kpi_portfolio_by_risk_tolerance,
    kpi_leverage_by_risk_tolerance,
    kpi_lorenz_curve,
)

__all__ = ["MODELS", "RAW_TABLE"] + [m.__name__ for m in MODELS]
