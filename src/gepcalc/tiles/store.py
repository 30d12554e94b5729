"""Where the tiled routing keeps its grids: one file per product in a temporary directory, tile by tile.

The tiled routing (:mod:`gepcalc.tiles`) must not hold any grid of the whole DEM in memory: at
16000² cells a float64 grid is 2 GB. A :class:`TileStore` keeps each product (the DEM, the filled
surface, the flow directions, the accumulation, …) in a file of its own, one fixed-size slot per
tile (row-major, the tile's cells row-major inside it), read and written with ``os.preadv`` /
``os.pwritev`` into arrays of the caller's: no memory map, so what was read is the process's
memory only while an array holds it (the operating system's page cache is not the process's).

The four edges (first and last row and column) of every tile written are also kept in memory,
per product (about 4 / ``tile`` of the grid, 0.4 % for tiles of 1024): a tile's one-cell halo
is assembled from its neighbours' edges without reading them (:meth:`TileStore.read_halo`), as
Barnes (2016, 2017) exchange only tile perimeters.

Tiles are written by one thread each (different slots of a file: ``pwritev`` at an offset is safe
from several threads); :meth:`TileStore.write_window` reads, changes and writes whole rows of the
tiles it touches and must not run beside another writer of those tiles.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import weakref
from typing import NamedTuple

import numpy as np
from numpy.typing import DTypeLike, NDArray

from gepcalc.tiles.layout import halo, windows

__all__ = ["TMPDIR_ENV", "Edges", "TileStore"]

#: environment variable naming the directory for the routing's temporary files (default: the
#: system's, :func:`tempfile.gettempdir`); about 30 bytes a cell of the DEM at most while routing
TMPDIR_ENV = "GEPCALC_TMPDIR"


class Edges(NamedTuple):
    """The four edges of a tile's core (copies): first and last row, first and last column."""

    top: NDArray
    bottom: NDArray
    left: NDArray
    right: NDArray


class _File:
    """One product's file: its descriptor, dtype and the edges of every tile written."""

    def __init__(self, path: str, dtype: np.dtype, size: int, n_tiles: int):
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        os.ftruncate(self.fd, size)
        self.dtype = dtype
        self.edges: list[Edges | None] = [None] * n_tiles


def _remove(directory: str, files: dict[str, _File]) -> None:
    for f in files.values():
        try:
            os.close(f.fd)
        except OSError:  # pragma: no cover - already closed
            pass
    files.clear()
    shutil.rmtree(directory, ignore_errors=True)


