"""The metric catalog: every metric and dimension of the portfolio, defined once.

A metric's formula lives here only; the KPI tables of the build, the query API,
the shell and the dashboard all go through it. Each kind of metric is a type,
measured at one grain on a table with exactly one row per unit of that grain:

- `AccountMetric`:  over `int_customer_account_metrics` (one row per account);
- `CustomerMetric`: over the distinct customer rows of the filtered accounts;
- `ActivityMetric`: over `fct_account_activity` (one row per account and month);
- `RankedMetric`:   read from `balance_summary`, the filtered accounts ranked once within each group.

Every kind shares `Metric`'s name, description, format and grain, all that the
listing, the dashboard's cards and catalog and the request parser read. A new
metric of an existing kind is one entry below: a type, or `summed`, `ratio` or
`weighted_average` for account and activity metrics made of sums (which a
rollup answers too).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import ibis
import ibis.expr.types as ir

from semantic import distribution
from semantic.models.intermediate import AGE_BANDS, ratio_or_null
from semantic.models.raw import ACCOUNT_TYPES, LOAN_STATUSES, RISK_TOLERANCES

GRAINS = ("account", "customer", "activity", "distribution")
DECILES = 10  # the balance deciles' tiles: the ranked pass's, the balance_decile dimension's, the KPI table's
QUARTILES = 4  # the leverage quartiles' tiles: the leverage_quartile dimension's; the top one is the most leveraged
LORENZ_POINTS = 1001  # a Lorenz curve's points unless asked otherwise: the KPI table's, the layer's, the dashboard's
FORMATS = ("money", "percent", "ratio", "integer")


@dataclass(frozen=True)
class Sum:
    """A sum over rows that a rollup can keep per cell: `column` in the rollup, `value` per row (None: count rows).

    A rollup's column holds the sum of `value` per cell, so the sum over cells is the sum over rows.
    Metrics that share a column name share its value.
    """
    column: str
    value: Callable[[ir.Table], ir.Value] | None = None

    def over_rows(self, rows: ir.Table) -> ir.Scalar:
        return rows.count() if self.value is None else self.value(rows).sum()

    def over_rollup(self, rollup: ir.Table) -> ir.Scalar:
        total = rollup[self.column].sum()
        return total.fill_null(0) if self.value is None else total  # over no cells: 0 rows, a null sum


# ---- kinds of metric ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    """What every metric says of itself, all that `fintech metrics`, the dashboard's cards and catalog and the
    request parser read; each kind below adds how it is measured."""
    name: str
    description: str
    format: str  # one of FORMATS
    grain: ClassVar[str]  # one of GRAINS: the unit the kind is measured over

    @property
    def additive(self) -> bool:
        """Made of sums a rollup can keep per cell, so that a rollup holding them answers it too."""
        return False


@dataclass(frozen=True)
class _RowsMetric(Metric):
    """A reduction over a table with one row per unit of the grain (accounts, activity observations).

    Made of sums (`measure` = combine(each of `sums` over the rows)), a rollup that keeps the sums per
    cell answers it too, as combine(the sums over its cells).
    """
    measure: Callable[[ir.Table], ir.Scalar]
    sums: tuple[Sum, ...] = ()
    combine: Callable[..., ir.Scalar] | None = None

    @property
    def additive(self) -> bool:
        return bool(self.sums)

    def measure_on_rollup(self, rollup: ir.Table) -> ir.Scalar:
        return self.combine(*[s.over_rollup(rollup) for s in self.sums])

    @classmethod
    def summed(cls, name: str, description: str, format: str, total: Sum) -> _RowsMetric:
        """A sum (or a count) over the grain's rows."""
        return cls.of_sums(name, description, format, (total,), lambda value: value)

    @classmethod
    def of_sums(cls, name: str, description: str, format: str, sums: tuple[Sum, ...],
                combine: Callable[..., ir.Scalar], **fields) -> _RowsMetric:
        """combine(each of `sums`), over the grain's rows or a rollup's cells."""
        return cls(name, description, format, lambda t: combine(*[s.over_rows(t) for s in sums]),
                   sums=sums, combine=combine, **fields)


@dataclass(frozen=True)
class AccountMetric(_RowsMetric):
    """A measure over the filtered accounts; `derived_dimensions` names the derived dimensions it reads
    (computed over the filtered population first)."""
    grain: ClassVar[str] = "account"
    derived_dimensions: tuple[str, ...] = ()


@dataclass(frozen=True)
class ActivityMetric(_RowsMetric):
    """A measure over the activity observations of the filtered accounts."""
    grain: ClassVar[str] = "activity"


@dataclass(frozen=True)
class CustomerMetric(Metric):
    """A measure over distinct customers (each counted once per group, whatever its accounts there);
    `customer_attributes` names the customer attributes the measure reads."""
    grain: ClassVar[str] = "customer"
    measure: Callable[[ir.Table], ir.Scalar]
    customer_attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RankedMetric(Metric):
    """A column of `per_group(balance_summary of the filtered accounts, group columns)`: every ranked metric
    reads that one ranked pass; metrics of one `per_group` share its one aggregation."""
    grain: ClassVar[str] = "distribution"
    per_group: Callable[[ir.Table, Sequence[str]], ir.Table]
    column: str


