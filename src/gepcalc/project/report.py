"""Project reports: an Excel workbook (Chinese + English headers) and a self-contained HTML report.

The page, its stylesheet and its charts are the county report's (:mod:`gepcalc.report`): SVG charts
and map whose text the browser draws, so Chinese labels use the reader's fonts; one file that opens
offline.  ``map_png`` draws the change map as a PNG file for ``write_maps`` (matplotlib, English labels).
"""

from __future__ import annotations

import html
import io
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gepcalc.export import display_path, write_sheets
from gepcalc.io import write_text
from gepcalc.report import figure, svg_bars, svg_histogram, svg_xy
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


#: headers of the financing tables (Chinese + English)
FIN_HEADERS = {
    "debt": "债务 debt",
    "opening": "期初余额 opening balance",
    "drawdown": "本年借款 drawdown",
    "interest": "应计利息 interest",
    "capitalised": "建设期利息资本化 interest capitalised",
    "interest_paid": "支付利息 interest paid",
    "principal": "偿还本金 principal repaid",
    "closing": "期末余额 closing balance",
    "debt_service": "还本付息 debt service",
    "revenue": "营业收入 revenue",
    "monetised": "生态产品变现收入 monetised ΔGEP",
    "operating_subsidy": "补贴收入 operating subsidy",
    "residual_value": "回收固定资产余值 residual value",
    "inflow": "现金流入 inflow",
    "investment": "建设投资 investment",
    "operating_cost": "经营成本 operating cost",
    "outflow": "现金流出 outflow",
    "net_before_tax": "所得税前净现金流量 net before tax",
    "cumulative_before_tax": "累计所得税前净现金流量 cumulative before tax",
    "adjusted_income_tax": "调整所得税 adjusted income tax",
    "net_after_tax": "所得税后净现金流量 net after tax",
    "cumulative_after_tax": "累计所得税后净现金流量 cumulative after tax",
    "capital": "项目资本金 capital",
    "income_tax": "所得税 income tax",
    "net": "净现金流量 net cash flow",
    "cumulative": "累计净现金流量 cumulative",
    "operating_inflow": "经营活动现金流入 operating inflow",
    "net_operating": "经营活动净现金流量 net operating",
    "net_investing": "投资活动净现金流量 net investing",
    "loan_drawdown": "借款与债券 loans and bonds drawn",
    "investment_subsidy": "投资补助 investment subsidy",
    "financing_inflow": "筹资活动现金流入 financing inflow",
    "financing_outflow": "筹资活动现金流出 financing outflow",
    "net_financing": "筹资活动净现金流量 net financing",
    "net_cash_flow": "净现金流量 net cash flow",
    "cumulative_surplus": "累计盈余资金 cumulative surplus",
    "ebitda": "息税折旧摊销前利润 EBITDA",
    "available_for_debt_service": "可用于还本付息的资金 EBITDA − tax",
    "dscr": "偿债备付率 DSCR",
    "ebit": "息税前利润 EBIT",
    "icr": "利息备付率 ICR",
    "closing_balance": "债务余额 debt outstanding",
    "depreciation": "折旧 depreciation",
    "interest_expense": "利息支出 interest expense",
    "profit_before_tax": "利润总额 profit before tax",
    "net_profit": "净利润 net profit",
    "non_market": "非市场生态效益 non-market ΔGEP",
    "benefit": "经济效益 economic benefit",
    "cost": "经济费用 economic cost",
    "net_benefit": "经济净效益流量 net economic benefit",
}


def _fin(df: pd.DataFrame | None, unit: str) -> pd.DataFrame | None:
    if df is None:
        return None
    out = {}
    for c in df.columns:
        label = FIN_HEADERS.get(c, HEADERS.get(c, c))
        if c not in ("year", "debt", "dscr", "icr"):
            label += f" [{unit}]"
        out[c] = label
    return df.rename(columns=out)


def _pct(v) -> str:
    return "—" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{v:.2%}"


def _num(v, nd: int = 2) -> str:
    return "—" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{v:,.{nd}f}"


