"""Tiled MFD flow accumulation (after Barnes 2017), out of core: tiles in rounds until no cell is pending.

Step 3 of :mod:`gepcalc.tiles`: :func:`accumulate_tiled` reads the packed MFD directions
``"fdir"`` of a :class:`~gepcalc.tiles.store.TileStore` and writes ``"accumulation"`` [cells],
equal to :func:`gepcalc.routing.mfd.mfd_accumulation` bit for bit. Rounds: each tile
accumulates every core cell whose upslope cells are known (its own, or its halo's as published
by the neighbouring tiles after an earlier round), each cell once from its final inputs in the
whole-grid kernel's neighbour order; after a round, each tile that finished cells publishes its
edge cells, and the neighbours in whose halo cells became known wait to run. A round runs the
waiting tiles whose state is in the cache, or, when none is, the first ``cache_tiles`` waiting
tiles: a cell's value depends only on its final inputs, so the order in which tiles run changes
the number of rounds, not the result, and flow ping-ponging between cached tiles along an edge
does not make the other waiting tiles' states go through the store every round.

What is in memory (no array of the whole grid):

* per tile, always: the published accumulation of its four edges (which also says which edge
  cells are known: the unknown are NaN), a few scalars, and, while its state is out of the
  cache, the "counted" flags of its halo ring — O(perimeter) in all;
* a bounded LRU cache of tile states (``cache_tiles`` tiles, running ones included): the
  tile's directions with halo (int32), accumulation with halo (float64), "counted" flags and
  upslope counts (uint8) — 14 bytes a cell of the window. An evicted state is written to the
  store (temporary products ``"acc_partial"`` float64 and ``"acc_indeg"`` uint8, dropped at the
  end) and read back when the tile runs again; a tile with nothing pending writes its
  ``"accumulation"`` tile and is forgotten.

A round of a cached tile costs O(halo ring + cells finished). Filling and directions are in
:mod:`gepcalc.tiles.fill` and :mod:`gepcalc.tiles.directions`; this module holds no numerics
other than the accumulation's.
"""

from __future__ import annotations

from collections import OrderedDict
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numba
import numpy as np
from numpy.typing import NDArray

from gepcalc.routing import DCOL, DROW
from gepcalc.tiles.store import Edges, TileStore

if TYPE_CHECKING:
    from concurrent.futures import Executor

__all__ = ["CACHE_BYTES", "PARTIAL", "PARTIAL_INDEG", "accumulate_tiled", "default_cache_tiles", "state_bytes"]

FloatArray = NDArray[np.float64]

#: temporary products of evicted tile states: the core's accumulation so far (NaN: not yet
#: known) and the core's count of upslope cells not yet known; dropped by :func:`accumulate_tiled`
PARTIAL = "acc_partial"
PARTIAL_INDEG = "acc_indeg"

#: memory for the cache of tile states by default [B] (see :func:`default_cache_tiles`)
CACHE_BYTES = 256 * 2**20


@numba.njit(cache=True, nogil=True, inline="always")
def _release(fdir, indeg, queue, qt, r0, c0, t0, t1, s0, s1):  # pragma: no cover - compiled
    """``(r0, c0)`` became known: count it off its downslope core cells, queue those now free; returns ``qt``."""
    f = fdir[r0, c0]
    nx = fdir.shape[1]
    for k in range(8):
        if (f >> (4 * k)) & 0xF:
            r = r0 + DROW[k]
            c = c0 + DCOL[k]
            if t0 <= r < t1 and s0 <= c < s1 and fdir[r, c] != 0:
                indeg[r, c] -= 1
                if indeg[r, c] == 0:
                    queue[qt] = r * nx + c
                    qt += 1
    return qt


@numba.njit(cache=True, nogil=True)
def _count_inflows(fdir, indeg, queue, t0, t1, s0, s1):  # pragma: no cover - compiled
    """First round: count the upslope cells of each core cell, queue the core cells that have none; returns ``qt``."""
    ny, nx = fdir.shape
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
    qt = 0
    for r0 in range(t0, t1):
        for c0 in range(s0, s1):
            if fdir[r0, c0] != 0 and indeg[r0, c0] == 0:
                queue[qt] = r0 * nx + c0
                qt += 1
    return qt


