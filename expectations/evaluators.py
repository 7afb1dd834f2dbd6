"""How each Great Expectations expectation type is counted in the database: one evaluator per type.

GX's own SQL path cannot validate DuckDB (shared/STACK.md) and its pandas path
needs the table in memory, so each expectation type the suites use has an
evaluator here that computes GX's outcome with Ibis aggregates. A column-map
expectation (GX's name for a rule on each row) is a predicate true on an
unexpected row: all of a target's counts, mins and maxes are one aggregate
query, and only a failing expectation is queried again, for up to MAX_EXAMPLES
example values. A suite may use only the types registered here (a Target
refuses any other), so a new expectation type is one evaluator in this file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import ibis
import ibis.expr.types as ir

from semantic.models.contract import MAX_EXAMPLES

Expectation = object  # a GX expectation (great_expectations.expectations.*): its fields are read by name
Outcome = dict  # GX's outcome of one expectation: {"success": bool, "result": {...}}


@dataclass(frozen=True)
class Scan:
    """What a target's one aggregate query found, as one expectation sees it."""

    rows: int | None  # the table's rows; None: no expectation of the target asked for the scan
    value: object = None  # this expectation's own aggregate in it (its unexpected rows, min or max)


@dataclass(frozen=True)
class Evaluator:
    """One expectation type's evaluation: its GX outcome, from the table and what the scan found."""

    outcome: Callable[[ir.Table, Expectation, Scan], Outcome]
    aggregate: Callable[[ir.Table, Expectation], ir.Scalar] | None = None  # its measure in the target's scan


EVALUATORS: dict[str, Evaluator] = {}  # expectation type -> its evaluator


class NoEvaluator(NotImplementedError):
    """An expectation type no evaluator counts: a suite using it is refused when defined or run."""

    def __init__(self, kind: str):
        super().__init__(f"{kind} has no database translation in expectations/evaluators.py: register an "
                         f"evaluator for it (@evaluates({kind!r}))")


def evaluates(kind: str, aggregate: Callable[[ir.Table, Expectation], ir.Scalar] | None = None):
    """Register the decorated `outcome(table, expectation, scan)` as the evaluator of `kind`; `aggregate`:
    the measure it adds to the target's one scan (read back as `scan.value`)."""

    def register(outcome):
        if kind in EVALUATORS:
            raise ValueError(f"{kind} has two evaluators")
        EVALUATORS[kind] = Evaluator(outcome, aggregate)
        return outcome

    return register


def column_map(kind: str):
    """Register the decorated `unexpected(table, expectation)`, true on an unexpected row, as `kind`'s
    evaluator: its rows are counted in the target's scan. A NULL is not unexpected (as in GX) except for
    not-null itself."""

    def register(unexpected):
        count = lambda t, e: t.count(where=unexpected(t, e))  # noqa: E731
        evaluates(kind, aggregate=count)(partial(_column_map_outcome, unexpected))
        return unexpected

    return register


def evaluator_of(kind: str) -> Evaluator:
    try:
        return EVALUATORS[kind]
    except KeyError:
        raise NoEvaluator(kind) from None


def refuse_unknown(expectations: list) -> None:
    """NoEvaluator for the first expectation whose type has no evaluator."""
    for e in expectations:
        evaluator_of(e.expectation_type)


def outcomes(table: ir.Table, expectations: list) -> list[tuple[Expectation, Outcome]]:
    """Each expectation with its GX outcome on `table`: one scan for every aggregate they need."""
    evaluators = [evaluator_of(e.expectation_type) for e in expectations]
    scans = _scan(table, expectations, evaluators)
    return [(e, evaluator.outcome(table, e, scan)) for e, evaluator, scan in zip(expectations, evaluators, scans)]


def _scan(table: ir.Table, expectations: list, evaluators: list[Evaluator]) -> list[Scan]:
    """Every expectation's aggregate (and the row count) in one query; none if no expectation has one."""
    measures = {f"_{i}": ev.aggregate(table, e) for i, (e, ev) in enumerate(zip(expectations, evaluators))
                if ev.aggregate}
    if not measures:
        return [Scan(None)] * len(expectations)
    row = table.aggregate(_rows=table.count(), **measures).to_pyarrow().to_pylist()[0]
    return [Scan(row["_rows"], row.get(f"_{i}")) for i in range(len(expectations))]


def columns_of(e: Expectation) -> list[str]:
    """The columns an expectation is about (none for a table-level one)."""
    if getattr(e, "column_list", None):
        return list(e.column_list)
    return [e.column] if getattr(e, "column", None) else []


# ---- column maps: counted in the scan ------------------------------------------------------------

