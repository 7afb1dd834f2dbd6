"""NULL keys, ties and zeros: what the CSV contract refuses but a warehouse built elsewhere may hold.

The warehouse here is built by `fintech build` from generated data (customers with several accounts), then
its staging table is edited (NULL region, risk tolerance and product; incomes of 0; many equal balances
and loan-to-income ratios across tile boundaries; zero balances, a region whose balances total 0), stored
in another row order, and every later table rebuilt from it in-process by the models. The same edits
are made to the pandas reference's staging table, and every table and metric must equal the reference:
by every combination of grains, by one and two dimensions, under filters, with the rollups and without.
"""

from __future__ import annotations

import inspect
import itertools
import shutil
from collections.abc import Callable
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd
import pytest

import semantic
from semantic.tables import MODELS
from tests import reference
from tests.compare import assert_frames_close
from tests.conftest import build_warehouse, read_tables, warehouse_url

# The spec's metrics by grain (README "Asking for metrics"): written here, not read from the catalog.
GRAINS = {
    "account": ["accounts", "total_balance", "avg_balance", "credit_exposure", "approved_credit_exposure",
                "pending_credit_exposure", "rejected_credit_exposure", "avg_loan_amount",
                "balance_weighted_rate", "loan_weighted_rate", "net_contributions", "avg_net_contribution",
                "avg_loan_to_income", "top_leverage_quartile_share"],
    "customer": ["customers", "avg_income"],
    "distribution": ["top_10_balance", "top_10_share", "gini"],
    "activity": ["transaction_volume", "repayment_volume", "active_accounts"],
}
# Every combination of grains asked together, one grain alone included.
GRAIN_SETS = [c for n in range(1, len(GRAINS) + 1) for c in itertools.combinations(GRAINS, n)]
ROLLUPS = ("agg_accounts_by_segment", "agg_activity_by_month")
TABLES = ["stg_fintech_data", "dim_customer", "dim_account", "fct_customer_account_snapshot", "fct_account_activity",
          "int_customer_account_metrics", *ROLLUPS, "kpi_balance_deciles", "kpi_wealth_concentration",
          "kpi_portfolio_by_risk_tolerance", "kpi_leverage_by_risk_tolerance", "kpi_lorenz_curve"]


@dataclass(frozen=True)
class Edit:
    """Set `column` to `value` in the staging rows whose `key` (customer_id or account_id) `chosen` picks.

    Customer attributes are edited by customer, so that a customer keeps one row in dim_customer."""
    key: str
    chosen: Callable[[pd.DataFrame], pd.Series]
    column: str
    value: object


EDITS = [
    # NULL keys, customer and account grain, overlapping (NULL region and NULL risk tolerance together)
    Edit("customer_id", lambda s: s.customer_id % 7 == 0, "region", None),
    Edit("customer_id", lambda s: s.customer_id % 11 == 0, "risk_tolerance", None),
    Edit("account_id", lambda s: s.account_id % 13 == 0, "account_type", None),
    # a third of the accounts on one balance (ties across several decile boundaries), a tenth on 0
    Edit("account_id", lambda s: s.account_id % 3 == 0, "balance", 5000.0),
    Edit("account_id", lambda s: s.account_id % 10 == 1, "balance", 0.0),
    # no loan for a quarter of the accounts (tied loan-to-income 0), and a tied ratio of 0.58 across the
    # third quartile's end
    Edit("account_id", lambda s: s.account_id % 4 == 0, "loan_amount", 0.0),
    Edit("customer_id", lambda s: s.customer_id % 3 == 0, "income_level", 100_000.0),
    Edit("account_id", lambda s: (s.account_id % 2 == 1) & (s.customer_id % 3 == 0), "loan_amount", 58_000.0),
    # no loan status (a NULL key): the loan counts in credit_exposure and in none of its parts
    Edit("account_id", lambda s: s.account_id % 19 == 0, "loan_status", None),
    # incomes of 0: no loan-to-income (null, never inf), so a NULL leverage quartile
    Edit("customer_id", lambda s: s.customer_id % 17 == 0, "income_level", 0.0),
    # a region whose balances total 0: its shares, Gini and balance-weighted rate are null
    Edit("customer_id", lambda s: s.region == "Central", "balance", 0.0),
]
ZERO_PORTFOLIO = [*EDITS, Edit("account_id", lambda s: s.account_id > 0, "balance", 0.0)]


