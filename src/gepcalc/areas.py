"""Area corrections: a type's true area where the raster's pixels miss part of it.

``account(areas={region: {type: "573 km**2"}})``: after the zonal sum and before the per-region
rules, the area of that region × type and every extensive service's quantity of it are scaled by
f = given / raster area (a lake that 0.05° pixels see only partly). Exact for per-area services on
uniform inputs; otherwise it assumes the missed area has the mean intensity of the type's pixels.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import xarray as xr

from gepcalc.errors import ConfigError, MissingInputError, NodataError, RegionError, UnitError
from gepcalc.landscape import Landscape
from gepcalc.units import Q_, magnitude_in, to_quantity, unit_label


def area_corrections(areas: Mapping[str, Mapping[str, Any]] | None, land: Landscape | None) -> list[tuple]:
    """``account(areas=...)`` checked against the account: ``[(region, type, m², as given, source)]``.

    Checked before the raster pass: the region and the type must be in the account and the value an area.
    """
    if not areas:
        return []
    if land is None:
        raise ConfigError(
            "account(areas=...): area corrections scale raster quantities; this account has no land cover"
        )
    out = []
    for region, types in areas.items():
        if region not in land.region_names:
            raise RegionError(
                f"account(areas=...): region {region!r} is not in the account (regions: "
                f"{', '.join(map(str, land.region_names[:10]))}{' …' if len(land.region_names) > 10 else ''})"
            )
        if not isinstance(types, Mapping):
            raise ConfigError(f"account(areas=...): {region!r} must map ecosystem types to areas, got {types!r}")
        for eco, given in types.items():
            if eco not in land.ecosystem_ids:
                raise MissingInputError(
                    f"account(areas=...): ecosystem type {eco!r} of region {region!r} is not in the account "
                    f"(types: {', '.join(map(str, land.ecosystem_ids))})"
                )
            source = ""
            if isinstance(given, Mapping):
                source = str(given.get("source", ""))
                given = given.get("area", given.get("value"))
            where = f"account(areas=...) {region}/{eco}"
            if given is None:
                raise ConfigError(f"{where}: give the area, e.g. {{'area': '573 km**2', 'source': '…'}}")
            try:
                m2 = magnitude_in(given, "m**2", where=where)
            except UnitError as exc:
                raise UnitError(f"{exc} (an area correction is an area, e.g. '573 km**2')") from None
            if not m2 > 0:
                raise ConfigError(f"{where}: the area must be positive, got {given!r}")
            out.append((region, eco, m2, str(given), source))
    return out


def correct_areas(sums, corrections, classes_cls, origins: list[dict], notes: list[str] | None) -> xr.DataArray:
    """Scale ``__area__`` and every extensive service's sum of each corrected region × type (in place).

    :math:`f = A_{given} / A_{raster}`; returns the (corrected) area.  A type without pixels
    in the region is refused: there is nothing to scale.
    """
    area = sums["__area__"]
    if not corrections:
        return area
    f = xr.ones_like(area)
    for region, eco, m2, given, source in corrections:
        raster = float(area.sel(region=region, ecosystem=eco))
        if not raster > 0:
            raise NodataError(
                f"account(areas=...) {region}/{eco}: the land cover has no {eco!r} pixel in region {region!r}, so "
                f"there is no quantity to scale to {given}; map the type in the land cover (or give its quantities "
                "as lines)"
            )
        f.loc[{"region": region, "ecosystem": eco}] = m2 / raster
        q = to_quantity(given)
        unit = str(q.units)
        shown = Q_(raster, "m**2").to(unit)
        scaled = [c.spec.id for c in classes_cls if c.spec.extensive]
        if notes is not None:
            notes.append(
                f"{region}/{eco}: raster {shown.magnitude:,.4g} {unit_label(unit)}, "
                f"given {q.magnitude:,.6g} {unit_label(unit)}"
                + (f" ({source})" if source else "")
                + f": area and quantities of the type × {m2 / raster:.5g} ({', '.join(scaled) or 'no service'}); "
                "this assumes the area the pixels miss has the mean intensity of the type's pixels in the region"
            )
        origins.append(
            {
                "service": "",
                "parameter": "area",
                "table": "areas (account input)",
                "row": f"{region}/{eco}",
                "value": given,
                "source": source or "user input",
                "note": f"raster {raster:.6g} m²; factor {m2 / raster:.6g}",
            }
        )
    sums["__area__"] = area * f
    for c in classes_cls:
        if c.spec.extensive:
            sums[c.spec.id] = (sums[c.spec.id] * f).transpose(*sums[c.spec.id].dims)
    return sums["__area__"]
