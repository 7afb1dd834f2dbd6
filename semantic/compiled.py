"""Requests compiled once per shape: the SQL of a request is kept, and a new filter selection is bound
into it as literals.

Compiling a request through Ibis costs 2-20 ms, as much as running it on a million accounts; the
dashboard asks the same few shapes of request with new filter values all day. A shape is the request
with each filter's values replaced by placeholders (one per value); the placeholders are unguessable
alphanumeric strings, so each appears in the SQL only as the string literal it stands for, and is replaced
by the literal of the real value as sqlglot writes it (the same quoting Ibis itself uses). Only
selections of text values are bound this way; any other request is compiled as usual.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

import ibis.expr.types as ir
import pyarrow as pa
import sqlglot

from semantic import engines
from semantic.query import filters_nothing
from semantic.request import Where



def effective(where: Where) -> Where:
    """`where` without the selections that filter nothing (empty, or every fixed value of the dimension)."""
    return tuple((name, selection) for name, selection in where if not filters_nothing(name, selection))


def _text_values(selection) -> list[str] | None:
    """The values of a selection of text values, else None (ranges, numbers, dates are not bound)."""
    values = [selection] if isinstance(selection, str) else selection
    if isinstance(values, (tuple, list, set, frozenset)) and values and all(isinstance(v, str) for v in values):
        return sorted(values)
    return None


class CompiledShapes:
    def __init__(self, con):
        self.con = con
        self._engine = engines.of(con)
        self._token = secrets.token_hex(8)
        self._shapes: dict[tuple, tuple[str, object, list[str]]] = {}

    def fetch(self, kind: tuple, where: Where, build: Callable[[Where], ir.Table]) -> pa.Table:
        """`build(where)` run in the warehouse, compiled once per (kind, shape of `where`)."""
        where = effective(where)
        bound = [(name, _text_values(selection)) for name, selection in where]
        if any(values is None for _, values in bound):
            return build(where).to_pyarrow()
        shape = (kind, tuple((name, len(values)) for name, values in bound))
        if shape not in self._shapes:
            placeholders = [(name, [f"p{self._token}x{i}x{j}" for j in range(len(values))])
                            for i, (name, values) in enumerate(bound)]
            expression = build(tuple((name, list(p)) for name, p in placeholders))
            sql = str(self.con.compile(expression))
            self._shapes[shape] = (sql, expression.schema(), [p for _, ps in placeholders for p in ps])
        sql, schema, names = self._shapes[shape]
        for placeholder, value in zip(names, [v for _, values in bound for v in values], strict=True):
            sql = sql.replace(f"'{placeholder}'", sqlglot.exp.Literal.string(value).sql(dialect=self.con.dialect))
        return self._run(sql, schema)

    def _run(self, sql: str, schema) -> pa.Table:
        """The bound SQL's rows, as Arrow with the expression's schema (straight on the engine's own
        connection where it has that speed path: semantic/engines/)."""
        return self._engine.run_compiled(self.con, sql, schema)
