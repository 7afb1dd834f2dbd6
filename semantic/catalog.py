"""The metric catalog: every metric and dimension of the portfolio, defined once.

A metric's formula lives here only; the KPI tables of the build, the query API,
the shell and the dashboard all go through it. Each metric is measured at one
grain, on a table with exactly one row per unit of that grain:

- "account":  `int_customer_account_metrics` (one row per account);
- "customer": the distinct customer rows of the filtered accounts;
- "activity": `fct_account_activity` (one row per account and month);
- "distribution": `balance_summary`, the filtered accounts ranked once within each group.

New metrics of an existing kind are one call of `summed`, `aggregate`, `ratio`,
`weighted_average`, `customer_metric`, `activity_metric` or `distribution`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir

from semantic import distribution

GRAINS = ("account", "customer", "activity", "distribution")
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


@dataclass(frozen=True)
class Metric:
    name: str
    description: str
    format: str  # one of FORMATS
    grain: str  # one of GRAINS
    # account / customer / activity grain: a reduction over that grain's table
    measure: Callable[[ir.Table], ir.Scalar] | None = None
    # distribution grain: (`balance_summary` of the filtered accounts, group columns) -> a table with the
    # group columns and a column `column`; every distribution metric reads that one ranked pass
    per_group: Callable[[ir.Table, Sequence[str]], ir.Table] | None = None
    column: str | None = None
    # derived dimensions the measure reads (computed over the filtered population first)
    needs: tuple[str, ...] = ()
    # customer grain: the customer attributes the measure reads
    reads: tuple[str, ...] = ()
    # metrics made of sums (`measure` = combine(sums over the rows)): a rollup that keeps the sums per
    # cell answers them too, as combine(sums over its cells)
    sums: tuple[Sum, ...] = ()
    combine: Callable[..., ir.Scalar] | None = None

    @property
    def additive(self) -> bool:
        return bool(self.sums)

    def measure_on_rollup(self, rollup: ir.Table) -> ir.Scalar:
        return self.combine(*[s.over_rollup(rollup) for s in self.sums])


@dataclass(frozen=True)
class Dimension:
    name: str
    description: str
    grain: str  # "customer", "account" or "activity": the unit it describes
    kind: str = "category"  # "category", "number", "time" or "derived" (computed over the filtered population)
    # derived dimensions: filtered accounts -> the dimension's value per account
    derive: Callable[[ir.Table], ir.Value] | None = None
    values: tuple = field(default=())  # the fixed, ordered values where the spec gives them


def _safe_divide(numerator: ir.NumericValue, denominator: ir.NumericValue) -> ir.FloatingValue:
    """numerator / denominator, null when the denominator is 0: a ratio of sums, never an average of ratios."""
    return ibis.ifelse(denominator == 0, ibis.null("float64"), numerator / denominator)


# ---- kinds of metric ---------------------------------------------------------------------------


def aggregate(name, description, format, measure, grain="account") -> Metric:
    return Metric(name, description, format, grain, measure=measure)


def _of_sums(name, description, format, grain, sums: tuple[Sum, ...], combine, **fields) -> Metric:
    return Metric(name, description, format, grain, measure=lambda t: combine(*[s.over_rows(t) for s in sums]),
                  sums=sums, combine=combine, **fields)


def summed(name, description, format, total: Sum, grain="account") -> Metric:
    """A sum (or a count) over the grain's rows."""
    return _of_sums(name, description, format, grain, (total,), lambda value: value)


def ratio(name, description, format, numerator: str, denominator: str) -> Metric:
    """The ratio of two catalog metrics of one grain, each summed over the whole group first."""
    top, bottom = METRICS[numerator], METRICS[denominator]
    assert top.grain == bottom.grain, f"{name}: {numerator} and {denominator} have different grains"
    needs = top.needs + bottom.needs
    if top.additive and bottom.additive:
        split = len(top.sums)
        return _of_sums(name, description, format, top.grain, top.sums + bottom.sums,
                        lambda *v: _safe_divide(top.combine(*v[:split]), bottom.combine(*v[split:])), needs=needs)
    return Metric(name, description, format, top.grain,
                  measure=lambda t: _safe_divide(top.measure(t), bottom.measure(t)), needs=needs)


