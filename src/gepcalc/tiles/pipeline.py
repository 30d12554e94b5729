"""The tiled routing of a DEM chained: :func:`route_tiled` into a :class:`~gepcalc.tiles.store.TileStore`.

Runs the passes of :mod:`gepcalc.tiles.prepare` (data mask, interior holes, the surface to
flood), :mod:`gepcalc.tiles.fill`, :mod:`gepcalc.tiles.directions` and
:mod:`gepcalc.tiles.accumulate` in a thread pool (or on the workers of a dask.distributed
cluster, through any :class:`concurrent.futures.Executor`), then :func:`finish_tiles` (the local slope,
NaN outside the kept cells), each tile read from and written to the store: no grid of the
whole DEM is held in memory. :func:`tiled_terrain` is the in-memory twin of
:func:`gepcalc.routing.terrain` (small grids, tests). No kernels here.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor

import numpy as np
from numpy.typing import ArrayLike

from gepcalc.allocator import limit_malloc_arenas
from gepcalc.routing import Terrain, slope_on
from gepcalc.tiles.accumulate import accumulate_tiled
from gepcalc.tiles.directions import directions_tiled
from gepcalc.tiles.fill import fill_tiled
from gepcalc.tiles.prepare import prepare_tiled
from gepcalc.tiles.store import TileStore

__all__ = ["DEFAULT_TILE", "PRODUCTS", "default_workers", "finish_tiles", "route_tiled", "tiled_terrain"]

#: tile side [cells]
DEFAULT_TILE = 1024

#: what :func:`route_tiled` can leave in its store
PRODUCTS = ("filled", "slope", "accumulation")

#: the passes' intermediate products, dropped once the products are written
_INTERMEDIATE = ("fdir", "data", "routable")


def default_workers() -> int:
    """Threads for the tiles: the CPUs this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def finish_tiles(
    store: TileStore, cell_size: float | tuple[float, float], values_in_holes: bool, pool: Executor
) -> None:
    """Slope [%] of each tile of "filled" (3 × 3, with the tile's halo), and NaN outside the kept cells.

    Kept cells are the routable ones with ``values_in_holes``, the data cells otherwise, as in
    :func:`gepcalc.routing.terrain`. Writes "slope" and rewrites "filled" and "accumulation".
    Every tile's slope is computed before any "filled" tile is rewritten (a tile's halo reads the
    neighbours' edges of "filled" as the routing left them).
    """
    keep_name = "routable" if values_in_holes else "data"

    def slope_of(t: int) -> None:
        z, (t0, t1, s0, s1) = store.read_halo("filled", t, fill=np.nan)
        keep, _ = store.read_halo(keep_name, t, fill=0)
        store.write("slope", t, np.ascontiguousarray(slope_on(z, keep.view(bool), cell_size)[t0:t1, s0:s1]))

    def mask(t: int) -> None:
        off = store.read(keep_name, t) == 0
        for name in ("filled", "accumulation"):
            grid = store.read(name, t)
            grid[off] = np.nan
            store.write(name, t, grid)

    list(pool.map(slope_of, range(store.n_tiles)))
    list(pool.map(mask, range(store.n_tiles)))


