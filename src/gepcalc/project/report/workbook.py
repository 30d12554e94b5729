"""The project workbook: one sheet per table, Chinese + English sheet names and headers.

Holds :func:`sheets` (name → table, in workbook order), built from one function per group of
sheets (ΔGEP, EOD, financing, uncertainty, provenance), and :func:`write_excel`.  It does not
format the workbook (:func:`gepcalc.export.write_sheets`: frozen header rows, number formats) or
build the tables themselves (:mod:`~gepcalc.project.report.tables`, :mod:`gepcalc.project.result`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from gepcalc.export import write_sheets
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
    labelled,
    sensitivity_table,
    summary_table,
)
from gepcalc.units import factor

if TYPE_CHECKING:
    from gepcalc.project.result import ProjectResult


def gep_sheets(result: ProjectResult, unit: str) -> dict[str, pd.DataFrame]:
    """Bank summary (with a financing plan), summary, ΔGEP by service, category, ecosystem, region and year,
    the schedule and the ecological benefit."""
    out = {}
    if result.financing is not None:
        out["bank summary 银行摘要"] = result.bank_summary(unit)
    out |= {
        "summary 摘要": summary_table(result, unit),
        "by service 分指标": delta_table(result, "service", unit),
        "by category 分类别": delta_table(result, "category", unit),
        "by ecosystem 分生态系统": delta_table(result, "ecosystem", unit),
        "by region 分区域": delta_table(result, "region", unit),
        "annual 逐年生态效益": annual_table(result, unit),
        "schedule 实施计划": labelled(result.schedule.table(), result),
        "eco benefit 生态效益": benefit_table(result, unit),
    }
    return out


def eod_sheets(result: ProjectResult, unit: str) -> dict[str, pd.DataFrame]:
    """The EOD cash flow and what was entered for it (none without [eod])."""
    cash = cash_table(result, unit)
    if cash is None:
        return {}
    return {"cash flow 现金流量表": cash, "EOD 投融资": eod_inputs(result, unit)}


def financing_sheets(result: ProjectResult, unit: str) -> dict[str, pd.DataFrame]:
    """Financing plan, loans, the three cash-flow tables, debt cover, economic flows, switching values,
    financial sensitivity and Monte Carlo (none without [financing])."""
    if result.financing is None:
        return {}
    out = {
        "financing 融资方案": financing_plan(result, unit),
        "loans 借款还本付息": finance_table(result.loan_schedules(unit), unit),
        "investment CF 项目投资现金流量": finance_table(result.investment_cash_flow(unit), unit),
        "capital CF 资本金现金流量": finance_table(result.capital_cash_flow(unit), unit),
        "financial plan 财务计划现金流量": finance_table(result.financial_plan(unit), unit),
        "debt cover 偿债能力": finance_table(result.debt_cover(unit), unit),
        "economic 经济费用效益": finance_table(result.economic_flows(unit), unit),
        "switching 临界值": result.switching_values(),
    }
    if result.finance_sensitivity is not None:
        out["fin sensitivity 财务敏感性"] = finance_scaled(result.finance_sensitivity, unit)
    if result.finance_mc is not None:
        out["fin MC 财务蒙特卡洛"] = finance_mc_table(result, unit)
    return out


def uncertainty_sheets(result: ProjectResult, unit: str) -> dict[str, pd.DataFrame]:
    """One-at-a-time sensitivity, Monte Carlo statistics and draws (each only if computed)."""
    out = {}
    if result.sensitivity_table is not None:
        out["sensitivity 敏感性"] = sensitivity_table(result, unit)
    if result.mc is not None:
        st = result.mc.stats() * factor("CNY", unit)
        st.index = [f"ΔGEP 增量 [{unit}/a]", f"NPV 净现值 [{unit}]"]
        out["Monte Carlo 蒙特卡洛"] = st.reset_index(names="指标 item")
        draws = result.mc.draws * factor("CNY", unit)
        out["MC draws 抽样"] = draws.join(result.mc.factors.add_prefix("φ ")).reset_index()
    return out


def provenance_sheets(result: ProjectResult) -> dict[str, pd.DataFrame]:
    """How each map was made, the parameter sources of both accounts, and the notes."""
    meth = result.map_methods() if result.maps_computed else {}
    maps = pd.DataFrame(
        {"service": list(meth), "map method 地图方法": list(meth.values())}
        if meth
        else {"note": ["maps not computed (ProjectResult.write_maps)"]}
    )
    src = []
    for st in (result.baseline, result.with_project):
        if len(st.account.sources):
            src.append(st.account.sources.assign(state=st.label))
    return {
        "maps 地图": maps,
        "sources 参数来源": pd.concat(src, ignore_index=True) if src else pd.DataFrame(),
        "notes 说明": pd.DataFrame({"说明 note": result.notes or ["-"]}),
    }


def sheets(result: ProjectResult, unit: str = "万元") -> dict[str, pd.DataFrame]:
    """The workbook's sheets (name → table), in workbook order."""
    return {
        **gep_sheets(result, unit),
        **eod_sheets(result, unit),
        **financing_sheets(result, unit),
        **uncertainty_sheets(result, unit),
        **provenance_sheets(result),
    }


def write_excel(result: ProjectResult, path: Path, unit: str = "万元") -> Path:
    """Write the appraisal workbook (openpyxl; every sheet with a frozen header row)."""
    return write_sheets(path, sheets(result, unit), max_width=50)
