"""`fintech serve` / `make serve`: the dashboard on a built warehouse.

Serving never rebuilds a warehouse it was pointed at: only the default
warehouse (the embedded DuckDB file under data/warehouse/) is built, and only
when it does not exist. A default older than the committed sample is served
as it is, with a notice (here and in the dashboard's header) naming the
command that rebuilds it.
"""

from __future__ import annotations

import os
import subprocess
import sys

from dashboard.server import panel_serve_command
from semantic import backends, config

EXIT_REFUSED = 2


BASIC_AUTH_ENV, COOKIE_SECRET_ENV = "FINTECH_BASIC_AUTH", "FINTECH_COOKIE_SECRET"


def login_settings() -> dict[str, str]:
    """Panel's basic auth, from the environment (never the command line, which `ps` shows to every user)."""
    missing = [name for name in (BASIC_AUTH_ENV, COOKIE_SECRET_ENV) if not os.environ.get(name)]
    if missing:
        raise SystemExit(f"fintech serve --basic-auth: set {' and '.join(missing)} (the password or a JSON file "
                         "of users, and a long random secret that signs the login cookie)")
    return {"PANEL_BASIC_AUTH": os.environ[BASIC_AUTH_ENV], "PANEL_COOKIE_SECRET": os.environ[COOKIE_SECRET_ENV]}


def serve(url: str, port: int, basic_auth: bool = False) -> int:
    fintech = [sys.executable, "-m", "pipelines"]
    env = {**os.environ, config.BACKEND_ENV: url}
    if basic_auth:
        env.update(login_settings())
    try:
        found = backends.inspect(url)
    except Exception as e:  # an unreachable server, a refused login: say so, no traceback
        print(f"fintech serve: cannot open {config.masked_url(url)} ({type(e).__name__}): "
              f"{config.masked_url(str(e)).splitlines()[0] if str(e) else ''}", file=sys.stderr)
        return 1
    if found is not None and not (found == backends.MISSING and config.is_default_backend(url)):
        try:
            backends.require(url)
        except backends.NotAWarehouse as e:
            print(f"fintech serve: {e}", file=sys.stderr)
        return EXIT_REFUSED
    if found == backends.MISSING:
        source = config.default_source()
        print(f"building the default warehouse from {source}", flush=True)
        if subprocess.call([*fintech, "build", "--source", str(source)], env=env) != 0:
            return 1
    notice = backends.staleness_notice(url)
    if notice:
        print(f"fintech serve: note: {notice}", file=sys.stderr, flush=True)
    if backends.validation_report(url, backends.published_build_id(url))[0] is None:
        subprocess.call([*fintech, "validate"], env=env)  # a failure shows as the dashboard's badge
    print(f"serving the dashboard on http://localhost:{port}/app (backend {config.masked_url(url)})", flush=True)
    command = panel_serve_command(port)
    try:
        return subprocess.call(command, env=env)
    except KeyboardInterrupt:
        return 0
