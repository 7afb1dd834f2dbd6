"""`fintech serve` / `make serve`: a warehouse that is built and validated, then `panel serve` on it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dashboard.server import panel_serve_command
from semantic import backends, config


def warehouse_is_stale(url: str, source: Path) -> bool:
    """A file or Parquet warehouse that is missing or older than the raw sample must be (re)built."""
    if backends.storage(url) == "server":
        return False  # a server database: built by whoever configured it
    if not backends.exists(url):
        return True
    path = config.database_file(url) or backends.published_version(url)
    return source.exists() and path.stat().st_mtime < source.stat().st_mtime


BASIC_AUTH_ENV, COOKIE_SECRET_ENV = "FINTECH_BASIC_AUTH", "FINTECH_COOKIE_SECRET"


def login_settings() -> dict[str, str]:
    """Panel's basic auth, from the environment (never the command line, which `ps` shows to every user)."""
    missing = [name for name in (BASIC_AUTH_ENV, COOKIE_SECRET_ENV) if not os.environ.get(name)]
    if missing:
        raise SystemExit(f"fintech serve --basic-auth: set {' and '.join(missing)} (the password or a JSON file "
                         "of users, and a long random secret that signs the login cookie)")
    return {"PANEL_BASIC_AUTH": os.environ[BASIC_AUTH_ENV], "PANEL_COOKIE_SECRET": os.environ[COOKIE_SECRET_ENV]}


def serve(url: str, port: int, basic_auth: bool = False) -> int:
    source = config.default_source()
    fintech = [sys.executable, "-m", "pipelines"]
    env = {**os.environ, config.BACKEND_ENV: url}
    if basic_auth:
        env.update(login_settings())
    if warehouse_is_stale(url, source):
        print(f"building the warehouse from {source}", flush=True)
        if subprocess.call([*fintech, "build", "--source", str(source)], env=env) != 0:
            return 1
    summary = config.data_dir() / "validation" / "summary.json"
    if not summary.exists() or (config.database_file(url) and summary.stat().st_mtime
                                < config.database_file(url).stat().st_mtime):
        subprocess.call([*fintech, "validate"], env=env)  # a failure shows as the dashboard's badge
    print(f"serving the dashboard on http://localhost:{port}/app (backend {config.masked_url(url)})", flush=True)
    command = panel_serve_command(port)
    try:
        return subprocess.call(command, env=env)
    except KeyboardInterrupt:
        return 0