def route_tiled(
    read_dem: Callable[[int, int, int, int], np.ndarray],
    shape: tuple[int, int],
    cell_size: float | tuple[float, float],
    nodata: float | None = None,
    *,
    tile: int = DEFAULT_TILE,
    values_in_holes: bool = False,
    products: tuple[str, ...] = PRODUCTS,
    workers: int | None = None,
    directory: str | None = None,
    executor: Executor | None = None,
) -> TileStore:
    """Route a DEM tile by tile into a store of ``products`` (filled [m], slope [%], accumulation [cells]).

    The same numbers as :func:`gepcalc.routing.terrain` with ``method="mfd"`` and
    ``route_through_holes=True``, bit for bit (see :mod:`gepcalc.tiles`), with no grid of the
    whole DEM in memory: each pass reads and writes the store tile by tile.

    Parameters
    ----------
    read_dem
        ``read_dem(r0, r1, c0, c1)``: the DEM's elevations [m] of rows ``r0:r1``, columns ``c0:c1``.
    shape
        ``(rows, columns)`` of the DEM.
    cell_size
        Cell size [m] (or ``(dx, dy)``); used for the slope only.
    nodata
        Value marking missing cells.
    tile
        Tile side [cells] (any size from 1; a tile may be smaller than a pit or a flat).
    values_in_holes
        As in :func:`gepcalc.routing.terrain`.
    products
        Which of :data:`PRODUCTS` the store keeps; the others are dropped.
    workers
        Threads of this process solving tiles (default: the CPUs this process may use).
    directory
        Where the store's temporary directory goes (see :class:`TileStore`).
    executor
        Where the tiles of the data mask, the filling, the directions and the slope are solved
        (default: the threads). The executor of a dask.distributed client
        (``client.get_executor(pure=False)``) spreads them over the cluster's workers: the store
        pickles as its directory, which must then be on a file system every worker sees at the
        same path. The accumulation always runs on this process's threads: its rounds (hundreds on
        a 2 × 2 grid of tiles of a fractal DEM) keep a cache of tile states in memory, and each
        round trip to a cluster would cost more than its cores gain (measured at 2000²: 0.8 s on
        two threads, 19.5 s as tasks on a two-worker ``LocalCluster``, states through the store).

    Returns
    -------
    TileStore
        Holding ``products``; the caller closes it (or lets it be collected).
    """
    unknown = set(products) - set(PRODUCTS)
    if unknown:
        raise ValueError(f"unknown routing products {sorted(unknown)}; choose from {PRODUCTS}")
    limit_malloc_arenas()  # tiles freed by the threads do not pile up in their heaps (gepcalc.allocator)
    store = TileStore(shape, tile, directory)
    workers = workers or default_workers()
    try:
        with ThreadPoolExecutor(workers) as threads:
            pool = threads if executor is None else executor
            prepare_tiled(store, read_dem, nodata, pool)
            fill_tiled(store, pool)
            directions_tiled(store, pool)
            # the accumulation's rounds keep a cache of tile states in this process's memory: on its
            # threads, wherever the other passes run (round trips to a cluster cost more than its cores gain)
            accumulate_tiled(store, threads, workers=workers)
            store.drop("fdir")
            finish_tiles(store, cell_size, values_in_holes, pool)
        for name in (*_INTERMEDIATE, *PRODUCTS):
            if name not in products:
                store.drop(name)
    except BaseException:
        store.close()
        raise
    return store


def tiled_terrain(
    dem: ArrayLike,
    cell_size: float | tuple[float, float],
    nodata: float | None = None,
    *,
    tile: int = DEFAULT_TILE,
    values_in_holes: bool = False,
    workers: int | None = None,
    overwrite: bool = False,
) -> Terrain:
    """Filled DEM [m], percent slope [%] and MFD flow accumulation [cells], tile by tile, in memory.

    :func:`route_tiled` on an array, its products read back as whole arrays: the same result as
    :func:`gepcalc.routing.terrain` with ``method="mfd"`` and ``route_through_holes=True`` (bit
    for bit). For small grids and tests; an account routes large DEMs with :func:`route_tiled`
    and reads its store window by window.

    Parameters
    ----------
    dem
        Elevation [m], 2-D, on a projected grid with square cells.
    cell_size, nodata, tile, values_in_holes, workers
        As in :func:`route_tiled`.
    overwrite
        As in :func:`gepcalc.routing.terrain`: the filled surface is written into a float64 ``dem``.

    Returns
    -------
    Terrain
        ``filled`` [m], ``slope`` [%], ``accumulation`` [cells]; NaN at nodata cells.
    """
    if tile < 1:
        raise ValueError(f"tile must be at least 1 cell, got {tile}")
    z = np.asarray(dem)
    if z.ndim != 2:
        raise ValueError(f"dem must be a 2-D array, got shape {z.shape}")
    store = route_tiled(
        lambda r0, r1, c0, c1: z[r0:r1, c0:c1],
        z.shape,
        cell_size,
        nodata,
        tile=tile,
        values_in_holes=values_in_holes,
        workers=workers,
    )
    try:
        own = overwrite and z.dtype == np.float64 and z.flags.writeable
        filled = store.read_array("filled", out=z if own else None)
        return Terrain(filled, store.read_array("slope"), store.read_array("accumulation"))
    finally:
        store.close()
