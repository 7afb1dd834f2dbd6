"""Values that are never valid (shared/spec/data-contract.md; issue 14, parts 4, 5 and 7): each class refused
by the contract, with many instances, naming the file, the column, the rule and the line; what is valid in
the same places is accepted.

Most instances run in-process (`load_raw` and the parsed-list rules, as the build runs them, ~50 ms each);
one `fintech build` per phase of the checks shows the same through the command, the published warehouse
byte-identical after it. The columns are listed here from the spec, not read from the code under test.
"""

from __future__ import annotations

import csv
import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import ibis
import pytest

from pipelines.load import check_header, load_raw, numbered_raw
from semantic.models.contract import ContractViolation, check_staged
from semantic.models.staging import stg_fintech_data
from tests.conftest import (
    ROOT,
    SAMPLE_HEADER,
    SAMPLE_ROWS,
    copy_published,
    file_digest,
    read_tables,
    run_fintech,
    warehouse_url,
)

HEADER, ROWS = SAMPLE_HEADER, SAMPLE_ROWS

# ---- the contract's columns, from shared/spec/data-contract.md ------------------------------------

INTEGER_COLUMNS = [
    "Customer Profile.customer_id", "Customer Profile.age", "Customer Profile.dependents",
    "Account Activity.customer_id", "Account Activity.account_id", "Loan Application Summary.loan_term",
]
MONEY_COLUMNS = [
    "Customer Profile.income_level", "Account Activity.balance", "Account Activity.deposits",
    "Account Activity.withdrawals", "Account Activity.transfers", "Account Activity.international_transfers",
    "Account Activity.investments", "Account Activity.transaction_threshold",
    "Loan Application Summary.loan_amount",
]
NUMBER_COLUMNS = [*MONEY_COLUMNS, "Loan Application Summary.interest_rate"]
DATES, TRANSACTIONS, REPAYMENTS = ("Time Series Data.dates", "Time Series Data.transactions",
                                   "Time Series Data.repayments")
AMOUNT_LISTS = [TRANSACTIONS, REPAYMENTS]
TEXT_COLUMNS = [
    "Customer Profile.occupation", "Customer Profile.risk_tolerance", "Customer Profile.investment_goals",
    "Customer Profile.education_level", "Customer Profile.marital_status", "Customer Profile.region",
    "Customer Profile.financial_history", "Customer Profile.sector", "Customer Profile.employment_history",
    "Customer Profile.address", "Account Activity.account_type", "Loan Application Summary.loan_purpose",
    "Loan Application Summary.employment_status", "Loan Application Summary.loan_status",
]
OPTIONAL = "Transaction Description"  # the one column that may be empty
REQUIRED_COLUMNS = [c for c in HEADER if c != OPTIONAL]
assert sorted([*INTEGER_COLUMNS, *NUMBER_COLUMNS, DATES, *AMOUNT_LISTS, *TEXT_COLUMNS]) == sorted(REQUIRED_COLUMNS)

NON_FINITE = ["nan", "NaN", "-nan", "NAN", "inf", "-inf", "+inf", "Inf", "Infinity", "-Infinity", "1e309",
              "-1e309", "1E400", "2e308"]


# ---- helpers --------------------------------------------------------------------------------------

Change = tuple[str, int, str]  # (column, CSV line as an editor counts it: the header is line 1, value)


def _rows(changes: list[Change], rows: int = 40) -> list[list[str]]:
    table = [list(r) for r in ROWS[:rows]]
    for column, line, value in changes:
        table[line - 2][HEADER.index(column)] = value
    return [HEADER, *table]


def _write(path: Path, table: list[list[str]], quoting: int = csv.QUOTE_MINIMAL) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, quoting=quoting).writerows(table)
    return path


def _first_element_replaced(column: str, line: int, element: str) -> Change:
    """The list of `column` on `line` with its first element written as `element` (same length)."""
    literal = ROWS[line - 2][HEADER.index(column)]
    inner = literal.strip()[1:-1].split(",")
    return column, line, "[" + ", ".join([element, *inner[1:]]) + "]"


