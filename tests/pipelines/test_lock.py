"""One build at a time per warehouse (issue 14, part 3): a second build is refused naming the first, or waits
and says so; a lock left by a build killed with -9 is cleared by the next one. Real concurrent processes, on
each kind of lock: a file beside a database file, a file in a Parquet directory, a PostgreSQL advisory lock."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from pipelines.target import lock_path
from semantic import engines
from tests.conftest import ROOT, accounts_in, run_fintech

ROWS = 20_000  # a build of a few seconds: long enough to be caught holding its lock


# The first engine of each storage kind in the registry (a file, a server, a Parquet directory): each kind locks
ONE_PER_STORAGE = tuple(name for name, engine in engines.ENGINES.items()
                        if engine is next(e for e in engines.ENGINES.values() if e.storage == engine.storage))


@pytest.fixture(params=ONE_PER_STORAGE)
def target_url(request, tmp_path):
    return engines.ENGINES[request.param].url_in(tmp_path) \
        or request.getfixturevalue("postgres_database")(f"lock_{abs(hash(tmp_path)) % 10**8}")


def _start_build(source, url) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "FINTECH_BACKEND"}
    return subprocess.Popen([sys.executable, "-m", "fintech", "build", "--source", str(source), "--backend", url],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _wait_until_locked(build: subprocess.Popen, url: str) -> None:
    """Until `build` says it is building (it holds the lock from then until it has published)."""
    line = build.stdout.readline()
    while line and not line.startswith("building "):
        line = build.stdout.readline()
    assert line.startswith("building "), build.stderr.read()
    if not url.startswith("postgres"):
        assert json.loads(lock_path(url).read_text())["pid"] == build.pid


def test_a_second_build_is_refused_naming_the_first_and_a_killed_one_s_lock_is_cleared(target_url, generate_csv):
    big, small = generate_csv(ROWS, 5), generate_csv(1_003, 7)
    first = _start_build(big, target_url)
    _wait_until_locked(first, target_url)
    second = run_fintech("build", "--source", str(small), "--backend", target_url)
    assert second.returncode == 2, second.stderr
    assert "another build is publishing to" in second.stderr and f"pid {first.pid}" in second.stderr
    assert "Traceback" not in second.stderr

    os.killpg(first.pid, signal.SIGKILL)  # while it holds the lock
    first.communicate(timeout=60)
    if not target_url.startswith("postgres"):
        assert lock_path(target_url).exists()  # left behind by the kill
    else:
        time.sleep(0.5)  # the server notices the dropped connection and releases its advisory lock
    third = run_fintech("build", "--source", str(small), "--backend", target_url)
    assert third.returncode == 0, third.stderr
    if not target_url.startswith("postgres"):
        assert f"cleared the lock left by a build that is no longer running: pid {first.pid}" in third.stdout
        assert not lock_path(target_url).exists()
    assert accounts_in(target_url) == 1_003


@pytest.mark.parametrize("kind", ["duckdb", "postgres"])  # a lock file, an advisory lock
def test_a_build_that_waits_publishes_after_the_other(kind, request, tmp_path, generate_csv):
    target_url = (request.getfixturevalue("postgres_database")(f"wait_{abs(hash(tmp_path)) % 10**8}")
                  if kind == "postgres" else f"duckdb://{tmp_path / 'warehouse.duckdb'}")
    big, small = generate_csv(ROWS, 5), generate_csv(1_003, 7)
    first = _start_build(big, target_url)
    _wait_until_locked(first, target_url)
    second = run_fintech("build", "--source", str(small), "--backend", target_url, "--wait", "300")
    first.communicate(timeout=300)
    assert first.returncode == 0 and second.returncode == 0, second.stderr
    assert "waiting for the other build" in second.stdout and f"pid {first.pid}" in second.stdout
    assert accounts_in(target_url) == 1_003  # published last, after the first: neither was lost silently
