"""CSV -> raw table, with the contract's refusals, on any backend.

The one place that knows how a CSV is read. DuckDB (semantic.engines.LOCAL,
the in-process engine) reads it with the contract's types (no pandas round
trip); values that cannot be typed are collected by the reader's reject tables
with their line numbers. On an engine that reads the CSV itself (DuckDB:
`reads_csv_itself`) the raw table is a view of the file, which staging reads
directly. On every other backend the same DuckDB reader and the same checks
run in memory first, then the typed rows stream into the backend as Arrow
batches (each engine's `stream_in`): one set of typing rules and refusals for
all. There the raw table is temporary wherever the backend allows: it holds
the customer address, so it never reaches the published warehouse.
"""

from __future__ import annotations

import csv
import errno
import io
import os
import stat
from pathlib import Path

import ibis.expr.types as ir

from semantic import engines
from semantic.models.contract import (
    MAX_EXAMPLES,
    ContractViolation,
    Problem,
    check_staged,
    count_offending,
    numbered,
    raise_broken,
    raw_rules,
)
from semantic.models.raw import RAW_COLUMN_NAMES, RAW_COLUMNS, RAW_TABLE
from semantic.models.staging import stg_fintech_data

_DUCKDB_TYPES = {"int64": "BIGINT", "float64": "DOUBLE", "string": "VARCHAR", "list": "VARCHAR"}
_DUCKDB_CSV_OPTIONS = dict(header=True, auto_detect=False, delim=",", quote='"', escape='"', strict_mode=True)
_HEADER_BYTES = 1 << 20
RAW_TEXT = "raw_csv_text"  # the extract read as text, for the checks
BATCH_ROWS = 100_000  # rows per Arrow batch streamed into a non-DuckDB backend


def load_raw(con, source: Path) -> ir.Table:
    """`source` as `raw_fintech_data` of `con` (a view on DuckDB, else a temporary table), refusing what
    breaks the contract.

    Raises ContractViolation (naming the file, the column, the rule and a few
    offending lines) when the input cannot be typed as the contract says. On
    DuckDB, call `confirm_unchanged` once staging has read the view.
    """
    source = Path(source)
    check_header(source)
    if engines.of(con).reads_csv_itself:
        return _read_checked(con, source)
    checked = fingerprint(source)
    reader = engines.LOCAL.connect()
    try:
        raw = _read_checked(reader, source)
        # The build checks the parsed activity lists on DuckDB itself; here, before a row leaves the reader,
        # with the staging suite's list checks too (some backends cannot run them: no arrays to filter).
        staged = reader.create_table("stg_lists_check", stg_fintech_data(raw), temp=True)
        check_staged(staged, source, numbered_raw(reader, source))
        check_lists_suite(staged)
        streamed = stream(raw, con, RAW_TABLE)
        confirm_unchanged(reader, source, checked)
        return streamed
    finally:
        reader.disconnect()


def check_lists_suite(staged: ir.Table) -> None:
    """The staging suite's targets that need array operations, run on the reader's staging: GateFailure if broken."""
    from expectations import GateFailure
    from expectations.gate import report, run_suite
    from expectations.suites import STAGING, Suite

    run = run_suite(Suite(STAGING.name, [t for t in STAGING.targets if t.requires_operation]),
                    {"stg_fintech_data": staged})
    if run.blocking:
        raise GateFailure([run], report([run]))


def stream(table: ir.Table, con, name: str) -> ir.Table:
    """Copy `table` into `con` as a temporary `name`, in Arrow batches: it never reaches a file or the warehouse
    (how the batches go in is the engine's: semantic/engines/, `stream_in`)."""
    return engines.of(con).stream_in(con, name, table.to_pyarrow_batches(chunk_size=BATCH_ROWS))


