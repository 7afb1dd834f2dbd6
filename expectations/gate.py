"""Running the suites: each GX expectation evaluated in the database through Ibis, reported by GX.

GX's own SQL path cannot validate DuckDB (shared/STACK.md) and its pandas path
needs the table in memory, so the expectations of `expectations.suites` are
translated here into Ibis aggregates: all row-level expectations of a target
are counted in one scan, uniqueness by a group-by, and only a failing
expectation is queried again for up to 5 example values. The outcome is a GX
`ExpectationSuiteValidationResult`, from which GX renders the Data Docs.
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import ibis
import ibis.expr.types as ir
from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult

from expectations import REPORT_KIND, GateFailure, ReportRefused, claim_reports_dir
from expectations.docs_assets import make_offline
from expectations.suites import SUITES, Suite, Tables, Target
from semantic.models.contract import MAX_EXAMPLES
from semantic import backends

__all__ = ["GateFailure", "ReportRefused", "report", "run_suite", "write_results"]


# Column-map expectations: (table, expectation) -> true on an unexpected row. Nulls are not unexpected
# (as in GX) except for not-null itself.
_ROW_RULES = {
    "expect_column_values_to_not_be_null": lambda t, e: t[e.column].isnull(),
    "expect_column_values_to_be_in_set": lambda t, e: t[e.column].notnull() & ~t[e.column].isin(list(e.value_set)),
    "expect_column_values_to_be_between": lambda t, e: t[e.column].notnull() & _outside(t[e.column], e),
}


def _outside(column: ir.Column, e) -> ir.BooleanValue:
    checks = []
    if e.min_value is not None:
        checks.append(column <= e.min_value if e.strict_min else column < e.min_value)
    if e.max_value is not None:
        checks.append(column >= e.max_value if e.strict_max else column > e.max_value)
    return ibis.or_(*checks) if checks else ibis.literal(False)


def _columns_of(e) -> list[str]:
    if getattr(e, "column_list", None):
        return list(e.column_list)
    return [e.column] if getattr(e, "column", None) else []


@dataclass
class Failure:
    suite: str
    target: str
    expectation: str
    column: str
    unexpected_count: int | None
    element_count: int | None
    examples: list
    observed: object
    severity: str

    @property
    def blocks(self) -> bool:
        """Critical failures stop a publish; warnings are only reported."""
        return self.severity == "critical"

    def line(self) -> str:
        counted = "" if self.unexpected_count is None else (
            f": {self.unexpected_count:,} unexpected of {self.element_count:,} rows")
        observed = "" if self.observed is None else f", observed {self.observed!r}"
        examples = f", e.g. {', '.join(repr(v) for v in self.examples)}" if self.examples else ""
        where = f"{self.target}.{self.column}" if self.column else self.target
        return f"  [{self.severity}] suite {self.suite}: {self.expectation} on {where}{counted}{observed}{examples}"


@dataclass
class SuiteRun:
    suite: str
    result: ExpectationSuiteValidationResult
    failures: list[Failure]
    seconds: float
    by_target: dict[str, ExpectationSuiteValidationResult]  # the same results, one per table: one Data Docs page each
    not_evaluated: list[str]  # targets whose view needs an operation the backend lacks, and why

    @property
    def blocking(self) -> list[Failure]:
        return [f for f in self.failures if f.blocks]


def run_suite(suite: Suite, tables: Tables) -> SuiteRun:
    start = time.perf_counter()
    results, failures, by_target, not_evaluated = [], [], {}, []
    for target in suite.targets:
        lacking = target.needs and backends.lacks(ibis.get_backend(tables[(target.reads or (target.name,))[0]]),
                                                  target.needs)
        if lacking:
            not_evaluated.append(f"{target.name} ({lacking})")
            continue
        target_results = []
        for expectation, outcome in _run_target(target, tables):
            target_results.append(ExpectationValidationResult(
                success=outcome["success"], expectation_config=expectation.configuration, result=outcome["result"]))
            if not outcome["success"]:
                r = outcome["result"]
                failures.append(Failure(
                    suite.name, target.name, expectation.expectation_type, ", ".join(_columns_of(expectation)),
                    r.get("unexpected_count"), r.get("element_count"), r.get("partial_unexpected_list", []),
                    r.get("observed_value"), _severity(expectation)))
        results += target_results
        by_target[target.name] = _suite_result(suite.name, target_results, failures, target.name)
    result = _suite_result(suite.name, results, failures)
    return SuiteRun(suite.name, result, failures, time.perf_counter() - start, by_target, not_evaluated)


def _suite_result(suite: str, results: list, failures: list[Failure], table: str | None = None):
    passed = sum(r.success for r in results)
    blocking = [f for f in failures if f.blocks and (table is None or f.target == table)]
    meta = {"run_id": {"run_name": suite, "run_time": datetime.now(timezone.utc).isoformat()}}
    if table:
        meta["batch_spec"] = {"data_asset_name": table}
    return ExpectationSuiteValidationResult(
        success=not blocking,
        results=results,
        suite_name=suite,
        statistics={"evaluated_expectations": len(results), "successful_expectations": passed,
                    "unsuccessful_expectations": len(results) - passed,
                    "success_percent": 100.0 * passed / len(results) if results else 100.0},
        meta=meta,
    )


def _severity(expectation) -> str:
    return str(getattr(expectation.severity, "value", expectation.severity) or "critical").lower()


def _run_target(target: Target, tables: Tables):
    table = target.table(tables)
    row_expectations = [e for e in target.expectations if e.expectation_type in _ROW_RULES]
    counts = {}
    if row_expectations or any(e.expectation_type.startswith("expect_column_m") for e in target.expectations):
        counts = _one_scan(table, target.expectations)
    for e in target.expectations:
        kind = e.expectation_type
        if kind in _ROW_RULES:
            yield e, _row_outcome(table, e, counts)
        elif kind in {"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"}:
            yield e, _uniqueness(table, e, counts)
        elif kind == "expect_table_row_count_to_equal":
            observed = counts.get("_rows", table.count().execute())
            yield e, {"success": observed == e.value, "result": {"observed_value": observed}}
        elif kind in {"expect_column_min_to_be_between", "expect_column_max_to_be_between"}:
            observed = counts[f"{kind}:{e.column}"]
            ok = observed is not None and (e.min_value is None or observed >= e.min_value) and (
                e.max_value is None or observed <= e.max_value)
            yield e, {"success": bool(ok), "result": {"observed_value": observed}}
        elif kind == "expect_table_columns_to_match_ordered_list":
            yield e, {"success": list(table.columns) == list(e.column_list),
                      "result": {"observed_value": list(table.columns)}}
        elif kind == "expect_table_columns_to_match_set":
            ok = set(table.columns) == set(e.column_set) if e.exact_match else set(e.column_set) <= set(table.columns)
            yield e, {"success": ok, "result": {"observed_value": sorted(table.columns)}}
        elif kind == "expect_column_values_to_be_of_type":
            observed = str(table.schema()[e.column].copy(nullable=True)) if e.column in table.columns else None
            yield e, {"success": observed == e.type_, "result": {"observed_value": observed}}
        else:
            raise NotImplementedError(f"{kind} has no database translation in expectations/gate.py")


def _one_scan(table: ir.Table, expectations: list) -> dict:
    """Every row-level count, min and max of a target in one aggregate query."""
    measures = {"_rows": table.count()}
    for i, e in enumerate(expectations):
        if e.expectation_type in _ROW_RULES:
            measures[f"_unexpected_{i}"] = table.count(where=_ROW_RULES[e.expectation_type](table, e))
        elif e.expectation_type == "expect_column_min_to_be_between":
            measures[f"{e.expectation_type}:{e.column}"] = table[e.column].min()
        elif e.expectation_type == "expect_column_max_to_be_between":
            measures[f"{e.expectation_type}:{e.column}"] = table[e.column].max()
    row = table.aggregate(**measures).to_pyarrow().to_pylist()[0]
    return {**row, **{id(e): row.get(f"_unexpected_{i}") or 0 for i, e in enumerate(expectations)}}


def _row_outcome(table: ir.Table, e, counts: dict) -> dict:
    unexpected, rows = counts[id(e)], counts["_rows"]
    examples = []
    if unexpected:
        columns = _columns_of(e)
        offending = table.filter(_ROW_RULES[e.expectation_type](table, e).fill_null(False)).select(*columns)
        found = offending.limit(MAX_EXAMPLES).to_pyarrow().to_pylist()
        examples = [_plain(r[columns[0]]) if len(columns) == 1 else {c: _plain(r[c]) for c in columns} for r in found]
    return {"success": unexpected == 0, "result": {
        "element_count": rows, "unexpected_count": unexpected,
        "unexpected_percent": 100.0 * unexpected / rows if rows else 0.0,
        "partial_unexpected_list": examples, "missing_count": 0}}


def _uniqueness(table: ir.Table, e, counts: dict) -> dict:
    columns = _columns_of(e)
    present = table.filter(ibis.and_(*[table[c].notnull() for c in columns]))
    groups = present.group_by(columns).aggregate(_n=present.count())
    repeated = groups.filter(groups._n > 1)
    unexpected = int(repeated.aggregate(rows=repeated._n.sum()).to_pyarrow().to_pylist()[0]["rows"] or 0)
    rows = counts.get("_rows") or int(table.count().execute())
    examples = []
    if unexpected:
        found = repeated.select(*columns).limit(MAX_EXAMPLES).to_pyarrow().to_pylist()
        examples = [_plain(r[columns[0]]) if len(columns) == 1 else {c: _plain(r[c]) for c in columns} for r in found]
    return {"success": unexpected == 0, "result": {
        "element_count": rows, "unexpected_count": unexpected,
        "unexpected_percent": 100.0 * unexpected / rows if rows else 0.0,
        "partial_unexpected_list": examples, "missing_count": 0}}


def _plain(value):
    """JSON-friendly example values (dates as ISO text)."""
    return value.isoformat() if hasattr(value, "isoformat") else value


# ---- reports -------------------------------------------------------------------------------------

def report(runs: list[SuiteRun]) -> str:
    lines = []
    for run in runs:
        stats = run.result.statistics
        lines.append(f"suite {run.suite}: {stats['successful_expectations']} passed, "
                     f"{stats['unsuccessful_expectations']} failed ({run.seconds:.2f} s)")
        lines.extend(f.line() for f in run.failures)
        lines.extend(f"  not evaluated here: {target}" for target in run.not_evaluated)
    return "\n".join(lines)


def write_results(runs: list[SuiteRun], out: Path, backend: str, build: dict | None = None) -> Path:
    """GX Data Docs (static HTML, one page per suite and an index) and `summary.json` under `out`.

    `build`: the marker of the warehouse checked (semantic.backends.build_marker); the summary names it, so a
    dashboard tells its own warehouse's report from another's.
    """
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    claim_reports_dir(out)
    docs = out / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    # one view for every page: its Jinja environment compiles each template once (one per page took 1 s)
    view, renderer = DefaultJinjaPageView(), ValidationResultsPageRenderer()
    items = []
    for run in runs:
        pages = []
        for table, result in run.by_target.items():
            page = make_offline(view.render(renderer.render(result)), docs)
            (docs / f"{run.suite}.{table}.html").write_text(page)
            stats = result.statistics
            pages.append(f'<li><a href="{run.suite}.{table}.html">{table}</a>: '
                         f'{stats["successful_expectations"]} of {stats["evaluated_expectations"]} passed</li>')
        verdict = "passed" if run.result.success else "FAILED"
        items.append(f"<li><b>{run.suite}</b>: {verdict}<ul>{''.join(pages)}</ul></li>")
    items = "".join(items)
    (docs / "index.html").write_text(make_offline(
        f"<!doctype html><html><head><meta charset='utf-8'><title>Validation: fintech warehouse</title></head>"
        f"<body><h1>Validation of {html.escape(backend)}</h1><p>{datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC}</p>"
        f"<ul>{items}</ul></body></html>", docs))
    summary = {
        "kind": REPORT_KIND,
        "run_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "backend": backend,
        "build_id": (build or {}).get("build_id"),
        "built_at": (build or {}).get("built_at"),
        "contract_version": (build or {}).get("contract_version"),
        "success": all(r.result.success for r in runs),
        "suites": [{
            "suite": r.suite,
            "success": r.result.success,
            "passed": r.result.statistics["successful_expectations"],
            "failed": r.result.statistics["unsuccessful_expectations"],
            "seconds": round(r.seconds, 3),
            "not_evaluated": r.not_evaluated,
            "failing": [{"expectation": f.expectation, "table": f.target, "column": f.column,
                         "severity": f.severity, "unexpected_count": f.unexpected_count,
                         "examples": f.examples, "observed": f.observed} for f in r.failures],
        } for r in runs],
        "data_docs": str(docs / "index.html"),
    }
    path = out / "summary.json"
    path.write_text(json.dumps(summary, indent=2, default=str) + "\n")
    return path


class Gate:
    """Runs each Great Expectations suite on the scratch build as soon as its tables exist.

    Raw and staging suites run before any later table is built, core and KPI
    suites before the swap; a blocking failure raises GateFailure, so nothing
    is published. Warnings are printed and do not block.
    """

    def __init__(self, echo: Callable[[str], None]):
        self.pending = list(SUITES)
        self.runs = []  # every suite's run, for the warehouse's validation report
        self.echo = echo
        echo(f"gate: {len(SUITES)} expectation suites loaded")

    def run_ready(self, tables) -> None:
        for suite in [s for s in self.pending if s.tables <= set(tables)]:
            self.pending.remove(suite)
            run = run_suite(suite, tables)
            self.runs.append(run)
            self.echo(report([run]))
            if run.blocking:
                raise GateFailure([run], report([run]))
