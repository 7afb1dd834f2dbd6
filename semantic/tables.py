"""Every table `fintech build` writes, in build order: the models, then the summaries asked of the catalog.

Each is a function of Ibis tables returning an Ibis table; its name is the
table it produces and its parameters name the tables it reads
(`raw_fintech_data` is the loaded extract: semantic.models.raw.RAW_TABLE).
"""

from semantic.models.core import dim_account, dim_customer, fct_account_activity, fct_customer_account_snapshot
from semantic.models.intermediate import int_customer_account_metrics
from semantic.models.staging import stg_fintech_data
from semantic.summaries.kpis import (
    kpi_balance_deciles,
    kpi_leverage_by_risk_tolerance,
    kpi_lorenz_curve,
    kpi_portfolio_by_risk_tolerance,
    kpi_wealth_concentration,
)
from semantic.summaries.rollups import agg_accounts_by_segment, agg_activity_by_month

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

__all__ = ["MODELS"] + [m.__name__ for m in MODELS]
