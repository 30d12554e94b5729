"""Indicators never silently absent (``account(missing="list")``) and area corrections (``areas=``).

The small raster (tests/conftest.py): 3 × 4 cells of 1 ha; forest 5 ha, grassland 1 ha, farmland 1 ha,
urban 1 ha, water 3 ha (column 3), one nodata cell. Every number below is worked by hand.
"""

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box
from typer.testing import CliRunner

import gepcalc as gep
from conftest import SMALL_CODES, SMALL_CRS, SMALL_INPUTS, SMALL_OVERRIDES, SMALL_SERVICES, write_raster
from gepcalc.account import COMPUTED, TIDY_COLUMNS
from gepcalc.cli import app
from gepcalc.errors import ConfigError, MissingInputError, NodataError, RegionError, UnitError

ROOT = Path(__file__).resolve().parents[1]
CO2_PER_C = 44.0095 / 12.011
HA = 10_000.0  # m²
# carbon: (5 ha × 2 + 1 ha × 0.5) t C/yr × 44.0095/12.011 t CO2/t C × 50 CNY/t CO2
CARBON_T = (5 * 2 + 1 * 0.5) * CO2_PER_C
CARBON_CNY = CARBON_T * 50
# water-surface evaporation: 1 ha × 1.355 m = 13,550 m³ per ha of water, each m³ worth
# 1000 kg/m³ × 2450 kJ/kg / 3600 kJ/kWh + 120 kWh/m³ = 800.5556 kWh (constants of SMALL_OVERRIDES)
KWH_PER_M3 = 1000 * 2450 / 3600 + 120
EVAP_KWH_PER_HA = 13_550 * KWH_PER_M3

CARBON_ONLY = {
    "carbon_sequestration": SMALL_OVERRIDES["carbon_sequestration"],
    "prices": {"carbon_price": SMALL_OVERRIDES["prices"]["carbon_price"]},
}


def emptied(tmp_path, table: str, column: str, rows=None) -> Path:
    """A built-in table with ``column`` emptied in ``rows`` (all rows if None): a cell nobody could source."""
    df = pd.read_csv(ROOT / "data" / "coefficients" / f"{table}.csv", dtype=str, keep_default_na=False)
    df.loc[df[df.columns[0]].isin(rows) if rows else slice(None), column] = ""
    path = tmp_path / f"{table}.csv"
    df.to_csv(path, index=False)
    return path


@pytest.fixture
def prices_without_oxygen_and_pest(tmp_path) -> dict[str, Path]:
    """The oxygen price and the pest-control costs emptied."""
    return {
        "prices": emptied(tmp_path, "prices", "price", ["oxygen_price"]),
        "pest_control": emptied(tmp_path, "pest_control", "control_cost"),
    }


def profile_account(lc, prices, **kw):
    return gep.account(
        lc,
        region_name="county",
        year=2020,
        price_year=2020,
        overrides=CARBON_ONLY,
        tables=prices,
        **kw,
    )