def _column_map_outcome(unexpected: Callable, table: ir.Table, e, scan: Scan) -> Outcome:
    examples = []
    if scan.value:
        columns = columns_of(e)
        offending = table.filter(unexpected(table, e).fill_null(False)).select(*columns)
        examples = _examples(offending.limit(MAX_EXAMPLES), columns)
    return _counted(scan.value or 0, scan.rows, examples)


@column_map("expect_column_values_to_not_be_null")
def _null(t: ir.Table, e) -> ir.BooleanValue:
    return t[e.column].isnull()


@column_map("expect_column_values_to_be_in_set")
def _not_in_set(t: ir.Table, e) -> ir.BooleanValue:
    return t[e.column].notnull() & ~t[e.column].isin(list(e.value_set))


@column_map("expect_column_values_to_be_between")
def _outside_range(t: ir.Table, e) -> ir.BooleanValue:
    column = t[e.column]
    checks = []
    if e.min_value is not None:
        checks.append(column <= e.min_value if e.strict_min else column < e.min_value)
    if e.max_value is not None:
        checks.append(column >= e.max_value if e.strict_max else column > e.max_value)
    return column.notnull() & (ibis.or_(*checks) if checks else ibis.literal(False))


# ---- uniqueness: a group-by of its own ------------------------------------------------------------

@evaluates("expect_column_values_to_be_unique")
@evaluates("expect_compound_columns_to_be_unique")
def _unique(table: ir.Table, e, scan: Scan) -> Outcome:
    """The rows whose (non-null) value is repeated, and up to MAX_EXAMPLES repeated values."""
    columns = columns_of(e)
    present = table.filter(ibis.and_(*[table[c].notnull() for c in columns]))
    groups = present.group_by(columns).aggregate(_n=present.count())
    repeated = groups.filter(groups._n > 1)
    unexpected = int(repeated.aggregate(rows=repeated._n.sum()).to_pyarrow().to_pylist()[0]["rows"] or 0)
    rows = scan.rows or int(table.count().execute())
    examples = _examples(repeated.select(*columns).limit(MAX_EXAMPLES), columns) if unexpected else []
    return _counted(unexpected, rows, examples)


def _counted(unexpected: int, rows: int, examples: list) -> Outcome:
    return {"success": unexpected == 0, "result": {
        "element_count": rows, "unexpected_count": unexpected,
        "unexpected_percent": 100.0 * unexpected / rows if rows else 0.0,
        "partial_unexpected_list": examples, "missing_count": 0}}


def _examples(found: ir.Table, columns: list[str]) -> list:
    """The values of `found`'s rows: each a value (one column) or a dict (several)."""
    rows = found.to_pyarrow().to_pylist()
    return [_plain(r[columns[0]]) if len(columns) == 1 else {c: _plain(r[c]) for c in columns} for r in rows]


def _plain(value):
    """JSON-friendly example values (dates as ISO text)."""
    return value.isoformat() if hasattr(value, "isoformat") else value


# ---- the table's shape and aggregates: an observed value ------------------------------------------

@evaluates("expect_table_row_count_to_equal")
def _row_count(table: ir.Table, e, scan: Scan) -> Outcome:
    observed = scan.rows if scan.rows is not None else table.count().execute()
    return {"success": observed == e.value, "result": {"observed_value": observed}}


@evaluates("expect_column_min_to_be_between", aggregate=lambda t, e: t[e.column].min())
@evaluates("expect_column_max_to_be_between", aggregate=lambda t, e: t[e.column].max())
def _extreme_between(table: ir.Table, e, scan: Scan) -> Outcome:
    observed = scan.value
    ok = observed is not None and (e.min_value is None or observed >= e.min_value) and (
        e.max_value is None or observed <= e.max_value)
    return {"success": bool(ok), "result": {"observed_value": observed}}


@evaluates("expect_table_columns_to_match_ordered_list")
def _ordered_columns(table: ir.Table, e, scan: Scan) -> Outcome:
    return {"success": list(table.columns) == list(e.column_list), "result": {"observed_value": list(table.columns)}}


@evaluates("expect_table_columns_to_match_set")
def _column_set(table: ir.Table, e, scan: Scan) -> Outcome:
    ok = set(table.columns) == set(e.column_set) if e.exact_match else set(e.column_set) <= set(table.columns)
    return {"success": ok, "result": {"observed_value": sorted(table.columns)}}


@evaluates("expect_column_values_to_be_of_type")
def _column_type(table: ir.Table, e, scan: Scan) -> Outcome:
    observed = str(table.schema()[e.column].copy(nullable=True)) if e.column in table.columns else None
    return {"success": observed == e.type_, "result": {"observed_value": observed}}
