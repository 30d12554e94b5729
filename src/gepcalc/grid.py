"""Grid geometry: true cell areas and region polygons burnt onto the grid."""

from __future__ import annotations

import warnings

import dask.array as dsa
import geopandas as gpd
import numpy as np
import pyproj
import xarray as xr
from affine import Affine
from rasterio.errors import NotGeoreferencedWarning
from rasterio.features import rasterize

from gepcalc.errors import RegionError

# rasterize() run from several dask threads at once sometimes warns that a dataset "has no
# geotransform" although the transform is given (GDAL's per-thread error state; results are
# exact, see opendatacube/odc-geo#131). catch_warnings() is not thread-safe, so this one message
# from rasterio.features is filtered for the process.
warnings.filterwarnings(
    "ignore", message="Dataset has no geotransform", category=NotGeoreferencedWarning, module="rasterio.features"
)


def _authalic_q(phi: np.ndarray, e: float) -> np.ndarray:
    """Snyder's q(φ) [-] (Map Projections — A Working Manual, 1987, eq. 3-12).

    .. math:: q = (1-e^2)\\left[\\frac{\\sin\\phi}{1-e^2\\sin^2\\phi}
              - \\frac{1}{2e}\\ln\\frac{1-e\\sin\\phi}{1+e\\sin\\phi}\\right]
    """
    s = np.sin(phi)
    if e == 0:
        return 2 * s
    return (1 - e**2) * (s / (1 - (e * s) ** 2) - np.log((1 - e * s) / (1 + e * s)) / (2 * e))


def cell_area(like: xr.DataArray) -> xr.DataArray:
    """True area of each grid cell [m²].

    A projected grid has the constant area ``|a·e|`` of its transform (in the
    CRS's linear unit, converted to m²).  A longitude/latitude grid has the exact
    ellipsoidal area of each graticule cell, which depends on the row only:

    .. math:: A = \\frac{a^2\\,\\Delta\\lambda}{2}\\,\\bigl(q(\\phi_2) - q(\\phi_1)\\bigr)

    with ``a`` the semi-major axis, Δλ the cell width [rad], and q Snyder's
    authalic function.  Hand-written because no library gives graticule-cell areas;
    it agrees with :meth:`pyproj.Geod.polygon_area_perimeter` on densified cells.

    Returns
    -------
    xarray.DataArray
        Broadcastable to ``like`` (dims ``y`` only for a geographic grid, scalar for
        a projected one), ``attrs["units"] = "m**2"``.
    """
    crs = like.rio.crs
    t: Affine = like.rio.transform()
    if crs.is_geographic:
        geod = pyproj.CRS.from_user_input(crs).get_geod()
        a, f = geod.a, geod.f
        e = np.sqrt(f * (2 - f))
        rows = np.arange(like.sizes["y"])
        lat_top = np.radians(t.f + t.e * rows)
        lat_bot = np.radians(t.f + t.e * (rows + 1))
        dlon = np.radians(abs(t.a))
        area = a**2 * dlon / 2 * np.abs(_authalic_q(lat_top, e) - _authalic_q(lat_bot, e))
        out = xr.DataArray(area, dims=("y",), coords={"y": like["y"].values})
    else:
        _, unit_factor = crs.linear_units_factor
        out = xr.DataArray(abs(t.a * t.e - t.b * t.d) * unit_factor**2)
    out.attrs["units"] = "m**2"
    out.name = "area"
    return out


def rasterize_regions(regions: gpd.GeoDataFrame, like: xr.DataArray) -> xr.DataArray:
    """Burn region polygons onto the grid of ``like``, chunk by chunk.

    A pixel belongs to the region containing its centre (GDAL's default rule);
    value 0 means outside every region, region ``i`` (0-based row) is ``i + 1``.
    Overlapping regions are refused, so that region totals add up exactly to the
    whole.

    Returns
    -------
    xarray.DataArray
        int32, dask-backed, chunked like ``like``.
    """
    regions = regions.to_crs(like.rio.crs) if regions.crs != like.rio.crs else regions
    _refuse_overlaps(regions)
    shapes = list(zip(regions.geometry, range(1, len(regions) + 1), strict=True))
    transform = like.rio.transform()
    sindex = regions.sindex
    # GDAL burns 16-bit codes up to 5x faster than 32-bit ones (a large polygon over a 1024² chunk)
    burn_dtype = "uint16" if len(regions) < 2**16 else "int32"

    def burn(block_info=None) -> np.ndarray:
        (r0, r1), (c0, c1) = block_info[None]["array-location"]
        t = transform @ Affine.translation(c0, r0)
        bounds = (t.c, t.f + t.e * (r1 - r0), t.c + t.a * (c1 - c0), t.f)
        x0, y0, x1, y1 = (
            min(bounds[0], bounds[2]),
            min(bounds[1], bounds[3]),
            max(bounds[0], bounds[2]),
            max(bounds[1], bounds[3]),
        )
        hit = sindex.query(_box(x0, y0, x1, y1))
        if len(hit) == 0:
            return np.zeros((r1 - r0, c1 - c0), dtype="int32")
        burnt = rasterize(
            [shapes[i] for i in sorted(hit)], out_shape=(r1 - r0, c1 - c0), transform=t, fill=0, dtype=burn_dtype
        )
        return burnt.astype("int32", copy=False)

    data = like.data if isinstance(like.data, dsa.Array) else dsa.from_array(like.data)
    # only the chunks of ``like`` are needed, not its values: burning from them alone keeps the
    # raster from being read (decoded) once more for every pass that needs the regions
    burnt = dsa.map_blocks(burn, chunks=data.chunks, dtype="int32", meta=np.empty((0, 0), dtype="int32"))
    return xr.DataArray(burnt, dims=like.dims, coords={d: like[d] for d in like.dims}, name="region")


def _box(x0, y0, x1, y1):
    from shapely.geometry import box

    return box(x0, y0, x1, y1)


def _refuse_overlaps(regions: gpd.GeoDataFrame) -> None:
    left, right = regions.sindex.query(regions.geometry, predicate="overlaps")
    for i, j in zip(left, right, strict=True):
        if i >= j:
            continue
        gi, gj = regions.geometry.iloc[i], regions.geometry.iloc[j]
        shared = gi.intersection(gj).area
        if shared > 1e-9 * min(gi.area, gj.area):
            raise RegionError(
                f"regions {regions.region.iloc[i]!r} and {regions.region.iloc[j]!r} overlap "
                f"({shared / min(gi.area, gj.area):.2%} of the smaller); region totals would count "
                "those pixels twice. Make the polygons disjoint."
            )


def outside_shares(regions: gpd.GeoDataFrame, like: xr.DataArray) -> dict[str, float]:
    """Share of each region's area [1] that lies outside the raster's extent (only regions with some).

    Computed on the polygons in the raster's CRS against the raster's bounding box, so it
    costs nothing per pixel.  On a longitude/latitude grid the shares are of areas in degrees²,
    close enough for a note (geopandas' warning about that is silenced here).
    """
    regions = regions.to_crs(like.rio.crs) if regions.crs != like.rio.crs else regions
    extent = _box(*like.rio.bounds())
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Geometry is in a geographic CRS", UserWarning)
        area = regions.geometry.area
        inside = regions.geometry.intersection(extent).area
    share = 1 - inside / area.where(area > 0)
    return {r: float(s) for r, s in zip(regions["region"], share, strict=True) if s > 1e-9}
