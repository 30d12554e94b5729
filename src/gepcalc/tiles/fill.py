"""Tiled pit filling (Barnes 2016): each tile flooded on its own, then a graph of watershed labels.

Step 1 of :mod:`gepcalc.tiles`: :func:`fill_tiled` floods every tile from its perimeter and its
"ocean" cells (those draining out of the DEM), labelling a watershed per perimeter cell; the
spills between labels (inside a tile and across tile edges) form a graph whose minimax levels
from the ocean raise each tile to the whole-grid priority-flood surface
(:func:`gepcalc.routing.fill.priority_flood`) bit for bit. Directions and accumulation are in
:mod:`gepcalc.tiles.directions` and :mod:`gepcalc.tiles.accumulate`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numba
import numpy as np
from numpy.typing import NDArray

from gepcalc.routing import DCOL, DROW, heap_pop, heap_push
from gepcalc.routing.buffers import append
from gepcalc.tiles.layout import halo, windows

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

__all__ = ["fill_tiled"]

FloatArray = NDArray[np.float64]


@numba.njit(cache=True, nogil=True)
def _seed_tile(z, ok, ocean, labels, closed, hk, hi):  # pragma: no cover - compiled
    """Close the tile's perimeter and ocean cells and push them on the heap ``hk``/``hi``, labelled.

    Ocean cells get label 0, perimeter cells 1, 2, … in row-major order; cells outside ``ok``
    are closed unlabelled. Returns ``(hk, hi, hn, n_labels)``.
    """
    ny, nx = z.shape
    hn = 0
    nlab = 1
    for r in range(ny):
        for c in range(nx):
            if not ok[r, c]:
                closed[r, c] = 1
                continue
            perimeter = r == 0 or c == 0 or r == ny - 1 or c == nx - 1
            if not (perimeter or ocean[r, c]):
                continue
            closed[r, c] = 1
            if ocean[r, c]:
                labels[r, c] = 0
            else:
                labels[r, c] = nlab
                nlab += 1
            hk, hi, hn = heap_push(hk, hi, hn, z[r, c], r * nx + c)
    return hk, hi, hn, nlab


@numba.njit(cache=True, nogil=True)
def _tile_flood(z, ok, ocean):  # pragma: no cover - compiled
    """Priority-flood one tile from its perimeter and its ocean cells, labelling watersheds.

    ``z`` is raised in place. Returns (labels, edges_a, edges_b, edges_z, n_labels): label 0 is
    the ocean, 1…n_labels - 1 the perimeter cells (row-major), -1 outside ``ok``; each edge is
    a spill between two labels at elevation ``max(z_a, z_b)`` (duplicates included).
    """
    ny, nx = z.shape
    labels = np.full((ny, nx), -1, dtype=np.int32)
    closed = np.zeros((ny, nx), dtype=np.uint8)
    cap = 2 * (ny + nx) + 1024
    hk, hi, hn, nlab = _seed_tile(z, ok, ocean, labels, closed, np.empty(cap), np.empty(cap, dtype=np.int64))
    pit = np.empty(cap, dtype=np.int64)
    pn = 0
    ea = np.empty(1024, dtype=np.int64)
    eb = np.empty(1024, dtype=np.int64)
    ez = np.empty(1024)
    en = 0
    while hn > 0 or pn > 0:
        if pn > 0:
            pn -= 1
            idx = pit[pn]
        else:
            _, idx, hn = heap_pop(hk, hi, hn)
        r0 = idx // nx
        c0 = idx % nx
        level = z[r0, c0]
        lab = labels[r0, c0]
        for k in range(8):
            r = r0 + DROW[k]
            c = c0 + DCOL[k]
            if r < 0 or r >= ny or c < 0 or c >= nx:
                continue
            if closed[r, c]:
                other = labels[r, c]
                if other >= 0 and other != lab:  # a spill between two watersheds
                    ea = append(ea, en, lab)
                    eb = append(eb, en, other)
                    ez = append(ez, en, max(level, z[r, c]))
                    en += 1
                continue
            closed[r, c] = 1
            labels[r, c] = lab
            if z[r, c] <= level:
                z[r, c] = level
                pit = append(pit, pn, r * nx + c)
                pn += 1
            else:
                hk, hi, hn = heap_push(hk, hi, hn, z[r, c], r * nx + c)
    return labels, ea[:en], eb[:en], ez[:en], nlab


@numba.njit(cache=True, nogil=True)
def _label_levels(n, start, nbr, weight):  # pragma: no cover - compiled
    """Spill level of every label: minimax path from label 0 (the ocean) over a CSR graph."""
    level = np.full(n, np.inf)
    done = np.zeros(n, dtype=np.uint8)
    level[0] = -np.inf
    # lazy-deletion heap: entries may repeat, at most one per edge
    cap = start[n] + 16
    hk = np.empty(cap)
    hi = np.empty(cap, dtype=np.int64)
    hn = 1
    hk[0] = -np.inf
    hi[0] = 0
    while hn > 0:
        ka, a, hn = heap_pop(hk, hi, hn)
        if done[a] or ka > level[a]:
            continue
        done[a] = 1
        for e in range(start[a], start[a + 1]):
            b = nbr[e]
            if done[b]:
                continue
            lb = max(level[a], weight[e])
            if lb < level[b]:
                level[b] = lb
                hk, hi, hn = heap_push(hk, hi, hn, lb, b)
    return level


def _ocean(routable: NDArray[np.bool_], win: tuple[int, int, int, int]) -> NDArray[np.bool_]:
    """Cells of a tile that drain out of the DEM: on the raster edge or next to a non-routable cell."""
    ny, nx = routable.shape
    r0, r1, c0, c1 = win
    h0, h1, g0, g1 = halo(r0, r1, c0, c1, ny, nx)
    pad = np.zeros((r1 - r0 + 2, c1 - c0 + 2), dtype=bool)  # False = off the raster
    pad[1 + h0 - r0 : 1 + h1 - r0, 1 + g0 - c0 : 1 + g1 - c0] = routable[h0:h1, g0:g1]
    core = pad[1:-1, 1:-1]
    all_neighbours = np.ones_like(core)
    for dr, dc in zip(DROW, DCOL, strict=True):
        all_neighbours &= pad[1 + dr : pad.shape[0] - 1 + dr, 1 + dc : pad.shape[1] - 1 + dc]
    return core & ~all_neighbours


def _cross_edges(
    left_lab: NDArray[np.int64],
    left_z: FloatArray,
    right_lab: NDArray[np.int64],
    right_z: FloatArray,
    offsets: tuple[int, ...] = (-1, 0, 1),
) -> list[tuple[NDArray[np.int64], NDArray[np.int64], FloatArray]]:
    """Edges between two facing lines of cells (labels, filled heights), neighbours at ``offsets``."""
    out = []
    n = len(left_lab)
    m = len(right_lab)
    for d in offsets:
        i = np.arange(n)
        j = i + d
        ok = (j >= 0) & (j < m)
        i, j = i[ok], j[ok]
        a, b = left_lab[i], right_lab[j]
        keep = (a >= 0) & (b >= 0)
        out.append((a[keep], b[keep], np.maximum(left_z[i][keep], right_z[j][keep])))
    return out


def _global_labels(labels: NDArray[np.integer], offset: int) -> NDArray[np.int64]:
    """A tile's watershed labels numbered for the whole grid: ``+ offset``, 0 (ocean) and -1 (outside) kept."""
    labels = labels.astype(np.int64)
    return np.where(labels > 0, labels + offset, labels)


