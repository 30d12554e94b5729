"""Oxygen release (释氧): O₂ released with the carbon fixed by photosynthesis."""

from __future__ import annotations

from dataclasses import replace

from gepcalc.services._refs import MEE_2020, NDRC_2022, OUYANG_2013
from gepcalc.services.base import Param, Service, ServiceSpec, TableRef, counted
from gepcalc.services.carbon_sequestration import (
    BAIYANGDIAN_2017,
    INCLUDED,
    LYT_1721_DRY_MATTER,
    NPP_DRY_MATTER,
    CarbonSequestration,
    CarbonSequestrationNPP,
    CarbonSequestrationStockChange,
)
from gepcalc.units import T_PER_HA_M2

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
                example="1000 CNY/t",
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


class OxygenReleaseDryMatter(OxygenRelease):
    r"""Oxygen release from net primary productivity as dry matter (LY/T 1721 form).

    Physical quantity [t O₂ yr⁻¹] (LY/T 1721-2008 as printed by Zhang et al. 2018,
    生态学报 38(5):1739, §1.3.2: U_o = Σ 1.19 S G_o B):

    .. math:: Q_{O_2} = f_{O_2} \sum_{pixels} B \cdot A

    B net primary productivity as dry matter [t ha⁻¹ yr⁻¹], A area [ha], f_O₂ = 1.19 t O₂
    per t of dry matter (constant ``o2_per_dry_matter``; 192/162 = 1.185 by the
    photosynthesis equation; Jiang et al. 2017 §2.2.3 rounds it to 1.2). Not 32/44 of
    the dry-matter CO₂ (1.63 × 32/44 = 1.185 ≠ 1.19): each standard's factor is used as
    printed. Value = Q_O₂ × industrial oxygen price.
    """

    spec = replace(
        OxygenRelease.spec,
        method="dry_matter",
        params=(
            NPP_DRY_MATTER,
            Param(
                "o2_per_dry_matter",
                "dimensionless",
                "t O₂ released per t of dry matter produced",
                TableRef("constants", "value", row="o2_per_dry_matter"),
                kinds=("scalar",),
                symbol="f_O₂",
            ),
            INCLUDED,
        ),
        references=(*OxygenRelease.spec.references, LYT_1721_DRY_MATTER, BAIYANGDIAN_2017),
        tables=("carbon_sequestration", "constants", "prices"),
    )

    @staticmethod
    def physical(area, npp_dry_matter, o2_per_dry_matter, included):
        """O₂ released [t/yr] = f_O₂ × B [t dry matter/ha/yr] × area [m²]."""
        return counted(included, o2_per_dry_matter * npp_dry_matter * area * T_PER_HA_M2)
