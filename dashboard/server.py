"""How the dashboard is served: the one `panel serve` command line of `fintech serve`, the tests and the bench,
and what it listens on (an address, websocket origins, a port checked free)."""

from __future__ import annotations

import errno
import ipaddress
import re
import socket
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"
WARM = Path(__file__).resolve().parent / "warm.py"

LOCAL_NAMES = ("localhost", "127.0.0.1")
WILDCARDS = ("0.0.0.0", "::", "")
# What Bokeh's allowlist reads: a host name, an IPv4 address or a `*` pattern, then optionally `:PORT` (no IPv6)
ORIGIN = re.compile(r"[A-Za-z0-9*][A-Za-z0-9*.-]{0,252}(?::(?P<port>\d{1,5}))?")


class ListenRefused(ValueError):
    """An address, port or origin that cannot be served on; the message says which and why."""


def panel_serve_command(port: int, hosts: tuple[str, ...] = LOCAL_NAMES, options: tuple[str, ...] = (),
                        address: str = "127.0.0.1", origins: tuple[str, ...] = ()) -> list[str]:
    """`panel serve` on the app at `address`, with the caches warmed (and the routes narrowed) before it answers.

    Websockets are accepted from `hosts` (each on `port`) and `origins` (HOST[:PORT], as given);
    `options`: more `panel serve` options."""
    command = [sys.executable, "-m", "panel", "serve", str(APP), "--address", address, "--port", str(port),
               "--setup", str(WARM), *options]
    for host in hosts:
        command += ["--allow-websocket-origin", f"{host}:{port}"]
    for origin in origins:
        command += ["--allow-websocket-origin", origin]
    return command


def is_wildcard(address: str) -> bool:
    """0.0.0.0 or ::: every interface, so reachable from the network."""
    return address in WILDCARDS


def is_local(address: str) -> bool:
    """A loopback address (or `localhost`): reachable from this machine only."""
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def url_host(address: str) -> str:
    """The address as written in a URL (IPv6 in brackets)."""
    return f"[{address}]" if ":" in address else address


def local_hosts(address: str) -> tuple[str, ...]:
    """Hosts a browser may name for the websocket: the address served on (+ localhost, 127.0.0.1 if they reach it).
    Bokeh reads no IPv6 address there: a browser on one needs a host name."""
    named = () if is_wildcard(address) or address in LOCAL_NAMES or ":" in address else (address,)
    return (*LOCAL_NAMES, *named) if is_wildcard(address) or is_local(address) else named


def origin_hosts(origins: tuple[str, ...], port: int) -> tuple[str, ...]:
    """The origins given, as Bokeh reads them: HOST alone is the host on the default port (behind a proxy) or on
    `port` (reached directly)."""
    return tuple(dict.fromkeys(h for o in origins for h in ((o,) if ":" in o or o == "*" else (o, f"{o}:{port}"))))


def check_origins(origins: tuple[str, ...]) -> None:
    """Refuse an origin that is not HOST[:PORT] (a scheme or a path would never match a browser's Origin)."""
    for origin in origins:
        match = ORIGIN.fullmatch(origin)
        if not match or (match["port"] and not 0 < int(match["port"]) < 65536):
            raise ListenRefused(f"--allow-websocket-origin {origin!r}: give HOST or HOST:PORT "
                                "(e.g. dashboard.example.com or 10.0.0.5:5006), no scheme or path")


def check_listen(address: str, port: int) -> None:
    """Bind `address:port` as the server will (SO_REUSEADDR, every address the name gives), then let it go."""
    if not 0 < port < 65536:
        raise ListenRefused(f"--port {port}: give a port from 1 to 65535")
    try:
        found = socket.getaddrinfo(address or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError, ValueError):
        raise ListenRefused(f"--address {address!r}: not an address or host name of this machine") from None
    for family, kind, proto, _, where in found:
        with socket.socket(family, kind, proto) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                s.bind(where)
            except OSError as e:
                if e.errno == errno.EADDRINUSE:
                    raise ListenRefused(f"port {port} on {address} is in use (another server?): stop it "
                                        "or choose another with --port") from None
                raise ListenRefused(f"cannot listen on {address}:{port}: {e.strerror}") from None
