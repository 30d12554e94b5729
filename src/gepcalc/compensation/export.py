"""Compensation outputs: a workbook with bilingual headers and an HTML section with a flow diagram.

The diagram is SVG drawn here (regions as labelled boxes at their centroids, arrows
from supplier to first receiver with widths proportional to the value), its text
as SVG ``<text>`` so that Chinese names show with the reader's own fonts and can be
searched and copied; no image library is needed.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import pandas as pd

from gepcalc.compensation.flows import OUTLET
from gepcalc.export import write_sheets
from gepcalc.io import write_text
from gepcalc.units import factor

#: Chinese + English column headers of the workbook
HEADERS = {
    "layer": "服务流 layer",
    "unit": "单位 unit",
    "matrix": "矩阵 matrix (first 首个受益区 / through 途经受益区)",
    "source": "供给区 source",
    "receiver": "受益区 receiver",
    "quantity": "实物量 quantity",
    "value": "价值量 value [万元/yr]",
    "rule": "规则 rule",
    "method": "方法 method",
    "year": "年份 year",
    "payer": "付款方 payer",
    "payee": "收款方 payee",
    "amount": "补偿金额 amount [万元]",
    "basis": "计算依据 basis",
    "region": "区域 region",
    "supply": "供给量 supply",
    "section": "断面 section",
    "P": "补偿指数 P",
    "k0": "水质稳定系数 k0",
    "tier": "档位 tier",
    "note": "说明 note",
}

_WAN = factor("CNY", "万元")


def _bi(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in ("value", "amount"):
        if col in out:
            out[col] = out[col] * _WAN
    return out.rename(columns=lambda c: HEADERS.get(c, c))


def supply_table(result) -> pd.DataFrame:
    rows = []
    for key, layer in result.layers.items():
        for region in layer.flows.supply.index:
            rows.append([key, layer.flows.unit, region, float(layer.flows.supply[region]), float(layer.value[region])])
    return pd.DataFrame(rows, columns=["layer", "unit", "region", "supply", "value"])


def write_excel(result, path: Path) -> Path:
    """Sheets: flows 服务流, supply 供给, amounts 补偿金额, sections 断面 (if any), notes 说明; money in 万元."""
    sheets = {
        "amounts 补偿金额": _bi(result.amounts),
        "flows 服务流": _bi(result.flows_table()),
        "supply 供给": _bi(supply_table(result)),
    }
    if not result.sections.empty:
        sec = result.sections.copy()
        sec["amount"] = sec["amount"] * _WAN
        sheets["sections 断面"] = sec.rename(columns=lambda c: HEADERS.get(c, c))
    notes = [f"price basis 价格基准: {result.price_basis}"] if result.price_basis else []
    sheets["notes 说明"] = pd.DataFrame({HEADERS["note"]: notes + list(result.notes)})
    return write_sheets(path, sheets)


def flow_svg(
    result, layer_key: str | None = None, width: int = 640, height: int = 420, min_fraction: float = 0.005
) -> str:
    """SVG arrows from each supplier to its first receivers, widths ∝ value [CNY/yr] (all layers summed by default).

    Arrows under ``min_fraction`` of the largest are not drawn (boundary cells draining across an edge).
    """
    keys = [layer_key] if layer_key else list(result.layers)
    if not keys:
        return ""
    values = sum(result.layers[k].value_first for k in keys)
    names = list(values.index)
    pos = _positions(names, result.centroids, width, height)
    pos[OUTLET] = (width - 60, height - 30)
    flows = [(s, r, float(values.loc[s, r])) for s in names for r in values.columns if r != s and values.loc[s, r] > 0]
    top = max((v for *_, v in flows), default=1.0)
    flows = [(s, r, v) for s, r, v in flows if v >= min_fraction * top]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="sans-serif" font-size="12">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="5" markerHeight="5" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#2b6cb0"/></marker></defs>',
    ]
    for s, r, v in flows:
        (x0, y0), (x1, y1) = pos[s], pos[r]
        w = 1.0 + 11.0 * v / top
        dx, dy = x1 - x0, y1 - y0
        d = math.hypot(dx, dy) or 1.0
        sx, sy, ex, ey = x0 + dx / d * 28, y0 + dy / d * 16, x1 - dx / d * 30, y1 - dy / d * 18
        out.append(
            f'<line x1="{sx:.1f}" y1="{sy:.1f}" x2="{ex:.1f}" y2="{ey:.1f}" stroke="#2b6cb0" stroke-opacity="0.7" '
            f'stroke-width="{w:.1f}" marker-end="url(#arrow)"><title>{html.escape(s)} → {html.escape(r)}: '
            f"{v * _WAN:,.1f} 万元/yr</title></line>"
        )
        out.append(
            f'<text x="{(sx + ex) / 2:.1f}" y="{(sy + ey) / 2 - 4:.1f}" text-anchor="middle" fill="#1a365d">'
            f"{v * _WAN:,.1f}</text>"
        )
    for n in [*names, OUTLET] if any(r == OUTLET for _, r, _ in flows) else names:
        x, y = pos[n]
        label = "出口 outlet" if n == OUTLET else n
        out.append(
            f'<rect x="{x - 28:.1f}" y="{y - 14:.1f}" width="56" height="28" rx="6" fill="#edf2f7" stroke="#4a5568"/>'
            f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle">{html.escape(label)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


def _positions(names, centroids, width, height):
    if centroids and all(n in centroids for n in names):
        xs = [centroids[n][0] for n in names]
        ys = [centroids[n][1] for n in names]
        x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
        sx = (width - 160) / (x1 - x0 or 1.0)
        sy = (height - 100) / (y1 - y0 or 1.0)
        s = min(sx, sy)
        return {n: (50 + (centroids[n][0] - x0) * s, 40 + (y1 - centroids[n][1]) * s) for n in names}
    k = len(names)
    return {
        n: (
            width / 2 + (width / 2 - 80) * math.cos(2 * math.pi * i / k),
            height / 2 + (height / 2 - 50) * math.sin(2 * math.pi * i / k),
        )
        for i, n in enumerate(names)
    }


def html_section(result) -> str:
    """An HTML ``<section>``: the flow diagram per layer and the amounts table (万元)."""
    title = f": {html.escape(result.title)}" if result.title else ""
    parts = [f"<section class='compensation'><h2>生态补偿 Eco-compensation{title}</h2>"]
    if result.layers:
        parts.append("<h3>服务流 Service flows (first receiver, value 万元/yr)</h3>")
        parts.append(flow_svg(result))
        for layer in result.layers.values():
            parts.append(
                f"<h4>{html.escape(layer.name_zh)} {html.escape(layer.name_en)} [{html.escape(layer.flows.unit)}]</h4>"
            )
            parts.append(layer.flows.first.to_html(float_format=lambda v: f"{v:,.1f}"))
    if not result.amounts.empty:
        parts.append("<h3>补偿金额 Amounts [万元]</h3>")
        parts.append(_bi(result.amounts).to_html(index=False, float_format=lambda v: f"{v:,.2f}"))
    if not result.sections.empty:
        parts.append("<h3>断面补偿指数 Section index P</h3>")
        parts.append(result.sections.to_html(index=False, float_format=lambda v: f"{v:,.4f}"))
    if result.price_basis:
        parts.append(f"<p>价格基准 price basis: {html.escape(result.price_basis)}</p>")
    parts.append("</section>")
    return "\n".join(parts)


def write_html(result, path: Path) -> Path:
    """A standalone UTF-8 HTML page with :func:`html_section`."""
    return write_text(
        path,
        "<!DOCTYPE html><html lang='zh'><head><meta charset='utf-8'><title>gepcalc compensation</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:auto}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}</style></head><body>"
        + html_section(result)
        + "</body></html>",
    )
