"""The county account report: its sections (totals, charts by category, indicator, region and
ecosystem type, the value map, the indicator table, Monte Carlo intervals, what was not computed,
sources, notes) and :func:`write_html`, which writes the page (``Account.to_html``,
``gepcalc account … --html``).

The page template and tables are :mod:`gepcalc.report.page`; the charts :mod:`gepcalc.report.charts`
and :mod:`gepcalc.report.maps`.  The project report is :mod:`gepcalc.project.report`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from gepcalc.export import bilingual_summary, display_path, labelled
from gepcalc.io import write_text
from gepcalc.landscape import build_landscape
from gepcalc.maps import spread_by_area
from gepcalc.profiles import load_profile
from gepcalc.report.charts import svg_bars
from gepcalc.report.labels import bilingual, number
from gepcalc.report.labels import escape as _e
from gepcalc.report.maps import map_from_values
from gepcalc.report.page import Section, figure, render_page, table_html
from gepcalc.years import known_year
from gepcalc.zonal import on_grid

if TYPE_CHECKING:
    from gepcalc.account import Account

__all__ = ["CATEGORIES", "account_sections", "write_html"]

#: categories in 中文 and English
CATEGORIES = {
    "provisioning": ("物质产品", "provisioning"),
    "regulating": ("调节服务", "regulating"),
    "cultural": ("文化服务", "cultural"),
    "GEP": ("生态系统生产总值", "GEP"),
}


def _relative_paths(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its ``file`` column shown relative to the working directory (where it lies below it)."""
    df = df.copy()
    for c in ("file",):
        if c in df.columns:
            df[c] = [display_path(v) if isinstance(v, str) and v else v for v in df[c]]
    return df


def _bars(df: pd.DataFrame, labels: list[str], vcol: str, unit: str, shares, title: str) -> str:
    """A figure of horizontal bars of ``df[vcol]`` [unit/yr] with shares."""
    return figure(svg_bars(labels, df[vcol].to_numpy(), f"{unit}/yr", shares=shares, title=title))


def _totals_section(acct: Account, unit: str, vcol: str) -> Section:
    """GEP and each category as cards (value, share; the 90 % interval where drawn), and a bar chart."""
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
            f'<div class="card"><div class="k">{_e(bilingual(r["name_zh"], r["name_en"]))}</div>'
            f'<div class="v">{number(r[vcol])}</div><div class="s">{_e(unit)}/yr · {r["share"]:.1%}</div></div>'
        )
    cats = tot[tot["category"] != "GEP"]
    labels = [bilingual(r["name_zh"], r["name_en"]) for _, r in cats.iterrows()]
    chart = _bars(cats, labels, vcol, unit, cats["share"].to_numpy(), "按类别 by category")
    return Section("totals", "总量与构成 Totals and shares", f'<div class="cards">{"".join(cards)}</div>' + chart)


def _services_section(acct: Account, unit: str, vcol: str) -> Section:
    """Bars of the value of each indicator, largest first."""
    by = acct.by("service", unit=unit).sort_values(vcol, ascending=False)
    labels = [bilingual(r["name_zh"], r["name_en"]) for _, r in by.iterrows()]
    chart = _bars(by, labels, vcol, unit, by["share"].to_numpy(), "各指标价值 value by indicator")
    return Section("services", "按指标 By indicator", chart)


def _regions_section(acct: Account, unit: str, vcol: str) -> Section | None:
    """Bars of the 30 largest regions and a table of all; None for a one-region account."""
    reg = acct.by("region", unit=unit)
    if len(reg) <= 1:
        return None
    reg = reg.sort_values(vcol, ascending=False)
    top = reg.head(30)
    title = f"各区域价值 value by region ({len(top)} of {len(reg)})"
    chart = _bars(top, [str(r) for r in top["region"]], vcol, unit, top["share"].to_numpy(), title)
    shown = labelled(reg)
    header = shown.columns[reg.columns.get_loc(vcol)]  # value [unit/yr]
    table = table_html(
        shown.rename(columns={"region": "区域 region", header: f"价值 {header}", "share": "占比"}), percent=["占比"]
    )
    return Section("regions", "按区域 By region", chart + table)


