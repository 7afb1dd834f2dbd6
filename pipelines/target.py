"""What a build may write to, and one build at a time per warehouse.

A build writes only where nothing is, or over a warehouse this product
published: every published warehouse holds a build marker (`fintech_build`,
semantic.backends), and a Parquet directory also its `.fintech-warehouse`
file from the first build. Anything else at the target (the source CSV
itself, someone's notes, another database, a directory of other files) is
refused before a byte is written.

Each target has one lock, held from the checks to the publish: a file lock
beside a database file or inside a Parquet directory (released by the kernel
when its process dies, so a killed build's lock is cleared by the next one),
an advisory lock on PostgreSQL (released when the connection drops).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from datetime import datetime, timezone
from pathlib import Path

from semantic import backends
from semantic.config import masked_url, url_path

LOCK_NAME = ".lock"


class TargetRefused(Exception):
    """The build may not write where the URL points; nothing was written."""


class BuildBusy(Exception):
    """Another build holds this warehouse's lock."""


def check_target(url: str, source: Path) -> None:
    """Refuse (TargetRefused) a target that is the source itself, or exists and is not this product's warehouse,
    or an engine that reads only (it names the engine that builds its warehouses)."""
    path = url_path(url) if backends.storage(url) != "server" else None
    engine = backends.engine_of(url)  # the URL checked: storage() read it
    if not engine.builds:
        raise TargetRefused(f"{engine.name} reads a warehouse that {engine.built_by} builds: build it with "
                            f"`fintech build --backend {engine.built_by}://{path}`, then read or serve "
                            f"it with {masked_url(url)}")
    if path is not None and _same_file(path, source):
        raise TargetRefused(f"refused {path}: it is the source extract itself; publishing there would destroy it")
    if path is not None and path.is_dir() and Path(source).resolve().is_relative_to(path.resolve()):
        raise TargetRefused(f"refused {path}: the source extract {source} is inside the warehouse directory")
    try:
        found = backends.inspect(url)
    except backends.Unreadable as e:  # a file or directory there this user may not read
        raise TargetRefused(f"refused {path or masked_url(url)}: {e}; nothing was written") from None
    if found not in (None, backends.MISSING):
        raise TargetRefused(f"refused {path or masked_url(url)}: it is {found}, not a warehouse published by "
                            "`fintech build`; nothing was written. Give another --backend, or move it away")
    if path is not None:
        _check_writable(path)


def _check_writable(path: Path) -> None:
    """The target's directory exists and can be written, or can be made where the first existing one is."""
    place = path.absolute() if path.is_dir() else path.absolute().parent  # a Parquet directory: written into
    while not place.exists() and place != place.parent:
        place = place.parent
    if not place.is_dir():
        raise TargetRefused(f"refused {path}: {place} is not a directory; nothing was written")
    if not os.access(place, os.W_OK | os.X_OK):
        raise TargetRefused(f"refused {path}: cannot write in {place}; nothing was written")


def _same_file(path: Path, source: Path) -> bool:
    try:
        return path.exists() and Path(source).exists() and os.path.samefile(path, source)
    except OSError:
        return False


def claim_directory(path: Path) -> None:
    """Mark an empty or new directory as this product's Parquet warehouse (checked first by check_target)."""
    path.mkdir(parents=True, exist_ok=True)
    mark = path / backends.DIRECTORY_MARK
    if not mark.exists():
        mark.write_text(json.dumps({"warehouse": "fintech", "created": _now()}) + "\n")


# ---- the lock ------------------------------------------------------------------------------------

def lock_path(url: str) -> Path:
    """Beside a database file (`.<file>.lock`), inside a Parquet directory (`.lock`)."""
    path = url_path(url).resolve()
    if backends.storage(url) == "file":
        return path.with_name(f".{path.name}{LOCK_NAME}")
    return path / LOCK_NAME


