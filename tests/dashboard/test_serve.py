"""`fintech serve` (what `make serve` runs): builds the default warehouse when it is missing, never rebuilds one
it was pointed at, reports a stale default, then serves the dashboard."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import psutil
import pytest

from tests.conftest import ROOT, SAMPLE_CSV, build_warehouse, file_digest
from tests.dashboard.conftest import _wait_for, free_port


def test_serve_builds_validates_and_serves(tmp_path):
    data = tmp_path / "data"
    (data / "raw").mkdir(parents=True)
    shutil.copy(SAMPLE_CSV, data / "raw" / "fintech_data.csv")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "FINTECH_BACKEND"}
    env["FINTECH_DATA_DIR"] = str(data)
    log = open(tmp_path / "serve.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "fintech", "serve", "--port", str(port)], env=env,
                              stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True)
    try:
        _wait_for(f"http://127.0.0.1:{port}/app", server, timeout=120)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/app") as response:
            assert "Fintech Portfolio Dashboard" in response.read().decode()
        assert (data / "warehouse" / "fintech.duckdb").exists()
        assert (data / "warehouse" / "fintech.duckdb.validation" / "summary.json").exists()
        assert f"serving the dashboard on http://127.0.0.1:{port}/app" in (tmp_path / "serve.log").read_text()
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
        log.close()


def _get(url: str, cookie: str | None = None) -> tuple[int, str, str]:
    """(status, final URL, body) without following redirects blindly: a redirect is reported as is."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as response:
            return response.status, response.url, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location", ""), error.read().decode(errors="replace")


def test_basic_auth_shows_no_data_without_credentials(dashboard_data, login_server, page):
    """`fintech serve --basic-auth`: Panel's login in front of everything; the password and the cookie secret
    come from the environment, not the command line."""
    data, url, accounts = dashboard_data
    base, password, secret = login_server.base, login_server.password, login_server.secret
    total = f"{len(accounts):,}"
    # no cookie: every door leads to the login form, none to the app or its data
    for path in ("/app", "/app/autoload.js?bokeh-autoload-element=x", "/app/ws"):
        status, location, body = _get(base + path)
        assert status != 200 or "Fintech Portfolio Dashboard" not in body, path
        assert total not in body and "kpi-value" not in body, path
    assert _get(base + "/app/autoload.js?bokeh-autoload-element=x")[0] == 403  # refused, not a 500
    assert "Traceback" not in login_server.log.read_text()
    # a browser: the login form, a wrong password, then the right one and the cards
    page.goto(f"{base}/app")
    page.wait_for_selector("input[name=password]")
    assert page.locator(".kpi-value").count() == 0
    page.fill("input[name=username]", "analyst")
    page.fill("input[name=password]", "guess")
    page.keyboard.press("Enter")
    page.wait_for_selector("input[name=password]")
    assert page.locator(".kpi-value").count() == 0
    page.fill("input[name=username]", "analyst")
    page.fill("input[name=password]", password)
    page.keyboard.press("Enter")
    page.wait_for_selector('[data-kpi="accounts"] .kpi-value', timeout=60_000)
    assert page.locator('[data-kpi="accounts"] .kpi-value').inner_text() == total
    command_lines = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert password not in command_lines and secret not in command_lines
    assert password not in login_server.log.read_text()