def edited(stg: pd.DataFrame, edits: list[Edit]) -> tuple[pd.DataFrame, list[tuple[Edit, list[int]]]]:
    """The reference's staging with `edits` applied in order, and the keys each edit changed."""
    stg, changed = stg.copy(), []
    for edit in edits:
        keys = sorted(stg.loc[edit.chosen(stg), edit.key].unique().tolist())
        stg.loc[stg[edit.key].isin(keys), edit.column] = edit.value
        changed.append((edit, keys))
    return stg, changed


def rebuild(path, changed: list[tuple[Edit, list[int]]], rollups: bool = True) -> None:
    """The warehouse at `path` with the same edits made to its staging, stored in another row order (ties
    ranked by position would land elsewhere), then every later table rebuilt by the models."""
    con = ibis.duckdb.connect(str(path))
    try:
        for edit, keys in changed:
            con.con.execute(f"UPDATE stg_fintech_data SET {edit.column} = $value WHERE {edit.key} IN "
                            "(SELECT UNNEST($keys))", {"value": edit.value, "keys": keys})
        con.raw_sql("CREATE OR REPLACE TABLE stg_fintech_data AS SELECT * FROM stg_fintech_data "
                    "ORDER BY hash(account_id)")
        tables = {"stg_fintech_data": con.table("stg_fintech_data")}
        for model in MODELS[1:]:
            inputs = {name: tables[name] for name in inspect.signature(model).parameters}
            tables[model.__name__] = con.create_table(model.__name__, model(**inputs), overwrite=True)
        for table in [] if rollups else ROLLUPS:
            con.drop_table(table)
    finally:
        con.disconnect()


@pytest.fixture(scope="module")
def built(generate_csv, tmp_path_factory):
    """(csv, a warehouse built from it) of customers with several accounts each."""
    csv = generate_csv(1_206, 11, 2.5)
    return csv, build_warehouse(csv, tmp_path_factory.mktemp("edge_base") / "fintech.duckdb")


def _edited_warehouse(built, tmp_path_factory, edits, rollups=True):
    csv, base = built
    stg, changed = edited(reference.staging(csv), edits)
    path = tmp_path_factory.mktemp("edge") / "fintech.duckdb"
    shutil.copy(base, path)
    rebuild(path, changed, rollups)
    return path, stg


@pytest.fixture(scope="module")
def edge(built, tmp_path_factory):
    """(the layer on the edited warehouse, its reference staging, the reference accounts, every reference table)."""
    path, stg = _edited_warehouse(built, tmp_path_factory, EDITS)
    sl = semantic.connect(warehouse_url(path))
    yield sl, stg, reference.int_customer_account_metrics(stg), reference.tables_from_staging(stg)
    sl.close()


@pytest.fixture(scope="module")
def detail_only(built, tmp_path_factory):
    """The layer on the same warehouse without its rollups: it reads the detail, to the same numbers."""
    path, _ = _edited_warehouse(built, tmp_path_factory, EDITS, rollups=False)
    sl = semantic.connect(warehouse_url(path))
    yield sl
    sl.close()


def test_the_edits_made_null_keys_ties_and_zeros(edge):
    """The data holds what this file is about (a guard against edits that stop doing anything)."""
    sl, _, accounts, _ = edge
    assert accounts.region.isna().any() and accounts.risk_tolerance.isna().any()
    assert accounts.account_type.isna().any() and (accounts.region.isna() & accounts.risk_tolerance.isna()).any()
    ranked = reference.population(accounts)
    assert ranked.groupby("balance").balance_decile.nunique().max() >= 3 and (accounts.balance == 0).mean() > 0.1
    assert ranked.groupby("loan_to_income").leverage_quartile.nunique().max() == 2
    assert accounts[accounts.region == "Central"].balance.sum() == 0
    ratios = sl.con.table("int_customer_account_metrics").loan_to_income.to_pandas()
    assert ratios.isna().sum() == (accounts.income_level == 0).sum() > 0 and not np.isinf(ratios).any()


@pytest.mark.parametrize("table", TABLES)
def test_every_table_equals_the_reference(edge, table):
    """The rollups included: a NULL key in a rollup's cell holds the sums of the detail's NULL group."""
    sl, _, _, expected = edge
    actual = sl.con.table(table).to_pandas()
    assert_frames_close(actual, expected[table][list(actual.columns)])


# NULL keys of a customer attribute, of a derived dimension, of two dimensions at once (with an account one)
BYS = [["region"], ["leverage_quartile"], ["region", "risk_tolerance"], ["balance_decile", "account_type"]]
WHERES = {
    "none": {},
    "rollup_filter": {"account_type": ["savings", "credit"]},
    "range_and_dates": {"age": (30, 59), "activity_date": ("2024-01-01", "2024-09-30")},
}