def contract(path: Path) -> ContractViolation | None:
    """The contract's verdict on `path`, as the build reaches it: the raw rules, then (staging parsed on
    DuckDB) the rules on the parsed lists. None: accepted."""
    con = ibis.duckdb.connect()
    try:
        raw = load_raw(con, path)
        staged = con.create_table("stg_fintech_data", stg_fintech_data(raw))
        check_staged(staged, path, numbered_raw(con, path))
    except ContractViolation as refused:
        return refused
    finally:
        con.disconnect()
    return None


def refused_at(violation: ContractViolation | None) -> dict[str, set[int]]:
    """Column -> the CSV lines the report shows for it."""
    assert violation is not None, "accepted, but it should have been refused"
    found: dict[str, set[int]] = {}
    for problem in violation.problems:
        lines = {int(e.split(":")[0].removeprefix("line ")) for e in problem.examples if e.startswith("line ")}
        found.setdefault(problem.column, set()).update(lines)
    return found


def assert_refused(path: Path, changes: list[Change], rule_words: str | None = None) -> ContractViolation:
    """Refused, naming the file, each changed column with its line, and (if given) the rule's words there."""
    violation = contract(path)
    shown = refused_at(violation)
    report = violation.report()
    assert str(path) in report
    for column, line, value in changes:
        assert line in shown.get(column, set()), f"{column} line {line} ({value!r}) not in:\n{report}"
        if rule_words:
            rules = [p.rule for p in violation.problems if p.column == column]
            assert any(rule_words in r for r in rules), f"{rule_words!r} not a rule of {column}:\n{report}"
    return violation


def assert_accepted(path: Path) -> None:
    violation = contract(path)
    assert violation is None, violation.report()


# ---- class 1: numbers are finite, money is plausible, dates are in range ------------------------

@pytest.mark.parametrize("value", NON_FINITE)
def test_non_finite_numbers_are_refused_in_every_numeric_column_and_list(value, tmp_path):
    plain = [(c, 2 + i, value) for i, c in enumerate(INTEGER_COLUMNS + NUMBER_COLUMNS)]
    violation = assert_refused(_write(tmp_path / "plain.csv", _rows(plain)), plain)
    for column, line, _ in plain:  # the value as written, on its line
        examples = [e for p in violation.problems if p.column == column for e in p.examples]
        assert any(e.startswith(f"line {line}:") and repr(value) in e for e in examples), examples

    in_lists = [_first_element_replaced(c, 3 + i, value) for i, c in enumerate(AMOUNT_LISTS)]
    violation = assert_refused(_write(tmp_path / "lists.csv", _rows(in_lists)), in_lists)
    assert value in violation.report()  # the offending element itself is shown


MONEY_REFUSED = ["1e12", "-1e12", "1000000000000", "1000000000000.0", "999999999999.99999999",  # rounds to 1e12
                 "1.5e12", "-2e15", "1e300", "1E+13", "12345678901234567890"]
MONEY_ACCEPTED = ["999999999999.99", "-999999999999", "9.99e11", "1e11", "0", "-0", "0.01", "2.5e-05"]


@pytest.mark.parametrize("value", MONEY_REFUSED)
def test_money_of_1e12_or_more_is_refused_in_every_money_column_and_list(value, tmp_path):
    plain = [(c, 2 + i, value) for i, c in enumerate(MONEY_COLUMNS)]
    assert_refused(_write(tmp_path / "plain.csv", _rows(plain)), plain, "below 1e12 in absolute value")
    in_lists = [_first_element_replaced(c, 3 + i, value) for i, c in enumerate(AMOUNT_LISTS)]
    assert_refused(_write(tmp_path / "lists.csv", _rows(in_lists)), in_lists, "below 1e12 in absolute value")


