"""Real rasters from ../shared/data, checked against independent computations."""

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import rasterio
from rasterio.features import rasterize

import gepcalc as gep
from conftest import SHARED, requires_shared, sha256
from gepcalc.carbon import carbon_stock, stock_change

pytestmark = [requires_shared, pytest.mark.shared_data]
W = SHARED / "willamette"


def independent_stock(lulc_path, regions=None):
    """Σ pools[code] × 0.09 ha per 30 m pixel, by plain numpy over the whole array."""
    pools = pd.read_csv(W / "carbon_pools.csv").set_index("lucode")
    density = pools[["C_above", "C_below", "C_soil", "C_dead"]].sum(axis=1)  # t C/ha
    with rasterio.open(lulc_path) as src:
        codes = src.read(1)
        nodata = src.nodata
        transform, shape = src.transform, src.shape
        assert src.res == (30.0, 30.0)
    lut = np.zeros(256)
    lut[density.index.to_numpy()] = density.to_numpy()
    per_pixel = np.where(codes == nodata, 0.0, lut[codes]) * (30 * 30 / 10_000)  # 900 m² = 0.09 ha
    if regions is None:
        return per_pixel.sum()
    zones = rasterize(
        zip(regions.geometry, range(1, len(regions) + 1), strict=True),
        out_shape=shape,
        transform=transform,
        fill=0,
        dtype="int32",
    )
    return np.array([per_pixel[zones == i].sum() for i in range(1, len(regions) + 1)])


def test_willamette_carbon_stock_matches_independent_sum():
    lulc = W / "lulc_current.tif"
    before = sha256(lulc), sha256(W / "carbon_pools.csv")
    ours = carbon_stock(lulc, W / "carbon_pools.csv", chunks=512)
    expected = independent_stock(lulc)
    assert ours.attrs["units"] == "t"
    assert ours.iloc[0] == pytest.approx(expected, rel=1e-10)
    assert ours.iloc[0] == pytest.approx(4.140139e7, rel=1e-6)  # pinned: 41.40 Mt C
    assert (sha256(lulc), sha256(W / "carbon_pools.csv")) == before


def test_willamette_future_minus_current():
    change = stock_change(W / "lulc_current.tif", W / "lulc_future.tif", W / "carbon_pools.csv")
    expected = independent_stock(W / "lulc_future.tif") - independent_stock(W / "lulc_current.tif")
    assert change.iloc[0] == pytest.approx(expected, rel=1e-9)
    assert change.iloc[0] == pytest.approx(-3.526095e6, rel=1e-6)  # pinned: the future scenario loses 3.53 Mt C


def test_willamette_subwatersheds_sum_per_region():
    subs = gpd.read_file(W / "subwatersheds.gpkg")
    with rasterio.open(W / "lulc_current.tif") as src:
        subs = subs.to_crs(src.crs)
    field = next(c for c in subs.columns if c != "geometry")
    ours = carbon_stock(W / "lulc_current.tif", W / "carbon_pools.csv", regions=subs, region_field=field, chunks=300)
    np.testing.assert_allclose(ours.to_numpy(), independent_stock(W / "lulc_current.tif", subs), rtol=1e-10)
    assert len(ours) == 9


def test_geodesic_cell_areas_of_the_chunan_modis_grid():
    from gepcalc.grid import cell_area
    from gepcalc.io import open_raster

    lc = open_raster(SHARED / "modis" / "mcd12c1_2019_chunan_region.tif")
    area = cell_area(lc)
    geod = pyproj.Geod(ellps="WGS84")
    t = lc.rio.transform()
    for row in (0, 17, 33):  # a 0.05° cell, edges densified so they follow parallels
        lat0, lat1 = t.f + t.e * row, t.f + t.e * (row + 1)
        lons = np.r_[np.linspace(t.c, t.c + t.a, 50), np.linspace(t.c + t.a, t.c, 50)]
        lats = np.r_[np.full(50, lat0), np.full(50, lat1)]
        a, _ = geod.polygon_area_perimeter(lons, lats)
        assert float(area[row]) == pytest.approx(abs(a), rel=1e-6)
    # about 5.55 km × 4.8 km at 30° N
    assert float(area[17]) == pytest.approx(26.8e6, rel=0.01)


