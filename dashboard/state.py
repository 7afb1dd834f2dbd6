"""The dashboard's view state: the filters, and their form in the page URL (`?region=North,West&product=savings`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qs, urlencode

from semantic.catalog import DIMENSIONS
from semantic.query import filters_nothing


@dataclass(frozen=True)
class Filter:
    param: str  # URL query parameter
    dimension: str  # semantic-layer dimension
    label: str
    help: str


FILTERS = (
    Filter("risk", "risk_tolerance", "Customer risk appetite", "The customer's declared risk tolerance."),
    Filter("region", "region", "Region", "Where the customer lives."),
    Filter("product", "account_type", "Product type", "The kind of account: checking, savings, credit, investment."),
    Filter("loan", "loan_status", "Loan status", "Where the account's loan application stands."),
    Filter("age", "age_band", "Age band", "The customer's age, in bands."),
)


def label_of(dimension: str) -> str:
    """What the page calls a dimension: its filter's label, else the catalog's description."""
    labels = {f.dimension: f.label for f in FILTERS}
    return labels.get(dimension) or DIMENSIONS[dimension].description


def params_from_search(search) -> dict[str, list[str]]:
    """The page URL's query string (`?region=North&region=West`) as text: every value kept as written.

    Panel's own `location.query_params` turns `5` into an int, `true` into a bool and `[1,2]` into a list;
    the filters want the text, whatever it is."""
    text = search if isinstance(search, str) else ""
    return parse_qs(text.removeprefix("?"), keep_blank_values=True)


def _texts(value) -> list[str]:
    """The comma-separated values in one parameter's value (text, a list of texts, or anything else)."""
    items = value if isinstance(value, (list, tuple)) else [value]
    texts = []
    for item in items:
        if item is None:
            continue
        try:
            text = item if isinstance(item, str) else str(item)
        except Exception:  # an object whose text cannot be had names no option
            continue
        texts += [v.strip() for v in text.split(",") if v.strip()]
    return texts


def selection_from_query(params: Mapping, options: dict[str, list]) -> dict[str, list]:
    """Filter values from URL query parameters (each a text, a list of texts, or anything else);
    values that do not exist are ignored, and so is a parameter that names none."""
    selection = {}
    for f in FILTERS:
        wanted = set(_texts(params.get(f.param)))
        selection[f.dimension] = [v for v in options[f.dimension] if str(v) in wanted]
    return selection


def query_from_selection(selection: dict[str, list], months: tuple[date, date] | None = None) -> str:
    """The URL search string for a selection (and the activity months, when not all of them):
    `?risk=High&region=North,West&months=2023-03..2023-08`, or '' when nothing is chosen."""
    pairs = [(f.param, ",".join(selection.get(f.dimension) or [])) for f in FILTERS if selection.get(f.dimension)]
    if months is not None:
        pairs.append((MONTHS_PARAM, f"{months[0]:%Y-%m}..{months[1]:%Y-%m}"))
    return "?" + urlencode(pairs, safe=",.") if pairs else ""


MONTHS_PARAM = "months"  # the activity chart's months: `months=2023-03..2023-08`, either end may be left out


def months_from_query(params: Mapping, months: list[date]) -> tuple[date, date] | None:
    """The first and last of the available `months` (month-end dates) inside the span the URL names, or None
    (every month) for no span, one that cannot be read, or one holding none of them."""
    texts = _texts(params.get(MONTHS_PARAM))
    start, sep, end = texts[0].partition("..") if texts else ("", "", "")
    low, high = _year_month(start, (1, 1)), _year_month(end, (9999, 12))
    if not sep or low is None or high is None:
        return None
    inside = [m for m in months if low <= (m.year, m.month) <= high]
    return (inside[0], inside[-1]) if inside else None


def _year_month(text: str, blank: tuple[int, int]) -> tuple[int, int] | None:
    """`2023-03` as (2023, 3); `blank` for an end left out; None for anything else."""
    if not text.strip():
        return blank
    found = re.fullmatch(r"([0-9]{4})-([0-9]{2})", text.strip())  # ASCII digits only
    return (int(found[1]), int(found[2])) if found and 1 <= int(found[2]) <= 12 else None


def effective(selection: dict[str, list], options: dict[str, list]) -> dict[str, list]:
    """Drop what filters nothing: what the layer says does (empty, or every fixed value of the dimension), and
    every option the page offers chosen (the options are the warehouse's values: a region has no fixed ones)."""
    return {d: list(v) for d, v in selection.items()
            if not filters_nothing(d, list(v)) and set(v) != set(options.get(d, []))}


def active_summary(selection: dict[str, list], options: dict[str, list]) -> str:
    """`Region: North, West; Product type: savings`, or '' when no filter is active."""
    active = effective(selection, options)
    return "; ".join(f"{label_of(d)}: {', '.join(map(str, v))}" for d, v in active.items())
