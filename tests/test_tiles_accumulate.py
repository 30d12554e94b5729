"""MFD flow accumulation out of core (gepcalc.tiles.accumulate; issue 18).

:func:`accumulate_tiled` on a TileStore's ``"fdir"`` writes an ``"accumulation"`` equal to the
whole-grid :func:`gepcalc.routing.mfd.mfd_accumulation` bit for bit (NaN where it leaves NaN),
at tile sizes from 1 cell to larger than the grid, with the default cache of tile states and
with a cache of one state (every state evicted to the store and read back); a river running
along a tile edge (flow ping-ponging between two tiles for many rounds) too; the temporary
products are dropped.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from conftest import lake_floor as _lake_floor
from conftest import same as _same
from conftest import synthetic_dem as _synthetic
from gepcalc.routing import DCOL, DROW
from gepcalc.routing.fill import prepare_dem
from gepcalc.routing.mfd import mfd_accumulation, mfd_directions
from gepcalc.tiles.accumulate import PARTIAL, PARTIAL_INDEG, accumulate_tiled
from gepcalc.tiles.store import TileStore

TILES = (1, 2, 3, 5, 8, 13, 64, 200)
ND = -9999.0


def _fdir(dem: np.ndarray, nodata: float | None, holes: bool = True) -> np.ndarray:
    """Packed MFD directions of the filled DEM, as :func:`gepcalc.routing.whole_grid.accumulate` makes them."""
    filled, _, routable = prepare_dem(dem, nodata, holes)
    queue = np.empty(filled.size, dtype=np.int32)
    return mfd_directions(filled, routable, DROW, DCOL, np.empty_like(queue), queue)


def _whole(fdir: np.ndarray) -> np.ndarray:
    return mfd_accumulation(fdir, DROW, DCOL, np.empty(fdir.size, dtype=np.int32))


def _tiled(fdir: np.ndarray, tile: int, pool, cache_tiles: int | None = None) -> tuple[np.ndarray, int]:
    store = TileStore(fdir.shape, tile)
    try:
        store.write_array("fdir", fdir)
        rounds = accumulate_tiled(store, pool, cache_tiles=cache_tiles)
        assert not store.has(PARTIAL) and not store.has(PARTIAL_INDEG)
        assert store.dtype("accumulation") == np.float64
        return store.read_array("accumulation"), rounds
    finally:
        store.close()


@pytest.mark.parametrize("tile", TILES)
@pytest.mark.parametrize("seed", [0, 1])
def test_equals_whole_grid_on_synthetic_dems(seed, tile, pool):
    for holes in (True, False):
        fdir = _fdir(_synthetic(41, seed), ND, holes)
        expected = _whole(fdir)
        assert np.isnan(expected).any() and (fdir != 0).any()
        acc, rounds = _tiled(fdir, tile, pool)
        assert _same(acc, expected), (seed, tile, holes)
        assert rounds >= 1


@pytest.mark.parametrize("tile", TILES[1:])  # tiles of 1 cell: in the synthetic DEMs' test (13 s here)
def test_equals_whole_grid_on_lake_floor(tile, pool):
    fdir = _fdir(_lake_floor(), None)
    expected = _whole(fdir)
    assert _same(_tiled(fdir, tile, pool)[0], expected), tile
    assert np.nanmax(expected) == pytest.approx(70 * 70, rel=1e-12)


@pytest.mark.parametrize("tile", (3, 8, 13))
def test_a_cache_of_one_state_gives_the_same_bits(tile, pool):
    # every state is evicted to the store and read back whenever another tile runs
    for dem, nodata in ((_synthetic(41, 0), ND), (_lake_floor(), None)):
        fdir = _fdir(dem, nodata)
        expected = _whole(fdir)
        acc, rounds = _tiled(fdir, tile, pool, cache_tiles=1)
        assert _same(acc, expected), tile
        assert accumulate_tiled.misses > 0 or rounds == 1
        assert _same(_tiled(fdir, tile, pool, cache_tiles=2)[0], expected), tile


def test_river_along_a_tile_edge_ping_pongs(pool):
    # a valley whose floor zigzags across the border between the tile rows 0 and 1 (tile 8: row 7|8)
    n, tile = 64, 8
    yy, xx = np.mgrid[0:n, 0:n]
    floor = np.where(xx % 2 == 0, 7, 8)  # the river's row: alternately either side of the edge
    z = np.abs(yy - floor) * 2.0 + (n - xx) * 0.1  # flows east, out of the raster's east edge
    fdir = _fdir(z, None)
    expected = _whole(fdir)
    for cache in (None, 1):
        acc, rounds = _tiled(fdir, tile, pool, cache_tiles=cache)
        assert _same(acc, expected)
        assert rounds > n // tile  # more rounds than tiles along the river: it crosses the edge each cell
    assert expected[7:9, -1].max() > n  # the river carries the valley's water to the edge


def test_memory_stays_bounded_by_the_cache(pool, monkeypatch):
    # numpy and numba report their allocations to tracemalloc: with tiles of 256 cells and a cache
    # of 4 tile states (14 bytes a cell each, the running ones included), the pass's peak stays
    # below half a float64 grid (about 10 MB of 34), and the store is never read whole
    fdir = _fdir(_synthetic(2048, 7), ND)
    expected = _whole(fdir)
    _tiled(fdir[:40, :40].copy(), 8, pool)  # compile and warm up

    def whole(*_a, **_k):
        raise AssertionError("read_array called by the pass")

    store = TileStore(fdir.shape, 256)
    try:
        store.write_array("fdir", fdir)
        with monkeypatch.context() as m:
            m.setattr(TileStore, "read_array", whole)
            tracemalloc.start()
            try:
                accumulate_tiled(store, pool, cache_tiles=4)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
        assert _same(store.read_array("accumulation"), expected)
    finally:
        store.close()
    assert accumulate_tiled.misses > 0
    assert peak < fdir.size * 8 / 2, peak
