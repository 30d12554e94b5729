"""Oxygen release (释氧): O₂ released with the carbon fixed by photosynthesis."""

from __future__ import annotations

from dataclasses import replace

from gepcalc.services._refs import MEE_2020, NDRC_2022, OUYANG_2013
from gepcalc.services.base import Param, Service, ServiceSpec, TableRef
from gepcalc.services.carbon_sequestration import (
    CarbonSequestration,
    CarbonSequestrationNPP,
    CarbonSequestrationStockChange,
)

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
        method=CarbonSequestration.spec.method,
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


def _from(carbon: type[CarbonSequestration]) -> type[OxygenRelease]:
    """Oxygen release by the same method as a carbon-sequestration variant (same inputs)."""

    def physical(area, **params):
        return carbon.physical(area, **params) * O2_PER_CO2

    physical.__doc__ = f"O₂ released [t/yr] = CO₂ sequestered ({carbon.spec.method}) × 32/44."
    return type(
        f"OxygenRelease{carbon.__name__.removeprefix('CarbonSequestration')}",
        (OxygenRelease,),
        {
            "spec": replace(
                OxygenRelease.spec,
                method=carbon.spec.method,
                params=carbon.spec.params,
                references=(*OxygenRelease.spec.references, *carbon.spec.references[3:]),
            ),
            "physical": staticmethod(physical),
            "__doc__": f"Oxygen release from carbon sequestration by the {carbon.spec.method!r} method.",
            "__module__": __name__,
        },
    )


OxygenReleaseNPP = _from(CarbonSequestrationNPP)
OxygenReleaseStockChange = _from(CarbonSequestrationStockChange)
