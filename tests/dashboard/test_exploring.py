"""Exploring in a real browser: the widgets and clicks an analyst uses, every chart checked against the reference
after each, no browser error on the way, and the same axes for the first visitor and the later ones."""

from __future__ import annotations

import random
import time

import pytest

from tests import reference
from tests.dashboard.conftest import served
from tests.dashboard.sessions import RENDERED
from tests.dashboard.test_browser import expected_text

pytestmark = pytest.mark.browser

OPTIONS = {"risk_tolerance": ["Low", "Medium", "High"], "region": ["North", "South", "East", "West", "Central"],
           "account_type": ["savings", "checking", "credit", "investment"]}
WIDGET = {"risk_tolerance": 0, "region": 1, "account_type": 2}  # the order of the sidebar's multi-selects

# Every chart of the page as the browser has it: its name, y range, axis format (and 200,000, or 0.25 on a share
# axis, formatted by the axis itself), and its data source's columns.
CHARTS = """() => {
  const out = {};
  for (const m of Bokeh.documents[0]._all_models.values()) {
    if (!m.name || !m.renderers || !m.left) continue;
    const source = m.renderers[0].data_source, axis = m.left[0].formatter;
    const sample = (axis.format || "").includes("%") ? 0.25 : 200000;
    const columns = {};
    for (const [k, v] of Object.entries(source.data)) columns[k] = Array.from(v);
    out[m.name] = {y: [m.y_range.start, m.y_range.end], format: axis.format || null,
                   formatted: axis.doFormat ? axis.doFormat([sample], {loc: 0})[0] : null,
                   data: columns, selected: source.selected.indices.length};
  }
  return out;
}"""

# The screen position of the middle of one bar of a chart (scrolled into view first), for a real mouse click.
BAR_AT = """([name, category]) => {
  const stack = Object.values(Bokeh.index), seen = new Set();
  while (stack.length) {
    const view = stack.pop();
    if (seen.has(view)) continue;
    seen.add(view);
    if (view.model && view.model.name === name && view.frame) {
      view.canvas_view.el.scrollIntoView({block: "center"});
      const box = view.canvas_view.el.getBoundingClientRect();
      const data = view.model.renderers[0].data_source.data, i = data.category.indexOf(category);
      return [box.left + view.frame.x_scale.compute(view.frame.x_range.synthetic(category)),
              box.top + view.frame.y_scale.compute(data.value[i] / 2)];
    }
    for (const child of view.child_views || []) stack.push(child);
  }
  return null;
}"""


def stamp(where: dict) -> str:
    """The render stamp's key for a selection (dashboard/app.py: render_stamp): dimensions sorted."""
    return ";".join(f"{dim}={','.join(where[dim])}" for dim in sorted(where) if where[dim])


def wait_rendered(page, where: dict) -> None:
    page.wait_for_function(RENDERED, arg=stamp(where), timeout=30_000)


def choose(page, dimension: str, value: str) -> None:
    """Type a value into a sidebar multi-select and pick it, as a user does."""
    box = page.locator(".choices").nth(WIDGET[dimension])
    field = box.locator("input.choices__input--cloned")
    field.click()
    field.fill(value)
    box.locator(".choices__list--dropdown .choices__item--choice", has_text=value).first.click()
    page.keyboard.press("Escape")


def click_bar(page, chart: str, category: str) -> None:
    x, y = page.evaluate(BAR_AT, [chart, category])
    page.mouse.click(x, y)


def browser_errors(page) -> list[str]:
    return [e for e in page.console_errors if "fonts" not in e]


def assert_charts(page, accounts, where: dict) -> None:
    """Each segment bar, label and colour, and each decile, as the reference has them; every range fits."""
    charts = page.evaluate(CHARTS)
    for dimension in ("account_type", "region"):
        shown = charts[f"net_contributions_by_{dimension}"]
        others = {d: v for d, v in where.items() if d != dimension and v}
        want = reference.metrics(accounts, ["net_contributions"], by=[dimension], where=others)
        want = want.sort_values("net_contributions", ascending=False)
        absent = [c for c in where.get(dimension) or () if c not in set(want[dimension])]  # chosen, no bar
        assert shown["data"]["category"] == [*want[dimension], *absent], dimension
        assert shown["data"]["value"] == pytest.approx([*want.net_contributions, *[float("nan")] * len(absent)],
                                                       rel=1e-9, nan_ok=True)
        assert shown["data"]["label"] == [expected_text(v, "money") if v == v else "-" for v in shown["data"]["value"]]
        assert len(set(shown["data"]["color"])) >= (2 if min(want.net_contributions) < 0 < max(want.net_contributions)
                                                    else 1)
        low, high = shown["y"]
        values = [v for v in shown["data"]["value"] if v == v]
        assert low <= min(0, *values) and high >= max(0, *values)
        assert shown["selected"] == 0
    population = reference.population(accounts, {d: v for d, v in where.items() if v})
    deciles = charts["total_balance_by_decile"]["data"]
    if population.empty:
        assert deciles["category"] == []
    else:
        want = reference.kpi_balance_deciles(population).sort_values("balance_decile")
        assert deciles["value"] == pytest.approx(list(want.total_balance), rel=1e-9)
        assert charts["total_balance_by_decile"]["y"][1] >= max(want.total_balance)
    activity = charts["activity_by_month"]
    values = [*activity["data"]["transaction_volume"], *activity["data"]["repayment_volume"]]
    if values:  # the activity chart's range is its data's (it kept the whole portfolio's once)
        span = max(values) - min(0, *values)
        assert activity["y"][0] <= min(0, *values) and max(values) <= activity["y"][1] <= max(values) + 0.5 * span


