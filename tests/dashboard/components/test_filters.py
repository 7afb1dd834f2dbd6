"""dashboard/components/filters.py: what the widgets hold becomes the page's filters; a value the page does not
offer (a browser can send a widget anything) is no filter, never a refused request inside a callback."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ANY_VALUE = st.one_of(st.text(), st.integers(), st.floats(), st.none(), st.just("\x00"), st.text(min_size=1).map(
    lambda t: t * 1000))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sent=st.lists(ANY_VALUE, max_size=4), offered=st.booleans())
def test_a_value_the_page_does_not_offer_is_no_filter(dashboard_env, sent, offered):
    from dashboard.components.filters import Filters

    filters = Filters()
    region = filters.widgets["region"]
    chosen = ["East"] if offered else []
    region.value = [*chosen, *sent]  # as a browser's message would set it
    assert filters.selection()["region"] == chosen + [v for v in sent if v in ("Central", "East", "North",
                                                                             "South", "West")]
    want = tuple(dict.fromkeys(filters.selection()["region"]))
    assert dict(filters.where()).get("region", ()) == (want if len(want) < 5 else ())
