"""Every request from Python is answered or refused with a QueryError (semantic/request.py): never a
database's, Ibis' or Python's own error. Random requests (Hypothesis) are answered as the pandas
reference answers them, or refused; named cases are refused with a message naming the dimension, the
value and what is expected."""

from __future__ import annotations

import datetime
import decimal
import enum
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import semantic
from tests import reference
from tests.compare import assert_frames_close
from tests.conftest import SAMPLE_CSV, warehouse_url
from tests.spec import (
    ACTIVITY_METRICS,
    CATEGORY_DIMENSIONS,
    DERIVED_DIMENSIONS,
    METRIC_GRAINS,
    NUMBER_DIMENSIONS,
    SNAPSHOT_METRICS,
)

DIMENSIONS = [*CATEGORY_DIMENSIONS, *NUMBER_DIMENSIONS, *DERIVED_DIMENSIONS, "activity_date"]
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def layer(published_sample):
    built, _ = published_sample
    sl = semantic.connect(warehouse_url(built))
    stg = reference.staging(SAMPLE_CSV)
    accounts = reference.int_customer_account_metrics(stg)
    yield sl, stg, accounts
    sl.close()


def expected(stg, accounts, metrics, by, where):
    return reference.metrics(accounts, metrics, by=list(by), where=where, activity=reference.activity_in(stg, where))


# ---- what a careless or hostile caller sends --------------------------------------------------

hostile_text = st.one_of(
    st.text(max_size=12),  # any unicode: NUL, lone surrogates, controls, RTL, emoji
    st.sampled_from(["North\x00", "\ud800", "\udcff", "North' OR '1'='1", "", " ", "North ", "NORTH", "N" * 5000,
                     "%", "_", "\\", "\n", "null", "NaN"]),
)
junk = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**18, max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True), st.decimals(allow_nan=True), hostile_text,
    st.dates(), st.datetimes(), st.just(np.int64(3)), st.just(np.float64("nan")), st.just(np.bool_(True)),
    st.just(np.datetime64("NaT")), st.just(pd.NaT), st.just(object()), st.just(b"North"), st.just(1j),
)
selection = st.recursive(junk, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.tuples(inner, inner), st.tuples(inner), st.tuples(inner, inner, inner),
    st.frozensets(st.one_of(hostile_text, st.integers())), st.dictionaries(hostile_text, inner, max_size=2)),
    max_leaves=6)
any_name = st.one_of(st.sampled_from(DIMENSIONS), hostile_text, st.integers(), st.none())


def sometimes(draw, usual, unusual, odds: int = 5):
    """Mostly `usual`, one time in `odds` `unusual` (one_of would flatten the many kinds of junk and draw
    junk nearly always)."""
    return draw(unusual if draw(st.integers(1, odds)) == 1 else usual)


plausible_values = st.one_of(st.sampled_from(["North", "West", "Low", "High", "savings", "credit", "18-29"]),
                             st.integers(0, 100), st.floats(-1e6, 1e6), st.dates(), st.sampled_from(["2024-01-31"]))


@st.composite
def any_request(draw):
    metrics = sometimes(draw, st.lists(st.sampled_from(list(METRIC_GRAINS)), min_size=1, max_size=3, unique=True),
                        st.one_of(junk, st.lists(junk, max_size=2), st.just([])))
    by = sometimes(draw, st.lists(st.sampled_from(CATEGORY_DIMENSIONS + DERIVED_DIMENSIONS), max_size=2, unique=True),
                   st.one_of(junk, st.lists(any_name, max_size=2)))
    name = st.builds(lambda known, other, pick: other if pick == 1 else known,
                     st.sampled_from(DIMENSIONS), any_name, st.integers(1, 6))
    value = st.builds(lambda known, other, pick: other if pick == 1 else known,
                      st.one_of(plausible_values, st.lists(plausible_values, max_size=3),
                                st.tuples(plausible_values | st.none(), plausible_values | st.none())),
                      selection, st.integers(1, 3))
    where = sometimes(draw, st.dictionaries(name, value, max_size=3),
                      st.one_of(junk, st.lists(st.tuples(any_name, selection), max_size=2)))
    grain = sometimes(draw, st.sampled_from(["month", "quarter", "year"]), junk, odds=8)
    return metrics, by, where, grain


@given(request=any_request())
@SETTINGS
def test_any_request_is_answered_or_refused(layer, request):
    """Whatever is sent: a DataFrame (then the reference's answer), or a QueryError; nothing else."""
    sl, stg, accounts = layer
    metrics, by, where, grain = request
    try:
        result = sl.query(metrics, by=by, where=where, time_grain=grain)
    except semantic.QueryError as e:
        assert str(e) and len(str(e)) < 2_000
        return
    # answered: then the request was well formed, and the answer is the reference's
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    by = [] if by is None else [by] if isinstance(by, str) else list(by)  # None: no grouping, as ()
    assert_frames_close(result, expected(stg, accounts, metrics, by, _plain(where or {})))


