"""`fintech serve` / `make serve`: the dashboard on a built warehouse.

Serving never rebuilds a warehouse it was pointed at: only the default
warehouse (the embedded DuckDB file under data/warehouse/) is built, and only
when it does not exist. A default older than the committed sample is served
as it is, with a notice (here and in the dashboard's header) naming the
command that rebuilds it.

It listens on 127.0.0.1 unless told otherwise, and stopping it (Ctrl-C,
SIGTERM) stops what it started: the signal is passed on to the child running
(`panel serve`, or a build or validation before it), which is killed if it has
not exited a few seconds later; a child dies with it even if it is SIGKILLed.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

from dashboard.server import (
    ListenRefused,
    check_listen,
    check_origins,
    is_wildcard,
    local_hosts,
    origin_hosts,
    panel_serve_command,
    url_host,
)
from semantic import backends, config

EXIT_REFUSED = 2
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
GRACE_SECONDS = 5.0  # how long a child has to exit after the signal is passed on, before it is killed
PR_SET_PDEATHSIG = 1


BASIC_AUTH_ENV, COOKIE_SECRET_ENV = "FINTECH_BASIC_AUTH", "FINTECH_COOKIE_SECRET"
MIN_SECRET_LENGTH = 32


class LoginRefused(ValueError):
    """Login settings `panel serve` would start on but not log anyone in with; the message says which (never
    the password itself)."""


def login_settings() -> dict[str, str]:
    """Panel's basic auth, from the environment (never the command line, which `ps` shows to every user).

    Panel reads FINTECH_BASIC_AUTH as a users file whenever it names an existing file (at each login): such a
    file must be a JSON object of user names to password strings, or every login would be a server error."""
    missing = [name for name in (BASIC_AUTH_ENV, COOKIE_SECRET_ENV) if not os.environ.get(name)]
    if missing:
        raise LoginRefused(f"set {' and '.join(missing)} (the password or a JSON file of users, and a long "
                           "random secret that signs the login cookie)")
    auth, secret = os.environ[BASIC_AUTH_ENV], os.environ[COOKIE_SECRET_ENV]
    if os.path.isfile(auth):
        problem = _users_file_problem(auth)
        if problem:
            raise LoginRefused(f"{BASIC_AUTH_ENV} names a file, which Panel reads as its users file, and that "
                               f"file {problem}: give a JSON object of user names to passwords, e.g. "
                               '{"analyst": "..."}, or a password that names no file')
    if len(secret) < MIN_SECRET_LENGTH:
        raise LoginRefused(f"{COOKIE_SECRET_ENV} must be long and random (at least {MIN_SECRET_LENGTH} "
                           "characters, e.g. from `python -c 'import secrets; print(secrets.token_hex(32))'`)")
    return {"PANEL_BASIC_AUTH": auth, "PANEL_COOKIE_SECRET": secret}


def _users_file_problem(path: str) -> str | None:
    """Why the file at `path` is no users file Panel can log anyone in with (what it is, never what it holds)."""
    try:
        with open(path, encoding="utf-8") as f:
            users = json.load(f)
    except OSError as e:
        return f"cannot be read ({e.strerror})"
    except ValueError:  # not JSON, or not UTF-8
        return "is not JSON"
    if not isinstance(users, dict):
        return "is JSON but no object of users"
    if not users:
        return "names no user"
    if not all(isinstance(password, str) and password for password in users.values()):
        return "gives a user a password that is no text (or is empty)"
    return None


class Stopped(BaseException):
    """A stop signal arrived: the children are gone, serving ends (exit 0). Not an Exception: no `except
    Exception` on the way (a failed connection's message, say) may take it for an error."""


class Children:
    """Runs one child at a time; a stop signal is passed on to it, or ends the work in this process."""

    def __init__(self):
        self.child: subprocess.Popen | None = None
        self.stopped_by: int | None = None
        self.stopped_at = 0.0

    def _on_signal(self, signum, _frame) -> None:
        first = self.stopped_by is None
        if first:
            self.stopped_by, self.stopped_at = signum, time.monotonic()
        if self.child is not None and self.child.poll() is None:
            if first:
                self.child.send_signal(signum)
            else:  # a second signal: no more waiting
                self.child.kill()
        elif first:
            raise Stopped

    @contextlib.contextmanager
    def handling_signals(self):
        previous = {s: signal.signal(s, self._on_signal) for s in STOP_SIGNALS}
        try:
            yield self
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)

    def run(self, command: list[str], env: dict) -> int:
        """The child's exit code; Stopped if a stop signal came while it ran."""
        parent, prctl = os.getpid(), _prctl()
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)  # no signal between the fork and self.child
        try:
            if self.stopped_by is not None:
                raise Stopped
            # its own process group: a terminal's Ctrl-C reaches it once, passed on by this process
            self.child = subprocess.Popen(command, env=env, process_group=0,
                                          preexec_fn=lambda: _die_with(parent, prctl))
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        try:
            while True:
                try:
                    code = self.child.wait(timeout=0.2)
                    break
                except subprocess.TimeoutExpired:
                    if self.stopped_by is not None and time.monotonic() - self.stopped_at > GRACE_SECONDS:
                        self.child.kill()
        finally:
            self.child = None
        if self.stopped_by is not None:
            raise Stopped
        return code


