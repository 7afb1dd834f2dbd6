"""The query API: a connection to a published warehouse and the catalog, for Python users and the shell."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir
import pandas as pd

from semantic import backends, config, distribution
from semantic.catalog import DIMENSIONS, METRICS, Dimension, Metric
from semantic.query import (
    ACCOUNTS_TABLE,
    ACTIVITY_ROLLUP_TABLE,
    ACTIVITY_TABLE,
    QueryError,
    Request,
    compile_request,
    filtered_accounts,
    unknown_name_error,
    validate,
)


class SemanticLayer:
    """Metrics x dimensions x filters on one warehouse; every answer is one Ibis expression run in the database."""

    def __init__(self, url: str | None = None, read_only: bool = True):
        self.url = config.backend_url(url)
        if not backends.exists(self.url):
            raise QueryError(f"no warehouse at {config.masked_url(self.url)}: run `fintech build` first")
        self.con = backends.open_warehouse(self.url, read_only=read_only)
        names = [ACCOUNTS_TABLE, ACTIVITY_TABLE]
        if ACTIVITY_ROLLUP_TABLE in self.con.list_tables():  # warehouses built before the rollup existed lack it
            names.append(ACTIVITY_ROLLUP_TABLE)
        self._tables = {name: self.con.table(name) for name in names}

    def __repr__(self) -> str:
        return f"SemanticLayer({config.masked_url(self.url)!r})"

    # ---- the catalog
    @property
    def metrics(self) -> dict[str, Metric]:
        return dict(METRICS)

    @property
    def dimensions(self) -> dict[str, Dimension]:
        return dict(DIMENSIONS)

    def dimension_values(self, name: str) -> list:
        """The values a dimension takes in the warehouse, sorted (fixed order where the spec gives one)."""
        if name not in DIMENSIONS:
            raise unknown_name_error("dimension", name, list(DIMENSIONS))
        dimension = DIMENSIONS[name]
        if dimension.kind == "derived":
            return list(range(1, 11 if name == "balance_decile" else 5))
        table = self._tables[ACTIVITY_TABLE if dimension.kind == "time" else ACCOUNTS_TABLE]
        found = table.select(name).distinct().order_by(name).to_pyarrow().column(0).to_pylist()
        found = [v for v in found if v is not None]
        if dimension.values:
            return [v for v in dimension.values if v in found] + [v for v in found if v not in dimension.values]
        return found

    # ---- questions
    def to_ibis(self, metrics: Sequence[str] | str, by: Sequence[str] | str = (), where: Mapping | None = None,
                time_grain: str = "month") -> ir.Table:
        """The unexecuted Ibis expression for a request."""
        return compile_request(self._tables, Request.of(metrics, by, where, time_grain))

    def query(self, metrics, by=(), where=None, time_grain: str = "month") -> pd.DataFrame:
        """A DataFrame: one column per `by` dimension, then one per metric, in the order asked."""
        return self.to_ibis(metrics, by, where, time_grain).to_pyarrow().to_pandas()

    def sql(self, metrics, by=(), where=None, time_grain: str = "month") -> str:
        """The SQL the connected backend runs for a request."""
        return str(ibis.to_sql(self.to_ibis(metrics, by, where, time_grain), dialect=self.con.name))

    def deciles(self, where: Mapping | None = None) -> pd.DataFrame:
        """Balance deciles (1 = richest) of the filtered accounts: 10 rows at most."""
        return distribution.balance_deciles(self._accounts(where)).to_pyarrow().to_pandas()

    def lorenz(self, where: Mapping | None = None, points: int = 1001) -> pd.DataFrame:
        """The Lorenz curve of the filtered balances: at most `points` points from (0, 0) to (1, 1)."""
        if points < 2:
            raise QueryError("a Lorenz curve needs at least 2 points")
        curve = distribution.lorenz_curve(self._accounts(where), "balance", points, tiebreak=["account_id"])
        curve = curve.to_pyarrow().to_pandas()
        return curve.iloc[0:0] if len(curve) == 1 else curve  # only the origin: no accounts, no curve

    def accounts(self, where: Mapping | None = None) -> pd.DataFrame:
        """The filtered rows of int_customer_account_metrics (one per account): for exports, not for charts."""
        return self._accounts(where).order_by("account_id").to_pyarrow().to_pandas()

    def _accounts(self, where: Mapping | None) -> ir.Table:
        request = Request.of(["accounts"], where=where)
        validate(request)
        return filtered_accounts(self._tables[ACCOUNTS_TABLE], request)

    def close(self) -> None:
        self.con.disconnect()


def connect(url: str | None = None) -> SemanticLayer:
    """The layer on the configured warehouse (--backend / FINTECH_BACKEND / the embedded DuckDB file), or `url`."""
    return SemanticLayer(url)
