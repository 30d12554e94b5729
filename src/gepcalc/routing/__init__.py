"""Flow routing on a DEM: pit filling, slope, flow directions and accumulation.

Pure functions on numpy arrays: magnitudes in, magnitudes out, in the units each
docstring states in brackets. No file I/O and no pint here. The formulas that use
the routed terrain (LS, RUSLE, Budyko, water retention) are in :mod:`gepcalc.hydrology`.

These reproduce InVEST 3.20 (``natcap.invest`` 3.20.0 with ``pygeoprocessing`` 2.4):
pit filling, percent slope and multiple-flow-direction (MFD) flow accumulation as
``pygeoprocessing.routing`` computes them for InVEST's SDR, because accounts are
checked against InVEST within 1 %.

Routing is hand-written in a few numba kernels, because no maintained library
reproduces pygeoprocessing's routing: its MFD quantises proportions to 4 bits and
drains plateaus by distance to their outlet, and its D8 breaks ties on plateaus by
its tile traversal order (pyflwdir, pysheds and others differ on both). The
kernels are ports of ``fill_pits`` (as a priority-flood, Wang & Liu 2006, Barnes
et al. 2014: same surface, every pit raised flat to its lowest pour point),
``calculate_slope``, ``flow_dir_mfd`` / ``flow_accumulation_mfd`` and
``flow_dir_d8`` / ``flow_accumulation_d8``. On the Willamette DEM of InVEST's
sample data and on a 4000 × 4000 synthetic DEM they give InVEST's filled DEM and
accumulation bit for bit, and its slope and LS to float32 rounding (largest
relative LS difference 1e-6).

Nodata. Cells equal to ``nodata`` or not finite are outside the data. Nodata
regions connected to the raster edge are outside the domain: cells next to them
drain out of it, as in InVEST. Nodata *holes* (not connected to the edge) are, by
default (``route_through_holes=True``), treated as land of unknown elevation that
holds water like a lake: they are filled flat to their spill level, what flows
into them leaves at the lowest point of their rim, and their own area counts in
the accumulation; their outputs are NaN. With ``route_through_holes=False`` holes
are outlets that take the water out of the domain, as in InVEST.

The package: :mod:`~gepcalc.routing.whole_grid` (:func:`terrain`, :func:`flow_accumulation`),
:mod:`~gepcalc.routing.fill` (priority-flood), :mod:`~gepcalc.routing.percent_slope`,
:mod:`~gepcalc.routing.mfd` and :mod:`~gepcalc.routing.d8` (directions and accumulation), and
the shared pieces :mod:`~gepcalc.routing.neighbours`, :mod:`~gepcalc.routing.masks` and
:mod:`~gepcalc.routing.buffers` (the kernels' heap). This ``__init__`` only re-exports.
"""

from __future__ import annotations

from gepcalc.routing.buffers import heap_pop, heap_push
from gepcalc.routing.fill import fill_depressions
from gepcalc.routing.masks import data_mask, interior_holes
from gepcalc.routing.mfd import mfd_directions
from gepcalc.routing.neighbours import DCOL, DROW
from gepcalc.routing.percent_slope import slope, slope_on
from gepcalc.routing.whole_grid import Method, Terrain, contributing_area, flow_accumulation, terrain

__all__ = [
    "DCOL",
    "DROW",
    "Method",
    "Terrain",
    "contributing_area",
    "data_mask",
    "fill_depressions",
    "flow_accumulation",
    "heap_pop",
    "heap_push",
    "interior_holes",
    "mfd_directions",
    "slope",
    "slope_on",
    "terrain",
]
