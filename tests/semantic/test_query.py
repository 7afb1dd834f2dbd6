"""semantic/query.py: what filters nothing, the tables a request reads, and the rule that a rollup answers a
request only when it holds every column the request reads (a metric added after a build is answered from the
detail rows). Expected values are written here by hand (tests/spec.py) or come from the pandas reference."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest

import semantic
from semantic import catalog, query
from semantic.catalog import (
    METRICS,
    AccountMetric,
    ActivityMetric,
    Sum,
)
from semantic.models import intermediate
from semantic.request import Range, Request
from semantic.summaries import rollups
from semantic.tables import MODELS
from tests import reference
from tests.compare import assert_frames_close
from tests.conftest import SAMPLE_CSV, warehouse_url
from tests.spec import (
    ACCOUNT_ROLLUP_METRICS,
    ACTIVITY_ROLLUP_METRICS,
)


@pytest.mark.parametrize("name", list(reference.FIXED_VALUES))
def test_a_selection_of_every_fixed_value_filters_nothing(name):
    every = reference.FIXED_VALUES[name]
    assert query.filters_nothing(name, list(every)) and query.filters_nothing(name, [*reversed(every), "other"])
    assert query.filters_nothing(name, []) and query.filters_nothing(name, set())
    assert not query.filters_nothing(name, every[:-1]) and not query.filters_nothing(name, every[0])


def test_other_selections_filter():
    assert not query.filters_nothing("region", ["North"]) and not query.filters_nothing("region", "North")
    assert query.filters_nothing("region", [])
    assert not query.filters_nothing("age", Range(None, None))  # a range: its own predicate (none, when both open)
    assert not query.filters_nothing("balance_decile", list(range(1, 11)))  # an account without a tile is out


def test_the_query_reads_the_tables_the_build_names():
    """A model's or a summary's table is named after its function (semantic/tables.py)."""
    built = [model.__name__ for model in MODELS]
    assert query.ACCOUNTS_TABLE == "int_customer_account_metrics" == intermediate.int_customer_account_metrics.__name__
    assert query.ACTIVITY_TABLE == "fct_account_activity" and query.ACTIVITY_TABLE in built
    assert query.ACCOUNTS_ROLLUP_TABLE == rollups.agg_accounts_by_segment.__name__ == "agg_accounts_by_segment"
    assert query.ACTIVITY_ROLLUP_TABLE == rollups.agg_activity_by_month.__name__ == "agg_activity_by_month"


# ---- the rollup rule: a rollup answers only what it holds every column of


@pytest.fixture(scope="module")
def published_rollups(published_sample):
    con = ibis.duckdb.connect(str(published_sample[0]), read_only=True)
    yield {name: con.table(name) for name in (query.ACCOUNTS_ROLLUP_TABLE, query.ACTIVITY_ROLLUP_TABLE)}
    con.disconnect()


def test_each_rollup_answers_the_sums_of_its_grain_only(published_rollups):
    accounts, activity = published_rollups[query.ACCOUNTS_ROLLUP_TABLE], published_rollups[query.ACTIVITY_ROLLUP_TABLE]
    for name, metric in METRICS.items():
        request = Request.of([name], by=["region"], where={"account_type": ["savings"]})
        assert query.rollup_answers(accounts, request, [metric]) == (name in ACCOUNT_ROLLUP_METRICS), name
        assert query.rollup_answers(activity, request, [metric]) == (name in ACTIVITY_ROLLUP_METRICS), name
        assert not query.rollup_answers(None, request, [metric])  # an older build without rollups


def test_a_rollup_answers_requests_of_its_dimensions_only(published_rollups):
    accounts, activity = published_rollups[query.ACCOUNTS_ROLLUP_TABLE], published_rollups[query.ACTIVITY_ROLLUP_TABLE]
    total_balance, transaction_volume = [METRICS["total_balance"]], [METRICS["transaction_volume"]]
    assert query.rollup_answers(accounts, Request.of(["total_balance"], by=["region", "risk_tolerance"],
                                                     where={"account_type": "credit"}), total_balance)
    for by, where in ((["loan_status"], {}), ([], {"age": (30, 44)}), (["balance_decile"], {}),
                      ([], {"leverage_quartile": [4]})):
        request = Request.of(["total_balance"], by=by, where=where)
        assert not query.rollup_answers(accounts, request, total_balance), (by, where)
    assert query.rollup_answers(activity, Request.of(["transaction_volume"], by=["activity_date", "region"],
                                                     time_grain="quarter"), transaction_volume)
    dates = Request.of(["transaction_volume"], by=["activity_date"], where={"activity_date": ("2024-01-01", None)})
    assert not query.rollup_answers(activity, dates, transaction_volume)


def test_a_rollup_without_a_column_the_request_reads_answers_nothing_of_it(published_rollups):
    accounts = published_rollups[query.ACCOUNTS_ROLLUP_TABLE]
    by_region = Request.of(["total_balance", "accounts"], by=["region"])
    assert query.rollup_answers(accounts, by_region, [METRICS["total_balance"], METRICS["accounts"]])
    assert not query.rollup_answers(accounts.drop("balance"), by_region, [METRICS["total_balance"]])
    assert query.rollup_answers(accounts.drop("balance"), by_region, [METRICS["accounts"]])
    assert not query.rollup_answers(accounts.drop("region"), by_region, [METRICS["accounts"]])


def test_a_warehouse_built_before_a_metric_answers_it_from_the_rows(published):
    """A rollup without a metric's sum (published by an earlier version) is passed over, not an error."""
    import duckdb

    path, _, _ = published
    with duckdb.connect(str(path)) as con:
        con.execute("ALTER TABLE agg_accounts_by_segment DROP COLUMN approved_loan_amount")
    accounts = reference.int_customer_account_metrics(reference.staging(SAMPLE_CSV))
    names = ["approved_credit_exposure", "credit_exposure", "accounts"]
    want = reference.metrics(accounts, names, by=["region"], where={"account_type": ["savings"]})
    sl = semantic.connect(warehouse_url(path))
    try:
        got = sl.query(names, by=["region"], where={"account_type": ["savings"]})
    finally:
        sl.close()
    assert_frames_close(got, want.sort_values("region").reset_index(drop=True))


