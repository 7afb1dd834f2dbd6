"""The query API: a connection to a published warehouse and the catalog, for Python users and the shell."""

from __future__ import annotations

import dataclasses
import functools
from collections import OrderedDict
from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from semantic import backends, config, distribution, engines
from semantic.catalog import DIMENSIONS, LORENZ_POINTS, METRICS, Dimension, Metric, RankedMetric, balance_summary
from semantic.compiled import CompiledShapes
from semantic.query import (
    ACCOUNTS_ROLLUP_TABLE,
    ACCOUNTS_TABLE,
    ACTIVITY_ROLLUP_TABLE,
    ACTIVITY_TABLE,
    compile_request,
    distribution_part,
    filtered_accounts,
)
from semantic.request import QueryError, Request, dimension_name, lorenz_points, parse_where


def _while_open(method):
    """A question to a closed layer is refused, not a driver's "connection already closed"."""
    @functools.wraps(method)
    def ask(self, *args, **kwargs):
        if self._closed:
            raise QueryError(f"this layer on {config.masked_url(self.url)} is closed: semantic.connect() again")
        return method(self, *args, **kwargs)
    return ask


class SemanticLayer:
    """Metrics x dimensions x filters on one warehouse, every answer computed in the database from the
    catalog's Ibis definitions (ranked metrics finished from one fetched ranked pass per filter)."""

    def __init__(self, url: str | None = None, read_only: bool = True):
        """QueryError for a URL that cannot be read or names no warehouse of this product; ConnectionError
        (backends.CannotConnect) for a server that does not answer."""
        self._closed = True
        if url is not None and not isinstance(url, str):
            raise QueryError(f"a backend URL is text, such as duckdb:///path/to/fintech.duckdb, got "
                             f"{type(url).__name__}")
        self.url = config.backend_url(url)
        try:
            backends.require(self.url)  # a warehouse this product published, else what is there instead
        except (backends.NotAWarehouse, config.BadURL) as e:
            raise QueryError(config.redact(str(e), self.url)) from None
        self.con = backends.open_warehouse(self.url, read_only=read_only)
        names = [ACCOUNTS_TABLE, ACTIVITY_TABLE]
        published = self.con.list_tables()
        names += [t for t in (ACCOUNTS_ROLLUP_TABLE, ACTIVITY_ROLLUP_TABLE) if t in published]  # older builds lack them
        self._tables = {name: self.con.table(name) for name in names}
        # The ranked pass (`balance_summary`) of recent requests, fetched: the cards, the deciles and the
        # Lorenz curve of one filter read one sort. A few thousand rows each, finished in in-process DuckDB
        # by the same Ibis definitions, compiled once per shape of request.
        self._summaries: OrderedDict[tuple, pa.Table] = OrderedDict()
        self._local = engines.LOCAL.connect()
        self._compiled: dict[tuple, str] = {}
        self._shapes = CompiledShapes(self.con)
        self._closed = False

    def __repr__(self) -> str:
        return f"SemanticLayer({config.masked_url(self.url)!r})"

    # ---- the catalog
    @property
    def metrics(self) -> dict[str, Metric]:
        return dict(METRICS)

    @property
    def dimensions(self) -> dict[str, Dimension]:
        return dict(DIMENSIONS)

    @_while_open
    def dimension_values(self, name: str) -> list:
        """The values a dimension takes in the warehouse, sorted (fixed order where the spec gives one)."""
        dimension = DIMENSIONS[dimension_name(name)]
        if dimension.kind == "derived":
            return list(range(1, dimension.tiles + 1))
        table = self._tables[ACTIVITY_TABLE if dimension.kind == "time" else ACCOUNTS_TABLE]
        found = table.select(name).distinct().order_by(name).to_pyarrow().column(0).to_pylist()
        found = [v for v in found if v is not None]
        if dimension.values:
            return [v for v in dimension.values if v in found] + [v for v in found if v not in dimension.values]
        return found

    # ---- questions
    @_while_open
    def to_ibis(self, metrics: Sequence[str] | str, by: Sequence[str] | str = (), where: Mapping | None = None,
                time_grain: str = "month") -> ir.Table:
        """The unexecuted Ibis expression for a request."""
        return compile_request(self._tables, Request.of(metrics, by, where, time_grain))

    @_while_open
    def query(self, metrics, by=(), where=None, time_grain: str = "month") -> pd.DataFrame:
        """A DataFrame: one column per `by` dimension, then one per metric, in the order asked.

        Same numbers as `to_ibis` (the same definitions); ranked metrics are read from the
        shared ranked pass of these filters, the rest in one query in the warehouse.
        """
        request = Request.of(metrics, by, where, time_grain)
        by = list(request.by)
        ranked = [METRICS[m] for m in request.metrics if isinstance(METRICS[m], RankedMetric)]
        rest = tuple(m for m in request.metrics if not isinstance(METRICS[m], RankedMetric))
        if not ranked:
            return self._fetch(request)
        result = self._from_summary(self._summary(request.where, by), ("metrics", *by, "|", *request.metrics),
                                    lambda summary: distribution_part(summary, by, ranked))
        if rest:
            others = self._fetch(dataclasses.replace(request, metrics=rest))
            # `others` holds every group of the filtered accounts, in the warehouse's order; unlike SQL's `=`,
            # pandas matches missing keys with each other, so a NULL group gets its own numbers
            result = others.merge(result, on=by, how="left") if by else pd.concat([others, result], axis=1)
        elif by:
            result = result.sort_values(by, ignore_index=True)
        return result[[*by, *request.metrics]]

    @_while_open
    def sql(self, metrics, by=(), where=None, time_grain: str = "month") -> str:
        """The SQL the connected backend runs for a request."""
        return str(ibis.to_sql(self.to_ibis(metrics, by, where, time_grain), dialect=engines.of(self.con).dialect))

    @_while_open
    def deciles(self, where: Mapping | None = None) -> pd.DataFrame:
        """Balance deciles (1 = richest) of the filtered accounts: 10 rows at most."""
        return self._from_summary(self._summary(parse_where(where)), ("deciles",),
                                  distribution.deciles)

    @_while_open
    def lorenz(self, where: Mapping | None = None, points: int = LORENZ_POINTS) -> pd.DataFrame:
        """The Lorenz curve of the filtered balances: at most `points` points from (0, 0) to (1, 1); no points
        when no account passes the filters or their balances total 0."""
        points = lorenz_points(points)
        curve = self._from_summary(self._summary(parse_where(where), lorenz_points=points),
                                   ("lorenz",), distribution.lorenz_curve)
        # only the origin (no accounts), or balances that total 0 (every share null): no curve
        return curve.iloc[0:0] if curve.balance_share.iloc[1:].isna().all() else curve

    def _summary(self, where: tuple, by: Sequence[str] = (), lorenz_points: int = LORENZ_POINTS) -> pa.Table:
        """`balance_summary` of the accounts passing `where`, fetched once for the last few filters."""
        key = (repr(where), tuple(by), lorenz_points)  # by repr: 1, 1.0 and True are equal keys, not equal reprs
        if key not in self._summaries:
            def ranked_pass(bound_where):
                request = Request(("accounts",), tuple(by), bound_where)
                return balance_summary(filtered_accounts(self._tables[ACCOUNTS_TABLE], request), by, lorenz_points)

            self._summaries[key] = self._shapes.fetch(("ranked pass", tuple(by), lorenz_points), where, ranked_pass)
            while len(self._summaries) > 32:
                self._summaries.popitem(last=False)
        self._summaries.move_to_end(key)
        return self._summaries[key]

    def _from_summary(self, summary: pa.Table, shape: tuple, answer) -> pd.DataFrame:
        """`answer(summary table)`, an Ibis expression, run on a fetched summary in in-process DuckDB."""
        shape = (*shape, summary.schema)
        if shape not in self._compiled:
            unbound = ibis.table(ibis.Schema.from_pyarrow(summary.schema), name="balance_summary")
            self._compiled[shape] = str(ibis.to_sql(answer(unbound), dialect=engines.LOCAL.dialect))
        return engines.LOCAL.frame(self._local, self._compiled[shape], balance_summary=summary)

    def _fetch(self, request: Request) -> pd.DataFrame:
        """The answer to `request` from the warehouse, compiled once per shape of request."""
        kind = ("request", request.metrics, request.by, request.time_grain)
        build = lambda where: compile_request(self._tables, dataclasses.replace(request, where=where))  # noqa: E731
        return self._shapes.fetch(kind, request.where, build).to_pandas()

    @_while_open
    def accounts(self, where: Mapping | None = None) -> pd.DataFrame:
        """The filtered rows of int_customer_account_metrics (one per account): for exports, not for charts."""
        return self._accounts(where).order_by("account_id").to_pyarrow().to_pandas()

    def _accounts(self, where: Mapping | None) -> ir.Table:
        request = Request.of(["accounts"], where=where)
        return filtered_accounts(self._tables[ACCOUNTS_TABLE], request)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.con.disconnect()
            self._local.disconnect()


def connect(url: str | None = None) -> SemanticLayer:
    """The layer on the configured warehouse (--backend / FINTECH_BACKEND / the embedded DuckDB file), or `url`."""
    return SemanticLayer(url)