def test_money_below_1e12_is_accepted_by_the_contract(tmp_path):
    """(Negative balances and the like are the gate's, not the contract's: exit 1, tests/pipelines/test_load.py.)"""
    for value in MONEY_ACCEPTED:
        plain = [(c, 2 + i, value) for i, c in enumerate(MONEY_COLUMNS)]
        lists = [_first_element_replaced(c, 12 + i, value.lstrip("-")) for i, c in enumerate(AMOUNT_LISTS)]
        assert_accepted(_write(tmp_path / "plausible.csv", _rows(plain + lists)))


def test_an_interest_rate_that_overflows_is_refused_as_not_finite(tmp_path):
    for value in ["1e309", "-1e309", "1e400"]:
        change = [("Loan Application Summary.interest_rate", 5, value)]
        assert_refused(_write(tmp_path / "rate.csv", _rows(change)), change, "finite")


DATES_REFUSED = {  # as written in the list -> the rule's words
    "'0001-01-31'": "from 1970-01-01 to 2100-12-31", "'1969-12-31'": "from 1970-01-01 to 2100-12-31",
    "'2101-01-01'": "from 1970-01-01 to 2100-12-31", "'9999-12-31'": "from 1970-01-01 to 2100-12-31",
    "'2024-02-30'": "calendar date", "'2023-02-29'": "calendar date", "'2024-13-01'": "calendar date",
    "'2024-00-10'": "calendar date", "'2024-04-31'": "calendar date",
    "'99999-01-31'": "ISO date written 'YYYY-MM-DD'", "'+2024-01-31'": "ISO date written 'YYYY-MM-DD'",
    "'2024-1-31'": "ISO date written 'YYYY-MM-DD'", "'20240131'": "ISO date written 'YYYY-MM-DD'",
    "'2024/01/31'": "ISO date written 'YYYY-MM-DD'", "2024-01-31": "ISO date written 'YYYY-MM-DD'",
    "'2024-01-31T00:00'": "ISO date written 'YYYY-MM-DD'", "''": "ISO date written 'YYYY-MM-DD'",
    "'nan'": "ISO date written 'YYYY-MM-DD'",
}


def test_dates_outside_1970_2100_or_the_calendar_are_refused(tmp_path):
    for written, words in DATES_REFUSED.items():
        changes = [_first_element_replaced(DATES, line, written) for line in (4, 9)]
        violation = assert_refused(_write(tmp_path / "dates.csv", _rows(changes)), changes, words)
        assert written.strip("'") in violation.report()
    for written in ["'1970-01-01'", "'2100-12-31'", "'2000-02-29'"]:
        assert_accepted(_write(tmp_path / "dates.csv", _rows([_first_element_replaced(DATES, 4, written)])))


# ---- class 2: every required value is present ---------------------------------------------------

BLANKS = ["", " ", "   ", "\t", "\u00a0", "\u3000", "\u2003 \u2009", "\u200b", "\ufeff", " \u2028 "]


@pytest.mark.parametrize("blank", BLANKS, ids=[repr(b) for b in BLANKS])
def test_an_empty_or_blank_required_cell_is_refused_in_every_column(blank, tmp_path):
    changes = [(column, 2 + i, blank) for i, column in enumerate(REQUIRED_COLUMNS)]
    assert_refused(_write(tmp_path / "blank.csv", _rows(changes)), changes, "must not be empty or blank")


def test_a_quoted_empty_field_is_as_empty_as_an_empty_one(tmp_path):
    """DuckDB reads an empty field and `""` alike as NULL: both refused, in every required column."""
    changes = [(column, 2 + i, "") for i, column in enumerate(REQUIRED_COLUMNS)]
    path = _write(tmp_path / "quoted.csv", _rows(changes), quoting=csv.QUOTE_ALL)
    assert ',"",' in path.read_text()
    assert_refused(path, changes, "must not be empty or blank")


