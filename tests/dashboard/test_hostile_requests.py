"""Requests anyone who reaches the port can send: none stops the server, runs a module or breaks the page.

Panel's /components/ route is open without a login and used to import any
module its URL named (`/components/fintech.__main__/x/y/z` ran the CLI, which
exited the server), and any module a package's `__getattr__` imports
(`/components/holoviews/testing/x/y`). Every module of the project, modules of the standard
library and of the installed packages that act on import, and malformed paths
must get a 4xx and change nothing. The dashboard URL's query values must show
the dashboard, whatever they are and however many. A websocket that is no Bokeh client is one log line.
"""

from __future__ import annotations

import base64
import http.client
import http.cookiejar
import os
import urllib.parse
import urllib.request

import psutil
import pytest

from tests import reference
from tests.dashboard.conftest import CANARY
from tests.dashboard.sessions import RENDERED
from tests.dashboard.test_browser import wait_for_card
from tests.test_imports import bench_scripts, project_modules

ACTING_ON_IMPORT = [
    "antigravity", "this", "pip.__main__", "panel.__main__", "bokeh.__main__", "pytest.__main__", "idlelib.idle",
    "tests.conftest", "bench.run", "bench.soak", "__main__", "turtledemo.__main__", "ensurepip.__main__",
    "venv.__main__", "json.tool", "http.server", "webbrowser.__main__", "pdb", "IPython", "playwright.__main__",
    "panel.tests.conftest", "bokeh.sampledata.__main__", "sys", "os", "builtins", CANARY,
]
MALFORMED = [
    "", "x", "x/y", "../../../../etc/passwd", "panel/../../../../../etc/passwd", "%2e%2e/%2e%2e/etc/passwd/x",
    "..%2f..%2f..%2fetc%2fpasswd/x/y/z", "%00/x/y/z", "panel%00/x/y/z", "fintech.__main__%00/x/y/z",
    ".panel/x/y/z", "panel./x/y/z", "panel..io/x/y/z", "/panel/x/y/z", "a" * 8000 + "/x/y/z",
    "panel/" + "x/" * 3000 + "z", "%C3%BCn%C3%AFcode/x/y/z", "%D0%BF%D0%B0%D0%BD%D0%B5%D0%BB%D1%8C/x/y/z",
    "%F0%9F%92%A9/x/y/z", "%FF%FE/x/y/z", "panel.template.bootstrap/BootstrapTemplate/_css/../../../../setup.py",
    "panel.template.bootstrap/BootstrapTemplate/_resources", "panel.template.bootstrap/BootstrapTemplate/_css",
    "panel.template.bootstrap/BootstrapTemplate/__dict__/x", "panel.io.server/os/path/x",
    "panel.io.server/ComponentResourceHandler/_resource_attrs/x", "bokeh/__loader__/_css/x",
]


def hostile_paths() -> list[str]:
    """/components/<m>/x/y/z for every module named here or found in the project, then the malformed paths."""
    modules = [*project_modules(), *bench_scripts(), *(f"bench.{name}" for name in bench_scripts()),
               *ACTING_ON_IMPORT]
    return [f"/components/{m}/x/y/z" for m in modules] + [f"/components/{p}" for p in MALFORMED]


def status_of(base: str, path: str, headers: dict | None = None) -> int:
    """The status of GET `path` sent as written (no client-side normalisation)."""
    parsed = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        return connection.getresponse().status
    finally:
        connection.close()


def open_plain_websocket(base: str, path: str) -> int:
    """Open a websocket to `path` as a client that is no Bokeh client (no subprotocol, no token)."""
    return status_of(base, path, {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                                  "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
                                  "Origin": base})


def assert_all_refused(base: str) -> None:
    statuses = {path: status_of(base, path) for path in hostile_paths()}
    assert {path: s for path, s in statuses.items() if not 400 <= s < 500} == {}


def a_listed_resource() -> str:
    """A file Panel itself would link to under /components/ (the template's CSS): the route still serves it."""
    from panel.io.resources import component_resource_path
    from panel.template.bootstrap import BootstrapTemplate

    return "/" + component_resource_path(BootstrapTemplate, "_css", BootstrapTemplate._css[0])


def descendants(pid: int) -> list[str]:
    return [" ".join(p.cmdline()) for p in psutil.Process(pid).children(recursive=True)]


