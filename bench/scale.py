"""The dashboard at 100k, 1M and (with --with-10m) 10M accounts, side by side with what users would otherwise write.

For each size, on the same generated extract and in the same run:

- `fintech build` (with the validation gate): seconds and peak RSS;
- one dashboard filter change (the query set of bench/queries.py), four ways:
  - the semantic layer (what the dashboard runs);
  - hand-written DuckDB SQL, in as few passes as a careful author would write (the practical limit),
    reading the same published tables (the activity rollup included);
  - per chart: one SQL query per card and chart, and the Lorenz curve, Gini and deciles computed in
    pandas from every balance pulled into Python (how such dashboards are usually written);
  - plain pandas on the CSV (the CSV read once, then each change computed in pandas).

Each approach runs in its own process, so its peak RSS is its own; each time is the median of several
changes. Writes bench/out/results.md, bench/out/scale.json and a log-log plot bench/out/scale.png.
`python bench/scale.py [--with-10m] [--rounds N]`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE))

import queries  # noqa: E402  (bench/ is not a package)
import run  # noqa: E402

APPROACHES = ("semantic layer", "hand-written SQL", "per-chart SQL + pandas", "pandas on the CSV")
T = queries.T


def per_chart_queries(con, chosen: dict) -> list:
    """One query per card and chart; concentration from every balance pulled into pandas."""
    where = queries.sql_where(chosen)
    one = lambda sql: con.sql(sql).fetchone()[0]  # noqa: E731
    cards = [one(f"SELECT count(*) FROM {T} WHERE {where}"),
             one(f"SELECT sum(balance) FROM {T} WHERE {where}"),
             one(f"SELECT sum(loan_amount) FROM {T} WHERE {where}"),
             one(f"SELECT sum(interest_rate * balance) / sum(balance) FROM {T} WHERE {where}"),
             one(f"SELECT sum(net_flow) FROM {T} WHERE {where}"),
             one(f"SELECT avg(net_flow) FROM {T} WHERE {where}")]
    charts = [con.sql(f"SELECT account_type, sum(net_flow) FROM {T} WHERE {where} GROUP BY 1").df(),
              con.sql(f"SELECT region, sum(net_flow) FROM {T} WHERE {where} GROUP BY 1").df(),
              con.sql(f"SELECT risk_tolerance, sum(balance), count(*) FROM {T} GROUP BY 1").df(),
              con.sql(f"""SELECT activity_date, sum(transaction_amount), sum(repayment_amount)
                          FROM agg_activity_by_month WHERE {where} GROUP BY 1 ORDER BY 1""").df()]
    balances = con.sql(f"SELECT balance FROM {T} WHERE {where}").df().balance.to_numpy()
    return [cards, charts, concentration_in_pandas(balances)]


def concentration_in_pandas(balances: np.ndarray) -> dict:
    richest_first = np.sort(balances)[::-1]
    n, total = len(richest_first), richest_first.sum()
    tiles = np.array_split(richest_first, 10)  # NTILE: the larger tiles first
    ascending = richest_first[::-1]
    gini = 2 * np.sum(np.arange(1, n + 1) * ascending) / (n * total) - (n + 1) / n
    curve = np.concatenate([[0.0], np.cumsum(ascending) / total])
    points = np.unique(np.linspace(0, n, 1001).round().astype(int))
    return {"top_10_share": tiles[0].sum() / total, "gini": gini,
            "deciles": [(len(t), t.min(), t.mean(), t.max(), t.sum()) for t in tiles],
            "lorenz": np.column_stack([points / n, curve[points]])}


def pandas_load(csv: Path):
    """What a pandas user loads once: the account columns, and the activity lists parsed and exploded."""
    import pandas as pd

    columns = {"Customer Profile.customer_id": "customer_id", "Account Activity.account_id": "account_id",
               "Customer Profile.region": "region", "Customer Profile.risk_tolerance": "risk_tolerance",
               "Account Activity.account_type": "account_type", "Account Activity.balance": "balance",
               "Account Activity.deposits": "deposits", "Account Activity.withdrawals": "withdrawals",
               "Loan Application Summary.loan_amount": "loan_amount",
               "Loan Application Summary.interest_rate": "interest_rate",
               "Time Series Data.dates": "dates", "Time Series Data.transactions": "transactions",
               "Time Series Data.repayments": "repayments"}
    frame = pd.read_csv(csv, usecols=list(columns)).rename(columns=columns)
    frame["net_flow"] = frame.deposits - frame.withdrawals
    lists = {c: frame.pop(c).str.replace(r"[\[\]' ]", "", regex=True).str.split(",")
             for c in ("dates", "transactions", "repayments")}
    activity = pd.DataFrame({"account_id": frame.account_id, **lists}).explode(list(lists))
    activity["dates"] = pd.to_datetime(activity.dates)
    activity[["transactions", "repayments"]] = activity[["transactions", "repayments"]].astype(float)
    return frame, activity


def pandas_change(frame, activity, where: dict) -> list:
    chosen = frame[frame.region.isin(where["region"])]
    cards = [len(chosen), chosen.balance.sum(), chosen.loan_amount.sum(),
             (chosen.interest_rate * chosen.balance).sum() / chosen.balance.sum(), chosen.net_flow.sum(),
             chosen.net_flow.mean()]
    months = activity[activity.account_id.isin(chosen.account_id)]
    charts = [chosen.groupby("account_type").net_flow.sum(), chosen.groupby("region").net_flow.sum(),
              frame.groupby("risk_tolerance").balance.agg(["sum", "count"]),
              months.groupby(months.dates.dt.to_period("M"))[["transactions", "repayments"]].sum()]
    return [cards, charts, concentration_in_pandas(chosen.balance.to_numpy())]


def one_approach(approach: str, warehouse: str, csv: str, rounds: int) -> dict:
    """Run in a child process: the approach's setup, then `rounds` filter changes; times in ms."""
    import duckdb

    start = time.perf_counter()
    if approach == "semantic layer":
        os.environ["FINTECH_BACKEND"] = f"duckdb://{warehouse}"
        change = queries.dashboard_queries
        change(queries.FILTER_CHANGES[-1])  # opens the layer: setup, like the dashboard's warm start
    elif approach == "pandas on the CSV":
        frame, activity = pandas_load(Path(csv))
        change = lambda where: pandas_change(frame, activity, where)  # noqa: E731
    else:
        con = duckdb.connect(warehouse, read_only=True)
        run_set = queries.hand_written_queries if approach == "hand-written SQL" else per_chart_queries
        change = lambda where: run_set(con, where)  # noqa: E731
    setup = time.perf_counter() - start
    if approach == "semantic layer":  # the same numbers as the hand-written SQL, or the comparison means nothing
        with duckdb.connect(warehouse, read_only=True) as con:
            queries.assert_same_numbers(change(queries.FILTER_CHANGES[-2]),
                                        queries.hand_written_queries(con, queries.FILTER_CHANGES[-2]))
    times = []
    for where in queries.FILTER_CHANGES[:rounds + 1]:  # distinct filters; the first change is not counted
        start = time.perf_counter()
        change(where)
        times.append(time.perf_counter() - start)
    return {"setup_s": round(setup, 2), "change_ms": round(statistics.median(times[1:]) * 1000, 1),
            "changes_ms": [round(t * 1000, 1) for t in times[1:]]}