def _read_checked(con, source: Path) -> ir.Table:
    """The CSV as the view `raw_fintech_data`, its every value first checked as written.

    The checks read the file once in full as text (`raw_csv_text`: every value as written, so that a rule,
    not DuckDB's typed reader, says what a number is; every column parsed, so the reader's reject
    tables then hold every line it cannot split). The view reads it with the contract's types: what
    the rules let through, it reads as they do. Not a table: storing 10M raw rows cost more than every
    later read of the file (46 s, spilled to disk, against 6 s to scan it), and the address is then
    stored nowhere at all. Each model that reads the view reads the file again; `confirm_unchanged`
    then tells whether it was the file checked.
    """
    # No table of the build depends on row order, and keeping it costs time and memory
    # (only the re-read that finds offending line numbers needs it: see numbered_raw).
    con.raw_sql("SET preserve_insertion_order = false")
    text = _duckdb_csv(con, source, RAW_TEXT, as_text=True)
    rules = raw_rules()
    counts = count_offending(rules, text, **{f"parsed_{i}": text[c].count() for i, c in enumerate(RAW_COLUMN_NAMES)})
    _raise_on_rejects(con, source)
    if counts["rows"] == 0:
        raise ContractViolation(source, [Problem(None, "has a header but no data rows")])
    raise_broken(rules, counts, source, numbered_raw(con, source))
    return _duckdb_csv(con, source, RAW_TABLE)


def fingerprint(source: Path) -> tuple:
    """What tells that a file was changed: its size and modification time."""
    status = Path(source).stat()
    return status.st_size, status.st_mtime_ns


def confirm_unchanged(con, source: Path, checked: tuple) -> None:
    """Refuse the build if `source` changed since its `fingerprint` was `checked`, or a later read of it
    met a line the reader could not type (a read skips such lines: they would be lost silently)."""
    _raise_on_rejects(con, source)
    if fingerprint(source) != checked:
        raise ContractViolation(source, [Problem(None, "changed while the build was reading it: build again "
                                                       "once the file is complete")])


def numbered_raw(con, source: Path):
    """A callable giving the raw rows as text with their CSV line: read again, only to report offending lines."""

    def lines() -> ir.Table:
        con.raw_sql("SET preserve_insertion_order = true")  # row_number() must follow the file's order
        return numbered(_duckdb_csv(con, source, "raw_csv_numbered", as_text=True))

    return lines


def _duckdb_csv(con, source: Path, view: str, as_text: bool = False) -> ir.Table:
    """`source` as the view `view`: with the contract's types, or every column as text (`as_text`)."""
    columns = {c.name: "VARCHAR" if as_text else _DUCKDB_TYPES[c.dtype] for c in RAW_COLUMNS}
    return con.read_csv(str(source), table_name=view, columns=columns, store_rejects=True, **_DUCKDB_CSV_OPTIONS)


def _raise_on_rejects(con, source: Path) -> None:
    """Turn the rows DuckDB's reader could not type into one Problem per column."""
    rejects = con.table("reject_errors")
    per_column = (
        rejects.group_by(["column_name", "error_type"])
        .aggregate(count=rejects.count(), first_line=rejects.line.min())
        .order_by("first_line")
        .to_pyarrow()
        .to_pylist()
    )
    if not per_column:
        return
    problems = []
    for group in per_column:
        these = rejects.filter(
            (rejects.column_name.isnull() if group["column_name"] is None
             else rejects.column_name == group["column_name"])
            & (rejects.error_type == group["error_type"])
        )
        examples = these.order_by("line").select("line", "error_message").limit(MAX_EXAMPLES).to_pyarrow().to_pylist()
        problems.append(
            Problem(
                group["column_name"],
                _REJECT_RULES.get(group["error_type"], group["error_type"]),
                group["count"],
                [f"line {e['line']}: {_first_sentence(e['error_message'])}" for e in examples],
            )
        )
    raise ContractViolation(source, problems)


_REJECT_RULES = {
    "CAST": "must hold a value of the contract's type (a number where the contract says number)",
    "MISSING COLUMNS": "every line must have all 34 fields (a line is short: truncated?)",
    "TOO MANY COLUMNS": "every line must have exactly 34 fields",
    "UNQUOTED VALUE": "a quoted field is not closed properly (a truncated or broken line?)",
    "LINE SIZE OVER MAXIMUM": "a line is too long",
    "INVALID UNICODE": "must be UTF-8 text",
    "INVALID ENCODING": "must be UTF-8 text",
}


