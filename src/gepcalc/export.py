"""Excel workbook export of an account (opens in Excel/WPS with Chinese intact)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from gepcalc.account import Account


def write_excel(acct: Account, path: Path, value_unit: str = "万元") -> Path:
    """Write sheets: summary, categories, regions, ecosystems, account (tidy), sources, lines, adjustments,
    not computed (only where the account lists indicators it could not compute), notes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = pd.DataFrame(
        [(k, str(v)) for k, v in acct.data.attrs.items()] + [("note", n) for n in acct.notes],
        columns=["item", "value"],
    )
    sheets = {
        "summary 汇总": acct.summary(unit=value_unit),
        "categories 类别": acct.total(unit=value_unit),
        "regions 区域": acct.by("region", unit=value_unit),
        "ecosystems 生态系统": acct.by("ecosystem", unit=value_unit),
        "account 核算表": acct.table(value_unit=value_unit),
        "sources 参数来源": acct.sources,
        "lines 统计明细": acct.lines,
        "adjustments 扣减": acct.adjustments,
        "not computed 未核算": not_computed_sheet(acct),
        "notes 说明": meta,
    }
    sheets = {k: v for k, v in sheets.items() if len(v.columns)}
    return write_sheets(path, sheets)


def not_computed_sheet(acct: Account) -> pd.DataFrame:
    """The indicators the account could not compute: service, 指标, indicator, category, what it needs.

    Empty (no columns: no sheet) where every indicator was computed.
    """
    nc = acct.not_computed
    if not len(nc):
        return pd.DataFrame()
    return pd.DataFrame(
        {
            "service": nc["service"].values,
            "item": nc["item"].values,
            "指标": nc["name_zh"].values,
            "indicator": nc["name_en"].values,
            "category": nc["category"].values,
            "what it needs": nc["reason"].values,
        }
    )


def write_sheets(path: Path, sheets: dict[str, pd.DataFrame], max_width: int = 60) -> Path:
    """Write DataFrames as sheets of one workbook: frozen header row, columns as wide as their text."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        for name, df in sheets.items():
            df.to_excel(xw, sheet_name=name[:31], index=False)
            ws = xw.sheets[name[:31]]
            ws.freeze_panes = "A2"
            for i, col in enumerate(df.columns, start=1):
                width = max([len(str(col))] + [len(str(v)) for v in df[col].head(200)])
                ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = min(max(10, width + 2), max_width)
    return path
