"""Monte Carlo of the financial indicators: FIRR, FNPV, DSCR, self-balance and ENPV for drawn cases.

Holds :func:`finance_monte_carlo` (each draw of the ΔGEP prices from the project's Monte Carlo,
with investment and revenue factors drawn) and :func:`finance_mc_stats` (mean, percentiles and the
share of draws below a threshold).  It does not draw the ΔGEP itself: that is
:func:`gepcalc.project.uncertainty.monte_carlo`, whose result it takes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gepcalc.project.finance.indicators import appraise
from gepcalc.project.finance.switching import variant

if TYPE_CHECKING:
    from gepcalc.project.result import ProjectResult
    from gepcalc.project.uncertainty import MonteCarlo

#: indicators drawn in :func:`finance_monte_carlo`
FINANCE_MC_KEYS = ("firr_after_tax", "fnpv_after_tax", "firr_capital", "dscr_min", "self_balance_financed", "enpv")


def finance_monte_carlo(
    result: ProjectResult,
    mc: MonteCarlo,
    *,
    seed: int = 0,
    distribution: str = "triangular",
    investment: float = 0.1,
    revenue: float = 0.1,
) -> pd.DataFrame:
    """The financial indicators for every Monte Carlo draw of the ΔGEP prices, with investment and revenue drawn.

    Each draw takes the ΔGEP per service of draw *i* of ``mc`` (prices drawn within their declared
    ranges), so monetised ΔGEP valued at GEP prices and the non-market ΔGEP move with it; the
    investment (with its financing plan) and the revenues (with the monetised ΔGEP) are scaled by
    factors drawn between 1 ∓ ``investment`` and 1 ∓ ``revenue`` (mode 1), independently, from
    ``numpy.random.default_rng([seed, 19])`` (same seed → same draws).

    Returns
    -------
    pandas.DataFrame
        One row per draw: ``investment_factor``, ``revenue_factor``, ``delta_gep`` (ΔGEP total
        [CNY/yr]) and :data:`FINANCE_MC_KEYS` (FIRR [1/yr], FNPV [CNY], DSCR min [1], self-balance
        [1], ENPV [CNY]); the money units in ``df.attrs["units"]``.
    """
    services = [c for c in mc.draws.columns if c not in ("total", "npv")]
    n = len(mc.draws)
    rng = np.random.default_rng([int(seed), 19])
    facs = {}
    for key, a in (("investment", investment), ("revenue", revenue)):
        if a == 0:
            facs[key] = np.ones(n)
        elif distribution == "uniform":
            facs[key] = rng.uniform(1 - a, 1 + a, n)
        elif distribution == "triangular":
            facs[key] = rng.triangular(1 - a, 1.0, 1 + a, n)
        else:
            facs[key] = 1 - a + rng.beta(3.0, 3.0, n) * 2 * a  # PERT with the mode in the middle (λ = 4)
    rows = []
    for i in range(n):
        dv = mc.draws.iloc[i][services].astype(float)
        flows = result.finance_flows(dv)
        f, p, s = variant(
            flows, result.financing, result.schedule, investment=facs["investment"][i], revenue=facs["revenue"][i]
        )
        ind = appraise(f, p, s).indicators
        rows.append(
            {
                "investment_factor": facs["investment"][i],
                "revenue_factor": facs["revenue"][i],
                "delta_gep": float(dv.sum()),
                **{k: ind[k] for k in FINANCE_MC_KEYS},
            }
        )
    out = pd.DataFrame(rows, index=pd.RangeIndex(n, name="draw"))
    out = out.astype({k: float for k in ("firr_after_tax", "firr_capital", "dscr_min")})
    out.attrs["units"] = {c: u for c, u in FINANCE_MC_UNITS.items() if c in out.columns}
    return out


#: money units of the columns of :func:`finance_monte_carlo`
FINANCE_MC_UNITS = {"delta_gep": "CNY/yr", "fnpv_after_tax": "CNY", "enpv": "CNY"}


def finance_mc_stats(draws: pd.DataFrame, dscr_required: float = 1.0) -> pd.DataFrame:
    """Mean, P5, P50, P95 of the drawn indicators and the share of draws below a threshold.

    Thresholds: FNPV and ENPV 0 (FNPV < 0 ⇔ FIRR below the benchmark), DSCR min the required DSCR,
    self-balance 1.

    FIRR columns skip draws without an IRR (their count is in ``n``).
    """
    keys = [k for k in FINANCE_MC_KEYS if k in draws]
    d = draws[keys]
    st = pd.DataFrame(
        {
            "n": d.notna().sum(),
            "mean": d.mean(),
            "P5": d.quantile(0.05),
            "P50": d.quantile(0.50),
            "P95": d.quantile(0.95),
        }
    )
    st["threshold"] = np.nan
    st["P(below)"] = np.nan
    for key, limit in (
        ("fnpv_after_tax", 0.0),
        ("enpv", 0.0),
        ("dscr_min", dscr_required),
        ("self_balance_financed", 1.0),
    ):
        if draws[key].notna().any():
            st.loc[key, "threshold"] = limit
            st.loc[key, "P(below)"] = float((draws[key] < limit).mean())
    return st
