"""What the dashboard asks of the semantic layer, cached on plain filter values.

One read-only layer per published version of the warehouse, used under a lock
(Ibis backends are not thread-safe: shared/STACK.md). Each session reads the
version published when it opened (`pin_session`); results are cached by version
and filter values, so every session with the same filters shares them.
"""

from __future__ import annotations

import functools
import threading

import pandas as pd
import panel as pn

import semantic
from semantic import backends, config
from semantic.request import Range, Where, parse_where

_lock = threading.RLock()
# A published warehouse as one version of it: (url, semantic.backends.version(url)).
Warehouse = tuple[str, object]
_layers: dict[Warehouse, semantic.SemanticLayer] = {}
_newest: dict[str, Warehouse] = {}
_pinned: dict[str, Warehouse] = {}  # session id -> the version its page reads

def where_of(selection: dict[str, list | tuple]) -> Where:
    """The page's filters (values, or a (first, last) range of months) parsed as the layer parses them, sorted
    by dimension: hashable, the caches' key."""
    return parse_where(dict(sorted((dim, values) for dim, values in selection.items() if values)))


def layer_filters(where: Where) -> dict[str, list | Range]:
    """Parsed filters in the form the layer's methods take (values as a list: a tuple is a range there)."""
    return {dimension: list(values) if isinstance(values, tuple) else values for dimension, values in where}


def pin_session() -> None:
    """Make this session read the warehouse published now, for as long as it lives.

    A rebuild publishes a new version while pages are open: each open page keeps
    its numbers (never half old, half new), and pages opened afterwards read the
    new one. The version is let go when the session ends.
    """
    session = _session_id()
    if session is None:
        return
    with _lock:
        _pinned[session] = _published_now()
    pn.state.curdoc.on_session_destroyed(lambda _context: _release(session))


def _session_id() -> str | None:
    doc = pn.state.curdoc
    context = getattr(doc, "session_context", None) if doc is not None else None
    return getattr(context, "id", None)


def _published_now() -> Warehouse:
    url = config.backend_url(None)
    return url, backends.version(url)


def _warehouse() -> Warehouse:
    """The version this session reads: its pinned one, or (outside a session) the one published now."""
    with _lock:
        return _pinned.get(_session_id()) or _published_now()


def _release(session: str) -> None:
    with _lock:
        _pinned.pop(session, None)
        _close_unused()


def _close_unused() -> None:
    """Close the layers of versions that are neither the newest nor read by a session."""
    keep = set(_pinned.values()) | set(_newest.values())
    for warehouse in [w for w in _layers if w not in keep]:
        _layers.pop(warehouse).close()


def layer(warehouse: Warehouse | None = None) -> semantic.SemanticLayer:
    warehouse = warehouse or _warehouse()
    with _lock:
        if warehouse not in _layers:
            _layers[warehouse] = semantic.connect(warehouse[0])
            _newest[warehouse[0]] = warehouse
            _close_unused()
        return _layers[warehouse]


def _ask(warehouse: Warehouse, method: str, *args, **kwargs) -> pd.DataFrame:
    with _lock:
        return getattr(layer(warehouse), method)(*args, **kwargs)


# Answers are cached by warehouse version and plain filter values: sessions reading one version share them.
@functools.lru_cache(maxsize=512)
def _query(warehouse: Warehouse, metrics: tuple[str, ...], by: tuple[str, ...], where: Where, time_grain: str):
    return _ask(warehouse, "query", list(metrics), by=list(by), where=layer_filters(where), time_grain=time_grain)


@functools.lru_cache(maxsize=128)
def _deciles(warehouse: Warehouse, where: Where) -> pd.DataFrame:
    return _ask(warehouse, "deciles", where=layer_filters(where))


@functools.lru_cache(maxsize=128)
def _lorenz(warehouse: Warehouse, where: Where) -> pd.DataFrame:
    return _ask(warehouse, "lorenz", where=layer_filters(where))


@functools.lru_cache(maxsize=16)
def _dimension_values(warehouse: Warehouse, name: str) -> list:
    return _ask(warehouse, "dimension_values", name)


@functools.lru_cache(maxsize=64)
def _metric_sql(warehouse: Warehouse, metric: str) -> str:
    return _ask(warehouse, "sql", [metric])


def reset() -> None:
    """Forget every answer and close every layer (tests: each starts from a fresh process's state)."""
    for cached in (_query, _deciles, _lorenz, _dimension_values, _metric_sql, _build_marker):
        cached.cache_clear()
    with _lock:
        for sl in _layers.values():
            sl.close()
        _layers.clear()
        _newest.clear()


def query(metrics: tuple[str, ...], by: tuple[str, ...] = (), where: Where = (), time_grain: str = "month"):
    return _query(_warehouse(), metrics, by, where, time_grain)


def deciles(where: Where = ()) -> pd.DataFrame:
    return _deciles(_warehouse(), where)


def lorenz(where: Where = ()) -> pd.DataFrame:
    return _lorenz(_warehouse(), where)


def dimension_values(name: str) -> list:
    return _dimension_values(_warehouse(), name)


def metric_sql(metric: str) -> str:
    return _metric_sql(_warehouse(), metric)


def accounts(where: Where = ()) -> pd.DataFrame:
    """Account-level rows for the CSV export: not cached (large, and asked for rarely)."""
    return _ask(_warehouse(), "accounts", where=layer_filters(where))


def backend_label() -> str:
    return config.masked_url(layer().url)


def build_marker() -> dict | None:
    """Which build of the warehouse this session reads (semantic.backends.build_marker)."""
    return _build_marker(_warehouse())


@functools.lru_cache(maxsize=16)
def _build_marker(warehouse: Warehouse) -> dict | None:
    with _lock:
        return backends.build_marker(layer(warehouse).con)


def validation_report() -> tuple[dict | None, bool]:
    """(this build's validation summary or None, whether a report of this warehouse exists at all)."""
    return backends.validation_report(_warehouse()[0], (build_marker() or {}).get("build_id"))


def staleness_notice() -> str | None:
    return backends.staleness_notice(_warehouse()[0])
