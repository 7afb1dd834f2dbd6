"""Bad input is refused before anything is published: a clear report, no traceback, the warehouse untouched.

Input that cannot be typed is refused by the loader's contract (exit 2); typed
input that breaks a rule of the Great Expectations suites, by the gate (exit 1).
"""

from __future__ import annotations

import csv
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import (
    SAMPLE_CSV,
    SAMPLE_HEADER,
    SAMPLE_ROWS,
    copy_published,
    file_digest,
    read_tables,
    run_fintech,
    warehouse_url,
)

HEADER, ROWS = SAMPLE_HEADER, SAMPLE_ROWS


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def _with_value(column: str, line: int, value: str) -> list[list[str]]:
    """The sample with one field replaced; `line` counts as a text editor does (header = 1)."""
    rows = [list(r) for r in ROWS]
    rows[line - 2][HEADER.index(column)] = value
    return [HEADER, *rows]


def _without_column(column: str) -> list[list[str]]:
    i = HEADER.index(column)
    return [r[:i] + r[i + 1:] for r in [HEADER, *ROWS]]


def _renamed(column: str, new_name: str) -> list[list[str]]:
    return [[new_name if h == column else h for h in HEADER], *ROWS]


def _raw_bytes(data: bytes):
    return lambda path: path.write_bytes(data) and path


def _bad_utf8_in_address(path: Path) -> Path:
    """Line 4's address with a byte that is not UTF-8: the one column no model reads is checked too."""
    _write(path, _with_value("Customer Profile.address", 4, "12 Rue de la Paix"))
    path.write_bytes(path.read_bytes().replace(b"Rue de la Paix", b"Rue de la P\xe4ix"))
    return path


def _truncated(path: Path) -> Path:
    text = SAMPLE_CSV.read_bytes()
    last_line_start = text.rstrip(b"\n").rfind(b"\n") + 1
    path.write_bytes(text[: last_line_start + 150])  # the last line cut in its middle
    return path


@pytest.fixture(scope="module")
def published(published_sample, tmp_path_factory):
    """One copy of the published sample for the module: every refusal must leave it exactly as it is."""
    return copy_published(published_sample, tmp_path_factory.mktemp("published"))


BALANCE = "Account Activity.balance"
TRANSACTIONS = "Time Series Data.transactions"
REPAYMENTS = "Time Series Data.repayments"
DATES = "Time Series Data.dates"

# name -> (how to make the file, words the report must contain); refused by the contract: exit 2
CASES = {
    "missing_column": (lambda p: _write(p, _without_column(BALANCE)), [BALANCE, "missing"]),
    "renamed_column": (lambda p: _write(p, _renamed(BALANCE, "Account Activity.bal")),
                       [BALANCE, "missing", "Account Activity.bal", "renamed"]),
    "text_in_number": (lambda p: _write(p, _with_value(BALANCE, 4, "twelve")),
                       [BALANCE, "must be a number written plainly", "line 4", "twelve"]),
    "text_in_integer": (lambda p: _write(p, _with_value("Customer Profile.age", 7, "forty")),
                        ["Customer Profile.age", "line 7", "forty"]),
    "unparseable_list": (lambda p: _write(p, _with_value(DATES, 5, "2024-01-31; 2024-02-29")),
                         [DATES, "list literal", "line 5", "2024-01-31; 2024-02-29"]),
    "list_element_not_a_number": (
        lambda p: _write(p, _with_value(TRANSACTIONS, 6, "[1.5, 'oops', 2.5]")),
        [TRANSACTIONS, "must be a number", "line 6", "oops"]),
    "list_element_not_plain": (  # DuckDB alone would read 1_000 and NaN; Spark reads them differently
        lambda p: _write(p, _with_value(REPAYMENTS, 7, "[1_000.0, NaN, 2.5]")),
        [REPAYMENTS, "written plainly", "line 7", "1_000"]),
    "list_element_not_a_date": (
        lambda p: _write(p, _with_value(DATES, 9, "['2024-01-31', '2024-02-30', '2024-03-31']")),
        [DATES, "calendar date", "line 9", "2024-02-30"]),
    "lists_of_unequal_length": (lambda p: _write(p, _with_value(REPAYMENTS, 8, "[1.0, 2.0]")),
                                [REPAYMENTS, "same length", "line 8", "elements=2"]),
    "customer_id_copies_differ": (
        lambda p: _write(p, _with_value("Account Activity.customer_id", 10, "999999")),
        ["Account Activity.customer_id", "Customer Profile.customer_id", "line 10", "999999"]),
    "missing_loan_amount": (lambda p: _write(p, _with_value("Loan Application Summary.loan_amount", 3, "")),
                            ["Loan Application Summary.loan_amount", "empty", "line 3"]),
    "empty_file": (_raw_bytes(b""), ["empty"]),
    "header_only": (lambda p: _write(p, [HEADER]), ["no data rows"]),
    "binary_file": (_raw_bytes(bytes(range(256)) * 40), ["not a text CSV"]),
    "not_utf8": (_raw_bytes("Transaction Description,Customer Profile.customer_id\n".encode("utf-16")),
                 ["not a", "CSV"]),
    "no_header": (lambda p: _write(p, ROWS), ["not the contract's header", "line 1"]),
    "truncated_last_line": (_truncated, [f"line {len(ROWS) + 1}"]),
    "not_utf8_in_address": (_bad_utf8_in_address, ["UTF-8", "line 4"]),
}