def _plain(where: dict) -> dict:
    """The request's filters in the reference's plain form: sets as lists, numpy and Decimal numbers as floats."""
    def value(v):
        if isinstance(v, (decimal.Decimal, np.floating)):
            return float(v)
        if isinstance(v, np.integer):
            return int(v)
        if isinstance(v, datetime.datetime):
            return v.date()
        return v

    out = {}
    for name, selection in where.items():
        if isinstance(selection, tuple):
            out[name] = tuple(None if v is None else value(v) for v in selection)
        elif isinstance(selection, (set, frozenset)):
            out[name] = sorted(value(v) for v in selection)
        elif isinstance(selection, list):
            out[name] = [value(v) for v in selection]
        else:
            out[name] = value(selection)
    return out


# ---- well-formed requests: always answered, always the reference's numbers ---------------------

@st.composite
def valid_request(draw, accounts):
    metrics = draw(st.lists(st.sampled_from(SNAPSHOT_METRICS + ACTIVITY_METRICS), min_size=1, max_size=3, unique=True))
    by = draw(st.lists(st.sampled_from(CATEGORY_DIMENSIONS + DERIVED_DIMENSIONS), max_size=2, unique=True))
    where = {}
    for name in draw(st.lists(st.sampled_from(DIMENSIONS), max_size=2, unique=True)):
        if name in CATEGORY_DIMENSIONS:
            known = sorted(accounts[name].dropna().unique())
            where[name] = draw(st.lists(st.one_of(st.sampled_from(known), st.text(max_size=5).filter(_is_text)),
                                        max_size=3, unique=True))
        elif name in NUMBER_DIMENSIONS:
            column = accounts[name]
            number = st.floats(float(column.min()) - 1, float(column.max()) + 1)
            low, high = sorted([draw(number), draw(number)])
            where[name] = draw(st.sampled_from([(low, high), (None, high), (low, None), [float(column.iloc[0])]]))
        elif name in DERIVED_DIMENSIONS:
            tiles = 10 if name == "balance_decile" else 4
            where[name] = draw(st.one_of(st.lists(st.integers(1, tiles), max_size=3, unique=True),
                                         st.integers(1, tiles)))
        else:
            months = pd.date_range("2019-01-31", "2025-12-31", freq="ME").date.tolist()
            low, high = sorted([draw(st.sampled_from(months)), draw(st.sampled_from(months))])
            where[name] = draw(st.sampled_from([(low.isoformat(), high.isoformat()), (low, None), [high]]))
    return metrics, by, where


def _is_text(value: str) -> bool:
    return "\x00" not in value and not any(0xD800 <= ord(c) <= 0xDFFF for c in value)


def test_well_formed_requests_are_the_references(layer):
    sl, stg, accounts = layer

    @given(request=valid_request(accounts))
    @SETTINGS
    def check(request):
        metrics, by, where = request
        result = sl.query(metrics, by=by, where=where)
        dates = where.get("activity_date")
        if isinstance(dates, tuple):
            where = {**where, "activity_date": tuple(None if d is None else datetime.date.fromisoformat(str(d))
                                                     for d in dates)}
        assert_frames_close(result, expected(stg, accounts, metrics, by, where))

    check()


@given(where=st.one_of(st.dictionaries(any_name, selection, max_size=2), junk),
       points=st.one_of(st.integers(-3, 40), junk))
@SETTINGS
def test_deciles_and_lorenz_answer_or_refuse(layer, where, points):
    sl, _, accounts = layer
    try:
        deciles = sl.deciles(where=where)
    except semantic.QueryError:
        pass
    else:
        assert_frames_close(deciles, reference.kpi_balance_deciles(reference.population(accounts, _plain(where or {}))))
    try:
        curve = sl.lorenz(where=where, points=points)
    except semantic.QueryError:
        return
    assert isinstance(points, int) and 2 <= points
    subset = reference.population(accounts, _plain(where or {}))
    if len(subset) and subset.balance.sum() != 0:
        assert_frames_close(curve, reference.kpi_lorenz_curve(subset, points=points))


# ---- the cases found by trying, refused with what is expected ------------------------------

