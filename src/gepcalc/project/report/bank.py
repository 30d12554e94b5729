"""The bank summary: one bilingual page a credit committee reads first, and the risks found in the appraisal.

Holds :func:`bank_summary` (project, investment and its financing, ΔGEP, FIRR, FNPV, payback, DSCR,
ICR, self-balance, EIRR, switching values, Monte Carlo probabilities and risks; value, unit and
assessment) and :func:`risks`.  The indicator rows are a table (:data:`INDICATOR_ROWS`): a new
indicator is one line there.  It does not compute any indicator (:mod:`gepcalc.project.finance`)
or write files (:mod:`~gepcalc.project.report.workbook`, :mod:`~gepcalc.project.report.page`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

from gepcalc.project.finance.monte_carlo import finance_mc_stats
from gepcalc.project.report.tables import num, pct
from gepcalc.units import factor

if TYPE_CHECKING:
    from gepcalc.project.result import ProjectResult

#: one row of the summary: 中文, English, value, unit, assessment
Row = tuple[str, str, str, str, str]

#: columns of the bank summary
COLUMNS = ["项目 item", "item", "value", "unit", "评价 assessment"]
MEETS, BELOW = "达标 meets", "未达标 below"

#: indicator rows: 中文, English (``{key}`` filled from the indicators), indicator key(s), format, and the
#: reference of the assessment (an indicator key, a number, or None for no assessment).  Formats:
#: ``pct`` percent, ``money`` [unit], ``ratio``/``ratio3`` 2/3 decimals, ``years`` two keys "a / b" [yr],
#: ``with_year`` "value (year)", ``money_with_year`` "amount (year)" [unit].
INDICATOR_ROWS: tuple[tuple[str, str, str | tuple[str, str], str, str | float | None], ...] = (
    ("财务基准收益率", "benchmark rate (FIRR)", "benchmark_rate", "pct", None),
    ("项目投资财务内部收益率(税前)", "FIRR before tax", "firr_before_tax", "pct", "benchmark_rate"),
    ("项目投资财务内部收益率(税后)", "FIRR after tax", "firr_after_tax", "pct", "benchmark_rate"),
    ("项目投资财务净现值(税后)", "FNPV after tax at the benchmark", "fnpv_after_tax", "money", 0.0),
    ("资本金财务内部收益率", "FIRR on capital", "firr_capital", "pct", "capital_benchmark"),
    (
        "静态 / 动态投资回收期(含建设期)",
        "payback, static / dynamic (from construction start)",
        ("payback_period", "discounted_payback_period"),
        "years",
        None,
    ),
    ("最低偿债备付率 (年份)", "minimum DSCR (year)", "dscr_min", "with_year", "dscr_required"),
    ("要求的偿债备付率", "DSCR required", "dscr_required", "ratio", None),
    ("最低利息备付率 (年份)", "minimum ICR (year)", "icr_min", "with_year", 1.0),
    ("资金自平衡率(融资前)", "fund self-balance ratio (before financing)", "self_balance_ratio", "ratio3", 1.0),
    ("资金自平衡率(融资后)", "fund self-balance ratio (financed)", "self_balance_financed", "ratio3", 1.0),
    (
        "累计盈余资金最小值 (年份)",
        "minimum cumulative surplus (year)",
        "cumulative_surplus_min",
        "money_with_year",
        -1e-6,
    ),
    ("经济内部收益率", "EIRR", "eirr", "pct", "social_discount_rate"),
    ("经济净现值 (社会折现率)", "ENPV at {social_discount_rate:.2%}", "enpv", "money", 0.0),
    ("效益费用比", "benefit-cost ratio", "bcr", "ratio3", 1.0),
)

#: unit column of each format (``None``: the money unit)
FORMAT_UNITS = {"pct": "1", "money": None, "ratio": "1", "ratio3": "1", "years": "yr", "with_year": "1"}
FORMAT_UNITS["money_with_year"] = None

#: names of the variables of the switching values
SWITCHING_NAMES = {
    "investment": ("建设投资", "investment"),
    "revenue": ("营业收入", "revenue"),
    "gep_price": ("生态产品价格", "ΔGEP prices"),
    "delay": ("建设期延长", "construction delay"),
}


def assess(v, ref) -> str:
    """``达标 meets`` when v ≥ ref, ``未达标 below`` otherwise, blank when either is missing."""
    return "" if v is None or ref is None else (MEETS if v >= ref else BELOW)


def _formatted(kind: str, key, values: Mapping, f: float) -> str:
    """The value of indicator ``key`` written as format ``kind`` (see :data:`INDICATOR_ROWS`), money ×f."""
    if kind == "years":
        return f"{num(values[key[0]])} / {num(values[key[1]])}"
    v = values[key]
    if kind == "pct":
        return pct(v)
    if kind == "money":
        return num(v * f)
    if kind in ("ratio", "ratio3"):
        return num(v, 3 if kind == "ratio3" else 2)
    if kind == "with_year":
        return f"{num(v)} ({values[key + '_year']})" if v is not None else "—"
    return f"{num(v * f)} ({values[key + '_year']})"  # money_with_year


def indicator_rows(values: Mapping, unit: str) -> list[Row]:
    """The rows of :data:`INDICATOR_ROWS` from the indicators ``values`` [CNY, 1/yr, yr, 1], money in ``unit``."""
    f = factor("CNY", unit)
    rows = []
    for zh, en, key, kind, ref in INDICATOR_ROWS:
        reference = values[ref] if isinstance(ref, str) else ref
        judged = "" if kind == "years" else assess(values[key], reference)
        row_unit = FORMAT_UNITS[kind] or unit
        rows.append((zh, en.format_map(values), _formatted(kind, key, values, f), row_unit, judged))
    return rows


def plan_rows(result: ProjectResult, unit: str) -> list[Row]:
    """Project, years, investment, interest during construction and each source of funds with its terms."""
    fi = result.finance_indicators()
    fin = result.financing
    f = factor("CNY", unit)
    s = result.schedule
    inv = fi["construction_investment"]
    capital = float(fin.capital.sum())
    years = f"{s.years[0]}–{s.years[-1]} / " + (", ".join(map(str, s.construction_years)) or "-")
    subsidies = f"{num(fi['investment_subsidies_total'] * f)} / {num(fi['operating_subsidies_total'] * f)}"
    rows = [
        ("项目", "project", result.project.name, "", ""),
        ("评估期 / 建设期", "appraisal / construction years", years, "", ""),
        ("建设投资", "construction investment", num(inv * f), unit, ""),
        ("建设期利息", "interest during construction", num(fi["interest_during_construction"] * f), unit, ""),
        ("项目总投资", "total investment", num(fi["total_investment"] * f), unit, ""),
        (
            "项目资本金 (占建设投资)",
            "capital (share of investment)",
            f"{num(capital * f)} ({capital / inv:.1%})",
            unit,
            "",
        ),
        ("银行贷款", "bank loans", num(fi["loans_total"] * f), unit, ""),
        ("专项债券", "special bonds", num(fi["bonds_total"] * f), unit, ""),
        ("政府投资补助 / 运营补贴", "investment / operating subsidies", subsidies, unit, ""),
    ]
    for d in fin.debts:
        terms = f"{d.rate:.2%}, grace {d.grace} yr, term {d.term} yr, {d.repayment}, IDC {d.idc}"
        rows.append((f"债务条件 {d.name_zh or d.name}", f"terms of {d.name}", terms, "", ""))
    return rows


def gep_rows(result: ProjectResult, unit: str) -> list[Row]:
    """ΔGEP at full effect [unit/a] and its NPV [unit]."""
    return [
        (
            "满效年生态系统生产总值增量",
            "ΔGEP at full effect",
            num(float(result.gep_change(unit).magnitude)),
            f"{unit}/a",
            "",
        ),
        ("生态产品增量净现值", "NPV of ΔGEP", num(float(result.npv(unit).magnitude)), unit, ""),
    ]


def switching_rows(result: ProjectResult) -> list[Row]:
    """One row per switching value: the change that brings an indicator to its threshold."""
    rows = []
    for _, r in result.switching_values().iterrows():
        zh, en = SWITCHING_NAMES[r["variable"]]
        x = r["switching change"]
        val = "—" if x is None or pd.isna(x) else (f"{x:+.1%}" if r["variable"] != "delay" else f"+{int(x)} yr")
        rows.append(
            (
                f"临界值: {zh} → {r['indicator'].split(' ')[0]}",
                f"switching value: {en} → {r['indicator']}",
                val,
                "",
                str(r["note"]),
            )
        )
    return rows


def monte_carlo_rows(result: ProjectResult) -> list[Row]:
    """P(FNPV < 0) and P(DSCR min < required) over the Monte Carlo draws (none without them)."""
    if result.finance_mc is None:
        return []
    required = result.finance_indicators()["dscr_required"]
    st = finance_mc_stats(result.finance_mc, required)
    n = len(result.finance_mc)
    p_fnpv = pct(st.at["fnpv_after_tax", "P(below)"])
    rows = [("蒙特卡洛: 财务净现值<0 的概率", f"Monte Carlo: P(FNPV < 0), {n} draws", p_fnpv, "1", "")]
    if pd.notna(st.at["dscr_min", "P(below)"]):
        rows.append(
            (
                "蒙特卡洛: 最低偿债备付率<要求 的概率",
                f"Monte Carlo: P(DSCR min < {required:g})",
                pct(st.at["dscr_min", "P(below)"]),
                "1",
                "",
            )
        )
    return rows


def bank_summary(result: ProjectResult, unit: str = "万元") -> pd.DataFrame:
    """One page a credit committee reads first: project, investment, financing, ΔGEP, FIRR, DSCR, self-balance,
    payback, switching values and the risks found, in Chinese and English (value, unit, assessment)."""
    values = {**result.finance_indicators(), "self_balance_ratio": result.indicators()["self_balance_ratio"]}
    rows = plan_rows(result, unit) + gep_rows(result, unit) + indicator_rows(values, unit)
    rows += switching_rows(result) + monte_carlo_rows(result)
    rows += [("风险", "risk", f"{zh} / {en}", "", "") for zh, en in risks(result)]
    return pd.DataFrame(rows, columns=COLUMNS)


def risks(result: ProjectResult) -> list[tuple[str, str]]:
    """The risks a credit officer would ask about, found in the appraisal (Chinese, English)."""
    fi = result.finance_indicators()
    out = []
    if fi["dscr_below_required"]:
        ys = ", ".join(map(str, fi["dscr_below_required"]))
        out.append(
            (
                f"偿债备付率低于 {fi['dscr_required']:g} 的年份: {ys}",
                f"DSCR below {fi['dscr_required']:g} in {ys}: the project's own cash does not cover its debt service",
            )
        )
    if fi["deficit_years"]:
        ys = ", ".join(map(str, fi["deficit_years"]))
        out.append((f"累计盈余资金为负的年份: {ys}", f"cumulative surplus negative in {ys}: the plan needs more funds"))
    for key, zh in (("firr_after_tax", "项目投资税后"), ("firr_capital", "资本金")):
        if fi[key] is None:
            out.append(
                (f"{zh}财务内部收益率无解", f"{key}: no IRR ({'; '.join(n for n in fi['notes'] if n.startswith(key))})")
            )
    ind = result.indicators()
    if ind.get("pv_inflow", 0) > 0 and ind["pv_monetised"] / ind["pv_inflow"] > 0.3:
        sh = ind["pv_monetised"] / ind["pv_inflow"]
        out.append(
            (
                f"现金流入的 {sh:.0%} 来自生态产品变现(碳汇、水权等交易)",
                f"{sh:.0%} of the inflows (PV) are monetised ΔGEP: market and price risk of ecological products",
            )
        )
    gov = fi["investment_subsidies_total"] + fi["operating_subsidies_total"]
    if gov > 0:
        out.append(
            (
                "依赖政府补助: EOD 导则要求不依靠政府资金投入实现资金自平衡",
                f"government subsidies of {gov * factor('CNY', '万元'):,.0f} 万元: the EOD guideline asks for a "
                "self-balance without government funds",
            )
        )
    if fi["self_balance_financed"] < 1:
        out.append(("融资后资金未能自平衡", "not self-balanced after financing (ratio < 1)"))
    sw = result.switching_values()
    near = sw[(sw["variable"] != "delay") & sw["switching change"].notna()]
    near = near[near["switching change"].astype(float).abs() < 0.1]
    for _, r in near.iterrows():
        out.append(
            (
                f"{r['variable']} 变化 {float(r['switching change']):+.1%} 即使 {r['indicator']}",
                f"a change of {r['variable']} by {float(r['switching change']):+.1%} brings {r['indicator']}",
            )
        )
    return out
