"""The raw contract's refusals: rules that input must meet before anything is published.

Each rule is an Ibis predicate that is true on an offending row, so the checks
run in the database on any backend. Raw rules run on the extract as read; the
rules on list contents run on staging's parsed arrays (in the scratch build),
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

from semantic.models.raw import CSV_LINE, RAW_COLUMNS
from semantic.models.staging import is_list_literal, typed

MAX_EXAMPLES = 5


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


def raw_rules() -> list[Rule]:
    """Rules on the raw table as read (raw column names): cheap, no list parsing."""
    rules = [
        Rule(c.name, "must not be empty", lambda t, n=c.name: t[n].isnull())
        for c in RAW_COLUMNS
        if c.dtype in {"int64", "float64", "list"}
    ]
    rules.append(
        Rule(
            "Account Activity.customer_id",
            "must equal Customer Profile.customer_id (it is a redundant copy)",
            lambda t: t["Account Activity.customer_id"] != t["Customer Profile.customer_id"],
            shown=lambda t: {c: t[c] for c in ("Customer Profile.customer_id", "Account Activity.customer_id")},
        )
    )
    for name, column in _LISTS.items():
        rule, characters = _PLAIN_ELEMENTS[_element_kind(column)]
        screen = _well_formed_screen(name, characters)
        rules += [
            Rule(name, "must be a Python list literal such as [1.5, 2.0]", lambda t, n=name: ~is_list_literal(t[n]),
                 screen=screen),
            Rule(name, rule, lambda t, n=name, c=characters: t[n].re_search(f"[^{c}]"), screen=screen),
        ]
    return rules


# Every engine must read a list's elements the same way: only the characters of plain numbers and ISO dates
# pass (DuckDB alone would take '1_000', 'NaN' or 'inf', which Spark reads differently). One character class
# per list is cheap (a full pattern per element cost ~0.7 s per column at 1M rows); whether the elements
# then parse as numbers or real dates is the staged rules' job.
_PLAIN_ELEMENTS = {
    "number": ("every list element must be a number written plainly, such as -12.5 (no 1_000, NaN or inf)",
               r"0-9eE+.,\-\[\]'\" "),
    "date": ("every list element must be an ISO date written as 'YYYY-MM-DD'", r"0-9,\-\[\]'\" "),
}


def _well_formed_screen(name: str, characters: str) -> Callable[[ir.Table], ir.BooleanValue]:
    """True where a list breaks its literal rule or its character rule: one pattern for both, matched
    once (two checks cost 2.3x as much: a trimmed copy of every text and a second pass)."""
    return lambda t: ~t[name].re_search(f"^ *\\[[{characters}]*\\] *$")


def _element_kind(column) -> str:
    return "date" if column.staging_name == "ts_dates" else "number"


def staged_rules() -> list[Rule]:
    """Rules on the parsed activity lists (staging names): checked once staging has parsed them."""
    dates, transactions, repayments = (c.staging_name for c in _LISTS.values())
    rules = [
        Rule(
            c.name,
            "every list element must be " + ("an ISO date" if c.staging_name == dates else "a number"),
            lambda t, n=c.staging_name: t[n].filter(lambda element: element.isnull()).length() > 0,
            name=f"{c.staging_name}_elements_all_parsed",
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