def ratio(name: str, description: str, format: str, numerator: str, denominator: str) -> AccountMetric:
    """The ratio of two account metrics, each summed over the whole group first (a ratio of sums, never
    an average of ratios); null when the denominator is 0."""
    top, bottom = METRICS[numerator], METRICS[denominator]
    assert isinstance(top, AccountMetric) and isinstance(bottom, AccountMetric), f"{name}: account metrics only"
    derived = top.derived_dimensions + bottom.derived_dimensions
    if top.additive and bottom.additive:
        split = len(top.sums)
        return AccountMetric.of_sums(
            name, description, format, top.sums + bottom.sums,
            lambda *v: ratio_or_null(top.combine(*v[:split]), bottom.combine(*v[split:])),
            derived_dimensions=derived)
    return AccountMetric(name, description, format, lambda t: ratio_or_null(top.measure(t), bottom.measure(t)),
                         derived_dimensions=derived)


def weighted_average(name: str, description: str, format: str, value: str, weight: str) -> AccountMetric:
    """sum(value x weight) / sum(weight) over accounts."""
    return AccountMetric.of_sums(
        name, description, format,
        (Sum(f"{value}_x_{weight}", lambda t: t[value] * t[weight]), Sum(weight, lambda t: t[weight])),
        ratio_or_null)


def balance_summary(accounts: ir.Table, by: Sequence[str] = (), lorenz_points: int = LORENZ_POINTS) -> ir.Table:
    """The accounts ranked once by balance: the one ranked pass the concentration metrics, the deciles and
    the Lorenz curve read. No tiebreak is needed: every one of them sums values, and equal values are
    interchangeable in a sum, so any order of ties gives the same numbers on every backend."""
    return distribution.ranked_summary(accounts, "balance", by, tiles=DECILES, steps=lorenz_points - 1)


def _balance_concentration(summary: ir.Table, by: Sequence[str]) -> ir.Table:
    return distribution.concentration(summary, by)


# ---- the metrics ---------------------------------------------------------------------------------

METRICS: dict[str, Metric] = {}


def _add(metric: Metric) -> None:
    METRICS[metric.name] = metric


_add(AccountMetric.summed("accounts", "Number of accounts", "integer", Sum("accounts")))
_add(CustomerMetric("customers", "Number of distinct customers", "integer", lambda c: c.count()))
_add(AccountMetric.summed("total_balance", "Sum of account balances (assets under management)", "money",
                          Sum("balance", lambda t: t.balance)))
_add(ratio("avg_balance", "Total balance / number of accounts", "money", "total_balance", "accounts"))
_add(AccountMetric.summed("credit_exposure", "Sum of loan amounts of every loan application, rejected and pending "
                          "included (the original pipeline's figure)", "money",
                          Sum("loan_amount", lambda t: t.loan_amount)))


def _loans_with_status(status: str) -> Sum:
    """The loan amounts of one application status (0 for the others), so a rollup keeps each part per cell."""
    assert status in LOAN_STATUSES, f"{status!r} is not a loan status of the contract ({LOAN_STATUSES})"
    return Sum(f"{status}_loan_amount", lambda t: ibis.ifelse(t.loan_status == status, t.loan_amount, 0.0))


_add(AccountMetric.summed("approved_credit_exposure", "Sum of loan amounts of approved applications (credit granted)",
                          "money", _loans_with_status("approved")))
_add(AccountMetric.summed("pending_credit_exposure", "Sum of loan amounts of pending applications (credit in the "
                          "pipeline)", "money", _loans_with_status("pending")))
_add(AccountMetric.summed("rejected_credit_exposure", "Sum of loan amounts of rejected applications (credit "
                          "declined)", "money", _loans_with_status("rejected")))
_add(ratio("avg_loan_amount", "Credit exposure / number of accounts", "money", "credit_exposure", "accounts"))
_add(weighted_average("balance_weighted_rate", "Interest rate weighted by balance: sum(rate x balance) / sum(balance)",
                      "percent", "interest_rate", "balance"))
_add(weighted_average("loan_weighted_rate",
                      "Interest rate weighted by loan amount: sum(rate x loan) / sum(loan)",
                      "percent", "interest_rate", "loan_amount"))
_add(AccountMetric.summed("net_contributions", "Sum of net flows (deposits - withdrawals)", "money",
                          Sum("net_flow", lambda t: t.net_flow)))
_add(ratio("avg_net_contribution", "Net contributions / number of accounts", "money", "net_contributions", "accounts"))
_add(CustomerMetric("avg_income", "Mean annual income per customer (each customer counted once)", "money",
                    lambda c: c.income_level.mean(), customer_attributes=("income_level",)))
_add(AccountMetric("avg_loan_to_income", "Mean of loan amount / income over accounts", "ratio",
                   lambda t: t.loan_to_income.mean()))