def test_no_component_request_stops_or_runs_anything(dashboard_server, dashboard_data):
    data, _, _ = dashboard_data
    base = dashboard_server.url.rsplit("/app", 1)[0]
    files_before = sorted(p.name for p in data.iterdir())
    log_before = dashboard_server.log.stat().st_size

    assert_all_refused(base)
    assert open_plain_websocket(base, "/app/ws") == 101  # then refused by Bokeh: one line in the log

    assert dashboard_server.process.poll() is None
    assert descendants(dashboard_server.process.pid) == []  # antigravity would have opened a browser
    assert status_of(base, a_listed_resource()) == 200
    with urllib.request.urlopen(dashboard_server.url, timeout=30) as response:
        assert response.status == 200 and "Fintech Portfolio Dashboard" in response.read().decode()
    assert sorted(p.name for p in data.iterdir()) == files_before
    with open(dashboard_server.log, errors="replace") as log:
        log.seek(log_before)
        written = log.read()
    for sign in ("Traceback", "Beautiful is better than ugly", "usage: fintech", " 500 "):
        assert sign not in written
    assert "websocket refused: Subprotocol header is not 'bokeh' (GET /app/ws from 127.0.0.1)" in written


def test_under_basic_auth_too(login_server):
    """`fintech serve --basic-auth`: the component route is open without a login, and as narrow."""
    assert_all_refused(login_server.base)
    assert login_server.process.poll() is None and not login_server.canary.exists()
    (panel,) = psutil.Process(login_server.process.pid).children()
    assert descendants(panel.pid) == []
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    form = urllib.parse.urlencode({"username": "analyst", "password": login_server.password}).encode()
    with opener.open(f"{login_server.base}/login", data=form, timeout=30) as response:  # then to /app
        assert "Fintech Portfolio Dashboard" in response.read().decode()
    assert "Traceback" not in login_server.log.read_text()


# Modules a package's own __getattr__ imports (importable, and never loaded by the app): the path through the
# package's attribute, then the module itself.
LAZY = {"holoviews/testing": "holoviews.testing", "holoviews/annotate": "holoviews.annotators",
        "panel.chat/langchain": "panel.chat.langchain"}


def test_a_package_getattr_imports_nothing(login_server):
    """`/components/<package>/<name>/...`: Panel reads the name with getattr, and a package's __getattr__
    imports a module. Refused (404) before Panel looks: the server has imported none of them."""
    (panel,) = psutil.Process(login_server.process.pid).children()
    for through, module in LAZY.items():
        for attribute in ("x", "_css", "__css__"):
            assert status_of(login_server.base, f"/components/{through}/{attribute}/y") == 404, through
        # loaded, it would now be a 403 (its function, then an attribute that is no resource's)
        assert status_of(login_server.base, f"/components/{module}/assert_element_equal/x/y") == 404, module
    imported = login_server.imported(panel.pid)
    assert "dashboard.guards" in imported  # the record is the server's
    assert imported.isdisjoint(LAZY.values())
    assert status_of(login_server.base, a_listed_resource()) == 200


LONG = urllib.parse.quote("North," + "x" * 20_000)
# A query string of every kind (what Panel's parser turns into a number, a bool, a list, a dict, None; empty,
# NUL, long, unicode, repeated, a second '?'), each the value of a filter: three to a page load, and what
# each page should select
URLS = {
    "?region=5&risk=1.5&product=true&x=?": {},
    "?region=nan&risk=[1,2]&product=null&x=[1,2": {},
    "?region={%22a%22:1}&risk=&product=%00&y=a?b": {},
    # what Panel's parser turns into int() and fails on: a digit int() does not read, more digits than it takes
    f"?foo=%C2%B2&region=West&risk={'9' * 4_400}": {"region": ["West"]},
    f"?region=North&region={LONG}&region=West&risk={'High,' * 2000}&product=%F0%9F%99%82%FF%FE%00":
        {"region": ["North", "West"], "risk_tolerance": ["High"]},
    # more arguments than Tornado's default cap (1000, then HTTP 400): the filters read, the rest ignored. (The
    # query also travels in the websocket's URL and, compressed, its token: both within Tornado's 64 KiB.)
    "?" + "&".join(f"p{i}=1" for i in range(1_500)) + "&" + "x=1&" * 5_000 + "product=savings&" + "&" * 8_000:
        {"account_type": ["savings"]},
}


def expected_stamp(where: dict) -> str:
    """The render stamp's key for a filter: `dim=v1,v2;...`, dimensions by name, values in the options' order."""
    return ";".join(f"{d}={','.join(sorted(where[d]))}" for d in sorted(where))


@pytest.mark.browser
def test_any_url_value_shows_the_dashboard(dashboard_url, dashboard_data, page):
    """Also: whatever the page asks of /components/ (nothing, with Panel's bundled resources) is served."""
    _, _, accounts = dashboard_data
    components = []
    page.on("response", lambda r: components.append((r.url, r.status)) if "/components/" in r.url else None)
    for query, where in URLS.items():
        page.goto(dashboard_url + query)
        page.wait_for_function(RENDERED, arg=expected_stamp(where), timeout=30_000)
        want = reference.metrics(accounts, ["accounts"], where=where).iloc[0]["accounts"]
        wait_for_card(page, "accounts", f"{int(want):,}")
    assert [e for e in page.console_errors if "favicon" not in e] == []
    assert [(url, status) for url, status in components if status >= 400] == []