BUILDS = 3  # each size is built this many times: the figure is the median (and the range is shown)


def measure_size(rows: int, rounds: int) -> dict:
    csv = OUT / f"scale_{rows}.csv"
    generate = run.measure(run.FINTECH + ["generate", "--rows", str(rows), "--seed", "5", "--out", str(csv)])
    os.sync()  # the generated file written out before the builds are timed, not while they read it
    warehouse = OUT / f"scale_{rows}.duckdb"
    builds = [run.measure(run.FINTECH + ["build", "--source", str(csv), "--backend", f"duckdb://{warehouse}"])
              for _ in range(BUILDS)]
    build = {"seconds": statistics.median(b["seconds"] for b in builds),
             "runs_s": [b["seconds"] for b in builds], "peak_rss_mb": max(b["peak_rss_mb"] for b in builds)}
    print(f"{rows:>11,} generate {generate}, build {build}", flush=True)
    result = {"rows": rows, "generate": generate, "build": build, "approaches": {}}
    for approach in APPROACHES:
        if approach == "pandas on the CSV" and rows >= 10_000_000:
            # measured: 5 GB peak at 1M accounts (the exploded activity lists), so ~50 GB here, on 23 GB of RAM
            result["approaches"][approach] = {"skipped": "needs ~50 GB of RAM (5 GB at 1M accounts, linear)"}
            print(f"{rows:>11,} {approach:<24} skipped", flush=True)
            continue
        out = OUT / "approach.json"
        measured = run.measure([sys.executable, __file__, "--child", approach, str(warehouse), str(csv),
                                str(rounds), str(out)])
        result["approaches"][approach] = {**json.loads(out.read_text()), "peak_rss_mb": measured["peak_rss_mb"]}
        print(f"{rows:>11,} {approach:<24} {result['approaches'][approach]}", flush=True)
    return result


