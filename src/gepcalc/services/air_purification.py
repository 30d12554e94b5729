"""Air purification (空气净化): SO₂, NOx, dust and other pollutants taken up by vegetation."""

from __future__ import annotations

from dataclasses import replace

from gepcalc.services._refs import MEE_2020, NDRC_2022, OUYANG_2013
from gepcalc.services.base import Item, Reference, Service, ServiceSpec, capped
from gepcalc.services.water_purification import emission_load, pollutant_params, removal, treatment_cost

ITEMS = (
    Item("so2", "二氧化硫", "sulphur dioxide (SO₂)"),
    Item("nox", "氮氧化物", "nitrogen oxides (NOx)"),
    Item("dust", "工业粉尘(滞尘)", "dust / total suspended particulates"),
    Item("pm10", "可吸入颗粒物", "PM10"),
    Item("pm25", "细颗粒物", "PM2.5"),
    Item("hf", "氟化物", "fluoride (HF)"),
)


class AirPurification(Service):
    """Air purification: pollutants absorbed or retained by vegetation, capped by the emission load.

    Physical quantity per pollutant j [t yr⁻¹] (MEE 2020 guide, air purification;
    NDRC 2022 spec, 空气净化):

    .. math:: Q_j = \\min\\Big(E_j,\\; \\sum_i C_{ij} A_i\\Big)

    with E_j the region's emission of pollutant j [t yr⁻¹] and C_ij the uptake
    capacity of ecosystem type i [t km⁻² yr⁻¹]. SO₂, NOx and dust by default; PM10,
    PM2.5 and fluoride where the profile lists them. Value = Σ_j Q_j × treatment cost_j.
    """

    spec = ServiceSpec(
        id="air_purification",
        name_zh="空气净化",
        name_en="Air purification",
        category="regulating",
        quantity_unit="t / yr",
        quantity_name="air pollutant removed",
        method="capacity_and_load",
        items=ITEMS,
        default_items=("so2", "nox", "dust"),
        params=pollutant_params("air_purification"),
        region_params=(emission_load("air-pollutant"),),
        value_params=(treatment_cost(),),
        references=(
            MEE_2020,
            NDRC_2022,
            OUYANG_2013,
            Reference("国家计委 等. 排污费征收标准管理办法 (pollution-charge rates used as treatment cost)", year=2003),
        ),
        tables=("air_purification", "prices"),
    )

    physical = staticmethod(removal)

    @staticmethod
    def regional(quantity, area, emission_load):
        """min(emission, Σ uptake capacity) per region and pollutant, shared among types by capacity."""
        return capped(quantity, emission_load)


class AirPurificationCapacity(AirPurification):
    """Air purification as the uptake capacity alone (no emission data): an upper bound."""

    spec = replace(AirPurification.spec, method="capacity", region_params=())
    regional = Service.regional
