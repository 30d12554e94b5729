"""Terrain for services: slope, flow accumulation and LS from a DEM raster, lazily.

Flow routing is global (a cell's upslope area can reach across the whole raster),
so the DEM is routed as one problem when the account first asks for a chunk of the
result. A DEM with more than :data:`TILE` rows or columns is routed tile by tile
(:func:`gepcalc.tiles.route_tiled`, Barnes 2016/2017; tiles solved in parallel threads, the
same result bit for bit) into a :class:`~gepcalc.tiles.TileStore` of temporary files, its
DEM read window by window: no grid of the whole raster is held (:class:`StoredProducts`
reads the chunks back, LS computed per window). A smaller DEM, or a DEM already in memory,
goes through the whole-grid kernels of :mod:`gepcalc.routing`. The chunks of the lazy result
are windows of the routed products, so the rest of the account stays chunked and the
routing runs once however many services and bands use it.

The task graph is picklable and holds no lock, cache or closure: one routing task
(key ``routing-<token>``, :func:`_route`, a module-level function) reads the DEM
itself, and one task per chunk (key ``routed-<what>-<token>``) slices its result.
Each lazy result gets its own token (a fresh :func:`uuid.uuid4` in it), so two
accounts never share a routed grid, whatever threads or processes run them. In one
process the routed grid is kept under that token until the account is done
(:func:`forget`), or until no task graph holds the routing task, so the bands of the
zonal sum route once; on a dask.distributed cluster the account computes the routing
task first and keeps it as a future, so the cluster routes once, and the bands reuse it (see
:mod:`gepcalc.zonal`). There the tiles of a large DEM are spread over the workers, their
store in a folder every worker sees (:meth:`RoutingJob.run_on_cluster`; without one, the whole
grid is routed in memory on one worker), and the account removes the store when done
(:func:`release`).
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import threading
import uuid
import weakref

import dask.array as dsa
import numpy as np
import xarray as xr
from dask.base import tokenize
from dask.highlevelgraph import HighLevelGraph

from gepcalc import hydrology, routing, tiles
from gepcalc.errors import InputFileError
from gepcalc.units import strip

log = logging.getLogger(__name__)

#: prefix of the routing tasks' keys in a dask graph (one task per routed DEM)
ROUTING_PREFIX = "routing-"


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


#: tile side [cells] of the tiled routing (:mod:`gepcalc.tiles`, the same result bit for bit), used
#: for DEMs with more than ``TILE`` rows or columns: routed tile by tile into files, never holding a
#: grid of the whole DEM (docs/benchmarks.md, "Out-of-core tiled routing"). None: always the
#: whole-grid kernels of :mod:`gepcalc.routing` (about 40 bytes a cell in memory)
TILE: int | None = tiles.DEFAULT_TILE


def _routed(
    block: np.ndarray, size: float, whats: tuple[str, ...], l_max: float, *, overwrite: bool = False
) -> dict[str, np.ndarray]:
    """The requested products of one routing of the whole DEM held in memory (whole-grid kernels).

    ``overwrite``: ``block`` was read for this call only (a float64 array nobody else holds); it
    is filled in place instead of copied and freed, with the filled surface, before the LS factor
    is computed: the routing's peak is 16 bytes a cell lower (docs/benchmarks.md). A DEM already
    in memory gains nothing from the tiles' files; lazy DEMs larger than :data:`TILE` are routed
    tile by tile by :meth:`RoutingJob.run`.
    """
    t = routing.terrain(block, size, values_in_holes=True, overwrite=overwrite)
    del block
    products = {"slope": t.slope, "accumulation": t.accumulation}
    del t  # the filled surface is not a product
    if "ls" in whats:
        products["ls"] = hydrology.ls_from_terrain(products["slope"], products["accumulation"], size, l_max=l_max)
    return {w: products[w] for w in whats}


class StoredProducts:
    """The products of a tiled routing, kept in its :class:`~gepcalc.tiles.TileStore` and read window by window.

    Slope [%] and accumulation [cells] are read from the store; LS [-] is computed on each window
    from them (it is cell by cell, so the same bits as on the whole grid).
    """

    def __init__(self, store: tiles.TileStore, size: float, l_max: float):
        self.store = store
        self.size = size
        self.l_max = l_max

    def window(self, what: str, r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
        """Cells ``[r0:r1, c0:c1]`` of product ``what`` (``slope``, ``accumulation`` or ``ls``)."""
        if what == "ls":
            slope, acc = (self.store.read_window(w, r0, r1, c0, c1) for w in ("slope", "accumulation"))
            return hydrology.ls_from_terrain(slope, acc, self.size, l_max=self.l_max)
        return self.store.read_window(what, r0, r1, c0, c1)

    def close(self) -> None:
        """Close the store's files (and remove them, unless the store was detached)."""
        self.store.close()

    def remove(self) -> None:
        """Remove the store's files, wherever this copy was unpickled (:func:`release`)."""
        self.store.remove()