@contextlib.contextmanager
def build_lock(url: str, source: Path, wait: float = 0.0, echo=print):
    """Hold the target's build lock for the block: BuildBusy if another build holds it after `wait` seconds."""
    holder = {"pid": os.getpid(), "host": socket.gethostname(), "started": _now(), "source": str(source)}
    if backends.storage(url) == "server":
        with _advisory_lock(url, holder, wait, echo):
            yield
        return
    path = lock_path(url)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = _acquire_file_lock(path, holder, wait, echo, url)
    except OSError as e:  # a place the build cannot write (checked before; /proc, a read-only mount...)
        raise TargetRefused(f"refused {url_path(url)}: cannot write its build lock {path} "
                            f"({e.strerror or type(e).__name__}); nothing was written") from None
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # before closing: a build waiting on this file then sees it gone and starts again
        os.close(fd)


def _acquire_file_lock(path: Path, holder: dict, wait: float, echo, url: str) -> int:
    deadline, said = time.monotonic() + wait, False
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            other = _describe(_read_holder(path))
            if time.monotonic() >= deadline:
                raise BuildBusy(f"another build is publishing to {masked_url(url)}: {other}; "
                                "try again when it is done (or give --wait SECONDS)") from None
            if not said:
                echo(f"waiting for the other build of {masked_url(url)} to finish: {other}")
                said = True
            time.sleep(0.2)
            continue
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if not same:  # the holder removed the file as it let go: lock the one at the path now
            os.close(fd)
            continue
        left = _read_holder(path)
        if left is None and path.stat().st_size:
            os.close(fd)
            raise TargetRefused(f"refused {url_path(url)}: {path} exists and is not a build lock of this product; "
                                "nothing was written. Move it away")
        if left and not _left_alive(left):
            echo(f"cleared the lock left by a build that is no longer running: {_describe(left)}")
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(holder) + "\n").encode(), 0)
        return fd


def _read_holder(path: Path) -> dict | None:
    """The build a lock file names (pid, host, started, source), or None (empty, or not a lock of ours)."""
    try:
        holder = json.loads(path.read_text() or "null")
    except (OSError, ValueError):
        return None
    return holder if isinstance(holder, dict) and "pid" in holder else None


def _describe(holder: dict | None) -> str:
    if not holder:
        return "a build that is starting"
    return (f"pid {holder.get('pid')} on {holder.get('host')}, started {holder.get('started')}, "
            f"from {holder.get('source')}")


def _left_alive(holder: dict) -> bool:
    """Is the build a lock file names still running? (Another host's: cannot tell, assumed so.)"""
    pid = holder.get("pid")
    return holder.get("host") != socket.gethostname() or not isinstance(pid, int) or alive(pid)


def alive(pid: int) -> bool:
    """Is process `pid` running (on this host)?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_ADVISORY_KEY = 7_246_151_873  # one per database: advisory locks are keyed by database and number
_APPLICATION = "fintech build"


@contextlib.contextmanager
def _advisory_lock(url: str, holder: dict, wait: float, echo):
    """A session advisory lock on its own connection: the server releases it when that connection drops."""
    con = backends.connect_engine(url)
    try:
        name = f"{_APPLICATION} pid {int(holder['pid'])}"
        backends.fetch_one(con, f"SELECT set_config('application_name', '{name}', false)")
        deadline, said = time.monotonic() + wait, False
        while not backends.fetch_one(con, f"SELECT pg_try_advisory_lock({_ADVISORY_KEY})"):
            other = _advisory_holder(con)
            if time.monotonic() >= deadline:
                raise BuildBusy(f"another build is publishing to {masked_url(url)}: {other}; "
                                "try again when it is done (or give --wait SECONDS)")
            if not said:
                echo(f"waiting for the other build of {masked_url(url)} to finish: {other}")
                said = True
            time.sleep(0.2)
        yield
    finally:
        con.disconnect()


def _advisory_holder(con) -> str:
    row = backends.fetch_one(con, (
        "SELECT a.application_name || ', started ' || "
        "to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
        "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        f"WHERE l.locktype = 'advisory' AND l.granted AND l.objid = {_ADVISORY_KEY % 2**32} "
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"))
    return row or "a build whose session this role cannot see"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
