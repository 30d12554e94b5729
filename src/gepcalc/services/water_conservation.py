"""Water conservation (水源涵养): water retained by ecosystems, water-balance method."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import xarray as xr

from gepcalc import hydrology
from gepcalc.services._refs import MEE_2020, NDRC_2022, OUYANG_2013
from gepcalc.services.base import DEM, Param, Reference, Service, ServiceSpec, TableRef, attach, counted, strip
from gepcalc.terrain import routed
from gepcalc.units import factor

_MM_M2_TO_M3 = factor("mm * m**2", "m**3")


class WaterConservation(Service):
    """Water conservation by the water-balance method.

    Physical quantity [m³ yr⁻¹]:

    .. math:: Q_{wr} = \\sum_i (P - R_i - ET_i) \\cdot A_i, \\qquad R_i = P \\cdot \\alpha_i

    with P precipitation [mm yr⁻¹], α_i the storm-runoff coefficient of
    ecosystem type i [-], ET_i actual evapotranspiration [mm yr⁻¹] and A_i the
    area (MEE 2020 guide, water conservation, water-balance equation; NDRC 2022
    spec, 水源涵养). Only the types the standard counts (``included``) contribute.
    A year where ET exceeds P − R gives a negative balance, reported as is.
    Value [CNY yr⁻¹] = Q_wr × reservoir construction cost [CNY m⁻³] (shadow
    project, LY/T 1721-2008).
    """

    spec = ServiceSpec(
        id="water_conservation",
        name_zh="水源涵养",
        name_en="Water conservation",
        category="regulating",
        quantity_unit="m**3 / yr",
        quantity_name="water retained",
        method="water_balance",
        params=(
            Param("precipitation", "mm / yr", "annual precipitation", symbol="P", example="1400 mm/yr"),
            Param(
                "evapotranspiration", "mm / yr", "annual actual evapotranspiration", symbol="ET", example="750 mm/yr"
            ),
            Param(
                "runoff_coefficient",
                "dimensionless",
                "storm runoff / precipitation",
                TableRef("water_conservation", "runoff_coefficient"),
                symbol="α",
            ),
            Param(
                "included",
                "dimensionless",
                "1 where the standard counts this ecosystem type",
                TableRef("water_conservation", "included"),
                kinds=("per_ecosystem",),
            ),
        ),
        value_params=(
            Param(
                "price",
                "CNY / m**3",
                "reservoir construction cost per m³ of storage",
                TableRef("prices", "price", row="water_storage_cost"),
                kinds=("scalar", "per_ecosystem"),
            ),
        ),
        references=(
            MEE_2020,
            NDRC_2022,
            OUYANG_2013,
            Reference("LY/T 1721-2008 森林生态系统服务功能评估规范 (reservoir construction cost)", year=2008),
        ),
        tables=("water_conservation", "prices"),
    )

    @staticmethod
    def physical(area, precipitation, evapotranspiration, runoff_coefficient, included):
        """Water retained [m³/yr] from P, ET [mm/yr], α [-] and area [m²]."""
        runoff = precipitation * runoff_coefficient
        return counted(included, (precipitation - runoff - evapotranspiration) * area * _MM_M2_TO_M3)


def _wy(name: str, column: str, description: str, **kw) -> Param:
    return Param(name, kw.pop("unit", "dimensionless"), description, TableRef("water_yield", column), **kw)


def _budyko(precipitation, reference_et, crop_coefficient, root_depth, restricting_depth, pawc, vegetated, seasonality):
    """Water yield [mm/yr] per pixel (InVEST 3.20 Annual Water Yield), lazily on DataArrays."""
    args = (precipitation, reference_et, crop_coefficient, root_depth, restricting_depth, pawc, vegetated, seasonality)
    units = ("mm/yr", "mm/yr", "", "mm", "mm", "", "", "")
    mags = [strip(a, u) if u else strip(a, "dimensionless") for a, u in zip(args, units, strict=True)]
    # NaN where the vegetated flag is missing (not a silent 'bare'): budyko_water_yield does that
    if any(isinstance(m, xr.DataArray) for m in mags):
        return xr.apply_ufunc(hydrology.budyko_water_yield, *mags, dask="parallelized", output_dtypes=["float64"])
    return attach(hydrology.budyko_water_yield(*mags), "mm / yr", precipitation)


class WaterConservationBudyko(WaterConservation):
    """Water conservation as Budyko water yield (InVEST Annual Water Yield formulation).

    Physical quantity [m³ yr⁻¹] (InVEST 3.20 Annual Water Yield; Zhang et al. 2004
    form of Fu's curve; used for 水源涵养 in Chinese GEP studies):

    .. math::

        Y = \\Big(1 - \\frac{AET}{P}\\Big) P, \\quad
        \\frac{AET}{P} = 1 + \\frac{PET}{P} - \\Big[1 + \\Big(\\frac{PET}{P}\\Big)^{\\omega}\\Big]^{1/\\omega},
        \\quad \\omega = \\min\\Big(5, Z \\frac{AWC}{P} + 1.25\\Big)

    PET = Kc·ET₀, AWC = min(root depth, restricting-layer depth) × PAWC; vegetated
    pixels take min(PET/P, the curve), others AET = min(Kc·ET₀, P). Q = Y × area.
    """

    spec = replace(
        WaterConservation.spec,
        method="budyko",
        params=(
            WaterConservation.spec.params[0],
            Param("reference_et", "mm / yr", "reference evapotranspiration ET₀", symbol="ET₀", example="900 mm/yr"),
            _wy("crop_coefficient", "crop_coefficient", "crop coefficient, PET = Kc·ET₀", symbol="Kc"),
            _wy("root_depth", "root_depth", "maximum root depth", unit="mm"),
            Param("restricting_depth", "mm", "depth to the root-restricting layer", example="1500 mm"),
            Param("pawc", "dimensionless", "plant-available water content (fraction)", example="0.15"),
            _wy("vegetated", "vegetated", "1 for vegetated types (Fu curve)", kinds=("per_ecosystem",)),
            Param(
                "seasonality",
                "dimensionless",
                "Zhang's seasonality constant Z",
                kinds=("scalar",),
                example="5",
                symbol="Z",
            ),
            WaterConservation.spec.params[3],  # included
        ),
        references=(
            *WaterConservation.spec.references,
            Reference("Sharp R. et al. InVEST 3.20 User's Guide, Annual Water Yield", year=2025),
            Reference("Zhang L. et al. Water Resources Research 40, W02502", clause="eq. (Fu curve, ω)", year=2004),
        ),
        tables=("water_yield", "water_conservation", "prices"),
    )

    @staticmethod
    def physical(
        area,
        precipitation,
        reference_et,
        crop_coefficient,
        root_depth,
        restricting_depth,
        pawc,
        vegetated,
        seasonality,
        included,
    ):
        """Water yield [m³/yr] = Y [mm/yr] × area."""
        y = _budyko(
            precipitation, reference_et, crop_coefficient, root_depth, restricting_depth, pawc, vegetated, seasonality
        )
        return counted(included, y * area * _MM_M2_TO_M3)


class WaterConservationRetention(WaterConservationBudyko):
    """Water conservation as Budyko water yield corrected for terrain, soil and flow velocity.

    Physical quantity [m³ yr⁻¹] (the water-retention correction used with InVEST
    water yield in Chinese studies, e.g. Bao Yubin et al. 2016):

    .. math::

        WR = \\min\\Big(1, \\frac{249}{V}\\Big) \\min\\Big(1, \\frac{0.9\\, TI}{3}\\Big)
             \\min\\Big(1, \\frac{K_{sat}}{300}\\Big) Y, \\qquad
        TI = \\ln \\frac{\\text{drainage area [cells]}}{\\text{soil depth [mm]} \\times \\text{slope [\\%]}}

    V flow-velocity coefficient of the land use, K_sat saturated hydraulic
    conductivity [mm d⁻¹]; the drainage area comes from MFD routing of the DEM
    (:mod:`gepcalc.terrain`). The source of the reference values 249, 3 and 300 was
    seen only in secondary material (docs/regulating_methods.md).
    """

    spec = replace(
        WaterConservationBudyko.spec,
        method="budyko_retention",
        params=(
            *WaterConservationBudyko.spec.params,
            DEM,
            Param("soil_depth", "mm", "soil depth", example="800 mm"),
            Param("ksat", "mm / d", "saturated hydraulic conductivity", example="200 mm/d", symbol="K_sat"),
            _wy("velocity_coefficient", "velocity_coefficient", "flow-velocity coefficient", symbol="V"),
        ),
        references=(
            *WaterConservationBudyko.spec.references,
            Reference("包玉斌 等. 基于InVEST模型的陕北黄土高原水源涵养功能时空变化. 地理研究 35(4):664-676", year=2016),
        ),
    )

    @staticmethod
    def physical(area, dem, soil_depth, ksat, velocity_coefficient, included, **budyko):
        """Water retained [m³/yr] = correction × Y × area (``budyko``: the parameters of the yield)."""
        y = _budyko(**budyko)
        acc, slope = routed(dem, ("accumulation", "slope"), area)  # one routing for both
        args = (y, velocity_coefficient, acc, slope, soil_depth, ksat)
        mags = [strip(a, u) for a, u in zip(args, ("mm/yr", "", "", "", "mm", "mm/d"), strict=True)]
        if any(isinstance(m, xr.DataArray) for m in mags):
            wr = xr.apply_ufunc(_retention, *mags, dask="parallelized", output_dtypes=["float64"])
        else:
            wr = attach(_retention(*mags), "mm / yr", budyko["precipitation"])
        return counted(included, wr * area * _MM_M2_TO_M3)


def _retention(y, velocity, accumulation, slope_pct, soil_depth, ksat):
    ti = hydrology.topographic_index(accumulation, soil_depth, np.maximum(slope_pct, 1e-3))
    return hydrology.water_retention(y, velocity, ti, ksat)
