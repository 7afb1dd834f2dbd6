"""Readers read only (issue 8): on PostgreSQL through a role that can only SELECT (the README's statements),
in a read-only session besides; and a password in the backend URL is never shown anywhere."""

from __future__ import annotations

from urllib.parse import quote

import psycopg
import pytest

import semantic
from semantic.query import QueryError
from tests.conftest import run_fintech

# a password with every character a URL must percent-encode, made of pieces found nowhere else
READER, READER_PASSWORD = "fintech_reader", "Qv8/Wm4@Jt6#Ln2 Hs5?Rd:7"
PIECES = ("Qv8", "Wm4", "Jt6", "Ln2", "Hs5")


def _psycopg(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


@pytest.fixture(scope="module")
def reader_url(postgres_database, generate_csv):
    """A built warehouse, and the URL of a role granted exactly what the README grants."""
    url = postgres_database("least_privilege")
    result = run_fintech("build", "--source", str(generate_csv(1_003, 7)), "--backend", url)
    assert result.returncode == 0, result.stderr
    database = url.rsplit("/", 1)[1]
    builder = url.split("://", 1)[1].split("@", 1)[0]
    with psycopg.connect(_psycopg(url), autocommit=True) as con:
        # the README's statements ("A read-only role for the dashboard"), with this test's names
        con.execute(f"CREATE ROLE {READER} LOGIN PASSWORD '{READER_PASSWORD}'")
        con.execute(f"GRANT CONNECT ON DATABASE {database} TO {READER}")
        con.execute(f"GRANT USAGE ON SCHEMA public TO {READER}")
        con.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {READER}")
        con.execute(f"ALTER DEFAULT PRIVILEGES FOR ROLE {builder} IN SCHEMA public GRANT SELECT ON TABLES TO {READER}")
        # each build's own schema, so that a session keeps reading the build it opened on
        con.execute(f"ALTER DEFAULT PRIVILEGES FOR ROLE {builder} GRANT USAGE ON SCHEMAS TO {READER}")
        con.execute(f"ALTER DEFAULT PRIVILEGES FOR ROLE {builder} GRANT SELECT ON TABLES TO {READER}")
    host = url.split("@", 1)[1]
    return url, f"postgres://{READER}:{quote(READER_PASSWORD, safe='')}@{host}"


def _build_schema(url: str) -> str:
    """The schema of the build published now (each build's tables live in their own schema)."""
    with psycopg.connect(_psycopg(url), autocommit=True) as con:
        return '"fintech_build_' + con.execute("SELECT build_id FROM fintech_build").fetchone()[0] + '"'


def test_the_reader_role_reads_and_cannot_write(reader_url, generate_csv):
    builder_url, url = reader_url
    sl = semantic.connect(url)
    assert sl.query(["accounts"]).accounts.tolist() == [1_003]
    with psycopg.connect(_psycopg(url), autocommit=True) as con:
        for statement in ("DELETE FROM int_customer_account_metrics",
                          "CREATE TABLE stolen AS SELECT * FROM stg_fintech_data",
                          "DROP VIEW kpi_lorenz_curve",
                          "ALTER VIEW dim_customer RENAME TO x",
                          f"DELETE FROM {_build_schema(builder_url)}.int_customer_account_metrics",
                          f"DROP TABLE {_build_schema(builder_url)}.dim_customer"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                con.execute(statement)
    # the layer's own session refuses writes too, whatever the role may do
    with pytest.raises(Exception, match="read-only transaction"):
        sl.con.raw_sql("CREATE TEMP TABLE scratch (i int)")
    sl.close()

    # a rebuild publishes new tables: the default privileges give the reader them too
    result = run_fintech("build", "--source", str(generate_csv(1_500, 21)), "--backend", builder_url)
    assert result.returncode == 0, result.stderr
    sl = semantic.connect(url)
    assert sl.query(["accounts"]).accounts.tolist() == [1_500]
    # the new build's schema is granted by default: this session reads it, pinned there
    assert sl.con.raw_sql("SHOW search_path").fetchone()[0].strip('"').startswith("fintech_build_")
    sl.close()


def test_a_password_in_the_url_is_never_shown(reader_url, monkeypatch):
    _, url = reader_url
    sl = semantic.connect(url)
    shown = [repr(sl), sl.sql(["gini", "accounts"], by=["region"], where={"region": "North"})]
    with pytest.raises(QueryError) as error:
        sl.query(["no_such_metric"])
    shown.append(str(error.value))
    sl.close()

    monkeypatch.setenv("FINTECH_BACKEND", url)
    from dashboard import data
    from dashboard.components.catalog import catalog_frame

    data.reset()
    shown += [data.backend_label(), catalog_frame().to_csv()]
    data.reset()

    unreachable = url.replace(url.split("@", 1)[1].split("/", 1)[0], "127.0.0.1:1")
    for args in (["query", "accounts", "--backend", unreachable], ["validate", "--backend", unreachable],
                 ["build", "--source", "/no/such.csv", "--backend", unreachable], ["query", "accounts"]):
        result = run_fintech(*args, env={"FINTECH_BACKEND": url})
        shown += [result.stdout, result.stderr]
    assert any("fintech_reader" in text for text in shown)  # the URL was shown, masked
    leaks = [text[:300] for text in shown if any(piece in text for piece in PIECES)]
    assert not leaks, leaks
