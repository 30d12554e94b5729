"""A whole account on a 3 × 4 raster of 1-ha cells, every number computed by hand."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import gepcalc as gep
from conftest import SMALL_INPUTS, SMALL_OVERRIDES, SMALL_SERVICES, sha256
from gepcalc.account import TIDY_COLUMNS

CO2_PER_C = 44.0095 / 12.011
O2_PER_CO2 = 31.998 / 44.0095
# the small raster: forest 5 ha (codes 2,2,5,8,2), grassland 1 ha, farmland 1 ha, urban 1 ha, water 3 ha,
# 1 nodata pixel (left out)
FOREST, GRASS, WATER = 5, 1, 3  # ha
HA = 10_000.0  # m²


def small_account(lc, regions=None, **kw):
    return gep.account(
        lc,
        regions,
        inputs=SMALL_INPUTS,
        services=SMALL_SERVICES,
        overrides=SMALL_OVERRIDES,
        year=2020,
        price_year=2020,
        region_name="county",
        **kw,
    )


def expected():
    carbon = (FOREST * 2 + GRASS * 0.5) * CO2_PER_C  # t CO2/yr: (5 ha × 2 + 1 ha × 0.5) t C × 44/12
    oxygen = carbon * O2_PER_CO2
    # forest: 5 ha × (1400 − 0.05·1400 − 800) mm = 50,000 m² × 0.530 m = 26,500 m³
    # grassland: 1 ha × (1400 − 0.1·1400 − 600) mm = 10,000 m² × 0.660 m = 6,600 m³
    water = 50_000 * 0.530 + 10_000 * 0.660
    # vegetation: EPP × area × 74 d / 3600 / 3; water: 13,550 m³/ha × (1000 × 2450 / 3600 + 120) kWh/m³
    climate = (2837 * FOREST * HA + 905 * GRASS * HA) * 74 / 3600 / 3 + WATER * 13_550 * (1000 * 2450 / 3600 + 120)
    return {
        "carbon_sequestration": (carbon, carbon * 50),
        "oxygen_release": (oxygen, oxygen * 1000),
        "water_conservation": (water, water * 6.11),
        "climate_regulation": (climate, climate * 0.5),
    }


def test_small_account_by_hand(small_lc):
    acct = small_account(small_lc)
    assert water_m3 == 33_100.0
    by = acct.by("service", unit="CNY").set_index("service")
    for sid, (q, v) in expected().items():
        assert by.at[sid, "quantity"] == pytest.approx(q, rel=1e-12), sid
        assert by.at[sid, "value"] == pytest.approx(v, rel=1e-12), sid
    # areas by ecosystem type, nodata pixel left out (and reported)
    area = acct.data["area"].sel(region="county").squeeze(drop=True).to_series()
    assert area["forest"] == 5 * HA and area["water"] == 3 * HA and area.sum() == 11 * HA
    assert acct.data.attrs["nodata_pixels"] == 1
    assert any("1 nodata pixels" in n for n in acct.notes)
    gep_cny = sum(v for _, v in expected().values())
    assert acct.gep("CNY").magnitude == pytest.approx(gep_cny, rel=1e-12)
    assert acct.gep("亿元").magnitude == pytest.approx(gep_cny / 1e8, rel=1e-12)


water_m3 = 50_000 * 0.530 + 10_000 * 0.660


def test_totals_by_category_with_shares(small_lc):
    acct = small_account(small_lc)
    tot = acct.total(unit="万元").set_index("category")
    gep_wan = sum(v for _, v in expected().values()) / 1e4
    assert tot.at["regulating", "value"] == pytest.approx(gep_wan)
    assert tot.at["GEP", "value"] == pytest.approx(gep_wan)
    assert tot.at["regulating", "share"] == pytest.approx(1.0)
    assert tot.at["regulating", "name_zh"] == "调节服务"


def test_tidy_table_columns_and_units(small_lc):
    acct = small_account(small_lc)
    df = acct.table()
    assert list(df.columns) == TIDY_COLUMNS
    assert set(df["ecosystem"]) == {"forest", "grassland", "farmland", "urban", "water"}  # absent types left out
    row = df[(df.service == "water_conservation") & (df.ecosystem == "forest")].iloc[0]
    assert row.quantity == pytest.approx(26_500.0) and row.quantity_unit == "m³/a"
    assert row.value == pytest.approx(26_500 * 6.11) and row.value_unit == "CNY/a"
    assert (row.year, row.price_year, row.scenario, row.category) == (2020, 2020, "baseline", "regulating")
    yi = acct.table(value_unit="亿元")
    np.testing.assert_allclose(yi["value"], df["value"] / 1e8)


def test_regions_add_up_exactly_to_the_whole(small_lc, halves):
    whole = small_account(small_lc)
    parts = small_account(small_lc, halves, region_field="name")
    assert list(parts.data.region.values) == ["west", "east"]
    summed = parts.data[["quantity", "value", "area"]].sum("region")
    for var in ("quantity", "value", "area"):
        np.testing.assert_allclose(summed[var].values, whole.data[var].sum("region").values, rtol=1e-13)
    # west = columns 0-1: forest 5 ha, urban 1 ha; east: grassland, farmland, water 3 ha (nodata left out)
    area = parts.data["area"].squeeze(drop=True).to_series().unstack("ecosystem")
    assert area.loc["west", "forest"] == 5 * HA and area.loc["east", "water"] == 3 * HA
    assert area.loc["east", "forest"] == 0


@pytest.mark.parametrize("chunks", [1, 2, {"y": 2, "x": 3}])
def test_same_numbers_for_any_chunk_size(small_lc, halves, chunks):
    ref = small_account(small_lc, halves, region_field="name", chunks=True)
    other = small_account(small_lc, halves, region_field="name", chunks=chunks)
    xr.testing.assert_allclose(ref.data, other.data, rtol=1e-13)


def test_exports_open_and_input_files_are_untouched(small_lc, halves, tmp_path):
    before = sha256(small_lc), sha256(halves)
    acct = small_account(small_lc, halves, region_field="name")
    csv = acct.to_csv(tmp_path / "out" / "account.csv")
    xlsx = acct.to_excel(tmp_path / "out" / "account.xlsx")
    assert (sha256(small_lc), sha256(halves)) == before
    assert csv.read_bytes()[:3] == b"\xef\xbb\xbf"  # BOM so Excel reads UTF-8
    back = pd.read_csv(csv, encoding="utf-8-sig")
    assert list(back.columns) == TIDY_COLUMNS
    assert back["value"].sum() == pytest.approx(acct.gep("CNY").magnitude)
    sheets = pd.read_excel(xlsx, sheet_name=None)
    assert {"summary 汇总", "account 核算表", "sources 参数来源"} <= set(sheets)
    summary = sheets["summary 汇总"].set_index("service")
    assert summary.at["water_conservation", "指标"] == "水源涵养"
    assert summary.at["water_conservation", "value [万元/yr]"] == pytest.approx(water_m3 * 6.11 / 1e4)
    src = sheets["sources 参数来源"]
    assert {"service", "parameter", "table", "value", "source", "status"} <= set(src.columns)


def test_scenarios_side_by_side(small_lc):
    a = small_account(small_lc, scenario="baseline")
    b = gep.account(
        small_lc,
        inputs={**SMALL_INPUTS, "precipitation": "1500 mm/yr"},
        services=SMALL_SERVICES,
        overrides=SMALL_OVERRIDES,
        year=2020,
        price_year=2020,
        region_name="county",
        scenario="wet year",
    )
    both = gep.concat([a, b])
    assert list(both.data.scenario.values) == ["baseline", "wet year"]
    wc = both.data["quantity"].sel(service="water_conservation").sum(["item", "region", "ecosystem", "year"])
    # +100 mm of rain: forest keeps 95 mm more, grassland 90 mm more → 50,000 × 0.095 + 10,000 × 0.090 = 5,650 m³
    assert float(wc.sel(scenario="wet year") - wc.sel(scenario="baseline")) == pytest.approx(5_650.0)
    assert set(both.table()["scenario"]) == {"baseline", "wet year"}


def test_inputs_as_rasters_and_per_ecosystem(small_lc, tmp_path):
    from conftest import SMALL_CODES, write_raster

    p = np.full(SMALL_CODES.shape, 1.4, dtype="float32")  # 1.4 m = 1400 mm, in metres
    rp = write_raster(tmp_path / "p.tif", p)
    acct = gep.account(
        small_lc,
        inputs={**SMALL_INPUTS, "precipitation": {"raster": str(rp), "unit": "m/yr"}},
        overrides=SMALL_OVERRIDES,
        region_name="county",
        services=["water_conservation"],
    )
    assert acct.gep("CNY").magnitude == pytest.approx(water_m3 * 6.11, rel=1e-6)
