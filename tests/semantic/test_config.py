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
    from semantic import backends

    assert backends.database_file(url) == path


def test_a_url_without_a_scheme_is_refused():
    with pytest.raises(ValueError, match="not a backend URL"):
        config.backend_name("just/a/path.duckdb")


def test_an_empty_flag_is_refused_and_an_empty_variable_is_unset(monkeypatch):
    monkeypatch.setenv(config.BACKEND_ENV, "")
    assert config.backend_url() == config.default_backend_url()
    with pytest.raises(config.BadURL, match="not a backend URL"):
        config.backend_name(config.backend_url(""))


@pytest.mark.parametrize("text", ["lots", "4", "GB", "-1GB", "4 GB; SET x", "1e3GB", ""])
def test_a_memory_limit_is_a_size(text):
    with pytest.raises(ValueError, match="give a size such as 4GB"):
        config.memory_size(text)


def test_a_memory_limit_from_the_environment_names_it(monkeypatch):
    monkeypatch.setenv(config.BUILD_MEMORY_ENV, "lots")
    with pytest.raises(ValueError, match=config.BUILD_MEMORY_ENV):
        config.build_memory()
    assert config.build_memory("512 MiB") == "512 MiB"


@pytest.mark.parametrize("url", ["duckdb:///w.duckdb?mode=ro", "duckdb:///a#b.duckdb", "duckdb://u:p@host/w.duckdb",
                                 "sqlite://", "datafusion://:memory:", "duckdb:///a\nb"])
def test_a_file_url_is_a_path_and_nothing_else(url):
    with pytest.raises(config.BadURL):
        config.check_path_url(url)


@pytest.mark.parametrize("text", ["1KB", "100MB", "127MB", "122 MiB", "0.1GB"])
def test_a_memory_limit_has_a_floor(text, monkeypatch):
    with pytest.raises(ValueError, match=f"at least {config.MIN_BUILD_MEMORY}"):
        config.memory_size(text)
    monkeypatch.setenv(config.BUILD_MEMORY_ENV, text)
    with pytest.raises(ValueError, match=config.BUILD_MEMORY_ENV):
        config.build_memory()


@pytest.mark.parametrize("text", ["128MB", "123 MiB", "0.5GB", "4GB"])
def test_a_memory_limit_at_or_above_the_floor_is_kept(text):
    assert config.memory_size(text) == text


@pytest.mark.parametrize("url", ["postgres://reader@127.0.0.1:5432/fintech", "postgresql://127.0.0.1/fintech",
                                 "pyspark:///tmp/warehouse", "sqlite:///tmp/w.db", "datafusion:///tmp/warehouse"])
def test_a_backend_without_its_driver_says_which_extra_installs_it(url, monkeypatch, capsys):
    """As in the lean `make serve` environment (DuckDB only): refused in words (exit 2), before any connection."""
    import dataclasses

    from fintech.cli import main
    from semantic import backends, engines

    engine = engines.profile(url)  # postgresql:// is postgres
    monkeypatch.setitem(engines.ENGINES, engine.name, dataclasses.replace(engine, driver="fintech_no_such_driver"))
    with pytest.raises(backends.MissingDriver, match=rf"pip install -e '\.\[{engine.extra}\]'"):
        backends.storage(url)
    assert main(["query", "accounts", "--backend", url]) == 2
    err = capsys.readouterr().err
    assert f"the {engine.name} backend needs its driver" in err and "Traceback" not in err


@pytest.mark.parametrize(("url", "example"), [("duckdb:///w.duckdb?mode=ro", "duckdb:///path/to/fintech.duckdb"),
                                              ("sqlite:///w.sqlite#x", "sqlite:///path/to/fintech.sqlite"),
                                              ("datafusion:///w?x", "datafusion:///path/to/warehouse")])
def test_a_path_url_refused_shows_a_valid_one_of_its_engine(url, example):
    from semantic import backends

    with pytest.raises(config.BadURL, match=f"cannot be part of it: {example}$"):
        backends.storage(url)


def test_the_default_warehouse_is_known_however_its_path_is_written(monkeypatch, tmp_path):
    monkeypatch.setenv(config.DATA_DIR_ENV, str(tmp_path))
    path = tmp_path / "warehouse" / "fintech.duckdb"
    assert config.is_default_backend(f"duckdb://{path}") and config.is_default_backend(f"DuckDB://{path}")
    assert config.is_default_backend(f"duckdb://{tmp_path}/warehouse/../warehouse/fintech.duckdb")
    assert not config.is_default_backend(f"sqlite://{path}") and not config.is_default_backend("duckdb://other.duckdb")
