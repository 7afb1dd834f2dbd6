"""The Great Expectations suites, one per layer: the whole list, readable in one place.

A suite is a list of targets; a target is a published table (or a small check
view over tables, for rules that span rows or tables) and the GX expectations
it must meet. GX is the definition and the report; `expectations.gate` runs
each expectation in the database through Ibis, so no table is pulled into
memory whatever its size, on any backend.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import great_expectations as gx
import ibis
import ibis.expr.types as ir

from expectations.evaluators import refuse_unknown
from semantic.models.contract import staged_rules
from semantic.models.core import ACCOUNT_ATTRIBUTES, CUSTOMER_ATTRIBUTES, SNAPSHOT_MEASURES
from semantic.models.raw import (
    ACCOUNT_TYPES,
    DROPPED_IN_STAGING,
    LOAN_STATUSES,
    MAX_OBSERVATIONS,
    MIN_OBSERVATIONS,
    MONEY_COLUMNS,
    MONEY_LIMIT,
    OPTIONAL_COLUMNS,
    RANGES,
    RAW_COLUMN_NAMES,
    RAW_COLUMNS,
    RAW_TABLE,
    RISK_TOLERANCES,
)

E = gx.expectations
Tables = Mapping[str, ir.Table]


@dataclass(frozen=True)
class Target:
    """A table, or a check view over tables, and the expectations it must meet (each type one the gate
    can count: expectations.evaluators refuses any other here, when the suite is defined)."""

    name: str  # the table, or the check view's name
    expectations: list
    view: Callable[[Tables], ir.Table] | None = None  # a check view over the tables; None: the table itself
    view_reads: tuple[str, ...] = field(default=())  # the tables the check view reads
    # an operation the check view uses that some backends lack (semantic.backends.lacks): not evaluated there
    requires_operation: str | None = None

    def __post_init__(self):
        refuse_unknown(self.expectations)

    @property
    def source_tables(self) -> tuple[str, ...]:
        """The tables this target is computed from: the view's, or the table itself."""
        return self.view_reads or (self.name,)

    def table(self, tables: Tables) -> ir.Table:
        return self.view(tables) if self.view else tables[self.name]


@dataclass(frozen=True)
class Suite:
    name: str
    targets: list[Target]

    @property
    def tables(self) -> set[str]:
        """Every table the suite reads: it runs once they all exist."""
        return {t for target in self.targets for t in target.source_tables}


def _between(column: str, low=None, high=None, strict_low: bool = False,
             strict_high: bool = False) -> E.ExpectColumnValuesToBeBetween:
    return E.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high, strict_min=strict_low,
                                           strict_max=strict_high)


def _in_set(column: str, values) -> list:
    """An accepted-values check that counts a NULL as a failure: GX's in-set ignores NULLs, so not-null
    comes with it (every column these checks are on is required)."""
    return [E.ExpectColumnValuesToNotBeNull(column=column),
            E.ExpectColumnValuesToBeInSet(column=column, value_set=list(values))]


def _plausible(column: str) -> E.ExpectColumnValuesToBeBetween:
    """A money amount below the contract's limit in absolute value (the loader refuses the rest first)."""
    return _between(column, -MONEY_LIMIT, MONEY_LIMIT, strict_low=True, strict_high=True)


# ---- raw: the extract as read --------------------------------------------------------------------

_RAW_TYPES = {"int64": "int64", "float64": "float64", "string": "string", "list": "string"}

# The raw table is the file itself (pipelines/load.py): each scan of it reads the CSV again. Its row rules
# (every required value present, numbers and dates written as the contract reads them, finite and
# plausible, the redundant customer_id equal to the other, well-formed lists) are the contract's
# (semantic/models/contract.py), checked by the loader in one scan, with the offending lines, before this suite.
RAW = Suite("raw", [
    Target(RAW_TABLE, [
        E.ExpectTableColumnsToMatchOrderedList(column_list=list(RAW_COLUMN_NAMES)),
        *[E.ExpectColumnValuesToBeOfType(column=c.name, type_=_RAW_TYPES[c.dtype]) for c in RAW_COLUMNS],
    ]),
])


# ---- staging: keys, domains, ranges, activity lists, no personal data ----------------------------

STAGING_COLUMNS = [c.staging_name for c in RAW_COLUMNS
                   if c.staging_name not in DROPPED_IN_STAGING]
# Every column but the optional ones is required: none may hold a NULL (the loader refuses empty cells first).
REQUIRED_STAGING_COLUMNS = [c.staging_name for c in RAW_COLUMNS
                            if c.staging_name in STAGING_COLUMNS and c.name not in OPTIONAL_COLUMNS]
MONEY_STAGING_COLUMNS = [c.staging_name for c in RAW_COLUMNS if c.name in MONEY_COLUMNS and c.dtype != "list"]


