"""What an engine is to this project: one profile, the facts and hooks every other module asks instead of its name.

A profile says how a warehouse of that engine is stored ("file", "server" or
"parquet"), which driver it needs and which extra of this package installs it,
what it can do (arrays, a TRANSLATE that deletes characters, ArrayFilter,
temporary tables, a read-only session, a file's magic bytes, ...), how it
connects, how rows stream into it, and its speed paths. Each speed path is a
hook whose default here is the neutral way every engine shares; an engine's
module overrides only what it does faster, with the same results.

Nothing outside `semantic/engines/` compares an engine's name
(tests/semantic/test_engines.py checks): it asks its profile.
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from semantic.config import BadURL, check_path_url, server_address

# Operations an engine may lack in Ibis 12 (Engine.gaps): the names the expectation suites' targets declare
# (expectations/suites.py: requires_operation) and staging asks by meaning.
ARRAY_FILTER = "array filter"
TRANSLATE_TO_NOTHING = "translate to nothing"

STORAGE_KINDS = ("file", "server", "parquet")


class UnsupportedBackend(BadURL):
    """A URL whose backend this project does not build or read."""


class MissingDriver(BadURL):
    """A backend whose driver is not installed (the lean `make serve` environment has DuckDB only)."""


class CannotConnect(ConnectionError):
    """The server at a URL did not answer, or refused the login: the message says which, with the URL masked."""


@dataclass(frozen=True, eq=False)
class Engine:
    """One engine's profile. The fields are facts; the methods are hooks with the neutral default."""

    name: str  # the URL scheme, and Ibis' name of the backend (`con.name`)
    storage: str  # "file", "server" or "parquet" (semantic.backends, pipelines/publish.py)
    aliases: tuple[str, ...] = ()  # other schemes naming the same engine (postgresql://)
    driver: str | None = None  # the module its Ibis backend needs beyond the base package
    extra: str | None = None  # the extra of this package that installs that driver (pyproject.toml)
    dialect: str | None = None  # the SQL dialect Ibis compiles to for it (`ibis.to_sql(..., dialect=)`): its name
    file_name: str = "warehouse"  # what a warehouse of it is called in a folder (Engine.url_in)
    # capabilities
    has_arrays: bool = True  # False: lists are kept as text (semantic/models/lists.py)
    temp_tables: bool = True  # can it hold a temporary table (the raw rows streamed in: pipelines/load.py)
    reads_csv_itself: bool = False  # is the raw table a view of the CSV file, read by the engine itself
    read_only_session: str | None = None  # the statement that makes a session refuse writes
    magic: tuple[int, bytes] | None = None  # (offset, bytes) a database file of it holds
    # what it keeps next to a database file, by suffix of the file's name (a write-ahead log, a journal, ...)
    beside: tuple[str, ...] = ()
    # operations it lacks (ARRAY_FILTER, TRANSLATE_TO_NOTHING): why, and what covers for it
    gaps: Mapping[str, str] = field(default_factory=dict)
    # does `fintech build` write a warehouse with it? A reader of another engine's warehouse names that engine
    builds: bool = True
    built_by: str | None = None

    def __post_init__(self):
        if self.storage not in STORAGE_KINDS:
            raise ValueError(f"{self.name}: storage {self.storage!r} is not one of {STORAGE_KINDS}")
        if self.dialect is None:
            object.__setattr__(self, "dialect", self.name)
        if not self.builds and not self.built_by:
            raise ValueError(f"{self.name}: an engine that only reads names the engine that builds (built_by)")

    # ---- capabilities, by meaning

    @property
    def names(self) -> tuple[str, ...]:
        """Every scheme naming this engine: its name, then its aliases."""
        return (self.name, *self.aliases)

    @property
    def filters_arrays(self) -> bool:
        """Can it filter an array's elements (Ibis' ArrayFilter)?"""
        return ARRAY_FILTER not in self.gaps

    @property
    def deletes_with_translate(self) -> bool:
        """Can its TRANSLATE delete characters (a target string shorter than the source)?"""
        return TRANSLATE_TO_NOTHING not in self.gaps

    def lacks(self, operation: str) -> str | None:
        """Why it cannot run `operation` (and what covers for it), or None when it can."""
        return self.gaps.get(operation)

    def holds_database(self, head: bytes) -> bool:
        """Do a file's first bytes start as a database file of this engine does?"""
        if self.magic is None:
            return False
        offset, magic = self.magic
        return head[offset:offset + len(magic)] == magic

    # ---- where a warehouse of it lives

    def url_in(self, folder: Path | str) -> str | None:
        """The URL of a warehouse of this engine kept in `folder` (a file, or a directory of Parquet files);
        None for a server's, which lives on the server."""
        if self.storage == "server":
            return None
        return f"{self.name}://{Path(folder) / self.file_name}"

    @property
    def example(self) -> str:
        """A URL of this engine, for messages."""
        return self.url_in("/path/to") or f"{self.name}://user@host:5432/database"

    def check_url(self, url: str) -> None:
        """BadURL unless `url` can be read unambiguously, before any driver sees it: a file's or a directory's
        path only; a server's parts (an engine with options checks them too)."""
        if self.storage == "server":
            server_address(url)
        else:
            check_path_url(url, example=self.example)

    def require_driver(self) -> None:
        """MissingDriver, naming the extra that installs it, unless its driver can be imported here."""
        if self.driver and importlib.util.find_spec(self.driver) is None:
            raise MissingDriver(f"the {self.name} backend needs its driver ({self.driver}), which is not installed "
                                f"here: pip install -e '.[{self.extra}]' (make test installs every backend's)")

    # ---- hooks

    def connect(self, url: str | None = None, read_only: bool = False):
        """An Ibis connection to the warehouse at `url` (checked first by semantic.backends.storage); a
        read-only one refuses writes in its session too, where the engine has a statement for it."""
        con = self.open(url, read_only)
        if read_only and self.read_only_session:  # besides the role's own rights (README: a SELECT-only role)
            con.raw_sql(self.read_only_session)
        return con

    def open(self, url: str | None, read_only: bool):
        """The connection itself (connect adds the read-only session): Ibis reads the URL."""
        import ibis

        return ibis.connect(url)

    def stream_in(self, con, name: str, batches):
        """Arrow record batches (never none: the loader refuses a file without rows) into `con` as the table
        `name`, temporary where the engine has temporary tables: they never reach a file or the warehouse."""
        import pyarrow as pa

        first = pa.Table.from_batches([next(batches)])
        table = con.create_table(name, first, temp=self.temp_tables, overwrite=True)
        for batch in batches:
            con.insert(name, pa.Table.from_batches([batch]))
        return table

    def tune_for_build(self, con, memory: str | None) -> None:
        """Settings for a build's connection (`memory`: what it may hold before it spills). None by default."""

    def checking_threads(self, con) -> contextlib.AbstractContextManager:
        """A block in which `con` runs the gate's checks (more threads, where that pays). Nothing by default."""
        return contextlib.nullcontext()

    def list_of_numbers(self, literal, shared, elements):
        """A list literal's numbers (`literal`: the raw text) as an array: `shared`, the reading every engine
        shares, unless the engine reads the same array faster. `elements`: the list's element count."""
        return shared

    def run_compiled(self, con, sql: str, schema):
        """Compiled SQL's rows on `con`, as Arrow with the Ibis `schema`."""
        return con.sql(sql, schema=schema).to_pyarrow()