def test_demo_account_of_chunan():
    acct = gep.demo.chunan_account()
    assert list(acct.data.region.values) == ["淳安县"]
    # issue 13: every indicator of the Zhejiang profile is in the output, computed or listed with what it needs
    profile = gep.load_profile("zhejiang-2020")
    computed = set(acct.data.service.values)
    listed = set(acct.not_computed["service"])
    assert computed | listed == set(profile.services) and not computed & listed
    assert computed == {
        "water_conservation",
        "flood_regulation",
        "carbon_sequestration",
        "oxygen_release",
        "climate_regulation",
        "pest_control",
    }
    needs = acct.not_computed.set_index("service")["reason"]
    assert "'dem'" in needs["soil_retention"] and "emission_load" in needs["water_purification"]
    assert "statistics lines" in needs["recreation"] and "statistics lines" in needs["agricultural_products"]
    assert "ion_lifetime" in needs["negative_oxygen_ions"] and "protected_coastline" in needs["coastal_protection"]
    summary = acct.summary()
    assert set(summary["service"]) >= set(profile.services)
    assert (summary.set_index("service").loc[sorted(listed), "status"].str.startswith("not computed")).all()

    # the county's pixels (centre rule) cover about the polygon's geodesic area: 4,423 km² on WGS 84
    raw = gep.demo.chunan_account(areas=None, services=["climate_regulation"])  # MODIS' own water area
    county = gpd.read_file(SHARED / "regions" / "chunan_330127.geojson")
    poly_area = abs(pyproj.Geod(ellps="WGS84").geometry_area_perimeter(county.geometry.iloc[0])[0])
    raw_area = raw.data["area"].squeeze(drop=True).to_series()
    assert float(raw_area.sum()) == pytest.approx(poly_area, rel=0.01)
    assert raw_area["water"] / raw_area.sum() == pytest.approx(15 / 165, rel=1e-3)  # 15 of 165 MODIS cells
    # Qiandao Lake corrected from MODIS' 403 km² to 573 km²: the water type's area is the given one
    area = acct.data["area"].squeeze(drop=True).to_series()
    assert raw_area["water"] / 1e6 == pytest.approx(402.9, abs=0.1)
    assert area["water"] == pytest.approx(573e6, rel=1e-12)
    assert area.drop("water").to_dict() == pytest.approx(raw_area.drop("water").to_dict(), rel=1e-12)

    # the demo's numbers by hand from the areas, the inputs and the sourced prices (issues 11 and 13)
    cpi_2011_2020 = 1.054 * 1.026 * 1.026 * 1.020 * 1.014 * 1.020 * 1.016 * 1.021 * 1.029 * 1.025  # NBS, prev. = 100
    cpi_2009_2020 = 0.993 * 1.033 * cpi_2011_2020
    value = acct.data["value"].sum(["region", "scenario", "year"], min_count=1)
    quantity = acct.data["quantity"].sum(["region", "scenario", "year"], min_count=1)
    # climate regulation, item evaporation only (no sourced transpiration heat): the lake (573 km²) and the
    # wetland evaporate 1355.1 mm; E·ρ·q/3600 + y·E = E (1000 kg/m³ × 2450 kJ/kg / 3600 + 125 kWh/m³) [kWh]
    # (Garze 2017 §2.4.8; y: Jiaozhou Bay 2018), at the Garze 2010 electricity price 0.53 CNY/kWh brought to
    # 2020 with the CPI
    wet = area["water"] + area["wetland"]
    kwh = wet * 1.3551 * (1000 * 2450 / 3600 + 125)
    climate = quantity.sel(service="climate_regulation")
    assert float(climate.sel(item="evaporation").sum()) == pytest.approx(kwh, rel=1e-9)
    assert float(value.sel(service="climate_regulation").sum()) == pytest.approx(kwh * 0.53 * cpi_2011_2020, rel=1e-9)
    # flood regulation: the Xin'anjiang reservoir, 0.35 × 216.26 亿m³ (the lake counts as reservoir, not also
    # as lake), and the wetland's 0.3 m, at LY/T 1721's 6.11 CNY/m³ (2008)
    flood = quantity.sel(service="flood_regulation")
    assert float(flood.sel(item="reservoir").sum()) == pytest.approx(0.35 * 216.26e8, rel=1e-12)
    assert float(flood.sel(item="lake").sum()) == 0.0
    assert float(flood.sel(item="marsh").sum()) == pytest.approx(0.3 * area["wetland"], rel=1e-9)
    flood_m3 = 0.35 * 216.26e8 + 0.3 * area["wetland"]
    assert float(value.sel(service="flood_regulation").sum()) == pytest.approx(flood_m3 * 6.11 * cpi_2009_2020)
    # carbon: forest 3.62 and wetland 1.06 t C/ha/yr × 44.0095/12.011, at LY/T 1721's 1200 CNY/t C (2008)
    co2 = (area["forest"] * 3.62 + area["wetland"] * 1.06) / 1e4 * 44.0095 / 12.011
    assert float(quantity.sel(service="carbon_sequestration").sum()) == pytest.approx(co2, rel=1e-9)
    carbon_price = 1200 * 12.011 / 44.0095 * cpi_2009_2020
    assert float(value.sel(service="carbon_sequestration").sum()) == pytest.approx(co2 * carbon_price, rel=1e-9)
    # oxygen: 32/44 of the CO2 (molar masses 31.998/44.0095), at LY/T 1721's 1000 CNY/t (2008)
    o2 = co2 * 31.998 / 44.0095
    assert float(value.sel(service="oxygen_release").sum()) == pytest.approx(o2 * 1000 * cpi_2009_2020, rel=1e-9)
    # water conservation: (P − R − ET)·A, runoff α = 0.0325 forest (Gong et al. 2017 Table 2), wetland 0,
    # at LY/T 1721's 6.11 CNY/m³ (2008)
    wc = area["forest"] * (1.430 * (1 - 0.0325) - 0.800) + area["wetland"] * (1.430 - 0.900)
    assert float(quantity.sel(service="water_conservation").sum()) == pytest.approx(wc, rel=1e-9)
    assert float(value.sel(service="water_conservation").sum()) == pytest.approx(wc * 6.11 * cpi_2009_2020, rel=1e-9)