def _activity_lists(tables: Tables) -> ir.Table:
    """One row per account: the list rules' outcomes (the loader's own rules, one definition) and more."""
    stg = tables["stg_fintech_data"]
    return stg.select(
        "account_id",
        observations=stg.ts_dates.length(),
        negative_repayments=stg.ts_repayments.filter(lambda x: x < 0).length(),
        **{rule.name: ~rule.offends(stg) for rule in staged_rules()},
    )


STAGING = Suite("staging", [
    Target("stg_fintech_data", [
        E.ExpectTableColumnsToMatchSet(column_set=STAGING_COLUMNS, exact_match=True),  # no address column
        *[E.ExpectColumnValuesToNotBeNull(column=c) for c in REQUIRED_STAGING_COLUMNS],
        E.ExpectColumnValuesToBeUnique(column="account_id"),
        E.ExpectCompoundColumnsToBeUnique(column_list=["customer_id", "account_id"]),
        # (each in-set column is required: its not-null check is above)
        E.ExpectColumnValuesToBeInSet(column="risk_tolerance", value_set=list(RISK_TOLERANCES)),
        E.ExpectColumnValuesToBeInSet(column="account_type", value_set=list(ACCOUNT_TYPES)),
        E.ExpectColumnValuesToBeInSet(column="loan_status", value_set=list(LOAN_STATUSES)),
        *[_plausible(amount) for amount in MONEY_STAGING_COLUMNS],
        *[_between(amount, 0) for amount in
          ("balance", "deposits", "withdrawals", "transfers", "international_transfers", "investments")],
        _between("customer_id", 1),
        _between("account_id", 1),
        _between("loan_amount", 0, strict_low=True),
        _between("income_level", 0, strict_low=True),
        _between("transaction_threshold", 0, strict_low=True),
        *[_between(column, low, high) for column, (low, high) in RANGES.items()],
        # Not impossible, but a balance over $1bn is more likely a unit error (cents?): reported, not blocking.
        E.ExpectColumnValuesToBeBetween(column="balance", max_value=1e9, severity="warning"),
    ]),
    Target("stg_activity_lists", [
        *[e for rule in staged_rules() for e in _in_set(rule.name, [True])],
        *_in_set("negative_repayments", [0]),
        _between("observations", MIN_OBSERVATIONS, MAX_OBSERVATIONS),
    ], view=_activity_lists, view_reads=("stg_fintech_data",),
       requires_operation="array filter"),
])


# ---- core: keys, referential integrity -----------------------------------------------------------

def _fact_keys(tables: Tables) -> ir.Table:
    facts = tables["fct_customer_account_snapshot"]
    customers = tables["dim_customer"].select("customer_id", _customer_known=ibis.literal(True))
    accounts = tables["dim_account"].select("account_id", _account_known=ibis.literal(True))
    joined = facts.left_join(customers, "customer_id").left_join(accounts, "account_id")
    return joined.select(
        customer_id=joined.customer_id,
        account_id=joined.account_id,
        customer_in_dim_customer=joined._customer_known.fill_null(False),
        account_in_dim_account=joined._account_known.fill_null(False),
    )


def _activity_accounts(tables: Tables) -> ir.Table:
    activity = tables["fct_account_activity"]
    accounts = tables["dim_account"].select("account_id", _known=ibis.literal(True))
    joined = activity.left_join(accounts, "account_id")
    return joined.select(account_id=joined.account_id, account_in_dim_account=joined._known.fill_null(False))


CORE = Suite("core", [
    Target("dim_customer", [
        E.ExpectTableColumnsToMatchOrderedList(column_list=["customer_id", *CUSTOMER_ATTRIBUTES]),
        E.ExpectColumnValuesToNotBeNull(column="customer_id"),
        E.ExpectColumnValuesToBeUnique(column="customer_id"),
    ]),
    Target("dim_account", [
        E.ExpectTableColumnsToMatchOrderedList(column_list=["account_id", *ACCOUNT_ATTRIBUTES]),
        E.ExpectColumnValuesToNotBeNull(column="account_id"),
        E.ExpectColumnValuesToBeUnique(column="account_id"),
    ]),
    Target("fct_customer_account_snapshot", [
        E.ExpectTableColumnsToMatchOrderedList(column_list=["customer_id", "account_id", *SNAPSHOT_MEASURES]),
        E.ExpectCompoundColumnsToBeUnique(column_list=["customer_id", "account_id"]),
    ]),
    Target("fct_account_activity", [
        E.ExpectCompoundColumnsToBeUnique(column_list=["account_id", "activity_date"]),
        E.ExpectColumnValuesToNotBeNull(column="activity_date"),
        _between("repayment_amount", 0),
        _plausible("transaction_amount"),
        _plausible("repayment_amount"),
    ]),
    Target("snapshot_keys_in_dimensions", [
        *_in_set("customer_in_dim_customer", [True]),
        *_in_set("account_in_dim_account", [True]),
    ], view=_fact_keys, view_reads=("fct_customer_account_snapshot", "dim_customer", "dim_account")),
    Target("activity_accounts_in_dim_account", [
        *_in_set("account_in_dim_account", [True]),
    ], view=_activity_accounts, view_reads=("fct_account_activity", "dim_account")),
])