def weighted_average(name, description, format, value: str, weight: str) -> Metric:
    """sum(value x weight) / sum(weight)."""
    return _of_sums(name, description, format, "account",
                    (Sum(f"{value}_x_{weight}", lambda t: t[value] * t[weight]), Sum(weight, lambda t: t[weight])),
                    _safe_divide)


def customer_metric(name, description, format, measure, reads: tuple[str, ...] = ()) -> Metric:
    """A metric over distinct customers; `reads` names the customer attributes the measure uses."""
    return Metric(name, description, format, "customer", measure=measure, reads=reads)


def activity_metric(name, description, format, measure) -> Metric:
    return Metric(name, description, format, "activity", measure=measure)


def distribution_metric(name, description, format, per_group, column: str) -> Metric:
    return Metric(name, description, format, "distribution", per_group=per_group, column=column)


def balance_summary(accounts: ir.Table, by: Sequence[str] = (), lorenz_points: int = 1001) -> ir.Table:
    """The accounts ranked once by balance: the one ranked pass the concentration metrics, the deciles and
    the Lorenz curve read. No tiebreak is needed: every one of them sums values, and equal values are
    interchangeable in a sum, so any order of ties gives the same numbers on every backend."""
    return distribution.ranked_summary(accounts, "balance", by, tiles=10, steps=lorenz_points - 1)


def _balance_concentration(summary: ir.Table, by: Sequence[str]) -> ir.Table:
    return distribution.concentration(summary, by)


# ---- the metrics ---------------------------------------------------------------------------------

METRICS: dict[str, Metric] = {}


def _add(metric: Metric) -> None:
    METRICS[metric.name] = metric


_add(summed("accounts", "Number of accounts", "integer", Sum("accounts")))
_add(customer_metric("customers", "Number of distinct customers", "integer", lambda c: c.count()))
_add(summed("total_balance", "Sum of account balances (assets under management)", "money",
            Sum("balance", lambda t: t.balance)))
_add(ratio("avg_balance", "Total balance / number of accounts", "money", "total_balance", "accounts"))
_add(summed("credit_exposure", "Sum of loan amounts of every loan application, rejected and pending included "
            "(the original pipeline's figure)", "money", Sum("loan_amount", lambda t: t.loan_amount)))


def _loans_with_status(status: str) -> Sum:
    """The loan amounts of one application status (0 for the others), so a rollup keeps each part per cell."""
    return Sum(f"{status}_loan_amount", lambda t: ibis.ifelse(t.loan_status == status, t.loan_amount, 0.0))


_add(summed("approved_credit_exposure", "Sum of loan amounts of approved applications (credit granted)", "money",
            _loans_with_status("approved")))
_add(summed("pending_credit_exposure", "Sum of loan amounts of pending applications (credit in the pipeline)",
            "money", _loans_with_status("pending")))
_add(summed("rejected_credit_exposure", "Sum of loan amounts of rejected applications (credit declined)", "money",
            _loans_with_status("rejected")))
_add(ratio("avg_loan_amount", "Credit exposure / number of accounts", "money", "credit_exposure", "accounts"))
_add(weighted_average("balance_weighted_rate", "Interest rate weighted by balance: sum(rate x balance) / sum(balance)",
                      "percent", "interest_rate", "balance"))
_add(weighted_average("loan_weighted_rate",
                      "Interest rate weighted by loan amount: sum(rate x loan) / sum(loan)",
                      "percent", "interest_rate", "loan_amount"))
_add(summed("net_contributions", "Sum of net flows (deposits - withdrawals)", "money",
            Sum("net_flow", lambda t: t.net_flow)))
_add(ratio("avg_net_contribution", "Net contributions / number of accounts", "money", "net_contributions", "accounts"))
_add(customer_metric("avg_income", "Mean annual income per customer (each customer counted once)", "money",
                     lambda c: c.income_level.mean(), reads=("income_level",)))
_add(aggregate("avg_loan_to_income", "Mean of loan amount / income over accounts", "ratio",
               lambda t: t.loan_to_income.mean()))
_add(Metric("top_leverage_quartile_share",
            "Share of accounts in the top quartile of loan-to-income over the filtered portfolio "
            "(leverage_quartile 4: equal ratios ranked by account_id)", "percent",
            "account", measure=lambda t: _safe_divide(t.count(where=t.leverage_quartile == 4), t.count()),
            needs=("leverage_quartile",)))
