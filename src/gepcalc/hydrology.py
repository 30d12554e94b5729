"""Hydrology kernels for the water and soil regulating services.

Pure functions on numpy arrays: magnitudes in, magnitudes out, in the units each
docstring states in brackets. No file I/O and no pint here; the services convert
their parameters before calling (see ``DESIGN.md``, *Magnitudes inside, pint at
the edges*).

Where InVEST computes the same physics these functions reproduce InVEST 3.20
(``natcap.invest`` 3.20.0 with ``pygeoprocessing`` 2.4), because accounts are
checked against InVEST within 1 %:

* terrain: pit filling, percent slope and multiple-flow-direction (MFD) flow
  accumulation as ``pygeoprocessing.routing`` computes them for InVEST's SDR;
* :func:`ls_factor`: SDR's ``_calculate_ls_factor`` (Desmet & Govers 1996 with
  InVEST's substitutions, see there);
* :func:`rusle`, :func:`soil_retention`: SDR's ``usle`` and ``avoided_erosion``;
* :func:`budyko_aet_fraction`, :func:`budyko_water_yield`: Annual Water Yield's
  ``fractp_op`` and ``wyield_op``.

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

__all__ = [
    "L_MAX",
    "Terrain",
    "budyko_aet_fraction",
    "budyko_water_yield",
    "contributing_area",
    "fill_depressions",
    "flow_accumulation",
    "ls_factor",
    "ls_from_terrain",
    "rusle",
    "slope",
    "soil_retention",
    "terrain",
    "topographic_index",
    "water_retention",
]

Method = Literal["mfd", "d8"]
FloatArray = NDArray[np.float64]

#: InVEST's SDR sample-data value of the cap on the slope-length factor L [-].
L_MAX = 122.0
#: Slope-length normalisation of the USLE unit plot [m].
_UNIT_PLOT_LENGTH = 22.13

# pygeoprocessing's neighbour order: 0 = east, counter-clockwise; odd = diagonal.
#   3 2 1
#   4 x 0
#   5 6 7
_DROW = np.array([0, -1, -1, -1, 0, 1, 1, 1], dtype=np.int64)
_DCOL = np.array([1, 1, 0, -1, -1, -1, 0, 1], dtype=np.int64)
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


def _data_mask(dem: NDArray, nodata: float | None) -> NDArray[np.bool_]:
    mask = np.isfinite(dem)
    if nodata is not None and not np.isnan(nodata):
        mask &= dem != nodata
    return mask


def _interior_holes(data: NDArray[np.bool_]) -> NDArray[np.bool_]:
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


@numba.njit(cache=True)
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
                    if not ok[r + _DROW[k], c + _DCOL[k]]:
                        seed = True
                        break
            if not seed:
                continue
            closed[r, c] = 1
            if hn == hk.size:
                hk = np.concatenate((hk, np.empty(hk.size)))
                hi = np.concatenate((hi, np.empty(hi.size, dtype=np.int64)))
            # sift up
            j = hn
            hn += 1
            key = z[r, c]
            while j > 0:
                parent = (j - 1) >> 1
                if hk[parent] <= key:
                    break
                hk[j] = hk[parent]
                hi[j] = hi[parent]
                j = parent
            hk[j] = key
            hi[j] = r * nx + c
    while hn > 0 or pn > 0:
        if pn > 0:
            pn -= 1
            idx = pit[pn]
        else:
            idx = hi[0]
            hn -= 1
            # move the last element to the root and sift down
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
        r0 = idx // nx
        c0 = idx % nx
        level = z[r0, c0]
        for k in range(8):
            r = r0 + _DROW[k]
            c = c0 + _DCOL[k]
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
                if hn == hk.size:
                    hk = np.concatenate((hk, np.empty(hk.size)))
                    hi = np.concatenate((hi, np.empty(hi.size, dtype=np.int64)))
                j = hn
                hn += 1
                key = z[r, c]
                while j > 0:
                    parent = (j - 1) >> 1
                    if hk[parent] <= key:
                        break
                    hk[j] = hk[parent]
                    hi[j] = hi[parent]
                    j = parent
                hk[j] = key
                hi[j] = r * nx + c


def _prepare(
    dem: ArrayLike, nodata: float | None, route_through_holes: bool
) -> tuple[FloatArray, NDArray[np.bool_], NDArray[np.bool_]]:
    """Filled DEM to route on (NaN outside), the data mask and the routing mask."""
    z = np.array(dem, dtype=np.float64)  # a copy: the caller's array is never changed
    if z.ndim != 2:
        raise ValueError(f"dem must be a 2-D array, got shape {z.shape}")
    data = _data_mask(z, nodata)
    if not data.any():
        raise ValueError("dem has no valid cell")
    routable = data
    if route_through_holes:
        holes = _interior_holes(data)
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


@numba.njit(cache=True, inline="always")
def _cell(z, data, row, col):  # pragma: no cover - compiled
    """(valid, height) of a cell; off the raster is invalid."""
    ny, nx = z.shape
    if 0 <= row < ny and 0 <= col < nx and data[row, col]:
        return True, z[row, col]
    return False, 0.0


@numba.njit(cache=True, inline="always")
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


@numba.njit(cache=True)
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


def _slope_on(z: FloatArray, data: NDArray[np.bool_], cell_size: float | tuple[float, float]) -> FloatArray:
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
    return _slope_on(z, _data_mask(z, nodata), cell_size)


# ---------------------------------------------------------------------------
# multiple flow direction (port of pygeoprocessing.routing.flow_dir_mfd)


@numba.njit(cache=True)
def _pack(weights, total):  # pragma: no cover - compiled
    packed = 0
    for k in range(8):
        packed |= int(0.5 + weights[k] / total * 15.0) << (4 * k)
    return packed


@numba.njit(cache=True)
def _mfd_directions(z, ok, drow, dcol, region, queue):  # pragma: no cover - compiled
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


@numba.njit(cache=True)
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


@numba.njit(cache=True)
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
                        r = r0 + _DROW[k]
                        c = c0 + _DCOL[k]
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
                            r = r1 + _DROW[k]
                            c = c1 + _DCOL[k]
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
                            r = r1 + _DROW[k]
                            c = c1 + _DCOL[k]
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


@numba.njit(cache=True)
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
            r = r0 + _DROW[k]
            c = c0 + _DCOL[k]
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
            r = r0 + _DROW[k]
            c = c0 + _DCOL[k]
            if 0 <= r < ny and 0 <= c < nx and fdir[r, c] == (k + 4) % 8:
                value += acc[r, c]
        acc[r0, c0] = value
        k = fdir[r0, c0]
        r = r0 + _DROW[k]
        c = c0 + _DCOL[k]
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
        fdir = _mfd_directions(filled, routable, _DROW, _DCOL, region, queue)
        del region
        return _mfd_accumulation(fdir, _DROW, _DCOL, queue)
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
    slope_pct = _slope_on(filled, keep, cell_size)
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


# ---------------------------------------------------------------------------
# LS factor


def ls_from_terrain(
    slope_pct: ArrayLike, accumulation: ArrayLike, cell_size: float, *, l_max: float = L_MAX
) -> FloatArray:
    """RUSLE LS factor [-] from percent slope and flow accumulation, as InVEST SDR 3.20.

    InVEST's ``sdr._calculate_ls_factor`` (Desmet & Govers 1996, eq. 3 of
    Winchell et al. 2008), with ``D`` the cell size [m], ``θ = arctan(s/100)``:

    .. math::

        A = \\sqrt{(N - 1)\\, D^2},\\qquad
        L = \\min\\left(l_{max},\\;
            \\frac{(A + D^2)^{m+1} - A^{m+1}}{D^{m+2}\\, x^m\\, 22.13^m}\\right),\\qquad
        LS = L \\cdot S

    * ``N`` accumulation [cells] including the cell (so ``N − 1`` strictly
      upslope cells). InVEST puts the *square root* of the upslope area [m] in
      place of Desmet & Govers' area [m²] while keeping ``D²`` beside it (InVEST
      ADR-0001, "as SAGA's square root of catchment area"); reproduced as is.
    * ``x = |sin θ| + |cos θ|``: InVEST evaluates Desmet & Govers' aspect term on
      the slope angle θ, not the aspect; reproduced as is.
    * ``m`` (Oliveira et al. 2013 table, InVEST 2012 sediment-model notes):
      0.2 for s ≤ 1 %, 0.3 for 1 < s ≤ 3.5 %, 0.4 for 3.5 < s ≤ 5 %, 0.5 for
      5 < s ≤ 9 %, and ``β/(1 + β)`` above 9 % with
      ``β = (sin θ / 0.0896) / (3 sin^0.8 θ + 0.56)`` (McCool et al. 1989).
      Held in float32 as InVEST does.
    * ``S`` (McCool et al. 1987, eq. 4 of Winchell et al. 2008):
      ``10.8 sin θ + 0.03`` for s < 9 %, ``16.8 sin θ − 0.50`` for s ≥ 9 %.
    * ``l_max`` caps L only (InVEST's ``l_max`` argument; 122 in its sample data).

    Parameters
    ----------
    slope_pct
        Percent slope [%] (of the filled DEM).
    accumulation
        Flow accumulation [cells], the cell itself included (≥ 1).
    cell_size
        Cell size D [m] (square cells).
    l_max
        Cap on L [-].

    Returns
    -------
    numpy.ndarray
        LS [-], float64; NaN where an input is NaN.
    """
    s, n = np.broadcast_arrays(np.asarray(slope_pct, dtype=np.float64), np.asarray(accumulation, dtype=np.float64))
    out = _ls_kernel(np.ascontiguousarray(s).ravel(), np.ascontiguousarray(n).ravel(), float(cell_size), float(l_max))
    return out.reshape(s.shape)


@numba.njit(cache=True)
def _ls_kernel(s, n, d, l_max):  # pragma: no cover - compiled
    out = np.empty(s.size)
    cell_area = d * d
    for j in range(s.size):
        pct = s[j]
        if math.isnan(pct) or math.isnan(n[j]):
            out[j] = np.nan
            continue
        # θ = arctan(t): sin θ = t / √(1 + t²), cos θ = 1 / √(1 + t²)
        t = pct / 100.0
        hyp = math.sqrt(1.0 + t * t)
        sin_t = t / hyp
        x = (abs(t) + 1.0) / hyp
        s_factor = 10.8 * sin_t + 0.03 if pct < 9.0 else 16.8 * sin_t - 0.5
        if pct <= 1.0:
            m = 0.2
        elif pct <= 3.5:
            m = 0.3
        elif pct <= 5.0:
            m = 0.4
        elif pct <= 9.0:
            m = 0.5
        else:
            beta = (sin_t / 0.0896) / (3.0 * sin_t**0.8 + 0.56)
            m = beta / (1.0 + beta)
        m = float(np.float32(m))  # InVEST holds m in a float32 array
        a = math.sqrt((n[j] - 1.0) * cell_area)
        # D^(m+2) x^m 22.13^m = D² (D x 22.13)^m
        el = ((a + cell_area) ** (m + 1.0) - a ** (m + 1.0)) / (cell_area * (d * x * _UNIT_PLOT_LENGTH) ** m)
        if el > l_max:
            el = l_max
        out[j] = el * s_factor
    return out


def ls_factor(
    dem: ArrayLike,
    cell_size: float,
    nodata: float | None = None,
    *,
    l_max: float = L_MAX,
    method: Method = "mfd",
    route_through_holes: bool = True,
) -> FloatArray:
    """RUSLE slope length-steepness factor LS [-] from a DEM, as InVEST SDR 3.20 computes it.

    Formulation: Desmet & Govers (1996) unit-contributing-area L with InVEST's
    substitutions, slope-class ``m`` exponent (β/(1+β) of McCool et al. 1989
    above 9 %), McCool et al. (1987) S with its 9 % threshold, L capped at
    ``l_max``; see :func:`ls_from_terrain` for the equations. Slope and
    accumulation come from the depression-filled DEM with MFD routing as
    pygeoprocessing does (:func:`terrain`), so for ``method="mfd"`` and
    ``route_through_holes=False`` this is InVEST's ``intermediate_outputs/ls.tif``
    for the same (masked) DEM.

    Parameters
    ----------
    dem
        Elevation [m], 2-D, projected grid with square cells.
    cell_size
        Cell size [m].
    nodata
        Value marking missing cells.
    l_max
        Cap on L [-]; InVEST's sample data uses 122.
    method
        ``"mfd"`` (InVEST default) or ``"d8"``.
    route_through_holes
        Route across interior nodata holes (default) or let them act as outlets.

    Returns
    -------
    numpy.ndarray
        LS [-], float64, NaN at nodata cells.
    """
    t = terrain(dem, cell_size, nodata, method=method, route_through_holes=route_through_holes)
    return ls_from_terrain(t.slope, t.accumulation, cell_size, l_max=l_max)


# ---------------------------------------------------------------------------
# RUSLE


def rusle(r: ArrayLike, k: ArrayLike, ls: ArrayLike, c: ArrayLike, p: ArrayLike) -> FloatArray:
    """Actual soil loss by RUSLE [t ha⁻¹ yr⁻¹]: ``A = R · K · LS · C · P``.

    Wischmeier & Smith (1978); Renard et al. (1997). InVEST SDR's ``usle.tif``
    (``rkls × usle_c × usle_p``). MEE 2020 guide and NDRC 2022 spec, soil
    retention (土壤保持): actual erosion.

    Parameters
    ----------
    r
        Rainfall erosivity [MJ mm ha⁻¹ h⁻¹ yr⁻¹].
    k
        Soil erodibility [t ha h ha⁻¹ MJ⁻¹ mm⁻¹].
    ls
        Slope length-steepness factor [-].
    c
        Cover-management factor [-].
    p
        Support-practice factor [-].

    Returns
    -------
    numpy.ndarray
        Soil loss [t ha⁻¹ yr⁻¹].
    """
    return np.asarray(r, dtype=np.float64) * k * ls * c * p


def soil_retention(r: ArrayLike, k: ArrayLike, ls: ArrayLike, c: ArrayLike, p: ArrayLike) -> FloatArray:
    """Soil retained by the ecosystem [t ha⁻¹ yr⁻¹]: potential minus actual RUSLE erosion.

    .. math:: Q_{sr} = R K LS - R K LS\\, C P = R K LS (1 - C P)

    MEE 2020 guide and NDRC 2022 spec, soil retention (土壤保持); the same
    quantity as InVEST SDR 3.20's ``avoided_erosion.tif`` (``rkls − usle``).
    InVEST leaves stream cells (accumulation above its threshold) out of
    ``rkls`` and so of this total; that masking belongs to the caller.

    Parameters
    ----------
    r
        Rainfall erosivity [MJ mm ha⁻¹ h⁻¹ yr⁻¹].
    k
        Soil erodibility [t ha h ha⁻¹ MJ⁻¹ mm⁻¹].
    ls
        Slope length-steepness factor [-].
    c
        Cover-management factor [-].
    p
        Support-practice factor [-].

    Returns
    -------
    numpy.ndarray
        Retained soil [t ha⁻¹ yr⁻¹].
    """
    rkls = r * k * ls  # plain arithmetic: works on arrays, lazy DataArrays and pint quantities alike
    return rkls - rkls * (c * p)


# ---------------------------------------------------------------------------
# Budyko water yield (InVEST Annual Water Yield 3.20)

#: Upper limit InVEST puts on the Budyko shape parameter ω [-].
OMEGA_MAX = 5.0
#: Minimum of ω for bare soil, added to the Z·AWC/P term (Donohue et al. 2012) [-].
OMEGA_MIN = 1.25


def budyko_aet_fraction(
    precip: ArrayLike,
    et0: ArrayLike,
    kc: ArrayLike,
    root_depth: ArrayLike,
    restricting_depth: ArrayLike,
    pawc: ArrayLike,
    vegetated: ArrayLike,
    z: ArrayLike,
) -> FloatArray:
    """Actual evapotranspiration as a fraction of precipitation, AET/P [-], as InVEST AWY 3.20.

    InVEST Annual Water Yield ``fractp_op`` (Fu 1981 / Zhang et al. 2004 Budyko
    curve; Donohue et al. 2012 for ω):

    .. math::

        PET = K_c\\, ET_0,\\qquad AWC = \\min(D_{root}, D_{rest}) \\cdot PAWC,\\qquad
        \\omega = \\min\\left(5,\\; Z\\frac{AWC}{P} + 1.25\\right)

        \\text{vegetated:}\\quad \\frac{AET}{P} = \\min\\left(\\frac{PET}{P},\\;
            1 + \\frac{PET}{P} - \\left[1 + \\left(\\frac{PET}{P}\\right)^{\\omega}\\right]^{1/\\omega}\\right)

        \\text{not vegetated:}\\quad \\frac{AET}{P} = \\frac{\\min(K_c\\, ET_0,\\; P)}{P}

    The curve itself stays below min(1, PET/P) for ω ≥ 1, so AET ≤ min(PET, P)
    everywhere. InVEST treats P = 0 as nodata; here AET/P is NaN there and
    :func:`budyko_water_yield` gives 0.

    Parameters
    ----------
    precip
        Annual precipitation P [mm yr⁻¹].
    et0
        Annual reference evapotranspiration ET₀ [mm yr⁻¹].
    kc
        Crop (plant evapotranspiration) coefficient K_c [-].
    root_depth
        Maximum root depth of the land-cover class [mm] (unused where not vegetated).
    restricting_depth
        Depth to the root-restricting layer [mm].
    pawc
        Plant-available water content [-] (fraction of soil volume).
    vegetated
        1 (or True) where InVEST's ``lulc_veg`` is 1, else 0.
    z
        Seasonality constant Z [-] (InVEST's ``seasonality_constant``, 1–30).

    Returns
    -------
    numpy.ndarray
        AET/P [-], float64.
    """
    p = np.asarray(precip, dtype=np.float64)
    pet = np.asarray(kc, dtype=np.float64) * et0
    veg = np.asarray(vegetated) == 1
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = pet / p
        awc = np.minimum(root_depth, restricting_depth) * np.asarray(pawc, dtype=np.float64)
        omega = np.minimum(awc / p * z + OMEGA_MIN, OMEGA_MAX)
        curve = 1.0 + phi - (1.0 + phi**omega) ** (1.0 / omega)
        veg_fraction = np.where(phi < curve, phi, curve)
        bare_fraction = np.minimum(pet, p) / p
        out = np.where(veg, veg_fraction, bare_fraction)
    out = np.where(p == 0, np.nan, out)
    return out


def budyko_water_yield(
    precip: ArrayLike,
    et0: ArrayLike,
    kc: ArrayLike,
    root_depth: ArrayLike,
    restricting_depth: ArrayLike,
    pawc: ArrayLike,
    vegetated: ArrayLike,
    z: ArrayLike,
) -> FloatArray:
    """Annual water yield Y [mm yr⁻¹] by the Budyko curve, as InVEST Annual Water Yield 3.20.

    .. math:: Y = \\left(1 - \\frac{AET}{P}\\right) P

    with AET/P from :func:`budyko_aet_fraction` (InVEST ``wyield_op``). Used for
    water conservation (水源涵养) by the InVEST-style method of the MEE 2020 guide
    and published Chinese accounts. A cell with P = 0 yields 0.

    Parameters
    ----------
    precip
        Annual precipitation P [mm yr⁻¹].
    et0
        Annual reference evapotranspiration ET₀ [mm yr⁻¹].
    kc
        Crop coefficient K_c [-].
    root_depth
        Maximum root depth [mm].
    restricting_depth
        Depth to the root-restricting layer [mm].
    pawc
        Plant-available water content [-].
    vegetated
        1 where the class is vegetated (InVEST ``lulc_veg``), else 0.
    z
        Seasonality constant Z [-].

    Returns
    -------
    numpy.ndarray
        Water yield [mm yr⁻¹].
    """
    p = np.asarray(precip, dtype=np.float64)
    fraction = budyko_aet_fraction(p, et0, kc, root_depth, restricting_depth, pawc, vegetated, z)
    return np.where(p == 0, 0.0, (1.0 - fraction) * p)


# ---------------------------------------------------------------------------
# water conservation correction used in Chinese studies


def topographic_index(
    accumulation: ArrayLike, soil_depth: ArrayLike, slope_pct: ArrayLike, *, log_base: float = math.e
) -> FloatArray:
    """Topographic index TI [-] of the water-retention correction.

    .. math:: TI = \\log\\left(\\frac{\\text{drainage area}}{\\text{soil depth} \\times \\text{percent slope}}\\right)

    with the drainage area in cells, the soil depth in mm and the slope in percent,
    as the correction is stated in the Chinese literature (see
    :func:`water_retention`). The logarithm's base is a choice: natural by default;
    several papers typeset it ``lg`` (base 10), pass ``log_base=10`` to follow
    them. A zero slope gives +inf (the factor then saturates at 1).

    Parameters
    ----------
    accumulation
        Drainage (upslope) area [cells], the cell included.
    soil_depth
        Soil depth [mm].
    slope_pct
        Percent slope [%].
    log_base
        Base of the logarithm.

    Returns
    -------
    numpy.ndarray
        TI [-].
    """
    with np.errstate(divide="ignore"):
        ratio = np.asarray(accumulation, dtype=np.float64) / (np.asarray(soil_depth, dtype=np.float64) * slope_pct)
        return np.log(ratio) / math.log(log_base)


def water_retention(
    water_yield: ArrayLike,
    velocity_coefficient: ArrayLike,
    topographic_index: ArrayLike,
    ksat: ArrayLike,
    *,
    velocity_ref: float = 249.0,
    ti_ref: float = 3.0,
    ksat_ref: float = 300.0,
    clip_negative: bool = True,
) -> FloatArray:
    """Water retention (水源涵养量) [mm yr⁻¹] from the Budyko water yield with the usual correction.

    .. math::

        WR = \\min\\left(1, \\frac{249}{V}\\right) \\cdot
             \\min\\left(1, \\frac{0.9\\, TI}{3}\\right) \\cdot
             \\min\\left(1, \\frac{K_{sat}}{300}\\right) \\cdot Y

    V the flow-velocity coefficient of the land-use class [-], TI the topographic
    index (:func:`topographic_index`), K_sat the saturated hydraulic conductivity,
    Y the water yield (:func:`budyko_water_yield`). Used in many Chinese
    water-conservation studies, e.g. 包玉斌, 李婷, 柳辉 等 (2016) 基于InVEST模型的陕北
    黄土高原水源涵养功能时空变化, 地理研究 35(4):664–676 — cited from secondary
    material, not checked against the paper. The unit of K_sat behind the
    constant 300 is not settled here (mm d⁻¹ assumed; some papers give cm d⁻¹):
    pass ``ksat`` in the unit ``ksat_ref`` is in. A negative TI (steep, deep
    soil, small drainage area) would make the topographic factor negative; with
    ``clip_negative`` it is set to 0, so WR lies between 0 and Y.

    Parameters
    ----------
    water_yield
        Water yield Y [mm yr⁻¹].
    velocity_coefficient
        Flow-velocity coefficient V of the land-use class [-].
    topographic_index
        TI [-].
    ksat
        Saturated hydraulic conductivity [mm d⁻¹] (the unit of ``ksat_ref``).
    velocity_ref
        Constant 249 [-].
    ti_ref
        TI at which the topographic factor reaches 0.9 (the 3 of 0.9·TI/3) [-].
    ksat_ref
        K_sat at which the soil factor reaches 1 [mm d⁻¹].
    clip_negative
        Clip the topographic factor at 0.

    Returns
    -------
    numpy.ndarray
        Water retention [mm yr⁻¹].
    """
    with np.errstate(divide="ignore"):
        f_v = np.minimum(1.0, velocity_ref / np.asarray(velocity_coefficient, dtype=np.float64))
    f_ti = np.minimum(1.0, 0.9 * np.asarray(topographic_index, dtype=np.float64) / ti_ref)
    if clip_negative:
        f_ti = np.maximum(f_ti, 0.0)
    f_k = np.minimum(1.0, np.asarray(ksat, dtype=np.float64) / ksat_ref)
    return f_v * f_ti * f_k * np.asarray(water_yield, dtype=np.float64)
