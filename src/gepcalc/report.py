"""HTML reports: the county account report and the shared machinery of every gepcalc report.

One page template (``templates/report.html.j2``, jinja2) and one stylesheet (``templates/report.css``)
serve the county account (:func:`write_html`, ``Account.to_html``, ``gepcalc account … --html``) and the
project report (:mod:`gepcalc.project.report`).  Charts are SVG whose text is ``<text>`` drawn by the
browser, so Chinese labels display with the reader's fonts (no CJK font is needed on the machine that
writes the report, and none is embedded); every label is bilingual (中文 English).  Axis numbers are
written out in the unit named on the axis (万元, 亿元), never with a separate ×10ⁿ multiplier.

The value map spreads the account's region × ecosystem values over their pixels by area
(:func:`gepcalc.maps.spread_by_area`) and shows them per km², cropped to the regions, with their
outlines, a scale bar and a north arrow.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gepcalc.io import write_text

if TYPE_CHECKING:
    import geopandas as gpd
    import xarray as xr

    from gepcalc.account import Account

#: colours of the charts (positive, negative, accents)
POS, NEG = "#2a9d8f", "#e76f51"
PALETTE = ("#2a9d8f", "#264653", "#e9c46a", "#f4a261", "#e76f51", "#8ab17d", "#6d597a", "#457b9d")
#: categories in 中文 and English
CATEGORIES = {
    "provisioning": ("物质产品", "provisioning"),
    "regulating": ("调节服务", "regulating"),
    "cultural": ("文化服务", "cultural"),
    "GEP": ("生态系统生产总值", "GEP"),
}


# -- page ------------------------------------------------------------------------------------------------


@dataclass
class Section:
    """One ``<section>`` of a report: an id (anchor), a title (bilingual) and its HTML."""

    id: str
    title: str
    html: str


@cache
def css() -> str:
    """The reports' shared stylesheet (``templates/report.css``)."""
    return files("gepcalc").joinpath("templates/report.css").read_text(encoding="utf-8")


@cache
def _template():
    from jinja2 import Environment, select_autoescape

    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True), keep_trailing_newline=True)
    return env.from_string(files("gepcalc").joinpath("templates/report.html.j2").read_text(encoding="utf-8"))


def render_page(
    title: str,
    sections: Sequence[Section],
    *,
    subtitle: str = "",
    meta: Sequence[str] = (),
    footer: str = "",
    lang: str = "zh-CN",
) -> str:
    """The report page (template ``report.html.j2``): header, sections, footer; one self-contained file."""
    from gepcalc import __version__

    return _template().render(
        title=title,
        subtitle=subtitle,
        meta=list(meta),
        sections=list(sections),
        footer=footer or f"gepcalc {__version__}, {date.today().isoformat()}",
        css=css(),
        lang=lang,
        version=__version__,
    )


def table_html(df: pd.DataFrame, *, percent: Sequence[str] = (), decimals: int = 2) -> str:
    """A table: numbers right-aligned and unbroken with thousands separators and ``decimals`` places,
    ``percent`` columns as %, text left-aligned and wrapped; everything escaped."""

    def cell(v, col) -> str:
        if v is None or (isinstance(v, float) and v != v) or v is pd.NA:
            return '<td class="num"></td>'
        if isinstance(v, bool | np.bool_):
            return f'<td class="text">{_e(v)}</td>'
        if isinstance(v, int | np.integer):
            return f'<td class="num">{int(v)}</td>' if "year" in str(col) else f'<td class="num">{int(v):,d}</td>'
        if isinstance(v, float | np.floating):
            if col in percent:
                return f'<td class="num">{v:.1%}</td>'
            text = f"{v:,.{decimals}f}" if abs(v) >= 0.01 or v == 0 else f"{v:.3g}"
            return f'<td class="num">{text}</td>'
        return f'<td class="text">{_e(v)}</td>'

    numeric = {c: pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]) for c in df.columns}
    head = "".join(f'<th class="{"num" if numeric[c] else "text"}">{_e(c)}</th>' for c in df.columns)
    body = "".join(
        "<tr>" + "".join(cell(v, c) for v, c in zip(row, df.columns, strict=True)) + "</tr>"
        for row in df.itertuples(index=False, name=None)
    )
    return f'<div class="table-wrap"><table class="t"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def figure(svg: str, caption: str = "") -> str:
    """An SVG chart in a ``<figure>`` with an optional caption."""
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f'<figure class="chart">{svg}{cap}</figure>'