# ---- KPI outputs: ranges and totals that must add up ---------------------------------------------

def _relative_gap(a: ir.NumericValue, b: ir.NumericValue) -> ir.FloatingValue:
    return ((a - b).abs() / ibis.greatest(a.abs(), b.abs(), 1e-300)).fill_null(0)


def _kpi_totals(tables: Tables) -> ir.Table:
    """One row: what the KPI tables add up to next to the account-level totals."""
    accounts = tables["int_customer_account_metrics"]
    deciles = tables["kpi_balance_deciles"]
    tiers = tables["kpi_portfolio_by_risk_tolerance"]
    portfolio = accounts.aggregate(accounts=accounts.count(), total_balance=accounts.balance.sum())
    decile_sums = deciles.aggregate(decile_accounts=deciles.accounts.sum(), decile_balance=deciles.total_balance.sum())
    tier_sums = tiers.aggregate(tier_accounts=tiers.accounts.sum())
    t = portfolio.cross_join(decile_sums).cross_join(tier_sums)
    return t.select(
        decile_accounts_minus_accounts=t.decile_accounts - t.accounts,
        decile_balance_gap=_relative_gap(t.decile_balance, t.total_balance),
        risk_tier_accounts_minus_accounts=t.tier_accounts - t.accounts,
    )


def _lorenz_steps(tables: Tables) -> ir.Table:
    curve = tables["kpi_lorenz_curve"]
    order = ibis.window(order_by="population_share")
    return curve.select(
        population_step=curve.population_share - curve.population_share.lag().over(order),
        balance_step=curve.balance_share - curve.balance_share.lag().over(order),
    )


def _lorenz_ends(tables: Tables) -> ir.Table:
    """One row: does the curve run from (0, 0) to (1, 1)? A portfolio whose balances total 0 has no curve
    (every share after the origin null, as its Gini and shares): nothing to check then."""
    curve = tables["kpi_lorenz_curve"]
    ends = curve.aggregate(
        first=curve.balance_share.min(where=curve.population_share == 0),
        last=curve.balance_share.max(where=curve.population_share == 1),
        defined=curve.balance_share.count(where=curve.population_share > 0),
    )
    return ends.select(starts_at_0=(ends.first == 0).fill_null(False),
                       ends_at_1=((ends.last == 1) | (ends.defined == 0)).fill_null(False))


KPI = Suite("kpi", [
    Target("kpi_wealth_concentration", [
        E.ExpectTableRowCountToEqual(value=1),
        _between("top_10_share", 0, 1),
        _between("gini", 0, 1),
    ]),
    Target("kpi_balance_deciles", [
        E.ExpectTableRowCountToEqual(value=10),
        E.ExpectColumnValuesToBeBetween(column="balance_decile", min_value=1, max_value=10),
        E.ExpectColumnValuesToBeUnique(column="balance_decile"),
    ]),
    Target("kpi_totals_add_up", [
        *_in_set("decile_accounts_minus_accounts", [0]),
        _between("decile_balance_gap", 0, 1e-9),
        *_in_set("risk_tier_accounts_minus_accounts", [0]),
    ], view=_kpi_totals,
       view_reads=("int_customer_account_metrics", "kpi_balance_deciles", "kpi_portfolio_by_risk_tolerance")),
    Target("kpi_portfolio_by_risk_tolerance", [
        *_in_set("risk_tolerance", RISK_TOLERANCES),
        _between("weighted_avg_interest_rate", 0, 1),
    ]),
    Target("kpi_leverage_by_risk_tolerance", [
        _between("pct_top_quartile_leverage", 0, 1),
    ]),
    Target("kpi_lorenz_curve", [
        E.ExpectColumnMinToBeBetween(column="population_share", min_value=0, max_value=0),
        E.ExpectColumnMaxToBeBetween(column="population_share", min_value=1, max_value=1),
        _between("balance_share", 0, 1),
    ]),
    Target("kpi_lorenz_curve_ends", [
        E.ExpectColumnValuesToBeInSet(column="starts_at_0", value_set=[True]),
        E.ExpectColumnValuesToNotBeNull(column="starts_at_0"),
        E.ExpectColumnValuesToBeInSet(column="ends_at_1", value_set=[True]),
        E.ExpectColumnValuesToNotBeNull(column="ends_at_1"),
    ], view=_lorenz_ends, view_reads=("kpi_lorenz_curve",)),
    Target("kpi_lorenz_curve_is_monotone", [
        _between("population_step", 0, strict_low=True),
        _between("balance_step", 0),
    ], view=_lorenz_steps, view_reads=("kpi_lorenz_curve",)),
])

SUITES = [RAW, STAGING, CORE, KPI]
PUBLISHED_SUITES = [STAGING, CORE, KPI]  # the raw table is never published: `fintech validate` skips it
