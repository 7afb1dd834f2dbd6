"""The query API against the independent pandas reference: every metric, by dimension, under filters.

The catalog's own tests (its kinds, formats, one-owner facts, the rollup rule): test_catalog.py; the ranked
pass, deciles and Lorenz curve: test_distribution.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import semantic
from tests import reference
from tests.compare import assert_frames_close
from tests.conftest import run_fintech, warehouse_url
from tests.spec import ACTIVITY_METRICS, CATEGORY_DIMENSIONS, DERIVED_DIMENSIONS, METRIC_GRAINS, NUMBER_DIMENSIONS

ALL_METRICS = list(METRIC_GRAINS)
FILTERS = {
    "none": {},
    "two_risk_tiers": {"risk_tolerance": ["High", "Medium"]},
    "regions_and_product": {"region": ["North", "West"], "account_type": "savings"},
    "age_range": {"age": (30, 44)},
    "activity_dates": {"activity_date": ("2024-01-01", "2024-06-30"), "loan_status": ["approved"]},
    "matches_nothing": {"region": ["Atlantis"]},
}


@pytest.fixture(scope="module")
def layer(dataset):
    csv, warehouse = dataset
    sl = semantic.connect(warehouse_url(warehouse))
    stg = reference.staging(csv)
    yield sl, stg, reference.int_customer_account_metrics(stg)
    sl.close()


def expected(stg, accounts, names, by=(), where=None):
    """The reference's metrics, activity ones over the activity the filter's dates keep."""
    return reference.metrics(accounts, names, by=list(by), where=where, activity=reference.activity_in(stg, where))


@pytest.mark.parametrize("where", list(FILTERS))
def test_every_metric_unsliced(layer, where):
    sl, stg, accounts = layer
    actual = sl.query(ALL_METRICS, where=FILTERS[where])
    assert list(actual.columns) == ALL_METRICS
    assert_frames_close(actual, expected(stg, accounts, ALL_METRICS, where=FILTERS[where]))


@pytest.mark.parametrize("by", CATEGORY_DIMENSIONS + DERIVED_DIMENSIONS)
@pytest.mark.parametrize("where", ["none", "two_risk_tiers"])
def test_every_metric_by_dimension(layer, by, where):
    sl, stg, accounts = layer
    actual = sl.query(ALL_METRICS, by=[by], where=FILTERS[where])
    assert list(actual.columns) == [by, *ALL_METRICS]
    assert_frames_close(actual, expected(stg, accounts, ALL_METRICS, by=[by], where=FILTERS[where]))


def test_a_filter_matching_nothing_gives_no_groups(layer):
    sl, _, _ = layer
    for by in ("region", "balance_decile", "age"):
        actual = sl.query(ALL_METRICS, by=[by], where=FILTERS["matches_nothing"])
        assert actual.empty and list(actual.columns) == [by, *ALL_METRICS]


@pytest.mark.parametrize("by", NUMBER_DIMENSIONS)
def test_every_metric_by_number_dimension(layer, by):
    """Numbers as groups (one value, one group): under a filter, to keep the groups few."""
    sl, stg, accounts = layer
    where = {"region": ["North"], "account_type": ["savings", "credit"]}
    assert_frames_close(sl.query(ALL_METRICS, by=[by], where=where),
                        expected(stg, accounts, ALL_METRICS, by=[by], where=where))


@pytest.mark.parametrize("name", NUMBER_DIMENSIONS)
def test_every_metric_under_a_range_of_number_dimension(layer, name):
    sl, stg, accounts = layer
    low, high = accounts[name].quantile([0.25, 0.75]).tolist()
    for where in ({name: (low, high)}, {name: (high, None)}):  # a range, and one open below
        assert_frames_close(sl.query(ALL_METRICS, by=["account_type"], where=where),
                            expected(stg, accounts, ALL_METRICS, by=["account_type"], where=where))


@pytest.mark.parametrize("name", CATEGORY_DIMENSIONS + DERIVED_DIMENSIONS)
def test_every_metric_under_a_filter_of_dimension(layer, name):
    sl, stg, accounts = layer
    where = {name: sorted(reference.population(accounts)[name].dropna().unique().tolist())[:2]}
    assert_frames_close(sl.query(ALL_METRICS, where=where), expected(stg, accounts, ALL_METRICS, where=where))


@pytest.mark.parametrize("by", [["region", "account_type"], ["balance_decile", "risk_tolerance"]], ids="+".join)
def test_two_dimensions(layer, by):
    sl, stg, accounts = layer
    assert_frames_close(sl.query(ALL_METRICS, by=by), expected(stg, accounts, ALL_METRICS, by=by))


@pytest.mark.parametrize("by", [[], ["risk_tolerance"], ["balance_decile"]], ids=lambda by: "+".join(by) or "alone")
@pytest.mark.parametrize("grain", ["month", "quarter", "year"])
def test_activity_metrics_by_time_grain(layer, grain, by):
    sl, stg, accounts = layer
    where = {"region": ["North", "South"]}
    actual = sl.query(ACTIVITY_METRICS, by=["activity_date", *by], where=where, time_grain=grain)
    expected = reference.activity_metrics(stg, accounts, ACTIVITY_METRICS, grain, where=where, by=by)
    assert list(actual.columns) == ["activity_date", *by, *ACTIVITY_METRICS]
    assert_frames_close(actual.assign(activity_date=pd.to_datetime(actual.activity_date)), expected)


def test_activity_date_range(layer):
    sl, stg, accounts = layer
    dates = ("2024-01-01", "2024-06-30")
    actual = sl.query(ACTIVITY_METRICS, by=["activity_date"], where={"activity_date": dates})
    expected = reference.activity_metrics(stg, accounts, ACTIVITY_METRICS, "month", dates=dates)
    assert len(actual) == 6
    assert_frames_close(actual.assign(activity_date=pd.to_datetime(actual.activity_date)), expected)


def test_activity_by_account_dimension_does_not_multiply_snapshot_measures(layer):
    sl, stg, accounts = layer
    actual = sl.query(["total_balance", "transaction_volume", "accounts"], by=["account_type"])
    expected = reference.metrics(accounts, ["total_balance", "accounts"], by=["account_type"])
    activity = reference.fct_account_activity(stg).merge(accounts[["account_id", "account_type"]], on="account_id")
    expected["transaction_volume"] = expected.account_type.map(
        activity.groupby("account_type").transaction_amount.sum())
    assert_frames_close(actual, expected[["account_type", "total_balance", "transaction_volume", "accounts"]])


def test_deciles_and_lorenz_follow_the_filters(layer):
    sl, _, accounts = layer
    where = {"region": ["North", "East"]}
    subset = reference.filtered(accounts, where)
    assert_frames_close(sl.deciles(where=where), reference.kpi_balance_deciles(subset))
    assert_frames_close(sl.lorenz(where=where), reference.kpi_lorenz_curve(subset))
    assert sl.lorenz(where={"region": "Atlantis"}).empty


def test_empty_selection_or_every_value_means_no_filter(layer):
    sl, _, _ = layer
    everything = sl.query(["total_balance", "accounts"])
    for where in ({"region": []}, {"risk_tolerance": ["Low", "Medium", "High"]}):
        assert_frames_close(sl.query(["total_balance", "accounts"], where=where), everything)


def test_dimension_values(layer):
    sl, _, accounts = layer
    assert sl.dimension_values("risk_tolerance") == ["Low", "Medium", "High"]
    assert sl.dimension_values("region") == sorted(accounts.region.unique())


@pytest.mark.parametrize(("call", "words"), [
    (lambda sl: sl.query(["total_balanse"]), ["unknown metric 'total_balanse'", "Did you mean 'total_balance'"]),
    (lambda sl: sl.query(["accounts"], by=["regoin"]), ["unknown dimension 'regoin'", "'region'"]),
    (lambda sl: sl.query(["accounts"], where={"colour": ["red"]}), ["unknown dimension 'colour'", "Valid dimensions"]),
    (lambda sl: sl.query(["total_balance"], by=["activity_date"]), ["cannot be sliced by activity_date"]),
    (lambda sl: sl.query(["accounts"], time_grain="week"), ["unknown time grain"]),
])
def test_errors_name_the_problem(layer, call, words):
    sl, _, _ = layer
    with pytest.raises(semantic.QueryError) as error:
        call(sl)
    for w in words:
        assert w in str(error.value)


def test_sql_and_ibis_expression(layer):
    sl, _, _ = layer
    sql = sl.sql(["total_balance"], by=["loan_status"], where={"risk_tolerance": "High"})
    assert "SUM" in sql.upper() and "int_customer_account_metrics" in sql
    # sums sliced and filtered by the dashboard's filters only: read from the rollup
    for metrics in (["total_balance"], ["approved_credit_exposure", "pending_credit_exposure",
                                        "rejected_credit_exposure", "credit_exposure"]):
        sql = sl.sql(metrics, by=["region"], where={"risk_tolerance": "High"})
        assert "agg_accounts_by_segment" in sql and "int_customer_account_metrics" not in sql
    assert list(sl.to_ibis(["gini", "accounts"], by=["region"]).columns) == ["region", "gini", "accounts"]


def test_multi_account_customers_count_once(generate_csv, tmp_path):
    """Customers and incomes are counted once per customer, sliced by an account-grain dimension or not."""
    from tests.conftest import build_warehouse

    csv = generate_csv(1_206, 11, 2.5)
    sl = semantic.connect(warehouse_url(build_warehouse(csv, tmp_path / "multi.duckdb")))
    raw = pd.read_csv(csv)
    for by in ["account_type", "region"]:
        actual = sl.query(["customers", "avg_income"], by=[by]).set_index(by)
        column = "Account Activity.account_type" if by == "account_type" else "Customer Profile.region"
        per_customer = raw.drop_duplicates(["Customer Profile.customer_id", column])
        expected = per_customer.groupby(column)["Customer Profile.income_level"].agg(["count", "mean"])
        np.testing.assert_array_equal(actual.customers.to_numpy(), expected["count"].to_numpy())
        np.testing.assert_allclose(actual.avg_income.to_numpy(), expected["mean"].to_numpy(), rtol=1e-9)
        per_account_mean = raw.groupby(column)["Customer Profile.income_level"].mean()
        assert not np.allclose(actual.avg_income.to_numpy(), per_account_mean.to_numpy(), rtol=1e-6)
    sl.close()


def test_query_from_the_shell(dataset):
    _, warehouse = dataset
    result = run_fintech("query", "total_balance", "balance_weighted_rate", "gini", "--by", "region",
                         "--where", "risk_tolerance=High,Medium", "--backend", warehouse_url(warehouse))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["region", "total_balance", "balance_weighted_rate", "gini"]
    first = lines[1].split()
    assert first[1].startswith("$") and first[2].endswith("%") and len(first[3].split(".")[1]) == 3
    bad = run_fintech("query", "total_balanse", "--backend", warehouse_url(warehouse))
    assert bad.returncode == 2 and "Did you mean 'total_balance'" in bad.stderr and "Traceback" not in bad.stderr
