"""Compiling a request (metrics x dimensions x filters x time grain) into one Ibis expression.

The fan-out rule, enforced here: every metric is aggregated at its own grain
on a table with one row per unit of that grain (accounts, distinct customers,
activity observations, ranked accounts), and the per-grain results meet per
group only after aggregation (`side_by_side`: NULL keys are groups too). No
join ever sits between a measure and its aggregation, so no measure is counted
twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir

from semantic.catalog import (
    DIMENSIONS,
    METRICS,
    ROLLUP_DIMENSIONS,
    TIME_GRAINS,
    AccountMetric,
    ActivityMetric,
    CustomerMetric,
    Metric,
    RankedMetric,
    balance_summary,
)
from semantic.models.core import fct_account_activity
from semantic.models.intermediate import int_customer_account_metrics
from semantic.request import QueryError, Range, Request, validate

__all__ = ["QueryError", "Request", "compile_request"]  # QueryError and Request: semantic/request.py

# The tables a request reads, named as the build names them: a model's table after its function; a rollup's
# after its function in semantic/summaries/rollups.py (above this module: its names are written here).
ACCOUNTS_TABLE = int_customer_account_metrics.__name__
ACTIVITY_TABLE = fct_account_activity.__name__
ACCOUNTS_ROLLUP_TABLE = "agg_accounts_by_segment"
ACTIVITY_ROLLUP_TABLE = "agg_activity_by_month"


def compile_request(tables: Mapping[str, ir.Table], request: Request) -> ir.Table:
    """One Ibis expression answering `request`: columns `by` then the metrics, in the order asked."""
    validate(request)
    accounts = filtered_accounts(tables[ACCOUNTS_TABLE], request)
    by = list(request.by)
    metrics = [METRICS[m] for m in request.metrics]

    parts = [answer(tables, accounts, request, of_kind) for kind, answer in _PARTS.items()
             if (of_kind := [m for m in metrics if isinstance(m, kind)])]
    result = side_by_side(parts, by).select(*by, *request.metrics)
    return result.order_by(by) if by else result


def _account_part(tables, accounts: ir.Table, request: Request, metrics: list[AccountMetric]) -> ir.Table:
    rollup = tables.get(ACCOUNTS_ROLLUP_TABLE)
    if rollup_answers(rollup, request, metrics):
        return _aggregate_rollup(rollup_rows(rollup, request), list(request.by), metrics)
    return _aggregate(accounts, list(request.by), metrics)


def _customer_part(tables, accounts: ir.Table, request: Request, metrics: list[CustomerMetric]) -> ir.Table:
    """Each customer once per group, whatever number of accounts it holds there."""
    attributes = [a for m in metrics for a in m.customer_attributes]
    customers = accounts.select(*dict.fromkeys([*request.by, "customer_id", *attributes])).distinct()
    return _aggregate(customers, list(request.by), metrics)


def _ranked_part(tables, accounts: ir.Table, request: Request, metrics: list[RankedMetric]) -> ir.Table:
    return distribution_part(balance_summary(accounts, request.by), request.by, metrics)


def _activity_part(tables, accounts: ir.Table, request: Request, metrics: list[ActivityMetric]) -> ir.Table:
    rollup = tables.get(ACTIVITY_ROLLUP_TABLE)
    if rollup_answers(rollup, request, metrics):
        return _aggregate_rollup(rollup_rows(rollup, request), list(request.by), metrics)
    return _aggregate(activity_rows(tables[ACTIVITY_TABLE], accounts, request), list(request.by), metrics)


# Each kind of metric, answered at its own grain: (tables, filtered accounts, request, its metrics) -> one
# row per group of `by`, in this order.
_PARTS = {AccountMetric: _account_part, CustomerMetric: _customer_part, RankedMetric: _ranked_part,
          ActivityMetric: _activity_part}


def side_by_side(parts: Sequence[ir.Table], by: Sequence[str]) -> ir.Table:
    """Per-grain results, each with one row per group of `by`, as one row per group: every metric from
    the part that has it, null where a part has no row for the group (no activity there).

    Not joined on the keys: `=` never matches a NULL key, and a NULL region or leverage quartile is a
    group like any other. Stacked and grouped, NULL keys are one group on every backend, as in each part's
    own GROUP BY; a null-safe join (IS NOT DISTINCT FROM) would do the same, but PostgreSQL cannot hash it.
    The groups are those of the filtered accounts: every part but activity has them all, activity a subset.
    """
    by = list(by)
    if len(parts) == 1:
        return parts[0]
    if not by:  # one row each
        result = parts[0]
        for part in parts[1:]:
            result = result.cross_join(part)
        return result
    types = {c: part.schema()[c] for part in parts for c in part.columns if c not in by}
    stacked = ibis.union(*[part.select(*by, **{c: part[c] if c in part.columns else ibis.null(t)
                                              for c, t in types.items()}) for part in parts])
    return stacked.group_by(by).aggregate(**{c: stacked[c].max() for c in types})  # one non-null per group


def distribution_part(summary: ir.Table, by: Sequence[str], metrics: list[RankedMetric]) -> ir.Table:
    """Ranked metrics from `balance_summary` (the accounts ranked once): columns `by` then the metrics.

    `summary` is the ranked pass as an expression, or its result already fetched
    (the layer shares one per filter among the cards, the deciles and the Lorenz curve).
    """
    by, parts = list(by), []
    for per_group in dict.fromkeys(m.per_group for m in metrics):  # metrics of one table: one aggregation
        table = per_group(summary, by)
        parts.append(table.select(*by, **{m.name: table[m.column] for m in metrics if m.per_group is per_group}))
    return side_by_side(parts, by)


def filtered_accounts(accounts: ir.Table, request: Request) -> ir.Table:
    """The accounts that pass the filters, with the derived dimensions the request needs.

    Derived dimensions (balance_decile, leverage_quartile) are computed over the
    population left by the ordinary filters, then filtered on themselves.
    """
    where = dict(request.where)
    ordinary = {n: v for n, v in where.items() if DIMENSIONS[n].kind not in {"derived", "time"}}
    accounts = _apply_filters(accounts, ordinary)
    derived_needed = {n for n in [*request.by, *where] if DIMENSIONS[n].kind == "derived"}
    derived_needed |= {n for m in map(METRICS.get, request.metrics) if isinstance(m, AccountMetric)
                       for n in m.derived_dimensions}
    if derived_needed:
        accounts = accounts.mutate(**{n: DIMENSIONS[n].derive(accounts) for n in sorted(derived_needed)})
        accounts = _apply_filters(accounts, {n: v for n, v in where.items() if DIMENSIONS[n].kind == "derived"})
    return accounts


def activity_rows(activity: ir.Table, accounts: ir.Table, request: Request) -> ir.Table:
    """Activity observations of the filtered accounts, with the account dimensions asked for.

    The join adds attributes to observations (one account row per account_id),
    so it cannot multiply observations; snapshot measures never pass through it.
    """
    account_dims = [d for d in request.by if d != "activity_date"]
    rows = activity.join(accounts.select("account_id", *account_dims), "account_id")
    date_filter = dict(request.where).get("activity_date")
    rows = _apply_filters(rows, {"activity_date": date_filter} if date_filter is not None else {})
    return _at_time_grain(rows, request)


def rollup_answers(rollup: ir.Table | None, request: Request, metrics: list[Metric]) -> bool:
    """Can the rollup answer these metrics exactly? Sums only (`Metric.additive`: of every kind, only
    account and activity metrics made of sums are), sliced and filtered by its dimensions only (and by
    month, for activity; no date range: the fact's dates are month-ends, the rollup's month starts), and it
    holds every column the request reads: a warehouse built before a metric was added answers it from the rows."""
    if rollup is None or not all(m.additive for m in metrics):
        return False
    where = {name for name, _ in request.where}
    if not (where <= set(ROLLUP_DIMENSIONS) and set(request.by) <= {*ROLLUP_DIMENSIONS, "activity_date"}):
        return False
    needed = {s.column for m in metrics for s in m.sums} | set(request.by) | where
    return needed <= set(rollup.columns)


def rollup_rows(rollup: ir.Table, request: Request) -> ir.Table:
    rows = _apply_filters(rollup, dict(request.where))
    return _at_time_grain(rows, request)


def _at_time_grain(rows: ir.Table, request: Request) -> ir.Table:
    """Dates truncated to the request's month, quarter or year when it slices by activity_date."""
    if "activity_date" in request.by:
        rows = rows.mutate(activity_date=rows.activity_date.truncate(TIME_GRAINS[request.time_grain]))
    return rows


