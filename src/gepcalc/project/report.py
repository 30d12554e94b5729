"""Project reports: an Excel workbook (Chinese + English headers) and a self-contained HTML report.

Charts are drawn with matplotlib (Agg backend) and embedded in the HTML as base64
PNGs, so the report is one file that opens offline.  Chart labels are in English
(no CJK font is assumed on the machine drawing them); tables carry both languages.
"""

from __future__ import annotations

import base64
import html
import io
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gepcalc.export import write_sheets
from gepcalc.units import factor

if TYPE_CHECKING:
    from gepcalc.project.result import ProjectResult

#: Chinese + English column headers
HEADERS = {
    "year": "年份 year",
    "phase": "阶段 phase",
    "effect": "达效比例 effect fraction",
    "total": "合计 total",
    "discount_factor": "折现系数 discount factor",
    "discounted": "折现值 discounted",
    "cumulative": "累计 cumulative",
    "cumulative_discounted": "累计折现 cumulative discounted",
    "investment": "建设投资 investment",
    "operating_cost": "运营成本 operating cost",
    "outflow": "现金流出 outflow",
    "inflow": "现金流入 inflow",
    "net": "净现金流量 net cash flow",
    "cumulative_net": "累计净现金流量 cumulative net",
    "discounted_net": "折现净现金流量 discounted net",
    "cumulative_discounted_net": "累计折现净现金流量 cumulative discounted net",
    "market_part": "可变现部分 market part",
    "non_market": "非市场部分 non-market part",
    "discounted_total": "折现增量 discounted ΔGEP",
    "region": "区域 region",
    "category": "类别 category",
    "ecosystem": "生态系统 ecosystem",
    "service": "指标代码 service",
    "item": "分项 item",
}


def _headers(df: pd.DataFrame, result: ProjectResult, unit: str | None = None, money: tuple = ()) -> pd.DataFrame:
    names = dict(zip(result.delta["service"].values, result.delta["name_zh"].values, strict=True))
    zh = result.eod.names_zh if result.eod else {}
    out = {}
    for c in df.columns:
        label = HEADERS.get(c)
        if label is None and c in names:
            label = f"{names[c]} {c}"
        elif label is None and c.startswith("revenue:"):
            k = c.split(":", 1)[1]
            label = f"产业收入 revenue: {zh.get(k, '')} {k}".replace("  ", " ")
        elif label is None and c.startswith("monetised:"):
            k = c.split(":", 1)[1]
            label = f"生态产品变现 monetised: {zh.get(k, '')} {k}".replace("  ", " ")
        label = label or c
        if unit and (c in money or c in names or c.startswith(("revenue:", "monetised:"))):
            label += f" [{unit}]"
        out[c] = label
    return df.rename(columns=out)


def sheets(result: ProjectResult, unit: str = "万元") -> dict[str, pd.DataFrame]:
    """The workbook's sheets (name → table)."""
    ann = result.annual(unit)
    money_ann = ("total", "discounted", "cumulative", "cumulative_discounted")
    out = {
        "summary 摘要": result.summary(unit),
        "by service 分指标": result.by_service(unit),
        "by category 分类别": result.by("category", unit),
        "by ecosystem 分生态系统": result.by("ecosystem", unit),
        "by region 分区域": result.by("region", unit),
        "annual 逐年生态效益": _headers(ann, result, f"{unit}/a", money_ann),
        "schedule 实施计划": _headers(result.schedule.table(), result),
    }
    ben = result.ecological_benefit(unit)
    out["eco benefit 生态效益"] = _headers(
        ben, result, unit, ("total", "market_part", "non_market", "discounted_total", "cumulative")
    )
    cash = result.cash_flow(unit)
    if cash is not None:
        money = tuple(c for c in cash.columns if c not in ("year", "discount_factor"))
        out["cash flow 现金流量表"] = _headers(cash, result, unit, money)
        out["EOD 投融资"] = eod_inputs(result, unit)
    if result.sensitivity_table is not None:
        out["sensitivity 敏感性"] = _scaled(result.sensitivity_table, unit)
    if result.mc is not None:
        st = result.mc.stats() * factor("CNY", unit)
        st.index = [f"ΔGEP 增量 [{unit}/a]", f"NPV 净现值 [{unit}]"]
        out["Monte Carlo 蒙特卡洛"] = st.reset_index(names="指标 item")
        draws = result.mc.draws * factor("CNY", unit)
        out["MC draws 抽样"] = draws.join(result.mc.factors.add_prefix("φ ")).reset_index()
    meth = result.map_methods() if result._maps is not None else {}
    out["maps 地图"] = pd.DataFrame(
        {"service": list(meth), "map method 地图方法": list(meth.values())}
        if meth
        else {"note": ["maps not computed (ProjectResult.write_maps)"]}
    )
    src = []
    for st in (result.baseline, result.with_project):
        if len(st.account.sources):
            src.append(st.account.sources.assign(state=st.label))
    out["sources 参数来源"] = pd.concat(src, ignore_index=True) if src else pd.DataFrame()
    out["notes 说明"] = pd.DataFrame({"说明 note": result.notes or ["-"]})
    return out


