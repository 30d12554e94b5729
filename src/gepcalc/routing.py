"""Flow routing on a DEM: pit filling, slope, flow directions and accumulation.

Pure functions on numpy arrays: magnitudes in, magnitudes out, in the units each
docstring states in brackets. No file I/O and no pint here. The formulas that use
the routed terrain (LS, RUSLE, Budyko, water retention) are in :mod:`gepcalc.hydrology`.

These reproduce InVEST 3.20 (``natcap.invest`` 3.20.0 with ``pygeoprocessing`` 2.4):
pit filling, percent slope and multiple-flow-direction (MFD) flow accumulation as
``pygeoprocessing.routing`` computes them for InVEST's SDR, because accounts are
checked against InVEST within 1 %.

Routing is hand-written in a few numba kernels, because no maintained library
reproduces pygeoprocessing's routing: its MFD quantises proportions to 4 bits and
drains plateaus by distance to their outlet, and its D8 breaks ties on plateaus by
its tile traversal order (pyflwdir, pysheds and others differ on both). The
kernels are ports of ``fill_pits`` (as a priority-flood, Wang & Liu 2006, Barnes
et al. 2014: same surface, every pit raised flat to its lowest pour point),
``calculate_slope``, ``flow_dir_mfd`` / ``flow_accumulation_mfd`` and
``flow_dir_d8`` / ``flow_accumulation_d8``. On the Willamette DEM of InVEST's
sample data and on a 4000 × 4000 synthetic DEM they give InVEST's filled DEM and
accumulation bit for bit, and its slope and LS to float32 rounding (largest
relative LS difference 1e-6).

Nodata. Cells equal to ``nodata`` or not finite are outside the data. Nodata
regions connected to the raster edge are outside the domain: cells next to them
drain out of it, as in InVEST. Nodata *holes* (not connected to the edge) are, by
default (``route_through_holes=True``), treated as land of unknown elevation that
holds water like a lake: they are filled flat to their spill level, what flows
into them leaves at the lowest point of their rim, and their own area counts in
the accumulation; their outputs are NaN. With ``route_through_holes=False`` holes
are outlets that take the water out of the domain, as in InVEST.
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

__all__ = ["Method", "Terrain", "contributing_area", "fill_depressions", "flow_accumulation", "slope", "terrain"]

Method = Literal["mfd", "d8"]
FloatArray = NDArray[np.float64]

# pygeoprocessing's neighbour order: 0 = east, counter-clockwise; odd = diagonal.
#   3 2 1
#   4 x 0
#   5 6 7
DROW = np.array([0, -1, -1, -1, 0, 1, 1, 1], dtype=np.int64)
DCOL = np.array([1, 1, 0, -1, -1, -1, 0, 1], dtype=np.int64)
_SQRT2 = 1.4142135623730951
_SQRT2_INV = 1.0 / 1.4142135623730951


class Terrain(NamedTuple):
    """Terrain derived from a DEM, all on the DEM's grid, NaN outside the data."""

    filled: FloatArray
    """Depression-filled elevation [m]."""
    slope: FloatArray
    """Percent slope of the filled DEM [%] (100 · rise/run)."""
    accumulation: FloatArray
    """Flow accumulation [cells], counting the cell itself (1 on a ridge)."""


# ---------------------------------------------------------------------------
# masks and filling


def data_mask(dem: NDArray, nodata: float | None) -> NDArray[np.bool_]:
    mask = np.isfinite(dem)
    if nodata is not None and not np.isnan(nodata):
        mask &= dem != nodata
    return mask


