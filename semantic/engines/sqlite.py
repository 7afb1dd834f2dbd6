"""SQLite: a database file. No array type: staging keeps each activity list as text (semantic/models/lists.py)."""

from __future__ import annotations

from semantic.engines.profile import ARRAY_FILTER, TRANSLATE_TO_NOTHING, Engine

PROFILE = Engine(
    name="sqlite",
    storage="file",
    driver="regex",  # Ibis' SQLite functions need it (ibis-framework[sqlite])
    extra="sqlite",
    file_name="fintech.sqlite",
    has_arrays=False,
    read_only_session="PRAGMA query_only = ON",
    magic=(0, b"SQLite format 3\x00"),
    beside=("-journal", "-wal", "-shm"),
    gaps={
        ARRAY_FILTER: "SQLite has no arrays; the loader ran these checks in DuckDB before loading",
        TRANSLATE_TO_NOTHING: "Ibis' SQLite TRANSLATE (a Python function) cannot delete characters: "
                              "staging chains REPLACEs instead",
    },
)
