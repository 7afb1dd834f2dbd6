"""The gate on small in-memory tables: each expectation type's evaluator, severities, the Gate, the registry.

Every table here is a few rows written out by hand, in a DuckDB in-memory database, and every expected count,
example and message is worked out from those rows by hand, not by the code under test.
"""

from __future__ import annotations

from datetime import date

import great_expectations as gx
import ibis
import pytest

from expectations import GateFailure, gate
from expectations.evaluators import EVALUATORS, NoEvaluator
from expectations.gate import Gate, report, run_suite
from expectations.suites import SUITES, Suite, Target
from pipelines.load import load_raw
from semantic.models.contract import MAX_EXAMPLES
from semantic.models.staging import stg_fintech_data
from tests.semantic.models.test_contract import _rows, _write

E = gx.expectations


@pytest.fixture
def con():
    con = ibis.duckdb.connect()
    yield con
    con.disconnect()


def _run(con, expectations: list, schema: dict | None = None, **columns):
    """One suite "s" of one target "t" (the table of `columns`), run by the gate."""
    table = con.create_table("t", ibis.memtable(columns, schema=schema), overwrite=True)
    return run_suite(Suite("s", [Target("t", expectations)]), {"t": table})


def _result(run, i: int = 0) -> dict:
    return run.result.results[i].result


def _only_failure(run):
    assert len(run.failures) == 1, run.failures
    return run.failures[0]


# ---- column maps: unexpected rows counted in one scan ---------------------------------------------

def test_not_null_passes_without_nulls(con):
    run = _run(con, [E.ExpectColumnValuesToNotBeNull(column="x")], x=[1, 2, 3])
    assert run.result.success and run.failures == []
    assert _result(run) == {"element_count": 3, "unexpected_count": 0, "unexpected_percent": 0.0,
                            "partial_unexpected_list": [], "missing_count": 0}


def test_not_null_counts_each_null(con):
    run = _run(con, [E.ExpectColumnValuesToNotBeNull(column="x")], x=[1, None, 3, None])
    failure = _only_failure(run)
    assert (failure.unexpected_count, failure.element_count, failure.examples) == (2, 4, [None, None])
    assert _result(run)["unexpected_percent"] == 50.0
    assert failure.blocks and run.blocking == [failure] and not run.result.success
    assert failure.line() == ("  [critical] suite s: expect_column_values_to_not_be_null on t.x: "
                              "2 unexpected of 4 rows, e.g. None, None")


def test_in_set_passes_and_a_null_is_not_unexpected(con):
    run = _run(con, [E.ExpectColumnValuesToBeInSet(column="x", value_set=["a", "b"])], x=["a", None, "b", "a"])
    assert run.result.success and _result(run)["unexpected_count"] == 0 and _result(run)["element_count"] == 4


def test_in_set_shows_at_most_max_examples(con):
    values = ["a", "z1", None, "z2", "b", "z3", "z4", "z5", "z6", "z7"]  # seven values outside {a, b}
    run = _run(con, [E.ExpectColumnValuesToBeInSet(column="x", value_set=["a", "b"])], x=values)
    failure = _only_failure(run)
    assert failure.unexpected_count == 7 and failure.element_count == 10
    assert MAX_EXAMPLES == 5 and len(failure.examples) == 5
    assert set(failure.examples) <= {"z1", "z2", "z3", "z4", "z5", "z6", "z7"}
    assert _result(run)["unexpected_percent"] == 70.0


def test_between_passes_on_its_bounds(con):
    run = _run(con, [E.ExpectColumnValuesToBeBetween(column="x", min_value=1, max_value=10)], x=[1, 5, 10, None])
    assert run.result.success and _result(run)["unexpected_count"] == 0


def test_between_counts_values_outside_its_bounds(con):
    run = _run(con, [E.ExpectColumnValuesToBeBetween(column="x", min_value=1, max_value=10)],
               x=[0.0, 1.0, 5.0, 10.0, 11.5, None])
    failure = _only_failure(run)
    assert (failure.unexpected_count, failure.element_count) == (2, 6)
    assert sorted(failure.examples) == [0.0, 11.5]


