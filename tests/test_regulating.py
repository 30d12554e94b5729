"""The remaining regulating services on the small 1-ha raster, computed by hand.

SMALL_CODES (conftest): forest 5 ha (west), urban 1 ha (west), grassland 1 ha,
farmland 1 ha, water 3 ha (east), one nodata pixel.  ``halves`` splits west/east.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import gepcalc as gep
from conftest import SMALL_CODES, write_raster
from gepcalc.errors import MissingInputError, NodataError
from gepcalc.services import get

CO2_PER_C = 44.0095 / 12.011
O2_PER_CO2 = 31.998 / 44.0095
ALL_TYPES = ["forest", "shrubland", "grassland", "wetland", "farmland", "urban", "water", "bare", "glacier"]


def _acct(lc, regions=None, **kw):
    return gep.account(lc, regions, region_field="name" if regions else None, **kw)


def _value(acct, service, **sel):
    return float(acct.data["value"].sel(service=service, **sel).sum())


def _quantity(acct, service, **sel):
    return float(acct.data["quantity"].sel(service=service, **sel).sum())


def test_water_purification_is_capped_by_each_regions_load(small_lc, halves):
    inputs = {
        "water_purification.capacity": {
            "cod": {"water": "100 t/km**2/yr", "wetland": "100 t/km**2/yr"},
            "tp": {"water": "10 t/km**2/yr", "wetland": "10 t/km**2/yr"},
        },
        "water_purification.emission_load": {
            "cod": {"west": "1 t/yr", "east": "2 t/yr"},
            "tp": {"west": "1 t/yr", "east": "5 t/yr"},
        },
    }
    acct = _acct(
        small_lc, halves, services=["water_purification"], items={"water_purification": ["cod", "tp"]}, inputs=inputs
    )
    # east: 3 ha of water = 0.03 km²; capacity COD 100 × 0.03 = 3 t > load 2 t → 2 t; TP 10 × 0.03 = 0.3 t < 5 → 0.3 t
    assert _quantity(acct, "water_purification", item="cod", region="east") == pytest.approx(2.0)
    assert _quantity(acct, "water_purification", item="tp", region="east") == pytest.approx(0.3)
    # west has no water or wetland: nothing purified whatever its load
    assert _quantity(acct, "water_purification", region="west") == 0.0
    # value: 2 t × 700 CNY/t + 0.3 t × 2800 CNY/t = 1400 + 840 = 2240 CNY/yr
    assert _value(acct, "water_purification") == pytest.approx(2240.0)
    summary = acct.summary(unit="CNY")
    assert list(summary["item"]) == ["cod", "tp"]
    assert summary["name_zh"].iloc[0] == "水质净化 · 化学需氧量"
    table = acct.table()
    assert set(table["item"]) == {"cod", "tp"} and set(table[table["quantity"] > 0]["ecosystem"]) == {"water"}

    capacity_only = _acct(
        small_lc,
        halves,
        services=["water_purification"],
        methods={"water_purification": "capacity"},
        items={"water_purification": ["cod", "tp"]},
        inputs=inputs,
    )
    # no cap: 3 t × 700 + 0.3 t × 2800 = 2100 + 840 = 2940 CNY/yr; the method is recorded
    assert _value(capacity_only, "water_purification") == pytest.approx(2940.0)
    assert capacity_only.data["method"].sel(service="water_purification").item() == "capacity"


def test_water_purification_errors_name_what_is_missing(small_lc, halves):
    with pytest.raises(MissingInputError, match=r"emission_load.*for each region"):
        _acct(
            small_lc,
            halves,
            services=["water_purification"],
            items={"water_purification": ["tp"]},
            inputs={"water_purification.capacity": {"tp": {"water": "10 t/km**2/yr"}}},
        )
    with pytest.raises(MissingInputError, match=r"no value for region\(s\) \['east'\]"):
        _acct(
            small_lc,
            halves,
            services=["water_purification"],
            items={"water_purification": ["tp"]},
            inputs={
                "water_purification.capacity": {"tp": {"water": "10 t/km**2/yr"}},
                "water_purification.emission_load": {"tp": {"west": "1 t/yr"}},
            },
        )
    # the built-in table has no COD capacity for water (an empty cell): the account says so
    with pytest.raises(NodataError, match=r"'capacity' has no value for ecosystem type 'water'"):
        _acct(
            small_lc,
            halves,
            services=["water_purification"],
            items={"water_purification": ["cod"]},
            inputs={"water_purification.emission_load": {"cod": {"all": "5 t/yr"}}},
        )
    with pytest.raises(gep.errors.ServiceError, match="unknown item"):
        _acct(small_lc, services=["water_purification"], items={"water_purification": ["arsenic"]})


def test_air_purification_capacity_from_the_table(small_lc):
    acct = _acct(
        small_lc,
        services=["air_purification"],
        methods={"air_purification": "capacity"},
        items={"air_purification": ["so2"]},
    )
    # forest 5 ha = 0.05 km² × 15.213 t/km²/yr = 0.76065 t SO2/yr; × 1200 CNY/t = 912.78 CNY/yr
    assert _quantity(acct, "air_purification") == pytest.approx(0.76065)
    assert _value(acct, "air_purification") == pytest.approx(912.78)


def test_carbon_npp_and_oxygen_follow_the_same_method():
    area = np.array([50_000.0])  # 5 ha
    args = dict(npp=np.array([6.0]), soil_respiration=np.array([4.0]), included=np.array([1.0]))
    # (6 − 4) t C/ha × 5 ha × 44.0095/12.011 = 36.641 t CO2
    q = get("carbon_sequestration", "npp").physical(area, **args)
    assert q[0] == pytest.approx(10 * CO2_PER_C) == pytest.approx(36.641, rel=1e-4)
    o2 = get("oxygen_release", "npp").physical(area, **args)
    assert o2[0] == pytest.approx(10 * CO2_PER_C * O2_PER_CO2)  # 26.643 t O2


def test_carbon_stock_change_on_an_earlier_land_cover(small_lc, tmp_path):
    earlier = SMALL_CODES.copy()
    earlier[np.isin(earlier, [2, 5, 8])] = 10  # all forest was grassland
    before = write_raster(tmp_path / "lc_2010.tif", earlier, nodata=255)
    density = {"unit": "t/ha", "values": dict.fromkeys(ALL_TYPES, 20.0) | {"forest": 120.0}}
    acct = _acct(
        small_lc,
        services=["carbon_sequestration", "oxygen_release"],
        methods={"carbon_sequestration": "stock_change", "oxygen_release": "stock_change"},
        inputs={
            "carbon_density": density,
            "carbon_density_before": {"landcover": str(before), **density},
            "period": "10 yr",
            "carbon_sequestration.price": "50 CNY/tCO2",  # the prices table has no national default
        },
    )
    # 5 ha went from 20 to 120 t C/ha in 10 years: 50 t C/yr × 44.0095/12.011 = 183.21 t CO2/yr
    assert _quantity(acct, "carbon_sequestration") == pytest.approx(50 * CO2_PER_C)
    assert _quantity(acct, "carbon_sequestration", ecosystem="grassland") == 0.0
    assert _quantity(acct, "oxygen_release") == pytest.approx(50 * CO2_PER_C * O2_PER_CO2)


def test_climate_regulation_from_transpiration():
    cr = get("climate_regulation", "evapotranspiration")
    q = cr.physical(
        area=np.array([10_000.0, 10_000.0]),
        transpiration=np.array([200.0, 200.0]),
        included=np.array([1.0, 0.0]),
        water_surface=np.array([0.0, 1.0]),
        evaporation_water=np.array([0.0, 1000.0]),
        ac_energy_efficiency_ratio=3.0,
        latent_heat_vaporization=2450.0,
        water_density=1000.0,
        humidifier_energy=120.0,
    )
    # forest: 0.2 m × 1e4 m² = 2000 m³ × 1000 kg/m³ × 2450 kJ/kg = 4.9e9 kJ / 3600 = 1,361,111 kWh / 3 = 453,703.7
    # water: 1 m × 1e4 m² = 1e4 m³ → 1e4 × 1000 × 2450 / 3600 = 6,805,555.6 kWh + 120 × 1e4 = 1,200,000 kWh
    # items (transpiration, evaporation) stacked on the first axis
    np.testing.assert_allclose(q, [[453_703.7037, 0.0], [0.0, 8_005_555.5556]], rtol=1e-9)
    np.testing.assert_allclose(q.sum(axis=0), [453_703.7037, 8_005_555.5556], rtol=1e-9)


NOI_INPUTS = {"negative_oxygen_ions.threshold": "600 / cm**3", "negative_oxygen_ions.price": "5.8185 CNY/exaion"}
# the table has no sourced stand height or ion lifetime (empty cells) and its forest concentration (1800, Altai
# account) is not the round number of the hand computation: all three are given here
NOI_FOREST = {
    "negative_oxygen_ions.ion_concentration": {"unit": "1/cm**3", "values": {"forest": 2000}},
    "negative_oxygen_ions.vegetation_height": {"unit": "m", "values": {"forest": 10}},
    "negative_oxygen_ions.ion_lifetime": {"unit": "min", "values": {"forest": 10}},
}


def test_negative_oxygen_ions_by_hand(small_lc):
    ions = get("negative_oxygen_ions")
    n = ions.physical(
        area=np.array([10_000.0]),
        ion_concentration=np.array([2000.0]),
        threshold=600.0,
        vegetation_height=np.array([10.0]),
        ion_lifetime=np.array([10.0]),
        included=np.array([1.0]),
    )
    # LY/T 1721: 5.256e15 × (2000 − 600) × 1 hm² × 10 m / 10 min = 7.3584e18 ions/yr
    assert n[0] == pytest.approx(5.256e15 * 1400 * 1 * 10 / 10)
    # the constants/prices tables have no sourced threshold or ion cost (empty cells): given here
    acct = _acct(small_lc, services=["negative_oxygen_ions"], inputs={**NOI_INPUTS, **NOI_FOREST})
    # inputs: forest 2000 /cm³, 10 m, 10 min on 5 ha → 5 × 7.3584e18 = 3.6792e19 ions; × 5.8185 CNY/1e18 = 214.07 CNY
    assert _quantity(acct, "negative_oxygen_ions") == pytest.approx(5 * 7.3584e18)
    assert _value(acct, "negative_oxygen_ions") == pytest.approx(36.792 * 5.8185)


def test_sand_fixation_rweq_by_hand():
    sf = get("sand_fixation")
    args = dict(
        weather_factor=np.array([30.0]),
        erodible_fraction=np.array([0.35]),
        soil_crust_factor=np.array([0.6]),
        roughness_factor=np.array([0.8]),
        vegetation_cover=np.array([40.0]),
        cog_coefficient=np.array([0.1535]),
        included=np.array([1.0]),
        downwind_distance=50.0,
    )
    q = sf.physical(area=np.array([10_000.0]), **args)

    def sl(f, z=50.0):  # RWEQ soil loss [kg/m²/yr]
        s = 150.71 * f**-0.3711
        return 2 * z / s**2 * 109.8 * f * math.exp(-((z / s) ** 2))

    f_bare = 30 * 0.35 * 0.6 * 0.8  # 5.04 kg/m/yr
    f_veg = f_bare * math.exp(-0.1535 * 40)  # COG = e^-6.14 = 0.0021549
    # (SL_p − SL) kg/m² × 1e4 m² / 1000 = t/yr
    assert q[0] == pytest.approx((sl(f_bare) - sl(f_veg)) * 10_000 / 1000, rel=1e-12)
    # value: Q / (1.28 t/m³ × 0.1 m) × 3.75 CNY/m²
    assert sf.value(q[0], 3.75, 1.28, 0.1) == pytest.approx(q[0] / 0.128 * 3.75)


def test_coastal_protection_shares_each_regions_coastline(small_lc, halves):
    acct = _acct(
        small_lc,
        halves,
        services=["coastal_protection"],
        inputs={
            "coastal_protection.included": dict.fromkeys(ALL_TYPES, 0) | {"water": 1},
            "protected_coastline": {"west": "0 m", "east": "1.2 km"},
            "coastal_protection.price": "20000 CNY/m",
            "seawall_design_life": "50 yr",
        },
    )
    # east: 1200 m on its 3 ha of water; value 1200 m × 20000 CNY/m / 50 yr = 480,000 CNY/yr
    assert _quantity(acct, "coastal_protection", region="east", ecosystem="water") == pytest.approx(1200.0)
    assert _value(acct, "coastal_protection") == pytest.approx(480_000.0)
    with pytest.raises(NodataError, match=r"\['west'\] have protected coastline but no area"):
        _acct(
            small_lc,
            halves,
            services=["coastal_protection"],
            inputs={
                "coastal_protection.included": dict.fromkeys(ALL_TYPES, 0) | {"water": 1},
                "protected_coastline": {"all": "1 km"},
                "coastal_protection.price": "1 CNY/m",
                "seawall_design_life": "50 yr",
            },
        )
    with pytest.raises(NodataError, match=r"cannot be valued.*'coastal_protection.price'"):
        _acct(
            small_lc,
            halves,
            services=["coastal_protection"],
            inputs={
                "coastal_protection.included": dict.fromkeys(ALL_TYPES, 0) | {"water": 1},
                "protected_coastline": {"west": "0 m", "east": "1 km"},
                "seawall_design_life": "50 yr",
            },
        )


def test_pest_control_by_hand(small_lc):
    acct = _acct(small_lc, services=["pest_control"])
    # forest 5 ha × 375 CNY/ha/yr + grassland 1 ha × 112.5 = 1875 + 112.5 = 1987.5 CNY/yr
    assert _quantity(acct, "pest_control") == pytest.approx(6.0)
    assert _value(acct, "pest_control") == pytest.approx(1987.5)


def test_pixel_services_add_up_over_regions(small_lc, halves):
    services = ["carbon_sequestration", "air_purification", "negative_oxygen_ions", "pest_control"]
    methods = {"air_purification": "capacity"}
    # no sourced carbon price, grassland carbon rate or forest NOx capacity in the tables (empty cells): given here
    inputs = {**NOI_INPUTS, **NOI_FOREST, "carbon_sequestration.price": "50 CNY/tCO2"}
    rates = {"forest": 3.62, "grassland": 0.1}
    inputs["carbon_sequestration.sequestration_rate"] = {"unit": "t/ha/yr", "values": rates}
    inputs["air_purification.capacity"] = {"nox": {"forest": "0.6 t/km**2/yr"}}
    parts = _acct(small_lc, halves, services=services, methods=methods, inputs=inputs).data["value"]
    whole = _acct(small_lc, services=services, methods=methods, inputs=inputs).data["value"]
    parts, whole = parts.sum(["region", "ecosystem"]), whole.sum(["region", "ecosystem"])
    np.testing.assert_allclose(parts.values, whole.values, rtol=1e-12)
