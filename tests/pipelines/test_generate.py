"""The generator: deterministic, streaming, and faithful to the data contract (checked independently)."""

from __future__ import annotations

import ast
import csv
from datetime import date

import numpy as np
import pandas as pd
import pytest

from pipelines import generate as generator
from tests.conftest import SAMPLE_CSV, run_fintech
from tests.reference import gini_by_trapezoids

CONTRACT_HEADER = (
    "Transaction Description,Customer Profile.customer_id,Customer Profile.age,Customer Profile.occupation,"
    "Customer Profile.risk_tolerance,Customer Profile.investment_goals,Customer Profile.education_level,"
    "Customer Profile.marital_status,Customer Profile.dependents,Customer Profile.region,"
    "Customer Profile.financial_history,Customer Profile.sector,Customer Profile.income_level,"
    "Customer Profile.employment_history,Customer Profile.address,Account Activity.customer_id,"
    "Account Activity.account_id,Account Activity.balance,Account Activity.deposits,Account Activity.withdrawals,"
    "Account Activity.transfers,Account Activity.international_transfers,Account Activity.investments,"
    "Account Activity.account_type,Account Activity.transaction_threshold,Loan Application Summary.loan_amount,"
    "Loan Application Summary.loan_purpose,Loan Application Summary.employment_status,"
    "Loan Application Summary.loan_term,Loan Application Summary.interest_rate,Loan Application Summary.loan_status,"
    "Time Series Data.dates,Time Series Data.transactions,Time Series Data.repayments"
).split(",")
CUSTOMER_COLUMNS = CONTRACT_HEADER[1:15]
# The 24 month-ends before the fixed reference date 2024-12-31, written out by hand.
MONTH_ENDS = {date(y, m, d) for y in (2023, 2024) for m, d in [
    (1, 31), (3, 31), (4, 30), (5, 31), (6, 30), (7, 31), (8, 31), (9, 30), (10, 31), (11, 30), (12, 31)]}
MONTH_ENDS |= {date(2023, 2, 28), date(2024, 2, 29)}


def read(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"Customer Profile.employment_history": str})


def test_same_arguments_give_byte_identical_files(generate_csv, tmp_path):
    first = generate_csv(1_001, 5)
    again = tmp_path / "again.csv"
    assert run_fintech("generate", "--rows", "1001", "--seed", "5", "--out", str(again)).returncode == 0
    assert again.read_bytes() == first.read_bytes()
    other = tmp_path / "other.csv"
    assert run_fintech("generate", "--rows", "1001", "--seed", "6", "--out", str(other)).returncode == 0
    assert other.read_bytes() != first.read_bytes()


def test_the_committed_sample_is_what_the_readme_command_makes(tmp_path):
    out = tmp_path / "sample.csv"
    assert run_fintech("generate", "--rows", "1000", "--seed", "42", "--out", str(out)).returncode == 0
    assert out.read_bytes() == SAMPLE_CSV.read_bytes()


def test_parallel_chunks_give_the_same_bytes_as_one_process(tmp_path):
    rows = 4 * generator.CHUNK_ROWS + 17  # enough chunks for the process pool
    out = generator.generate(tmp_path / "parallel.csv", rows=rows, seed=9)
    serial = generator.header_line() + b"".join(
        generator.chunk_csv(9, chunk, min(generator.CHUNK_ROWS, rows - chunk * generator.CHUNK_ROWS), 1.0)
        for chunk in range(5)
    )
    assert out.read_bytes() == serial


def test_a_generated_file_satisfies_the_contract(generate_csv):
    path = generate_csv(1_001, 5)
    with path.open(newline="") as f:
        header = next(csv.reader(f))
    assert header == CONTRACT_HEADER
    df = read(path)
    assert len(df) == 1_001
    col = lambda name: df[name]  # noqa: E731
    assert col("Account Activity.account_id").is_unique
    assert (col("Account Activity.customer_id") == col("Customer Profile.customer_id")).all()
    assert col("Customer Profile.age").between(18, 90).all()
    assert col("Customer Profile.dependents").between(0, 8).all()
    assert set(col("Customer Profile.risk_tolerance")) == {"Low", "Medium", "High"}
    assert set(col("Account Activity.account_type")) == {"checking", "savings", "credit", "investment"}
    assert set(col("Loan Application Summary.loan_status")) == {"approved", "pending", "rejected"}
    assert col("Customer Profile.region").nunique() == 5
    assert (col("Customer Profile.income_level") > 0).all()
    for amount in ["balance", "deposits", "withdrawals", "transfers", "international_transfers", "investments"]:
        assert (col(f"Account Activity.{amount}") >= 0).all(), amount
    assert (col("Account Activity.transaction_threshold") > 0).all()
    assert (col("Loan Application Summary.loan_amount") > 0).all()
    assert col("Loan Application Summary.interest_rate").between(0, 1).all()
    assert col("Loan Application Summary.loan_term").between(12, 360).all()
    assert col("Customer Profile.employment_history").str.fullmatch(r"\d+ years").all()
    assert not df.isna().any().any()
    for dates, transactions, repayments in df[CONTRACT_HEADER[-3:]].itertuples(index=False):
        assert dates.startswith("['")  # single quotes: a Python literal, not JSON
        d, t, r = (ast.literal_eval(v) for v in (dates, transactions, repayments))
        assert 3 <= len(d) == len(t) == len(r) <= 24
        assert {date.fromisoformat(x) for x in d} <= MONTH_ENDS and d == sorted(d)
        assert all(x >= 0 for x in r)


def test_several_accounts_per_customer_repeat_the_customer_columns(generate_csv):
    df = read(generate_csv(1_206, 11, 2.5))
    per_customer = df.groupby("Customer Profile.customer_id")
    assert 2.0 <= per_customer.size().mean() <= 3.0
    assert (per_customer[CUSTOMER_COLUMNS[1:]].nunique() == 1).all().all()
    assert (per_customer["Loan Application Summary.employment_status"].nunique() == 1).all()
    assert df["Account Activity.account_id"].is_unique


@pytest.fixture(scope="module")
def larger(generate_csv):
    return read(generate_csv(20_000, 21))


def test_balances_are_heavy_tailed(larger):
    balances = larger["Account Activity.balance"].to_numpy()
    assert 0.45 <= gini_by_trapezoids(balances) <= 0.75
    top = np.sort(balances)[::-1][: len(balances) // 10].sum() / balances.sum()
    assert 0.30 <= top <= 0.60


def test_segments_differ(larger):
    by_risk = larger.groupby("Customer Profile.risk_tolerance")["Account Activity.balance"].mean()
    assert by_risk.max() >= 1.2 * by_risk.min()
    net_flow = larger["Account Activity.deposits"] - larger["Account Activity.withdrawals"]
    for segment in ["Account Activity.account_type", "Customer Profile.region"]:
        mean_flow = net_flow.groupby(larger[segment]).mean()
        assert (mean_flow > 0).any() and (mean_flow < 0).any(), segment
    lti = larger["Loan Application Summary.loan_amount"] / larger["Customer Profile.income_level"]
    by_tier = lti.groupby(larger["Customer Profile.risk_tolerance"]).mean()
    assert by_tier["High"] >= 1.2 * by_tier["Low"]


def test_bad_arguments_are_refused_without_a_traceback(tmp_path):
    result = run_fintech("generate", "--rows", "10", "--accounts-per-customer", "0.5", "--out", str(tmp_path / "x.csv"))
    assert result.returncode == 2
    assert "accounts-per-customer" in result.stderr and "Traceback" not in result.stderr
