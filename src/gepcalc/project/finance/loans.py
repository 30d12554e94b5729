"""Yearly schedules of loans and special bonds: drawdown, interest during construction, principal, balance.

Holds :func:`loan_schedule` for one debt.  It does not hold the financing plan
(:mod:`~gepcalc.project.finance.plan`) or the cash-flow tables that add the schedules up
(:mod:`~gepcalc.project.finance.tables`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: columns of a loan schedule before ``closing`` and ``debt_service``
COLUMNS = ("opening", "drawdown", "interest", "capitalised", "idc_paid", "interest_paid", "principal")


def _principal(repayment: str, y: int, end: int, n: int, b_rep: float, instalment: float | None, interest: float):
    """Principal repaid in year ``y`` of the repayment period [CNY] (before the last year's exact close)."""
    if repayment == "equal_principal":
        return b_rep / n
    if repayment == "equal_instalment":
        return instalment - interest
    return b_rep if y == end else 0.0


def loan_schedule(
    drawdown: pd.Series,
    rate: float,
    grace: int,
    term: int,
    repayment: str = "equal_instalment",
    *,
    construction: Sequence[int] = (),
    idc: str = "capitalised",
) -> pd.DataFrame:
    """Yearly schedule of one loan [CNY]: opening, drawdown, interest (capitalised / paid), principal, closing.

    Year 1 is the first year with a drawdown; principal is repaid in years ``grace + 1 … term``.

    .. math::

        I_t = (B_{t-1} + D_t / 2)\\, r                   \\quad\\text{(drawdowns at mid-year)}

        A = B_g\\, \\frac{r}{1 - (1 + r)^{-n}}              \\quad\\text{(equal instalment, 等额本息)}

        P_t = B_g / n                                        \\quad\\text{(equal principal, 等额本金)}

    with B_g the balance when repayment starts and n = term − grace; ``bullet`` repays B_g in the
    last year (到期一次还本).  Interest of ``construction`` years before repayment starts is added to
    the balance (``idc="capitalised"``) or paid from capital (``idc_paid``, also in ``interest_paid``);
    later interest is paid every year.  The mid-year drawdown
    rule is the interest-during-construction formula of 《建设项目经济评价方法与参数》(第三版) as
    quoted in exam material (e.g. zhongxunwx.com/question/232155.html); the clause was not verified.

    Parameters
    ----------
    drawdown
        Amount drawn per year [CNY] (index ``year``).
    rate
        Yearly interest rate [1/yr].
    grace, term
        Grace period and term [yr] counted from the first drawdown year.
    repayment
        ``equal_instalment``, ``equal_principal`` or ``bullet``.
    """
    years = drawdown.index.to_numpy(dtype=int)
    d = drawdown.to_numpy(dtype=float)
    drawn = np.flatnonzero(d != 0)
    n_y = len(years)
    cols = {k: np.zeros(n_y) for k in COLUMNS}
    cols["drawdown"] = d.copy()
    closing = np.zeros(n_y)
    if not len(drawn):
        cols["closing"] = closing
        return pd.DataFrame(cols, index=pd.Index(years, name="year"))
    first = int(years[drawn[0]])
    start, end = first + grace, first + term - 1
    n = term - grace
    bal = 0.0
    b_rep = None
    instalment = None
    cons = set(int(y) for y in construction)
    for i, y in enumerate(years):
        y = int(y)
        cols["opening"][i] = bal
        interest = (bal + d[i] / 2.0) * rate
        cols["interest"][i] = interest
        during = y in cons and y < (end if repayment == "bullet" else start)  # construction, before repayment
        if during and idc == "capitalised":
            cols["capitalised"][i] = interest
        else:
            cols["interest_paid"][i] = interest
            if during:
                cols["idc_paid"][i] = interest
        principal = 0.0
        if start <= y <= end:
            if b_rep is None:
                b_rep = bal
                if repayment == "equal_instalment":
                    instalment = b_rep / n if rate == 0 else b_rep * rate / (1.0 - (1.0 + rate) ** -n)
            principal = _principal(repayment, y, end, n, b_rep, instalment, interest)
            if y == end:
                principal = bal + d[i] + cols["capitalised"][i]  # close exactly (no rounding residue)
        cols["principal"][i] = principal
        bal = bal + d[i] + cols["capitalised"][i] - principal
        closing[i] = bal
    cols["closing"] = closing
    df = pd.DataFrame(cols, index=pd.Index(years, name="year"))
    df["debt_service"] = df["principal"] + df["interest_paid"]
    return df
