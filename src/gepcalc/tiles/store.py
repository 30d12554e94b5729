"""Where the tiled routing keeps its grids: files in a temporary directory, tile by tile.

The tiled routing (:mod:`gepcalc.tiles`) must not hold any grid of the whole DEM in memory: at
16000² cells a float64 grid is 2 GB. A :class:`TileStore` keeps each product (the DEM, the filled
surface, the flow directions, the accumulation, …) in a file of its own, one fixed-size slot per
tile (row-major, the tile's cells row-major inside it), read and written with ``os.preadv`` /
``os.pwritev`` into arrays of the caller's: no memory map, so what was read is the process's
memory only while an array holds it (the operating system's page cache is not the process's).

Beside each product's cells, a second file holds the four edges (first and last row and column)
of every tile written, one slot of ``4 × tile`` values per tile, and a third one byte per tile
saying whether it was written: a tile's one-cell halo is assembled from its neighbours' edges
without reading their cells (:meth:`TileStore.read_halo`), as Barnes (2016, 2017) exchange only
tile perimeters. Everything is in the files (nothing per tile in memory), so a store pickles as
its directory: a copy unpickled in another process, a worker of a dask.distributed cluster on
the same file system, reads and writes the same tiles (the tiles of a pass spread over a
cluster, :func:`gepcalc.tiles.route_tiled`). Only the store that made the directory removes it.

Tiles are written by one thread or process each (different slots of a file: ``pwritev`` at an
offset is safe from several writers); :meth:`TileStore.write_window` reads, changes and writes
whole rows of the tiles it touches and must not run beside another writer of those tiles.
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
#: system's, :func:`tempfile.gettempdir`); about 30 bytes a cell of the DEM at most while routing.
#: On a dask.distributed cluster, a folder every worker sees at the same path (shared file system)
TMPDIR_ENV = "GEPCALC_TMPDIR"

#: the files of one product: its cells, its tiles' edges, its tiles' "written" flags
_SUFFIXES = (".bin", ".edges", ".written")


class Edges(NamedTuple):
    """The four edges of a tile's core: first and last row, first and last column."""

    top: NDArray
    bottom: NDArray
    left: NDArray
    right: NDArray


class _File:
    """One product's open files (cells, edges, written flags) and its dtype."""

    def __init__(self, base: str, dtype: np.dtype, n_tiles: int, tile: int):
        self.dtype = dtype
        sizes = (n_tiles * tile * tile * dtype.itemsize, n_tiles * 4 * tile * dtype.itemsize, n_tiles)
        self.fds: list[int] = []
        try:
            for suffix, size in zip(_SUFFIXES, sizes, strict=True):
                # O_CREAT without O_TRUNC: another process may be creating the same product at once
                fd = os.open(base + suffix, os.O_RDWR | os.O_CREAT, 0o600)
                self.fds.append(fd)
                if os.fstat(fd).st_size < size:
                    os.ftruncate(fd, size)
        except BaseException:
            self.close()
            raise
        self.fd, self.efd, self.wfd = self.fds

    def close(self) -> None:
        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:  # pragma: no cover - already closed
                pass
        self.fds = []


def _close(files: dict[str, _File]) -> None:
    for f in files.values():
        f.close()
    files.clear()


