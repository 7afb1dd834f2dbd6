"""The query set of one dashboard filter change: through the semantic layer, and as hand-written DuckDB SQL.

The set is the dashboard's own (dashboard/queries.py, `filter_change`), not a
copy. Both sides compute the same numbers on the same warehouse in the same run
(checked equal before timing). A run is a sequence of distinct filter changes
(`FILTER_CHANGES`, each two of the five regions, about 40% of the accounts),
so no change finds its own answers cached; the figure is the median change.
"""

from __future__ import annotations

import itertools
import statistics
import time

import numpy as np

from dashboard import data
from dashboard.queries import filter_change
from pipelines.generate import REGIONS as GENERATED_REGIONS

REGIONS = tuple(sorted(GENERATED_REGIONS))  # the bench's warehouses are generated: the generator's regions
FILTER_CHANGES = [{"region": list(pair)} for pair in itertools.combinations(REGIONS, 2)]
T = "int_customer_account_metrics"


def sql_where(where: dict) -> str:
    return " AND ".join(f"{column} IN ({', '.join(repr(v) for v in values)})" for column, values in where.items())


def _without(where: dict, dimension: str) -> dict:
    """A segment chart's filters: all but its own dimension's (it shows every category of it)."""
    return {d: v for d, v in where.items() if d != dimension}


def layer_queries(sl, where: dict) -> list:
    """What the dashboard asks for one filter change (dashboard/queries.py), in its order, asked of `sl` itself."""
    return [question.asked_of(sl) for question in filter_change(data.where_of(where))]


def dashboard_queries(where: dict) -> list:
    """The same set through dashboard/data.py, as the served dashboard runs it: its answers are cached by
    filter values, so a change re-asks only what depends on the filters that changed."""
    return [question.answer() for question in filter_change(data.where_of(where))]


def _ranked_summary_sql(where: str) -> str:
    """One sort of the filtered balances, summed per decile (NTILE(10) from the top) and Lorenz step."""
    return f"""
        WITH ranked AS (
            SELECT balance, n, row_number() OVER (ORDER BY balance) AS r,
                   n // 10 AS base, n % 10 AS extra
            FROM (SELECT balance FROM {T} WHERE {where})
            CROSS JOIN (SELECT count(*) AS n FROM {T} WHERE {where}))
        SELECT CASE WHEN n - r < extra * (base + 1) THEN (n - r) // (base + 1)
                    ELSE extra + (n - r - extra * (base + 1)) // greatest(base, 1) END + 1 AS d,
               (r - 1) * 1000 // n + 1 AS step,
               any_value(n) AS n, count(*) AS accounts, sum(balance) AS total, min(balance) AS lo,
               max(balance) AS hi, max(r) AS last_rank, sum(r * balance) AS weighted
        FROM ranked GROUP BY 1, 2"""


def hand_written_queries(con, where: dict) -> list:
    """The same numbers in as few passes as a careful SQL author would write: the published rollups for the
    sums, and one ranked pass, fetched once, for the concentration cards, the deciles and the Lorenz curve."""
    w = sql_where(where)
    by_product = sql_where(_without(where, "account_type")) or "true"
    by_region = sql_where(_without(where, "region")) or "true"
    s = con.sql(_ranked_summary_sql(w)).df()  # noqa: F841  (read below by DuckDB's replacement scan)
    return [
        con.sql(f"""SELECT h.*, c.* FROM
                      (SELECT sum(accounts), sum(balance), sum(balance) / sum(accounts), sum(loan_amount),
                              sum(approved_loan_amount), sum(pending_loan_amount), sum(rejected_loan_amount),
                              sum(interest_rate_x_balance) / sum(balance), sum(net_flow),
                              sum(net_flow) / sum(accounts) FROM agg_accounts_by_segment WHERE {w}) h,
                      (SELECT sum(total) FILTER (WHERE d = 1) / sum(total), sum(total) FILTER (WHERE d = 1),
                              2 * sum(weighted) / (sum(accounts) * sum(total)) - (sum(accounts) + 1) / sum(accounts)
                       FROM s) c""").df(),
        con.sql(f"SELECT account_type, sum(net_flow) FROM agg_accounts_by_segment WHERE {by_product} "
                "GROUP BY 1 ORDER BY 1").df(),
        con.sql(f"SELECT region, sum(net_flow) FROM agg_accounts_by_segment WHERE {by_region} "
                "GROUP BY 1 ORDER BY 1").df(),
        con.sql("SELECT risk_tolerance, sum(balance), sum(accounts) FROM agg_accounts_by_segment "
                "GROUP BY 1 ORDER BY 1").df(),
        con.sql(f"""SELECT activity_date, sum(transaction_amount), sum(repayment_amount)
                    FROM agg_activity_by_month WHERE {w} GROUP BY 1 ORDER BY 1""").df(),
        con.sql("""SELECT d, sum(accounts), min(lo), sum(total) / sum(accounts), max(hi), sum(total)
                   FROM s GROUP BY d ORDER BY d""").df(),
        con.sql("""SELECT 0.0, 0.0 UNION ALL
                   SELECT last_rank / n, CASE WHEN last_rank = n THEN 1.0 ELSE
                          sum(total) OVER (ORDER BY step) / sum(total) OVER () END
                   FROM (SELECT step, max(last_rank) AS last_rank, any_value(n) AS n, sum(total) AS total
                         FROM s GROUP BY step)
                   ORDER BY 1""").df(),
    ]


def assert_same_numbers(ours: list, theirs: list) -> None:
    """Each answer's numbers, sorted per column: the comparison means nothing unless they agree."""
    for a, b in zip(ours, theirs, strict=True):
        a = np.sort(a.select_dtypes("number").to_numpy(float), axis=0)
        b = np.sort(b.select_dtypes("number").to_numpy(float), axis=0)
        np.testing.assert_allclose(a, b, rtol=1e-9)


def measure(warehouse: str) -> dict:
    """The layer's and the hand-written set, alternating over the same distinct filter changes."""
    import duckdb

    import semantic

    sl = semantic.connect(f"duckdb://{warehouse}")
    con = duckdb.connect(warehouse, read_only=True)
    assert_same_numbers(layer_queries(sl, FILTER_CHANGES[0]), hand_written_queries(con, FILTER_CHANGES[0]))
    layer_s, hand_s = [], []
    for where in FILTER_CHANGES[1:]:
        start = time.perf_counter()
        layer_queries(sl, where)
        layer_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        hand_written_queries(con, where)
        hand_s.append(time.perf_counter() - start)
    layer_ms, hand_ms = statistics.median(layer_s) * 1000, statistics.median(hand_s) * 1000
    sl.close()
    con.close()
    return {"layer_ms": round(layer_ms), "hand_written_sql_ms": round(hand_ms),
            "ratio": round(layer_ms / hand_ms, 2), "target": "<= 300 ms, <= 1.3x hand-written SQL"}
