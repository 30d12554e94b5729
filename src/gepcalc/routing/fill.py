"""Depression filling of a whole DEM by priority-flood, and the DEM prepared for routing.

:func:`fill_depressions` (public) and the kernel :func:`priority_flood`; :func:`prepare_dem`
turns a caller's DEM into the filled float64 surface the flow directions are computed on.
Slope, directions and accumulation are in the sibling modules; the tiled fill is in
:mod:`gepcalc.tiles.fill`.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from gepcalc.routing.buffers import heap_pop, heap_push
from gepcalc.routing.masks import data_mask, interior_holes
from gepcalc.routing.neighbours import DCOL, DROW

__all__ = ["fill_depressions", "prepare_dem", "priority_flood", "routable_surface"]

FloatArray = NDArray[np.float64]


@numba.njit(cache=True, nogil=True)
def priority_flood(z, ok):  # pragma: no cover - compiled
    """Raise every cell that cannot drain to the edge of ``ok`` to its spill height, in place.

    Priority-flood (Wang & Liu 2006) with the plain-queue improvement of Barnes
    et al. (2014): cells raised to the current level skip the heap. The result
    does not depend on tie order.
    """
    ny, nx = z.shape
    closed = np.zeros((ny, nx), dtype=np.uint8)
    cap = 2 * (ny + nx) + 1024
    hk = np.empty(cap)  # heap keys (elevation)
    hi = np.empty(cap, dtype=np.int64)  # heap cell indices
    hn = 0
    pit = np.empty(cap, dtype=np.int64)
    pn = 0
    for r in range(ny):
        for c in range(nx):
            if not ok[r, c]:
                closed[r, c] = 1
                continue
            seed = r == 0 or c == 0 or r == ny - 1 or c == nx - 1
            if not seed:
                for k in range(8):
                    if not ok[r + DROW[k], c + DCOL[k]]:
                        seed = True
                        break
            if not seed:
                continue
            closed[r, c] = 1
            hk, hi, hn = heap_push(hk, hi, hn, z[r, c], r * nx + c)
    while hn > 0 or pn > 0:
        if pn > 0:
            pn -= 1
            idx = pit[pn]
        else:
            _, idx, hn = heap_pop(hk, hi, hn)
        r0 = idx // nx
        c0 = idx % nx
        level = z[r0, c0]
        for k in range(8):
            r = r0 + DROW[k]
            c = c0 + DCOL[k]
            if r < 0 or r >= ny or c < 0 or c >= nx or closed[r, c]:
                continue
            closed[r, c] = 1
            if z[r, c] <= level:
                z[r, c] = level
                if pn == pit.size:
                    pit = np.concatenate((pit, np.empty(pit.size, dtype=np.int64)))
                pit[pn] = r * nx + c
                pn += 1
            else:
                hk, hi, hn = heap_push(hk, hi, hn, z[r, c], r * nx + c)


def prepare_dem(
    dem: ArrayLike, nodata: float | None, route_through_holes: bool, overwrite: bool = False
) -> tuple[FloatArray, NDArray[np.bool_], NDArray[np.bool_]]:
    """Filled DEM to route on (NaN outside), the data mask and the routing mask.

    The caller's array is copied, unless ``overwrite`` (then a float64 array is filled in place).
    Interior nodata holes are routable with ``route_through_holes`` (see :mod:`gepcalc.routing`).

    Parameters
    ----------
    dem
        Elevation [m], 2-D.
    nodata
        Value marking missing cells (non-finite cells are missing too).
    route_through_holes
        Fill interior nodata holes as land (routable) instead of leaving them outside.
    overwrite
        Fill a float64 ``dem`` in place instead of a copy.

    Returns
    -------
    tuple
        ``(filled [m], data mask, routable mask)``.
    """
    z, data, routable = routable_surface(dem, nodata, route_through_holes, overwrite)
    priority_flood(z, routable)
    return z, data, routable


def routable_surface(
    dem: ArrayLike, nodata: float | None, route_through_holes: bool, overwrite: bool = False
) -> tuple[FloatArray, NDArray[np.bool_], NDArray[np.bool_]]:
    """The DEM ready to be flooded: float64 (a copy unless ``overwrite``), NaN outside the routable cells.

    Interior nodata holes (``route_through_holes``) are set lower than any data cell, so the
    flood raises each to its spill level. Shared by the whole-grid and the tiled routing.

    Returns
    -------
    tuple
        ``(surface [m], data mask, routable mask)``.
    """
    z = np.asarray(dem, dtype=np.float64) if overwrite else np.array(dem, dtype=np.float64)
    if z.ndim != 2:
        raise ValueError(f"dem must be a 2-D array, got shape {z.shape}")
    data = data_mask(z, nodata)
    if not data.any():
        raise ValueError("dem has no valid cell")
    routable = data
    if route_through_holes:
        holes = interior_holes(data)
        if holes.any():
            routable = data | holes
            z[holes] = np.min(z[data]) - 1.0
    z[~routable] = np.nan
    return z, data, routable


def fill_depressions(dem: ArrayLike, nodata: float | None = None, *, route_through_holes: bool = True) -> FloatArray:
    """Fill depressions of a DEM to their lowest pour point (priority-flood).

    Every cell that cannot drain to the edge of the data is raised to the height
    of its depression's lowest pour point; filled areas are flat (no gradient is
    imposed). This is the surface ``pygeoprocessing.routing.fill_pits`` gives
    InVEST, computed by priority-flood (Wang & Liu 2006; Barnes et al. 2014).

    Parameters
    ----------
    dem
        Elevation [m], 2-D.
    nodata
        Value marking missing cells (non-finite cells are missing too).
    route_through_holes
        Treat nodata holes not connected to the raster edge as land and fill
        them with the rest (see :mod:`gepcalc.routing`); their output stays NaN.

    Returns
    -------
    numpy.ndarray
        Filled elevation [m], float64, NaN at nodata cells.
    """
    filled, data, _ = prepare_dem(dem, nodata, route_through_holes)
    filled[~data] = np.nan
    return filled