def _first_sentence(message: str | None) -> str:
    return (message or "").split("\n")[0].strip()


def check_header(source: Path | str) -> None:
    """The file can be read, is a text CSV, and its header is the contract's 34 columns in order.

    Any source that is not a readable regular file is refused here, naming the path: missing, a
    directory, a dangling link or a link loop, a pipe or a device (the build reads the file more than
    once), unreadable. Nothing else is opened before this passes (pipelines/build.py).
    """
    source = Path(source)
    head = _head(source)
    if not head.strip():
        raise ContractViolation(source, [Problem(None, "is empty: expected a header with the 34 contract columns")])
    if b"\x00" in head:
        raise ContractViolation(source, [Problem(None, "is not a text CSV file: it contains binary (NUL) bytes")])
    first_line = head.splitlines()[0]
    try:
        text = first_line.decode("utf-8-sig")
        header = next(csv.reader(io.StringIO(text)))
    except (UnicodeDecodeError, csv.Error, StopIteration):
        problem = Problem(None, "is not a UTF-8 CSV file: its first line is not a header")
        raise ContractViolation(source, [problem]) from None
    problems = _header_problems([h.strip() for h in header])
    if problems:
        raise ContractViolation(source, problems)


def _head(source: Path) -> bytes:
    """The first bytes of `source`, or ContractViolation saying why it cannot be read as a file."""

    def refused(why: str) -> ContractViolation:
        return ContractViolation(source, [Problem(None, why)])

    try:
        status = os.stat(source)  # follows links
    except OSError as e:
        raise refused(_unreadable(source, e)) from None
    except ValueError:  # a NUL byte in the path (from Python: a command line cannot hold one)
        raise refused("is not a valid path") from None
    if stat.S_ISDIR(status.st_mode):
        raise refused("is a directory, not a CSV file")
    if not stat.S_ISREG(status.st_mode):
        raise refused("is not a regular file (a pipe, device or socket?): the build reads its source more "
                      "than once, so it must be a file")
    try:
        # O_NONBLOCK: were the file swapped for a FIFO since the stat, opening it must not wait for a writer
        fd = os.open(source, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise refused("is not a regular file (a pipe, device or socket?)")
            return f.read(_HEADER_BYTES)
    except OSError as e:
        raise refused(_unreadable(source, e)) from None


def _unreadable(source: Path, error: OSError) -> str:
    if error.errno == errno.ENOENT:
        return ("is a symbolic link to a missing file" if source.is_symlink()
                else "does not exist")
    if error.errno == errno.ELOOP:
        return "cannot be read: a loop of symbolic links"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "cannot be read: permission denied"
    if error.errno == errno.ENOTDIR:
        return "does not exist: a part of its path is not a directory"
    if error.errno == errno.EISDIR:
        return "is a directory, not a CSV file"
    return f"cannot be read: {error.strerror or type(error).__name__}"


def _header_problems(header: list[str]) -> list[Problem]:
    expected = list(RAW_COLUMN_NAMES)
    if not set(header) & set(expected):
        # Its values are not shown: a data row in place of the header would hold personal data.
        return [Problem(None, "first line is not the contract's header: none of the 34 column names found "
                              "(header missing, or not this extract?)",
                        examples=[f"line 1: {len(header)} field(s), none of them a contract column name"])]
    missing = [c for c in expected if c not in header]
    unexpected = [c for c in header if c not in expected]
    problems = [Problem(c, "required column is missing from the header") for c in missing]
    problems += [
        Problem(c, "is not a contract column (renamed or extra?)", examples=[f"line 1, field {header.index(c) + 1}"])
        for c in unexpected
    ]
    duplicated = sorted({c for c in header if header.count(c) > 1})
    problems += [Problem(c, "appears more than once in the header") for c in duplicated]
    if not problems and header != expected:
        first = next(i for i, (h, e) in enumerate(zip(header, expected)) if h != e)
        rule = f"columns must be in the contract's order: field {first + 1} should be {expected[first]!r}"
        problems.append(Problem(header[first], rule))
    return problems
