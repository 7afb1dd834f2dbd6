"""The same models and metrics on every backend, compared with DuckDB's results.

One set of tests run per backend, as in Ibis' own backend suite: each backend
builds its warehouse with `fintech build` from the same generated extract
(customers with several accounts), and every published table and metric must
equal DuckDB's to a relative 1e-9, rows in any order. DuckDB itself is held to
the independent pandas reference in test_layer.py. Where a backend lacks an
operation, the test carries an explicit marker naming it: nothing is skipped
silently. Each test names the feature it proves (`feature` marker): the
capability matrix in docs/backends.md is written from these outcomes
(`make backends-doc`).
"""

from __future__ import annotations

import json
from datetime import date

import pytest

import semantic
from pipelines.validate import validate
from semantic import backends
from tests.compare import assert_frames_close
from tests.conftest import run_fintech
from tests.spec import ACCOUNT_DIMENSIONS, ACTIVITY_METRICS, METRIC_GRAINS, MODEL_TABLES, SNAPSHOT_METRICS

BACKENDS = ("duckdb", "sqlite", "postgres", "datafusion", "pyspark")
TABLES = list(MODEL_TABLES)
FILTERS = {
    "unfiltered": {},
    "region": {"region": ["West"]},
    "risk_and_product": {"risk_tolerance": ["Low", "High"], "account_type": ["savings", "credit"]},
    "age_range": {"age": (30, 44)},
}


