"""Zonal sums: every service's per-pixel quantity by region × ecosystem type, in one pass, and the area.

The account's summing stage (DESIGN.md, step 5): flox reduces all services over one integer
grouper (region × ecosystem cell), one band of chunk rows at a time, so the raster is read once
and memory is bounded by the band, not the raster. NaN is not skipped: a missing input stays NaN
in its region × type, for the account to name it.  The area of each cell comes from the
landscape's class areas (:meth:`gepcalc.landscape.Landscape.type_areas`), not from the pass.
"""

from __future__ import annotations

import contextlib
import warnings
from typing import Protocol

import dask
import numpy as np
import pandas as pd
import rasterio
import xarray as xr
from flox.xarray import xarray_reduce

from gepcalc import terrain
from gepcalc.io import CHUNK_PIXELS
from gepcalc.landscape import Landscape, cell_of

#: GDAL's block cache during the account [MB]; its default (5 % of RAM) kept decompressed tiles
#: of every input raster and added over 100 MB on 4000² accounts without making them faster
GDAL_CACHE_MB = 64

#: chunks summed at once (one band): a fixed number, so that memory is bounded by the chunk size
#: whatever the raster's size (it was a quarter of the raster, issue 18); 4 chunks of 1024² pixels
#: keep both cores busy and give the 4000² bands of before
BAND_CHUNKS = 4


