"""A service's rules evaluated for every draw of a Monte Carlo run at once (dimension ``draw``).

:func:`per_draw` (``value()`` and the like) and :func:`regional_draws` (``regional()``) try the rule
on arrays carrying a ``draw`` dim and fall back, for a rule written for one draw, to regions
stacked with draws or to one call per draw; :func:`stack_services` puts the values of all services
into one array, :func:`times` scales a parameter by a factor.  Nothing here draws factors or reads
the account: that is :class:`gepcalc.uncertainty.engine.Engine`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr


def times(x, f):
    """x × f for a float, a per-pixel or a per-ecosystem DataArray, or None."""
    if x is None:
        return None
    if isinstance(f, xr.DataArray) and not isinstance(x, xr.DataArray) and np.ndim(x):
        x = xr.DataArray(x)
    return x * f


def per_draw(fn, q: xr.DataArray, kw: dict) -> xr.DataArray:
    """``fn(q, **kw)`` on all draws at once, or draw by draw where the rule does not broadcast."""
    try:
        out = fn(q, **kw)
        if isinstance(out, xr.DataArray) and "draw" in out.dims:
            return out
    except Exception:  # a rule written for one draw (numpy on .values, scalar comparisons)
        pass
    n = q.sizes["draw"] if "draw" in q.dims else next(v.sizes["draw"] for v in kw.values() if _has_draw(v))
    parts = []
    for d in range(n):
        qd = q.isel(draw=d, drop=True) if "draw" in q.dims else q
        kd = {k: (v.isel(draw=d, drop=True) if _has_draw(v) else v) for k, v in kw.items()}
        parts.append(fn(qd, **kd))
    return xr.concat(parts, dim="draw").assign_coords(draw=np.arange(n))


def regional_draws(cls, q: xr.DataArray, area: xr.DataArray, kw: dict) -> xr.DataArray:
    """``cls.regional`` for every draw: at once; else with draws stacked as regions; else draw by draw.

    A per-region rule treats each region on its own (``DESIGN.md``, per-region rules), so draw d of
    region r can be handed to it as a region of its own, ``"r␟d"``: one call for all draws (rules
    written with per-region ``float(...sel(region=r))`` do not broadcast an extra dim).
    """
    try:
        out = cls.regional(q, area, **kw)
        if isinstance(out, xr.DataArray) and "draw" in out.dims:
            return out
    except Exception:
        pass
    try:
        return _stacked_regions(cls, q, area, kw)
    except Exception:  # a rule that looks across regions: draw by draw
        return per_draw(lambda x, **k: cls.regional(x, area, **k), q, kw)


def _stacked_regions(cls, q: xr.DataArray, area: xr.DataArray, kw: dict) -> xr.DataArray:
    """``cls.regional`` on all draws in one call, draw d of region r passed as the region ``"r␟d"``."""
    n = q.sizes["draw"] if "draw" in q.dims else next(v.sizes["draw"] for v in kw.values() if _has_draw(v))
    regions = [str(r) for r in q["region"].values]
    labels = [f"{r}\u241f{d}" for d in range(n) for r in regions]
    draws = xr.DataArray(np.arange(n), dims="draw", coords={"draw": np.arange(n)})

    def flat(x):
        if not isinstance(x, xr.DataArray) or "region" not in x.dims:
            return x
        attrs = dict(x.attrs)
        x = x.broadcast_like(draws) if "draw" not in x.dims else x
        rest = [d for d in x.dims if d not in ("draw", "region")]
        x = x.transpose("draw", "region", *rest)
        out = xr.DataArray(
            x.values.reshape(n * len(regions), *x.shape[2:]),
            dims=("region", *rest),
            coords={"region": labels, **{d: x[d].values for d in rest if d in x.coords}},
        )
        out.attrs = attrs
        return out

    res = cls.regional(flat(q), flat(area), **{k: flat(v) for k, v in kw.items()})
    rest = [d for d in res.dims if d != "region"]
    res = res.transpose("region", *rest)
    return xr.DataArray(
        res.values.reshape(n, len(regions), *res.shape[1:]),
        dims=("draw", "region", *rest),
        coords={
            "draw": np.arange(n),
            "region": q["region"].values,
            **{d: res[d].values for d in rest if d in res.coords},
        },
    )


def _has_draw(v) -> bool:
    """Whether ``v`` is a DataArray with a ``draw`` dim."""
    return isinstance(v, xr.DataArray) and "draw" in v.dims


def stack_services(values: dict[str, xr.DataArray]) -> xr.DataArray:
    """The values of each service [CNY/yr] in one array, dims ``draw, service, item, region, ecosystem``."""

    def full(v):
        v = v.drop_vars([c for c in v.coords if c not in v.dims])  # spatial_ref and other scalar coords
        v = v if "item" in v.dims else v.expand_dims(item=[""])
        return v.transpose("draw", "item", "region", "ecosystem")

    ids = list(values)
    return xr.concat([full(values[s]) for s in ids], dim=pd.Index(ids, name="service"), join="outer").transpose(
        "draw", "service", "item", "region", "ecosystem"
    )
