"""Flood regulation (洪水调蓄): storm water held by vegetation, lakes, reservoirs and marshes."""

from __future__ import annotations

import numpy as np
import xarray as xr

from gepcalc.services._refs import MEE_2020, NDRC_2022, OUYANG_2013
from gepcalc.services.base import Item, Param, Reference, Service, ServiceSpec, TableRef, attach, counted
from gepcalc.units import factor

_MM_M2_TO_M3 = factor("mm * m**2", "m**3")
_M2_TO_KM2 = factor("m**2", "km**2")
#: the lake regressions give the storage in units of 10⁴ m³ (万立方米)
LAKE_REGRESSION_UNIT_M3 = 1e4

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
        C_l = e^{a} A_l^{b} \\cdot 10^4, \\quad
        C_r = 0.35\\, V_r, \\quad
        C_m = d_m A_m

    * vegetation: storm rainfall P_s [mm yr⁻¹] not running off (α_i storm-runoff
      coefficient of type i) on vegetated types (the form is unconfirmed in the
      standards' text);
    * lakes: regional regression of storage on lake area A_l [km²] (coefficients a,
      b chosen per region, e.g. e^6.636 A^0.678 for the Qinghai–Tibet plateau); each
      region's open water counts as one lake, so give lakes as their own regions
      where a region holds several;
    * reservoirs: flood-control share (0.35) of the total capacity V_r [m³] of the
      region's reservoirs (from a reservoir register), assigned to open water;
    * marshes: surface storage depth d_m (0.3 m) × marsh area.

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
        params=(
            Param("storm_rainfall", "mm / yr", "rainfall of storm events per year", symbol="P_s", example="300 mm/yr"),
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
                "total capacity of the region's reservoirs",
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
                "lake_a",
                "dimensionless",
                "lake regression intercept a (ln of 10⁴ m³)",
                _const("lake_regression_a"),
                ("per_region",),
            ),
            Param(
                "lake_b", "dimensionless", "lake regression exponent b", _const("lake_regression_b"), ("per_region",)
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
        ),
        tables=("flood_regulation", "water_conservation", "constants", "prices"),
    )

    @staticmethod
    def physical(area, storm_rainfall, storm_runoff_coefficient, vegetation, marsh, marsh_depth):
        """Vegetation and marsh storage [m³/yr] per pixel; lakes and reservoirs are added per region."""
        veg = counted(vegetation, storm_rainfall * (1 - storm_runoff_coefficient) * area * _MM_M2_TO_M3)
        mar = counted(marsh, marsh_depth * area) / attach(1.0, "yr", marsh_depth)  # filled once per year
        zero = veg * 0
        parts = [veg, zero, zero, mar]
        if isinstance(veg, xr.DataArray) or isinstance(mar, xr.DataArray):
            parts = [p if isinstance(p, xr.DataArray) else xr.DataArray(p) for p in parts]
            return xr.concat(xr.broadcast(*parts), dim=xr.Variable("item", [i.id for i in ITEMS]))
        return np.stack(np.broadcast_arrays(*parts)) if not hasattr(veg, "units") else _stack_quantities(parts)

    @staticmethod
    def regional(quantity, area, reservoir_capacity, reservoir_flood_share, lake_a, lake_b):
        """Add lakes (regression on each region's open-water area) and reservoirs (share of capacity)."""
        if "water" not in quantity["ecosystem"].values:
            return quantity
        a_km2 = area.sel(ecosystem="water") * _M2_TO_KM2
        lake = xr.where(a_km2 > 0, np.exp(lake_a) * a_km2**lake_b * LAKE_REGRESSION_UNIT_M3, 0.0)
        reservoir = reservoir_flood_share * (reservoir_capacity if reservoir_capacity is not None else 0.0)
        out = quantity.copy()
        items = list(out["item"].values)
        for name, amount in (("lake", lake), ("reservoir", reservoir)):
            if name in items:
                here = (out["item"] == name) & (out["ecosystem"] == "water")
                out = xr.where(here, amount, out).transpose(*quantity.dims)
        return out


def _stack_quantities(parts):
    """Stack pint quantities along a new first axis (the units check of the conformance kit)."""
    unit = parts[0].units
    return np.stack(np.broadcast_arrays(*[p.to(unit).magnitude for p in parts])) * unit
