"""DuckDB over a directory of Parquet files: a Parquet warehouse (one Spark built on a cluster, or DataFusion)
read by the in-process DuckDB, with no cluster and no other engine running.

The directory is the one the Parquet engines publish (`<dir>/current/<table>.parquet`, swapped in one step:
pipelines/publish.py), so `fintech serve --backend duckdb-parquet:///dir` serves the warehouse
`fintech build --backend pyspark:///dir` built: the same tables, build marker and validation report, at
DuckDB's speed. It reads only (`builds` is False): the build is the Parquet engine's. The connection is
DuckDB's own (`con.name` is "duckdb"), so every capability and speed path is DuckDB's.
"""

from __future__ import annotations

from semantic.engines.duckdb import DuckDB


class DuckDBOverParquet(DuckDB):
    def open(self, url: str | None, read_only: bool):
        """An in-memory DuckDB: the warehouse's Parquet files are registered by name when it is opened
        (semantic.backends.open_warehouse), never copied."""
        import ibis

        return ibis.duckdb.connect()


PROFILE = DuckDBOverParquet(
    name="duckdb-parquet",
    storage="parquet",
    dialect="duckdb",
    reads_csv_itself=True,
    builds=False,
    built_by="pyspark",
)
