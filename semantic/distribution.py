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
    With size = n * base + extra, the first `extra` tiles hold base + 1 rows.
    """
    position = ibis.row_number().over(group_by=list(by), order_by=order_by)  # from 0
    size = table.count().over(group_by=list(by))
    base, extra = size // n, size % n
    in_large_tiles = extra * (base + 1)
    return ibis.ifelse(position < in_large_tiles, position // (base + 1),
                       extra + (position - in_large_tiles) // ibis.greatest(base, 1)) + 1


def ascending_rank(value: ir.Column, by: Sequence[str] = ()) -> ir.IntegerValue:
    """Position 1..n of each row in ascending order of `value` within its group."""
    return ibis.row_number().over(group_by=list(by), order_by=value) + 1


def _aggregate(table: ir.Table, by: Sequence[str], **metrics) -> ir.Table:
    """One row per group of `by`, or one row in all when `by` is empty."""
    return table.group_by(list(by)).aggregate(**metrics) if by else table.aggregate(**metrics)


def _with_group_size(table: ir.Table, by: Sequence[str]) -> ir.Table:
    """`table` plus `_n`, its group's row count. Ungrouped, a one-row cross join beats a window over everything."""
    if by:
        return table.mutate(_n=table.count().over(group_by=list(by)))
    return table.cross_join(table.aggregate(_n=table.count()))


def concentration(table: ir.Table, value: str, by: Sequence[str] = (), tiles: int = 10) -> ir.Table:
    """How concentrated `value` is in each group, in one sort: columns `by` + `top_balance`, `top_share`, `gini`.

    - top_balance / top_share: what tile 1 of NTILE(tiles) ranked richest first
      holds, i.e. the ceil(n / tiles) largest values (NTILE makes the first tiles
      the larger ones);
    - gini: with x_1 <= ... <= x_n and total T, 2 * sum(i * x_i) / (n * T) - (n + 1) / n.
    Both read one ascending rank. Shares are null when the total is 0, gini also
    when n = 0. Ties do not matter: equal values are interchangeable in both sums.
    """
    table = table.select(*dict.fromkeys([*by, value]))  # windows carry every column they see: only these
    ranked = _with_group_size(table.mutate(_rank=ascending_rank(table[value], by)), by)
    x = ranked[value]
    in_top_tile = ranked._rank > ranked._n - (ranked._n + tiles - 1) // tiles
    sums = _aggregate(
        ranked,
        by,
        _n=ranked.count(),
        _total=x.sum(),
        _weighted=(ranked._rank * x).sum(),
        top_balance=x.sum(where=in_top_tile),
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


def balance_deciles(table: ir.Table, value: str = "balance") -> ir.Table:
    """Rows cut into NTILE(10) by `value`, richest first: per decile its accounts, min, avg, max and total."""
    table = table.select(value)  # windows carry every column they see: only this one
    tiled = table.mutate(balance_decile=ntile(table, 10, ibis.desc(table[value])))
    column = tiled[value]
    return (
        tiled.group_by("balance_decile")
        .aggregate(
            accounts=tiled.count(),
            min_balance=column.min(),
            avg_balance=column.mean(),
            max_balance=column.max(),
            total_balance=column.sum(),
        )
        .order_by("balance_decile")
    )


def lorenz_curve(table: ir.Table, value: str, points: int = 1001, tiebreak: Sequence[str] = ()) -> ir.Table:
    """The Lorenz curve of `value` (poorest first): (population_share, balance_share) from (0, 0) to (1, 1).

    At most `points` points: all n + 1 when n < points; otherwise, for each
    step k = 1 .. points - 1, the first rank i at or after k * n / (points - 1).
    Rank and running sum share one ordering (value, then `tiebreak`), so equal
    values cannot swap places between the two windows.
    """
    steps = points - 1
    table = table.select(value, *tiebreak)  # windows carry every column they see: only these
    order = [table[value], *(table[c] for c in tiebreak)]
    ranked = table.mutate(
        # + a BIGINT 1: Spark's ROW_NUMBER() is INT (Ibis elides .cast("int64"), it thinks it is int64 already),
        # and _rank * steps would overflow past 2,147,483 rows (ARITHMETIC_OVERFLOW under Spark 4's ANSI mode)
        _rank=ibis.row_number().over(order_by=order) + ibis.literal(1).cast("int64"),
        _running=table[value].sum().over(order_by=order, rows=(None, 0)),
    ).cross_join(table.aggregate(_n=table[value].count(), _total=table[value].sum()))  # cheaper than windows
    step = (ranked._rank * steps) // ranked._n  # the only step whose first rank can be this rank
    first_rank_of_step = (step * ranked._n + steps - 1) // steps
    kept = ranked.filter((ranked._n <= steps) | ((step >= 1) & (first_rank_of_step == ranked._rank)))
    curve = kept.select(
        population_share=kept._rank / kept._n.cast("float64"),
        # The last point is (1, 1) by definition: no running-sum rounding there.
        balance_share=ibis.ifelse(kept._rank == kept._n, 1.0, kept._running / kept._total),
    )
    origin = ibis.memtable({"population_share": [0.0], "balance_share": [0.0]})
    return origin.union(curve).order_by("population_share")