def _ecosystems_section(acct: Account, unit: str, vcol: str) -> Section | None:
    """Bars of the value of each ecosystem type that has one; None where none has."""
    eco = acct.by("ecosystem", unit=unit)
    zh = dict(zip(acct.data["ecosystem"].values, acct.data["ecosystem_zh"].values, strict=True))
    en = dict(zip(acct.data["ecosystem"].values, acct.data["ecosystem_en"].values, strict=True))
    eco = eco[eco[vcol].abs() > 0].sort_values(vcol, ascending=False)
    if not len(eco):
        return None
    total = float(eco[vcol].sum()) or 1.0
    labels = [bilingual(zh.get(e, e), en.get(e, e)) for e in eco["ecosystem"]]
    title = "各生态系统类型价值 value by ecosystem type"
    chart = _bars(eco, labels, vcol, unit, (eco[vcol] / total).to_numpy(), title)
    return Section("ecosystems", "按生态系统类型 By ecosystem type", chart)


def _value_map(acct: Account, unit: str, landcover, regions, **kw) -> str:
    """The value map: the account's values spread over their pixels by area, per km², with region outlines."""
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


def _map_section(acct: Account, unit: str, landcover, regions, **map_kw) -> Section:
    """The value map, or a note saying why it could not be drawn."""
    try:
        return Section("map", "价值分布图 Value map", _value_map(acct, unit, landcover, regions, **map_kw))
    except Exception as exc:  # a map that cannot be drawn must not lose the report
        why = f"<p class='note'>no map: {_e(type(exc).__name__)}: {_e(exc)}</p>"
        return Section("map", "价值分布图 Value map", why)


def _uncertainty_html(acct: Account, unit: str) -> str:
    """GEP, categories and indicators with mean, P05 and P95 of the draws; the coefficients drawn."""
    u = acct.uncertainty
    keep = lambda df: df[[c for c in df.columns if c not in ("share",)]]  # noqa: E731
    return (
        f"<p class='note'>{u.n} Monte Carlo draws (seed {u.seed}) of every coefficient whose table row declares "
        "a range (X_low / X_high); rows without a range are held at their values (see the notes). "
        "docs/uncertainty.md.</p>"
        + table_html(keep(labelled(acct.total(unit=unit))))
        + table_html(keep(labelled(acct.by("service", unit=unit))))
        + "<h3>抽样的系数 Coefficients drawn</h3>"
        + table_html(u.coefficients)
    )


def _record_sections(acct: Account, unit: str) -> list[Section]:
    """The account's record: indicator table, Monte Carlo intervals, what was not computed, sources, notes."""
    summary = bilingual_summary(acct, unit)
    percent = [c for c in summary.columns if "share" in c or "占比" in c]
    sections = [Section("indicators", "指标明细 Indicators", table_html(summary, percent=percent))]
    if acct.uncertainty is not None:
        sections.append(Section("uncertainty", "不确定性 Uncertainty (90 % interval)", _uncertainty_html(acct, unit)))
    nc = acct.not_computed
    if len(nc):
        rows = "".join(
            f"<li><b>{_e(bilingual(r.name_zh, r.name_en))}</b>"
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


def account_sections(
    acct: Account,
    unit: str = "亿元",
    *,
    landcover: Any = None,
    regions: Any = None,
    **map_kw,
) -> list[Section]:
    """The sections of the county report (totals, charts, map, indicators, not computed, sources, notes).

    Parameters
    ----------
    acct
        The account.
    unit
        Money unit: CNY, 万元 or 亿元.
    landcover, regions, map_kw
        For the value map (none without a land cover): as in :func:`write_html`.
    """
    vcol = "value"  # the views' value column, in ``unit``/yr (their attrs["units"])
    sections = [
        _totals_section(acct, unit, vcol),
        _services_section(acct, unit, vcol),
        _regions_section(acct, unit, vcol),
        _ecosystems_section(acct, unit, vcol),
        _map_section(acct, unit, landcover, regions, **map_kw) if landcover is not None else None,
    ]
    return [s for s in sections if s is not None] + _record_sections(acct, unit)


def _year_text(year: Any) -> str:
    """A year as the page writes it; ``—`` where the account has none (:func:`gepcalc.years.known_year`)."""
    y = known_year(year)
    return "—" if y is None else str(y)


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
    attrs = acct.data.attrs
    if landcover is None and attrs.get("landcover") and Path(str(attrs["landcover"])).is_file():
        landcover = attrs["landcover"]
    years = ", ".join(_year_text(y) for y in acct.data["year"].values)
    regions_ = list(acct.data["region"].values)
    title = attrs.get("title") or f"{'、'.join(regions_[:3])} GEP {years}"
    meta = [
        f"核算年份 year {years} · 价格年份 price year {_year_text(attrs.get('price_year'))} · "
        f"{attrs.get('price_basis', '')}",
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
