"""Water conservation (水源涵养): water retained by ecosystems, water-balance method."""

from __future__ import annotations

from gepcalc.services._refs import MEE_2020, NDRC_2022, OUYANG_2013
from gepcalc.services.base import Param, Reference, Service, ServiceSpec, TableRef, counted
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
