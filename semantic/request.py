"""A request as Python code, the shell or the dashboard sends it, checked against the catalog before
anything is compiled.

Every malformed request is a `QueryError` that names the argument or dimension, the value and what
would be valid; a database, Ibis or Python error never reaches the caller. What a filter takes follows
from its dimension's kind:

- category: text (no NUL, no unpaired surrogate: no backend stores them, and each fails differently);
- number: finite numbers (a whole number beyond 64 bits is compared as a float);
- derived (a tile): its whole numbers, 1 to the number of tiles;
- time: ISO dates (`2024-01-31`), `date` or `datetime` objects.

A filter is one value, a list (or set) of values, or an inclusive range `(low, high)` whose ends are
values or None (open) with low <= high. Parsed values are plain Python values (str, int, float, date),
so a request is hashable, prints the same everywhere, and compiles the same on every backend.
"""

from __future__ import annotations

import datetime
import decimal
import difflib
import functools
import math
import numbers
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from semantic.catalog import DIMENSIONS, METRICS, TIME_GRAINS, ActivityMetric

MAX_VALUES = 1_000  # values in one filter: the dimensions hold a few dozen; beyond, a mistake or an attack
MAX_TEXT = 100_000  # characters of text in one filter: its SQL stays small
MAX_LORENZ_POINTS = 10_001
_INT64 = 2**63


class QueryError(ValueError):
    """A request the layer cannot answer, with what would be valid instead."""


@dataclass(frozen=True)
class Range:
    """An inclusive range filter, parsed: low <= value <= high; None leaves that end open. (Given as a pair
    `(low, high)`, or as a Range.)"""
    low: object = None
    high: object = None


# Parsed filters: (dimension, selection) pairs in the order given; a selection is one value, a tuple of
# values, or a Range, each value in its plain form (`parse_selection`). Hashable: a cache key as it is.
Where = tuple[tuple[str, object], ...]


def _read_safely(parse):
    """Reading a caller's objects runs their code (__hash__, __eq__, __iter__, __index__...): whatever that
    raises is a refusal of the request like any other, never the object's own exception."""
    @functools.wraps(parse)
    def read(*args, **kwargs):
        try:
            return parse(*args, **kwargs)
        except QueryError:
            raise
        except Exception as e:
            raise QueryError(f"cannot read this request: one of its objects raised {type(e).__name__} when read "
                             "(give plain text, numbers, dates, lists, tuples and dicts)") from None
    return read


def _plain_text(value: str) -> str:
    """The text of a str or of a str subclass (an enum member of str, say), not what its __str__ says."""
    return str.__str__(value)


@dataclass(frozen=True)
class Request:
    """A parsed request: names checked against the catalog, filter values in their plain form."""
    metrics: tuple[str, ...]
    by: tuple[str, ...] = ()
    where: Where = ()
    time_grain: str = "month"

    @classmethod
    @_read_safely
    def of(cls, metrics, by=(), where=None, time_grain="month") -> Request:
        """The request the caller means, or a QueryError saying what is wrong with it."""
        request = cls(names("metric", metrics), names("dimension", by, argument="by"), parse_where(where),
                      time_grain_of(time_grain))
        validate(request)
        return request