# refused by the expectation suites' gate: exit 1
GATE_CASES = {
    "negative_balance": (lambda p: _write(p, _with_value(BALANCE, 5, "-10.5")),
                         ["staging", "expect_column_values_to_be_between", "balance", "-10.5"]),
    "duplicated_account_id": (lambda p: _write(p, _with_value("Account Activity.account_id", 6, ROWS[0][16])),
                              ["expect_column_values_to_be_unique", "account_id", ROWS[0][16]]),
    "unknown_risk_tier": (lambda p: _write(p, _with_value("Customer Profile.risk_tolerance", 7, "Reckless")),
                          ["expect_column_values_to_be_in_set", "risk_tolerance", "Reckless"]),
    "unknown_product_type": (lambda p: _write(p, _with_value("Account Activity.account_type", 8, "crypto")),
                             ["expect_column_values_to_be_in_set", "account_type", "crypto"]),
    "unknown_loan_status": (lambda p: _write(p, _with_value("Loan Application Summary.loan_status", 9, "maybe")),
                            ["loan_status", "maybe"]),
    "interest_rate_as_percent": (
        lambda p: _write(p, _with_value("Loan Application Summary.interest_rate", 10, "8.5")),
        ["expect_column_values_to_be_between", "interest_rate", "8.5"]),
    "loan_amount_zero": (lambda p: _write(p, _with_value("Loan Application Summary.loan_amount", 11, "0")),
                         ["loan_amount", "0.0"]),
    "age_out_of_range": (lambda p: _write(p, _with_value("Customer Profile.age", 12, "150")), ["age", "150"]),
}


def _short_lists(path: Path) -> Path:
    rows = [list(r) for r in ROWS]
    for column, value in [(DATES, "['2024-11-30', '2024-12-31']"), (TRANSACTIONS, "[1.0, 2.0]"),
                          (REPAYMENTS, "[0.0, 0.0]")]:
        rows[11][HEADER.index(column)] = value
    return _write(path, [HEADER, *rows])


GATE_CASES["too_few_observations"] = (_short_lists, ["stg_activity_lists", "observations", "2"])


