"""dashboard/components/catalog.py: every metric with its SQL."""

from __future__ import annotations


def test_catalog_lists_every_metric_with_its_sql(dashboard_env):
    from dashboard.components.catalog import catalog_frame
    from tests.spec import METRIC_GRAINS

    frame = catalog_frame()
    assert sorted(frame.metric) == sorted(METRIC_GRAINS)
    assert frame.sql.str.contains("SELECT").all()
