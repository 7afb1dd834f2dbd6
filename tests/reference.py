"""An independent reference: every published table computed from the raw CSV in plain pandas/numpy.

Written from the spec (shared/spec/models-and-metrics.md), not from the code
under test: lists are parsed with `ast.literal_eval`, tiles are cut by
counting, the Gini coefficient comes from the Lorenz curve's trapezoids
(the code uses the rank-weighted sum), and nothing here imports `semantic`.
"""

from __future__ import annotations

import ast
from datetime import date

import numpy as np
import pandas as pd

CUSTOMER_COLUMNS = [
    "customer_id", "age", "occupation", "risk_tolerance", "investment_goals", "education_level",
    "marital_status", "dependents", "region", "sector", "income_level", "employment_history",
    "employment_status", "financial_history",
]
SNAPSHOT_COLUMNS = [
    "customer_id", "account_id", "balance", "deposits", "withdrawals", "transfers",
    "international_transfers", "investments", "loan_amount", "interest_rate", "loan_purpose",
    "loan_term", "loan_status", "transaction_description",
]
RISK_ORDER = ["Low", "Medium", "High"]


def staging(csv_path) -> pd.DataFrame:
    raw = pd.read_csv(csv_path, dtype={"Customer Profile.employment_history": str})
    assert (raw["Account Activity.customer_id"] == raw["Customer Profile.customer_id"]).all()
    renamed = raw.rename(columns=lambda c: c.split(".")[-1])
    renamed = renamed.loc[:, ~renamed.columns.duplicated()]  # the redundant customer_id copy
    renamed = renamed.rename(
        columns={"Transaction Description": "transaction_description", "dates": "ts_dates",
                 "transactions": "ts_transactions", "repayments": "ts_repayments"}
    )
    renamed["ts_dates"] = renamed.ts_dates.map(lambda text: [date.fromisoformat(d) for d in ast.literal_eval(text)])
    for column in ("ts_transactions", "ts_repayments"):
        renamed[column] = renamed[column].map(lambda text: [float(x) for x in ast.literal_eval(text)])
    return renamed.drop(columns=["address"])


def dim_customer(stg: pd.DataFrame) -> pd.DataFrame:
    return stg[CUSTOMER_COLUMNS].drop_duplicates().sort_values("customer_id").reset_index(drop=True)


def dim_account(stg: pd.DataFrame) -> pd.DataFrame:
    return stg[["account_id", "account_type", "transaction_threshold"]].sort_values("account_id").reset_index(drop=True)


def fct_customer_account_snapshot(stg: pd.DataFrame) -> pd.DataFrame:
    return stg[SNAPSHOT_COLUMNS].sort_values("account_id").reset_index(drop=True)


