"""Carbon sequestration (固碳): CO₂ fixed by ecosystems per year, valued at a carbon price."""

from __future__ import annotations

from dataclasses import replace

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
        method="per_area_rate",
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


_INCLUDED = CarbonSequestration.spec.params[1]


class CarbonSequestrationNPP(CarbonSequestration):
    r"""Carbon sequestration from net primary productivity minus soil heterotrophic respiration.

    Physical quantity [t CO₂ yr⁻¹] (MEE 2020 guide and GB/T 46869-2025, carbon
    sequestration from NEP; NEP = NPP − R_h):

    .. math:: Q_{CO_2} = \frac{44}{12} \sum_{pixels} (NPP - R_h) \cdot A

    NPP and R_h in t C ha⁻¹ yr⁻¹, typically rasters (MODIS MOD17A3 NPP; R_h from the
    temperature-precipitation regression the profile prescribes). A negative NEP (a
    carbon source) is kept as is.
    """

    spec = replace(
        CarbonSequestration.spec,
        method="npp",
        params=(
            Param("npp", "t / ha / yr", "net primary productivity, as carbon", symbol="NPP", example="6 t/ha/yr"),
            Param(
                "soil_respiration",
                "t / ha / yr",
                "soil heterotrophic respiration, as carbon",
                symbol="R_h",
                example="4 t/ha/yr",
            ),
            _INCLUDED,
        ),
        references=(
            *CarbonSequestration.spec.references,
            Reference("GB/T 46869-2025 生态系统评估 陆域生态产品总值核算技术指南", clause="固碳 (NEP = NPP − Rh)"),
        ),
    )

    @staticmethod
    def physical(area, npp, soil_respiration, included):
        """CO₂ sequestered [t/yr] from NPP and R_h [t C/ha/yr] and area [m²]."""
        return counted(included, (npp - soil_respiration) * area * _T_PER_HA_M2 * CO2_PER_C)


class CarbonSequestrationStockChange(CarbonSequestration):
    r"""Carbon sequestration as the change of the carbon stock between two years.

    Physical quantity [t CO₂ yr⁻¹] (stock-difference method, IPCC 2006 Guidelines
    vol. 4 eq. 2.5; used for project-level and inventory-based accounts):

    .. math:: Q_{CO_2} = \frac{44}{12} \sum_{pixels} \frac{(C_{t_2} - C_{t_1}) A}{t_2 - t_1}

    with C the carbon density [t C ha⁻¹] of each pixel now and at the earlier year.
    Give the earlier density on the earlier land cover as
    ``{"landcover": "lc_2015.tif", "values": {"forest": "120 t/ha", …}}``. Every type
    counts here (a loss is a negative sequestration).
    """

    spec = replace(
        CarbonSequestration.spec,
        method="stock_change",
        params=(
            Param("carbon_density", "t / ha", "carbon density (C) now", symbol="C_t2", example="120 t/ha"),
            Param(
                "carbon_density_before",
                "t / ha",
                "carbon density (C) at the earlier year",
                symbol="C_t1",
                example="100 t/ha",
            ),
            Param("period", "yr", "years between the two land covers", kinds=("scalar",), example="5 yr"),
        ),
        references=(
            *CarbonSequestration.spec.references,
            Reference("IPCC 2006 Guidelines for National GHG Inventories", clause="vol. 4 ch. 2, eq. 2.5", year=2006),
        ),
        tables=("prices",),
    )

    @staticmethod
    def physical(area, carbon_density, carbon_density_before, period):
        """CO₂ sequestered [t/yr] from the change of carbon density [t C/ha] over ``period`` [yr]."""
        return (carbon_density - carbon_density_before) * area * _T_PER_HA_M2 / period * CO2_PER_C
