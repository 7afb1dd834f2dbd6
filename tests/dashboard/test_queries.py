"""dashboard/queries.py: the set one filter change asks is what the page asks of the layer (the bench times it)."""

from __future__ import annotations


def _key(method: str, args: tuple, kwargs: dict) -> tuple:
    """A call of the layer, as plain values: (method, metrics, by, filters)."""
    metrics = tuple(args[0]) if args else ()
    where = tuple(sorted((d, tuple(v)) for d, v in (kwargs.get("where") or {}).items()))
    return method, metrics, tuple(kwargs.get("by") or ()), where


def test_the_page_asks_the_layer_what_a_filter_change_lists(dashboard_env, monkeypatch):
    from bokeh.document import Document
    from panel.io.state import set_curdoc

    from dashboard import data
    from dashboard.app import create_app
    from dashboard.queries import filter_change

    asked = []
    ask = data._ask

    def recording(warehouse, method, *args, **kwargs):
        if method in ("query", "deciles", "lorenz"):
            asked.append(_key(method, args, kwargs))
        return ask(warehouse, method, *args, **kwargs)

    monkeypatch.setattr(data, "_ask", recording)
    doc = Document()
    with set_curdoc(doc):
        template = create_app()
        template.server_doc(doc)
        template.sidebar[1].objects[1].value = ["West"]  # the region filter
    listed = {(q.method, q.metrics, q.by, q.where) for where in ((), (("region", ("West",)),))
              for q in filter_change(where)}
    assert set(asked) == listed
    assert len(asked) == len(set(asked))  # each asked once: the caches answer the rest
