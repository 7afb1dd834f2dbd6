"""dashboard/components/contributions.py: net contributions by product type and by region."""

from __future__ import annotations


def test_net_contributions_sorted_descending(dashboard_env):
    from dashboard.components.contributions import contributions_frame

    frame = contributions_frame("region", ())
    assert list(frame.net_contributions) == sorted(frame.net_contributions, reverse=True)