class RoutingJob:
    """What one routing task needs: the lazy DEM, the cell size [m], the products, ``l_max`` and the tile.

    A plain picklable object, so that dask does not take the DEM's own chunks as
    dependencies of the task (the task reads the DEM when it runs; a band of the
    account that finds the grid already routed reads nothing). ``tile`` is :data:`TILE` when
    the graph was built (a worker process has its own module).
    """

    def __init__(
        self, token: str, dem: dsa.Array, size: float, whats: tuple[str, ...], l_max: float, tile: int | None = None
    ):
        self.token = token
        self.dem = dem
        self.size = size
        self.whats = whats
        self.l_max = l_max
        self.tile = tile

    def __dask_tokenize__(self):
        return self.token

    def tiled(self) -> bool:
        """Whether the DEM is routed tile by tile (more than ``tile`` rows or columns)."""
        return self.tile is not None and max(self.dem.shape) > self.tile

    def run(self, *, in_memory: bool = False, executor=None, workers: int | None = None):
        """Route the DEM: tile by tile into a store when :meth:`tiled`, else in memory.

        ``in_memory``: route the whole grid in memory and return arrays. ``executor``: where
        the tiles are solved, ``workers``: this process's threads (see :func:`gepcalc.tiles.route_tiled`).
        """
        if in_memory or not self.tiled():
            return _routed(self.read(), self.size, self.whats, self.l_max, overwrite=True)
        store = tiles.route_tiled(
            self.read_window,
            self.dem.shape,
            self.size,
            tile=self.tile,
            values_in_holes=True,
            products=("slope", "accumulation"),
            workers=workers,
            executor=executor,
        )
        return StoredProducts(store, self.size, self.l_max)

    def run_on_cluster(self) -> dict[str, np.ndarray] | StoredProducts:
        """Route on a dask.distributed worker: tiles spread over the cluster when its workers share a folder.

        The tiles' store must be read by the tasks that slice it, on any worker: it goes to
        ``$GEPCALC_TMPDIR`` (or the temporary folder), and is used only if every worker sees the
        same folder there (a probe directory is made and looked for on each). Otherwise the whole
        grid is routed in memory on this worker, with a warning. The store outlives this task: the
        account removes it when done (:func:`release`).
        """
        if not self.tiled():
            return self.run(in_memory=True)
        from distributed import worker_client

        with worker_client() as client:
            if not _shared_folder(client):
                log.warning(
                    "the workers do not share %s (set %s to a folder on a shared file system): the DEM of %d × %d "
                    "cells is routed whole, in the memory of one worker",
                    os.environ.get(tiles.store.TMPDIR_ENV) or tempfile.gettempdir(),
                    tiles.store.TMPDIR_ENV,
                    *self.dem.shape,
                )
                return self.run(in_memory=True)
            out = self.run(executor=client.get_executor(pure=False))
        out.store.detach()
        return out

    def read_window(self, r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
        """The DEM's cells ``[r0:r1, c0:c1]`` [m] (read synchronously, in this task)."""
        return np.asarray(self.dem[r0:r1, c0:c1].compute(scheduler="synchronous"))

    def read(self) -> np.ndarray:
        """The DEM [m] as a float64 array held by nobody else (copied where it may be shared).

        A view (e.g. of a numpy-backed DataArray's data) or an array the graph still holds (a
        persisted chunk) is copied, so that routing in place never changes the caller's DEM.
        """
        grid = np.asarray(self.dem.compute(scheduler="synchronous"), dtype="float64")
        if grid.base is not None or sys.getrefcount(grid) > 2:  # 2: `grid` and getrefcount's argument
            grid = grid.copy()
        return grid


#: routed grids of the accounts being computed in this process, by token (see :func:`forget`)
_KEPT: dict[str, dict[str, np.ndarray]] = {}
_KEPT_LOCK = threading.Lock()  # guards _KEPT and _TOKEN_LOCKS; never part of a task graph
_TOKEN_LOCKS: dict[str, threading.Lock] = {}


def _on_worker() -> bool:
    """True inside a task on a dask.distributed worker (where the cluster keeps results)."""
    try:
        from distributed import get_worker
    except ImportError:  # pragma: no cover - distributed is optional
        return False
    try:
        get_worker()
    except ValueError:
        return False
    return True


def _route(job: RoutingJob) -> dict[str, np.ndarray]:
    """The routing task: route ``job``'s DEM once per token in this process (thread-safe).

    On a distributed worker the result is returned, not kept: the scheduler holds it
    as long as the account's futures do.
    """
    if _on_worker():  # the tiles over the cluster, or the whole grid in memory (see RoutingJob.run_on_cluster)
        return job.run_on_cluster()
    with _KEPT_LOCK:
        lock = _TOKEN_LOCKS.setdefault(job.token, threading.Lock())
    with lock:  # two threads asking at once must not both route the grid
        products = _KEPT.get(job.token)
        if products is None:
            from gepcalc.progress import phase

            with phase("routing the DEM 汇流"):  # the bar shown says so while the grid is routed (CLI)
                products = job.run()
            with _KEPT_LOCK:
                if job.token in _TOKEN_LOCKS:  # not forgotten meanwhile
                    _KEPT[job.token] = products
    return products


def _shared_folder(client) -> bool:
    """Whether every worker of ``client``'s cluster sees this worker's folder for the tiles (a probe directory)."""
    where = os.environ.get(tiles.store.TMPDIR_ENV) or tempfile.gettempdir()
    try:
        probe = tempfile.mkdtemp(prefix="gepcalc-probe-", dir=where)
    except OSError:
        return False
    try:
        return all(client.run(os.path.isdir, probe).values())
    finally:
        os.rmdir(probe)


def _remove_stored(products) -> None:
    """Remove a tiled routing's files (a task run on any worker: they share the folder)."""
    if isinstance(products, StoredProducts):
        products.remove()


def release(client, futures) -> None:
    """After an account on a dask.distributed cluster: remove the files of its routings held as ``futures``.

    A routing's tiles on a cluster are kept in a shared folder while the account's bands read
    them (:meth:`RoutingJob.run_on_cluster`); a failed routing leaves nothing to remove. A lazy
    result of :func:`routed` computed on a cluster outside an account leaves its folder in
    ``$GEPCALC_TMPDIR`` unless its routing task is held and released this way (as
    ``benchmarks/bench_scale.py`` does).
    """
    done = [client.submit(_remove_stored, f, pure=False) for f in futures]
    client.gather(done, errors="skip")


def _take(
    products: dict[str, np.ndarray] | StoredProducts, what: str, r0: int, r1: int, c0: int, c1: int
) -> np.ndarray:
    """One chunk of a routed product."""
    if isinstance(products, StoredProducts):
        return products.window(what, r0, r1, c0, c1)
    return products[what][r0:r1, c0:c1]


def forget(tokens=None) -> None:
    """Drop the routed grids kept under ``tokens`` (all when None) in this process."""
    with _KEPT_LOCK:
        tokens = list(_TOKEN_LOCKS) if tokens is None else tokens
        dropped = [_KEPT.pop(t, None) for t in tokens]
        for t in tokens:
            _TOKEN_LOCKS.pop(t, None)
    for products in dropped:
        if isinstance(products, StoredProducts):
            products.close()


def clear_cache() -> None:
    """Forget every routed grid kept in this process."""
    forget()


def routing_keys(collection) -> list[str]:
    """Keys of the routing tasks in a dask collection's graph (``routing-<token>``)."""
    graph = collection.__dask_graph__()
    if graph is None:
        return []
    layers = graph.layers if isinstance(graph, HighLevelGraph) else {k: None for k in graph}
    return sorted(str(name) for name in layers if str(name).startswith(ROUTING_PREFIX))


def token_of(key: str) -> str:
    """The token of a routing key."""
    return key[len(ROUTING_PREFIX) :]


def routed(dem, what: str | tuple[str, ...], area=None, l_max: float = hydrology.L_MAX):
    """``slope`` [%], ``accumulation`` [cells] or ``ls`` [-] of a DEM [m]; a tuple of names gives a tuple.

    Interior nodata holes are routed through as flat lakes and get values (they
    "fill nodata"); nodata connected to the raster edge stays NaN. On a DataArray
    the result is lazy and chunked like the DEM; on plain or pint arrays (tests,
    the conformance kit) it is computed at once, the cell size taken from ``area``.
    Ask for several products in one call: they come from one routing.

    The lazy result's chunks do not depend on the DEM's chunks in the task graph:
    they slice the result of one routing task, which reads the DEM when it runs
    (see the module notes for how it is kept once per account).
    """
    whats = (what,) if isinstance(what, str) else tuple(what)
    if isinstance(dem, xr.DataArray):
        size = cell_size(dem)
        data = dem.data if isinstance(dem.data, dsa.Array) else dsa.from_array(dem.data)
        token = tokenize(data, whats, l_max, size, uuid.uuid4().hex)
        route = f"{ROUTING_PREFIX}{token}"
        job = RoutingJob(token, data, size, whats, l_max, TILE)
        # the grid kept under this token goes when no graph holds the job any more (a lazy result
        # computed outside an account, which does not call forget)
        weakref.finalize(job, forget, [token])
        rows = np.cumsum((0, *data.chunks[0]))
        cols = np.cumsum((0, *data.chunks[1]))
        out = []
        for w in whats:
            name = f"routed-{w}-{token}"
            tasks = {
                (name, i, j): (_take, route, w, int(rows[i]), int(rows[i + 1]), int(cols[j]), int(cols[j + 1]))
                for i in range(len(rows) - 1)
                for j in range(len(cols) - 1)
            }
            graph = HighLevelGraph({route: {route: (_route, job)}, name: tasks}, {route: set(), name: {route}})
            arr = dsa.Array(graph, name, chunks=data.chunks, dtype="float64")
            out.append(dem.copy(data=arr).rename(w))
        out = tuple(out)
    else:
        z = np.asarray(strip(dem, "m"), dtype="float64")
        products = _routed(z, float(np.sqrt(np.mean(strip(area, "m**2")))), whats, l_max)
        out = tuple(products[w] for w in whats)
    return out[0] if isinstance(what, str) else out
