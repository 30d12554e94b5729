"""The value map of the reports: a raster of values per area as SVG (:func:`svg_map`), with region
outlines, a scale bar, a north arrow and a colour ramp; and :func:`map_from_values`, which turns a
value-per-pixel raster into that map.

The raster itself is an embedded PNG (matplotlib's colour maps); outlines and text are SVG.  Which
values are spread over which pixels is decided by the caller (:func:`gepcalc.maps.spread_by_area`
for the county report, :mod:`gepcalc.project.report` for projects).
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from gepcalc.report.labels import escape as _e
from gepcalc.report.labels import nice_ticks, number
from gepcalc.units import factor

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["map_from_values", "svg_map"]


def _png_rgba(rgba: np.ndarray) -> bytes:
    """An RGBA array [0…1] as PNG bytes."""
    # lazy: matplotlib is loaded only when a map is drawn (start-up time), not to dodge a cycle
    from matplotlib.image import imsave

    buf = io.BytesIO()
    imsave(buf, rgba, format="png")
    return buf.getvalue()


def _scale_length(width_m: float) -> float:
    """A round length [m] of about a fifth of the map's width."""
    target = width_m / 5
    mag = 10 ** math.floor(math.log10(target))
    return next(m * mag for m in (5, 2.5, 2, 1) if m * mag <= target)


def _colour_scale(density: np.ndarray, diverging: bool):
    """(vmin, vmax, colour map): around 0 (``RdBu``) for a change map, else from 0 to the largest value (``YlGn``)."""
    # lazy: matplotlib is loaded only when a map is drawn (start-up time), not to dodge a cycle
    from matplotlib import colormaps

    finite = density[np.isfinite(density)]
    if diverging:
        vmax = float(np.abs(finite).max()) if finite.size else 1.0
        vmin, cmap = -(vmax or 1.0), colormaps["RdBu"]
        vmax = vmax or 1.0
    else:
        vmin, vmax, cmap = 0.0, float(finite.max()) if finite.size else 1.0, colormaps["YlGn"]
        vmax = vmax or 1.0
    return vmin, vmax, cmap


def _outline_paths(
    outlines: Sequence[Any], tolerance: float, X: Callable[[float], float], Y: Callable[[float], float]
) -> list[str]:
    """One SVG ``<path>`` per geometry (every ring of every polygon), simplified by ``tolerance`` [map units]."""
    out = []
    for geom in outlines:
        geom = geom.simplify(tolerance, preserve_topology=True) if hasattr(geom, "simplify") else geom
        polys = getattr(geom, "geoms", [geom])
        d = []
        for p in polys:
            for ring in (p.exterior, *p.interiors) if hasattr(p, "exterior") else ():
                pts = np.asarray(ring.coords)
                d.append("M" + " L".join(f"{X(a):.1f},{Y(b):.1f}" for a, b in pts[:, :2]) + " Z")
        if d:
            out.append(f'<path d="{" ".join(d)}" fill="none" stroke="#222" stroke-width="1.2"/>')
    return out


def _scale_bar(extent: tuple[float, float, float, float], geographic: bool, map_w: float, sy: float) -> str:
    """A scale bar of a round length along the bottom edge (geodesic metres where ``geographic``)."""
    xmin, xmax, ymin, ymax = extent
    if geographic:
        # lazy: pyproj is loaded only for maps on longitude/latitude grids (start-up time)
        from pyproj import Geod

        _, _, width_m = Geod(ellps="WGS84").inv(xmin, (ymin + ymax) / 2, xmax, (ymin + ymax) / 2)
    else:
        width_m = xmax - xmin
    length = _scale_length(abs(width_m))
    bar_px = length / abs(width_m or 1.0) * map_w
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    return (
        f'<g class="scalebar"><line x1="10" x2="{10 + bar_px:.1f}" y1="{sy}" y2="{sy}" stroke="#222" stroke-width="3"/>'
        f'<line x1="10" x2="10" y1="{sy - 5}" y2="{sy + 5}" stroke="#222"/>'
        f'<line x1="{10 + bar_px:.1f}" x2="{10 + bar_px:.1f}" y1="{sy - 5}" y2="{sy + 5}" stroke="#222"/>'
        f'<text class="tick" x="10" y="{sy + 16}">{label} 比例尺 scale</text>'
        "</g>"
    )


def _north_arrow(x: float, y: float) -> str:
    """A north arrow centred at (x, y) [px]."""
    return (
        f'<g class="north"><path d="M{x},{y - 10} L{x + 6},{y + 6} L{x},{y + 2} L{x - 6},{y + 6} Z" '
        f'fill="#222"/><text class="tick" x="{x}" y="{y + 20}" text-anchor="middle">北 N</text></g>'
    )


def _colour_ramp(cmap, vmin: float, vmax: float, unit: str, lx: float, ly0: float, ly1: float) -> list[str]:
    """The legend: a vertical colour ramp from ``ly0`` (vmax) to ``ly1`` (vmin) with round ticks and the unit."""
    out, lw, steps = [], 16, 24
    for k in range(steps):
        f0 = k / steps
        c = cmap(1 - f0)
        hexc = "#" + "".join(f"{int(255 * ch):02x}" for ch in c[:3])
        yk = ly0 + f0 * (ly1 - ly0)
        out.append(f'<rect x="{lx}" y="{yk:.1f}" width="{lw}" height="{(ly1 - ly0) / steps + 0.6:.1f}" fill="{hexc}"/>')
    for t in nice_ticks(vmin, vmax, 4):
        if vmin - 1e-12 <= t <= vmax + 1e-12:
            yt = ly1 - (t - vmin) / (vmax - vmin) * (ly1 - ly0)
            out.append(f'<text class="tick" x="{lx + lw + 4}" y="{yt + 4:.1f}">{_e(number(t))}</text>')
    out.append(f'<text class="tick" x="{lx}" y="{ly0 - 4}">[{_e(unit)}]</text>')
    return out


