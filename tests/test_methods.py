"""The standards' method variants: dry matter, lakes by zone, climate and soil items, types counted.

The small raster (conftest): west = forest 5 ha + urban 1 ha; east = grassland 1 ha, farmland 1 ha,
water 3 ha (0.03 km²) and one nodata pixel; 1-ha cells.  Prices are given as inputs so that the
numbers do not depend on the price tables.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import gepcalc as gep
from conftest import SMALL_INPUTS, SMALL_OVERRIDES, write_raster
from gepcalc.errors import MissingInputError
from gepcalc.services import get
from gepcalc.testing import check_conformance

HA = 10_000.0  # m²


def _q(acct, service, **sel):
    return float(acct.data["quantity"].sel(service=service, **sel).sum())


def _v(acct, service, **sel):
    return float(acct.data["value"].sel(service=service, **sel).sum())


# -- 1. oxygen and carbon from NPP as dry matter (LY/T 1721 form) -----------------------------------


def test_dry_matter_factors_come_from_the_constants_table():
    constants = gep.load_table("constants")
    # Zhang et al. 2018 §1.3.2 (LY/T 1721-2008): 1.63 t CO2 and 1.19 t O2 per t of dry matter
    assert constants.quantity("co2_per_dry_matter", "value").magnitude == 1.63
    assert constants.quantity("o2_per_dry_matter", "value").magnitude == 1.19
    assert get("carbon_sequestration", "dry_matter").spec.param("co2_per_dry_matter").default.row == (
        "co2_per_dry_matter"
    )
    assert get("oxygen_release", "dry_matter").spec.param("o2_per_dry_matter").default.row == "o2_per_dry_matter"


def test_dry_matter_methods_by_hand():
    area = np.array([20_000.0, 10_000.0, 10_000.0])  # 2 ha, 1 ha, 1 ha (not counted)
    b = np.array([10.0, 4.0, 8.0])  # t dry matter/ha/yr
    included = np.array([1.0, 1.0, 0.0])
    co2 = get("carbon_sequestration", "dry_matter").physical(area, b, 1.63, included)
    o2 = get("oxygen_release", "dry_matter").physical(area, b, 1.19, included)
    # 2 ha × 10 t = 20 t dry matter → 20 × 1.63 = 32.6 t CO2, 20 × 1.19 = 23.8 t O2; 1 ha × 4 t = 4 t → 6.52, 4.76
    np.testing.assert_allclose(co2, [32.6, 6.52, 0.0], rtol=1e-12)
    np.testing.assert_allclose(o2, [23.8, 4.76, 0.0], rtol=1e-12)


def test_dry_matter_methods_in_an_account(small_lc):
    acct = gep.account(
        small_lc,
        services=["carbon_sequestration", "oxygen_release"],
        methods={"carbon_sequestration": "dry_matter", "oxygen_release": "dry_matter"},
        inputs={
            "npp_dry_matter": {"unit": "t/ha/yr", "values": {"forest": 10.0, "grassland": 4.0, "farmland": 6.0}},
            "carbon_sequestration.price": "100 CNY/t",
            "oxygen_release.price": "1000 CNY/t",
        },
    )
    # forest 5 ha × 10 t + grassland 1 ha × 4 t = 54 t dry matter (farmland is not counted by the carbon table)
    assert _q(acct, "carbon_sequestration") == pytest.approx(54 * 1.63)  # 88.02 t CO2
    assert _q(acct, "oxygen_release") == pytest.approx(54 * 1.19)  # 64.26 t O2
    assert _v(acct, "oxygen_release") == pytest.approx(54 * 1.19 * 1000)  # 64,260 CNY
    assert acct.data["method"].sel(service="oxygen_release").item() == "dry_matter"
    used = acct.sources.set_index(["service", "parameter"])
    assert used.loc[("oxygen_release", "o2_per_dry_matter"), "row"] == "o2_per_dry_matter"
    assert used.loc[("carbon_sequestration", "co2_per_dry_matter"), "table"] == "constants"


@pytest.mark.parametrize("sid", ["carbon_sequestration", "oxygen_release"])
def test_dry_matter_methods_conform(sid):
    # a price is given: the national default carbon price is an empty cell (no sourced value)
    check_conformance(get(sid, "dry_matter"), inputs={f"{sid}.price": "100 CNY/t"})


# -- 2. flood regulation: lakes by evaluation zone, reservoirs not counted twice ----------------------

LAKE_TIBET = math.exp(6.636) * 0.03**0.678 * 1 * 1e4  # e^6.636 × (0.03 km²)^0.678 × T=1/yr × 10⁴ m³


def _flood(lc, regions, **inputs):
    return gep.account(
        lc,
        regions,
        region_field="name",
        services=["flood_regulation"],
        inputs={"storm_rainfall": "300 mm/yr", "flood_regulation.price": "6 CNY/m**3", **inputs},
    )


def test_water_with_a_reservoir_capacity_is_reservoir_only(small_lc, halves):
    acct = _flood(small_lc, halves, reservoir_capacity={"west": "0 m**3", "east": "1e6 m**3"})
    # east: 0.35 × 1,000,000 m³ = 350,000 m³ of reservoir storage; its 3 ha of water are not also a lake
    assert _q(acct, "flood_regulation", item="reservoir", region="east") == pytest.approx(350_000.0)
    assert _q(acct, "flood_regulation", item="lake") == 0.0
    assert any("region east" in n and "counted as reservoir" in n and "not as lake" in n for n in acct.notes)
    # no zone was needed: no region has lakes
    assert not any("counted as lake" in n for n in acct.notes)


def test_water_without_a_reservoir_is_a_lake_of_the_chosen_zone(small_lc, halves):
    acct = _flood(small_lc, halves, lake_zone={"all": "青藏高原"})
    # east: 0.03 km² → e^6.636 × 0.03^0.678 × 1 × 1e4 = 707,076 m³/yr (Garze 2017 §2.4.4, T = 1)
    assert LAKE_TIBET == pytest.approx(707_076.48, rel=1e-7)
    assert _q(acct, "flood_regulation", item="lake", region="east", ecosystem="water") == pytest.approx(LAKE_TIBET)
    assert _q(acct, "flood_regulation", item="reservoir") == 0.0
    assert any("region east" in n and "counted as lake" in n and "青藏高原" in n for n in acct.notes)
    lake_rows = acct.sources[acct.sources["table"] == "lake_regression"]
    assert set(lake_rows["row"]) == {"青藏高原"}
    assert set(lake_rows["parameter"]) == {"lake_a", "lake_b", "lake_exchanges"}
    assert set(lake_rows["status"]) == {"account"}


def test_a_separate_lake_area_beside_a_reservoir(small_lc, halves):
    acct = _flood(
        small_lc,
        halves,
        reservoir_capacity={"west": "0 m**3", "east": "1e6 m**3"},
        lake_area={"west": "0 km**2", "east": "0.02 km**2"},
        lake_zone={"all": "青藏高原"},
    )
    # east: reservoir 350,000 m³ and a lake of 0.02 km²: e^6.636 × 0.02^0.678 × 1e4 = 537,126 m³
    lake = math.exp(6.636) * 0.02**0.678 * 1e4
    assert lake == pytest.approx(537_126.4, rel=1e-6)
    assert _q(acct, "flood_regulation", item="lake", region="east") == pytest.approx(lake)
    assert any("region east" in n and "(lake_area given) counted as lake" in n for n in acct.notes)
    assert _q(acct, "flood_regulation", item="reservoir", region="east") == pytest.approx(350_000.0)


def test_no_zone_or_an_unread_zone_stops_the_account(small_lc, halves):
    with pytest.raises(MissingInputError, match=r"lake_zone.*region 'east'.*东部平原.*青藏高原") as exc:
        _flood(small_lc, halves)
    assert "lake_regression" in str(exc.value)
    with pytest.raises(MissingInputError, match=r"东部平原.*no value in column 'a' of table 'lake_regression'"):
        _flood(small_lc, halves, lake_zone={"all": "东部平原"})
    with pytest.raises(MissingInputError, match=r"unknown lake_zone \['Tibet'\].*青藏高原"):
        _flood(small_lc, halves, lake_zone={"all": "Tibet"})


def test_lake_coefficients_given_per_region_replace_the_table(small_lc, halves):
    acct = _flood(small_lc, halves, lake_a={"all": "5"}, lake_b={"all": "0.5"}, lake_exchanges={"all": "2 / yr"})
    # e^5 × 0.03^0.5 × 2 × 1e4 = 148.413 × 0.173205 × 2e4 = 514,118 m³/yr
    expected = math.exp(5) * 0.03**0.5 * 2 * 1e4
    assert expected == pytest.approx(514_118.26, rel=1e-8)
    assert _q(acct, "flood_regulation", item="lake", region="east") == pytest.approx(expected)


# -- 3. climate regulation items ------------------------------------------------------------------------

TRANSPIRATION = (2837 * 5 * HA + 905 * 1 * HA) * 74 / 3600 / 3  # forest 5 ha + grassland 1 ha [kWh/yr]
EVAPORATION = 3 * 13_550 * (1000 * 2450 / 3600 + 120)  # 3 ha × 1.355 m = 40,650 m³ × 800.56 kWh/m³


def _climate(lc, **kw):
    return gep.account(
        lc,
        services=["climate_regulation"],
        inputs={**SMALL_INPUTS, "climate_regulation.price": "0.5 CNY/kWh"},
        overrides={k: SMALL_OVERRIDES[k] for k in ("climate_regulation", "constants")},
        region_name="county",
        **kw,
    )


def test_climate_regulation_gives_transpiration_and_evaporation(small_lc):
    acct = _climate(small_lc)
    assert TRANSPIRATION == pytest.approx(1_033_944.44, rel=1e-8)
    assert EVAPORATION == pytest.approx(32_542_583.33, rel=1e-9)
    assert _q(acct, "climate_regulation", item="transpiration") == pytest.approx(TRANSPIRATION, rel=1e-12)
    assert _q(acct, "climate_regulation", item="evaporation") == pytest.approx(EVAPORATION, rel=1e-12)
    # the items add up to the quantity of before: 1,033,944.4 + 32,542,583.3 kWh
    by = acct.by("service", unit="CNY").set_index("service")
    assert by.at["climate_regulation", "quantity"] == pytest.approx(TRANSPIRATION + EVAPORATION, rel=1e-12)
    summary = acct.summary(unit="CNY").set_index("item")
    assert summary.at["transpiration", "quantity_unit"] == summary.at["evaporation", "quantity_unit"]
    assert summary.at["evaporation", "value"] == pytest.approx(EVAPORATION * 0.5)


def test_evapotranspiration_method_gives_the_items_too():
    q = get("climate_regulation", "evapotranspiration").physical(
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
    # transpiration: 2000 m³ × 1000 × 2450 / 3600 / 3 = 453,703.7 kWh (forest pixel)
    # evaporation: 1e4 m³ × 1000 × 2450 / 3600 + 120 × 1e4 = 8,005,555.6 kWh (water pixel)
    np.testing.assert_allclose(q, [[453_703.7037037, 0.0], [0.0, 8_005_555.5555556]], rtol=1e-12)


def test_climate_items_and_the_total_as_lines():
    lines = pd.DataFrame(
        {
            "region": ["A", "A", "B"],
            "service": ["climate_regulation"] * 3,
            "item": ["transpiration", "evaporation", ""],
            "quantity": [1.2e6, 3.0e6, 5.0e6],
            "unit": ["kWh", "kWh", "kWh"],
            "source": ["published table 3"] * 3,
            "price": [0.6, 0.6, 0.6],
            "price_unit": ["CNY/kWh"] * 3,
        }
    )
    acct = gep.account(lines=lines, services=["climate_regulation"])
    # 1.2e6 × 0.6 = 720,000; 3.0e6 × 0.6 = 1,800,000; the total line of B 5e6 × 0.6 = 3,000,000 CNY/yr
    assert _v(acct, "climate_regulation", item="transpiration") == pytest.approx(720_000.0)
    assert _v(acct, "climate_regulation", item="evaporation") == pytest.approx(1_800_000.0)
    assert _v(acct, "climate_regulation", region="B") == pytest.approx(3_000_000.0)


# -- 4. soil retention items ----------------------------------------------------------------------------

# λ = 0.24, ρ = 1.25 t/m³, P_d = 10 CNY/m³, c_N = 0.004, c_P = 0.001, P_N = 1000, P_P = 3000 CNY/t
SOIL_VALUE = {
    "siltation_ratio": "0.24",
    "soil_bulk_density": "1.25 t/m**3",
    "dredging_cost": "10 CNY/m**3",
    "nitrogen_content": "0.004",
    "phosphorus_content": "0.001",
    "nitrogen_price": "1000 CNY/t",
    "phosphorus_price": "3000 CNY/t",
}
PER_T = 0.24 / 1.25 * 10 + 0.004 * 1000 + 0.001 * 3000  # 1.92 + 4 + 3 = 8.92 CNY per t of soil


def _plane(rows, cols, cell=100.0, slope=0.1):
    return (rows - np.arange(rows))[:, None] * cell * slope + np.zeros((rows, cols))


def _soil(tmp_path, items=None, **more):
    codes = np.full((6, 6), 2, dtype="uint8")  # evergreen broadleaf forest, 1-ha cells
    lc = write_raster(tmp_path / "lc.tif", codes, nodata=255)
    dem = write_raster(tmp_path / "dem.tif", _plane(6, 6).astype("float32"))
    inputs = {
        "dem": {"raster": str(dem), "unit": "m"},
        "erosivity": "2000 MJ*mm/ha/hr/yr",
        "erodibility": "0.03 t*ha*hr/ha/MJ/mm",
        "cover_factor": "0.01",  # the table's forest C is an empty cell (not sourced)
        **{f"soil_retention.{k}": v for k, v in {**SOIL_VALUE, **more}.items()},
    }
    return gep.account(
        lc, services=["soil_retention"], items={"soil_retention": items} if items else None, inputs=inputs
    )


def test_soil_retention_items_from_the_soil_retained(tmp_path):
    soil = _soil(tmp_path)
    parts = _soil(tmp_path, ["siltation", "nitrogen", "phosphorus"])
    q = _q(soil, "soil_retention")  # default item: the soil retained [t/yr], as before
    assert list(soil.data["item"].values) == ["soil"] and q > 0
    assert _v(soil, "soil_retention") == pytest.approx(q * PER_T)
    # siltation = λ Q / ρ = 0.192 Q m³; N = 0.004 Q t; P = 0.001 Q t
    assert _q(parts, "soil_retention", item="siltation") == pytest.approx(q * 0.24 / 1.25)
    assert _q(parts, "soil_retention", item="nitrogen") == pytest.approx(q * 0.004)
    assert _q(parts, "soil_retention", item="phosphorus") == pytest.approx(q * 0.001)
    # the breakdown is worth what the soil item is worth: 1.92 Q + 4 Q + 3 Q
    assert _v(parts, "soil_retention") == pytest.approx(q * PER_T)
    assert _v(parts, "soil_retention", item="siltation") == pytest.approx(q * 0.192 * 10)
    units = parts.summary(unit="CNY").set_index("item")["quantity_unit"]
    assert units["siltation"] != units["nitrogen"]  # m³/yr and t/yr: the service total is not shown
    assert np.isnan(parts.by("service", unit="CNY").set_index("service").at["soil_retention", "quantity"])


def test_potassium_needs_its_content_and_price(tmp_path):
    with pytest.raises(MissingInputError, match="potassium_content"):
        _soil(tmp_path, ["potassium"])
    with pytest.raises(MissingInputError, match="potassium_price"):
        _soil(tmp_path, ["potassium"], potassium_content="0.02")
    k = _soil(tmp_path, ["potassium"], potassium_content="0.02", potassium_price="2549 CNY/t")
    soil = _q(_soil(tmp_path), "soil_retention")
    # 2 % of the soil retained, at 2549 CNY per t of nutrient
    assert _q(k, "soil_retention") == pytest.approx(0.02 * soil)
    assert _v(k, "soil_retention") == pytest.approx(0.02 * soil * 2549)


def test_soil_and_its_components_together_are_refused(tmp_path):
    with pytest.raises(MissingInputError, match="count the value twice"):
        _soil(tmp_path, ["soil", "siltation"])


def test_soil_items_as_published_lines():
    lines = pd.DataFrame(
        {
            "region": ["G", "G"],
            "service": ["soil_retention", "soil_retention"],
            "item": ["siltation", "nitrogen"],
            "quantity": [1.2e6, 300.0],
            "unit": ["m**3", "t"],
            "source": ["published table 3"] * 2,
        }
    )
    acct = gep.account(
        lines=lines, services=["soil_retention"], inputs={f"soil_retention.{k}": v for k, v in SOIL_VALUE.items()}
    )
    # 1.2e6 m³ × 10 CNY/m³ = 12,000,000 CNY; 300 t N × 1000 CNY/t = 300,000 CNY
    assert _v(acct, "soil_retention", item="siltation") == pytest.approx(1.2e7)
    assert _v(acct, "soil_retention", item="nitrogen") == pytest.approx(3.0e5)
    units = acct.summary(unit="CNY").set_index("item")["quantity_unit"]
    assert "m" in units["siltation"] and units["nitrogen"].startswith("t")


# -- 5. ecosystem types counted per profile or account -----------------------------------------------


def _water(lc, **kw):
    return gep.account(
        lc,
        services=["water_conservation"],
        inputs={**SMALL_INPUTS, "water_conservation.price": "6 CNY/m**3"},
        overrides={"water_conservation": SMALL_OVERRIDES["water_conservation"]},
        region_name="county",
        **kw,
    )


def test_types_counted_chosen_by_the_account(small_lc):
    default = _water(small_lc)
    # forest 5 ha × (1400 − 70 − 800) mm = 26,500 m³; grassland 1 ha × (1400 − 140 − 600) mm = 6,600 m³
    assert _q(default, "water_conservation") == pytest.approx(33_100.0)
    forest_only = _water(small_lc, ecosystems={"water_conservation": ["forest", "shrubland"]})
    assert _q(forest_only, "water_conservation") == pytest.approx(26_500.0)
    assert any("water_conservation: ecosystem types counted forest, shrubland" in n for n in forest_only.notes)
    rows = forest_only.sources[forest_only.sources["parameter"] == "included"]
    assert set(rows["table"]) == {"account(ecosystems=...)"}
    with pytest.raises(MissingInputError, match="unknown ecosystem type"):
        _water(small_lc, ecosystems={"water_conservation": ["forests"]})


def test_types_counted_chosen_by_a_profile(small_lc, tmp_path):
    base = (gep.profiles.profiles_dir() / "mee-2020.toml").read_text(encoding="utf-8")
    text = base.replace('id = "mee-2020"', 'id = "my-county"')
    if "\n[ecosystems]\n" not in text:
        text += "\n[ecosystems]\n"
    text = text.replace("\n[ecosystems]\n", '\n[ecosystems]\nwater_conservation = ["grassland"]\n')
    path = tmp_path / "my-county.toml"
    path.write_text(text, encoding="utf-8")
    acct = _water(small_lc, profile=str(path))
    assert _q(acct, "water_conservation") == pytest.approx(6_600.0)  # grassland only
    assert any("profile my-county [ecosystems]" in n for n in acct.notes)
    # the account's own choice wins over the profile's
    both = _water(small_lc, profile=str(path), ecosystems={"water_conservation": ["forest"]})
    assert _q(both, "water_conservation") == pytest.approx(26_500.0)


# -- the conformance kit on the changed services (prices given: some national defaults are empty cells) --


@pytest.mark.parametrize(
    ("sid", "method", "inputs"),
    [
        ("climate_regulation", None, {"climate_regulation.price": "0.5 CNY/kWh"}),
        ("climate_regulation", "evapotranspiration", {"climate_regulation.price": "0.5 CNY/kWh"}),
        ("soil_retention", None, {f"soil_retention.{k}": v for k, v in SOIL_VALUE.items()}),
        ("flood_regulation", None, {"flood_regulation.price": "6 CNY/m**3"}),
    ],
)
def test_changed_services_conform(sid, method, inputs):
    check_conformance(get(sid, method), inputs=inputs)
