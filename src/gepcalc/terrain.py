"""Terrain for services: slope, flow accumulation and LS from a DEM raster, lazily.

Flow routing is global (a cell's upslope area can reach across the whole raster),
so the DEM is routed as one array (the kernels in :mod:`gepcalc.routing` are
numba-compiled; 4000 × 4000 cells take about 8 s and under 1 GB) when the account
first asks for a chunk of the result; the grid is kept for the rest of the account
and the chunks are slices of it, so the rest of the account stays chunked and the
routing runs once however many services and bands use it. Memory for this step
grows with the DEM, not the chunk size: about 60 bytes per cell while routing,
8 bytes per cell kept.
"""

from __future__ import annotations

import threading

import dask.array as dsa
import numpy as np
import xarray as xr
from dask.base import tokenize

from gepcalc import hydrology, routing
from gepcalc.errors import InputFileError
from gepcalc.services.base import Param, strip

#: the DEM input of every service that routes flow over the terrain (filled where it has holes)
DEM = Param(
    "dem",
    "m",
    "elevation (projected grid, square cells)",
    kinds=("raster",),
    example="400 m",
    fills_nodata=True,
)


def cell_size(da: xr.DataArray) -> float:
    """Side of the square cells [m] of a projected raster; lon/lat or rectangular cells are refused."""
    crs = da.rio.crs if hasattr(da, "rio") else None
    where = da.attrs.get("source", da.name)
    if crs is not None and crs.is_geographic:
        raise InputFileError(
            f"{where}: flow routing needs a projected grid with square cells in metres; "
            f"{crs.to_string()} is longitude/latitude (reproject the DEM and land cover, e.g. to UTM)"
        )
    dx = float(abs(da["x"].values[1] - da["x"].values[0]))
    dy = float(abs(da["y"].values[1] - da["y"].values[0]))
    if not np.isclose(dx, dy, rtol=1e-6):
        raise InputFileError(f"{where}: cells of {dx} × {dy} m are not square; flow routing needs square cells")
    return dx


def _routed(block: np.ndarray, size: float, whats: tuple[str, ...], l_max: float) -> dict[str, np.ndarray]:
    """The requested products of one routing of the whole DEM."""
    t = routing.terrain(block, size, values_in_holes=True)
    products = {"slope": t.slope, "accumulation": t.accumulation}
    if "ls" in whats:
        products["ls"] = hydrology.ls_from_terrain(t.slope, t.accumulation, size, l_max=l_max)
    return {w: products[w] for w in whats}


#: whole-grid routing results of the account being computed, by graph token (see :func:`routed`)
_CACHE: dict[str, dict[str, np.ndarray]] = {}
_LOCK = threading.Lock()


def clear_cache() -> None:
    """Forget routed grids (the account calls this when it is done)."""
    _CACHE.clear()


def routed(dem, what: str | tuple[str, ...], area=None, l_max: float = hydrology.L_MAX):
    """``slope`` [%], ``accumulation`` [cells] or ``ls`` [-] of a DEM [m]; a tuple of names gives a tuple.

    Interior nodata holes are routed through as flat lakes and get values (they
    "fill nodata"); nodata connected to the raster edge stays NaN. On a DataArray
    the result is lazy and chunked like the DEM; on plain or pint arrays (tests,
    the conformance kit) it is computed at once, the cell size taken from ``area``.
    Ask for several products in one call: they come from one routing.

    The lazy result's chunks do not depend on the DEM's chunks in the task graph:
    the first chunk asked for routes the whole DEM (reading it then) and keeps the
    grid in a small cache keyed by the graph's token, and the other chunks are
    slices of it. So an account summed band by band routes once, and the routing
    does not run while the chunks of every other input are held in memory.
    """
    whats = (what,) if isinstance(what, str) else tuple(what)
    if isinstance(dem, xr.DataArray):
        size = cell_size(dem)
        data = dem.data if isinstance(dem.data, dsa.Array) else dsa.from_array(dem.data)
        token = tokenize(data, whats, l_max, size)

        def block(name, block_info=None):
            loc = block_info[None]["array-location"]
            with _LOCK:  # two threads asking at once must not both route the grid
                if token not in _CACHE:
                    full = np.asarray(data.compute(scheduler="synchronous"), dtype="float64")
                    _CACHE[token] = _routed(full, size, whats, l_max)
            return _CACHE[token][name][loc[0][0] : loc[0][1], loc[1][0] : loc[1][1]]

        out = tuple(
            dem.copy(
                data=dsa.map_blocks(block, w, chunks=data.chunks, dtype="float64", name=f"routed-{w}-{token}")
            ).rename(w)
            for w in whats
        )
    else:
        z = np.asarray(strip(dem, "m"), dtype="float64")
        products = _routed(z, float(np.sqrt(np.mean(strip(area, "m**2")))), whats, l_max)
        out = tuple(products[w] for w in whats)
    return out[0] if isinstance(what, str) else out
