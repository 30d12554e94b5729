"""Tiled flow routing: pit filling and MFD accumulation tile by tile, equal to the whole-grid routing.

The whole-grid kernels of :mod:`gepcalc.routing` hold the DEM and all their work arrays at
once (about 50 bytes a cell). Here the DEM is cut into square tiles, each tile is solved on
its own (tiles run in parallel threads, where the numba kernels release the GIL, or as tasks
on the workers of a dask.distributed cluster sharing the store's folder), a small graph of
what crosses the tile edges is solved globally, and a second local pass finishes each tile,
after Barnes (2016, *Parallel priority-flood depression filling for trillion cell digital
elevation models*, Computers & Geosciences 96: 56–68) and Barnes (2017, *Parallel
non-divergent flow accumulation for trillion cell digital elevation models on desktops or
clusters*, Environmental Modelling & Software 92: 202–212).

1. **Pit filling** (Barnes 2016). Each tile is flooded from its perimeter and from the cells
   that drain out of the DEM (raster edge or nodata next to them: the "ocean"); every perimeter
   cell starts a watershed label, and where two labels meet (inside a tile, or across a tile
   edge) the spill elevation ``max(z_a, z_b)`` is an edge of a graph of labels. The minimax path
   from the ocean over that graph (a union-find over the spills sorted by level) gives each label its
   spill level ``E``, and the filled surface
   is ``F = max(F_tile, E[label])``. ``F`` is the minimax surface (the lowest surface from which
   every cell drains out), a maximum of input elevations, so it equals the whole-grid
   priority-flood bit for bit.
2. **MFD directions** are local (3 × 3) except on flats. Each tile is solved with a margin of
   16 cells by the whole-grid kernel; a flat (8-connected cells of equal filled height) that reaches
   the margin's border may continue beyond it, so it is resolved across the tiles
   (:mod:`~gepcalc.tiles.flats`): its parts joined over tile edges, each cell's distance to the
   flat's drains relaxed in rounds of tiles (the smallest path sum, the same float whatever the
   order), then its cells' directions rewritten as the whole-grid kernel gives them.
3. **Accumulation** ``A_i = 1 + Σ_j A_j q_ji / Σ_k q_jk`` (:func:`gepcalc.routing.terrain`) in
   rounds: a tile computes every cell whose upslope cells are known (its own, or its halo's
   from the neighbouring tiles' last round) and leaves the others pending; rounds repeat until
   no cell is pending (the directions form a DAG, so each round finishes the cells of at least
   one more tile crossing). Each cell is computed once, from its final inputs, in the kernel's
   neighbour order, so the result equals the whole-grid accumulation bit for bit (Barnes 2017
   solves the tile-edge graph for D8 in one exchange; MFD splits flow, so rounds are used here).
4. Slope and LS are local (slope: 3 × 3 on the filled surface with a one-cell halo).

Memory: no grid of the whole DEM is held. Every per-cell product lives in a
:class:`~gepcalc.tiles.store.TileStore` (one file per product, one slot per tile, read and
written with ``pread``/``pwrite``, the tiles' edges in files of their own); each thread holds one
tile and its halo, and what crosses tile edges (the edges of each tile, the spill graph of the
watershed labels, the labels of flats on tile perimeters) is proportional to the tiles'
perimeters; a flat as large as the grid costs rounds, not memory. The DEM is read window by window (``read_dem``).

The package: :mod:`~gepcalc.tiles.pipeline` (:func:`route_tiled` into a store,
:func:`tiled_terrain` in memory, :data:`DEFAULT_TILE`), the passes
:mod:`~gepcalc.tiles.prepare`, :mod:`~gepcalc.tiles.fill`, :mod:`~gepcalc.tiles.directions` (with
:mod:`~gepcalc.tiles.flats`) and :mod:`~gepcalc.tiles.accumulate`, the store :mod:`~gepcalc.tiles.store`, and
:mod:`~gepcalc.tiles.layout` (tile windows and halos). This ``__init__`` only re-exports.
"""

from __future__ import annotations

from gepcalc.tiles.accumulate import accumulate_tiled
from gepcalc.tiles.directions import directions_tiled
from gepcalc.tiles.fill import fill_tiled
from gepcalc.tiles.pipeline import DEFAULT_TILE, PRODUCTS, route_tiled, tiled_terrain
from gepcalc.tiles.prepare import prepare_tiled
from gepcalc.tiles.store import TileStore

__all__ = [
    "DEFAULT_TILE",
    "PRODUCTS",
    "TileStore",
    "accumulate_tiled",
    "directions_tiled",
    "fill_tiled",
    "prepare_tiled",
    "route_tiled",
    "tiled_terrain",
]