REFUSED = [
    (dict(where={"region": "North\x00"}), ["region", "NUL"]),
    (dict(where={"region": "\ud800"}), ["region", "surrogate"]),
    (dict(where={"region": 5}), ["region", "text", "5"]),
    (dict(where={"region": [["North"]]}), ["region", "text"]),
    (dict(where={"region": {"North": 1}}), ["region", "text"]),
    (dict(where={"age": ["abc"]}), ["age", "numbers", "'abc'"]),
    (dict(where={"age": ("a", "z")}), ["age", "numbers"]),
    (dict(where={"age": (44, 30)}), ["age", "low <= high"]),
    (dict(where={"age": float("nan")}), ["age", "finite"]),
    (dict(where={"balance": (0, math.inf)}), ["balance", "finite"]),
    (dict(where={"age": True}), ["age", "numbers"]),
    (dict(where={"balance_decile": 10**25}), ["balance_decile", "1 to 10"]),
    (dict(where={"leverage_quartile": [0]}), ["leverage_quartile", "1 to 4"]),
    (dict(where={"activity_date": "garbage"}), ["activity_date", "ISO dates", "garbage"]),
    (dict(where={"activity_date": ("2024-01-31", 5)}), ["activity_date", "ISO dates"]),
    (dict(where={"region": ("North",)}), ["region", "pair"]),
    (dict(where={"region": ["North"] * 1001}), ["region", "1,000"]),
    (dict(where=["region"]), ["where", "mapping"]),
    (dict(where={5: "North"}), ["dimension name"]),
    (dict(where={"region": None}), ["region", "None"]),
    (dict(time_grain=["month"]), ["time_grain", "month, quarter, year"]),
    (dict(time_grain="Month"), ["time grain", "'month'"]),
    (dict(by="regoin"), ["regoin", "'region'"]),
    (dict(by=[["region"]]), ["by", "text"]),
    (dict(by=["region", "region"]), ["twice"]),
]


@pytest.mark.parametrize(("kwargs", "words"), REFUSED, ids=[str(i) for i in range(len(REFUSED))])
def test_malformed_requests_name_what_is_expected(layer, kwargs, words):
    sl, _, _ = layer
    with pytest.raises(semantic.QueryError) as error:
        sl.query(kwargs.pop("metrics", ["accounts", "transaction_volume"]), **kwargs)
    for word in words:
        assert word in str(error.value)


@pytest.mark.parametrize("call", [
    lambda sl: sl.lorenz(points=float("nan")), lambda sl: sl.lorenz(points="5"), lambda sl: sl.lorenz(points=1),
    lambda sl: sl.lorenz(points=10**9), lambda sl: sl.lorenz(points=True), lambda sl: sl.query(5),
    lambda sl: sl.query([["accounts"]]), lambda sl: sl.query(None), lambda sl: sl.dimension_values(["region"]),
    lambda sl: sl.dimension_values(None), lambda sl: sl.accounts(where={"age": "old"}),
    lambda sl: sl.sql(["accounts"], where={"region": "\x00"}), lambda sl: sl.to_ibis(["accounts"], by=5),
    lambda sl: sl.deciles(where={"balance": "rich"}),
])
def test_every_entry_point_refuses_with_query_error(layer, call):
    sl, _, _ = layer
    with pytest.raises(semantic.QueryError):
        call(sl)


def test_values_in_their_many_python_forms_mean_the_same(layer):
    """numpy and Decimal numbers, date objects and ISO text, sets and lists: one request each."""
    sl, stg, accounts = layer
    base = sl.query(["accounts", "transaction_volume"], where={"age": (30, 44), "activity_date": ("2024-01-31", None)})
    for where in [{"age": (np.int64(30), np.float64(44)), "activity_date": (datetime.date(2024, 1, 31), None)},
                  {"age": (decimal.Decimal(30), 44.0), "activity_date": (datetime.datetime(2024, 1, 31, 0, 0), None)},
                  {"age": (30, 44), "activity_date": (np.datetime64("2024-01-31"), None)}]:
        assert_frames_close(sl.query(["accounts", "transaction_volume"], where=where), base)
    regions = sl.query(["accounts"], where={"region": {"North", "West"}})
    assert_frames_close(regions, sl.query(["accounts"], where={"region": ["West", "North", "West"]}))
    assert regions.accounts[0] == accounts.region.isin(["North", "West"]).sum()
    # a whole number beyond 64 bits is a number like any other: nobody is that old
    assert sl.query(["accounts"], where={"age": 10**30}).accounts.tolist() == [0]
    assert sl.query(["accounts"], where={"age": (None, 10**30)}).accounts.tolist() == [len(accounts)]


# ---- objects that are not what they say -------------------------------------------------------

class Dim(str, enum.Enum):
    REGION = "region"


class Region(str, enum.Enum):
    NORTH = "North"


class Liar(str):
    """Text 'region' that says it is 'age'."""
    def __str__(self):
        return "age"