class TileStore:
    """Products of a grid of ``shape`` cut into ``tile`` × ``tile`` tiles, kept in files.

    Parameters
    ----------
    shape
        ``(rows, columns)`` of the whole grid [cells].
    tile
        Tile side [cells]; tiles on the last row and column are cut at the grid's edge.
    directory
        Where the temporary directory goes (default: ``$GEPCALC_TMPDIR``, else the system's).

    The directory and its files are removed by :meth:`close`, or when the store is collected.
    Tiles are numbered row-major (:attr:`wins` holds their windows ``(r0, r1, c0, c1)``).
    """

    def __init__(self, shape: tuple[int, int], tile: int, directory: str | None = None):
        if tile < 1:
            raise ValueError(f"tile must be at least 1 cell, got {tile}")
        self.shape = (int(shape[0]), int(shape[1]))
        self.tile = int(tile)
        self.wins = windows(*self.shape, self.tile)
        self.tile_rows = -(-self.shape[0] // self.tile)
        self.tile_cols = -(-self.shape[1] // self.tile)
        where = directory or os.environ.get(TMPDIR_ENV) or None
        try:
            self.directory = tempfile.mkdtemp(prefix="gepcalc-routing-", dir=where)
        except OSError as exc:
            raise self._no_room(exc, where or tempfile.gettempdir()) from None
        self._files: dict[str, _File] = {}
        self._lock = threading.Lock()  # guards the creation of files only
        self._finalizer = weakref.finalize(self, _remove, self.directory, self._files)

    # ------------------------------------------------------------------ geometry

    @property
    def n_tiles(self) -> int:
        """Number of tiles."""
        return len(self.wins)

    def tile_at(self, row: int, col: int) -> int:
        """Index of the tile holding cell ``(row, col)``."""
        return (row // self.tile) * self.tile_cols + col // self.tile

    def neighbours(self, t: int) -> list[int]:
        """Indices of the (up to 8) tiles touching tile ``t``, row-major."""
        i, j = divmod(t, self.tile_cols)
        return [
            a * self.tile_cols + b
            for a in range(max(i - 1, 0), min(i + 2, self.tile_rows))
            for b in range(max(j - 1, 0), min(j + 2, self.tile_cols))
            if (a, b) != (i, j)
        ]

    def halo_of(self, t: int) -> tuple[int, int, int, int]:
        """Tile ``t``'s window grown by one cell on each side, cut at the grid's edge."""
        return halo(*self.wins[t], *self.shape)

    # ------------------------------------------------------------------ files

    def has(self, name: str) -> bool:
        """Whether product ``name`` has been written."""
        return name in self._files

    def dtype(self, name: str) -> np.dtype:
        """The dtype of product ``name``."""
        return self._file(name).dtype

    def _file(self, name: str) -> _File:
        try:
            return self._files[name]
        except KeyError:
            raise KeyError(f"the tile store has no product {name!r} (it has {sorted(self._files)})") from None

    def _create(self, name: str, dtype: DTypeLike) -> _File:
        with self._lock:
            if name not in self._files:
                dt = np.dtype(dtype)
                size = self.n_tiles * self.tile * self.tile * dt.itemsize
                self._files[name] = _File(os.path.join(self.directory, f"{name}.bin"), dt, size, self.n_tiles)
            f = self._files[name]
        if f.dtype != np.dtype(dtype):
            raise TypeError(f"product {name!r} is {f.dtype}, not {np.dtype(dtype)}")
        return f

    def _offset(self, f: _File, t: int, row: int = 0) -> int:
        _, _, c0, c1 = self.wins[t]
        return (t * self.tile * self.tile + row * (c1 - c0)) * f.dtype.itemsize

    def _read_rows(self, f: _File, t: int, a: int, b: int) -> NDArray:
        """Rows ``a:b`` (local to the tile) of tile ``t``, as a fresh array."""
        _, _, c0, c1 = self.wins[t]
        out = np.empty((b - a, c1 - c0), dtype=f.dtype)
        if out.size:
            n = os.preadv(f.fd, [memoryview(out).cast("B")], self._offset(f, t, a))
            if n != out.nbytes:  # pragma: no cover - a short read from a local file
                raise OSError(f"short read of tile {t} in {self.directory}")
        return out

    def _write_rows(self, f: _File, t: int, a: int, rows: NDArray) -> None:
        rows = np.ascontiguousarray(rows, dtype=f.dtype)
        if rows.size:
            try:
                os.pwritev(f.fd, [memoryview(rows).cast("B")], self._offset(f, t, a))
            except OSError as exc:
                raise self._no_room(exc, self.directory) from None

    def _no_room(self, exc: OSError, where: str) -> OSError:
        """The error for a folder the routing cannot write its tiles to, with what it needs and how to move it."""
        ny, nx = self.shape
        need = 30 * ny * nx / 2**30
        return OSError(
            exc.errno,
            f"the tiled flow routing cannot write its temporary tiles to {where} ({exc.strerror}); a DEM of "
            f"{ny} × {nx} cells needs about {need:.1f} GiB there: free some space, or set {TMPDIR_ENV} to a "
            "folder with room",
        )

    # ------------------------------------------------------------------ tiles

    def write(self, name: str, t: int, core: NDArray) -> None:
        """Write tile ``t``'s core of product ``name`` (created with ``core``'s dtype on first write)."""
        r0, r1, c0, c1 = self.wins[t]
        if core.shape != (r1 - r0, c1 - c0):
            raise ValueError(f"tile {t} of {name!r} is {(r1 - r0, c1 - c0)} cells, got an array of {core.shape}")
        f = self._create(name, core.dtype)
        self._write_rows(f, t, 0, core)
        f.edges[t] = Edges(core[0].copy(), core[-1].copy(), core[:, 0].copy(), core[:, -1].copy())

    def read(self, name: str, t: int) -> NDArray:
        """Tile ``t``'s core of product ``name`` (a fresh array)."""
        r0, r1, _, _ = self.wins[t]
        return self._read_rows(self._file(name), t, 0, r1 - r0)

    def edges(self, name: str, t: int) -> Edges:
        """The edges of tile ``t`` of product ``name``, from memory."""
        e = self._file(name).edges[t]
        if e is None:
            raise KeyError(f"tile {t} of {name!r} has not been written")
        return e

    def set_edges(self, name: str, t: int, edges: Edges) -> None:
        """Replace the in-memory edges of tile ``t`` (for a product whose edges change between writes)."""
        self._file(name).edges[t] = edges

    def read_halo(self, name: str, t: int, fill=0) -> tuple[NDArray, tuple[int, int, int, int]]:
        """Tile ``t`` with its one-cell halo: the core from the file, the ring from the neighbours' edges.

        Returns the array of the window :meth:`halo_of` and ``(t0, t1, s0, s1)``, where the core
        sits in it. Cells of the ring whose tile has not been written hold ``fill``.
        """
        f = self._file(name)
        h0, h1, g0, g1 = self.halo_of(t)
        r0, r1, c0, c1 = self.wins[t]
        out = np.full((h1 - h0, g1 - g0), fill, dtype=f.dtype)
        t0, s0 = r0 - h0, c0 - g0
        out[t0 : t0 + r1 - r0, s0 : s0 + c1 - c0] = self.read(name, t)
        for u in self.neighbours(t):
            e = f.edges[u]
            if e is not None:
                self._paste_edge(out, (h0, h1, g0, g1), self.wins[u], e)
        return out, (t0, t0 + r1 - r0, s0, s0 + c1 - c0)

    @staticmethod
    def _paste_edge(out: NDArray, win, uwin, e: Edges) -> None:
        """Copy the part of neighbour ``uwin``'s edges that falls in ``out``'s window ``win``."""
        h0, h1, g0, g1 = win
        u0, u1, v0, v1 = uwin
        for line, rows, cols, along_row in (
            (e.top, (u0, u0 + 1), (v0, v1), True),
            (e.bottom, (u1 - 1, u1), (v0, v1), True),
            (e.left, (u0, u1), (v0, v0 + 1), False),
            (e.right, (u0, u1), (v1 - 1, v1), False),
        ):
            a, b = max(rows[0], h0), min(rows[1], h1)
            c, d = max(cols[0], g0), min(cols[1], g1)
            if a >= b or c >= d:
                continue
            seg = line[c - cols[0] : d - cols[0]] if along_row else line[a - rows[0] : b - rows[0]]
            out[a - h0 : b - h0, c - g0 : d - g0] = seg.reshape(b - a, d - c)

    def write_array(self, name: str, grid: NDArray) -> None:
        """Write a whole grid held in memory, tile by tile (for small grids and tests)."""
        if grid.shape != self.shape:
            raise ValueError(f"the store's grid is {self.shape} cells, got an array of {grid.shape}")
        for t, (r0, r1, c0, c1) in enumerate(self.wins):
            self.write(name, t, np.ascontiguousarray(grid[r0:r1, c0:c1]))

    def read_array(self, name: str, out: NDArray | None = None) -> NDArray:
        """The whole grid of product ``name`` in memory (for small grids and tests), into ``out`` if given."""
        if out is None:
            out = np.empty(self.shape, dtype=self.dtype(name))
        for t, (r0, r1, c0, c1) in enumerate(self.wins):
            out[r0:r1, c0:c1] = self.read(name, t)
        return out

    # ------------------------------------------------------------------ windows

    def _overlapping(self, r0: int, r1: int, c0: int, c1: int):
        """``(t, a, b, c, d)``: tiles overlapping the window and the overlap's rows/cols local to the tile."""
        ny, nx = self.shape
        if not (0 <= r0 <= r1 <= ny and 0 <= c0 <= c1 <= nx):
            raise ValueError(f"window {(r0, r1, c0, c1)} is not inside the grid of {self.shape}")
        if r0 == r1 or c0 == c1:
            return
        for i in range(r0 // self.tile, (r1 - 1) // self.tile + 1):
            for j in range(c0 // self.tile, (c1 - 1) // self.tile + 1):
                t = i * self.tile_cols + j
                w0, w1, v0, v1 = self.wins[t]
                yield t, max(r0, w0) - w0, min(r1, w1) - w0, max(c0, v0) - v0, min(c1, v1) - v0

    def read_window(self, name: str, r0: int, r1: int, c0: int, c1: int) -> NDArray:
        """Cells ``[r0:r1, c0:c1]`` of product ``name`` (inside the grid), read from the tiles they cross."""
        f = self._file(name)
        out = np.empty((r1 - r0, c1 - c0), dtype=f.dtype)
        for t, a, b, c, d in self._overlapping(r0, r1, c0, c1):
            w0, _, v0, _ = self.wins[t]
            out[w0 + a - r0 : w0 + b - r0, v0 + c - c0 : v0 + d - c0] = self._read_rows(f, t, a, b)[:, c:d]
        return out

    def write_window(self, name: str, r0: int, r1: int, c0: int, c1: int, values: NDArray, where=None) -> None:
        """Write ``values`` into cells ``[r0:r1, c0:c1]`` of an existing product (only where ``where``, if given).

        Reads, changes and writes back the rows of every tile the window crosses, and updates
        their edges. Not to be run beside another writer of the same tiles.
        """
        f = self._file(name)
        for t, a, b, c, d in self._overlapping(r0, r1, c0, c1):
            w0, w1, v0, _ = self.wins[t]
            rows = self._read_rows(f, t, a, b)
            sub = (slice(w0 + a - r0, w0 + b - r0), slice(v0 + c - c0, v0 + d - c0))
            if where is None:
                rows[:, c:d] = values[sub]
            else:
                np.copyto(rows[:, c:d], values[sub], where=where[sub])
            self._write_rows(f, t, a, rows)
            e = f.edges[t]
            if e is not None:
                e.left[a:b] = rows[:, 0]
                e.right[a:b] = rows[:, -1]
                if a == 0:
                    e.top[:] = rows[0]
                if b == w1 - w0:
                    e.bottom[:] = rows[-1]

    # ------------------------------------------------------------------ lifetime

    def drop(self, name: str) -> None:
        """Delete product ``name``'s file and edges (no-op if absent)."""
        with self._lock:
            f = self._files.pop(name, None)
        if f is not None:
            os.close(f.fd)
            os.unlink(os.path.join(self.directory, f"{name}.bin"))

    def close(self) -> None:
        """Remove the directory and every file in it."""
        self._finalizer()

    @property
    def closed(self) -> bool:
        """Whether the store's files are gone."""
        return not self._finalizer.alive

    def nbytes(self) -> int:
        """Bytes the store's files take on disk (their nominal sizes)."""
        return sum(self.n_tiles * self.tile * self.tile * f.dtype.itemsize for f in self._files.values())

    def __repr__(self) -> str:
        return f"TileStore({self.shape}, tile={self.tile}, products={sorted(self._files)}, at {self.directory!r})"
