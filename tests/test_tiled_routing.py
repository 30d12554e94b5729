"""Tiled flow routing (gepcalc.tiles) equals the whole-grid routing, and both equal InVEST's (issue 18).

* Golden fixture (tests/data/routing_golden/, made by its regenerate.py with natcap.invest 3.20.2 /
  pygeoprocessing 2.4.11): a 96 × 96 clip of InVEST's Willamette sample DEM with pits and a flat
  carved in; InVEST's own ``fill_pits`` and ``flow_accumulation_mfd`` are asserted exactly.
* Synthetic DEMs with pits, flats, nodata holes and edge nodata, at tile sizes from 1 cell (smaller
  than every pit and flat) up to larger than the grid: filled DEM, slope and accumulation equal
  the whole-grid kernels bit for bit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio

import gepcalc as gep
from conftest import same as _same
from conftest import synthetic_dem as _synthetic
from conftest import write_raster
from gepcalc import routing, terrain, tiles

GOLDEN = Path(__file__).parent / "data" / "routing_golden"


def _read(name: str) -> tuple[np.ndarray, float | None]:
    with rasterio.open(GOLDEN / name) as src:
        return src.read(1).astype("float64"), src.nodata


# --------------------------------------------------------------------------- by hand


def test_tiled_by_hand_column_and_pit():
    # one column falling south: cell i receives everything above it -> accumulation 1, 2, ..., 6
    col = np.arange(6, 0, -1, dtype=float)[:, None] * 10.0
    for tile in (1, 2, 4):
        t = tiles.tiled_terrain(col, 30.0, tile=tile)
        np.testing.assert_array_equal(t.accumulation[:, 0], [1, 2, 3, 4, 5, 6])
    # a 3 × 3 bowl with a 1 m centre; every rim cell is on the raster edge, so drains out, the lowest
    # being the 3 m corner: the centre fills to 3 m, the rim stays. With 1-cell tiles the pit is a tile.
    bowl = np.array([[5.0, 5.0, 5.0], [5.0, 1.0, 5.0], [5.0, 5.0, 3.0]])
    expected = bowl.copy()
    expected[1, 1] = 3.0
    for tile in (1, 2, 3):
        np.testing.assert_array_equal(tiles.tiled_terrain(bowl, 30.0, tile=tile).filled, expected)


# --------------------------------------------------------------------------- golden (InVEST)


def test_golden_whole_grid_and_tiled_equal_invest():
    dem, nodata = _read("dem.tif")
    filled, _ = _read("filled.tif")
    acc, _ = _read("accumulation_mfd.tif")
    data = dem != nodata
    assert int(np.sum(filled[data] > dem[data])) == 95  # cells InVEST raised (the carved pits)
    whole = routing.terrain(dem, 30.0, nodata=nodata)
    assert _same(whole.filled[data], filled[data])
    assert _same(whole.accumulation[data], acc[data])
    for tile in (7, 16, 40, 200):
        t = tiles.tiled_terrain(dem, 30.0, nodata=nodata, tile=tile)
        assert _same(t.filled[data], filled[data]), tile
        assert _same(t.accumulation[data], acc[data]), tile
        assert _same(t.slope, whole.slope), tile


# --------------------------------------------------------------------------- synthetic


# tiles of 2 cells, not 1, for the whole pipeline (1,681 one-cell tiles take 12 s): each pass is
# checked on tiles of 1 cell in its own test file
@pytest.mark.parametrize(("seed", "tile"), [(0, 2), *((s, t) for s in (0, 1) for t in (3, 8, 13, 64))])
def test_tiled_equals_whole_grid_on_synthetic_dems(seed, tile):
    z = _synthetic(41, seed)
    for holes in (False, True):
        whole = routing.terrain(z, 30.0, nodata=-9999.0, values_in_holes=holes)
        t = tiles.tiled_terrain(z, 30.0, nodata=-9999.0, tile=tile, values_in_holes=holes)
        assert _same(t.filled, whole.filled)
        assert _same(t.slope, whole.slope)
        assert _same(t.accumulation, whole.accumulation)


def test_tiled_lake_floor_larger_than_many_tiles():
    # a bowl with a 30 × 30 flat floor, drained through a filled lake: one flat across 16 tiles of 8
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:70, 0:70]
    z = np.hypot(yy - 35.0, xx - 35.0) * 0.2 + rng.random((70, 70)) * 0.1
    z[20:50, 20:50] = 0.0
    whole = routing.terrain(z, 30.0)
    t = tiles.tiled_terrain(z, 30.0, tile=8)
    assert _same(t.filled, whole.filled) and _same(t.accumulation, whole.accumulation)
    # the filled bowl spills at its lowest rim cell, on the raster edge, which all 4900 cells pass
    # (MFD conserves the water: 70 × 70 cells of 1 reach the one outlet, to float rounding)
    assert np.nanmax(t.accumulation) == pytest.approx(70 * 70, rel=1e-12)


# --------------------------------------------------------------------------- account invariance


def test_account_does_not_depend_on_chunk_or_tile_size(tmp_path, monkeypatch):
    z = _synthetic(48, 2).astype("float32")
    codes = np.where(np.random.default_rng(2).random(z.shape) < 0.6, 2, 10).astype("uint8")
    codes[-3:, -5:] = 255  # no land cover where the DEM's edge nodata is
    lc = write_raster(tmp_path / "lc.tif", codes, nodata=255)
    dem = write_raster(tmp_path / "dem.tif", z, nodata=-9999.0)
    inputs = {
        "dem": {"raster": str(dem), "unit": "m"},
        "erosivity": "2000 MJ*mm/ha/hr/yr",
        "erodibility": "0.03 t*ha*hr/ha/MJ/mm",
        "cover_factor": {"unit": "", "values": {"forest": 0.006, "grassland": 0.04}},
        "soil_bulk_density": "1.125 t/m**3",
        "dredging_cost": "12.6 CNY/m**3",
    }

    def soil(chunks):
        return gep.account(lc, services=["soil_retention"], inputs=inputs, chunks=chunks).data["quantity"].values

    q = [soil(c) for c in (8, 16, 48)]
    # sums added band by band in another order: equal to float rounding
    np.testing.assert_allclose(q[0], q[2], rtol=1e-12)
    np.testing.assert_allclose(q[1], q[2], rtol=1e-12)
    assert np.nansum(q[2]) > 0
    # the account's routing tiled (tiles of 5 and 16 cells) or whole-grid: the same bits
    for tile in (5, 16, None):
        monkeypatch.setattr(terrain, "TILE", tile)
        assert _same(soil(16), q[1]), tile


def test_a_band_holds_about_the_same_number_of_pixels_whatever_the_chunks():
    from gepcalc.zonal import BAND_CHUNKS, band_chunks, bands

    default = ((1024,) * 8, (1024,) * 8)
    assert band_chunks(default) == BAND_CHUNKS  # 4 chunks of 1024² pixels
    tiny = ((4,) * 3, (4,) * 6)  # a test's 12 × 24 grid in 4 × 4 chunks: one band, not 18
    assert bands(tiny, band_chunks(tiny)) == [(slice(0, 12), slice(0, 24))]
    assert len(bands(default, band_chunks(default))) == 16  # 64 chunks, 4 per band


@pytest.mark.parametrize("tile", [None, 7])
def test_routing_in_place_gives_the_same_bits_and_never_changes_the_callers_dem(tile, monkeypatch):
    import dask
    import dask.array as dsa
    import xarray as xr

    z = _synthetic(41, 2)
    kept = z.copy()
    whole = routing.terrain(z, 30.0, nodata=-9999.0, values_in_holes=True)
    assert _same(z, kept)  # the default copies
    route = routing.terrain if tile is None else tiles.tiled_terrain
    kwargs = {} if tile is None else {"tile": tile}
    own = z.copy()
    t = route(own, 30.0, nodata=-9999.0, values_in_holes=True, overwrite=True, **kwargs)
    assert t.filled is own or np.shares_memory(t.filled, own)  # filled in place, not copied
    assert _same(t.filled, whole.filled) and _same(t.slope, whole.slope)
    assert _same(t.accumulation, whole.accumulation)
    # the lazy routing reads the DEM into an array of its own: a numpy-backed or persisted DEM is untouched
    monkeypatch.setattr(terrain, "TILE", tile)
    z[z == -9999.0] = np.nan
    kept = z.copy()
    held = dsa.from_delayed(dask.delayed(np.copy)(z), z.shape, z.dtype).persist()  # a chunk the graph holds
    for data in (z, held, dsa.from_array(z, chunks=16)):
        dem = xr.DataArray(data, dims=("y", "x"), coords={"y": np.arange(41) * -30.0, "x": np.arange(41) * 30.0})
        acc = terrain.routed(dem, "accumulation").values
        assert _same(np.asarray(data), kept)
        assert _same(acc, whole.accumulation)


def test_a_lazy_tiled_routing_is_read_from_files_removed_when_the_account_forgets_it(tmp_path, monkeypatch):
    import dask.array as dsa
    import xarray as xr

    from gepcalc import hydrology

    z = _synthetic(41, 1)
    z[z == -9999.0] = np.nan
    whole = routing.terrain(z, 30.0, values_in_holes=True)
    ls = hydrology.ls_from_terrain(whole.slope, whole.accumulation, 30.0, l_max=hydrology.L_MAX)
    monkeypatch.setattr(terrain, "TILE", 8)  # 6 × 6 tiles, read back in chunks of 10 that straddle them
    monkeypatch.setenv("GEPCALC_TMPDIR", str(tmp_path))
    coords = {"y": np.arange(41) * -30.0, "x": np.arange(41) * 30.0}
    dem = xr.DataArray(dsa.from_array(z, chunks=10), dims=("y", "x"), coords=coords)
    routed = terrain.routed(dem, ("slope", "accumulation", "ls"))
    token = terrain.token_of(terrain.routing_keys(routed[0].data)[0])
    got = [r.values for r in routed]  # three computes, one routing: kept under the token
    assert _same(got[0], whole.slope) and _same(got[1], whole.accumulation) and _same(got[2], ls)
    stores = list(tmp_path.glob("gepcalc-routing-*"))
    assert len(stores) == 1
    # slope and accumulation kept on disk (LS is computed window by window), the passes' files dropped
    assert {p.name.split(".")[0] for p in stores[0].iterdir()} == {"accumulation", "slope"}
    terrain.forget([token])
    assert not stores[0].exists()


def test_malloc_arenas_are_limited_once_and_never_against_the_users_setting(monkeypatch):
    import platform
    import sys

    from gepcalc import allocator

    glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    for env, expected in (({}, glibc), ({"GEPCALC_MALLOC": "default"}, False), ({"MALLOC_ARENA_MAX": "4"}, False)):
        monkeypatch.setattr(allocator, "_done", False)
        for name in ("GEPCALC_MALLOC", "MALLOC_ARENA_MAX"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        assert allocator.limit_malloc_arenas() is expected, env
        assert allocator.limit_malloc_arenas() is False  # once per process


def test_a_full_or_missing_folder_for_the_tiles_names_it_and_the_setting(tmp_path, monkeypatch):
    import errno
    import os

    from gepcalc.tiles import TileStore

    monkeypatch.setenv("GEPCALC_TMPDIR", str(tmp_path / "missing"))
    with pytest.raises(OSError, match=r"missing.*40 × 50 cells.*GEPCALC_TMPDIR"):
        TileStore((40, 50), 8)

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setenv("GEPCALC_TMPDIR", str(tmp_path))
    monkeypatch.setattr(os, "pwritev", full)
    z = _synthetic(41, 0)
    with pytest.raises(OSError, match=r"No space left on device.*41 × 41 cells.*GEPCALC_TMPDIR") as err:
        tiles.tiled_terrain(z, 30.0, nodata=-9999.0, tile=8)
    assert err.value.errno == errno.ENOSPC
    assert not list(tmp_path.glob("gepcalc-routing-*"))  # the store's folder is removed on failure
