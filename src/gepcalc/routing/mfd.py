"""Multiple flow directions (MFD) and their accumulation, ports of pygeoprocessing's.

:func:`mfd_directions` ports ``pygeoprocessing.routing.flow_dir_mfd``: a cell sends water to
every lower neighbour in proportion to drop / distance, packed as 8 × 4 bits; a flat drains
towards its cells that have a lower neighbour (else towards the nodata / raster edge next to
it), each flat cell to its neighbours nearer such a drain. :func:`mfd_accumulation` ports
``flow_accumulation_mfd``. Numba kernels on arrays; the DEM is filled beforehand
(:mod:`gepcalc.routing.fill`). D8 is in :mod:`gepcalc.routing.d8`.
"""

from __future__ import annotations

import numba
import numpy as np

from gepcalc.routing.neighbours import SQRT2, SQRT2_INV

__all__ = [
    "downslope_weights",
    "flat_distances",
    "mfd_accumulation",
    "mfd_directions",
    "nearer_weights",
    "outside_weights",
    "pack_proportions",
]


@numba.njit(cache=True, nogil=True)
def pack_proportions(weights, total):  # pragma: no cover - compiled
    """The 8 proportions ``weights / total`` rounded to sixteenths, packed 4 bits each (neighbour 0 lowest)."""
    packed = 0
    for k in range(8):
        packed |= int(0.5 + weights[k] / total * 15.0) << (4 * k)
    return packed


@numba.njit(cache=True, nogil=True, inline="always")
def downslope_weights(z, ok, drow, dcol, r0, c0, h0, w):  # pragma: no cover - compiled
    """Set ``w[k]`` to the drop per distance [m/cell] from height ``h0`` at ``(r0, c0)`` to each lower valid neighbour.

    Other neighbours get 0. Returns the sum of the weights (0: no lower neighbour).
    """
    ny, nx = z.shape
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
                s *= SQRT2_INV
            w[k] = s
            total += s
    return total


@numba.njit(cache=True, nogil=True, inline="always")
def outside_weights(ok, drow, dcol, r0, c0, w):  # pragma: no cover - compiled
    """Set ``w[k]`` to 1 / distance for each neighbour off the raster or outside ``ok``, 0 for the others.

    Returns the sum of the weights (0: the cell touches neither nodata nor the edge).
    """
    ny, nx = ok.shape
    total = 0.0
    for k in range(8):
        w[k] = 0.0
        r = r0 + drow[k]
        c = c0 + dcol[k]
        if r < 0 or r >= ny or c < 0 or c >= nx or not ok[r, c]:
            w[k] = SQRT2_INV if k & 1 else 1.0
            total += w[k]
    return total


@numba.njit(cache=True, nogil=True, inline="always")
def _collect_flat(z, ok, drow, dcol, r0, c0, seen, region):  # pragma: no cover - compiled
    """Write the flat of ``(r0, c0)`` (8-connected cells of equal height) into ``region``, marking them ``seen``.

    Breadth-first from ``(r0, c0)``, so the cells are in the order the whole-grid kernel has
    always visited them. Returns the number of cells.
    """
    ny, nx = z.shape
    h0 = z[r0, c0]
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
    return nreg


@numba.njit(cache=True, nogil=True, inline="always")
def _flat_drains(z, ok, drow, dcol, h0, region, nreg, fdir, dist, queue, inq, w, wn):  # pragma: no cover - compiled
    """Give the drains of a flat their directions and distance 0, and queue them; returns how many.

    Drains are the flat's cells with a lower valid neighbour (flowing down as any cell); if the
    flat has none, its cells next to nodata or the raster edge, flowing out of the domain.
    """
    nx = z.shape[1]
    qt = 0
    for j in range(nreg):
        idx = region[j]
        r1 = idx // nx
        c1 = idx % nx
        total = downslope_weights(z, ok, drow, dcol, r1, c1, h0, w)
        if total > 0.0:
            fdir[r1, c1] = pack_proportions(w, total)
            dist[r1, c1] = 0.0
            queue[qt] = idx
            inq[r1, c1] = 1
            qt += 1
    if qt == 0:
        for j in range(nreg):
            idx = region[j]
            r1 = idx // nx
            c1 = idx % nx
            total = outside_weights(ok, drow, dcol, r1, c1, wn)
            if total > 0.0:
                fdir[r1, c1] = pack_proportions(wn, total)
                dist[r1, c1] = 0.0
                queue[qt] = idx
                inq[r1, c1] = 1
                qt += 1
    return qt


