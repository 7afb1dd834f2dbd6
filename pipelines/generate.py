"""A deterministic synthetic extract in the raw contract's shape, at any size.

Rows are made in fixed-size chunks, each from its own random stream seeded by
(seed, chunk number), and formatted with Arrow compute kernels: memory stays
flat with the row count and the same arguments always give the same bytes.

The distributions are chosen so that the analyses have something to show
(shared/spec/data-contract.md, "What realistic data looks like"): lognormal
balances with a few very large accounts, segment differences in balance, net
flow and leverage, and 3..24 month-end activity observations per account.
"""

from __future__ import annotations

import csv
import io
import math
import multiprocessing
import os
import sys
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from semantic.models.raw import (
    ACCOUNT_TYPES,
    LOAN_STATUSES,
    MAX_OBSERVATIONS,
    MIN_OBSERVATIONS,
    RANGES,
    RAW_COLUMN_NAMES,
    RISK_TOLERANCES,
)

CHUNK_ROWS = 50_000
MAX_ROWS = 1_000_000_000  # account ids stay 10 digits; a larger file is a mistake (about 1 TB)
MAX_ACCOUNTS_PER_CUSTOMER = 100.0
FIRST_ACCOUNT_ID = 100_001
# Activity is dated relative to this fixed day, never to today.
REFERENCE_DATE = date(2024, 12, 31)
MONTHS_OF_ACTIVITY = MAX_OBSERVATIONS  # the month-ends an account can have (its newest lists are full)

DESCRIPTIONS = (
    "Card payment at grocery store", "Salary deposit", "Online shopping purchase",
    "Utility bill payment", "ATM cash withdrawal", "Transfer to savings",
    "Restaurant payment", "Mortgage payment", "Insurance premium",
    "Mobile phone bill", "Fuel station purchase", "Subscription renewal",
    "Dividend received", "Rent payment", "Pharmacy purchase",
)
OCCUPATIONS = (
    "Engineer", "Teacher", "Nurse", "Accountant", "Sales Manager", "Software Developer",
    "Doctor", "Lawyer", "Retail Associate", "Consultant", "Electrician", "Designer",
)
INVESTMENT_GOALS = ("Retirement", "Wealth Growth", "Education", "Home Purchase", "Capital Preservation")
EDUCATION_LEVELS = ("High School", "Associate", "Bachelor", "Master", "Doctorate")
MARITAL_STATUSES = ("Single", "Married", "Divorced", "Widowed")
REGIONS = ("North", "South", "East", "West", "Central")
FINANCIAL_HISTORIES = ("Excellent", "Good", "Fair", "Poor")
SECTORS = ("Technology", "Healthcare", "Finance", "Education", "Retail", "Manufacturing", "Energy", "Public Sector")
LOAN_PURPOSES = ("home", "auto", "education", "personal", "business", "debt_consolidation")
EMPLOYMENT_STATUSES = ("Employed", "Self-employed", "Unemployed", "Retired", "Student")
LOAN_TERMS = (12, 24, 36, 48, 60, 120, 180, 240, 360)
STREETS = ("Oak", "Maple", "Cedar", "Pine", "Elm", "Washington", "Lake", "Hill", "Park", "River",
           "Sunset", "Highland", "Church", "Mill", "Spring", "Forest", "Meadow", "Ridge", "Main", "Bay")
STREET_SUFFIXES = ("St", "Ave", "Rd", "Blvd", "Ln", "Dr")
CITIES = (("Springfield", "IL"), ("Riverton", "WY"), ("Fairview", "TN"), ("Madison", "WI"),
          ("Georgetown", "TX"), ("Salem", "OR"), ("Franklin", "MA"), ("Clinton", "IA"),
          ("Greenville", "SC"), ("Bristol", "CT"), ("Dayton", "OH"), ("Auburn", "AL"))