def test_the_transaction_description_may_be_empty(tmp_path):
    changes = [(OPTIONAL, line, value) for line, value in [(2, ""), (3, " "), (4, "\u00a0")]]
    assert_accepted(_write(tmp_path / "descriptions.csv", _rows(changes)))


# ---- class 3: one reading of numbers, in plain columns and in lists ------------------------------

# written -> (accepted as a number, accepted as an integer); None: not tried (money beyond its limit)
SPELLINGS = {
    "12": (True, True), "-12": (True, True), "0": (True, True), "-0": (True, True),
    "123456789012345678": (None, True), "1234567890123456789": (None, False),  # integers: at most 18 digits
    "12.5": (True, False), "1.0": (True, False), "1.5": (True, False),  # DuckDB's reader rounds 1.5 to 2
    "1e3": (True, False), "1E+3": (True, False), "2.5e-05": (True, False), "0.08": (True, False),
    "1_000": (False, False), "1__0": (False, False), "1,000": (False, False), "1 000": (False, False),
    "1'000": (False, False), "0x10": (False, False), "0X1F": (False, False), "0b101": (False, False),
    "0o17": (False, False), "+5": (False, False), "--5": (False, False), ".5": (False, False),
    "5.": (False, False), "-.5": (False, False), "007": (False, False), "00.5": (False, False),
    "1e": (False, False), "e5": (False, False), "1e3.5": (False, False), "1.2.3": (False, False),
    "\uff11\uff12": (False, False), "\u0661\u0662": (False, False), "12abc": (False, False),
    "$12": (False, False), "12%": (False, False), "true": (False, False), "nan": (False, False),
    "inf": (False, False), "12\u00a0": (False, False),
}
# Spaces around a list element are the list's syntax, not the number's: `[ 12, 3]` is a list of plain numbers.
AROUND = [" 12", "12 ", "\t12", "12\t", " 12 "]


def test_one_reading_of_numbers_in_plain_columns_and_in_lists(tmp_path):
    """What a list refuses a plain column refuses too, and the other way round; integers are digits only.

    Five spellings per file, each on its own line of each place (the report shows five lines per rule)."""
    spellings = list(SPELLINGS.items())
    for chunk in [spellings[i:i + 5] for i in range(0, len(spellings), 5)]:
        expected: dict[tuple[str, int], bool] = {}  # (column, line) -> accepted
        changes: list[Change] = []
        for k, (written, (number, integer)) in enumerate(chunk):
            places = [("Account Activity.balance", 2 + k, number),
                      ("Loan Application Summary.interest_rate", 7 + k, number), (TRANSACTIONS, 12 + k, number)]
            places += [(column, 17 + 5 * c + k, integer) for c, column in enumerate(INTEGER_COLUMNS)]
            for column, line, accepted in places:
                if accepted is None:
                    continue
                changes.append(_first_element_replaced(column, line, written) if column == TRANSACTIONS
                               else (column, line, written))
                expected[column, line] = accepted
        violation = contract(_write(tmp_path / "spelling.csv", _rows(changes, rows=60)))
        shown = refused_at(violation) if violation else {}
        rules = {p.column: p.rule for p in violation.problems if "written plainly" in p.rule} if violation else {}
        for (column, line), accepted in expected.items():
            value = next(v for c, n, v in changes if (c, n) == (column, line))
            assert (line in shown.get(column, set()) and column in rules) != accepted, (
                f"{column} line {line} ({value!r}) {'refused' if accepted else 'accepted'}:\n"
                f"{violation.report() if violation else 'accepted'}")
    for written in AROUND:
        plain = [("Account Activity.balance", 2, written), ("Customer Profile.age", 3, written)]
        assert_refused(_write(tmp_path / "around.csv", _rows(plain)), plain, "written plainly")


