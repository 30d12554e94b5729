"""Tiled flow routing: pit filling and MFD accumulation tile by tile, equal to the whole-grid routing.

The whole-grid kernels of :mod:`gepcalc.routing` hold the DEM and all their work arrays at
once (about 50 bytes a cell). Here the DEM is cut into square tiles, each tile is solved on
its own (tiles run in parallel threads; the numba kernels release the GIL), a small graph of
what crosses the tile edges is solved globally, and a second local pass finishes each tile,
after Barnes (2016, *Parallel priority-flood depression filling for trillion cell digital
elevation models*, Computers & Geosciences 96: 56–68) and Barnes (2017, *Parallel
non-divergent flow accumulation for trillion cell digital elevation models on desktops or
clusters*, Environmental Modelling & Software 92: 202–212).

1. **Pit filling** (Barnes 2016). Each tile is flooded from its perimeter and from the cells
   that drain out of the DEM (raster edge or nodata next to them: the "ocean"); every perimeter
   cell starts a watershed label, and where two labels meet (inside a tile, or across a tile
   edge) the spill elevation ``max(z_a, z_b)`` is an edge of a graph of labels. A priority-flood
   over that graph from the ocean gives each label its spill level ``E``, and the filled surface
   is ``F = max(F_tile, E[label])``. ``F`` is the minimax surface (the lowest surface from which
   every cell drains out), a maximum of input elevations, so it equals the whole-grid
   priority-flood bit for bit.
2. **MFD directions** are local (3 × 3) except on flats. Each tile is solved with a one-cell
   halo by the whole-grid kernel; a flat (8-connected cells of equal filled height) that reaches
   the halo may continue in the next tile, so its cells are solved again on the flat's bounding
   box plus one cell, where the kernel sees the whole flat in the same order as on the whole grid.
3. **Accumulation** ``A_i = 1 + Σ_j A_j q_ji / Σ_k q_jk`` (:func:`gepcalc.routing.terrain`) in
   rounds: a tile computes every cell whose upslope cells are known (its own, or its halo's
   from the neighbouring tiles' last round) and leaves the others pending; rounds repeat until
   no cell is pending (the directions form a DAG, so each round finishes the cells of at least
   one more tile crossing). Each cell is computed once, from its final inputs, in the kernel's
   neighbour order, so the result equals the whole-grid accumulation bit for bit (Barnes 2017
   solves the tile-edge graph for D8 in one exchange; MFD splits flow, so rounds are used here).
4. Slope and LS are local (slope: 3 × 3 on the filled surface with a one-cell halo).

Memory: the tile's work arrays, and for the exchange between tiles arrays of the whole grid:
the filled surface (8 bytes a cell), the masks (2), the watershed labels while filling (4), the
directions (4), the accumulation (8) and the accumulation state (3). A flat that crosses a tile
edge is solved on its bounding box, which can be as large as the grid. So this is not yet bounded
by the tile size (docs/benchmarks.md, "Bounded memory and tiled routing"); keeping those arrays
per tile (on disk, or as dask tasks per tile) is what is left to do. Nodata holes are found on the
whole grid's data mask.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from gepcalc import routing
from gepcalc.routing import DCOL, DROW, Terrain, heap_pop, heap_push

__all__ = ["DEFAULT_TILE", "tiled_terrain"]

#: tile side [cells]
DEFAULT_TILE = 1024

FloatArray = NDArray[np.float64]


# --------------------------------------------------------------------------- 1. pit filling


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
    hk = np.empty(cap)
    hi = np.empty(cap, dtype=np.int64)
    hn = 0
    pit = np.empty(cap, dtype=np.int64)
    pn = 0
    ecap = 1024
    ea = np.empty(ecap, dtype=np.int64)
    eb = np.empty(ecap, dtype=np.int64)
    ez = np.empty(ecap)
    en = 0
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
                if other >= 0 and other != lab:
                    if en == ea.size:
                        ea = np.concatenate((ea, np.empty(ea.size, dtype=np.int64)))
                        eb = np.concatenate((eb, np.empty(eb.size, dtype=np.int64)))
                        ez = np.concatenate((ez, np.empty(ez.size)))
                    ea[en] = lab
                    eb[en] = other
                    ez[en] = max(level, z[r, c])
                    en += 1
                continue
            closed[r, c] = 1
            labels[r, c] = lab
            if z[r, c] <= level:
                z[r, c] = level
                if pn == pit.size:
                    pit = np.concatenate((pit, np.empty(pit.size, dtype=np.int64)))
                pit[pn] = r * nx + c
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


def _windows(ny: int, nx: int, tile: int) -> list[tuple[int, int, int, int]]:
    return [(r, min(r + tile, ny), c, min(c + tile, nx)) for r in range(0, ny, tile) for c in range(0, nx, tile)]


def _halo(r0: int, r1: int, c0: int, c1: int, ny: int, nx: int) -> tuple[int, int, int, int]:
    return max(r0 - 1, 0), min(r1 + 1, ny), max(c0 - 1, 0), min(c1 + 1, nx)


def _ocean(routable: NDArray[np.bool_], win: tuple[int, int, int, int]) -> NDArray[np.bool_]:
    """Cells of a tile that drain out of the DEM: on the raster edge or next to a non-routable cell."""
    ny, nx = routable.shape
    r0, r1, c0, c1 = win
    h0, h1, g0, g1 = _halo(r0, r1, c0, c1, ny, nx)
    pad = np.zeros((r1 - r0 + 2, c1 - c0 + 2), dtype=bool)  # False = off the raster
    pad[1 + h0 - r0 : 1 + h1 - r0, 1 + g0 - c0 : 1 + g1 - c0] = routable[h0:h1, g0:g1]
    core = pad[1:-1, 1:-1]
    all_neighbours = np.ones_like(core)
    for dr, dc in zip(DROW, DCOL, strict=True):
        all_neighbours &= pad[1 + dr : pad.shape[0] - 1 + dr, 1 + dc : pad.shape[1] - 1 + dc]
    return core & ~all_neighbours


def _cross_edges(left_lab, left_z, right_lab, right_z, offsets=(-1, 0, 1)):
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


def fill_tiled(z: FloatArray, routable: NDArray[np.bool_], tile: int, pool: ThreadPoolExecutor) -> None:
    """Fill ``z`` in place (NaN outside ``routable``) tile by tile, as :func:`routing._priority_flood`."""
    ny, nx = z.shape
    wins = _windows(ny, nx, tile)

    def local(win):  # the tile's own flood, written back into z (tiles are disjoint)
        r0, r1, c0, c1 = win
        zt = z[r0:r1, c0:c1].copy()
        out = _tile_flood(zt, routable[r0:r1, c0:c1], _ocean(routable, win))
        z[r0:r1, c0:c1] = zt
        return out, z[r0:r1, c0:c1]

    results = list(pool.map(local, wins))
    offsets = np.cumsum([0] + [res[4] - 1 for res, _ in results]).astype(np.int64)  # label 0: the ocean

    def glab(t, labels):  # tile labels -> global labels (0 stays the ocean, -1 outside)
        labels = labels.astype(np.int64)
        return np.where(labels > 0, labels + offsets[t], labels)

    edges_a, edges_b, edges_z = [], [], []
    for t, ((_labels, ea, eb, ez, _), _zt) in enumerate(results):
        edges_a.append(np.where(ea > 0, ea + offsets[t], 0))
        edges_b.append(np.where(eb > 0, eb + offsets[t], 0))
        edges_z.append(ez)

    def strip(t, rows, cols):  # global labels and filled heights of a line of perimeter cells
        return glab(t, results[t][0][0][rows, cols]), results[t][1][rows, cols]

    def cross(t, u, mine, theirs):
        for a, b, w in _cross_edges(*strip(t, *mine), *strip(u, *theirs)):
            edges_a.append(a)
            edges_b.append(b)
            edges_z.append(w)

    # edges across tile borders, between perimeter cells (their filled height is their own)
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
    a = np.concatenate(edges_a)
    b = np.concatenate(edges_b)
    w = np.concatenate(edges_z)
    n = int(offsets[-1]) + 1
    src = np.concatenate([a, b])
    dst = np.concatenate([b, a])
    ww = np.concatenate([w, w])
    del a, b, w
    order = np.argsort(src, kind="stable")
    start = np.zeros(n + 1, dtype=np.int64)
    np.add.at(start, src + 1, 1)
    start = np.cumsum(start)
    level = _label_levels(n, start, dst[order].astype(np.int64), ww[order])
    del src, dst, ww, order
    for t, (r0, r1, c0, c1) in enumerate(wins):
        g = glab(t, results[t][0][0])
        lv = np.where(g >= 0, level[np.maximum(g, 0)], -np.inf)
        zt = z[r0:r1, c0:c1]
        np.maximum(zt, lv, out=zt)
        zt[~routable[r0:r1, c0:c1]] = np.nan
        results[t] = None  # free the tile


# --------------------------------------------------------------------------- 2. MFD directions


@numba.njit(cache=True, nogil=True)
def _open_flats(z, ok, t0, t1, s0, s1):  # pragma: no cover - compiled
    """Cells of the core ``[t0:t1, s0:s1]`` without a lower neighbour whose flat reaches the halo.

    A flat is 8-connected cells of equal height; it reaches the halo when it holds a cell
    outside the core (the halo ring of the window ``z``).
    """
    ny, nx = z.shape
    seen = np.zeros((ny, nx), dtype=np.uint8)
    out = np.zeros((t1 - t0, s1 - s0), dtype=np.uint8)
    stack = np.empty(1024, dtype=np.int64)
    for r0 in range(ny):
        for c0 in range(nx):
            inside = t0 <= r0 < t1 and s0 <= c0 < s1
            if inside or not ok[r0, c0] or seen[r0, c0]:
                continue
            h0 = z[r0, c0]
            seen[r0, c0] = 1
            stack[0] = r0 * nx + c0
            sn = 1
            while sn > 0:
                sn -= 1
                idx = stack[sn]
                r1 = idx // nx
                c1 = idx % nx
                if t0 <= r1 < t1 and s0 <= c1 < s1:
                    lower = False
                    for k in range(8):
                        r = r1 + DROW[k]
                        c = c1 + DCOL[k]
                        if 0 <= r < ny and 0 <= c < nx and ok[r, c] and z[r, c] < h0:
                            lower = True
                            break
                    if not lower:
                        out[r1 - t0, c1 - s0] = 1
                for k in range(8):
                    r = r1 + DROW[k]
                    c = c1 + DCOL[k]
                    if r < 0 or r >= ny or c < 0 or c >= nx or seen[r, c] or not ok[r, c] or z[r, c] != h0:
                        continue
                    seen[r, c] = 1
                    if sn == stack.size:
                        stack = np.concatenate((stack, np.empty(stack.size, dtype=np.int64)))
                    stack[sn] = r * nx + c
                    sn += 1
    return out


@numba.njit(cache=True, nogil=True)
def _flat_component(z, ok, r0, c0, mark):  # pragma: no cover - compiled
    """Mark the flat (equal height, 8-connected) of ``(r0, c0)`` in ``mark``; return its bounding box."""
    ny, nx = z.shape
    h0 = z[r0, c0]
    stack = np.empty(1024, dtype=np.int64)
    stack[0] = r0 * nx + c0
    mark[r0, c0] = 1
    sn = 1
    a0, a1, b0, b1 = r0, r0, c0, c0
    while sn > 0:
        sn -= 1
        idx = stack[sn]
        r1 = idx // nx
        c1 = idx % nx
        a0 = min(a0, r1)
        a1 = max(a1, r1)
        b0 = min(b0, c1)
        b1 = max(b1, c1)
        for k in range(8):
            r = r1 + DROW[k]
            c = c1 + DCOL[k]
            if r < 0 or r >= ny or c < 0 or c >= nx or mark[r, c] or not ok[r, c] or z[r, c] != h0:
                continue
            mark[r, c] = 1
            if sn == stack.size:
                stack = np.concatenate((stack, np.empty(stack.size, dtype=np.int64)))
            stack[sn] = r * nx + c
            sn += 1
    return a0, a1 + 1, b0, b1 + 1


def _directions(z: FloatArray, ok: NDArray[np.bool_]) -> NDArray[np.int32]:
    n = z.size
    region = np.empty(n, dtype=np.int64)
    queue = np.empty(n, dtype=np.int64)
    return routing.mfd_directions(z, ok, DROW, DCOL, region, queue)


def directions_tiled(
    filled: FloatArray, routable: NDArray[np.bool_], tile: int, pool: ThreadPoolExecutor
) -> NDArray[np.int32]:
    """MFD directions (pygeoprocessing's packed encoding) tile by tile, as the whole-grid kernel."""
    ny, nx = filled.shape
    wins = _windows(ny, nx, tile)
    fdir = np.zeros((ny, nx), dtype=np.int32)

    def local(win):
        r0, r1, c0, c1 = win
        h0, h1, g0, g1 = _halo(r0, r1, c0, c1, ny, nx)
        zh, okh = filled[h0:h1, g0:g1], routable[h0:h1, g0:g1]
        fd = _directions(zh, okh)
        t0, s0 = r0 - h0, c0 - g0
        fdir[r0:r1, c0:c1] = fd[t0 : t0 + r1 - r0, s0 : s0 + c1 - c0]
        return _open_flats(zh, okh, t0, t0 + r1 - r0, s0, s0 + c1 - c0)

    opens = list(pool.map(local, wins))
    # flats that may cross a tile edge: solved again on their bounding box (plus one cell)
    mark = np.zeros((ny, nx), dtype=np.uint8)
    for (r0, _r1, c0, _c1), op in zip(wins, opens, strict=True):
        for i, j in zip(*np.nonzero(op), strict=True):
            r, c = r0 + int(i), c0 + int(j)
            if mark[r, c]:
                continue
            a0, a1, b0, b1 = _flat_component(filled, routable, r, c, mark)
            h0, h1, g0, g1 = max(a0 - 1, 0), min(a1 + 1, ny), max(b0 - 1, 0), min(b1 + 1, nx)
            fd = _directions(filled[h0:h1, g0:g1], routable[h0:h1, g0:g1])
            sub = mark[a0:a1, b0:b1] == 1
            fdir[a0:a1, b0:b1][sub] = fd[a0 - h0 : a1 - h0, b0 - g0 : b1 - g0][sub]
            mark[a0:a1, b0:b1][sub] = 2  # solved
    return fdir


# --------------------------------------------------------------------------- 3. accumulation


@numba.njit(cache=True, nogil=True)
def _acc_round(fdir, acc, published, mine, indeg, first, t0, t1, s0, s1):  # pragma: no cover - compiled
    """One round of a tile: accumulate the core cells whose upslope cells are all known.

    Arrays are views of the tile's window (core ``[t0:t1, s0:s1]`` and a one-cell halo):
    ``fdir``, ``acc`` (the global accumulation: the core is written here, the halo read) and
    ``published`` (cells known to the other tiles at the start of the round) of the whole
    grid; ``mine`` (core: accumulated; halo: already counted) and ``indeg`` (upslope cells of a
    core cell not yet known) are the tile's own and persist between rounds. A halo cell newly
    published releases its downslope core cells. Returns the number of core cells accumulated.
    """
    ny, nx = fdir.shape
    queue = np.empty(max((t1 - t0) * (s1 - s0), 1), dtype=np.int64)
    qt = 0
    if first:
        for r0 in range(ny):
            for c0 in range(nx):
                f = fdir[r0, c0]
                if f == 0:
                    continue
                for k in range(8):
                    if (f >> (4 * k)) & 0xF:
                        r = r0 + DROW[k]
                        c = c0 + DCOL[k]
                        if t0 <= r < t1 and s0 <= c < s1 and fdir[r, c] != 0:
                            indeg[r, c] += 1
        for r0 in range(t0, t1):
            for c0 in range(s0, s1):
                if fdir[r0, c0] != 0 and indeg[r0, c0] == 0:
                    queue[qt] = r0 * nx + c0
                    qt += 1
    for r0 in range(ny):
        inner = t0 <= r0 < t1
        for c0 in range(nx):
            if inner and s0 <= c0 < s1:
                continue
            if not published[r0, c0] or mine[r0, c0]:
                continue
            mine[r0, c0] = 1
            f = fdir[r0, c0]
            for k in range(8):
                if (f >> (4 * k)) & 0xF:
                    r = r0 + DROW[k]
                    c = c0 + DCOL[k]
                    if t0 <= r < t1 and s0 <= c < s1 and fdir[r, c] != 0:
                        indeg[r, c] -= 1
                        if indeg[r, c] == 0:
                            queue[qt] = r * nx + c
                            qt += 1
    finished = 0
    while qt > 0:  # a stack, as the whole-grid kernel: each cell from its final inputs
        qt -= 1
        idx = queue[qt]
        r0 = idx // nx
        c0 = idx % nx
        value = 1.0
        for k in range(8):
            r = r0 + DROW[k]
            c = c0 + DCOL[k]
            if r < 0 or r >= ny or c < 0 or c >= nx:
                continue
            fk = fdir[r, c]
            wk = (fk >> (4 * ((k + 4) % 8))) & 0xF
            if wk == 0:
                continue
            total = 0
            for m in range(8):
                total += (fk >> (4 * m)) & 0xF
            value += acc[r, c] * wk / np.float32(np.uint8(total))
        acc[r0, c0] = value
        mine[r0, c0] = 1
        finished += 1
        f = fdir[r0, c0]
        for k in range(8):
            if (f >> (4 * k)) & 0xF:
                r = r0 + DROW[k]
                c = c0 + DCOL[k]
                if t0 <= r < t1 and s0 <= c < s1 and fdir[r, c] != 0:
                    indeg[r, c] -= 1
                    if indeg[r, c] == 0:
                        queue[qt] = r * nx + c
                        qt += 1
    return finished


class _TileState:
    """A tile's own accumulation state between rounds (2 bytes a cell of its window)."""

    def __init__(self, fdir: NDArray[np.int32], win: tuple[int, int, int, int]):
        ny, nx = fdir.shape
        self.win = win
        r0, r1, c0, c1 = win
        self.halo = h0, h1, g0, g1 = _halo(r0, r1, c0, c1, ny, nx)
        self.core = (r0 - h0, r1 - h0, c0 - g0, c1 - g0)
        self.mine = np.zeros((h1 - h0, g1 - g0), dtype=np.uint8)
        self.indeg = np.zeros((h1 - h0, g1 - g0), dtype=np.uint8)
        self.pending = int(np.count_nonzero(fdir[r0:r1, c0:c1]))
        self.first = True

    def run(self, fdir, acc, published) -> int:
        """One round (writes the core of ``acc``). Returns the cells finished."""
        h0, h1, g0, g1 = self.halo
        t0, t1, s0, s1 = self.core
        win = (slice(h0, h1), slice(g0, g1))
        n = _acc_round(fdir[win], acc[win], published[win], self.mine, self.indeg, self.first, t0, t1, s0, s1)
        self.first = False
        self.pending -= n
        return n

    def publish(self, published) -> None:
        """Make the core's edge cells known to the other tiles (the only cells they read)."""
        r0, r1, c0, c1 = self.win
        t0, t1, s0, s1 = self.core
        mine = self.mine
        published[r0, c0:c1] = mine[t0, s0:s1]
        published[r1 - 1, c0:c1] = mine[t1 - 1, s0:s1]
        published[r0:r1, c0] = mine[t0:t1, s0]
        published[r0:r1, c1 - 1] = mine[t0:t1, s1 - 1]


def accumulate_tiled(fdir: NDArray[np.int32], tile: int, pool: ThreadPoolExecutor) -> FloatArray:
    """MFD accumulation [cells] tile by tile in rounds, equal to :func:`routing._mfd_accumulation`.

    Tiles of a round run in parallel: each writes only its own cells of ``acc`` and reads its
    halo's only where another tile published them in an earlier round.
    """
    ny, nx = fdir.shape
    wins = _windows(ny, nx, tile)
    acc = np.full((ny, nx), np.nan)
    published = np.zeros((ny, nx), dtype=np.uint8)
    states = {w: _TileState(fdir, w) for w in wins}
    # a tile runs again only when a neighbouring tile finished cells since its last run
    neighbours = {
        w: [v for v in wins if v != w and v[0] <= w[1] and w[0] <= v[1] and v[2] <= w[3] and w[2] <= v[3]] for w in wins
    }
    todo = list(wins)
    rounds = 0
    while todo:
        rounds += 1
        finished = list(pool.map(lambda w: states[w].run(fdir, acc, published), todo))
        changed = [w for w, n in zip(todo, finished, strict=True) if n]
        for w in changed:  # after the round: what a tile reads does not change while it runs
            states[w].publish(published)
        todo = sorted({v for w in changed for v in neighbours[w] if states[v].pending})
        if not todo and any(st.pending for st in states.values()):  # pragma: no cover - would be a bug
            raise RuntimeError("tiled MFD accumulation made no progress: the flow directions hold a cycle")
    accumulate_tiled.rounds = rounds  # for the benchmarks
    return acc


# --------------------------------------------------------------------------- the whole


def tiled_terrain(
    dem: ArrayLike,
    cell_size: float | tuple[float, float],
    nodata: float | None = None,
    *,
    tile: int = DEFAULT_TILE,
    values_in_holes: bool = False,
    workers: int | None = None,
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

    Returns
    -------
    Terrain
        ``filled`` [m], ``slope`` [%], ``accumulation`` [cells]; NaN at nodata cells.
    """
    if tile < 1:
        raise ValueError(f"tile must be at least 1 cell, got {tile}")
    z = np.array(dem, dtype=np.float64)
    if z.ndim != 2:
        raise ValueError(f"dem must be a 2-D array, got shape {z.shape}")
    data = routing.data_mask(z, nodata)
    if not data.any():
        raise ValueError("dem has no valid cell")
    routable = data
    holes = routing.interior_holes(data)
    if holes.any():
        routable = data | holes
        z[holes] = np.min(z[data]) - 1.0
    z[~routable] = np.nan
    if workers is None:
        import os

        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    with ThreadPoolExecutor(workers) as pool:
        fill_tiled(z, routable, tile, pool)
        fdir = directions_tiled(z, routable, tile, pool)
        acc = accumulate_tiled(fdir, tile, pool)
    del fdir
    keep = routable if values_in_holes else data
    slope = routing.slope_on(z, keep, cell_size)
    acc[~keep] = np.nan
    z[~keep] = np.nan
    return Terrain(z, slope, acc)
