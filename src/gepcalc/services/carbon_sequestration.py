"""Carbon sequestration (固碳): CO₂ fixed by ecosystems per year, valued at a carbon price."""

from __future__ import annotations

from dataclasses import replace

from gepcalc.services._refs import MEE_2020, NDRC_2022, OUYANG_2013
from gepcalc.services.base import Param, Reference, Service, ServiceSpec, TableRef, counted
from gepcalc.units import T_PER_HA_M2

#: molar mass ratio CO₂/C = 44.0095/12.011 (IUPAC 2021 standard atomic weights)
CO2_PER_C = 44.0095 / 12.011


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
        quantity_unit="tCO2 / yr",  # a tonne of CO₂ (units.txt: tCO2 = t), labelled tCO₂ in outputs
        quantity_name="CO₂ sequestered",
        method="per_area_rate",
        params=(
            Param(
                "sequestration_rate",
                "t / ha / yr",
                "net carbon (C) sequestration per area, NEP",
                TableRef("carbon_sequestration", "sequestration_rate"),
                symbol="NEP",
                example="2 t/ha/yr",  # for the conformance kit: some types' rates are empty cells
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
                "CNY / tCO2",
                "carbon price per tonne of CO₂ (a table price per tC is converted × 12.011/44.0095)",
                TableRef("prices", "price", row="carbon_price"),
                kinds=("scalar", "per_ecosystem"),
                example="100 CNY/tCO2",  # for the conformance kit only: the national default is an empty cell
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
        return counted(included, sequestration_rate * area * T_PER_HA_M2 * CO2_PER_C)


#: the `included` parameter (types the profile counts), shared with oxygen release
INCLUDED = CarbonSequestration.spec.params[1]


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
            INCLUDED,
        ),
        references=(
            *CarbonSequestration.spec.references,
            Reference("GB/T 46869-2025 生态系统评估 陆域生态产品总值核算技术指南", clause="固碳 (NEP = NPP − Rh)"),
        ),
    )

    @staticmethod
    def physical(area, npp, soil_respiration, included):
        """CO₂ sequestered [t/yr] from NPP and R_h [t C/ha/yr] and area [m²]."""
        return counted(included, (npp - soil_respiration) * area * T_PER_HA_M2 * CO2_PER_C)


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
        return (carbon_density - carbon_density_before) * area * T_PER_HA_M2 / period * CO2_PER_C


#: LY/T 1721-2008's dry-matter form as printed by the papers that quote or use it
LYT_1721_DRY_MATTER = Reference(
    "LY/T 1721-2008 森林生态系统服务功能评估规范, as printed by 张春华 等. 2004—2013年山东省森林碳储量及其碳汇经济"
    "价值. 生态学报 38(5):1739-1749 (ChinaXiv 201803.01069)",
    clause="§1.3.2: U = Σ S G_c (1.63 R_C B + F) + Σ 1.19 S G_o B",
    year=2018,
)
BAIYANGDIAN_2017 = Reference(
    "江波, 陈媛媛, 肖洋, 赵娟娟, 欧阳志云. 白洋淀湿地生态系统最终服务价值评估. 生态学报 37(8):2497-2505 "
    "(ChinaXiv 201704.00322)",
    clause="§2.2.2 固碳: 1 kg dry matter fixes 1.63 kg CO₂; §2.2.3 释氧: 1.2 kg O₂",
    year=2017,
)
NPP_DRY_MATTER = Param(
    "npp_dry_matter",
    "t / ha / yr",
    "net primary productivity as dry matter (biomass), B",
    symbol="B",
    example="10 t/ha/yr",
)


class CarbonSequestrationDryMatter(CarbonSequestration):
    r"""Carbon sequestration from net primary productivity as dry matter (photosynthesis equation).

    Physical quantity [t CO₂ yr⁻¹] (LY/T 1721-2008 form, as printed by Zhang et al. 2018,
    生态学报 38(5):1739, §1.3.2, U_c = Σ S G_c (1.63 R_C B + F); Jiang et al. 2017,
    生态学报 37(8):2497, §2.2.2: "植物每生产1kg干物质,能固定1.63kg CO₂"):

    .. math:: Q_{CO_2} = f_{CO_2} \sum_{pixels} B \cdot A

    B net primary productivity as dry matter [t ha⁻¹ yr⁻¹] (raster, scalar or per
    ecosystem type), A area [ha], f_CO₂ = 1.63 t CO₂ per t of dry matter (constant
    ``co2_per_dry_matter`` of the constants table; 264/162 by the photosynthesis equation
    6 CO₂ → C₆H₁₀O₅). Only the types the carbon table (or the profile) counts.
    Value [CNY yr⁻¹] = Q_CO₂ × carbon price per t CO₂.
    """

    spec = replace(
        CarbonSequestration.spec,
        method="dry_matter",
        params=(
            NPP_DRY_MATTER,
            Param(
                "co2_per_dry_matter",
                "dimensionless",
                "t CO₂ fixed per t of dry matter produced",
                TableRef("constants", "value", row="co2_per_dry_matter"),
                kinds=("scalar",),
                symbol="f_CO₂",
            ),
            INCLUDED,
        ),
        references=(*CarbonSequestration.spec.references, LYT_1721_DRY_MATTER, BAIYANGDIAN_2017),
        tables=("carbon_sequestration", "constants", "prices"),
    )

    @staticmethod
    def physical(area, npp_dry_matter, co2_per_dry_matter, included):
        """CO₂ sequestered [t/yr] = f_CO₂ × B [t dry matter/ha/yr] × area [m²]."""
        return counted(included, co2_per_dry_matter * npp_dry_matter * area * T_PER_HA_M2)
