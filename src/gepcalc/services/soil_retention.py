"""Soil retention (土壤保持): soil erosion prevented by vegetation (RUSLE)."""

from __future__ import annotations

import numpy as np

from gepcalc import hydrology
from gepcalc.services._refs import MEE_2020, NDRC_2022, OUYANG_2013
from gepcalc.services.base import Param, Reference, Service, ServiceSpec, TableRef, counted, strip
from gepcalc.terrain import DEM, routed
from gepcalc.units import factor

_T_PER_HA_M2 = factor("t / ha * m**2", "t")


def _const(item: str) -> TableRef:
    return TableRef("constants", "value", row=item)


def _price(item: str) -> TableRef:
    return TableRef("prices", "price", row=item)


class SoilRetention(Service):
    """Soil retention: potential minus actual erosion by the RUSLE, with LS from a DEM.

    Physical quantity [t yr⁻¹] (MEE 2020 guide, 土壤保持; NDRC 2022 spec; Ouyang
    et al. 2013; Renard et al. 1997):

    .. math:: Q_{sr} = \\sum_{pixels} R \\cdot K \\cdot LS \\cdot (1 - C \\cdot P) \\cdot A

    R rainfall erosivity [MJ mm ha⁻¹ h⁻¹ yr⁻¹], K soil erodibility [t ha h ha⁻¹ MJ⁻¹
    mm⁻¹], C cover-management and P support-practice factors [-], A area [ha].
    LS as InVEST SDR 3.20 computes it (Desmet & Govers 1996 L with McCool slope
    classes, multiple-flow-direction accumulation on the pit-filled DEM, L capped at
    ``l_max``); DEM pits are filled and interior nodata holes routed through as flat
    lakes (:mod:`gepcalc.terrain`). Unlike InVEST's avoided erosion, stream pixels
    are not removed.

    Value [CNY yr⁻¹] (Ouyang et al. 2013; Garze 2017 §2.4.2):

    .. math:: V = Q_{sr} \\left(\\frac{\\lambda}{\\rho} P_d + c_N P_N + c_P P_P\\right)

    reduced reservoir siltation (λ share deposited, ρ soil bulk density, P_d
    dredging cost per m³) plus avoided nitrogen and phosphorus loss (c soil
    contents, P prices per t of nutrient).
    """

    spec = ServiceSpec(
        id="soil_retention",
        name_zh="土壤保持",
        name_en="Soil retention",
        category="regulating",
        quantity_unit="t / yr",
        quantity_name="soil erosion prevented",
        method="rusle",
        params=(
            DEM,
            Param(
                "erosivity", "MJ * mm / ha / hr / yr", "rainfall erosivity", symbol="R", example="3000 MJ*mm/ha/hr/yr"
            ),
            Param(
                "erodibility",
                "t * ha * hr / ha / MJ / mm",
                "soil erodibility",
                symbol="K",
                example="0.03 t*ha*hr/ha/MJ/mm",
            ),
            Param(
                "cover_factor", "dimensionless", "cover-management factor", TableRef("soil_retention", "c"), symbol="C"
            ),
            Param(
                "practice_factor",
                "dimensionless",
                "support-practice factor",
                TableRef("soil_retention", "p"),
                symbol="P",
            ),
            Param(
                "included",
                "dimensionless",
                "1 where the standard counts this ecosystem type",
                TableRef("soil_retention", "included"),
                kinds=("per_ecosystem",),
            ),
            Param("l_max", "dimensionless", "cap on the slope-length factor L", _const("ls_l_max"), ("scalar",)),
        ),
        value_params=(
            Param(
                "siltation_ratio",
                "dimensionless",
                "share of eroded soil deposited in reservoirs",
                _const("siltation_ratio"),
                ("scalar",),
                "λ",
            ),
            Param("soil_bulk_density", "t / m**3", "soil bulk density", _const("soil_bulk_density"), ("scalar",), "ρ"),
            Param(
                "dredging_cost", "CNY / m**3", "reservoir dredging cost", _price("dredging_cost"), ("scalar",), "P_d"
            ),
            Param(
                "nitrogen_content",
                "dimensionless",
                "soil nitrogen content",
                _const("soil_nitrogen_content"),
                ("scalar",),
                "c_N",
            ),
            Param(
                "phosphorus_content",
                "dimensionless",
                "soil phosphorus content",
                _const("soil_phosphorus_content"),
                ("scalar",),
                "c_P",
            ),
            Param(
                "nitrogen_price",
                "CNY / t",
                "cost per t of nitrogen lost",
                _price("treatment_cost_tn"),
                ("scalar",),
                "P_N",
            ),
            Param(
                "phosphorus_price",
                "CNY / t",
                "cost per t of phosphorus lost",
                _price("treatment_cost_tp"),
                ("scalar",),
                "P_P",
            ),
        ),
        references=(
            MEE_2020,
            NDRC_2022,
            OUYANG_2013,
            Reference("Renard K.G. et al. RUSLE. USDA Agriculture Handbook 703", year=1997),
            Reference("Desmet P.J.J., Govers G. J. Soil Water Conserv. 51(5):427-433", clause="eq. 4 (L)", year=1996),
            Reference("InVEST 3.20 SDR (natcap.invest.sdr._calculate_ls_factor)", clause="LS, MFD routing", year=2025),
        ),
        tables=("soil_retention", "constants", "prices"),
    )

    @staticmethod
    def physical(area, dem, erosivity, erodibility, cover_factor, practice_factor, included, l_max):
        """Erosion prevented [t/yr] = R·K·LS·(1 − C·P) [t/ha/yr] × area."""
        ls = routed(dem, "ls", area, l_max=float(np.mean(strip(l_max, "dimensionless"))))
        retained = hydrology.soil_retention(erosivity, erodibility, ls, cover_factor, practice_factor)
        return counted(included, retained * area * _T_PER_HA_M2)

    @staticmethod
    def value(
        quantity,
        siltation_ratio,
        soil_bulk_density,
        dredging_cost,
        nitrogen_content,
        phosphorus_content,
        nitrogen_price,
        phosphorus_price,
    ):
        """Reduced siltation λ·Q/ρ·P_d plus avoided N and P loss Q·(c_N·P_N + c_P·P_P) [CNY/yr]."""
        siltation = quantity * siltation_ratio / soil_bulk_density * dredging_cost
        nutrients = quantity * (nitrogen_content * nitrogen_price + phosphorus_content * phosphorus_price)
        return siltation + nutrients
