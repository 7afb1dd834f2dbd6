"""semantic/catalog.py: the kinds of metric, each metric's grain and format, the facts the catalog reads from
their one owner (fixed values, tile counts). Expected values are written here by hand (tests/spec.py) or
come from the pandas reference."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

import semantic
from semantic.catalog import (
    DIMENSIONS,
    FORMATS,
    GRAINS,
    METRICS,
    AccountMetric,
    ActivityMetric,
    CustomerMetric,
    Metric,
    RankedMetric,
)
from semantic.models import intermediate, raw
from semantic.request import QueryError, Request
from tests import reference
from tests.compare import assert_frames_close
from tests.conftest import warehouse_url
from tests.spec import (
    ACCOUNT_ROLLUP_METRICS,
    ACTIVITY_ROLLUP_METRICS,
    CATEGORY_DIMENSIONS,
    DERIVED_DIMENSIONS,
    METRIC_GRAINS,
    NUMBER_DIMENSIONS,
    TIME_DIMENSIONS,
)

SPEC_METRICS = METRIC_GRAINS
# How each metric is shown (README: $ for money, % for percents, three decimals for ratios).
METRIC_FORMATS = {
    "accounts": "integer", "customers": "integer", "total_balance": "money", "avg_balance": "money",
    "credit_exposure": "money", "approved_credit_exposure": "money", "pending_credit_exposure": "money",
    "rejected_credit_exposure": "money", "avg_loan_amount": "money", "balance_weighted_rate": "percent",
    "loan_weighted_rate": "percent", "net_contributions": "money", "avg_net_contribution": "money",
    "avg_income": "money", "avg_loan_to_income": "ratio", "top_leverage_quartile_share": "percent",
    "top_10_balance": "money", "top_10_share": "percent", "gini": "ratio",
    "transaction_volume": "money", "repayment_volume": "money", "active_accounts": "integer",
}
KINDS = {"account": AccountMetric, "customer": CustomerMetric, "activity": ActivityMetric,
         "distribution": RankedMetric}
# ---- the metrics and their kinds


def test_the_catalog_holds_exactly_the_spec_metrics():
    assert {name: m.grain for name, m in METRICS.items()} == SPEC_METRICS


def test_the_catalog_holds_exactly_the_spec_dimensions():
    kinds = {**dict.fromkeys(CATEGORY_DIMENSIONS, "category"), **dict.fromkeys(NUMBER_DIMENSIONS, "number"),
             **dict.fromkeys(DERIVED_DIMENSIONS, "derived"), **dict.fromkeys(TIME_DIMENSIONS, "time")}
    assert {name: d.kind for name, d in DIMENSIONS.items()} == kinds


def test_each_metric_is_of_its_grains_kind():
    assert {name: type(m) for name, m in METRICS.items()} == {n: KINDS[g] for n, g in SPEC_METRICS.items()}
    assert sorted(kind.grain for kind in KINDS.values()) == sorted(GRAINS)


def test_every_metric_has_its_format():
    assert {name: m.format for name, m in METRICS.items()} == METRIC_FORMATS
    assert set(METRIC_FORMATS.values()) == set(FORMATS)


def test_every_kind_shares_what_the_listings_read():
    """The command line's listing, the dashboard's cards and catalog read these four, of any kind."""
    for m in METRICS.values():
        assert isinstance(m, Metric) and m.name and m.description and m.format in FORMATS and m.grain in GRAINS


def test_what_each_kind_reads():
    assert METRICS["avg_income"].customer_attributes == ("income_level",)
    assert METRICS["customers"].customer_attributes == ()
    assert METRICS["top_leverage_quartile_share"].derived_dimensions == ("leverage_quartile",)
    assert {m.name for m in METRICS.values() if isinstance(m, AccountMetric) and m.derived_dimensions} == {
        "top_leverage_quartile_share"}
    assert {m.column for m in METRICS.values() if isinstance(m, RankedMetric)} == {"top_balance", "top_share", "gini"}


def test_which_metrics_are_made_of_sums():
    assert {m.name for m in METRICS.values() if m.additive} == ACCOUNT_ROLLUP_METRICS | ACTIVITY_ROLLUP_METRICS


# ---- facts with one owner


def test_fixed_values_are_the_models():
    """The catalog reads the fixed values from the models that make them (one owner each), in the spec's order."""
    owners = {"risk_tolerance": raw.RISK_TOLERANCES, "account_type": raw.ACCOUNT_TYPES,
              "loan_status": raw.LOAN_STATUSES, "age_band": intermediate.AGE_BANDS}
    assert {name: d.values for name, d in DIMENSIONS.items() if d.values} == owners
    assert all(DIMENSIONS[name].values is values for name, values in owners.items())
    assert {name: list(values) for name, values in owners.items()} == reference.FIXED_VALUES


def test_derived_dimensions_own_their_tile_counts():
    assert {name: d.tiles for name, d in DIMENSIONS.items() if d.kind == "derived"} == {
        "balance_decile": 10, "leverage_quartile": 4}


def test_a_tile_outside_the_tile_count_is_refused():
    for where, words in (({"balance_decile": 11}, "from 1 to 10"), ({"leverage_quartile": [5]}, "from 1 to 4")):
        with pytest.raises(QueryError, match=words):
            Request.of(["accounts"], where=where)
    assert Request.of(["accounts"], where={"balance_decile": [10], "leverage_quartile": 4.0}).where == (
        ("balance_decile", (10,)), ("leverage_quartile", 4))


def test_the_layer_lists_the_tiles(published_sample):
    sl = semantic.connect(warehouse_url(published_sample[0]))
    try:
        assert sl.dimension_values("balance_decile") == list(range(1, 11))
        assert sl.dimension_values("leverage_quartile") == [1, 2, 3, 4]
    finally:
        sl.close()


@pytest.mark.parametrize("n", [0, 1, 9, 13, 40])
def test_derived_dimensions_are_the_references_tiles(n):
    """NTILE over the accounts, equal values in account_id order, accounts without a value not ranked."""
    rng = np.random.default_rng(n)
    frame = pd.DataFrame({"account_id": rng.permutation(np.arange(1, n + 1)),
                          "balance": rng.choice([0.0, 5.0, 7.5, 100.0], size=n),
                          "loan_to_income": np.where(rng.random(n) < 0.2, np.nan, rng.choice([0.0, 0.5, 2.0], n))})
    table = ibis.memtable(frame)
    got = ibis.duckdb.connect().execute(table.mutate(
        balance_decile=DIMENSIONS["balance_decile"].derive(table),
        leverage_quartile=DIMENSIONS["leverage_quartile"].derive(table)))
    want = reference.with_leverage_quartile(reference.with_balance_decile(frame))
    assert_frames_close(got[list(want.columns)], want)