def img(png: bytes, alt: str) -> str:
    """A PNG embedded as a data URI (charts that are not SVG)."""
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}"/>'


# -- numbers ---------------------------------------------------------------------------------------------


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering [lo, hi] (steps 1, 2, 2.5 or 5 × 10^k)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0]
    if hi == lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(1, n)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks, t = [], start
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 12))
        t += step
    if ticks[-1] < hi:
        ticks.append(ticks[-1] + step)
    return ticks


def number(x: float) -> str:
    """A number as a label: thousands separators, at most 2 decimals, no exponent for ordinary sizes."""
    if x != x:
        return ""
    a = abs(x)
    if a >= 100 or a == 0:
        return f"{x:,.0f}"
    if a >= 1:
        return f"{x:,.2f}".rstrip("0").rstrip(".")
    return f"{x:.3g}"


def _e(s: Any) -> str:
    return html.escape(str(s))


# -- charts ----------------------------------------------------------------------------------------------


def svg_bars(
    labels: Sequence[str],
    values: Sequence[float],
    unit: str,
    *,
    title: str = "",
    shares: Sequence[float] | None = None,
    width: int = 760,
    label_width: int = 260,
) -> str:
    """Horizontal bars, one per label (positive right, negative left), value [and share] at each bar's end.

    Parameters
    ----------
    labels
        Bar labels (bilingual, e.g. "水源涵养 Water conservation"): drawn as SVG text by the browser.
    values
        Bar lengths [``unit``].
    unit
        The unit written on the axis, e.g. "亿元/yr".
    shares
        Optional shares [1] written after the values as percentages.
    """
    vals = np.asarray(values, dtype="float64")
    n = len(vals)
    row, top, bottom = 24, 30 if title else 10, 42
    height = top + row * max(n, 1) + bottom
    lo, hi = min(0.0, float(np.nanmin(vals)) if n else 0.0), max(0.0, float(np.nanmax(vals)) if n else 1.0)
    ticks = nice_ticks(lo, hi, 5)
    lo, hi = min(lo, ticks[0]), max(hi, ticks[-1])
    plot_w = width - label_width - 120
    x = lambda v: label_width + (v - lo) / ((hi - lo) or 1.0) * plot_w  # noqa: E731
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{_e(title)}">'
    ]
    if title:
        out.append(f'<text class="title" x="0" y="16">{_e(title)}</text>')
    y0, y1 = top, top + row * n
    out.append('<g class="grid">')
    for t in ticks:
        out.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{y0}" y2="{y1}"/>')
    out.append("</g>")
    for i, (lab, v) in enumerate(zip(labels, vals, strict=True)):
        yc = top + row * i + row / 2
        a, b = sorted((x(0.0), x(v if v == v else 0.0)))
        colour = POS if v >= 0 else NEG
        out.append(f'<text class="label" x="{label_width - 8}" y="{yc + 4:.1f}" text-anchor="end">{_e(lab)}</text>')
        out.append(f'<rect x="{a:.1f}" y="{yc - 8:.1f}" width="{max(b - a, 0.5):.1f}" height="16" fill="{colour}"/>')
        text = number(v) + (f" ({shares[i]:.1%})" if shares is not None and shares[i] == shares[i] else "")
        tx, anchor = (b + 4, "start") if v >= 0 else (a - 4, "end")
        out.append(f'<text class="value" x="{tx:.1f}" y="{yc + 4:.1f}" text-anchor="{anchor}">{_e(text)}</text>')
    out.append(f'<g class="axis"><line x1="{x(0):.1f}" x2="{x(0):.1f}" y1="{y0}" y2="{y1}"/>')
    out.append(f'<line x1="{x(lo):.1f}" x2="{x(hi):.1f}" y1="{y1}" y2="{y1}"/></g>')
    for t in ticks:
        out.append(f'<text class="tick" x="{x(t):.1f}" y="{y1 + 14}" text-anchor="middle">{_e(number(t))}</text>')
    out.append(
        f'<text class="tick" x="{x(lo) + plot_w / 2:.1f}" y="{y1 + 32}" text-anchor="middle">[{_e(unit)}]</text>'
    )
    out.append("</svg>")
    return "".join(out)


