"""A portable semantic layer for portfolio analytics.

    import semantic
    sl = semantic.connect()
    sl.query(["total_balance", "gini"], by=["region"], where={"risk_tolerance": ["High", "Medium"]})
"""

__all__ = ["QueryError", "SemanticLayer", "connect"]
_HOMES = {"QueryError": "semantic.request", "SemanticLayer": "semantic.layer", "connect": "semantic.layer"}


def __getattr__(name: str):
    """The layer (Ibis, pandas) is imported when first asked for: `import semantic.config`, all a `fintech`
    command needs to read its configuration or refuse its input, stays cheap."""
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'semantic' has no attribute {name!r}")
