"""The bank's indicators of an appraisal, and :func:`appraise` (the tables, then the indicators).

Holds :func:`financial_indicators`: FIRR before/after tax and on capital, FNPV at the benchmarks,
static and dynamic payback, EIRR, ENPV and the benefit-cost ratio, DSCR and ICR minima with their
years, the cumulative surplus minimum and the financed fund self-balance ratio; each read from
the tables of :func:`~gepcalc.project.finance.tables.cash_flow_tables`.  Formulas as quoted in
teaching material of 《建设项目经济评价方法与参数》 (clause not verified):

* DSCR_t = (EBITDA_t − tax_t) / (principal_t + interest_t), ICR_t = EBIT_t / interest_t;
* FIRR: Σ_t F_t (1 + r)^−t = 0 (:func:`~gepcalc.project.finance.returns.irr`); FNPV = Σ_t F_t d_t.

It does not build the tables (:mod:`~gepcalc.project.finance.tables`) or vary the inputs
(:mod:`~gepcalc.project.finance.switching`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gepcalc.project.finance.plan import Financing
from gepcalc.project.finance.returns import irr_or_none, npv_at
from gepcalc.project.finance.tables import Appraisal, Flows, cash_flow_tables
from gepcalc.project.schedule import Schedule, payback


def _col(df: pd.DataFrame, name: str) -> np.ndarray:
    return df[name].to_numpy(float)


def _financial_returns(a: Appraisal, fin: Financing, years, k: int, notes: list[str]) -> dict:
    """FIRR and FNPV before and after tax and on capital [1/yr, CNY]; static and dynamic payback [yr]."""
    net_bt, net_at = _col(a.investment_cf, "net_before_tax"), _col(a.investment_cf, "net_after_tax")
    cap_net = _col(a.capital_cf, "net")
    out: dict = {}
    for key, flows in (("firr_before_tax", net_bt), ("firr_after_tax", net_at), ("firr_capital", cap_net)):
        out[key], why = irr_or_none(flows)
        if why:
            notes.append(f"{key}: {why}")
    out["fnpv_before_tax"] = npv_at(net_bt, fin.benchmark_rate, k)
    out["fnpv_after_tax"] = npv_at(net_at, fin.benchmark_rate, k)
    out["fnpv_capital"] = npv_at(cap_net, fin.capital_benchmark, k)
    net = pd.Series(net_at, index=pd.Index(years, name="year"))
    out["payback_year"], out["payback_period"] = payback(net)
    disc = net * (1.0 + fin.benchmark_rate) ** -(np.arange(len(years)) + k)
    out["discounted_payback_year"], out["discounted_payback_period"] = payback(disc)
    return out


def _economic_returns(a: Appraisal, fin: Financing, k: int, notes: list[str]) -> dict:
    """EIRR [1/yr], ENPV [CNY] at the social discount rate and the benefit-cost ratio [1]."""
    ben, cost = _col(a.economic, "benefit"), _col(a.economic, "cost")
    r = fin.economic.social_discount_rate
    out: dict = {}
    out["eirr"], why = irr_or_none(ben - cost)
    if why:
        notes.append(f"eirr: {why}")
    out["enpv"] = npv_at(ben - cost, r, k)
    pv_cost = npv_at(cost, r, k)
    out["bcr"] = npv_at(ben, r, k) / pv_cost if pv_cost > 0 else float("nan")
    return out


def _debt_cover(a: Appraisal, fin: Financing, years) -> dict:
    """DSCR and ICR minima with their years, the required DSCR, the years below it and ICR below 1."""
    dscr, icr = _col(a.coverage, "dscr"), _col(a.coverage, "icr")
    out: dict = {}
    for name, arr in (("dscr", dscr), ("icr", icr)):
        ok = np.isfinite(arr)
        if ok.any():
            i = int(np.flatnonzero(ok)[np.argmin(arr[ok])])
            out[f"{name}_min"], out[f"{name}_min_year"] = float(arr[i]), int(years[i])
        else:
            out[f"{name}_min"], out[f"{name}_min_year"] = None, None
    out["dscr_required"] = fin.dscr_required
    out["dscr_below_required"] = [
        int(y) for y, v in zip(years, dscr, strict=True) if np.isfinite(v) and v < fin.dscr_required
    ]
    out["icr_below_1"] = [int(y) for y, v in zip(years, icr, strict=True) if np.isfinite(v) and v < 1.0]
    return out


def _surplus(a: Appraisal, years) -> dict:
    """Minimum of the cumulative surplus (累计盈余资金) [CNY], its year, and the years in deficit."""
    cum = a.plan_cf["cumulative_surplus"].to_numpy()
    i = int(np.argmin(cum))
    return {
        "cumulative_surplus_min": float(cum[i]),
        "cumulative_surplus_min_year": int(years[i]),
        "deficit_years": [int(y) for y, v in zip(years, cum, strict=True) if v < -1e-6],
    }


def self_balance_financed(a: Appraisal, fin: Financing, schedule: Schedule) -> float:
    """Fund self-balance after financing [1]: PV(revenue + monetised ΔGEP) / PV(operating cost + income tax +
    debt service + capital + government investment subsidies); no government money counts as income."""
    years = schedule.years
    d = schedule.discount_factors().to_numpy()
    rev, mon = _col(a.income, "revenue"), _col(a.income, "monetised")
    opx, tax = _col(a.income, "operating_cost"), _col(a.income, "income_tax")
    service, capital = _col(a.coverage, "debt_service"), _col(a.capital_cf, "capital")
    pv_in = float(((rev + mon) * d).sum())
    inv_gov = float(
        sum(
            (s.amounts.reindex(pd.Index(years), fill_value=0.0).to_numpy() * d).sum()
            for s in fin.subsidies
            if s.kind == "investment"
        )
    )
    pv_out = float(((opx + tax + service + capital) * d).sum()) + inv_gov
    return pv_in / pv_out if pv_out > 0 else float("nan")


def financial_indicators(a: Appraisal, fin: Financing, schedule: Schedule) -> dict:
    """The indicators of the tables ``a`` [CNY, 1/yr, yr, 1] (see the module docstring); ``notes`` says why an
    IRR is missing."""
    years = schedule.years
    k = 1 if schedule.timing == "end" else 0
    notes: list[str] = []
    out = _financial_returns(a, fin, years, k, notes)
    out |= _economic_returns(a, fin, k, notes)
    out |= _debt_cover(a, fin, years)
    out |= _surplus(a, years)
    out["self_balance_financed"] = self_balance_financed(a, fin, schedule)
    out["benchmark_rate"] = fin.benchmark_rate
    out["capital_benchmark"] = fin.capital_benchmark
    out["social_discount_rate"] = fin.economic.social_discount_rate
    out["notes"] = notes
    return out


def appraise(flows: Flows, fin: Financing, schedule: Schedule) -> Appraisal:
    """Loan schedules, the three cash-flow tables, debt cover, economic flows and the indicators.

    Parameters
    ----------
    flows
        Investment, operating cost, revenue, monetised and non-market ΔGEP [CNY by year].
    fin
        The financing plan.
    schedule
        Years, construction years, discounting (timing) of the project.

    Returns
    -------
    Appraisal
        ``indicators``: FIRR before/after tax and on capital, FNPV at the benchmarks, static and
        dynamic payback, EIRR, ENPV, BCR, DSCR and ICR minima with their years, years below the
        required DSCR, the cumulative surplus minimum, the financed self-balance ratio, totals.
    """
    a = cash_flow_tables(flows, fin, schedule)
    a.indicators = {**financial_indicators(a, fin, schedule), **a.indicators}
    return a