def test_profile_lists_every_indicator_it_could_not_compute(small_lc, prices_without_oxygen_and_pest, tmp_path):
    acct = profile_account(small_lc, prices_without_oxygen_and_pest, missing="list")
    # numbers: carbon only
    by = acct.by("service", unit="CNY").set_index("service")
    assert list(by.index) == ["carbon_sequestration"]
    assert by.at["carbon_sequestration", "quantity"] == pytest.approx(CARBON_T, rel=1e-12)
    assert acct.gep("CNY").magnitude == pytest.approx(CARBON_CNY, rel=1e-12)
    tot = acct.total(unit="CNY").set_index("category")
    assert tot.at["GEP", "value"] == pytest.approx(CARBON_CNY, rel=1e-12)
    # the rest of the profile, each with what it needs
    nc = acct.not_computed.set_index("service")
    assert list(acct.not_computed.columns[:3]) == ["service", "category", "reason"]
    profile = gep.load_profile("mee-2020").services
    assert set(nc.index) | {"carbon_sequestration"} == set(profile)
    assert "'dem'" in nc.at["soil_retention", "reason"] and "[m]" in nc.at["soil_retention", "reason"]
    assert "'hot_days'" in nc.at["climate_regulation", "reason"]
    assert nc.at["recreation", "reason"].startswith("needs statistics lines")
    assert nc.at["recreation", "category"] == "cultural"
    # (c) an empty price: the service is listed with the parameter and how to give it
    assert "'oxygen_release.price'" in nc.at["oxygen_release", "reason"]
    assert "pest_control" in nc.at["pest_control", "reason"] and "price" in nc.at["pest_control", "reason"]
    assert nc.at["soil_retention", "name_zh"] == "土壤保持" and nc.at["soil_retention", "item"] == ""
    # the sources hold nothing of a service left out
    assert set(acct.sources["service"]) == {"carbon_sequestration"}

    # summary: computed rows first, then one row per indicator not computed, quantity and value empty
    s = acct.summary(unit="CNY")
    assert s.columns[-1] == "status" and s.iloc[0]["status"] == COMPUTED
    assert s.iloc[0]["service"] == "carbon_sequestration" and len(s) == len(profile)
    row = s.set_index("service").loc["soil_retention"]
    assert row["status"].startswith("not computed: service 'soil_retention' needs input 'dem'")
    assert pd.isna(row["quantity"]) and pd.isna(row["value"]) and row["name_zh"] == "土壤保持"

    # CSV: the status column, one row per region for each indicator not computed
    back = pd.read_csv(acct.to_csv(tmp_path / "a.csv"), encoding="utf-8-sig", keep_default_na=False)
    assert list(back.columns) == TIDY_COLUMNS
    assert set(back.loc[back["status"] == COMPUTED, "service"]) == {"carbon_sequestration"}
    missing = back[back["status"].str.startswith("not computed")]
    assert len(missing) == len(profile) - 1 and set(missing["region"]) == {"county"}
    assert (missing["value"] == "").all() and (missing["quantity"] == "").all()
    assert pd.to_numeric(back["value"]).sum() == pytest.approx(CARBON_CNY, rel=1e-12)

    # workbook: the sheet of what is missing, and the summary lists them
    book = pd.read_excel(acct.to_excel(tmp_path / "a.xlsx"), sheet_name=None)
    sheet = book["not computed 未核算"].set_index("service")
    assert list(sheet.columns) == ["item", "指标", "indicator", "category", "what it needs"]
    assert "'dem'" in sheet.at["soil_retention", "what it needs"]
    assert sheet.at["climate_regulation", "指标"] == "气候调节"
    summary = book["summary 汇总"].set_index("service")
    assert summary.at["soil_retention", "status"].startswith("not computed")
    assert summary.at["carbon_sequestration", "value [万元/yr]"] == pytest.approx(CARBON_CNY / 1e4, rel=1e-12)
    assert any("not computed" in n and "soil_retention" in n for n in acct.notes)


def test_missing_error_is_the_default_and_stops(small_lc, prices_without_oxygen_and_pest):
    with pytest.raises(MissingInputError, match="'water_conservation' needs input 'precipitation'"):
        profile_account(small_lc, prices_without_oxygen_and_pest)
    with pytest.raises(ConfigError, match="missing='skip'"):
        profile_account(small_lc, prices_without_oxygen_and_pest, missing="skip")


def climate(lc, regions=None, **kw):
    over = {k: v for k, v in SMALL_OVERRIDES.items() if k != "climate_regulation"}  # transpiration heat: empty cells
    return gep.account(
        lc,
        regions,
        inputs=SMALL_INPUTS,
        services=["carbon_sequestration", "climate_regulation"],
        overrides=over,
        year=2020,
        price_year=2020,
        region_name="county",
        **kw,
    )


