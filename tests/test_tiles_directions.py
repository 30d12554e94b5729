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
from gepcalc.tiles.directions import DEFAULT_MARGIN, directions_tiled
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


def _margins(tile: int, margins: tuple[int, ...]) -> list[int]:
    """The distinct margins a tile of ``tile`` cells uses (a margin is cut to the tile's side)."""
    return sorted({min(m, tile) for m in margins})


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("tile", [*TILES, 50])
def test_directions_equal_whole_grid_on_synthetic_dems(seed, tile):
    filled, routable, fdir = _whole(_synthetic(41, seed), -9999.0)
    for margin in _margins(tile, (1, 2, DEFAULT_MARGIN)):
        assert np.array_equal(_tiled(filled, routable, tile, margin), fdir), margin


# not tiles of 1 or 2 cells: the floor would be hundreds of tiny tiles whose flat rounds run one
# Python task each (44 and 8 s); tiny tiles are covered by the synthetic DEMs and the snake
@pytest.mark.parametrize("tile", [*TILES[2:], 100])
def test_directions_lake_floor_across_many_tiles(tile):
    filled, routable, fdir = _whole(_lake_floor(), None)
    assert np.sum(filled == filled[35, 35]) >= 900  # the floor (and the lake above it) is one flat
    for margin in _margins(tile, (1, 3, DEFAULT_MARGIN)):
        assert np.array_equal(_tiled(filled, routable, tile, margin), fdir), margin


@pytest.mark.parametrize("tile", TILES)
def test_directions_snaking_flat(tile):
    filled, routable, fdir = _whole(_snake(), None)
    for margin in _margins(tile, (1, 2, 5)):
        assert np.array_equal(_tiled(filled, routable, tile, margin), fdir), margin


def test_a_flat_winding_across_tiles_is_resolved_in_rounds(monkeypatch):
    # the snake crosses tile edges many times: its distances need several rounds of tiles, and
    # no task ever reads more than one tile with its halo (no window read, no whole grid)
    from gepcalc.tiles import flats

    filled, routable, fdir = _whole(_snake(), None)
    calls = []
    real = flats.resolve_open_flats
    monkeypatch.setattr("gepcalc.tiles.directions.resolve_open_flats", lambda *a: calls.append(real(*a)) or calls[-1])

    def no_window(*_a, **_k):
        raise AssertionError("a window read by the flats' resolution")

    store = TileStore(filled.shape, 8)
    try:
        store.write_array("filled", filled)
        store.write_array("routable", routable.astype(np.uint8))
        with ThreadPoolExecutor(2) as pool:
            monkeypatch.setattr(TileStore, "read_window", no_window)
            directions_tiled(store, pool, margin=1)
        assert np.array_equal(store.read_array("fdir"), fdir)
        assert not store.has(flats.FLAT_LABELS) and not store.has(flats.FLAT_DIST)
    finally:
        store.close()
    assert calls[0] > 5  # rounds


def test_a_flat_as_large_as_the_grid_costs_tiles_not_memory():
    # a 1024² bowl whose filled floor is one flat over nearly the whole grid: the directions'
    # peak (numpy and numba report to tracemalloc) stays under a quarter of a float64 grid, where
    # solving the flat on its bounding box took about 35 bytes a cell of the grid
    import tracemalloc

    n = 1024
    yy, xx = np.mgrid[0:n, 0:n]
    z = np.hypot(yy - n / 2, xx - n / 2) * 0.01
    z[8:-8, 8:-8] = 0.0
    z[n // 2, :8] = 0.0  # the floor drains out at the west edge through a channel
    filled, routable, fdir = _whole(z, None)
    _tiled(filled[:40, :40].copy(), routable[:40, :40].copy(), 8, 2)  # compile and warm up
    store = TileStore(filled.shape, 128)
    try:
        store.write_array("filled", filled)
        store.write_array("routable", routable.astype(np.uint8))
        with ThreadPoolExecutor(2) as pool:
            tracemalloc.start()
            try:
                directions_tiled(store, pool)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
        assert np.array_equal(store.read_array("fdir"), fdir)
    finally:
        store.close()
    assert peak < n * n * 8 / 4, peak


def test_directions_rejects_a_margin_under_one_cell():
    store = TileStore((4, 4), 2)
    try:
        with ThreadPoolExecutor(1) as pool, pytest.raises(ValueError, match="margin"):
            directions_tiled(store, pool, margin=0)
    finally:
        store.close()