def interior_holes(data: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Nodata cells whose 8-connected nodata region does not reach the raster edge."""
    if data.all():
        return np.zeros_like(data)
    labels, n = ndimage.label(~data, structure=np.ones((3, 3), dtype=bool))
    if n == 0:
        return np.zeros_like(data)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    inside = np.ones(n + 1, dtype=bool)
    inside[edge] = False
    inside[0] = False
    return inside[labels]


@numba.njit(cache=True, nogil=True, inline="always")
def heap_push(hk, hi, hn, key, idx):  # pragma: no cover - compiled
    """Push ``(key, idx)`` on the binary min-heap ``hk``/``hi`` of ``hn`` entries (grown when full).

    Hand-written: numba compiles no ``heapq``; shared by the priority floods here and in
    :mod:`gepcalc.tiles`.  Returns the (possibly new) arrays and the new count.
    """
    if hn == hk.size:
        hk = np.concatenate((hk, np.empty(hk.size)))
        hi = np.concatenate((hi, np.empty(hi.size, dtype=np.int64)))
    j = hn
    while j > 0:
        parent = (j - 1) >> 1
        if hk[parent] <= key:
            break
        hk[j] = hk[parent]
        hi[j] = hi[parent]
        j = parent
    hk[j] = key
    hi[j] = idx
    return hk, hi, hn + 1


@numba.njit(cache=True, nogil=True, inline="always")
def heap_pop(hk, hi, hn):  # pragma: no cover - compiled
    """Remove the smallest entry of the heap of ``hn`` entries: returns its key, its index and the new count."""
    top_key = hk[0]
    top_idx = hi[0]
    hn -= 1
    key = hk[hn]
    last = hi[hn]
    j = 0
    while True:
        child = 2 * j + 1
        if child >= hn:
            break
        if child + 1 < hn and hk[child + 1] < hk[child]:
            child += 1
        if hk[child] >= key:
            break
        hk[j] = hk[child]
        hi[j] = hi[child]
        j = child
    if hn > 0:
        hk[j] = key
        hi[j] = last
    return top_key, top_idx, hn


@numba.njit(cache=True, nogil=True)
def _priority_flood(z, ok):  # pragma: no cover - compiled
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


def _prepare(
    dem: ArrayLike, nodata: float | None, route_through_holes: bool
) -> tuple[FloatArray, NDArray[np.bool_], NDArray[np.bool_]]:
    """Filled DEM to route on (NaN outside), the data mask and the routing mask."""
    z = np.array(dem, dtype=np.float64)  # a copy: the caller's array is never changed
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
            # Lower than any data cell: the flood raises the hole to its spill level.
            z[holes] = np.min(z[data]) - 1.0
    z[~routable] = np.nan
    _priority_flood(z, routable)
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
        them with the rest (see the module notes); their output stays NaN.

    Returns
    -------
    numpy.ndarray
        Filled elevation [m], float64, NaN at nodata cells.
    """
    filled, data, _ = _prepare(dem, nodata, route_through_holes)
    filled[~data] = np.nan
    return filled


# ---------------------------------------------------------------------------
# slope


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
        return (lo - e) * _SQRT2, 1
    if hi_v:
        return (e - hi) * _SQRT2, 1
    return 0.0, 0


@numba.njit(cache=True, nogil=True)
def _slope_kernel(z, data, dx, dy):  # pragma: no cover - compiled
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


# ---------------------------------------------------------------------------
# multiple flow direction (port of pygeoprocessing.routing.flow_dir_mfd)


@numba.njit(cache=True, nogil=True)
def _pack(weights, total):  # pragma: no cover - compiled
    packed = 0
    for k in range(8):
        packed |= int(0.5 + weights[k] / total * 15.0) << (4 * k)
    return packed


@numba.njit(cache=True, nogil=True)
def mfd_directions(z, ok, drow, dcol, region, queue):  # pragma: no cover - compiled
    """MFD proportions packed as 8 × 4 bits (pygeoprocessing's encoding); 0 = no flow.

    ``region`` and ``queue`` are scratch index buffers of ``z.size`` elements.
    """
    ny, nx = z.shape
    n = ny * nx
    fdir = np.zeros((ny, nx), dtype=np.int32)
    w = np.zeros(8)
    wn = np.zeros(8)
    # cells of flat regions, found lazily
    seen = np.zeros((ny, nx), dtype=np.uint8)
    dist = np.full((ny, nx), np.inf)
    inq = np.zeros((ny, nx), dtype=np.uint8)
    for r0 in range(ny):
        for c0 in range(nx):
            if not ok[r0, c0] or fdir[r0, c0] != 0 or seen[r0, c0]:
                continue
            h0 = z[r0, c0]
            total = 0.0
            for k in range(8):
                w[k] = 0.0
                r = r0 + drow[k]
                c = c0 + dcol[k]
                if r < 0 or r >= ny or c < 0 or c >= nx or not ok[r, c]:
                    continue
                s = h0 - z[r, c]
                if s > 0.0:
                    if k & 1:
                        s *= _SQRT2_INV
                    w[k] = s
                    total += s
            if total > 0.0:
                fdir[r0, c0] = _pack(w, total)
                continue
            # A flat region: collect it (8-connected cells of equal height).
            nreg = 0
            region[0] = r0 * nx + c0
            seen[r0, c0] = 1
            nreg = 1
            head = 0
            while head < nreg:
                idx = region[head]
                head += 1
                r1 = idx // nx
                c1 = idx % nx
                for k in range(8):
                    r = r1 + drow[k]
                    c = c1 + dcol[k]
                    if r < 0 or r >= ny or c < 0 or c >= nx or not ok[r, c] or seen[r, c]:
                        continue
                    if z[r, c] == h0:
                        seen[r, c] = 1
                        region[nreg] = r * nx + c
                        nreg += 1
            # Drains: cells with a lower valid neighbour; else cells next to nodata / the edge.
            qt = 0
            for j in range(nreg):
                idx = region[j]
                r1 = idx // nx
                c1 = idx % nx
                total = 0.0
                for k in range(8):
                    w[k] = 0.0
                    r = r1 + drow[k]
                    c = c1 + dcol[k]
                    if r < 0 or r >= ny or c < 0 or c >= nx or not ok[r, c]:
                        continue
                    s = h0 - z[r, c]
                    if s > 0.0:
                        if k & 1:
                            s *= _SQRT2_INV
                        w[k] = s
                        total += s
                if total > 0.0:
                    fdir[r1, c1] = _pack(w, total)
                    dist[r1, c1] = 0.0
                    queue[qt] = idx
                    inq[r1, c1] = 1
                    qt += 1
            if qt == 0:
                for j in range(nreg):
                    idx = region[j]
                    r1 = idx // nx
                    c1 = idx % nx
                    total = 0.0
                    for k in range(8):
                        wn[k] = 0.0
                        r = r1 + drow[k]
                        c = c1 + dcol[k]
                        if r < 0 or r >= ny or c < 0 or c >= nx or not ok[r, c]:
                            wn[k] = _SQRT2_INV if k & 1 else 1.0
                            total += wn[k]
                    if total > 0.0:
                        fdir[r1, c1] = _pack(wn, total)
                        dist[r1, c1] = 0.0
                        queue[qt] = idx
                        inq[r1, c1] = 1
                        qt += 1
            # Distance to the nearest drain inside the region (1 per step, √2 diagonally).
            head = 0
            size = qt
            while size > 0:
                idx = queue[head]
                head = (head + 1) % n
                size -= 1
                r1 = idx // nx
                c1 = idx % nx
                inq[r1, c1] = 0
                d0 = dist[r1, c1]
                for k in range(8):
                    r = r1 + drow[k]
                    c = c1 + dcol[k]
                    if r < 0 or r >= ny or c < 0 or c >= nx or not ok[r, c] or z[r, c] != h0:
                        continue
                    d1 = d0 + (_SQRT2 if k & 1 else 1.0)
                    if dist[r, c] > d1:
                        dist[r, c] = d1
                        if not inq[r, c]:
                            inq[r, c] = 1
                            queue[(head + size) % n] = r * nx + c
                            size += 1
            # Non-drain flat cells flow to their equal-height neighbours nearer a drain.
            for j in range(nreg):
                idx = region[j]
                r1 = idx // nx
                c1 = idx % nx
                d0 = dist[r1, c1]
                if d0 == 0.0:
                    continue
                total = 0.0
                for k in range(8):
                    w[k] = 0.0
                    r = r1 + drow[k]
                    c = c1 + dcol[k]
                    if r < 0 or r >= ny or c < 0 or c >= nx or not ok[r, c] or z[r, c] != h0:
                        continue
                    if dist[r, c] < d0:
                        w[k] = _SQRT2_INV if k & 1 else 1.0
                        total += w[k]
                if total > 0.0:
                    fdir[r1, c1] = _pack(w, total)
    return fdir


@numba.njit(cache=True, nogil=True)
def _mfd_accumulation(fdir, drow, dcol, queue):  # pragma: no cover - compiled
    """Accumulation [cells] over packed MFD directions, in a topological order (Kahn).

    ``queue`` is a scratch index buffer of ``fdir.size`` elements.
    """
    ny, nx = fdir.shape
    acc = np.full((ny, nx), np.nan)
    indeg = np.zeros((ny, nx), dtype=np.uint8)
    outsum = np.zeros((ny, nx), dtype=np.uint8)  # sum of a cell's 8 proportions [1/15]
    for r0 in range(ny):
        for c0 in range(nx):
            f = fdir[r0, c0]
            if f == 0:
                continue
            total = 0
            for k in range(8):
                total += (f >> (4 * k)) & 0xF
            outsum[r0, c0] = total
            for k in range(8):
                if (f >> (4 * k)) & 0xF:
                    r = r0 + drow[k]
                    c = c0 + dcol[k]
                    if 0 <= r < ny and 0 <= c < nx and fdir[r, c] != 0:
                        indeg[r, c] += 1
    qt = 0
    for r0 in range(ny):
        for c0 in range(nx):
            if fdir[r0, c0] != 0 and indeg[r0, c0] == 0:
                queue[qt] = r0 * nx + c0
                qt += 1
    while qt > 0:  # a stack: depth-first down the flow paths keeps neighbours in cache
        qt -= 1
        idx = queue[qt]
        r0 = idx // nx
        c0 = idx % nx
        # Pull from the upslope neighbours, in pygeoprocessing's neighbour order.
        value = 1.0
        for k in range(8):
            r = r0 + drow[k]
            c = c0 + dcol[k]
            if r < 0 or r >= ny or c < 0 or c >= nx:
                continue
            wk = (fdir[r, c] >> (4 * ((k + 4) % 8))) & 0xF
            if wk == 0:
                continue
            value += acc[r, c] * wk / np.float32(outsum[r, c])
        acc[r0, c0] = value
        f = fdir[r0, c0]
        for k in range(8):
            if (f >> (4 * k)) & 0xF:
                r = r0 + drow[k]
                c = c0 + dcol[k]
                if 0 <= r < ny and 0 <= c < nx and fdir[r, c] != 0:
                    indeg[r, c] -= 1
                    if indeg[r, c] == 0:
                        queue[qt] = r * nx + c
                        qt += 1
    return acc


@numba.njit(cache=True, nogil=True)
def _d8_directions(z, ok, block):  # pragma: no cover - compiled
    """D8 direction 0-7 (pygeoprocessing's order), -1 = none; port of ``flow_dir_d8``.

    Cells are visited in pygeoprocessing's order (``block`` × ``block`` tiles,
    row-major inside) so that ties on flats are broken as InVEST breaks them.
    """
    ny, nx = z.shape
    fdir = np.full((ny, nx), -1, dtype=np.int8)
    seen = np.zeros((ny, nx), dtype=np.uint8)
    dist = np.full((ny, nx), np.inf)
    region = np.empty(1024, dtype=np.int64)
    drains = np.empty(1024, dtype=np.int64)
    nodata_drains = np.empty(1024, dtype=np.int64)
    nodata_dirs = np.empty(1024, dtype=np.int8)
    for br in range(0, ny, block):
        for bc in range(0, nx, block):
            for r0 in range(br, min(br + block, ny)):
                for c0 in range(bc, min(bc + block, nx)):
                    if not ok[r0, c0] or fdir[r0, c0] >= 0 or seen[r0, c0]:
                        continue
                    h0 = z[r0, c0]
                    best = -1
                    best_slope = 0.0
                    for k in range(8):
                        r = r0 + DROW[k]
                        c = c0 + DCOL[k]
                        if r < 0 or r >= ny or c < 0 or c >= nx or not ok[r, c]:
                            continue
                        s = h0 - z[r, c]
                        if k & 1:
                            s *= _SQRT2_INV
                        if s > best_slope:
                            best = k
                            best_slope = s
                    if best >= 0:
                        fdir[r0, c0] = best
                        continue
                    # Flat region, searched breadth-first from this cell.
                    region[0] = r0 * nx + c0
                    seen[r0, c0] = 1
                    nreg = 1
                    nd = 0
                    nnd = 0
                    head = 0
                    while head < nreg:
                        idx = region[head]
                        head += 1
                        r1 = idx // nx
                        c1 = idx % nx
                        best = -1
                        best_slope = 0.0
                        diagonal_nodata = True
                        for k in range(8):
                            r = r1 + DROW[k]
                            c = c1 + DCOL[k]
                            if r < 0 or r >= ny or c < 0 or c >= nx or not ok[r, c]:
                                if diagonal_nodata and best_slope == 0.0:
                                    best = k
                                    diagonal_nodata = (k & 1) == 1
                                continue
                            s = h0 - z[r, c]
                            if s < 0.0:
                                continue
                            if s == 0.0:
                                if not seen[r, c]:
                                    seen[r, c] = 1
                                    if nreg == region.size:
                                        region = np.concatenate((region, np.empty(region.size, dtype=np.int64)))
                                    region[nreg] = r * nx + c
                                    nreg += 1
                                continue
                            if k & 1:
                                s *= _SQRT2_INV
                            if s > best_slope:
                                best_slope = s
                                best = k
                        if best >= 0:
                            if best_slope > 0.0:
                                fdir[r1, c1] = best
                                dist[r1, c1] = 0.0
                                if nd == drains.size:
                                    drains = np.concatenate((drains, np.empty(drains.size, dtype=np.int64)))
                                drains[nd] = idx
                                nd += 1
                            else:
                                if nnd == nodata_drains.size:
                                    nodata_drains = np.concatenate(
                                        (nodata_drains, np.empty(nodata_drains.size, dtype=np.int64))
                                    )
                                    nodata_dirs = np.concatenate((nodata_dirs, np.empty(nodata_dirs.size, np.int8)))
                                nodata_drains[nnd] = idx
                                nodata_dirs[nnd] = best
                                nnd += 1
                    if nd == 0:
                        for j in range(nnd):
                            idx = nodata_drains[j]
                            fdir[idx // nx, idx % nx] = nodata_dirs[j]
                            dist[idx // nx, idx % nx] = 0.0
                            if nd == drains.size:
                                drains = np.concatenate((drains, np.empty(drains.size, dtype=np.int64)))
                            drains[nd] = idx
                            nd += 1
                    # Label-correcting distance from the drains, FIFO, every improvement re-queued:
                    # a flat cell points to the neighbour that first gave its final distance.
                    head = 0
                    while head < nd:
                        idx = drains[head]
                        head += 1
                        r1 = idx // nx
                        c1 = idx % nx
                        d0 = dist[r1, c1]
                        for k in range(8):
                            r = r1 + DROW[k]
                            c = c1 + DCOL[k]
                            if r < 0 or r >= ny or c < 0 or c >= nx or not ok[r, c] or z[r, c] != h0:
                                continue
                            d1 = d0 + (_SQRT2 if k & 1 else 1.0)
                            if dist[r, c] > d1:
                                fdir[r, c] = (k + 4) % 8
                                dist[r, c] = d1
                                if nd == drains.size:
                                    drains = np.concatenate((drains, np.empty(drains.size, dtype=np.int64)))
                                drains[nd] = r * nx + c
                                nd += 1
    return fdir


@numba.njit(cache=True, nogil=True)
def _d8_accumulation(fdir, queue):  # pragma: no cover - compiled
    """Accumulation [cells] over D8 directions, in topological order (Kahn)."""
    ny, nx = fdir.shape
    acc = np.full((ny, nx), np.nan)
    indeg = np.zeros((ny, nx), dtype=np.uint8)
    for r0 in range(ny):
        for c0 in range(nx):
            k = fdir[r0, c0]
            if k < 0:
                continue
            r = r0 + DROW[k]
            c = c0 + DCOL[k]
            if 0 <= r < ny and 0 <= c < nx and fdir[r, c] >= 0:
                indeg[r, c] += 1
    qt = 0
    for r0 in range(ny):
        for c0 in range(nx):
            if fdir[r0, c0] >= 0 and indeg[r0, c0] == 0:
                queue[qt] = r0 * nx + c0
                qt += 1
    while qt > 0:  # a stack: depth-first down the flow paths keeps neighbours in cache
        qt -= 1
        idx = queue[qt]
        r0 = idx // nx
        c0 = idx % nx
        value = 1.0
        for k in range(8):
            r = r0 + DROW[k]
            c = c0 + DCOL[k]
            if 0 <= r < ny and 0 <= c < nx and fdir[r, c] == (k + 4) % 8:
                value += acc[r, c]
        acc[r0, c0] = value
        k = fdir[r0, c0]
        r = r0 + DROW[k]
        c = c0 + DCOL[k]
        if 0 <= r < ny and 0 <= c < nx and fdir[r, c] >= 0:
            indeg[r, c] -= 1
            if indeg[r, c] == 0:
                queue[qt] = r * nx + c
                qt += 1
    return acc


#: Tile size of pygeoprocessing's rasters; its traversal order breaks D8 ties on flats.
_PGP_BLOCK = 256


def _accumulate(filled: FloatArray, routable: NDArray[np.bool_], method: Method) -> FloatArray:
    n = filled.size
    queue = np.empty(n, dtype=np.int32 if n < 2**31 else np.int64)
    if method == "mfd":
        region = np.empty_like(queue)
        fdir = mfd_directions(filled, routable, DROW, DCOL, region, queue)
        del region
        return _mfd_accumulation(fdir, DROW, DCOL, queue)
    if method == "d8":
        return _d8_accumulation(_d8_directions(filled, routable, _PGP_BLOCK), queue)
    raise ValueError(f"method must be 'mfd' or 'd8', got {method!r}")


def terrain(
    dem: ArrayLike,
    cell_size: float | tuple[float, float],
    nodata: float | None = None,
    *,
    method: Method = "mfd",
    route_through_holes: bool = True,
    values_in_holes: bool = False,
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

    Nodata handling: see the module notes (holes routed through by default).

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

    Returns
    -------
    Terrain
        ``filled`` [m], ``slope`` [%], ``accumulation`` [cells]; NaN at nodata cells
        (at edge-connected nodata only, with ``values_in_holes``).
    """
    filled, data, routable = _prepare(dem, nodata, route_through_holes)
    keep = routable if values_in_holes else data
    acc = _accumulate(filled, routable, method)
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
    filled, data, routable = _prepare(dem, nodata, route_through_holes)
    acc = _accumulate(filled, routable, method)
    acc[~data] = np.nan
    return acc


def contributing_area(accumulation: ArrayLike, cell_size: float) -> FloatArray:
    """Upslope contributing area [m²] = accumulation [cells] × cell area [m²], the cell included."""
    return np.asarray(accumulation, dtype=np.float64) * float(cell_size) ** 2
