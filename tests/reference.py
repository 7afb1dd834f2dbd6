"""An independent reference: every published table computed from the raw CSV in plain pandas/numpy.

Written from the spec (shared/spec/models-and-metrics.md), not from the code
under test: lists are parsed with `ast.literal_eval`, tiles are cut by
counting (equal values in account_id order, as the catalog states), the Gini
coefficient comes from the Lorenz curve's trapezoids (the code uses the
rank-weighted sum), and nothing here imports `semantic`. Groups keep NULL keys
(`dropna=False`): a NULL region is a group like any other; ratios over a zero
denominator are NaN, never inf.
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
ACTIVITY_METRICS = ("transaction_volume", "repayment_volume", "active_accounts")


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


LOAN_STATUSES = ("approved", "pending", "rejected")
CREDIT_PARTS = {f"{status}_credit_exposure": status for status in LOAN_STATUSES}  # metric -> loan status


def loans_with_status(accounts: pd.DataFrame, status: str) -> pd.Series:
    """Each account's loan amount when its application has this status, else 0 (a missing status: 0)."""
    return accounts.loan_amount.where(accounts.loan_status == status, 0.0)


def agg_accounts_by_segment(m: pd.DataFrame) -> pd.DataFrame:
    t = m.assign(interest_rate_x_balance=m.interest_rate * m.balance,
                 interest_rate_x_loan_amount=m.interest_rate * m.loan_amount,
                 **{f"{status}_loan_amount": loans_with_status(m, status) for status in LOAN_STATUSES})
    return t.groupby(["region", "risk_tolerance", "account_type"], as_index=False, dropna=False).agg(
        accounts=("account_id", "size"), balance=("balance", "sum"), loan_amount=("loan_amount", "sum"),
        **{f"{status}_loan_amount": (f"{status}_loan_amount", "sum") for status in LOAN_STATUSES},
        interest_rate_x_balance=("interest_rate_x_balance", "sum"), net_flow=("net_flow", "sum"),
        interest_rate_x_loan_amount=("interest_rate_x_loan_amount", "sum"))


def agg_activity_by_month(stg: pd.DataFrame, m: pd.DataFrame) -> pd.DataFrame:
    dims = ["region", "risk_tolerance", "account_type"]
    a = fct_account_activity(stg).merge(m[["account_id", *dims]], on="account_id")
    a["activity_date"] = a.activity_date.dt.to_period("M").dt.start_time
    return a.groupby(["activity_date", *dims], as_index=False, dropna=False).agg(
        transaction_amount=("transaction_amount", "sum"), repayment_amount=("repayment_amount", "sum"),
        observations=("account_id", "size"))


def ntile(sorted_count: int, tiles: int) -> np.ndarray:
    """Tile numbers 1..tiles for rows already sorted, the way SQL NTILE does: larger tiles first."""
    base, extra = divmod(sorted_count, tiles)
    sizes = [base + (1 if i < extra else 0) for i in range(tiles)]
    return np.repeat(np.arange(1, tiles + 1), sizes)


def tiles(frame: pd.DataFrame, column: str, count: int, descending: bool = False) -> pd.Series:
    """NTILE(count) of each row by `column`, equal values in account_id order; NaN where `column` is null
    (not ranked: the other rows' tiles are cut as if those rows were absent)."""
    ranked = frame[frame[column].notna()]
    values = ranked[column].to_numpy(float)
    order = np.lexsort((ranked.account_id.to_numpy(), -values if descending else values))  # last key first
    out = pd.Series(np.nan, index=frame.index)
    out.loc[ranked.index[order]] = ntile(len(ranked), count)
    return out


def kpi_balance_deciles(m: pd.DataFrame) -> pd.DataFrame:
    ordered = with_balance_decile(m)
    out = ordered.groupby("balance_decile").balance.agg(
        accounts="count", min_balance="min", avg_balance="mean", max_balance="max", total_balance="sum"
    )
    return out.reset_index().astype({"balance_decile": int})


