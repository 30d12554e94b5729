"""Reading inputs: rasters (lazily, in chunks) and region polygons.

All file access of gepcalc happens here and in :mod:`gepcalc.config`; services
never read files.  Input files are opened read-only and never modified.
"""

from __future__ import annotations

import tomllib
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import rasterio
import rioxarray
import xarray as xr

from gepcalc.errors import GridMismatchError, InputFileError, MissingCRSError, RegionError

Chunks = int | str | bool | dict | None

#: pixels per chunk by default: 2**20 (1024 × 1024), 8 MiB per float64 array. rioxarray's own
#: "auto" sizes chunks at 128 MiB of the file's dtype, i.e. whole rasters of up to 11,500² uint8
#: pixels in one chunk, which made memory grow with the raster (docs/benchmarks.md).
CHUNK_PIXELS = 2**20


def _square_chunks(shape: tuple[int, ...]) -> dict:
    side = int(np.sqrt(CHUNK_PIXELS))
    return {"y": min(side, shape[0]), "x": min(side, shape[1])}


def _block_aligned_chunks(path: Path) -> dict:
    """About CHUNK_PIXELS per chunk, in whole blocks of the file (full width for strip files)."""
    with rasterio.open(path) as src:
        (by, bx), height, width = src.block_shapes[0], src.height, src.width
    if bx >= width:  # stored in strips: bands of whole rows
        rows = max(by, (CHUNK_PIXELS // max(width, 1)) // by * by)
        return {"band": 1, "y": min(rows, height), "x": width}
    side = int(np.sqrt(CHUNK_PIXELS))
    return {"band": 1, "y": min(max(by, side // by * by), height), "x": min(max(bx, side // bx * bx), width)}


def read_toml(path: str | Path, what: str, error: type[Exception] = InputFileError) -> dict:
    """Read a TOML file; a missing or invalid file raises ``error`` naming ``what`` and the path."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise error(f"{what} {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{what} {path} is not valid TOML: {exc}") from None


def open_raster(source: str | Path | xr.DataArray, *, name: str = "raster", chunks: Chunks = True) -> xr.DataArray:
    """Open a single-band raster lazily, in chunks that follow the file's blocks.

    Parameters
    ----------
    source
        A path to any raster GDAL reads, or a DataArray with a CRS (``.rio.crs``).
    name
        What the raster is (``"land cover"``, ``"precipitation"``) for messages.
    chunks
        ``True`` (default): about :data:`CHUNK_PIXELS` pixels per chunk (8 MiB as
        float64), in whole multiples of the file's tiles (full-width bands for files
        stored in strips), so memory stays bounded whatever the raster size; an int
        gives square chunks of that many pixels; a dict is passed on to rioxarray.

    Returns
    -------
    xarray.DataArray
        2-D (``y``, ``x``), dask-backed, with ``attrs["source"]`` naming the file
        and ``attrs["nodata"]`` the nodata value (or None).

    Raises
    ------
    InputFileError
        The file is missing, unreadable or has more than one band.
    MissingCRSError
        The raster has no coordinate reference system.
    """
    if isinstance(source, xr.DataArray):
        da = source
        label = da.attrs.get("source", da.name or name)
    else:
        path = Path(source)
        label = str(path)
        if not path.is_file():
            raise InputFileError(f"{name} raster {path} does not exist")
        try:
            if chunks is True or chunks == "auto":
                chunks = _block_aligned_chunks(path)
            with warnings.catch_warnings():  # rioxarray passes tuple chunks to xarray (its FutureWarning)
                warnings.simplefilter("ignore", FutureWarning)
                da = rioxarray.open_rasterio(path, chunks=chunks, masked=False, lock=False, cache=False)
        except Exception as exc:
            raise InputFileError(f"{name} raster {path} cannot be read: {exc}") from None
        if "band" in da.dims:
            if da.sizes["band"] != 1:
                raise InputFileError(
                    f"{name} raster {path} has {da.sizes['band']} bands; gepcalc expects a single band"
                )
            da = da.squeeze("band", drop=True)
    if set(da.dims) != {"y", "x"}:
        raise InputFileError(f"{name} raster {label} has dims {da.dims}; expected ('y', 'x')")
    if da.rio.crs is None:
        raise MissingCRSError(
            f"{name} raster {label} has no coordinate reference system (CRS); "
            "set one, e.g. `gdal_edit.py -a_srs EPSG:4326 FILE` or da.rio.write_crs(...)"
        )
    if da.chunks is None and chunks not in (None, False):
        da = da.chunk(chunks if isinstance(chunks, dict | int) else _square_chunks(da.shape))
    da.attrs["source"] = label
    da.attrs["nodata"] = da.rio.nodata
    da.name = name
    return da


def check_same_grid(ref: xr.DataArray, other: xr.DataArray) -> None:
    """Raise :class:`GridMismatchError` unless both rasters share CRS, shape and transform."""
    a, b = ref.attrs.get("source", ref.name), other.attrs.get("source", other.name)
    problems = []
    if ref.rio.crs != other.rio.crs:
        problems.append(f"CRS {other.rio.crs} ≠ {ref.rio.crs}")
    if ref.shape != other.shape:
        problems.append(f"shape {other.shape} ≠ {ref.shape} (rows, columns)")
    elif not np.allclose(
        tuple(ref.rio.transform())[:6],
        tuple(other.rio.transform())[:6],
        rtol=0,
        atol=1e-9 * max(1.0, abs(ref.rio.resolution()[0])),
    ):
        problems.append(f"transform {tuple(other.rio.transform())[:6]} ≠ {tuple(ref.rio.transform())[:6]}")
    if problems:
        raise GridMismatchError(
            f"{other.name} raster {b} is not on the grid of {ref.name} raster {a}: "
            + "; ".join(problems)
            + ". Resample it onto the same grid first (e.g. da.rio.reproject_match(reference))."
        )


def read_regions(
    source: str | Path | gpd.GeoDataFrame, *, field: str | None = None, layer: str | None = None
) -> gpd.GeoDataFrame:
    """Read region polygons and give each a name.

    Parameters
    ----------
    source
        A vector file (GeoPackage, GeoJSON, Shapefile …) or a GeoDataFrame.
    field
        Column holding the region names; without it the first of
        ``name``, ``NAME``, ``region``, ``adcode`` present is used, else the row number.
    layer
        Layer of a multi-layer file.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``region`` (str) and ``geometry``, in the file's CRS.
    """
    if isinstance(source, gpd.GeoDataFrame):
        gdf, label = source.copy(), "regions GeoDataFrame"
    else:
        path = Path(source)
        label = str(path)
        if not path.exists():
            raise InputFileError(f"regions file {path} does not exist")
        try:
            gdf = gpd.read_file(path, layer=layer)
        except Exception as exc:
            raise InputFileError(f"regions file {path} cannot be read: {exc}") from None
    if gdf.crs is None:
        raise MissingCRSError(f"regions {label} have no CRS; set one with gdf.set_crs(...)")
    gdf = gdf[~(gdf.geometry.is_empty | gdf.geometry.isna())]
    bad = ~gdf.geom_type.isin(["Polygon", "MultiPolygon"])
    if bad.any():
        raise RegionError(
            f"regions {label}: rows {list(gdf.index[bad])[:5]} are {set(gdf.geom_type[bad])}, not polygons"
        )
    if field is None:
        field = next((c for c in ("name", "NAME", "region", "adcode") if c in gdf.columns), None)
    if field is not None and field not in gdf.columns:
        raise RegionError(f"regions {label} have no column {field!r}; columns are {', '.join(map(str, gdf.columns))}")
    names = gdf[field].astype(str) if field else gdf.index.astype(str)
    if names.duplicated().any():
        raise RegionError(
            f"regions {label}: names in column {field!r} repeat: {sorted(set(names[names.duplicated()]))}"
        )
    out = gpd.GeoDataFrame({"region": list(names)}, geometry=list(gdf.geometry.make_valid()), crs=gdf.crs)
    out.attrs["source"] = label
    return out


def raster_from_input(value: Any, *, name: str, like: xr.DataArray, chunks: Chunks = True) -> xr.DataArray:
    """Open ``value`` (path or DataArray) as a raster on the grid of ``like``; nodata → NaN."""
    da = open_raster(value, name=name, chunks=chunks)
    check_same_grid(like, da)
    da = da.chunk(like.chunks and dict(zip(like.dims, like.chunks, strict=True)))
    nodata = da.attrs.get("nodata")
    out = da.astype("float64")
    if nodata is not None and not np.isnan(nodata):
        out = out.where(da != nodata)
    out.attrs.update(da.attrs)
    return out
