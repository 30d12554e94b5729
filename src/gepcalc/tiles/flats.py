"""Flats that reach beyond a tile's window, resolved tile by tile: step 2 of :mod:`gepcalc.tiles.directions`.

A flat (8-connected routable cells of equal filled height) drains in the whole-grid kernel
(:func:`gepcalc.routing.mfd_directions`) towards its *drains*: its cells with a lower neighbour,
or, when it has none, its cells next to nodata or the raster's edge. Each cell gets its distance
to the nearest drain (1 a step, √2 diagonally, by label correction) and sends its water to the
flat's neighbours nearer a drain. Step 1 of the directions solves every flat that fits in a
tile's window; the flats that reach beyond it (their seeds) are resolved here for the whole
grid, without ever holding more than one tile:

1. **Which cells** (:func:`_scan`, one task per tile). The tile's flats are labelled; a flat's
   labels on tile perimeters are joined across tile edges where touching cells have the same
   height (a union over the perimeter labels, as the nodata holes of :mod:`gepcalc.tiles.prepare`),
   and the joined flats holding a seed are the *open* ones. Whether a flat has a drain is the OR
   of its labels' (a lower neighbour may lie in the next tile: the tile is read with its halo).
2. **Distances** (:func:`_distances`, rounds of one task per tile): each tile relaxes its open
   flats' distances from its drains and from its halo, whose distances are its neighbours'
   edges published after the last round; a tile whose edges changed wakes its neighbours, until
   none change. A distance is the smallest over paths of the path's sum taken from the drain,
   and adding a step is monotone in floating point, so this fixed point is the whole-grid
   kernel's, bit for bit, whatever the order of relaxation.
3. **Directions** (:func:`_rewrite`, one task per tile): each cell of an open flat gets its
   direction from its distance and its neighbours' as in the whole-grid kernel, overwriting
   what step 1 gave it from a window that showed only part of the flat.

Memory: per task one tile with its halo (about 40 bytes a cell); for the grid, the perimeter
labels, their union and the published distance edges (proportional to the tiles' perimeters).
The labels and distances go through the store (``"flat_labels"``, ``"flat_dist"``, dropped at
the end). Rounds are many only for flats that wind across many tile edges.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numba
import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse import csgraph

from gepcalc.routing import DCOL, DROW
from gepcalc.routing.buffers import append
from gepcalc.routing.mfd import downslope_weights, flat_distances, nearer_weights, outside_weights, pack_proportions
from gepcalc.tiles.prepare import tile_contacts, touching
from gepcalc.tiles.store import Edges, TileStore

if TYPE_CHECKING:
    from concurrent.futures import Executor

__all__ = ["FLAT_DIST", "FLAT_LABELS", "resolve_open_flats"]

#: per tile: label (1…n) of each routable cell's flat within the tile, 0 elsewhere (int32)
FLAT_LABELS = "flat_labels"
#: per tile: distance [cells] of the open flats' cells to their nearest drain, inf elsewhere (float64)
FLAT_DIST = "flat_dist"


class _Scan(NamedTuple):
    """What step 1 keeps of a tile: its perimeter labels (sorted), whether each has a drain, its seeds' labels."""

    perim: NDArray[np.int32]
    drains: NDArray[np.bool_]
    seeds: NDArray[np.int32]


class _Open(NamedTuple):
    """A tile's labels of open flats (sorted) and whether each one's flat, across tiles, has a drain."""

    labels: NDArray[np.int32]
    drains: NDArray[np.bool_]


# --------------------------------------------------------------------------- kernels


