"""Maps of where the value changes: ΔGEP per pixel [CNY/yr], lazy, written as GeoTIFF and PNG.

Per pixel, for each state and service:

* **per-pixel services** (no ``regional()`` rule of their own, and value parameters
  that are not per region): value_px = value(Q_px, P_e) with the pixel's physical
  quantity Q_px and the price of its ecosystem type e; the map's sum over the
  boundary equals the account's value exactly (value is linear in Q).
* **other services** (rules on region totals such as min(load, capacity)): each
  region × ecosystem value V_re is spread over its pixels by area,
  value_px = V_re · a_px / A_re; the report says so.

ΔGEP_px = value_px(with project) − value_px(baseline); NaN outside the boundary.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import xarray as xr

from gepcalc.io import atomic
from gepcalc.maps import spread_by_area
from gepcalc.project.delta import State
from gepcalc.services.base import Service, on_pixels
from gepcalc.units import factor
from gepcalc.zonal import on_grid

PER_PIXEL = "per pixel"
SPREAD = "spread by area"


def map_method(state: State, cls: type[Service]) -> str:
    """``"per pixel"`` or ``"spread by area"`` (see the module docstring)."""
    if cls.regional is not Service.regional:
        return SPREAD
    vargs = state.context.value_arguments(cls)
    if any(isinstance(v, xr.DataArray) and "region" in v.dims for v in vargs.values()):
        return SPREAD
    return PER_PIXEL


def _param_on_pixels(v, land) -> object:
    """A value parameter on the pixels: floats stay, per-ecosystem arrays are looked up by each pixel's type."""
    if not isinstance(v, xr.DataArray) or "ecosystem" not in v.dims:
        return v
    v = v.sel(ecosystem=land.ecosystem_ids)
    others = [d for d in v.dims if d != "ecosystem"]
    if not others:
        return on_pixels(v.values, land.ecosystem)
    (dim,) = others  # item
    parts = [on_pixels(v.sel({dim: k}).values, land.ecosystem) for k in v[dim].values]
    return xr.concat(parts, dim=xr.Variable(dim, list(v[dim].values))).assign_coords({dim: list(v[dim].values)})


def _inside(land) -> xr.DataArray:
    return land.region > 0


def value_map(state: State, cls: type[Service]) -> xr.DataArray:
    """Value per pixel [CNY/yr] of one service in one state: 0 on nodata, NaN outside the boundary (lazy)."""
    ctx, sid = state.context, cls.spec.id
    land = ctx.land
    if map_method(state, cls) == PER_PIXEL:
        q = on_grid(cls.physical(area=land.area, **ctx.physical_arguments(cls)), land)
        if "item" in q.dims:
            q = q.sel(item=list(ctx.items_of(cls)))
        vargs = ctx.value_arguments(cls)
        v = cls.value(q, **{k: _param_on_pixels(x, land) for k, x in vargs.items()}) * cls.value_factor()
        if "item" in v.dims:
            v = v.sum("item", skipna=False)
        v = v.where(land.ecosystem > 0, 0.0)
    else:
        v = _spread(state, sid)
    return v.where(_inside(land)).rename(sid)


def _spread(state: State, sid: str) -> xr.DataArray:
    """Each region × ecosystem value spread over its pixels by area."""
    return spread_by_area(state.account.data, state.land, [sid])


def change_maps(base: State, with_: State) -> tuple[dict[str, xr.DataArray], dict[str, str]]:
    """ΔGEP per pixel [CNY/yr] of every service and ``"total"`` (lazy), and each service's map method."""
    maps, methods = {}, {}
    for cls in with_.classes:
        sid = cls.spec.id
        m = {map_method(base, cls), map_method(with_, cls)}
        methods[sid] = PER_PIXEL if m == {PER_PIXEL} else SPREAD
        if methods[sid] == PER_PIXEL:
            maps[sid] = value_map(with_, cls) - value_map(base, cls)
        else:
            maps[sid] = _spread(with_, sid).where(_inside(with_.land)) - _spread(base, sid).where(_inside(base.land))
    total = sum(maps.values()) if maps else xr.zeros_like(base.land.ecosystem, dtype="float64")
    maps["total"] = total
    crs = base.land.landcover.rio.crs
    for k in maps:
        maps[k] = maps[k].rename(k).rio.write_crs(crs)
        maps[k].attrs.update(units="CNY / yr", description=f"ΔGEP per pixel of {k} (with project − baseline)")
    return maps, methods


def write_geotiff(da: xr.DataArray, path: Path) -> Path:
    """Write a map (lazy, chunk by chunk) as a tiled float32 GeoTIFF with NaN as nodata."""
    out = da.astype("float32").rio.write_nodata(np.nan, encoded=False)
    out.attrs = {k: v for k, v in da.attrs.items() if isinstance(v, str | int | float)}
    with atomic(path) as tmp:
        out.rio.to_raster(tmp, tiled=True, compress="DEFLATE", lock=threading.Lock(), windowed=False)
    return path


def density_for_display(da: xr.DataArray, area: xr.DataArray, unit: str = "CNY / ha / yr", max_px: int = 800):
    """Values per area for a PNG, block-averaged to at most ``max_px`` pixels a side (numpy array, extent)."""
    dens = (da / area) * factor("CNY / m**2 / yr", unit)
    ny, nx = dens.sizes["y"], dens.sizes["x"]
    k = max(1, int(np.ceil(max(ny, nx) / max_px)))
    if k > 1:
        dens = dens.coarsen(y=k, x=k, boundary="pad").mean()
    arr = np.asarray(dens.values, dtype="float64")
    x0, y0, x1, y1 = da.rio.bounds()
    return arr, (min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1))
