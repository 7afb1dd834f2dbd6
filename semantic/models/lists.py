"""The activity lists, element by element, on every backend.

Staging keeps each list as a typed array, or, on SQLite (no array type), as
comma-separated text (`2024-01-31,2024-02-29`). Everything later reads a list
through the two questions answered here, how many elements it has and what
its i-th element is, so the activity fact and the staging checks have one
definition whichever form the backend stores.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from semantic.models.raw import MAX_OBSERVATIONS


def positions() -> ir.Table:
    """`position` 0 .. MAX_OBSERVATIONS - 1: crossed with the accounts, one row per possible element."""
    return ibis.memtable({"position": list(range(MAX_OBSERVATIONS))}, schema={"position": "int32"})  # Spark: int


def length(values: ir.Value) -> ir.IntegerValue:
    """The number of elements of a list (array, or comma-separated text: one more than its commas)."""
    if values.type().is_array():
        return values.length()
    return values.length() - values.replace(",", "").length() + 1


def element(values: ir.Value, position: ir.IntegerValue, dtype: str) -> ir.Value:
    """The element at `position` (from 0) of a list, as `dtype`.

    Text lists: every comma becomes as many spaces as the whole text is long,
    so element i lies alone in the slice [i * width, (i + 1) * width), and a
    trim gives it back; plain string functions, exact for any length.
    """
    if values.type().is_array():
        return values[position]
    width = values.length()
    slot = values.replace(",", ibis.literal(" ").repeat(width))
    return slot.substr(position * width, width).strip().cast(dtype)