def _scaled(df: pd.DataFrame, unit: str) -> pd.DataFrame:
    df = df.copy()
    for c in list(df.columns):
        if "[CNY/yr]" in c or "[CNY]" in c:
            df[c] = df[c] * factor("CNY", unit)
            df = df.rename(columns={c: c.replace("[CNY/yr]", f"[{unit}/a]").replace("[CNY]", f"[{unit}]")})
    return df


def eod_inputs(result: ProjectResult, unit: str) -> pd.DataFrame:
    """What was entered for the EOD appraisal: monetised parts of ΔGEP (service, share, price)."""
    rows = [
        {
            "名称 name": m.name,
            "中文名": m.name_zh,
            "指标 service": m.service,
            "变现比例 share": m.share,
            "市场价格 market price": m.price_text or "(GEP price)",
        }
        for m in result.eod.monetised
    ]
    return pd.DataFrame(
        rows, columns=["名称 name", "中文名", "指标 service", "变现比例 share", "市场价格 market price"]
    )


def write_excel(result: ProjectResult, path: Path, unit: str = "万元") -> Path:
    """Write the appraisal workbook (openpyxl; every sheet with a frozen header row)."""
    return write_sheets(path, sheets(result, unit), max_width=50)


# -- charts --------------------------------------------------------------------------------------------


#: money units as chart labels (the charts assume no CJK font)
CHART_UNITS = {"万元": "10^4 CNY", "亿元": "10^8 CNY"}


def _u(unit: str) -> str:
    return CHART_UNITS.get(unit, unit)


def _years_axis(ax) -> None:
    """Label the x axis 'year' with whole years only (no 2027.5 ticks)."""
    from matplotlib.ticker import MaxNLocator

    ax.set_xlabel("year")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _png(fig) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def chart_services(result: ProjectResult, unit: str) -> bytes:
    """Horizontal bars: ΔGEP at full effect per service [unit/yr]."""
    plt = _plt()
    s = result.service_totals() * factor("CNY", unit)
    names = dict(zip(result.delta["service"].values, result.delta["name_en"].values, strict=True))
    fig, ax = plt.subplots(figsize=(7, 0.5 + 0.45 * len(s)))
    ax.barh([names[k] for k in s.index], s.to_numpy(), color=["#2a9d8f" if v >= 0 else "#e76f51" for v in s])
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlabel(f"ΔGEP at full effect [{_u(unit)}/yr]")
    ax.set_title("ΔGEP by service (with project − baseline)")
    return _png(fig)


def chart_annual(result: ProjectResult, unit: str) -> bytes:
    """Bars of ΔGEP per year and lines of its cumulative and discounted cumulative sums."""
    plt = _plt()
    a = result.annual(unit)
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.bar(a["year"], a["total"], color="#2a9d8f", label=f"ΔGEP [{_u(unit)}/yr]")
    ax2 = ax.twinx()
    ax2.plot(a["year"], a["cumulative"], color="#264653", label="cumulative")
    ax2.plot(a["year"], a["cumulative_discounted"], color="#e9c46a", ls="--", label="cumulative discounted")
    _years_axis(ax)
    ax.set_ylabel(f"ΔGEP [{_u(unit)}/yr]")
    ax2.set_ylabel(f"cumulative [{_u(unit)}]")
    fig.legend(loc="upper left", bbox_to_anchor=(0.1, 0.9), fontsize=8)
    ax.set_title("Yearly ΔGEP with the implementation schedule")
    return _png(fig)


