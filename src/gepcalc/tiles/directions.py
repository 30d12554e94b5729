"""Tiled MFD flow directions out of core: each tile with a margin, flats larger than it solved again.

Step 2 of :mod:`gepcalc.tiles`: :func:`directions_tiled` reads ``"filled"`` (float64, NaN
outside the routable cells) and ``"routable"`` (uint8 0/1) of a
:class:`~gepcalc.tiles.store.TileStore` and writes ``"fdir"`` (int32, pygeoprocessing's packed MFD
encoding), equal bit for bit to the whole-grid :func:`gepcalc.routing.mfd_directions`.

1. Each tile, grown by a margin of ``margin`` cells (the one-cell halo of
   :meth:`~gepcalc.tiles.store.TileStore.read_halo` when ``margin`` is 1), goes through the
   whole-grid kernel in a thread of the pool, which writes the tile's core to ``"fdir"``.
   Directions are local (3 × 3) except on flats (8-connected cells of equal filled height): the
   kernel drains a flat from the row-major first of its cells without a lower neighbour, so a
   flat that lies inside the window is solved as on the whole grid. A flat that reaches the
   window's border (on a side that is not the grid's edge) may go on outside: the tile returns
   one seed (a global cell index) per such flat (as far as the window shows it) holding a core
   cell without a lower neighbour. The margin is cut to the tile's side: a window is read tile
   by tile.
2. The seeds (int64, sorted, unique) are solved one flat at a time, in the calling thread:
   :func:`flood_flat` floods the seed's flat in a window around it read from the store, grown on
   a side (and flooded again) while the flat reaches that side; the kernel then runs on the
   flat's bounding box plus one cell, where it sees the whole flat, and the flat's cells are
   written with :meth:`~gepcalc.tiles.store.TileStore.write_window`. Seeds in a flat already
   solved are dropped.

Memory: no array of the whole grid. Per running thread, the arrays of one tile grown by the
margin, ``(tile + 2 margin)²`` cells of about 31 bytes (the window's heights and mask, the
kernel's work arrays; 35 MB for tiles of 1024 and the default margin); for the whole grid, the
seeds (one per flat that reaches the border of a tile's window, so fewer than the tiles'
perimeter cells, 8 bytes each: a few thousand at 4000² cells); in step 2, one flat at a time:
its window (10 bytes a cell; a side grows only while the flat reaches it, so the window is at
most about twice the flat's bounding box on each side) and the kernel on the bounding box plus
one cell (35 bytes a cell). So memory is O(threads · (tile + 2 margin)² + perimeter + the
bounding box of the largest flat that reaches beyond a tile's margin). The one case left that
needs memory of the order of the whole grid is a flat whose bounding box is (nearly) the whole
grid, such as a huge filled lake or a coastal plain filled flat.

Filling and accumulation are in :mod:`gepcalc.tiles.fill` and :mod:`gepcalc.tiles.accumulate`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numba
import numpy as np
from numpy.typing import NDArray

from gepcalc.routing import DCOL, DROW, mfd_directions
from gepcalc.routing.buffers import append
from gepcalc.tiles.store import TileStore

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

__all__ = ["DEFAULT_MARGIN", "Flat", "directions_tiled", "flood_flat"]

FloatArray = NDArray[np.float64]
Window = tuple[int, int, int, int]

#: cells read around each tile beyond its core [cells]: flats that fit in the tile grown by
#: this many cells are solved with the tile; only larger ones are solved again one by one
DEFAULT_MARGIN = 16


class Flat(NamedTuple):
    """A flat flooded by :func:`flood_flat`, and the window of the store it was flooded in."""

    z: FloatArray  # filled heights of the window [m]
    ok: NDArray[np.bool_]  # routable cells of the window
    mark: NDArray[np.uint8]  # 1 on the flat's cells, 0 elsewhere
    window: Window  # (r0, r1, c0, c1) of the window in the grid [cells]
    box: Window  # the flat's bounding box, local to the window [cells]
    grown: int  # how many times the window grew before it held the flat


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


@numba.njit(cache=True, nogil=True)
def _flood(z, ok, r0, c0, mark):  # pragma: no cover - compiled
    """Mark the flat (equal height, 8-connected) of ``(r0, c0)`` with 1 in ``mark``; return its bounding box."""
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
            stack = append(stack, sn, r * nx + c)
            sn += 1
    return a0, a1 + 1, b0, b1 + 1


@numba.njit(cache=True, nogil=True)
def _drop_solved(seeds, done, nx, r0, c0, flat):  # pragma: no cover - compiled
    """Set ``done`` for the sorted global ``seeds`` that fall on ``flat``, whose cell ``[0, 0]`` is ``(r0, c0)``."""
    h, w = flat.shape
    for i in range(h):
        base = (r0 + i) * nx + c0
        j = np.searchsorted(seeds, base)
        while j < seeds.size and seeds[j] < base + w:
            if flat[i, seeds[j] - base]:
                done[j] = 1
            j += 1


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


def flood_flat(store: TileStore, seed: int, extent: int) -> Flat:
    """Flood the flat of cell ``seed`` (a global cell index) in a window of the store grown until it holds it.

    The window starts as the seed grown by ``extent`` cells on each side (cut at the grid).
    While the flat reaches a side of the window that is not the grid's edge, that side's reach
    is doubled and the flat flooded again. Reads ``"filled"`` and ``"routable"``.

    Parameters
    ----------
    store
        The store holding ``"filled"`` [m] and ``"routable"``.
    seed
        The cell ``row * columns + column`` [cells].
    extent
        The window's first reach beyond the seed on each side [cells], at least 1.

    Returns
    -------
    Flat
        The window's arrays, the flat's mask and bounding box in it, and the number of growths.
    """
    ny, nx = store.shape
    r, c = divmod(int(seed), nx)
    ext = [max(int(extent), 1)] * 4  # top, bottom, left, right
    grown = 0
    while True:
        win = (max(r - ext[0], 0), min(r + 1 + ext[1], ny), max(c - ext[2], 0), min(c + 1 + ext[3], nx))
        w0, w1, v0, v1 = win
        z = store.read_window("filled", *win)
        ok = store.read_window("routable", *win).view(np.bool_)
        mark = np.zeros(z.shape, dtype=np.uint8)
        box = _flood(z, ok, r - w0, c - v0, mark)
        reach = (
            box[0] == 0 and w0 > 0,
            box[1] == w1 - w0 and w1 < ny,
            box[2] == 0 and v0 > 0,
            box[3] == v1 - v0 and v1 < nx,
        )
        if not any(reach):
            return Flat(z, ok, mark, win, box, grown)
        for k in range(4):
            if reach[k]:
                ext[k] *= 2
        grown += 1


def _solve_flat(store: TileStore, flat: Flat) -> None:
    """Solve ``flat`` on its bounding box plus one cell and write its cells' directions to ``"fdir"``."""
    a0, a1, b0, b1 = flat.box
    ny, nx = flat.z.shape
    h0, h1, g0, g1 = max(a0 - 1, 0), min(a1 + 1, ny), max(b0 - 1, 0), min(b1 + 1, nx)
    fd = _directions(flat.z[h0:h1, g0:g1], flat.ok[h0:h1, g0:g1])
    w0, _, v0, _ = flat.window
    where = flat.mark[a0:a1, b0:b1] == 1
    store.write_window(
        "fdir", w0 + a0, w0 + a1, v0 + b0, v0 + b1, fd[a0 - h0 : a1 - h0, b0 - g0 : b1 - g0], where=where
    )


