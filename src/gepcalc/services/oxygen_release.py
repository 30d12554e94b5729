"""Oxygen release (释氧): O₂ released with the carbon fixed by photosynthesis."""

from __future__ import annotations

from gepcalc.services._refs import MEE_2020, NDRC_2022, OUYANG_2013
from gepcalc.services.base import Param, Service, ServiceSpec, TableRef
from gepcalc.services.carbon_sequestration import CarbonSequestration

#: molar mass ratio O₂/CO₂ = 31.998/44.0095 (6CO₂ + 6H₂O → C₆H₁₂O₆ + 6O₂)
O2_PER_CO2 = 31.998 / 44.0095


class OxygenRelease(Service):
    """Oxygen release, stoichiometric from carbon sequestration.

    Physical quantity [t O₂ yr⁻¹]:

    .. math:: Q_{O_2} = \\frac{32}{44} Q_{CO_2}

    where Q_CO₂ is :class:`CarbonSequestration`'s quantity (MEE 2020 guide,
    oxygen release; NDRC 2022 spec, 释氧). Value = Q_O₂ × industrial oxygen price.
    """

    spec = ServiceSpec(
        id="oxygen_release",
        name_zh="释氧",
        name_en="Oxygen release",
        category="regulating",
        quantity_unit="t / yr",
        quantity_name="O₂ released",
        params=CarbonSequestration.spec.params,
        value_params=(
            Param(
                "price",
                "CNY / t",
                "industrial oxygen price",
                TableRef("prices", "price", row="oxygen_price"),
                kinds=("scalar", "per_ecosystem"),
            ),
        ),
        references=(MEE_2020, NDRC_2022, OUYANG_2013),
        tables=("carbon_sequestration", "prices"),
    )

    @staticmethod
    def physical(area, sequestration_rate, included):
        """O₂ released [t/yr] = CO₂ sequestered × 32/44."""
        return CarbonSequestration.physical(area, sequestration_rate, included) * O2_PER_CO2