def chart_cash(result: ProjectResult, unit: str) -> bytes:
    """Yearly inflows (up), outflows (down) and net cash flow."""
    plt = _plt()
    c = result.cash_flow(unit)
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.bar(c["year"], c["inflow"], color="#2a9d8f", label="inflow (revenue + monetised ΔGEP)")
    ax.bar(c["year"], -c["outflow"], color="#e76f51", label="outflow (investment + operating)")
    ax.plot(c["year"], c["net"], "k.-", label="net")
    ax.axhline(0, color="k", lw=0.8)
    _years_axis(ax)
    ax.set_ylabel(f"[{_u(unit)}]")
    ax.legend(fontsize=8)
    ax.set_title("Annual cash flow")
    return _png(fig)


def chart_cumulative(result: ProjectResult, unit: str) -> bytes:
    """Cumulative net cash flow, undiscounted and discounted (payback where they cross 0)."""
    plt = _plt()
    c = result.cash_flow(unit)
    fig, ax = plt.subplots(figsize=(8, 3.2))
    ax.plot(c["year"], c["cumulative_net"], "o-", color="#264653", label="cumulative net")
    ax.plot(c["year"], c["cumulative_discounted_net"], "s--", color="#e9c46a", label="cumulative discounted net")
    ax.axhline(0, color="k", lw=0.8)
    _years_axis(ax)
    ax.set_ylabel(f"[{_u(unit)}]")
    ax.legend(fontsize=8)
    ax.set_title("Cumulative cash flow (payback where it crosses 0)")
    return _png(fig)


