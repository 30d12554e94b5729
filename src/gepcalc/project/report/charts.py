"""The project report's charts and change maps: SVG for the HTML page, a PNG map for ``write_maps``.

Holds the SVG charts (ΔGEP by service, by year, cash flow, cumulative cash flow, DSCR, Monte
Carlo histogram, tornado), :func:`change_map` (the SVG map of the page) and :func:`map_png`
(matplotlib, English labels).  The SVG helpers are the county report's (:mod:`gepcalc.report`),
so Chinese labels use the reader's fonts.  It does not assemble the page
(:mod:`~gepcalc.project.report.page`).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import numpy as np

from gepcalc.project.maps import density_for_display
from gepcalc.report import figure, map_from_values, svg_bars, svg_histogram, svg_xy
from gepcalc.units import factor
from gepcalc.zonal import on_grid

if TYPE_CHECKING:
    from gepcalc.project.result import ProjectResult

#: money units as chart labels (the charts assume no CJK font)
CHART_UNITS = {"万元": "10^4 CNY", "亿元": "10^8 CNY"}


def _u(unit: str) -> str:
    """A money unit as a chart label (:data:`CHART_UNITS`)."""
    return CHART_UNITS.get(unit, unit)


def _png(fig) -> bytes:
    """A matplotlib figure as PNG bytes (plain numbers on linear axes), the figure closed."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, ScalarFormatter

    # numbers in the unit named on the axis, with thousands separators: no "1e6" offset above the axis
    # that would multiply the unit in the label a second time (issue 14)
    plain = FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 100 or v == 0 else f"{v:,.4g}")
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if isinstance(axis.get_major_formatter(), ScalarFormatter) and axis.get_scale() == "linear":
                axis.set_major_formatter(plain)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _plt():
    """matplotlib.pyplot on the Agg backend (imported when a PNG is drawn: matplotlib is slow to import)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def chart_services(result: ProjectResult, unit: str) -> str:
    """Horizontal bars (SVG): ΔGEP at full effect per service [unit/yr], 中文 and English labels."""
    s = result.service_totals() * factor("CNY", unit)
    d = result.delta
    names = {
        k: f"{zh} {en}" for k, zh, en in zip(d["service"].values, d["name_zh"].values, d["name_en"].values, strict=True)
    }
    return svg_bars(
        [names[k] for k in s.index],
        s.to_numpy(),
        f"{unit}/yr",
        title="按服务的生态系统生产总值增量 ΔGEP at full effect by service (with project − baseline)",
    )


def chart_annual(result: ProjectResult, unit: str) -> str:
    """Columns of ΔGEP per year and lines of its cumulative and discounted cumulative sums (SVG)."""
    a = result.annual(unit)
    return svg_xy(
        a["year"],
        bars={"年度增量 ΔGEP per year": a["total"]},
        lines={"累计 cumulative": a["cumulative"], "折现累计 cumulative discounted": a["cumulative_discounted"]},
        unit=unit,
        title="逐年生态效益 Yearly ΔGEP with the implementation schedule",
    )


def chart_cash(result: ProjectResult, unit: str) -> str:
    """Yearly inflows (up), outflows (down) and net cash flow (SVG)."""
    c = result.cash_flow(unit)
    return svg_xy(
        c["year"],
        bars={
            "流入 inflow (revenue + monetised ΔGEP)": c["inflow"],
            "流出 outflow (investment + operating)": -c["outflow"],
        },
        lines={"净现金流 net": c["net"]},
        unit=unit,
        title="年度现金流量 Annual cash flow",
    )


def chart_cumulative(result: ProjectResult, unit: str) -> str:
    """Cumulative net cash flow, undiscounted and discounted (payback where they cross 0) (SVG)."""
    c = result.cash_flow(unit)
    return svg_xy(
        c["year"],
        lines={
            "累计净现金流 cumulative net": c["cumulative_net"],
            "折现累计 discounted": c["cumulative_discounted_net"],
        },
        unit=unit,
        title="累计现金流量 Cumulative cash flow (payback where it crosses 0)",
    )


def chart_dscr(result: ProjectResult) -> str:
    """DSCR by year against the required DSCR and 1.0 (SVG; ICR in the table: its scale would flatten the DSCR)."""
    c = result.debt_cover("CNY")
    ones = np.ones(len(c))
    return svg_xy(
        c["year"],
        bars={"偿债备付率 DSCR": c["dscr"].fillna(0.0)},
        lines={"要求 required": ones * result.financing.dscr_required, "1.0": ones},
        unit="1",
        title="偿债备付率 Debt service coverage ratio by year",
    )


def chart_mc(result: ProjectResult, unit: str) -> str:
    """Histogram of the Monte Carlo NPV with P5, P50, P95 (SVG)."""
    v = result.mc.draws["npv"].to_numpy() * factor("CNY", unit)
    return svg_histogram(
        v,
        unit,
        title=f"蒙特卡洛 Monte Carlo: NPV of ΔGEP, {len(v)} draws, seed {result.mc.seed}",
        marks={q: float(np.percentile(v, p)) for q, p in (("P5", 5), ("P50", 50), ("P95", 95))},
    )


def chart_tornado(result: ProjectResult, unit: str, top: int = 12) -> str:
    """One-at-a-time sensitivity (SVG): change of ΔGEP at each coefficient's low and high end."""
    t = result.sensitivity_table.head(top)
    ref = t.attrs.get("reference_delta_gep", float(result.gep_change().magnitude)) * factor("CNY", unit)
    labels, values = [], []
    for _, r in t.iterrows():
        for end, zh in (("low", "低"), ("high", "高")):
            labels.append(f"{r['coefficient']} {zh} {end}")
            values.append(r[f"delta_gep_{end}"] * factor("CNY", unit) - ref)
    return svg_bars(
        labels, values, f"{unit}/yr", title=f"敏感性 One-at-a-time sensitivity: change of ΔGEP from {ref:,.2f}"
    )


