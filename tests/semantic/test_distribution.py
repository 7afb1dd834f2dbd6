"""semantic/distribution.py on small in-memory tables: NTILE, the one ranked pass, concentration (top share,
Gini), deciles and the Lorenz curve. Expected values are worked out by hand or come from the pandas
reference (tests/reference.py: tiles by counting, the Gini from the Lorenz curve's trapezoids)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pytest

import semantic
from semantic import distribution
from tests import reference
from tests.compare import assert_frames_close
from tests.conftest import build_warehouse, warehouse_url


@pytest.fixture(scope="module")
def con():
    con = ibis.duckdb.connect()
    yield con
    con.disconnect()


def accounts(balances, groups=None) -> pd.DataFrame:
    """Accounts numbered 1..n with these balances (and a group column `g` when given)."""
    frame = pd.DataFrame({"account_id": np.arange(1, len(balances) + 1), "balance": np.asarray(balances, float)})
    return frame if groups is None else frame.assign(g=groups)


def summary(frame: pd.DataFrame, by=(), tiles: int = 10, steps: int = 1000) -> ir.Table:
    """The ranked pass over `frame`'s balances (unexecuted)."""
    return distribution.ranked_summary(ibis.memtable(frame), "balance", by, tiles=tiles, steps=steps)


def random_balances(n: int, seed: int) -> np.ndarray:
    """Balances with many ties (a few distinct values) and zeros, in cents."""
    rng = np.random.default_rng(seed)
    return np.round(rng.choice([0.0, 10.0, 250.5, 1_000.0, 99_999.99], size=n) * rng.integers(1, 3, size=n), 2)


# ---- ntile


@pytest.mark.parametrize("tiles", [1, 3, 4, 10])
def test_ntile_is_sql_ntile_in_every_group(con, tiles):
    """Sizes differ by at most one, the larger tiles first: the reference's counting, group by group."""
    sizes = list(range(0, 24))
    frame = pd.DataFrame([(g, i) for g, size in enumerate(sizes) for i in range(size)], columns=["g", "position"])
    table = ibis.memtable(frame)
    got = con.execute(table.mutate(tile=distribution.ntile(table, tiles, [table.position], by=[table.g])))
    got = got.sort_values(["g", "position"])
    for g, size in enumerate(sizes):
        np.testing.assert_array_equal(got[got.g == g].tile.to_numpy(), reference.ntile(size, tiles), err_msg=str(size))


def test_ntile_by_hand(con):
    table = ibis.memtable(pd.DataFrame({"x": range(7)}))
    got = con.execute(table.mutate(tile=distribution.ntile(table, 3, [table.x]))).sort_values("x")
    assert got.tile.tolist() == [1, 1, 1, 2, 2, 3, 3]


# ---- the ranked pass


def test_ranked_summary_by_hand(con):
    """Five balances, 2 tiles, 2 steps. Ranks ascending 1..5; tile 1 = the 3 largest (NTILE(2) of 5: 3 + 2);
    step = floor((rank - 1) * 2 / 5) + 1: ranks 1-3 step 1, ranks 4-5 step 2."""
    got = con.execute(summary(accounts([3, 1, 5, 2, 4]), tiles=2, steps=2)).sort_values(["tile", "step"])
    columns = ["tile", "step", "_n", "accounts", "total", "min_value", "max_value", "last_rank", "rank_weighted"]
    want = pd.DataFrame([
        (1, 1, 5, 1, 3.0, 3.0, 3.0, 3, 9.0),  # rank 3
        (1, 2, 5, 2, 9.0, 4.0, 5.0, 5, 41.0),  # ranks 4, 5: 4 * 4 + 5 * 5
        (2, 1, 5, 2, 3.0, 1.0, 2.0, 2, 5.0),  # ranks 1, 2: 1 * 1 + 2 * 2
    ], columns=columns)
    assert_frames_close(got[columns], want)


def test_ranked_summary_ranks_each_group_within_itself(con):
    frame = accounts([1, 2, 30, 10, 20], groups=["a", "a", "b", "b", "b"])
    got = con.execute(summary(frame, by=["g"], tiles=2, steps=10))
    per_group = got.groupby("g").agg(n=("_n", "max"), accounts=("accounts", "sum"), total=("total", "sum"),
                                     top=("last_rank", "max"), weighted=("rank_weighted", "sum"))
    assert per_group.to_dict("index") == {
        "a": {"n": 2, "accounts": 2, "total": 3.0, "top": 2, "weighted": 1 * 1 + 2 * 2.0},
        "b": {"n": 3, "accounts": 3, "total": 60.0, "top": 3, "weighted": 1 * 10 + 2 * 20 + 3 * 30.0},
    }


