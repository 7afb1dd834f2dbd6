"""How a metric's value is written for people: shared by the shell and the dashboard."""

from __future__ import annotations

import math


def format_value(value, format: str) -> str:
    """`money` -> $1,234,567 (no cents); `percent` -> 8.25%; `ratio` -> 0.604; `integer` -> 1,234."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if format == "money":
        return f"-${abs(value):,.0f}" if round(value) < 0 else f"${value:,.0f}"
    if format == "percent":
        return f"{value * 100:.2f}%"
    if format == "ratio":
        return f"{value:.3f}"
    if format == "integer":
        return f"{int(value):,}"
    return str(value)


# Gini bands for labels (models-and-metrics.md): upper bounds, checked in order.
GINI_BANDS = ((0.35, "Relatively even distribution"), (0.55, "Moderate concentration"),
              (0.70, "High concentration"), (float("inf"), "Extreme concentration"))


def gini_band(gini) -> str:
    if gini is None or (isinstance(gini, float) and math.isnan(gini)):
        return "Not enough data"
    return next(label for bound, label in GINI_BANDS if gini < bound)