# Segment effects (log scale) that make the analyses differ by segment.
BALANCE_LOG_MEAN_BY_RISK = np.log([6_000.0, 9_000.0, 14_000.0])  # Low, Medium, High
BALANCE_LOG_SHIFT_BY_TYPE = np.array([0.0, 0.2, -0.6, 0.5])  # checking, savings, credit, investment
WITHDRAWAL_SHIFT_BY_TYPE = np.array([0.08, -0.15, 0.20, -0.10])  # > 0: money leaves
WITHDRAWAL_SHIFT_BY_REGION = np.array([-0.05, 0.06, -0.10, 0.10, 0.0])
LOAN_TO_INCOME_BY_RISK = np.array([0.25, 0.40, 0.65])
RATE_BY_HISTORY = np.array([0.045, 0.065, 0.095, 0.14])
LOAN_STATUS_P_BY_HISTORY = np.array([[0.80, 0.12, 0.08], [0.65, 0.15, 0.20],
                                     [0.45, 0.20, 0.35], [0.25, 0.20, 0.55]])


def month_ends(reference: date = REFERENCE_DATE, months: int = MONTHS_OF_ACTIVITY) -> list[date]:
    """The `months` month-end dates up to and including `reference`'s month, oldest first."""
    ends = []
    first_of_next = date(reference.year + reference.month // 12, reference.month % 12 + 1, 1)
    for _ in range(months):
        end = first_of_next - timedelta(days=1)
        ends.append(end)
        first_of_next = end.replace(day=1)
    return ends[::-1]


_QUOTED_MONTH_ENDS = pa.array([f"'{d.isoformat()}'" for d in month_ends()])


def _as_arrow(values) -> pa.Array:
    return values if isinstance(values, pa.Array) else pa.array(values)


def _pick(values, index: np.ndarray) -> pa.Array:
    return pa.array(values).take(pa.array(index))


def _decimal_strings(values: np.ndarray, decimals: int) -> pa.Array:
    # + 0.0 turns -0.0 into 0.0 so that no "-0" is written.
    return pc.cast(pa.array(np.round(values, decimals) + 0.0), pa.string())


def _list_literal(elements: pa.Array, lengths: np.ndarray) -> pa.Array:
    """Python list literals such as `[1.5, -2.0]` from flat element strings."""
    offsets = np.zeros(len(lengths) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), elements), ", ")
    return pc.binary_join_element_wise("[", joined, "]", "")


def _customers_per_row(rng: np.random.Generator, rows: int, accounts_per_customer: float) -> np.ndarray:
    """Index of the owning customer for each row (0-based within the chunk)."""
    if accounts_per_customer <= 1:
        return np.arange(rows)
    counts = 1 + rng.poisson(accounts_per_customer - 1, size=rows)
    return np.repeat(np.arange(rows), counts)[:rows]


