"""Property: a small valid extract with random poisoned cells is refused naming each poisoned cell's column
and line, or, where every poison turns out valid (a number spelled another valid way, odd unicode in a
free-text column, an empty description), published with every table and metric equal to the pandas
reference (issue 14).

Poisons: wrong types, NaN/inf/overflow, money of 1e12 or more, dates outside 1970..2100 or the calendar,
empty and blank required values (Unicode's spaces too), numbers with underscores, signs, separators or hex,
odd unicode. The checks run in two phases (the raw rules on the file as text, then the rules on the parsed
lists): when a poison breaks a raw rule the report lists every raw poison, and the parsed-list poisons only
when no raw rule is broken. Sized to run in well under a minute.
"""

from __future__ import annotations

import ast
import csv
import re
import unicodedata
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests import reference
from tests.compare import assert_frames_close
from tests.conftest import read_tables, warehouse_url
from tests.semantic.models.test_contract import (
    AMOUNT_LISTS,
    DATES,
    HEADER,
    INTEGER_COLUMNS,
    MONEY_COLUMNS,
    NON_FINITE,
    OPTIONAL,
    contract,
    refused_at,
)
from tests.semantic.models.test_contract import ROWS as SAMPLE_ROWS
from tests.spec import ACTIVITY_METRICS, CATEGORY_DIMENSIONS, MODEL_TABLES, SNAPSHOT_METRICS

ROWS = SAMPLE_ROWS[:20]

RATE = "Loan Application Summary.interest_rate"
IN_SET_TEXT = ["Customer Profile.risk_tolerance", "Account Activity.account_type",
               "Loan Application Summary.loan_status"]  # the gate's accepted values: only a blank is tried
FREE_TEXT = [  # no accepted-value list in the suites: any non-blank text is a value
    "Customer Profile.occupation", "Customer Profile.investment_goals", "Customer Profile.education_level",
    "Customer Profile.marital_status", "Customer Profile.region", "Customer Profile.financial_history",
    "Customer Profile.sector", "Customer Profile.employment_history", "Customer Profile.address",
    "Loan Application Summary.loan_purpose", "Loan Application Summary.employment_status",
]

RAW, STAGED, VALID = "raw", "staged", "valid"  # where a poison is refused (VALID: nowhere)

# The contract's blank: whitespace (Unicode's spaces and separators too) and the zero-width characters.
_BLANK_CHARACTERS = set(" \t\n\r\x0b\x0c\x85\u200b\u200c\u200d\u2060\ufeff")


def is_blank(text: str) -> bool:
    return all(ch in _BLANK_CHARACTERS or unicodedata.category(ch) in {"Zs", "Zl", "Zp"} for ch in text)


