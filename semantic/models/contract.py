"""The raw contract's refusals: rules that input must meet before anything is published.

Each rule is an Ibis predicate that is true on an offending row, so the checks
run in the database on any backend. Raw rules run on the extract as written
(every column read as text: one grammar of numbers and dates, NUMBER, INTEGER
and QUOTED_DATE below, for plain columns and list elements alike, and every
required value present); the rules on list contents (calendar dates in range,
amounts below the limit) run on staging's parsed arrays (in the scratch build),
so each list is parsed once. All rules of a set are counted in one scan (rules
that share a cheaper screen are counted through it, and on their own only when
it finds a row); only a broken rule is looked up again, on the CSV read with
line numbers, for its first offending lines. (The full Great Expectations
suites come later; these are the rules without which the models cannot even
be computed.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import ibis.expr.types as ir

from semantic.models.raw import (
    CSV_LINE,
    EARLIEST_DATE,
    LATEST_DATE,
    MONEY_COLUMNS,
    MONEY_LIMIT,
    OPTIONAL_COLUMNS,
    RAW_COLUMNS,
)
from semantic.models.staging import is_list_literal, list_text, typed

MAX_EXAMPLES = 5  # offending rows shown in a refusal, by the loader's rules and the gate's expectations alike


@dataclass
class Problem:
    """One broken rule: where, what, how often, and a few offending rows."""

    column: str | None
    rule: str
    count: int | None = None
    examples: list[str] = field(default_factory=list)  # "line 12: 'abc'"


class ContractViolation(Exception):
    """The input cannot be typed as the contract says; nothing may be built from it."""

    def __init__(self, source: Path | str, problems: list[Problem]):
        self.source = str(source)
        self.problems = problems
        super().__init__(self.report())

    def report(self) -> str:
        lines = [f"refused {self.source}: it breaks the raw data contract"]
        for p in self.problems:
            where = f'column "{p.column}"' if p.column else "file"
            count = "" if p.count is None else f" ({p.count:,} row{'s' if p.count != 1 else ''})"
            lines.append(f"  {where}: {p.rule}{count}")
            lines.extend(f"    {example}" for example in p.examples)
        return "\n".join(lines)


@dataclass(frozen=True)
class Rule:
    column: str  # the raw column the rule is about (named in the report)
    rule: str  # the rule in words
    offends: Callable[[ir.Table], ir.BooleanValue]  # true on an offending row
    # what to show of an offending row: label -> value (default: the column's value)
    shown: Callable[[ir.Table], dict[str, ir.Value]] | None = None
    # a name for the rule's outcome where it is a column (the staging suite's check view)
    name: str = ""
    # a cheaper predicate, true wherever this rule or the others sharing it offend: the scan counts it
    # in their place, and counts the rules themselves only when it finds a row
    screen: Callable[[ir.Table], ir.BooleanValue] | None = None

    def shown_values(self, table: ir.Table) -> dict[str, ir.Value]:
        return self.shown(table) if self.shown else {self.column: table[self.column]}


_LISTS = {c.name: c for c in RAW_COLUMNS if c.dtype == "list"}

# ---- the one reading of numbers and dates --------------------------------------------------------
# A number is written as JSON writes one, in a plain column and in an activity list alike: an optional
# minus, digits without a leading zero, an optional fraction, an optional exponent (-12.5, 0.08, 2e-05,
# 1.5E+20). So no '+5', '1_000', '1,000', '0x10', '.5', '5.', ' 12', 'NaN' or 'inf' anywhere: DuckDB's
# reader alone would take most of those (and round '1.5' in an integer column), other engines read them
# otherwise. An integer is digits only, at most 18 of them (it fits in 64 bits). A date is 'YYYY-MM-DD'
# in single quotes (a Python list literal; the dates lists are their only place).
NUMBER = r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?"
INTEGER = r"-?(0|[1-9][0-9]{0,17})"
QUOTED_DATE = r"'[0-9]{4}-[0-9]{2}-[0-9]{2}'"
# A cell with no value: NULL (DuckDB reads an empty field and "" alike as NULL), or only whitespace,
# Unicode's included, and the invisible zero-width characters.
BLANK = r"^[\s\x0B\x{85}\pZ\x{200B}-\x{200D}\x{2060}\x{FEFF}]*$"

_NUMBER_RULES = {
    "int64": "must be a whole number written plainly, such as 42 (digits only, at most 18: "
             "no 1_000, 1.5, +5, 1e3, 0x10 or spaces)",
    "float64": "must be a number written plainly, such as -12.5 or 2e-05 (no 1_000, 1,000, +5, .5, NaN, "
               "inf or spaces)",
}
_ELEMENT_RULES = {
    "number": "every list element must be a number written plainly, such as -12.5 "
              "(no 1_000, +5, .5, NaN, inf or quotes)",
    "date": "every list element must be an ISO date written 'YYYY-MM-DD' (in single quotes)",
}
_REQUIRED_RULE = "must not be empty or blank (every column but Transaction Description is required)"
_LIMIT = f"{MONEY_LIMIT:.0e}".replace("e+", "e")  # 1e12
_MONEY_RULE = f"must be an amount below {_LIMIT} in absolute value (1e309 overflows to infinity)"
_FINITE_RULE = "must be a finite number (1e309 overflows to infinity)"


def _matches(text: ir.StringValue, pattern: str) -> ir.BooleanValue:
    return text.re_search(f"^({pattern})$")


def _list_pattern(element: str) -> str:
    """A whole list literal of `element`s: at least one, commas between, spaces anywhere around them."""
    return rf" *\[ *({element})( *, *({element}))* *\] *"


_EMPTY_LIST = r" *\[ *\] *"


def is_blank(text: ir.StringValue) -> ir.BooleanValue:
    """True where a cell has no value (NULL, empty, or only whitespace)."""
    return text.isnull() | text.re_search(BLANK)


def _element_kind(column) -> str:
    return "date" if column.staging_name == "ts_dates" else "number"


# Screens: a cheap test per column that a value certainly meets every rule on it, so the scan counts
# the screen alone and counts the rules only when it finds a row (text columns: starts with a visible
# ASCII character, a comparison; numbers: a plain number of at most 11 digits before any fraction and no
# exponent, finite and below a tenth of MONEY_LIMIT, so no rounding reaches it; lists: the whole grammar).
_SMALL_DIGITS = len(f"{MONEY_LIMIT:.0f}") - 2
_SMALL_NUMBER = rf"-?(0|[1-9][0-9]{{0,{_SMALL_DIGITS - 1}}})(\.[0-9]+)?"


def _screen(column) -> Callable[[ir.Table], ir.BooleanValue]:
    name = column.name
    if column.dtype == "string":
        return lambda t: t[name].isnull() | (t[name] < "!") | (t[name] >= "\u0080")
    if column.dtype == "list":
        element = NUMBER if _element_kind(column) == "number" else QUOTED_DATE
        return lambda t: t[name].isnull() | ~_matches(t[name], _list_pattern(element))
    pattern = INTEGER if column.dtype == "int64" else _SMALL_NUMBER
    return lambda t: t[name].isnull() | ~_matches(t[name], pattern)


def raw_rules() -> list[Rule]:
    """Rules on the raw extract read as text (raw column names): cheap, no list parsing, one scan.

    Every value is checked as written, before any engine reads it as a number: the loader reads the
    file as text for these rules (pipelines/load.py).
    """
    rules = []
    for column in RAW_COLUMNS:
        name, screen = column.name, _screen(column)
        if name not in OPTIONAL_COLUMNS:
            rules.append(Rule(name, _REQUIRED_RULE, lambda t, n=name: is_blank(t[n]), screen=screen))
        if column.dtype in _NUMBER_RULES:
            grammar = INTEGER if column.dtype == "int64" else NUMBER
            rules.append(Rule(name, _NUMBER_RULES[column.dtype],
                              lambda t, n=name, g=grammar: ~is_blank(t[n]) & ~_matches(t[n], g), screen=screen))
        if column.dtype == "float64":
            value = lambda t, n=name: t[n].try_cast("float64")  # noqa: E731
            beyond = ((lambda t, v=value: v(t).abs() >= MONEY_LIMIT) if name in MONEY_COLUMNS
                      else (lambda t, v=value: v(t).isinf()))
            rules.append(Rule(name, _MONEY_RULE if name in MONEY_COLUMNS else _FINITE_RULE,
                              lambda t, n=name, b=beyond: _matches(t[n], NUMBER) & b(t), screen=screen))
        if column.dtype == "list":
            kind = _element_kind(column)
            element = NUMBER if kind == "number" else QUOTED_DATE
            rules += [
                Rule(name, "must be a Python list literal with at least one element, such as [1.5, 2.0]",
                     lambda t, n=name: ~is_blank(t[n]) & (~is_list_literal(t[n]) | _matches(t[n], _EMPTY_LIST)),
                     screen=screen),
                Rule(name, _ELEMENT_RULES[kind],
                     lambda t, n=name, e=element: is_list_literal(t[n]) & ~_matches(t[n], _EMPTY_LIST)
                     & ~_matches(t[n], _list_pattern(e)),
                     shown=lambda t, n=name, e=element: {n: t[n], _FIRST_OFFENDING: _first_unwritten(t[n], e)},
                     screen=screen),
            ]
    copy, key = "Account Activity.customer_id", "Customer Profile.customer_id"
    rules.append(
        Rule(
            copy,
            f"must equal {key} (it is a redundant copy)",
            lambda t: _matches(t[copy], INTEGER) & _matches(t[key], INTEGER)
            & (t[copy].try_cast("int64") != t[key].try_cast("int64")),
            shown=lambda t: {c: t[c] for c in (key, copy)},
            screen=lambda t: t[copy] != t[key],  # the same text is the same number
        )
    )
    return rules


_FIRST_OFFENDING = "first offending element"


def _first_unwritten(literal: ir.StringValue, element: str) -> ir.StringValue:
    """The first element of a list literal not written as `element` (shown in a report only)."""
    elements = literal.strip().re_replace(r"^\[|\]$", "").split(",").map(lambda e: e.strip())
    return elements.filter(lambda e: ~_matches(e, element))[0]


def _first_invalid(literal: ir.StringValue, parsed: ir.ArrayValue, invalid) -> ir.StringValue:
    """The first element of a list literal, as written, whose parsed value is `invalid` (report only: DuckDB)."""
    written = list_text(literal).split(",")
    return written.zip(parsed).filter(lambda pair: invalid(pair.f2))[0].f1


def staged_rules() -> list[Rule]:
    """Rules on the parsed activity lists (staging names): checked once staging has parsed them."""
    dates, transactions, repayments = (c.staging_name for c in _LISTS.values())

    def invalid(column):
        if column.staging_name == dates:
            return lambda e: e.isnull() | (e < EARLIEST_DATE) | (e > LATEST_DATE)
        if column.name in MONEY_COLUMNS:
            return lambda e: e.isnull() | (e.abs() >= MONEY_LIMIT)
        return lambda e: e.isnull() | e.isinf()

    def words(column):
        if column.staging_name == dates:
            return f"every list element must be a calendar date from {EARLIEST_DATE} to {LATEST_DATE}"
        if column.name in MONEY_COLUMNS:
            return (f"every list element must be a number below {_LIMIT} in absolute value "
                    "(1e309 overflows to infinity)")
        return "every list element must be a finite number"

    rules = [
        Rule(
            c.name,
            words(c),
            lambda t, n=c.staging_name, bad=invalid(c): t[n].filter(bad).length() > 0,
            shown=lambda t, c=c, bad=invalid(c): {c.name: t[c.name],
                                                  _FIRST_OFFENDING: _first_invalid(t[c.name], t[c.staging_name], bad)},
            name=f"{c.staging_name}_elements_valid",
        )
        for c in _LISTS.values()
    ]
    rules.append(
        Rule(
            next(iter(_LISTS)),
            "the three activity lists must have the same length",
            lambda t: (t[dates].length() != t[transactions].length()) | (t[dates].length() != t[repayments].length()),
            shown=lambda t: {f"{c.name} elements": t[c.staging_name].length() for c in _LISTS.values()},
            name="lists_of_equal_length",
        )
    )
    return rules


def check_staged(staged: ir.Table, source: Path | str, numbered_raw: Callable[[], ir.Table]) -> None:
    """Raise ContractViolation for every broken rule on the parsed activity lists."""

    def numbered_staged() -> ir.Table:
        lines = numbered_raw()
        return lines.select(
            CSV_LINE, *_LISTS, **{c.staging_name: typed(lines, c) for c in _LISTS.values()}
        )

    raise_broken(staged_rules(), count_offending(staged_rules(), staged), source, numbered_staged)


def count_offending(rules: list[Rule], table: ir.Table, **also: ir.Scalar) -> dict:
    """`rule_<i>`: the rows each rule offends, `rows`, and the `also` aggregates: one scan of `table`
    (and a second, of the screened rules only, when a screen finds a row)."""
    screens = {}  # a screen (by identity) -> (the index of the first rule it screens, the screen)
    for i, rule in enumerate(rules):
        if rule.screen:
            screens.setdefault(id(rule.screen), (i, rule.screen))
    measures = {f"rule_{i}": table.count(where=r.offends(table)) for i, r in enumerate(rules) if not r.screen}
    measures |= {f"screen_{i}": table.count(where=screen(table)) for i, screen in screens.values()}
    counts = table.aggregate(rows=table.count(), **measures, **also).to_pyarrow().to_pylist()[0]
    flagged = [i for i, r in enumerate(rules) if r.screen and counts[f"screen_{screens[id(r.screen)][0]}"]]
    if flagged:
        counts |= table.aggregate(
            **{f"rule_{i}": table.count(where=rules[i].offends(table)) for i in flagged}
        ).to_pyarrow().to_pylist()[0]
    return {**{f"rule_{i}": 0 for i in range(len(rules))}, **counts}


def raise_broken(rules: list[Rule], counts: dict, source: Path | str, numbered: Callable[[], ir.Table]) -> None:
    """For every rule `counts` finds broken, its first offending lines (from `numbered()`): ContractViolation."""
    failed = [(rule, counts[f"rule_{i}"]) for i, rule in enumerate(rules) if counts[f"rule_{i}"]]
    if not failed:
        return
    lines = numbered()
    problems = []
    for rule, count in failed:
        shown = rule.shown_values(lines)
        offending = lines.filter(rule.offends(lines).fill_null(False)).order_by(CSV_LINE)
        rows = offending.select(CSV_LINE, **shown).limit(MAX_EXAMPLES).to_pyarrow().to_pylist()
        problems.append(Problem(rule.column, rule.rule, count, [_example(row, tuple(shown)) for row in rows]))
    raise ContractViolation(source, problems)


def _example(row: dict, shown: tuple[str, ...]) -> str:
    if len(shown) == 1:
        return f"line {row[CSV_LINE]}: {_short(row[shown[0]])}"
    values = ", ".join(f"{name}={_short(row[name])}" for name in shown)
    return f"line {row[CSV_LINE]}: {values}"


def _short(value, limit: int = 80) -> str:
    text = "<empty>" if value is None else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def numbered(table: ir.Table, first_line: int = 2) -> ir.Table:
    """`table` with the CSV line of each row (the header is line 1), in reading order."""
    return table.mutate(**{CSV_LINE: ibis.row_number() + first_line})