def _label_edges(wins: list, results: list, offsets: NDArray[np.int64]) -> tuple[NDArray, NDArray, FloatArray]:
    """All spills ``(label_a, label_b, level [m])`` between global labels: inside tiles and across their edges.

    ``results[t]`` is ``(tile flood output, filled tile)`` of window ``wins[t]``; a tile's
    perimeter cells keep their own filled height, so the spill across an edge is the higher of two.
    """
    edges_a, edges_b, edges_z = [], [], []
    for t, ((_labels, ea, eb, ez, _), _zt) in enumerate(results):
        edges_a.append(np.where(ea > 0, ea + offsets[t], 0))
        edges_b.append(np.where(eb > 0, eb + offsets[t], 0))
        edges_z.append(ez)

    def strip(t, rows, cols):  # global labels and filled heights of a line of perimeter cells
        return _global_labels(results[t][0][0][rows, cols], offsets[t]), results[t][1][rows, cols]

    def cross(t, u, mine, theirs):
        for a, b, w in _cross_edges(*strip(t, *mine), *strip(u, *theirs)):
            edges_a.append(a)
            edges_b.append(b)
            edges_z.append(w)

    idx = {(w[0], w[2]): i for i, w in enumerate(wins)}
    whole = slice(None)
    for t, (r0, r1, c0, _c1) in enumerate(wins):
        right = idx.get((r0, _c1))
        below = idx.get((r1, c0))
        if right is not None:
            cross(t, right, (whole, -1), (whole, 0))
        if below is not None:
            cross(t, below, (-1, whole), (0, whole))
            if right is not None:  # diagonal: this tile's bottom-right corner, the lower-right tile's top-left
                cross(t, idx[(r1, _c1)], (slice(-1, None), -1), (slice(0, 1), 0))
            left_below = idx.get((r1, wins[t - 1][2])) if c0 > 0 else None
            if left_below is not None:  # diagonal: bottom-left corner, the lower-left tile's top-right
                cross(t, left_below, (slice(-1, None), 0), (slice(0, 1), -1))
    return np.concatenate(edges_a), np.concatenate(edges_b), np.concatenate(edges_z)


