"""Tiled MFD flow accumulation (after Barnes 2017): tiles in rounds until no cell is pending.

Step 3 of :mod:`gepcalc.tiles`: :func:`accumulate_tiled` runs rounds in which each tile
accumulates every cell whose upslope cells are known (its own, or its halo's as published by
the neighbouring tiles after the last round), each cell once from its final inputs in the
whole-grid kernel's neighbour order, so the result equals
:func:`gepcalc.routing.mfd.mfd_accumulation` bit for bit. Filling and directions are in
:mod:`gepcalc.tiles.fill` and :mod:`gepcalc.tiles.directions`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numba
import numpy as np
from numpy.typing import NDArray

from gepcalc.routing import DCOL, DROW
from gepcalc.tiles.layout import halo, windows

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

__all__ = ["accumulate_tiled"]

FloatArray = NDArray[np.float64]


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


@numba.njit(cache=True, nogil=True)
def _accumulate_round(fdir, acc, published, mine, indeg, first, t0, t1, s0, s1):  # pragma: no cover - compiled
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
    qt = _count_inflows(fdir, indeg, queue, t0, t1, s0, s1) if first else 0
    for r0 in range(ny):
        inner = t0 <= r0 < t1
        for c0 in range(nx):
            if inner and s0 <= c0 < s1:
                continue
            if not published[r0, c0] or mine[r0, c0]:
                continue
            mine[r0, c0] = 1
            qt = _release(fdir, indeg, queue, qt, r0, c0, t0, t1, s0, s1)
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


class _TileState:
    """A tile's own accumulation state between rounds (2 bytes a cell of its window)."""

    def __init__(self, fdir: NDArray[np.int32], win: tuple[int, int, int, int]):
        ny, nx = fdir.shape
        self.win = win
        r0, r1, c0, c1 = win
        self.halo = h0, h1, g0, g1 = halo(r0, r1, c0, c1, ny, nx)
        self.core = (r0 - h0, r1 - h0, c0 - g0, c1 - g0)
        self.mine = np.zeros((h1 - h0, g1 - g0), dtype=np.uint8)
        self.indeg = np.zeros((h1 - h0, g1 - g0), dtype=np.uint8)
        self.pending = int(np.count_nonzero(fdir[r0:r1, c0:c1]))
        self.first = True

    def run(self, fdir: NDArray[np.int32], acc: FloatArray, published: NDArray[np.uint8]) -> int:
        """One round (writes the core of ``acc``). Returns the cells finished."""
        h0, h1, g0, g1 = self.halo
        t0, t1, s0, s1 = self.core
        win = (slice(h0, h1), slice(g0, g1))
        n = _accumulate_round(fdir[win], acc[win], published[win], self.mine, self.indeg, self.first, t0, t1, s0, s1)
        self.first = False
        self.pending -= n
        return n

    def publish(self, published: NDArray[np.uint8]) -> None:
        """Make the core's edge cells known to the other tiles (the only cells they read)."""
        r0, r1, c0, c1 = self.win
        t0, t1, s0, s1 = self.core
        mine = self.mine
        published[r0, c0:c1] = mine[t0, s0:s1]
        published[r1 - 1, c0:c1] = mine[t1 - 1, s0:s1]
        published[r0:r1, c0] = mine[t0:t1, s0]
        published[r0:r1, c1 - 1] = mine[t0:t1, s1 - 1]


def accumulate_tiled(fdir: NDArray[np.int32], tile: int, pool: ThreadPoolExecutor) -> FloatArray:
    """MFD accumulation [cells] tile by tile in rounds, equal to :func:`gepcalc.routing.mfd.mfd_accumulation`.

    Tiles of a round run in parallel: each writes only its own cells of ``acc`` and reads its
    halo's only where another tile published them in an earlier round.
    """
    ny, nx = fdir.shape
    wins = windows(ny, nx, tile)
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