@numba.njit(cache=True, nogil=True, inline="always")
def flat_distances(z, ok, drow, dcol, qt, dist, queue, inq):  # pragma: no cover - compiled
    """Distance [cells] of the cells of flats to their nearest drain (1 per step, √2 diagonally).

    ``queue`` holds the ``qt`` sources (their ``dist`` set, ``inq`` 1) and is used as a circular
    FIFO of ``z.size`` entries (label-correcting: a cell is queued again when its distance
    improves). A step goes from a cell to its 8-neighbours in ``ok`` of the same height. The
    result is the smallest path sum from a source, whatever the order (adding a step is monotone),
    which the tiled flats (:mod:`gepcalc.tiles.flats`) rely on.
    """
    ny, nx = z.shape
    n = ny * nx
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
        h0 = z[r1, c1]
        for k in range(8):
            r = r1 + drow[k]
            c = c1 + dcol[k]
            if r < 0 or r >= ny or c < 0 or c >= nx or not ok[r, c] or z[r, c] != h0:
                continue
            d1 = d0 + (SQRT2 if k & 1 else 1.0)
            if dist[r, c] > d1:
                dist[r, c] = d1
                if not inq[r, c]:
                    inq[r, c] = 1
                    queue[(head + size) % n] = r * nx + c
                    size += 1


@numba.njit(cache=True, nogil=True, inline="always")
def nearer_weights(z, ok, drow, dcol, r1, c1, dist, w):  # pragma: no cover - compiled
    """Set ``w[k]`` to 1 / distance for each neighbour of the same height nearer a drain, 0 for the others.

    Returns the sum of the weights (0: no such neighbour).
    """
    ny, nx = z.shape
    d0 = dist[r1, c1]
    h0 = z[r1, c1]
    total = 0.0
    for k in range(8):
        w[k] = 0.0
        r = r1 + drow[k]
        c = c1 + dcol[k]
        if r < 0 or r >= ny or c < 0 or c >= nx or not ok[r, c] or z[r, c] != h0:
            continue
        if dist[r, c] < d0:
            w[k] = SQRT2_INV if k & 1 else 1.0
            total += w[k]
    return total


@numba.njit(cache=True, nogil=True, inline="always")
def _flat_directions(z, ok, drow, dcol, region, nreg, dist, fdir, w):  # pragma: no cover - compiled
    """Point each non-drain cell of a flat to its equal-height neighbours nearer a drain (1 / distance each)."""
    nx = z.shape[1]
    for j in range(nreg):
        idx = region[j]
        r1 = idx // nx
        c1 = idx % nx
        if dist[r1, c1] == 0.0:
            continue
        total = nearer_weights(z, ok, drow, dcol, r1, c1, dist, w)
        if total > 0.0:
            fdir[r1, c1] = pack_proportions(w, total)


@numba.njit(cache=True, nogil=True)
def mfd_directions(z, ok, drow, dcol, region, queue):  # pragma: no cover - compiled
    """MFD proportions packed as 8 × 4 bits (pygeoprocessing's encoding); 0 = no flow.

    ``region`` and ``queue`` are scratch index buffers of ``z.size`` elements.
    """
    ny, nx = z.shape
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
            total = downslope_weights(z, ok, drow, dcol, r0, c0, h0, w)
            if total > 0.0:
                fdir[r0, c0] = pack_proportions(w, total)
                continue
            nreg = _collect_flat(z, ok, drow, dcol, r0, c0, seen, region)
            qt = _flat_drains(z, ok, drow, dcol, h0, region, nreg, fdir, dist, queue, inq, w, wn)
            flat_distances(z, ok, drow, dcol, qt, dist, queue, inq)
            _flat_directions(z, ok, drow, dcol, region, nreg, dist, fdir, w)
    return fdir


@numba.njit(cache=True, nogil=True)
def mfd_accumulation(fdir, drow, dcol, queue):  # pragma: no cover - compiled
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