def _aggregate_rollup(rollup: ir.Table, by: list[str], metrics: list[Metric]) -> ir.Table:
    measures = {m.name: m.measure_on_rollup(rollup) for m in metrics}
    return rollup.group_by(by).aggregate(**measures) if by else rollup.aggregate(**measures)


def _aggregate(table: ir.Table, by: list[str], metrics: list[Metric]) -> ir.Table:
    measures = {m.name: m.measure(table) for m in metrics}
    return table.group_by(by).aggregate(**measures) if by else table.aggregate(**measures)


def _apply_filters(table: ir.Table, where: Mapping[str, object]) -> ir.Table:
    for name, selection in where.items():
        predicate = _predicate(table[name], name, selection)
        if predicate is not None:
            table = table.filter(predicate)
    return table


def _predicate(column: ir.Column, name: str, selection) -> ir.BooleanValue | None:
    """None means no filter: an empty selection, or one naming every fixed value of the dimension.
    `selection` is parsed (semantic/request.py): a Range of plain values or None, values, or one value."""
    if isinstance(selection, Range):
        literal = (lambda v: ibis.literal(v, "date")) if DIMENSIONS[name].kind == "time" else (lambda v: v)
        low, high = selection.low, selection.high
        bounds = [column >= literal(low)] if low is not None else []
        bounds += [column <= literal(high)] if high is not None else []
        return ibis.and_(*bounds) if bounds else None
    if filters_nothing(name, selection):
        return None
    return column.isin(list(selection) if isinstance(selection, (tuple, list, set, frozenset)) else [selection])


def filters_nothing(name: str, selection) -> bool:
    """An empty selection of values, or one naming every fixed value of the dimension: no filter."""
    if isinstance(selection, Range):
        return False
    values = list(selection) if isinstance(selection, (tuple, list, set, frozenset)) else [selection]
    fixed = DIMENSIONS[name].values
    return not values or bool(fixed and set(fixed) <= set(values))