def test_only_the_item_lacking_a_value_is_listed(small_lc):
    with pytest.raises(NodataError, match="'transpiration_heat' has no value for ecosystem type 'forest'"):
        climate(small_lc)
    acct = climate(small_lc, missing="list")
    nc = acct.not_computed
    assert list(nc["service"]) == ["climate_regulation"] and list(nc["item"]) == ["transpiration"]
    why = nc.iloc[0]["reason"]
    assert "'transpiration_heat' has no value for ecosystem type 'forest'" in why
    assert "climate_regulation.transpiration_heat" in why and "kJ / m**2 / d" in why  # how to give it
    # evaporation still computed: 3 ha of water × 13,550 m³/ha × 800.56 kWh/m³ × 0.5 CNY/kWh
    s = acct.summary(unit="CNY").set_index(["service", "item"])
    evap = 3 * EVAP_KWH_PER_HA
    assert s.at[("climate_regulation", "evaporation"), "quantity"] == pytest.approx(evap, rel=1e-12)
    assert s.at[("climate_regulation", "evaporation"), "value"] == pytest.approx(evap * 0.5, rel=1e-12)
    assert s.at[("climate_regulation", "transpiration"), "status"].startswith("not computed: service")
    assert acct.gep("CNY").magnitude == pytest.approx(CARBON_CNY + evap * 0.5, rel=1e-12)


@pytest.fixture
def north_south(tmp_path) -> Path:
    """North: rows 0–1 (forest 4 cells, grassland 1, farmland 1, water 2); south: row 2 (forest, urban, water)."""
    x0, y1 = 700_000, 3_300_400
    gdf = gpd.GeoDataFrame(
        {"name": ["north", "south"]},
        geometry=[box(x0, y1 - 200, x0 + 400, y1), box(x0, y1 - 300, x0 + 400, y1 - 200)],
        crs=SMALL_CRS,
    )
    path = tmp_path / "ns.gpkg"
    gdf.to_file(path)
    return path


def test_area_correction_scales_the_type_in_its_region(small_lc, north_south):
    plain = climate(small_lc, north_south, region_field="name", missing="list")
    acct = climate(
        small_lc,
        north_south,
        region_field="name",
        missing="list",
        areas={"north": {"water": {"area": "0.03 km**2", "source": "survey"}}},  # 2 ha → 3 ha: × 1.5
    )
    area = acct.data["area"].squeeze(drop=True).to_series()
    assert area[("north", "water")] == pytest.approx(3 * HA) and area[("south", "water")] == pytest.approx(HA)
    assert area[("north", "forest")] == pytest.approx(4 * HA)  # other types untouched
    q = acct.data["quantity"].sel(service="climate_regulation", item="evaporation").squeeze(drop=True)
    # north: 2 ha × 13,550 m³/ha × 800.56 kWh/m³ × 1.5; south: 1 ha, not corrected
    assert float(q.sel(region="north", ecosystem="water")) == pytest.approx(2 * EVAP_KWH_PER_HA * 1.5, rel=1e-12)
    assert float(q.sel(region="south", ecosystem="water")) == pytest.approx(EVAP_KWH_PER_HA, rel=1e-12)
    gain = acct.gep("CNY").magnitude - plain.gep("CNY").magnitude
    assert gain == pytest.approx(1 * EVAP_KWH_PER_HA * 0.5, rel=1e-9)  # the added hectare at 0.5 CNY/kWh
    note = next(n for n in acct.notes if n.startswith("north/water"))
    assert "raster 0.02 km², given 0.03 km² (survey)" in note and "× 1.5 " in note
    src = acct.sources[acct.sources["parameter"] == "area"].iloc[0]
    assert (src["table"], src["row"], src["value"], src["source"]) == (
        "areas (account input)",
        "north/water",
        "0.03 km**2",
        "survey",
    )


def test_area_corrections_that_cannot_apply_are_refused(small_lc, north_south):
    def run(areas):
        return climate(small_lc, north_south, region_field="name", missing="list", areas=areas)

    with pytest.raises(NodataError, match="no 'grassland' pixel in region 'south'"):
        run({"south": {"grassland": "1 ha"}})
    with pytest.raises(RegionError, match="region 'west' is not in the account"):
        run({"west": {"water": "1 ha"}})
    with pytest.raises(MissingInputError, match="ecosystem type 'lake' of region 'north'"):
        run({"north": {"lake": "1 ha"}})
    with pytest.raises(UnitError, match="an area correction is an area"):
        run({"north": {"water": "5 km"}})


