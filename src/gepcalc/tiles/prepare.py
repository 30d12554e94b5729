"""The DEM made ready for the tiled pit filling, tile by tile: the surface to flood and its masks.

:func:`prepare_tiled` writes to a :class:`~gepcalc.tiles.store.TileStore` the products
``"surface"``, ``"data"`` and ``"routable"``, each tile equal cell for cell to what
:func:`gepcalc.routing.fill.routable_surface` (with ``route_through_holes=True``) gives on the
whole grid, without any array of the whole grid in memory. Interior nodata holes (nodata
regions, 8-connected, that do not touch the raster edge) are found per tile with
:func:`scipy.ndimage.label` and joined across tile edges and corners by the connected components
of a graph of the labels on the tiles' perimeters (a union-find by :mod:`scipy.sparse.csgraph`).

Memory: one tile's work arrays per thread (the DEM tile as read and in float64, its masks and
nodata labels: about 22 bytes a cell of the tile) and, for the whole grid, the labels of the
tiles' perimeters and their graph (a few tens of bytes a perimeter cell).

Also here, shared with :mod:`gepcalc.tiles.fill`: which tiles touch (:func:`tile_contacts`) and
which cells of their facing edges touch (:func:`touching`). No flooding here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage, sparse
from scipy.sparse import csgraph

from gepcalc.routing.masks import data_mask
from gepcalc.tiles.store import Edges, TileStore

if TYPE_CHECKING:
    from concurrent.futures import Executor

__all__ = ["prepare_tiled", "tile_contacts", "touching"]

_EIGHT = np.ones((3, 3), dtype=bool)


class _Scan(NamedTuple):
    """What the first pass keeps of a tile: its lowest data cell, and its nodata labels' edges."""

    zmin: float  # lowest data cell [m] (inf if none)
    n_labels: int  # nodata regions of the tile (0: no nodata)
    edges: Edges | None  # the labels of the tile's perimeter (None if no nodata)


def tile_contacts(store: TileStore) -> Iterator[tuple[int, int, str]]:
    """Every pair of touching tiles once: ``(t, u, kind)``, ``u`` to the right of or below ``t``.

    ``kind`` is ``"right"``, ``"below"``, ``"below_right"`` or ``"below_left"`` (the last two
    touch at one corner only).
    """
    cols = store.tile_cols
    for t in range(store.n_tiles):
        i, j = divmod(t, cols)
        right = j + 1 < cols
        below = i + 1 < store.tile_rows
        if right:
            yield t, t + 1, "right"
        if below:
            yield t, t + cols, "below"
            if right:
                yield t, t + cols + 1, "below_right"
            if j > 0:
                yield t, t + cols - 1, "below_left"


def touching(kind: str, et: Edges, eu: Edges) -> tuple[NDArray, NDArray, NDArray[np.int64], NDArray[np.int64]]:
    """The facing lines of tiles ``t`` and ``u`` (:func:`tile_contacts`) and which of their cells touch.

    Returns ``(line_t, line_u, i, j)``: cell ``line_t[i[k]]`` is an 8-neighbour of ``line_u[j[k]]``.
    """
    if kind == "below_right":
        a, b = et.bottom[-1:], eu.top[:1]
    elif kind == "below_left":
        a, b = et.bottom[:1], eu.top[-1:]
    elif kind == "right":
        a, b = et.right, eu.left
    else:
        a, b = et.bottom, eu.top
    n = len(a)
    if n == 1:
        return a, b, np.zeros(1, np.int64), np.zeros(1, np.int64)
    k = np.arange(n, dtype=np.int64)
    i = np.concatenate([k[1:], k, k[:-1]])
    j = np.concatenate([k[:-1], k, k[1:]])
    return a, b, i, j


def _scan_tile(store: TileStore, read_dem: Callable, nodata: float | None, t: int) -> _Scan:
    """First pass on tile ``t``: the DEM written raw (float64) as ``"surface"``, its nodata labelled."""
    r0, r1, c0, c1 = store.wins[t]
    z = np.array(read_dem(r0, r1, c0, c1), dtype=np.float64)
    if z.shape != (r1 - r0, c1 - c0):
        raise ValueError(f"read_dem gave {z.shape} cells for the window {(r0, r1, c0, c1)}")
    store.write("surface", t, z)
    data = data_mask(z, nodata)
    zmin = float(np.min(z, where=data, initial=np.inf))  # min - 1 is the same for -0.0 and 0.0
    if data.all():
        return _Scan(zmin, 0, None)
    labels, n = ndimage.label(~data, structure=_EIGHT)
    edges = Edges(labels[0].copy(), labels[-1].copy(), labels[:, 0].copy(), labels[:, -1].copy())
    return _Scan(zmin, int(n), edges)


def _on_raster_edge(store: TileStore, t: int, e: Edges) -> NDArray:
    """Labels of tile ``t``'s perimeter cells that lie on the raster's edge (zeros included)."""
    r0, r1, c0, c1 = store.wins[t]
    ny, nx = store.shape
    sides = ((e.top, r0 == 0), (e.bottom, r1 == ny), (e.left, c0 == 0), (e.right, c1 == nx))
    keep = [line for line, on_edge in sides if on_edge]
    return np.concatenate(keep) if keep else np.zeros(0, np.int32)


