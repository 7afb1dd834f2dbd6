"""`fintech build`: all tables, progress lines, configuration (publishing it: tests/pipelines/test_publish.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys

from tests.conftest import SAMPLE_CSV, read_tables, run_fintech, warehouse_url
from tests.spec import MODEL_TABLES, PUBLISHED_TABLES

TABLE_NAMES = list(MODEL_TABLES)


def test_default_build_publishes_a_duckdb_file_under_data_warehouse(tmp_path):
    data = tmp_path / "data"
    (data / "raw").mkdir(parents=True)
    shutil.copy(SAMPLE_CSV, data / "raw" / "fintech_data.csv")

    result = run_fintech("build", env={"FINTECH_DATA_DIR": str(data)})

    assert result.returncode == 0, result.stderr
    target = data / "warehouse" / "fintech.duckdb"
    assert set(read_tables(target)) == PUBLISHED_TABLES
    # one progress line per table, with its rows and seconds
    for name in TABLE_NAMES:
        line = next(line for line in result.stdout.splitlines() if line.split()[:1] == [name])
        assert line.rstrip().endswith(" s") and " rows " in line, line
    assert "13,456 rows" in result.stdout  # activity observations in the sample (counted with ast below)


def test_activity_row_count_of_the_sample_is_what_the_lists_hold():
    import ast
    import csv

    with SAMPLE_CSV.open(newline="") as f:
        total = sum(len(ast.literal_eval(row["Time Series Data.dates"])) for row in csv.DictReader(f))
    assert total == 13_456


def test_backend_flag_wins_over_environment(tmp_path):
    flag_target, env_target = tmp_path / "flag.duckdb", tmp_path / "env.duckdb"
    result = run_fintech("build", "--backend", warehouse_url(flag_target),
                         env={"FINTECH_BACKEND": warehouse_url(env_target)})
    assert result.returncode == 0, result.stderr
    assert flag_target.exists() and not env_target.exists()


def test_environment_names_the_backend(tmp_path):
    target = tmp_path / "env.duckdb"
    result = run_fintech("build", env={"FINTECH_BACKEND": warehouse_url(target)})
    assert result.returncode == 0, result.stderr
    assert target.exists()


def test_relative_duckdb_url_is_relative_to_the_working_directory(tmp_path):
    result = subprocess.run([sys.executable, "-m", "fintech", "build", "--source", str(SAMPLE_CSV),
                             "--backend", "duckdb://out/rel.duckdb"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "rel.duckdb").exists()


def test_a_password_in_the_url_is_never_printed():
    result = run_fintech("build", "--backend", "postgres://analyst:s3cret-pw@127.0.0.1:1/warehouse")
    assert result.returncode != 0
    assert "s3cret-pw" not in result.stdout + result.stderr
    assert "analyst:***@" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_a_portfolio_whose_balances_total_zero_publishes_with_null_shares(tmp_path):
    """Zero balances are valid data: the gate passes, the undefined figures are null, not errors or 0/0."""
    import csv

    import semantic

    with SAMPLE_CSV.open(newline="") as f:
        rows = list(csv.reader(f))
    balance = rows[0].index("Account Activity.balance")
    for row in rows[1:]:
        row[balance] = "0"
    source = tmp_path / "zero.csv"
    with source.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    target = tmp_path / "w.duckdb"
    result = run_fintech("build", "--source", str(source), "--backend", warehouse_url(target))
    assert result.returncode == 0, result.stderr[-2000:]

    sl = semantic.connect(warehouse_url(target))
    try:
        row = sl.query(["total_balance", "top_10_share", "gini", "avg_balance", "balance_weighted_rate"]).iloc[0]
        assert row.total_balance == 0 and row.avg_balance == 0
        assert row[["top_10_share", "gini", "balance_weighted_rate"]].isna().all()
        assert sl.lorenz().empty  # no curve: the dashboard says "Not enough data"
        assert list(sl.deciles().total_balance) == [0.0] * 10
    finally:
        sl.close()
    shown = run_fintech("query", "top_10_share", "gini", "--backend", warehouse_url(target))
    assert shown.returncode == 0 and "-" in shown.stdout, shown.stderr