def financing_plan(result: ProjectResult, unit: str = "万元") -> pd.DataFrame:
    """The financing plan as entered: each source with its amount [unit], share of the investment and terms."""
    fin = result.financing
    f = factor("CNY", unit)
    total = float(result.eod.investment.sum())
    rows = [
        {
            "来源 source": "项目资本金 capital",
            "名称 name": "capital",
            f"金额 amount [{unit}]": float(fin.capital.sum()) * f,
            "占建设投资 share": float(fin.capital.sum()) / total,
            "利率 rate": None,
            "宽限期 grace [yr]": None,
            "期限 term [yr]": None,
            "还款方式 repayment": "",
            "建设期利息 IDC": "",
        }
    ]
    for d in fin.debts:
        rows.append(
            {
                "来源 source": "银行贷款 loan" if d.kind == "loan" else "专项债券 special bond",
                "名称 name": f"{d.name_zh} {d.name}".strip(),
                f"金额 amount [{unit}]": float(d.drawdown.sum()) * f,
                "占建设投资 share": float(d.drawdown.sum()) / total,
                "利率 rate": d.rate,
                "宽限期 grace [yr]": d.grace,
                "期限 term [yr]": d.term,
                "还款方式 repayment": {
                    "equal_instalment": "等额本息 equal instalment",
                    "equal_principal": "等额本金 equal principal",
                    "bullet": "到期一次还本 bullet",
                }[d.repayment],
                "建设期利息 IDC": "资本化 capitalised" if d.idc == "capitalised" else "资本金支付 paid from capital",
            }
        )
    for sub in fin.subsidies:
        rows.append(
            {
                "来源 source": "投资补助 investment subsidy"
                if sub.kind == "investment"
                else "运营补贴 operating subsidy",
                "名称 name": f"{sub.name_zh} {sub.name}".strip(),
                f"金额 amount [{unit}]": float(sub.amounts.sum()) * f,
                "占建设投资 share": float(sub.amounts.sum()) / total if sub.kind == "investment" else None,
                "利率 rate": None,
                "宽限期 grace [yr]": None,
                "期限 term [yr]": None,
                "还款方式 repayment": "",
                "建设期利息 IDC": "",
            }
        )
    return pd.DataFrame(rows)


