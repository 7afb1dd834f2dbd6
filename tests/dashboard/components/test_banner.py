"""dashboard/components/banner.py: the banner's words, on a warehouse with known numbers."""

from __future__ import annotations

import csv

import pytest

from dashboard import data
from semantic.formats import gini_band
from tests import reference
from tests.conftest import build_warehouse, warehouse_url
from tests.dashboard.components.test_overview import money


@pytest.mark.parametrize(("gini", "band"), [(0.2, "Relatively even distribution"), (0.35, "Moderate concentration"),
                                            (0.6, "High concentration"), (0.7, "Extreme concentration")])
def test_gini_bands(gini, band):
    assert gini_band(gini) == band


def expected_trend(accounts, where: dict | None = None) -> str:
    """The spec's words for the reference's average net contribution: about flat within 0.1% of the average
    balance, else growing or shrinking."""
    row = reference.metrics(accounts, ["avg_net_contribution", "avg_balance"], where=where).iloc[0]
    if abs(row.avg_net_contribution) <= 0.001 * abs(row.avg_balance):
        return "about flat"
    return "growing" if row.avg_net_contribution > 0 else "shrinking"


def test_banner_in_words(dashboard_env):
    from dashboard.components.banner import banner_text

    accounts = dashboard_env
    text = banner_text(())
    assert f"**{len(accounts):,} accounts**" in text
    assert f"**{expected_trend(accounts)}**" in text
    west = banner_text((("region", ("West",)),))
    assert f"**{expected_trend(accounts, {'region': ['West']})}**" in west
    assert gini_band(reference.gini_by_trapezoids(accounts.balance)).lower() in text
    assert "filtered subset" not in text
    assert "filtered subset" in banner_text((("region", ("West",)),))
    assert "No accounts match these filters" in banner_text((("region", ("North",)), ("account_type", ("credit",))))


# Average net contributions just inside and just outside 0.1% of the average balance, on either side of 0.
NEAR_FLAT = {"inside": (0.999, "about flat"), "outside": (1.001, "growing"), "outside_negative": (-1.001, "shrinking"),
             "inside_negative": (-0.999, "about flat")}


@pytest.fixture(scope="module")
def near_flat(generate_csv, tmp_path_factory):
    """`near_flat(case)`: a warehouse URL whose average net contribution is the case's multiple of 0.1% of its
    average balance (one account's deposits or withdrawals moved), and its reference accounts."""
    source = generate_csv(200, 5)
    base = reference.int_customer_account_metrics(reference.staging(source))
    made = {}

    def make(case: str):
        if case not in made:
            folder = tmp_path_factory.mktemp(f"near_flat_{case}")
            wanted = NEAR_FLAT[case][0] * 0.001 * base.balance.mean() * len(base)
            move = wanted - (base.deposits - base.withdrawals).sum()  # added to one account's net flow
            with source.open(newline="") as f:
                rows = list(csv.reader(f))
            column = rows[0].index("Account Activity.deposits" if move > 0 else "Account Activity.withdrawals")
            rows[1][column] = f"{float(rows[1][column]) + abs(move):.2f}"
            edited = folder / "fintech_data.csv"
            with edited.open("w", newline="") as f:
                csv.writer(f).writerows(rows)
            target = build_warehouse(edited, folder / "warehouse" / "fintech.duckdb")
            made[case] = warehouse_url(target), reference.int_customer_account_metrics(reference.staging(edited))
        return made[case]

    return make


@pytest.mark.parametrize("case", list(NEAR_FLAT))
def test_the_banner_is_about_flat_within_a_tenth_of_a_percent(near_flat, case, monkeypatch, tmp_path):
    from dashboard.components.banner import banner_text

    url, accounts = near_flat(case)
    row = reference.metrics(accounts, ["avg_net_contribution", "avg_balance"]).iloc[0]
    ratio = row.avg_net_contribution / (0.001 * row.avg_balance)
    assert ratio == pytest.approx(NEAR_FLAT[case][0], abs=2e-4)  # the edit made the case it names
    assert expected_trend(accounts) == NEAR_FLAT[case][1]
    monkeypatch.setenv("FINTECH_BACKEND", url)
    monkeypatch.setenv("FINTECH_DATA_DIR", str(tmp_path))
    data.reset()
    text = banner_text(())
    assert f"On average accounts are **{NEAR_FLAT[case][1]}**: net contributions are " \
           f"**{money(row.avg_net_contribution)}** per account" in text
    data.reset()