def _serve_with_login(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fintech", "serve", "--basic-auth", "--port", "1"],
                          env=env, capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_basic_auth_without_its_settings_is_refused(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FINTECH_BASIC", "FINTECH_COOKIE"))}
    result = _serve_with_login(env)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "FINTECH_BASIC_AUTH and FINTECH_COOKIE_SECRET" in result.stderr and "Traceback" not in result.stderr


def test_basic_auth_settings_no_login_could_pass_are_refused(tmp_path):
    """Panel reads FINTECH_BASIC_AUTH as a users file whenever it names a file (each login then a 500 unless it
    is a JSON object of users), and signs cookies with any secret: both checked before anything starts."""
    secret, password = "k" * 40, "not-a-file-name"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FINTECH_BASIC", "FINTECH_COOKIE"))}
    files = {"passwd": "root:x:0:0:root:/root:/bin/bash\n", "list.json": '["analyst"]',
             "number.json": '{"analyst": 1}', "empty.json": "{}"}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
        result = _serve_with_login({**env, "FINTECH_BASIC_AUTH": str(tmp_path / name), "FINTECH_COOKIE_SECRET": secret})
        assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, (name, result.stderr)
        assert "FINTECH_BASIC_AUTH names a file" in result.stderr and "JSON object of user" in result.stderr, name
    result = _serve_with_login({**env, "FINTECH_BASIC_AUTH": password, "FINTECH_COOKIE_SECRET": "short-secret"})
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "FINTECH_COOKIE_SECRET must be long and random" in result.stderr
    assert password not in result.stderr and "short-secret" not in result.stderr and "Traceback" not in result.stderr


def _serve(args: list[str], env: dict, log_path):
    """`fintech serve ARGS` in its own process group, with its log; the port is the last argument."""
    log = open(log_path, "w")
    server = subprocess.Popen([sys.executable, "-m", "fintech", "serve", *args], env=env, stdout=log,
                              stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True)
    return server, log


def _stop(server, log) -> None:
    os.killpg(server.pid, 15)
    server.wait(timeout=30)
    log.close()


def _aged(path) -> None:
    """Make `path` older than the committed sample (a warehouse built long ago)."""
    old = SAMPLE_CSV.stat().st_mtime - 86_400
    os.utime(path, (old, old))


def test_serve_never_rebuilds_a_warehouse_it_was_pointed_at(generate_csv, tmp_path, page):
    target = build_warehouse(generate_csv(1_003, 7), tmp_path / "big.duckdb")
    _aged(target)
    digest = file_digest(target)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "FINTECH_BACKEND"}
    server, log = _serve(["--backend", f"duckdb://{target}", "--port", str(port)], env, tmp_path / "serve.log")
    try:
        _wait_for(f"http://127.0.0.1:{port}/app", server, timeout=120)
        page.goto(f"http://127.0.0.1:{port}/app")
        page.wait_for_selector('[data-kpi="accounts"] .kpi-value', timeout=60_000)
        assert page.locator('[data-kpi="accounts"] .kpi-value').inner_text() == "1,003"  # not the 1,000 sample
        assert page.locator(".stale-warehouse").count() == 0  # not the default: its age says nothing
    finally:
        _stop(server, log)
    assert file_digest(target) == digest
    assert "building" not in (tmp_path / "serve.log").read_text()


def test_serve_refuses_a_missing_warehouse_it_was_pointed_at(tmp_path):
    missing = tmp_path / "nowhere" / "w.duckdb"
    for backend in (f"duckdb://{missing}", f"sqlite://{missing}", f"datafusion://{tmp_path / 'nodir'}"):
        result = subprocess.run([sys.executable, "-m", "fintech", "serve", "--backend", backend, "--port", "1"],
                                capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert result.returncode == 2, result.stderr
        assert "no warehouse at" in result.stderr and "fintech build --backend" in result.stderr
        assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_stale_default_is_reported_not_rebuilt(generate_csv, tmp_path, page):
    data = tmp_path / "data"
    (data / "raw").mkdir(parents=True)
    shutil.copy(SAMPLE_CSV, data / "raw" / "fintech_data.csv")
    default = build_warehouse(generate_csv(1_003, 7), data / "warehouse" / "fintech.duckdb")
    _aged(default)
    digest = file_digest(default)
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if k != "FINTECH_BACKEND"}, "FINTECH_DATA_DIR": str(data)}
    server, log = _serve(["--port", str(port)], env, tmp_path / "serve.log")
    try:
        _wait_for(f"http://127.0.0.1:{port}/app", server, timeout=120)
        page.goto(f"http://127.0.0.1:{port}/app")
        page.wait_for_selector(".stale-warehouse", timeout=60_000)
        assert "`fintech build` rebuilds it" in page.locator(".stale-warehouse").inner_text()
        assert page.locator('[data-kpi="accounts"] .kpi-value').inner_text() == "1,003"
    finally:
        _stop(server, log)
    assert file_digest(default) == digest
    served_log = (tmp_path / "serve.log").read_text()
    assert "older than" in served_log and "fintech build` rebuilds it" in served_log
    assert "building" not in served_log


