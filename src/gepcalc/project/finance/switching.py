"""What-if analysis of the appraisal: one-at-a-time sensitivity and switching values.

Holds :func:`variant` (flows, plan and schedule with investment, revenue or ΔGEP prices ×k, or a
construction delay), :func:`sensitivity` (the indicators of :data:`SENS_KEYS` for ±step of each)
and :func:`switching_values` (the change that brings FIRR to the benchmark or the minimum DSCR to
1.0).  It does not draw random cases: the Monte Carlo of the financial indicators is in
:mod:`~gepcalc.project.finance.monte_carlo`.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from gepcalc.errors import ConfigError
from gepcalc.project.finance.indicators import appraise
from gepcalc.project.finance.plan import Financing
from gepcalc.project.finance.tables import Flows
from gepcalc.project.schedule import Schedule

#: indicators of the sensitivity table
SENS_KEYS = ("firr_after_tax", "fnpv_after_tax", "firr_capital", "dscr_min", "self_balance_financed", "enpv", "eirr")


def variant(flows: Flows, fin: Financing, schedule: Schedule, *, investment=1.0, revenue=1.0, gep_price=1.0, delay=0):
    """Flows, plan and schedule with the investment ×k (plan scaled), revenues and monetised ΔGEP ×k,
    ΔGEP prices ×k (non-market ΔGEP and monetised ΔGEP valued at GEP prices) and a construction delay
    of ``delay`` years (construction extended; everything but the investment and the loans later)."""
    f = replace(
        flows,
        investment=flows.investment * investment,
        revenue=flows.revenue * revenue,
        monetised_value=flows.monetised_value * revenue * gep_price,
        monetised_market=flows.monetised_market * revenue,
        non_market=flows.non_market * gep_price,
    )
    p = fin.scaled(investment) if investment != 1 else fin
    s = schedule
    if delay:
        if not s.construction_years:
            raise ConfigError("a construction delay needs construction years in [schedule]")
        last = max(s.construction_years)
        extra = tuple(range(last + 1, last + 1 + int(delay)))
        s = replace(s, construction_years=tuple(s.construction_years) + extra)
        f = f.shifted(int(delay))
    return f, p, s


def sensitivity(flows: Flows, fin: Financing, schedule: Schedule, *, step: float = 0.1, delays=(1, 2)) -> pd.DataFrame:
    """One at a time: investment, revenue (and monetised ΔGEP), ΔGEP prices ±``step``; construction delays.

    Returns one row per case with the indicators of :data:`SENS_KEYS` (CNY, 1/yr, 1).
    """
    cases = [("base", "base 基准", 0.0, {})]
    for var, zh in (("investment", "建设投资"), ("revenue", "营业收入"), ("gep_price", "生态产品价格")):
        for sgn in (-1, 1):
            cases.append((var, f"{zh} {sgn * step:+.0%}", sgn * step, {var: 1 + sgn * step}))
    last = int(schedule.years[-1])
    for dly in delays:
        if schedule.construction_years and max(schedule.construction_years) + dly < last:
            cases.append(("delay", f"建设期延长 delay +{dly} yr", float(dly), {"delay": dly}))
    rows = []
    for var, label, change, kw in cases:
        a = appraise(*variant(flows, fin, schedule, **kw))
        rows.append({"variable": var, "case": label, "change": change, **{k: a.indicators[k] for k in SENS_KEYS}})
    return pd.DataFrame(rows)


def switching_values(flows: Flows, fin: Financing, schedule: Schedule) -> pd.DataFrame:
    """The change of each variable that brings FIRR (after tax) to the benchmark or the minimum DSCR to 1.0.

    FIRR = benchmark ⇔ FNPV(benchmark) = 0, solved with ``brentq`` on the relative change x of
    investment (x ∈ [−90 %, +1000 %]), revenue or ΔGEP prices (x ∈ [−100 %, +1000 %]); delays
    are whole years (the first delay that crosses).  Blank where the indicator does not cross
    within the range.
    """
    base = appraise(flows, fin, schedule).indicators
    targets = (
        ("firr_after_tax", "FIRR = benchmark 基准收益率", lambda a: a.indicators["fnpv_after_tax"]),
        ("dscr_min", "DSCR min = 1.0", lambda a: (a.indicators["dscr_min"] or np.inf) - 1.0),
    )
    rows = []
    for var, lo, hi in (("investment", -0.9, 10.0), ("revenue", -1.0, 10.0), ("gep_price", -1.0, 10.0)):
        for key, label, g in targets:
            if key == "dscr_min" and base["dscr_min"] is None:
                continue

            def h(x, var=var, g=g):
                return g(appraise(*variant(flows, fin, schedule, **{var: 1 + x})))

            h0 = h(0.0)
            x = None
            for a, b in ((lo, 0.0), (0.0, hi)):
                ha, hb = h(a), h(b)
                if np.isfinite(ha) and np.isfinite(hb) and ha * hb < 0:
                    x = float(brentq(h, a, b, xtol=1e-8))
                    break
            rows.append(
                {
                    "variable": var,
                    "indicator": label,
                    "base": base[key],
                    "switching change": x,
                    "note": ""
                    if x is not None
                    else ("met at every change tried" if h0 >= 0 else "not met even at base"),
                }
            )
    last = int(schedule.years[-1])
    if schedule.construction_years:
        for key, label, g in targets:
            if key == "dscr_min" and base["dscr_min"] is None:
                continue
            found = None
            if g(appraise(flows, fin, schedule)) >= 0:
                for dly in range(1, 6):
                    if max(schedule.construction_years) + dly >= last:
                        break
                    if g(appraise(*variant(flows, fin, schedule, delay=dly))) < 0:
                        found = dly
                        break
            rows.append(
                {
                    "variable": "delay",
                    "indicator": label,
                    "base": base[key],
                    "switching change": found,
                    "note": "years of delay" if found else "not crossed within 5 yr of delay (or not met at base)",
                }
            )
    return pd.DataFrame(rows, columns=["variable", "indicator", "base", "switching change", "note"])
