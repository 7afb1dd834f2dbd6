"""Every value a warehouse can hold renders, in every format of the catalog: formats never raise.

Missing values (None, NaN, pandas NA and NaT) show "-", infinite ones "∞" / "-∞", finite numbers of any
kind and size their value (to the format's precision), anything else its text.
"""

from __future__ import annotations

import decimal
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semantic import catalog
from semantic.formats import format_value, gini_band

# The spec's formats (models-and-metrics.md), and the precision each shows: money and integers to the unit,
# percentages to a hundredth of a percent, ratios to 3 decimals.
FORMATS = {"money": Decimal("0.5"), "percent": Decimal("0.005"), "ratio": Decimal("0.0005"),
           "integer": Decimal("0.5")}
BANDS = [(0.35, "Relatively even distribution"), (0.55, "Moderate concentration"), (0.70, "High concentration")]
EXTREME, NO_BAND = "Extreme concentration", "Not enough data"
MISSING = [None, float("nan"), np.nan, np.float64("nan"), np.float32("nan"), pd.NA, pd.NaT, np.datetime64("NaT"),
           Decimal("NaN"), Decimal("sNaN")]

finite_numbers = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(allow_nan=False, allow_infinity=False).map(np.float64),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(np.float32),
    st.integers(min_value=-2**63, max_value=2**63 - 1).map(np.int64),
    st.integers(),
    st.integers(min_value=2**63, max_value=10**400) | st.integers(min_value=-10**400, max_value=-2**63),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 1e308, -1e308, 5e-324, -5e-324, 0.5, -0.5, 2.5, -0.004999, 1e18, 999_999.5]),
)
infinite_numbers = st.sampled_from([float("inf"), float("-inf"), np.float64("inf"), np.float32("-inf"),
                                    Decimal("Infinity"), Decimal("-Infinity"), np.longdouble("1e4000")])
other_values = st.one_of(st.booleans(), st.text(), st.dates(), st.datetimes(),
                         st.sampled_from([np.bool_(True), date(9999, 12, 31), date(1, 1, 1), datetime(9999, 12, 31),
                                          pd.Timestamp("2024-01-31"), "12.5", ""]))


def test_the_catalog_has_these_formats():
    assert sorted(catalog.FORMATS) == sorted(FORMATS)


@pytest.mark.parametrize("format", list(FORMATS))
@pytest.mark.parametrize("value", MISSING, ids=repr)
def test_missing_values_show_a_dash(value, format):
    assert format_value(value, format) == "-"
    assert gini_band(value) == NO_BAND


def exactly(value) -> Decimal:
    if isinstance(value, Decimal):
        return value
    return Decimal(int(value)) if isinstance(value, (int, np.integer)) else Decimal(float(value))


@settings(max_examples=300, deadline=None)
@given(value=finite_numbers, format=st.sampled_from(list(FORMATS)))
def test_finite_numbers_show_their_value(value, format):
    text = format_value(value, format)
    assert text.endswith("%") == (format == "percent") and text.lstrip("-").startswith("$") == (format == "money")
    number = Decimal(text.replace("$", "").replace(",", "").replace("%", ""))
    with decimal.localcontext(decimal.Context(prec=1000, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)):
        shown = exactly(value) * (100 if format == "percent" else 1)
        if "e" in text:  # large values: three significant digits
            assert abs(number - shown) <= abs(shown) * Decimal("0.005")
        else:
            assert abs(number - shown) <= FORMATS[format]
    assert text.startswith("-") == (number < 0)  # never "-0", "-$0" or "-0.00%"


@given(value=infinite_numbers, format=st.sampled_from(list(FORMATS)))
def test_infinite_numbers_show_infinity(value, format):
    text = format_value(value, format)
    assert "∞" in text and text.startswith("-") == (float(value) < 0)
    assert gini_band(value) == (EXTREME if float(value) > 0 else BANDS[0][1])


@given(value=other_values, format=st.sampled_from(list(FORMATS)))
def test_other_values_show_their_text(value, format):
    assert format_value(value, format) == str(value)
    assert gini_band(value) == NO_BAND


@given(value=st.one_of(finite_numbers, infinite_numbers, other_values, st.sampled_from(MISSING)),
       format=st.sampled_from([*FORMATS, "not a format"]))
def test_nothing_raises(value, format):
    assert isinstance(format_value(value, format), str)
    assert gini_band(value) in [label for _, label in BANDS] + [EXTREME, NO_BAND]


@given(gini=st.floats(allow_nan=False))
def test_gini_bands_follow_the_spec(gini):
    expected = next((label for bound, label in BANDS if gini < bound), EXTREME)
    assert gini_band(gini) == expected == gini_band(np.float64(gini)) == gini_band(Decimal(gini))


@pytest.mark.parametrize(("value", "format", "text"), [
    (1_234_567.4, "money", "$1,234,567"),
    (-1_234_567.6, "money", "-$1,234,568"),
    (-0.4, "money", "$0"),
    (0.0825, "percent", "8.25%"),
    (-0.0, "percent", "0.00%"),
    (0.6044, "ratio", "0.604"),
    (np.int64(1234), "integer", "1,234"),
    (2**70, "integer", "1.18e+21"),
    (1e308, "money", "$1.00e+308"),
    (float("inf"), "integer", "∞"),
    (float("-inf"), "money", "-$∞"),
    (Decimal("12.5"), "money", "$12"),
])
def test_examples(value, format, text):
    assert format_value(value, format) == text


@pytest.mark.parametrize(("value", "text"), [
    (0, "$0"), (950, "$950"), (999.4, "$999"), (-94_758, "-$94.8K"), (1_000, "$1.00K"), (9_996, "$10.0K"),
    (123_456, "$123K"), (999_600, "$1.00M"), (8_592_131, "$8.59M"), (999_999_999, "$1.00B"),
    (1.5e12, "$1.50T"), (None, "-"), (float("nan"), "-"), (Decimal("-2500000"), "-$2.50M"),
])
def test_short_money_labels(value, text):
    from semantic.formats import short_money

    assert short_money(value) == text


@given(st.one_of(st.floats(), st.integers(), st.decimals()))
def test_short_money_never_raises(value):
    from semantic.formats import short_money

    assert isinstance(short_money(value), str)