def _remove(directory: str, files: dict[str, _File]) -> None:
    _close(files)
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

    The directory and its files are removed by :meth:`close`, or when the store is collected
    (after :meth:`detach`: by :meth:`remove` only). A copy made by pickling opens the same files
    and never removes them. Tiles are numbered row-major (:attr:`wins` holds their windows
    ``(r0, r1, c0, c1)``).
    """

    def __init__(self, shape: tuple[int, int], tile: int, directory: str | None = None):
        if tile < 1:
            raise ValueError(f"tile must be at least 1 cell, got {tile}")
        where = directory or os.environ.get(TMPDIR_ENV) or None
        try:
            made = tempfile.mkdtemp(prefix="gepcalc-routing-", dir=where)
        except OSError as exc:
            raise _no_room(exc, where or tempfile.gettempdir(), shape) from None
        self._setup(shape, tile, made, owner=True)

    def _setup(self, shape, tile: int, directory: str, *, owner: bool) -> None:
        self.shape = (int(shape[0]), int(shape[1]))
        self.tile = int(tile)
        self.wins = windows(*self.shape, self.tile)
        self.tile_rows = -(-self.shape[0] // self.tile)
        self.tile_cols = -(-self.shape[1] // self.tile)
        self.directory = directory
        self._files: dict[str, _File] = {}
        self._lock = threading.Lock()  # guards the opening of files only
        self._finalizer = weakref.finalize(
            self, _remove if owner else _close, *((directory,) if owner else ()), self._files
        )

    def __getstate__(self) -> dict:
        return {"shape": self.shape, "tile": self.tile, "directory": self.directory}

    def __setstate__(self, state: dict) -> None:
        self._setup(state["shape"], state["tile"], state["directory"], owner=False)

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

    def _base(self, name: str, dtype: np.dtype) -> str:
        return os.path.join(self.directory, f"{name}.{dtype.name}")

    def _on_disk(self, name: str) -> np.dtype | None:
        """The dtype of product ``name`` if its files exist (written here or by another process)."""
        try:
            listing = os.listdir(self.directory)
        except FileNotFoundError:
            return None
        for entry in listing:
            stem, dot, kind = entry.rpartition(".")
            if dot and kind == "bin" and stem.rpartition(".")[0] == name:
                return np.dtype(stem.rpartition(".")[2])
        return None

    def products(self) -> list[str]:
        """The products in the store (written by this process or another), sorted."""
        try:
            listing = os.listdir(self.directory)
        except FileNotFoundError:
            return []
        return sorted(e[: -len(".bin")].rpartition(".")[0] for e in listing if e.endswith(".bin"))

    def has(self, name: str) -> bool:
        """Whether product ``name`` has been written."""
        return name in self._files or self._on_disk(name) is not None

    def dtype(self, name: str) -> np.dtype:
        """The dtype of product ``name``."""
        return self._file(name).dtype

    def _file(self, name: str) -> _File:
        f = self._files.get(name)
        if f is not None:
            return f
        dtype = self._on_disk(name)
        if dtype is None:
            raise KeyError(f"the tile store has no product {name!r} (it has {self.products()})")
        return self._create(name, dtype)

    def _create(self, name: str, dtype: DTypeLike) -> _File:
        dt = np.dtype(dtype)
        with self._lock:
            f = self._files.get(name)
            if f is None:
                found = self._on_disk(name)  # another process may have made it
                kind = dt if found is None else found
                try:
                    f = _File(self._base(name, kind), kind, self.n_tiles, self.tile)
                except OSError as exc:
                    raise _no_room(exc, self.directory, self.shape) from None
                self._files[name] = f
        if f.dtype != dt:
            raise TypeError(f"product {name!r} is {f.dtype}, not {dt}")
        return f

    def _offset(self, f: _File, t: int, row: int = 0) -> int:
        _, _, c0, c1 = self.wins[t]
        return (t * self.tile * self.tile + row * (c1 - c0)) * f.dtype.itemsize

    def _read_rows(self, f: _File, t: int, a: int, b: int) -> NDArray:
        """Rows ``a:b`` (local to the tile) of tile ``t``, as a fresh array."""
        _, _, c0, c1 = self.wins[t]
        out = np.empty((b - a, c1 - c0), dtype=f.dtype)
        _pread(f.fd, out, self._offset(f, t, a), self.directory)
        return out

    def _write_rows(self, f: _File, t: int, a: int, rows: NDArray) -> None:
        self._pwrite(f.fd, np.ascontiguousarray(rows, dtype=f.dtype), self._offset(f, t, a))

    def _pwrite(self, fd: int, data: NDArray, offset: int) -> None:
        if data.size:
            try:
                os.pwritev(fd, [memoryview(data).cast("B")], offset)
            except OSError as exc:
                raise _no_room(exc, self.directory, self.shape) from None

    def _write_edges(self, f: _File, t: int, e: Edges) -> None:
        """Tile ``t``'s edges into its slot of ``4 × tile`` values (top, bottom, left, right), and its flag."""
        slot = np.zeros(4 * self.tile, dtype=f.dtype)
        for k, line in enumerate(e):
            slot[k * self.tile : k * self.tile + len(line)] = line
        self._pwrite(f.efd, slot, t * 4 * self.tile * f.dtype.itemsize)
        self._pwrite(f.wfd, np.ones(1, np.uint8), t)

    def _written(self, f: _File, t: int) -> bool:
        return os.pread(f.wfd, 1, t) == b"\x01"

    def _read_edges(self, f: _File, t: int) -> Edges:
        r0, r1, c0, c1 = self.wins[t]
        slot = np.empty(4 * self.tile, dtype=f.dtype)
        _pread(f.efd, slot, t * 4 * self.tile * f.dtype.itemsize, self.directory)
        n = self.tile
        w, h = c1 - c0, r1 - r0
        return Edges(slot[:w], slot[n : n + w], slot[2 * n : 2 * n + h], slot[3 * n : 3 * n + h])

    # ------------------------------------------------------------------ tiles

    def write(self, name: str, t: int, core: NDArray) -> None:
        """Write tile ``t``'s core of product ``name`` (created with ``core``'s dtype on first write)."""
        r0, r1, c0, c1 = self.wins[t]
        if core.shape != (r1 - r0, c1 - c0):
            raise ValueError(f"tile {t} of {name!r} is {(r1 - r0, c1 - c0)} cells, got an array of {core.shape}")
        f = self._create(name, core.dtype)
        self._write_rows(f, t, 0, core)
        self._write_edges(f, t, Edges(core[0], core[-1], core[:, 0], core[:, -1]))

    def read(self, name: str, t: int) -> NDArray:
        """Tile ``t``'s core of product ``name`` (a fresh array)."""
        r0, r1, _, _ = self.wins[t]
        return self._read_rows(self._file(name), t, 0, r1 - r0)

    def edges(self, name: str, t: int) -> Edges:
        """The edges of tile ``t`` of product ``name`` (fresh arrays)."""
        f = self._file(name)
        if not self._written(f, t):
            raise KeyError(f"tile {t} of {name!r} has not been written")
        return self._read_edges(f, t)

    def read_halo(self, name: str, t: int, fill=0) -> tuple[NDArray, tuple[int, int, int, int]]:
        """Tile ``t`` with its one-cell halo: the core from its slot, the ring from the neighbours' edges.

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
            if self._written(f, u):
                self._paste_edge(out, (h0, h1, g0, g1), self.wins[u], self._read_edges(f, u))
        return out, (t0, t0 + r1 - r0, s0, s0 + c1 - c0)

    def paste_ring(self, out: NDArray, t: int, around: dict[int, Edges | None]) -> None:
        """Paste edges of tile ``t``'s neighbours, given by tile (None: none), into ``out``, shaped as :meth:`halo_of`.

        For edges a pass keeps in memory between its rounds (published after a round, so that a
        tile running beside its neighbours never reads edges they are writing).
        """
        win = self.halo_of(t)
        for u, e in around.items():
            if e is not None:
                self._paste_edge(out, win, self.wins[u], e)

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
            if self._written(f, t):
                e = self._read_edges(f, t)
                e.left[a:b] = rows[:, 0]
                e.right[a:b] = rows[:, -1]
                if a == 0:
                    e.top[:] = rows[0]
                if b == w1 - w0:
                    e.bottom[:] = rows[-1]
                self._write_edges(f, t, e)

    # ------------------------------------------------------------------ lifetime

    def drop(self, name: str) -> None:
        """Delete product ``name``'s files (no-op if absent)."""
        with self._lock:
            f = self._files.pop(name, None)
            dtype = f.dtype if f is not None else self._on_disk(name)
        if f is not None:
            f.close()
        if dtype is not None:
            for suffix in _SUFFIXES:
                try:
                    os.unlink(self._base(name, dtype) + suffix)
                except FileNotFoundError:
                    pass

    def close(self) -> None:
        """Close the files; the store that made the directory (not detached) also removes it."""
        self._finalizer()

    def detach(self) -> None:
        """Keep the directory when this store is closed or collected: :meth:`remove` removes it.

        For a store whose copies outlive it (the result of a task on a dask.distributed cluster,
        which the cluster may pickle and drop), so that its lifetime is the account's, not the object's.
        """
        self._finalizer.detach()
        self._finalizer = weakref.finalize(self, _close, self._files)

    def remove(self) -> None:
        """Close the files and remove the directory, whoever made it."""
        self._finalizer()
        shutil.rmtree(self.directory, ignore_errors=True)

    @property
    def closed(self) -> bool:
        """Whether this store's files are closed (and, for the one that made them, gone)."""
        return not self._finalizer.alive

    def nbytes(self) -> int:
        """Bytes the store's cell files take on disk (their nominal sizes)."""
        return sum(self.n_tiles * self.tile * self.tile * self.dtype(n).itemsize for n in self.products())

    def __repr__(self) -> str:
        return f"TileStore({self.shape}, tile={self.tile}, products={self.products()}, at {self.directory!r})"


def _pread(fd: int, out: NDArray, offset: int, directory: str) -> None:
    if out.size:
        n = os.preadv(fd, [memoryview(out).cast("B")], offset)
        if n != out.nbytes:  # pragma: no cover - a short read from a local file
            raise OSError(f"short read at {offset} in {directory}")


def _no_room(exc: OSError, where: str, shape: tuple[int, int]) -> OSError:
    """The error for a folder the routing cannot write its tiles to, with what it needs and how to move it."""
    ny, nx = shape
    need = 30 * ny * nx / 2**30
    return OSError(
        exc.errno,
        f"the tiled flow routing cannot write its temporary tiles to {where} ({exc.strerror}); a DEM of "
        f"{ny} × {nx} cells needs about {need:.1f} GiB there: free some space, or set {TMPDIR_ENV} to a "
        "folder with room",
    )
