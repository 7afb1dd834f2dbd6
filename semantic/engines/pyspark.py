"""Spark: an engine over a directory of Parquet files, in local mode on this machine unless
FINTECH_SPARK_MASTER names a cluster. Its temporary tables are views of in-memory DataFrames."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from semantic.config import url_path
from semantic.engines.profile import Engine

SPARK_MASTER_ENV = "FINTECH_SPARK_MASTER"


class PySpark(Engine):
    def open(self, url: str | None, read_only: bool):
        import ibis

        return ibis.pyspark.connect(spark_session(url_path(url) if url else None))

    def stream_in(self, con, name: str, batches):
        """A view of one in-memory DataFrame, built once from all the batches."""
        import ibis

        return con.create_view(name, ibis.memtable(batches.read_all()), overwrite=True)


def spark_session(root: Path | None = None):
    """A Spark session: local mode on this machine unless FINTECH_SPARK_MASTER names a cluster (spark://...).

    Its own catalog stays beside the warehouse (`<root>/spark-catalog`), never in the working directory;
    the warehouse itself is the Parquet directory, read by path.
    """
    from pyspark.sql import SparkSession

    catalog = (root or Path(tempfile.gettempdir())).resolve() / "spark-catalog"

    master = os.environ.get(SPARK_MASTER_ENV, "local[2]")
    session = (SparkSession.builder.master(master).appName("fintech")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.shuffle.partitions", "4")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")  # fetches and in-memory tables
               .config("spark.sql.warehouse.dir", str(catalog / "warehouse"))
               .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={catalog}")
               .getOrCreate())
    session.sparkContext.setLogLevel("FATAL")  # errors reach Python as exceptions; the JVM's logs are noise
    return session


PROFILE = PySpark(
    name="pyspark",
    storage="parquet",
    driver="pyspark",
    extra="spark",  # and Java 17
)
