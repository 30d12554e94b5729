"""Tiled MFD flow directions out of core: each tile with a margin, flats larger than it resolved across tiles.

Step 2 of :mod:`gepcalc.tiles`: :func:`directions_tiled` reads ``"filled"`` (float64, NaN
outside the routable cells) and ``"routable"`` (uint8 0/1) of a
:class:`~gepcalc.tiles.store.TileStore` and writes ``"fdir"`` (int32, pygeoprocessing's packed MFD
encoding), equal bit for bit to the whole-grid :func:`gepcalc.routing.mfd_directions`.

1. Each tile, grown by a margin of ``margin`` cells (the one-cell halo of
   :meth:`~gepcalc.tiles.store.TileStore.read_halo` when ``margin`` is 1), goes through the
   whole-grid kernel in a task of the pool, which writes the tile's core to ``"fdir"``.
   Directions are local (3 × 3) except on flats (8-connected cells of equal filled height): the
   kernel drains a flat by distances to its drains, so a flat that lies inside the window is
   solved as on the whole grid. A flat that reaches the window's border (on a side that is not
   the grid's edge) may go on outside: the tile returns one seed (a global cell index) per such
   flat (as far as the window shows it) holding a core cell without a lower neighbour. The
   margin is cut to the tile's side: a window is read tile by tile.
2. The flats of the seeds are resolved tile by tile for the whole grid
   (:func:`gepcalc.tiles.flats.resolve_open_flats`: joined across tile edges, distances relaxed
   in rounds of tiles, their cells' directions rewritten).

Memory: no array of the whole grid. Per running task, the arrays of one tile grown by the
margin, ``(tile + 2 margin)²`` cells of about 31 bytes (the window's heights and mask, the
kernel's work arrays; 35 MB for tiles of 1024 and the default margin); for the whole grid, the
seeds (one per flat that reaches the border of a tile's window, 8 bytes each: a few thousand at
4000² cells) and what :mod:`gepcalc.tiles.flats` keeps of the tiles' perimeters. A flat as large
as the grid (a filled endorheic basin, a huge lake) costs rounds, not memory.

Filling and accumulation are in :mod:`gepcalc.tiles.fill` and :mod:`gepcalc.tiles.accumulate`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numba
import numpy as np
from numpy.typing import NDArray

from gepcalc.routing import DCOL, DROW, mfd_directions
from gepcalc.routing.buffers import append
from gepcalc.tiles.flats import resolve_open_flats
from gepcalc.tiles.store import TileStore

if TYPE_CHECKING:
    from concurrent.futures import Executor

__all__ = ["DEFAULT_MARGIN", "directions_tiled"]

FloatArray = NDArray[np.float64]
Window = tuple[int, int, int, int]

#: cells read around each tile beyond its core [cells]: flats that fit in the tile grown by
#: this many cells are solved with the tile; only larger ones are solved again one by one
DEFAULT_MARGIN = 16


# --------------------------------------------------------------------------- kernels


@numba.njit(cache=True, nogil=True)
def _open_flat_seeds(z, ok, t0, t1, s0, s1, open_sides):  # pragma: no cover - compiled
    """One core cell without a lower neighbour per flat that reaches an open side of the window.

    ``[t0:t1, s0:s1]`` is the core; ``open_sides`` (top, bottom, left, right) says which of the
    window's outer rows and columns are not the grid's edge. A flat is 8-connected cells of equal
    height; those holding a cell of an open side's outer row or column may go on outside. Returns
    the window-local flat indices ``r * nx + c`` of the seeds.
    """
    ny, nx = z.shape
    seen = np.zeros((ny, nx), dtype=np.uint8)
    stack = np.empty(1024, dtype=np.int64)
    seeds = np.empty(64, dtype=np.int64)
    ns = 0
    for r0 in range(ny):
        for c0 in range(nx):
            edge = (
                (open_sides[0] and r0 == 0)
                or (open_sides[1] and r0 == ny - 1)
                or (open_sides[2] and c0 == 0)
                or (open_sides[3] and c0 == nx - 1)
            )
            if not edge or not ok[r0, c0] or seen[r0, c0]:
                continue
            h0 = z[r0, c0]
            seen[r0, c0] = 1
            stack[0] = r0 * nx + c0
            sn = 1
            found = False
            while sn > 0:
                sn -= 1
                idx = stack[sn]
                r1 = idx // nx
                c1 = idx % nx
                if not found and t0 <= r1 < t1 and s0 <= c1 < s1:
                    lower = False
                    for k in range(8):
                        r = r1 + DROW[k]
                        c = c1 + DCOL[k]
                        if 0 <= r < ny and 0 <= c < nx and ok[r, c] and z[r, c] < h0:
                            lower = True
                            break
                    if not lower:
                        seeds = append(seeds, ns, idx)
                        ns += 1
                        found = True
                for k in range(8):
                    r = r1 + DROW[k]
                    c = c1 + DCOL[k]
                    if r < 0 or r >= ny or c < 0 or c >= nx or seen[r, c] or not ok[r, c] or z[r, c] != h0:
                        continue
                    seen[r, c] = 1
                    stack = append(stack, sn, r * nx + c)
                    sn += 1
    return seeds[:ns]


# --------------------------------------------------------------------------- windows


def _directions(z: FloatArray, ok: NDArray[np.bool_]) -> NDArray[np.int32]:
    """The whole-grid MFD kernel on a window ``z`` (its own scratch buffers)."""
    n = z.size
    region = np.empty(n, dtype=np.int32 if n < 2**31 else np.int64)
    queue = np.empty_like(region)
    return mfd_directions(z, ok, DROW, DCOL, region, queue)


def _grown(store: TileStore, t: int, margin: int) -> Window:
    """Tile ``t``'s window grown by ``margin`` cells on each side, cut at the grid's edge."""
    ny, nx = store.shape
    r0, r1, c0, c1 = store.wins[t]
    return max(r0 - margin, 0), min(r1 + margin, ny), max(c0 - margin, 0), min(c1 + margin, nx)


def _read(store: TileStore, t: int, margin: int) -> tuple[FloatArray, NDArray[np.bool_], Window]:
    """Filled heights and routable mask of tile ``t`` grown by ``margin``, and the window."""
    win = _grown(store, t, margin)
    if margin == 1:  # the halo: assembled from the neighbours' edges kept in memory
        z, _ = store.read_halo("filled", t, fill=np.nan)
        ok, _ = store.read_halo("routable", t, fill=0)
    else:
        z = store.read_window("filled", *win)
        ok = store.read_window("routable", *win)
    return z, ok.view(np.bool_), win


def _tile_directions(store: TileStore, t: int, margin: int) -> NDArray[np.int64]:
    """Write tile ``t``'s directions to ``"fdir"``; return the seeds of its flats that reach the margin's border."""
    ny, nx = store.shape
    z, ok, (w0, w1, v0, v1) = _read(store, t, margin)
    r0, r1, c0, c1 = store.wins[t]
    t0, s0 = r0 - w0, c0 - v0
    fd = _directions(z, ok)
    store.write("fdir", t, np.ascontiguousarray(fd[t0 : t0 + r1 - r0, s0 : s0 + c1 - c0]))
    del fd
    sides = np.array([w0 > 0, w1 < ny, v0 > 0, v1 < nx])
    local = _open_flat_seeds(z, ok, t0, t0 + r1 - r0, s0, s0 + c1 - c0, sides)
    wx = v1 - v0
    return (local // wx + w0) * nx + local % wx + v0


def directions_tiled(store: TileStore, pool: Executor, *, margin: int = DEFAULT_MARGIN) -> None:
    """MFD directions (pygeoprocessing's packed encoding) tile by tile, as the whole-grid kernel.

    Reads ``"filled"`` [m] (float64, NaN outside the routable cells) and ``"routable"`` (uint8)
    of ``store`` and writes ``"fdir"`` (int32), equal bit for bit to
    :func:`gepcalc.routing.mfd_directions` on the whole grid (see the module's docstring).

    Parameters
    ----------
    store
        The tile store.
    pool
        Runs the tiles' tasks (threads, or a dask.distributed client's executor).
    margin
        Cells read around each tile [cells], at least 1 (1: the tile's halo only), at most the
        tile's side (a larger one is cut to it: a window is read tile by tile); flats that reach
        beyond it from a tile are resolved across the tiles (:mod:`gepcalc.tiles.flats`).
    """
    if margin < 1:
        raise ValueError(f"margin must be at least 1 cell, got {margin}")
    margin = min(margin, store.tile)
    found = list(pool.map(lambda t: _tile_directions(store, t, margin), range(store.n_tiles)))
    seeds = np.unique(np.concatenate(found))  # sorted global cell indices (int64)
    del found
    resolve_open_flats(store, seeds, pool)
