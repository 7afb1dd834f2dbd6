"""Many dashboard sessions at once: browser tabs (Playwright + Chromium), each a real Bokeh session over its
own websocket. Every tab changes its region filter again and again and checks that its own "Total accounts"
card shows the number of its own selection. Used by the tests (short runs) and `make soak` (bench/soak.py).

The tabs change their filters together, so the server answers many sessions at once; each tab times its
own update, from setting the filter to the card showing the expected number.
"""

from __future__ import annotations

import re
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

UPDATE_TIMEOUT_MS = 30_000

# Every section has caught up when the render stamp (bound last in dashboard/app.py) shows the filters `key`.
RENDERED = """(key) => {
    const find = (root) => {
        const hit = root.querySelector(`.render-stamp[data-where="${key}"]`); if (hit) return hit;
        for (const el of root.querySelectorAll('*')) {
            if (el.shadowRoot) { const f = find(el.shadowRoot); if (f) return f; }
        }
        return null;
    };
    return find(document) !== null;
}"""

# Card `key` shows `text` (its .kpi-value, found through every shadow root).
CARD_SHOWS = """([key, text]) => {
    const find = (root) => {
        const hit = root.querySelector(`[data-kpi=${key}] .kpi-value`); if (hit) return hit;
        for (const el of root.querySelectorAll('*')) {
            if (el.shadowRoot) { const f = find(el.shadowRoot); if (f) return f; }
        }
        return null;
    };
    const el = find(document); return el && el.textContent.trim() === text;
}"""

# In the page: set the region filter through the Bokeh model (as the widget does), then watch the accounts
# card's model until it shows `expected` (or one of them).
CHANGE = """([regions, expected, timeout]) => {
  const doc = Bokeh.documents[0];
  const models = () => [...doc._all_models.values()];
  const unescape = (text) => new DOMParser().parseFromString(text, "text/html").documentElement.textContent;
  const shown = () => {
    for (const m of models()) {
      if (typeof m.text !== "string" || !m.text.includes("kpi-value")) continue;
      const card = /data-kpi="accounts"><div class="kpi-title">[^<]*<\\/div><div class="kpi-value">([^<]*)</;
      const found = unescape(m.text).match(card);
      if (found) return parseInt(found[1].replace(/,/g, ""));
    }
    return null;
  };
  const region = models().find((m) => m.type === "MultiChoice" && m.title === "Region");
  window.__change = null;
  const start = performance.now();
  region.value = regions;
  const check = () => {
    const now = shown();
    if (expected.includes(now)) window.__change = {ms: performance.now() - start, shown: now, value: region.value};
    else if (performance.now() - start > timeout) window.__change = {ms: -1, shown: now, value: region.value};
    else setTimeout(check, 5);
  };
  check();
}"""


@dataclass
class SessionRun:
    changes: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds
    errors: list[str] = field(default_factory=list)
    version: str | None = None  # whose numbers it showed: a key of `expected` ("old" / "new" across a rebuild)


def open_tabs(browser, app_url: str, count: int) -> list:
    pages = [browser.new_page() for _ in range(count)]
    for page in pages:  # every tab loads at once: the server opens the sessions together
        page.goto(app_url, wait_until="commit")
    for page in pages:
        page.wait_for_selector(".kpi-value", timeout=120_000)
    return pages


def drive(pages: list, seconds: float, expected: dict[str, dict[tuple, int]], runs: list[SessionRun] | None = None,
          during=None, rounds: int = 1) -> list[SessionRun]:
    """Every tab changes its filter at once, round after round, for `seconds` and at least `rounds` rounds.
    `expected`: version name ->
    accounts of every region choice; a tab must show one version's numbers throughout, never a mix.
    `during()` is called once, after the first round."""
    runs = runs or [SessionRun() for _ in pages]
    choices = sorted(next(iter(expected.values())))
    deadline = time.monotonic() + seconds
    step = 0
    while time.monotonic() < deadline or step < rounds:
        step += 1
        asked = []
        for i, (page, run) in enumerate(zip(pages, runs, strict=True)):
            choice = choices[(step + 3 * i) % len(choices)]
            wanted = {name: numbers[choice] for name, numbers in expected.items() if run.version in (None, name)}
            page.evaluate(CHANGE, [list(choice), list(wanted.values()), UPDATE_TIMEOUT_MS])
            asked.append((choice, wanted))
        for page, run, (choice, wanted) in zip(pages, runs, asked, strict=True):
            page.wait_for_function("window.__change !== null", timeout=UPDATE_TIMEOUT_MS + 5_000)
            result = page.evaluate("window.__change")
            run.changes += 1
            if result["ms"] < 0:
                run.errors.append(f"regions {choice}: shows {result['shown']} accounts, expected {wanted}")
                continue
            run.version = run.version or next(n for n, number in wanted.items() if number == result["shown"])
            run.latencies.append(result["ms"] / 1000)
            if tuple(result["value"]) != choice:
                run.errors.append(f"its filter changed under it: {result['value']} instead of {choice}")
        if during is not None and step == 1:
            during()
    return runs


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else (values[0] if values else float("nan"))


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def server_errors(log: Path) -> list[str]:
    return [line for line in log.read_text(errors="replace").splitlines()
            if re.search(r"Traceback|ERROR|Exception", line)]