def assert_every_combination_of_grains(sl, stg, accounts, by, where, grain_sets=GRAIN_SETS):
    """Each set of grains asked together gives every group, NULL ones included, the reference's numbers."""
    activity = reference.activity_in(stg, where)
    everything = [name for names in GRAINS.values() for name in names]
    expected = reference.metrics(accounts, everything, by=by, where=where, activity=activity)
    alone = reference.metrics(accounts, GRAINS["activity"], by=by, where=where, activity=activity)
    for grains in grain_sets:
        names = [name for grain in grains for name in GRAINS[grain]]
        actual = sl.query(names, by=by, where=where)
        assert list(actual.columns) == [*by, *names]
        assert_frames_close(actual, (alone if grains == ("activity",) else expected)[[*by, *names]])


@pytest.mark.parametrize("by", BYS, ids="+".join)
def test_every_combination_of_grains(edge, by):
    sl, stg, accounts, _ = edge
    for where in WHERES.values():
        assert_every_combination_of_grains(sl, stg, accounts, by, where)


def test_without_rollups_the_detail_gives_the_same_numbers(edge, detail_only):
    _, stg, accounts, _ = edge
    with_sums = [g for g in GRAIN_SETS if {"account", "activity"} & set(g)]  # what a rollup can answer
    for where in (WHERES["none"], WHERES["rollup_filter"]):
        assert_every_combination_of_grains(detail_only, stg, accounts, ["region", "risk_tolerance", "account_type"],
                                           where, with_sums)


# Naming every risk tier filters nothing (the spec): the accounts of the NULL tier stay.
UNSLICED_WHERES = {**WHERES, "every_risk_tier": {"risk_tolerance": ["Low", "Medium", "High"]}}


@pytest.mark.parametrize("where", list(UNSLICED_WHERES))
def test_every_metric_unsliced(edge, where):
    sl, stg, accounts, _ = edge
    where = UNSLICED_WHERES[where]
    names = [name for grain in GRAINS.values() for name in grain]
    activity = reference.activity_in(stg, where)
    assert_frames_close(sl.query(names, where=where),
                        reference.metrics(accounts, names, where=where, activity=activity))


@pytest.mark.parametrize("grain", ["month", "quarter", "year"])
def test_activity_by_date_and_a_dimension_with_nulls(edge, grain):
    sl, stg, accounts, _ = edge
    names = GRAINS["activity"]
    actual = sl.query(names, by=["activity_date", "region"], time_grain=grain)
    expected = reference.activity_metrics(stg, accounts, names, grain, by=["region"])
    assert_frames_close(actual.assign(activity_date=pd.to_datetime(actual.activity_date)), expected)


def test_zero_total_group_has_null_shares_and_gini(edge):
    sl, _, _, _ = edge
    central = sl.query(["total_balance", "top_10_share", "gini", "balance_weighted_rate", "avg_balance"],
                       by=["region"]).set_index("region").loc["Central"]
    assert central.total_balance == 0 and central.avg_balance == 0
    assert central[["top_10_share", "gini", "balance_weighted_rate"]].isna().all()
    assert sl.lorenz(where={"region": "Central"}).empty  # balances that total 0 have no curve


def test_deciles_and_lorenz_with_ties(edge):
    sl, _, accounts, _ = edge
    for where in ({}, {"region": ["North", "South"]}, {"region": "Central"}):
        subset = reference.filtered(accounts, where)
        assert_frames_close(sl.deciles(where=where), reference.kpi_balance_deciles(subset))
        curve = reference.kpi_lorenz_curve(subset)
        if subset.balance.sum() == 0:  # no curve for balances that total 0 (the reference's shares are all NaN)
            assert curve.balance_share.iloc[1:].isna().all()
            curve = curve.iloc[0:0]
        assert_frames_close(sl.lorenz(where=where), curve)


@pytest.fixture(scope="module")
def zero_portfolio(built, tmp_path_factory):
    path, stg = _edited_warehouse(built, tmp_path_factory, ZERO_PORTFOLIO)
    return read_tables(path), reference.tables_from_staging(stg)


def test_a_portfolio_whose_total_is_0(zero_portfolio):
    """Every KPI table of a zero-balance portfolio equals the reference: shares and Gini null, not errors."""
    built_tables, expected = zero_portfolio
    for table in [t for t in TABLES if t.startswith("kpi_")]:
        assert_frames_close(built_tables[table], expected[table][list(built_tables[table].columns)])
    assert built_tables["kpi_wealth_concentration"][["top_10_share", "gini"]].isna().all(axis=None)