@numba.njit(cache=True, nogil=True, inline="always")
def _inflow(fdir, acc, r0, c0):  # pragma: no cover - compiled
    """``1 + Σ_j A_j q_ji / Σ_k q_jk`` of ``(r0, c0)`` [cells], over its upslope neighbours in the kernel's order."""
    ny, nx = fdir.shape
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
    return value


@numba.njit(cache=True, nogil=True, inline="always")
def _take_halo(fdir, acc, mine, indeg, queue, qt, r0, c0, t0, t1, s0, s1):  # pragma: no cover - compiled
    """Halo cell ``(r0, c0)``: if published (not NaN) and not yet counted, count it; returns ``qt``."""
    if mine[r0, c0] or np.isnan(acc[r0, c0]):
        return qt
    mine[r0, c0] = 1
    return _release(fdir, indeg, queue, qt, r0, c0, t0, t1, s0, s1)


@numba.njit(cache=True, nogil=True)
def _accumulate_round(fdir, acc, mine, indeg, first, t0, t1, s0, s1):  # pragma: no cover - compiled
    """One round of a tile: accumulate the core cells whose upslope cells are all known.

    Arrays are the tile's window (core ``[t0:t1, s0:s1]`` and a one-cell halo ring): ``fdir``;
    ``acc`` (the core's accumulation so far, NaN where not known; the ring holds the
    neighbours' published values, NaN where not published); ``mine`` (core: accumulated; ring:
    already counted) and ``indeg`` (upslope cells of a core cell not yet known). Only the ring
    is scanned for newly published cells, so a round costs O(ring + cells finished) after the
    first. Returns the number of core cells accumulated.
    """
    ny, nx = fdir.shape
    queue = np.empty(max((t1 - t0) * (s1 - s0), 1), dtype=np.int64)
    qt = _count_inflows(fdir, indeg, queue, t0, t1, s0, s1) if first else 0
    for r0 in range(ny):  # the halo ring only, row-major as the whole window was
        if r0 < t0 or r0 >= t1:
            for c0 in range(nx):
                qt = _take_halo(fdir, acc, mine, indeg, queue, qt, r0, c0, t0, t1, s0, s1)
        else:
            if s0 > 0:
                qt = _take_halo(fdir, acc, mine, indeg, queue, qt, r0, 0, t0, t1, s0, s1)
            if s1 < nx:
                qt = _take_halo(fdir, acc, mine, indeg, queue, qt, r0, nx - 1, t0, t1, s0, s1)
    finished = 0
    while qt > 0:  # a stack, as the whole-grid kernel: each cell from its final inputs
        qt -= 1
        idx = queue[qt]
        r0 = idx // nx
        c0 = idx % nx
        acc[r0, c0] = _inflow(fdir, acc, r0, c0)
        mine[r0, c0] = 1
        finished += 1
        qt = _release(fdir, indeg, queue, qt, r0, c0, t0, t1, s0, s1)
    return finished


def _edges(a: NDArray) -> Edges:
    """Copies of the four edges of ``a`` (first and last row and column)."""
    return Edges(a[0].copy(), a[-1].copy(), a[:, 0].copy(), a[:, -1].copy())


@dataclass
class _Tile:
    """What is always kept of a tile (O(its perimeter)): counts, flags and edges."""

    pending: int = -1  #: core cells with directions not yet accumulated (-1: not yet counted)
    first: bool = True  #: whether the tile has not run yet
    published: Edges | None = None  #: its core's edge accumulation as its neighbours see it
    ring: Edges | None = None  #: its window's edge "counted" flags while its state is evicted


@dataclass
class _State:
    """A tile's working arrays between rounds (its window: core + one-cell halo)."""

    fdir: NDArray[np.int32]
    acc: FloatArray
    mine: NDArray[np.uint8]
    indeg: NDArray[np.uint8]
    core: tuple[int, int, int, int]  #: where the core sits in the window: ``(t0, t1, s0, s1)``

    def core_view(self, a: NDArray) -> NDArray:
        """The core of the window-shaped ``a``."""
        t0, t1, s0, s1 = self.core
        return a[t0:t1, s0:s1]


