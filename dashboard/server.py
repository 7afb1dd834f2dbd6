"""How the dashboard is served: the one `panel serve` command line of `fintech serve`, the tests and the bench."""

from __future__ import annotations

import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"
WARM = Path(__file__).resolve().parent / "warm.py"


def panel_serve_command(port: int, hosts: tuple[str, ...] = ("localhost", "127.0.0.1"),
                        options: tuple[str, ...] = ()) -> list[str]:
    """`panel serve` on the app, accepting websockets from `hosts`, with the caches warmed before it answers;
    `options`: more `panel serve` options."""
    command = [sys.executable, "-m", "panel", "serve", str(APP), "--port", str(port), "--setup", str(WARM), *options]
    for host in hosts:
        command += ["--allow-websocket-origin", f"{host}:{port}"]
    return command
