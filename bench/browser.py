"""The dashboard in Chromium on the bench warehouse: first full render, then 20 filter changes.

A change is timed from the click on a region until every card shows the
value the semantic layer gives for that filter and no section is still
loading (the render stamp bound last in the app shows the new filters).
Screenshots of the unfiltered and a filtered view land in bench/out/.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import time
import urllib.request
from pathlib import Path

from dashboard import data
from dashboard.queries import headline
from dashboard.server import panel_serve_command
from tests.dashboard.sessions import CARD_SHOWS, RENDERED

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
FIRST_RENDERS = 5  # page loads by new visitors; the median is reported

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(warehouse: Path, data_dir: Path, out: Path, changes: int = 20) -> dict:
    from playwright.sync_api import sync_playwright

    import semantic
    from semantic.formats import format_value

    url = f"duckdb://{warehouse}"
    sl = semantic.connect(url)
    regions = sl.dimension_values("region")

    def total(where: dict) -> str:
        """The total balance card of a view: the page's own headline question, asked of the layer directly."""
        return format_value(headline(data.where_of(where)).asked_of(sl).total_balance[0], "money")

    expected = {r: total({"region": [r]}) for r in regions}
    unfiltered = total({})
    sl.close()

    port = _free_port()
    env = {**os.environ, "FINTECH_BACKEND": url, "FINTECH_DATA_DIR": str(data_dir)}
    server = subprocess.Popen(panel_serve_command(port), env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    app = f"http://127.0.0.1:{port}/app"
    try:
        _wait_for(app)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless", "--disable-gpu",
                                                                        "--disable-background-networking"])
            first_renders = []
            for _ in range(FIRST_RENDERS):  # each a new visitor: a new browser context, nothing in its cache
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                start = time.perf_counter()
                page.goto(app)
                page.wait_for_function(CARD_SHOWS, arg=["total_balance", unfiltered], timeout=60_000)
                page.wait_for_function(RENDERED, arg="", timeout=60_000)
                first_renders.append(time.perf_counter() - start)
                if len(first_renders) < FIRST_RENDERS:
                    context.close()
            page.screenshot(path=str(out / "dashboard_unfiltered.png"), full_page=True)

            timings, first_time = [], []
            for i in range(changes):
                region = regions[i % len(regions)]
                box = page.locator(".choices").nth(1)
                if i % 2:  # every other change: clear, back to the whole portfolio
                    start = time.perf_counter()
                    page.get_by_role("button", name="Clear filters").click()
                    page.wait_for_function(CARD_SHOWS, arg=["total_balance", unfiltered], timeout=60_000)
                    page.wait_for_function(RENDERED, arg="", timeout=60_000)
                else:
                    box.click()
                    box.locator("input.choices__input--cloned").fill(region)
                    choice = box.locator(".choices__list--dropdown .choices__item--choice", has_text=region).first
                    start = time.perf_counter()
                    choice.click()
                    page.wait_for_function(CARD_SHOWS, arg=["total_balance", expected[region]], timeout=60_000)
                    page.wait_for_function(RENDERED, arg=f"region={region}", timeout=60_000)
                timings.append(time.perf_counter() - start)
                if i % 2 == 0 and i // 2 < len(regions):  # a region asked for the first time: nothing cached
                    first_time.append(round(timings[-1] * 1000))
                page.keyboard.press("Escape")
                if i == 0:
                    page.screenshot(path=str(out / "dashboard_filtered.png"), full_page=True)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    print("change timings (ms):", [round(t * 1000) for t in timings])
    timings.sort()
    return {"first_render_s": round(statistics.median(first_renders), 2),
            "first_renders_s": [round(t, 2) for t in first_renders],
            "filter_change_p50_ms": round(statistics.median(timings) * 1000),
            "filter_change_p95_ms": round(timings[int(0.95 * (len(timings) - 1))] * 1000),
            "changes": changes, "uncached_changes_ms": first_time,
            "screenshots": [str(out / "dashboard_unfiltered.png"), str(out / "dashboard_filtered.png")],
            "target": "first render <= 3 s; change p50 <= 500 ms, p95 <= 1 s"}


def _wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"panel serve did not answer at {url}")
