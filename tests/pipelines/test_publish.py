"""Publishing a build in one step (pipelines/publish.py), on every kind of storage.

Every storage kind keeps its promise (issue 14, part 9): a build that fails, or is killed with -9 at any
point, leaves the previous warehouse exactly as it was, or the new one complete; the next build needs no
cleanup; and a reader keeps the version it opened through a rebuild. The same trials on a DuckDB file, a
SQLite file (a scratch file renamed over it), PostgreSQL (a schema per build, views swapped in one
transaction) and a Parquet directory (DataFusion: a version directory, then the `current` symlink). What a
killed build left is cleared by the next one, and only that: never a file that merely looks like it."""

from __future__ import annotations

import csv
import os
import random
import signal
import subprocess
import sys
import time

import pytest

import semantic
from pipelines import build as build_module
from pipelines.validate import validate
from semantic import backends, engines
from semantic.config import url_path
from semantic.tables import MODELS
from tests.conftest import ROOT, SAMPLE_CSV, accounts_in, file_digest, read_tables, run_fintech, warehouse_url
from tests.pipelines.test_target import tree_digest
from tests.spec import PUBLISHED_TABLES

# Every engine of the registry but Spark, which publishes as DataFusion does (a Parquet directory) and takes
# seconds to start per build: a new engine is tried here without a change
KINDS = tuple(name for name, engine in engines.ENGINES.items() if engine.builds and name != "pyspark")
# kills per kind in make test (one each: 15 minutes); FINTECH_KILL_TRIALS=20 for a long run
KILL_TRIALS = 1


@pytest.fixture(params=KINDS)
def url(request, tmp_path):
    return engines.ENGINES[request.param].url_in(tmp_path / "store") \
        or request.getfixturevalue("postgres_database")(f"kinds_{abs(hash(tmp_path)) % 10**8}")


def snapshot(url: str) -> dict:
    """What a reader opening the warehouse now sees: its tables' contents, and the stored bytes where a file
    or directory holds them."""
    con = backends.open_warehouse(url)
    try:
        seen = {"tables": {name: con.table(name).to_pandas().sort_values(list(con.table(name).columns[:2]))
                           .reset_index(drop=True).to_csv() for name in con.list_tables()}}
    finally:
        con.disconnect()
    path = url_path(url)
    if backends.storage(url) == "file":
        seen["bytes"] = tree_digest(path.parent)
    elif backends.storage(url) == "parquet":
        seen["bytes"] = tree_digest(path)
    return seen


def leftovers(url: str) -> list[str]:
    """What builds left beside the published warehouse: scratch files, unfinished versions, extra schemas."""
    if backends.storage(url) == "file":
        path = url_path(url)
        return sorted(p.name for p in path.parent.iterdir() if p.name not in {path.name, f"{path.name}.validation"})
    if backends.storage(url) == "parquet":
        root = url_path(url)
        versions = [p for p in root.glob("v*-*") if p.is_dir()]
        extra = [p.name for p in root.iterdir() if p.name.startswith(".") and p.name != ".fintech-warehouse"]
        return sorted(extra + [v.name for v in versions if not (v / ".complete").exists()])
    con = backends.connect_engine(url)
    try:
        cursor = con.raw_sql("SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'fintech%'")
        schemas = [row[0] for row in cursor.fetchall()]
        cursor.close()
    finally:
        con.disconnect()
    return schemas if len(schemas) > 2 else []  # more than the published build and the one before it


def _build(source, url):
    result = run_fintech("build", "--source", str(source), "--backend", url)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


@pytest.fixture(scope="module")
def failing_csv(generate_csv, tmp_path_factory):
    """An extract the contract accepts and the staging suite refuses (an account id twice): the build fails
    after tables were written aside."""
    source = generate_csv(1_003, 7)
    out = tmp_path_factory.mktemp("failing") / "duplicate_account.csv"
    with source.open(newline="") as f_in, out.open("w", newline="") as f_out:
        rows = list(csv.reader(f_in))
        account = rows[0].index("Account Activity.account_id")
        rows[5][account] = rows[4][account]
        csv.writer(f_out).writerows(rows)
    return out


