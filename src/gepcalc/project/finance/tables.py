"""The cash-flow tables of a financed project [CNY by year].

Holds the operating :class:`Flows`, the :class:`Appraisal` that collects the tables, and
:func:`cash_flow_tables`, which builds from flows and plan: the loan schedules, the income
statement, 项目投资现金流量表 (project investment cash flow, before financing), 项目资本金现金流量表
(capital cash flow), 财务计划现金流量表 (financial plan cash flow), debt cover (DSCR, ICR by
year) and the economic benefits and costs.  The structure follows the financial-analysis
statements of 《建设项目经济评价方法与参数》(第三版, 2006; clause and table numbers not verified,
see :mod:`gepcalc.project.finance`).  It does not compute the indicators (FIRR, FNPV, DSCR
minimum …): they are in :mod:`~gepcalc.project.finance.indicators`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from gepcalc.project.finance.loans import loan_schedule
from gepcalc.project.finance.plan import Economic, Financing
from gepcalc.project.schedule import Schedule


@dataclass(frozen=True)
class Flows:
    """Operating flows of a project [CNY per year, index ``year``].

    ``monetised_value`` is monetised ΔGEP priced at GEP prices (share of a service's value:
    moves with the ΔGEP prices), ``monetised_market`` at a market price; ``non_market`` the rest of
    the ΔGEP at GEP prices.
    """

    investment: pd.Series
    operating_cost: pd.Series
    revenue: pd.Series
    monetised_value: pd.Series
    monetised_market: pd.Series
    non_market: pd.Series

    @property
    def monetised(self) -> pd.Series:
        return self.monetised_value + self.monetised_market

    def shifted(self, years: int) -> Flows:
        """Everything but the investment ``years`` later (a construction delay), cut at the horizon."""
        return replace(
            self,
            operating_cost=self.operating_cost.shift(years, fill_value=0.0),
            revenue=self.revenue.shift(years, fill_value=0.0),
            monetised_value=self.monetised_value.shift(years, fill_value=0.0),
            monetised_market=self.monetised_market.shift(years, fill_value=0.0),
            non_market=self.non_market.shift(years, fill_value=0.0),
        )


@dataclass
class Appraisal:
    """Tables [CNY by year] and indicators of one appraisal (see :func:`~gepcalc.project.finance.appraise`)."""

    loans: dict[str, pd.DataFrame]
    income: pd.DataFrame
    investment_cf: pd.DataFrame
    capital_cf: pd.DataFrame
    plan_cf: pd.DataFrame
    coverage: pd.DataFrame
    economic: pd.DataFrame
    indicators: dict = field(default_factory=dict)


def depreciation(assets: float, years: np.ndarray, first: int, n: int | None) -> tuple[np.ndarray, float]:
    """Straight-line depreciation [CNY by year] from ``first`` over n years (default: to the horizon), and the
    book value left [CNY]."""
    left_years = int(years[-1]) - first + 1
    n = n or max(left_years, 1)
    dep = np.where((years >= first) & (years < first + n), assets / n, 0.0)
    return dep, float(assets - dep.sum())


def debt_schedules(fin: Financing, schedule: Schedule) -> dict[str, pd.DataFrame]:
    """:func:`~gepcalc.project.finance.loans.loan_schedule` of every loan and bond, keyed ``kind:name``."""
    idx = pd.Index(schedule.years, name="year")
    cons = tuple(schedule.construction_years)
    return {
        f"{d.kind}:{d.name}": loan_schedule(
            d.drawdown.reindex(idx, fill_value=0.0), d.rate, d.grace, d.term, d.repayment, construction=cons, idc=d.idc
        )
        for d in fin.debts
    }


def _on_years(s: pd.Series, idx: pd.Index) -> np.ndarray:
    """A yearly series as an array over the appraisal years (0 where missing)."""
    return s.reindex(idx, fill_value=0.0).to_numpy(float)


@dataclass(frozen=True)
class _Lines:
    """The yearly lines [CNY] the tables are made of (arrays over the appraisal years)."""

    idx: pd.Index
    inv: np.ndarray  # construction investment
    opx: np.ndarray  # operating cost
    rev: np.ndarray  # revenue
    mon: np.ndarray  # monetised ΔGEP
    nonm: np.ndarray  # non-market ΔGEP
    sub_op: np.ndarray  # operating subsidies
    sub_inv: np.ndarray  # investment subsidies
    draw: np.ndarray  # loans and bonds drawn
    idc: np.ndarray  # interest during construction, capitalised or paid from capital
    paid: np.ndarray  # interest paid (construction interest paid included)
    princ: np.ndarray  # principal repaid
    interest_op: np.ndarray  # interest expensed in operating years
    capital: np.ndarray  # capital paid in (with construction interest paid from capital)
    closing: np.ndarray  # debt outstanding at year end
    dep: np.ndarray  # depreciation after financing
    resid_pre: np.ndarray  # residual value before financing
    resid: np.ndarray  # residual value after financing
    sales: np.ndarray  # revenue + monetised ΔGEP + operating subsidies
    ebitda: np.ndarray
    ebit: np.ndarray
    pbt: np.ndarray  # profit before tax
    tax: np.ndarray  # income tax
    adj_tax: np.ndarray  # adjusted income tax (调整所得税, before financing)


def _lines(flows: Flows, fin: Financing, schedule: Schedule, loans: dict[str, pd.DataFrame]) -> _Lines:
    """Yearly lines from the flows, the plan and the loan schedules (see the module docstring of the package)."""
    years = schedule.years
    idx = pd.Index(years, name="year")
    cons = tuple(schedule.construction_years)
    z = np.zeros(len(years))
    inv = _on_years(flows.investment, idx)
    sub_op = sum((_on_years(s.amounts, idx) for s in fin.subsidies if s.kind == "operating"), z)
    sub_inv = sum((_on_years(s.amounts, idx) for s in fin.subsidies if s.kind == "investment"), z)
    col = lambda c: sum((lt[c].to_numpy(float) for lt in loans.values()), z)  # noqa: E731
    capit, paid, idc_paid = col("capitalised"), col("interest_paid"), col("idc_paid")
    first_op = (max(cons) + 1) if cons else int(years[0])
    # depreciation: before financing on the investment alone; after financing incl. interest during construction
    dep_pre, book_pre = depreciation(float(inv.sum()), years, first_op, fin.depreciation_years)
    dep, book = depreciation(float(inv.sum() + (capit + idc_paid).sum()), years, first_op, fin.depreciation_years)
    resid_pre, resid = z.copy(), z.copy()
    resid_pre[-1], resid[-1] = max(book_pre, 0.0), max(book, 0.0)
    rev, mon = _on_years(flows.revenue, idx), _on_years(flows.monetised, idx)
    opx = _on_years(flows.operating_cost, idx)
    interest_op = paid - idc_paid  # interest expensed in operating years
    sales = rev + mon + sub_op
    ebitda = sales - opx
    ebit = ebitda - dep
    pbt = ebit - interest_op
    return _Lines(
        idx=idx,
        inv=inv,
        opx=opx,
        rev=rev,
        mon=mon,
        nonm=_on_years(flows.non_market, idx),
        sub_op=sub_op,
        sub_inv=sub_inv,
        draw=col("drawdown"),
        idc=capit + idc_paid,
        paid=paid,
        princ=col("principal"),
        interest_op=interest_op,
        capital=_on_years(fin.capital, idx) + idc_paid,  # construction interest paid, funded by extra capital
        closing=col("closing"),
        dep=dep,
        resid_pre=resid_pre,
        resid=resid,
        sales=sales,
        ebitda=ebitda,
        ebit=ebit,
        pbt=pbt,
        tax=np.maximum(pbt, 0.0) * fin.tax_rate,
        adj_tax=np.maximum(ebitda - dep_pre, 0.0) * fin.tax_rate,
    )


def _income(x: _Lines) -> pd.DataFrame:
    """Income statement (利润表): revenue down to net profit."""
    cols = {"revenue": x.rev, "monetised": x.mon, "operating_subsidy": x.sub_op, "operating_cost": x.opx}
    cols |= {"ebitda": x.ebitda, "depreciation": x.dep, "ebit": x.ebit, "interest_expense": x.interest_op}
    cols |= {"profit_before_tax": x.pbt, "income_tax": x.tax, "net_profit": x.pbt - x.tax}
    return pd.DataFrame(cols, index=x.idx)


def _investment_cf(x: _Lines) -> pd.DataFrame:
    """项目投资现金流量表: before financing, with the adjusted income tax."""
    inflow = x.rev + x.mon + x.sub_op + x.resid_pre
    outflow = x.inv + x.opx
    net_bt = inflow - outflow
    net_at = net_bt - x.adj_tax
    cols = {"revenue": x.rev, "monetised": x.mon, "operating_subsidy": x.sub_op, "residual_value": x.resid_pre}
    cols |= {"inflow": inflow, "investment": x.inv, "operating_cost": x.opx, "outflow": outflow}
    cols |= {"net_before_tax": net_bt, "cumulative_before_tax": np.cumsum(net_bt), "adjusted_income_tax": x.adj_tax}
    cols |= {"net_after_tax": net_at, "cumulative_after_tax": np.cumsum(net_at)}
    return pd.DataFrame(cols, index=x.idx)


def _capital_cf(x: _Lines) -> pd.DataFrame:
    """项目资本金现金流量表: what the capital (资本金) pays in and gets back."""
    inflow = x.rev + x.mon + x.sub_op + x.resid
    outflow = x.capital + x.princ + x.interest_op + x.opx + x.tax
    net = inflow - outflow
    cols = {"revenue": x.rev, "monetised": x.mon, "operating_subsidy": x.sub_op, "residual_value": x.resid}
    cols |= {"inflow": inflow, "capital": x.capital, "principal": x.princ, "interest": x.interest_op}
    cols |= {"operating_cost": x.opx, "income_tax": x.tax, "outflow": outflow, "net": net, "cumulative": np.cumsum(net)}
    return pd.DataFrame(cols, index=x.idx)


def _plan_cf(x: _Lines) -> pd.DataFrame:
    """财务计划现金流量表: operating, investing and financing activities and the cumulative surplus."""
    op_net = x.sales - x.opx - x.tax
    fin_in = x.capital + x.draw + x.sub_inv
    fin_out = x.paid + x.princ
    net = op_net - x.inv + fin_in - fin_out
    cols = {"operating_inflow": x.sales, "operating_cost": x.opx, "income_tax": x.tax, "net_operating": op_net}
    cols |= {"investment": x.inv, "net_investing": -x.inv, "capital": x.capital, "loan_drawdown": x.draw}
    cols |= {"investment_subsidy": x.sub_inv, "financing_inflow": fin_in, "interest_paid": x.paid}
    cols |= {"principal": x.princ, "financing_outflow": fin_out, "net_financing": fin_in - fin_out}
    cols |= {"net_cash_flow": net, "cumulative_surplus": np.cumsum(net)}
    return pd.DataFrame(cols, index=x.idx)


def _coverage(x: _Lines) -> pd.DataFrame:
    """Debt cover by year: DSCR = (EBITDA − tax) / (principal + interest), ICR = EBIT / interest (NaN: no debt)."""
    service = x.princ + x.interest_op
    avail = x.ebitda - x.tax
    with np.errstate(divide="ignore", invalid="ignore"):
        dscr = np.where(service > 0, avail / np.where(service > 0, service, 1.0), np.nan)
        icr = np.where(x.interest_op > 0, x.ebit / np.where(x.interest_op > 0, x.interest_op, 1.0), np.nan)
    cols = {"ebitda": x.ebitda, "income_tax": x.tax, "available_for_debt_service": avail, "principal": x.princ}
    cols |= {"interest": x.interest_op, "debt_service": service, "dscr": dscr, "ebit": x.ebit, "icr": icr}
    cols |= {"closing_balance": x.closing}
    return pd.DataFrame(cols, index=x.idx)


def _economic(x: _Lines, e: Economic) -> pd.DataFrame:
    """Economic benefits and costs at the conversion factors (经济费用效益流量)."""
    ben = (
        e.revenue_factor * x.rev
        + e.monetised_factor * x.mon
        + e.non_market_factor * x.nonm
        + e.investment_factor * x.resid_pre
    )
    cost = e.investment_factor * x.inv + e.operating_cost_factor * x.opx
    cols = {"revenue": e.revenue_factor * x.rev, "monetised": e.monetised_factor * x.mon}
    cols |= {"non_market": e.non_market_factor * x.nonm, "residual_value": e.investment_factor * x.resid_pre}
    cols |= {"benefit": ben, "investment": e.investment_factor * x.inv}
    cols |= {"operating_cost": e.operating_cost_factor * x.opx, "cost": cost, "net_benefit": ben - cost}
    return pd.DataFrame(cols, index=x.idx)


def _totals(x: _Lines, loans: dict[str, pd.DataFrame]) -> dict[str, float]:
    """Totals over the appraisal years [CNY]: investment, interest during construction, sources of funds."""
    return {
        "construction_investment": float(x.inv.sum()),
        "interest_during_construction": float(x.idc.sum()),
        "total_investment": float(x.inv.sum() + x.idc.sum()),
        "capital_total": float(x.capital.sum()),
        "debt_total": float(x.draw.sum()),
        "loans_total": float(sum(lt["drawdown"].sum() for n, lt in loans.items() if n.startswith("loan:"))),
        "bonds_total": float(sum(lt["drawdown"].sum() for n, lt in loans.items() if n.startswith("bond:"))),
        "investment_subsidies_total": float(x.sub_inv.sum()),
        "operating_subsidies_total": float(x.sub_op.sum()),
    }


def cash_flow_tables(flows: Flows, fin: Financing, schedule: Schedule) -> Appraisal:
    """Loan schedules and the tables of the appraisal [CNY by year]; ``indicators`` holds only the totals.

    :func:`~gepcalc.project.finance.appraise` adds the indicators (FIRR, FNPV, DSCR minimum …).
    """
    loans = debt_schedules(fin, schedule)
    x = _lines(flows, fin, schedule, loans)
    return Appraisal(
        loans,
        income=_income(x),
        investment_cf=_investment_cf(x),
        capital_cf=_capital_cf(x),
        plan_cf=_plan_cf(x),
        coverage=_coverage(x),
        economic=_economic(x, fin.economic),
        indicators=_totals(x, loans),
    )
