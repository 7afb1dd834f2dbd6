"""A build never writes over what is not this product's warehouse (issue 14, part 1), and refusals of the
source are refusals (part 7): exit 2, the file named, nothing written, whatever was there byte-identical."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from pathlib import Path

import duckdb
import pytest

from pipelines.build import build
from pipelines.target import TargetRefused
from semantic.backends import DIRECTORY_MARK
from semantic.models.contract import ContractViolation
from tests.conftest import SAMPLE_CSV, build_warehouse, copy_published, run_fintech, warehouse_url


def tree_digest(root: Path) -> dict[str, str]:
    """Every entry under `root` (names, symlink targets, file bytes): what 'untouched' means for a folder."""
    found = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        if path.is_symlink():
            found[key] = "-> " + os.readlink(path)
        elif path.is_file():
            found[key] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            found[key] = "dir"
    return found


def _someones_duckdb(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.sql("CREATE TABLE notes AS SELECT 'mine' AS text")


def _someones_sqlite(path: Path) -> None:
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE dim_customer (customer_id INTEGER)")


def _someones_directory(path: Path) -> None:
    path.mkdir()
    (path / "report.parquet").write_bytes(b"PAR1 not ours")
    (path / "current").mkdir()


# (name, backend scheme, what is at the target before the build, target is a directory?)
FOREIGN_TARGETS = {
    "duckdb over the source csv": ("duckdb", "source", False),
    "duckdb over a text file": ("duckdb", lambda p: p.write_text("my notes\n"), False),
    "duckdb over an empty file": ("duckdb", lambda p: p.write_bytes(b""), False),
    "duckdb over a duckdb database without the marker": ("duckdb", _someones_duckdb, False),
    "duckdb over a sqlite database": ("duckdb", _someones_sqlite, False),
    "duckdb over a directory": ("duckdb", lambda p: p.mkdir(), True),
    "duckdb over a symlink to the source": ("duckdb", "symlink to source", False),
    "sqlite over the source csv": ("sqlite", "source", False),
    "sqlite over a foreign sqlite database": ("sqlite", _someones_sqlite, False),
    "sqlite over a duckdb warehouse file": ("sqlite", "duckdb warehouse", False),
    "datafusion over a directory of other files": ("datafusion", _someones_directory, True),
    "datafusion over a file": ("datafusion", lambda p: p.write_text("x"), False),
    "datafusion over the source csv": ("datafusion", "source", False),
    "pyspark over a directory of other files": ("pyspark", _someones_directory, True),
}


@pytest.fixture(scope="module")
def duckdb_warehouse(published_sample, tmp_path_factory):
    return copy_published(published_sample, tmp_path_factory.mktemp("ours"))[0]


@pytest.mark.parametrize("case", list(FOREIGN_TARGETS))
def test_a_target_that_is_not_a_warehouse_is_refused_untouched(case, tmp_path, duckdb_warehouse):
    scheme, make, _ = FOREIGN_TARGETS[case]
    folder = tmp_path / "folder"
    folder.mkdir()
    source = folder / "extract.csv"
    shutil.copy(SAMPLE_CSV, source)
    target = folder / "target"
    if make == "source":
        target = source
    elif make == "symlink to source":
        target.symlink_to(source)
    elif make == "duckdb warehouse":
        shutil.copy(duckdb_warehouse, target)
    else:
        make(target)
    before = tree_digest(folder)

    with pytest.raises(TargetRefused) as refused:
        build(source, f"{scheme}://{target}", echo=lambda line: None)

    assert str(target) in str(refused.value)
    assert tree_digest(folder) == before  # nothing written: no scratch file, no lock, no version directory


def test_the_command_refuses_with_exit_2_naming_the_file(tmp_path):
    source = tmp_path / "x.csv"
    shutil.copy(SAMPLE_CSV, source)
    notes = tmp_path / "notes.csv"
    notes.write_text("do not lose me\n")
    for target in (source, notes):
        before = target.read_bytes()
        result = run_fintech("build", "--source", str(source), "--backend", f"duckdb://{target}")
        assert result.returncode == 2, result.stderr
        assert f"refused {target}" in result.stderr and "Traceback" not in result.stderr
        assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.csv", "x.csv"]


def test_a_warehouse_of_ours_is_rebuilt_in_place(tmp_path):
    target = build_warehouse(SAMPLE_CSV, tmp_path / "w.duckdb")
    first = _marker(target)
    build_warehouse(SAMPLE_CSV, target)
    second = _marker(target)
    assert second["build_id"] != first["build_id"] and second["contract_version"] == first["contract_version"]
    assert second["source"] == SAMPLE_CSV.name


def test_a_parquet_directory_is_claimed_when_new_or_empty(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for directory in (empty, empty):  # the second: ours now, rebuilt in place
        result = run_fintech("build", "--backend", f"datafusion://{directory}")
        assert result.returncode == 0, result.stderr
        assert (directory / DIRECTORY_MARK).is_file() and (directory / "current").is_symlink()
    inside = empty / "extract.csv"
    shutil.copy(SAMPLE_CSV, inside)
    with pytest.raises(TargetRefused, match="inside the warehouse directory"):
        build(inside, f"datafusion://{empty}", echo=lambda line: None)


def _marker(path: Path) -> dict:
    with duckdb.connect(str(path), read_only=True) as con:
        row = con.sql("SELECT * FROM fintech_build").fetchall()
        columns = [d[0] for d in con.sql("SELECT * FROM fintech_build").description]
    assert len(row) == 1
    return dict(zip(columns, row[0]))


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _loop(path: Path) -> None:
    path.symlink_to(path)


# A source that cannot be read at all: the exit-2 refusal naming it, never "build failed (FileNotFoundError)".
UNREADABLE_SOURCES = {
    "missing": lambda p: None,
    "a directory": lambda p: p.mkdir(),
    "a symlink loop": _loop,
    "a dangling symlink": lambda p: p.symlink_to(p.parent / "gone.csv"),
    "a fifo": _fifo,
}


@pytest.mark.parametrize("case", list(UNREADABLE_SOURCES))
def test_a_source_that_cannot_be_read_is_refused(case, tmp_path, published):
    target, digest, _ = published
    source = tmp_path / "extract.csv"
    UNREADABLE_SOURCES[case](source)
    with pytest.raises(ContractViolation) as refused:
        build(source, warehouse_url(target), echo=lambda line: None)
    assert str(source) in refused.value.report()
    assert hashlib.sha256(target.read_bytes()).hexdigest() == digest


def test_a_missing_source_exits_2(tmp_path, published):
    target, digest, _ = published
    result = run_fintech("build", "--source", str(tmp_path / "nowhere.csv"), "--backend", warehouse_url(target))
    assert result.returncode == 2, result.stderr
    assert f"refused {tmp_path / 'nowhere.csv'}" in result.stderr and "FileNotFoundError" not in result.stderr
    assert hashlib.sha256(target.read_bytes()).hexdigest() == digest


def test_reading_commands_refuse_what_is_not_a_warehouse(tmp_path):
    notes = tmp_path / "notes.csv"
    notes.write_text("a,b\n1,2\n")
    _someones_duckdb(tmp_path / "theirs.duckdb")
    folder = tmp_path / "folder"
    _someones_directory(folder)
    before = tree_digest(tmp_path)
    found = {f"duckdb://{notes}": "not a duckdb database file",
             f"duckdb://{tmp_path / 'theirs.duckdb'}": "without the build marker table",
             f"sqlite://{notes}": "not a sqlite database file",
             f"datafusion://{folder}": "a directory that holds other files",
             f"duckdb://{tmp_path / 'none.duckdb'}": "no warehouse at"}
    urls = list(found)
    runs = [["validate", url] for url in urls] + [["serve", urls[0], "--port", "1"], ["serve", urls[3], "--port", "1"],
                                                   ["query", urls[1], "accounts"], ["query", urls[4], "accounts"]]
    for command, url, *more in runs:
        result = run_fintech(command, "--backend", url, *more)
        assert result.returncode == 2, (command, url, result.stderr)
        assert found[url] in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert tree_digest(tmp_path) == before



def test_a_postgres_database_is_written_only_where_it_holds_no_one_else_s_tables(postgres_database):
    import psycopg

    theirs, shared = postgres_database("foreign_tables"), postgres_database("shared_database")
    for url, statement in ((theirs, "CREATE TABLE dim_customer (customer_id int); INSERT INTO dim_customer VALUES (7)"),
                           (shared, "CREATE TABLE notes (text text); INSERT INTO notes VALUES ('mine')")):
        with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as con:
            con.execute(statement)

    refused = run_fintech("build", "--backend", theirs)
    assert refused.returncode == 2, refused.stderr
    assert "tables named like this warehouse's (dim_customer)" in refused.stderr and "Traceback" not in refused.stderr
    published = run_fintech("build", "--backend", shared)  # beside someone's unrelated table: allowed
    assert published.returncode == 0, published.stderr[-2000:]
    with psycopg.connect(shared.replace("postgres://", "postgresql://", 1), autocommit=True) as con:
        con.execute("CREATE VIEW my_report AS SELECT count(*) AS n FROM int_customer_account_metrics")
    rebuilt = run_fintech("build", "--source", str(SAMPLE_CSV), "--backend", shared)
    assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]  # a view built on ours does not stop a publish
    with psycopg.connect(shared.replace("postgres://", "postgresql://", 1), autocommit=True) as con:
        assert con.execute("SELECT n FROM my_report").fetchall() == [(1_000,)]

    for url, table, expected in ((theirs, "dim_customer", [(7,)]), (shared, "notes", [("mine",)])):
        with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as con:
            assert con.execute(f"SELECT * FROM {table}").fetchall() == expected  # untouched
            schemas = [r[0] for r in con.execute("SELECT schema_name FROM information_schema.schemata "
                                                 "WHERE schema_name LIKE 'fintech%'").fetchall()]
            assert len(schemas) == (0 if url == theirs else 2)  # the published build and the one before


def test_files_named_like_the_build_s_own_are_not_taken_for_them(tmp_path):
    """Not a lock-like file that is no lock, not someone's files where the report would go: then nothing is built
    (scratch-like names: tests/pipelines/test_publish.py)."""
    for name, content, said in ((".fintech.duckdb.lock", "{not json", "is not a build lock of this product"),
                                ("fintech.duckdb.validation/summary.json", "mine",
                                 "not a validation report of this product")):
        other = tmp_path / name.split("/")[0].replace(".", "_")
        (other / name).parent.mkdir(parents=True)
        (other / name).write_text(content)
        before = tree_digest(other)
        refused = run_fintech("build", "--backend", f"duckdb://{other / 'fintech.duckdb'}")
        assert refused.returncode == 2 and said in refused.stderr, refused.stderr
        assert tree_digest(other) == before


def test_an_unsupported_backend_is_a_refusal_everywhere():
    for command in (["build"], ["validate"], ["query", "accounts"]):
        result = run_fintech(*command, "--backend", "nosuch://x")
        assert result.returncode == 2 and "unsupported backend 'nosuch'" in result.stderr, (command, result.stderr)
