"""Water purification (水质净化): pollutants removed from water by wetlands and water bodies."""

from __future__ import annotations

from dataclasses import replace

from gepcalc.services._refs import MEE_2020, NDRC_2022, OUYANG_2013
from gepcalc.services.base import Item, Param, Reference, Service, ServiceSpec, TableRef, capped, counted
from gepcalc.units import factor

_T_PER_KM2_M2 = factor("t / km**2 * m**2", "t")  # t/km² × m² → t

ITEMS = (
    Item("cod", "化学需氧量", "chemical oxygen demand (COD)"),
    Item("nh3n", "氨氮", "ammonia nitrogen (NH₃-N)"),
    Item("tn", "总氮", "total nitrogen (TN)"),
    Item("tp", "总磷", "total phosphorus (TP)"),
)


def pollutant_params(table: str) -> tuple[Param, ...]:
    """Per-area purification capacity by ecosystem type and pollutant, and the types counted."""
    return (
        Param(
            "capacity",
            "t / km**2 / yr",
            "pollutant purification capacity per area",
            TableRef(table, "capacity_{item}"),
            per_item=True,
            symbol="C_ij",
            example="20 t/km**2/yr",
        ),
        Param(
            "included",
            "dimensionless",
            "1 where the standard counts this ecosystem type",
            TableRef(table, "included"),
            kinds=("per_ecosystem",),
        ),
    )


def emission_load(what: str) -> Param:
    return Param(
        "emission_load",
        "t / yr",
        f"{what} emission load of the region (pollution-source census, environmental statistics)",
        per_item=True,
        kinds=("per_region",),
        example="50 t/yr",
        symbol="E_j",
    )


def treatment_cost() -> Param:
    return Param(
        "price",
        "CNY / t",
        "treatment (abatement) cost per tonne of pollutant",
        TableRef("prices", "price", row="treatment_cost_{item}"),
        per_item=True,
        kinds=("scalar",),
    )


def removal(area, capacity, included):
    """Pollutant removal capacity [t/yr] = capacity [t km⁻² yr⁻¹] × area [m²], on counted types."""
    return counted(included, capacity * area * _T_PER_KM2_M2)


class WaterPurification(Service):
    """Water purification: pollutants purified, capped by the emission load.

    Physical quantity per pollutant j [t yr⁻¹] (MEE 2020 guide, water purification;
    NDRC 2022 spec, 水质净化; Ouyang et al. 2013):

    .. math:: Q_j = \\min\\Big(E_j,\\; \\sum_i C_{ij} A_i\\Big)

    with E_j the region's emission load of pollutant j [t yr⁻¹], C_ij the
    purification capacity of ecosystem type i [t km⁻² yr⁻¹] and A_i its area. Where
    the capacity exceeds the load, the load is shared among the types in proportion
    to their capacity. Pollutants: COD, NH₃-N (or TN) and TP by default.
    Value [CNY yr⁻¹] = Σ_j Q_j × treatment cost_j [CNY t⁻¹].
    """

    spec = ServiceSpec(
        id="water_purification",
        name_zh="水质净化",
        name_en="Water purification",
        category="regulating",
        quantity_unit="t / yr",
        quantity_name="pollutant purified",
        method="capacity_and_load",
        items=ITEMS,
        default_items=("cod", "nh3n", "tp"),
        params=pollutant_params("water_purification"),
        region_params=(emission_load("water-pollutant"),),
        value_params=(treatment_cost(),),
        references=(
            MEE_2020,
            NDRC_2022,
            OUYANG_2013,
            Reference("国家计委 等. 排污费征收标准管理办法 (pollution-charge rates used as treatment cost)", year=2003),
        ),
        tables=("water_purification", "prices"),
        extensive=True,
    )

    physical = staticmethod(removal)

    @staticmethod
    def regional(quantity, area, emission_load):
        """min(emission load, Σ capacity) per region and pollutant, shared among types by capacity."""
        return capped(quantity, emission_load)


class WaterPurificationCapacity(WaterPurification):
    """Water purification as the purification capacity alone (no emission data): an upper bound.

    Q_j = Σ_i C_ij A_i [t yr⁻¹]. Use only where the profile allows it; the account
    records the method.
    """

    spec = replace(WaterPurification.spec, method="capacity", region_params=())
    regional = Service.regional
