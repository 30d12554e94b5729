"""The DEM's preparation and the pit filling out of core (gepcalc.tiles.prepare, gepcalc.tiles.fill; issue 18).

Each product the tiled passes write to a TileStore equals the whole-grid function bit for bit:
``"surface"``, ``"data"`` and ``"routable"`` equal :func:`gepcalc.routing.fill.routable_surface`,
``"filled"`` equals :func:`gepcalc.routing.fill.prepare_dem`'s filled surface, at tile sizes from
1 cell to larger than the grid; nodata holes that cross tile edges and corners are found as on the
whole grid; and no array of the whole grid is allocated while the passes run.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from conftest import lake_floor as _lake_floor
from conftest import same as _same
from conftest import synthetic_dem as _synthetic
from gepcalc.routing.fill import prepare_dem, routable_surface
from gepcalc.tiles.fill import fill_tiled
from gepcalc.tiles.prepare import prepare_tiled
from gepcalc.tiles.store import TileStore

TILES = (1, 2, 3, 5, 8, 13, 64, 200)
ND = -9999.0


def _run(dem: np.ndarray, nodata: float | None, tile: int, pool, fill: bool = True) -> dict[str, np.ndarray]:
    """The products of the tiled passes on ``dem``, read back whole (a test may)."""
    store = TileStore(dem.shape, tile)
    try:
        prepare_tiled(store, lambda r0, r1, c0, c1: dem[r0:r1, c0:c1], nodata, pool)
        out = {name: store.read_array(name) for name in ("surface", "data", "routable")}
        if fill:
            fill_tiled(store, pool)
            out["filled"] = store.read_array("filled")
            out["left"] = store.products()  # which products remain
        return out
    finally:
        store.close()


def _check(dem: np.ndarray, nodata: float | None, tile: int, pool, fill: bool = True) -> None:
    surface, data, routable = routable_surface(dem, nodata, True)
    got = _run(dem, nodata, tile, pool, fill)
    assert _same(got["surface"], surface), tile
    assert got["data"].dtype == np.uint8 and _same(got["data"].view(bool), data), tile
    assert got["routable"].dtype == np.uint8 and _same(got["routable"].view(bool), routable), tile
    if fill:
        assert _same(got["filled"], prepare_dem(dem, nodata, True)[0]), tile
        assert got["left"] == ["data", "filled", "routable"]


# --------------------------------------------------------------------------- equal to the whole grid


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("tile", TILES)
def test_products_equal_whole_grid_on_synthetic_dems(seed, tile, pool):
    _check(_synthetic(41, seed), ND, tile, pool)


@pytest.mark.parametrize("tile", TILES)
def test_lake_floor_larger_than_many_tiles(tile, pool):
    _check(_lake_floor(), None, tile, pool)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("tile", [2, 3, 4, 7])
def test_dense_random_nodata_regions(seed, tile, pool):
    # about 45 % nodata: many 8-connected regions weaving across tile edges and corners
    rng = np.random.default_rng(seed)
    z = rng.random((23, 29)) * 10.0
    z[rng.random(z.shape) < 0.45] = ND
    _check(z, ND, tile, pool, fill=seed < 2)


def test_float32_dem_nan_nodata(pool):
    z = _synthetic(30, 4).astype(np.float32)
    z[z == ND] = np.nan
    for tile in (4, 7):
        _check(z, None, tile, pool)


# --------------------------------------------------------------------------- holes across tiles


def test_holes_across_tile_corners_and_through_other_tiles(pool):
    z = np.arange(144, dtype=float).reshape(12, 12) % 7 + 20.0
    for k in range(6):  # a diagonal chain from the raster's corner (0, 0), across a tile corner (tile 4)
        z[k, k] = ND
    for k in range(6):  # an anti-diagonal chain from the raster edge at (0, 11), across a tile's lower-left corner
        z[k, 11 - k] = ND
    z[7, 7] = z[8, 8] = ND  # a hole across the lower-right corner of tile (1, 1), inside the raster
    z[7, 4] = z[8, 3] = ND  # a hole across the lower-left corner of tile (1, 1), inside the raster
    _, _, routable = routable_surface(z, ND, True)
    # the chains reach the raster edge only through another tile: outside; the short pairs are holes
    assert not routable[4, 4] and not routable[5, 5] and not routable[4, 7] and not routable[5, 6]
    assert routable[7, 7] and routable[8, 8] and routable[7, 4] and routable[8, 3]
    for tile in (1, 2, 3, 4, 5, 6, 12):
        _check(z, ND, tile, pool)


def test_hole_spanning_many_tiles_and_a_ring_reaching_the_edge(pool):
    z = np.full((30, 30), 50.0) + np.random.default_rng(5).random((30, 30))
    z[5:25, 10] = ND  # a long interior hole across several tiles (a wall)
    z[12, 3:18] = ND  # crossing it: one hole
    z[20:29, 20] = ND  # a line that reaches the bottom edge two tiles away
    z[29, 20] = ND
    z[20, 20:27] = ND
    for tile in (1, 3, 4, 7, 9):
        _check(z, ND, tile, pool)


def test_all_nodata_but_one_cell(pool):
    z = np.full((9, 11), ND)
    z[4, 6] = 3.5
    for tile in (1, 2, 4, 20):
        _check(z, ND, tile, pool)


def test_no_valid_cell(pool):
    z = np.full((6, 7), ND)
    store = TileStore(z.shape, 3)
    with pytest.raises(ValueError, match="dem has no valid cell"):
        routable_surface(z, ND, True)
    with pytest.raises(ValueError, match="dem has no valid cell"):
        prepare_tiled(store, lambda r0, r1, c0, c1: z[r0:r1, c0:c1], ND, pool)
    assert not store.has("surface")
    store.close()


def test_read_dem_of_the_wrong_shape(pool):
    store = TileStore((6, 6), 3)
    with pytest.raises(ValueError, match="read_dem gave"):
        prepare_tiled(store, lambda r0, r1, c0, c1: np.zeros((2, 2)), None, pool)
    store.close()


# --------------------------------------------------------------------------- memory


def test_no_array_of_the_grid_is_allocated(pool, monkeypatch):
    # numpy and numba report their allocations to tracemalloc: with tiles of 256 cells the passes'
    # peak (two threads' tile work, the tiles' edges and the spill graph, which grow as the tiles'
    # perimeters) stays below half a float64 grid (so no float64, int64, int32 or float32 grid is
    # made; a 1-byte mask of the grid would not be seen here), and the store is never read whole
    _run(_synthetic(40, 7), ND, 8, pool)  # compile and warm up

    def whole(*_a, **_k):
        raise AssertionError("read_array called by a pass")

    monkeypatch.setattr(TileStore, "read_array", whole)
    n = 2048
    dem = _synthetic(n, 7)
    store = TileStore(dem.shape, 256)
    tracemalloc.start()
    try:
        prepare_tiled(store, lambda r0, r1, c0, c1: dem[r0:r1, c0:c1], ND, pool)
        fill_tiled(store, pool)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        store.close()
    assert peak < n * n * 8 / 2, peak
