"""`fintech serve` (what `make serve` runs): builds and validates a missing warehouse, then serves the dashboard."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request

from pipelines.serve import warehouse_is_stale
from tests.conftest import ROOT, SAMPLE_CSV
from tests.dashboard.conftest import _wait_for, free_port


def test_staleness(tmp_path):
    source = tmp_path / "raw.csv"
    source.write_text("x")
    target = tmp_path / "w.duckdb"
    assert warehouse_is_stale(f"duckdb://{target}", source)
    target.write_text("x")
    os.utime(source, (time.time() + 10, time.time() + 10))
    assert warehouse_is_stale(f"duckdb://{target}", source)
    os.utime(target, (time.time() + 20, time.time() + 20))
    assert not warehouse_is_stale(f"duckdb://{target}", source)
    assert not warehouse_is_stale("postgres://u:p@h/db", source)


def test_serve_builds_validates_and_serves(tmp_path):
    data = tmp_path / "data"
    (data / "raw").mkdir(parents=True)
    shutil.copy(SAMPLE_CSV, data / "raw" / "fintech_data.csv")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "FINTECH_BACKEND"}
    env["FINTECH_DATA_DIR"] = str(data)
    log = open(tmp_path / "serve.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "pipelines", "serve", "--port", str(port)], env=env,
                              stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True)
    try:
        _wait_for(f"http://127.0.0.1:{port}/app", server, timeout=120)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/app") as response:
            assert "Fintech Portfolio Dashboard" in response.read().decode()
        assert (data / "warehouse" / "fintech.duckdb").exists()
        assert (data / "validation" / "summary.json").exists()
        assert f"http://localhost:{port}/app" in (tmp_path / "serve.log").read_text()
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
        log.close()
