"""One profile per engine (semantic/engines/): no engine name is tested outside those modules, and the registry
holds what the project says of each engine (its aliases, storage, driver and extra, capabilities, the order)."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

from semantic import backends, config, engines

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("fintech", "dashboard", "pipelines", "expectations", "semantic")
ENGINES_DIR = ROOT / "semantic" / "engines"
NAMES = frozenset(name for engine in engines.ENGINES.values() for name in engine.names)
# what an open Ibis connection is called where it is asked its engine
CONNECTIONS = ("con", "conn", "connection", "backend", "_backend", "reader")


# ---- (a) no engine is asked by name outside semantic/engines/

def _is_name(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.lower() in NAMES


def _is_connection(node: ast.AST) -> bool:
    """`con`, `self.con`, `publication.con`, `reader`, `ibis.get_backend(...)`: an Ibis connection, by its name."""
    if isinstance(node, ast.Call):
        function = node.func
        called = function.attr if isinstance(function, ast.Attribute) else function.id if isinstance(function, ast.Name) \
            else ""
        return called in ("get_backend", "_find_backend")
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    return name in CONNECTIONS or name.endswith("_con")


def _is_engine_name_of_connection(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "name" and _is_connection(node.value)


def _names_an_engine(text: str) -> bool:
    """An engine's name or alias, alone or as a bare URL scheme (`duckdb`, `DuckDB`, `duckdb:`, `postgresql://`):
    what a test of an engine compares; an example URL in a message (`duckdb:///path/to/it`) is not one."""
    return text.lower() in NAMES | {f"{name}{end}" for name in NAMES for end in (":", "://")}


def engine_names_asked(source: str) -> list[tuple[int, str]]:
    """(line, what) for each place `source` asks an engine by its name: a string that is an engine's name or
    alias or a URL scheme of one (compared, a dict key, a set element, a call's argument, a `case`, a constant
    kept for later), outside f-strings (a URL written from its parts); a connection's `.name` compared or looked
    up; Ibis' backend module named (`ibis.duckdb`, `getattr(ibis, ...)`), or an engine's module imported
    (`import duckdb`, `from ibis.backends.duckdb import Backend`)."""
    found = []
    tree = ast.parse(source)
    in_fstrings = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in in_fstrings \
                and _names_an_engine(node.value):
            found.append((node.lineno, "an engine's name written"))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr" \
                and node.args and isinstance(node.args[0], ast.Name) and node.args[0].id == "ibis":
            found.append((node.lineno, "an Ibis backend looked up by name"))
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(_is_name(o) for o in operands):
                found.append((node.lineno, "compared with an engine's name"))
            if any(_is_engine_name_of_connection(o) for o in operands):
                found.append((node.lineno, "a connection's .name compared"))
        elif isinstance(node, ast.Dict) and any(key is not None and _is_name(key) for key in node.keys):
            found.append((node.lineno, "an engine's name as a dict key"))
        elif isinstance(node, (ast.Set, ast.Tuple, ast.List)) and any(_is_name(e) for e in node.elts):
            found.append((node.lineno, "an engine's name in a set, tuple or list"))
        elif isinstance(node, ast.Call):
            if any(_is_name(a) for a in [*node.args, *(k.value for k in node.keywords)]):
                found.append((node.lineno, "an engine's name passed to a call"))
            if any(_is_engine_name_of_connection(a) for a in [*node.args, *(k.value for k in node.keywords)]):
                found.append((node.lineno, "a connection's .name passed to a call"))
            if isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args \
                    and _is_engine_name_of_connection(node.args[0]):
                found.append((node.lineno, "a connection's .name looked up"))
        elif isinstance(node, ast.Subscript) and _is_engine_name_of_connection(node.slice):
            found.append((node.lineno, "a connection's .name looked up"))
        elif isinstance(node, ast.Attribute) and node.attr in NAMES and isinstance(node.value, ast.Name) \
                and node.value.id == "ibis":
            found.append((node.lineno, f"Ibis' {node.attr} backend named"))
        elif isinstance(node, ast.Import) and any(NAMES & set(a.name.split(".")) for a in node.names):
            found.append((node.lineno, "an engine's module imported"))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and NAMES & set((node.module or "").split(".")):
            found.append((node.lineno, "an engine's module imported"))
    return sorted(found)


def checked_modules() -> list[Path]:
    """Every module of the packages but the engines' own (bench/ and tests/ are not checked)."""
    return [path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
            if not path.is_relative_to(ENGINES_DIR)]