@numba.njit(cache=True, nogil=True)
def _label(z, ok, t0, t1, s0, s1):  # pragma: no cover - compiled
    """Labels 1…n of the flats (8-connected, equal height) of ``ok`` cells of the core ``[t0:t1, s0:s1]``, and n."""
    labels = np.zeros((t1 - t0, s1 - s0), dtype=np.int32)
    stack = np.empty(1024, dtype=np.int64)
    n = 0
    for a in range(t0, t1):
        for b in range(s0, s1):
            if not ok[a, b] or labels[a - t0, b - s0]:
                continue
            n += 1
            h0 = z[a, b]
            labels[a - t0, b - s0] = n
            stack[0] = a * (s1 - s0) + b - s0
            sn = 1
            while sn > 0:
                sn -= 1
                r1 = stack[sn] // (s1 - s0)
                c1 = stack[sn] % (s1 - s0) + s0
                for k in range(8):
                    r = r1 + DROW[k]
                    c = c1 + DCOL[k]
                    if r < t0 or r >= t1 or c < s0 or c >= s1 or labels[r - t0, c - s0] or not ok[r, c]:
                        continue
                    if z[r, c] == h0:
                        labels[r - t0, c - s0] = n
                        stack = append(stack, sn, r * (s1 - s0) + c - s0)
                        sn += 1
    return labels, n


@numba.njit(cache=True, nogil=True)
def _has_drain(z, ok, labels, n, t0, s0):  # pragma: no cover - compiled
    """Per label 0…n: whether one of its cells has a lower routable neighbour (in the window)."""
    out = np.zeros(n + 1, dtype=np.bool_)
    w = np.zeros(8)
    for i in range(labels.shape[0]):
        for j in range(labels.shape[1]):
            lab = labels[i, j]
            if lab and not out[lab]:
                out[lab] = downslope_weights(z, ok, DROW, DCOL, i + t0, j + s0, z[i + t0, j + s0], w) > 0.0
    return out


@numba.njit(cache=True, nogil=True, inline="always")
def _drain_weights(z, ok, r, c, drains, w):  # pragma: no cover - compiled
    """The drain's weights of a cell of a flat (total 0: not a drain), as the whole-grid kernel's drains."""
    if drains:
        return downslope_weights(z, ok, DROW, DCOL, r, c, z[r, c], w)
    return outside_weights(ok, DROW, DCOL, r, c, w)


@numba.njit(cache=True, nogil=True)
def _relax(z, ok, member, drains, dist, first, t0, t1, s0, s1):  # pragma: no cover - compiled
    """Label-correct ``dist`` on the open flats' core cells (``member``) from their drains and the halo ring.

    ``drains`` (core-shaped) says whether each member cell's flat has a drain. On the ``first``
    run the drains get 0. Sources are the drains and the ring cells with a finite distance; only
    core cells change. Steps and sums as :func:`gepcalc.routing.mfd_directions`'s.
    """
    ny, nx = z.shape
    queue = np.empty(ny * nx, dtype=np.int64)
    inq = np.zeros((ny, nx), dtype=np.uint8)
    w = np.zeros(8)
    size = 0
    for r in range(ny):
        for c in range(nx):
            core = t0 <= r < t1 and s0 <= c < s1
            if core and first and member[r, c] and _drain_weights(z, ok, r, c, drains[r - t0, c - s0], w) > 0.0:
                dist[r, c] = 0.0
            elif core or not np.isfinite(dist[r, c]):
                continue
            queue[size] = r * nx + c
            inq[r, c] = 1
            size += 1
    flat_distances(z, member, DROW, DCOL, size, dist, queue, inq)


@numba.njit(cache=True, nogil=True)
def _directions(z, ok, member, drains, dist, fdir, t0, t1, s0, s1):  # pragma: no cover - compiled
    """Each member core cell's MFD direction into ``fdir`` (the core), as the whole-grid kernel's flats."""
    w = np.zeros(8)
    for r1 in range(t0, t1):
        for c1 in range(s0, s1):
            if not member[r1, c1]:
                continue
            total = _drain_weights(z, ok, r1, c1, drains[r1 - t0, c1 - s0], w)
            if total > 0.0:
                fdir[r1 - t0, c1 - s0] = pack_proportions(w, total)
                continue
            total = nearer_weights(z, ok, DROW, DCOL, r1, c1, dist, w)
            fdir[r1 - t0, c1 - s0] = pack_proportions(w, total) if total > 0.0 else 0


# --------------------------------------------------------------------------- tasks


def _window(store: TileStore, t: int) -> tuple[NDArray, NDArray, tuple[int, int, int, int]]:
    z, core = store.read_halo("filled", t, fill=np.nan)
    ok, _ = store.read_halo("routable", t, fill=0)
    return z, ok.view(np.bool_), core


