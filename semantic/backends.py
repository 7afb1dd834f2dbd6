"""Where a warehouse lives and how to open it, whichever engine holds it.

Three kinds of storage, one per kind of engine (semantic/engines/: each engine's profile says its kind):

- a database file (duckdb, sqlite): the URL names the file;
- a database server (postgres): the URL names the server and the database;
- a directory of Parquet files (datafusion, pyspark), for engines that keep no
  tables of their own: `<dir>/current` points at the published version, which
  holds one `<table>.parquet` per table. Opening the warehouse registers each
  file under its table's name.

Everything above this module (models, metrics, the dashboard) sees only Ibis
tables and never asks which kind it got; this module asks the engines' profiles
every difference between them, never an engine's name.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from semantic import engines
from semantic.config import (
    BadURL,  # noqa: F401  (the refusal of a URL, for this module's callers)
    backend_name,
    data_dir,
    default_source,
    is_default_backend,
    masked_url,
    server_address,
    url_path,
)
from semantic.engines import CannotConnect, MissingDriver, UnsupportedBackend  # noqa: F401  (raised from here)

CURRENT = "current"
# Every published warehouse holds this one-row table: which build made it (build_id, built_at), under which
# contract version, from which extract. A build writes over nothing that lacks it (pipelines/target.py);
# validation reports name the build they checked.
MARKER_TABLE = "fintech_build"


def engine_of(url: str) -> engines.Engine:
    """The profile of the engine a URL names (BadURL when it is no URL: a bare name is not one here)."""
    return engines.profile(backend_name(url))


def checked_engine(url: str) -> engines.Engine:
    """The engine of `url`, the URL read and checked by it and its driver found: BadURL for a URL of another
    backend, or one that cannot be read unambiguously (checked here, before any driver sees it)."""
    engine = engine_of(url)  # BadURL for no URL at all, UnsupportedBackend for another engine's
    engine.check_url(url)
    engine.require_driver()
    return engine


def storage(url: str) -> str:
    """'file', 'server' or 'parquet': how a warehouse at `url` is stored and published (checked_engine)."""
    return checked_engine(url).storage


def database_file(url: str) -> Path | None:
    """The database file a URL names (an engine that keeps a file: duckdb, sqlite); None otherwise or in memory."""
    try:
        engine = engine_of(url)
    except UnsupportedBackend:
        return None
    return url_path(url) if engine.storage == "file" else None


def lacks(con, operation: str) -> str | None:
    """Why `con` cannot run `operation` (and what covers for it), or None when it can (semantic/engines/)."""
    return engines.of(con).lacks(operation)


def has_arrays(con) -> bool:
    """Can `con` store and index arrays? (Everywhere but SQLite.)"""
    return engines.of(con).has_arrays


def build_marker(con) -> dict | None:
    """The build marker row of an open warehouse (build_id, built_at, contract_version, ...), or None."""
    if MARKER_TABLE not in con.list_tables():
        return None
    rows = con.table(MARKER_TABLE).to_pyarrow().to_pylist()
    return rows[0] if len(rows) == 1 else None


def version_schema(build_id: str) -> str:
    """The PostgreSQL schema holding one build's tables (pipelines/publish.py)."""
    if not re.fullmatch(r"[0-9a-f]{32}", build_id or ""):
        raise ValueError(f"not a build id: {build_id!r}")
    return f"fintech_build_{build_id}"


def is_version_schema(name: str) -> bool:
    return re.fullmatch(r"fintech_build_[0-9a-f]{32}", name) is not None


def published_version(url: str) -> Path:
    """The directory of Parquet files a Parquet warehouse currently publishes."""
    return url_path(url) / CURRENT


def version(url: str):
    """What identifies the warehouse published at `url` now; a rebuild changes it.

    A file: its inode and modification time (publishing replaces the file). A Parquet directory: the
    version `current` points at. A server: its build marker's id (it swaps its tables in place).
    """
    kind = storage(url)
    if kind == "file":
        stat = url_path(url).stat()
        return stat.st_ino, stat.st_mtime_ns
    if kind == "parquet":
        return str(published_version(url).resolve())
    return published_build_id(url)


