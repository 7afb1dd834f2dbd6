"""dashboard/components/risk.py: the whole portfolio by risk tier, the chosen tiers highlighted."""

from __future__ import annotations


def test_risk_breakdown_keeps_the_portfolio_and_highlights_the_chosen_tiers(dashboard_env):
    from dashboard.components.risk import risk_breakdown_frame

    accounts = dashboard_env
    frame = risk_breakdown_frame(("High", "Low"))
    assert list(frame.risk_tolerance) == ["Low", "Medium", "High"]
    assert frame.accounts.sum() == len(accounts)
    assert list(frame.highlighted) == [True, False, True]
    assert all(risk_breakdown_frame(()).highlighted)