def test_the_check_finds_each_way_of_asking_an_engine_by_name():
    source = """
import duckdb
from pyspark.sql import SparkSession
if con.name == "duckdb": pass
if self.con.name != "DuckDB": pass
if name in ("postgres", "postgresql"): pass
if backend_name(url) not in {"duckdb", "sqlite"}: pass
READ_ONLY = {"sqlite": "PRAGMA query_only = ON"}
LACKING.get(con.name, {})
SESSION[publication.con.name]
ibis.to_sql(expression, dialect="duckdb")
ibis.datafusion.connect()
if ibis.get_backend(table).name == kind: pass
from ibis.backends.duckdb import Backend
getattr(ibis, name).connect()
match kind:
    case "sqlite": pass
DEFAULT = engines.ENGINES["pyspark"]
if url.startswith("duckdb:"): pass
if conn.name in NAMES: pass
if self._backend.name == other: pass
if t._find_backend().name == other: pass
ibis.to_sql(expression, dialect=self.con.name)
"""
    assert sorted({line for line, _ in engine_names_asked(source)}) == [*range(2, 16), *range(17, 24)]  # each but `match`
    assert engine_names_asked("if entry.name != '.lock': pass\nurl = f'duckdb://{path}'\nmessage = 'use duckdb'\n"
                              "engine = engines.of(con)\nif engine.has_arrays: pass\n") == []


def test_no_engine_name_is_tested_outside_the_engines_modules():
    modules = checked_modules()
    assert len(modules) > 40 and ROOT / "semantic" / "backends.py" in modules
    found = {str(path.relative_to(ROOT)): engine_names_asked(path.read_text()) for path in modules}
    assert {path: places for path, places in found.items() if places} == {}


# ---- (b) the registry

def test_the_engines_in_their_order():
    assert list(engines.ENGINES) == ["duckdb", "sqlite", "postgres", "datafusion", "pyspark", "duckdb-parquet"]
    assert all(name == engine.name for name, engine in engines.ENGINES.items())
    assert engines.LOCAL is engines.ENGINES["duckdb"]


def test_each_module_declares_its_engine():
    modules = {path.stem for path in ENGINES_DIR.glob("*.py")} - {"__init__", "profile"}
    assert modules == {name.replace("-", "_") for name in engines.ENGINES}  # a module name has no '-'



def test_names_and_aliases():
    assert {engine.name: engine.aliases for engine in engines.ENGINES.values()} == {
        "duckdb": (), "sqlite": (), "postgres": ("postgresql",), "datafusion": (), "pyspark": (),
        "duckdb-parquet": ()}
    assert engines.profile("postgresql://u@h/db") is engines.profile("postgres") is engines.ENGINES["postgres"]
    assert engines.profile("PostgreSQL+psycopg://u@h/db") is engines.ENGINES["postgres"]
    for name, engine in engines.ENGINES.items():
        assert engines.profile(name) is engine
        assert engines.profile(engine.url_in("/tmp/w") or f"{name}://u@h/db") is engine


def test_an_unknown_engine_is_refused_as_before():
    with pytest.raises(engines.UnsupportedBackend) as refused:
        engines.profile("nosuch://x")
    assert isinstance(refused.value, config.BadURL)
    assert str(refused.value) == ("unsupported backend 'nosuch': use one of datafusion, duckdb, duckdb-parquet, postgres, "
                                  "pyspark, sqlite (as in duckdb:///path/to/fintech.duckdb)")
    assert backends.UnsupportedBackend is engines.UnsupportedBackend  # what callers of semantic.backends catch
    with pytest.raises(config.BadURL, match="not a backend URL"):
        engines.profile("just/a/path.duckdb")


def test_storage_kinds():
    assert {name: engine.storage for name, engine in engines.ENGINES.items()} == {
        "duckdb": "file", "sqlite": "file", "postgres": "server", "datafusion": "parquet", "pyspark": "parquet",
        "duckdb-parquet": "parquet"}
    for name, engine in engines.ENGINES.items():
        url = engine.url_in(Path("/tmp/folder"))
        assert (url is None) == (engine.storage == "server"), name
        if url:
            assert url.startswith(f"{name}:///tmp/folder/")


