"""A portable semantic layer for portfolio analytics.

    import semantic
    sl = semantic.connect()
    sl.query(["total_balance", "gini"], by=["region"], where={"risk_tolerance": ["High", "Medium"]})
"""

from semantic.layer import SemanticLayer, connect
from semantic.request import QueryError

__all__ = ["QueryError", "SemanticLayer", "connect"]
