"""Distribution measures computed with window functions, in the database.

Building blocks for the KPI tables and for metrics sliced by any dimension:
every function takes a table, the value column and the grouping columns, and
ranks each group within itself. Nothing here pulls rows into Python.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir


def ntile(table: ir.Table, n: int, order_by, by: Sequence = ()) -> ir.IntegerValue:
    """SQL NTILE(n), numbered from 1: sizes differ by at most one, the larger tiles first.

    Computed from the row's position and its group's size rather than the
    engine's NTILE: DataFusion 51 spreads the larger tiles through the group
    (apache/datafusion#22049), and the tiles must be the same on every backend.
    """
    position = ibis.row_number().over(group_by=list(by), order_by=order_by)  # from 0
    return _tile(position, table.count().over(group_by=list(by)), n)


def _tile(position: ir.IntegerValue, size: ir.IntegerValue, n: int) -> ir.IntegerValue:
    """NTILE(n) of the row at `position` (from 0) of `size` rows: with size = n * base + extra,
    the first `extra` tiles hold base + 1 rows."""
    base, extra = size // n, size % n
    in_large_tiles = extra * (base + 1)
    return ibis.ifelse(position < in_large_tiles, position // (base + 1),
                       extra + (position - in_large_tiles) // ibis.greatest(base, 1)) + 1


def ranked_summary(table: ir.Table, value: str, by: Sequence[str] = (), tiebreak: Sequence[str] = (),
                   *, tiles: int, steps: int) -> ir.Table:
    """The one ranked pass every distribution measure reads: rows ranked once, then summed by tile and step.

    Each group of `by` is sorted once by (value, tiebreak), ascending: rank i of
    n. Rows are then summed per (tile, step), at most tiles + steps rows per group:
    - tile: NTILE(tiles) from the top (tile 1 = the largest values), as SQL's
      NTILE over the value descending (ties are interchangeable in every sum);
    - step: the Lorenz step that ends at or after rank i, floor((i - 1) * steps / n) + 1,
      so step k ends at rank ceil(k * n / steps), and every rank is its own step when n <= steps.
    Columns: `by`, tile, step, _n (group size), accounts, total, min_value, max_value,
    last_rank (the step's last rank within this tile) and rank_weighted (sum of i * value).
    """
    by = list(by)
    table = table.select(*dict.fromkeys([*by, value, *tiebreak]))  # windows carry every column they see
    table = _with_group_size(table, by)  # before ranking: counting the ranked rows would rank them twice
    order = [table[value], *(table[c] for c in tiebreak)]
    # + a BIGINT 1: Spark's ROW_NUMBER() is INT (Ibis elides .cast("int64"), it thinks it is int64 already),
    # and rank * steps would overflow past 2,147,483 rows (ARITHMETIC_OVERFLOW under Spark 4's ANSI mode)
    ranked = table.mutate(_rank=ibis.row_number().over(group_by=by, order_by=order) + ibis.literal(1).cast("int64"))
    rank, size, x = ranked._rank, ranked._n, ranked[value]
    ranked = ranked.mutate(tile=_tile(size - rank, size, tiles), step=(rank - 1) * steps // size + 1)
    return ranked.group_by([*by, "tile", "step"]).aggregate(
        _n=size.max(),  # the same in every row of a group: an aggregate, cheaper than a third key
        accounts=ranked.count(),
        total=x.sum(),
        min_value=x.min(),
        max_value=x.max(),
        last_rank=ranked._rank.max(),
        rank_weighted=(ranked._rank * x).sum(),
    )


def _with_group_size(table: ir.Table, by: Sequence[str]) -> ir.Table:
    """`table` plus `_n`, its group's row count. Ungrouped, a one-row cross join beats a window over everything."""
    if by:
        return table.mutate(_n=table.count().over(group_by=list(by)))
    return table.cross_join(table.aggregate(_n=table.count()))


def concentration(summary: ir.Table, by: Sequence[str] = ()) -> ir.Table:
    """How concentrated the values of each group are: columns `by` + `top_balance`, `top_share`, `gini`.

    From a `ranked_summary`:
    - top_balance / top_share: what tile 1 holds (the ceil(n / tiles) largest values);
    - gini: with x_1 <= ... <= x_n and total T, 2 * sum(i * x_i) / (n * T) - (n + 1) / n.
    Shares are null when the total is 0, gini also when n = 0.
    """
    by = list(by)
    sums = _aggregate(
        summary,
        by,
        _n=summary.accounts.sum(),
        _total=summary.total.sum(),
        _weighted=summary.rank_weighted.sum(),
        top_balance=summary.total.sum(where=summary.tile == 1),
    )
    n = sums._n.cast("float64")
    gini = 2 * sums._weighted / (n * sums._total) - (n + 1) / n
    undefined = (sums._n == 0) | (sums._total == 0)
    return sums.select(
        *by,
        "top_balance",
        top_share=ibis.ifelse(undefined, ibis.null("float64"), sums.top_balance / sums._total),
        gini=ibis.ifelse(undefined, ibis.null("float64"), gini),
    )


def _aggregate(table: ir.Table, by: Sequence[str], **metrics) -> ir.Table:
    """One row per group of `by`, or one row in all when `by` is empty."""
    return table.group_by(list(by)).aggregate(**metrics) if by else table.aggregate(**metrics)


def deciles(summary: ir.Table) -> ir.Table:
    """Per tile of a `ranked_summary` (1 = the largest values): its accounts, min, avg, max and total."""
    return (
        summary.group_by(balance_decile=summary.tile)
        .aggregate(
            accounts=summary.accounts.sum(),
            min_balance=summary.min_value.min(),
            avg_balance=summary.total.sum() / summary.accounts.sum(),
            max_balance=summary.max_value.max(),
            total_balance=summary.total.sum(),
        )
        .order_by("balance_decile")
    )


def lorenz_curve(summary: ir.Table) -> ir.Table:
    """The Lorenz curve of an ungrouped `ranked_summary` (poorest first): (population_share, balance_share).

    One point per step, at the step's last rank, after the origin (0, 0): all
    n + 1 points when n <= steps, else steps + 1. The running total is a sum
    of step totals (at most `steps` rows), so no window runs over the rows.
    When the values total 0 the shares after the origin are null (undefined, like the Gini).
    """
    steps = summary.group_by("step").aggregate(
        _n=summary._n.max(), _rank=summary.last_rank.max(), _total=summary.total.sum())
    steps = steps.mutate(_running=steps._total.sum().over(order_by=steps.step, rows=(None, 0)),
                         _grand_total=steps._total.sum().over())
    share = ibis.ifelse(steps._rank == steps._n, 1.0, steps._running / steps._grand_total)
    curve = steps.select(
        population_share=steps._rank / steps._n.cast("float64"),
        # The last point is (1, 1) by definition: no running-sum rounding there. No share of a zero total.
        balance_share=ibis.ifelse(steps._grand_total == 0, ibis.null("float64"), share),
    )
    origin = ibis.literal(0.0).name("population_share").as_table().mutate(balance_share=ibis.literal(0.0))
    return origin.union(curve).order_by("population_share")
