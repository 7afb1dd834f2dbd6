"""The dashboard on any screen, light or dark, in a real browser (Debian's Chromium against a real `panel serve`).

One page per screen and theme: a phone (390x844, a touch screen that honours the viewport meta tag) and a
desktop (1400x1000), each light and `?theme=dark`. Each page is checked (viewport meta tag, no horizontal
scrolling, the sidebar collapsed on the phone, readable cards and dark charts in the dark theme, a clean
console) and photographed, section by section, into bench/out/ (dashboard-<screen>-<theme>[-<section>].png).
The light pages also use the metric catalog: its search box and a row's SQL.

`python tests/dashboard/test_screens.py URL` writes docs/dashboard.png (the README's picture) from a running
dashboard.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench" / "out"
SCREENS = {"desktop": {"viewport": {"width": 1400, "height": 1000}},
           "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}}
SECTIONS = {"overview": "Portfolio overview", "segments": "Segments and growth drivers",
            "concentration": "Concentration and dependency risk", "quality": "Data quality",
            "catalog": "Metric catalog"}

# The page's own scroller (#main) and the template's frame clip on purpose; anything else that clips its
# content (a chart's canvas, a table's scroller) holds it inside the screen.
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const PAGE = new Set(["container", "content", "main", "header", "sidebar"]);
  const parent = (el) => el.parentElement || (el.parentNode && el.parentNode.host) || null;
  const clips = (el) => {
    if (PAGE.has(el.id) || el === document.body) return false;
    return getComputedStyle(el).overflowX !== "visible";
  };
  const found = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll("*")) {
      if (el.shadowRoot) walk(el.shadowRoot);
      const box = el.getBoundingClientRect();
      if (!box.width || !box.height) continue;
      let left = box.left, right = box.right;
      for (let a = parent(el); a && a !== document.documentElement; a = parent(a)) {
        if (!clips(a)) continue;
        const b = a.getBoundingClientRect();
        left = Math.max(left, b.left); right = Math.min(right, b.right);
      }
      if (right - left > 0 && (right > width + 0.5 || left < -0.5)) {
        const name = `${el.tagName.toLowerCase()}.${String(el.className).trim().replace(/\\s+/g, ".")}`;
        const text = (el.textContent || "").trim().slice(0, 40);
        found.push(`${name} [${Math.round(box.left)}, ${Math.round(box.right)}]: ${text}`);
      }
    }
  };
  walk(document);
  return found;
}"""

# Every element of the page (document and shadow roots) matching `selector`; `deep(selector, host)`: only those
# inside the elements matching `host` (their shadow roots included).
DEEP = """const deep = (selector, host) => {
  const out = [];
  const walk = (root, inside) => { for (const el of root.querySelectorAll("*")) {
    const within = inside || !host || el.matches(host);
    if (within && el.matches(selector)) out.push(el);
    if (el.shadowRoot) walk(el.shadowRoot, within); } };
  walk(document, false); return out;
};"""

# The text and background colours of a KPI value (the background: the nearest painted ancestor's).
KPI_COLOURS = DEEP + """
const value = deep(".kpi-value")[0];
let box = value;
while (box && getComputedStyle(box).backgroundColor.match(/rgba\\(.*, 0\\)$|transparent/)) box = box.parentElement;
return [getComputedStyle(value).color, box ? getComputedStyle(box).backgroundColor : "rgb(255, 255, 255)"];"""

# Pixels of the first chart as drawn: a corner of its border and a corner inside its plot frame (above the bars).
CHART_PIXELS = DEEP + """
const figure = deep(".bk-Canvas").find((c) => c.getBoundingClientRect().width > 150);
if (!figure) return null;
const canvas = [...figure.shadowRoot.querySelectorAll("canvas")][0];
const frame = figure.shadowRoot.querySelector(".bk-CartesianFrame");
const box = canvas.getBoundingClientRect(), inner = frame.getBoundingClientRect();
const scale = canvas.width / box.width;
const context = canvas.getContext("2d");
const pixel = (x, y) => [...context.getImageData(Math.round(x * scale), Math.round(y * scale), 1, 1).data];
return [pixel(2, 2), pixel(inner.left - box.left + 4, inner.top - box.top + 4)];"""

