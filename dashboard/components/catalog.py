"""The metric catalog: every metric with its definition, format and the SQL it compiles to here."""

from __future__ import annotations

import pandas as pd
import panel as pn

from dashboard import data
from semantic.catalog import METRICS


def catalog_frame() -> pd.DataFrame:
    return pd.DataFrame([{"metric": m.name, "description": m.description, "format": m.format, "grain": m.grain,
                          "sql": data.metric_sql(m.name)} for m in METRICS.values()])


def catalog_section() -> pn.viewable.Viewable:
    return pn.widgets.Tabulator(catalog_frame(), show_index=False, disabled=True, sizing_mode="stretch_width",
                                layout="fit_data_stretch", page_size=25,
                                formatters={"sql": {"type": "textarea"}})