def published_build_id(url: str) -> str | None:
    """The build id in the marker of the warehouse published at `url` now; None when there is none.

    Reads the marker alone (asked at every dashboard session's start on a server): one connection, no
    Parquet file but the marker's registered, no search path set.
    """
    if not exists(url):
        return None
    con = connect_engine(url, read_only=True)
    try:
        if storage(url) == "parquet":
            con.read_parquet(str(published_version(url).resolve() / f"{MARKER_TABLE}.parquet"),
                             table_name=MARKER_TABLE)
        return (build_marker(con) or {}).get("build_id")
    finally:
        con.disconnect()


def validation_report(url: str, build_id: str | None) -> tuple[dict | None, bool]:
    """(the validation summary of build `build_id` of the warehouse at `url`, or None; whether a report of
    that warehouse exists at all). A report of another build, or another warehouse, is never this one's."""
    try:
        summary = json.loads((reports_dir(url) / "summary.json").read_text())
    except (OSError, ValueError):
        return None, False
    if not isinstance(summary, dict):
        return None, False
    return (summary if build_id is not None and summary.get("build_id") == build_id else None), True


def staleness_notice(url: str) -> str | None:
    """What to say when `url` is the default warehouse and is older than the sample it is built from
    (`fintech serve` never rebuilds it: it says so, in its log and the dashboard's header)."""
    source, path = default_source(), url_path(url)
    # the files' ages only (asked at every dashboard session's start): the database is not opened
    if not is_default_backend(url) or not path.is_file() or not source.exists():
        return None
    if path.stat().st_mtime >= source.stat().st_mtime:
        return None
    return f"the warehouse is older than {source}: `fintech build` rebuilds it (served as it is until then)"


def reports_dir(url: str) -> Path:
    """Where the validation reports of the warehouse at `url` live: beside a database file
    (`<file>.validation/`), inside a Parquet directory (`validation/`), and for a server under
    `data/validation/<scheme>-<host>-<port>-<database>/` (no user name, no password)."""
    kind = storage(url)
    if kind == "file":
        path = url_path(url).resolve()
        return path.with_name(f"{path.name}.validation")
    if kind == "parquet":
        return url_path(url).resolve() / "validation"
    server = server_address(url)
    name = "-".join(str(p) for p in (backend_name(url), server.host, server.port, server.path.strip("/")) if p)
    return data_dir() / "validation" / re.sub(r"[^A-Za-z0-9._-]", "_", name)


MISSING = "missing"
DIRECTORY_MARK = ".fintech-warehouse"  # a Parquet directory's first build writes it: the directory is ours


class NotAWarehouse(ValueError):
    """The URL names something that is not a warehouse this product published."""


class Unreadable(NotAWarehouse):
    """The file or directory a URL names cannot be read by this user (permission denied, an I/O error)."""


def cannot_read(e: OSError, path: Path) -> Unreadable:
    """The refusal for an OSError met reading `path` (or the file under it the error names)."""
    reason = "permission denied" if isinstance(e, PermissionError) else (e.strerror or type(e).__name__).lower()
    return Unreadable(f"cannot read {e.filename or path}: {reason}")


def check_readable(url: str) -> None:
    """Unreadable when the file or directory a file or Parquet URL names exists and this user cannot read
    it; nothing is opened by a database (a missing path is no error here)."""
    if storage(url) == "server":
        return
    path = url_path(url)
    if path is None:
        return
    try:
        if path.is_dir():
            next(os.scandir(path), None)
            current = path / CURRENT
            if current.is_dir():
                next(os.scandir(current), None)
        elif path.exists():
            with open(path, "rb") as f:
                f.read(1)
    except OSError as e:
        raise cannot_read(e, path) from None


def inspect(url: str) -> str | None:
    """None when a warehouse this product published is at `url`; MISSING when nothing is (an empty or
    only-claimed directory, a database without our tables); else what is there instead, in words."""
    kind = storage(url)
    if kind == "server":
        con = connect_engine(url, read_only=True)
        try:
            tables = set(con.list_tables())
        finally:
            con.disconnect()
        if MARKER_TABLE in tables:
            return None
        from semantic.tables import MODELS  # the tables a build writes (imported when asked: Ibis expressions)

        ours = sorted({model.__name__ for model in MODELS} & tables)
        return f"a database holding tables named like this warehouse's ({', '.join(ours[:3])}) without the build " \
               f"marker {MARKER_TABLE}" if ours else MISSING
    path = url_path(url)
    if path is None:
        return "not a path"
    try:
        if not path.exists():
            return "a broken symbolic link" if path.is_symlink() else MISSING
        return _inspect_file(url, path) if kind == "file" else _inspect_directory(path)
    except OSError as e:  # a file or directory this user may not read: refused, saying so (Unreadable)
        raise cannot_read(e, path) from None


