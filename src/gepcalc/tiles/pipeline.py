"""The tiled routing of a DEM chained: :func:`tiled_terrain`, the tiled twin of :func:`gepcalc.routing.terrain`.

Prepares the DEM (data mask, interior holes) as the whole-grid routing does, then runs the three
tiled passes of :mod:`gepcalc.tiles.fill`, :mod:`gepcalc.tiles.directions` and
:mod:`gepcalc.tiles.accumulate` in a thread pool, and the (local) slope. No kernels here.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.typing import ArrayLike

from gepcalc.routing import Terrain, slope_on
from gepcalc.routing.fill import routable_surface
from gepcalc.tiles.accumulate import accumulate_tiled
from gepcalc.tiles.directions import directions_tiled
from gepcalc.tiles.fill import fill_tiled

__all__ = ["DEFAULT_TILE", "tiled_terrain"]

#: tile side [cells]
DEFAULT_TILE = 1024


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
    """Filled DEM [m], percent slope [%] and MFD flow accumulation [cells], tile by tile.

    The same result as :func:`gepcalc.routing.terrain` with ``method="mfd"`` and
    ``route_through_holes=True`` (bit for bit; see the module notes), computed on
    ``tile`` × ``tile`` tiles with ``workers`` threads.

    Parameters
    ----------
    dem
        Elevation [m], 2-D, on a projected grid with square cells.
    cell_size
        Cell size [m] (or ``(dx, dy)``); used for the slope only.
    nodata
        Value marking missing cells.
    tile
        Tile side [cells] (any size from 1; a tile may be smaller than a pit or a flat).
    values_in_holes
        As in :func:`gepcalc.routing.terrain`.
    workers
        Threads solving tiles at once (default: the CPUs this process may use).
    overwrite
        As in :func:`gepcalc.routing.terrain`: a float64 ``dem`` is filled in place, not copied.

    Returns
    -------
    Terrain
        ``filled`` [m], ``slope`` [%], ``accumulation`` [cells]; NaN at nodata cells.
    """
    if tile < 1:
        raise ValueError(f"tile must be at least 1 cell, got {tile}")
    z, data, routable = routable_surface(dem, nodata, True, overwrite)
    if workers is None:
        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    with ThreadPoolExecutor(workers) as pool:
        fill_tiled(z, routable, tile, pool)
        fdir = directions_tiled(z, routable, tile, pool)
        acc = accumulate_tiled(fdir, tile, pool)
    del fdir
    keep = routable if values_in_holes else data
    slope = slope_on(z, keep, cell_size)
    acc[~keep] = np.nan
    z[~keep] = np.nan
    return Terrain(z, slope, acc)