@pytest.fixture(scope="module")
def willamette_inputs(tmp_path_factory):
    """The deterministic climate/soil rasters of benchmarks/invest_inputs.py on the Willamette DEM grid."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import compare_invest
    import invest_inputs

    out = tmp_path_factory.mktemp("willamette_inputs")
    return compare_invest, invest_inputs.make_willamette(out, W)


def test_willamette_water_yield_agrees_with_invest(willamette_inputs):
    compare_invest, manifest = willamette_inputs
    got = compare_invest.gepcalc_water_yield(manifest)["wyield_m3"]
    # InVEST 3.20.2 annual_water_yield on the same inputs (benchmarks/compare_invest.py): 144,324,585 m³
    # (Σ wyield.tif over the watershed pixels); gepcalc's Budyko method agrees to 5e-8
    assert got == pytest.approx(144_324_585.0, rel=1e-6)
    assert got == pytest.approx(144_324_591.6, rel=1e-9)  # pinned


def test_willamette_avoided_erosion_agrees_with_invest_but_for_streams(willamette_inputs):
    compare_invest, manifest = willamette_inputs
    got = compare_invest.gepcalc_sdr(manifest)["avoided_erosion_t"]
    # InVEST 3.20.2 sdr: avoided erosion 5,255,500.3 t without its stream pixels; its own per-pixel
    # R·K·LS·(1 − C·P) over all pixels, streams included, is 5,321,597.2 t: gepcalc is 0.02 % from that
    assert got == pytest.approx(5_321_597.2, rel=5e-4)
    assert got == pytest.approx(5_322_817.2, rel=1e-6)  # pinned
