"""The out-of-core MFD directions (gepcalc.tiles.directions) equal the whole-grid kernel bit for bit (issue 18).

"filled" and "routable" come from the whole-grid :func:`gepcalc.routing.fill.prepare_dem` on
synthetic DEMs (pits, flats, a plateau across tiles, interior and edge nodata; a lake floor
spanning many tiles; a snaking flat), are written to a :class:`~gepcalc.tiles.TileStore`, and
``"fdir"`` after :func:`~gepcalc.tiles.directions.directions_tiled` must equal
:func:`gepcalc.routing.mfd_directions` on the whole grid, for tiles from 1 cell to larger than
the grid and margins from the one-cell halo up.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from conftest import lake_floor as _lake_floor
from conftest import synthetic_dem as _synthetic
from gepcalc.routing import DCOL, DROW, mfd_directions
from gepcalc.routing.fill import prepare_dem
from gepcalc.tiles.directions import DEFAULT_MARGIN, directions_tiled, flood_flat
from gepcalc.tiles.store import TileStore

TILES = (1, 2, 3, 5, 8, 13, 64)


def _snake() -> np.ndarray:
    # a one-cell-wide flat at 0 m snaking east and west down a 40 × 40 grid, draining out at its
    # east end on the raster's edge; around it, slopes and noise (filled pits make more flats)
    rng = np.random.default_rng(7)
    n = 40
    yy = np.mgrid[0:n, 0:n][0]
    z = 5.0 + 0.3 * yy + np.round(rng.random((n, n)) * 2.0)
    for i, r in enumerate(range(2, n - 2, 4)):
        z[r, 2 : n - 2] = 0.0
        z[r : r + 5, 2 if i % 2 else n - 3] = 0.0  # the turn, alternately at the west and east ends
    z[2, n - 2 :] = 0.0  # the outlet, to the east edge
    return z


def _whole(z: np.ndarray, nodata: float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    filled, _, routable = prepare_dem(z, nodata, True)
    n = filled.size
    fdir = mfd_directions(filled, routable, DROW, DCOL, np.empty(n, np.int64), np.empty(n, np.int64))
    return filled, routable, fdir


def _tiled(filled: np.ndarray, routable: np.ndarray, tile: int, margin: int) -> np.ndarray:
    store = TileStore(filled.shape, tile)
    try:
        store.write_array("filled", filled)
        store.write_array("routable", routable.astype(np.uint8))
        with ThreadPoolExecutor(2) as pool:
            directions_tiled(store, pool, margin=margin)
        return store.read_array("fdir")
    finally:
        store.close()


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("tile", [*TILES, 50])
def test_directions_equal_whole_grid_on_synthetic_dems(seed, tile):
    filled, routable, fdir = _whole(_synthetic(41, seed), -9999.0)
    for margin in (1, 2, DEFAULT_MARGIN):
        assert np.array_equal(_tiled(filled, routable, tile, margin), fdir), margin


@pytest.mark.parametrize("tile", [*TILES, 100])
def test_directions_lake_floor_across_many_tiles(tile):
    filled, routable, fdir = _whole(_lake_floor(), None)
    assert np.sum(filled == filled[35, 35]) >= 900  # the floor (and the lake above it) is one flat
    for margin in (1, 3, DEFAULT_MARGIN):
        assert np.array_equal(_tiled(filled, routable, tile, margin), fdir), margin


@pytest.mark.parametrize("tile", TILES)
def test_directions_snaking_flat(tile):
    filled, routable, fdir = _whole(_snake(), None)
    for margin in (1, 2, 5):
        assert np.array_equal(_tiled(filled, routable, tile, margin), fdir), margin


def test_flood_flat_grows_its_window_until_it_holds_the_flat():
    filled, routable, _ = _whole(_snake(), None)
    snake = filled == 0.0
    store = TileStore(filled.shape, 8)
    try:
        store.write_array("filled", filled)
        store.write_array("routable", routable.astype(np.uint8))
        nx = filled.shape[1]
        flat = flood_flat(store, 18 * nx + 20, 1)  # a cell in the middle of the snake
        assert flat.grown >= 2  # the snake leaves the window and comes back several times
        w0, w1, v0, v1 = flat.window
        a0, a1, b0, b1 = flat.box
        rows, cols = np.nonzero(snake)
        assert (w0 + a0, w0 + a1, v0 + b0, v0 + b1) == (rows.min(), rows.max() + 1, cols.min(), cols.max() + 1)
        got = np.zeros_like(snake)
        got[w0:w1, v0:v1] = flat.mark == 1
        assert np.array_equal(got, snake)
    finally:
        store.close()


def test_directions_rejects_a_margin_under_one_cell():
    store = TileStore((4, 4), 2)
    try:
        with ThreadPoolExecutor(1) as pool, pytest.raises(ValueError, match="margin"):
            directions_tiled(store, pool, margin=0)
    finally:
        store.close()
