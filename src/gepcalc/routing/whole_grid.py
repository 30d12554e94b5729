"""The whole-grid routing of a DEM: filled surface, slope and flow accumulation in one call.

:func:`terrain` (as InVEST SDR 3.20 derives them), :func:`flow_accumulation` and
:func:`contributing_area`, with the :class:`Terrain` result and the :data:`Method` names. They
chain the kernels of :mod:`~gepcalc.routing.fill`, :mod:`~gepcalc.routing.percent_slope`,
:mod:`~gepcalc.routing.mfd` and :mod:`~gepcalc.routing.d8`, holding the whole DEM in memory;
the tiled equivalent is :mod:`gepcalc.tiles`.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gepcalc.routing.d8 import d8_accumulation, d8_directions
from gepcalc.routing.fill import prepare_dem
from gepcalc.routing.mfd import mfd_accumulation, mfd_directions
from gepcalc.routing.neighbours import DCOL, DROW
from gepcalc.routing.percent_slope import slope_on

__all__ = ["PGP_BLOCK", "Method", "Terrain", "accumulate", "contributing_area", "flow_accumulation", "terrain"]

Method = Literal["mfd", "d8"]
FloatArray = NDArray[np.float64]


class Terrain(NamedTuple):
    """Terrain derived from a DEM, all on the DEM's grid, NaN outside the data."""

    filled: FloatArray
    """Depression-filled elevation [m]."""
    slope: FloatArray
    """Percent slope of the filled DEM [%] (100 · rise/run)."""
    accumulation: FloatArray
    """Flow accumulation [cells], counting the cell itself (1 on a ridge)."""


#: Tile size of pygeoprocessing's rasters; its traversal order breaks D8 ties on flats.
PGP_BLOCK = 256


def accumulate(filled: FloatArray, routable: NDArray[np.bool_], method: Method) -> FloatArray:
    """Accumulation [cells] of the flow directions by ``method`` on the filled surface, over the ``routable`` cells."""
    n = filled.size
    queue = np.empty(n, dtype=np.int32 if n < 2**31 else np.int64)
    if method == "mfd":
        region = np.empty_like(queue)
        fdir = mfd_directions(filled, routable, DROW, DCOL, region, queue)
        del region
        return mfd_accumulation(fdir, DROW, DCOL, queue)
    if method == "d8":
        return d8_accumulation(d8_directions(filled, routable, PGP_BLOCK), queue)
    raise ValueError(f"method must be 'mfd' or 'd8', got {method!r}")


def terrain(
    dem: ArrayLike,
    cell_size: float | tuple[float, float],
    nodata: float | None = None,
    *,
    method: Method = "mfd",
    route_through_holes: bool = True,
    values_in_holes: bool = False,
    overwrite: bool = False,
) -> Terrain:
    """Filled DEM, percent slope and flow accumulation, as InVEST SDR 3.20 derives them.

    1. Depressions are filled to their pour point (:func:`fill_depressions`).
    2. Slope [%] of the filled DEM (:func:`slope`).
    3. Flow directions on the filled DEM and accumulation [cells, counting the
       cell itself]. ``method="mfd"`` (InVEST's default ``flow_dir_algorithm``)
       follows ``pygeoprocessing.routing.flow_dir_mfd``: a cell sends water to
       every lower neighbour in proportion to the drop divided by the distance
       (1 or √2 cells), proportions rounded to sixteenths (4 bits, the packed
       encoding) and renormalised by their sum when accumulated; a flat region
       drains to its cells that have a lower neighbour (or, if none, to the
       nodata / raster edge next to it), each flat cell flowing to its
       equal-height neighbours that are nearer such a drain. Accumulation is
       ``A_i = 1 + Σ_j A_j q_ji / Σ_k q_jk`` (``flow_accumulation_mfd``).
       ``method="d8"`` (InVEST's other option) follows ``flow_dir_d8``: the
       steepest drop per distance, flats drained along the shortest path to
       their outlet, ``A_i = 1 + Σ_j A_j`` over the cells draining into i.

    Nodata handling: see :mod:`gepcalc.routing` (holes routed through by default).

    Parameters
    ----------
    dem
        Elevation [m], 2-D, on a projected grid with square cells.
    cell_size
        Cell size [m] (or ``(dx, dy)``); used for the slope only.
    nodata
        Value marking missing cells.
    method
        ``"mfd"`` (InVEST default) or ``"d8"``.
    route_through_holes
        Route across interior nodata holes (``True``) or let them act as outlets
        as InVEST does (``False``).
    values_in_holes
        With ``route_through_holes``, give interior holes the values of the filled
        (flat, lake-like) surface instead of NaN, so that a DEM with holes yields a
        value on every cell of the domain.
    overwrite
        ``dem`` (a float64 array) may be overwritten: it is filled in place and returned as
        ``filled`` instead of a copy (8 bytes a cell less; for a caller that read the DEM
        for this call only).

    Returns
    -------
    Terrain
        ``filled`` [m], ``slope`` [%], ``accumulation`` [cells]; NaN at nodata cells
        (at edge-connected nodata only, with ``values_in_holes``).
    """
    filled, data, routable = prepare_dem(dem, nodata, route_through_holes, overwrite)
    keep = routable if values_in_holes else data
    acc = accumulate(filled, routable, method)
    slope_pct = slope_on(filled, keep, cell_size)
    acc[~keep] = np.nan
    filled[~keep] = np.nan
    return Terrain(filled, slope_pct, acc)


def flow_accumulation(
    dem: ArrayLike, nodata: float | None = None, *, method: Method = "mfd", route_through_holes: bool = True
) -> FloatArray:
    """Flow accumulation [cells] of a DEM, counting the cell itself.

    Fills depressions, then routes with ``method`` as described in
    :func:`terrain` (MFD or D8 as pygeoprocessing). A ridge cell has
    1; the upslope contributing area in m² is ``accumulation × cell area`` (see
    :func:`contributing_area`).

    Parameters
    ----------
    dem
        Elevation [m], 2-D.
    nodata
        Value marking missing cells.
    method
        ``"mfd"`` or ``"d8"``.
    route_through_holes
        Route across interior nodata holes (default) or let them act as outlets.

    Returns
    -------
    numpy.ndarray
        Accumulation [cells], float64, NaN at nodata cells.
    """
    filled, data, routable = prepare_dem(dem, nodata, route_through_holes)
    acc = accumulate(filled, routable, method)
    acc[~data] = np.nan
    return acc


def contributing_area(accumulation: ArrayLike, cell_size: float) -> FloatArray:
    """Upslope contributing area [m²] = accumulation [cells] × cell area [m²], the cell included."""
    return np.asarray(accumulation, dtype=np.float64) * float(cell_size) ** 2