def test_strict_bounds_exclude_the_bounds_themselves(con):
    strict = E.ExpectColumnValuesToBeBetween(column="x", min_value=1, max_value=10, strict_min=True, strict_max=True)
    run = _run(con, [strict], x=[1, 2, 9, 10])
    assert _only_failure(run).unexpected_count == 2 and sorted(_only_failure(run).examples) == [1, 10]


def test_between_with_one_bound(con):
    run = _run(con, [E.ExpectColumnValuesToBeBetween(column="x", min_value=0),
                     E.ExpectColumnValuesToBeBetween(column="x", max_value=2)], x=[-1, 0, 3, 4])
    low, high = run.failures
    assert (low.unexpected_count, low.examples) == (1, [-1])
    assert (high.unexpected_count, sorted(high.examples)) == (2, [3, 4])


def test_a_warning_is_reported_and_does_not_block(con):
    warning = E.ExpectColumnValuesToBeBetween(column="x", max_value=100, severity="warning")
    run = _run(con, [warning], x=[5, 500])
    failure = _only_failure(run)
    assert failure.severity == "warning" and not failure.blocks
    assert run.blocking == [] and run.result.success  # reported, and the suite passes
    assert failure.line() == ("  [warning] suite s: expect_column_values_to_be_between on t.x: "
                              "1 unexpected of 2 rows, e.g. 500")


def test_dates_are_shown_as_iso_text(con):
    run = _run(con, [E.ExpectColumnValuesToBeBetween(column="d", min_value=date(2000, 1, 1))],
               d=[date(1999, 12, 31), date(2024, 1, 31)])
    assert _only_failure(run).examples == ["1999-12-31"]


# ---- uniqueness: a group-by ------------------------------------------------------------------------

def test_unique_passes_and_nulls_are_not_repeats(con):
    run = _run(con, [E.ExpectColumnValuesToBeUnique(column="x")], x=[1, 2, None, None])
    assert run.result.success and _result(run) == {
        "element_count": 4, "unexpected_count": 0, "unexpected_percent": 0.0,
        "partial_unexpected_list": [], "missing_count": 0}


def test_unique_counts_every_row_of_a_repeated_value(con):
    run = _run(con, [E.ExpectColumnValuesToBeUnique(column="x")], x=[1, 2, 2, 3, 3, 3, None, None])
    failure = _only_failure(run)
    assert (failure.unexpected_count, failure.element_count) == (5, 8)  # two 2s and three 3s
    assert sorted(failure.examples) == [2, 3]  # each repeated value once
    assert failure.line() == ("  [critical] suite s: expect_column_values_to_be_unique on t.x: "
                              "5 unexpected of 8 rows, e.g. " + ", ".join(repr(v) for v in failure.examples))


def test_unique_shows_at_most_max_examples(con):
    run = _run(con, [E.ExpectColumnValuesToBeUnique(column="x")], x=[v for v in range(7) for _ in range(2)])
    failure = _only_failure(run)
    assert failure.unexpected_count == 14 and len(failure.examples) == 5
    assert set(failure.examples) <= set(range(7))


def test_compound_unique_counts_repeated_pairs(con):
    pairs = E.ExpectCompoundColumnsToBeUnique(column_list=["c", "a"])
    assert _run(con, [pairs], c=[1, 1, 2], a=[10, 11, 10]).result.success
    run = _run(con, [pairs], c=[1, 1, 2, 2], a=[10, 10, 10, None])
    failure = _only_failure(run)
    assert (failure.column, failure.unexpected_count, failure.element_count) == ("c, a", 2, 4)
    assert failure.examples == [{"c": 1, "a": 10}]


def test_unique_counts_rows_with_or_without_a_scan(con):
    """Beside a column map the rows come from the target's scan; alone, from a count of their own."""
    alone = _run(con, [E.ExpectColumnValuesToBeUnique(column="x")], x=[1, 1, 2])
    scanned = _run(con, [E.ExpectColumnValuesToNotBeNull(column="x"), E.ExpectColumnValuesToBeUnique(column="x")],
                   x=[1, 1, 2])
    assert _result(alone)["element_count"] == _result(scanned, 1)["element_count"] == 3


