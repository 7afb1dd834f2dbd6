"""The Panel dashboard: `panel serve dashboard/app.py`. It asks the semantic layer and renders; no SQL, no formula."""