def lorenz_points(balances: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(0, 0), then (i / n, cumulative share); the shares are NaN when the balances total 0 (undefined)."""
    x = np.sort(np.asarray(balances, dtype=float))
    running = np.concatenate([[0.0], np.cumsum(x)])
    cumulative = running / x.sum() if x.sum() else np.concatenate([[0.0], np.full(len(x), np.nan)])
    population = np.arange(len(x) + 1) / len(x)
    return population, cumulative


def gini_by_trapezoids(balances) -> float:
    """NaN for no balances or a zero total (the spec)."""
    if not len(balances) or not np.sum(balances):
        return np.nan
    population, cumulative = lorenz_points(balances)
    area = np.sum((cumulative[1:] + cumulative[:-1]) / 2 * np.diff(population))
    return 1 - 2 * area


def kpi_wealth_concentration(m: pd.DataFrame) -> pd.DataFrame:
    deciles = kpi_balance_deciles(m)
    total = m.balance.sum()
    top = deciles.loc[deciles.balance_decile == 1, "total_balance"].iloc[0]
    return pd.DataFrame({"total_balance": [total], "top_10_balance": [top], "top_10_share": [_ratio(top, total)],
                         "gini": [gini_by_trapezoids(m.balance)]})


def kpi_portfolio_by_risk_tolerance(m: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for tier, g in m.groupby("risk_tolerance", dropna=False):
        rows.append({
            "risk_tolerance": tier, "accounts": len(g), "total_balance": g.balance.sum(),
            "avg_balance": g.balance.mean(), "total_loan_amount": g.loan_amount.sum(),
            "avg_net_flow": g.net_flow.mean(),
            "weighted_avg_interest_rate": _ratio((g.loan_amount * g.interest_rate).sum(), g.loan_amount.sum()),
        })
    return _risk_ordered(pd.DataFrame(rows))


def kpi_leverage_by_risk_tolerance(m: pd.DataFrame) -> pd.DataFrame:
    ranked = with_leverage_quartile(m)
    rows = []
    for tier, g in ranked.groupby("risk_tolerance", dropna=False):
        customers = g.drop_duplicates("customer_id")
        rows.append({
            "risk_tolerance": tier, "accounts": len(g), "avg_income": customers.income_level.mean(),
            "avg_loan_amount": g.loan_amount.mean(), "avg_loan_to_income": g.loan_to_income.mean(),
            "pct_top_quartile_leverage": (g.leverage_quartile == 4).sum() / len(g),
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
    return tables_from_staging(staging(csv_path))


def tables_from_staging(stg: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Every published table from a staging table (the CSV's, or one edited to hold NULLs, ties, zeros)."""
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

DERIVED_DIMENSIONS = ("balance_decile", "leverage_quartile")
# The values the specs fix (data-contract.md, models-and-metrics.md): a selection naming all of them filters nothing
FIXED_VALUES = {
    "risk_tolerance": RISK_ORDER,
    "account_type": ["checking", "savings", "credit", "investment"],
    "loan_status": ["approved", "pending", "rejected"],
    "age_band": ["18-29", "30-44", "45-59", "60+"],
}


def _top_tile_total(balances: pd.Series) -> float:
    """What tile 1 of NTILE(10) holds: the ceil(n / 10) largest balances (equal ones are interchangeable)."""
    ordered = np.sort(balances.to_numpy(float))[::-1]
    return ordered[ntile(len(ordered), 10) == 1].sum()


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else np.nan


def _sum(values: pd.Series) -> float:
    """SQL's SUM: NaN over no rows."""
    return values.sum() if len(values) else np.nan


def metric_value(name: str, g: pd.DataFrame, activity: pd.DataFrame | None = None, grouped: bool = False) -> float:
    """One metric over the accounts `g` (a group of the filtered population, with its derived dimensions);
    activity metrics over `activity`, the observations (date-filtered) of those accounts (`_activity_of`)."""
    if name == "accounts":
        return len(g)
    if name == "customers":
        return g.customer_id.nunique()
    if name == "total_balance":
        return _sum(g.balance)
    if name == "avg_balance":
        return _ratio(g.balance.sum(), len(g))
    if name == "credit_exposure":
        return _sum(g.loan_amount)
    if name in CREDIT_PARTS:
        return _sum(loans_with_status(g, CREDIT_PARTS[name]))
    if name == "avg_loan_amount":
        return _ratio(g.loan_amount.sum(), len(g))
    if name == "balance_weighted_rate":
        return _ratio((g.interest_rate * g.balance).sum(), g.balance.sum())
    if name == "loan_weighted_rate":
        return _ratio((g.interest_rate * g.loan_amount).sum(), g.loan_amount.sum())
    if name == "net_contributions":
        return _sum(g.deposits - g.withdrawals)
    if name == "avg_net_contribution":
        return _ratio((g.deposits - g.withdrawals).sum(), len(g))
    if name == "avg_income":
        return g.drop_duplicates("customer_id").income_level.mean()
    if name == "avg_loan_to_income":
        return (g.loan_amount / g.income_level).where(g.income_level != 0).mean()
    if name == "top_leverage_quartile_share":
        return _ratio((g.leverage_quartile == 4).sum(), len(g))
    if name == "top_10_balance":
        return _top_tile_total(g.balance) if len(g) else np.nan
    if name == "top_10_share":
        return _ratio(_top_tile_total(g.balance), g.balance.sum())
    if name == "gini":
        return gini_by_trapezoids(g.balance.to_numpy(float))
    if name in ACTIVITY_METRICS:
        return _activity_value(name, activity, grouped)
    raise KeyError(name)


def _activity_of(accounts: pd.DataFrame, activity: pd.DataFrame | None, names) -> pd.DataFrame | None:
    """The observations of these accounts, when activity metrics are asked."""
    if activity is None or not set(names) & set(ACTIVITY_METRICS):
        return None
    return activity[activity.account_id.isin(accounts.account_id)]


def _activity_value(name: str, rows: pd.DataFrame, grouped: bool) -> float:
    if not len(rows):  # a group without activity: null beside the other metrics; ungrouped, a count of 0
        return 0 if name == "active_accounts" and not grouped else np.nan
    if name == "transaction_volume":
        return rows.transaction_amount.sum()
    if name == "repayment_volume":
        return rows.repayment_amount.sum()
    return rows.account_id.nunique()


def filtered(frame: pd.DataFrame, where: dict) -> pd.DataFrame:
    """Ranges inclusive (None: open); a value or a list; an empty list, or one with every fixed value,
    filters nothing."""
    for name, selection in where.items():
        if isinstance(selection, tuple):
            low, high = selection
            keep = frame[name].notna()
            keep &= True if low is None else frame[name] >= low
            keep &= True if high is None else frame[name] <= high
            frame = frame[keep]
        else:
            values = selection if isinstance(selection, list) else [selection]
            if values and not set(FIXED_VALUES.get(name, [object()])) <= set(values):
                frame = frame[frame[name].isin(values)]
    return frame


def with_balance_decile(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(balance_decile=tiles(frame, "balance", 10, descending=True))


def with_leverage_quartile(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(leverage_quartile=tiles(frame, "loan_to_income", 4))


def population(accounts: pd.DataFrame, where: dict | None = None) -> pd.DataFrame:
    """The accounts passing `where`: the derived dimensions are cut over the accounts passing the other
    filters (the spec: "computed over the filtered population"), then filtered on themselves."""
    where = {n: v for n, v in (where or {}).items() if n != "activity_date"}  # a filter of the activity only
    ordinary = {n: v for n, v in where.items() if n not in DERIVED_DIMENSIONS}
    ranked = with_leverage_quartile(with_balance_decile(filtered(accounts, ordinary)))
    return filtered(ranked, {n: v for n, v in where.items() if n in DERIVED_DIMENSIONS})


def activity_in(stg: pd.DataFrame, where: dict | None = None) -> pd.DataFrame:
    """Every activity observation the filter's activity_date keeps (a range, a date or a list of dates)."""
    activity = fct_account_activity(stg)
    dates = (where or {}).get("activity_date")
    if dates is None or isinstance(dates, list) and not dates:
        return activity
    as_time = lambda d: None if d is None else pd.Timestamp(d)  # noqa: E731
    selection = tuple(map(as_time, dates)) if isinstance(dates, tuple) else [
        as_time(d) for d in (dates if isinstance(dates, list) else [dates])]
    return filtered(activity, {"activity_date": selection})


def metrics(accounts: pd.DataFrame, names: list[str], by: list[str] = (), where: dict | None = None,
            activity: pd.DataFrame | None = None) -> pd.DataFrame:
    """The metrics by the account and customer dimensions `by`: one row per group of the filtered accounts,
    NULL keys included (asked alone, activity metrics have the groups with activity). Activity metrics need
    `activity` (`activity_in`)."""
    accounts = population(accounts, where)
    if set(names) <= set(ACTIVITY_METRICS) and by:
        accounts = accounts[accounts.account_id.isin(activity.account_id)]
    if not by:
        rows = _activity_of(accounts, activity, names)
        return pd.DataFrame([{n: metric_value(n, accounts, rows) for n in names}], columns=list(names))
    groups = []
    for key, g in accounts.groupby(list(by), dropna=False):
        rows = _activity_of(g, activity, names)
        groups.append({**dict(zip(by, key)), **{n: metric_value(n, g, rows, grouped=True) for n in names}})
    return pd.DataFrame(groups, columns=[*by, *names])


def activity_metrics(stg: pd.DataFrame, accounts: pd.DataFrame, names: list[str], grain: str,
                     where: dict | None = None, dates: tuple | None = None, by: list[str] = ()) -> pd.DataFrame:
    """The activity metrics by activity_date at `grain` (month, quarter, year), then by the dimensions `by`."""
    where = {**(where or {}), **({"activity_date": dates} if dates else {})}
    accounts = population(accounts, where)[["account_id", *by]]
    activity = activity_in(stg, where).merge(accounts, on="account_id")
    period = {"month": "M", "quarter": "Q", "year": "Y"}[grain]
    activity = activity.assign(activity_date=activity.activity_date.dt.to_period(period).dt.start_time)
    grouped = activity.groupby(["activity_date", *by], dropna=False)
    out = pd.DataFrame({
        "transaction_volume": grouped.transaction_amount.sum(),
        "repayment_volume": grouped.repayment_amount.sum(),
        "active_accounts": grouped.account_id.nunique(),
    }).reset_index()
    return out[["activity_date", *by, *names]]