def _port_is_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=lambda s: s.name)
def test_a_stop_signal_stops_panel_serve_too(dashboard_data, tmp_path, stop):
    """The signal goes to `fintech serve` alone (as `kill PID` sends it); the `panel serve` it started goes too,
    even when `fintech serve` is SIGKILLed; it listened on 127.0.0.1 only."""
    data, url, _ = dashboard_data
    port = free_port()
    env = {**os.environ, "FINTECH_DATA_DIR": str(data)}
    server, log = _serve(["--backend", url, "--port", str(port)], env, tmp_path / "serve.log")
    try:
        _wait_for(f"http://127.0.0.1:{port}/app", server, timeout=120)
        (panel,) = psutil.Process(server.pid).children()
        listening = {c.laddr for c in panel.net_connections("tcp") if c.status == psutil.CONN_LISTEN}
        assert listening == {("127.0.0.1", port)}
        os.kill(server.pid, stop)
        assert server.wait(timeout=20) == (-9 if stop == signal.SIGKILL else 0)
        psutil.wait_procs([panel], timeout=10)
        assert not panel.is_running() and _port_is_free(port)
    finally:
        if server.poll() is None:
            _stop(server, log)
        log.close()
    if stop != signal.SIGKILL:
        written = (tmp_path / "serve.log").read_text()
        assert "Traceback" not in written and f"fintech serve: stopped ({stop.name})" in written


def test_a_stop_signal_while_building_stops_the_build(tmp_path):
    data = tmp_path / "data"
    (data / "raw").mkdir(parents=True)
    shutil.copy(SAMPLE_CSV, data / "raw" / "fintech_data.csv")
    env = {**{k: v for k, v in os.environ.items() if k != "FINTECH_BACKEND"}, "FINTECH_DATA_DIR": str(data)}
    server, log = _serve(["--port", str(free_port())], env, tmp_path / "serve.log")
    try:
        build, deadline = None, time.monotonic() + 60
        while build is None and time.monotonic() < deadline:
            build = next((p for p in psutil.Process(server.pid).children() if "build" in p.cmdline()), None)
            time.sleep(0.02)
        os.kill(server.pid, signal.SIGTERM)
        assert server.wait(timeout=20) == 0
        psutil.wait_procs([build], timeout=10)
        assert not build.is_running()
        assert not (data / "warehouse" / "fintech.duckdb").exists()  # stopped before it published
    finally:
        if server.poll() is None:
            _stop(server, log)
        log.close()
    assert "Traceback" not in (tmp_path / "serve.log").read_text()


def test_a_port_in_use_is_one_line_and_exit_1(dashboard_data):
    data, url, _ = dashboard_data
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "fintech", "serve", "--backend", url, "--port", str(port)],
                                capture_output=True, text=True, cwd=ROOT, timeout=120,
                                env={**os.environ, "FINTECH_DATA_DIR": str(data)})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"fintech serve: port {port} on 127.0.0.1 is in use (another "
                                                  "server?): stop it or choose another with --port"]


def _panel_serve_of(server) -> list[str] | None:
    """The command line of the `panel serve` a `fintech serve` runs, once it runs it (not a validation before
    it, nor the child between its fork and its exec)."""
    for child in psutil.Process(server.pid).children():
        with contextlib.suppress(psutil.Error):
            command = child.cmdline()
            if command[1:4] == ["-m", "panel", "serve"]:
                return command
    return None


def test_every_interface_is_said_and_origins_are_checked(dashboard_data, tmp_path):
    """--address 0.0.0.0: the note that the network reaches it; an origin that is no HOST[:PORT] is refused."""
    data, url, _ = dashboard_data
    env = {**os.environ, "FINTECH_DATA_DIR": str(data)}
    refused = subprocess.run([sys.executable, "-m", "fintech", "serve", "--backend", url, "--port", "1",
                              "--allow-websocket-origin", "http://dash.example.com/app"],
                             capture_output=True, text=True, cwd=ROOT, timeout=120, env=env)
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert "--allow-websocket-origin 'http://dash.example.com/app'" in refused.stderr
    port = free_port()
    server, log = _serve(["--backend", url, "--address", "0.0.0.0", "--allow-websocket-origin", "dash.example.com",
                          "--port", str(port)], env, tmp_path / "serve.log")
    try:
        deadline = time.monotonic() + 60
        while not (command := _panel_serve_of(server)):  # the note comes just before panel serve starts
            assert time.monotonic() < deadline and server.poll() is None
            time.sleep(0.05)
        assert command[command.index("--address") + 1] == "0.0.0.0"
        origins = {command[i + 1] for i, arg in enumerate(command) if arg == "--allow-websocket-origin"}
        assert origins == {f"localhost:{port}", f"127.0.0.1:{port}", "dash.example.com", f"dash.example.com:{port}"}
    finally:
        _stop(server, log)
    written = (tmp_path / "serve.log").read_text()
    assert f"serving the dashboard on http://0.0.0.0:{port}/app" in written
    assert "--allow-websocket-origin HOST[:PORT] (given: dash.example.com)" in written


