"""Running the suites: each GX expectation evaluated in the database through Ibis, reported by GX.

Each expectation of `expectations.suites` is counted by its type's evaluator
(`expectations.evaluators`: one aggregate scan per target, a group-by for
uniqueness, examples only for a failure). The outcome is a GX
`ExpectationSuiteValidationResult`, from which GX renders the Data Docs; the
`Gate` runs each suite during a build as soon as its tables exist.
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
from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult

from expectations import REPORT_KIND, GateFailure, ReportRefused, claim_reports_dir
from expectations.docs_assets import make_offline
from expectations.evaluators import columns_of, outcomes
from expectations.suites import SUITES, Suite, Tables
from semantic import backends

__all__ = ["GateFailure", "ReportRefused", "report", "run_suite", "write_results"]


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
    not_evaluated: list[str]  # targets whose view requires an operation the backend lacks, and why

    @property
    def blocking(self) -> list[Failure]:
        return [f for f in self.failures if f.blocks]


def run_suite(suite: Suite, tables: Tables) -> SuiteRun:
    start = time.perf_counter()
    results, failures, by_target, not_evaluated = [], [], {}, []
    for target in suite.targets:
        lacking = target.requires_operation and backends.lacks(
            ibis.get_backend(tables[target.source_tables[0]]), target.requires_operation)
        if lacking:
            not_evaluated.append(f"{target.name} ({lacking})")
            continue
        target_results = []
        for expectation, outcome in outcomes(target.table(tables), target.expectations):
            target_results.append(ExpectationValidationResult(
                success=outcome["success"], expectation_config=expectation.configuration, result=outcome["result"]))
            if not outcome["success"]:
                r = outcome["result"]
                failures.append(Failure(
                    suite.name, target.name, expectation.expectation_type, ", ".join(columns_of(expectation)),
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
