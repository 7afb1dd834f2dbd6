"""Summary tables asked of the catalog: the rollups the layer reads instead of the detail, and the KPI tables.

They sit above the query compiler (semantic/query.py): each is a catalog metric or a distribution
table, never a formula of its own. `fintech build` makes them after the models (semantic/tables.py).
"""