# ---- the table's shape and aggregates: an observed value ---------------------------------------------

def test_row_count(con):
    run = _run(con, [E.ExpectTableRowCountToEqual(value=3), E.ExpectTableRowCountToEqual(value=2)], x=[1, 2, 3])
    assert [r.success for r in run.result.results] == [True, False]
    failure = _only_failure(run)
    assert failure.observed == 3 and failure.unexpected_count is None and failure.examples == []
    assert failure.line() == "  [critical] suite s: expect_table_row_count_to_equal on t, observed 3"


def test_row_count_from_the_scan(con):
    run = _run(con, [E.ExpectColumnValuesToNotBeNull(column="x"), E.ExpectTableRowCountToEqual(value=1)],
               x=[1, 2])
    assert _result(run, 1) == {"observed_value": 2}


def test_min_and_max_between(con):
    run = _run(con, [E.ExpectColumnMinToBeBetween(column="x", min_value=0, max_value=0),
                     E.ExpectColumnMaxToBeBetween(column="x", min_value=1, max_value=1),
                     E.ExpectColumnMinToBeBetween(column="x", min_value=0.5),
                     E.ExpectColumnMaxToBeBetween(column="x", max_value=0.5)], x=[0.0, 0.25, 1.0])
    assert [r.success for r in run.result.results] == [True, True, False, False]
    assert [r.result["observed_value"] for r in run.result.results] == [0.0, 1.0, 0.0, 1.0]
    assert [f.line() for f in run.failures] == [
        "  [critical] suite s: expect_column_min_to_be_between on t.x, observed 0.0",
        "  [critical] suite s: expect_column_max_to_be_between on t.x, observed 1.0"]


def test_the_min_of_an_empty_table_fails(con):
    table = con.create_table("t", ibis.memtable({"x": [1.0]}).filter(ibis._.x > 2))
    run = run_suite(Suite("s", [Target("t", [E.ExpectColumnMinToBeBetween(column="x", min_value=0)])]), {"t": table})
    assert _only_failure(run).observed is None and not run.result.success


def test_ordered_columns(con):
    ok = E.ExpectTableColumnsToMatchOrderedList(column_list=["a", "b"])
    swapped = E.ExpectTableColumnsToMatchOrderedList(column_list=["b", "a"])
    run = _run(con, [ok, swapped], a=[1], b=[2])
    assert [r.success for r in run.result.results] == [True, False]
    assert _only_failure(run).observed == ["a", "b"] and _only_failure(run).column == "b, a"


def test_column_set_exact_or_at_least(con):
    run = _run(con, [E.ExpectTableColumnsToMatchSet(column_set=["b", "a"], exact_match=True),
                     E.ExpectTableColumnsToMatchSet(column_set=["a"], exact_match=True),
                     E.ExpectTableColumnsToMatchSet(column_set=["a"], exact_match=False),
                     E.ExpectTableColumnsToMatchSet(column_set=["a", "c"], exact_match=False)], b=[1], a=[2])
    assert [r.success for r in run.result.results] == [True, False, True, False]
    assert all(r.result["observed_value"] == ["a", "b"] for r in run.result.results)  # sorted


def test_column_type(con):
    run = _run(con, [E.ExpectColumnValuesToBeOfType(column="n", type_="int64"),
                     E.ExpectColumnValuesToBeOfType(column="s", type_="string"),
                     E.ExpectColumnValuesToBeOfType(column="n", type_="float64"),
                     E.ExpectColumnValuesToBeOfType(column="missing", type_="string")], n=[1, 2], s=["a", None])
    assert [r.success for r in run.result.results] == [True, True, False, False]
    assert [r.result["observed_value"] for r in run.result.results] == ["int64", "string", "int64", None]


# ---- suites: targets, views, results per table -----------------------------------------------------