def make_chunk(seed: int, chunk: int, rows: int, first_row: int, first_customer_id: int,
               accounts_per_customer: float = 1.0) -> pa.Table:
    """One chunk of rows, as an Arrow table in the contract's column order."""
    rng = np.random.default_rng([seed, chunk])
    owner = _customers_per_row(rng, rows, accounts_per_customer)
    n_cust = int(owner[-1]) + 1

    # Customer attributes: drawn once per customer, repeated on each of its rows.
    risk = rng.choice(3, size=n_cust, p=[0.35, 0.40, 0.25])
    age = np.clip(np.rint(rng.normal(45, 14, n_cust)), *RANGES["age"]).astype(np.int64)
    education = rng.choice(5, size=n_cust, p=[0.25, 0.15, 0.35, 0.2, 0.05])
    history = rng.choice(4, size=n_cust, p=[0.25, 0.40, 0.25, 0.10])
    income = np.round(rng.lognormal(np.log(42_000) + 0.18 * education, 0.45), 2)
    years_employed = np.minimum(age - 18, rng.poisson(8, n_cust))
    customer = {
        "Customer Profile.customer_id": first_customer_id + np.arange(n_cust),
        "Customer Profile.age": age,
        "Customer Profile.occupation": _pick(OCCUPATIONS, rng.integers(0, len(OCCUPATIONS), n_cust)),
        "Customer Profile.risk_tolerance": _pick(RISK_TOLERANCES, risk),
        "Customer Profile.investment_goals": _pick(INVESTMENT_GOALS, rng.integers(0, 5, n_cust)),
        "Customer Profile.education_level": _pick(EDUCATION_LEVELS, education),
        "Customer Profile.marital_status": _pick(MARITAL_STATUSES, rng.choice(4, n_cust, p=[0.35, 0.45, 0.15, 0.05])),
        "Customer Profile.dependents": np.minimum(rng.poisson(1.2, n_cust), RANGES["dependents"][1]),
        "Customer Profile.region": _pick(REGIONS, rng.integers(0, 5, n_cust)),
        "Customer Profile.financial_history": _pick(FINANCIAL_HISTORIES, history),
        "Customer Profile.sector": _pick(SECTORS, rng.integers(0, len(SECTORS), n_cust)),
        "Customer Profile.income_level": income,
        "Customer Profile.employment_history": pc.binary_join_element_wise(
            pc.cast(pa.array(years_employed), pa.string()), "years", " "),
        "Customer Profile.address": _addresses(rng, n_cust),
        "Loan Application Summary.employment_status": _pick(
            EMPLOYMENT_STATUSES, rng.choice(5, n_cust, p=[0.6, 0.15, 0.07, 0.13, 0.05])),
    }
    owner_idx = pa.array(owner)
    columns = {name: _as_arrow(values).take(owner_idx) for name, values in customer.items()}
    columns["Account Activity.customer_id"] = columns["Customer Profile.customer_id"]
    risk, history, income = risk[owner], history[owner], income[owner]
    region = pc.index_in(columns["Customer Profile.region"], pa.array(REGIONS)).to_numpy()

    # Account, balance and flows.
    account_type = rng.choice(4, size=rows, p=[0.35, 0.30, 0.15, 0.20])
    balance = rng.lognormal(BALANCE_LOG_MEAN_BY_RISK[risk] + BALANCE_LOG_SHIFT_BY_TYPE[account_type], 1.1)
    balance *= np.where(rng.random(rows) < 0.002, 25.0, 1.0)  # a few very large accounts
    balance = np.round(balance, 2)
    deposits = np.round(balance * rng.uniform(0.05, 0.4, rows) + rng.lognormal(np.log(800), 0.6, rows), 2)
    withdrawal_shift = WITHDRAWAL_SHIFT_BY_TYPE[account_type] + WITHDRAWAL_SHIFT_BY_REGION[region]
    withdrawals = np.round(deposits * np.exp(rng.normal(withdrawal_shift, 0.25)), 2)
    investments = np.where(account_type == 3, balance * rng.uniform(0.1, 0.6, rows),
                           np.where(rng.random(rows) < 0.6, 0.0, rng.lognormal(np.log(1_000), 0.8, rows)))
    international = np.where(rng.random(rows) < 0.7, 0.0, rng.lognormal(np.log(1_500), 1.0, rows))
    loan_amount = np.round(np.maximum(income * rng.lognormal(np.log(LOAN_TO_INCOME_BY_RISK[risk]), 0.5), 500.0), 2)
    loan_term = rng.choice(len(LOAN_TERMS), size=rows, p=[0.1, 0.15, 0.2, 0.1, 0.2, 0.1, 0.05, 0.03, 0.07])
    interest = np.clip(RATE_BY_HISTORY[history] + 0.01 * (risk == 2) + rng.normal(0, 0.015, rows), 0.01, 0.35)
    u = rng.random(rows)[:, None]
    loan_status = (u > np.cumsum(LOAN_STATUS_P_BY_HISTORY[history], axis=1)).sum(axis=1)

    columns.update({
        "Transaction Description": _pick(DESCRIPTIONS, rng.integers(0, len(DESCRIPTIONS), rows)),
        "Account Activity.account_id": FIRST_ACCOUNT_ID + first_row + np.arange(rows),
        "Account Activity.balance": balance,
        "Account Activity.deposits": deposits,
        "Account Activity.withdrawals": withdrawals,
        "Account Activity.transfers": np.round(rng.lognormal(np.log(500), 1.0, rows), 2),
        "Account Activity.international_transfers": np.round(international, 2),
        "Account Activity.investments": np.round(investments, 2),
        "Account Activity.account_type": _pick(ACCOUNT_TYPES, account_type),
        "Account Activity.transaction_threshold": rng.choice([500.0, 1_000.0, 2_000.0, 5_000.0, 10_000.0], rows),
        "Loan Application Summary.loan_amount": loan_amount,
        "Loan Application Summary.loan_purpose": _pick(LOAN_PURPOSES, rng.integers(0, len(LOAN_PURPOSES), rows)),
        "Loan Application Summary.loan_term": np.array(LOAN_TERMS)[loan_term],
        "Loan Application Summary.interest_rate": np.round(interest, 4),
        "Loan Application Summary.loan_status": _pick(LOAN_STATUSES, loan_status),
    })
    columns.update(_activity(rng, rows, deposits - withdrawals, deposits, loan_amount,
                             np.array(LOAN_TERMS)[loan_term], loan_status == 0))
    return pa.table({name: columns[name] for name in RAW_COLUMN_NAMES})


