"""Publishing a build in one step, for each kind of storage (semantic.backends).

A build writes every table aside and makes them visible only at the end, at once:

- file (DuckDB, SQLite): a scratch file next to the target, fsynced, then one `os.replace`;
- server (PostgreSQL): tables in the build's own schema, then one transaction points the views
  `<table>` at them (DDL is transactional there: readers see all old or all new);
- parquet (DataFusion, Spark): a new version directory, then one atomic replace of the
  `current` symlink; the previous version stays for readers that still have it open.

A failure or a kill before that step leaves the published warehouse exactly as it was;
the next build clears what a killed one left behind.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import ibis.expr.types as ir
import sqlglot as sg

from pipelines.target import alive
from semantic import backends, engines
from semantic.config import backend_name, masked_url, url_path

SCRATCH_MARK = ".building-"


class PublishError(Exception):
    """The warehouse cannot be published where the URL says."""


def begin(url: str, build_id: str):
    """A publication for `url`: `.con` to compute on, `.save(name, expr)`, then `.commit()` or `.discard()`."""
    kind = backends.storage(url)
    if kind == "file":
        return ScratchFile(url)
    if kind == "server":
        return VersionSchema(url, build_id)
    return ParquetVersion(url)


class ScratchFile:
    """Every table in `.<file>.building-<pid>`, swapped in by one rename."""

    def __init__(self, url: str):
        path = url_path(url)
        if path is None:
            raise PublishError(f"cannot publish to {masked_url(url)}: give a database file path")
        self.target = path.resolve()
        self.target.parent.mkdir(parents=True, exist_ok=True)
        _remove_dead_scratch(self.target)
        self.scratch = self.target.with_name(f".{self.target.name}{SCRATCH_MARK}{os.getpid()}")
        self.con = backends.connect_engine(f"{backend_name(url)}://{self.scratch}")

    def save(self, name: str, expr: ir.Table) -> ir.Table:
        return self.con.create_table(name, expr)

    def commit(self) -> None:
        self.con.disconnect()
        _fsync(self.scratch)
        os.replace(self.scratch, self.target)
        _fsync(self.target.parent)

    def discard(self) -> None:
        self.con.disconnect()
        for leftover in _scratch_files(self.target, os.getpid()):
            _remove(leftover)


class VersionSchema:
    """Every table in the build's own schema `fintech_build_<id>`; publishing points the views of the current
    schema (`<table>`, what other tools read) at it in one transaction.

    The previous build's schema stays for the readers that still read it (a dashboard session pins its
    version by its search_path: semantic.backends.open_warehouse); older ones, and a killed build's, are
    dropped by the next publish.
    """

    def __init__(self, url: str, build_id: str):
        self.con = backends.connect_engine(url)
        self.schema = backends.version_schema(build_id)
        self.saved: list[str] = []
        current = backends.build_marker(self.con) or {}
        self.published = {backends.version_schema(current[key]) for key in ("build_id", "previous_build_id")
                          if current.get(key)}
        self._drop_versions(keep=self.published)  # killed builds' schemas (the lock says none is running)
        self.replaced = backends.version_schema(current["build_id"]) if current.get("build_id") else None
        self.con.raw_sql(f"CREATE SCHEMA {self._quoted(self.schema)}")

    def save(self, name: str, expr: ir.Table) -> ir.Table:
        self.saved.append(name)
        return self.con.create_table(name, expr, database=self.schema)

    def commit(self) -> None:
        views = dict(self._fetch("SELECT table_name, table_type FROM information_schema.tables "
                                 "WHERE table_schema = current_schema()"))
        with self.con.begin() as cursor:
            for name in self.saved:
                if views.get(name) == "BASE TABLE":
                    cursor.execute(f"DROP TABLE {self._quoted(name)}")
                # replaced, not dropped: views that others built on ours keep working
                cursor.execute(f"CREATE OR REPLACE VIEW {self._quoted(name)} AS SELECT * FROM "
                               f"{self._quoted(self.schema)}.{self._quoted(name)}")
        self._drop_versions(keep={self.schema, self.replaced})  # older ones: no session opened since reads them
        self.con.disconnect()

    def discard(self) -> None:
        self.con.raw_sql(f"DROP SCHEMA IF EXISTS {self._quoted(self.schema)} CASCADE")
        self.con.disconnect()

    def _drop_versions(self, keep: set[str]) -> None:
        for (schema,) in self._fetch("SELECT schema_name FROM information_schema.schemata"):
            if backends.is_version_schema(schema) and schema not in keep:
                self.con.raw_sql(f"DROP SCHEMA {self._quoted(schema)} CASCADE")

    def _fetch(self, sql: str) -> list[tuple]:
        cursor = self.con.raw_sql(sql)
        try:
            return cursor.fetchall()
        finally:
            cursor.close()

    def _quoted(self, name: str) -> str:
        return sg.to_identifier(name, quoted=True).sql(self.con.dialect)


class ParquetVersion:
    """Every table as `<version>/<table>.parquet`; publishing points the `current` symlink at the version."""

    COMPLETE = ".complete"

    def __init__(self, url: str):
        path = url_path(url)
        if path is None:
            raise PublishError(f"cannot publish to {masked_url(url)}: give a directory path")
        self.root = path.resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        for version in self._versions():  # a killed build's unfinished version
            if not (version / self.COMPLETE).exists() and not alive(int(version.name.rsplit("-", 1)[1])):
                shutil.rmtree(version, ignore_errors=True)
        self.version = self.root / f"v{time.time_ns()}-{os.getpid()}"
        self.version.mkdir()
        self.con = backends.connect_engine(url)

    def save(self, name: str, expr: ir.Table) -> ir.Table:
        path = str(self.version / f"{name}.parquet")
        self.con.to_parquet(expr, path)
        return self.con.read_parquet(path, table_name=name)

    def commit(self) -> None:
        (self.version / self.COMPLETE).touch()
        _fsync(self.version)
        current = self.root / backends.CURRENT
        previous = current.resolve() if current.is_symlink() else None
        link = self.root / f".{backends.CURRENT}{SCRATCH_MARK}{os.getpid()}"
        link.unlink(missing_ok=True)
        link.symlink_to(self.version.name)
        os.replace(link, current)
        _fsync(self.root)
        for old in self._versions():  # keep the new version and the one readers may still hold
            if old not in (self.version, previous) and (old / self.COMPLETE).exists():
                shutil.rmtree(old, ignore_errors=True)

    def discard(self) -> None:
        shutil.rmtree(self.version, ignore_errors=True)

    def _versions(self) -> list[Path]:
        return [p for p in self.root.glob("v*-*") if p.is_dir() and re.fullmatch(r"v\d+-\d+", p.name)]


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# What a scratch build leaves beside its target, by its exact name: the file, and what its engine keeps
# next to it (each engine's profile says: DuckDB's .wal and its spill directory .tmp, SQLite's -journal, -wal
# and -shm). Nothing else is ever removed, whatever its name looks like.
_SCRATCH_SUFFIXES = ("", *dict.fromkeys(suffix for engine in engines.ENGINES.values() for suffix in engine.beside))


def _scratch_files(target: Path, pid: int | None = None) -> list[Path]:
    """The scratch files of builds of `target` (of process `pid`, or of any)."""
    pattern = re.compile(rf"\.{re.escape(target.name)}{re.escape(SCRATCH_MARK)}(\d+)"
                         rf"({'|'.join(re.escape(s) for s in _SCRATCH_SUFFIXES if s)})?")
    found = []
    for path in target.parent.glob(f".{target.name}{SCRATCH_MARK}*"):
        match = pattern.fullmatch(path.name)
        if match and (pid is None or int(match.group(1)) == pid):
            found.append(path)
    return found


def _remove_dead_scratch(target: Path) -> None:
    """What builds of `target` that were killed left behind (their process is gone)."""
    pid_of = re.compile(rf"\.{re.escape(target.name)}{re.escape(SCRATCH_MARK)}(\d+)")
    for path in _scratch_files(target):
        if not alive(int(pid_of.match(path.name).group(1))):
            _remove(path)


def _remove(path: Path) -> None:
    """A scratch file, or DuckDB's spill directory (only ever named `<scratch>.tmp`)."""
    if path.is_dir() and not path.is_symlink():
        if path.name.endswith(".tmp"):
            shutil.rmtree(path, ignore_errors=True)
    elif path.name.rsplit(SCRATCH_MARK, 1)[1].isdigit() and not _is_database(path):
        return  # named like a scratch database, but not one: not ours
    else:
        path.unlink(missing_ok=True)


def _is_database(path: Path) -> bool:
    """An empty file, or one that starts as a database file of an engine does (DuckDB's, SQLite's)."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return False
    return not head or any(engine.holds_database(head) for engine in engines.ENGINES.values())
