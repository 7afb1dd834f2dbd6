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
from semantic import backends
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
        _remove_dead_scratch(self.target.parent.glob(f".{self.target.name}{SCRATCH_MARK}*"))
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
        # the file and what its engine keeps beside it (DuckDB's .wal and .tmp, SQLite's -journal, -wal, -shm)
        for leftover in self.scratch.parent.glob(f"{self.scratch.name}*"):
            shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink(missing_ok=True)


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
        return [p for p in self.root.glob("v*-*") if p.is_dir() and p.name.rsplit("-", 1)[1].isdigit()]


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_dead_scratch(paths) -> None:
    """What builds that were killed left behind (their process is gone)."""
    for path in paths:
        pid = re.match(r"\d*", path.name.rsplit(SCRATCH_MARK, 1)[1]).group()  # `<pid>`, `<pid>.wal`, `<pid>-journal`
        if pid and not alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
