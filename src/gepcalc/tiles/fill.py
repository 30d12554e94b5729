"""Tiled pit filling (Barnes 2016) out of core: each tile flooded on its own, then a graph of watershed labels.

Step 1 of :mod:`gepcalc.tiles`, after :func:`gepcalc.tiles.prepare.prepare_tiled`:
:func:`fill_tiled` reads ``"surface"`` and ``"routable"`` of a
:class:`~gepcalc.tiles.store.TileStore` and writes ``"filled"``, equal bit for bit to the
whole-grid :func:`gepcalc.routing.fill.priority_flood` (NaN outside the routable cells).

1. Each tile is flooded from its perimeter and its "ocean" cells (those draining out of the
   DEM: on the raster edge or next to a non-routable cell, seen in the tile's routable halo),
   labelling a watershed per perimeter cell. The flooded tile and its labels go to the store
   (``"filled"`` and the temporary :data:`LABELS`); the spills between labels inside the tile
   stay in memory, the lowest per pair of labels (so as many as the perimeter's cells, or so).
2. The spills across tile edges and corners come from the edges the store keeps in memory; the
   minimax level of every label from the ocean (Kruskal over the spills sorted by level, a
   union-find) is its spill level ``E``.
3. Each tile is raised to ``F = max(F_tile, E[label])``, NaN outside the routable cells.

``F`` is a maximum and minimum of input elevations, no arithmetic, so it equals the whole-grid
priority-flood bit for bit. No array of the whole grid is held: in memory are one tile's work
arrays per thread (about 22 bytes a cell of the tile), and, for the whole grid, the labels and
spills of the tiles' perimeters (about 160 bytes a perimeter cell while the levels are solved).
Directions and accumulation are in :mod:`gepcalc.tiles.directions` and
:mod:`gepcalc.tiles.accumulate`; the DEM's masks and holes in :mod:`gepcalc.tiles.prepare`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple

import numba
import numpy as np
from numpy.typing import NDArray

from gepcalc.routing import DCOL, DROW, heap_pop, heap_push
from gepcalc.routing.buffers import append
from gepcalc.tiles.prepare import tile_contacts, touching
from gepcalc.tiles.store import TileStore

if TYPE_CHECKING:
    from concurrent.futures import Executor

__all__ = ["fill_tiled"]

FloatArray = NDArray[np.float64]

#: temporary product: each tile's watershed labels (int32, local to the tile), dropped at the end
LABELS = "fill_labels"


class _Spills(NamedTuple):
    """A tile's flood, in memory: its number of labels and its spills (lowest level per pair of labels)."""

    n_labels: int
    a: NDArray[np.int32]  # local labels (0: the ocean)
    b: NDArray[np.int32]
    z: FloatArray  # spill level [m]


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
def _root(parent, x):  # pragma: no cover - compiled
    """The root of ``x``'s set in the union-find ``parent`` (path halving)."""
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@numba.njit(cache=True, nogil=True)
def _minimax_levels(n, a, b, w, order):  # pragma: no cover - compiled
    """Spill level of every label: the minimax path value from label 0 (the ocean), by Kruskal.

    Spills are joined in ascending level (``order``) in a union-find; the labels of a set get
    the level of the spill that joins it to the ocean's set. The minimax path value is unique
    (a maximum and a minimum of the spills' levels, no arithmetic), so it equals a priority-flood
    over the graph bit for bit; labels never joined stay at ``inf``. Memory: five arrays of ``n``.
    """
    parent = np.arange(n)
    size = np.ones(n, dtype=np.int64)
    nxt = np.full(n, -1, dtype=np.int64)  # the members of a set: a linked list from its root
    tail = np.arange(n)
    level = np.full(n, np.inf)
    level[0] = -np.inf
    for k in order:
        ra = _root(parent, a[k])
        rb = _root(parent, b[k])
        if ra == rb:
            continue
        if size[ra] < size[rb]:
            ra, rb = rb, ra
        if level[ra] < np.inf or level[rb] < np.inf:  # one set drains (holds the ocean): the other spills at w
            x = ra if level[rb] < np.inf else rb
            while x >= 0:
                level[x] = w[k]
                x = nxt[x]
        nxt[tail[ra]] = rb
        tail[ra] = tail[rb]
        parent[rb] = ra
        size[ra] += size[rb]
    return level


def _ocean(store: TileStore, t: int) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Tile ``t``'s routable cells and those that drain out of the DEM (raster edge or a non-routable neighbour)."""
    ring, _ = store.read_halo("routable", t, fill=0)
    r0, r1, c0, c1 = store.wins[t]
    h0, h1, g0, g1 = store.halo_of(t)
    pad = np.zeros((r1 - r0 + 2, c1 - c0 + 2), dtype=bool)  # False = off the raster
    pad[1 + h0 - r0 : 1 + h1 - r0, 1 + g0 - c0 : 1 + g1 - c0] = ring.view(bool)
    core = pad[1:-1, 1:-1]
    all_neighbours = np.ones_like(core)
    for dr, dc in zip(DROW, DCOL, strict=True):
        all_neighbours &= pad[1 + dr : pad.shape[0] - 1 + dr, 1 + dc : pad.shape[1] - 1 + dc]
    return np.ascontiguousarray(core), core & ~all_neighbours


def _lowest_per_pair(a: NDArray, b: NDArray, z: FloatArray, n: int) -> tuple[NDArray, NDArray, FloatArray]:
    """The spills ``a``–``b`` at ``z`` reduced to the lowest per unordered pair of the ``n`` labels (int32).

    The minimax levels only depend on the lowest spill between two labels, so they are unchanged.
    """
    lo = np.minimum(a, b).astype(np.int64)
    hi = np.maximum(a, b).astype(np.int64)
    key = lo * n + hi
    order = np.lexsort((z, key))
    ks = key[order]
    first = order[np.concatenate(([True], ks[1:] != ks[:-1]))] if len(ks) else order
    return lo[first].astype(np.int32), hi[first].astype(np.int32), z[first]