CHART_DRAWN = DEEP + """return deep(".bk-Canvas").some((c) => c.getBoundingClientRect().width > 150
    && c.shadowRoot.querySelector(".bk-CartesianFrame"));"""

# Make the page one long sheet (the template scrolls inside #main) for a full-page picture.
UNROLLED = ("#container, #content, #main { height: auto !important; max-height: none !important; "
            "overflow: visible !important; } html, body { height: auto !important; }")


def rgb(text: str) -> tuple[float, ...]:
    return tuple(float(v) for v in re.findall(r"[\d.]+", text)[:3])


def luminance(colour) -> float:
    """WCAG relative luminance of an (r, g, b) in 0-255."""
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in colour[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def open_page(browser, url: str, screen: str, theme: str):
    context = browser.new_context(**SCREENS[screen])
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    page.goto(url + ("?theme=dark" if theme == "dark" else ""))
    page.locator("[data-kpi=accounts] .kpi-value").wait_for(timeout=30_000)
    page.wait_for_function(f"() => {{ {CHART_DRAWN} }}", timeout=30_000)
    page.wait_for_timeout(500)  # the last layout pass of the charts
    return context, page


def open_card(page, title: str, ready: str) -> None:
    """Open a collapsed card (built when first opened) and wait for `ready` (a locator) inside it."""
    page.get_by_text(title).first.click()
    page.locator(ready).first.wait_for(timeout=20_000)


def photograph(page, name: str) -> None:
    """The top of the page, each section scrolled to the top, and the whole page (unrolled)."""
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=OUT / f"{name}.png")
    for section, heading in SECTIONS.items():
        page.get_by_text(heading).first.evaluate("el => el.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(150)
        page.screenshot(path=OUT / f"{name}-{section}.png")
    style = page.add_style_tag(content=UNROLLED)
    page.wait_for_timeout(500)
    page.screenshot(path=OUT / f"{name}-full.png", full_page=True)
    style.evaluate("el => el.remove()")
    page.locator("#main").evaluate("el => el.scrollTo(0, 0)")


def check_colours(page, theme: str) -> None:
    text, background = (rgb(c) for c in page.evaluate(f"() => {{ {KPI_COLOURS} }}"))
    assert contrast(text, background) >= 4.5, (theme, text, background)
    border, plot = page.evaluate(f"() => {{ {CHART_PIXELS} }}")
    for where, pixel in (("border", border), ("plot area", plot)):
        assert pixel[3] > 0, where
        if theme == "dark":
            assert luminance(pixel) < 0.2, (where, pixel)
        else:
            assert luminance(pixel) > 0.6, (where, pixel)
    page_background = rgb(page.evaluate("getComputedStyle(document.body).backgroundColor"))
    assert (luminance(page_background) < 0.2) == (theme == "dark"), page_background


def expected_matches(text: str) -> list[str]:
    """The metrics whose name or definition holds every word of `text` (from the catalog, not the dashboard)."""
    from semantic.catalog import METRICS

    words = text.lower().split()
    return sorted(m.name for m in METRICS.values()
                  if all(w in m.name.lower() or w in m.description.lower() for w in words))


def catalog_names(page) -> list[str]:
    return sorted(page.locator(".metric-catalog .tabulator-row .metric-name").all_inner_texts())


def wait_for_rows(page, names: list[str]) -> None:
    """Until the catalog's rows are the metrics `names` (any order)."""
    page.wait_for_function(
        f"""(names) => {{ {DEEP} const shown = deep('.metric-name', '.metric-catalog').map((e) => e.textContent.trim());
            return JSON.stringify(shown.sort()) === JSON.stringify(names); }}""", arg=sorted(names), timeout=20_000)


def use_the_catalog(page) -> None:
    """Search narrows the rows to the matching metrics; a row expanded shows its SQL; clearing brings all back."""
    from semantic.catalog import METRICS

    every = sorted(METRICS)
    wait_for_rows(page, every)
    search = page.locator(".catalog-search input")
    for text in ("loan", "Balance share", "gini", "no metric is called this"):
        want = expected_matches(text)
        assert len(want) < len(every), text
        search.fill(text)
        wait_for_rows(page, want)
        assert catalog_names(page) == want, text
    search.fill("gini")
    wait_for_rows(page, ["gini"])
    row = page.locator(".metric-catalog .tabulator-row").first
    toggle = row.locator(".tabulator-cell", has_text=re.compile("[►▼]"))
    sql = page.locator(".metric-catalog pre.metric-sql").first
    for attempt in range(3):  # a tap that lands while the table redraws its rows can be lost: tap again
        if toggle.inner_text().strip() == "►":
            toggle.click()
        try:
            sql.wait_for(timeout=4_000)
            break
        except Exception:
            if attempt == 2:
                raise
    assert "SELECT" in sql.inner_text() and '"gini"' in sql.inner_text()  # its own SQL
    search.fill("loan")  # another search: expanded rows close (a row's content followed its position)
    wait_for_rows(page, expected_matches("loan"))
    page.wait_for_function(f"() => {{ {DEEP} return deep('pre.metric-sql', '.metric-catalog').length === 0; }}")
    search.fill("")
    wait_for_rows(page, every)
    # The table fits its card: no column hidden beyond its right edge.
    holder = page.locator(".metric-catalog .tabulator-tableholder").first
    assert holder.evaluate("el => el.scrollWidth <= el.clientWidth + 1")


@pytest.mark.parametrize("screen", ["desktop", "phone"])
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_screen_and_theme(browser, dashboard_url, screen, theme):
    context, page = open_page(browser, dashboard_url, screen, theme)
    try:
        viewport = page.evaluate("document.querySelector('meta[name=viewport]')?.content")
        assert viewport and "width=device-width" in viewport
        width = SCREENS[screen]["viewport"]["width"]
        assert page.evaluate("window.innerWidth") == width  # the phone lays out at its own width, not 980 px
        sidebar = page.locator("#sidebar")
        if screen == "phone":
            assert not sidebar.is_visible() and "show" not in sidebar.get_attribute("class")
            assert page.locator("#sidebar-toggle").get_attribute("aria-expanded") == "false"
            main = page.locator("#main").bounding_box()
            assert main["x"] < 1 and main["width"] >= width - 1  # the sections use the whole width
            charts = page.evaluate(f"() => {{ {DEEP} return deep('.bk-Canvas').map((c) => c.getBoundingClientRect())"
                                   ".filter((b) => b.width > 150).map((b) => [b.left, b.top]); }")
            assert len({round(left) for left, _ in charts}) == 1, charts  # stacked: every chart starts at one x
        else:
            assert sidebar.is_visible() and sidebar.bounding_box()["width"] > 250
        check_colours(page, theme)
        if theme == "light":
            open_card(page, "Metric catalog", ".metric-catalog .metric-name")
            use_the_catalog(page)
        else:
            open_card(page, "Metric catalog", ".metric-catalog .metric-name")
        open_card(page, "Deciles: accounts and balances", ".tabulator-cell[tabulator-field=max_balance]")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        main_scroll = page.locator("#main").evaluate("el => [el.scrollWidth, el.clientWidth]")
        assert page.evaluate(OVERFLOWING) == []
        assert main_scroll[0] <= main_scroll[1], main_scroll
        photograph(page, f"dashboard-{screen}-{theme}")
        if screen == "phone":  # the sidebar opens over the page, with the filters in reach
            page.locator("#sidebar-toggle").click()
            page.wait_for_function("() => { const s = document.getElementById('sidebar');"
                                   " return s.classList.contains('show') && !s.classList.contains('collapsing'); }",
                                   timeout=5_000)
            box = sidebar.bounding_box()
            assert box["x"] >= 0 and 200 < box["width"] <= width, box
            page.screenshot(path=OUT / f"dashboard-{screen}-{theme}-filters.png")
        assert not [e for e in page.console_errors if "fonts" not in e], page.console_errors
    finally:
        context.close()


def readme_picture(url: str, target: Path = ROOT / "docs" / "dashboard.png") -> None:
    """The desktop, light, as a visitor first sees it: the viewport only (a small PNG for the README)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--headless"])
        context, page = open_page(browser, url, "desktop", "light")
        target.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=target)
        context.close()
        browser.close()
    try:  # 128 colours: a third of the size, no visible loss on flat UI colours
        from PIL import Image
    except ImportError:
        return
    Image.open(target).convert("RGB").quantize(colors=128, dither=Image.Dither.NONE).save(target, optimize=True)


if __name__ == "__main__":
    readme_picture(sys.argv[1])
