"""`kill -9` of `fintech build` at random points (issue 8): the warehouse is always the previous one or the
new one, complete, and it validates; the next build needs no manual cleanup."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import duckdb

from semantic.models.registry import MODELS
from tests.conftest import ROOT, build_warehouse, run_fintech, warehouse_url

TRIALS = 10


def published(path) -> tuple[set[str], int]:
    """(tables, accounts) of the published file, as a reader opening it now sees it."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = {row[0] for row in con.sql("SELECT table_name FROM information_schema.tables").fetchall()}
        return tables, con.sql("SELECT count(*) FROM int_customer_account_metrics").fetchone()[0]


def test_kill_9_at_random_points(generate_csv, tmp_path):
    extracts = [generate_csv(1_003, 7), generate_csv(1_500, 21)]
    accounts = [1_003, 1_500]
    target = tmp_path / "warehouse" / "fintech.duckdb"
    url = warehouse_url(target)

    start = time.perf_counter()
    build_warehouse(extracts[0], target)
    build_seconds = time.perf_counter() - start
    current = 0
    rng = random.Random(8)
    outcomes = []
    for trial in range(TRIALS):
        building = 1 - current
        # from the first second to just past the end: loading, the gate, every table, the swap
        delay = rng.uniform(0.2, 1.05) * build_seconds
        build = subprocess.Popen([sys.executable, "-m", "pipelines", "build", "--source", str(extracts[building]),
                                  "--backend", url], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 start_new_session=True)
        time.sleep(delay)
        finished = build.poll() is not None
        if not finished:
            os.killpg(build.pid, signal.SIGKILL)
        build.wait()

        tables, found = published(target)
        assert tables == {m.__name__ for m in MODELS}, f"trial {trial}: incomplete warehouse {sorted(tables)}"
        assert found in (accounts[current], accounts[building]), f"trial {trial}: {found} accounts"
        outcomes.append("new" if found == accounts[building] else "previous")
        assert not finished or found == accounts[building]
        result = run_fintech("validate", "--backend", url, "--out", str(tmp_path / f"validation_{trial}"))
        assert result.returncode == 0, f"trial {trial} (killed after {delay:.1f} s): {result.stdout[-2000:]}"
        current = accounts.index(found)
    print(f"{TRIALS} kills: {outcomes.count('previous')} left the previous warehouse, {outcomes.count('new')} "
          f"the new one (build {build_seconds:.1f} s)")

    # the next build succeeds without cleanup, and removes what the killed ones left
    build_warehouse(extracts[1 - current], target)
    assert published(target)[1] == accounts[1 - current]
    assert sorted(p.name for p in target.parent.iterdir()) == ["fintech.duckdb"]
