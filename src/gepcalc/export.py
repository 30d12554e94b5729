"""Excel workbook export of an account, ready for a report (opens in Excel/WPS with Chinese intact).

Every sheet goes through :func:`write_sheets` (one place that writes a workbook), which gives each
column a number format: thousands separators and 2 decimals for amounts, percentages for shares,
plain years.  Every sheet that names services, items or ecosystem types carries their 中文 and
English names next to the ids.  Units are written one way: per year as ``/yr`` (the column headers'
``[万元/yr]`` and the quantity units alike), carbon with its basis (``t CO₂/yr`` or ``t C``), kWh as
kWh.  Paths of the package's own tables are written relative to the package (``gepcalc:
coefficients/prices.csv``), the user's files relative to the working directory where below it.

The account's views return machine columns (``value``, ``name_zh`` …) with their units in
``df.attrs["units"]``; :func:`labelled` is the one place that turns them into the headers people
read (``value [万元/yr]``, ``指标``, ``indicator``), for the workbook, the HTML report and the console.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from gepcalc.io import atomic

if TYPE_CHECKING:
    from gepcalc.account import Account

#: number formats (Excel codes)
FMT_MONEY = "#,##0.00"
FMT_NUMBER = "#,##0.00##"
FMT_INTEGER = "#,##0"
FMT_YEAR = "0"
FMT_SHARE = "0.0%"

#: headers of the name columns of an indicator table (:func:`labelled` with ``indicator=True``)
INDICATOR_HEADERS = {"name_zh": "指标", "name_en": "indicator"}

#: headers of the columns of a project's ΔGEP tables (:mod:`gepcalc.project.delta`); a unit in
#: ``attrs["units"]`` is added in brackets (``delta_gep`` → ``ΔGEP [万元/yr]``)
DELTA_HEADERS = {
    "delta_quantity": "Δquantity",
    "value_baseline": "baseline",
    "value_with_project": "with project",
    "delta_gep": "ΔGEP",
    "area_baseline": "baseline area",
    "delta_area": "Δarea",
}

#: headers of the name columns of a project's ΔGEP tables by ``service``, ``category`` or ``ecosystem``
DELTA_NAME_HEADERS = {
    "service": INDICATOR_HEADERS,
    "category": {"name_zh": "类别", "name_en": "category_en"},
    "ecosystem": {"name_zh": "生态系统", "name_en": "ecosystem_en"},
}

#: headers of :meth:`gepcalc.project.ProjectResult.summary` (one row per figure, its unit in ``unit``)
PROJECT_SUMMARY_HEADERS = {"name_zh": "指标", "name_en": "item"}

#: headers of the sensitivity tables (:func:`gepcalc.uncertainty.sensitivity`)
SENSITIVITY_HEADERS = {"gep_low": "GEP low", "gep_high": "GEP high"}

#: headers of a project's one-at-a-time sensitivity (:func:`gepcalc.project.uncertainty.sensitivity`)
DELTA_SENSITIVITY_HEADERS = {
    "delta_gep_low": "ΔGEP low",
    "delta_gep_high": "ΔGEP high",
    "npv_low": "NPV low",
    "npv_high": "NPV high",
}

#: headers of :func:`gepcalc.regions.ranking`
RANKING_HEADERS = {"value": "GEP", "value_per_km2": "GEP per km²", "rank_per_km2": "rank per km²"}


def delta_headers(dim: str = "service") -> dict[str, str]:
    """Headers of a project's ΔGEP table by ``dim`` (``service``, ``category``, ``ecosystem`` or ``region``)."""
    return DELTA_HEADERS | DELTA_NAME_HEADERS.get(dim, {})


