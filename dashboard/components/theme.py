"""How the page looks: the template and the style sheet (light and dark, any screen width).

One style sheet serves both themes: colours come from Panel's design variables (`--panel-surface-color`,
`--panel-on-surface-color`, ...), which the template sets for the theme asked for (`?theme=dark` in the URL,
read by Panel itself); the charts follow through the Bokeh theme Panel gives the document. Below
PHONE_WIDTH the sidebar starts collapsed (it opens over the page with the header's toggle), rows of
charts and buttons wrap to one per line, and nothing is wider than the screen.
"""

from __future__ import annotations

import panel as pn

VIEWPORT = "width=device-width, initial-scale=1"
PHONE_WIDTH = 767.98  # px: Bootstrap's `md` breakpoint, where the template's navbar (navbar-expand-md) folds
PHONE = f"(max-width: {PHONE_WIDTH}px)"

# Colours, each a design variable of the theme in force, with the light value as a last resort.
SURFACE = "var(--design-surface-color, var(--panel-surface-color, #f3f3f3))"
ON_SURFACE = "var(--design-surface-text-color, var(--panel-on-surface-color, #1a1d21))"
BORDER = "var(--panel-border-color, #dde)"

CSS = f"""
.kpi-row {{ display: flex; flex-wrap: wrap; gap: 12px; }}
.kpi-card {{ flex: 1 1 180px; min-width: 0; box-sizing: border-box; border: 1px solid {BORDER};
  border-radius: 8px; padding: 10px 14px; background: {SURFACE}; color: {ON_SURFACE}; }}
.kpi-title {{ font-size: 0.85em; opacity: 0.85; }}
.kpi-value {{ font-size: 1.6em; font-weight: 600; margin: 4px 0; overflow-wrap: anywhere; }}
.kpi-help {{ font-size: 0.75em; opacity: 0.8; }}
.kpi-parts {{ font-size: 0.85em; margin-bottom: 4px; }}
.kpi-sql {{ font-size: 0.75em; margin-top: 4px; }}
.kpi-sql pre {{ white-space: pre-wrap; overflow-wrap: anywhere; max-height: 20em; overflow-y: auto; }}
.empty-state {{ padding: 18px; font-style: italic; border: 1px dashed {BORDER}; border-radius: 8px;
  background: {SURFACE}; color: {ON_SURFACE}; }}
.banner {{ font-size: 1.1em; line-height: 1.5; }}
.backend {{ white-space: normal; overflow-wrap: anywhere; }}
pre.metric-sql {{ margin: 6px 0 10px; padding: 8px 10px; border-radius: 6px; border: 1px solid {BORDER};
  background: {SURFACE}; color: {ON_SURFACE}; font-size: 0.8em; line-height: 1.35;
  white-space: pre-wrap; overflow-wrap: anywhere; }}
.catalog-hint {{ font-size: 0.85em; opacity: 0.8; }}
:host(.metric-catalog) .tabulator-cell {{ white-space: normal; overflow-wrap: anywhere; }}
.metric-name {{ font-weight: 600; }}
.metric-kind {{ font-size: 0.85em; opacity: 0.75; }}

@media {PHONE} {{
  /* the header stays on screen (the template scrolls #main under it): kept to a few short lines */
  #header {{ flex-wrap: wrap; padding-top: 2px; padding-bottom: 4px; }}
  #header .app-header .title {{ font-size: 1.15em; white-space: normal; flex: 1 1 0; min-width: 0;
    line-height: 1.5em; padding-left: 0.2em; }}
  #header #header-items {{ flex-wrap: wrap; white-space: normal; min-width: 0; max-width: 100%; margin-left: 6px;
    font-size: 0.8em; }}
  #header-items .bk-Row {{ flex-wrap: wrap; align-items: center; max-width: 100%; }}
  :host(.bk-Row) > .bk-panel-models-markup-HTML {{ margin-top: 3px !important; margin-bottom: 3px !important; }}
  #content {{ position: relative; flex-wrap: nowrap; }}
  #sidebar {{ position: absolute; top: 0; left: 0; z-index: 1040; max-width: min(var(--sidebar-width), 85vw) !important;
    background-color: var(--bs-body-bg); box-shadow: 0 0 18px rgba(0, 0, 0, 0.35); }}
  #main {{ width: 100%; max-width: 100%; min-width: 0; padding: 8px 10px 16px 10px; }}
  #main .bk-Row, :host(.bk-Column) > .bk-Row, :host(.card) > .bk-Row {{ flex-wrap: wrap; max-width: 100%;
    min-width: 0; }}
  /* inside a row's shadow root: each chart a line of its own, text shrinks to the screen */
  :host(.bk-Row) > .bk-Figure, :host(.bk-Row) > .bk-panel-models-layout-Column {{ flex: 1 1 100%; min-width: 0; }}
  :host(.bk-Row) > .bk-panel-models-markup-HTML {{ max-width: 100%; min-width: 0; flex-shrink: 1; }}
  .kpi-card {{ flex-basis: 140px; }}
  .tabulator .tabulator-cell, .tabulator .tabulator-col {{ font-size: 0.85em; }}
  .tabulator .tabulator-cell {{ padding: 4px 5px; }}
  .kpi-value {{ font-size: 1.35em; }}
}}
"""

# Run once, as the header renders: on a phone the sidebar starts collapsed (the template renders it open).
COLLAPSE_ON_PHONE = f"""<script>
(function () {{
  if (!window.matchMedia("{PHONE}").matches) return;
  var sidebar = document.getElementById("sidebar");
  var toggle = document.getElementById("sidebar-toggle");
  if (sidebar) sidebar.classList.remove("show");
  if (toggle) toggle.setAttribute("aria-expanded", "false");
}})();
</script>"""


def template(title: str) -> pn.template.BaseTemplate:
    """The page's template: a sidebar of filters and a main area of sections, light or dark as the URL asks
    (`?theme=dark`), laid out for the screen's width (a viewport meta tag; the sidebar collapsed on a phone)."""
    page = pn.template.BootstrapTemplate(title=title, sidebar_width=300, busy_indicator=None,
                                         meta_viewport=VIEWPORT)
    page.header.append(pn.pane.HTML(COLLAPSE_ON_PHONE, width=0, height=0, margin=0, css_classes=["phone-layout"]))
    return page
