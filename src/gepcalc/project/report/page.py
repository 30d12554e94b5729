"""The project report as one self-contained HTML page (the county report's template and stylesheet).

Holds :func:`write_html` and one function per section of the page (bank summary and ΔGEP, EOD cash
flow, financing, sensitivity, Monte Carlo, change map and notes), each returning HTML fragments.
The page, its stylesheet and the SVG helpers are :mod:`gepcalc.report`'s (templates
``report.html.j2``, ``report.css``).  It does not build tables or charts: those are in
:mod:`~gepcalc.project.report.tables`, :mod:`~gepcalc.project.report.bank` and
:mod:`~gepcalc.project.report.charts`.
"""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from gepcalc.export import display_path
from gepcalc.io import write_text
from gepcalc.project.report import charts
from gepcalc.project.report.tables import (
    annual_table,
    benefit_table,
    cash_table,
    delta_table,
    eod_inputs,
    finance_mc_table,
    finance_scaled,
    finance_table,
    financing_plan,
    sensitivity_table,
    summary_table,
)
from gepcalc.report import Section, figure, render_page
from gepcalc.units import factor
from gepcalc.years import known_year

if TYPE_CHECKING:
    from gepcalc.project.result import ProjectResult

SELF_BALANCE_NOTE = (
    "<p class='note'>资金自平衡率 fund self-balance ratio = Σ(产业收入 + 生态产品变现)·d<sub>t</sub> / "
    "Σ(建设投资 + 运营成本)·d<sub>t</sub> — gepcalc's definition (the EOD guideline of 2024 requires a "
    "self-balance but, as read, gives no formula); see docs/project.md.</p>"
)

FINANCING_NOTE = (
    "<p class='note'>Tables of the financial analysis of 《建设项目经济评价方法与参数》(第三版, 2006): "
    "project investment cash flow (before financing), capital cash flow, financial plan cash flow "
    "(clause and table numbers not verified, see docs/project.md). DSCR = (EBITDA − income tax) / "
    "(principal + interest); ICR = EBIT / interest. 资金自平衡率(融资后) = "
    "Σ(产业收入 + 生态产品变现)·d<sub>t</sub> / "
    "Σ(经营成本 + 所得税 + 还本付息 + 资本金 + 政府投资补助)·d<sub>t</sub>: "
    "no government money counts as "
    "income (EOD 实施导则(试行): self-balance without government funds).</p>"
)


def html_table(df: pd.DataFrame) -> str:
    """A table as HTML in a scrolling wrapper (numbers: 4 significant digits below 100, else 2 decimals)."""
    table = df.to_html(
        index=False,
        float_format=lambda x: f"{x:,.4g}" if abs(x) < 100 else f"{x:,.2f}",
        border=0,
        classes="t",
        na_rep="",
    )
    return f'<div class="table-wrap">{table}</div>'  # wide tables scroll inside the page (report.css)


def price_year_text(result: ProjectResult) -> str:
    """The project's price year as text, ``—`` where the accounts have none."""
    year = known_year(result.delta.attrs.get("price_year"))
    return "—" if year is None else str(year)


def title(result: ProjectResult) -> str:
    """The page title: project name and what the page is."""
    return f"{result.project.name} — 项目生态产品价值与EOD评估 / project GEP and EOD appraisal"


def gep_part(result: ProjectResult, unit: str) -> list[str]:
    """Heading notes, bank summary (with a financing plan), summary, ΔGEP by service, category, ecosystem, year."""
    p = result.project
    parts = [
        f"<p class='note'>{html.escape(p.description)}</p>" if p.description else "",
        f"<p class='note'>gepcalc, {date.today().isoformat()}; project file {html.escape(display_path(p.source))}; "
        f"price year {price_year_text(result)}; profile {result.delta.attrs.get('profile')}; "
        f"money in {unit} (1 万元 = 10<sup>4</sup> CNY).</p>",
    ]
    if result.financing is not None:
        parts += ["<h2>银行授信摘要 Bank summary (credit committee)</h2>", html_table(result.bank_summary(unit))]
    return [
        *parts,
        "<h2>摘要 Summary</h2>",
        html_table(summary_table(result, unit)),
        "<h2>生态系统生产总值增量 ΔGEP by service</h2>",
        figure(charts.chart_services(result, unit)),
        html_table(delta_table(result, "service", unit)),
        "<h3>分类别 by category</h3>",
        html_table(delta_table(result, "category", unit)),
        "<h3>分生态系统 by ecosystem type</h3>",
        html_table(delta_table(result, "ecosystem", unit)),
        "<h2>逐年生态效益 Yearly ΔGEP</h2>",
        figure(charts.chart_annual(result, unit)),
        html_table(annual_table(result, unit)),
    ]


