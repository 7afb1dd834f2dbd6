"""The dashboard's view state: three filters, and their form in the page URL (`?region=North,West&product=savings`)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode


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
)


def selection_from_query(params: dict[str, str], options: dict[str, list]) -> dict[str, list]:
    """Filter values from URL query parameters; values that do not exist are ignored."""
    selection = {}
    for f in FILTERS:
        wanted = [v.strip() for v in (params.get(f.param) or "").split(",") if v.strip()]
        selection[f.dimension] = [v for v in options[f.dimension] if v in wanted]
    return selection


def query_from_selection(selection: dict[str, list]) -> str:
    """The URL search string for a selection: `?risk=High&region=North,West`, or '' when nothing is chosen."""
    pairs = [(f.param, ",".join(selection.get(f.dimension) or [])) for f in FILTERS if selection.get(f.dimension)]
    return "?" + urlencode(pairs, safe=",") if pairs else ""


def effective(selection: dict[str, list], options: dict[str, list]) -> dict[str, list]:
    """Empty, or every option chosen, means no filter: drop those."""
    return {d: list(v) for d, v in selection.items() if v and set(v) != set(options.get(d, []))}


def active_summary(selection: dict[str, list], options: dict[str, list]) -> str:
    """`Region: North, West; Product type: savings`, or '' when no filter is active."""
    active = effective(selection, options)
    labels = {f.dimension: f.label for f in FILTERS}
    return "; ".join(f"{labels[d]}: {', '.join(map(str, v))}" for d, v in active.items())
