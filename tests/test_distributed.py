"""The same account on threads, processes and a dask.distributed cluster (issue 18, issue 15 point 7).

An account with soil retention routes a DEM; its graph must pickle (no lock, cache or
closure in it), the cluster must route once (not once per chunk or band), and accounts run
side by side in threads or processes must not share a routed grid. Every comparison is
exact (``np.array_equal``): the same kernels on the same chunks give the same bits.
"""

from __future__ import annotations

import gc
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import cloudpickle
import numpy as np
import pytest

import gepcalc as gep
from conftest import write_raster
from gepcalc import terrain, zonal

distributed = pytest.importorskip("distributed")

N = 48  # 48 × 48 cells of 100 m; chunks of 16 -> 9 chunks, bands of 4 chunks -> 3 bands


def _inputs(tmp: Path) -> tuple[Path, dict]:
    rng = np.random.default_rng(18)
    codes = np.where(rng.random((N, N)) < 0.7, 2, 10).astype("uint8")  # forest / grassland
    lc = write_raster(tmp / "lc.tif", codes, nodata=255)
    yy, xx = np.mgrid[0:N, 0:N]
    z = (N - yy) * 3.0 + 5.0 * np.sin(xx / 5.0) + rng.random((N, N))
    z[20:24, 14:19] -= 20.0  # a pit across the chunk border at column 16
    z[30, 10] = -9999.0  # an interior nodata hole
    z[38:44, 3:45] -= 60.0  # a long pit: filled, a flat across three tiles of 16 and beyond their margins
    dem = write_raster(tmp / "dem.tif", z.astype("float32"), nodata=-9999.0)
    inputs = {
        "dem": {"raster": str(dem), "unit": "m"},
        "erosivity": "2000 MJ*mm/ha/hr/yr",
        "erodibility": "0.03 t*ha*hr/ha/MJ/mm",
        "cover_factor": {"unit": "", "values": {"forest": 0.006, "grassland": 0.04}},
        "soil_bulk_density": "1.125 t/m**3",
        "dredging_cost": "12.6 CNY/m**3",
    }
    return lc, inputs


def _soil(lc: Path, inputs: dict, erosivity: float = 2000.0, chunks: int = 16) -> np.ndarray:
    """Soil retention [t/yr] by region × type of one account."""
    acct = gep.account(
        lc,
        services=["soil_retention"],
        inputs=inputs | {"erosivity": f"{erosivity} MJ*mm/ha/hr/yr"},
        chunks=chunks,
    )
    return acct.data["quantity"].values


def _open_files(under: str) -> list[str]:
    """The files under ``under`` this process holds open (Linux)."""
    import os

    fds = "/proc/self/fd"
    out = []
    for fd in os.listdir(fds) if os.path.isdir(fds) else []:
        try:
            target = os.readlink(f"{fds}/{fd}")
        except OSError:
            continue
        if target.startswith(under):
            out.append(target)
    return out


def _soil_args(args) -> np.ndarray:
    return _soil(*args)


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    lc, inputs = _inputs(tmp_path_factory.mktemp("dist"))
    return lc, inputs, _soil(lc, inputs)


def test_bands_hold_a_fixed_number_of_chunks():
    # 10 chunk rows × 3 chunk columns of 100 px: 3 chunks a row, 4 per band -> one row a band (10 bands)
    chunks = ((100,) * 10, (100,) * 3)
    b = zonal.bands(chunks, per_band=4)
    assert len(b) == 10 and b[0] == (slice(0, 100), slice(0, 300))
    # 2 chunks a row -> 2 rows a band: 5 bands of 200 rows
    b = zonal.bands(((100,) * 10, (100, 100)), per_band=4)
    assert [r for r, _ in b] == [slice(i, i + 200) for i in range(0, 1000, 200)]
    # 10 chunks a row -> runs of 4, 4, 2 chunks along each row: 3 bands per row, 30 in all
    b = zonal.bands(((100,) * 10, (100,) * 10), per_band=4)
    assert len(b) == 30 and b[2] == (slice(0, 100), slice(800, 1000))
    # the band does not grow with the raster: never more than 4 chunks of pixels
    for n in (4, 40, 400):
        for rows, cols in zonal.bands(((100,) * n, (100,) * n), per_band=4):
            assert (rows.stop - rows.start) * (cols.stop - cols.start) <= 4 * 100 * 100


def test_routed_graph_pickles_without_locks(case):
    _lc, inputs, _ = case
    dem = gep.io.open_raster(inputs["dem"]["raster"], chunks=16)
    ls = terrain.routed(dem, "ls")
    graph = dict(ls.data.__dask_graph__())
    cloudpickle.loads(cloudpickle.dumps(graph))  # a threading.Lock anywhere in it would raise
    pickle.dumps(terrain.RoutingJob("t", None, 30.0, ("ls",), 122.0))  # plain pickle too
    keys = terrain.routing_keys(ls.data)
    assert len(keys) == 1  # one routing task for the 9 chunks
    # two lazy results of the same DEM never share a token (so never a routed grid)
    assert terrain.routing_keys(terrain.routed(dem, "ls").data) != keys