def _prctl():
    """Linux's prctl(2), looked up before the fork (the child should do as little as it can); None elsewhere."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None
    except (OSError, AttributeError):
        return None


def _die_with(parent: int, prctl) -> None:
    """In the child, before exec: unblock the stop signals, and ask Linux for SIGTERM when the parent dies
    (elsewhere only the signals passed on stop it)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)


def _cannot_listen(address: str, port: int) -> bool:
    """Say why `address:port` cannot be listened on (in use, not an address here), if it cannot."""
    try:
        check_listen(address, port)
    except ListenRefused as e:
        print(f"fintech serve: {e}", file=sys.stderr)
        return True
    return False


def serve(url: str, port: int, basic_auth: bool = False, *, address: str = "127.0.0.1",
          origins: tuple[str, ...] = (), build: Sequence[str], validate: Sequence[str]) -> int:
    """Serve the dashboard on `address:port`; websockets from the address (+ localhost) and `origins`.

    `build` and `validate` are the command lines that build the default warehouse from the sample and write a
    validation report (the caller's: `fintech build` and `fintech validate`); they run as children, stopped
    with this process, when the default warehouse is missing or the warehouse has no report of its build."""
    children = Children()
    with children.handling_signals():
        try:
            return _serve(children, url, port, basic_auth, address, tuple(origins), list(build), list(validate))
        except Stopped:
            print(f"fintech serve: stopped ({signal.Signals(children.stopped_by).name})", file=sys.stderr)
            return 0


def _serve(children: Children, url: str, port: int, basic_auth: bool, address: str,
           origins: tuple[str, ...], build: list[str], validate: list[str]) -> int:
    env = {**os.environ, config.BACKEND_ENV: url}
    try:
        if basic_auth:
            env.update(login_settings())
    except LoginRefused as e:
        print(f"fintech serve --basic-auth: {e}", file=sys.stderr)
        return EXIT_REFUSED
    try:
        check_origins(origins)
    except ListenRefused as e:
        print(f"fintech serve: {e}", file=sys.stderr)
        return EXIT_REFUSED
    try:
        found = backends.inspect(url)
    except backends.CannotConnect as e:  # an unreachable server, a refused login: its own message says so
        print(f"fintech serve: {config.redact(str(e), url)}", file=sys.stderr)
        return 1
    except (config.BadURL, backends.NotAWarehouse) as e:  # options the driver refused, a file unreadable
        print(f"fintech serve: {config.redact(str(e), url)}", file=sys.stderr)
        return EXIT_REFUSED
    except Exception as e:  # a damaged file, a server that answers oddly: say so, no traceback
        first_line = config.redact(str(e), url).splitlines()[0] if str(e) else ""
        print(f"fintech serve: cannot open {config.masked_url(url)} ({type(e).__name__}): {first_line}",
              file=sys.stderr)
        return 1
    if found is not None and not (found == backends.MISSING and config.is_default_backend(url)):
        try:
            backends.require(url)
        except backends.NotAWarehouse as e:
            print(f"fintech serve: {config.redact(str(e), url)}", file=sys.stderr)
        return EXIT_REFUSED
    if _cannot_listen(address, port):  # before a build: a busy port should not wait for one
        return 1
    if found == backends.MISSING:
        source = config.default_source()
        print(f"building the default warehouse from {source}", flush=True)
        if children.run(build, env) != 0:
            return 1
    notice = backends.staleness_notice(url)
    if notice:
        print(f"fintech serve: note: {notice}", file=sys.stderr, flush=True)
    if backends.validation_report(url, backends.published_build_id(url))[0] is None:
        children.run(validate, env)  # a failure shows as the dashboard's badge
    if _cannot_listen(address, port):  # again, just before: a build takes a while
        return 1
    hosts = local_hosts(address)
    print(f"serving the dashboard on http://{url_host(address) or '0.0.0.0'}:{port}/app "
          f"(backend {config.masked_url(url)})", flush=True)
    if is_wildcard(address):
        print(f"fintech serve: note: listening on every interface: the dashboard is reachable from the network"
              f"{'' if basic_auth else ' with no login (--basic-auth asks for one)'}; browsers elsewhere need "
              f"their host name given: --allow-websocket-origin HOST[:PORT]"
              f"{' (given: ' + ', '.join(origins) + ')' if origins else ' (none given)'}",
              file=sys.stderr, flush=True)
    return children.run(panel_serve_command(port, hosts=hosts, address=address,
                                            origins=origin_hosts(origins, port)), env)
