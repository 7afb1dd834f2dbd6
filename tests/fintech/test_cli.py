"""The real `fintech` command on what a user may type or point it at (issue 15, parts 3 and 4).

Every case runs the command in its own process, as a user would (tests/conftest.py run_fintech); the
cases run together, a few at a time, once per module (`ran`), and each test reads one case's outcome:
its exit code (0 done, 1 the work failed, 2 refused), the message's words, no traceback, no password
piece of the corpus (tests/semantic/test_secrets.py), and nothing written where the cases point.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLE_CSV, run_fintech
from tests.semantic.test_secrets import CORPUS, leaks

WORKERS = 4
NOBODY = 65534


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]  # {place}, {warehouse} and {sample} are filled in
    code: int
    says: tuple[str, ...] = ()  # words of stderr
    env: dict = field(default_factory=dict)
    unprivileged: bool = False  # a permission case: run as nobody when the tests run as root
    printed: str | None = None  # words of stdout
    never: tuple[str, ...] = ()  # words of neither stdout nor stderr


def _case(id, *argv, code=2, says=(), env=None, unprivileged=False, printed=None, never=(), marks=()):
    case = Case(id, argv, code, (says,) if isinstance(says, str) else says, env or {}, unprivileged, printed,
                (never,) if isinstance(never, str) else never)
    return pytest.param(case, id=id, marks=marks)


QUERY = ("query", "accounts", "--backend", "duckdb://{warehouse}")
VALIDATE = ("validate", "--backend", "duckdb://{warehouse}")
VOLUME = ("query", "transaction_volume", "--backend", "duckdb://{warehouse}")
NOT_A_URL = "not a backend URL"
NOWHERE = "postgres://u@127.0.0.1:1/db"
LOCKED = "duckdb://{place}/locked.duckdb"  # a warehouse this user may not read
IN_PS = "visible to other users of this machine (ps)"

CASES = [
    # backend URLs that are no warehouse, each command in turn
    _case("build-foo-scheme", "build", "--backend", "foo://bar", says="unsupported backend 'foo'"),
    _case("validate-notaurl", "validate", "--backend", "notaurl", says=(NOT_A_URL, "'notaurl'")),
    _case("query-a-directory", "query", "accounts", "--backend", "{place}/empty", says=NOT_A_URL),
    _case("serve-a-csv-file", "serve", "--backend", "{sample}", says=NOT_A_URL),
    _case("build-etc-passwd", "build", "--backend", "/etc/passwd", says=NOT_A_URL),
    _case("validate-duckdb-etc-passwd", "validate", "--backend", "duckdb:///etc/passwd",
          says="not a duckdb database file"),
    _case("query-unreachable", "query", "accounts", "--backend", "postgres://u:p@127.0.0.1:1/db", code=1,
          says="cannot connect to postgres://u:***@127.0.0.1:1/db"),
    _case("serve-bad-port", "serve", "--backend", "postgres://u:p@127.0.0.1:70000/db", says="1 to 65535"),
    _case("build-duckdb-directory", "build", "--source", "{sample}", "--backend", "duckdb://{place}/empty",
          says="it is a directory"),
    _case("query-duckdb-csv", "query", "accounts", "--backend", "duckdb://{sample}", says="not a duckdb database"),
    _case("validate-duckdb-directory", "validate", "--backend", "duckdb://{place}/empty", says="a directory"),
    _case("serve-duckdb-etc-passwd", "serve", "--backend", "duckdb:///etc/passwd", says="not a duckdb database"),
    _case("build-unreachable", "build", "--source", "{sample}", "--backend", "postgres://u:p@127.0.0.1:1/db",
          code=1, says="cannot connect"),
    _case("validate-port-abc", "validate", "--backend", "postgres://u:p@127.0.0.1:abc/db", says="1 to 65535"),
    _case("serve-unreachable", "serve", "--backend", "postgres://u:p@127.0.0.1:1/db", code=1,
          says="postgres://u:***@127.0.0.1:1/db"),
    _case("query-env-foo", "query", "accounts", env={"FINTECH_BACKEND": "foo://bar"},
          says=("$FINTECH_BACKEND", "unsupported backend 'foo'")),
    _case("build-empty-backend", "build", "--backend", "", says=NOT_A_URL),
    _case("query-missing-warehouse", "query", "accounts", "--backend", "duckdb://{place}/missing.duckdb",
          says="no warehouse at"),
    _case("build-over-notes", "build", "--source", "{sample}", "--backend", "duckdb://{place}/someone/notes.txt",
          says="not a duckdb database file"),
    # connection options: libpq's keywords only, whole numbers where libpq reads one, before connecting
    _case("query-option-bogus", "query", "accounts", "--backend", NOWHERE + "?bogus=1",
          says=("'bogus' is not a PostgreSQL connection option", "sslmode", "connect_timeout")),
    _case("query-connect-timeout-abc", "query", "accounts", "--backend", NOWHERE + "?connect_timeout=abc",
          says=("connect_timeout='abc'", "whole number of seconds")),
    _case("serve-option-bogus", "serve", "--backend", NOWHERE + "?sslmode=require&bogus=1", says="'bogus'"),
    _case("build-keepalives-abc", "build", "--source", "{sample}", "--backend", NOWHERE + "?keepalives=abc",
          says="keepalives='abc'"),
    _case("validate-option-port-0", "validate", "--backend", NOWHERE + "?port=0", says="port='0'"),
    _case("query-sslmode-bogus", "query", "accounts", "--backend", NOWHERE + "?sslmode=bogus",  # libpq says so
          says=("refused the URL's options", 'invalid sslmode value: "bogus"')),
    _case("build-sslmode-bogus", "build", "--source", "{sample}", "--backend", NOWHERE + "?sslmode=bogus",
          says="invalid sslmode value"),
    # a password on the command line: said once, never shown; none said for $FINTECH_BACKEND
    _case("query-password-in-ps", "query", "accounts", "--backend", "postgres://u:hunter2@127.0.0.1:1/db", code=1,
          says=(IN_PS, "set $FINTECH_BACKEND instead", "cannot connect"), never="hunter2"),
    _case("query-password-option-in-ps", "query", "accounts", "--backend", NOWHERE + "?password=hunter2", code=1,
          says=IN_PS, never="hunter2"),
    _case("query-password-env", "query", "accounts", code=1, env={"FINTECH_BACKEND": NOWHERE + "?password=hunter2"},
          says="cannot connect", never=(IN_PS, "hunter2")),
    _case("query-no-password", "query", "accounts", "--backend", NOWHERE, code=1, never=IN_PS),
    # a warehouse this user may not read: refused wherever it is read
    _case("query-unreadable", "query", "accounts", "--backend", LOCKED, says="cannot read", unprivileged=True),
    _case("validate-unreadable", "validate", "--backend", LOCKED, says="permission denied", unprivileged=True),
    _case("serve-unreadable", "serve", "--backend", LOCKED, says="cannot read", unprivileged=True),
    _case("build-over-unreadable", "build", "--source", "{sample}", "--backend", LOCKED,
          says=("cannot read", "locked.duckdb: permission denied"), unprivileged=True),
    # --where
    _case("where-no-match", *QUERY, "--where", "region=Nrth", code=0,
          says=("region 'Nrth' matches no row", "Central, East, North, South, West"), printed="accounts"),
    _case("where-invalid-utf8", *QUERY, "--where", "region=\udcff", says="not valid Unicode"),
    _case("where-bad-date", *QUERY, "--where", "activity_date=garbage", says=("activity_date", "ISO dates")),
    _case("where-25-digit-decile", *QUERY, "--where", "balance_decile=" + "9" * 25, says="1 to 10"),
    _case("where-unknown-dimension", *QUERY, "--where", "regoin=North", says="region"),
    _case("where-age-abc", *QUERY, "--where", "age=abc", says=("age takes numbers", "'abc'")),
    _case("where-age-nan", *QUERY, "--where", "age=nan", says="age takes numbers"),
    _case("where-no-name", *QUERY, "--where", "=x", says=("DIM=V1,V2", "'=x'")),
    _case("where-no-value", *QUERY, "--where", "region", says=("DIM=V1,V2", "'region'")),
    _case("where-twice", *QUERY, "--where", "region=North", "--where", "region=South", says="given twice"),
    # a value that matches is never said to match nothing, however it is written (compared as the layer reads it)
    *[_case(f"where-date-{i}", *VOLUME, "--where", f"activity_date={text}", code=0, printed="$",
            never="matches no row") for i, text in enumerate(["20240131", "2024-01-31T00:00", " 2024-01-31",
                                                              "2024-W05-3"])],
    _case("where-date-no-match", *VOLUME, "--where", "activity_date=2024-01-30", code=0,
          says="activity_date '2024-01-30' matches no row"),
    _case("where-age-as-float", *VOLUME, "--where", "age=30.0", code=0, printed="$", never="matches no row"),
    # numbers
    _case("wait-nan", "build", "--wait", "nan", says=("--wait", "seconds")),
    _case("wait-negative", "build", "--wait", "-1", says=("--wait", "seconds")),
    _case("wait-inf", "build", "--wait", "inf", says=("--wait", "seconds")),
    _case("rows-0", "generate", "--rows", "0", "--out", "{place}/x.csv", says="--rows takes a whole number"),
    _case("rows-negative", "generate", "--rows", "-5", "--out", "{place}/x.csv", says="--rows"),
    _case("rows-text", "generate", "--rows", "many", "--out", "{place}/x.csv", says=("--rows", "'many'")),
    _case("seed-negative", "generate", "--seed", "-1", "--out", "{place}/x.csv", says="--seed"),
    _case("accounts-per-customer-nan", "generate", "--accounts-per-customer", "nan", "--out", "{place}/x.csv",
          says="--accounts-per-customer"),
    _case("accounts-per-customer-huge", "generate", "--accounts-per-customer", "1e9", "--out", "{place}/x.csv",
          says="--accounts-per-customer"),
    _case("port-0", "serve", "--port", "0", says=("--port", "1 to 65535")),
    _case("port-70000", "serve", "--port", "70000", says=("--port", "1 to 65535")),
    _case("port-negative", "serve", "--port", "-1", says="--port"),
    _case("memory-limit-lots", "build", "--memory-limit", "lots", says=("--memory-limit", "4GB")),
    _case("memory-env-lots", "build", "--source", "{sample}", env={"FINTECH_BUILD_MEMORY": "lots"},
          says=("FINTECH_BUILD_MEMORY", "4GB")),
    _case("memory-limit-1KB", "build", "--memory-limit", "1KB", says=("--memory-limit", "at least 128MB")),
    _case("memory-env-1KB", "build", "--source", "{sample}", env={"FINTECH_BUILD_MEMORY": "1KB"},
          says=("FINTECH_BUILD_MEMORY", "at least 128MB")),
    # files
    _case("source-missing", "build", "--source", "{place}/missing.csv", "--backend", "duckdb://{place}/w.duckdb",
          says="missing.csv"),
    _case("source-directory", "build", "--source", "{place}/empty", "--backend", "duckdb://{place}/w.duckdb",
          says="empty"),
    _case("source-unreadable", "build", "--source", "{place}/locked.csv", "--backend",
          "duckdb://{place}/w.duckdb", says="locked.csv", unprivileged=True),
    _case("generate-out-missing-dir", "generate", "--out", "{place}/no/such/x.csv", says="does not exist"),
    _case("generate-out-readonly-dir", "generate", "--out", "{place}/readonly/x.csv", says="cannot write",
          unprivileged=True),
    _case("generate-out-over-notes", "generate", "--out", "{place}/someone/notes.txt", says="is not an extract"),
    _case("generate-out-directory", "generate", "--out", "{place}/empty", says="is a directory"),
    _case("generate-out-empty", "generate", "--rows", "5", "--out", "", says=("--out", "CSV file")),
    _case("generate-out-root", "generate", "--rows", "5", "--out", "/", says="names no file"),
    _case("generate-out-dot-dot", "generate", "--rows", "5", "--out", "{place}/empty/..", says="names no file"),
    _case("generate-out-proc", "generate", "--rows", "5", "--out", "/proc/x.csv", says="cannot write"),
    _case("generate-out-name-too-long", "generate", "--rows", "5", "--out", "{place}/" + "x" * 300 + ".csv",
          says="File name too long"),
    _case("validate-out-missing-dir", *VALIDATE, "--out", "{place}/no/such/report", says="does not exist"),
    _case("validate-out-readonly-dir", *VALIDATE, "--out", "{place}/readonly/report", says="cannot write",
          unprivileged=True),
    _case("validate-out-someones-dir", *VALIDATE, "--out", "{place}/someone", says="not a validation report"),
    _case("validate-out-a-file", *VALIDATE, "--out", "{place}/someone/notes.txt", says="is not a directory"),
    _case("validate-out-empty", *VALIDATE, "--out", "", says="--out"),
    _case("validate-out-proc", *VALIDATE, "--out", "/proc/x", says=("/proc", "--out DIR")),
    # the default report directory, beside a warehouse in a directory this user may not write
    _case("validate-beside-readonly", "validate", "--backend", "duckdb://{place}/readonly/fintech.duckdb",
          says=("readonly/fintech.duckdb.validation", "permission denied", "--out DIR"), unprivileged=True),
]

# The corpus of malformed URLs with distinctive passwords: each URL through one command, by --backend
# or $FINTECH_BACKEND in turn (in-process, every URL goes through every command: test_secrets.py)
_COMMANDS = (("build", "--source", "{sample}"), ("validate",), ("query", "accounts"), ("serve",))
for _i, (_url, _code) in enumerate(CORPUS):
    _command, _by_env = _COMMANDS[_i % 4], bool(_i // 4 % 2)
    CASES.append(_case(f"secret-{_i}-{_command[0]}{'-env' if _by_env else ''}",
                       *_command, *(() if _by_env else ("--backend", _url)), code=_code,
                       env={"FINTECH_BACKEND": _url} if _by_env else None))


def _digest(root: Path) -> dict[str, str]:
    """Every entry under `root`: its kind, mode and bytes."""
    seen = {}
    for path in sorted(root.rglob("*")):
        stat = path.lstat()
        content = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        seen[str(path.relative_to(root))] = f"{stat.st_mode:o} {content}"
    return seen


@pytest.fixture(scope="module")
def place(published_sample):
    """Where the cases point: a warehouse, someone's notes, an empty, a read-only and an unreadable place,
    and the data directory the commands see. World-readable, so that nobody may run a case there."""
    root = Path(tempfile.mkdtemp(prefix="fintech-cli-"))
    root.chmod(0o755)
    (root / "warehouse").mkdir()
    shutil.copy2(published_sample[0], root / "warehouse" / "fintech.duckdb")
    (root / "someone").mkdir()
    (root / "someone" / "notes.txt").write_text("someone's notes\n")
    for name in ("empty", "readonly", "data"):
        (root / name).mkdir()
    shutil.copy(SAMPLE_CSV, root / "locked.csv")
    (root / "locked.csv").chmod(0)
    shutil.copy(published_sample[0], root / "locked.duckdb")
    (root / "locked.duckdb").chmod(0)
    shutil.copy(published_sample[0], root / "readonly" / "fintech.duckdb")
    (root / "readonly").chmod(0o555)
    yield root
    (root / "readonly").chmod(0o755)
    shutil.rmtree(root)


def _run(case: Case, place: Path) -> subprocess.CompletedProcess:
    fill = {"place": str(place), "warehouse": str(place / "warehouse" / "fintech.duckdb"), "sample": str(SAMPLE_CSV)}
    argv = [arg.format(**fill) for arg in case.argv]
    env = {"FINTECH_DATA_DIR": str(place / "data"), **{k: v.format(**fill) for k, v in case.env.items()}}
    if case.unprivileged and os.geteuid() == 0:
        # as run_fintech, by a user the permissions apply to
        full = {k: v for k, v in os.environ.items() if k != "FINTECH_BACKEND"} | env | {"HOME": str(place)}
        return subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                               sys.executable, "-m", "fintech", *argv], capture_output=True, text=True,
                              env=full, timeout=120, cwd=ROOT)
    return run_fintech(*argv, env=env, timeout=120)


@pytest.fixture(scope="module")
def ran(place):
    """Every case's outcome, the cases run a few at a time; and whether anything was written."""
    cases = [param.values[0] for param in CASES]
    before = _digest(place)
    with ThreadPoolExecutor(WORKERS) as pool:
        outcomes = dict(zip((c.id for c in cases), pool.map(lambda c: _run(c, place), cases)))
    return outcomes, before, _digest(place)


