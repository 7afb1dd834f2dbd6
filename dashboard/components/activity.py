"""Section 2, activity over time: transactions and repayments per month, for the filters and the months chosen."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import panel as pn

from dashboard import data, queries
from dashboard.components.charts import ActivityChart
from dashboard.components.common import csv_download

if TYPE_CHECKING:
    from dashboard.page import Page


def activity_frame(where: data.Where) -> pd.DataFrame:
    return queries.activity(where).answer()


class ActivityOverTime:
    def __init__(self):
        self.chart = ActivityChart("activity_by_month", "Activity per month", dark=pn.config.theme == "dark")
        self.plot = self.chart.plot

    def update(self, where: data.Where) -> None:
        frame = activity_frame(where)
        self.chart.show(pd.to_datetime(frame.activity_date).to_numpy(),
                        {column: frame[column] for column in queries.ACTIVITY_METRICS})


def parts(page: Page) -> list:
    """The chart (it follows the activity months too, as no other section does), and its CSV button."""
    activity_where = page.filters.activity_where
    return [page.chart(ActivityOverTime(), lambda _where: activity_where()),
            csv_download(lambda: activity_frame(activity_where()), "activity_by_month.csv", "CSV: activity by month")]
