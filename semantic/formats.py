"""How a metric's value is written for people: shared by the shell and the dashboard.

Every value a warehouse can hold renders, and nothing here raises: a missing value (None, NaN, pandas
NA/NaT) is "-", an infinite one "∞" or "-∞", any other number (int of any size, float, Decimal, numpy
scalar) is formatted exactly as a Decimal (no float overflow, no "-0"), in powers of ten beyond 1e18,
and anything else (text, dates, booleans) is its text.
"""

from __future__ import annotations

import decimal
import math
import numbers
from decimal import Decimal

import numpy as np
import pandas as pd

MISSING = "-"
INFINITY = "∞"
# From this power of ten on, digits stop helping a reader (1e308 has 309 of them): 1.00e+18
LARGE_EXPONENT = 18
# x 100 exactly, whatever the Decimal: no rounding, and an overflow gives infinity rather than an exception
_EXACT = decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN, traps=[])


def format_value(value, format: str) -> str:
    """`money` -> $1,234,567 (no cents); `percent` -> 8.25%; `ratio` -> 0.604; `integer` -> 1,234."""
    number = _number(value)
    if number is None:
        return MISSING if _missing(value) else str(value)
    if format == "money":
        text = _digits(number, ",.0f")
        return f"-${text[1:]}" if text.startswith("-") else f"${text}"
    if format == "percent":
        return _digits(number.scaleb(2, _EXACT), ".2f") + "%"
    if format == "ratio":
        return _digits(number, ".3f")
    if format == "integer":
        return _digits(number, ",.0f")
    return _digits(number, ".6g")  # no format of the catalog


SHORT_UNITS = ((1_000, "K"), (1_000_000, "M"), (1_000_000_000, "B"), (1_000_000_000_000, "T"))


def short_money(value) -> str:
    """Money in three significant digits, for a label that must fit on a narrow bar: $8.59M, -$94.8K, $950
    (the exact figure is in the tooltip or the table beside it)."""
    number = _number(value)
    if number is None or number.is_infinite() or abs(number) < 1000:
        return format_value(value, "money")
    for unit, suffix in SHORT_UNITS:
        scaled = abs(number) / unit
        if scaled < Decimal("999.5") or suffix == "T":  # else it would round to 1000 of this unit: the next one
            decimals = 2 if scaled < Decimal("9.995") else 1 if scaled < Decimal("99.95") else 0
            return f"{'-' if number < 0 else ''}${scaled:,.{decimals}f}{suffix}"


def _digits(number: Decimal, spec: str) -> str:
    """`number` written by `spec` ("z": what rounds to zero is never "-0"), or in powers of ten when large."""
    if number.is_infinite():
        return f"-{INFINITY}" if number < 0 else INFINITY
    return format(number, ".2e" if number.adjusted() >= LARGE_EXPONENT else f"z{spec}")


def _number(value) -> Decimal | None:
    """The exact value of a number of any kind, None for NaN and for what is no number (booleans included)."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, Decimal):
        return None if value.is_nan() else value
    if isinstance(value, numbers.Integral):
        return Decimal(int(value))
    if isinstance(value, numbers.Real):
        value = float(value)
        return None if math.isnan(value) else Decimal(value)
    return None


def _missing(value) -> bool:
    """None, NaN, pandas NA or NaT (a date or text is not missing, a list is no scalar)."""
    if isinstance(value, Decimal):
        return value.is_nan()
    try:
        return bool(pd.isna(value)) if np.ndim(value) == 0 else False
    except (TypeError, ValueError):
        return False


# Gini bands for labels (models-and-metrics.md): upper bounds, checked in order.
GINI_BANDS = ((0.35, "Relatively even distribution"), (0.55, "Moderate concentration"),
              (0.70, "High concentration"), (float("inf"), "Extreme concentration"))
NO_GINI = "Not enough data"


def gini_band(gini) -> str:
    """The band of a Gini coefficient; a missing or non-numeric one has none, an infinite one is extreme."""
    number = _number(gini)
    if number is None:
        return NO_GINI
    return next((label for bound, label in GINI_BANDS if number < Decimal(bound)), GINI_BANDS[-1][1])