def bank_summary(result: ProjectResult, unit: str = "万元") -> pd.DataFrame:
    """One page a credit committee reads first: project, investment, financing, ΔGEP, FIRR, DSCR, self-balance,
    payback, switching values and the risks found, in Chinese and English (value, unit, assessment)."""
    fi = result.finance_indicators()
    fin = result.financing
    f = factor("CNY", unit)
    s = result.schedule
    ok = "达标 meets"
    bad = "未达标 below"

    def cmp(v, ref):
        return "" if v is None or ref is None else (ok if v >= ref else bad)

    inv = fi["construction_investment"]
    rows = [
        ("项目", "project", result.project.name, "", ""),
        (
            "评估期 / 建设期",
            "appraisal / construction years",
            f"{s.years[0]}–{s.years[-1]} / " + (", ".join(map(str, s.construction_years)) or "-"),
            "",
            "",
        ),
        ("建设投资", "construction investment", _num(inv * f), unit, ""),
        ("建设期利息", "interest during construction", _num(fi["interest_during_construction"] * f), unit, ""),
        ("项目总投资", "total investment", _num(fi["total_investment"] * f), unit, ""),
        (
            "项目资本金 (占建设投资)",
            "capital (share of investment)",
            f"{_num(float(fin.capital.sum()) * f)} ({float(fin.capital.sum()) / inv:.1%})",
            unit,
            "",
        ),
        ("银行贷款", "bank loans", _num(fi["loans_total"] * f), unit, ""),
        ("专项债券", "special bonds", _num(fi["bonds_total"] * f), unit, ""),
        (
            "政府投资补助 / 运营补贴",
            "investment / operating subsidies",
            f"{_num(fi['investment_subsidies_total'] * f)} / {_num(fi['operating_subsidies_total'] * f)}",
            unit,
            "",
        ),
    ]
    for d in fin.debts:
        rows.append(
            (
                f"债务条件 {d.name_zh or d.name}",
                f"terms of {d.name}",
                f"{d.rate:.2%}, grace {d.grace} yr, term {d.term} yr, {d.repayment}, IDC {d.idc}",
                "",
                "",
            )
        )
    rows += [
        (
            "满效年生态系统生产总值增量",
            "ΔGEP at full effect",
            _num(float(result.gep_change(unit).magnitude)),
            f"{unit}/a",
            "",
        ),
        ("生态产品增量净现值", "NPV of ΔGEP", _num(float(result.npv(unit).magnitude)), unit, ""),
        ("财务基准收益率", "benchmark rate (FIRR)", _pct(fi["benchmark_rate"]), "1", ""),
        (
            "项目投资财务内部收益率(税前)",
            "FIRR before tax",
            _pct(fi["firr_before_tax"]),
            "1",
            cmp(fi["firr_before_tax"], fi["benchmark_rate"]),
        ),
        (
            "项目投资财务内部收益率(税后)",
            "FIRR after tax",
            _pct(fi["firr_after_tax"]),
            "1",
            cmp(fi["firr_after_tax"], fi["benchmark_rate"]),
        ),
        (
            "项目投资财务净现值(税后)",
            "FNPV after tax at the benchmark",
            _num(fi["fnpv_after_tax"] * f),
            unit,
            cmp(fi["fnpv_after_tax"], 0.0),
        ),
        (
            "资本金财务内部收益率",
            "FIRR on capital",
            _pct(fi["firr_capital"]),
            "1",
            cmp(fi["firr_capital"], fi["capital_benchmark"]),
        ),
        (
            "静态 / 动态投资回收期(含建设期)",
            "payback, static / dynamic (from construction start)",
            f"{_num(fi['payback_period'])} / {_num(fi['discounted_payback_period'])}",
            "yr",
            "",
        ),
        (
            "最低偿债备付率 (年份)",
            "minimum DSCR (year)",
            f"{_num(fi['dscr_min'])} ({fi['dscr_min_year']})" if fi["dscr_min"] is not None else "—",
            "1",
            cmp(fi["dscr_min"], fi["dscr_required"]),
        ),
        ("要求的偿债备付率", "DSCR required", _num(fi["dscr_required"]), "1", ""),
        (
            "最低利息备付率 (年份)",
            "minimum ICR (year)",
            f"{_num(fi['icr_min'])} ({fi['icr_min_year']})" if fi["icr_min"] is not None else "—",
            "1",
            cmp(fi["icr_min"], 1.0),
        ),
        (
            "资金自平衡率(融资前)",
            "fund self-balance ratio (before financing)",
            _num(result.indicators()["self_balance_ratio"], 3),
            "1",
            cmp(result.indicators()["self_balance_ratio"], 1.0),
        ),
        (
            "资金自平衡率(融资后)",
            "fund self-balance ratio (financed)",
            _num(fi["self_balance_financed"], 3),
            "1",
            cmp(fi["self_balance_financed"], 1.0),
        ),
        (
            "累计盈余资金最小值 (年份)",
            "minimum cumulative surplus (year)",
            f"{_num(fi['cumulative_surplus_min'] * f)} ({fi['cumulative_surplus_min_year']})",
            unit,
            cmp(fi["cumulative_surplus_min"], -1e-6),
        ),
        ("经济内部收益率", "EIRR", _pct(fi["eirr"]), "1", cmp(fi["eirr"], fi["social_discount_rate"])),
        (
            "经济净现值 (社会折现率)",
            f"ENPV at {fi['social_discount_rate']:.2%}",
            _num(fi["enpv"] * f),
            unit,
            cmp(fi["enpv"], 0.0),
        ),
        ("效益费用比", "benefit-cost ratio", _num(fi["bcr"], 3), "1", cmp(fi["bcr"], 1.0)),
    ]
    sw = result.switching_values()
    names = {
        "investment": ("建设投资", "investment"),
        "revenue": ("营业收入", "revenue"),
        "gep_price": ("生态产品价格", "ΔGEP prices"),
        "delay": ("建设期延长", "construction delay"),
    }
    for _, r in sw.iterrows():
        zh, en = names[r["variable"]]
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
    if result.finance_mc is not None:
        from gepcalc.project.uncertainty import finance_mc_stats

        st = finance_mc_stats(result.finance_mc, fi["dscr_required"])
        n = len(result.finance_mc)
        rows.append(
            (
                "蒙特卡洛: 财务净现值<0 的概率",
                f"Monte Carlo: P(FNPV < 0), {n} draws",
                _pct(st.at["fnpv_after_tax", "P(below)"]),
                "1",
                "",
            )
        )
        if pd.notna(st.at["dscr_min", "P(below)"]):
            rows.append(
                (
                    "蒙特卡洛: 最低偿债备付率<要求 的概率",
                    f"Monte Carlo: P(DSCR min < {fi['dscr_required']:g})",
                    _pct(st.at["dscr_min", "P(below)"]),
                    "1",
                    "",
                )
            )
    for zh, en in risks(result):
        rows.append(("风险", "risk", f"{zh} / {en}", "", ""))
    return pd.DataFrame(rows, columns=["项目 item", "item", "value", "unit", "评价 assessment"])


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
    out = {}
    if result.financing is not None:
        out["bank summary 银行摘要"] = result.bank_summary(unit)
    out |= {
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
    if result.financing is not None:
        out["financing 融资方案"] = financing_plan(result, unit)
        out["loans 借款还本付息"] = _fin(result.loan_schedules(unit), unit)
        out["investment CF 项目投资现金流量"] = _fin(result.investment_cash_flow(unit), unit)
        out["capital CF 资本金现金流量"] = _fin(result.capital_cash_flow(unit), unit)
        out["financial plan 财务计划现金流量"] = _fin(result.financial_plan(unit), unit)
        out["debt cover 偿债能力"] = _fin(result.debt_cover(unit), unit)
        out["economic 经济费用效益"] = _fin(result.economic_flows(unit), unit)
        out["switching 临界值"] = result.switching_values()
        if result.finance_sensitivity is not None:
            out["fin sensitivity 财务敏感性"] = _fin_scaled(result.finance_sensitivity, unit)
        if result.finance_mc is not None:
            from gepcalc.project.uncertainty import finance_mc_stats

            st = finance_mc_stats(result.finance_mc, result.financing.dscr_required)
            out["fin MC 财务蒙特卡洛"] = _fin_scaled(st.reset_index(names="indicator"), unit, rows=True)
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


def _fin_scaled(df: pd.DataFrame, unit: str, rows: bool = False) -> pd.DataFrame:
    """Money indicators (FNPV, ENPV) of the financial sensitivity / Monte Carlo tables in ``unit``."""
    df = df.copy()
    money = ("fnpv_after_tax", "enpv")
    if rows:
        m = df["indicator"].isin(money)
        for c in ("mean", "P5", "P50", "P95"):
            df.loc[m, c] = df.loc[m, c] * factor("CNY", unit)
        df.loc[m, "indicator"] = df.loc[m, "indicator"] + f" [{unit}]"
        return df
    for c in money:
        if c in df:
            df[c] = df[c] * factor("CNY", unit)
            df = df.rename(columns={c: f"{c} [{unit}]"})
    return df


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


def _png(fig) -> bytes:
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
    ref = t.attrs.get("reference ΔGEP [CNY/yr]", float(result.gep_change().magnitude)) * factor("CNY", unit)
    labels, values = [], []
    for _, r in t.iterrows():
        for end, zh in (("low", "低"), ("high", "高")):
            labels.append(f"{r['coefficient']} {zh} {end}")
            values.append(r[f"ΔGEP {end} [CNY/yr]"] * factor("CNY", unit) - ref)
    return svg_bars(
        labels, values, f"{unit}/yr", title=f"敏感性 One-at-a-time sensitivity: change of ΔGEP from {ref:,.2f}"
    )


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


def _table(df: pd.DataFrame) -> str:
    table = df.to_html(
        index=False,
        float_format=lambda x: f"{x:,.4g}" if abs(x) < 100 else f"{x:,.2f}",
        border=0,
        classes="t",
        na_rep="",
    )
    return f'<div class="table-wrap">{table}</div>'  # wide tables scroll inside the page (report.css)


def change_map(result: ProjectResult) -> str:
    """The total ΔGEP map as SVG (shared with the county report): the boundary outlined, a scale bar, a
    legend whose text the browser draws; values per ha [CNY/ha/yr], diverging around 0."""
    from gepcalc.report import figure, map_from_values
    from gepcalc.zonal import on_grid

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
        f"<p class='note'>gepcalc, {date.today().isoformat()}; project file {html.escape(display_path(p.source))}; "
        f"price year {result.delta.attrs.get('price_year')}; profile {result.delta.attrs.get('profile')}; "
        f"money in {unit} (1 万元 = 10<sup>4</sup> CNY).</p>",
        *(
            [
                "<h2>银行授信摘要 Bank summary (credit committee)</h2>",
                _table(result.bank_summary(unit)),
            ]
            if result.financing is not None
            else []
        ),
        "<h2>摘要 Summary</h2>",
        _table(result.summary(unit)),
        "<h2>生态系统生产总值增量 ΔGEP by service</h2>",
        figure(chart_services(result, unit)),
        _table(result.by_service(unit)),
        "<h3>分类别 by category</h3>",
        _table(result.by("category", unit)),
        "<h3>分生态系统 by ecosystem type</h3>",
        _table(result.by("ecosystem", unit)),
        "<h2>逐年生态效益 Yearly ΔGEP</h2>",
        figure(chart_annual(result, unit)),
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
            figure(chart_cash(result, unit)),
            figure(chart_cumulative(result, unit)),
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
    if result.financing is not None:
        parts += [
            "<h2>融资方案与偿债能力 Financing plan and debt service</h2>",
            "<p class='note'>Tables of the financial analysis of 《建设项目经济评价方法与参数》(第三版, 2006): "
            "project investment cash flow (before financing), capital cash flow, financial plan cash flow "
            "(clause and table numbers not verified, see docs/project.md). DSCR = (EBITDA − income tax) / "
            "(principal + interest); ICR = EBIT / interest. 资金自平衡率(融资后) = "
            "Σ(产业收入 + 生态产品变现)·d<sub>t</sub> / "
            "Σ(经营成本 + 所得税 + 还本付息 + 资本金 + 政府投资补助)·d<sub>t</sub>: "
            "no government money counts as "
            "income (EOD 实施导则(试行): self-balance without government funds).</p>",
            _table(financing_plan(result, unit)),
            "<h3>借款还本付息计划 Loan schedules</h3>",
            _table(_fin(result.loan_schedules(unit), unit)),
            "<h3>项目投资现金流量表 Project investment cash flow</h3>",
            _table(_fin(result.investment_cash_flow(unit), unit)),
            "<h3>项目资本金现金流量表 Capital cash flow</h3>",
            _table(_fin(result.capital_cash_flow(unit), unit)),
            "<h3>财务计划现金流量表 Financial plan cash flow</h3>",
            _table(_fin(result.financial_plan(unit), unit)),
            "<h3>偿债备付率与利息备付率 DSCR and ICR</h3>",
            figure(chart_dscr(result)),
            _table(_fin(result.debt_cover(unit), unit)),
            "<h3>经济费用效益流量 Economic benefits and costs</h3>",
            _table(_fin(result.economic_flows(unit), unit)),
            "<h3>临界值 Switching values</h3>",
            _table(result.switching_values()),
        ]
        if result.finance_sensitivity is not None:
            parts += [
                "<h3>财务敏感性 Financial sensitivity</h3>",
                _table(_fin_scaled(result.finance_sensitivity, unit)),
            ]
        if result.finance_mc is not None:
            from gepcalc.project.uncertainty import finance_mc_stats

            st = finance_mc_stats(result.finance_mc, result.financing.dscr_required)
            parts += [
                "<h3>财务指标蒙特卡洛 Monte Carlo of the financial indicators</h3>",
                _table(_fin_scaled(st.reset_index(names="indicator"), unit, rows=True)),
            ]
    if result.sensitivity_table is not None and len(result.sensitivity_table):
        parts += [
            "<h2>敏感性分析 One-at-a-time sensitivity</h2>",
            figure(chart_tornado(result, unit)),
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
            figure(chart_mc(result, unit)),
            _table(st.reset_index(names="item")),
        ]
    meth = result.map_methods()
    spread = [k for k, v in meth.items() if v != "per pixel"]
    parts += [
        "<h2>变化图 Where the value changes</h2>",
        change_map(result),
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
    from gepcalc.report import Section, render_page

    # the shared page (gepcalc/templates: report.html.j2, report.css); parts[0] is the title
    doc = render_page(
        f"{p.name} — 项目生态产品价值与EOD评估 / project GEP and EOD appraisal",
        [Section("report", "", "\n".join(parts[1:]))],
    )
    return write_text(path, doc)