def _addresses(rng: np.random.Generator, n: int) -> pa.Array:
    city = rng.integers(0, len(CITIES), n)
    return pc.binary_join_element_wise(
        pc.cast(pa.array(rng.integers(1, 9_999, n)), pa.string()),
        _pick(STREETS, rng.integers(0, len(STREETS), n)),
        pc.binary_join_element_wise(_pick(STREET_SUFFIXES, rng.integers(0, 6, n)), ",", ""),
        pc.binary_join_element_wise(_pick([c for c, _ in CITIES], city), ",", ""),
        _pick([s for _, s in CITIES], city),
        pc.utf8_lpad(pc.cast(pa.array(rng.integers(501, 99_950, n)), pa.string()), 5, "0"),
        " ",
    )


def _activity(rng, rows, yearly_net_flow, deposits, loan_amount, loan_term, approved) -> dict[str, pa.Array]:
    """The three list columns: the last k month-ends (the contract's 3 <= k <= 24) and one amount per month."""
    lengths = rng.integers(MIN_OBSERVATIONS, MAX_OBSERVATIONS + 1, rows)
    total = int(lengths.sum())
    row_of = np.repeat(np.arange(rows), lengths)
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    month = MONTHS_OF_ACTIVITY - lengths[row_of] + (np.arange(total) - starts)
    transactions = rng.normal(yearly_net_flow[row_of] / 12, deposits[row_of] * 0.05 + 50)
    installment = np.where(approved, loan_amount / loan_term, 0.0)[row_of]
    repayments = installment * rng.uniform(0.8, 1.2, total) * (rng.random(total) > 0.05)
    return {
        "Time Series Data.dates": _list_literal(_QUOTED_MONTH_ENDS.take(pa.array(month)), lengths),
        "Time Series Data.transactions": _list_literal(_decimal_strings(transactions, 2), lengths),
        "Time Series Data.repayments": _list_literal(_decimal_strings(repayments, 2), lengths),
    }


def header_line() -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(RAW_COLUMN_NAMES)
    return out.getvalue().encode()


def chunk_csv(seed: int, chunk: int, rows: int, accounts_per_customer: float) -> bytes:
    """Chunk `chunk` as CSV bytes (no header): a pure function of its arguments.

    Each chunk numbers its customers from chunk * CHUNK_ROWS + 1, so chunks
    can be made in any order, in parallel, and still give the same file.
    """
    table = make_chunk(seed, chunk, rows, chunk * CHUNK_ROWS, chunk * CHUNK_ROWS + 1, accounts_per_customer)
    sink = io.BytesIO()
    pa_csv.write_csv(table, sink, pa_csv.WriteOptions(include_header=False))
    return sink.getvalue()


class GenerateRefused(ValueError):
    """Arguments generate refuses before writing anything: the message names the argument and what it takes."""


