"""Rates of return: the NPV of a cash flow at a rate and its internal rate of return (FIRR, EIRR).

Holds :func:`npv_at`, :func:`irr` (scan for a sign change, then ``scipy.optimize.brentq``) and
:class:`NoIRRError`.  It does not know what the flows are: the cash-flow tables are in
:mod:`~gepcalc.project.finance.tables`, the indicators built on these in
:mod:`~gepcalc.project.finance.indicators`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import brentq

from gepcalc.errors import GepcalcError


class NoIRRError(GepcalcError, ValueError):
    """A cash flow without an internal rate of return (no sign change of its NPV, or several)."""


def npv_at(flows: Sequence[float] | np.ndarray, rate: float, k: int = 1) -> float:
    """Σ_t F_t (1 + r)^−(t + k), t = 0, 1, … (k = 1: end-of-year flows) [flows' unit]."""
    f = np.asarray(flows, dtype=float)
    t = np.arange(len(f)) + k
    return float((f * (1.0 + rate) ** -t).sum())


#: rates scanned for a sign change of the NPV (−99 % … 1000 %)
_GRID = np.concatenate([np.linspace(-0.99, 1.0, 400), np.linspace(1.0, 10.0, 100)[1:]])


def irr(flows: Sequence[float] | np.ndarray) -> float:
    """Internal rate of return [1/yr]: the r with Σ_t F_t (1 + r)^−t = 0.

    The NPV is evaluated on rates from −99 % to 1000 %; the root is refined with
    ``scipy.optimize.brentq`` in the one bracket where the NPV changes sign.

    Raises
    ------
    NoIRRError
        The NPV does not change sign (all flows of one sign, or never paid back within the
        horizon), or changes sign more than once (several IRRs: use the FNPV).
    """
    f = np.asarray(flows, dtype=float)
    if not np.isfinite(f).all():
        raise NoIRRError("the cash flow has missing values")
    t = np.arange(len(f))
    vals = (f[None, :] * (1.0 + _GRID[:, None]) ** -t[None, :]).sum(axis=1)
    sign = np.sign(vals)
    nz = sign != 0  # a root exactly on the grid is bracketed by its neighbours
    idx = np.flatnonzero(np.diff(sign[nz]) != 0)
    grid = _GRID[nz]
    if not len(idx):
        total = f.sum()
        why = "all flows have one sign" if (f >= 0).all() or (f <= 0).all() else f"undiscounted sum {total:,.2f}"
        raise NoIRRError(f"no internal rate of return in −99 %…1000 %: the NPV never changes sign ({why})")
    if len(idx) > 1:
        roots = [brentq(lambda r: float((f * (1.0 + r) ** -t).sum()), grid[i], grid[i + 1]) for i in idx]
        raise NoIRRError(
            "several internal rates of return (" + ", ".join(f"{r:.4%}" for r in roots) + "): the cash flow "
            "changes sign more than once; judge the project by its FNPV"
        )
    i = int(idx[0])
    return float(brentq(lambda r: float((f * (1.0 + r) ** -t).sum()), grid[i], grid[i + 1], xtol=1e-12))


def irr_or_none(flows) -> tuple[float | None, str]:
    """(IRR [1/yr], "") or (None, why there is none) — :func:`irr` without the exception."""
    try:
        return irr(flows), ""
    except NoIRRError as exc:
        return None, str(exc)
