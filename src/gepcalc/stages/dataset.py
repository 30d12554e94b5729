"""The account's :class:`xarray.Dataset`: quantities, values and areas with their names and units.

:func:`account_dataset` stacks the services' quantities and values (raster and lines alike) on
``service × item × region × ecosystem × scenario × year`` beside the area, and labels them:
service names (中文/English), category, method, basis (raster or lines), the unit of each item,
ecosystem names, and the account's attributes (profile, land cover, price year, version).
Computing a quantity is not done here (:mod:`gepcalc.stages.quantities`, :mod:`gepcalc.stages.by_lines`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from gepcalc._version import __version__
from gepcalc.landscape import Landscape, ecosystem_types
from gepcalc.lines import UNALLOCATED, ValuedLines, item_unit
from gepcalc.profiles import Profile
from gepcalc.result import NO_ITEM
from gepcalc.services.base import Service
from gepcalc.units import VALUE_UNIT, ureg


def quantity_units(
    quantities: Mapping[str, xr.DataArray], services: Sequence[type[Service]], valued: ValuedLines
) -> dict[tuple[str, str], str]:
    """Quantity unit of every (service, item): the line's where given by lines, else the service's."""
    out = {}
    for cls in services:
        q = quantities[cls.spec.id]
        for item in q["item"].values if "item" in q.dims else [NO_ITEM]:
            out[(cls.spec.id, str(item))] = valued.units.get((cls.spec.id, str(item)), item_unit(cls.spec, str(item)))
    return out


def item_names(services: Sequence[type[Service]], valued: ValuedLines) -> dict[str, tuple[str, str]]:
    """Chinese and English name of every item: the services' own, else the lines' (or the item's id)."""
    names = {NO_ITEM: ("", "")} | {i.id: (i.name_zh, i.name_en) for c in services for i in c.spec.items}
    for r in valued.lines.itertuples() if len(valued.lines) else ():
        if r.item and (r.item not in names or r.name_zh or r.name_en):
            old = names.get(r.item, (r.item, r.item))
            names[r.item] = (r.name_zh or old[0], r.name_en or old[1])
    return names


def account_dataset(
    services: Sequence[type[Service]],
    quantities: Mapping[str, xr.DataArray],
    values: Mapping[str, xr.DataArray],
    area: xr.DataArray,
    land: Landscape | None,
    *,
    units: Mapping[tuple[str, str], str],
    names: Mapping[str, tuple[str, str]],
    from_lines: set[str] | frozenset[str],
    year: int | None,
    price_year: int | None,
    scenario: str,
    profile: Profile,
    title: str,
) -> xr.Dataset:
    """The account's Dataset (see module docstring).

    A ``year`` not given is a float NaN coordinate of the size-1 ``year`` dimension, a
    ``price_year`` not given is ``attrs["price_year"] = None``: missing, not a made-up year.  A NaN
    coordinate keeps every dimension of the account (views, ``sel``, :func:`gepcalc.result.concat`
    along scenarios) working unchanged and shows as an empty cell in the tidy table, its CSV and
    workbook; :func:`gepcalc.result.known_year` reads either as None.
    """
    ds = _stacked([c.spec.id for c in services], quantities, values, area)
    ds = _labelled(ds, services, units, names, from_lines)
    ds = ds.expand_dims(scenario=[scenario], year=[year if year is not None else np.nan])
    ds = ds.transpose("service", "item", "region", "ecosystem", "scenario", "year")
    ds["quantity"].attrs["description"] = "physical quantity, unit in coordinate item_unit; NaN: no such item"
    ds["value"].attrs["units"] = VALUE_UNIT
    ds["area"].attrs["units"] = "m**2"
    ds.attrs.update(
        title=title,
        profile=profile.id,
        profile_version=profile.version,
        profile_document=profile.document,
        landcover=land.source if land is not None else "",
        landcover_classes=land.mapping.name if land is not None and land.mapping else "",
        price_year=price_year if price_year else None,
        nodata_pixels=land.nodata_pixels if land is not None else 0,
        gepcalc_version=__version__,
    )
    return ds


def _with_item(da: xr.DataArray) -> xr.DataArray:
    return da if "item" in da.dims else da.expand_dims(item=[NO_ITEM])


def _stacked(ids: list[str], quantities, values, area: xr.DataArray) -> xr.Dataset:
    """Quantity, value and area on ``service × item × region × ecosystem`` (``not allocated`` where lines need it).

    Items differ between services: the union is the ``item`` dimension, NaN where a service lacks an item.
    """
    ecos = list(area["ecosystem"].values)
    if any(
        UNALLOCATED in d["ecosystem"] and bool((d.sel(ecosystem=UNALLOCATED) != 0).any())
        for d in (*quantities.values(), *values.values())
    ):
        ecos.append(UNALLOCATED)

    def full(d):
        # scalar coordinates (rioxarray's `spatial_ref` on raster services, none on lines) would make
        # xr.concat refuse the mix of two or more raster services with lines: none is part of an account
        d = d.drop_vars([c for c in d.coords if c not in d.dims and d[c].ndim == 0])
        return _with_item(d).reindex(ecosystem=ecos, fill_value=0.0)

    q = xr.concat([full(quantities[s]) for s in ids], dim=pd.Index(ids, name="service"), join="outer")
    v = xr.concat(
        [full(values[s].broadcast_like(quantities[s])) for s in ids], dim=pd.Index(ids, name="service"), join="outer"
    )
    return xr.Dataset(
        {
            "quantity": q.transpose("service", "item", "region", "ecosystem"),
            "value": v.transpose("service", "item", "region", "ecosystem"),
            "area": area.reindex(ecosystem=ecos, fill_value=0.0).transpose("region", "ecosystem"),
        },
    )


def _labelled(ds: xr.Dataset, services, units, names, from_lines) -> xr.Dataset:
    """``ds`` with its coordinates: names, category, units, method and basis per service, names per item and type."""
    ids = [c.spec.id for c in services]
    ecos = list(ds["ecosystem"].values)
    item_unit = [
        [f"{ureg.Unit(units[(s, str(i))]):~C}" if (s, str(i)) in units else "" for i in ds["item"].values] for s in ids
    ]
    et = ecosystem_types()
    zh = {**et.data["name_zh"].to_dict(), UNALLOCATED: "未分配"}
    en = {**et.data["name_en"].to_dict(), UNALLOCATED: "not allocated to a type"}
    return ds.assign_coords(
        category=("service", [c.spec.category for c in services]),
        name_zh=("service", [c.spec.name_zh for c in services]),
        name_en=("service", [c.spec.name_en for c in services]),
        quantity_unit=("service", [c.spec.quantity_unit for c in services]),
        quantity_name=("service", [c.spec.quantity_name for c in services]),
        method=("service", [c.spec.method for c in services]),
        additive_items=("service", [bool(c.spec.additive_items) for c in services]),
        basis=("service", ["lines" if c.spec.id in from_lines else "raster" for c in services]),
        item_unit=(("service", "item"), np.array(item_unit, dtype=object)),
        item_zh=("item", [names.get(i, (i, i))[0] for i in ds["item"].values]),
        item_en=("item", [names.get(i, (i, i))[1] for i in ds["item"].values]),
        ecosystem_zh=("ecosystem", [zh.get(e, "全部") for e in ecos]),
        ecosystem_en=("ecosystem", [en.get(e, "all") for e in ecos]),
    )
