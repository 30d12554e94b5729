"""Maps of an account's values: each region × ecosystem value spread over its pixels by area.

Statistics (yearbook production, visitors) are reported by region and allocated
to ecosystem types by area (:mod:`gepcalc.lines`); to map them, each region ×
ecosystem value :math:`V_{re}` [CNY/yr] is spread over the cells of that type in
that region in proportion to cell area:

.. math:: v_{px} = V_{re} \\, a_{px} / A_{re}

so the map sums exactly to the account over every region × type that has pixels
(lines reported as ``unallocated`` have none and are not mapped).  The same
spreading maps raster services whose values come from rules on region totals.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from gepcalc.landscape import Landscape, build_landscape
from gepcalc.profiles import load_profile
from gepcalc.zonal import cell_codes, on_grid


def spread_by_area(data: xr.Dataset, land: Landscape, services: Sequence[str] | None = None) -> xr.DataArray:
    """Value per pixel [CNY/yr] of ``services`` (default: all), spread by area (lazy, on ``land``'s grid).

    Parameters
    ----------
    data
        An account's Dataset (one scenario and year, or they are summed).
    land
        The landscape the account was computed on (same regions and ecosystem types).
    services
        Service ids to map; their values are summed.
    """
    data = data.sum([d for d in ("scenario", "year") if d in data.dims])
    value = data["value"] if services is None else data["value"].sel(service=list(services))
    value = value.sum([d for d in ("service", "item") if d in value.dims])
    value = value.reindex(region=land.region_names, ecosystem=land.ecosystem_ids, fill_value=0.0)
    area = data["area"].reindex(region=land.region_names, ecosystem=land.ecosystem_ids, fill_value=0.0)
    per_m2 = (value / area.where(area > 0)).fillna(0.0).transpose("region", "ecosystem").values.ravel()
    lut = np.concatenate([[0.0], per_m2])  # region-major, like the account's cell code; 0 = no region/type
    cell = cell_codes(land) + 1
    density = xr.apply_ufunc(lambda b: lut[b], cell, dask="parallelized", output_dtypes=["float64"])
    out = density * on_grid(land.area, land)  # cell areas [m²] (a scalar on projected grids)
    out.attrs.update(units="CNY / yr", description="value per pixel, region × ecosystem values spread by area")
    return out.rename("value")


def value_map(
    acct,
    landcover: Any,
    regions: Any = None,
    *,
    services: Sequence[str] | None = None,
    region_field: str | None = None,
    region_name: str | None = None,
    landcover_classes: Any = None,
    chunks: Any = True,
) -> xr.DataArray:
    """Map an account's values [CNY/yr per pixel] on the land cover and regions it was computed on.

    Give the same ``landcover``, ``regions`` (and ``region_field``/``region_name``,
    ``landcover_classes``) as to :func:`gepcalc.account`; write the result with
    ``.rio.to_raster("value.tif")``.
    """
    classes = landcover_classes or load_profile(acct.data.attrs.get("profile", "mee-2020")).landcover_classes
    land = build_landscape(
        landcover,
        classes=None if landcover_classes is False else classes,
        regions=regions,
        region_field=region_field,
        region_name=region_name,
        chunks=chunks,
    )
    out = spread_by_area(acct.data, land, services)
    return out.rio.write_crs(land.landcover.rio.crs)