def test_the_reason_a_warehouse_cannot_be_read_keeps_no_secret():
    from dashboard.app import unavailable_reason

    url = "postgres://reader:pa%40ss@db.example.com/portfolio"
    error = OSError('connection to server at "db.example.com" failed: password=pa@ss for reader:pa@ss@db\nmore')
    reason = unavailable_reason(error, url)
    assert "pa@ss" not in reason and "pa%40ss" not in reason and "\n" not in reason
    assert reason.startswith("OSError: connection to server at")


@pytest.mark.browser
def test_a_warehouse_gone_while_serving_is_said_until_it_is_back(dashboard_server, dashboard_data, page):
    """The warehouse file disappears while the server runs: a page opened then says it cannot be read and to
    reload later (one log line, no traceback); once it is back, the dashboard shows again."""
    _, url, accounts = dashboard_data
    target = urllib.parse.urlsplit(url).path
    hidden = target + ".away"
    log_before = dashboard_server.log.stat().st_size
    os.rename(target, hidden)
    try:
        page.goto(dashboard_server.url)
        message = page.locator(".warehouse-unavailable")
        message.wait_for(timeout=30_000)
        text = message.inner_text()
        assert "The warehouse cannot be read now" in text and "Reload this page later" in text
        assert "No such file or directory" in text
    finally:
        os.rename(hidden, target)
    page.reload()
    page.wait_for_selector('[data-kpi="accounts"] .kpi-value', timeout=60_000)
    assert page.locator('[data-kpi="accounts"] .kpi-value').inner_text() == f"{len(accounts):,}"
    with open(dashboard_server.log, errors="replace") as log:
        log.seek(log_before)
        written = log.read()
    assert "Traceback" not in written and written.count("cannot be read") == 1
    assert f"dashboard: the warehouse {url} cannot be read: FileNotFoundError" in written


def test_a_warehouse_spark_built_is_served_by_duckdb_without_spark(tmp_path, generate_csv):
    """`fintech serve --backend duckdb-parquet:///dir` serves what `fintech build --backend pyspark:///dir` built
    (issue 18, point 4): no Spark runs while it serves; the numbers are the conformance suite's
    (tests/semantic/test_backends.py holds duckdb-parquet on a Spark-built warehouse to DuckDB's, 1e-9)."""
    from tests.conftest import run_fintech

    folder = tmp_path / "warehouse"
    built = run_fintech("build", "--source", str(generate_csv(300, 21)), "--backend", f"pyspark://{folder}",
                        timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    url = f"duckdb-parquet://{folder}"
    refused = run_fintech("build", "--source", str(SAMPLE_CSV), "--backend", url)
    assert refused.returncode == 2 and "duckdb-parquet reads a warehouse that pyspark builds" in refused.stderr
    port = free_port()
    env = {**os.environ, "FINTECH_DATA_DIR": str(tmp_path / "data")}
    server, log = _serve(["--backend", url, "--port", str(port)], env, tmp_path / "serve.log")
    try:
        _wait_for(f"http://127.0.0.1:{port}/app", server, timeout=120)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/app") as response:
            assert "Fintech Portfolio Dashboard" in response.read().decode()
        tree = [p.cmdline() for p in psutil.Process(server.pid).children(recursive=True) if p.is_running()]
        assert not any("java" in " ".join(command) for command in tree)  # no JVM: Spark is not running
    finally:
        _stop(server, log)
        log.close()
    served = (tmp_path / "serve.log").read_text()
    assert f"(backend {url})" in served and "Traceback" not in served
