"""How the page looks: the template and the style sheet (light and dark, any screen width)."""

from __future__ import annotations

import panel as pn

CSS = """
.kpi-row { display: flex; flex-wrap: wrap; gap: 12px; }
.kpi-card { flex: 1 1 180px; border: 1px solid #dde; border-radius: 8px; padding: 10px 14px; background: #fafbff; }
.kpi-title { font-size: 0.85em; color: #556; }
.kpi-value { font-size: 1.6em; font-weight: 600; margin: 4px 0; }
.kpi-help { font-size: 0.75em; color: #778; }
.empty-state { padding: 18px; color: #666; font-style: italic; border: 1px dashed #ccd; border-radius: 8px; }
.banner { font-size: 1.1em; line-height: 1.5; }
"""


def template(title: str) -> pn.template.BaseTemplate:
    """The page's template: a sidebar of filters and a main area of sections."""
    return pn.template.BootstrapTemplate(title=title, sidebar_width=300, busy_indicator=None)