def folder_digest(folder: Path) -> dict[str, str]:
    """Every file under `folder` (the warehouse, its reports, anything beside it) with its digest."""
    return {str(p.relative_to(folder)): file_digest(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def _assert_refused(result, code: int, expected_words: list[str], published, before: dict[str, str]) -> None:
    """Refused with `code`, a report with these words and no traceback; the warehouse exactly as it was, and
    nothing beside it changed (`before`: its folder_digest before the build)."""
    target, digest, contents = published
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for words in expected_words:
        assert words in result.stderr, f"{words!r} not in:\n{result.stderr}"
    assert "published warehouse is unchanged" in result.stderr
    assert file_digest(target) == digest
    after = read_tables(target)
    assert sorted(after) == sorted(contents)
    for name, frame in contents.items():
        assert after[name].equals(frame), name
    assert folder_digest(target.parent) == before  # no scratch file left behind, no report rewritten


def test_a_warning_is_reported_and_does_not_block(tmp_path):
    rows = [list(r) for r in ROWS]
    rows[3][HEADER.index(BALANCE)] = "2500000000.00"
    odd = _write(tmp_path / "odd.csv", [HEADER, *rows])
    target = tmp_path / "w.duckdb"
    result = run_fintech("build", "--source", str(odd), "--backend", warehouse_url(target))
    assert result.returncode == 0, result.stderr
    assert "[warning]" in result.stdout and "balance" in result.stdout and "2500000000" in result.stdout
    assert target.exists()


# Every bad input: the contract's refusals exit 2 and name the file; the gate's exit 1.
REFUSALS = [(case, 2, *CASES[case]) for case in CASES] + [(case, 1, *GATE_CASES[case]) for case in GATE_CASES]


@pytest.fixture(scope="module")
def refused_builds(published_sample, tmp_path_factory):
    """Each bad input built over its own copy of the published sample, 3 builds at a time (each is a process
    of its own): case -> (the command's result, the bad file, the copy, its folder's digest before)."""
    def attempt(case_and_make):
        case, make = case_and_make
        folder = tmp_path_factory.mktemp(case)
        bad = folder / f"{case}.csv"
        make(bad)
        published = copy_published(published_sample, folder)
        before = folder_digest(published[0].parent)
        result = run_fintech("build", "--source", str(bad), "--backend", warehouse_url(published[0]))
        return case, (result, bad, published, before)

    with ThreadPoolExecutor(3) as pool:
        return dict(pool.map(attempt, [(case, make) for case, _, make, _ in REFUSALS]))


@pytest.mark.parametrize(("case", "code", "make", "expected_words"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refused_input_leaves_the_warehouse_untouched(case, code, make, expected_words, refused_builds):
    result, bad, published, before = refused_builds[case]
    if code == 2:
        assert str(bad) in result.stderr  # the contract's report names the file
    _assert_refused(result, code, expected_words, published, before)


def test_report_shows_at_most_five_offending_lines(tmp_path):
    rows = [list(r) for r in ROWS]
    for row in rows[:8]:
        row[HEADER.index(BALANCE)] = "n/a"
    bad = _write(tmp_path / "many.csv", [HEADER, *rows])
    result = run_fintech("build", "--source", str(bad), "--backend", warehouse_url(tmp_path / "w.duckdb"))
    assert result.returncode == 2
    assert "(8 rows)" in result.stderr
    assert [f"line {n}:" in result.stderr for n in range(2, 10)] == [True] * 5 + [False] * 3


# On another backend the same reader and checks run in DuckDB before any row streams in: the same refusals.
ON_SQLITE = ["text_in_number", "list_element_not_a_date", "lists_of_unequal_length", "negative_balance",
             "too_few_observations"]


@pytest.fixture(scope="module")
def published_sqlite(tmp_path_factory):
    target = tmp_path_factory.mktemp("published_sqlite") / "fintech.sqlite"
    result = run_fintech("build", "--source", str(SAMPLE_CSV), "--backend", f"sqlite://{target}")
    assert result.returncode == 0, result.stderr
    return target, file_digest(target)


@pytest.mark.parametrize("case", ON_SQLITE)
def test_the_same_refusals_on_sqlite(case, published_sqlite, tmp_path):
    make, words = CASES[case] if case in CASES else GATE_CASES[case]
    code = 2 if case in CASES else 1  # the contract's refusal, or the gate's
    bad = tmp_path / f"{case}.csv"
    make(bad)
    target, digest = published_sqlite
    before = folder_digest(target.parent)

    result = run_fintech("build", "--source", str(bad), "--backend", f"sqlite://{target}")

    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert all(w in result.stderr for w in words), result.stderr
    assert file_digest(target) == digest and folder_digest(target.parent) == before


@pytest.mark.parametrize("change", ["valid rows", "a bad value, same size and time"])
def test_a_file_changed_after_its_checks_is_refused(change, tmp_path):
    """Staging reads the file again (the raw table is a view of it): what it reads must be what was checked.
    A read skips a line it cannot type, so without this a bad line written after the checks would be lost."""
    import os

    import ibis

    from pipelines.load import confirm_unchanged, fingerprint, load_raw
    from semantic.models.contract import ContractViolation
    from semantic.models.staging import stg_fintech_data

    source = _write(tmp_path / "extract.csv", [HEADER, *ROWS])
    con = ibis.duckdb.connect()
    checked = fingerprint(source)
    raw = load_raw(con, source)
    status = source.stat()
    if change == "valid rows":
        _write(source, [HEADER, *ROWS[:-1]])
    else:
        _write(source, _with_value("Customer Profile.age", 6, "4x"))  # in place of a two-digit age
        assert source.stat().st_size == status.st_size
        os.utime(source, ns=(status.st_atime_ns, status.st_mtime_ns))
    con.create_table("stg_fintech_data", stg_fintech_data(raw))

    with pytest.raises(ContractViolation) as refused:
        confirm_unchanged(con, source, checked)
    expected = "changed while the build" if change == "valid rows" else "line 6"
    assert expected in str(refused.value), str(refused.value)
