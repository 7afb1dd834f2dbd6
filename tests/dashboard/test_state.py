"""The filters' URL form: any query string, any parameter value of any type, gives a valid selection."""

from __future__ import annotations

import string
from datetime import date
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.guards import plain_uri
from dashboard.state import (
    FILTERS,
    active_summary,
    effective,
    months_from_query,
    params_from_search,
    query_from_selection,
    selection_from_query,
)

OPTIONS = {"risk_tolerance": ["High", "Low", "Medium"], "region": ["Central", "North", "West"],
           "account_type": ["checking", "credit", "savings"], "loan_status": ["approved", "pending", "rejected"],
           "age_band": ["18-29", "30-44", "45-59", "60+"]}
PARAMS = [f.param for f in FILTERS]
NAMES = [v for values in OPTIONS.values() for v in values]

json_ish = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.sampled_from(NAMES),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12)


@given(st.dictionaries(st.sampled_from(PARAMS) | st.text(max_size=8), json_ish, max_size=6))
def test_any_params_give_a_subset_of_the_options(params):
    selection = selection_from_query(params, OPTIONS)
    assert set(selection) == set(OPTIONS)
    for dimension, chosen in selection.items():
        assert set(chosen) <= set(OPTIONS[dimension]) and len(chosen) == len(set(chosen))


@given(st.text())
def test_any_query_string_is_read_as_text(search):
    params = params_from_search(search)
    assert all(isinstance(v, str) for values in params.values() for v in values)
    selection_from_query(params, OPTIONS)


@given(st.lists(st.sampled_from(NAMES) | st.text(alphabet=string.printable, max_size=6), max_size=8))
def test_the_named_options_are_chosen_wherever_they_appear(values):
    """Values spread over repeated parameters and commas: every option named is chosen, nothing else."""
    pairs = [("region", v) for v in values[::2]] + [("region", ",".join(values[1::2]))]
    selection = selection_from_query(params_from_search("?" + urlencode(pairs)), OPTIONS)
    named = {v.strip() for v in values for v in v.split(",")}
    assert selection["region"] == [v for v in OPTIONS["region"] if v in named]
    assert selection["risk_tolerance"] == [] and selection["account_type"] == []


def test_what_panel_would_have_parsed_is_text_here():
    assert params_from_search("?region=5&risk=1.5&product=true") == {"region": ["5"], "risk": ["1.5"],
                                                                     "product": ["true"]}
    assert selection_from_query(params_from_search("?region=North&region=[1,2]&region=West"),
                                OPTIONS)["region"] == ["North", "West"]
    assert params_from_search(None) == {} and params_from_search("") == {}


@given(st.text(alphabet="/?#=&a%", max_size=30))
def test_a_request_uri_keeps_one_question_mark(uri):
    plain = plain_uri(uri)
    assert plain.count("?") <= 1 and "#" not in plain
    if "?" in uri:  # the same query once decoded: everything after the first '?' (as a browser reads it)
        assert params_from_search("?" + plain.split("?", 1)[1]) == params_from_search("?" + uri.split("?", 1)[1])


MONTH_ENDS = [date(2023, m, 28) for m in range(1, 13)] + [date(2024, m, 28) for m in range(1, 13)]


@pytest.mark.parametrize(("text", "span"), [
    ("2023-03..2023-08", (date(2023, 3, 28), date(2023, 8, 28))),
    ("2023-11..", (date(2023, 11, 28), date(2024, 12, 28))),
    ("..2023-02", (date(2023, 1, 28), date(2023, 2, 28))),
    ("2022-01..2023-01", (date(2023, 1, 28), date(2023, 1, 28))),
    ("2023-08..2023-03", None), ("2025-01..2025-06", None), ("2023-3..2023-08", None), ("2023-13..", None),
    ("2023-03", None), ("", None), ("..", (date(2023, 1, 28), date(2024, 12, 28))), ("2023-03..2023-08..x", None),
])
def test_the_activity_months_in_the_url(text, span):
    assert months_from_query({"months": text}, MONTH_ENDS) == span
    if span is not None:  # written back into a URL, it reads as the same months
        assert months_from_query(params_from_search(query_from_selection({}, span)), MONTH_ENDS) == span


@given(st.text() | st.lists(st.text(), max_size=3) | st.integers() | st.none())
def test_any_months_value_gives_every_month_or_a_span_of_them(value):
    span = months_from_query({"months": value}, MONTH_ENDS)
    assert span is None or (span[0] in MONTH_ENDS and span[1] in MONTH_ENDS and span[0] <= span[1])


def test_months_are_written_in_ascii_digits():
    assert months_from_query({"months": "２０２３-03..2023-08"}, MONTH_ENDS) is None


EVERY_OPTION = {"risk_tolerance": ["Low", "Medium", "High"],
                "region": ["Central", "East", "North", "South", "West"],
                "account_type": ["checking", "savings", "credit", "investment"],
                "loan_status": ["approved", "pending", "rejected"], "age_band": ["18-29", "30-44", "45-59", "60+"]}


def test_url_round_trip_ignores_unknown_values():
    selection = selection_from_query({"region": "West,Atlantis,North", "product": "savings", "risk": ""}, EVERY_OPTION)
    assert selection == {"risk_tolerance": [], "region": ["North", "West"], "account_type": ["savings"],
                         "loan_status": [], "age_band": []}
    assert query_from_selection(selection) == "?region=North,West&product=savings"
    assert query_from_selection({"region": []}) == ""


def test_every_value_or_none_means_no_filter():
    assert effective({"risk_tolerance": ["Low", "Medium", "High"], "region": []}, EVERY_OPTION) == {}
    summary = active_summary({"region": ["North", "West"], "account_type": ["savings"]}, EVERY_OPTION)
    assert summary == "Region: North, West; Product type: savings"
