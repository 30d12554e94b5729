"""Soil retention (土壤保持): soil erosion prevented by vegetation (RUSLE)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import xarray as xr

from gepcalc import hydrology
from gepcalc.errors import MissingInputError
from gepcalc.services._refs import MEE_2020, NDRC_2022, OUYANG_2013
from gepcalc.services.base import DEM, Item, Param, Reference, Service, ServiceSpec, TableRef, counted, strip
from gepcalc.terrain import routed
from gepcalc.units import T_PER_HA_M2

ITEMS = (
    Item("soil", "土壤保持量", "soil retained (valued by reduced siltation, N and P)", unit="t / yr"),
    Item("siltation", "减少泥沙淤积", "reduced siltation (sediment volume)", unit="m**3 / yr"),
    Item("nitrogen", "减少氮流失", "nitrogen retained", unit="t / yr"),
    Item("phosphorus", "减少磷流失", "phosphorus retained", unit="t / yr"),
    Item("potassium", "减少钾流失", "potassium retained", unit="t / yr"),
    Item("organic_matter", "减少有机质流失", "organic matter retained", unit="t / yr"),
)
#: the items whose values make up the value of ``soil`` (the value rule of the 2020 guide family)
SOIL_VALUE_ITEMS = ("siltation", "nitrogen", "phosphorus")
#: item → (content parameter, price parameter) of the nutrients
_NUTRIENTS = {
    "nitrogen": ("nitrogen_content", "nitrogen_price"),
    "phosphorus": ("phosphorus_content", "phosphorus_price"),
    "potassium": ("potassium_content", "potassium_price"),
    "organic_matter": ("organic_matter_content", "organic_matter_price"),
}


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
    dredging cost per m³ — or the reservoir cost per m³ where the profile or the user
    gives that as ``dredging_cost``) plus avoided nitrogen and phosphorus loss (c soil
    contents, P prices per t of nutrient: treatment cost or fertiliser price).

    Items (each its own unit, so a published account's lines can be entered as they are
    printed, e.g. Garze 2017 Table 3 "减少泥沙淤积 10.03 亿m³", "减少N面源污染 … t"):

    * ``soil`` [t yr⁻¹]: Q_sr, the soil retained, valued by the whole rule above (the
      default item: an account's soil-retention total is unchanged);
    * ``siltation`` [m³ yr⁻¹]: λ Q_sr / ρ, sediment kept out of reservoirs, valued at P_d;
    * ``nitrogen``, ``phosphorus``, ``potassium``, ``organic_matter`` [t yr⁻¹]: c Q_sr
      (c the soil's content of the nutrient), valued at its price per t.

    ``items={"soil_retention": ["siltation", "nitrogen", "phosphorus"]}`` gives the
    breakdown of the same total value; ``soil`` and its components together would count
    the value twice and are refused. Potassium and organic matter have no sourced
    content or price: give ``potassium_content``/``potassium_price`` (and the organic-
    matter ones) when they are counted.
    """

    spec = ServiceSpec(
        id="soil_retention",
        name_zh="土壤保持",
        name_en="Soil retention",
        category="regulating",
        quantity_unit="t / yr",
        quantity_name="soil erosion prevented",
        method="rusle",
        items=ITEMS,
        default_items=("soil",),
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
                "cover_factor",
                "dimensionless",
                "cover-management factor (the table's vegetated types are empty: give a raster or per-type values)",
                TableRef("soil_retention", "cover_factor"),
                symbol="C",
                example="0.05",  # for the conformance kit only
            ),
            Param(
                "practice_factor",
                "dimensionless",
                "support-practice factor",
                TableRef("soil_retention", "practice_factor"),
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
            # examples: for the conformance kit only (the national defaults are empty cells)
            Param(
                "soil_bulk_density",
                "t / m**3",
                "soil bulk density",
                _const("soil_bulk_density"),
                ("scalar",),
                "ρ",
                example="1.25 t/m**3",
            ),
            Param(
                "dredging_cost",
                "CNY / m**3",
                "reservoir dredging cost (or the reservoir cost per m³, where the profile values siltation so)",
                _price("dredging_cost"),
                ("scalar",),
                "P_d",
                example="10 CNY/m**3",
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
            Param(
                "potassium_content",
                "dimensionless",
                "soil potassium content (mass fraction)",
                _const("soil_potassium_content"),
                ("scalar",),
                "c_K",
            ),
            Param(
                "potassium_price",
                "CNY / t",
                "price per t of potassium (nutrient) lost",
                kinds=("scalar",),
                symbol="P_K",
                optional=True,
            ),
            Param(
                "organic_matter_content",
                "dimensionless",
                "soil organic-matter content (mass fraction)",
                _const("soil_organic_matter_content"),
                ("scalar",),
                "c_OM",
            ),
            Param(
                "organic_matter_price",
                "CNY / t",
                "price per t of organic matter lost",
                _price("organic_matter_price"),
                ("scalar",),
                "P_OM",
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
        return counted(included, retained * area * T_PER_HA_M2)

    #: the account hands ``regional()`` the value parameters (contents, λ, ρ) too
    regional_uses_value_params: ClassVar[bool] = True

    @staticmethod
    def regional(quantity, area, **params):
        """Each item's quantity from the soil retained Q [t/yr] (the account hands every item Q).

        soil: Q; siltation: λ·Q/ρ [m³/yr]; nitrogen, phosphorus, potassium, organic matter:
        c·Q [t/yr] with c the soil's content (value parameters ``*_content``).
        """
        if "item" not in quantity.dims:
            return quantity
        items = [str(i) for i in quantity["item"].values]
        if "soil" in items and set(items) & set(SOIL_VALUE_ITEMS):
            raise MissingInputError(
                f"soil_retention: items {items} count the value twice: 'soil' is valued by "
                f"{', '.join(SOIL_VALUE_ITEMS)} together; choose ['soil'] or the components"
            )
        factors = []
        for item in items:
            if item == "soil":
                factors.append(1.0)
            elif item == "siltation":
                factors.append(params["siltation_ratio"] / params["soil_bulk_density"])
            else:
                name = _NUTRIENTS[item][0]
                c = params.get(name)
                if c is None or bool(np.isnan(np.asarray(c, dtype="float64")).any()):
                    raise MissingInputError(
                        f"soil_retention item {item!r} needs {name!r} (soil content, mass fraction): the constants "
                        f"table has no sourced value; give inputs={{'soil_retention.{name}': '0.02'}} with its source"
                    )
                factors.append(c)
        f = xr.concat([xr.DataArray(x) for x in factors], dim=xr.Variable("item", items), coords="minimal")
        out = quantity * f
        return out.transpose(*quantity.dims)

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
        potassium_content=None,
        potassium_price=None,
        organic_matter_content=None,
        organic_matter_price=None,
    ):
        """Value [CNY/yr] of each item; ``soil`` (or a quantity without items): λ·Q/ρ·P_d + Q·(c_N·P_N + c_P·P_P).

        siltation [m³/yr] × P_d; nitrogen, phosphorus, potassium, organic matter [t/yr] × their
        price per t. The contents are used by ``regional()`` only (the soil's value needs c_N, c_P).
        """
        per_t = siltation_ratio / soil_bulk_density * dredging_cost + (
            nitrogen_content * nitrogen_price + phosphorus_content * phosphorus_price
        )
        if not isinstance(quantity, xr.DataArray) or "item" not in quantity.dims:
            return quantity * per_t
        prices = {
            "soil": per_t,
            "siltation": dredging_cost,
            "nitrogen": nitrogen_price,
            "phosphorus": phosphorus_price,
            "potassium": potassium_price,
            "organic_matter": organic_matter_price,
        }
        items = [str(i) for i in quantity["item"].values]
        for item in items:
            if prices[item] is None:
                name = _NUTRIENTS[item][1]
                raise MissingInputError(
                    f"soil_retention item {item!r} needs {name!r} [CNY/t of the nutrient]: no sourced default; give "
                    f"inputs={{'soil_retention.{name}': '… CNY/t'}} with its source (e.g. the fertiliser price of "
                    "the account's year per t of pure nutrient)"
                )
        p = xr.concat(
            [xr.DataArray(prices[i]) if not isinstance(prices[i], xr.DataArray) else prices[i] for i in items],
            dim=xr.Variable("item", items),
            coords="minimal",
        )
        return quantity * p
