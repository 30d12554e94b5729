"""Percent slope of a DEM by 3 × 3 finite differences, as ``pygeoprocessing.calculate_slope``.

:func:`slope` (public), :func:`slope_on` for a surface whose data mask is known, and the
numba kernel with pygeoprocessing's nodata fall-backs. Local (3 × 3): no filling or flow
routing here.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from gepcalc.routing.masks import data_mask
from gepcalc.routing.neighbours import SQRT2

__all__ = ["slope", "slope_on"]

FloatArray = NDArray[np.float64]


@numba.njit(cache=True, nogil=True, inline="always")
def _cell(z, data, row, col):  # pragma: no cover - compiled
    """(valid, height) of a cell; off the raster is invalid."""
    ny, nx = z.shape
    if 0 <= row < ny and 0 <= col < nx and data[row, col]:
        return True, z[row, col]
    return False, 0.0


@numba.njit(cache=True, nogil=True, inline="always")
def _edge_difference(lo_v, lo, mid_v, mid, hi_v, hi, e, weight):  # pragma: no cover - compiled
    """One row (or column) of the 3 × 3 difference with pygeoprocessing's nodata fall-backs.

    Returns (difference, denominator factor); ``weight`` is 1 for the outer rows, 2 for the middle one.
    """
    if weight == 2:
        if lo_v and hi_v:
            return 2.0 * (lo - hi), 4
        if lo_v:
            return 2.0 * (lo - e), 2
        if hi_v:
            return 2.0 * (e - hi), 2
        return 0.0, 0
    if lo_v and hi_v:
        return lo - hi, 2
    if lo_v and mid_v:
        return lo - mid, 1
    if mid_v and hi_v:
        return mid - hi, 1
    if lo_v:
        return (lo - e) * SQRT2, 1
    if hi_v:
        return (e - hi) * SQRT2, 1
    return 0.0, 0


@numba.njit(cache=True, nogil=True)
def _slope_kernel(z, data, dx, dy):  # pragma: no cover - compiled
    """Percent slope [%] of every cell of ``data`` (NaN elsewhere); ``dx``, ``dy`` cell sides [m]."""
    ny, nx = z.shape
    out = np.full((ny, nx), np.nan)
    for row in range(ny):
        for col in range(nx):
            if not data[row, col]:
                continue
            e = z[row, col]
            # a b c / d e f / g h i
            av, a = _cell(z, data, row - 1, col - 1)
            bv, b = _cell(z, data, row - 1, col)
            cv, c = _cell(z, data, row - 1, col + 1)
            dv, d = _cell(z, data, row, col - 1)
            fv, f = _cell(z, data, row, col + 1)
            gv, g = _cell(z, data, row + 1, col - 1)
            hv, h = _cell(z, data, row + 1, col)
            iv, i = _cell(z, data, row + 1, col + 1)
            x1, n1 = _edge_difference(av, a, bv, b, cv, c, e, 1)
            x2, n2 = _edge_difference(dv, d, False, 0.0, fv, f, e, 2)
            x3, n3 = _edge_difference(gv, g, hv, h, iv, i, e, 1)
            y1, m1 = _edge_difference(av, a, dv, d, gv, g, e, 1)
            y2, m2 = _edge_difference(bv, b, False, 0.0, hv, h, e, 2)
            y3, m3 = _edge_difference(cv, c, fv, f, iv, i, e, 1)
            nxf = n1 + n2 + n3
            nyf = m1 + m2 + m3
            gx = (x1 + x2 + x3) / (nxf * dx) if nxf != 0 else 0.0
            gy = (y1 + y2 + y3) / (nyf * dy) if nyf != 0 else 0.0
            # rounded to float32 as InVEST's slope.tif: the m and S classes switch at exact percents
            out[row, col] = np.float32(100.0 * math.sqrt(gx * gx + gy * gy))
    return out


def slope_on(z: FloatArray, data: NDArray[np.bool_], cell_size: float | tuple[float, float]) -> FloatArray:
    """Percent slope [%] of the float64 surface ``z`` [m] on the cells of ``data``, as :func:`slope`.

    For callers that already hold the data mask (the routing of a filled DEM); NaN outside ``data``.
    """
    dx, dy = (cell_size, cell_size) if np.isscalar(cell_size) else cell_size
    return _slope_kernel(z, data, float(abs(dx)), float(abs(dy)))


def slope(dem: ArrayLike, cell_size: float | tuple[float, float], nodata: float | None = None) -> FloatArray:
    """Percent slope [%] by 3 × 3 finite differences, as ``pygeoprocessing.calculate_slope``.

    With the neighbours named ``a b c / d e f / g h i`` around ``e``:

    .. math::

        \\frac{\\partial z}{\\partial x} = \\frac{(a + 2d + g) - (c + 2f + i)}{8\\,\\Delta x},\\qquad
        \\frac{\\partial z}{\\partial y} = \\frac{(a + 2b + c) - (g + 2h + i)}{8\\,\\Delta y},\\qquad
        s = 100\\sqrt{(\\partial z/\\partial x)^2 + (\\partial z/\\partial y)^2}

    (Horn 1981 weights; pygeoprocessing cites Zevenbergen & Thorne 1987). Where a
    neighbour is nodata or off the raster each of the three difference rows falls
    back as pygeoprocessing does: to the one-cell difference with the middle cell
    of that row, else to ``e`` with a √2 factor; a row with no valid pair is left
    out of the weights. Values are rounded to float32 as InVEST stores them, so
    that the slope classes of :func:`ls_from_terrain` switch where InVEST's do.
    InVEST computes LS from this slope of the *filled* DEM (see :func:`terrain`);
    this function uses the DEM as given.

    Parameters
    ----------
    dem
        Elevation [m], 2-D, on a projected grid.
    cell_size
        Cell size [m]; a pair ``(dx, dy)`` for rectangular cells.
    nodata
        Value marking missing cells.

    Returns
    -------
    numpy.ndarray
        Percent slope [%], float64, NaN at nodata cells.
    """
    z = np.asarray(dem, dtype=np.float64)
    return slope_on(z, data_mask(z, nodata), cell_size)