_add(AccountMetric("top_leverage_quartile_share",
                   "Share of accounts in the top quartile of loan-to-income over the filtered portfolio "
                   "(leverage_quartile 4: equal ratios ranked by account_id)", "percent",
                   lambda t: ratio_or_null(t.count(where=t.leverage_quartile == QUARTILES), t.count()),
                   derived_dimensions=("leverage_quartile",)))
_add(RankedMetric("top_10_balance", "Balance held by the richest 10% of accounts (NTILE(10) tile 1; "
                  "equal balances are interchangeable in the sum)", "money", _balance_concentration, "top_balance"))
_add(RankedMetric("top_10_share", "Share of balances held by the richest 10% of accounts (NTILE(10) tile 1); "
                  "null when the balances total 0", "percent", _balance_concentration, "top_share"))
_add(RankedMetric("gini", "Gini coefficient of balances (0 = equal, 1 = one account holds all); null when "
                  "the balances total 0", "ratio", _balance_concentration, "gini"))
_add(ActivityMetric.summed("transaction_volume", "Sum of signed monthly transaction amounts (inflows > 0)", "money",
                           Sum("transaction_amount", lambda a: a.transaction_amount)))
_add(ActivityMetric.summed("repayment_volume", "Sum of monthly loan repayments", "money",
                           Sum("repayment_amount", lambda a: a.repayment_amount)))
_add(ActivityMetric("active_accounts", "Accounts with any activity in the period", "integer",
                    lambda a: a.account_id.nunique()))


# ---- the dimensions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dimension:
    name: str
    description: str
    grain: str  # "customer", "account" or "activity": the unit it describes
    kind: str = "category"  # "category", "number", "time" or "derived" (computed over the filtered population)
    values: tuple = ()  # the fixed, ordered values where the spec gives them (their owner: semantic/models/)


@dataclass(frozen=True, kw_only=True)
class TileDimension(Dimension):
    """A derived dimension: NTILE(`tiles`) of the filtered accounts by `ranked_by` (tile 1 = the largest
    values when `descending`), its values the whole numbers 1..tiles."""
    kind: str = field(default="derived", init=False)
    ranked_by: str
    tiles: int
    descending: bool = False

    def derive(self, accounts: ir.Table) -> ir.IntegerValue:
        """Each account's tile, equal values in account_id order: an account on a tied boundary lands in
        the same tile on every run and backend, so every metric by tile does too.

        Accounts without a value are not ranked (a null tile): partitioning them apart keeps the tiles' sizes right.
        """
        value = accounts[self.ranked_by]
        missing = value.isnull()
        order = [ibis.desc(value) if self.descending else value, accounts.account_id]
        tile = distribution.ntile(accounts, self.tiles, order, by=[missing])
        return ibis.ifelse(missing, ibis.null("int64"), tile)


DIMENSIONS: dict[str, Dimension] = {
    d.name: d
    for d in [
        Dimension("risk_tolerance", "Customer risk appetite", "customer", values=RISK_TOLERANCES),
        Dimension("region", "Customer region", "customer"),
        Dimension("account_type", "Product type of the account", "account", values=ACCOUNT_TYPES),
        Dimension("loan_status", "Status of the loan application", "account", values=LOAN_STATUSES),
        Dimension("loan_purpose", "Purpose of the loan", "account"),
        Dimension("sector", "Customer's employment sector", "customer"),
        Dimension("education_level", "Customer's education level", "customer"),
        Dimension("employment_status", "Customer's employment status", "customer"),
        Dimension("age_band", "Customer age band", "customer", values=AGE_BANDS),
        Dimension("age", "Customer age in years", "customer", kind="number"),
        Dimension("income_level", "Customer annual income", "customer", kind="number"),
        Dimension("balance", "Account balance", "account", kind="number"),
        Dimension("loan_amount", "Loan amount", "account", kind="number"),
        Dimension("interest_rate", "Loan interest rate (fraction)", "account", kind="number"),
        TileDimension("balance_decile", "Balance decile over the filtered accounts (NTILE(10)), 1 = richest 10%; "
                      "equal balances ranked by account_id", "account",
                      ranked_by="balance", tiles=DECILES, descending=True),
        TileDimension("leverage_quartile", "Loan-to-income quartile over the filtered accounts (NTILE(4)), 4 = most "
                      "leveraged; equal ratios ranked by account_id; null without a loan-to-income (income 0)",
                      "account", ranked_by="loan_to_income", tiles=QUARTILES),
        Dimension("activity_date", "Month-end of an activity observation (grains: month, quarter, year)",
                  "activity", kind="time"),
    ]
}

TIME_GRAINS = {"month": "M", "quarter": "Q", "year": "Y"}

# The dimensions the rollups keep (semantic/summaries/rollups.py builds them; semantic/query.py reads them
# for a request sliced and filtered by these alone): the dashboard's filters' cells.
ROLLUP_DIMENSIONS = ("region", "risk_tolerance", "account_type")