def _scan(store: TileStore, t: int, seeds: NDArray[np.int64], heights: NDArray[np.float64]) -> _Scan:
    """Step 1 on tile ``t``: its flats at the seeds' ``heights`` labelled into the store; their perimeter
    labels, whether each has a drain, the seeds' labels (none written where the tile has no such cell)."""
    z, ok, (t0, t1, s0, s1) = _window(store, t)
    candidate = ok & np.isin(z, heights)  # an open flat's cells are at its seed's height
    if not candidate[t0:t1, s0:s1].any():
        return _Scan(np.zeros(0, np.int32), np.zeros(0, np.bool_), np.zeros(0, np.int32))
    labels, n = _label(z, candidate, t0, t1, s0, s1)
    store.write(FLAT_LABELS, t, labels)
    perim = np.setdiff1d(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]), [0])
    drains = _has_drain(z, ok, labels, n, t0, s0)[perim]
    r0, _, c0, _ = store.wins[t]
    rows, cols = np.divmod(seeds, store.shape[1])
    return _Scan(perim, drains, labels[rows - r0, cols - c0])


def _heights(store: TileStore, t: int, seeds: NDArray[np.int64]) -> NDArray[np.float64]:
    """The filled heights [m] of ``seeds`` in tile ``t``."""
    r0, _, c0, _ = store.wins[t]
    rows, cols = np.divmod(seeds, store.shape[1])
    return store.read("filled", t)[rows - r0, cols - c0]


def _members(store: TileStore, t: int, flats: _Open, shape: tuple[int, int], core) -> tuple[NDArray, NDArray]:
    """The window-shaped mask of tile ``t``'s open-flat cells and, core-shaped, whether their flat has a drain."""
    labels = store.read(FLAT_LABELS, t)
    t0, t1, s0, s1 = core
    inside = np.zeros(int(labels.max()) + 1, dtype=np.bool_)  # look-up tables by label: a gather a cell
    inside[flats.labels] = True
    drains = np.zeros_like(inside)
    drains[flats.labels] = flats.drains
    member = np.zeros(shape, dtype=np.bool_)
    member[t0:t1, s0:s1] = inside[labels]
    return member, drains[labels]


def _state(store: TileStore, t: int, flats: _Open, around: dict[int, Edges | None], first: bool):
    """Tile ``t``'s window: heights, mask, core, open-flat cells, their drains flag, and distances.

    The distances are the core's from the store (inf on the ``first`` round) and the ring's from
    the neighbours' ``around`` edges.
    """
    z, ok, core = _window(store, t)
    member, drains = _members(store, t, flats, z.shape, core)
    t0, t1, s0, s1 = core
    dist = np.full(z.shape, np.inf)
    if not first:
        dist[t0:t1, s0:s1] = store.read(FLAT_DIST, t)
    store.paste_ring(dist, t, around)
    return z, ok, core, member, drains, dist


def _distances(store: TileStore, t: int, flats: _Open, around: dict[int, Edges | None], first: bool) -> Edges:
    """One round of tile ``t``: its open flats' distances from its drains and its halo; returns its edges."""
    z, ok, (t0, t1, s0, s1), member, drains, dist = _state(store, t, flats, around, first)
    _relax(z, ok, member, drains, dist, first, t0, t1, s0, s1)
    mine = np.ascontiguousarray(dist[t0:t1, s0:s1])
    store.write(FLAT_DIST, t, mine)
    return Edges(mine[0].copy(), mine[-1].copy(), mine[:, 0].copy(), mine[:, -1].copy())


def _rewrite(store: TileStore, t: int, flats: _Open, around: dict[int, Edges | None]) -> None:
    """Step 3 on tile ``t``: its open flats' cells' directions rewritten in ``"fdir"``."""
    z, ok, core, member, drains, dist = _state(store, t, flats, around, first=False)
    fdir = store.read("fdir", t)
    _directions(z, ok, member, drains, dist, fdir, *core)
    store.write("fdir", t, fdir)


# --------------------------------------------------------------------------- the grid