def test_a_check_view_is_validated_and_reported_under_its_own_name(con):
    a = con.create_table("a", ibis.memtable({"k": [1, 2, 3]}))
    b = con.create_table("b", ibis.memtable({"k": [1, 2]}))
    view = Target("a_keys_in_b", [E.ExpectColumnValuesToBeInSet(column="found", value_set=[True])],
                  view=lambda t: t["a"].select(found=t["a"].k.isin(t["b"].k)), view_reads=("a", "b"))
    suite = Suite("s", [Target("b", [E.ExpectTableRowCountToEqual(value=2)]), view])
    assert suite.tables == {"a", "b"} and view.source_tables == ("a", "b")
    run = run_suite(suite, {"a": a, "b": b})
    assert sorted(run.by_target) == ["a_keys_in_b", "b"]
    assert run.by_target["b"].success and not run.by_target["a_keys_in_b"].success
    assert (_only_failure(run).target, _only_failure(run).unexpected_count, _only_failure(run).examples) == (
        "a_keys_in_b", 1, [False])
    assert run.result.statistics == {"evaluated_expectations": 2, "successful_expectations": 1,
                                     "unsuccessful_expectations": 1, "success_percent": 50.0}


def test_a_target_a_backend_cannot_run_is_reported_not_evaluated(con, monkeypatch):
    monkeypatch.setattr(gate.backends, "lacks",
                        lambda backend, operation: "no arrays here" if operation == "array filter" else None)
    t = con.create_table("t", ibis.memtable({"x": [None]}, schema={"x": "int64"}))
    lists = Target("lists", [E.ExpectColumnValuesToNotBeNull(column="x")], view=lambda tables: tables["t"],
                   view_reads=("t",), requires_operation="array filter")
    plain = Target("t", [E.ExpectTableRowCountToEqual(value=1)])
    run = run_suite(Suite("s", [plain, lists]), {"t": t})
    assert run.not_evaluated == ["lists (no arrays here)"] and list(run.by_target) == ["t"]
    assert run.failures == [] and run.result.statistics["evaluated_expectations"] == 1
    assert report([run]).splitlines()[1:] == ["  not evaluated here: lists (no arrays here)"]


def test_report_names_each_suite_and_its_failures(con):
    run = _run(con, [E.ExpectColumnValuesToNotBeNull(column="x"), E.ExpectTableRowCountToEqual(value=2)],
               schema={"x": "int64"}, x=[None])
    lines = report([run]).splitlines()
    assert lines[0].startswith("suite s: 0 passed, 2 failed (") and lines[0].endswith(" s)")
    assert lines[1:] == [
        "  [critical] suite s: expect_column_values_to_not_be_null on t.x: 1 unexpected of 1 rows, e.g. None",
        "  [critical] suite s: expect_table_row_count_to_equal on t, observed 1"]


# ---- the real staging suite --------------------------------------------------------------------------

def test_the_gate_counts_a_null_in_a_required_column(tmp_path):
    """A warehouse built elsewhere (or a loader bypassed) with a NULL risk tier fails the staging suite."""
    from expectations.gate import run_suite
    from expectations.suites import STAGING

    con = ibis.duckdb.connect()
    raw = load_raw(con, _write(tmp_path / "ok.csv", _rows([])))
    stg = stg_fintech_data(raw)
    stg = stg.mutate(risk_tolerance=ibis.ifelse(stg.account_id == stg.account_id.min(), ibis.null("string"),
                                                stg.risk_tolerance), region=ibis.null("string"))
    run = run_suite(STAGING, {"stg_fintech_data": con.create_table("stg_fintech_data", stg)})
    failed = {(f.expectation, f.column) for f in run.blocking}
    assert ("expect_column_values_to_not_be_null", "risk_tolerance") in failed
    assert ("expect_column_values_to_not_be_null", "region") in failed


# ---- the Gate: each suite as soon as its tables exist ----------------------------------------------

