"""Data quality: the served warehouse's own validation report, and the header badge.

A report names the build it checked (its marker's build_id, semantic.backends); one
for another build, or another warehouse, is never shown as this one's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import panel as pn

if TYPE_CHECKING:
    from dashboard.page import Page

NOT_VALIDATED = "Not validated since this build"
NO_RUN = "No validation run yet"


def badge_text(summary: dict | None, any_report: bool = False) -> str:
    """'' when this build's run passed; otherwise what the header badge says (`any_report`: a report of an
    earlier build exists)."""
    if summary is None:
        return NOT_VALIDATED if any_report else NO_RUN
    return "" if summary.get("success") else "Validation failed"


def badge(text: str) -> pn.pane.HTML:
    style = "background:#c0392b;color:white" if text else "background:#2e8b57;color:white"
    return pn.pane.HTML(f'<span class="quality-badge" style="{style};padding:3px 10px;border-radius:10px">'
                        f'{text or "Validated"}</span>', margin=(12, 10))


def quality_section(summary: dict | None, any_report: bool = False) -> pn.viewable.Viewable:
    if summary is None:
        why = ("The last validation report is of an earlier build" if any_report else "No validation report found")
        return pn.pane.Markdown(f"{why}: run `fintech validate` to check the warehouse being served.")
    suites = pd.DataFrame([{"suite": s["suite"], "passed": s["passed"], "failed": s["failed"],
                            "status": "passed" if s["success"] else "FAILED"} for s in summary["suites"]])
    failing = pd.DataFrame([{"suite": s["suite"], "expectation": f["expectation"], "table": f["table"],
                             "column": f["column"], "unexpected rows": f["unexpected_count"],
                             "examples": ", ".join(map(str, f["examples"]))}
                            for s in summary["suites"] for f in s["failing"]])
    parts = [pn.pane.Markdown(f"Last validation run: **{summary['run_at']}** on `{summary['backend']}` "
                              f"(build `{summary['build_id']}`, built {summary.get('built_at')})."),
             pn.widgets.Tabulator(suites, show_index=False, disabled=True, sizing_mode="stretch_width")]
    if not failing.empty:
        parts += [pn.pane.Markdown("**Failing expectations**"),
                  pn.widgets.Tabulator(failing, show_index=False, disabled=True, sizing_mode="stretch_width")]
    return pn.Column(*parts, sizing_mode="stretch_width")


def parts(page: Page) -> list:
    """The report of the build the page reads (the header's badge says it in one word)."""
    return [quality_section(*page.validation)]