def _open_flats(store: TileStore, scans: list[_Scan]) -> list[_Open]:
    """Per tile, its labels of flats that hold a seed, joined across tile edges, and whether each has a drain."""
    base = np.cumsum([0] + [len(s.perim) for s in scans]).astype(np.int64)
    n = int(base[-1])
    src, dst = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for t, u, kind in tile_contacts(store):
        if not (len(scans[t].perim) and len(scans[u].perim)):
            continue
        la, lb, i, j = touching(kind, store.edges(FLAT_LABELS, t), store.edges(FLAT_LABELS, u))
        za, zb, _, _ = touching(kind, store.edges("filled", t), store.edges("filled", u))
        keep = (la[i] > 0) & (lb[j] > 0) & (za[i] == zb[j])
        src.append(base[t] + np.searchsorted(scans[t].perim, la[i][keep]))
        dst.append(base[u] + np.searchsorted(scans[u].perim, lb[j][keep]))
    src, dst = np.concatenate(src), np.concatenate(dst)
    graph = sparse.coo_matrix((np.ones(len(src), np.int8), (src, dst)), shape=(n, n))
    comp = csgraph.connected_components(graph, directed=False)[1] if n else np.zeros(0, np.int64)
    drains = np.zeros(comp.max(initial=-1) + 1, dtype=bool)
    is_open = np.zeros_like(drains)
    for t, s in enumerate(scans):
        np.logical_or.at(drains, comp[base[t] : base[t + 1]], s.drains)
        # a seed's flat leaves its tile's window, so its label is on the tile's perimeter
        is_open[comp[base[t] + np.searchsorted(s.perim, s.seeds)]] = True
    out = []
    for t, s in enumerate(scans):
        c = comp[base[t] : base[t + 1]]
        keep = is_open[c]
        out.append(_Open(s.perim[keep], drains[c[keep]]))
    return out


def resolve_open_flats(store: TileStore, seeds: NDArray[np.int64], pool: Executor) -> int:
    """Rewrite the directions of the flats holding ``seeds`` (global cell indices) in ``"fdir"``, tile by tile.

    Parameters
    ----------
    store
        Holds ``"filled"`` [m], ``"routable"`` and ``"fdir"`` (step 1 of the directions).
    seeds
        Cells of the flats that reach beyond a tile's window (``row * columns + column``).
    pool
        Runs the tiles' tasks.

    Returns
    -------
    int
        The number of rounds of the distances.
    """
    if not len(seeds):
        return 0
    tile_of = (seeds // store.shape[1] // store.tile) * store.tile_cols + seeds % store.shape[1] // store.tile
    per_tile = [seeds[tile_of == t] for t in range(store.n_tiles)]
    try:
        with_seeds = [t for t in range(store.n_tiles) if len(per_tile[t])]
        found = pool.map(_heights, [store] * len(with_seeds), with_seeds, [per_tile[t] for t in with_seeds])
        heights = np.unique(np.concatenate(list(found)))
        n = store.n_tiles  # tasks get their own tile's arguments only (they travel to a cluster's worker)
        scans = list(pool.map(_scan, [store] * n, range(n), per_tile, [heights] * n))
        flats = _open_flats(store, scans)
        del scans
        todo = {t for t in range(store.n_tiles) if len(flats[t].labels)}
        published: dict[int, Edges] = {}

        def around(t: int) -> dict[int, Edges | None]:
            return {u: published.get(u) for u in store.neighbours(t)}

        waiting, rounds = sorted(todo), 0
        while waiting:
            rounds += 1
            k = len(waiting)
            args = ([store] * k, waiting, [flats[t] for t in waiting], [around(t) for t in waiting], [rounds == 1] * k)
            edges = list(pool.map(_distances, *args))
            woken = set()
            for t, e in zip(waiting, edges, strict=True):
                old = published.get(t)
                if old is None or not all(np.array_equal(a, b) for a, b in zip(old, e, strict=True)):
                    published[t] = e
                    woken.update(store.neighbours(t))
            waiting = sorted(woken & todo)
        last = sorted(todo)
        list(pool.map(_rewrite, [store] * len(last), last, [flats[t] for t in last], [around(t) for t in last]))
    finally:
        store.drop(FLAT_LABELS)
        store.drop(FLAT_DIST)
    return rounds
