"""Comparing a result with its independent reference: order normalized, numbers to a relative 1e-9."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd


def assert_frames_close(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Same rows (order normalized) and values; numbers within a relative error of 1e-9; missing equals missing."""
    keys = list(actual.columns)
    actual = _normalized(actual).sort_values(keys, kind="stable").reset_index(drop=True)
    expected = _normalized(expected).sort_values(keys, kind="stable").reset_index(drop=True)
    assert len(actual) == len(expected)
    for column in keys:
        a, e = actual[column], expected[column]
        if pd.api.types.is_numeric_dtype(e) and not pd.api.types.is_bool_dtype(e):
            np.testing.assert_allclose(_floats(a), _floats(e), rtol=1e-9, atol=1e-12, err_msg=column, equal_nan=True)
        else:
            assert _missing_as_none(a) == _missing_as_none(e), column


def _floats(values: pd.Series) -> np.ndarray:
    """Numbers as floats, a missing one (NaN, None, pandas NA of a nullable integer) as NaN."""
    return values.astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def _missing_as_none(values: pd.Series) -> list:
    """The values, every kind of missing one (None, NaN, NA) as None: a NULL key is a value like any other."""
    return [None if v is None or (not isinstance(v, (list, np.ndarray)) and pd.isna(v)) else v for v in values]


def _normalized(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as timestamps, arrays as comparable text (their numbers are cents: exact at 9 digits)."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.map(lambda v: isinstance(v, date)).all():
            out[column] = pd.to_datetime(values)
        elif values.map(lambda v: isinstance(v, (list, np.ndarray))).all():
            out[column] = values.map(lambda v: repr([x.isoformat() if isinstance(x, date) else f"{x:.9g}" for x in v]))
    return out