def test_each_storage_kind_keeps_its_promise(url, generate_csv, failing_csv, tmp_path):
    extracts, accounts = [generate_csv(1_003, 7), generate_csv(1_500, 21)], [1_003, 1_500]
    start = time.perf_counter()
    _build(extracts[0], url)
    seconds = time.perf_counter() - start

    # a build that fails after writing tables aside changes nothing; a reader opened before a rebuild (a
    # dashboard session) keeps answering from the version it opened, new readers read the new one
    before = snapshot(url)
    reader = semantic.connect(url)
    try:
        assert int(reader.query(["accounts"]).accounts[0]) == 1_003
        failed = run_fintech("build", "--source", str(failing_csv), "--backend", url)
        assert failed.returncode == 1 and "suite staging" in failed.stderr, failed.stderr[-2000:]
        assert snapshot(url) == before
        assert leftovers(url) == []
        _build(extracts[1], url)
        # a question this reader never asked: computed now, on the version it opened
        assert int(reader.query(["customers"]).customers[0]) == 1_003
        assert reader.query(["total_balance"], by=["region"]).shape[0] > 0
        assert accounts_in(url) == 1_500
    finally:
        reader.close()

    # kill -9 at random points: the previous warehouse or the new one, whole and valid
    current, rng, outcomes = 1, random.Random(14), []
    env = {k: v for k, v in os.environ.items() if k != "FINTECH_BACKEND"}
    trials = int(os.environ.get("FINTECH_KILL_TRIALS") or KILL_TRIALS)
    for trial in range(trials):
        building = 1 - current
        delay = rng.uniform(0.2, 1.05) * seconds  # loading, the gate, the tables, the swap, just after
        build = subprocess.Popen([sys.executable, "-m", "fintech", "build", "--source", str(extracts[building]),
                                  "--backend", url], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(delay)
        finished = build.poll() is not None
        if not finished:
            os.killpg(build.pid, signal.SIGKILL)
        build.wait()
        time.sleep(0.3)  # a server notices the dropped connection (its transaction rolls back, its lock goes)

        con = backends.open_warehouse(url)
        try:
            assert set(con.list_tables()) == PUBLISHED_TABLES, f"trial {trial}: {sorted(con.list_tables())}"
        finally:
            con.disconnect()
        found = accounts_in(url)
        assert found in (accounts[current], accounts[building]), f"trial {trial}: {found} accounts"
        assert not finished or found == accounts[building]
        outcomes.append("new" if found == accounts[building] else "previous")
        runs, _ = validate(url, tmp_path / f"validation_{trial}")
        assert all(run.result.success for run in runs), f"trial {trial} (killed after {delay:.1f} s)"
        current = accounts.index(found)
    print(f"{url.split(':')[0]}: {trials} kills, {outcomes.count('previous')} left the previous warehouse, "
          f"{outcomes.count('new')} the new one (build {seconds:.1f} s)")

    _build(extracts[1 - current], url)  # no cleanup by hand: the next build clears what the kills left
    assert accounts_in(url) == accounts[1 - current]
    assert leftovers(url) == []


def _failing_model(int_customer_account_metrics):
    raise RuntimeError("disk full (simulated)")


def test_a_failure_midway_leaves_the_published_warehouse_identical(published, monkeypatch):
    target, digest, contents = published
    models = list(MODELS)
    models[models.index(MODELS[7])] = _failing_model  # fails after staging, core and intermediate were built
    monkeypatch.setattr(build_module, "MODELS", tuple(models))

    with pytest.raises(RuntimeError, match="disk full"):
        build_module.build(SAMPLE_CSV, warehouse_url(target), echo=lambda line: None)

    assert file_digest(target) == digest
    after = read_tables(target)
    assert sorted(after) == sorted(contents)
    assert all(after[name].equals(frame) for name, frame in contents.items())
    assert _beside(target) == []  # the scratch file was removed


def _beside(target) -> list[str]:
    """What lies beside a published warehouse file but the file and its validation reports."""
    return sorted(p.name for p in target.parent.iterdir() if p.name not in {target.name, f"{target.name}.validation"})


def test_files_named_like_a_scratch_build_s_are_not_taken_for_one(tmp_path):
    """Only what a build made is ever removed: not a file or folder that merely has a scratch-like name (a dead
    build's pid, but not a database; a directory that is not the engine's spill directory; another suffix)."""
    folder = tmp_path / "w"
    folder.mkdir()
    (folder / ".fintech.duckdb.building-3999999").write_text("my precious")  # a dead pid, but not a database
    (folder / ".fintech.duckdb.building-3999998").mkdir()
    (folder / ".fintech.duckdb.building-3999998" / "thesis.txt").write_text("keep")
    (folder / ".fintech.duckdb.building-3999997.notes").write_text("my notes")
    kept = tree_digest(folder)
    result = run_fintech("build", "--backend", f"duckdb://{folder / 'fintech.duckdb'}")
    assert result.returncode == 0, result.stderr
    assert {k: v for k, v in tree_digest(folder).items() if not k.startswith("fintech.duckdb")} == kept
