"""The overview's credit card and every card's SQL, in a real browser against a real `panel serve`.

The credit card shows the approved exposure (granted credit), with the pending and rejected parts and the
total of all applications (the original pipeline's `credit_exposure`) beneath, each checked against the
pandas reference; a card's SQL stays collapsed until asked for.
"""

from __future__ import annotations

import pytest

from tests import reference
from tests.dashboard.test_browser import assert_cards, choose, expected_text

pytestmark = pytest.mark.browser

CREDIT_CARD = "[data-kpi=approved_credit_exposure]"
# What the card shows beneath its value: each part's metric and the words naming it.
PARTS = {"pending_credit_exposure": "Pending applications", "rejected_credit_exposure": "Rejected applications",
         "credit_exposure": "All applications"}
CARDS = ["accounts", "total_balance", "approved_credit_exposure", "balance_weighted_rate", "net_contributions",
         "avg_net_contribution", "top_10_share", "top_10_balance", "gini"]


def assert_credit_card(page, accounts, where: dict) -> None:
    """The approved exposure, then each part: its plain-words label and its money, as the reference has them."""
    expected = reference.metrics(accounts, ["approved_credit_exposure", *PARTS], where=where).iloc[0]
    assert_cards(page, {"approved_credit_exposure": expected_text(expected.approved_credit_exposure, "money")})
    for part, label in PARTS.items():
        shown = page.locator(f"{CREDIT_CARD} [data-part={part}]")
        assert label in shown.locator(".kpi-part-label").inner_text(), part
        assert shown.locator(".kpi-part-value").inner_text() == expected_text(expected[part], "money"), part


def test_the_credit_card_shows_the_approved_exposure_with_its_parts(page, dashboard_url, dashboard_data):
    _, _, accounts = dashboard_data
    page.goto(dashboard_url)
    assert_credit_card(page, accounts, {})
    choose(page, 1, "West")  # a filter through the widget: the card follows it in place
    assert_credit_card(page, accounts, {"region": ["West"]})
    page.goto(f"{dashboard_url}?risk=Low,High&product=savings")  # and one from the URL
    assert_credit_card(page, accounts, {"risk_tolerance": ["Low", "High"], "account_type": ["savings"]})
    assert not [e for e in page.console_errors if "fonts" not in e], page.console_errors


def test_a_cards_sql_opens_on_demand(page, dashboard_url, dashboard_data):
    _, _, accounts = dashboard_data
    page.goto(dashboard_url)
    assert_cards(page, {"accounts": expected_text(len(accounts), "integer")})
    for key in CARDS:  # every card has its definition and its SQL, collapsed
        card = page.locator(f"[data-kpi={key}]")
        assert card.locator(".kpi-help").inner_text().strip(), key
        assert card.locator("summary", has_text="SQL").count() == 1, key
        assert not card.locator("pre").is_visible(), key
    page.locator(f"{CREDIT_CARD} summary").click()
    sql = page.locator(f"{CREDIT_CARD} pre")
    sql.wait_for(state="visible", timeout=10_000)
    assert "SELECT" in sql.inner_text() and "approved_credit_exposure" in sql.inner_text()
    assert not page.locator("[data-kpi=gini] pre").is_visible()  # one card opened, the others stay closed