def _inspect_file(url: str, path: Path) -> str | None:
    engine = engine_of(url)
    name = engine.name
    if not path.is_file():
        return "not a file" if not path.is_dir() else "a directory"
    with open(path, "rb") as f:
        head = f.read(16)
    if not engine.holds_database(head):
        return f"not a {name} database file"
    try:
        con = connect_engine(url, read_only=True)
    except Exception as e:  # a damaged or foreign database
        return f"a file {name} cannot open ({type(e).__name__})"
    try:
        return None if build_marker(con) is not None else f"a {name} database without the build marker table " \
                                                            f"{MARKER_TABLE}"
    except Exception as e:
        return f"a {name} database whose marker cannot be read ({type(e).__name__})"
    finally:
        con.disconnect()


def _inspect_directory(path: Path) -> str | None:
    if not path.is_dir():
        return "not a directory"
    if (path / DIRECTORY_MARK).is_file():
        return None if (path / CURRENT / f"{MARKER_TABLE}.parquet").exists() else MISSING  # Spark: a directory
    if any(entry.name != ".lock" for entry in path.iterdir()):  # the lock: a first build of ours, starting
        return f"a directory that holds other files (no {DIRECTORY_MARK})"
    return MISSING


def exists(url: str) -> bool:
    """Is a warehouse this product published at `url`?"""
    return inspect(url) is None


def require(url: str) -> None:
    """NotAWarehouse, saying what is there, unless a warehouse this product published is at `url`."""
    found = inspect(url)
    if found == MISSING:
        engine = engine_of(url)
        if engine.builds:
            raise NotAWarehouse(f"no warehouse at {masked_url(url)}: run `fintech build --backend URL` first")
        raise NotAWarehouse(f"no warehouse at {masked_url(url)}: run `fintech build --backend {engine.built_by}://"
                            f"{url_path(url)}` first ({engine.name} then reads what it builds)")
    if found is not None:
        raise NotAWarehouse(f"{masked_url(url)} is not a warehouse published by `fintech build`: it is {found}")


def connect_engine(url: str, read_only: bool = False):
    """An Ibis connection to compute with: the database itself, or an engine for a Parquet directory.

    A server is given the URL's parts (server_address), never the URL, with a connect timeout; when it does not
    answer, CannotConnect says so without the driver's text quoting what it was given. A read-only connection
    refuses writes in its session too, where the engine has a statement for it.
    """
    return checked_engine(url).connect(url, read_only=read_only)


def open_warehouse(url: str, read_only: bool = True):
    """The published warehouse at `url`, every table reachable by name (`con.table(name)`)."""
    con = connect_engine(url, read_only=read_only)
    kind = engine_of(url).storage  # checked by connect_engine
    if kind == "parquet":
        # the version directory itself, not through `current`: a rebuild's swap must not move this reader
        for table in sorted(published_version(url).resolve().glob("*.parquet")):
            con.read_parquet(str(table), table_name=table.stem)
    elif kind == "server":
        # This connection reads the build published now, whatever is published after: its schema, found
        # through the marker view, first on the search path (kept until the build after the next one)
        marker = build_marker(con)
        schema = version_schema(marker["build_id"]) if marker and marker.get("build_id") else None
        if schema and fetch_one(con, f"SELECT has_schema_privilege('{schema}', 'USAGE')"):
            con.raw_sql(f'SET search_path TO "{schema}"')
        # else: a role not granted the build schemas (README) reads the views, which follow each publish
    return con


def fetch_one(con, sql: str):
    """The first value of the first row of raw SQL on an Ibis connection (None without rows)."""
    cursor = con.raw_sql(sql)
    try:
        row = cursor.fetchone()
    finally:
        cursor.close()
    return row[0] if row else None
