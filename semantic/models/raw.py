"""The raw extract's contract: 34 columns, in this order, with their staging names.

One definition used by the generator (to write), the loader (to check and
read) and staging (to rename and type). See shared/spec/data-contract.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class RawColumn:
    name: str  # exactly as in the CSV header
    staging_name: str  # snake_case name in stg_fintech_data
    dtype: str  # "int64", "float64", "string", or "list" (a Python list literal)


def _col(name: str, dtype: str, staging_name: str | None = None) -> RawColumn:
    return RawColumn(name, staging_name or name.split(".")[-1], dtype)


RAW_COLUMNS: tuple[RawColumn, ...] = (
    _col("Transaction Description", "string", "transaction_description"),
    _col("Customer Profile.customer_id", "int64"),
    _col("Customer Profile.age", "int64"),
    _col("Customer Profile.occupation", "string"),
    _col("Customer Profile.risk_tolerance", "string"),
    _col("Customer Profile.investment_goals", "string"),
    _col("Customer Profile.education_level", "string"),
    _col("Customer Profile.marital_status", "string"),
    _col("Customer Profile.dependents", "int64"),
    _col("Customer Profile.region", "string"),
    _col("Customer Profile.financial_history", "string"),
    _col("Customer Profile.sector", "string"),
    _col("Customer Profile.income_level", "float64"),
    _col("Customer Profile.employment_history", "string"),
    _col("Customer Profile.address", "string"),
    # A redundant copy of customer_id: checked equal, then dropped in staging.
    _col("Account Activity.customer_id", "int64", "account_activity_customer_id"),
    _col("Account Activity.account_id", "int64"),
    _col("Account Activity.balance", "float64"),
    _col("Account Activity.deposits", "float64"),
    _col("Account Activity.withdrawals", "float64"),
    _col("Account Activity.transfers", "float64"),
    _col("Account Activity.international_transfers", "float64"),
    _col("Account Activity.investments", "float64"),
    _col("Account Activity.account_type", "string"),
    _col("Account Activity.transaction_threshold", "float64"),
    _col("Loan Application Summary.loan_amount", "float64"),
    _col("Loan Application Summary.loan_purpose", "string"),
    _col("Loan Application Summary.employment_status", "string"),
    _col("Loan Application Summary.loan_term", "int64"),
    _col("Loan Application Summary.interest_rate", "float64"),
    _col("Loan Application Summary.loan_status", "string"),
    _col("Time Series Data.dates", "list", "ts_dates"),
    _col("Time Series Data.transactions", "list", "ts_transactions"),
    _col("Time Series Data.repayments", "list", "ts_repayments"),
)

# The contract's version, recorded in every warehouse's build marker (pipelines/publish.py): raise it when a
# rule of shared/spec/data-contract.md changes, so a warehouse says which rules its data passed.
CONTRACT_VERSION = "2"

RAW_COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in RAW_COLUMNS)

# The loaded extract's table (a view of the CSV on DuckDB): read by staging, never published.
RAW_TABLE = "raw_fintech_data"

# The column the loader adds to the raw table: the CSV line a row came from
# (the header is line 1), so that every refusal can point at the file.
CSV_LINE = "csv_line"

# Personal data: dropped in staging, never published.
PERSONAL_DATA_COLUMNS = ("address",)
# A redundant copy of customer_id: checked equal to it by the loader, then dropped in staging (one copy of a key).
REDUNDANT_COLUMNS = ("account_activity_customer_id",)
# The staging names of the raw columns staging drops: the one list staging, its suite and the loader read.
DROPPED_IN_STAGING = PERSONAL_DATA_COLUMNS + REDUNDANT_COLUMNS

# Every column is required (no empty or blank cell) but this one, which may be empty.
OPTIONAL_COLUMNS = ("Transaction Description",)

# Values that are never valid (data-contract.md), one definition for the loader's rules and the suites:
# every money amount, plain or a list element, has an absolute value below MONEY_LIMIT (no sum over any
# number of accounts overflows), and every date lies in EARLIEST_DATE..LATEST_DATE.
MONEY_LIMIT = 1e12
MONEY_COLUMNS = tuple(f"Account Activity.{name}" for name in (
    "balance", "deposits", "withdrawals", "transfers", "international_transfers", "investments",
    "transaction_threshold",
)) + ("Customer Profile.income_level", "Loan Application Summary.loan_amount",
      "Time Series Data.transactions", "Time Series Data.repayments")
EARLIEST_DATE = date(1970, 1, 1)
LATEST_DATE = date(2100, 12, 31)
# The ranges data-contract.md gives whole-number and rate columns (by staging name; inclusive): the staging
# suite checks them, the generator draws within them.
RANGES = {"interest_rate": (0, 1), "age": (18, 90), "dependents": (0, 8), "loan_term": (12, 360)}
# Every account's activity lists hold this many month-end observations (data-contract.md).
MIN_OBSERVATIONS, MAX_OBSERVATIONS = 3, 24

# Domains the contract fixes exactly (the generator draws from them; checks use them).
RISK_TOLERANCES = ("Low", "Medium", "High")
ACCOUNT_TYPES = ("checking", "savings", "credit", "investment")
LOAN_STATUSES = ("approved", "pending", "rejected")
