"""The report page shared by the county and the project report: the jinja2 template
(``templates/report.html.j2``), the stylesheet (``templates/report.css``), sections, tables and figures.

What goes into the sections (charts, maps, the county account's tables) is elsewhere:
:mod:`gepcalc.report.charts`, :mod:`gepcalc.report.maps`, :mod:`gepcalc.report.county`.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.resources import files

import numpy as np
import pandas as pd

from gepcalc._version import __version__
from gepcalc.report.labels import escape

__all__ = ["Section", "css", "figure", "img", "render_page", "table_html"]


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
    # lazy: jinja2 is loaded only when a page is rendered (start-up time), not to dodge a cycle
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


def _cell(v, col, percent: Sequence[str], decimals: int) -> str:
    """One ``<td>``: numbers right-aligned (class ``num``), text left-aligned (class ``text``), escaped."""
    if v is None or (isinstance(v, float) and v != v) or v is pd.NA:
        return '<td class="num"></td>'
    if isinstance(v, bool | np.bool_):
        return f'<td class="text">{escape(v)}</td>'
    if isinstance(v, int | np.integer):
        return f'<td class="num">{int(v)}</td>' if "year" in str(col) else f'<td class="num">{int(v):,d}</td>'
    if isinstance(v, float | np.floating):
        if col in percent:
            return f'<td class="num">{v:.1%}</td>'
        text = f"{v:,.{decimals}f}" if abs(v) >= 0.01 or v == 0 else f"{v:.3g}"
        return f'<td class="num">{text}</td>'
    return f'<td class="text">{escape(v)}</td>'


def table_html(df: pd.DataFrame, *, percent: Sequence[str] = (), decimals: int = 2) -> str:
    """A table: numbers right-aligned and unbroken with thousands separators and ``decimals`` places,
    ``percent`` columns as %, text left-aligned and wrapped; everything escaped."""
    numeric = {c: pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]) for c in df.columns}
    head = "".join(f'<th class="{"num" if numeric[c] else "text"}">{escape(c)}</th>' for c in df.columns)
    body = "".join(
        "<tr>" + "".join(_cell(v, c, percent, decimals) for v, c in zip(row, df.columns, strict=True)) + "</tr>"
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