def svg_xy(
    x: Sequence[float],
    bars: dict[str, Sequence[float]] | None = None,
    lines: dict[str, Sequence[float]] | None = None,
    unit: str = "",
    *,
    title: str = "",
    xlabel: str = "年份 year",
    width: int = 820,
    height: int = 300,
) -> str:
    """Columns (stacked up and down from 0) and lines over whole years (or any x), with a legend."""
    bars, lines = dict(bars or {}), dict(lines or {})
    xs = np.asarray(x, dtype="float64")
    series = [np.asarray(v, dtype="float64") for v in (*bars.values(), *lines.values())]
    pos = np.sum([np.clip(v, 0, None) for v in bars.values()], axis=0) if bars else np.zeros_like(xs)
    neg = np.sum([np.clip(v, None, 0) for v in bars.values()], axis=0) if bars else np.zeros_like(xs)
    allv = np.concatenate([pos, neg, *series]) if series else np.array([0.0, 1.0])
    allv = allv[np.isfinite(allv)]
    lo, hi = min(0.0, float(allv.min(initial=0.0))), max(0.0, float(allv.max(initial=1.0)))
    ticks = nice_ticks(lo, hi, 5)
    lo, hi = ticks[0], ticks[-1]
    left, right, top, bottom = 90, 20, 30 if title else 12, 70
    pw, ph = width - left - right, height - top - bottom
    n = max(len(xs), 1)
    xmin, xmax = (float(xs.min()), float(xs.max())) if len(xs) else (0.0, 1.0)
    span = (xmax - xmin) or 1.0
    slot = pw / n
    X = lambda v: left + (v - xmin) / span * (pw - slot) + slot / 2  # noqa: E731
    Y = lambda v: top + (hi - v) / ((hi - lo) or 1.0) * ph  # noqa: E731
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{_e(title)}">'
    ]
    if title:
        out.append(f'<text class="title" x="0" y="16">{_e(title)}</text>')
    out.append('<g class="grid">')
    for t in ticks:
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{Y(t):.1f}" y2="{Y(t):.1f}"/>')
    out.append("</g>")
    for t in ticks:
        out.append(f'<text class="tick" x="{left - 6}" y="{Y(t) + 4:.1f}" text-anchor="end">{_e(number(t))}</text>')
    up, down = np.zeros_like(xs), np.zeros_like(xs)
    bw = max(1.0, slot * 0.7)
    colours = iter(PALETTE)
    legend = []
    for name, v in bars.items():
        c = next(colours)
        legend.append((name, c, "bar"))
        for xi, vi, u, d in zip(xs, np.asarray(v, dtype="float64"), up, down, strict=True):
            if not np.isfinite(vi) or vi == 0:
                continue
            base = u if vi > 0 else d
            y_a, y_b = sorted((Y(base), Y(base + vi)))
            out.append(
                f'<rect x="{X(xi) - bw / 2:.1f}" y="{y_a:.1f}" width="{bw:.1f}" height="{max(y_b - y_a, 0.5):.1f}" '
                f'fill="{c}"><title>{_e(name)} {int(xi) if float(xi).is_integer() else xi}: {_e(number(vi))}</title>'
                "</rect>"
            )
        up += np.clip(np.nan_to_num(np.asarray(v, dtype="float64")), 0, None)
        down += np.clip(np.nan_to_num(np.asarray(v, dtype="float64")), None, 0)
    dashes = iter(("", "6 4", "2 3", "8 3 2 3"))
    for name, v in lines.items():
        c, dash = next(colours), next(dashes, "")
        legend.append((name, c, "line"))
        pts = " ".join(f"{X(a):.1f},{Y(b):.1f}" for a, b in zip(xs, np.asarray(v, dtype="float64"), strict=True))
        da = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<polyline fill="none" stroke="{c}" stroke-width="2"{da} points="{pts}"/>')
    out.append(f'<g class="axis"><line x1="{left}" x2="{left + pw}" y1="{Y(0):.1f}" y2="{Y(0):.1f}"/>')
    out.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + ph}"/></g>')
    every = max(1, math.ceil(n / (pw / 40)))
    for k, xi in enumerate(xs):
        if k % every == 0:
            lab = int(xi) if float(xi).is_integer() else number(xi)
            out.append(f'<text class="tick" x="{X(xi):.1f}" y="{top + ph + 14}" text-anchor="middle">{lab}</text>')
    out.append(f'<text class="tick" x="{left + pw / 2}" y="{top + ph + 30}" text-anchor="middle">{_e(xlabel)}</text>')
    out.append(
        f'<text class="tick" transform="translate(14 {top + ph / 2}) rotate(-90)" text-anchor="middle">'
        f"[{_e(unit)}]</text>"
    )
    lx = left
    for name, c, kind in legend:
        ly = height - 14
        mark = (
            f'<rect x="{lx}" y="{ly - 9}" width="12" height="10" fill="{c}"/>'
            if kind == "bar"
            else f'<line x1="{lx}" x2="{lx + 14}" y1="{ly - 4}" y2="{ly - 4}" stroke="{c}" stroke-width="2"/>'
        )
        out.append(mark + f'<text class="label" x="{lx + 18}" y="{ly}">{_e(name)}</text>')
        lx += 26 + 7.5 * _text_width(name)
    out.append("</svg>")
    return "".join(out)


