"""`make soak`: 20 browser tabs changing their filters together for 60 s on the real `panel serve`, and one
tab alone for comparison; errors, p95 update latency and the server's memory before and after the sessions.

The short version runs in `make test` (tests/dashboard/test_sessions.py). Writes bench/out/soak.json.
`python bench/soak.py [--sessions N] [--seconds S]`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
sys.path.insert(0, str(ROOT))

from tests.conftest import run_fintech  # noqa: E402
from tests.dashboard.conftest import CHROMIUM  # noqa: E402
from tests.dashboard.sessions import drive, open_tabs, p95, rss_mb, server_errors  # noqa: E402
from tests.dashboard.test_sessions import accounts_by_choice, serving  # noqa: E402


def soak(sessions: int, seconds: float, rows: int = 100_000) -> dict:
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="fintech-soak-"))
    csv = work / "extract.csv"
    subprocess.run([sys.executable, "-m", "fintech", "generate", "--rows", str(rows), "--seed", "5",
                    "--out", str(csv)], check=True, cwd=ROOT)
    url = f"duckdb://{work / 'warehouse' / 'fintech.duckdb'}"
    assert run_fintech("build", "--source", str(csv), "--backend", url).returncode == 0
    expected = {"data": accounts_by_choice(csv)}
    with serving(url, work) as (app, server, log), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--headless", "--disable-gpu"])
        alone = open_tabs(browser, app, 1)
        single = drive(alone, min(seconds, 30), expected)[0]
        alone[0].close()
        warm = open_tabs(browser, app, sessions)  # the first round fills caches and the allocator's working set
        drive(warm, 5, expected)
        for page in warm:
            page.close()
        time.sleep(3)
        before = rss_mb(server.pid)
        tabs = open_tabs(browser, app, sessions)
        runs = drive(tabs, seconds, expected)
        for page in tabs:
            page.close()
        time.sleep(3)
        after = rss_mb(server.pid)
        browser.close()
        latencies = [t for run in runs for t in run.latencies]
        result = {
            "accounts": rows, "sessions": sessions, "seconds": seconds,
            "changes": sum(run.changes for run in runs), "errors": sum(len(run.errors) for run in runs),
            "server_errors": len(server_errors(log)),
            "p50_ms": round(sorted(latencies)[len(latencies) // 2] * 1000) if latencies else None,
            "p95_ms": round(p95(latencies) * 1000), "single_user_p95_ms": round(p95(single.latencies) * 1000),
            "single_user_changes": single.changes,
            "server_rss_mb_before": round(before), "server_rss_mb_after": round(after),
            "memory_after_over_before": round(after / before, 3),
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    result = soak(args.sessions, args.seconds)
    OUT.mkdir(exist_ok=True)
    (OUT / "soak.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    if result["errors"] or result["server_errors"] or result["memory_after_over_before"] > 1.2:
        sys.exit(1)


if __name__ == "__main__":
    main()