def test_a_dozen_widget_changes_keep_every_chart_right_and_the_console_clean(page, dashboard_url, dashboard_data):
    _, _, accounts = dashboard_data
    page.goto(dashboard_url)
    wait_rendered(page, {})
    assert_charts(page, accounts, {})
    where: dict[str, list] = {}
    steps = random.Random(16)
    for _ in range(12):
        if where and steps.random() < 0.2:
            page.get_by_role("button", name="Clear filters").click()
            where = {}
        else:
            dimension = steps.choice(sorted(OPTIONS))
            value = steps.choice([v for v in OPTIONS[dimension] if v not in where.get(dimension, [])])
            choose(page, dimension, value)
            where.setdefault(dimension, []).append(value)  # in the order picked, as the widget keeps them
        effective = {d: v for d, v in where.items() if len(v) < len(OPTIONS[d])}  # every option: no filter
        wait_rendered(page, effective)
        assert_charts(page, accounts, effective)
    assert not browser_errors(page), browser_errors(page)


def test_a_click_on_a_bar_filters_and_a_second_click_or_clear_takes_it_away(page, dashboard_url, dashboard_data):
    _, _, accounts = dashboard_data
    page.goto(dashboard_url)
    wait_rendered(page, {})
    click_bar(page, "net_contributions_by_region", "West")
    wait_rendered(page, {"region": ["West"]})
    assert_charts(page, accounts, {"region": ["West"]})
    region = page.evaluate(CHARTS)["net_contributions_by_region"]["data"]
    assert len(region["category"]) == 5  # every region still there, West in full colour, the others dimmed
    west = region["category"].index("West")
    assert len({c for i, c in enumerate(region["color"]) if i != west} & {region["color"][west]}) == 0

    click_bar(page, "net_contributions_by_account_type", "savings")
    wait_rendered(page, {"account_type": ["savings"], "region": ["West"]})
    click_bar(page, "net_contributions_by_region", "West")  # again: West is no longer chosen
    wait_rendered(page, {"account_type": ["savings"]})
    assert_charts(page, accounts, {"account_type": ["savings"]})

    page.get_by_role("button", name="Clear filters").click()
    wait_rendered(page, {})
    assert_charts(page, accounts, {})  # nothing of the clicks survives Clear: every bar in full colour again
    colors = page.evaluate(CHARTS)["net_contributions_by_account_type"]["data"]["color"]
    assert len(set(colors)) <= 2
    assert not browser_errors(page), browser_errors(page)


def test_later_visitors_get_the_axes_the_first_one_got(browser, dashboard_data):
    """Sessions discarded after half a second: the fourth visitor's axes read as the first one's did."""
    data_dir, url, _ = dashboard_data
    options = ("--check-unused-sessions", "300", "--unused-session-lifetime", "300")
    with served(url, data_dir, options, log_name="panel-visitors.log") as app:
        axes = []
        for _ in range(4):
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            page.goto(app)
            wait_rendered(page, {})
            axes.append({name: (chart["format"], chart["formatted"]) for name, chart in page.evaluate(CHARTS).items()})
            context.close()
            time.sleep(1)  # the server discards the closed session
    assert axes[-1] == axes[0]
    assert axes[-1]["net_contributions_by_region"] == ("$0,0", "$200,000")
    assert axes[-1]["lorenz_curve"] == ("0%", "25%")
    assert axes[-1]["accounts_by_risk_tolerance"] == ("0,0", "200,000")


def test_the_activity_months_come_from_the_url_and_stay_in_it(page, dashboard_url, dashboard_data):
    data_dir, _, accounts = dashboard_data
    page.goto(f"{dashboard_url}?region=East&months=2023-03..2023-08")
    wait_rendered(page, {"region": ["East"]})
    stg = reference.staging(data_dir / "raw" / "fintech_data.csv")
    want = reference.activity_metrics(stg, accounts, ["transaction_volume"], "month", where={"region": ["East"]},
                                      dates=("2023-03-01", "2023-08-31")).sort_values("activity_date")
    page.wait_for_function("""(n) => [...Bokeh.documents[0]._all_models.values()]
        .some((m) => m.name === "activity_by_month" && m.renderers[0].data_source.data.month.length === n)""",
                           arg=len(want), timeout=30_000)
    shown = page.evaluate(CHARTS)["activity_by_month"]["data"]
    assert shown["transaction_volume"] == pytest.approx(list(want.transaction_volume), rel=1e-9)
    choose(page, "account_type", "savings")  # another filter: the months stay, in the chart and the URL
    wait_rendered(page, {"account_type": ["savings"], "region": ["East"]})
    page.wait_for_function("() => window.location.search.includes('months=2023-03..2023-08')", timeout=30_000)
    assert "product=savings" in page.evaluate("() => window.location.search")
    assert not browser_errors(page), browser_errors(page)


def test_back_and_forward_show_what_the_url_says(page, dashboard_url, dashboard_data):
    _, _, accounts = dashboard_data
    page.goto(dashboard_url)
    wait_rendered(page, {})
    choose(page, "region", "West")
    wait_rendered(page, {"region": ["West"]})
    page.wait_for_function("() => window.location.search === '?region=West'")
    choose(page, "account_type", "savings")
    wait_rendered(page, {"account_type": ["savings"], "region": ["West"]})
    page.wait_for_function("() => window.location.search.includes('product=savings')")
    page.go_back()
    wait_rendered(page, {"region": ["West"]})  # the page follows its URL back
    assert_charts(page, accounts, {"region": ["West"]})
    page.go_forward()
    wait_rendered(page, {"account_type": ["savings"], "region": ["West"]})
    assert not browser_errors(page), browser_errors(page)