def _outside_labels(store: TileStore, scans: list[_Scan]) -> list[NDArray]:
    """Per tile, its nodata labels whose region (across tiles) touches the raster edge.

    Nodes are the distinct labels on each tile's perimeter (a label that does not reach its
    tile's edge is inside the tile, so an interior hole); edges join labels of touching cells of
    neighbouring tiles; a component is outside when one of its labels lies on the raster edge.
    """
    perim = [np.zeros(0, np.int32) if s.edges is None else np.setdiff1d(np.concatenate(s.edges), [0]) for s in scans]
    base = np.cumsum([0] + [len(p) for p in perim]).astype(np.int64)
    n = int(base[-1])
    if n == 0:
        return [np.zeros(0, np.int32) for _ in scans]
    src, dst = [], []
    for t, u, kind in tile_contacts(store):
        if scans[t].edges is None or scans[u].edges is None:
            continue
        a, b, i, j = touching(kind, scans[t].edges, scans[u].edges)
        la, lb = a[i], b[j]
        keep = (la > 0) & (lb > 0)
        src.append(base[t] + np.searchsorted(perim[t], la[keep]))
        dst.append(base[u] + np.searchsorted(perim[u], lb[keep]))
    src = np.concatenate(src) if src else np.zeros(0, np.int64)
    dst = np.concatenate(dst) if dst else np.zeros(0, np.int64)
    graph = sparse.coo_matrix((np.ones(len(src), np.int8), (src, dst)), shape=(n, n))
    _, comp = csgraph.connected_components(graph, directed=False)
    outside = np.zeros(comp.max() + 1, dtype=bool)
    for t, s in enumerate(scans):
        if s.edges is not None:
            lab = _on_raster_edge(store, t, s.edges)
            outside[comp[base[t] + np.searchsorted(perim[t], lab[lab > 0])]] = True
    return [perim[t][outside[comp[base[t] : base[t + 1]]]] for t in range(len(scans))]


def _finish_tile(store: TileStore, nodata: float | None, t: int, scan: _Scan, outside: NDArray, hole_z: float) -> None:
    """Second pass on tile ``t``: holes raised to ``hole_z`` [m], NaN outside; the masks written."""
    z = store.read("surface", t)
    data = data_mask(z, nodata)
    routable = data
    if scan.n_labels:
        labels, _ = ndimage.label(~data, structure=_EIGHT)  # the first pass's labels again
        inside = np.ones(scan.n_labels + 1, dtype=bool)
        inside[0] = False
        inside[outside] = False
        holes = inside[labels]
        if holes.any():
            routable = data | holes
            z[holes] = hole_z
    z[~routable] = np.nan
    store.write("surface", t, z)
    store.write("data", t, data.view(np.uint8))
    store.write("routable", t, routable.view(np.uint8))


def prepare_tiled(
    store: TileStore,
    read_dem: Callable[[int, int, int, int], NDArray],
    nodata: float | None,
    pool: Executor,
) -> None:
    """Write ``"surface"`` (float64 [m]), ``"data"`` and ``"routable"`` (uint8 0/1) of a DEM to ``store``.

    Each tile equals :func:`gepcalc.routing.fill.routable_surface` ``(dem, nodata, True)`` on the
    whole grid: interior nodata holes set to the lowest data cell of the whole DEM less 1 m, NaN
    outside the routable cells (data or holes).

    Two passes over the tiles in ``pool``: the first reads the DEM once (``read_dem`` may be a
    slow raster read) and writes it raw to ``"surface"``, keeping each tile's lowest data cell
    and the labels of its nodata regions on its perimeter; the second reads ``"surface"`` back
    from the store (cheaper than a second raster read), labels the tile's nodata again (the
    same labels: :func:`scipy.ndimage.label` is deterministic) and writes the three products.

    Parameters
    ----------
    store
        Where the products go; its shape is the DEM's.
    read_dem
        ``read_dem(r0, r1, c0, c1)`` gives the DEM's cells ``[r0:r1, c0:c1]`` [m] (any dtype);
        called once per tile, from the pool's threads.
    nodata
        Value marking missing cells (non-finite cells are missing too).
    pool
        Threads solving tiles.

    Raises
    ------
    ValueError
        If no cell holds data (``"surface"`` is dropped first).
    """
    scans = list(pool.map(lambda t: _scan_tile(store, read_dem, nodata, t), range(store.n_tiles)))
    zmin = min(s.zmin for s in scans)
    if not np.isfinite(zmin):
        store.drop("surface")
        raise ValueError("dem has no valid cell")
    hole_z = np.float64(zmin) - 1.0
    outside = _outside_labels(store, scans)
    n = store.n_tiles  # each task gets its own tile's scan and labels (they travel to a cluster's worker)
    list(pool.map(_finish_tile, [store] * n, [nodata] * n, range(n), scans, outside, [hole_z] * n))
