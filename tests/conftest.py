"""Shared fixtures: generated extracts, built warehouses, and the `fintech` command run as a user would."""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import ibis
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CSV = ROOT / "data" / "raw" / "fintech_data.csv"
with SAMPLE_CSV.open(newline="") as _sample:  # the committed sample as text: the header, then its rows
    SAMPLE_HEADER, *SAMPLE_ROWS = list(csv.reader(_sample))



def run_fintech(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """`fintech ARGS` in a fresh process, as a user runs it (no backend variable inherited)."""
    full_env = {k: v for k, v in os.environ.items() if k != "FINTECH_BACKEND"}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "fintech", *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout, cwd=ROOT)


def warehouse_url(path: Path) -> str:
    return f"duckdb://{path.resolve()}"


def build_warehouse(csv: Path, target: Path) -> Path:
    result = run_fintech("build", "--source", str(csv), "--backend", warehouse_url(target))
    assert result.returncode == 0, result.stderr
    return target


def accounts_in(url: str) -> int:
    """The accounts of the warehouse at `url`, as a reader opening it now counts them."""
    import semantic

    sl = semantic.connect(url)
    try:
        return int(sl.query(["accounts"]).accounts[0])
    finally:
        sl.close()


def read_tables(path: Path) -> dict[str, pd.DataFrame]:
    """Every table of a warehouse file, rows in a stable order."""
    con = ibis.duckdb.connect(str(path), read_only=True)
    try:
        tables = {}
        for name in con.list_tables():
            frame = con.table(name).to_pandas()
            tables[name] = frame.sort_values(list(frame.columns[:2])).reset_index(drop=True)
        return tables
    finally:
        con.disconnect()


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def generate_csv(tmp_path_factory):
    """Generate (once per session) an extract for the given arguments; returns its path."""
    made: dict[tuple, Path] = {}

    def generate(rows: int, seed: int, accounts_per_customer: float = 1.0) -> Path:
        key = (rows, seed, accounts_per_customer)
        if key not in made:
            out = tmp_path_factory.mktemp("extract") / f"fintech_{rows}_{seed}_{accounts_per_customer}.csv"
            result = run_fintech("generate", "--rows", str(rows), "--seed", str(seed),
                                 "--accounts-per-customer", str(accounts_per_customer), "--out", str(out))
            assert result.returncode == 0, result.stderr
            made[key] = out
        return made[key]

    return generate


# The datasets the built tables are checked on: the committed sample; generated
# data whose row count is a multiple of neither 10 nor 4 (NTILE remainders);
# and customers holding several accounts each (fan-out).
DATASETS = {
    "sample": None,
    "ntile_remainders": (1_003, 7, 1.0),
    "multi_account": (1_206, 11, 2.5),
}


@pytest.fixture(scope="session", params=list(DATASETS))
def dataset(request, generate_csv, tmp_path_factory):
    """(csv path, built warehouse path) for each dataset."""
    spec = DATASETS[request.param]
    if spec is None:  # the sample: the one built for the session (read only here)
        return SAMPLE_CSV, request.getfixturevalue("published_sample")[0]
    csv = generate_csv(*spec)
    target = tmp_path_factory.mktemp(f"warehouse_{request.param}") / "fintech.duckdb"
    return csv, build_warehouse(csv, target)


@pytest.fixture(scope="session")
def published_sample(tmp_path_factory):
    """The sample built once by `fintech build` (with its report), and its contents."""
    target = build_warehouse(SAMPLE_CSV, tmp_path_factory.mktemp("published") / "warehouse" / "fintech.duckdb")
    return target, read_tables(target)


def copy_published(published_sample, folder: Path) -> tuple[Path, str, dict[str, pd.DataFrame]]:
    """The sample's warehouse copied into `folder`/warehouse (the same bytes, marker and report), with its
    digest and contents."""
    built, contents = published_sample
    target = folder / "warehouse" / built.name
    target.parent.mkdir(parents=True)
    shutil.copy2(built, target)
    report = built.with_name(f"{built.name}.validation")
    shutil.copytree(report, target.with_name(report.name))
    return target, file_digest(target), {name: frame.copy() for name, frame in contents.items()}


@pytest.fixture
def published(published_sample, tmp_path):
    """A warehouse published from the sample in a fresh folder (a copy of the one built once)."""
    return copy_published(published_sample, tmp_path)


@pytest.fixture(scope="session")
def postgres_cluster():
    """A throwaway PostgreSQL cluster for the session (tests/servers.py); in CI its absence is a failure."""
    from tests.servers import postgres_binaries_available, postgres_server

    if not postgres_binaries_available() and os.environ.get("CI") != "true":
        pytest.skip("PostgreSQL binaries not found: `make postgres` installs them")
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_database(postgres_cluster):
    """`postgres_database(name)`: the URL of a new database of that name on the session's cluster."""
    from tests.servers import create_database

    return lambda name: create_database(postgres_cluster, name)


# ---- the capability matrix: tests marked `feature` report what each backend can do (docs/backends.md);
# a backend's gap is declared in the test itself, `notimpl`, as in Ibis' own backend suite

def pytest_addoption(parser):
    parser.addoption("--capability-matrix", metavar="PATH", default=None,
                     help="write the backend x feature table of the conformance tests to PATH (markdown)")


def pytest_configure(config):
    config.addinivalue_line("markers", "feature(name): the capability a backend conformance test proves; "
                                       "{param} placeholders take the test's parameters")
    config.addinivalue_line("markers", "notimpl(backends, raises, reason): on these backends the test must fail "
                                       "with exactly `raises` (an operation they lack: the matrix shows `reason`), "
                                       "and pass everywhere else")
    config._capabilities = {}


def _notimpl(item):
    """The `notimpl` marker that applies to this test's backend (its `backend` parameter), or None."""
    callspec = getattr(item, "callspec", None)
    if callspec is None or "backend" not in callspec.params:
        return None
    return next((marker for marker in item.iter_markers("notimpl") if callspec.params["backend"] in marker.args[0]),
                None)


def pytest_collection_modifyitems(config, items):
    for item in items:
        marker = _notimpl(item)
        if marker is not None:
            item.add_marker(pytest.mark.xfail(raises=marker.kwargs["raises"], reason=marker.kwargs["reason"],
                                              strict=True))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    notimpl = _notimpl(item)
    if notimpl is not None and hasattr(report, "wasxfail") and call.excinfo is not None \
            and call.excinfo.type is not notimpl.kwargs["raises"]:  # a subclass is another failure: not this gap
        report.outcome = "failed"
        del report.wasxfail
    marker = item.get_closest_marker("feature")
    callspec = getattr(item, "callspec", None)
    if marker and callspec and "backend" in callspec.params and (report.when == "call" or report.outcome != "passed"):
        from tests.capabilities import record

        record(item.config._capabilities, callspec.params["backend"],
               marker.args[0].format(**callspec.params), report)
    return report


def pytest_sessionfinish(session):
    path = session.config.getoption("--capability-matrix")
    if path and session.config._capabilities:
        from tests.capabilities import write_matrix

        write_matrix(session.config._capabilities, Path(path))
