"""A warehouse with known numbers, its validation summary, and a real `panel serve` on it."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from dashboard.server import panel_serve_command
from tests import reference
from tests.conftest import ROOT, build_warehouse, run_fintech, warehouse_url

EMPTY_COMBINATION = {"region": "North", "product": "credit"}  # made empty on purpose: no North credit accounts


@pytest.fixture(scope="session")
def dashboard_data(generate_csv, tmp_path_factory):
    """(data dir, warehouse URL, reference account table) for generated data with one empty combination."""
    source = generate_csv(1_003, 7)
    data = tmp_path_factory.mktemp("dashboard_data")
    (data / "raw").mkdir()
    csv_path = data / "raw" / "fintech_data.csv"
    with source.open(newline="") as f_in, csv_path.open("w", newline="") as f_out:
        rows = list(csv.reader(f_in))
        header = rows[0]
        region, product = header.index("Customer Profile.region"), header.index("Account Activity.account_type")
        for row in rows[1:]:
            if row[region] == "North" and row[product] == "credit":
                row[product] = "checking"
        csv.writer(f_out).writerows(rows)
    target = build_warehouse(csv_path, data / "warehouse" / "fintech.duckdb")
    url = warehouse_url(target)
    result = run_fintech("validate", "--backend", url)  # its report, where the build wrote one already
    assert result.returncode == 0, result.stdout
    accounts = reference.int_customer_account_metrics(reference.staging(csv_path))
    return data, url, accounts


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclasses.dataclass(frozen=True)
class Served:
    """A running `panel serve`: its /app URL, its process and its log."""
    url: str
    process: subprocess.Popen
    log: Path


@pytest.fixture(scope="session")
def dashboard_server(dashboard_data) -> Served:
    """`panel serve dashboard/app.py` as a subprocess on a free port, on the DuckDB warehouse."""
    data, url, _ = dashboard_data
    with served(url, data) as app:
        yield Served(app, SERVERS[app], data / "panel.log")


@pytest.fixture(scope="session")
def dashboard_url(dashboard_server) -> str:
    """The /app URL of the session's `panel serve`."""
    return dashboard_server.url


@pytest.fixture(scope="session")
def postgres_dashboard_url(dashboard_data, postgres_database, tmp_path_factory):
    """The same extract built into PostgreSQL (`fintech build --backend postgres://...`), validated and served."""
    data, _, _ = dashboard_data
    url = postgres_database("dashboard")
    postgres_data = tmp_path_factory.mktemp("dashboard_postgres")  # a server's reports live under data/validation/
    result = run_fintech("build", "--source", str(data / "raw" / "fintech_data.csv"), "--backend", url,
                         env={"FINTECH_DATA_DIR": str(postgres_data)})
    assert result.returncode == 0, result.stderr
    with served(url, postgres_data) as app:
        yield app


@dataclasses.dataclass(frozen=True)
class LoginServer:
    """A running `fintech serve --basic-auth`: where, its process and log, its login, the canary's file, and
    the record of the modules its processes imported."""
    base: str
    process: subprocess.Popen
    log: Path
    password: str
    secret: str
    canary: Path  # created if the server ever imports the module CANARY
    imports: Path  # `PID MODULE` for each module any of its processes imports (or tries to), as it does

    def imported(self, pid: int) -> set[str]:
        return {name for who, _, name in (line.partition(" ") for line in self.imports.read_text().splitlines())
                if who == str(pid)}


CANARY = "fintech_import_canary"
# On the server's path as `sitecustomize` (imported at every start): records each import the processes ask for
IMPORT_RECORDER = """import os, sys
class _Recorder:
    def __init__(self, path):
        self.log = open(path, "a", buffering=1)
    def find_spec(self, name, path=None, target=None):
        self.log.write(f"{os.getpid()} {name}\\n")
        return None
sys.meta_path.insert(0, _Recorder(%r))
"""


@pytest.fixture(scope="session")
def login_server(dashboard_data, tmp_path_factory) -> LoginServer:
    """`fintech serve --basic-auth` on the dashboard's warehouse, the login from the environment; a module on
    its path (CANARY) leaves a file when imported."""
    data, url, _ = dashboard_data
    home = tmp_path_factory.mktemp("login_server")
    (home / "path").mkdir()
    canary = home / "imported"
    (home / "path" / f"{CANARY}.py").write_text(f"open({str(canary)!r}, 'w').close()\n")
    (home / "path" / "sitecustomize.py").write_text(IMPORT_RECORDER % str(home / "imports"))
    port, password, secret = free_port(), "correct-horse-battery-staple", "s3cr3t-" + "x" * 40
    env = {**os.environ, "FINTECH_BACKEND": url, "FINTECH_DATA_DIR": str(data), "PYTHONPATH": str(home / "path"),
           "FINTECH_BASIC_AUTH": password, "FINTECH_COOKIE_SECRET": secret}
    log = open(home / "serve.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "fintech", "serve", "--basic-auth", "--port", str(port)],
                              env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{base}/login", server, timeout=120)
        yield LoginServer(base, server, home / "serve.log", password, secret, canary, home / "imports")
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


SERVERS: dict[str, subprocess.Popen] = {}  # the process behind each URL `served` yields


@contextlib.contextmanager
def served(backend_url: str, data_dir: Path, options: tuple[str, ...] = (), log_name: str = "panel.log"):
    """`panel serve` on `backend_url` (more `panel serve` `options`), yielding its /app URL until the block ends."""
    port = free_port()
    env = {**os.environ, "FINTECH_BACKEND": backend_url, "FINTECH_DATA_DIR": str(data_dir)}
    log = open(data_dir / log_name, "w")
    server = subprocess.Popen(panel_serve_command(port, options=options), env=env, stdout=log,
                              stderr=subprocess.STDOUT, cwd=ROOT)
    app = f"http://127.0.0.1:{port}/app"
    try:
        _wait_for(app, server)
        SERVERS[app] = server
        yield app
    finally:
        SERVERS.pop(app, None)
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _wait_for(url: str, server, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"panel serve exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"panel serve did not answer at {url}")


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright. In CI a missing browser is a failure, never a skip."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing at /usr/bin/chromium: `make test` installs it (apt-get install chromium)")
        pytest.skip("Chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    yield page
    context.close()


@pytest.fixture
def dashboard_env(dashboard_data, monkeypatch):
    """The dashboard reading the known warehouse, its caches empty; the reference accounts."""
    from dashboard import data

    data_dir, url, accounts = dashboard_data
    monkeypatch.setenv("FINTECH_BACKEND", url)
    monkeypatch.setenv("FINTECH_DATA_DIR", str(data_dir))
    data.reset()
    return accounts
