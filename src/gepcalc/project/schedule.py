"""Implementation schedule, appraisal horizon and discounting of a project.

A project's with-project state is reached gradually: nothing during the
construction years, then a ramp-up to the full effect.  The **effect fraction**
:math:`f_t \\in [0, 1]` of year *t* scales the full-effect ΔGEP, so the ΔGEP of
year *t* is :math:`\\Delta GEP_t = f_t \\cdot \\Delta GEP_{full}` [CNY/yr].

Discounting (gepcalc's convention, see ``docs/project.md``): year *t* of the
appraisal, counted from the base year :math:`t_0` (default the first year), has
the discount factor

.. math:: d_t = (1 + r)^{-(t - t_0 + k)}

with *k* = 1 for end-of-year flows (default, the cash-flow convention of
《建设项目经济评价方法与参数》(第三版, 2006), unconfirmed) and *k* = 0 for flows at
the start of the year.  NPV = Σ_t F_t d_t.  All functions are pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gepcalc.errors import ConfigError

TIMINGS = ("end", "start")


@dataclass(frozen=True)
class Schedule:
    """Years, effect fractions and discounting of a project.

    Attributes
    ----------
    start_year : int
        First year of the appraisal.
    horizon : int
        Number of years appraised [yr]; the years are ``start_year … start_year + horizon − 1``.
    construction_years : tuple of int
        Years of construction (effect 0); the ramp-up starts the year after the last one.
    ramp_up : tuple of float
        Cumulative effect fractions [1] of the first years after construction; later years keep the
        last value.  ``(1.0,)`` means full effect at once.
    discount_rate : float
        Discount rate r [1/yr] (0.06 = 6 %); must be > −1.
    base_year : int
        Year t₀ discounted to (default ``start_year``).
    timing : str
        ``"end"`` (flows at the end of each year, d = (1+r)^-(t−t₀+1)) or ``"start"`` (d = (1+r)^-(t−t₀)).
    """

    start_year: int
    horizon: int
    construction_years: tuple[int, ...] = ()
    ramp_up: tuple[float, ...] = (1.0,)
    discount_rate: float = 0.0
    base_year: int | None = None
    timing: str = "end"
    where: str = "schedule"

    def __post_init__(self) -> None:
        check_schedule(self)

    @property
    def years(self) -> np.ndarray:
        """The appraisal years (int)."""
        return np.arange(self.start_year, self.start_year + self.horizon)

    def effect(self) -> pd.Series:
        """Effect fraction f_t [1] of every appraisal year (index ``year``)."""
        return effect_fractions(self.years, self.construction_years, self.ramp_up)

    def discount_factors(self) -> pd.Series:
        """Discount factor d_t [1] of every appraisal year."""
        return discount_factors(self.years, self.discount_rate, self.base_year or self.start_year, self.timing)

    def annuity(self) -> float:
        """Σ_t f_t d_t [yr]: the NPV of a full-effect ΔGEP of 1 CNY/yr."""
        return float((self.effect() * self.discount_factors()).sum())

    def table(self) -> pd.DataFrame:
        """One row per year: phase, effect fraction, discount factor."""
        f = self.effect()
        phase = [
            "construction 建设期" if y in self.construction_years else ("ramp-up 达效期" if v < 1 else "full 满效期")
            for y, v in f.items()
        ]
        return pd.DataFrame(
            {"year": f.index, "phase": phase, "effect": f.to_numpy(), "discount_factor": self.discount_factors()}
        ).reset_index(drop=True)


def linear_ramp(years: int) -> tuple[float, ...]:
    """Cumulative fractions of a linear ramp-up over ``years`` years: (1/N, 2/N, …, 1)."""
    if int(years) != years or years < 1:
        raise ConfigError(f"a linear ramp-up needs a whole number of years ≥ 1, got {years!r}")
    n = int(years)
    return tuple((k + 1) / n for k in range(n))


def cumulative_ramp(fractions: Sequence[float], *, cumulative: bool = True, where: str = "ramp_up") -> tuple:
    """Cumulative effect fractions from a list given as cumulative values or yearly increments.

    Parameters
    ----------
    fractions
        Cumulative fractions [1] reached in successive years (``cumulative=True``), or the
        increments [1] added each year (``cumulative=False``).
    where
        Where the list comes from (file and key), for messages.

    Raises
    ------
    ConfigError
        A value outside [0, 1], a decreasing cumulative list, or increments adding up to more than 1.
    """
    vals = [float(v) for v in fractions]
    if not vals:
        raise ConfigError(f"{where}: the ramp-up list is empty; give at least one fraction, e.g. [0.5, 1.0]")
    for i, v in enumerate(vals):
        if not 0.0 <= v <= 1.0 or np.isnan(v):
            raise ConfigError(
                f"{where}: fraction {v!r} (year {i + 1} after construction) is outside [0, 1]; "
                "fractions are shares of the full effect"
            )
    if cumulative:
        for i in range(1, len(vals)):
            if vals[i] < vals[i - 1]:
                raise ConfigError(
                    f"{where}: cumulative fractions must not decrease, but year {i + 1} after construction has "
                    f"{vals[i]} < {vals[i - 1]} of year {i}; give yearly increments with cumulative = false, "
                    "or correct the list"
                )
        return tuple(vals)
    total = np.cumsum(vals)
    if total[-1] > 1.0 + 1e-12:
        raise ConfigError(f"{where}: yearly increments {vals} add up to {total[-1]:g} > 1 (the full effect)")
    return tuple(float(v) for v in total)


def effect_fractions(years: Sequence[int], construction: Sequence[int], ramp: Sequence[float]) -> pd.Series:
    """Effect fraction f_t [1] per year: 0 up to the last construction year, then ``ramp``, then its last value.

    Parameters
    ----------
    years
        Appraisal years.
    construction
        Construction years (may be empty: the ramp starts in the first year).
    ramp
        Cumulative fractions of the years after construction.
    """
    years = np.asarray(years, dtype=int)
    first = (max(construction) + 1) if len(construction) else int(years[0])
    out = np.zeros(len(years))
    for i, y in enumerate(years):
        k = int(y) - first
        if k >= 0:
            out[i] = ramp[min(k, len(ramp) - 1)]
    return pd.Series(out, index=pd.Index(years, name="year"), name="effect")


def discount_factors(years: Sequence[int], rate: float, base_year: int, timing: str = "end") -> pd.Series:
    """d_t = (1 + r)^-(t − t₀ + k), k = 1 (end of year) or 0 (start of year) [1]."""
    if timing not in TIMINGS:
        raise ConfigError(f"discount timing {timing!r} is not one of {TIMINGS}")
    if rate <= -1:
        raise ConfigError(f"discount rate {rate!r} must be greater than -1 (-100 %)")
    years = np.asarray(years, dtype=int)
    k = 1 if timing == "end" else 0
    d = (1.0 + rate) ** (-(years - base_year + k).astype(float))
    return pd.Series(d, index=pd.Index(years, name="year"), name="discount_factor")


def npv(flows: pd.Series, factors: pd.Series) -> float:
    """Net present value Σ_t F_t d_t of yearly flows (index ``year``), in the flows' unit × yr."""
    return float((flows * factors.reindex(flows.index)).sum())