# ---- concentration


def test_concentration_by_hand(con):
    """Equal balances: Gini 0; one account of four holds all: Gini 2 * 40 / (4 * 10) - 5 / 4 = 0.75; a total of
    0: no share, no Gini. With 4 accounts NTILE(10)'s tile 1 is the one largest balance."""
    frame = accounts([1, 1, 1, 1, 0, 0, 0, 10, 0, 0], groups=["equal"] * 4 + ["one"] * 4 + ["zero"] * 2)
    got = con.execute(distribution.concentration(summary(frame, by=["g"]), ["g"])).set_index("g").sort_index()
    assert got.top_balance.tolist() == [1.0, 10.0, 0.0]
    assert got.top_share.tolist()[:2] == [0.25, 1.0] and np.isnan(got.top_share["zero"])
    assert got.gini.tolist()[:2] == pytest.approx([0.0, 0.75], abs=1e-12) and np.isnan(got.gini["zero"])


def test_concentration_of_no_accounts_is_null(con):
    got = con.execute(distribution.concentration(summary(accounts([]))))
    assert len(got) == 1 and got.isna().all(axis=None)


@pytest.mark.parametrize("n", [1, 9, 11, 503])
def test_concentration_equals_the_reference(con, n):
    frame = accounts(random_balances(n, n))
    got = con.execute(distribution.concentration(summary(frame)))
    want = reference.kpi_wealth_concentration(frame).drop(columns="total_balance")
    assert_frames_close(got.rename(columns={"top_balance": "top_10_balance", "top_share": "top_10_share"}), want)


# ---- deciles


def test_deciles_by_hand(con):
    """Three accounts: NTILE(10) puts one in each of tiles 1-3, the richest first."""
    got = con.execute(distribution.deciles(summary(accounts([10, 30, 20]))))
    want = pd.DataFrame({"balance_decile": [1, 2, 3], "accounts": [1, 1, 1], "min_balance": [30.0, 20.0, 10.0],
                         "avg_balance": [30.0, 20.0, 10.0], "max_balance": [30.0, 20.0, 10.0],
                         "total_balance": [30.0, 20.0, 10.0]})
    assert_frames_close(got, want)


@pytest.mark.parametrize("n", [7, 10, 503])
def test_deciles_equal_the_reference_with_ties(con, n):
    frame = accounts(random_balances(n, 100 + n))
    assert_frames_close(con.execute(distribution.deciles(summary(frame))), reference.kpi_balance_deciles(frame))


# ---- the Lorenz curve


def test_lorenz_curve_by_hand(con):
    got = con.execute(distribution.lorenz_curve(summary(accounts([3, 1]))))
    assert got.values.tolist() == [[0.0, 0.0], [0.5, 0.25], [1.0, 1.0]]


def test_lorenz_curve_of_a_zero_total_has_no_shares(con):
    got = con.execute(distribution.lorenz_curve(summary(accounts([0, 0]))))
    assert got.population_share.tolist() == [0.0, 0.5, 1.0]
    assert got.balance_share.iloc[0] == 0.0 and got.balance_share.iloc[1:].isna().all()


@pytest.mark.parametrize(("n", "points"), [(5, 1001), (503, 101), (1_000, 1001), (2_503, 1001)])
def test_lorenz_curve_equals_the_reference(con, n, points):
    """Every rank a point when n < points, else one point per step, ending at rank ceil(k * n / steps)."""
    frame = accounts(random_balances(n, 200 + n))
    got = con.execute(distribution.lorenz_curve(summary(frame, steps=points - 1)))
    assert len(got) == min(n + 1, points)
    assert_frames_close(got, reference.kpi_lorenz_curve(frame, points))


def test_lorenz_has_at_most_1001_points_and_gives_back_gini(generate_csv, tmp_path):
    sl = semantic.connect(warehouse_url(build_warehouse(generate_csv(2_503, 13), tmp_path / "w.duckdb")))
    curve = sl.lorenz()
    assert len(curve) == 1_001
    assert tuple(curve.iloc[0]) == (0.0, 0.0) and tuple(curve.iloc[-1]) == (1.0, 1.0)
    assert (np.diff(curve.population_share) > 0).all() and (np.diff(curve.balance_share) >= 0).all()
    area = np.sum((curve.balance_share[1:].to_numpy() + curve.balance_share[:-1].to_numpy()) / 2
                  * np.diff(curve.population_share))
    assert abs((1 - 2 * area) - sl.query(["gini"]).gini[0]) < 1e-3
    assert len(sl.lorenz(points=101)) == 101
    sl.close()
