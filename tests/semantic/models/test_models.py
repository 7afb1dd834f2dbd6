"""Every published table equals the independent pandas reference, on every dataset."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from tests import reference
from tests.conftest import read_tables

TABLES = [
    "stg_fintech_data", "dim_customer", "dim_account", "fct_customer_account_snapshot",
    "fct_account_activity", "int_customer_account_metrics", "kpi_balance_deciles",
    "kpi_wealth_concentration", "kpi_portfolio_by_risk_tolerance", "kpi_leverage_by_risk_tolerance",
    "kpi_lorenz_curve",
]
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


def test_publishes_exactly_the_eleven_tables(built_and_expected):
    built, _ = built_and_expected
    assert sorted(built) == sorted(TABLES)


@pytest.mark.parametrize("table", TABLES)
def test_table_matches_reference(built_and_expected, table):
    built, expected = built_and_expected
    actual = built[table]
    want = expected[table]
    if table in SPEC_COLUMNS:
        assert list(actual.columns) == SPEC_COLUMNS[table]
    assert sorted(actual.columns) == sorted(want.columns)
    assert_frames_close(actual, want[list(actual.columns)])


def assert_frames_close(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Same rows (order normalized) and values; numbers within a relative error of 1e-9."""
    keys = list(actual.columns)
    actual = _normalized(actual).sort_values(keys, kind="stable").reset_index(drop=True)
    expected = _normalized(expected).sort_values(keys, kind="stable").reset_index(drop=True)
    assert len(actual) == len(expected)
    for column in keys:
        a, e = actual[column], expected[column]
        if pd.api.types.is_numeric_dtype(e) and not pd.api.types.is_bool_dtype(e):
            np.testing.assert_allclose(a.to_numpy(float), e.to_numpy(float), rtol=1e-9, atol=1e-12,
                                       err_msg=column, equal_nan=True)
        else:
            assert a.tolist() == e.tolist(), column


def _normalized(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as timestamps, arrays as comparable text (their numbers are cents: exact at 9 digits)."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.map(lambda v: isinstance(v, date)).all():
            out[column] = pd.to_datetime(values)
        elif values.map(lambda v: isinstance(v, (list, np.ndarray))).all():
            out[column] = values.map(lambda v: repr([x.isoformat() if isinstance(x, date) else f"{x:.9g}" for x in v]))
    return out


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
