"""Many sessions at once, and a rebuild while they are open (issue 8): browser tabs on the real `panel serve`."""

from __future__ import annotations

import contextlib
import itertools
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from dashboard.server import panel_serve_command
from tests import reference
from tests.conftest import ROOT, build_warehouse, run_fintech, warehouse_url
from tests.dashboard.conftest import _wait_for, free_port
from tests.dashboard.sessions import drive, open_tabs, p95, rss_mb, server_errors

# Closed sessions are discarded within a second (Bokeh's default: 15 s), so memory can be read after them.
QUICK_CLEANUP = ("--check-unused-sessions", "500", "--unused-session-lifetime", "500")
REGIONS = ("Central", "East", "North", "South", "West")
# The short version: a tab costs the 2-core machine ~3 s to open; `make soak` runs 20 tabs for 60 s.
SESSIONS, ROUNDS = 4, 2
CHOICES = [c for n in (1, 2) for c in itertools.combinations(REGIONS, n)]


def accounts_by_choice(csv: Path) -> dict[tuple, int]:
    accounts = reference.int_customer_account_metrics(reference.staging(csv))
    return {choice: int(accounts.region.isin(choice).sum()) for choice in CHOICES}


@contextlib.contextmanager
def serving(url: str, data_dir: Path):
    """`panel serve` on `url`: (app URL, server process, log file)."""
    port = free_port()
    env = {**os.environ, "FINTECH_BACKEND": url, "FINTECH_DATA_DIR": str(data_dir)}
    log_path = data_dir / "panel.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(panel_serve_command(port, options=QUICK_CLEANUP), env=env, stdout=log,
                                  stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            _wait_for(f"http://127.0.0.1:{port}/app", server)
            yield f"http://127.0.0.1:{port}/app", server, log_path
        finally:
            server.terminate()
            server.wait(timeout=30)


@pytest.fixture(scope="module")
def two_extracts(generate_csv):
    """The served extract and the one a rebuild publishes; only region choices whose counts differ."""
    old, new = generate_csv(1_003, 7), generate_csv(1_500, 21)
    expected = {"old": accounts_by_choice(old), "new": accounts_by_choice(new)}
    distinct = [c for c in CHOICES if expected["old"][c] != expected["new"][c]]
    assert len(distinct) >= 8
    return old, new, {name: {c: numbers[c] for c in distinct} for name, numbers in expected.items()}


@pytest.fixture
def warehouse(two_extracts, tmp_path):
    old, _, _ = two_extracts
    target = build_warehouse(old, tmp_path / "warehouse" / "fintech.duckdb")
    return warehouse_url(target), tmp_path


def test_many_sessions_at_once(two_extracts, warehouse, browser):
    _, _, expected = two_extracts
    old_only = {"old": expected["old"]}
    url, data_dir = warehouse
    with serving(url, data_dir) as (app, server, log):
        warm = open_tabs(browser, app, SESSIONS)  # a first round: caches, and the allocator's working set
        drive(warm, 0, old_only, rounds=1)
        for page in warm:
            page.close()
        time.sleep(3)
        before = rss_mb(server.pid)
        tabs = open_tabs(browser, app, SESSIONS)
        runs = drive(tabs, 0, old_only, rounds=ROUNDS)
        for page in tabs:
            page.close()
        time.sleep(3)  # the closed sessions are discarded (QUICK_CLEANUP)
        after = rss_mb(server.pid)
        errors = [e for run in runs for e in run.errors]
        assert not errors, errors[:5]
        assert all(run.changes == ROUNDS for run in runs), [run.changes for run in runs]
        latencies = [t for run in runs for t in run.latencies]
        print(f"{SESSIONS} sessions x {ROUNDS} changes at once: {len(latencies)} changes, "
              f"p95 {p95(latencies) * 1000:.0f} ms; "
              f"server RSS {before:.0f} MB before, {after:.0f} MB after")
        assert after <= before * 1.2, f"server RSS {before:.0f} MB before the sessions, {after:.0f} MB after"
        assert not server_errors(log), server_errors(log)[:5]


def test_rebuild_while_sessions_are_open(two_extracts, warehouse, browser):
    """Open sessions keep their numbers through a rebuild (never a mix, never an error); new ones see the new."""
    _, new, expected = two_extracts
    url, data_dir = warehouse
    results = []
    rebuild = threading.Thread(target=lambda: results.append(
        run_fintech("build", "--source", str(new), "--backend", url)))
    with serving(url, data_dir) as (app, server, log):
        tabs = open_tabs(browser, app, 4)
        runs = drive(tabs, 8, expected, during=rebuild.start, rounds=2)
        rebuild.join()
        assert results[0].returncode == 0, results[0].stderr
        runs = drive(tabs, 0, expected, runs, rounds=2)  # after the swap, the open tabs still answer
        errors = [e for run in runs for e in run.errors]
        assert not errors, errors[:5]
        assert [run.version for run in runs] == ["old"] * 4  # opened before the rebuild: pinned to it
        fresh = drive(open_tabs(browser, app, 1), 0, expected, rounds=3)
        assert not fresh[0].errors and fresh[0].version == "new"
        assert not server_errors(log), server_errors(log)[:5]