def _spill_levels(a: NDArray[np.int64], b: NDArray[np.int64], w: FloatArray, n: int) -> FloatArray:
    """Spill level [m] of each of the ``n`` labels over the undirected spills ``a``–``b`` at ``w`` (CSR graph)."""
    src = np.concatenate([a, b])
    dst = np.concatenate([b, a])
    ww = np.concatenate([w, w])
    del a, b, w
    order = np.argsort(src, kind="stable")
    start = np.zeros(n + 1, dtype=np.int64)
    np.add.at(start, src + 1, 1)
    start = np.cumsum(start)
    return _label_levels(n, start, dst[order].astype(np.int64), ww[order])


def fill_tiled(z: FloatArray, routable: NDArray[np.bool_], tile: int, pool: ThreadPoolExecutor) -> None:
    """Fill ``z`` in place (NaN outside ``routable``) tile by tile, as :func:`gepcalc.routing.fill.priority_flood`."""
    ny, nx = z.shape
    wins = windows(ny, nx, tile)

    def local(win):  # the tile's own flood, written back into z (tiles are disjoint)
        r0, r1, c0, c1 = win
        zt = z[r0:r1, c0:c1].copy()
        out = _tile_flood(zt, routable[r0:r1, c0:c1], _ocean(routable, win))
        z[r0:r1, c0:c1] = zt
        return out, z[r0:r1, c0:c1]

    results = list(pool.map(local, wins))
    offsets = np.cumsum([0] + [res[4] - 1 for res, _ in results]).astype(np.int64)  # label 0: the ocean
    level = _spill_levels(*_label_edges(wins, results, offsets), int(offsets[-1]) + 1)
    for t, (r0, r1, c0, c1) in enumerate(wins):
        g = _global_labels(results[t][0][0], offsets[t])
        lv = np.where(g >= 0, level[np.maximum(g, 0)], -np.inf)
        zt = z[r0:r1, c0:c1]
        np.maximum(zt, lv, out=zt)
        zt[~routable[r0:r1, c0:c1]] = np.nan
        results[t] = None  # free the tile