def test_the_reader_takes_no_number_the_rules_refuse(tmp_path):
    """The rules read what they check as text: nothing DuckDB's typed reader would take (1_000, +5, 1.5 as
    2) reaches staging. What passes is read the same by the rules and by staging."""
    con = ibis.duckdb.connect()
    changes = [("Account Activity.balance", 2, "1.5e3"), ("Customer Profile.income_level", 3, "-0"),
               ("Account Activity.deposits", 4, "2.5E-2"), ("Customer Profile.age", 5, "40")]
    raw = load_raw(con, _write(tmp_path / "spelled.csv", _rows(changes)))
    staged = stg_fintech_data(raw).to_pandas()
    assert staged.balance[0] == 1500.0 and staged.income_level[1] == 0.0 and staged.deposits[2] == 0.025
    assert staged.age[3] == 40


# ---- class 4: a source that cannot be read is a refusal (exit 2, naming it) ----------------------

def _loop(path: Path) -> None:
    (path.parent / "other.csv").symlink_to(path)
    path.symlink_to(path.parent / "other.csv")


SOURCES = {  # how to make the path -> what the report says
    "missing": (lambda p: None, "does not exist"),
    "a directory": (lambda p: p.mkdir(), "is a directory"),
    "a dangling symlink": (lambda p: p.symlink_to(p.parent / "gone.csv"), "symbolic link to a missing file"),
    "a symlink loop": (_loop, "loop of symbolic links"),
    "a fifo": (os.mkfifo, "not a regular file"),
    "inside a file": (None, "not a directory"),
    "a device": (None, "not a regular file"),
}


@pytest.fixture(scope="module")
def published(published_sample, tmp_path_factory):
    """One copy of the published sample for the module: every refusal must leave it exactly as it is."""
    return copy_published(published_sample, tmp_path_factory.mktemp("published"))


def folder_digest(folder: Path) -> dict[str, str]:
    """Every entry under `folder` (the warehouse, its reports, anything beside it): names and bytes."""
    return {str(p.relative_to(folder)): file_digest(p) if p.is_file() else "dir" for p in sorted(folder.rglob("*"))}


def _assert_untouched(published, before: dict[str, str]) -> None:
    target, digest, contents = published
    assert file_digest(target) == digest
    assert folder_digest(target.parent) == before
    after = read_tables(target)
    assert sorted(after) == sorted(contents) and all(after[n].equals(f) for n, f in contents.items())


def test_a_source_that_cannot_be_read_is_refused_naming_it(published, tmp_path):
    before = folder_digest(published[0].parent)
    for case, (make, words) in SOURCES.items():
        source = tmp_path / case.replace(" ", "_") / "extract.csv"
        source.parent.mkdir()
        if case == "inside a file":
            _write(source.parent / "plain.csv", [HEADER, *ROWS[:3]])
            source = source.parent / "plain.csv" / "extract.csv"
        elif case == "a device":
            source = Path("/dev/null")
        else:
            make(source)

        result = run_fintech("build", "--source", str(source), "--backend", warehouse_url(published[0]))

        assert result.returncode == 2, (case, result.stderr)
        assert f"refused {source}" in result.stderr and words in result.stderr, (case, result.stderr)
        assert "Traceback" not in result.stderr and "build failed" not in result.stderr, result.stderr
    _assert_untouched(published, before)


def test_an_unreadable_source_is_refused_naming_it(published, tmp_path):
    """As root (the tests' user here) a file's mode does not stop reading it: the command then runs without
    the capabilities that override file permissions (setpriv), as any other user would."""
    source = _write(tmp_path / "locked.csv", [HEADER, *ROWS[:3]])
    source.chmod(0)
    command = [sys.executable, "-m", "fintech", "build", "--source", str(source),
               "--backend", warehouse_url(published[0])]
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv: no way to make a file unreadable")
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--", *command]
    env = {k: v for k, v in os.environ.items() if k != "FINTECH_BACKEND"}
    before = folder_digest(published[0].parent)
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    if "setpriv" in command[0] and "Operation not permitted" in result.stderr:
        pytest.skip(f"setpriv cannot drop capabilities here: {result.stderr.strip()}")
    assert result.returncode == 2, result.stderr
    assert f"refused {source}" in result.stderr and "permission denied" in result.stderr, result.stderr
    _assert_untouched(published, before)


