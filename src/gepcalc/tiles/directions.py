"""Tiled MFD flow directions: each tile with a one-cell halo, flats crossing tiles solved again.

Step 2 of :mod:`gepcalc.tiles`: directions are local (3 × 3) except on flats, so
:func:`directions_tiled` runs the whole-grid kernel (:func:`gepcalc.routing.mfd_directions`)
on each tile plus its halo, then solves every flat that reaches a halo again on the flat's
bounding box plus one cell, where the kernel sees the whole flat in the whole-grid order.
Filling and accumulation are in :mod:`gepcalc.tiles.fill` and :mod:`gepcalc.tiles.accumulate`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numba
import numpy as np
from numpy.typing import NDArray

from gepcalc.routing import DCOL, DROW, mfd_directions
from gepcalc.tiles.layout import halo, windows

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

__all__ = ["directions_tiled"]

FloatArray = NDArray[np.float64]


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
    """The whole-grid MFD kernel on a window ``z`` (its own scratch buffers)."""
    n = z.size
    region = np.empty(n, dtype=np.int64)
    queue = np.empty(n, dtype=np.int64)
    return mfd_directions(z, ok, DROW, DCOL, region, queue)


def directions_tiled(
    filled: FloatArray, routable: NDArray[np.bool_], tile: int, pool: ThreadPoolExecutor
) -> NDArray[np.int32]:
    """MFD directions (pygeoprocessing's packed encoding) tile by tile, as the whole-grid kernel."""
    ny, nx = filled.shape
    wins = windows(ny, nx, tile)
    fdir = np.zeros((ny, nx), dtype=np.int32)

    def local(win):
        r0, r1, c0, c1 = win
        h0, h1, g0, g1 = halo(r0, r1, c0, c1, ny, nx)
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