def report(results: list[dict]) -> str:
    lines = ["# Dashboard query set and build by size", "",
             "One filter change (bench/queries.py: the dashboard's query set), median over distinct filter changes "
             "(two regions of five each, ~40% of the accounts); each approach in its own process (peak RSS its own). "
             "`python bench/scale.py` / `make bench`.", "",
             "| accounts | approach | change (ms) | x semantic layer | setup (s) | peak RSS (MB) |",
             "|---|---|---|---|---|---|"]
    for r in results:
        layer = r["approaches"]["semantic layer"]["change_ms"]
        for approach, a in r["approaches"].items():
            if "skipped" in a:
                lines.append(f"| {r['rows']:,} | {approach} | not run: {a['skipped']} | | | |")
                continue
            lines.append(f"| {r['rows']:,} | {approach} | {a['change_ms']:,.1f} | {a['change_ms'] / layer:.2f} | "
                         f"{a['setup_s']:.2f} | {a['peak_rss_mb']:,} |")
    lines += ["", f"| accounts | fintech generate (s) | peak RSS (MB) | fintech build incl. gate: median of {BUILDS} "
              "(s) | the runs (s) | peak RSS (MB) |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['rows']:,} | {r['generate']['seconds']:.1f} | {r['generate']['peak_rss_mb']:,} | "
              f"{r['build']['seconds']:.1f} | {', '.join(f'{s:.1f}' for s in r['build']['runs_s'])} | "
              f"{r['build']['peak_rss_mb']:,} |" for r in results]
    return "\n".join(lines) + "\n" + targets(results)


def _change_ms(result: dict, approach: str) -> float:
    return result["approaches"][approach]["change_ms"]


# The targets (2-core machine, DuckDB): (figure, how this run gives it, {accounts: (comparison, bound)})
TARGETS = [
    ("query set for one filter change (ms)", lambda r: _change_ms(r, "semantic layer"),
     {1_000_000: ("<=", 150), 10_000_000: ("<=", 1500)}),
    ("ratio to hand-written SQL (x)", lambda r: _change_ms(r, "semantic layer") / _change_ms(r, "hand-written SQL"),
     {1_000_000: ("<=", 1.2), 10_000_000: ("<=", 1.2)}),
    ("times faster than per-chart (x)",
     lambda r: _change_ms(r, "per-chart SQL + pandas") / _change_ms(r, "semantic layer"),
     {1_000_000: (">=", 3), 10_000_000: (">=", 5)}),
    ("fintech build incl. gate (s)", lambda r: r["build"]["seconds"], {1_000_000: ("<=", 20), 10_000_000: ("<=", 150)}),
    ("fintech build peak RSS (MB)", lambda r: r["build"]["peak_rss_mb"], {10_000_000: ("<=", 6 * 1024)}),
    ("fintech generate (s)", lambda r: r["generate"]["seconds"], {10_000_000: ("<=", 60)}),
    ("fintech generate peak RSS (MB)", lambda r: r["generate"]["peak_rss_mb"], {10_000_000: ("<=", 1024)}),
]


def targets(results: list[dict]) -> str:
    """The figures of this run against the issue's targets."""
    by_rows = {r["rows"]: r for r in results}
    lines = ["", "## Against the targets", "", "| figure | accounts | this run | target | met |",
             "|---|---|---|---|---|"]
    for name, figure, bounds in TARGETS:
        for rows, (comparison, bound) in bounds.items():
            if rows not in by_rows:
                continue
            value = figure(by_rows[rows])
            met = value <= bound if comparison == "<=" else value >= bound
            lines.append(f"| {name} | {rows:,} | {value:,.2f} | {comparison} {bound:,} | {'yes' if met else 'no'} |")

    def limit(r: dict) -> str:
        return f"{_change_ms(r, 'per-chart SQL + pandas') / _change_ms(r, 'hand-written SQL'):.2f}x at {r['rows']:,}"

    lines += ["", "The practical limit beside the per-chart target: hand-written SQL (one ranked pass, the rollups) "
              "is itself this much faster than per-chart: " + ", ".join(limit(r) for r in results) + "."]
    return "\n".join(lines) + "\n"


def plot(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5))
    for approach in APPROACHES:
        measured = [(r["rows"], r["approaches"][approach]["change_ms"]) for r in results
                    if "change_ms" in r["approaches"][approach]]
        ax.plot(*zip(*measured), marker="o", label=approach)
    ax.set(xscale="log", yscale="log", xlabel="accounts", ylabel="one filter change (ms)",
           title="Dashboard query set: time against size (log-log)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.savefig(path, dpi=110, bbox_inches="tight")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--with-10m", action="store_true", help="also 10M accounts (several minutes, ~6 GB)")
    parser.add_argument("--rounds", type=int, default=7,
                        help=f"changes timed per approach (at most {len(queries.FILTER_CHANGES) - 3})")
    parser.add_argument("--child", nargs=5, metavar=("APPROACH", "WAREHOUSE", "CSV", "ROUNDS", "OUT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        approach, warehouse, csv, rounds, out = args.child
        Path(out).write_text(json.dumps(one_approach(approach, warehouse, csv, int(rounds))))
        return
    OUT.mkdir(exist_ok=True)
    sizes = [100_000, 1_000_000] + ([10_000_000] if args.with_10m else [])
    results = [measure_size(rows, args.rounds if rows < 10_000_000 else 3) for rows in sizes]
    (OUT / "scale.json").write_text(json.dumps(results, indent=2) + "\n")
    (OUT / "results.md").write_text(report(results))
    plot(results, OUT / "scale.png")
    print(report(results))


if __name__ == "__main__":
    main()