def eod_part(result: ProjectResult, unit: str) -> list[str]:
    """EOD cash flow, fund self-balance, monetised parts and ecological benefit (none without [eod])."""
    if result.eod is None:
        return []
    return [
        "<h2>EOD 现金流量与资金自平衡 Cash flow and fund self-balance</h2>",
        SELF_BALANCE_NOTE,
        figure(charts.chart_cash(result, unit)),
        figure(charts.chart_cumulative(result, unit)),
        html_table(cash_table(result, unit)),
        "<h3>生态产品变现 Monetised parts of the ΔGEP</h3>",
        html_table(eod_inputs(result, unit)),
        "<h3>生态效益 Ecological benefit (market and non-market)</h3>",
        html_table(benefit_table(result, unit)),
    ]


def financing_part(result: ProjectResult, unit: str) -> list[str]:
    """Financing plan, loan schedules, the three cash-flow tables, debt cover, economic flows, switching values,
    financial sensitivity and Monte Carlo (none without [financing])."""
    if result.financing is None:
        return []
    parts = [
        "<h2>融资方案与偿债能力 Financing plan and debt service</h2>",
        FINANCING_NOTE,
        html_table(financing_plan(result, unit)),
    ]
    for heading, table in (
        ("借款还本付息计划 Loan schedules", result.loan_schedules(unit)),
        ("项目投资现金流量表 Project investment cash flow", result.investment_cash_flow(unit)),
        ("项目资本金现金流量表 Capital cash flow", result.capital_cash_flow(unit)),
        ("财务计划现金流量表 Financial plan cash flow", result.financial_plan(unit)),
    ):
        parts += [f"<h3>{heading}</h3>", html_table(finance_table(table, unit))]
    parts += [
        "<h3>偿债备付率与利息备付率 DSCR and ICR</h3>",
        figure(charts.chart_dscr(result)),
        html_table(finance_table(result.debt_cover(unit), unit)),
        "<h3>经济费用效益流量 Economic benefits and costs</h3>",
        html_table(finance_table(result.economic_flows(unit), unit)),
        "<h3>临界值 Switching values</h3>",
        html_table(result.switching_values()),
    ]
    if result.finance_sensitivity is not None:
        parts += [
            "<h3>财务敏感性 Financial sensitivity</h3>",
            html_table(finance_scaled(result.finance_sensitivity, unit)),
        ]
    if result.finance_mc is not None:
        parts += [
            "<h3>财务指标蒙特卡洛 Monte Carlo of the financial indicators</h3>",
            html_table(finance_mc_table(result, unit)),
        ]
    return parts


def uncertainty_part(result: ProjectResult, unit: str) -> list[str]:
    """One-at-a-time sensitivity (tornado) and the Monte Carlo of ΔGEP and its NPV (each only if computed)."""
    parts = []
    if result.sensitivity_table is not None and len(result.sensitivity_table):
        parts += [
            "<h2>敏感性分析 One-at-a-time sensitivity</h2>",
            figure(charts.chart_tornado(result, unit)),
            html_table(sensitivity_table(result, unit)),
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
            figure(charts.chart_mc(result, unit)),
            html_table(st.reset_index(names="item")),
        ]
    return parts


def map_part(result: ProjectResult) -> list[str]:
    """The change map, how each service's map was made, and the notes."""
    meth = result.map_methods()
    spread = [k for k, v in meth.items() if v != "per pixel"]
    return [
        "<h2>变化图 Where the value changes</h2>",
        charts.change_map(result),
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


def write_html(result: ProjectResult, path: Path, unit: str = "万元") -> Path:
    """Write the self-contained HTML report (tables, charts and the change map embedded)."""
    parts = [
        *gep_part(result, unit),
        *eod_part(result, unit),
        *financing_part(result, unit),
        *uncertainty_part(result, unit),
        *map_part(result),
    ]
    # the shared page (gepcalc/templates: report.html.j2, report.css)
    doc = render_page(title(result), [Section("report", "", "\n".join(parts))])
    return write_text(path, doc)