class Raises:
    def __init__(self, where: str):
        self.where = where

    def __getattribute__(self, name):
        if name in {"__hash__", "__eq__", "__iter__", "__len__", "__index__", "__float__", "items", "keys"}:
            raise RuntimeError(f"hostile {name}")
        return object.__getattribute__(self, name)

    def __hash__(self):
        raise RuntimeError("hostile __hash__")

    def __eq__(self, other):
        raise RuntimeError("hostile __eq__")


class Pairs(Mapping):
    """A mapping of any keys, hashable or not."""
    def __init__(self, *pairs):
        self.pairs = pairs

    def __getitem__(self, key):
        return next(v for k, v in self.pairs if k is key)

    def __iter__(self):
        return iter([k for k, _ in self.pairs])

    def __len__(self):
        return len(self.pairs)


class HostileList(list):
    def __iter__(self):
        raise RuntimeError("hostile __iter__")


class HostileInt(int):
    def __le__(self, other):
        raise RuntimeError("hostile <=")

    __ge__ = __lt__ = __gt__ = __le__


def test_text_of_str_subclasses_is_their_text(layer):
    """An enum member of str is its value, whatever its __str__ says; a subclass lying in __str__ is read as
    the text it is."""
    sl, _, accounts = layer
    north = int((accounts.region == "North").sum())
    assert sl.query(["accounts"], where={Dim.REGION: "North"}).accounts.tolist() == [north]
    assert sl.query(["accounts"], where={"region": Region.NORTH}).accounts.tolist() == [north]
    assert sl.query(["accounts"], where={Liar("region"): ["North"]}).accounts.tolist() == [north]
    assert sl.query(["accounts"], by=[Dim.REGION]).region.tolist() == sorted(accounts.region.unique())
    # an int subclass is read as its number, never asked to compare itself
    assert sl.query(["accounts"], where={"age": (HostileInt(0), HostileInt(200))}).accounts.tolist() == [len(accounts)]
    assert len(sl.lorenz(points=HostileInt(11))) == 11


@pytest.mark.parametrize("call", [
    lambda sl: sl.query(["accounts"], where={"age": np.timedelta64(3, "D")}),
    lambda sl: sl.query(["accounts"], where={"balance_decile": np.timedelta64(3)}),
    lambda sl: sl.query(["transaction_volume"], where={"activity_date": np.datetime64("200000-01-01")}),
    lambda sl: sl.lorenz(points=np.timedelta64(11)),
    lambda sl: sl.query(["accounts"], where={"region": HostileList(["North"])}),
    lambda sl: sl.query(["accounts"], where=Pairs((Raises("key"), "North"))),
    lambda sl: sl.query(["accounts"], where={"region": Raises("value")}),
    lambda sl: sl.query(["accounts"], where=Raises("where")),
    lambda sl: sl.query(HostileList(["accounts"])),
    lambda sl: sl.dimension_values(Raises("name")),
], ids=lambda _: "")
def test_objects_that_raise_when_read_are_refused(layer, call):
    sl, _, _ = layer
    with pytest.raises(semantic.QueryError):
        call(sl)


def test_a_closed_layer_and_a_bad_url_are_query_errors(published_sample, tmp_path):
    built, _ = published_sample
    sl = semantic.connect(warehouse_url(built))
    sl.close()
    sl.close()  # twice: nothing to do
    with pytest.raises(semantic.QueryError, match="closed"):
        sl.query(["accounts"])
    for url in [built, "notaurl", "foo://bar", f"duckdb://{tmp_path}/none.duckdb", f"duckdb://{SAMPLE_CSV}"]:
        with pytest.raises(semantic.QueryError):
            semantic.connect(url)


def test_parsed_filters_are_one_hashable_where_with_ranges_apart_from_values():
    """One `Where` (semantic/request.py): values a tuple, a range a Range (never a tuple of two values), so the
    dashboard's caches key on the parsed filters themselves."""
    from semantic.request import Range, parse_where

    given = {"region": ["North", "West"], "age": (30, 44), "activity_date": ("2024-01-31", None)}
    parsed = parse_where(given)
    assert parsed == (("region", ("North", "West")), ("age", Range(30, 44)),
                      ("activity_date", Range(datetime.date(2024, 1, 31), None)))
    assert hash(parsed) == hash(parse_where(dict(given)))
    assert parse_where({"age": Range(30, 44)}) == parse_where({"age": (30, 44)}) == (("age", Range(30, 44)),)
    assert parse_where({"risk_tolerance": {"Low", "High"}}) == (("risk_tolerance", ("High", "Low")),)
    with pytest.raises(semantic.QueryError, match="runs from 44 down to 30"):
        parse_where({"age": Range(44, 30)})
