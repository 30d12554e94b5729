"""D8 flow directions and their accumulation, ports of pygeoprocessing's ``flow_dir_d8``.

:func:`d8_directions`: each cell flows to its steepest lower neighbour (drop per distance);
a flat drains along the shortest path to its outlet, ties broken in pygeoprocessing's tile
order. :func:`d8_accumulation` ports ``flow_accumulation_d8``. Numba kernels on arrays; the
DEM is filled beforehand (:mod:`gepcalc.routing.fill`). MFD is in :mod:`gepcalc.routing.mfd`.
"""

from __future__ import annotations

import numba
import numpy as np

from gepcalc.routing.buffers import append
from gepcalc.routing.neighbours import DCOL, DROW, SQRT2, SQRT2_INV

__all__ = ["d8_accumulation", "d8_directions"]


@numba.njit(cache=True, nogil=True, inline="always")
def _steepest_descent(z, ok, r0, c0, h0):  # pragma: no cover - compiled
    """Neighbour 0-7 of ``(r0, c0)`` (height ``h0``) with the steepest drop per distance, -1 if none is lower."""
    ny, nx = z.shape
    best = -1
    best_slope = 0.0
    for k in range(8):
        r = r0 + DROW[k]
        c = c0 + DCOL[k]
        if r < 0 or r >= ny or c < 0 or c >= nx or not ok[r, c]:
            continue
        s = h0 - z[r, c]
        if k & 1:
            s *= SQRT2_INV
        if s > best_slope:
            best = k
            best_slope = s
    return best


@numba.njit(cache=True, nogil=True, inline="always")
def _scan_flat_cell(z, ok, r1, c1, h0, seen, region, nreg):  # pragma: no cover - compiled
    """Visit one cell of a flat of height ``h0``: append its unseen equal-height neighbours to ``region``.

    Returns ``(best, best_slope, region, nreg)``: the steepest lower neighbour and its drop per
    distance, or, with ``best_slope`` 0, the first nodata / off-raster neighbour (an orthogonal
    one preferred); ``best`` is -1 when there is neither.
    """
    ny, nx = z.shape
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
                region = append(region, nreg, r * nx + c)
                nreg += 1
            continue
        if k & 1:
            s *= SQRT2_INV
        if s > best_slope:
            best_slope = s
            best = k
    return best, best_slope, region, nreg


@numba.njit(cache=True, nogil=True, inline="always")
def _flat_drains(z, ok, r0, c0, h0, seen, fdir, dist, region, drains, nodata_drains, nodata_dirs):  # pragma: no cover
    """Search the flat of ``(r0, c0)`` breadth-first and give its drains their direction and distance 0.

    Drains are the flat's cells with a lower neighbour; if it has none, its cells next to nodata
    or the raster edge. Returns ``(nd, region, drains, nodata_drains, nodata_dirs)``: the number
    of drains (first ``nd`` entries of ``drains``) and the scratch buffers, possibly grown.
    """
    nx = z.shape[1]
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
        best, best_slope, region, nreg = _scan_flat_cell(z, ok, r1, c1, h0, seen, region, nreg)
        if best < 0:
            continue
        if best_slope > 0.0:
            fdir[r1, c1] = best
            dist[r1, c1] = 0.0
            drains = append(drains, nd, idx)
            nd += 1
        else:
            nodata_drains = append(nodata_drains, nnd, idx)
            nodata_dirs = append(nodata_dirs, nnd, best)
            nnd += 1
    if nd == 0:
        for j in range(nnd):
            idx = nodata_drains[j]
            fdir[idx // nx, idx % nx] = nodata_dirs[j]
            dist[idx // nx, idx % nx] = 0.0
            drains = append(drains, nd, idx)
            nd += 1
    return nd, region, drains, nodata_drains, nodata_dirs


@numba.njit(cache=True, nogil=True, inline="always")
def _flat_paths(z, ok, h0, fdir, dist, drains, nd):  # pragma: no cover - compiled
    """Point each cell of a flat of height ``h0`` along its shortest path to the ``nd`` drains.

    Label-correcting distance from the drains, FIFO, every improvement re-queued: a flat cell
    points to the neighbour that first gave its final distance. Returns ``drains`` (possibly grown).
    """
    ny, nx = z.shape
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
            d1 = d0 + (SQRT2 if k & 1 else 1.0)
            if dist[r, c] > d1:
                fdir[r, c] = (k + 4) % 8
                dist[r, c] = d1
                drains = append(drains, nd, r * nx + c)
                nd += 1
    return drains


@numba.njit(cache=True, nogil=True)
def d8_directions(z, ok, block):  # pragma: no cover - compiled
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
                    best = _steepest_descent(z, ok, r0, c0, h0)
                    if best >= 0:
                        fdir[r0, c0] = best
                        continue
                    nd, region, drains, nodata_drains, nodata_dirs = _flat_drains(
                        z, ok, r0, c0, h0, seen, fdir, dist, region, drains, nodata_drains, nodata_dirs
                    )
                    drains = _flat_paths(z, ok, h0, fdir, dist, drains, nd)
    return fdir


@numba.njit(cache=True, nogil=True)
def d8_accumulation(fdir, queue):  # pragma: no cover - compiled
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