_add(distribution_metric("top_10_balance", "Balance held by the richest 10% of accounts (NTILE(10) tile 1; "
                         "equal balances are interchangeable in the sum)", "money", _balance_concentration,
                         "top_balance"))
_add(distribution_metric("top_10_share", "Share of balances held by the richest 10% of accounts (NTILE(10) tile 1); "
                         "null when the balances total 0", "percent", _balance_concentration, "top_share"))
_add(distribution_metric("gini", "Gini coefficient of balances (0 = equal, 1 = one account holds all); null when "
                         "the balances total 0", "ratio", _balance_concentration, "gini"))
_add(summed("transaction_volume", "Sum of signed monthly transaction amounts (inflows > 0)", "money",
            Sum("transaction_amount", lambda a: a.transaction_amount), grain="activity"))
_add(summed("repayment_volume", "Sum of monthly loan repayments", "money",
            Sum("repayment_amount", lambda a: a.repayment_amount), grain="activity"))
_add(activity_metric("active_accounts", "Accounts with any activity in the period", "integer",
                     lambda a: a.account_id.nunique()))


# ---- the dimensions ------------------------------------------------------------------------------


def _tile_of(t: ir.Table, tiles: int, value: ir.Column, descending: bool = False) -> ir.IntegerValue:
    """NTILE(tiles) of the accounts by `value`, equal values in account_id order: an account on a tied
    boundary lands in the same tile on every run and backend, so every metric by tile does too.

    Accounts without a value are not ranked (a null tile): partitioning them apart keeps the tiles' sizes right.
    """
    missing = value.isnull()
    tile = distribution.ntile(t, tiles, [ibis.desc(value) if descending else value, t.account_id], by=[missing])
    return ibis.ifelse(missing, ibis.null("int64"), tile)


def _balance_decile(t: ir.Table) -> ir.IntegerValue:
    return _tile_of(t, 10, t.balance, descending=True)


def _leverage_quartile(t: ir.Table) -> ir.IntegerValue:
    return _tile_of(t, 4, t.loan_to_income)


DIMENSIONS: dict[str, Dimension] = {
    d.name: d
    for d in [
        Dimension("risk_tolerance", "Customer risk appetite", "customer", values=("Low", "Medium", "High")),
        Dimension("region", "Customer region", "customer"),
        Dimension("account_type", "Product type of the account", "account",
                  values=("checking", "savings", "credit", "investment")),
        Dimension("loan_status", "Status of the loan application", "account",
                  values=("approved", "pending", "rejected")),
        Dimension("loan_purpose", "Purpose of the loan", "account"),
        Dimension("sector", "Customer's employment sector", "customer"),
        Dimension("education_level", "Customer's education level", "customer"),
        Dimension("employment_status", "Customer's employment status", "customer"),
        Dimension("age_band", "Customer age band", "customer", values=("18-29", "30-44", "45-59", "60+")),
        Dimension("age", "Customer age in years", "customer", kind="number"),
        Dimension("income_level", "Customer annual income", "customer", kind="number"),
        Dimension("balance", "Account balance", "account", kind="number"),
        Dimension("loan_amount", "Loan amount", "account", kind="number"),
        Dimension("interest_rate", "Loan interest rate (fraction)", "account", kind="number"),
        Dimension("balance_decile", "Balance decile over the filtered accounts (NTILE(10)), 1 = richest 10%; "
                  "equal balances ranked by account_id", "account", kind="derived", derive=_balance_decile),
        Dimension("leverage_quartile", "Loan-to-income quartile over the filtered accounts (NTILE(4)), 4 = most "
                  "leveraged; equal ratios ranked by account_id; null without a loan-to-income (income 0)",
                  "account", kind="derived", derive=_leverage_quartile),
        Dimension("activity_date", "Month-end of an activity observation (grains: month, quarter, year)",
                  "activity", kind="time"),
    ]
}

TIME_GRAINS = {"month": "M", "quarter": "Q", "year": "Y"}

# The dimensions the rollups keep (semantic/summaries/rollups.py builds them; semantic/query.py reads them
# for a request sliced and filtered by these alone): the dashboard's filters' cells.
ROLLUP_DIMENSIONS = ("region", "risk_tolerance", "account_type")