def directions_tiled(store: TileStore, pool: ThreadPoolExecutor, *, margin: int = DEFAULT_MARGIN) -> None:
    """MFD directions (pygeoprocessing's packed encoding) tile by tile, as the whole-grid kernel.

    Reads ``"filled"`` [m] (float64, NaN outside the routable cells) and ``"routable"`` (uint8)
    of ``store`` and writes ``"fdir"`` (int32), equal bit for bit to
    :func:`gepcalc.routing.mfd_directions` on the whole grid (see the module's docstring).

    Parameters
    ----------
    store
        The tile store.
    pool
        Threads solving tiles at once.
    margin
        Cells read around each tile [cells], at least 1 (1: the tile's halo only), at most the
        tile's side (a larger one is cut to it: a window is read tile by tile); flats that reach
        beyond it from a tile are solved again one by one, in this thread.
    """
    if margin < 1:
        raise ValueError(f"margin must be at least 1 cell, got {margin}")
    margin = min(margin, store.tile)
    found = list(pool.map(lambda t: _tile_directions(store, t, margin), range(store.n_tiles)))
    seeds = np.unique(np.concatenate(found))  # sorted global cell indices (int64)
    del found
    done = np.zeros(seeds.size, dtype=np.uint8)
    nx = store.shape[1]
    for j in range(seeds.size):
        if done[j]:
            continue
        flat = flood_flat(store, int(seeds[j]), 2 * margin)
        _solve_flat(store, flat)
        a0, a1, b0, b1 = flat.box
        _drop_solved(seeds, done, nx, flat.window[0] + a0, flat.window[2] + b0, flat.mark[a0:a1, b0:b1])
