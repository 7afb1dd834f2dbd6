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
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import ibis

from expectations import claim_reports_dir
from pipelines import publish, target
from pipelines.load import check_header, confirm_unchanged, fingerprint, load_raw, numbered_raw
from semantic import backends, engines
from semantic.config import masked_url, url_path
from semantic.models.contract import check_staged
from semantic.models.raw import CONTRACT_VERSION, RAW_TABLE
from semantic.models.staging import stg_fintech_data
from semantic.tables import MODELS

if TYPE_CHECKING:
    from expectations.gate import Gate

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
            engines.of(publication.con).tune_for_build(publication.con, memory)
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


def _materialize(publication, source: Path, echo: Callable[[str], None]) -> tuple[list[BuiltTable], Gate]:
    con = publication.con
    engine = engines.of(con)  # its speed paths: the checking threads, the CSV read by the engine itself
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
    with engine.checking_threads(con):
        gate.run_ready(tables)
    built = []
    for model in MODELS:
        start = time.perf_counter()
        inputs = {name: tables[name] for name in inspect.signature(model).parameters}
        table = publication.save(model.__name__, model(**inputs))
        if model is stg_fintech_data and engine.reads_csv_itself:  # read from the file: pipelines/load.py
            confirm_unchanged(con, source, checked)
            # the parsed activity lists: well formed? (on other backends the loader checked them in DuckDB,
            # semantic.engines.LOCAL, before streaming the rows)
            check_staged(table, source, numbered_raw(con, source))
        tables[model.__name__] = table
        built.append(BuiltTable(model.__name__, table.count().execute(), time.perf_counter() - start))
        echo(_progress(built[-1]))
        with engine.checking_threads(con):
            gate.run_ready(tables)
    return built, gate


def _progress(table: BuiltTable) -> str:
    rows = " " * 17 if table.rows is None else f"{table.rows:>12,} rows"
    return f"  {table.name:<42} {rows} {table.seconds:8.2f} s"