def test_a_metric_added_after_the_build_is_answered_from_the_rows(published_sample, monkeypatch):
    """A new summed metric of each rollup's grain, whose sum the published rollups lack: the detail answers
    it (the reference's numbers), and the metrics the rollups hold are still read from them."""
    monkeypatch.setitem(METRICS, "total_deposits", AccountMetric.summed(
        "total_deposits", "Sum of deposits", "money", Sum("deposits", lambda t: t.deposits)))
    monkeypatch.setitem(METRICS, "inflow_volume", ActivityMetric.summed(
        "inflow_volume", "Sum of positive monthly transaction amounts", "money",
        Sum("inflow_amount", lambda a: ibis.ifelse(a.transaction_amount > 0, a.transaction_amount, 0.0))))
    assert catalog.METRICS is METRICS
    stg = reference.staging(SAMPLE_CSV)
    accounts = reference.int_customer_account_metrics(stg)
    savings = accounts[accounts.account_type == "savings"]
    activity = reference.fct_account_activity(stg).merge(savings[["account_id", "region"]], on="account_id")
    by_region = savings.groupby("region")
    want = pd.DataFrame({"total_deposits": by_region.deposits.sum(), "accounts": by_region.size(),
                         "inflow_volume": activity.groupby("region").transaction_amount.agg(lambda x: x[x > 0].sum()),
                         "transaction_volume": activity.groupby("region").transaction_amount.sum()}).reset_index()
    where = {"account_type": ["savings"]}
    sl = semantic.connect(warehouse_url(published_sample[0]))
    try:
        for names, detail, rollup in ((["total_deposits", "accounts"], "int_customer_account_metrics",
                                       "agg_accounts_by_segment"),
                                      (["inflow_volume", "transaction_volume"], "fct_account_activity",
                                       "agg_activity_by_month")):
            assert_frames_close(sl.query(names, by=["region"], where=where), want[["region", *names]])
            sql = sl.sql(names, by=["region"], where=where)
            assert detail in sql and rollup not in sql, names
            sql = sl.sql(names[1:], by=["region"], where=where)
            assert rollup in sql and detail not in sql, names[1:]
    finally:
        sl.close()
