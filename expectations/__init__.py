"""Great Expectations suites (suites.py), how each expectation type is counted in the database
(evaluators.py), and the gate that runs the suites and reports them (gate.py).

Here only what a build needs before Great Expectations is imported: the gate's failure, and whether a
report may be written where a warehouse's reports live.
"""

from __future__ import annotations

import json
from pathlib import Path


class GateFailure(Exception):
    """A suite found a blocking failure: nothing may be published. Light to import (no GX)."""

    def __init__(self, runs: list, message: str):
        self.runs = runs
        super().__init__(message)


REPORT_KIND = "fintech validation report"


class ReportRefused(ValueError):
    """The report's directory holds files this product did not write: nothing is written there."""


def claim_reports_dir(out: Path) -> None:
    """`out` is new, empty, or holds a report of ours: never write over files someone else made."""
    if not out.exists():
        return
    if not out.is_dir():
        raise ReportRefused(f"{out} exists and is not a directory")
    summary = out / "summary.json"
    try:
        ours = json.loads(summary.read_text()).get("kind") == REPORT_KIND
    except (OSError, ValueError, AttributeError):
        ours = False
    if not ours and any(out.iterdir()):
        raise ReportRefused(f"{out} holds files that are not a validation report of this product: move them "
                            "away, or give `fintech validate` another --out directory")