@pytest.fixture(scope="session")
def conformance_csv(generate_csv):
    return generate_csv(1_206, 11, 2.5)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request, conformance_csv, tmp_path_factory):
    """(backend name, warehouse URL), the warehouse built there by `fintech build`."""
    name = request.param
    folder = tmp_path_factory.mktemp(f"warehouse_{name}")
    url = {
        "duckdb": f"duckdb://{folder}/fintech.duckdb",
        "sqlite": f"sqlite://{folder}/fintech.sqlite",
        "datafusion": f"datafusion://{folder}/parquet",
        "pyspark": f"pyspark://{folder}/parquet",
    }.get(name) or request.getfixturevalue("postgres_database")("conformance")
    result = run_fintech("build", "--source", str(conformance_csv), "--backend", url, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return name, url


@pytest.fixture(scope="session")
def duckdb_reference(conformance_csv, tmp_path_factory):
    url = f"duckdb://{tmp_path_factory.mktemp('conformance_reference')}/fintech.duckdb"
    result = run_fintech("build", "--source", str(conformance_csv), "--backend", url)
    assert result.returncode == 0, result.stderr
    reference = semantic.connect(url)
    yield reference
    reference.close()


@pytest.fixture(scope="session")
def layers(backend, duckdb_reference):
    """(the layer on this backend, the layer on DuckDB)."""
    layer = semantic.connect(backend[1])
    yield layer, duckdb_reference
    layer.close()


@pytest.mark.feature("build")
def test_build_publishes_every_table(layers):
    layer, _ = layers
    assert set(TABLES) <= set(layer.con.list_tables())
    assert "raw_fintech_data" not in layer.con.list_tables()  # the address never leaves staging


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.feature("table {table}")
def test_published_table_equals_duckdb(layers, table):
    layer, reference = layers
    assert_frames_close(as_arrays(layer.con.table(table).to_pandas()), reference.con.table(table).to_pandas())


def as_arrays(frame):
    """SQLite has no arrays: its staging keeps each activity list as text (`a,b,c`); read it back as the list."""
    for column in ("ts_dates", "ts_transactions", "ts_repayments"):
        if column in frame and frame[column].map(lambda v: isinstance(v, str)).all():
            parse = date.fromisoformat if column == "ts_dates" else float
            frame[column] = frame[column].map(lambda text: [parse(x) for x in text.split(",")])
    return frame


@pytest.mark.parametrize("where", list(FILTERS))
@pytest.mark.parametrize("grain", ["account", "customer", "distribution"])
@pytest.mark.feature("{grain}-grain metrics")
def test_metrics_of_each_kind_equal_duckdb(layers, grain, where):
    layer, reference = layers
    names = [name for name, metric_grain in METRIC_GRAINS.items() if metric_grain == grain]
    assert_frames_close(layer.query(names, where=FILTERS[where]), reference.query(names, where=FILTERS[where]))


@pytest.mark.parametrize("by", ACCOUNT_DIMENSIONS)
@pytest.mark.feature("metrics by each dimension")
def test_every_metric_by_each_dimension_equals_duckdb(layers, by):
    layer, reference = layers
    names = SNAPSHOT_METRICS
    assert_frames_close(layer.query(names, by=[by]), reference.query(names, by=[by]))


@pytest.mark.parametrize("time_grain", ["month", "quarter", "year"])
@pytest.mark.feature("activity by {time_grain}")
def test_activity_by_time_grain_equals_duckdb(layers, time_grain):
    layer, reference = layers
    for where in FILTERS.values():
        assert_frames_close(layer.query(ACTIVITY_METRICS, by=["activity_date"], where=where, time_grain=time_grain),
                            reference.query(ACTIVITY_METRICS, by=["activity_date"], where=where,
                                            time_grain=time_grain))


# Values a careless or hostile caller sends that are still values: each means the same on every backend
ODD_VALUES = {
    "text": {"region": ["West", "O'Brien", "back\\slash", "%", "_", "Nörth 北 🙂", "\u2028", "West ", "' OR 1=1 --"]},
    "numbers": {"age": [30.5, 31, 10**30], "balance": (None, 1e300)},
    "dates": {"activity_date": ["2024-01-31", date(2023, 6, 30)]},
    "date_range": {"activity_date": ("2023-03-31", date(2024, 2, 29))},
    "derived": {"balance_decile": [1, 2.0], "leverage_quartile": (2, None)},
}
REFUSED = [{"region": "North\x00"}, {"region": "\ud800"}, {"region": 5}, {"age": ["abc"]}, {"age": 10**400},
           {"activity_date": "garbage"}, {"balance_decile": 11}]


@pytest.mark.parametrize("where", list(ODD_VALUES))
@pytest.mark.feature("odd filter values")
def test_odd_filter_values_mean_the_same(layers, where):
    layer, reference = layers
    names = ["accounts", "total_balance", "avg_income", "gini", "transaction_volume"]
    assert_frames_close(layer.query(names, where=ODD_VALUES[where]), reference.query(names, where=ODD_VALUES[where]))


@pytest.mark.feature("malformed requests refused")
def test_malformed_requests_are_refused_the_same(layers):
    """Refused before any SQL is written: the same QueryError, whatever the backend."""
    layer, reference = layers
    for where in REFUSED:
        assert _refusal(layer, where) == _refusal(reference, where)


def _refusal(layer, where) -> str:
    with pytest.raises(semantic.QueryError) as error:
        layer.query(["accounts"], where=where)
    return str(error.value)


@pytest.mark.feature("deciles and Lorenz curve")
def test_deciles_and_lorenz_equal_duckdb(layers):
    layer, reference = layers
    for where in FILTERS.values():
        assert_frames_close(layer.deciles(where), reference.deciles(where))
        assert_frames_close(layer.lorenz(where), reference.lorenz(where))


@pytest.fixture(scope="session")
def validated(backend, tmp_path_factory):
    """What `fintech validate` runs (pipelines.validate), in this process: on Spark it reuses the session's JVM
    (the command itself is tested in tests/pipelines/test_validate.py). (Every suite passed, summary.json)."""
    out = tmp_path_factory.mktemp(f"validation_{backend[0]}")
    runs, summary = validate(backend[1], out)
    return all(run.result.success for run in runs), json.loads(summary.read_text())


@pytest.mark.feature("validation (fintech validate)")
def test_validate_passes(validated):
    passed, summary = validated
    assert passed and summary["success"], summary


@pytest.mark.feature("staging list checks in the database")
def test_every_expectation_runs_in_the_database(backend, validated, request):
    lacking = backends.LACKING.get(backend[0], {}).get("array filter")
    if lacking:  # explicit: the operation is missing there, and what covers for it
        request.applymarker(pytest.mark.xfail(reason=f"array filter: {lacking}", strict=True))
    _, summary = validated
    assert not [s["not_evaluated"] for s in summary["suites"] if s["not_evaluated"]]
