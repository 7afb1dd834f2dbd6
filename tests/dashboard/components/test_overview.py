"""dashboard/components/overview.py: the overview cards (and the concentration cards' definitions and SQL)."""

from __future__ import annotations

import re

import pytest

from dashboard import data
from tests import reference


def test_overview_cards_and_empty_state(dashboard_env):
    from dashboard.components.overview import overview

    accounts = dashboard_env
    html = overview((("region", ("East",)),)).object
    east = accounts[accounts.region == "East"]
    assert f"${east.balance.sum():,.0f}" in html and 'data-kpi="balance_weighted_rate"' in html
    empty = overview((("region", ("North",)), ("account_type", ("credit",)))).object
    assert "No accounts match these filters" in empty


CREDIT = {"approved_credit_exposure": None, "pending_credit_exposure": "Pending applications",
          "rejected_credit_exposure": "Rejected applications", "credit_exposure": "All applications"}


def money(value) -> str:
    """$1,234,567 without cents (the dashboard spec), written here and not taken from the code under test."""
    dollars = round(value)
    return f"-${-dollars:,}" if dollars < 0 else f"${dollars:,}"


def credit_card(html: str) -> dict[str, str]:
    """The credit card's value and parts as shown: {metric: text}."""
    card = re.search(r'<div class="kpi-card" data-kpi="approved_credit_exposure">.*?</details></div>', html,
                     re.S).group()
    shown = {"approved_credit_exposure": re.search(r'class="kpi-value">([^<]*)<', card).group(1)}
    for part, label, text in re.findall(r'data-part="(\w+)"><span class="kpi-part-label">([^<]*)</span>: '
                                        r'<span class="kpi-part-value">([^<]*)<', card):
        assert CREDIT[part] in label, label
        shown[part] = text
    return shown


@pytest.mark.parametrize("where", [{}, {"region": ["East"]}, {"risk_tolerance": ["Low", "High"],
                                                               "account_type": ["savings"]}], ids=str)
def test_the_credit_card_shows_the_approved_exposure_with_its_parts_and_the_total(dashboard_env, where):
    from dashboard.components.overview import overview

    accounts = dashboard_env
    expected = reference.metrics(accounts, list(CREDIT), where=where).iloc[0]
    shown = credit_card(overview(data.where_of(where)).object)
    assert shown == {name: money(expected[name]) for name in CREDIT}
    assert expected.approved_credit_exposure < expected.credit_exposure  # the parts are not the total


def test_every_card_has_its_definition_and_its_sql_collapsed(dashboard_env):
    import html as markup

    from dashboard.components.concentration import concentration_cards
    from dashboard.components.overview import overview

    page = overview(()).object + concentration_cards(()).object
    cards = re.findall(r'<div class="kpi-card" data-kpi="(\w+)">(.*?)</details></div>', page, re.S)
    assert [key for key, _ in cards] == ["accounts", "total_balance", "approved_credit_exposure",
                                         "balance_weighted_rate", "net_contributions", "avg_net_contribution",
                                         "top_10_share", "top_10_balance", "gini"]
    for key, card in cards:
        assert re.search(r'class="kpi-help">[^<]{10,}<', card), key  # a one-line definition
        details = re.search(r"<details[^>]*><summary>SQL</summary><pre[^>]*>(.*?)</pre>$", card, re.S)
        assert details and " open" not in card.split("<details")[1].split(">")[0], key  # collapsed
        sql = markup.unescape(details.group(1))
        assert sql.lstrip().startswith(("SELECT", "WITH")) and "SELECT" in sql and f'"{key}"' in sql, key
        assert '"' not in details.group(1) and "<" not in details.group(1), key  # html-escaped
    approved = dict(cards)["approved_credit_exposure"]
    assert "agg_accounts_by_segment" in approved  # a sum: answered from the rollup