def labelled(df: pd.DataFrame, *, indicator: bool = False, headers: dict[str, str] | None = None) -> pd.DataFrame:
    """``df`` with the headers people read: ``value`` → ``value [万元/yr]`` from ``df.attrs["units"]``.

    Every column named in ``df.attrs["units"]`` (the views of :class:`gepcalc.result.Account`
    set it, e.g. ``{"value": "万元/yr", "value_p05": "万元/yr"}``) gets its unit in brackets.

    Parameters
    ----------
    df
        A view of an account (or any frame with ``attrs["units"]``); not changed.
    indicator
        Also name the columns of an indicator table as the summary shows them: ``name_zh`` →
        ``指标``, ``name_en`` → ``indicator`` (:data:`INDICATOR_HEADERS`).
    headers
        Other headers, column → header (e.g. :func:`delta_headers`); a column with a unit gets
        it after its header (``delta_gep`` → ``ΔGEP [万元/yr]``).
    """
    units = df.attrs.get("units", {})
    heads = (INDICATOR_HEADERS if indicator else {}) | (headers or {})
    names = {c: heads[c] for c in df.columns if c in heads}
    names |= {c: f"{heads.get(c, c)} [{u}]" for c, u in units.items() if c in df.columns}
    out = df.rename(columns=names)
    out.attrs = {}
    return out


def uncertainty_sheets(acct: Account, value_unit: str) -> dict[str, pd.DataFrame]:
    """The account's uncertainty sheets (none without draws), with the headers people read."""
    if acct.uncertainty is None:
        return {}
    sheets = acct.uncertainty.sheets(value_unit)
    return {k: labelled(v, headers=SENSITIVITY_HEADERS) for k, v in sheets.items()}


#: 中文 names of the categories
CATEGORY_ZH = {"provisioning": "物质产品", "regulating": "调节服务", "cultural": "文化服务", "GEP": "生态系统生产总值"}


