"""The same models and metrics on every backend, compared with DuckDB's results; DuckDB's with the pandas reference.

One set of tests run per backend, as in Ibis' own backend suite: each backend
of the registry (semantic.engines.ENGINES) builds its warehouse with `fintech
build` from the same generated extract (customers with several accounts), and
every published table and metric must equal DuckDB's to a relative 1e-9, rows
in any order. DuckDB's own are held, to the same tolerance, to the independent
pandas reference (tests/reference.py), never to themselves: its row of the
capability matrix says what that comparison found. Where a backend lacks an
operation, the test declares it (`notimpl`: it must fail there with exactly
that exception, and pass everywhere else): nothing is skipped silently. Each
test names the feature it proves (`feature` marker): the capability matrix in
docs/backends.md is written from these outcomes (`make backends-doc`). A test
"matches" when the backend's answer equals what it is compared with: DuckDB's,
or for DuckDB the pandas reference's.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date

import pandas as pd
import pytest
from ibis.common.exceptions import OperationNotDefinedError

import semantic
from pipelines.validate import validate
from semantic import backends, engines
from tests import reference
from tests.compare import assert_frames_close
from tests.conftest import run_fintech
from tests.spec import ACCOUNT_DIMENSIONS, ACTIVITY_METRICS, METRIC_GRAINS, MODEL_TABLES, SNAPSHOT_METRICS

BACKENDS = list(engines.ENGINES)
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


def build(csv, url: str) -> str:
    result = run_fintech("build", "--source", str(csv), "--backend", url, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return url


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request, conformance_csv, tmp_path_factory):
    """(backend name, warehouse URL), the warehouse built there by `fintech build`: in a folder of its own, or
    (a server's) in a new database of the session's PostgreSQL cluster; for an engine that only reads, built by
    the engine it names (duckdb-parquet reads what Spark built)."""
    name, engine = request.param, engines.ENGINES[request.param]
    folder = tmp_path_factory.mktemp(f"warehouse_{name}")
    if not engine.builds:  # a reader of another engine's warehouses: that engine builds it, in the same place
        build(conformance_csv, engines.ENGINES[engine.built_by].url_in(folder))
        return name, engine.url_in(folder)
    url = engine.url_in(folder) or request.getfixturevalue("postgres_database")("conformance")
    return name, build(conformance_csv, url)


class DuckDBWarehouse:
    """What every other backend is compared with: the layer on a DuckDB warehouse built from the same extract."""

    def __init__(self, layer):
        self.layer = layer

    def query(self, names, by=(), where=None, time_grain="month") -> pd.DataFrame:
        return self.layer.query(names, by=by, where=where, time_grain=time_grain)

    def deciles(self, where) -> pd.DataFrame:
        return self.layer.deciles(where)

    def lorenz(self, where) -> pd.DataFrame:
        return self.layer.lorenz(where)

    def table(self, name: str) -> pd.DataFrame:
        return self.layer.con.table(name).to_pandas()


class PandasReference:
    """What DuckDB is compared with: tests/reference.py (plain pandas, from the spec), answering as the layer does."""

    def __init__(self, csv):
        self.stg = reference.staging(csv)
        self.accounts = reference.int_customer_account_metrics(self.stg)
        self.tables = reference.tables_from_staging(self.stg)

    def query(self, names, by=(), where=None, time_grain="month") -> pd.DataFrame:
        by, where = list(by), where or {}
        if by[:1] == ["activity_date"]:
            return reference.activity_metrics(self.stg, self.accounts, list(names), time_grain, where=where,
                                              by=by[1:])
        return reference.metrics(self.accounts, list(names), by=by, where=where,
                                 activity=reference.activity_in(self.stg, where))

    def deciles(self, where) -> pd.DataFrame:
        return reference.kpi_balance_deciles(reference.filtered(self.accounts, where or {}))

    def lorenz(self, where) -> pd.DataFrame:
        return reference.kpi_lorenz_curve(reference.filtered(self.accounts, where or {}))

    def table(self, name: str) -> pd.DataFrame:
        return self.tables[name]


@pytest.fixture(scope="session")
def duckdb_warehouse(conformance_csv, tmp_path_factory):
    """The DuckDB warehouse every other backend is compared with."""
    url = engines.LOCAL.url_in(tmp_path_factory.mktemp("conformance_reference"))
    layer = semantic.connect(build(conformance_csv, url))
    yield DuckDBWarehouse(layer)
    layer.close()


@pytest.fixture(scope="session")
def layers(backend, conformance_csv, request):
    """(the layer on this backend, what it is compared with: DuckDB's warehouse, or for DuckDB itself the pandas
    reference)."""
    name, url = backend
    expected = PandasReference(conformance_csv) if engines.ENGINES[name] is engines.LOCAL \
        else request.getfixturevalue("duckdb_warehouse")
    layer = semantic.connect(url)
    yield layer, expected
    layer.close()


def dated(frame: pd.DataFrame) -> pd.DataFrame:
    """Activity dates as timestamps, whichever type a backend or the reference gives them."""
    return frame.assign(activity_date=pd.to_datetime(frame.activity_date)) if "activity_date" in frame else frame


@pytest.mark.feature("build")
def test_build_publishes_every_table(layers):
    layer, _ = layers
    assert set(TABLES) <= set(layer.con.list_tables())
    assert "raw_fintech_data" not in layer.con.list_tables()  # the address never leaves staging


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.feature("table {table}")
def test_published_table_matches(layers, table):
    layer, expected = layers
    actual, want = as_arrays(layer.con.table(table).to_pandas()), expected.table(table)
    assert sorted(actual.columns) == sorted(want.columns)
    assert_frames_close(actual, want[list(actual.columns)])


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
def test_metrics_of_each_kind_match(layers, grain, where):
    layer, expected = layers
    names = [name for name, metric_grain in METRIC_GRAINS.items() if metric_grain == grain]
    assert_frames_close(layer.query(names, where=FILTERS[where]), expected.query(names, where=FILTERS[where]))


@pytest.mark.parametrize("by", ACCOUNT_DIMENSIONS)
@pytest.mark.feature("metrics by each dimension")
def test_every_metric_by_each_dimension_matches(layers, by):
    layer, expected = layers
    names = SNAPSHOT_METRICS
    assert_frames_close(layer.query(names, by=[by]), expected.query(names, by=[by]))


@pytest.mark.parametrize("time_grain", ["month", "quarter", "year"])
@pytest.mark.feature("activity by {time_grain}")
def test_activity_by_time_grain_matches(layers, time_grain):
    layer, expected = layers
    for where in FILTERS.values():
        assert_frames_close(dated(layer.query(ACTIVITY_METRICS, by=["activity_date"], where=where,
                                              time_grain=time_grain)),
                            dated(expected.query(ACTIVITY_METRICS, by=["activity_date"], where=where,
                                                 time_grain=time_grain)))


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
    layer, expected = layers
    names = ["accounts", "total_balance", "avg_income", "gini", "transaction_volume"]
    assert_frames_close(layer.query(names, where=ODD_VALUES[where]), expected.query(names, where=ODD_VALUES[where]))


@pytest.mark.feature("malformed requests refused")
def test_malformed_requests_are_refused_the_same(layers):
    """Refused before any SQL is written: a QueryError naming the filter it refuses, the same whatever the backend
    (DuckDB's, what the spec asks: the filter named)."""
    layer, expected = layers
    for where in REFUSED:
        refusal = _refusal(layer, where)
        assert next(iter(where)) in refusal, refusal
        if isinstance(expected, DuckDBWarehouse):
            assert refusal == _refusal(expected.layer, where)


def _refusal(layer, where) -> str:
    with pytest.raises(semantic.QueryError) as error:
        layer.query(["accounts"], where=where)
    return str(error.value)


@pytest.mark.feature("deciles and Lorenz curve")
def test_deciles_and_lorenz_match(layers):
    layer, expected = layers
    for where in FILTERS.values():
        assert_frames_close(layer.deciles(where), expected.deciles(where))
        assert_frames_close(layer.lorenz(where), expected.lorenz(where))


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


@pytest.mark.notimpl(["sqlite"], raises=AttributeError,  # its staging keeps each list as text: no .filter
                     reason="array filter: SQLite has no arrays; the loader ran these checks in DuckDB before loading")
@pytest.mark.notimpl(["datafusion"], raises=OperationNotDefinedError,
                     reason="array filter: no ArrayFilter in Ibis' DataFusion compiler; the loader ran these checks "
                            "in DuckDB before loading")
@pytest.mark.feature("staging list checks in the database")
def test_the_staging_list_checks_run_in_the_database(backend, validated):
    """The staging suite's targets that filter arrays, run directly on the backend's own connection (not as the
    gate runs them, which skips them where the backend lacks the operation): they pass; and there `fintech
    validate` evaluated every target."""
    from expectations.gate import run_suite
    from expectations.suites import STAGING, Suite

    targets = [dataclasses.replace(t, requires_operation=None) for t in STAGING.targets if t.requires_operation]
    assert targets
    # a connection of its own: `validated` closed its own, and on Spark that stops the session every one shares
    con = backends.open_warehouse(backend[1])
    try:
        run = run_suite(Suite(STAGING.name, targets), {"stg_fintech_data": con.table("stg_fintech_data")})
    finally:
        con.disconnect()
    assert run.result.success and not run.not_evaluated, run.failures
    _, summary = validated
    assert not [s["not_evaluated"] for s in summary["suites"] if s["not_evaluated"]]
