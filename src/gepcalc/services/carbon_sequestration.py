"""Carbon sequestration (固碳): CO₂ fixed by ecosystems per year, valued at a carbon price."""

from __future__ import annotations

from gepcalc.services._refs import MEE_2020, NDRC_2022, OUYANG_2013
from gepcalc.services.base import Param, Reference, Service, ServiceSpec, TableRef, counted
from gepcalc.units import factor

#: molar mass ratio CO₂/C = 44.0095/12.011 (IUPAC 2021 standard atomic weights)
CO2_PER_C = 44.0095 / 12.011
_T_PER_HA_M2 = factor("t / ha * m**2", "t")  # t/ha × m² → t


class CarbonSequestration(Service):
    """Carbon sequestration by the per-area-rate method.

    Physical quantity [t CO₂ yr⁻¹]:

    .. math:: Q_{CO_2} = \\frac{44}{12} \\sum_i NEP_i \\cdot A_i

    with NEP_i the net carbon sequestration rate of ecosystem type i
    [t C ha⁻¹ yr⁻¹] and A_i its area [ha] (MEE 2020 guide, carbon sequestration;
    NDRC 2022 spec, 固碳). Value [CNY yr⁻¹] = Q_CO₂ × carbon price [CNY t⁻¹ CO₂].
    A user with an NEP raster passes it as ``sequestration_rate`` (t/ha/yr of C).
    """

    spec = ServiceSpec(
        id="carbon_sequestration",
        name_zh="固碳",
        name_en="Carbon sequestration",
        category="regulating",
        quantity_unit="t / yr",
        quantity_name="CO₂ sequestered",
        params=(
            Param(
                "sequestration_rate",
                "t / ha / yr",
                "net carbon (C) sequestration per area, NEP",
                TableRef("carbon_sequestration", "rate"),
                symbol="NEP",
            ),
            Param(
                "included",
                "dimensionless",
                "1 where the standard counts this ecosystem type",
                TableRef("carbon_sequestration", "included"),
                kinds=("per_ecosystem",),
            ),
        ),
        value_params=(
            Param(
                "price",
                "CNY / t",
                "carbon price per tonne of CO₂",
                TableRef("prices", "price", row="carbon_price"),
                kinds=("scalar", "per_ecosystem"),
            ),
        ),
        references=(
            MEE_2020,
            NDRC_2022,
            OUYANG_2013,
            Reference("IUPAC standard atomic weights (C 12.011, O 15.999)", year=2021),
        ),
        tables=("carbon_sequestration", "prices"),
    )

    @staticmethod
    def physical(area, sequestration_rate, included):
        """CO₂ sequestered [t/yr] from area [m²] and NEP [t C/ha/yr]."""
        return counted(included, sequestration_rate * area * _T_PER_HA_M2 * CO2_PER_C)