def _load(store: TileStore, t: int, info: _Tile) -> _State:
    """Tile ``t``'s state: fresh on its first run, else read back from the store (evicted)."""
    fdir, core = store.read_halo("fdir", t, fill=0)
    st = _State(fdir, np.empty(fdir.shape), np.zeros(fdir.shape, np.uint8), np.zeros(fdir.shape, np.uint8), core)
    # the halo ring of ``acc`` is set before each run (:func:`_fill_ring`)
    if info.first:
        st.core_view(st.acc)[...] = np.nan
        info.pending = int(np.count_nonzero(st.core_view(fdir)))
        return st
    acc = store.read(PARTIAL, t)
    st.core_view(st.acc)[...] = acc
    st.core_view(st.indeg)[...] = store.read(PARTIAL_INDEG, t)
    st.core_view(st.mine)[...] = ~np.isnan(acc)
    ring = info.ring
    st.mine[0], st.mine[-1], st.mine[:, 0], st.mine[:, -1] = ring.top, ring.bottom, ring.left, ring.right
    info.ring = None
    return st


def _evict(store: TileStore, t: int, info: _Tile, st: _State) -> None:
    """Write tile ``t``'s state to the store (its own slots) and keep its ring flags."""
    store.write(PARTIAL, t, np.ascontiguousarray(st.core_view(st.acc)))
    store.write(PARTIAL_INDEG, t, np.ascontiguousarray(st.core_view(st.indeg)))
    info.ring = _edges(st.mine)


def _fill_ring(store: TileStore, t: int, tiles: list[_Tile], acc: FloatArray, core: tuple[int, int, int, int]) -> None:
    """Set ``acc``'s halo ring to the neighbours' published edge accumulation (NaN where none): O(ring)."""
    t0, t1, s0, s1 = core
    ny, nx = acc.shape  # the ring: NaN (not known) first, then the neighbours' published edges
    if t0 > 0:
        acc[0] = np.nan
    if t1 < ny:
        acc[-1] = np.nan
    if s0 > 0:
        acc[:, 0] = np.nan
    if s1 < nx:
        acc[:, -1] = np.nan
    store.paste_ring(acc, t, {u: tiles[u].published for u in store.neighbours(t)})


def _run(store: TileStore, t: int, tiles: list[_Tile], st: _State | None) -> tuple[_State | None, int, Edges | None]:
    """One round of tile ``t`` (in a worker): ``(state or None once done, cells finished, edges to publish)``.

    Reads only the neighbours' published edges (not changed during a round) and writes only
    tile ``t``'s own slots (``"accumulation"`` once nothing is pending).
    """
    info = tiles[t]
    if st is None:
        st = _load(store, t, info)
    _fill_ring(store, t, tiles, st.acc, st.core)
    n = _accumulate_round(st.fdir, st.acc, st.mine, st.indeg, info.first, *st.core)
    info.first = False
    info.pending -= n
    core = st.core_view(st.acc)
    edges = _edges(core) if n else None
    if info.pending == 0:
        store.write("accumulation", t, np.ascontiguousarray(core))
        return None, n, edges
    return st, n, edges


def _fed(store: TileStore, t: int, old: Edges | None, new: Edges) -> list[int]:
    """The neighbours of tile ``t`` in whose halo its newly published edges made cells known.

    Only those can finish cells in the next round: a tile's last run used up everything its
    known cells released, so a tile whose halo gained nothing would finish nothing.
    """
    known = [~np.isnan(b) for b in new]
    if old is not None:
        known = [k & np.isnan(a) for k, a in zip(known, old, strict=True)]
    top, bottom, left, right = known
    i, j = divmod(t, store.tile_cols)
    out = []
    for v in store.neighbours(t):
        di, dj = divmod(v, store.tile_cols)
        di, dj = di - i, dj - j
        if di == 0:
            line = left if dj < 0 else right
        elif dj == 0:
            line = top if di < 0 else bottom
        else:
            edge = top if di < 0 else bottom
            line = edge[:1] if dj < 0 else edge[-1:]
        if line.any():
            out.append(v)
    return out


def state_bytes(tile: int) -> int:
    """Bytes of one tile state in memory [B]: 14 a cell of a ``tile`` × ``tile`` tile with its halo."""
    return 14 * (tile + 2) ** 2