def test_the_gate_runs_each_suite_once_its_tables_exist(con, monkeypatch):
    first = Suite("first", [Target("a", [E.ExpectTableRowCountToEqual(value=2)])])
    both = Suite("both", [Target("b", [E.ExpectColumnValuesToNotBeNull(column="k")]),
                          Target("ab", [E.ExpectTableRowCountToEqual(value=2)], view=lambda t: t["a"],
                                 view_reads=("a",))])
    monkeypatch.setattr(gate, "SUITES", [first, both])
    said = []
    gate_ = Gate(said.append)
    assert said == ["gate: 2 expectation suites loaded"]
    tables = {"a": con.create_table("a", ibis.memtable({"k": [1, 2]}))}
    gate_.run_ready(tables)
    assert [r.suite for r in gate_.runs] == ["first"] and gate_.pending == [both]
    gate_.run_ready(tables)  # nothing new: nothing runs again
    assert [r.suite for r in gate_.runs] == ["first"]
    tables["b"] = con.create_table("b", ibis.memtable({"k": [1]}))
    gate_.run_ready(tables)
    assert [r.suite for r in gate_.runs] == ["first", "both"] and gate_.pending == []
    assert said[1].startswith("suite first: 1 passed, 0 failed") and said[2].startswith("suite both: 2 passed")


def test_a_blocking_failure_stops_the_gate(con, monkeypatch):
    broken = Suite("broken", [Target("a", [E.ExpectColumnValuesToNotBeNull(column="k")])])
    monkeypatch.setattr(gate, "SUITES", [broken])
    said = []
    with pytest.raises(GateFailure) as failed:
        Gate(said.append).run_ready({"a": con.create_table("a", ibis.memtable({"k": [1, None]}))})
    assert [r.suite for r in failed.value.runs] == ["broken"]
    assert ("  [critical] suite broken: expect_column_values_to_not_be_null on a.k: 1 unexpected of 2 rows, "
            "e.g. None") in str(failed.value)
    assert said[-1] == str(failed.value)  # printed as well


def test_a_warning_does_not_stop_the_gate(con, monkeypatch):
    warned = Suite("warned", [Target("a", [E.ExpectColumnValuesToNotBeNull(column="k", severity="warning")])])
    monkeypatch.setattr(gate, "SUITES", [warned])
    said = []
    gate_ = Gate(said.append)
    gate_.run_ready({"a": con.create_table("a", ibis.memtable({"k": [1, None]}))})
    assert gate_.runs[0].blocking == [] and len(gate_.runs[0].failures) == 1
    assert "[warning] suite warned: expect_column_values_to_not_be_null on a.k: 1 unexpected of 2 rows" in said[-1]


# ---- the registry: every type the suites use, and no other -------------------------------------------

def test_an_expectation_type_without_an_evaluator_is_refused_when_defined():
    with pytest.raises(NoEvaluator, match="expect_column_values_to_be_increasing has no database translation"):
        Target("t", [E.ExpectColumnValuesToNotBeNull(column="x"), E.ExpectColumnValuesToBeIncreasing(column="x")])


def test_an_expectation_type_without_an_evaluator_is_refused_when_run(con):
    target = Target("t", [E.ExpectColumnValuesToNotBeNull(column="x")])
    target.expectations.append(E.ExpectColumnValuesToBeIncreasing(column="x"))  # slipped in after definition
    with pytest.raises(NoEvaluator, match="expect_column_values_to_be_increasing"):
        run_suite(Suite("s", [target]), {"t": con.create_table("t", ibis.memtable({"x": [1]}))})


def test_the_registry_holds_the_types_the_suites_use():
    used = {e.expectation_type for suite in SUITES for target in suite.targets for e in target.expectations}
    assert used <= set(EVALUATORS)
    assert set(EVALUATORS) == {
        "expect_column_values_to_not_be_null", "expect_column_values_to_be_in_set",
        "expect_column_values_to_be_between", "expect_column_values_to_be_unique",
        "expect_compound_columns_to_be_unique", "expect_table_row_count_to_equal",
        "expect_column_min_to_be_between", "expect_column_max_to_be_between",
        "expect_table_columns_to_match_ordered_list", "expect_table_columns_to_match_set",
        "expect_column_values_to_be_of_type"}
