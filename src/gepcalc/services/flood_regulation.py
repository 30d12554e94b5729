"""Flood regulation (洪水调蓄): storm water held by vegetation, lakes, reservoirs and marshes."""

from __future__ import annotations

import numpy as np
import xarray as xr

from gepcalc.errors import MissingInputError
from gepcalc.services._refs import MEE_2020, NDRC_2022, OUYANG_2013
from gepcalc.services.base import Item, Param, Reference, Service, ServiceSpec, TableRef, attach, counted
from gepcalc.units import factor

_MM_M2_TO_M3 = factor("mm * m**2", "m**3")
_M2_TO_KM2 = factor("m**2", "km**2")
#: the lake regressions give the storage in units of 10⁴ m³ (万立方米)
LAKE_REGRESSION_UNIT_M3 = factor("万 * m**3", "m**3")

ITEMS = (
    Item("vegetation", "植被调蓄", "vegetation and soil"),
    Item("lake", "湖泊调蓄", "lakes"),
    Item("reservoir", "水库调蓄", "reservoirs"),
    Item("marsh", "沼泽调蓄", "marshes"),
)


def _const(item: str) -> TableRef:
    return TableRef("constants", "value", row=item)


class FloodRegulation(Service):
    """Flood regulation: storm-water storage of vegetation, lakes, reservoirs and marshes.

    Physical quantity [m³ yr⁻¹] (MEE 2020 guide, 洪水调蓄; Ouyang et al. 2013;
    Garze 2017 §2.4.4), one item per component:

    .. math::

        C_v = \\sum_i P_s (1 - \\alpha_i) A_i, \\quad
        C_l = e^{a} A_l^{b} \\, T \\cdot 10^4, \\quad
        C_r = 0.35\\, V_r, \\quad
        C_m = d_m A_m

    * vegetation: storm rainfall P_s [mm yr⁻¹] not running off (α_i storm-runoff
      coefficient of type i) on vegetated types (the form is not confirmed in the
      standards' text);
    * lakes: regression of the storage C_l [10⁴ m³ yr⁻¹] on the lake area A_l [km²]
      for the national evaluation zone of the region's lakes (Rao et al. 2014, 生态学报
      34(21):6225, five zones), times T, the number of water exchanges a year [yr⁻¹]
      (Garze 2017 §2.4.4: C_l = e^6.636 · A^0.678 · T for the Qinghai–Tibet zone, T = 1).
      The zone is chosen per region (``inputs={"lake_zone": {"all": "青藏高原"}}``,
      table ``lake_regression``); nothing is assumed: a region with lakes and no zone
      (or a zone whose coefficients were not read, an empty row) stops the account,
      which names the zones and the table. ``lake_a``/``lake_b``/``lake_exchanges`` given per
      region replace the table's. Each region's open water counts as one lake, so give
      lakes as their own regions where a region holds several;
    * reservoirs: flood-control share (0.35) of the total capacity V_r [m³] of the
      region's reservoirs (from a reservoir register), assigned to open water. Where a
      region has a reservoir capacity (> 0), its open water is the reservoirs' and is
      not counted again as lake; lakes beside the reservoirs are counted only from a
      lake area the user gives (``lake_area`` [km²] per region);
    * marshes: surface storage depth d_m (0.3 m) × marsh area.

    The account's notes say, region by region, how the open water was counted.
    Value [CNY yr⁻¹] = ΣC × reservoir construction cost per m³ (shadow project).
    """

    spec = ServiceSpec(
        id="flood_regulation",
        name_zh="洪水调蓄",
        name_en="Flood regulation",
        category="regulating",
        quantity_unit="m**3 / yr",
        quantity_name="storm water stored",
        method="storage_components",
        items=ITEMS,
        additive_items=True,
        params=(
            Param(
                "storm_rainfall",
                "mm / yr",
                "rainfall of storm events per year",
                symbol="P_s",
                example="300 mm/yr",
                needed_by=("vegetation",),
            ),
            Param(
                "storm_runoff_coefficient",
                "dimensionless",
                "storm runoff / rainfall",
                TableRef("water_conservation", "runoff_coefficient"),
                symbol="α_i",
            ),
            Param(
                "vegetation",
                "dimensionless",
                "1 for types whose vegetation and soil store storm water",
                TableRef("flood_regulation", "vegetation"),
                kinds=("per_ecosystem",),
            ),
            Param(
                "marsh",
                "dimensionless",
                "1 for marsh types",
                TableRef("flood_regulation", "marsh"),
                kinds=("per_ecosystem",),
            ),
            Param(
                "marsh_depth",
                "m",
                "surface storage depth of marshes",
                _const("marsh_flood_storage_depth"),
                ("scalar",),
                "d_m",
            ),
        ),
        region_params=(
            Param(
                "reservoir_capacity",
                "m**3",
                "total capacity of the region's reservoirs (> 0: the region's open water is reservoir)",
                kinds=("per_region",),
                example="0 m**3",
                optional=True,
                symbol="V_r",
            ),
            Param(
                "reservoir_flood_share",
                "dimensionless",
                "flood-control share of reservoir capacity",
                _const("reservoir_flood_share"),
                ("per_region",),
            ),
            Param(
                "lake_area",
                "km**2",
                "area of the region's lakes where it differs from its open water (e.g. lakes beside reservoirs)",
                kinds=("per_region",),
                optional=True,
                symbol="A_l",
            ),
            Param(
                "lake_a",
                "dimensionless",
                "lake regression intercept a (ln of 10⁴ m³) of the region's lake zone (input lake_zone)",
                TableRef("lake_regression", "a", row="{lake_zone}"),
                ("per_region",),
                example="6.636",
                symbol="a",
            ),
            Param(
                "lake_b",
                "dimensionless",
                "lake regression exponent b of the region's lake zone (input lake_zone)",
                TableRef("lake_regression", "b", row="{lake_zone}"),
                ("per_region",),
                example="0.678",
                symbol="b",
            ),
            Param(
                "lake_exchanges",
                "1 / yr",
                "number of times a year the lakes' water is exchanged (换水次数) T",
                TableRef("lake_regression", "exchanges", row="{lake_zone}"),
                ("per_region",),
                example="1 / yr",
                symbol="T",
            ),
        ),
        value_params=(
            Param(
                "price",
                "CNY / m**3",
                "reservoir construction cost per m³ of storage",
                TableRef("prices", "price", row="water_storage_cost"),
                ("scalar",),
            ),
        ),
        references=(
            MEE_2020,
            NDRC_2022,
            OUYANG_2013,
            Reference(
                "白玛卓嘎 等. 甘孜藏族自治州生态系统生产总值核算研究. 生态学报 37(19)", clause="§2.4.4", year=2017
            ),
            Reference(
                "饶恩明, 肖燚, 欧阳志云, 江波, 严登华. 中国湖泊水量调节能力及其动态变化. 生态学报 34(21):6225-6231",
                clause="five lake evaluation zones (coefficients other than Qinghai–Tibet not read)",
                year=2014,
            ),
        ),
        tables=("flood_regulation", "water_conservation", "lake_regression", "constants", "prices"),
    )

    @staticmethod
    def physical(area, storm_rainfall, storm_runoff_coefficient, vegetation, marsh, marsh_depth):
        """Vegetation and marsh storage [m³/yr] per pixel; lakes and reservoirs are added per region."""
        if storm_rainfall is None:  # the account does not compute the vegetation item (no storm rainfall needed)
            storm_rainfall = 0.0 * attach(1.0, "mm/yr", area)
        veg = counted(vegetation, storm_rainfall * (1 - storm_runoff_coefficient) * area * _MM_M2_TO_M3)
        mar = counted(marsh, marsh_depth * area) / attach(1.0, "yr", marsh_depth)  # filled once per year
        zero = veg * 0
        parts = [veg, zero, zero, mar]
        if isinstance(veg, xr.DataArray) or isinstance(mar, xr.DataArray):
            parts = [p if isinstance(p, xr.DataArray) else xr.DataArray(p) for p in parts]
            return xr.concat(xr.broadcast(*parts), dim=xr.Variable("item", [i.id for i in ITEMS]))
        return np.stack(np.broadcast_arrays(*parts)) if not hasattr(veg, "units") else _stack_quantities(parts)

    @staticmethod
    def regional(quantity, area, reservoir_capacity, reservoir_flood_share, lake_area, lake_a, lake_b, lake_exchanges):
        """Add lakes (regression on the lake area) and reservoirs (share of capacity) per region.

        Open water [m²] of a region with a reservoir capacity > 0 is counted as reservoir;
        otherwise as lake (area = ``lake_area`` if given, else the open water). The result's
        ``attrs["notes"]`` say how each region's water was counted.
        """
        if "water" not in quantity["ecosystem"].values:
            return quantity
        regions = quantity["region"]
        water_km2 = area.sel(ecosystem="water") * _M2_TO_KM2
        zero = xr.zeros_like(water_km2)
        capacity = zero if reservoir_capacity is None else reservoir_capacity.reindex_like(water_km2).fillna(0.0)
        has_reservoir = capacity > 0
        given_lake = None if lake_area is None else lake_area.reindex_like(water_km2)
        lake_km2 = xr.where(has_reservoir, 0.0, water_km2)
        if given_lake is not None:
            lake_km2 = xr.where(given_lake.notnull(), given_lake, lake_km2)
        items = list(quantity["item"].values)
        notes = []
        lake = zero
        if "lake" in items:
            needs = [str(r) for r in regions.values if float(lake_km2.sel(region=r)) > 0]
            for p in (lake_a, lake_b, lake_exchanges):
                why = p.attrs.get("missing", {})
                lacking = [r for r in needs if np.isnan(float(p.sel(region=r)))]
                if lacking:
                    raise MissingInputError(why.get(lacking[0]) or f"no value for region(s) {lacking}")
            a_, b_, t_ = (x.reindex_like(water_km2) for x in (lake_a, lake_b, lake_exchanges))
            lake = xr.where(
                lake_km2 > 0,
                np.exp(a_) * lake_km2.where(lake_km2 > 0, 1.0) ** b_ * t_ * LAKE_REGRESSION_UNIT_M3,
                0.0,
            )
            zones = lake_a.attrs.get("rows", {})
            for r in needs:
                zone = f"zone {zones[r]}, " if r in zones else ""
                notes.append(
                    f"flood_regulation, region {r}: lake {float(lake_km2.sel(region=r)):.6g} km² "
                    + (
                        "(lake_area given)"
                        if given_lake is not None and bool(given_lake.sel(region=r).notnull())
                        else "(its open water)"
                    )
                    + f" counted as lake ({zone}a = {float(a_.sel(region=r)):g}, b = {float(b_.sel(region=r)):g}, "
                    f"T = {float(t_.sel(region=r)):g}/yr): {float(lake.sel(region=r)):,.6g} m³/yr"
                )
        reservoir = reservoir_flood_share * capacity
        for r in regions.values:
            if bool(has_reservoir.sel(region=r)) and float(water_km2.sel(region=r)) > 0:
                notes.append(
                    f"flood_regulation, region {r}: open water {float(water_km2.sel(region=r)):.6g} km² counted as "
                    f"reservoir ({float(reservoir_flood_share.sel(region=r)):g} × capacity "
                    f"{float(capacity.sel(region=r)):,.6g} m³), not as lake"
                )
        out = quantity.copy()
        for name, amount in (("lake", lake), ("reservoir", reservoir)):
            if name in items:
                here = (out["item"] == name) & (out["ecosystem"] == "water")
                out = xr.where(here, amount, out).transpose(*quantity.dims)
        out.attrs["notes"] = notes
        return out


def _stack_quantities(parts):
    """Stack pint quantities along a new first axis (the units check of the conformance kit)."""
    unit = parts[0].units
    return np.stack(np.broadcast_arrays(*[p.to(unit).magnitude for p in parts])) * unit
