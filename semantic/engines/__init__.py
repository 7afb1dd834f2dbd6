"""Every engine this project builds and reads, one profile each (semantic/engines/<engine>.py).

    from semantic import engines
    engines.profile("postgresql://u@h/db").storage   # "server"
    engines.of(con).has_arrays                       # an open Ibis connection's engine
    engines.LOCAL.connect()                          # the in-process engine (DuckDB)

`ENGINES` maps each name to its profile, in the order the documentation lists
them; a scheme is a name or an alias (`postgresql` for postgres). `LOCAL` is the
in-process engine: the loader checks every CSV with it before any row reaches
another engine, and the semantic layer answers its fetched summaries in it.

The modules here are the only ones that compare an engine's name; everything
else asks a profile what it means (tests/semantic/test_engines.py checks).
"""

from __future__ import annotations

import re

from semantic.config import backend_name
from semantic.engines import datafusion, duckdb, duckdb_parquet, postgres, pyspark, sqlite
from semantic.engines.profile import (
    ARRAY_FILTER,
    STORAGE_KINDS,
    TRANSLATE_TO_NOTHING,
    CannotConnect,
    Engine,
    MissingDriver,
    UnsupportedBackend,
)

__all__ = ["ARRAY_FILTER", "ENGINES", "LOCAL", "STORAGE_KINDS", "TRANSLATE_TO_NOTHING", "CannotConnect", "Engine",
           "MissingDriver", "UnsupportedBackend", "of", "profile"]

ENGINES: dict[str, Engine] = {
    engine.name: engine
    for engine in (duckdb.PROFILE, sqlite.PROFILE, postgres.PROFILE, datafusion.PROFILE, pyspark.PROFILE,
                   duckdb_parquet.PROFILE)
}
LOCAL: Engine = duckdb.PROFILE


def profile(url_or_name: str) -> Engine:
    """The engine a URL's scheme names (`duckdb:///path`, `postgresql://...`), or a name or alias; UnsupportedBackend
    (a BadURL) for any other, BadURL for text that is neither a URL nor a name."""
    bare = re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", url_or_name)  # a name, as a URL's scheme is written
    name = url_or_name.lower().split("+")[0] if bare else backend_name(url_or_name)
    for engine in ENGINES.values():
        if name in engine.names:
            return engine
    raise UnsupportedBackend(f"unsupported backend {name!r}: use one of {', '.join(sorted(ENGINES))} "
                             f"(as in {LOCAL.example})")


def of(con) -> Engine:
    """The profile of an open Ibis connection's engine."""
    return profile(con.name)
