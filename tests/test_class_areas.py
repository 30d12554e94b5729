"""Areas per region and land-cover code from the landscape's one counting pass, and carbon from them."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from rasterio.transform import from_origin
from shapely.geometry import box

from conftest import write_raster
from gepcalc.carbon import carbon_stock
from gepcalc.grid import cell_area
from gepcalc.landscape import build_landscape, count_classes, tally_classes
from gepcalc.units import T_PER_HA_M2


def _grid(values: np.ndarray, transform, crs: str, chunks=(7, 9)) -> xr.DataArray:
    da = xr.DataArray(values, dims=("y", "x")).rio.write_crs(crs).rio.write_transform(transform)
    return da.chunk(dict(zip(("y", "x"), chunks, strict=True)))


def _brute(codes: np.ndarray, region: np.ndarray, area_rows: np.ndarray) -> pd.DataFrame:
    """Pixels and Σ area per (region > 0, code) by looping over the pairs."""
    rows = []
    for r in np.unique(region[region > 0]):
        for c in np.unique(codes[region == r]):
            hit = (region == r) & (codes == c)
            rows.append((int(r), c, int(hit.sum()), float((hit * area_rows[:, None]).sum())))
    return pd.DataFrame(rows, columns=["region", "code", "pixels", "area"]).set_index(["region", "code"])


@pytest.mark.parametrize(
    "dtype,low,high",
    [("uint8", 0, 256), ("uint16", 0, 3000), ("int16", -5, 40), ("int32", -(2**31), 2**31 - 1)],
)
def test_tally_matches_counting_pixel_by_pixel(dtype, low, high):
    rng = np.random.default_rng(5)
    picks = rng.integers(low, high, 12, dtype="int64")  # a dozen codes spread over the dtype's range
    codes = rng.choice(picks, (30, 40)).astype(dtype)
    region = rng.integers(0, 4, (30, 40)).astype("int32")  # 0 = outside every region
    lc = _grid(codes, from_origin(0, 0, 30, 30), "EPSG:32650")
    got = tally_classes(lc, _grid(region, from_origin(0, 0, 30, 30), "EPSG:32650"), cell_area(lc))
    want = _brute(codes, region, np.full(30, 900.0))
    np.testing.assert_array_equal(got.index.get_level_values("region"), want.index.get_level_values("region"))
    np.testing.assert_array_equal(got.index.get_level_values("code"), want.index.get_level_values("code"))
    assert got.index.get_level_values("code").dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got["pixels"], want["pixels"])
    np.testing.assert_allclose(got["area"], want["area"], rtol=1e-15)
    # the per-code counts inside a mask are the same numbers
    counts = count_classes(lc, xr.DataArray(region > 0, dims=("y", "x")))
    pd.testing.assert_series_equal(
        counts, want["pixels"].groupby(level="code").sum().rename(None).rename_axis(None), check_index_type=False
    )


def test_many_regions_of_wide_codes_take_the_sorting_path():
    rng = np.random.default_rng(2)
    codes = rng.integers(0, 60000, (50, 60)).astype("uint16")
    region = rng.integers(0, 400, (50, 60)).astype("int32")  # 400 × 60000 bins: too many for a histogram
    lc = _grid(codes, from_origin(0, 0, 10, 10), "EPSG:32650", chunks=(50, 60))
    got = tally_classes(lc, _grid(region, from_origin(0, 0, 10, 10), "EPSG:32650"))
    want = _brute(codes, region, np.ones(50))
    np.testing.assert_array_equal(got["pixels"], want["pixels"])
    assert list(got.columns) == ["pixels"]


def test_lon_lat_areas_are_weighted_by_row():
    rng = np.random.default_rng(9)
    codes = rng.choice(np.array([1, 2, 7], "uint8"), (24, 30))
    region = rng.integers(0, 3, (24, 30)).astype("int32")
    t = from_origin(100.0, 60.0, 0.5, 0.5)  # rows from 60°N to 48°N: cell areas differ by row
    lc = _grid(codes, t, "EPSG:4326", chunks=(5, 11))
    area = cell_area(lc)
    got = tally_classes(lc, _grid(region, t, "EPSG:4326"), area)
    want = _brute(codes, region, area.values)
    np.testing.assert_array_equal(got["pixels"], want["pixels"])
    np.testing.assert_allclose(got["area"], want["area"], rtol=1e-13)
    # no region: the whole raster is region 1
    whole = tally_classes(lc, None, area)
    assert set(whole.index.get_level_values("region")) == {1}
    assert whole["area"].sum() == pytest.approx(float(area.sum()) * 30, rel=1e-13)


def test_landscape_class_area_covers_the_regions(tmp_path):
    rng = np.random.default_rng(4)
    codes = rng.choice(np.array([1, 2, 3, 255], "uint8"), (40, 50))
    path = write_raster(
        tmp_path / "lc.tif", codes, crs="EPSG:32650", transform=from_origin(0, 1200, 30, 30), nodata=255
    )
    regions = gpd.GeoDataFrame({"name": ["west", "east"]}, geometry=[box(0, 0, 600, 1200), box(600, 0, 900, 1200)])
    land = build_landscape(path, classes=None, regions=regions.set_crs("EPSG:32650"), region_field="name", chunks=16)
    area = land.class_area
    assert area.index.names == ["region", "code"]
    assert area.sum() == pytest.approx(40 * 30 * 900.0)  # every pixel inside one of the two regions, nodata too
    np.testing.assert_array_equal(area.groupby(level="code").sum().to_numpy() / 900.0, land.class_counts.to_numpy())
    west = area.xs(1, level="region")
    assert west.sum() == pytest.approx(40 * 20 * 900.0)


def test_carbon_stock_on_a_lon_lat_grid_is_the_sum_over_pixels(tmp_path):
    rng = np.random.default_rng(8)
    codes = rng.choice(np.array([1, 2, 3, 255], "uint8"), (36, 48))
    t = from_origin(100.0, 40.0, 0.25, 0.25)
    path = write_raster(tmp_path / "lc.tif", codes, crs="EPSG:4326", transform=t, nodata=255)
    pools = tmp_path / "pools.csv"
    pools.write_text(
        "lucode,LULC_Name,C_above,C_below,C_soil,C_dead\n1,forest,100,30,80,5.5\n2,grass,5,8,40,0\n3,water,0,0,0,0\n"
    )
    regions = gpd.GeoDataFrame(
        {"name": ["a", "b", "empty"]},  # "empty" covers no pixel centre: no stock
        geometry=[box(100, 31, 106, 39.5), box(106, 31, 112, 39.5), box(100.01, 39.9, 100.02, 39.91)],
        crs="EPSG:4326",
    )
    got = carbon_stock(path, pools, regions=regions, region_field="name", chunks=10)
    density = np.zeros(256)
    density[[1, 2, 3]] = [215.5, 53.0, 0.0]
    lc = build_landscape(path, classes=None, regions=regions, region_field="name", chunks=10)
    per_pixel = density[codes] * lc.area.values[:, None] * T_PER_HA_M2
    per_pixel[codes == 255] = 0.0
    region = lc.region.values
    want = [per_pixel[region == r].sum() for r in (1, 2, 3)]
    np.testing.assert_allclose(got.to_numpy(), want, rtol=1e-12)
    assert list(got.index) == ["a", "b", "empty"] and got["empty"] == 0.0 and got.attrs["units"] == "t"


def test_count_classes_of_float_codes_sorts_them():
    codes = xr.DataArray(np.array([[1.5, 2.0, 1.5], [1.5, 70000.0, 2.0]]), dims=("y", "x")).chunk(1)
    got = count_classes(codes)
    assert got.to_dict() == {1.5: 3, 2.0: 2, 70000.0: 1}


@pytest.mark.parametrize("classes", ["landcover_igbp", None])
def test_type_areas_are_the_pixels_areas_by_region_and_type(tmp_path, classes):
    """The account's area per region × type (from the class areas, issue 18) = Σ cell area of its pixels."""
    rng = np.random.default_rng(11)
    codes = rng.choice(np.array([0, 1, 5, 10, 12, 255], "uint8"), (36, 48))  # 1, 5: both forest
    path = write_raster(
        tmp_path / "lc.tif", codes, crs="EPSG:4326", transform=from_origin(100, 40, 0.25, 0.25), nodata=255
    )
    regions = gpd.GeoDataFrame(
        {"name": ["a", "b", "empty"]},
        geometry=[box(100, 31, 106, 39.5), box(106, 31, 112, 39.5), box(100.01, 39.9, 100.02, 39.91)],
        crs="EPSG:4326",
    )
    land = build_landscape(path, classes=classes, regions=regions, region_field="name", chunks=10)
    n = len(land.ecosystem_ids)
    region, eco = land.region.values, land.ecosystem.values
    pixel_area = np.broadcast_to(land.area.values[:, None], codes.shape)
    want = np.zeros(len(land.region_names) * n)
    for r in range(1, len(land.region_names) + 1):
        for e in range(1, n + 1):
            want[(r - 1) * n + e - 1] = pixel_area[(region == r) & (eco == e)].sum()
    got = land.type_areas()
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=0)
    assert (got == 0).sum() == (want == 0).sum() and got[2 * n :].sum() == 0.0  # "empty" has no pixel
    assert (eco[codes == 255] == 0).all()  # nodata is no type, whatever the mapping
