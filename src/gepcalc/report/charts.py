"""SVG charts of the reports: horizontal bars (:func:`svg_bars`), columns and lines over years
(:func:`svg_xy`) and a histogram with marks (:func:`svg_histogram`).

Text is SVG ``<text>`` drawn by the browser (Chinese labels use the reader's fonts); axis numbers are
written in the unit named on the axis.  Maps are in :mod:`gepcalc.report.maps`; how a number is
written is :mod:`gepcalc.report.labels`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from gepcalc.report.labels import escape as _e
from gepcalc.report.labels import nice_ticks, number, text_width

__all__ = ["NEG", "PALETTE", "POS", "svg_bars", "svg_histogram", "svg_xy"]

#: colours of the charts (positive, negative, accents)
POS, NEG = "#2a9d8f", "#e76f51"
PALETTE = ("#2a9d8f", "#264653", "#e9c46a", "#f4a261", "#e76f51", "#8ab17d", "#6d597a", "#457b9d")


def _svg_open(width: int, height: int, title: str) -> list[str]:
    """The ``<svg>`` element's opening tag and, where given, the chart's title."""
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{_e(title)}">'
    ]
    if title:
        out.append(f'<text class="title" x="0" y="16">{_e(title)}</text>')
    return out


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
    out = _svg_open(width, height, title)
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


def _value_range(xs: np.ndarray, bars: dict[str, Sequence[float]], lines: dict[str, Sequence[float]]) -> list[float]:
    """Round ticks of the y axis: 0, the stacked columns (up and down) and every line inside."""
    series = [np.asarray(v, dtype="float64") for v in (*bars.values(), *lines.values())]
    pos = np.sum([np.clip(v, 0, None) for v in bars.values()], axis=0) if bars else np.zeros_like(xs)
    neg = np.sum([np.clip(v, None, 0) for v in bars.values()], axis=0) if bars else np.zeros_like(xs)
    allv = np.concatenate([pos, neg, *series]) if series else np.array([0.0, 1.0])
    allv = allv[np.isfinite(allv)]
    lo, hi = min(0.0, float(allv.min(initial=0.0))), max(0.0, float(allv.max(initial=1.0)))
    return nice_ticks(lo, hi, 5)


def _stacked_columns(
    bars: dict[str, Sequence[float]],
    xs: np.ndarray,
    X: Callable[[float], float],
    Y: Callable[[float], float],
    bw: float,
    colours: Iterator[str],
) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Columns stacked up (positive) and down (negative) from 0, each with a hover title; and legend entries."""
    out, legend = [], []
    up, down = np.zeros_like(xs), np.zeros_like(xs)
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
    return out, legend


def _polylines(
    lines: dict[str, Sequence[float]],
    xs: np.ndarray,
    X: Callable[[float], float],
    Y: Callable[[float], float],
    colours: Iterator[str],
) -> tuple[list[str], list[tuple[str, str, str]]]:
    """One line per series (solid, then dashed patterns); and legend entries."""
    out, legend = [], []
    dashes = iter(("", "6 4", "2 3", "8 3 2 3"))
    for name, v in lines.items():
        c, dash = next(colours), next(dashes, "")
        legend.append((name, c, "line"))
        pts = " ".join(f"{X(a):.1f},{Y(b):.1f}" for a, b in zip(xs, np.asarray(v, dtype="float64"), strict=True))
        da = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<polyline fill="none" stroke="{c}" stroke-width="2"{da} points="{pts}"/>')
    return out, legend


def _legend(entries: Sequence[tuple[str, str, str]], left: float, y: float) -> list[str]:
    """Legend entries side by side on one line: a swatch (column) or a stroke (line), then the name."""
    out, lx = [], left
    for name, c, kind in entries:
        mark = (
            f'<rect x="{lx}" y="{y - 9}" width="12" height="10" fill="{c}"/>'
            if kind == "bar"
            else f'<line x1="{lx}" x2="{lx + 14}" y1="{y - 4}" y2="{y - 4}" stroke="{c}" stroke-width="2"/>'
        )
        out.append(mark + f'<text class="label" x="{lx + 18}" y="{y}">{_e(name)}</text>')
        lx += 26 + 7.5 * text_width(name)
    return out


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
    """Columns (stacked up and down from 0) and lines over whole years (or any x), with a legend.

    Parameters
    ----------
    x
        Positions on the x axis (years, or any numbers), one column slot each.
    bars, lines
        Series by name [``unit``], one value per ``x``.
    unit
        The unit written on the y axis.
    """
    bars, lines = dict(bars or {}), dict(lines or {})
    xs = np.asarray(x, dtype="float64")
    ticks = _value_range(xs, bars, lines)
    lo, hi = ticks[0], ticks[-1]
    left, right, top, bottom = 90, 20, 30 if title else 12, 70
    pw, ph = width - left - right, height - top - bottom
    n = max(len(xs), 1)
    xmin, xmax = (float(xs.min()), float(xs.max())) if len(xs) else (0.0, 1.0)
    span = (xmax - xmin) or 1.0
    slot = pw / n
    X = lambda v: left + (v - xmin) / span * (pw - slot) + slot / 2  # noqa: E731
    Y = lambda v: top + (hi - v) / ((hi - lo) or 1.0) * ph  # noqa: E731
    out = _svg_open(width, height, title)
    out.append('<g class="grid">')
    for t in ticks:
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{Y(t):.1f}" y2="{Y(t):.1f}"/>')
    out.append("</g>")
    for t in ticks:
        out.append(f'<text class="tick" x="{left - 6}" y="{Y(t) + 4:.1f}" text-anchor="end">{_e(number(t))}</text>')
    colours = iter(PALETTE)
    columns, legend = _stacked_columns(bars, xs, X, Y, max(1.0, slot * 0.7), colours)
    strokes, line_legend = _polylines(lines, xs, X, Y, colours)
    out += columns + strokes
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
    out += _legend(legend + line_legend, left, height - 14)
    out.append("</svg>")
    return "".join(out)


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