def test_the_drivers_extras_are_pyproject_s():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    for name, engine in engines.ENGINES.items():
        if engine.extra is None:  # in the base package (`make serve` installs no extra)
            # the Ibis backend it runs on (its dialect: duckdb-parquet is DuckDB's) comes with the base package
            assert engine.driver is None and f"ibis-framework[{engine.dialect}]" in " ".join(project["dependencies"]), \
                name
            continue
        assert engine.driver and engine.extra in extras, name
        assert any(requirement.startswith(f"ibis-framework[{name}]") for requirement in extras[engine.extra]), name
    assert set(extras) == {e.extra for e in engines.ENGINES.values() if e.extra} | {"dev"}
    assert {name: (e.driver, e.extra) for name, e in engines.ENGINES.items()} == {
        "duckdb": (None, None), "sqlite": ("regex", "sqlite"), "postgres": ("psycopg", "postgres"),
        "datafusion": ("datafusion", "datafusion"), "pyspark": ("pyspark", "spark"), "duckdb-parquet": (None, None)}


def test_every_driver_is_installed_here():
    """`make test` installs every extra: no engine is missing its driver in the test environment."""
    for engine in engines.ENGINES.values():
        engine.require_driver()


def test_the_capabilities():
    table = {name: (e.has_arrays, e.filters_arrays, e.deletes_with_translate, e.temp_tables, e.reads_csv_itself,
                    e.read_only_session is not None, e.magic is not None)
             for name, e in engines.ENGINES.items()}
    assert table == {
        #              arrays filter translate temp   csv    read-only magic
        "duckdb":     (True, True, True, True, True, False, True),
        "sqlite":     (False, False, False, True, False, True, True),
        "postgres":   (True, True, True, True, False, True, False),
        "datafusion": (True, False, True, False, False, False, False),
        "pyspark":    (True, True, True, True, False, False, False),
        "duckdb-parquet": (True, True, True, True, True, False, False),
    }
    for engine in engines.ENGINES.values():
        assert (engine.magic is not None) == (engine.storage == "file"), engine.name  # inspect reads a file's
        assert engine.lacks(engines.ARRAY_FILTER) == (None if engine.filters_arrays else engine.gaps["array filter"])
        assert set(engine.gaps) <= {engines.ARRAY_FILTER, engines.TRANSLATE_TO_NOTHING}


def test_an_open_connection_s_engine():
    import ibis

    for connect, engine in ((ibis.duckdb.connect, engines.LOCAL), (ibis.sqlite.connect, engines.ENGINES["sqlite"]),
                            (ibis.datafusion.connect, engines.ENGINES["datafusion"])):
        con = connect()
        try:
            assert engines.of(con) is engine
            assert backends.has_arrays(con) == engine.has_arrays
            assert backends.lacks(con, engines.ARRAY_FILTER) == engine.lacks(engines.ARRAY_FILTER)
        finally:
            con.disconnect()


def test_the_in_process_engine():
    """What the loader checks every CSV with, and the layer answers its fetched summaries in."""
    import ibis
    import pyarrow as pa

    con = engines.LOCAL.connect()
    try:
        assert engines.of(con) is engines.LOCAL and con.list_tables() == []
        summary = pa.table({"balance": [1.0, 2.0, 4.0]})
        sql = ibis.to_sql(ibis.table({"balance": "float64"}, name="summary").balance.sum().name("total"),
                          dialect=engines.LOCAL.dialect)
        assert engines.LOCAL.frame(con, str(sql), summary=summary).total.tolist() == [7.0]
        assert con.list_tables() == []  # the tables were readable only while the SQL ran
        assert engines.LOCAL.run_compiled(con, "SELECT 7.0 AS total", ibis.schema({"total": "float64"})) \
            .to_pylist() == [{"total": 7.0}]
    finally:
        con.disconnect()


def test_a_database_file_is_known_by_its_first_bytes(tmp_path):
    import ibis

    for name in ("duckdb", "sqlite"):
        engine = engines.ENGINES[name]
        path = tmp_path / engine.file_name
        con = getattr(ibis, name).connect(str(path))
        con.create_table("t", ibis.memtable({"x": [1]}))
        con.disconnect()
        head = path.read_bytes()[:16]
        assert [e.name for e in engines.ENGINES.values() if e.holds_database(head)] == [name]