def _flood_tile(store: TileStore, t: int) -> _Spills:
    """First pass on tile ``t``: flood it, write ``"filled"`` and the labels, keep its spills."""
    ok, ocean = _ocean(store, t)
    zt = store.read("surface", t)
    labels, ea, eb, ez, nlab = _tile_flood(zt, ok, ocean)
    store.write("filled", t, zt)
    store.write(LABELS, t, labels)
    return _Spills(int(nlab), *_lowest_per_pair(ea, eb, ez, int(nlab)))


def _global(labels: NDArray[np.integer], offset: int) -> NDArray[np.int64]:
    """Tile labels numbered for the whole grid: ``+ offset``, 0 (ocean) and -1 (outside) kept."""
    labels = labels.astype(np.int64)
    return np.where(labels > 0, labels + offset, labels)


def _cross_spills(store: TileStore, offsets: NDArray[np.int64]) -> Iterator[tuple[NDArray, NDArray, FloatArray]]:
    """Spills ``(label_a, label_b, level [m])`` across the edges of every pair of touching tiles.

    A tile's perimeter cells keep their own flooded height, so the spill across an edge is the
    higher of two; both come from the edges of ``"filled"`` and of the labels kept in memory.
    """
    for t, u, kind in tile_contacts(store):
        la, lb, i, j = touching(kind, store.edges(LABELS, t), store.edges(LABELS, u))
        za, zb, _, _ = touching(kind, store.edges("filled", t), store.edges("filled", u))
        a, b = _global(la[i], offsets[t]), _global(lb[j], offsets[u])
        keep = (a >= 0) & (b >= 0)
        yield a[keep], b[keep], np.maximum(za[i], zb[j])[keep]


def _spill_levels(store: TileStore, spills: list[_Spills | None], offsets: NDArray[np.int64]) -> FloatArray:
    """Spill level [m] of every global label over all spills (inside tiles and across their edges).

    The spills are gathered into three arrays counted beforehand (``spills`` is emptied as they
    are), then solved by :func:`_minimax_levels`.
    """
    m = sum(len(s.a) for s in spills if s is not None) + sum(len(a) for a, _, _ in _cross_spills(store, offsets))
    n = int(offsets[-1]) + 1
    dt = np.int32 if n <= np.iinfo(np.int32).max else np.int64  # global labels: 4 bytes a spill where they fit
    ea = np.empty(m, dtype=dt)
    eb = np.empty(m, dtype=dt)
    ez = np.empty(m)
    k = 0
    for t in range(len(spills)):
        s, spills[t] = spills[t], None
        ea[k : k + len(s.a)] = _global(s.a, offsets[t])
        eb[k : k + len(s.a)] = _global(s.b, offsets[t])
        ez[k : k + len(s.a)] = s.z
        k += len(s.a)
    for a, b, z in _cross_spills(store, offsets):
        ea[k : k + len(a)], eb[k : k + len(a)], ez[k : k + len(a)] = a, b, z
        k += len(a)
    return _minimax_levels(n, ea, eb, ez, np.argsort(ez, kind="stable"))


def _levels_of(level: FloatArray, offset: int, n_labels: int) -> FloatArray:
    """Tile's table of spill levels by its own labels: the ocean, its labels, and -inf for -1 (outside)."""
    table = np.empty(n_labels + 1)
    table[0] = level[0]  # the ocean
    table[1:n_labels] = level[offset + 1 : offset + n_labels]
    table[n_labels] = -np.inf
    return table


def _raise_tile(store: TileStore, t: int, table: FloatArray) -> None:
    """Second pass on tile ``t``: ``F = max(F_tile, E[label])``, NaN outside the routable cells.

    ``table`` holds the tile's levels by its own labels (:func:`_levels_of`; label -1, outside,
    reads its last entry), so the tile's work arrays are its filled heights and one more.
    """
    zt = store.read("filled", t)
    np.maximum(zt, table[store.read(LABELS, t)], out=zt)
    zt[~store.read("routable", t).view(bool)] = np.nan
    store.write("filled", t, zt)


def fill_tiled(store: TileStore, pool: Executor) -> None:
    """Write ``"filled"`` [m] (float64) to ``store``: its ``"surface"`` with every pit filled, tile by tile.

    Equal bit for bit to ``priority_flood(surface, routable)`` on the whole grid, NaN outside
    ``"routable"`` (so to :func:`gepcalc.routing.fill.prepare_dem`'s first result). Reads
    ``"surface"`` and ``"routable"`` (uint8 0/1, as :func:`gepcalc.tiles.prepare.prepare_tiled`
    writes them); drops ``"surface"`` and its temporary labels when done.

    Parameters
    ----------
    store
        The tile store holding ``"surface"`` and ``"routable"``.
    pool
        Threads solving tiles (the flood kernel releases the GIL).
    """
    spills = list(pool.map(lambda t: _flood_tile(store, t), range(store.n_tiles)))
    offsets = np.cumsum([0] + [s.n_labels - 1 for s in spills]).astype(np.int64)  # label 0: the ocean
    level = _spill_levels(store, spills, offsets)
    counts = np.diff(offsets) + 1
    # each task gets its tile's levels only (on a cluster a task's arguments travel to its worker)
    tables = [_levels_of(level, int(offsets[t]), int(counts[t])) for t in range(store.n_tiles)]
    del level
    list(pool.map(_raise_tile, [store] * store.n_tiles, range(store.n_tiles), tables))
    store.drop(LABELS)
    store.drop("surface")
