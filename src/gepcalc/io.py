"""Reading inputs: rasters (lazily, in chunks) and region polygons.

All file access of gepcalc happens here and in :mod:`gepcalc.config`; services
never read files.  Input files are opened read-only and never modified.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import secrets
import tomllib
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rioxarray
import shapely
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
        if path.is_dir():
            raise InputFileError(f"{name} raster {path} is a folder, not a raster file; give the file inside it")
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
    if field:
        blank = gdf[field].isna() | gdf[field].astype(str).str.strip().isin(["", "nan", "None"])
        if blank.any():
            raise RegionError(
                f"regions {label}: rows {[int(i) for i in np.flatnonzero(blank.to_numpy())][:10]} (0-based) have no "
                f"name in column {field!r}; every region needs one (it labels the account's rows)"
            )
    names = gdf[field].astype(str).str.strip() if field else gdf.index.astype(str)
    if names.duplicated().any():
        raise RegionError(
            f"regions {label}: names in column {field!r} repeat: {sorted(set(names[names.duplicated()]))}"
        )
    invalid = ~gdf.geometry.is_valid
    notes = []
    if invalid.any():
        reasons = shapely.is_valid_reason(gdf.geometry[invalid].to_numpy())
        notes.append(
            f"regions {label}: invalid geometr{'ies' if invalid.sum() > 1 else 'y'} of "
            + ", ".join(f"{n!r} ({r})" for n, r in zip(names[invalid], reasons, strict=True))
            + " repaired with shapely.make_valid; check the polygons"
        )
    out = gpd.GeoDataFrame({"region": list(names)}, geometry=list(gdf.geometry.make_valid()), crs=gdf.crs)
    out.attrs.update(source=label, notes=notes)
    return out


def _decoded(block: np.ndarray, nodata: float | None, scale: float, offset: float) -> np.ndarray:
    """One block as float64: ``nodata`` → NaN, then ``× scale + offset``; a new array.

    In place on the one float64 copy, with the same values: xarray's ``astype`` then ``where`` took
    4 ms a 1024² block on their own, this 0.3 ms (a 4000² water-yield account's four inputs: 0.92 →
    0.75 s of task time, reading included).
    """
    out = block.astype(np.float64)
    if nodata is not None:
        out[block == nodata] = np.nan
    if scale != 1.0 or offset != 0.0:
        out *= scale
        out += offset
    return out


def raster_from_input(value: Any, *, name: str, like: xr.DataArray, chunks: Chunks = True) -> xr.DataArray:
    """Open ``value`` (path or DataArray) as a raster on the grid of ``like``, read as the file means it.

    The file's nodata becomes NaN, then its scale factor and offset are applied
    (``value = stored × scale + offset``, GDAL's convention), so a precipitation stored as
    tenths of a millimetre with scale 0.1 is read in millimetres.
    """
    da = open_raster(value, name=name, chunks=chunks)
    check_same_grid(like, da)
    da = da.chunk(like.chunks and dict(zip(like.dims, like.chunks, strict=True)))
    nodata = da.attrs.get("nodata")
    nodata = None if nodata is None or np.isnan(nodata) else nodata
    scale, offset = float(da.attrs.get("scale_factor", 1.0)), float(da.attrs.get("add_offset", 0.0))
    out = xr.apply_ufunc(
        _decoded,
        da,
        kwargs={"nodata": nodata, "scale": scale, "offset": offset},
        dask="parallelized",
        output_dtypes=["float64"],
    )
    out.attrs.update({k: v for k, v in da.attrs.items() if k not in ("scale_factor", "add_offset")})
    if scale != 1.0 or offset != 0.0:
        out.attrs["scaled"] = f"stored × {scale:g} + {offset:g}"
    return out


#: encodings tried in order: UTF-8 (with or without BOM), then GB18030, the superset of GBK and
#: GB2312 that Excel writes on Chinese Windows ("CSV (逗号分隔)")
CSV_ENCODINGS = ("utf-8-sig", "gb18030")


def read_csv(path: str | Path, what: str, **kwargs) -> pd.DataFrame:
    """Read a CSV written by a person: UTF-8 with or without BOM, or GBK/GB18030.

    The first encoding that decodes the whole file wins (a GBK file is almost never valid
    UTF-8: its two-byte characters break UTF-8's continuation rules).  ``kwargs`` go to
    :func:`pandas.read_csv`.

    Raises
    ------
    InputFileError
        The file is missing, a folder, decodes in none of :data:`CSV_ENCODINGS`, or is not CSV.
    """
    path = Path(path)
    if path.is_dir():
        raise InputFileError(f"{what} {path} is a folder, not a CSV file")
    if not path.is_file():
        raise InputFileError(f"{what} {path} does not exist")
    raw = path.read_bytes()
    for enc in CSV_ENCODINGS:
        try:
            text = raw.decode(enc)
        except UnicodeDecodeError:
            continue
        try:
            return pd.read_csv(io.StringIO(text), **kwargs)
        except Exception as exc:
            raise InputFileError(f"{what} {path} cannot be read as CSV ({enc}): {exc}") from None
    raise InputFileError(
        f"{what} {path} is neither UTF-8 nor GBK/GB18030 text; save it as 'CSV UTF-8' (Excel: 另存为 → CSV UTF-8)"
    )


def naming_unreadable(func):
    """Decorator: a raster block that fails to decode during the computation becomes an InputFileError.

    GDAL reports a truncated or corrupt file only when dask reads the broken block, deep in
    the computation, as ``RasterioIOError: Read failed``; the file's name is in the chained
    GDAL errors, which this gathers into one message.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except rasterio.errors.RasterioIOError as exc:
            seen, cause = [], exc
            while cause is not None:
                text = str(cause)
                if text not in seen and "See previous exception" not in text:
                    seen.append(text)
                cause = cause.__cause__ or cause.__context__
            raise InputFileError(
                f"a raster could not be read while computing: {'; '.join(seen) or exc}. The file is truncated or "
                "corrupt: copy or export it again (check it with `gdalinfo -checksum FILE`)"
            ) from None

    return wrapper


@contextlib.contextmanager
def atomic(path: str | Path) -> Iterator[Path]:
    """Write a file all or nothing: yield a temporary path beside ``path``, rename it into place on success.

    The temporary file is in the same folder (so the rename is atomic on one file system), keeps
    the suffix (writers that choose a format by it still work) and is hidden
    (``.account.xlsx.<random>.part.xlsx``).  If the writer fails or is interrupted (an exception,
    Ctrl-C) the temporary file is removed and an earlier file at ``path`` is left as it was; a
    killed process leaves only the hidden ``.part`` file, never a partial file under the final name.

    Examples
    --------
    >>> with atomic(folder / "account.csv") as tmp:  # doctest: +SKIP
    ...     df.to_csv(tmp)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:  # like tempfile.mkstemp, but with the umask's permissions (mkstemp's 0600 would survive the rename)
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.part{path.suffix}"
        try:
            os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            break
        except FileExistsError:
            continue
    try:
        yield tmp
        with open(tmp, "rb+") as fh:  # the data on disk before the name points at it
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text all or nothing (:func:`atomic`); returns the path."""
    path = Path(path)
    with atomic(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write bytes all or nothing (:func:`atomic`); returns the path."""
    path = Path(path)
    with atomic(path) as tmp:
        tmp.write_bytes(data)
    return path