def unknown_name_error(kind: str, name: str, valid: Sequence[str]) -> QueryError:
    close = difflib.get_close_matches(name, valid, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return QueryError(f"unknown {kind} {shown(name)}.{hint} Valid {kind}s: {', '.join(valid)}")


def shown(value: object, limit: int = 60) -> str:
    """A value as a message quotes it: its repr, cut short (a message never carries a megabyte)."""
    try:
        text = repr(value)
    except Exception:  # a hostile __repr__
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else f"{text[:limit]}...({len(text):,} characters)"


def names(kind: str, given, argument: str | None = None) -> tuple[str, ...]:
    """Metric or dimension names: one name, or a list of them; each text and at most once."""
    argument = argument or f"{kind}s"
    if given is None and argument == "by":
        return ()
    if isinstance(given, str):
        given = [given]
    if not isinstance(given, (list, tuple)):
        raise QueryError(f"{argument} is a {kind} name or a list of them, got {shown(given)}")
    for name in given:
        if not isinstance(name, str):
            raise QueryError(f"{argument}: a {kind} name is text, got {shown(name)} ({type(name).__name__})")
    given = [_plain_text(name) for name in given]
    if len(set(given)) != len(given):
        raise QueryError(f"a {kind} appears twice in {argument}={shown(list(given), 200)}")
    return tuple(given)


def time_grain_of(given) -> str:
    given = _plain_text(given) if isinstance(given, str) else given
    if not isinstance(given, str) or given not in TIME_GRAINS:
        if isinstance(given, str):
            raise unknown_name_error("time grain", given, list(TIME_GRAINS))
        raise QueryError(f"time_grain is one of {', '.join(TIME_GRAINS)}, got {shown(given)}")
    return given


@_read_safely
def parse_where(where) -> Where:
    """The filters as (dimension, parsed selection) pairs, in the order given."""
    if where is None:
        return ()
    if not isinstance(where, Mapping):
        raise QueryError(f"where is a mapping of dimension names to values, e.g. {{'region': ['North']}}, "
                         f"got {shown(where)} ({type(where).__name__})")
    parsed = []
    for name, selection in where.items():
        if not isinstance(name, str):
            raise QueryError(f"where: a filter's name is a dimension name (text), got {shown(name)}")
        name = _plain_text(name)
        if name not in DIMENSIONS:
            raise unknown_name_error("dimension", name, list(DIMENSIONS))
        parsed.append((name, parse_selection(name, selection)))
    return tuple(parsed)


@_read_safely
def parse_selection(name: str, selection):
    """One filter: a tuple is a range (low, high), as is a Range; a list or set, values; anything else, one value."""
    if isinstance(selection, Range):
        selection = (selection.low, selection.high)
    if isinstance(selection, tuple):
        if len(selection) != 2:
            raise QueryError(f"a range filter on {name} is a pair (low, high), got {shown(selection)}")
        low, high = (None if end is None else value_of(name, end, in_range=True) for end in selection)
        if low is not None and high is not None and low > high:
            raise QueryError(f"the range on {name} runs from {shown(low)} down to {shown(high)}: "
                             "give (low, high) with low <= high")
        return Range(low, high)
    if isinstance(selection, (list, set, frozenset)):
        if len(selection) > MAX_VALUES:
            raise QueryError(f"the filter on {name} lists {len(selection):,} values; at most {MAX_VALUES:,}")
        values = [value_of(name, v) for v in selection]
        if sum(len(v) for v in values if isinstance(v, str)) > MAX_TEXT:
            raise QueryError(f"the filter on {name} holds more than {MAX_TEXT:,} characters of text")
        values = tuple(dict.fromkeys(values))  # once each; a set's values in a fixed order
        return tuple(sorted(values)) if isinstance(selection, (set, frozenset)) else values  # one kind: comparable
    return value_of(name, selection)


def value_of(name: str, value, in_range: bool = False):
    """`value` as a value of dimension `name`, in its plain Python form, or a QueryError saying what it takes."""
    kind = DIMENSIONS[name].kind
    if kind == "category":
        return _text(name, value)
    if kind == "time":
        return _date(name, value)
    number = _number(name, value)
    if kind == "derived" and not in_range:  # a tile: 1..tiles
        tiles = DIMENSIONS[name].tiles
        if not (float(number).is_integer() and 1 <= number <= tiles):
            raise QueryError(f"{name} takes whole numbers from 1 to {tiles}, got {shown(value)}")
        return int(number)
    return number


def _text(name: str, value) -> str:
    if not isinstance(value, str):
        raise QueryError(f"{name} takes text values, got {shown(value)} ({type(value).__name__})")
    value = _plain_text(value)
    if len(value) > MAX_TEXT:
        raise QueryError(f"a value of {name} is {len(value):,} characters long; at most {MAX_TEXT:,}")
    if "\x00" in value:
        raise QueryError(f"a value of {name} holds a NUL character (\\x00), which no value holds: {shown(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise QueryError(f"a value of {name} is not valid Unicode text (an unpaired surrogate): "
                         f"{shown(value)}") from None
    return value


def _number(name: str, value) -> int | float:
    wanted = f"{name} takes numbers"
    if not _is_number(value):
        raise QueryError(f"{wanted}, got {shown(value)} ({type(value).__name__})")
    if isinstance(value, numbers.Integral) and -_INT64 <= operator.index(value) < _INT64:
        return operator.index(value)
    try:
        number = float(value)
    except (OverflowError, ValueError, decimal.InvalidOperation):
        number = math.inf
    if not math.isfinite(number):
        raise QueryError(f"{wanted} (finite ones), got {shown(value)}")
    return number


def _is_number(value) -> bool:
    """A real number: not a boolean (Python's or numpy's), not a duration (numpy files timedelta64 under
    the integers)."""
    return (isinstance(value, (numbers.Real, decimal.Decimal)) and not isinstance(value, bool)
            and type(value).__name__ not in {"bool_", "timedelta64"})


def _date(name: str, value) -> datetime.date:
    expected = f"{name} takes ISO dates (YYYY-MM-DD)"
    if isinstance(value, datetime.datetime):
        return _not_missing(name, value).date()
    if isinstance(value, datetime.date):
        return value
    if type(value).__name__ == "datetime64":  # numpy's, as pandas hands them out
        import pandas as pd

        try:
            return _not_missing(name, pd.Timestamp(value)).date()
        except (ValueError, OverflowError, NotImplementedError):  # beyond the years a timestamp holds
            raise QueryError(f"{expected}, got {shown(value)} (out of range)") from None
    if not isinstance(value, str):
        raise QueryError(f"{expected}, got {shown(value)} ({type(value).__name__})")
    text = _plain_text(value).strip()
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.datetime.fromisoformat(text).date()
    except ValueError:
        raise QueryError(f"{expected}, got {shown(value)}") from None


def _not_missing(name: str, value):
    if value != value:  # NaT
        raise QueryError(f"{name} takes ISO dates (YYYY-MM-DD), got a missing date ({shown(value)})")
    return value


def validate(request: Request) -> None:
    """What the catalog says of a parsed request: known names, and slices that mean something."""
    if not request.metrics:
        raise QueryError(f"ask for at least one metric. Valid metrics: {', '.join(METRICS)}")
    for name in request.metrics:
        if name not in METRICS:
            raise unknown_name_error("metric", name, list(METRICS))
    for name in request.by:
        if name not in DIMENSIONS:
            raise unknown_name_error("dimension", name, list(DIMENSIONS))
    if "activity_date" in request.by:
        snapshot = [m for m in request.metrics if not isinstance(METRICS[m], ActivityMetric)]
        if snapshot:
            raise QueryError(
                f"{', '.join(snapshot)} cannot be sliced by activity_date: they describe the accounts as of the "
                "snapshot, not per month. Activity metrics can: "
                + ", ".join(m.name for m in METRICS.values() if isinstance(m, ActivityMetric)))


@_read_safely
def lorenz_points(points) -> int:
    """The number of points of a Lorenz curve: a whole number from 2 to MAX_LORENZ_POINTS."""
    whole = isinstance(points, numbers.Integral) and _is_number(points)
    if not whole or not 2 <= operator.index(points) <= MAX_LORENZ_POINTS:
        raise QueryError(f"points: a Lorenz curve takes a whole number of points from 2 to {MAX_LORENZ_POINTS:,}, "
                         f"got {shown(points)}")
    return operator.index(points)


@_read_safely
def dimension_name(name) -> str:
    if not isinstance(name, str):
        raise QueryError(f"a dimension name is text, got {shown(name)} ({type(name).__name__})")
    name = _plain_text(name)
    if name not in DIMENSIONS:
        raise unknown_name_error("dimension", name, list(DIMENSIONS))
    return name