def check_arguments(out: Path, rows: int, seed: int, accounts_per_customer: float) -> None:
    """GenerateRefused unless the arguments make a file, and `out` may be written: in an existing, writable
    directory, and never over anything but an extract (a file starting with the contract's header)."""
    if isinstance(rows, bool) or not isinstance(rows, int) or not 1 <= rows <= MAX_ROWS:
        raise GenerateRefused(f"--rows takes a whole number of accounts from 1 to {MAX_ROWS:,}, got {rows!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise GenerateRefused(f"--seed takes a whole number, 0 or more, got {seed!r}")
    if not (isinstance(accounts_per_customer, (int, float)) and math.isfinite(accounts_per_customer)
            and 1 <= accounts_per_customer <= MAX_ACCOUNTS_PER_CUSTOMER):
        raise GenerateRefused(f"--accounts-per-customer is a mean number of accounts per customer, from 1 to "
                              f"{MAX_ACCOUNTS_PER_CUSTOMER:g}, got {accounts_per_customer!r}")
    if out.name in ("", ".", ".."):  # "", ".", "/", "dir/..": no file named
        raise GenerateRefused(f"--out {str(out)!r} names no file: --out takes the path of a CSV file to write, "
                              "in an existing directory, as in data/raw/fintech_data.csv")
    for path in (out, _partial(out)):
        try:
            _check_writable(path)
        except OSError as e:  # a name too long, a path through a file...: not a place a file can be written
            raise GenerateRefused(f"--out {out}: cannot write there ({e.strerror or type(e).__name__}): "
                                  "give the path of a CSV file in a directory you can write") from None


def _check_writable(out: Path) -> None:
    if not out.parent.is_dir():
        if out.parent.exists():
            raise GenerateRefused(f"--out {out}: {out.parent} is not a directory")
        raise GenerateRefused(f"--out {out}: the directory {out.parent} does not exist (create it first)")
    if not os.access(out.parent, os.W_OK | os.X_OK):
        raise GenerateRefused(f"--out {out}: cannot write in the directory {out.parent}")
    if out.is_dir():
        raise GenerateRefused(f"--out {out} is a directory: give the path of a CSV file")
    if out.exists() or out.is_symlink():
        try:
            with open(out, "rb") as f:
                ours = out.is_file() and f.read(len(header_line())) == header_line()
        except OSError:
            ours = False
        if not ours:
            raise GenerateRefused(f"--out {out} exists and is not an extract (its first line is not the contract's "
                                  "header): it is never written over; move it away or give another --out")


def _partial(out: Path) -> Path:
    return out.with_name(out.name + ".partial")


def generate(out: Path, rows: int, seed: int = 42, accounts_per_customer: float = 1.0,
             progress: bool | None = None) -> Path:
    """Write `rows` accounts to `out` (in an existing directory; over an extract at most). Returns `out`."""
    out = Path(out)
    check_arguments(out, rows, seed, accounts_per_customer)
    sizes = [min(CHUNK_ROWS, rows - start) for start in range(0, rows, CHUNK_ROWS)]
    jobs = [(seed, chunk, size, accounts_per_customer) for chunk, size in enumerate(sizes)]
    if progress is None:
        progress = rows >= 500_000 and sys.stderr.isatty()
    bar = _progress_bar(rows) if progress else None
    tmp = _partial(out)
    try:
        sink = open(tmp, "wb")
    except OSError as e:  # the checks passed, the system says no (/proc, a read-only mount): nothing written
        raise GenerateRefused(f"--out {out}: cannot write {tmp} ({e.strerror or type(e).__name__}): give the "
                              "path of a CSV file in a directory you can write") from None
    with sink:
        sink.write(header_line())
        for size, data in zip(sizes, _in_order(jobs)):
            sink.write(data)
            if bar is not None:
                bar.update(size)
    if bar is not None:
        bar.close()
    tmp.replace(out)  # a reader never sees a half-written file
    return out


def _in_order(jobs: list[tuple]):
    """CSV bytes of each job, in job order; several processes when it pays off.

    At most two chunks per worker are in flight, so memory stays flat.
    """
    workers = min(os.cpu_count() or 1, 4)
    if len(jobs) < 4 or workers < 2:
        yield from (chunk_csv(*job) for job in jobs)
        return
    ctx = multiprocessing.get_context("spawn")  # no fork of a process holding Arrow's threads
    # Chunks allocate and free the same large arrays over and over: keep glibc
    # from returning them to the kernel each time (halves the system time).
    os.environ.setdefault("MALLOC_MMAP_THRESHOLD_", str(256 * 2**20))
    os.environ.setdefault("MALLOC_TRIM_THRESHOLD_", str(512 * 2**20))
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_one_thread_per_worker) as pool:
        pending: deque = deque()
        for job in jobs:
            pending.append(pool.submit(chunk_csv, *job))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _one_thread_per_worker() -> None:
    pa.set_cpu_count(1)  # the workers already use every core


def _progress_bar(rows: int):
    from tqdm import tqdm

    return tqdm(total=rows, unit=" rows", unit_scale=True, desc="generate", file=sys.stderr)
