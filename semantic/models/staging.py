"""Staging: the raw extract renamed, typed, and stripped of personal data.

The three activity columns arrive as Python list literals
(`['2024-01-31', '2024-02-29']`); staging parses them into typed arrays, here
only, so that every later model reads proper types. SQLite has no array type:
there the lists stay as their canonical text (`2024-01-31,2024-02-29`), and
the activity fact picks the elements out of it (semantic/models/lists.py).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from semantic import engines
from semantic.models import lists
from semantic.models.raw import DROPPED_IN_STAGING, RAW_COLUMNS, RawColumn


def stg_fintech_data(raw_fintech_data: ir.Table) -> ir.Table:
    raw = raw_fintech_data
    return raw.select(
        **{c.staging_name: typed(raw, c) for c in RAW_COLUMNS if c.staging_name not in DROPPED_IN_STAGING}
    )


def typed(raw: ir.Table, column: RawColumn) -> ir.Value:
    """One raw column with its staging type; list literals become typed arrays (text lists where no arrays)."""
    if column.dtype != "list":
        return raw[column.name].cast(column.dtype)
    engine = engines.of(ibis.get_backend(raw))
    text = list_text(raw[column.name], deleting_translate=engine.deletes_with_translate)
    if not engine.has_arrays:
        return text
    if column.staging_name == "ts_dates":
        return text.split(",").try_cast("array<date>")
    parsed = text.split(",").try_cast("array<float64>")
    # the same array, faster where the engine has a reading of its own (DuckDB's JSON reader: semantic/engines/)
    return engine.list_of_numbers(raw[column.name], parsed, lists.length(raw[column.name]))


def is_list_literal(text: ir.StringValue) -> ir.BooleanValue:
    """`[...]` after trimming: the outer shape of a Python list literal."""
    trimmed = text.strip()
    return trimmed.startswith("[") & trimmed.endswith("]")


def list_text(text: ir.StringValue, deleting_translate: bool = True) -> ir.StringValue:
    """A list literal as its comma-separated elements: brackets, quotes and spaces removed.

    `"['2024-01-31', '2024-02-29']"` -> `"2024-01-31,2024-02-29"`. Neither
    numbers nor ISO dates contain those characters, so removing them all is
    safe and needs no per-element trim: one TRANSLATE over the text (five
    REPLACEs cost 1.4 s more at a million rows; they remain for SQLite, whose
    Ibis TRANSLATE cannot delete). Split at the commas and cast, it gives the
    typed array: an element that is not a date (or number) becomes null on DuckDB, where the
    loader checks every list before a row reaches another backend. An empty
    list `[]` gives one empty element, which no type accepts: the contract
    wants 3..24 observations.
    """
    if deleting_translate:
        return text.translate("[]'\" ", "")
    for character in "[]'\" ":
        text = text.replace(character, "")
    return text
