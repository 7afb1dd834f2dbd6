"""The sidebar: a multi-select per filter, a Clear button and the active-filters summary, kept in the page URL."""

from __future__ import annotations

import calendar
from datetime import date

import panel as pn

from dashboard import data
from dashboard.state import (
    FILTERS,
    active_summary,
    effective,
    months_from_query,
    params_from_search,
    query_from_selection,
    selection_from_query,
)


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


# Each filter change adds a history entry (Panel's Location pushes the new URL); Back and Forward change the
# URL only: the page is then loaded again, so it shows what its URL says (a listener added once per page).
FOLLOW_HISTORY = """<script>
if (!window.__fintechFollowsHistory) {
  window.__fintechFollowsHistory = true;
  var hash = window.location.hash;
  window.addEventListener("popstate", function () {
    if (window.location.hash !== hash) { hash = window.location.hash; return; }  // an anchor, not a filter
    window.location.reload();
  });
}
</script>"""


class Filters:
    """The filter widgets of one session, and their link to the URL."""

    def __init__(self):
        self.options = {f.dimension: data.dimension_values(f.dimension) for f in FILTERS}
        self.widgets = {
            f.dimension: pn.widgets.MultiChoice(label=f.label, options=self.options[f.dimension], description=f.help,
                                                placeholder="All", sizing_mode="stretch_width")
            for f in FILTERS
        }
        self.available_months = months = data.dimension_values("activity_date")
        self.months = pn.widgets.DateRangeSlider(
            label="Activity months", start=months[0], end=months[-1], value=(months[0], months[-1]), format="%b %Y",
            sizing_mode="stretch_width") if months else None  # (the activity chart only)
        self.clear = pn.widgets.Button(label="Clear filters", sizing_mode="stretch_width")
        self.clear.on_click(lambda _: self.set_selection({}))
        self.summary = pn.pane.Markdown(pn.bind(self._summary_text, *self.widgets.values()),
                                        css_classes=["active-filters"])

    @property
    def controls(self) -> list:
        """Every widget whose change is a change of the filters: the multi-selects, and the months."""
        return [*self.widgets.values(), *([self.months] if self.months is not None else [])]

    def selection(self) -> dict[str, list]:
        """The values chosen, among those offered: a widget takes whatever a browser sends it, and a value the
        page does not offer is ignored, as one in the URL is (state.selection_from_query)."""
        return {dimension: [v for v in widget.value if v in self.options[dimension]]
                for dimension, widget in self.widgets.items()}

    def set_selection(self, selection: dict[str, list]) -> None:
        """Set every widget at once: only those that change, and one update sent to the browser."""
        with pn.io.hold():
            if self.months is not None and not selection:
                self.months.value = (self.months.start, self.months.end)
            for dimension, widget in self.widgets.items():
                wanted = list(selection.get(dimension, []))
                if list(widget.value) != wanted:
                    widget.value = wanted

    def toggle(self, dimension: str, value) -> None:
        """Add `value` to the filter on `dimension`, or take it out if chosen already (a click on a bar)."""
        widget = self.widgets[dimension]
        if value not in self.options[dimension]:
            return
        chosen = list(widget.value)
        widget.value = [v for v in chosen if v != value] if value in chosen else [*chosen, value]

    def where(self, *_values) -> data.Where:
        """The plain, hashable filter the layer is asked with (no filter for empty or every value)."""
        return data.where_of(effective(self.selection(), self.options))

    def chosen_months(self) -> tuple[date, date] | None:
        """The activity months chosen, from the first day of the first to the last day of the last, or None when
        every month is. (The slider moves by days, the data has one date a month: a handle anywhere in a month
        takes the whole month, as its label says.)"""
        if self.months is None:
            return None
        start, end = (v.date() if hasattr(v, "date") else v for v in self.months.value)
        first, last = start.replace(day=1), _month_end(end)
        if first <= self.months.start and last >= self.months.end:
            return None
        return first, last

    def activity_where(self) -> data.Where:
        """The filters, and the months chosen for the activity chart (none when every month is)."""
        months = self.chosen_months()
        if months is None:
            return self.where()
        return data.where_of({**effective(self.selection(), self.options), "activity_date": months})

    def _summary_text(self, *_values) -> str:
        text = active_summary(self.selection(), self.options)
        return f"**Active filters:** {text}" if text else ""

    def link_to_url(self, location) -> None:
        """Apply the URL's filters now (read as text: any value shows the dashboard), and keep the URL in step
        with the widgets from here on."""
        params = params_from_search(location.search)
        self.set_selection(selection_from_query(params, self.options))
        months = months_from_query(params, self.available_months)
        if months is not None and self.months is not None:
            self.months.value = months

        def update_url(*_events):
            location.search = query_from_selection(self.selection(), self.chosen_months())

        for widget in self.controls:
            widget.param.watch(update_url, "value")

    def panel(self) -> pn.Column:
        history = pn.pane.HTML(FOLLOW_HISTORY, width=0, height=0, margin=0)
        return pn.Column(*self.controls, self.clear, self.summary, history, sizing_mode="stretch_width")
