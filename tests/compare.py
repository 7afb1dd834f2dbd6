"""Comparing a result with its independent reference: order normalized, numbers to a relative 1e-9."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd


def assert_frames_close(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Same rows (order normalized) and values; numbers within a relative error of 1e-9."""
    keys = list(actual.columns)
    actual = _normalized(actual).sort_values(keys, kind="stable").reset_index(drop=True)
    expected = _normalized(expected).sort_values(keys, kind="stable").reset_index(drop=True)
    assert len(actual) == len(expected)
    for column in keys:
        a, e = actual[column], expected[column]
        if pd.api.types.is_numeric_dtype(e) and not pd.api.types.is_bool_dtype(e):
            np.testing.assert_allclose(a.to_numpy(float), e.to_numpy(float), rtol=1e-9, atol=1e-12,
                                       err_msg=column, equal_nan=True)
        else:
            assert a.tolist() == e.tolist(), column


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