_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_PANDAS_MISSING = {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                   "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}

# One line per record: a line break in a cell would make the CSV's lines and its records differ.
_odd_text = st.text(st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=12)
odd_unicode = _odd_text.filter(lambda t: not is_blank(t) and t not in _PANDAS_MISSING)
blanks = st.text(st.sampled_from(sorted(_BLANK_CHARACTERS - {"\n", "\r", "\x85"}) + ["\u00a0", "\u2003", "\u3000"]),
                 max_size=4)
not_a_number = _odd_text.filter(lambda t: not _NUMBER.fullmatch(t) and not is_blank(t))
BAD_SPELLINGS = ["1_000", "1,000", "+5", ".5", "5.", "007", "0x10", "1e", " 12", "12 ", "1 000", "twelve",
                 "\uff11\uff12", "$12", "[1, 2]", "True"]


def respellings(written: str) -> list[str]:
    """The same number written other valid ways: the very same value, so nothing downstream changes."""
    d = Decimal(written)
    sign, digits, exponent = d.as_tuple()
    mantissa = ("-" if sign else "") + ("".join(map(str, digits)).lstrip("0") or "0")
    forms = [f"{mantissa}e{exponent}", f"{d:E}", f"{d:e}", written + ("0" if "." in written else ".0")]
    return [f for f in forms if _NUMBER.fullmatch(f) and Decimal(f) == d]


def poisons_of(column: str, written: str) -> list[tuple[st.SearchStrategy[str], str]]:
    """The poisons for a cell of `column` holding `written`: (the new text, where it is refused)."""
    if column == OPTIONAL:
        return [(st.one_of(st.just(""), blanks, odd_unicode), VALID)]
    if column in IN_SET_TEXT:
        return [(blanks, RAW)]
    if column in FREE_TEXT:
        return [(blanks, RAW), (odd_unicode, VALID)]
    if column in INTEGER_COLUMNS:
        bad = [*NON_FINITE, *BAD_SPELLINGS, "1.5", "1.0", "1e3", "-0.0", "12345678901234567890"]
        return [(st.one_of(st.sampled_from(bad), blanks, not_a_number), RAW)]
    if column in MONEY_COLUMNS or column == RATE:
        bad = [*NON_FINITE, *BAD_SPELLINGS] + (["1e12", "-1e12", "1000000000000", "3.5e14"]
                                               if column in MONEY_COLUMNS else [])
        return [(st.one_of(st.sampled_from(bad), blanks, not_a_number), RAW),
                (st.sampled_from(respellings(written)), VALID)]
    if column in AMOUNT_LISTS or column == DATES:
        return _list_poisons(column, written)
    raise AssertionError(f"no poison for {column}")


def _list_poisons(column: str, literal: str) -> list[tuple[st.SearchStrategy[str], str]]:
    elements = [e.strip() for e in literal.strip()[1:-1].split(",")]

    def at(position: int, element: str) -> str:
        return "[" + ", ".join(elements[:position] + [element] + elements[position + 1:]) + "]"

    position = st.integers(0, len(elements) - 1)
    spaced = st.just("[ " + " ,".join(elements) + " ]")
    if column == DATES:
        raw = ["2024-01-31", "'99999-01-31'", "'2024/01/31'", "'24-01-31'", '"2024-01-31"', "'2024-1-31'", "''",
               "'nan'", "1e309"]
        staged = ["'0001-01-31'", "'1969-12-31'", "'2101-01-31'", "'2024-02-30'", "'2024-13-01'", "'2023-02-29'"]
        valid = spaced
    else:
        raw = [*NON_FINITE[:9], "1_000", "+5", ".5", "'12'", "0x10", "", "abc", "1 000"]
        staged = ["1e309", "-1e309", "1e400", "1e12", "-3e14"]
        valid = st.one_of(spaced, position.flatmap(
            lambda i: st.sampled_from(respellings(elements[i])).map(lambda e: at(i, e))))
    return [(st.builds(at, position, st.sampled_from(raw)), RAW), (blanks, RAW),
            (st.builds(at, position, st.sampled_from(staged)), STAGED), (valid, VALID)]


@st.composite
def poisoned_extracts(draw):
    """(rows with the poisons in, [(column, CSV line, new text, where refused)]); a third of them all valid."""
    valid_only = draw(st.integers(0, 2)) == 0
    cells = draw(st.lists(st.tuples(st.integers(0, len(ROWS) - 1), st.sampled_from(HEADER)),
                          min_size=1, max_size=4, unique=True))
    rows = [list(r) for r in ROWS]
    poisons = []
    for row, column in cells:
        i = HEADER.index(column)
        kinds = [(text, where) for text, where in poisons_of(column, rows[row][i]) if where == VALID or not valid_only]
        if not kinds:  # no valid poison for an id or a tier: the cell stays as it is
            continue
        text_of, where = draw(st.sampled_from(kinds))
        rows[row][i] = draw(text_of)
        poisons.append((column, row + 2, rows[row][i], where))
    return rows, poisons


def _write(path: Path, rows) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([HEADER, *rows])
    return path


@settings(max_examples=10, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.filter_too_much])
@given(poisoned_extracts())
@example(([r if i != 3 else [*r[:3], "Ingénieure ✈", *r[4:]] for i, r in enumerate(ROWS)],
          [("Customer Profile.occupation", 5, "Ingénieure ✈", VALID)]))
def test_poisoned_cells_are_refused_where_they_are_or_published_exactly(tmp_path_factory, extract):
    rows, poisons = extract
    path = _write(tmp_path_factory.mktemp("poisoned") / "extract.csv", rows)
    violation = contract(path)
    expected = [p for p in poisons if p[3] == RAW] or [p for p in poisons if p[3] == STAGED]
    if not expected:
        assert violation is None, violation.report()
        _assert_published_as_the_reference(path, tmp_path_factory.mktemp("warehouse") / "fintech.duckdb")
        return
    shown = refused_at(violation)
    for column, line, text, _ in expected:
        assert line in shown.get(column, set()), f"{column} line {line} ({text!r}) not in:\n{violation.report()}"


def _assert_published_as_the_reference(path: Path, target: Path) -> None:
    import semantic
    from pipelines.build import build

    build(path, warehouse_url(target), echo=lambda line: None)
    built, expected = read_tables(target), reference.all_tables(path)
    for table in MODEL_TABLES:
        assert_frames_close(built[table], expected[table][list(built[table].columns)])
    stg = reference.staging(path)
    accounts = reference.int_customer_account_metrics(stg)
    layer = semantic.connect(warehouse_url(target))
    try:
        assert_frames_close(layer.query(SNAPSHOT_METRICS), reference.metrics(accounts, SNAPSHOT_METRICS))
        for by in CATEGORY_DIMENSIONS:  # the free-text poisons land in region, sector, education_level, ...
            assert_frames_close(layer.query(SNAPSHOT_METRICS, by=[by]),
                                reference.metrics(accounts, SNAPSHOT_METRICS, by=[by]))
        activity = layer.query(ACTIVITY_METRICS, by=["activity_date"], time_grain="month")
        assert_frames_close(activity.assign(activity_date=pd.to_datetime(activity.activity_date)),
                            reference.activity_metrics(stg, accounts, ACTIVITY_METRICS, "month"))
    finally:
        layer.close()


def test_the_respellings_are_the_same_numbers():
    """(The property's valid numbers must be exactly the values they replace, or 'equal to the reference'
    would prove nothing about the poison.)"""
    for written in ["0", "2000", "11863.22", "0.0995", "-59.35", "94.2", "0.5"]:
        forms = respellings(written)
        assert len(forms) >= 3, forms
        for form in forms:
            assert float(form) == float(written) and ast.literal_eval(form) == float(written), form


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__, "-q"])