def svg_map(
    density: np.ndarray,
    extent: tuple[float, float, float, float],
    *,
    geographic: bool,
    outlines: Sequence[Any] = (),
    unit: str = "万元/km²/yr",
    title: str = "",
    width: int = 640,
    diverging: bool = False,
) -> str:
    """A raster map as SVG: the values as an embedded PNG, outlines as paths, a scale bar and a legend.

    Parameters
    ----------
    density
        Values per area [``unit``] on the grid (rows from north), NaN where there is no value.
    extent
        (xmin, xmax, ymin, ymax) of the grid in its CRS (metres, or degrees where ``geographic``).
    outlines
        Shapely geometries in the grid's CRS (region boundaries), drawn as outlines.
    diverging
        Colours around 0 (a change map) instead of a sequential scale from 0.
    """
    xmin, xmax, ymin, ymax = extent
    kx = math.cos(math.radians((ymin + ymax) / 2)) if geographic else 1.0  # degrees of longitude are shorter
    w_world, h_world = (xmax - xmin) * kx, ymax - ymin
    map_w = width - 150
    map_h = max(120, int(map_w * h_world / (w_world or 1.0)))
    if map_h > 560:
        map_w, map_h = int(map_w * 560 / map_h), 560
    top = 30 if title else 8
    height = top + map_h + 56
    X = lambda x: (x - xmin) / ((xmax - xmin) or 1.0) * map_w  # noqa: E731
    Y = lambda y: top + (ymax - y) / ((ymax - ymin) or 1.0) * map_h  # noqa: E731
    vmin, vmax, cmap = _colour_scale(density, diverging)
    norm = np.clip((density - vmin) / (vmax - vmin), 0, 1)
    rgba = cmap(np.nan_to_num(norm))
    rgba[..., 3] = np.where(np.isfinite(density), 1.0, 0.0)
    png = base64.b64encode(_png_rgba(rgba)).decode()
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{_e(title)}">'
    ]
    if title:
        out.append(f'<text class="title" x="0" y="16">{_e(title)}</text>')
    out.append(
        f'<image x="0" y="{top}" width="{map_w}" height="{map_h}" preserveAspectRatio="none" '
        f'style="image-rendering:pixelated" href="data:image/png;base64,{png}"/>'
    )
    tolerance = 0.5 * (xmax - xmin) / map_w  # half a screen pixel: the outline looks the same, the file is smaller
    out += _outline_paths(outlines, tolerance, X, Y)
    out.append(f'<rect x="0" y="{top}" width="{map_w}" height="{map_h}" fill="none" stroke="#c5ccd3"/>')
    out.append(_scale_bar(extent, geographic, map_w, top + map_h + 22))
    out.append(_north_arrow(map_w - 18, top + 14))
    out += _colour_ramp(cmap, vmin, vmax, unit, map_w + 24, top + 10, top + min(map_h, 260) - 10)
    out.append("</svg>")
    return "".join(out)


def map_from_values(
    value: xr.DataArray,
    area: xr.DataArray,
    regions: gpd.GeoDataFrame | None,
    *,
    unit: str = "万元 / km**2 / yr",
    label_unit: str = "万元/km²/yr",
    title: str = "",
    diverging: bool = False,
    max_px: int = 600,
) -> str:
    """:func:`svg_map` of a value-per-pixel raster [CNY/yr] divided by cell area, cropped to ``regions``."""
    dens = (value / area) * factor("CNY / m**2 / yr", unit)
    if regions is not None and len(regions):
        x0, y0, x1, y1 = regions.total_bounds
        xs, ys = dens["x"].values, dens["y"].values
        dx = abs(float(xs[1] - xs[0])) if len(xs) > 1 else 0.0
        dy = abs(float(ys[1] - ys[0])) if len(ys) > 1 else 0.0
        keep_x = (xs >= x0 - dx) & (xs <= x1 + dx)
        keep_y = (ys >= y0 - dy) & (ys <= y1 + dy)
        dens = dens.isel(x=np.flatnonzero(keep_x), y=np.flatnonzero(keep_y))
    k = max(1, int(np.ceil(max(dens.sizes["y"], dens.sizes["x"]) / max_px)))
    if k > 1:
        dens = dens.coarsen(y=k, x=k, boundary="pad").mean()
    dens = dens.where(dens != 0) if not diverging else dens
    arr = np.asarray(dens.values, dtype="float64")
    if isinstance(dens, xr.DataArray) and dens.rio.crs is not None:
        xa, ya, xb, yb = dens.rio.bounds()
        geographic = bool(dens.rio.crs.is_geographic)
    else:  # pragma: no cover - grids always carry a CRS in gepcalc
        xa, ya, xb, yb = float(dens.x.min()), float(dens.y.min()), float(dens.x.max()), float(dens.y.max())
        geographic = False
    outlines = list(regions.geometry) if regions is not None else []
    return svg_map(
        arr,
        (min(xa, xb), max(xa, xb), min(ya, yb), max(ya, yb)),
        geographic=geographic,
        outlines=outlines,
        unit=label_unit,
        title=title,
        diverging=diverging,
    )