def map_png(result: ProjectResult, unit: str = "CNY / ha / yr") -> bytes:
    """The total ΔGEP map as a PNG, per area [unit], diverging colours around 0."""
    plt = _plt()
    land = result.baseline.land
    arr, extent = density_for_display(result.maps()["total"], on_grid(land.area, land), unit)
    vmax = float(np.nanmax(np.abs(arr))) if np.isfinite(arr).any() else 1.0
    vmax = vmax or 1.0
    fig, ax = plt.subplots(figsize=(6, 5))
    im = ax.imshow(arr, extent=extent, cmap="RdBu", vmin=-vmax, vmax=vmax, interpolation="nearest")
    fig.colorbar(im, ax=ax, label=f"ΔGEP [{unit}]")
    ax.set_title("Where the value changes (with project − baseline)")
    ax.set_xlabel(str(land.landcover.rio.crs))
    return _png(fig)


def change_map(result: ProjectResult) -> str:
    """The total ΔGEP map as SVG (shared with the county report): the boundary outlined, a scale bar, a
    legend whose text the browser draws; values per ha [CNY/ha/yr], diverging around 0."""
    land = result.baseline.land
    boundary = result.baseline.kwargs.get("regions")
    if boundary is not None and hasattr(boundary, "to_crs"):
        boundary = boundary.to_crs(land.landcover.rio.crs)
    total = result.maps()["total"].rio.write_crs(land.landcover.rio.crs)
    svg = map_from_values(
        total.compute(),
        on_grid(land.area, land).compute(),
        boundary if hasattr(boundary, "total_bounds") else None,
        unit="CNY / ha / yr",
        label_unit="CNY/ha/yr",
        title="生态系统生产总值增量 ΔGEP (with project − baseline)",
        diverging=True,
    )
    return figure(svg, "黑线: 项目边界 black: project boundary; 蓝: 增加 blue: gain; 红: 减少 red: loss.")