def default_cache_tiles(workers: int, tile: int) -> int:
    """Default size of the tile-state cache [tiles]: :data:`CACHE_BYTES` of states, and room for ``workers`` running.

    ``max(workers + 2, CACHE_BYTES // state_bytes(tile))``: 17 tiles of 1024 (all 16 of a
    4000² grid), 275 of 256. A state evicted costs a write and a read of about 1.6 ×
    :func:`state_bytes` when its tile runs again: the cache should hold the tiles active in a
    round (measured: about half of the tiles of a fractal DEM are active in an average round).
    """
    return max(workers + 2, CACHE_BYTES // state_bytes(tile))


def _round(
    store: TileStore, todo: list[int], tiles: list[_Tile], cache: OrderedDict, cap: int, pool: Executor
) -> tuple[dict[int, Edges], int]:
    """Run the tiles of ``todo`` on ``pool``: ``({tile: edges} of those that finished cells, cache misses)``.

    States in memory (cached + running) stay at most ``cap``. The cached tiles run first; then,
    to make room for each other tile's state (read back, or fresh), the least recently used
    cached state is evicted: written to the store by this thread, while no worker holds it.
    """
    changed: dict[int, Edges] = {}
    running: dict[Future, int] = {}
    # the cached tiles first: then a state evicted for a miss is one this round no longer needs
    queue = [t for t in todo if t not in cache][::-1] + [t for t in todo if t in cache][::-1]
    misses = 0
    while queue or running:
        while queue and len(running) < cap:
            t = queue[-1]
            st = cache.pop(t, None)
            if st is None:
                if len(cache) + len(running) >= cap:  # then the cache is not empty: len(running) < cap
                    v, old = cache.popitem(last=False)
                    _evict(store, v, tiles[v], old)
                misses += 0 if tiles[t].first else 1
            queue.pop()
            running[pool.submit(_run, store, t, tiles, st)] = t
        done, _ = wait(list(running), return_when=FIRST_COMPLETED)
        for fut in done:
            t = running.pop(fut)
            st, n, edges = fut.result()
            if st is not None:
                cache[t] = st
            if n:
                changed[t] = edges
    return changed, misses


def accumulate_tiled(store: TileStore, pool: Executor, *, workers: int = 1, cache_tiles: int | None = None) -> int:
    """MFD accumulation [cells] of ``store``'s ``"fdir"`` into ``"accumulation"``, tile by tile in rounds.

    Equal to :func:`gepcalc.routing.mfd.mfd_accumulation` on the whole grid bit for bit (cells
    without directions stay NaN).

    Parameters
    ----------
    store
        Holds ``"fdir"`` (int32 packed MFD directions); gets ``"accumulation"`` (float64).
    pool
        Threads running the tiles of a round.
    workers
        How many threads ``pool`` has (room for their running states in the default cache).
    cache_tiles
        Tile states kept in memory, running ones included (default
        :func:`default_cache_tiles` of ``workers`` and the store's tile: 256 MiB; at
        least 1). Each takes :func:`state_bytes`; evicted states go to the store and are read
        back when their tile runs again (:attr:`accumulate_tiled.misses` counts them).

    Returns
    -------
    int
        The number of rounds (it depends on ``cache_tiles``; the accumulation does not).
    """
    cap = max(1, cache_tiles if cache_tiles is not None else default_cache_tiles(workers, store.tile))
    tiles = [_Tile() for _ in range(store.n_tiles)]
    cache: OrderedDict[int, _State] = OrderedDict()
    waiting = set(range(store.n_tiles))  # tiles whose halo gained known cells since they last ran
    rounds = misses = 0
    try:
        while waiting:
            rounds += 1
            # the cached tiles while one of them has work (their rounds cost O(ring + cells finished)),
            # else as many waiting tiles as the cache holds
            todo = sorted(waiting.intersection(cache)) or sorted(waiting)[:cap]
            waiting.difference_update(todo)
            changed, m = _round(store, todo, tiles, cache, cap, pool)
            misses += m
            for t, edges in changed.items():  # after the round: what a tile reads does not change while it runs
                waiting.update(_fed(store, t, tiles[t].published, edges))
                tiles[t].published = edges
            waiting = {v for v in waiting if tiles[v].pending}
        if cache or any(info.pending for info in tiles):  # pragma: no cover - would be a bug
            raise RuntimeError("tiled MFD accumulation made no progress: the flow directions hold a cycle")
    finally:
        store.drop(PARTIAL)
        store.drop(PARTIAL_INDEG)
    accumulate_tiled.rounds = rounds  # for the benchmarks
    accumulate_tiled.misses = misses  # states read back from the store
    return rounds
