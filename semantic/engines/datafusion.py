"""DataFusion: an engine over a directory of Parquet files; it keeps every table in memory and has no
temporary ones."""

from __future__ import annotations

from semantic.engines.profile import ARRAY_FILTER, Engine


class DataFusion(Engine):
    def open(self, url: str | None, read_only: bool):
        import ibis

        return ibis.datafusion.connect()


PROFILE = DataFusion(
    name="datafusion",
    storage="parquet",
    driver="datafusion",
    extra="datafusion",
    temp_tables=False,
    gaps={ARRAY_FILTER: "no ArrayFilter in Ibis' DataFusion compiler; the loader ran these checks in DuckDB "
                        "before loading"},
)
