"""The query set of one dashboard filter change: through the semantic layer, and as hand-written DuckDB SQL.

Both sides compute the same numbers on the same warehouse in the same run
(checked equal before timing); the figure is the median of several rounds.
"""

from __future__ import annotations

import statistics
import time

import duckdb
import numpy as np

import semantic
from dashboard.data import HEADLINE_METRICS

WHERE = {"region": ["North", "West"]}
SQL_WHERE = "region IN ('North', 'West')"
T = "int_customer_account_metrics"


def layer_queries(sl) -> list:
    """What the dashboard asks for one filter change (dashboard/data.py and the sections), in its order."""
    return [
        sl.query(list(HEADLINE_METRICS), where=WHERE),
        sl.query(["net_contributions"], by=["account_type"], where=WHERE),
        sl.query(["net_contributions"], by=["region"], where=WHERE),
        sl.query(["total_balance", "accounts"], by=["risk_tolerance"]),
        sl.query(["transaction_volume", "repayment_volume"], by=["activity_date"], where=WHERE),
        sl.deciles(where=WHERE),
        sl.lorenz(where=WHERE),
    ]


def hand_written_queries(con) -> list:
    """The same numbers in as few passes as a careful SQL author would write: one ranked pass per need."""
    ranked = f"""SELECT balance, ntile(10) OVER (ORDER BY balance DESC) AS d,
                        row_number() OVER (ORDER BY balance, account_id) AS i FROM {T} WHERE {SQL_WHERE}"""
    return [
        con.sql(f"""WITH r AS ({ranked})
                    SELECT count(*), sum(balance), sum(loan_amount), sum(interest_rate * balance) / sum(balance),
                           sum(net_flow), sum(net_flow) / count(*),
                           (SELECT sum(balance) FILTER (WHERE d = 1) / sum(balance) FROM r),
                           (SELECT sum(balance) FILTER (WHERE d = 1) FROM r),
                           (SELECT 2 * sum(i * balance) / (count(*) * sum(balance)) - (count(*) + 1) / count(*)
                            FROM r)
                    FROM {T} WHERE {SQL_WHERE}""").df(),
        con.sql(f"SELECT account_type, sum(net_flow) FROM {T} WHERE {SQL_WHERE} GROUP BY 1 ORDER BY 1").df(),
        con.sql(f"SELECT region, sum(net_flow) FROM {T} WHERE {SQL_WHERE} GROUP BY 1 ORDER BY 1").df(),
        con.sql(f"SELECT risk_tolerance, sum(balance), count(*) FROM {T} GROUP BY 1 ORDER BY 1").df(),
        con.sql(f"""SELECT activity_date, sum(transaction_amount), sum(repayment_amount)
                    FROM agg_activity_by_month WHERE {SQL_WHERE} GROUP BY 1 ORDER BY 1""").df(),
        con.sql(f"""SELECT d, count(*), min(balance), avg(balance), max(balance), sum(balance)
                    FROM ({ranked}) GROUP BY d ORDER BY d""").df(),
        con.sql(f"""WITH r AS (SELECT i, count(*) OVER () AS n,
                                      sum(balance) OVER (ORDER BY i ROWS UNBOUNDED PRECEDING) / sum(balance) OVER ()
                                          AS share FROM ({ranked}))
                    SELECT 0.0, 0.0 UNION ALL
                    SELECT i / n, share FROM r WHERE n <= 1000 OR (i * 1000 // n >= 1 AND
                                                      ((i * 1000 // n) * n + 999) // 1000 = i)
                    ORDER BY 1""").df(),
    ]


def _median_seconds(run, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(warehouse: str, rounds: int = 7) -> dict:
    sl = semantic.connect(f"duckdb://{warehouse}")
    con = duckdb.connect(warehouse, read_only=True)
    layer, hand = layer_queries(sl), hand_written_queries(con)
    for ours, theirs in zip(layer, hand):  # the same numbers, or the comparison means nothing
        a = np.sort(ours.select_dtypes("number").to_numpy(float), axis=0)
        b = np.sort(theirs.select_dtypes("number").to_numpy(float), axis=0)
        np.testing.assert_allclose(a, b, rtol=1e-9)
    layer_s = _median_seconds(lambda: layer_queries(sl), rounds)
    hand_s = _median_seconds(lambda: hand_written_queries(con), rounds)
    rows_to_python = max(len(frame) for frame in layer)
    sl.close()
    con.close()
    return {"layer_ms": round(layer_s * 1000), "hand_written_sql_ms": round(hand_s * 1000),
            "ratio": round(layer_s / hand_s, 2), "max_rows_to_python": rows_to_python,
            "target": "<= 300 ms, <= 1.3x hand-written SQL"}
