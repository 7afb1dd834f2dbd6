"""The backend x feature matrix, from the outcomes of the conformance tests (tests/semantic/test_backends.py).

A cell is "yes" when every test of that feature passed on that backend, the
marker's reason when one was expected to fail for a missing operation, and
"FAILED" otherwise. `make backends-doc` writes it to docs/backends.md.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from semantic import engines

BACKEND_ORDER = tuple(engines.ENGINES)  # the registry's order (semantic/engines/)
RANK = {"yes": 0, "missing": 1, "FAILED": 2}

HEADER = """# Backends: what runs where

Written by `make backends-doc` from the conformance suite
(`tests/semantic/test_backends.py`): every backend builds the warehouse with
`fintech build` from the same generated extract, and every published table and
metric is compared with DuckDB's (relative error <= 1e-9, row order ignored);
DuckDB's own are compared, to the same tolerance, with the independent pandas
reference (`tests/reference.py`), never with themselves.
"yes": every test of the feature passed; "missing: ..." names an operation the
backend lacks, declared in the test (`notimpl`: it must fail there with exactly
the exception given); "FAILED": a test failed.

Validation path: on every backend the expectation suites run in the database as
Ibis aggregates (expectations/evaluators.py), and Great Expectations builds its
results and Data Docs from those counts; GX's own SQL datasource is not used.
"""


def record(cells: dict, backend: str, feature: str, report) -> None:
    if report.passed and not hasattr(report, "wasxfail"):
        outcome = ("yes", "")
    elif hasattr(report, "wasxfail"):
        outcome = ("missing", report.wasxfail)
    else:
        outcome = ("FAILED", "")
    current = cells.setdefault(feature, {}).get(backend)
    if current is None or RANK[outcome[0]] > RANK[current[0]]:
        cells[feature][backend] = outcome


def write_matrix(cells: dict, path: Path) -> None:
    backends = [b for b in BACKEND_ORDER if any(b in row for row in cells.values())]
    lines = [HEADER, f"Last written {date.today().isoformat()}.", "",
             "| feature | " + " | ".join(backends) + " |", "|---|" + "---|" * len(backends)]
    for feature, row in cells.items():
        shown = []
        for backend in backends:
            kind, reason = row.get(backend, ("not run", ""))
            shown.append(f"missing: {reason}" if kind == "missing" else kind)
        lines.append(f"| {feature} | " + " | ".join(shown) + " |")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