def chart_mc(result: ProjectResult, unit: str) -> bytes:
    """Histogram of the Monte Carlo NPV with P5, P50, P95."""
    plt = _plt()
    v = result.mc.draws["npv"].to_numpy() * factor("CNY", unit)
    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.hist(v, bins=min(40, max(5, len(v) // 10)), color="#8ab17d")
    for q, ls in ((5, ":"), (50, "-"), (95, ":")):
        ax.axvline(np.percentile(v, q), color="k", ls=ls, lw=1)
    ax.set_xlabel(f"NPV of ΔGEP [{_u(unit)}]")
    ax.set_ylabel("draws")
    ax.set_title(f"Monte Carlo: {len(v)} draws, seed {result.mc.seed} (lines: P5, P50, P95)")
    return _png(fig)


def chart_tornado(result: ProjectResult, unit: str, top: int = 12) -> bytes:
    """Tornado of the one-at-a-time sensitivity: ΔGEP at each coefficient's low and high."""
    plt = _plt()
    t = result.sensitivity_table.head(top).iloc[::-1]
    ref = t.attrs.get("reference ΔGEP [CNY/yr]", float(result.gep_change().magnitude)) * factor("CNY", unit)
    lo = t["ΔGEP low [CNY/yr]"] * factor("CNY", unit) - ref
    hi = t["ΔGEP high [CNY/yr]"] * factor("CNY", unit) - ref
    fig, ax = plt.subplots(figsize=(8, 0.6 + 0.4 * len(t)))
    ax.barh(t["coefficient"], lo, color="#e76f51", label="low")
    ax.barh(t["coefficient"], hi, color="#2a9d8f", label="high")
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlabel(f"change of ΔGEP [{_u(unit)}/yr] from {ref:,.2f}")
    ax.legend(fontsize=8)
    ax.set_title("One-at-a-time sensitivity")
    return _png(fig)


def map_png(result: ProjectResult, unit: str = "CNY / ha / yr") -> bytes:
    """The total ΔGEP map as a PNG, per area [unit], diverging colours around 0."""
    from gepcalc.project.maps import density_for_display
    from gepcalc.zonal import on_grid

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


# -- HTML ----------------------------------------------------------------------------------------------


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}"/>'


def _table(df: pd.DataFrame) -> str:
    return df.to_html(
        index=False,
        float_format=lambda x: f"{x:,.4g}" if abs(x) < 100 else f"{x:,.2f}",
        border=0,
        classes="t",
        na_rep="",
    )


CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;margin:2em;max-width:1100px;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table.t{border-collapse:collapse;font-size:.85em;margin:.5em 0}table.t td,table.t th{padding:.2em .6em;
border-bottom:1px solid #eee;text-align:right}table.t th{background:#f4f4f4}table.t td:first-child{text-align:left}
.note{color:#555;font-size:.9em}img{max-width:100%}
"""


def write_html(result: ProjectResult, path: Path, unit: str = "万元") -> Path:
    """Write the self-contained HTML report (tables, charts and the change map embedded)."""
    p = result.project
    parts = [
        f"<h1>{html.escape(p.name)} — 项目生态产品价值与EOD评估 / project GEP and EOD appraisal</h1>",
        f"<p class='note'>{html.escape(p.description)}</p>" if p.description else "",
        f"<p class='note'>gepcalc, {date.today().isoformat()}; project file {html.escape(p.source)}; "
        f"price year {result.delta.attrs.get('price_year')}; profile {result.delta.attrs.get('profile')}; "
        f"money in {unit} (1 万元 = 10<sup>4</sup> CNY).</p>",
        "<h2>摘要 Summary</h2>",
        _table(result.summary(unit)),
        "<h2>生态系统生产总值增量 ΔGEP by service</h2>",
        _img(chart_services(result, unit), "ΔGEP by service"),
        _table(result.by_service(unit)),
        "<h3>分类别 by category</h3>",
        _table(result.by("category", unit)),
        "<h3>分生态系统 by ecosystem type</h3>",
        _table(result.by("ecosystem", unit)),
        "<h2>逐年生态效益 Yearly ΔGEP</h2>",
        _img(chart_annual(result, unit), "yearly ΔGEP"),
        _table(
            _headers(
                result.annual(unit), result, f"{unit}/a", ("total", "discounted", "cumulative", "cumulative_discounted")
            )
        ),
    ]
    if result.eod is not None:
        cash = result.cash_flow(unit)
        money = tuple(c for c in cash.columns if c not in ("year", "discount_factor"))
        parts += [
            "<h2>EOD 现金流量与资金自平衡 Cash flow and fund self-balance</h2>",
            "<p class='note'>资金自平衡率 fund self-balance ratio = Σ(产业收入 + 生态产品变现)·d<sub>t</sub> / "
            "Σ(建设投资 + 运营成本)·d<sub>t</sub> — gepcalc's definition (the EOD guideline of 2024 requires a "
            "self-balance but, as read, gives no formula); see docs/project.md.</p>",
            _img(chart_cash(result, unit), "annual cash flow"),
            _img(chart_cumulative(result, unit), "cumulative cash flow"),
            _table(_headers(cash, result, unit, money)),
            "<h3>生态产品变现 Monetised parts of the ΔGEP</h3>",
            _table(eod_inputs(result, unit)),
            "<h3>生态效益 Ecological benefit (market and non-market)</h3>",
            _table(
                _headers(
                    result.ecological_benefit(unit),
                    result,
                    unit,
                    ("total", "market_part", "non_market", "discounted_total", "cumulative"),
                )
            ),
        ]
    if result.sensitivity_table is not None and len(result.sensitivity_table):
        parts += [
            "<h2>敏感性分析 One-at-a-time sensitivity</h2>",
            _img(chart_tornado(result, unit), "sensitivity"),
            _table(_scaled(result.sensitivity_table, unit)),
        ]
    if result.mc is not None:
        st = result.mc.stats() * factor("CNY", unit)
        st.index = [f"ΔGEP [{unit}/a]", f"NPV [{unit}]"]
        parts += [
            "<h2>不确定性 Monte Carlo</h2>",
            f"<p class='note'>{len(result.mc.draws)} draws, seed {result.mc.seed}, {result.mc.distribution} "
            f"distribution of each coefficient between its declared low and high (mode: the table value); "
            f"physical coefficients {'drawn (accounts re-run)' if result.mc.physical else 'held at their values'}."
            "</p>",
            _img(chart_mc(result, unit), "Monte Carlo NPV"),
            _table(st.reset_index(names="item")),
        ]
    meth = result.map_methods()
    spread = [k for k, v in meth.items() if v != "per pixel"]
    parts += [
        "<h2>变化图 Where the value changes</h2>",
        _img(map_png(result), "change map"),
        "<p class='note'>Per pixel: "
        + html.escape(", ".join(k for k, v in meth.items() if v == "per pixel") or "-")
        + " (value of the pixel's own quantity). "
        + (
            "Spread over their pixels by area (rules on region totals, no per-pixel value): "
            + html.escape(", ".join(spread))
            + "."
            if spread
            else ""
        )
        + " GeoTIFFs: ProjectResult.write_maps / gepcalc project --out.</p>",
        "<h2>说明 Notes</h2>",
        "<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in result.notes) + "</ul>",
    ]
    doc = (
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>"
        f"<title>{html.escape(p.name)} — gepcalc project report</title><style>{CSS}</style></head><body>"
        + "\n".join(parts)
        + "</body></html>"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc, encoding="utf-8")
    return path
