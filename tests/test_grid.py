"""Cell areas and region burning on synthetic grids with known answers."""

import numpy as np
import pytest
import xarray as xr
from rasterio.transform import from_origin

from gepcalc.grid import cell_area


def grid(transform, shape, crs):
    da = xr.DataArray(np.zeros(shape, "uint8"), dims=("y", "x"))
    return da.rio.write_crs(crs).rio.write_transform(transform)


def test_global_one_degree_grid_sums_to_the_ellipsoid_area():
    # WGS 84 surface area: 510,065,621.7 km² (e.g. Moritz 2000, Geodetic Reference System 1980 / WGS 84 figures)
    g = grid(from_origin(-180, 90, 1, 1), (180, 360), "EPSG:4326")
    total = float(cell_area(g).sum()) * 360
    assert total / 1e6 == pytest.approx(510_065_621.7, rel=1e-8)
    # rows are symmetric about the equator, and a polar row is far smaller than an equatorial one
    a = cell_area(g).values
    assert a[0] == pytest.approx(a[-1]) and a[89] / a[0] > 100


def test_projected_grid_area_in_metres_and_feet():
    g = grid(from_origin(500_000, 3_000_000, 30, 30), (2, 2), "EPSG:32650")
    assert float(cell_area(g)) == 900.0
    ft = grid(from_origin(0, 0, 100, 100), (2, 2), "EPSG:2227")  # California zone 3, US survey feet
    assert float(cell_area(ft)) == pytest.approx(100 * 100 * 0.3048006096**2, rel=1e-9)


def test_default_chunks_stay_bounded_and_follow_the_file(tmp_path):
    """A large uint8 raster is split into ~1 Mpx chunks in whole tiles (memory bounded by chunk size)."""
    import rasterio
    from rasterio.transform import from_origin

    from conftest import write_raster
    from gepcalc.io import CHUNK_PIXELS, open_raster

    data = np.zeros((2500, 3000), "uint8")
    for name, extra in (("tiled.tif", {"tiled": True, "blockxsize": 256, "blockysize": 256}), ("strips.tif", {})):
        path = write_raster(tmp_path / name, data, transform=from_origin(0, 0, 30, 30), **extra)
        with rasterio.open(path) as src:
            block_y, block_x = src.block_shapes[0]
        da = open_raster(path)
        cy, cx = da.chunks
        assert max(cy) * max(cx) <= CHUNK_PIXELS
        assert all(c % block_y == 0 for c in cy[:-1]) and all(c % block_x == 0 for c in cx[:-1])
        if name == "tiled.tif":
            assert (max(cy), max(cx)) == (1024, 1024)  # 4 × 4 tiles of 256
        else:
            assert cx == (3000,)  # strips: whole rows