def test_config_lists_what_is_missing_and_the_cli_shows_it(small_lc, tmp_path):
    cfg = tmp_path / "county.toml"
    cfg.write_text(
        f'''
[account]
landcover = "{small_lc.name}"
region_name = "county"
year = 2020
price_year = 2020
services = ["carbon_sequestration", "soil_retention"]
missing = "list"

[account.areas.county]
water = {{ area = "4 ha", source = "survey" }}

[overrides.carbon_sequestration.forest]
sequestration_rate = "2 t/ha/yr"
[overrides.carbon_sequestration.grassland]
sequestration_rate = "0.5 t/ha/yr"
[overrides.prices.carbon_price]
price = "50 CNY/t"
price_year = 2020

[output]
dir = "out"
''',
        encoding="utf-8",
    )
    res = CliRunner().invoke(app, ["account", str(cfg), "--unit", "CNY"])
    assert res.exit_code == 0, res.output
    assert "not computed 未核算" in res.output and "土壤保持" in res.output and "'dem'" in res.output
    assert "county/water: raster 3 ha, given 4 ha (survey)" in res.output
    csv = pd.read_csv(tmp_path / "out" / "account.csv", encoding="utf-8-sig", keep_default_na=False)
    assert list(csv.loc[csv["service"] == "soil_retention", "status"].str[:13]) == ["not computed:"]
    done = csv[csv["status"] == COMPUTED]
    assert pd.to_numeric(done["value"]).sum() == pytest.approx(CARBON_CNY, rel=1e-12)  # water has no carbon rate


def test_nodata_in_an_input_raster_lists_the_service_and_keeps_the_others(small_lc, tmp_path):
    p = np.full(SMALL_CODES.shape, 1400.0, dtype="float32")
    p[0, 0] = -9999.0  # a forest pixel
    rp = write_raster(tmp_path / "p.tif", p, nodata=-9999.0)
    acct = gep.account(
        small_lc,
        region_name="county",
        inputs={**SMALL_INPUTS, "precipitation": {"raster": str(rp), "unit": "mm/yr"}},
        services=SMALL_SERVICES,
        overrides=SMALL_OVERRIDES,
        year=2020,
        price_year=2020,
        missing="list",
    )
    nc = acct.not_computed
    assert list(nc["service"]) == ["water_conservation"] and list(nc["item"]) == [""]
    assert "county/forest" in nc.iloc[0]["reason"] and "nodata" in nc.iloc[0]["reason"]
    # the other three services as in the account by hand of test_account (one zonal pass for all)
    by = acct.by("service", unit="CNY").set_index("service")
    assert list(by.index) == ["carbon_sequestration", "oxygen_release", "climate_regulation"]
    assert by.at["carbon_sequestration", "value"] == pytest.approx(CARBON_CNY, rel=1e-12)
    # climate: (2837 kJ/m²/d × 5 ha + 905 × 1 ha) × 74 d / 3600 / 3 + 3 ha of water evaporating, × 0.5 CNY/kWh
    kwh = (2837 * 5 * HA + 905 * 1 * HA) * 74 / 3600 / 3 + 3 * EVAP_KWH_PER_HA
    assert by.at["climate_regulation", "value"] == pytest.approx(kwh * 0.5, rel=1e-12)
    assert "water_conservation" not in set(acct.sources["service"])


def test_the_lake_regression_sees_the_corrected_area(small_lc, halves):
    acct = gep.account(
        small_lc,
        halves,
        region_field="name",
        services=["flood_regulation"],
        inputs={
            "storm_rainfall": "300 mm/yr",
            "flood_regulation.price": "6 CNY/m**3",
            "lake_zone": {"all": "青藏高原"},
        },
        areas={"east": {"water": "0.06 km**2"}},  # the raster's 3 ha of water → 6 ha
    )
    # e^6.636 × (0.06 km²)^0.678 × T = 1/yr × 10⁴ m³ (Tibet zone of the lake regression), not (0.03 km²)^0.678
    lake = math.exp(6.636) * 0.06**0.678 * 1 * 1e4
    q = acct.data["quantity"].sel(service="flood_regulation", item="lake", region="east", ecosystem="water")
    assert float(q.sum()) == pytest.approx(lake, rel=1e-12)
    assert any("region east: lake 0.06 km²" in n for n in acct.notes)
