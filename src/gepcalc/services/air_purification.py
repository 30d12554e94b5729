"""Air purification (空气净化): SO₂, NOx, dust and other pollutants taken up by vegetation."""

from __future__ import annotations

from dataclasses import replace

from gepcalc.services.base import Item, Service
from gepcalc.services.water_purification import WaterPurification, emission_load, pollutant_params

ITEMS = (
    Item("so2", "二氧化硫", "sulphur dioxide (SO₂)"),
    Item("nox", "氮氧化物", "nitrogen oxides (NOx)"),
    Item("dust", "工业粉尘(滞尘)", "dust / total suspended particulates"),
    Item("pm10", "可吸入颗粒物", "PM10"),
    Item("pm25", "细颗粒物", "PM2.5"),
    Item("hf", "氟化物", "fluoride (HF)"),
)


class AirPurification(WaterPurification):
    """Air purification: pollutants absorbed or retained by vegetation, capped by the emission load.

    Physical quantity per pollutant j [t yr⁻¹] (MEE 2020 guide, air purification;
    NDRC 2022 spec, 空气净化):

    .. math:: Q_j = \\min\\Big(E_j,\\; \\sum_i C_{ij} A_i\\Big)

    with E_j the region's emission of pollutant j [t yr⁻¹] and C_ij the uptake
    capacity of ecosystem type i [t km⁻² yr⁻¹]. SO₂, NOx and dust by default; PM10,
    PM2.5 and fluoride where the profile lists them. Value = Σ_j Q_j × treatment cost_j.
    """

    spec = replace(
        WaterPurification.spec,
        id="air_purification",
        name_zh="空气净化",
        name_en="Air purification",
        quantity_name="air pollutant removed",
        items=ITEMS,
        default_items=("so2", "nox", "dust"),
        params=pollutant_params("air_purification"),
        region_params=(emission_load("air-pollutant"),),
        tables=("air_purification", "prices"),
    )


class AirPurificationCapacity(AirPurification):
    """Air purification as the uptake capacity alone (no emission data): an upper bound."""

    spec = replace(AirPurification.spec, method="capacity", region_params=())
    regional = Service.regional
