"""DuckDB: a database file, in the base package; the in-process engine too (semantic.engines.LOCAL).

Its speed paths: the build's settings and the checking threads (measured on the
10M-account build), lists of numbers read by its JSON reader in staging,
compiled SQL run straight on its connection, and the raw CSV read by DuckDB
itself as a view (pipelines/load.py).
"""

from __future__ import annotations

import contextlib
import functools

from semantic.config import url_path
from semantic.engines.profile import Engine


class DuckDB(Engine):
    def open(self, url: str | None, read_only: bool):
        import ibis
        import sqlglot

        path = url_path(url) if url else None
        if path is not None and read_only:
            # Attached rather than opened by path: DuckDB keeps one instance per path in a process, and that
            # instance goes on reading the file it first opened, so a rebuilt warehouse would never be seen.
            con = ibis.duckdb.connect()
            con.raw_sql(f"ATTACH {sqlglot.exp.Literal.string(str(path)).sql('duckdb')} AS warehouse (READ_ONLY)")
            con.raw_sql("USE warehouse")
            return con
        return ibis.duckdb.connect(str(path) if path else ":memory:")

    def tune_for_build(self, con, memory: str | None) -> None:
        """Settings measured on the 10M-account build (2 cores), each worth seconds there."""
        if memory:
            con.raw_sql(f"SET memory_limit = '{memory}'")  # checked: a size, nothing else (semantic.config)
        # FSST string compression is weighed for every text segment written and almost never chosen here
        # (dictionaries win: the 10M intermediate table is 404 MB with it, 403 MB without); not weighing it
        # takes ~10% off writing a wide table
        con.raw_sql("SET disabled_compression_methods = 'fsst'")

    @contextlib.contextmanager
    def checking_threads(self, con):
        """The gate's checks with twice as many threads as cores, then DuckDB's default again.

        With them the activity fact's grain check (a hash aggregate of 135M distinct keys at 10M accounts)
        takes 10 s instead of 16 (1 s instead of 2 at 1M); 8 threads on 2 cores gave nothing more. The
        tables built with them were no faster, and their final checkpoint 2 s slower: only the checks get them.
        """
        default = con.raw_sql("SELECT current_setting('threads')").fetchone()[0]
        con.raw_sql(f"SET threads = {2 * default}")
        try:
            yield
        finally:
            con.raw_sql(f"SET threads = {default}")

    def list_of_numbers(self, literal, shared, elements):
        """A list of numbers read by DuckDB's JSON reader: the same array, 4x as fast (~7 s at 10M rows).

        A Python list of plain numbers is JSON. The JSON reading is taken only when
        it has one element per comma-separated field (`elements`), so it reads no
        list otherwise than `shared` (the reading every backend shares): an empty
        list or a trailing comma (which JSON tolerates) go the shared way, and where
        the text is not JSON (single quotes), `try` makes it null and `shared` reads
        it. One exception, stricter: nested brackets (`[[1]]`) give a null element,
        so such a list is refused rather than flattened. Every backend's input is
        checked by DuckDB first (pipelines/load.py), so all refuse it.
        """
        import ibis

        from_json, null_on_error = _json_functions()
        as_json = null_on_error(from_json(literal, '["DOUBLE"]'))
        return ibis.ifelse(as_json.length() == elements, as_json, shared)

    def run_compiled(self, con, sql: str, schema):
        """Straight to DuckDB: Ibis would parse the SQL again with sqlglot first (~2.5 ms a query, 12 ms of a
        filter change on the dashboard)."""
        return con.con.sql(sql).to_arrow_table().cast(schema.to_pyarrow())

    def frame(self, con, sql: str, **tables):
        """SQL run straight on an in-process connection (`connect()`), the Arrow `tables` readable by their
        names meanwhile: a pandas DataFrame (the layer finishes its fetched summaries so)."""
        raw = con.con
        for name, table in tables.items():
            raw.register(name, table)
        try:
            return raw.sql(sql).df()
        finally:
            for name in tables:
                raw.unregister(name)


@functools.cache
def _json_functions():
    """DuckDB's from_json and try, as Ibis functions (defined when first asked: Ibis is imported then)."""
    import ibis

    def from_json(text, structure): ...

    def null_on_error(value): ...

    numbers = "array<float64>"
    return (ibis.udf.scalar.builtin(from_json, name="from_json", signature=(("string", "string"), numbers)),
            ibis.udf.scalar.builtin(null_on_error, name="try", signature=((numbers,), numbers)))


PROFILE = DuckDB(
    name="duckdb",
    storage="file",
    file_name="fintech.duckdb",
    reads_csv_itself=True,
    magic=(8, b"DUCK"),
    beside=(".wal", ".tmp"),  # its write-ahead log, and the directory it spills to
)