def fct_account_activity(stg: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for account_id, dates, transactions, repayments in stg[
        ["account_id", "ts_dates", "ts_transactions", "ts_repayments"]
    ].itertuples(index=False):
        for d, t, r in zip(dates, transactions, repayments, strict=True):
            rows.append((account_id, pd.Timestamp(d), t, r))
    frame = pd.DataFrame(rows, columns=["account_id", "activity_date", "transaction_amount", "repayment_amount"])
    return frame.sort_values(["account_id", "activity_date"]).reset_index(drop=True)


def int_customer_account_metrics(stg: pd.DataFrame) -> pd.DataFrame:
    t = fct_customer_account_snapshot(stg).merge(dim_customer(stg), on="customer_id").merge(
        dim_account(stg), on="account_id")
    t["net_flow"] = t.deposits - t.withdrawals
    t["loan_to_income"] = (t.loan_amount / t.income_level).where(t.income_level != 0)
    t["loan_to_balance"] = (t.loan_amount / t.balance).where(t.balance != 0)
    t["investment_to_balance"] = (t.investments / t.balance).where(t.balance != 0)
    t["age_band"] = pd.cut(t.age, [0, 29, 44, 59, 200], labels=["18-29", "30-44", "45-59", "60+"]).astype(str)
    return t.sort_values("account_id").reset_index(drop=True)


def agg_accounts_by_segment(m: pd.DataFrame) -> pd.DataFrame:
    t = m.assign(interest_rate_x_balance=m.interest_rate * m.balance,
                 interest_rate_x_loan_amount=m.interest_rate * m.loan_amount)
    return t.groupby(["region", "risk_tolerance", "account_type"], as_index=False).agg(
        accounts=("account_id", "size"), balance=("balance", "sum"), loan_amount=("loan_amount", "sum"),
        interest_rate_x_balance=("interest_rate_x_balance", "sum"), net_flow=("net_flow", "sum"),
        interest_rate_x_loan_amount=("interest_rate_x_loan_amount", "sum"))


def agg_activity_by_month(stg: pd.DataFrame, m: pd.DataFrame) -> pd.DataFrame:
    dims = ["region", "risk_tolerance", "account_type"]
    a = fct_account_activity(stg).merge(m[["account_id", *dims]], on="account_id")
    a["activity_date"] = a.activity_date.dt.to_period("M").dt.start_time
    return a.groupby(["activity_date", *dims], as_index=False).agg(
        transaction_amount=("transaction_amount", "sum"), repayment_amount=("repayment_amount", "sum"),
        observations=("account_id", "size"))


def ntile(sorted_count: int, tiles: int) -> np.ndarray:
    """Tile numbers 1..tiles for rows already sorted, the way SQL NTILE does: larger tiles first."""
    base, extra = divmod(sorted_count, tiles)
    sizes = [base + (1 if i < extra else 0) for i in range(tiles)]
    return np.repeat(np.arange(1, tiles + 1), sizes)


def kpi_balance_deciles(m: pd.DataFrame) -> pd.DataFrame:
    ordered = m.sort_values("balance", ascending=False, kind="stable").copy()
    ordered["balance_decile"] = ntile(len(ordered), 10)
    out = ordered.groupby("balance_decile").balance.agg(
        accounts="count", min_balance="min", avg_balance="mean", max_balance="max", total_balance="sum"
    )
    return out.reset_index()


def lorenz_points(balances: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.sort(np.asarray(balances, dtype=float))
    cumulative = np.concatenate([[0.0], np.cumsum(x)]) / x.sum()
    population = np.arange(len(x) + 1) / len(x)
    return population, cumulative


def gini_by_trapezoids(balances) -> float:
    population, cumulative = lorenz_points(balances)
    area = np.sum((cumulative[1:] + cumulative[:-1]) / 2 * np.diff(population))
    return 1 - 2 * area


def kpi_wealth_concentration(m: pd.DataFrame) -> pd.DataFrame:
    deciles = kpi_balance_deciles(m)
    total = m.balance.sum()
    top = deciles.loc[deciles.balance_decile == 1, "total_balance"].iloc[0]
    return pd.DataFrame({"total_balance": [total], "top_10_balance": [top], "top_10_share": [top / total],
                         "gini": [gini_by_trapezoids(m.balance)]})


def kpi_portfolio_by_risk_tolerance(m: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for tier, g in m.groupby("risk_tolerance"):
        rows.append({
            "risk_tolerance": tier, "accounts": len(g), "total_balance": g.balance.sum(),
            "avg_balance": g.balance.mean(), "total_loan_amount": g.loan_amount.sum(),
            "avg_net_flow": g.net_flow.mean(),
            "weighted_avg_interest_rate": (g.loan_amount * g.interest_rate).sum() / g.loan_amount.sum(),
        })
    return _risk_ordered(pd.DataFrame(rows))


def kpi_leverage_by_risk_tolerance(m: pd.DataFrame) -> pd.DataFrame:
    ranked = m.dropna(subset=["loan_to_income"]).sort_values("loan_to_income", kind="stable").copy()
    ranked["quartile"] = ntile(len(ranked), 4)
    rows = []
    for tier, g in m.groupby("risk_tolerance"):
        customers = g.drop_duplicates("customer_id")
        rows.append({
            "risk_tolerance": tier, "accounts": len(g), "avg_income": customers.income_level.mean(),
            "avg_loan_amount": g.loan_amount.mean(), "avg_loan_to_income": g.loan_to_income.mean(),
            "pct_top_quartile_leverage": (ranked[ranked.risk_tolerance == tier].quartile == 4).sum() / len(g),
        })
    return _risk_ordered(pd.DataFrame(rows))


def kpi_lorenz_curve(m: pd.DataFrame, points: int = 1001) -> pd.DataFrame:
    population, cumulative = lorenz_points(m.balance.to_numpy())
    n = len(population) - 1
    steps = points - 1
    if n > steps:
        # exact integer ceil, so that float rounding cannot pick a neighbour
        keep = [0] + [-(-k * n // steps) for k in range(1, steps + 1)]
        population, cumulative = population[keep], cumulative[keep]
    return pd.DataFrame({"population_share": population, "balance_share": cumulative})


def _risk_ordered(frame: pd.DataFrame) -> pd.DataFrame:
    frame["_order"] = frame.risk_tolerance.map({t: i for i, t in enumerate(RISK_ORDER)})
    return frame.sort_values("_order").drop(columns="_order").reset_index(drop=True)


def all_tables(csv_path) -> dict[str, pd.DataFrame]:
    stg = staging(csv_path)
    m = int_customer_account_metrics(stg)
    return {
        "stg_fintech_data": stg.sort_values("account_id").reset_index(drop=True),
        "dim_customer": dim_customer(stg),
        "dim_account": dim_account(stg),
        "fct_customer_account_snapshot": fct_customer_account_snapshot(stg),
        "fct_account_activity": fct_account_activity(stg),
        "int_customer_account_metrics": m,
        "agg_accounts_by_segment": agg_accounts_by_segment(m),
        "agg_activity_by_month": agg_activity_by_month(stg, m),
        "kpi_balance_deciles": kpi_balance_deciles(m),
        "kpi_wealth_concentration": kpi_wealth_concentration(m),
        "kpi_portfolio_by_risk_tolerance": kpi_portfolio_by_risk_tolerance(m),
        "kpi_leverage_by_risk_tolerance": kpi_leverage_by_risk_tolerance(m),
        "kpi_lorenz_curve": kpi_lorenz_curve(m),
    }


# ---- metrics (the semantic layer's catalog), from the spec's definitions -------------------------

def _top_tile(balances: pd.Series) -> pd.Series:
    ordered = balances.sort_values(ascending=False, kind="stable")
    tiles = ntile(len(ordered), 10)
    return ordered[tiles == 1]


def _quartile_4_share(frame: pd.DataFrame, population: pd.DataFrame) -> float:
    ranked = population.dropna(subset=["loan_to_income"]).sort_values("loan_to_income", kind="stable")
    top = set(ranked.account_id[ntile(len(ranked), 4) == 4])
    return frame.account_id.isin(top).sum() / len(frame) if len(frame) else np.nan


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else np.nan


def metric_value(name: str, g: pd.DataFrame, population: pd.DataFrame) -> float:
    """One metric over the accounts `g` (a group of the filtered `population`)."""
    if name == "accounts":
        return len(g)
    if name == "customers":
        return g.customer_id.nunique()
    if name == "total_balance":
        return g.balance.sum() if len(g) else np.nan
    if name == "avg_balance":
        return _ratio(g.balance.sum(), len(g))
    if name == "credit_exposure":
        return g.loan_amount.sum() if len(g) else np.nan
    if name == "avg_loan_amount":
        return _ratio(g.loan_amount.sum(), len(g))
    if name == "balance_weighted_rate":
        return _ratio((g.interest_rate * g.balance).sum(), g.balance.sum())
    if name == "loan_weighted_rate":
        return _ratio((g.interest_rate * g.loan_amount).sum(), g.loan_amount.sum())
    if name == "net_contributions":
        return (g.deposits - g.withdrawals).sum() if len(g) else np.nan
    if name == "avg_net_contribution":
        return _ratio((g.deposits - g.withdrawals).sum(), len(g))
    if name == "avg_income":
        return g.drop_duplicates("customer_id").income_level.mean()
    if name == "avg_loan_to_income":
        return (g.loan_amount / g.income_level).mean()
    if name == "top_leverage_quartile_share":
        return _quartile_4_share(g, population)
    if name == "top_10_balance":
        return _top_tile(g.balance).sum() if len(g) else np.nan
    if name == "top_10_share":
        return _ratio(_top_tile(g.balance).sum(), g.balance.sum())
    if name == "gini":
        return gini_by_trapezoids(g.balance) if len(g) and g.balance.sum() else np.nan
    raise KeyError(name)


def filtered(frame: pd.DataFrame, where: dict) -> pd.DataFrame:
    for name, selection in where.items():
        if isinstance(selection, tuple):
            frame = frame[frame[name].between(*selection)]
        else:
            values = selection if isinstance(selection, list) else [selection]
            if values:
                frame = frame[frame[name].isin(values)]
    return frame


def with_balance_decile(frame: pd.DataFrame) -> pd.DataFrame:
    ordered = frame.sort_values("balance", ascending=False, kind="stable").copy()
    ordered["balance_decile"] = ntile(len(ordered), 10)
    return ordered


def with_leverage_quartile(frame: pd.DataFrame) -> pd.DataFrame:
    ordered = frame.sort_values("loan_to_income", kind="stable").copy()
    ordered["leverage_quartile"] = ntile(len(ordered), 4)
    return ordered


def metrics(accounts: pd.DataFrame, names: list[str], by: list[str] = (), where: dict | None = None) -> pd.DataFrame:
    population = filtered(accounts, where or {})
    if "balance_decile" in by:
        population = with_balance_decile(population)
    if "leverage_quartile" in by:
        population = with_leverage_quartile(population)
    if not by:
        return pd.DataFrame([{n: metric_value(n, population, population) for n in names}])
    rows = [
        {**dict(zip(by, key if isinstance(key, tuple) else (key,))),
         **{n: metric_value(n, g, population) for n in names}}
        for key, g in population.groupby(list(by))
    ]
    return pd.DataFrame(rows, columns=[*by, *names])


def activity_metrics(stg: pd.DataFrame, accounts: pd.DataFrame, names: list[str], grain: str,
                     where: dict | None = None, dates: tuple | None = None) -> pd.DataFrame:
    activity = fct_account_activity(stg)
    activity = activity[activity.account_id.isin(filtered(accounts, where or {}).account_id)]
    if dates:
        activity = activity[activity.activity_date.between(pd.Timestamp(dates[0]), pd.Timestamp(dates[1]))]
    period = {"month": "M", "quarter": "Q", "year": "Y"}[grain]
    activity = activity.assign(activity_date=activity.activity_date.dt.to_period(period).dt.start_time)
    grouped = activity.groupby("activity_date")
    out = pd.DataFrame({
        "transaction_volume": grouped.transaction_amount.sum(),
        "repayment_volume": grouped.repayment_amount.sum(),
        "active_accounts": grouped.account_id.nunique(),
    }).reset_index()
    return out[["activity_date", *names]]