def _text_width(s: str) -> float:
    """Rough width of ``s`` in 12-px characters (CJK characters count double)."""
    return sum(2.0 if ord(ch) > 0x2E80 else 1.0 for ch in s)


def svg_histogram(values: Sequence[float], unit: str, *, title: str = "", marks: dict[str, float] | None = None) -> str:
    """A histogram of ``values`` [unit] with vertical marks (e.g. P5, P50, P95)."""
    v = np.asarray(values, dtype="float64")
    v = v[np.isfinite(v)]
    counts, edges = np.histogram(v, bins=min(40, max(5, len(v) // 10))) if len(v) else (np.array([0]), [0, 1])
    centres = (np.asarray(edges[:-1]) + np.asarray(edges[1:])) / 2
    svg = svg_xy(centres, bars={"抽样数 draws": counts}, unit="抽样数 draws", title=title, xlabel=f"[{unit}]")
    if not marks or not len(v):
        return svg
    # marks as a caption-free overlay: positions on the same x scale as svg_xy's slots
    width, left, right = 820, 90, 20
    pw, n = width - left - right, len(centres)
    slot = pw / n
    span = (centres.max() - centres.min()) or 1.0
    extra = []
    for name, m in marks.items():
        xm = left + (m - centres.min()) / span * (pw - slot) + slot / 2
        extra.append(
            f'<line x1="{xm:.1f}" x2="{xm:.1f}" y1="30" y2="230" stroke="#222" stroke-dasharray="3 3"/>'
            f'<text class="value" x="{xm + 3:.1f}" y="42">{_e(name)} {_e(number(m))}</text>'
        )
    return svg.replace("</svg>", "".join(extra) + "</svg>")


# -- the value map ---------------------------------------------------------------------------------------


def _png_rgba(rgba: np.ndarray) -> bytes:
    from matplotlib.image import imsave

    buf = io.BytesIO()
    imsave(buf, rgba, format="png")
    return buf.getvalue()


def _scale_length(width_m: float) -> float:
    """A round length [m] of about a fifth of the map's width."""
    target = width_m / 5
    mag = 10 ** math.floor(math.log10(target))
    return next(m * mag for m in (5, 2.5, 2, 1) if m * mag <= target)


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
    from matplotlib import colormaps

    xmin, xmax, ymin, ymax = extent
    lat0 = (ymin + ymax) / 2
    kx = math.cos(math.radians(lat0)) if geographic else 1.0  # degrees of longitude are shorter
    w_world, h_world = (xmax - xmin) * kx, ymax - ymin
    map_w = width - 150
    map_h = max(120, int(map_w * h_world / (w_world or 1.0)))
    if map_h > 560:
        map_w, map_h = int(map_w * 560 / map_h), 560
    top = 30 if title else 8
    height = top + map_h + 56
    X = lambda x: (x - xmin) / ((xmax - xmin) or 1.0) * map_w  # noqa: E731
    Y = lambda y: top + (ymax - y) / ((ymax - ymin) or 1.0) * map_h  # noqa: E731
    finite = density[np.isfinite(density)]
    if diverging:
        vmax = float(np.abs(finite).max()) if finite.size else 1.0
        vmin, cmap = -(vmax or 1.0), colormaps["RdBu"]
        vmax = vmax or 1.0
    else:
        vmin, vmax, cmap = 0.0, float(finite.max()) if finite.size else 1.0, colormaps["YlGn"]
        vmax = vmax or 1.0
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
    out.append(f'<rect x="0" y="{top}" width="{map_w}" height="{map_h}" fill="none" stroke="#c5ccd3"/>')
    # scale bar: metres along the bottom edge (geodesic where geographic)
    if geographic:
        from pyproj import Geod

        _, _, width_m = Geod(ellps="WGS84").inv(xmin, lat0, xmax, lat0)
    else:
        width_m = xmax - xmin
    length = _scale_length(abs(width_m))
    bar_px = length / abs(width_m or 1.0) * map_w
    sy = top + map_h + 22
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    out.append(
        f'<g class="scalebar"><line x1="10" x2="{10 + bar_px:.1f}" y1="{sy}" y2="{sy}" stroke="#222" stroke-width="3"/>'
        f'<line x1="10" x2="10" y1="{sy - 5}" y2="{sy + 5}" stroke="#222"/>'
        f'<line x1="{10 + bar_px:.1f}" x2="{10 + bar_px:.1f}" y1="{sy - 5}" y2="{sy + 5}" stroke="#222"/>'
        f'<text class="tick" x="10" y="{sy + 16}">{label} 比例尺 scale</text>'
        "</g>"
    )
    # north arrow
    nx_, ny_ = map_w - 18, top + 14
    out.append(
        f'<g class="north"><path d="M{nx_},{ny_ - 10} L{nx_ + 6},{ny_ + 6} L{nx_},{ny_ + 2} L{nx_ - 6},{ny_ + 6} Z" '
        f'fill="#222"/><text class="tick" x="{nx_}" y="{ny_ + 20}" text-anchor="middle">北 N</text></g>'
    )
    # legend: a colour ramp with ticks
    lx, lw, ly0, ly1 = map_w + 24, 16, top + 10, top + min(map_h, 260) - 10
    steps = 24
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
    import xarray as xr

    from gepcalc.units import factor

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


# -- the county account report ---------------------------------------------------------------------------


def _bilingual(zh: str, en: str) -> str:
    zh, en = str(zh or "").strip(), str(en or "").strip()
    return f"{zh} {en}".strip() if zh != en else zh


def _relative_paths(df: pd.DataFrame) -> pd.DataFrame:
    from gepcalc.export import display_path

    df = df.copy()
    for c in ("file",):
        if c in df.columns:
            df[c] = [display_path(v) if isinstance(v, str) and v else v for v in df[c]]
    return df


def _value_map_section(acct: Account, unit: str, landcover, regions, **kw) -> str:
    import geopandas as gpd

    from gepcalc.landscape import build_landscape
    from gepcalc.maps import spread_by_area
    from gepcalc.profiles import load_profile
    from gepcalc.zonal import on_grid

    classes = kw.get("landcover_classes") or load_profile(acct.data.attrs.get("profile", "mee-2020")).landcover_classes
    land = build_landscape(
        landcover,
        classes=None if classes is False else classes,
        regions=regions,
        region_field=kw.get("region_field"),
        region_name=kw.get("region_name"),
        chunks=True,
    )
    value = spread_by_area(acct.data, land).rio.write_crs(land.landcover.rio.crs)
    area = on_grid(land.area, land)
    outline = None
    if regions is not None:
        outline = regions if isinstance(regions, gpd.GeoDataFrame) else gpd.read_file(regions)
        outline = outline.to_crs(land.landcover.rio.crs)
    per = f"{unit} / km**2 / yr"
    svg = map_from_values(
        value.compute(),
        area.compute(),
        outline,
        unit=per,
        label_unit=f"{unit}/km²/yr",
        title="单位面积生态系统生产总值 GEP per km²",
    )
    return figure(
        svg,
        "每个区域 × 生态系统类型的价值按面积分配到其像元 (gepcalc.maps.spread_by_area); 黑线: 区域边界. "
        "Each region × ecosystem type value spread over its pixels by area; black: region outlines.",
    )


def account_sections(
    acct: Account,
    unit: str = "亿元",
    *,
    landcover: Any = None,
    regions: Any = None,
    **map_kw,
) -> list[Section]:
    """The sections of the county report (totals, charts, map, indicators, not computed, sources, notes)."""
    vcol = f"value [{unit}/yr]"
    tot = acct.total(unit=unit)
    gep = tot[tot["category"] == "GEP"].iloc[0]
    band = ""
    if acct.uncertainty is not None:  # the Monte Carlo's 90 % interval (gepcalc.uncertainty)
        g = acct.uncertainty.gep(unit)
        band = f" · 90 %: {number(g['p05'])}–{number(g['p95'])}"
    cards = [
        f'<div class="card"><div class="k">生态系统生产总值 GEP</div><div class="v">{number(gep[vcol])}</div>'
        f'<div class="s">{_e(unit)}/yr{_e(band)}</div></div>'
    ]
    for _, r in tot[tot["category"] != "GEP"].iterrows():
        cards.append(
            f'<div class="card"><div class="k">{_e(_bilingual(r["name_zh"], r["name_en"]))}</div>'
            f'<div class="v">{number(r[vcol])}</div><div class="s">{_e(unit)}/yr · {r["share"]:.1%}</div></div>'
        )
    cats = tot[tot["category"] != "GEP"]
    sections = [
        Section(
            "totals",
            "总量与构成 Totals and shares",
            f'<div class="cards">{"".join(cards)}</div>'
            + figure(
                svg_bars(
                    [_bilingual(r["name_zh"], r["name_en"]) for _, r in cats.iterrows()],
                    cats[vcol].to_numpy(),
                    f"{unit}/yr",
                    shares=cats["share"].to_numpy(),
                    title="按类别 by category",
                )
            ),
        )
    ]
    by = acct.by("service", unit=unit).sort_values(vcol, ascending=False)
    sections.append(
        Section(
            "services",
            "按指标 By indicator",
            figure(
                svg_bars(
                    [_bilingual(r["name_zh"], r["name_en"]) for _, r in by.iterrows()],
                    by[vcol].to_numpy(),
                    f"{unit}/yr",
                    shares=by["share"].to_numpy(),
                    title="各指标价值 value by indicator",
                )
            ),
        )
    )
    reg = acct.by("region", unit=unit)
    if len(reg) > 1:
        reg = reg.sort_values(vcol, ascending=False)
        top = reg.head(30)
        sections.append(
            Section(
                "regions",
                "按区域 By region",
                figure(
                    svg_bars(
                        [str(r) for r in top["region"]],
                        top[vcol].to_numpy(),
                        f"{unit}/yr",
                        shares=top["share"].to_numpy(),
                        title=f"各区域价值 value by region ({len(top)} of {len(reg)})",
                    )
                )
                + table_html(
                    reg.rename(columns={"region": "区域 region", vcol: f"价值 {vcol}", "share": "占比"}),
                    percent=["占比"],
                ),
            )
        )
    eco = acct.by("ecosystem", unit=unit)
    zh = dict(zip(acct.data["ecosystem"].values, acct.data["ecosystem_zh"].values, strict=True))
    en = dict(zip(acct.data["ecosystem"].values, acct.data["ecosystem_en"].values, strict=True))
    eco = eco[eco[vcol].abs() > 0].sort_values(vcol, ascending=False)
    if len(eco):
        total = float(eco[vcol].sum()) or 1.0
        sections.append(
            Section(
                "ecosystems",
                "按生态系统类型 By ecosystem type",
                figure(
                    svg_bars(
                        [_bilingual(zh.get(e, e), en.get(e, e)) for e in eco["ecosystem"]],
                        eco[vcol].to_numpy(),
                        f"{unit}/yr",
                        shares=(eco[vcol] / total).to_numpy(),
                        title="各生态系统类型价值 value by ecosystem type",
                    )
                ),
            )
        )
    if landcover is not None:
        try:
            sections.append(
                Section("map", "价值分布图 Value map", _value_map_section(acct, unit, landcover, regions, **map_kw))
            )
        except Exception as exc:  # a map that cannot be drawn must not lose the report
            why = f"<p class='note'>no map: {_e(type(exc).__name__)}: {_e(exc)}</p>"
            sections.append(Section("map", "价值分布图 Value map", why))
    from gepcalc.export import bilingual_summary

    summary = bilingual_summary(acct, unit)
    sections.append(
        Section(
            "indicators",
            "指标明细 Indicators",
            table_html(summary, percent=[c for c in summary.columns if "share" in c or "占比" in c]),
        )
    )
    if acct.uncertainty is not None:
        sections.append(Section("uncertainty", "不确定性 Uncertainty (90 % interval)", _uncertainty_html(acct, unit)))
    nc = acct.not_computed
    if len(nc):
        rows = "".join(
            f"<li><b>{_e(_bilingual(r.name_zh, r.name_en))}</b>"
            f"{' · ' + _e(r.item) if r.item else ''}: {_e(r.reason)}</li>"
            for r in nc.itertuples()
        )
        sections.append(Section("not-computed", "未核算指标 Not computed, with what each needs", f"<ul>{rows}</ul>"))
    src = acct.sources
    if len(src):
        cols = [c for c in ("service", "parameter", "table", "value", "source", "status", "file", "row") if c in src]
        sections.append(
            Section("sources", "参数来源 Sources of the coefficients", table_html(_relative_paths(src[cols])))
        )
    notes = "".join(f"<li>{_e(n)}</li>" for n in acct.notes) or "<li>-</li>"
    sections.append(Section("notes", "说明 Notes", f'<ul class="notes">{notes}</ul>'))
    return sections


def _uncertainty_html(acct: Account, unit: str) -> str:
    """GEP, categories and indicators with mean, P05 and P95 of the draws; the coefficients drawn."""
    u = acct.uncertainty
    keep = lambda df: df[[c for c in df.columns if c not in ("share",)]]  # noqa: E731
    return (
        f"<p class='note'>{u.n} Monte Carlo draws (seed {u.seed}) of every coefficient whose table row declares "
        "a range (X_low / X_high); rows without a range are held at their values (see the notes). "
        "docs/uncertainty.md.</p>"
        + table_html(keep(acct.total(unit=unit)))
        + table_html(keep(acct.by("service", unit=unit)))
        + "<h3>抽样的系数 Coefficients drawn</h3>"
        + table_html(u.coefficients)
    )


def write_html(
    acct: Account,
    path: str | Path,
    unit: str = "亿元",
    *,
    landcover: Any = None,
    regions: Any = None,
    **map_kw,
) -> Path:
    """Write the county account report: one self-contained HTML file (no scripts, no downloads).

    Parameters
    ----------
    acct
        The account.
    path
        The HTML file to write.
    unit
        Money unit of the report: CNY, 万元 or 亿元.
    landcover, regions
        The land cover and region polygons the account was computed on, for the value map (with
        ``region_field``, ``region_name``, ``landcover_classes`` as given to :func:`gepcalc.account`).
        ``landcover`` defaults to the file recorded in the account; without regions the map has no outline.
    """
    from gepcalc.export import display_path

    attrs = acct.data.attrs
    if landcover is None and attrs.get("landcover") and Path(str(attrs["landcover"])).is_file():
        landcover = attrs["landcover"]
    years = ", ".join(str(y) for y in acct.data["year"].values)
    regions_ = list(acct.data["region"].values)
    title = attrs.get("title") or f"{'、'.join(regions_[:3])} GEP {years}"
    meta = [
        f"核算年份 year {years} · 价格年份 price year {attrs.get('price_year')} · {attrs.get('price_basis', '')}",
        f"规范 profile {attrs.get('profile')}: {attrs.get('profile_document', '')}",
        f"区域 regions ({len(regions_)}): {', '.join(map(str, regions_[:12]))}{' …' if len(regions_) > 12 else ''}",
    ]
    if attrs.get("landcover"):
        meta.append(f"土地覆被 land cover: {display_path(str(attrs['landcover']))}")
    meta.append(f"货币单位 money in {unit} (1 万元 = 10⁴ CNY, 1 亿元 = 10⁸ CNY); 数量单位 per year written /yr (= /a)")
    page = render_page(
        f"{title} — 生态系统生产总值核算报告 GEP account report",
        account_sections(acct, unit, landcover=landcover, regions=regions, **map_kw),
        meta=meta,
    )
    return write_text(path, page)