def test_local_cluster_of_two_processes_equals_threads(case):
    lc, inputs, expected = case
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster),
        distributed.get_task_stream() as ts,
    ):
        got = _soil(lc, inputs)
    assert np.array_equal(got, expected, equal_nan=True)
    assert np.nansum(expected) > 0
    # the DEM was routed once on the cluster, not once per chunk (9) or band (3)
    assert sum(str(t["key"]).startswith("('routing-") or str(t["key"]).startswith("routing-") for t in ts.data) == 1


def test_local_cluster_spreads_the_tiles_over_its_workers(case, tmp_path, monkeypatch):
    # tiles of 16 cells: the 48 × 48 DEM is 3 × 3 tiles, solved by tasks on both workers, in a
    # folder they share (GEPCALC_TMPDIR, inherited by the worker processes); same bits as threads
    lc, inputs, expected = case
    monkeypatch.setattr(terrain, "TILE", 16)
    monkeypatch.setenv("GEPCALC_TMPDIR", str(tmp_path))
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
        distributed.get_task_stream() as ts,
    ):
        got = _soil(lc, inputs)
        gc.collect()
        open_files = client.run(_open_files, str(tmp_path))
    assert not any(open_files.values()), open_files  # no worker keeps a tile file open (its disk space)
    assert np.array_equal(got, expected, equal_nan=True)
    routing = [t for t in ts.data if "routing-" in str(t["key"])]
    assert len(routing) == 1  # one routing task, which handed its tiles to the cluster
    per_tile = ("slope_of", "mask", "_finish_tile", "_raise_tile", "_scan", "lambda", "_distances", "_rewrite")
    tile_tasks = [t for t in ts.data if str(t["key"]).split("-")[0] in per_tile]
    count = {name: sum(str(t["key"]).split("-")[0] == name for t in tile_tasks) for name in per_tile}
    # a task per tile in each pass outside the accumulation (its rounds run on the routing task's
    # threads): three of them lambdas (scan, flood, directions); and the long pit's flat, which
    # leaves the tiles' margins, resolved across the tiles on the cluster too
    assert [count[name] for name in per_tile[:6]] == [9, 9, 9, 9, 9, 27], count
    assert count["_distances"] >= 3 and count["_rewrite"] >= 3, count
    assert len({t["worker"] for t in tile_tasks}) == 2  # on both workers
    assert not list(tmp_path.glob("gepcalc-*"))  # the tiles' folder is removed after the account


def test_workers_without_a_shared_folder_route_the_whole_grid_on_one(case, tmp_path, monkeypatch, caplog):
    # a folder one worker cannot see: the probe says so, and the routing falls back to the whole
    # grid in memory on one worker, with a warning naming GEPCALC_TMPDIR (an in-process cluster, so
    # that the probe can be patched)
    class Client:
        def __init__(self, seen):
            self.seen = seen

        def run(self, fn, path):
            return {w: fn(path) and ok for w, ok in self.seen.items()}

    monkeypatch.setenv("GEPCALC_TMPDIR", str(tmp_path))
    assert terrain._shared_folder(Client({"a": True, "b": True}))
    assert not terrain._shared_folder(Client({"a": True, "b": False}))
    assert not list(tmp_path.iterdir())  # the probe is removed
    lc, inputs, expected = case
    monkeypatch.setattr(terrain, "TILE", 16)
    monkeypatch.setattr(terrain, "_shared_folder", lambda client: False)
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster,
        distributed.Client(cluster),
        caplog.at_level("WARNING", logger="gepcalc.terrain"),
    ):
        got = _soil(lc, inputs)
    assert np.array_equal(got, expected, equal_nan=True)
    assert "GEPCALC_TMPDIR" in caplog.text and "routed whole" in caplog.text


def test_accounts_in_threads_and_processes_equal_one_at_a_time(case):
    # issue 15 point 7: fifty accounts one at a time, in 4 threads and in 2 processes; each account its
    # own erosivity, so an account that used another's routed grid or sums would show
    lc, inputs, _ = case
    erosivity = [1000.0 + 100.0 * i for i in range(50)]
    kept_before = set(terrain._KEPT)
    one_by_one = [_soil(lc, inputs, r) for r in erosivity]
    # soil retention is linear in R: the sums scale by R (by hand: R_i / R_0)
    for r, q in zip(erosivity, one_by_one, strict=True):
        np.testing.assert_allclose(q, one_by_one[0] * r / erosivity[0], rtol=1e-12)
    with ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(lambda r: _soil(lc, inputs, r), erosivity))
    # spawn, not fork: a forked child inherits the parent's dask and numba threads mid-state and can hang
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        processes = list(pool.map(_soil_args, [(lc, inputs, r) for r in erosivity]))
    for a, b, c in zip(one_by_one, threaded, processes, strict=True):
        assert np.array_equal(a, b, equal_nan=True)
        assert np.array_equal(a, c, equal_nan=True)
    gc.collect()
    assert set(terrain._KEPT) <= kept_before  # every account dropped its routed grid


def test_threaded_account_routes_once_and_forgets(case, monkeypatch):
    # 9 chunks summed in 3 bands: one routing, and nothing kept once the account is done
    lc, inputs, expected = case
    runs = []
    run = terrain.RoutingJob.run
    monkeypatch.setattr(terrain.RoutingJob, "run", lambda job: runs.append(job.token) or run(job))
    kept_before = set(terrain._KEPT)
    assert np.array_equal(_soil(lc, inputs), expected, equal_nan=True)
    assert len(runs) == 1
    assert runs[0] not in terrain._KEPT and set(terrain._KEPT) <= kept_before