def band_chunks(chunks: tuple[tuple[int, ...], tuple[int, ...]]) -> int:
    """Chunks per band: :data:`BAND_CHUNKS` chunks of the default size, i.e. a band of about
    ``BAND_CHUNKS × CHUNK_PIXELS`` pixels whatever the chunks' size (small chunks, e.g. a test's or a
    tiny raster's, would otherwise make hundreds of bands and as many computations)."""
    largest = max(chunks[0]) * max(chunks[1])
    return max(BAND_CHUNKS, (BAND_CHUNKS * CHUNK_PIXELS) // max(largest, 1))


def bands(chunks: tuple[tuple[int, ...], tuple[int, ...]], per_band: int = BAND_CHUNKS) -> list[tuple[slice, slice]]:
    """Windows (rows, columns) of at most ``per_band`` chunks that tile the grid, row-major.

    Whole chunk rows when a chunk row has at most ``per_band`` chunks (several rows per band),
    else runs of ``per_band`` chunks along one chunk row.
    """
    rows = np.cumsum((0, *chunks[0]))
    cols = np.cumsum((0, *chunks[1]))
    n_rows, n_cols = len(rows) - 1, len(cols) - 1
    per_band = max(1, int(per_band))
    if n_cols <= per_band:
        step = max(1, per_band // n_cols)
        return [
            (slice(int(rows[i]), int(rows[min(i + step, n_rows)])), slice(0, int(cols[-1])))
            for i in range(0, n_rows, step)
        ]
    return [
        (slice(int(rows[i]), int(rows[i + 1])), slice(int(cols[j]), int(cols[min(j + per_band, n_cols)])))
        for i in range(n_rows)
        for j in range(0, n_cols, per_band)
    ]


def active_client():
    """The dask.distributed client that ``.compute()`` would use now, or None (threads, processes)."""
    import dask.base

    sched = dask.base.get_scheduler()
    owner = getattr(sched, "__self__", None)
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - distributed is optional
        return None
    return owner if isinstance(owner, Client) else None


def bounded_gdal_cache(mb: int | None = None) -> rasterio.Env:
    """A context in which GDAL's block cache is at most ``mb`` [MB] (default :data:`GDAL_CACHE_MB`).

    GDAL's default cache (5 % of RAM) keeps decoded blocks of every raster read and is the only
    part of an account without routing whose memory grows with the raster (up to that 5 %:
    issue 18, docs/benchmarks.md). Everything that reads the inputs (the input checks as well as
    the zonal pass) should run inside it.
    """
    return rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB if mb is None else int(mb))


def _gdal_cache_on_worker(mb: int) -> None:
    """Set GDAL's block cache [MB] in a worker process (before its first read)."""
    import os

    os.environ["GDAL_CACHEMAX"] = str(int(mb))


def on_grid(q, land: Landscape) -> xr.DataArray:
    """Broadcast a service result onto the land-cover grid (chunked like it); extra dims (``item``) first."""
    template = land.ecosystem
    if not isinstance(q, xr.DataArray) or not set(template.dims) <= set(q.dims):
        q = xr.zeros_like(template, dtype="float64") + q
    if q.chunks is None:
        q = q.chunk(dict(zip(template.dims, template.chunks, strict=True)) if template.chunks else {})
    return q.transpose(..., *template.dims).astype("float64")


def accounted(land: Landscape) -> xr.DataArray:
    """The pixels an account counts: with an ecosystem type, inside a region (boolean, lazy).

    The pixels whose :func:`cell_codes` are ≥ 0; the input checks count their holes in it
    (:mod:`gepcalc.plausible`), one lazy expression per account so that dask computes it once a band.
    """
    return (land.region > 0) & (land.ecosystem > 0)


class WithBands(Protocol):
    """What else to compute with each band of the zonal pass (e.g. the input checks' statistics)."""

    def band(self, rows: slice, cols: slice) -> list:
        """Dask collections to compute with the band (``rows``, ``cols``) [pixels]; windows tile the grid."""

    def add_band(self, computed: list) -> None:
        """The collections of :meth:`band`, computed."""


def zonal_sums(
    quantities: dict[str, xr.DataArray], land: Landscape, progress: bool, *, also: WithBands | None = None
) -> dict[str, xr.DataArray]:
    """Sum every service by region × ecosystem in one pass over the chunks; the area [m²] as ``__area__``.

    ``also``: what to compute in the same ``compute`` as each band (:class:`WithBands`), so that
    the chunks both read are read once (the input checks of :mod:`gepcalc.resolve.pending`).
    """
    # each service keeps its own items: a shared `item` dim would align them all to the union
    ds = xr.Dataset({sid: q.rename(item=f"item_{sid}") if "item" in q.dims else q for sid, q in quantities.items()})
    cell = cell_codes(land)
    if cell.chunks is None:  # flox sums a group without pixels to 0 on dask arrays only (NaN on numpy)
        ds, cell = ds.chunk(), cell.chunk()
    # Sum one band of BAND_CHUNKS chunks at a time and add the bands: dask would otherwise compute
    # the per-pixel inputs of every chunk before the reductions consume them, so memory grew with
    # the raster (2.8 GB for twelve services on 4000², docs/benchmarks.md); per band it is bounded.
    windows = bands(cell.chunks, band_chunks(cell.chunks)) if cell.chunks else [(slice(None), slice(None))]
    total = None
    from gepcalc.progress import RichProgress

    # Routing once per account: in this process the routing tasks keep their grid under their
    # token until the end (terrain.forget); on a dask.distributed cluster they are computed first
    # and held as futures, so that every band reuses them instead of routing again on a worker.
    routing = terrain.routing_keys(ds)
    client = active_client()
    held = []
    bar = RichProgress("computing account") if progress else contextlib.nullcontext()
    try:
        if client is not None:
            client.run(_gdal_cache_on_worker, GDAL_CACHE_MB)
            if routing:
                from dask.delayed import Delayed

                graph = ds.__dask_graph__()
                held = client.compute([Delayed(k, graph) for k in routing])
        with bar, warnings.catch_warnings(), bounded_gdal_cache():
            warnings.simplefilter("ignore", category=RuntimeWarning)
            for rows, cols in windows:
                part = _band_sums(ds, cell, rows, cols, len(land.region_names) * len(land.ecosystem_ids), also)
                total = part if total is None else total + part
    finally:
        if held:
            terrain.release(client, held)
        del held
        terrain.forget([terrain.token_of(k) for k in routing])
    # the area is the landscape's class areas by type: no per-pixel variable to sum (a third of the
    # zonal sums of a one-service account); the same pixels, region > 0 and a type
    total = total.assign(__area__=("cell", land.type_areas()))
    return by_region_and_type(total, land)


def cell_codes(land: Landscape) -> xr.DataArray:
    """The region × ecosystem cell of each pixel: ``region_index · n_types + type_index``, −1 where not counted.

    One integer grouper instead of two: flox then skips factorising the pair per chunk (a quarter
    of the account's time on 4000² rasters).  The codes are the groups' positions 0 … n − 1, so
    that flox, given a ``RangeIndex`` of expected groups, takes them as they are instead of looking
    each pixel up (searchsorted + isin: 40 → 0.5 ms per 1024² chunk).  Outside any region or on
    nodata the code is −1: no group, left out.
    """
    cell = xr.apply_ufunc(
        cell_of,
        land.region,
        land.ecosystem,
        kwargs={"n_types": len(land.ecosystem_ids)},
        dask="parallelized",
        output_dtypes=[np.int64],
    )
    return cell.rename("cell")


def _band_sums(
    ds: xr.Dataset, cell: xr.DataArray, rows: slice, cols: slice, n_groups: int, also: WithBands | None
) -> xr.Dataset:
    """The sums of one band by cell (computed, with what ``also`` adds to the band's ``compute``).

    No fill_value: flox would also write it over groups whose pixels are all NaN (flox 0.11),
    hiding missing inputs.  A group without pixels in the band is 0 (flox on dask arrays); a NaN
    where there are pixels is a missing input and stays NaN through the addition of the bands.
    """
    groups = pd.RangeIndex(n_groups)
    part = xr.Dataset(coords={"cell": groups})
    if ds.data_vars:
        part = xarray_reduce(
            ds.isel(y=rows, x=cols),
            cell.isel(y=rows, x=cols),
            func="sum",
            skipna=False,  # a NaN must surface as an error, not vanish from the sum
            expected_groups=groups,  # the codes as they are: no lookup per pixel
        )
    extra = also.band(rows, cols) if also is not None else []
    part, *extra = dask.compute(part, *extra)  # on the active client too: the statistics come back with it
    if also is not None:
        also.add_band(extra)
    return part


def by_region_and_type(total: xr.Dataset, land: Landscape) -> dict[str, xr.DataArray]:
    """Unstack the sums over the combined ``cell`` code into ``region`` × ``ecosystem``.

    A region × type without pixels (zero area) is 0 for every quantity; each service gets its
    ``item`` dim back under that name.
    """
    n_reg, n_eco = len(land.region_names), len(land.ecosystem_ids)
    out = total.assign_coords(
        region=("cell", np.repeat(np.arange(n_reg), n_eco)), ecosystem=("cell", np.tile(np.arange(n_eco), n_reg))
    )
    out = out.set_index(cell=["region", "ecosystem"]).unstack("cell")
    present = out["__area__"].fillna(0.0) > 0
    out = out.assign_coords(region=land.region_names, ecosystem=land.ecosystem_ids)
    present = present.assign_coords(region=land.region_names, ecosystem=land.ecosystem_ids)
    return {
        name: (da.rename({f"item_{name}": "item"}) if f"item_{name}" in da.dims else da).where(present, 0.0)
        for name, da in out.data_vars.items()
    }
