"""Many sessions at once, and a rebuild while they are open (issue 8), on the real `panel serve`."""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from dashboard.server import panel_serve_command
from tests import reference
from tests.conftest import ROOT, build_warehouse, run_fintech, warehouse_url
from tests.dashboard.conftest import _wait_for, free_port
from tests.dashboard.sessions import accounts_shown, drive, drive_many, p95, rss_mb

# Sessions are discarded a second after their websocket closes (Bokeh's default: 15 s), to measure memory after.
QUICK_CLEANUP = ("--check-unused-sessions", "500", "--unused-session-lifetime", "500")
REGIONS = ("Central", "East", "North", "South", "West")
CHOICES = [c for n in (1, 2) for c in itertools.combinations(REGIONS, n)]


def accounts_by_choice(csv: Path) -> dict[tuple, int]:
    accounts = reference.int_customer_account_metrics(reference.staging(csv))
    return {choice: int(accounts.region.isin(choice).sum()) for choice in CHOICES}


@contextlib.contextmanager
def serving(url: str, data_dir: Path):
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


def server_errors(log: Path) -> list[str]:
    return [line for line in log.read_text(errors="replace").splitlines() if "Traceback" in line or "ERROR" in line]


def test_twenty_sessions_at_once(two_extracts, warehouse):
    _, _, expected = two_extracts
    old_only = {"old": expected["old"]}
    url, data_dir = warehouse
    with serving(url, data_dir) as (app, server, log):
        drive(app, 3, old_only, seed=0)  # one session first: the caches of every choice are filled
        time.sleep(2)
        before = rss_mb(server.pid)
        runs = drive_many(app, sessions=20, seconds=8, expected=old_only)
        time.sleep(4)  # the closed sessions are discarded (QUICK_CLEANUP)
        after = rss_mb(server.pid)
        errors = [e for run in runs for e in run.errors]
        assert not errors, errors[:5]
        assert all(run.changes >= 2 for run in runs), [run.changes for run in runs]
        latencies = [t for run in runs for t in run.latencies]
        print(f"20 sessions x 8 s: {len(latencies)} changes, p95 {p95(latencies) * 1000:.0f} ms; "
              f"server RSS {before:.0f} MB before, {after:.0f} MB after")
        assert after <= before * 1.2, f"server RSS {before:.0f} MB before the sessions, {after:.0f} MB after"
        assert not server_errors(log)


def test_rebuild_while_sessions_are_open(two_extracts, warehouse):
    """Open sessions keep their numbers through a rebuild (never a mix, never an error); new ones see the new."""
    _, new, expected = two_extracts
    url, data_dir = warehouse

    def rebuild():
        time.sleep(2)
        result = run_fintech("build", "--source", str(new), "--backend", url)
        assert result.returncode == 0, result.stderr

    with serving(url, data_dir) as (app, server, log):
        runs = drive_many(app, sessions=6, seconds=14, expected=expected, during=rebuild)
        errors = [e for run in runs for e in run.errors]
        assert not errors, errors[:5]
        assert [run.version for run in runs] == ["old"] * 6  # opened before the rebuild: pinned to it
        fresh = drive(app, 3, expected, seed=3)
        assert not fresh.errors and fresh.version == "new"
        assert not server_errors(log)