@pytest.mark.parametrize("error", [errno.EACCES, errno.EIO, errno.ELOOP, errno.EISDIR])
def test_check_header_turns_every_os_error_into_a_refusal(error, tmp_path, monkeypatch):
    """Whatever opening the file raises (a file made unreadable between the stat and the open, a failing
    disk), the refusal names the path: never an OSError out of check_header."""
    source = _write(tmp_path / "extract.csv", [HEADER, *ROWS[:3]])

    def failing(*args, **kwargs):
        raise OSError(error, os.strerror(error))

    monkeypatch.setattr(os, "open", failing)
    with pytest.raises(ContractViolation) as refused:
        check_header(source)
    report = refused.value.report()
    assert f"refused {source}" in report
    assert ("is a directory" if error == errno.EISDIR else "cannot be read") in report, report


# ---- through the command: one build per phase of the checks, the warehouse untouched -------------

def test_poisoned_values_are_refused_by_the_command_with_their_lines(published, tmp_path):
    """The raw rules (one scan of the file as text): every broken column is listed with its lines."""
    changes = [
        ("Account Activity.balance", 2, "nan"), ("Account Activity.deposits", 3, "-inf"),
        ("Loan Application Summary.loan_amount", 4, "1e309"), ("Customer Profile.income_level", 5, "1e12"),
        ("Customer Profile.age", 6, "1_000"), ("Loan Application Summary.loan_term", 7, "1.5"),
        ("Customer Profile.risk_tolerance", 8, ""), ("Customer Profile.region", 9, "  "),
        ("Account Activity.account_type", 10, "\u00a0"), ("Account Activity.account_id", 11, ""),
        ("Loan Application Summary.interest_rate", 12, "Infinity"),
        _first_element_replaced(REPAYMENTS, 13, "NaN"), _first_element_replaced(DATES, 14, "'99999-01-31'"),
        _first_element_replaced(TRANSACTIONS, 15, "1_000"),
    ]
    _refused_by_the_command(published, tmp_path, changes)


def test_poisoned_list_elements_are_refused_by_the_command_with_their_lines(published, tmp_path):
    """The rules on the parsed lists (once staging has parsed them, before any later table)."""
    changes = [
        _first_element_replaced(DATES, 3, "'0001-01-31'"), _first_element_replaced(DATES, 4, "'2101-01-31'"),
        _first_element_replaced(TRANSACTIONS, 5, "1e309"), _first_element_replaced(REPAYMENTS, 6, "1e12"),
        _first_element_replaced(TRANSACTIONS, 7, "-5e15"),
    ]
    _refused_by_the_command(published, tmp_path, changes)


def _refused_by_the_command(published, tmp_path, changes: list[Change]) -> None:
    bad = _write(tmp_path / "poisoned.csv", _rows(changes, rows=len(ROWS)))
    before = folder_digest(published[0].parent)

    result = run_fintech("build", "--source", str(bad), "--backend", warehouse_url(published[0]))

    assert result.returncode == 2, result.stderr
    report = result.stderr
    assert f"refused {bad}: it breaks the raw data contract" in report and "Traceback" not in report
    assert "nothing was built; the published warehouse is unchanged" in report
    sections = _sections(report)
    for column, line, _ in changes:
        assert any(f"line {line}:" in e for e in sections.get(column, [])), f"{column} line {line}:\n{report}"
    _assert_untouched(published, before)


def _sections(report: str) -> dict[str, list[str]]:
    """The report's example lines under each `column "..."` heading."""
    sections: dict[str, list[str]] = {}
    column = None
    for line in report.splitlines():
        if line.startswith('  column "'):
            column = line.split('"')[1]
            sections.setdefault(column, [])
        elif line.startswith("    ") and column:
            sections[column].append(line.strip())
    return sections