@pytest.mark.parametrize("case", CASES)
def test_the_command_says_what_is_wrong(case, ran):
    if case.unprivileged and os.geteuid() == 0 and not shutil.which("setpriv"):
        message = "permissions do not apply to root, and setpriv (util-linux) is missing"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    result = ran[0][case.id]
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode == case.code, output
    assert not leaks(output), output
    for words in case.says:
        assert words in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) <= 6, result.stderr  # a line, or a short block
    if case.printed:
        assert case.printed in result.stdout, result.stdout
    for words in case.never:
        assert words not in output, output


def test_nothing_was_written_where_the_cases_point(ran):
    _, before, after = ran
    assert after == before


# ---- the catalog in the shell ----------------------------------------------------------------------

def _listed(*argv: str, tmp_path: Path) -> dict[str, list[str]]:
    """`fintech ARGV` with no warehouse anywhere (a backend URL that is none, an empty data directory): each
    listed row by its first column, its columns split on the runs of spaces that align them."""
    result = run_fintech(*argv, env={"FINTECH_BACKEND": "postgres://u:p@127.0.0.1:1/nowhere",
                                     "FINTECH_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0 and not result.stderr, result.stdout + result.stderr
    assert not list(tmp_path.iterdir())  # nothing built, nothing written
    header, *rows = result.stdout.splitlines()
    widths = {len(line) - len(line.lstrip()) for line in result.stdout.splitlines()}
    assert widths == {0}, result.stdout
    starts = [header.index(word) for word in header.split()]  # every row's columns start where the header's do
    for row in rows:
        assert all(i == 0 or row[i - 2:i] == "  " and row[i] != " " for i in starts), row
    return {row.split()[0]: [part.strip() for part in re.split(r"\s{2,}", row)] for row in rows}


def test_metrics_lists_the_catalog_without_a_warehouse(tmp_path):
    from tests.spec import METRIC_GRAINS

    listed = _listed("metrics", tmp_path=tmp_path)
    assert {name: columns[2] for name, columns in listed.items()} == METRIC_GRAINS
    formats = {"accounts": "integer", "total_balance": "money", "approved_credit_exposure": "money",
               "balance_weighted_rate": "percent", "gini": "ratio"}  # the spec's table
    assert {name: listed[name][1] for name in formats} == formats
    assert "rejected and pending included" in listed["credit_exposure"][3]
    assert all(len(columns) == 4 and columns[3] for columns in listed.values())


def test_dimensions_lists_the_catalog_without_a_warehouse(tmp_path):
    from tests.spec import CATEGORY_DIMENSIONS, DERIVED_DIMENSIONS, NUMBER_DIMENSIONS, TIME_DIMENSIONS

    listed = _listed("dimensions", tmp_path=tmp_path)
    kinds = {**dict.fromkeys(CATEGORY_DIMENSIONS, "category"), **dict.fromkeys(NUMBER_DIMENSIONS, "number"),
             **dict.fromkeys(DERIVED_DIMENSIONS, "derived"), **dict.fromkeys(TIME_DIMENSIONS, "time")}
    assert {name: columns[1] for name, columns in listed.items()} == kinds
    assert listed["region"][2] == "customer" and listed["account_type"][2] == "account"
    assert listed["risk_tolerance"][3] == "Low, Medium, High"
    assert listed["loan_status"][3] == "approved, pending, rejected"
    assert listed["age_band"][3] == "18-29, 30-44, 45-59, 60+"
    assert listed["activity_date"][3] == "grains: month, quarter, year"


@pytest.mark.parametrize("command", ["metrics", "dimensions"])
def test_the_listings_explain_themselves(command):
    result = run_fintech(command, "--help")
    assert result.returncode == 0 and "never from a warehouse" in " ".join(result.stdout.split()), result.stdout
    assert command in run_fintech("--help").stdout
    refused = run_fintech(command, "extra")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr, refused.stderr
