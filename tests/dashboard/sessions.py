"""Many dashboard sessions at once, each a real Bokeh session over its own websocket (bokeh.client), as a
browser tab would hold it: each changes its region filter again and again, and checks that its own
"Total accounts" card shows the number of its own selection. Used by the tests (short runs) and by
`make soak` (bench/soak.py, long runs).
"""

from __future__ import annotations

import html
import re
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bokeh.client import pull_session
from bokeh.models import MultiChoice

CARD = re.compile(r'data-kpi="accounts"><div class="kpi-title">[^<]*</div><div class="kpi-value">([^<]*)</div>')
UPDATE_TIMEOUT_S = 30.0


@dataclass
class SessionRun:
    changes: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    version: str | None = None  # which expected numbers it saw: "old" or "new" (a rebuild while serving)


def accounts_shown(doc) -> int | None:
    """The number on the session's "Total accounts" card, as the browser would show it."""
    for model in list(doc.models):
        text = getattr(model, "text", None)
        if isinstance(text, str) and "kpi-value" in (text := html.unescape(text)):
            found = CARD.search(text)
            if found:
                return int(found.group(1).replace(",", ""))
    return None


def drive(app_url: str, seconds: float, expected: dict[str, dict[tuple, int]], seed: int) -> SessionRun:
    """One session changing its region filter for `seconds`; `expected` maps a version name to the accounts
    of every region choice. The session must show one version's numbers throughout, never a mix."""
    run = SessionRun()
    choices = sorted(next(iter(expected.values())))
    try:
        session = pull_session(url=app_url)
    except Exception as error:  # noqa: BLE001  (reported as this session's error)
        run.errors.append(f"could not open a session: {error!r}")
        return run
    try:
        doc = session.document
        region = next(m for m in doc.models if isinstance(m, MultiChoice) and m.title == "Region")
        deadline = time.monotonic() + seconds
        step = seed
        while time.monotonic() < deadline:
            step += 1
            choice = choices[step % len(choices)]
            if tuple(region.value) == choice:
                continue
            wanted = {name: numbers[choice] for name, numbers in expected.items()}
            if run.version is not None:
                wanted = {run.version: wanted[run.version]}
            start = time.perf_counter()
            region.value = list(choice)
            session._connection._loop_until(  # bokeh.client's own wait: runs the websocket until true
                lambda: accounts_shown(doc) in wanted.values() or time.perf_counter() - start > UPDATE_TIMEOUT_S)
            shown = accounts_shown(doc)
            run.changes += 1
            matching = [name for name, number in wanted.items() if number == shown]
            if not matching:
                run.errors.append(f"regions {choice}: shows {shown} accounts, expected {wanted}")
            else:
                run.version = run.version or matching[0]
                run.latencies.append(time.perf_counter() - start)
            if tuple(region.value) != choice:
                run.errors.append(f"its filter changed under it: {region.value} instead of {choice}")
    except Exception as error:  # noqa: BLE001
        run.errors.append(f"session failed: {error!r}")
    finally:
        session.close()
    return run


def drive_many(app_url: str, sessions: int, seconds: float, expected: dict[str, dict[tuple, int]],
               during=None) -> list[SessionRun]:
    """`sessions` sessions at once, each in its own thread; `during()` runs while they do."""
    runs: list[SessionRun] = [SessionRun() for _ in range(sessions)]

    def one(i: int) -> None:
        runs[i] = drive(app_url, seconds, expected, seed=i * 7)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(sessions)]
    for thread in threads:
        thread.start()
    if during is not None:
        during()
    for thread in threads:
        thread.join()
    return runs


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else (values[0] if values else float("nan"))


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (panel serve is one process)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def sessions_alive(log: Path) -> int:
    """Bokeh's own count from the server log ("... N sessions ..."), or -1 when it has not logged one."""
    counts = re.findall(r"(\d+) sessions", log.read_text(errors="replace"))
    return int(counts[-1]) if counts else -1
