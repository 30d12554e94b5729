"""How :mod:`gepcalc.tiles` cuts a grid into tiles: the tiles' windows and their one-cell halos.

Plain index arithmetic on ``(row0, row1, col0, col1)`` windows (end exclusive). No arrays here.
"""

from __future__ import annotations

__all__ = ["halo", "windows"]


def windows(ny: int, nx: int, tile: int) -> list[tuple[int, int, int, int]]:
    """The ``tile`` × ``tile`` windows ``(r0, r1, c0, c1)`` covering an ``ny`` × ``nx`` grid, row-major.

    Windows on the last row and column are cut at the grid's edge.
    """
    return [(r, min(r + tile, ny), c, min(c + tile, nx)) for r in range(0, ny, tile) for c in range(0, nx, tile)]


def halo(r0: int, r1: int, c0: int, c1: int, ny: int, nx: int) -> tuple[int, int, int, int]:
    """The window ``(r0, r1, c0, c1)`` grown by one cell on each side, cut at the grid's edge."""
    return max(r0 - 1, 0), min(r1 + 1, ny), max(c0 - 1, 0), min(c1 + 1, nx)
