"""Requests compiled once per shape (semantic/compiled.py): new filter values give new answers, and any text
is bound as a value, never as SQL."""

from __future__ import annotations

import itertools

import pytest

import semantic
from semantic.compiled import effective
from tests import reference
from tests.compare import assert_frames_close
from tests.conftest import warehouse_url

METRICS = ["accounts", "total_balance", "balance_weighted_rate", "avg_income", "gini", "top_10_share"]

HOSTILE = [
    "North' OR '1'='1",
    "North'); DROP TABLE int_customer_account_metrics; --",
    "North\" OR \"1\"=\"1",
    "\\' OR 1=1 --",
    "Nörth 北 🙂",
    "N" * 20_000,
    "",
]


@pytest.fixture(scope="module")
def layer(dataset):
    csv, warehouse = dataset
    sl = semantic.connect(warehouse_url(warehouse))
    yield sl, reference.int_customer_account_metrics(reference.staging(csv))
    sl.close()


def test_one_shape_many_selections(layer):
    """The same shape asked with every pair of regions: each answer is its own pair's."""
    sl, accounts = layer
    regions = sorted(accounts.region.unique())
    for pair in itertools.combinations(regions, 2):
        where = {"region": list(pair), "risk_tolerance": ["High", "Low"]}
        actual = sl.query(METRICS, by=["account_type"], where=where)
        assert_frames_close(actual, reference.metrics(accounts, METRICS, by=["account_type"], where=where))


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_is_a_value(layer, value):
    sl, accounts = layer
    alone = sl.query(["accounts", "total_balance"], where={"region": [value]})
    assert alone.accounts.tolist() == [0]
    # beside a real value it changes nothing: the answer is North's, exactly
    with_north = sl.query(METRICS, where={"region": [value, "North"]})
    assert_frames_close(with_north, reference.metrics(accounts, METRICS, where={"region": ["North"]}))
    assert sl.query(["accounts"]).accounts.tolist() == [len(accounts)]  # nothing was dropped


def test_a_placeholder_as_a_value_is_a_value(layer):
    sl, accounts = layer
    sl.query(["accounts"], where={"region": ["North"]})  # the shape is compiled: its placeholders exist
    placeholder = f"p{sl._shapes._token}x0x0"
    assert sl.query(["accounts"], where={"region": [placeholder]}).accounts.tolist() == [0]
    assert sl.query(["accounts"], where={"region": ["North"]}).accounts.tolist() == [
        int((accounts.region == "North").sum())]


def test_selections_that_filter_nothing_are_dropped():
    every_product = ["checking", "savings", "credit", "investment"]
    assert effective((("account_type", every_product), ("region", []), ("region", ["West"]))) == (
        ("region", ["West"]),)
