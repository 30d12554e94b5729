"""The project report's tables with Chinese + English headers, and the number formats they share.

Holds the header dictionaries (:data:`HEADERS`, :data:`FIN_HEADERS`), the functions that put them
on a table with its unit (:func:`labelled`, :func:`finance_table`), money scaled to the report's
unit (:func:`finance_scaled`, :func:`money_scaled`), and the tables the workbook and the HTML page
both show (:func:`annual_table`, :func:`benefit_table`, :func:`cash_table`, :func:`eod_inputs`,
:func:`financing_plan`, :func:`finance_mc_table`).  It does not write files: the workbook is
:mod:`~gepcalc.project.report.workbook`, the page :mod:`~gepcalc.project.report.page`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gepcalc.export import DELTA_SENSITIVITY_HEADERS, PROJECT_SUMMARY_HEADERS, delta_headers
from gepcalc.export import labelled as with_headers
from gepcalc.project.finance.monte_carlo import finance_mc_stats
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


def pct(v) -> str:
    """A fraction as a percentage with two decimals; ``—`` for None or NaN."""
    return "—" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{v:.2%}"


def num(v, nd: int = 2) -> str:
    """A number with thousands separators and ``nd`` decimals; ``—`` for None or NaN."""
    return "—" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{v:,.{nd}f}"


def delta_table(result: ProjectResult, dim: str, unit: str) -> pd.DataFrame:
    """ΔGEP by ``service`` (:meth:`~gepcalc.project.ProjectResult.by_service`), ``category``, ``ecosystem``
    or ``region`` (:meth:`~gepcalc.project.ProjectResult.by`) with the headers people read (``ΔGEP [万元/yr]``)."""
    df = result.by_service(unit) if dim == "service" else result.by(dim, unit)
    return with_headers(df, headers=delta_headers(dim))


def summary_table(result: ProjectResult, unit: str) -> pd.DataFrame:
    """The key figures (:meth:`~gepcalc.project.ProjectResult.summary`) headed ``指标, item, value, unit``."""
    return with_headers(result.summary(unit), headers=PROJECT_SUMMARY_HEADERS)


def sensitivity_table(result: ProjectResult, unit: str) -> pd.DataFrame:
    """The one-at-a-time sensitivity with the headers people read, money in ``unit`` (``ΔGEP low [万元/a]``)."""
    return money_scaled(with_headers(result.sensitivity_table, headers=DELTA_SENSITIVITY_HEADERS), unit)


def finance_table(df: pd.DataFrame | None, unit: str) -> pd.DataFrame | None:
    """A table of :mod:`gepcalc.project.finance` with :data:`FIN_HEADERS` and ``[unit]`` on its money columns."""
    if df is None:
        return None
    out = {}
    for c in df.columns:
        label = FIN_HEADERS.get(c, HEADERS.get(c, c))
        if c not in ("year", "debt", "dscr", "icr"):
            label += f" [{unit}]"
        out[c] = label
    return df.rename(columns=out)


def labelled(df: pd.DataFrame, result: ProjectResult, unit: str | None = None, money: tuple = ()) -> pd.DataFrame:
    """``df`` with :data:`HEADERS`, service names and EOD revenue names; ``[unit]`` on the ``money`` columns,
    the services and the revenues."""
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


def finance_scaled(df: pd.DataFrame, unit: str, rows: bool = False) -> pd.DataFrame:
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


def money_scaled(df: pd.DataFrame, unit: str) -> pd.DataFrame:
    """Columns in ``[CNY/yr]`` or ``[CNY]`` converted to ``unit`` (headers renamed to match)."""
    df = df.copy()
    for c in list(df.columns):
        if "[CNY/yr]" in c or "[CNY]" in c:
            df[c] = df[c] * factor("CNY", unit)
            df = df.rename(columns={c: c.replace("[CNY/yr]", f"[{unit}/a]").replace("[CNY]", f"[{unit}]")})
    return df


#: money columns of the yearly ΔGEP and of the ecological benefit
ANNUAL_MONEY = ("total", "discounted", "cumulative", "cumulative_discounted")
BENEFIT_MONEY = ("total", "market_part", "non_market", "discounted_total", "cumulative")


def annual_table(result: ProjectResult, unit: str) -> pd.DataFrame:
    """ΔGEP per year with the schedule [unit/a], labelled."""
    return labelled(result.annual(unit), result, f"{unit}/a", ANNUAL_MONEY)


def benefit_table(result: ProjectResult, unit: str) -> pd.DataFrame:
    """Ecological benefit per year, market and non-market [unit], labelled."""
    return labelled(result.ecological_benefit(unit), result, unit, BENEFIT_MONEY)


def cash_table(result: ProjectResult, unit: str) -> pd.DataFrame | None:
    """The EOD cash-flow table [unit], labelled (None without [eod])."""
    cash = result.cash_flow(unit)
    if cash is None:
        return None
    money = tuple(c for c in cash.columns if c not in ("year", "discount_factor"))
    return labelled(cash, result, unit, money)


def finance_mc_table(result: ProjectResult, unit: str) -> pd.DataFrame:
    """Mean, percentiles and P(below threshold) of the Monte Carlo financial indicators (FNPV, ENPV in unit)."""
    st = finance_mc_stats(result.finance_mc, result.financing.dscr_required)
    return finance_scaled(st.reset_index(names="indicator"), unit, rows=True)


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
