"""The dashboard's charts: Bokeh figures made for each page, their data replaced whole on each filter change.

Every model here (figure, data source, axis formatter, tools) is created by the
page that shows it: nothing of one session's document is shared with another's
(a module-level formatter, shared by every page, was lost by the later ones once
the first sessions were discarded). A chart's data source is replaced in one
assignment, every column at once, with its ranges set from the new data: a
chart never shows another filter's scale, and the browser never sees columns of
different lengths. The figures' `name`s are what tests and benches read.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from bokeh.models import (
    ColumnDataSource,
    FactorRange,
    HoverTool,
    NumeralTickFormatter,
    Range1d,
    TapTool,
)
from bokeh.plotting import figure

from semantic.formats import format_value, short_money

GAIN, LOSS = "#2e7d4f", "#c0392b"  # net inflows and net outflows
BLUE = "#2f6fb0"  # the page's own colour: a chosen category, the transactions line, the Lorenz area
HIGHLIGHT, GREY = BLUE, "#c8ccd4"  # a chosen category, and the others
DIMMED = {GAIN: "#a9cdb8", LOSS: "#e6aaa3", HIGHLIGHT: GREY}  # the lighter twin of each colour
AXIS_FORMATS = {"money": "$0,0", "integer": "0,0", "percent": "0%"}
LABEL_COLOR = {False: "#1f2328", True: "#e0e0e0"}  # value labels sit beside the bars, in the text colour


def value_range(values: Sequence[float], room: float = 0.15) -> tuple[float, float]:
    """A range that holds zero and every value, with room beyond the largest bar each way for its label
    (`room`: a share of the span)."""
    values = [v for v in values if v == v]  # a category without a value (NaN) has no bar
    low, high = min([0.0, *values]), max([0.0, *values])
    pad = room * ((high - low) or 1.0)
    return (low - pad if low < 0 else 0.0), (high + pad if high > 0 else pad if low == 0 else 0.0)


def _figure(name: str, title: str, height: int, **kwargs):
    plot = figure(name=name, title=title, height=height, sizing_mode="stretch_width", toolbar_location=None,
                  tools="", min_border_left=60, **kwargs)
    plot.xgrid.grid_line_color = None
    return plot


class BarChart:
    """Bars of one metric by one dimension, each labelled with its formatted value (`short`: money in three
    digits, $8.59M, written upright, where many bars share a phone's width; the tooltip has the exact figure).

    `on_tap(category)`: called when a bar is clicked (the selection is then cleared: a click leaves nothing
    selected, the filters say what is chosen)."""

    def __init__(self, name: str, title: str, dimension: str, metric: str, value_format: str, dark: bool = False,
                 height: int = 300, on_tap: Callable[[str], None] | None = None, short: bool = False):
        self.value_format = value_format
        self.short = short and value_format == "money"
        self.source = ColumnDataSource(data=self._columns([], [], []))
        self.plot = _figure(name, title, height, x_range=FactorRange(range_padding=0.1), y_range=Range1d(0, 1))
        self.plot.yaxis.formatter = NumeralTickFormatter(format=AXIS_FORMATS[value_format])
        bars = self.plot.vbar(x="category", top="value", width=0.8, fill_color="color", line_color="color",
                              source=self.source)
        bars.nonselection_glyph = None  # a click chooses a filter; the colours say what is chosen
        bars.selection_glyph = None
        self.plot.text(x="category", y="value", text="label", text_baseline="baseline", y_offset="offset",
                       text_align="align", angle=math.pi / 2 if self.short else 0, text_font_size="9pt",
                       text_color=LABEL_COLOR[dark], source=self.source)
        self.plot.add_tools(HoverTool(renderers=[bars], tooltips=[(dimension, "@category"), (metric, "@value_text")]))
        if on_tap is not None:
            self.plot.add_tools(TapTool(renderers=[bars]))
            self.source.selected.on_change("indices", lambda _attr, _old, new: self._tapped(new, on_tap))

    def _columns(self, categories, values, colors) -> dict:
        exact = [format_value(v, self.value_format) for v in values]
        return {"category": [str(c) for c in categories], "value": [float(v) for v in values],
                "value_text": exact, "label": [short_money(v) for v in values] if self.short else exact,
                "color": list(colors),
                # a label above a bar that rises, below one that falls: never over the bar itself (upright labels
                # start at the bar's end and run away from it)
                "baseline": ["middle" if self.short else "top" if v < 0 else "bottom" for v in values],
                "align": [("right" if v < 0 else "left") if self.short else "center" for v in values],
                "offset": [4 if v < 0 else -4 for v in values]}

    def show(self, categories: Sequence, values: Sequence[float], colors: Sequence[str]) -> None:
        categories = [str(c) for c in categories]
        low, high = value_range(values, room=0.3 if self.short else 0.15)
        self.plot.x_range.factors = categories
        self.plot.y_range.update(start=low, end=high)
        self.source.data = self._columns(categories, values, colors)

    def data(self) -> dict:
        return dict(self.source.data)

    def _tapped(self, indices: list[int], on_tap: Callable[[str], None]) -> None:
        if not indices:
            return
        category = self.source.data["category"][indices[0]]
        self.source.selected.indices = []
        on_tap(category)


def signed_colors(values: Sequence[float], chosen: Sequence[bool] | None = None) -> list[str]:
    """Gains and losses in two colours; categories not chosen in their dimension's filter dimmed."""
    colors = [LOSS if v < 0 else GAIN for v in values]
    if chosen is not None:
        colors = [c if keep else DIMMED[c] for c, keep in zip(colors, chosen)]
    return colors


class ActivityChart:
    """Two monthly series on one time axis (net transactions and repayments), with the y range of their data."""

    SERIES = (("transaction_volume", "Net transactions", BLUE), ("repayment_volume", "Repayments", "#e08a1e"))

    def __init__(self, name: str, title: str, dark: bool = False, height: int = 300):
        self.source = ColumnDataSource(data=self._columns([], {}))
        self.plot = _figure(name, title, height, x_axis_type="datetime", y_range=Range1d(0, 1))
        self.plot.xaxis.ticker.desired_num_ticks = 4  # month labels that fit side by side on a phone
        self.plot.yaxis.formatter = NumeralTickFormatter(format=AXIS_FORMATS["money"])
        lines = [self.plot.line(x="month", y=column, legend_label=label, color=color, line_width=2,
                                source=self.source) for column, label, color in self.SERIES]
        self.plot.legend.location = "top_left"
        self.plot.add_tools(HoverTool(renderers=lines[:1], mode="vline", tooltips=[
            ("Month", "@month{%b %Y}"), *[(label, f"@{column}_label") for column, label, _ in self.SERIES]],
            formatters={"@month": "datetime"}))

    def _columns(self, months, series: dict) -> dict:
        columns = {"month": list(months)}
        for column, _, _ in self.SERIES:
            values = [float(v) for v in series.get(column, [])]
            columns[column] = values
            columns[f"{column}_label"] = [format_value(v, "money") for v in values]
        return columns

    def show(self, months: Sequence, series: dict[str, Sequence[float]]) -> None:
        values = [float(v) for column, _, _ in self.SERIES for v in series.get(column, [])]
        low, high = value_range(values)
        self.plot.y_range.update(start=low, end=high)
        self.source.data = self._columns(months, series)

    def data(self) -> dict:
        return dict(self.source.data)


class LorenzChart:
    """The Lorenz curve, filled, against the dashed diagonal of perfect equality; both axes in percent."""

    def __init__(self, name: str, title: str, dark: bool = False, height: int = 320):
        self.source = ColumnDataSource(data={"population_share": [], "balance_share": []})
        self.plot = _figure(name, title, height, x_range=Range1d(0, 1), y_range=Range1d(0, 1.02))
        for axis in (self.plot.xaxis, self.plot.yaxis):
            axis.formatter = NumeralTickFormatter(format=AXIS_FORMATS["percent"])
        self.plot.xaxis.axis_label, self.plot.yaxis.axis_label = "Share of accounts", "Share of balances"
        self.plot.varea(x="population_share", y1=0, y2="balance_share", fill_color=BLUE, fill_alpha=0.4,
                        legend_label="Actual distribution", source=self.source)
        self.plot.line(x=[0, 1], y=[0, 1], line_dash="dashed", color=LABEL_COLOR[dark],
                       legend_label="Perfect equality")
        self.plot.legend.location = "top_left"

    def show(self, population_share: Sequence[float], balance_share: Sequence[float]) -> None:
        self.source.data = {"population_share": [float(v) for v in population_share],
                            "balance_share": [float(v) for v in balance_share]}

    def data(self) -> dict:
        return dict(self.source.data)
