from pathlib import Path

import pytest

from semantic import config


def test_flag_beats_environment_beats_default(monkeypatch, tmp_path):
    monkeypatch.delenv(config.BACKEND_ENV, raising=False)
    monkeypatch.setenv(config.DATA_DIR_ENV, str(tmp_path))
    assert config.backend_url() == f"duckdb://{tmp_path}/warehouse/fintech.duckdb"
    monkeypatch.setenv(config.BACKEND_ENV, "duckdb:///from/env.duckdb")
    assert config.backend_url() == "duckdb:///from/env.duckdb"
    assert config.backend_url("sqlite:///from/flag.db") == "sqlite:///from/flag.db"


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgres://user:pa55@db.example:5432/fintech", "postgres://user:***@db.example:5432/fintech"),
        ("postgresql://u:p%40ss@h/db?sslmode=require", "postgresql://u:***@h/db?sslmode=require"),
        ("snowflake://u@acct/db?password=hunter2&warehouse=w", "snowflake://u@acct/db?password=***&warehouse=w"),
        ("duckdb:///abs/path.duckdb", "duckdb:///abs/path.duckdb"),
    ],
)
def test_secrets_are_masked(url, masked):
    assert config.masked_url(url) == masked


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("duckdb:///abs/w.duckdb", Path("/abs/w.duckdb")),
        ("duckdb://relative.duckdb", Path("relative.duckdb")),
        ("duckdb://data/w.duckdb", Path("data/w.duckdb")),
        ("sqlite:///tmp/w.db", Path("/tmp/w.db")),
        ("duckdb://", None),
        ("postgres://u:p@h/db", None),
    ],
)
def test_database_file_of_a_url(url, path):
    assert config.database_file(url) == path


def test_a_url_without_a_scheme_is_refused():
    with pytest.raises(ValueError, match="not a backend URL"):
        config.backend_name("just/a/path.duckdb")
