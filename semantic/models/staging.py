"""Staging: the raw extract renamed, typed, and stripped of personal data.

The three activity columns arrive as Python list literals
(`['2024-01-31', '2024-02-29']`); staging parses them into typed arrays, here
only, so that every later model reads proper types.
"""

from __future__ import annotations

import ibis.expr.types as ir

from semantic.models.raw import PERSONAL_DATA_COLUMNS, RAW_COLUMNS, RawColumn

# Checked equal to customer_id by the loader, then dropped: one copy of a key.
REDUNDANT_COLUMNS = ("account_activity_customer_id",)



def stg_fintech_data(raw_fintech_data: ir.Table) -> ir.Table:
    raw = raw_fintech_data
    dropped = set(PERSONAL_DATA_COLUMNS) | set(REDUNDANT_COLUMNS)
    return raw.select(
        **{c.staging_name: typed(raw, c) for c in RAW_COLUMNS if c.staging_name not in dropped}
    )


def typed(raw: ir.Table, column: RawColumn) -> ir.Value:
    """One raw column with its staging type; list literals become typed arrays."""
    if column.staging_name == "ts_dates":
        return list_of_dates(raw[column.name])
    if column.dtype == "list":
        return list_of_numbers(raw[column.name])
    return raw[column.name].cast(column.dtype)
def is_list_literal(text: ir.StringValue) -> ir.BooleanValue:
    """`[...]` after trimming: the outer shape of a Python list literal."""
    trimmed = text.strip()
    return trimmed.startswith("[") & trimmed.endswith("]")


def list_elements(text: ir.StringValue) -> ir.ArrayValue:
    """The elements of a list literal as strings: brackets, quotes and spaces removed.

    `"['2024-01-31', '2024-02-29']"` -> `['2024-01-31', '2024-02-29']`. Neither
    numbers nor ISO dates contain those characters, so removing them all is
    safe and needs no per-element trim (one pass over the text, on any
    backend). An empty list `[]` gives one empty element, which no element
    type accepts: the contract wants 3..24 observations.
    """
    for character in ("[", "]", "'", '"', " "):
        text = text.replace(character, "")
    return text.split(",")


def list_of_dates(text: ir.StringValue) -> ir.ArrayValue:
    """Dates of a list literal; an element that is not an ISO date becomes null."""
    return list_elements(text).map(lambda element: element.try_cast("date"))


def list_of_numbers(text: ir.StringValue) -> ir.ArrayValue:
    """Numbers of a list literal; an element that is not a number becomes null."""
    return list_elements(text).map(lambda element: element.try_cast("float64"))
