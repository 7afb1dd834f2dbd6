"""Data quality: the latest validation run (fintech validate's summary.json), and the header badge."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import panel as pn

from semantic import config


def summary_path() -> Path:
    return config.data_dir() / "validation" / "summary.json"


def load_summary(path: Path | None = None) -> dict | None:
    path = path or summary_path()
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def badge_text(summary: dict | None) -> str:
    """'' when the last run passed; otherwise what the header badge says."""
    if summary is None:
        return "No validation run yet"
    return "" if summary.get("success") else "Validation failed"


def badge(summary: dict | None) -> pn.pane.HTML:
    text = badge_text(summary)
    style = "background:#c0392b;color:white" if text else "background:#2e8b57;color:white"
    return pn.pane.HTML(f'<span class="quality-badge" style="{style};padding:3px 10px;border-radius:10px">'
                        f'{text or "Validated"}</span>', margin=(12, 10))


def quality_section(summary: dict | None) -> pn.viewable.Viewable:
    if summary is None:
        return pn.pane.Markdown("No validation run found: run `fintech validate` to check the warehouse.")
    suites = pd.DataFrame([{"suite": s["suite"], "passed": s["passed"], "failed": s["failed"],
                            "status": "passed" if s["success"] else "FAILED"} for s in summary["suites"]])
    failing = pd.DataFrame([{"suite": s["suite"], "expectation": f["expectation"], "table": f["table"],
                             "column": f["column"], "unexpected rows": f["unexpected_count"],
                             "examples": ", ".join(map(str, f["examples"]))}
                            for s in summary["suites"] for f in s["failing"]])
    parts = [pn.pane.Markdown(f"Last validation run: **{summary['run_at']}** on `{summary['backend']}`."),
             pn.widgets.Tabulator(suites, show_index=False, disabled=True, sizing_mode="stretch_width")]
    if not failing.empty:
        parts += [pn.pane.Markdown("**Failing expectations**"),
                  pn.widgets.Tabulator(failing, show_index=False, disabled=True, sizing_mode="stretch_width")]
    return pn.Column(*parts, sizing_mode="stretch_width")
