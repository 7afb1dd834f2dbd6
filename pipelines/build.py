"""Build the warehouse: load, check, materialize every model aside, then swap it in.

Atomic publish for file databases (DuckDB, SQLite): every table is built in a
scratch file next to the target, and only when every step succeeded does one
`os.replace` put it in place. A failure or a kill at any earlier point leaves
the published file exactly as it was (the scratch file is removed, or left
behind and cleaned up by the next build).
"""

from __future__ import annotations

import inspect
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import ibis

from pipelines.contract import check_staged
from pipelines.load import load_raw, numbered_raw
from semantic.config import backend_name, database_file, masked_url
from semantic.models.registry import MODELS, RAW_TABLE, stg_fintech_data

SCRATCH_MARK = ".building-"


class BuildError(Exception):
    """The build stopped; the published warehouse is unchanged."""


@dataclass(frozen=True)
class BuiltTable:
    name: str
    rows: int
    seconds: float


def build(source: Path, url: str, echo: Callable[[str], None] = print) -> list[BuiltTable]:
    """Build every model from `source` and publish them at `url` in one swap."""
    target = _target_file(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_scratch(target)
    scratch = target.with_name(f".{target.name}{SCRATCH_MARK}{os.getpid()}")
    echo(f"building {len(MODELS)} tables from {source} into {masked_url(url)}")
    try:
        con = ibis.connect(f"{backend_name(url)}://{scratch}")
        try:
            built = _materialize(con, Path(source), echo)
        finally:
            con.disconnect()
        _publish(scratch, target)
    finally:
        _remove(scratch)
    echo(f"published {len(built)} tables to {masked_url(url)}")
    return built


def _materialize(con, source: Path, echo: Callable[[str], None]) -> list[BuiltTable]:
    start = time.perf_counter()
    tables = {RAW_TABLE: load_raw(con, source)}
    echo(_progress(BuiltTable(f"{RAW_TABLE} (checked, not published)", tables[RAW_TABLE].count().execute(),
                              time.perf_counter() - start)))
    gate = Gate(echo)
    gate.run_ready(tables)
    built = []
    for model in MODELS:
        start = time.perf_counter()
        inputs = {name: tables[name] for name in inspect.signature(model).parameters}
        table = con.create_table(model.__name__, model(**inputs))
        if model is stg_fintech_data:  # staging parsed the activity lists: are they well formed?
            check_staged(table, source, numbered_raw(con, source))
        tables[model.__name__] = table
        built.append(BuiltTable(model.__name__, table.count().execute(), time.perf_counter() - start))
        echo(_progress(built[-1]))
        gate.run_ready(tables)
    return built


class Gate:
    """Runs each Great Expectations suite on the scratch build as soon as its tables exist.

    Raw and staging suites run before any later table is built, core and KPI
    suites before the swap; a blocking failure raises GateFailure, so nothing
    is published. Warnings are printed and do not block.
    """

    def __init__(self, echo: Callable[[str], None]):
        start = time.perf_counter()
        from expectations.suites import SUITES

        self.pending = list(SUITES)
        self.echo = echo
        echo(f"gate: {len(SUITES)} expectation suites loaded in {time.perf_counter() - start:.2f} s")

    def run_ready(self, tables) -> None:
        from expectations.gate import GateFailure, report, run_suite

        for suite in [s for s in self.pending if s.tables <= set(tables)]:
            self.pending.remove(suite)
            run = run_suite(suite, tables)
            self.echo(report([run]))
            if run.blocking:
                raise GateFailure([run], report([run]))


def _progress(table: BuiltTable) -> str:
    return f"  {table.name:<42} {table.rows:>12,} rows {table.seconds:8.2f} s"


def _target_file(url: str) -> Path:
    path = database_file(url)
    if path is None:
        raise BuildError(
            f"cannot publish to {masked_url(url)}: only DuckDB and SQLite database files are supported so far"
        )
    return path.resolve()


def _publish(scratch: Path, target: Path) -> None:
    """Make the scratch file durable, then swap it in with one atomic rename."""
    with open(scratch, "rb") as f:
        os.fsync(f.fileno())
    os.replace(scratch, target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _remove(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


def _remove_stale_scratch(target: Path) -> None:
    """Scratch files of builds that were killed: their process is gone."""
    for scratch in target.parent.glob(f".{target.name}{SCRATCH_MARK}*"):
        pid = scratch.name.rsplit(SCRATCH_MARK, 1)[1].split(".")[0]
        if pid.isdigit() and not _alive(int(pid)):
            scratch.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
