"""The dashboard in a real browser (Debian's Chromium) against a real `panel serve`, numbers checked independently."""

from __future__ import annotations

import csv
import io

import pytest

from tests import reference
from tests.dashboard.sessions import CARD_SHOWS

pytestmark = pytest.mark.browser

OVERVIEW = ["accounts", "total_balance", "approved_credit_exposure", "balance_weighted_rate", "net_contributions",
            "avg_net_contribution"]
FORMATS = {"accounts": "integer", "total_balance": "money", "approved_credit_exposure": "money",
           "balance_weighted_rate": "percent", "net_contributions": "money", "avg_net_contribution": "money",
           "top_10_share": "percent", "top_10_balance": "money"}


def expected_text(value, kind: str) -> str:
    """Written from the dashboard spec ($1,234,567 without cents; 8.25%), not from the code under test."""
    if kind == "integer":
        return f"{int(value):,}"
    if kind == "percent":
        return f"{value * 100:.2f}%"
    dollars = round(value)
    return f"-${-dollars:,}" if dollars < 0 else f"${dollars:,}"


def expected_cards(accounts, where: dict) -> dict[str, str]:
    names = list(FORMATS)
    row = reference.metrics(accounts, names, where=where).iloc[0]
    return {name: expected_text(row[name], FORMATS[name]) for name in names}


def card_text(page, key: str) -> str:
    return page.locator(f"[data-kpi={key}] .kpi-value").inner_text()


def wait_for_card(page, key: str, text: str, timeout: float = 20_000) -> None:
    page.wait_for_function(CARD_SHOWS, arg=[key, text], timeout=timeout)


def assert_cards(page, expected: dict[str, str]) -> None:
    """Every card shows its expected text (cards re-render as the filters change: wait, then compare)."""
    for key, text in expected.items():
        try:
            wait_for_card(page, key, text, timeout=20_000)
        except Exception:
            assert card_text(page, key) == text, key
            raise


def choose(page, filter_index: int, value: str) -> None:
    """Pick a value in one of the sidebar multi-selects (0 risk, 1 region, 2 product)."""
    box = page.locator(".choices").nth(filter_index)
    box.click()
    box.locator("input.choices__input--cloned").fill(value)
    box.locator(".choices__list--dropdown .choices__item--choice", has_text=value).first.click()
    page.keyboard.press("Escape")


def download(page, label: str) -> list[dict]:
    with page.expect_download() as info:
        page.get_by_role("button", name=label).click()
    with open(info.value.path()) as f:
        return list(csv.DictReader(io.StringIO(f.read())))


def second_decile_total(accounts) -> str:
    """The decile table's total balance of D2 (no card shows it), as the table formats it."""
    ranked = reference.with_balance_decile(accounts)
    return f"${ranked[ranked.balance_decile == 2].balance.sum():,.0f}"


def test_every_section_renders_with_the_expected_numbers(page, dashboard_url, dashboard_data):
    _, _, accounts = dashboard_data
    page.goto(dashboard_url)
    assert_cards(page, expected_cards(accounts, {}))
    body = page.locator("body")
    for heading in ["Fintech Portfolio Dashboard", "Portfolio overview", "Segments and growth drivers",
                    "Customer risk appetite", "Activity over time", "Concentration and dependency risk",
                    "Data quality", "Metric catalog", "Validated", "Backend: duckdb://"]:
        assert page.get_by_text(heading).first.is_visible() or heading in body.inner_text(), heading
    banner = page.get_by_text("The portfolio holds").first.inner_text()
    assert f"{len(accounts):,} accounts" in banner and "top 10% of accounts hold" in banner
    gini = reference.gini_by_trapezoids(accounts.balance)
    assert f"{gini:.3f}" in card_text(page, "gini")
    page.get_by_text("Metric catalog").first.click()  # built on first open: every metric with its SQL
    page.get_by_text("Interest rate weighted by loan amount").first.wait_for(timeout=20_000)
    page.locator(".metric-catalog .tabulator-row").first.locator(".tabulator-cell", has_text="►").click()
    assert "SELECT" in page.locator(".metric-catalog pre.metric-sql").first.inner_text()
    assert not [e for e in page.console_errors if "fonts" not in e], page.console_errors