def payback(net: pd.Series) -> tuple[int | None, float | None]:
    """Payback of a yearly net flow: the year the cumulative flow first becomes ≥ 0, and the period [yr].

    The period is the static payback period of 《建设项目经济评价方法与参数》(第三版, 2006)
    (formula as widely quoted; the primary text was not read):

    .. math:: P_t = (T - 1) + \\frac{|\\sum_{t=1}^{T-1} F_t|}{F_T}

    with years counted from 1 and *T* the first year whose cumulative flow is ≥ 0.
    Applied to discounted flows it gives the dynamic payback period.

    Parameters
    ----------
    net
        Net flow per year (index ``year``), e.g. CNY/yr.

    Returns
    -------
    (year, period)
        Calendar year *T* and P_t [yr]; ``(None, None)`` if the cumulative flow stays negative.
    """
    cum = net.cumsum().to_numpy()
    hits = np.flatnonzero(cum >= 0)
    if not len(hits):
        return None, None
    i = int(hits[0])
    before = float(cum[i - 1]) if i > 0 else 0.0
    this = float(net.iloc[i])
    period = i + (abs(before) / this if this > 0 else 0.0)
    return int(net.index[i]), float(period)


def check_schedule(s: Schedule) -> None:
    """Raise :class:`ConfigError` naming the key for an impossible schedule."""
    w = s.where
    if int(s.horizon) != s.horizon or s.horizon < 1:
        raise ConfigError(f"{w}: horizon must be a whole number of years ≥ 1, got {s.horizon!r}")
    if s.discount_rate <= -1 or np.isnan(s.discount_rate):
        raise ConfigError(f"{w}: discount_rate {s.discount_rate!r} must be greater than -1 (-100 %)")
    last = s.start_year + s.horizon - 1
    for y in s.construction_years:
        if not s.start_year <= y <= last:
            raise ConfigError(
                f"{w}: construction year {y} is outside the appraisal horizon {s.start_year}–{last} "
                f"(start_year {s.start_year}, horizon {s.horizon} yr)"
            )
    cumulative_ramp(s.ramp_up, where=f"{w}: ramp_up")
    if s.timing not in TIMINGS:
        raise ConfigError(f"{w}: timing {s.timing!r} is not one of {TIMINGS}")
