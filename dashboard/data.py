"""What the dashboard asks of the semantic layer, cached on plain filter values.

One read-only layer per process, used under a lock (Ibis backends are not
thread-safe: shared/STACK.md); results are cached by the filter values
themselves, so every session with the same filters shares them.
"""

from __future__ import annotations

import functools
import threading

import pandas as pd

import semantic
from semantic import config

# The cards and the banner: asked as one query, so the sections share one result per filter.
HEADLINE_METRICS = ("accounts", "total_balance", "credit_exposure", "balance_weighted_rate",
                    "net_contributions", "avg_net_contribution", "top_10_share", "top_10_balance", "gini")

_lock = threading.Lock()
_layers: dict[str, semantic.SemanticLayer] = {}

# A filter selection as plain, hashable values: ((dimension, (value, ...)), ...), sorted.
Where = tuple[tuple[str, tuple], ...]


def where_of(selection: dict[str, list]) -> Where:
    return tuple(sorted((dim, tuple(values)) for dim, values in selection.items() if values))


def _as_filters(where: Where) -> dict[str, list]:
    """The layer's form of a filter selection."""
    return {dimension: list(values) for dimension, values in where}


def layer(url: str | None = None) -> semantic.SemanticLayer:
    url = config.backend_url(url)
    with _lock:
        if url not in _layers:
            _layers[url] = semantic.connect(url)
        return _layers[url]


def _ask(method: str, *args, **kwargs) -> pd.DataFrame:
    sl = layer()
    with _lock:
        return getattr(sl, method)(*args, **kwargs)


@functools.lru_cache(maxsize=512)
def query(metrics: tuple[str, ...], by: tuple[str, ...] = (), where: Where = (), time_grain: str = "month"):
    return _ask("query", list(metrics), by=list(by), where=_as_filters(where), time_grain=time_grain)


def headline(where: Where = ()) -> pd.Series:
    """The headline numbers of the filtered portfolio (one row): overview cards, concentration cards, banner."""
    return query(HEADLINE_METRICS, where=where).iloc[0]


@functools.lru_cache(maxsize=128)
def deciles(where: Where = ()) -> pd.DataFrame:
    return _ask("deciles", where=_as_filters(where))


@functools.lru_cache(maxsize=128)
def lorenz(where: Where = ()) -> pd.DataFrame:
    return _ask("lorenz", where=_as_filters(where))


@functools.lru_cache(maxsize=16)
def dimension_values(name: str) -> list:
    return _ask("dimension_values", name)


def accounts(where: Where = ()) -> pd.DataFrame:
    """Account-level rows for the CSV export: not cached (large, and asked for rarely)."""
    return _ask("accounts", where=_as_filters(where))


@functools.lru_cache(maxsize=64)
def metric_sql(metric: str) -> str:
    return _ask("sql", [metric])


def backend_label() -> str:
    return config.masked_url(layer().url)