def write_excel(acct: Account, path: Path, value_unit: str = "万元") -> Path:
    """Write sheets: summary, categories, regions, ecosystems, account (tidy), sources, lines, adjustments,
    not computed (only where the account lists indicators it could not compute), notes.

    Every sheet with service, item or ecosystem ids has their 中文 and English names beside them
    (:func:`with_names`); units per year are written ``/yr`` (:func:`units_one_way`).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = pd.DataFrame(
        [(k, display_path(str(v)) if k == "landcover" else str(v)) for k, v in acct.data.attrs.items()]
        + [("units", "quantities and values per year are written /yr (= /a of the Chinese standards)")]
        + [("note", n) for n in acct.notes],
        columns=["item", "value"],
    )
    sources = acct.sources.copy()
    if "file" in sources.columns:
        sources["file"] = [display_path(v) if isinstance(v, str) and v else v for v in sources["file"]]
    sheets = {
        "summary 汇总": labelled(acct.summary(unit=value_unit), indicator=True),
        "categories 类别": labelled(acct.total(unit=value_unit)),
        "regions 区域": labelled(acct.by("region", unit=value_unit)),
        "ecosystems 生态系统": labelled(acct.by("ecosystem", unit=value_unit)),
        "account 核算表": acct.table(value_unit=value_unit),
        "sources 参数来源": sources,
        "lines 统计明细": labelled(acct.lines),
        "adjustments 扣减": labelled(acct.adjustments),
        "not computed 未核算": not_computed_sheet(acct),
        **(uncertainty_sheets(acct, value_unit)),
        "notes 说明": meta,
    }
    sheets = {k: with_names(v, acct) for k, v in sheets.items() if len(v.columns)}
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


# -- names, units, paths ---------------------------------------------------------------------------------


def _service_names(acct: Account | None) -> dict[str, tuple[str, str]]:
    names: dict[str, tuple[str, str]] = {}
    try:
        from gepcalc.services import available

        names = {sid: (cls.spec.name_zh, cls.spec.name_en) for sid, cls in available().items()}
    except Exception:  # names are a courtesy: a broken plug-in must not stop the export
        names = {}
    if acct is not None:
        d = acct.data
        names |= dict(zip(d["service"].values, zip(d["name_zh"].values, d["name_en"].values, strict=True), strict=True))
    return names


def _coord_names(acct: Account | None, dim: str, zh: str, en: str) -> dict[str, tuple[str, str]]:
    if acct is None or dim not in acct.data.dims or zh not in acct.data.coords:
        return {}
    d = acct.data
    return dict(zip(d[dim].values, zip(d[zh].values, d[en].values, strict=True), strict=True))


def _ecosystem_names(acct: Account | None) -> dict[str, tuple[str, str]]:
    names = {}
    try:
        from gepcalc.landscape import ecosystem_types

        et = ecosystem_types().data
        names = dict(zip(et.index, zip(et["name_zh"], et["name_en"], strict=True), strict=True))
    except Exception:  # as above
        pass
    return names | _coord_names(acct, "ecosystem", "ecosystem_zh", "ecosystem_en")


def with_names(df: pd.DataFrame, acct: Account | None = None) -> pd.DataFrame:
    """``df`` with 中文 and English names after its ``service``, ``item``, ``ecosystem`` and ``category`` ids.

    Columns already there (``指标``/``indicator`` of the summary, ``name_zh``/``name_en``) are kept;
    nothing is renamed, so every sheet keeps the columns the API returns and gains the names.
    """
    if not len(df.columns):
        return df
    df = df.copy()
    has = set(df.columns)
    plan = []
    if "service" in has and not ({"指标", "name_zh"} & has):
        plan.append(("service", _service_names(acct), "指标", "indicator"))
    if "item" in has and "item_zh" not in has:
        items = _coord_names(acct, "item", "item_zh", "item_en")
        if any(i for i in df["item"].dropna().astype(str) if i):
            plan.append(("item", items, "分项", "item name"))
    if "ecosystem" in has and "生态系统" not in has:
        plan.append(("ecosystem", _ecosystem_names(acct), "生态系统", "ecosystem type"))
    for col, names, zh, en in plan:
        pos = df.columns.get_loc(col) + 1
        ids = df[col].astype(str)
        df.insert(pos, zh, [names.get(i, ("", ""))[0] or ("" if col != "service" else i) for i in ids])
        if en not in has and en not in df.columns:
            df.insert(pos + 1, en, [names.get(i, ("", ""))[1] for i in ids])
    if "category" in has and not ({"类别", "name_zh", "指标"} & has):  # sheets with 指标 keep their columns
        df.insert(df.columns.get_loc("category") + 1, "类别", [CATEGORY_ZH.get(str(c), "") for c in df["category"]])
    return df


#: unit spellings rewritten in the workbook (pint's pretty forms → the way reports write them)
_UNIT_FIXES = (
    (re.compile(r"h·kW"), "kWh"),
    (re.compile(r"kW·h"), "kWh"),
    (re.compile(r"kW \* h|kW\*h"), "kWh"),
    (re.compile(r"tCO₂"), "t CO₂"),
    (re.compile(r"tC(?![A-Za-z₂O])"), "t C"),
    (re.compile(r"/a\b"), "/yr"),
    (re.compile(r" / a\b"), "/yr"),
    (re.compile(r"/ yr\b"), "/yr"),
)
_UNIT_COLUMNS = ("quantity_unit", "value_unit", "item_unit", "unit", "单位")


def unit_text(u: str) -> str:
    """A unit as the workbook writes it: ``m³/yr``, ``t CO₂/yr``, ``kWh/yr``, ``万元/yr``."""
    if not isinstance(u, str):
        return u
    for pattern, repl in _UNIT_FIXES:
        u = pattern.sub(repl, u)
    return u


def units_one_way(df: pd.DataFrame) -> pd.DataFrame:
    """Unit columns and ``[unit]`` in headers written one way (per year as ``/yr``; see :func:`unit_text`)."""
    if not len(df.columns):
        return df
    df = df.copy()
    for c in df.columns:
        if str(c) in _UNIT_COLUMNS or str(c).endswith("_unit"):
            df[c] = [unit_text(v) for v in df[c]]
    bracket = re.compile(r"\[([^\]]*)\]")
    renamed = {c: bracket.sub(lambda m: f"[{unit_text(m.group(1))}]", c) for c in df.columns if "[" in str(c)}
    return df.rename(columns=renamed)


def display_path(path: str | Path) -> str:
    """A file's path as outputs write it: the package's data as ``gepcalc:<folder>/<file>``, a file under
    the working directory relative to it, any other file as given (never a site-packages path)."""
    from gepcalc._data import data_dir

    text = str(path)
    try:
        p = Path(text).resolve()
    except (OSError, ValueError):
        return text
    for kind in ("coefficients", "profiles", "demo"):
        try:
            root = data_dir(kind).resolve()
        except FileNotFoundError:
            continue
        if p.is_relative_to(root):
            return f"gepcalc:{kind}/{p.relative_to(root).as_posix()}"
    cwd = Path.cwd().resolve()
    if p.is_relative_to(cwd):
        return p.relative_to(cwd).as_posix()
    return text


def bilingual_summary(acct: Account, unit: str = "亿元") -> pd.DataFrame:
    """The summary as reports show it: 指标 / indicator, quantity with its unit (/yr), value, share, status."""
    s = acct.summary(unit=unit)
    vcol = "value"
    out = pd.DataFrame(
        {
            "指标": s["name_zh"],
            "indicator": s["name_en"],
            "类别 category": [f"{CATEGORY_ZH.get(c, '')} {c}".strip() for c in s["category"]],
            "物理量 quantity": s["quantity"],
            "单位 unit": [unit_text(u) for u in s["quantity_unit"]],
            f"价值 value [{unit}/yr]": s[vcol],
            "占比 share": s["share"],
        }
    )
    if "status" in s:  # the reasons are in the not-computed sheet / section
        out["状态 status"] = ["已核算 computed" if v == "computed" else "未核算 not computed" for v in s["status"]]
    return out


# -- the one writer --------------------------------------------------------------------------------------


def column_format(name: str, values: pd.Series) -> str | None:
    """The Excel number format of a column from its header and values (None: leave as is)."""
    low = str(name).lower()
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return None
    if "year" in low or "年份" in low or low in ("row",):
        return FMT_YEAR
    if any(k in low for k in ("share", "占比", "比例", "ratio", "fraction", "rate of", "率")) and (
        values.dropna().abs().le(10).all()
    ):
        return FMT_SHARE
    if pd.api.types.is_integer_dtype(values):
        return FMT_INTEGER
    if any(k in str(name) for k in ("元", "CNY")) or low.startswith("value"):
        return FMT_MONEY
    return FMT_NUMBER


def write_sheets(path: Path, sheets: dict[str, pd.DataFrame], max_width: int = 60) -> Path:
    """Write DataFrames as sheets of one workbook: frozen header row, columns as wide as their text,
    number formats by column (:func:`column_format`), units per year as ``/yr`` (:func:`units_one_way`).
    Every workbook gepcalc writes goes through here."""
    path = Path(path)
    with atomic(path) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as xw:
        for name, df in sheets.items():
            df = units_one_way(df)  # every workbook writes units per year the same way (/yr)
            df.to_excel(xw, sheet_name=name[:31], index=False)
            ws = xw.sheets[name[:31]]
            ws.freeze_panes = "A2"
            for i, col in enumerate(df.columns, start=1):
                letter = ws.cell(row=1, column=i).column_letter
                fmt = column_format(col, df[col])
                if fmt:
                    for (cell,) in ws.iter_rows(min_row=2, max_row=len(df) + 1, min_col=i, max_col=i):
                        cell.number_format = fmt
                shown = [len(str(col))] + [len(_shown(v, fmt)) for v in df[col].head(200)]
                ws.column_dimensions[letter].width = min(max(10, max(shown) + 2), max_width)
    return path


def _shown(v, fmt: str | None) -> str:
    if fmt in (FMT_MONEY, FMT_NUMBER) and isinstance(v, float) and v == v:
        return f"{v:,.2f}"
    return str(v)