def test_a_region_updates_cards_charts_and_url_and_clear_restores(page, dashboard_url, dashboard_data):
    _, _, accounts = dashboard_data
    page.goto(dashboard_url)
    unfiltered = expected_cards(accounts, {})
    assert_cards(page, unfiltered)

    choose(page, 1, "West")
    assert_cards(page, expected_cards(accounts, {"region": ["West"]}))
    page.wait_for_function("() => window.location.search.includes('region=West')")
    assert page.get_by_text("Active filters: Region: West").first.is_visible()
    by_product = download(page, "CSV: by product type")
    want = reference.metrics(accounts, ["net_contributions"], by=["account_type"], where={"region": ["West"]})
    got = {r["account_type"]: float(r["net_contributions"]) for r in by_product}
    assert got == pytest.approx(dict(zip(want.account_type, want.net_contributions)), rel=1e-9)
    page.get_by_text("Deciles: accounts and balances").first.click()  # built on first open, then follows filters
    page.locator(".tabulator", has_text=second_decile_total(accounts[accounts.region == "West"])).wait_for(
        timeout=20_000)

    choose(page, 0, "High")
    page.get_by_text("Highlighted: High (the risk filter)").first.wait_for(timeout=20_000)
    risk = download(page, "CSV: risk breakdown")  # the whole portfolio, the chosen tier highlighted
    assert [r["risk_tolerance"] for r in risk] == ["Low", "Medium", "High"]
    assert sum(int(r["accounts"]) for r in risk) == len(accounts)
    assert [r["highlighted"] for r in risk] == ["False", "False", "True"]

    page.get_by_role("button", name="Clear filters").click()
    assert_cards(page, unfiltered)
    page.locator(".tabulator", has_text=second_decile_total(accounts)).wait_for(timeout=20_000)
    page.wait_for_function("() => !window.location.search.includes('region=')")


def test_filters_from_the_url_and_empty_states(page, dashboard_url, dashboard_data):
    _, _, accounts = dashboard_data
    page.goto(f"{dashboard_url}?region=South,Atlantis&product=savings")  # unknown values are ignored
    assert_cards(page, expected_cards(accounts, {"region": ["South"], "account_type": ["savings"]}))

    page.goto(f"{dashboard_url}?region=North&product=credit")
    page.get_by_text("No accounts match these filters").first.wait_for(timeout=20_000)
    assert page.get_by_text("Not enough data").first.is_visible()
    assert not [e for e in page.console_errors if "fonts" not in e], page.console_errors


def test_hostile_values_in_the_url_are_only_values(page, dashboard_url, dashboard_data):
    """Quotes, SQL, markup, very long and unicode text in the URL: ignored like any unknown value, nothing run."""
    from urllib.parse import quote

    _, _, accounts = dashboard_data
    hostile = ["South' OR '1'='1", "South'); DROP TABLE int_customer_account_metrics; --",
               "<script>window.pwned=1</script>", "S" * 5_000, "Süd 南 🙂"]
    page.goto(f"{dashboard_url}?region={quote(','.join(hostile + ['South']))}&risk={quote(hostile[1])}")
    assert_cards(page, expected_cards(accounts, {"region": ["South"]}))
    assert not page.evaluate("window.pwned === 1")
    page.goto(dashboard_url)  # the table is still there, whole
    assert_cards(page, expected_cards(accounts, {}))
    assert not [e for e in page.console_errors if "fonts" not in e], page.console_errors


def test_the_csv_export_returns_the_filtered_accounts(page, dashboard_url, dashboard_data):
    _, _, accounts = dashboard_data
    page.goto(f"{dashboard_url}?risk=Low&region=East")
    assert_cards(page, expected_cards(accounts, {"risk_tolerance": ["Low"], "region": ["East"]}))
    rows = download(page, "CSV: filtered accounts")
    want = accounts[(accounts.risk_tolerance == "Low") & (accounts.region == "East")]
    assert sorted(int(r["account_id"]) for r in rows) == sorted(want.account_id)
    assert "address" not in rows[0]


def test_concurrent_sessions_keep_their_own_filters(browser, dashboard_url, dashboard_data):
    _, _, accounts = dashboard_data
    first, second = browser.new_context(), browser.new_context()
    try:
        west, everything = first.new_page(), second.new_page()
        west.goto(f"{dashboard_url}?region=West")
        everything.goto(dashboard_url)
        assert_cards(west, expected_cards(accounts, {"region": ["West"]}))
        assert_cards(everything, expected_cards(accounts, {}))
        choose(everything, 2, "savings")  # one session changes its filters; the other is not touched
        assert_cards(everything, expected_cards(accounts, {"account_type": ["savings"]}))
        assert_cards(west, expected_cards(accounts, {"region": ["West"]}))
    finally:
        first.close()
        second.close()


def test_the_dashboard_on_postgresql_shows_the_same_numbers(page, postgres_dashboard_url, dashboard_data):
    """Configuration alone (FINTECH_BACKEND=postgres://...) moves the dashboard to a server database."""
    _, _, accounts = dashboard_data
    page.goto(postgres_dashboard_url)
    assert_cards(page, expected_cards(accounts, {}))
    assert page.get_by_text("Backend: postgres://").first.is_visible()
    choose(page, 1, "West")
    assert_cards(page, expected_cards(accounts, {"region": ["West"]}))
    assert not [e for e in page.console_errors if "fonts" not in e], page.console_errors
