"""Build the warehouse: load, check, materialize every model aside, then publish it in one step.

Where the tables are written aside and how they are swapped in depends on the
storage (pipelines/publish.py); what is built, and the checks that gate it,
are the same on every backend.
"""

from __future__ import annotations

import importlib
import inspect
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import ibis

from expectations import claim_reports_dir
from pipelines import publish, target
from semantic.models.contract import check_staged
from pipelines.load import check_header, confirm_unchanged, fingerprint, load_raw, numbered_raw
from semantic import backends
from semantic.config import masked_url, url_path
from semantic.models.raw import CONTRACT_VERSION
from semantic.models.raw import RAW_TABLE
from semantic.models.staging import stg_fintech_data
from semantic.tables import MODELS

BuildError = publish.PublishError


@dataclass(frozen=True)
class BuiltTable:
    name: str
    rows: int | None  # None: not counted (the raw extract, read again by each count)
    seconds: float


def build(source: Path, url: str, echo: Callable[[str], None] = print, memory: str | None = None,
          wait: float = 0.0) -> list[BuiltTable]:
    """Build every model from `source` and publish them at `url` in one step, with the build marker and the
    gate's validation report.

    Refused before anything is written: a source that cannot be read (ContractViolation), a target that is
    not this product's warehouse (TargetRefused), a target another build holds for longer than `wait`
    seconds (BuildBusy). `memory`: what DuckDB may hold before it spills (semantic/config.py).
    """
    source = Path(source)
    check_header(source)
    target.check_target(url, source)
    claim_reports_dir(backends.reports_dir(url))  # ReportRefused: someone's files where the report goes
    with target.build_lock(url, source, wait=wait, echo=echo):
        target.check_target(url, source)  # again under the lock: another build may have just published
        if backends.storage(url) == "parquet":
            target.claim_directory(url_path(url))
        marker = _marker(source, backends.published_build_id(url))
        echo(f"building {len(MODELS)} tables from {source} into {masked_url(url)} (build {marker['build_id']})")
        publication = publish.begin(url, marker["build_id"])
        try:
            if publication.con.name == "duckdb":
                _tune_duckdb(publication.con, memory)
            built, gate = _materialize(publication, source, echo)
            publication.save(backends.MARKER_TABLE, ibis.memtable([marker]))
            publication.commit()
        except BaseException:
            publication.discard()
            raise
        echo(f"published {len(built)} tables to {masked_url(url)}")
        _write_report(gate.runs, url, marker, echo)  # under the lock: the report of the build just published
    return built


def _marker(source: Path, previous: str | None) -> dict:
    """The build marker row (semantic.backends.MARKER_TABLE): what a later build or report checks."""
    return {"build_id": uuid.uuid4().hex, "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "contract_version": CONTRACT_VERSION, "source": source.name, "previous_build_id": previous or ""}


def _write_report(runs, url: str, marker: dict, echo: Callable[[str], None]) -> None:
    """The gate's runs as this warehouse's validation report and Data Docs (what `fintech validate` writes)."""
    from expectations import ReportRefused
    from expectations.gate import write_results

    try:
        summary = write_results(runs, backends.reports_dir(url), masked_url(url), marker)
    except (ReportRefused, OSError) as e:
        echo(f"validation report not written: {e}")
        return
    echo(f"validation report: {summary} (Data Docs: {summary.parent / 'docs' / 'index.html'})")


def _tune_duckdb(con, memory: str | None) -> None:
    """Settings measured on the 10M-account build (2 cores), each worth seconds there."""
    if memory:
        con.raw_sql(f"SET memory_limit = '{memory}'")  # checked: a size, nothing else
    # FSST string compression is weighed for every text segment written and almost never chosen here
    # (dictionaries win: the 10M intermediate table is 404 MB with it, 403 MB without); not weighing it
    # takes ~10% off writing a wide table
    con.raw_sql("SET disabled_compression_methods = 'fsst'")


@contextmanager
def _checking_threads(con):
    """DuckDB runs the gate's checks with twice as many threads as cores, then goes back to its default.

    With them the activity fact's grain check (a hash aggregate of 135M distinct keys at 10M accounts)
    takes 10 s instead of 16 (1 s instead of 2 at 1M); 8 threads on 2 cores gave nothing more. The
    tables built with them were no faster, and their final checkpoint 2 s slower: only the checks get them.
    """
    if con.name != "duckdb":
        yield
        return
    default = con.raw_sql("SELECT current_setting('threads')").fetchone()[0]
    con.raw_sql(f"SET threads = {2 * default}")
    try:
        yield
    finally:
        con.raw_sql(f"SET threads = {default}")


def _materialize(publication, source: Path, echo: Callable[[str], None]) -> tuple[list[BuiltTable], object]:
    con = publication.con
    # Great Expectations takes ~2.5 s to import: done while the database reads the CSV (it releases the GIL)
    gate_import = threading.Thread(target=importlib.import_module, args=("expectations.gate",), daemon=True)
    gate_import.start()
    start = time.perf_counter()
    checked = fingerprint(source)
    tables = {RAW_TABLE: load_raw(con, source)}
    echo(_progress(BuiltTable(f"{RAW_TABLE} (CSV view, checked)", None, time.perf_counter() - start)))
    gate_import.join()
    from expectations.gate import Gate

    gate = Gate(echo)
    with _checking_threads(con):
        gate.run_ready(tables)
    built = []
    for model in MODELS:
        start = time.perf_counter()
        inputs = {name: tables[name] for name in inspect.signature(model).parameters}
        table = publication.save(model.__name__, model(**inputs))
        if model is stg_fintech_data and con.name == "duckdb":  # read from the file itself: pipelines/load.py
            confirm_unchanged(con, source, checked)
            # the parsed activity lists: well formed? (on other backends the loader checked them in DuckDB
            # before streaming the rows)
            check_staged(table, source, numbered_raw(con, source))
        tables[model.__name__] = table
        built.append(BuiltTable(model.__name__, table.count().execute(), time.perf_counter() - start))
        echo(_progress(built[-1]))
        with _checking_threads(con):
            gate.run_ready(tables)
    return built, gate


def _progress(table: BuiltTable) -> str:
    rows = " " * 17 if table.rows is None else f"{table.rows:>12,} rows"
    return f"  {table.name:<42} {rows} {table.seconds:8.2f} s"
