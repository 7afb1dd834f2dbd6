"""Every published table equals the independent pandas reference, on every dataset."""

from __future__ import annotations

import pandas as pd
import pytest

from tests import reference
from tests.compare import assert_frames_close
from tests.conftest import read_tables
from tests.spec import MARKER_TABLE
from tests.spec import MODEL_TABLES as TABLES

# Spec'd columns of each table (shared/spec/models-and-metrics.md), in order where the spec lists them.
SPEC_COLUMNS = {
    "dim_customer": ["customer_id", "age", "occupation", "risk_tolerance", "investment_goals", "education_level",
                     "marital_status", "dependents", "region", "sector", "income_level", "employment_history",
                     "employment_status", "financial_history"],
    "dim_account": ["account_id", "account_type", "transaction_threshold"],
    "fct_customer_account_snapshot": ["customer_id", "account_id", "balance", "deposits", "withdrawals",
                                      "transfers", "international_transfers", "investments", "loan_amount",
                                      "interest_rate", "loan_purpose", "loan_term", "loan_status",
                                      "transaction_description"],
    "fct_account_activity": ["account_id", "activity_date", "transaction_amount", "repayment_amount"],
    "kpi_balance_deciles": ["balance_decile", "accounts", "min_balance", "avg_balance", "max_balance",
                            "total_balance"],
    "kpi_wealth_concentration": ["total_balance", "top_10_balance", "top_10_share", "gini"],
    "kpi_portfolio_by_risk_tolerance": ["risk_tolerance", "accounts", "total_balance", "avg_balance",
                                        "total_loan_amount", "avg_net_flow", "weighted_avg_interest_rate"],
    "kpi_leverage_by_risk_tolerance": ["risk_tolerance", "accounts", "avg_income", "avg_loan_amount",
                                       "avg_loan_to_income", "pct_top_quartile_leverage"],
    "kpi_lorenz_curve": ["population_share", "balance_share"],
}


@pytest.fixture(scope="module")
def built_and_expected(dataset):
    csv, warehouse = dataset
    return read_tables(warehouse), reference.all_tables(csv)


def test_publishes_exactly_these_tables(built_and_expected):
    built, _ = built_and_expected
    assert sorted(built) == sorted([*TABLES, MARKER_TABLE])


@pytest.mark.parametrize("table", TABLES)
def test_table_matches_reference(built_and_expected, table):
    built, expected = built_and_expected
    actual = built[table]
    want = expected[table]
    if table in SPEC_COLUMNS:
        assert list(actual.columns) == SPEC_COLUMNS[table]
    assert sorted(actual.columns) == sorted(want.columns)
    assert_frames_close(actual, want[list(actual.columns)])


def test_dim_customer_has_one_row_per_customer(built_and_expected):
    built, expected = built_and_expected
    customers = built["dim_customer"]
    assert customers.customer_id.is_unique
    assert len(customers) == expected["stg_fintech_data"].customer_id.nunique()
    assert len(built["int_customer_account_metrics"]) == len(expected["stg_fintech_data"])


def test_no_table_has_the_address(built_and_expected):
    built, _ = built_and_expected
    for name, frame in built.items():
        assert "address" not in frame.columns, name
        assert not any("Customer Profile.address" in c for c in frame.columns), name


def test_no_address_value_reaches_the_warehouse(dataset):
    csv, warehouse = dataset
    addresses = set(pd.read_csv(csv, usecols=["Customer Profile.address"])["Customer Profile.address"])
    for name, frame in read_tables(warehouse).items():
        for column in frame.select_dtypes(include=["object", "string"]).columns:
            assert not frame[column].isin(addresses).any(), (name, column)
    stored = warehouse.read_bytes()
    assert not any(address.encode() in stored for address in list(addresses)[:50])


@pytest.mark.parametrize(("literal", "expected"), [
    ("[1.5, -2.0]", [1.5, -2.0]),
    ("[ 1 , 2e3 ]", [1.0, 2000.0]),
    ("['1.5', \"2\"]", [1.5, 2.0]),  # quoted numbers (not JSON): read the shared way
    ("[1.5,]", [1.5, None]),  # a trailing comma: an empty element, as on every backend (refused later)
    ("[]", [None]),  # as on every backend: one empty element (refused later)
    ("[[1]]", [None]),  # DuckDB only: nested brackets give a null element (refused), not a flattened 1
])
def test_number_lists_read_on_duckdb(literal, expected):
    """DuckDB reads number lists through its JSON reader where that gives the same array: edge cases by hand."""
    import ibis

    from semantic.models.raw import RAW_COLUMNS
    from semantic.models.staging import typed

    column = next(c for c in RAW_COLUMNS if c.staging_name == "ts_transactions")
    raw = ibis.duckdb.connect().create_table("raw", pd.DataFrame({column.name: [literal]}))
    got = raw.select(values=typed(raw, column)).to_pyarrow().column("values").to_pylist()[0]
    assert got == expected


def test_ratio_or_null_and_age_bands():
    """The one safe division (row ratios here, the catalog's ratios of sums) and the age bands' edges, by hand."""
    import ibis

    from semantic.models.intermediate import AGE_BANDS, age_band, ratio_or_null

    t = ibis.memtable(pd.DataFrame({"top": [6.0, 1.0, 0.0, -3.0], "bottom": [3.0, 0.0, 0.0, 2.0],
                                    "age": [29, 30, 44, 60]}))
    got = ibis.duckdb.connect().execute(t.select(ratio=ratio_or_null(t.top, t.bottom), band=age_band(t.age)))
    assert got.ratio.tolist()[::3] == [2.0, -1.5] and got.ratio[1:3].isna().all()
    assert got.band.tolist() == ["18-29", "30-44", "30-44", "60+"] and AGE_BANDS == ("18-29", "30-44", "45-59", "60+")
