"""Financing plan, loan schedules, the three cash-flow tables and the bank's indicators of a project.

What a credit officer reads first: how the investment is financed (资本金, loans, special
bonds, subsidies), the loans' schedules (drawdown, interest during construction, principal,
interest, balance), whether the project's own cash services its debt (DSCR, ICR by year) and
its rates of return (FIRR before and after tax, on capital; EIRR with the ΔGEP).

Tables (the structure of the financial-analysis statements of 《建设项目经济评价方法与参数》
(第三版, 国家发展改革委、建设部 2006); **the clause and table numbers of that book were not
verified**: no copy of the text could be read, only teaching and exam material quoting it, see
``docs/project.md``):

* 项目投资现金流量表 project investment cash flow (before financing): inflows = revenue +
  monetised ΔGEP + operating subsidies + residual value; outflows = construction investment +
  operating cost; adjusted income tax (调整所得税) = τ · max(0, EBIT before financing).
* 项目资本金现金流量表 capital cash flow: inflows as above; outflows = capital (资本金) paid in,
  principal repaid, interest paid, operating cost, income tax.
* 财务计划现金流量表 financial plan cash flow: operating, investing and financing activities,
  net cash flow and the cumulative surplus (累计盈余资金; < 0 flags a year the project cannot pay).

Indicators (formulas as quoted in teaching material of the method, clause not verified):

* DSCR_t = (EBITDA_t − tax_t) / (principal_t + interest_t)  (偿债备付率)
* ICR_t = EBIT_t / interest_t  (利息备付率)
* FIRR: the rate r with Σ_t F_t (1 + r)^−t = 0 (scipy.optimize.brentq on a bracket found by a
  scan; no sign change → :class:`NoIRRError`); FNPV = Σ_t F_t d_t at the benchmark rate.
* Interest during construction (建设期利息): (opening balance + drawdown/2) · rate, the
  mid-year drawdown convention of the method as quoted in exam material.

Everything is in CNY per year on the schedule's years; functions are pure (numpy/pandas).

Modules, in the order they build on each other: :mod:`~gepcalc.project.finance.plan` (the
``[financing]`` plan and its checks), :mod:`~gepcalc.project.finance.loans` (loan and bond
schedules), :mod:`~gepcalc.project.finance.returns` (NPV at a rate, IRR),
:mod:`~gepcalc.project.finance.tables` (the cash-flow tables),
:mod:`~gepcalc.project.finance.indicators` (FIRR, FNPV, DSCR … and :func:`appraise`),
:mod:`~gepcalc.project.finance.switching` (sensitivity, switching values),
:mod:`~gepcalc.project.finance.monte_carlo` (the indicators over Monte Carlo draws).
This package only re-exports their public names.
"""

from __future__ import annotations

from gepcalc.project.finance.indicators import appraise, financial_indicators, self_balance_financed
from gepcalc.project.finance.loans import loan_schedule
from gepcalc.project.finance.monte_carlo import FINANCE_MC_KEYS, finance_mc_stats, finance_monte_carlo
from gepcalc.project.finance.plan import (
    DEBT_KEYS,
    ECONOMIC_KEYS,
    FINANCING_KEYS,
    IDC_MODES,
    REPAYMENTS,
    SUBSIDY_KEYS,
    SUBSIDY_KINDS,
    TOL,
    Debt,
    Economic,
    Financing,
    Subsidy,
    parse_debt,
    parse_financing,
    parse_subsidy,
)
from gepcalc.project.finance.returns import NoIRRError, irr, irr_or_none, npv_at
from gepcalc.project.finance.switching import SENS_KEYS, sensitivity, switching_values, variant
from gepcalc.project.finance.tables import Appraisal, Flows, cash_flow_tables, debt_schedules, depreciation

__all__ = [
    "DEBT_KEYS",
    "ECONOMIC_KEYS",
    "FINANCE_MC_KEYS",
    "FINANCING_KEYS",
    "IDC_MODES",
    "REPAYMENTS",
    "SENS_KEYS",
    "SUBSIDY_KEYS",
    "SUBSIDY_KINDS",
    "TOL",
    "Appraisal",
    "Debt",
    "Economic",
    "Financing",
    "Flows",
    "NoIRRError",
    "Subsidy",
    "appraise",
    "cash_flow_tables",
    "debt_schedules",
    "depreciation",
    "finance_mc_stats",
    "finance_monte_carlo",
    "financial_indicators",
    "irr",
    "irr_or_none",
    "loan_schedule",
    "npv_at",
    "parse_debt",
    "parse_financing",
    "parse_subsidy",
    "self_balance_financed",
    "sensitivity",
    "switching_values",
    "variant",
]
