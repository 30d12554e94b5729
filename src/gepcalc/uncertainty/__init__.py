r"""Uncertainty of a county account: seeded Monte Carlo over declared ranges, and sensitivity.

``gepcalc.account(..., uncertainty=N, seed=S)`` draws every coefficient the account used that
declares a range in its table (``X_low``/``X_high``, ``docs/tables.md``, "Ranges") — physical
coefficients (rates, capacities, runoff coefficients) and prices alike — and reports the mean and
the 90 % interval (P05, P95) of GEP, of each category, service, region and row.  A coefficient
whose table row has no range is held at its value, and the notes say so: no range is invented.

**Draws.**  A coefficient c is scaled by a factor :math:`\varphi_c` drawn from a triangular
distribution (low/value, mode 1, high/value; :func:`gepcalc.project.draw_factors`, the same
generator as the project Monte Carlo), in every service and region that uses it (the forest
sequestration rate moves carbon and oxygen together).

**How a draw is evaluated** (:class:`Engine`; no raster work per draw where the quantity is
linear in the coefficient):

* *value parameters* (prices, contents): the service's own ``value()`` is evaluated on the
  account's quantities with the parameter × φ, all draws at once (exact for any value rule);
* *region parameters* (``regional()`` inputs such as the reservoir flood share): ``regional()``
  is re-run on the zonal sums with the parameter × φ (exact; the per-region rules, e.g.
  min(load, capacity), are not linear);
* *physical parameters declared multiplicative* (:data:`LINEARITY`): the quantity is
  proportional to the coefficient, so the zonal sum of its ecosystem type (every type for a
  constant) is scaled: :math:`S' = S\,\varphi_c`;
* *physical parameters declared affine* (the water-balance runoff coefficient,
  :math:`Q = (P - \alpha P - ET) A`): one extra zonal pass with the parameter doubled gives
  :math:`D = S(2X) - S(X)`, and :math:`S' = S + (\varphi_c - 1) D` — exact for an affine
  quantity; per-type coefficients of one parameter act on disjoint pixels, so one pass serves
  them all.  Two different affine parameters of one service are not jointly affine
  (:math:`P\alpha`), so such a service is recomputed;
* *other physical parameters* (Budyko, RUSLE's LS, RWEQ, anything not declared): the service's
  ``physical()`` is recomputed **on the full grid** for every draw (one zonal pass for all
  draws, n × the service's raster cost; no coarsened sample is used, so keep n small there).

Area corrections (``account(areas=...)``), ``regional()``, ``value()`` and the profile's
double-counting rules are then applied to every draw as in the account.  Each draw is anchored
to the account: draw = point value + (engine(φ) − engine(1)), so ranges of zero width give the
point account exactly, bit for bit, and services given by lines (reported quantities) stay at
their point values (noted).

**Where it lives.**  :mod:`~gepcalc.uncertainty.coefficients` (which coefficients are drawn,
:data:`LINEARITY`), :mod:`~gepcalc.uncertainty.engine` (evaluating draws),
:mod:`~gepcalc.uncertainty.per_draw` (a service's rules on a ``draw`` dim),
:mod:`~gepcalc.uncertainty.result` (:class:`AccountUncertainty`, the intervals in the views),
:mod:`~gepcalc.uncertainty.sensitivity` (one at a time, Sobol, tornado); this module runs the
Monte Carlo (:func:`monte_carlo`, :func:`attach`) and re-exports their public names.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from gepcalc.errors import ConfigError
from gepcalc.uncertainty.coefficients import LINEARITY, Use, linearity, ranged_coefficients
from gepcalc.uncertainty.engine import BATCH_VALUES, Engine
from gepcalc.uncertainty.ranges import draw_factors
from gepcalc.uncertainty.result import QUANTILES, AccountUncertainty, coefficient_table
from gepcalc.uncertainty.sensitivity import one_at_a_time, sobol, tornado

__all__ = [
    "BATCH_VALUES",
    "LINEARITY",
    "QUANTILES",
    "AccountUncertainty",
    "Engine",
    "Use",
    "attach",
    "coefficient_table",
    "linearity",
    "monte_carlo",
    "one_at_a_time",
    "ranged_coefficients",
    "sobol",
    "tornado",
]


def monte_carlo(acct, n: int, seed: int | None = None, distribution: str = "triangular"):
    """Draw the account ``n`` times (see module docstring) and return :class:`AccountUncertainty`.

    Parameters
    ----------
    acct
        The point account, with its ``context`` (what it was computed from, :mod:`gepcalc.context`).
    n
        Number of draws (≥ 1).
    seed
        Random seed (None = 0); the same seed gives the same draws, bit for bit.
    distribution
        ``triangular`` (default: low, mode the table value, high), ``uniform`` or ``pert``.
    """
    if int(n) != n or n < 1:
        raise ConfigError(f"account(uncertainty={n!r}): the number of draws must be a whole number ≥ 1")
    seed = 0 if seed is None else int(seed)
    eng = Engine(acct, batch_values=BATCH_VALUES)  # the package-level setting, read at call time
    phi = draw_factors(eng.coefficients, int(n), seed, distribution)
    point = acct.data["value"].isel(scenario=0, year=0, drop=True)
    delta = eng.delta(phi.to_numpy()) if len(eng.coefficients) else None
    affected = (
        [s for s in delta["service"].values if bool((delta.sel(service=s) != 0).any())] if delta is not None else []
    )
    return AccountUncertainty(
        delta=delta.sel(service=affected) if affected else _no_delta(int(n), point),
        point=point,
        factors=phi,
        coefficients=coefficient_table(eng),
        n=int(n),
        seed=seed,
        distribution=distribution,
        notes=[*eng.held, *eng.notes, *_line_notes(eng)],
        engine=eng,
    )


def _no_delta(n: int, point: xr.DataArray) -> xr.DataArray:
    """No service moves: a change of shape (draw, 0 services, items, regions, types)."""
    like = point.isel(service=slice(0, 0)).transpose("service", "item", "region", "ecosystem")
    return xr.zeros_like(like).expand_dims(draw=np.arange(n)).copy()


def _line_notes(eng: Engine) -> list[str]:
    """The note naming the services given by lines, which stay at their reported values."""
    lines = [c.spec.id for c in eng.classes if c not in eng.raster]
    return [f"services given by lines held at their reported values: {', '.join(lines)}"] if lines else []


def attach(acct, n: int, seed: int | None = None) -> None:
    """Compute :func:`monte_carlo` and hang it on the account (``acct.uncertainty``), with its notes."""
    acct.uncertainty = monte_carlo(acct, n, seed)
    acct.notes.extend(acct.uncertainty.notes_text())
