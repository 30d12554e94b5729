"""Reading and checking lines: a file or DataFrame of reported quantities → validated lines.

Holds the columns a line may have (:data:`LINE_COLUMNS`, Chinese or English headers),
:func:`read_lines` and its checks (numbers, units, origins, a line entered twice), and
:func:`column_values`, which reads a number column of a service's own table the same way.
Valuing the lines is :mod:`gepcalc.lines.value`; laying them onto the account's dimensions
:mod:`gepcalc.lines.layout`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pint

from gepcalc.errors import InputFileError, LineError
from gepcalc.io import read_csv
from gepcalc.tables import HEADER_UNIT
from gepcalc.units import Q_, normalise_unit, parse_unit

#: columns of a line (English name → accepted Chinese headers); required ones first
LINE_COLUMNS: dict[str, tuple[str, ...]] = {
    "region": ("区域", "地区", "行政区"),
    "service": ("指标", "核算指标"),
    "quantity": ("数量", "实物量", "功能量"),
    "unit": ("单位", "实物量单位", "功能量单位"),
    "source": ("来源", "数据来源", "实物量来源"),
    "item": ("项目", "产品", "子项", "景点"),
    "ecosystem": ("生态系统", "生态系统类型"),
    "price": ("价格", "单价"),
    "price_unit": ("价格单位", "单价单位"),
    "price_source": ("价格来源", "单价来源"),
    "value": ("价值", "价值量", "报告价值"),
    "value_unit": ("价值单位", "价值量单位"),
    "origin": ("来源地",),
    "share": ("生态系统贡献率", "贡献率"),
    "name_zh": ("名称",),
    "name_en": ("name",),
    "note": ("备注", "说明"),
}
#: value parameters a line may carry for its own service ([column] → (accepted headers, unit of a bare
#: number)): a line of sand fixation priced per m² carries its sand's bulk density and cover depth
PARAM_COLUMNS: dict[str, tuple[tuple[str, ...], str]] = {
    "sand_bulk_density": (("bulk_density", "容重", "沙粒容重", "土壤容重"), "t / m**3"),
    "sand_cover_depth": (("cover_depth", "覆沙厚度", "沙层厚度", "覆沙深度"), "m"),
}
REQUIRED = ("region",)
#: columns that make a line one line: two lines equal in all of them are refused
LINE_KEY = ("region", "service", "item", "ecosystem", "origin")
#: a comma in a number is only a thousands separator: 1,234 or 12,345,678.9
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
#: ecosystem label of lines that name no type and cannot be allocated (no land cover, no producing type)
UNALLOCATED = "unallocated"
ORIGINS = ("local", "outside")
_TEXT = ("region", "service", "unit", "source", "item", "ecosystem", "price_unit", "price_source", "value_unit")
_TEXT += ("origin", "name_zh", "name_en", "note")


def read_lines(src: str | Path | pd.DataFrame, *, service: str | None = None) -> pd.DataFrame:
    """Read lines from a CSV/Excel file or a DataFrame and check them.

    Parameters
    ----------
    src
        The lines.  Headers may be English (:data:`LINE_COLUMNS`) or Chinese
        (``区域, 指标, 项目, 数量, 单位, 来源, 价格, 价格单位, 价格来源 …``); a unit in
        brackets in the header (``quantity [万t]``) holds for every row without a unit.
        A line may give only its reported value (``value``, ``value_unit``, no quantity);
        a comma in a number is read only as a thousands separator (``1,234``): ``19,18``
        is refused with the file, row and column.
    service
        The service every line belongs to (for a service's own statistics file,
        which then needs no ``service`` column).

    Returns
    -------
    pandas.DataFrame
        One row per line with the columns of :data:`LINE_COLUMNS` plus ``file``
        and ``row`` (the row number a spreadsheet shows, for messages).
    """
    df, where = read_frame(src)
    df = canonical_columns(df, where)
    if service is not None:
        if "service" in df and df["service"].replace("", np.nan).dropna().ne(service).any():
            bad = df.loc[df["service"].ne(service) & df["service"].ne(""), "row"].tolist()
            raise LineError(f"{where}: rows {bad[:10]} name another service than {service!r} (the file is for it)")
        df["service"] = service
    missing = [c for c in (*REQUIRED, "service") if c not in df]
    if "quantity" not in df and "value" not in df:
        missing.append("quantity")
    if missing:
        raise LineError(
            f"{where}: missing column(s) {missing}; a line needs region, service, quantity and unit "
            f"(headers in English or Chinese: {', '.join(f'{k}/{v[0]}' for k, v in LINE_COLUMNS.items())})"
        )
    for c in LINE_COLUMNS:
        if c not in df:
            df[c] = np.nan if c in ("quantity", "price", "value", "share") else ""
    for c in PARAM_COLUMNS:
        if c not in df:
            df[c] = np.nan
    df["file"] = where
    return _check(df, where)


def read_frame(src) -> tuple[pd.DataFrame, str]:
    """A lines file (UTF-8 CSV, BOM or not, or Excel) or DataFrame as text cells, and its name for messages."""
    if isinstance(src, pd.DataFrame):
        df = src.copy()
        where = str(df.attrs.get("source", "lines (DataFrame)"))
        return df.astype({c: "string" for c in df.columns if df[c].dtype == object}), where
    path = Path(src)
    where = str(path)
    if not path.is_file():
        raise InputFileError(f"{path}: no such lines file")
    try:
        if path.suffix.lower() in (".xlsx", ".xls"):
            df = pd.read_excel(path, dtype=str)
        else:
            df = read_csv(path, "lines file", dtype=str, keep_default_na=False, skipinitialspace=True)
    except InputFileError:
        raise
    except Exception as exc:
        raise InputFileError(f"{path}: cannot read the lines as CSV or Excel: {exc}") from None
    return df, where


def canonical_columns(df: pd.DataFrame, where: str) -> pd.DataFrame:
    """English column names, header units moved into the unit columns, row numbers for messages."""
    aliases = {a: k for k, al in LINE_COLUMNS.items() for a in (k, *al)}
    aliases |= {a: k for k, (al, _) in PARAM_COLUMNS.items() for a in (k, *al)}
    rename, header_units = {}, {}
    for col in df.columns:
        m = HEADER_UNIT.match(str(col))
        name, unit = (m["name"], m["unit"]) if m else (str(col).strip(), None)
        key = aliases.get(name, aliases.get(name.lower()))
        if key is None:
            continue  # extra columns (service-specific tables) are kept as they are
        rename[col] = key
        if unit:
            header_units[key] = unit
    dup = sorted({k for k in rename.values() if list(rename.values()).count(k) > 1})
    if dup:
        raise LineError(f"{where}: column(s) {dup} appear twice (English and Chinese headers?)")
    df = df.rename(columns=rename).reset_index(drop=True)
    for key, unit in header_units.items():
        if key in PARAM_COLUMNS:
            df.attrs.setdefault("param_units", {})[key] = unit
            continue
        ucol = {"quantity": "unit", "price": "price_unit", "value": "value_unit"}.get(key)
        if ucol is None:
            continue
        if ucol not in df:
            df[ucol] = unit
        else:
            df[ucol] = df[ucol].fillna("").astype(str).replace("", unit)
    for c in _TEXT:
        if c in df:
            df[c] = df[c].fillna("").astype(str).str.strip()
    if "row" not in df or pd.to_numeric(df["row"], errors="coerce").isna().any():
        df["row"] = np.arange(len(df)) + 2  # the header is row 1 in a spreadsheet
    else:  # a service's table turned into lines keeps the rows of its file
        df["row"] = pd.to_numeric(df["row"]).astype("int64")
    return df


def without_thousands(cells: pd.Series, rows: Sequence[int] | None, where: str, column: str) -> pd.Series:
    """Cells as text with thousands separators removed; any other comma is refused.

    A comma is read only as a thousands separator in the strict form
    ``^\\d{1,3}(,\\d{3})+(\\.\\d+)?$`` (``1,234``, ``12,345.6``).  ``19,18``, ``1,5`` or
    ``1,2345`` are decimal commas (or typing errors): read as thousands they would be 100×
    or 1000× too large, so they stop the account with the file, row and column.
    """
    raw = cells.astype("string").fillna("").str.strip()
    comma = raw.str.contains(",", regex=False)
    bad = comma & ~raw.str.match(_THOUSANDS.pattern)
    if bad.any():
        at = [int(r) for r in np.asarray(rows)[bad.to_numpy()]] if rows is not None else []
        first = str(raw[bad].iloc[0])
        raise LineError(
            f"{where}, row{'s' if len(at) > 1 else ''} {', '.join(map(str, at[:10]))}, column {column!r}: "
            f"{first!r} has a comma that is not a thousands separator (1,234 or 12,345.6); a decimal comma "
            f"is not read: write the decimal with a point, e.g. {first.replace(',', '.', 1)!r}"
        )
    return raw.str.replace(",", "", regex=False)


def _numbers(df: pd.DataFrame, col: str, where: str, *, required: bool) -> pd.Series:
    """Column ``col`` as float (thousands separators removed); non-numbers, and with ``required`` blanks, refused."""
    raw = without_thousands(df[col], df["row"].tolist(), where, col)
    num = pd.to_numeric(raw.replace("", np.nan), errors="coerce")
    bad = df.loc[raw.ne("") & num.isna(), "row"].tolist()
    if bad:
        raise LineError(f"{where}: column {col!r} must be a number; rows {bad[:10]} are not")
    if required and num.isna().any():
        rows = df.loc[num.isna(), "row"].tolist()
        raise LineError(f"{where}: column {col!r} is empty in rows {rows[:10]}; every line needs a {col}")
    return num.astype("float64")


def _check(df: pd.DataFrame, where: str) -> pd.DataFrame:
    """The lines with their numbers, units and origins checked (file and rows in every message)."""
    _check_numbers(df, where)
    _convert_param_columns(df, where)
    _check_text_and_units(df, where)
    _check_origins(df, where)
    return df


def _check_numbers(df: pd.DataFrame, where: str) -> None:
    """Quantity, price, share and value as numbers; a line needs a quantity or a value, a price a quantity."""
    df["quantity"] = _numbers(df, "quantity", where, required=False)
    df["price"] = _numbers(df, "price", where, required=False)
    df["share"] = _numbers(df, "share", where, required=False)
    bad_share = (df["share"] < 0) | (df["share"] > 1)
    if bad_share.any():
        raise LineError(f"{where}: column 'share' must lie in [0, 1]; rows {df.loc[bad_share, 'row'].tolist()[:10]}")
    df["value"] = _numbers(df, "value", where, required=False)
    neither = df["quantity"].isna() & df["value"].isna()
    if neither.any():
        raise LineError(
            f"{where}: column 'quantity' is empty in rows {df.loc[neither, 'row'].tolist()[:10]}; every line needs "
            "a quantity (or, for a line that reports only its value, a value and value_unit)"
        )
    priced = df["quantity"].isna() & df["price"].notna()
    if priced.any():
        raise LineError(
            f"{where}: rows {df.loc[priced, 'row'].tolist()[:10]}, column 'price': a price needs a quantity to "
            "price; a line without a quantity carries only its reported value (value, value_unit)"
        )


def _convert_param_columns(df: pd.DataFrame, where: str) -> None:
    """The value parameters of :data:`PARAM_COLUMNS` as numbers in their units (a header unit converted)."""
    units = df.attrs.get("param_units", {})
    for col, (_, unit) in PARAM_COLUMNS.items():
        num = _numbers(df, col, where, required=False)
        given = units.get(col)
        if given:
            u = parse_unit(given, where=f"{where}, column {col!r}")
            try:
                num = pd.Series(Q_(num.to_numpy(), u).to(unit).magnitude, index=df.index)
            except pint.DimensionalityError:
                raise LineError(f"{where}: column {col!r} is in {given}, which is not a {unit}") from None
        df[col] = num


def _check_text_and_units(df: pd.DataFrame, where: str) -> None:
    """Region, service and unit given; every unit readable (normalised in place); prices and values with units."""
    for col, rows in (
        ("region", df["region"].eq("")),
        ("service", df["service"].eq("")),
        ("unit", df["unit"].eq("") & ~df["quantity"].isna()),
    ):
        if rows.any():
            raise LineError(f"{where}: column {col!r} is empty in rows {df.loc[rows, 'row'].tolist()[:10]}")
    for col in ("unit", "price_unit", "value_unit"):
        for r, u in zip(df["row"], df[col], strict=True):
            if u:
                parse_unit(u, where=f"{where}, row {r}, column {col!r}")
        df[col] = df[col].map(normalise_unit)
    no_unit = df["price"].notna() & df["price_unit"].eq("")
    if no_unit.any():
        raise LineError(
            f"{where}: rows {df.loc[no_unit, 'row'].tolist()[:10]} give a price without price_unit "
            "(e.g. 'CNY/t'); a price needs its unit"
        )
    no_vunit = df["value"].notna() & df["value_unit"].eq("")
    if no_vunit.any():
        raise LineError(f"{where}: rows {df.loc[no_vunit, 'row'].tolist()[:10]} give a value without value_unit")


def _check_origins(df: pd.DataFrame, where: str) -> None:
    """``origin`` one of :data:`ORIGINS` (empty: local); no negative quantity (outside products are an origin)."""
    df["origin"] = df["origin"].replace("", "local").str.lower()
    bad = ~df["origin"].isin(ORIGINS)
    if bad.any():
        raise LineError(
            f"{where}: column 'origin' must be one of {ORIGINS} (products from outside the region are "
            f"'outside'); rows {df.loc[bad, 'row'].tolist()[:10]} are not"
        )
    neg = df["quantity"] < 0
    if neg.any():
        raise LineError(
            f"{where}: rows {df.loc[neg, 'row'].tolist()[:10]} have negative quantities; enter products from "
            "outside the region as positive lines with origin = 'outside' (the profile decides whether to subtract)"
        )


def refuse_duplicates(lines: pd.DataFrame) -> None:
    """Two lines with the same region, service, item, ecosystem and origin are one line entered twice."""
    if not len(lines):
        return
    key = list(LINE_KEY)
    dup = lines[lines.duplicated(key, keep=False)]
    if not len(dup):
        return
    first = dup.groupby(key, sort=False)
    (k, group) = next(iter(first))
    files = list(dict.fromkeys(group["file"]))
    at = (
        f"{files[0]}, rows {' and '.join(str(r) for r in group['row'])}"
        if len(files) == 1
        else "; ".join(f"{f}, row {r}" for f, r in zip(group["file"], group["row"], strict=True))
    )
    what = ", ".join(f"{c} {v!r}" for c, v in zip(key, k, strict=True))
    raise LineError(
        f"{at}: the same line twice ({what}): lines must differ in column region, service, item, ecosystem or "
        "origin; add the quantities into one line, or name the item or ecosystem type each one is for"
    )


def as_frame(lines: Any) -> list[pd.DataFrame]:
    """Normalise what ``account(lines=...)`` accepts: a path, a DataFrame, or a list of either."""
    if lines is None:
        return []
    if isinstance(lines, str | Path | pd.DataFrame):
        lines = [lines]
    return [read_lines(x) for x in lines]


def column_values(
    df: pd.DataFrame,
    name: str,
    unit: str,
    where: str,
    *,
    default: str | None = None,
    aliases: Sequence[str] = (),
    default_from: str = "",
) -> np.ndarray:
    """Magnitudes in ``unit`` of a service table's column ``name`` (header ``name [its unit]``).

    A header without a unit is read in ``unit``; a missing column takes ``default``
    (a quantity string) or is an error naming the file and the column expected.  A default
    that has no value (an empty table cell, NaN) is no default: the column is then needed.
    A comma is read only as a thousands separator (:func:`without_thousands`).
    """
    empty_default = ""
    if default is not None and np.isnan(Q_(default).magnitude):
        default, empty_default = None, f"; its default ({default_from or 'a table'}) has no value"
    for col in df.columns:
        m = HEADER_UNIT.match(str(col))
        base, given = (m["name"], normalise_unit(m["unit"])) if m else (str(col).strip(), None)
        if base == name or base in aliases:
            raw = without_thousands(df[col], df["row"].tolist() if "row" in df else None, where, str(col))
            num = pd.to_numeric(raw.replace("", np.nan), errors="coerce")
            bad = df.loc[num.isna(), "row"].tolist() if "row" in df else []
            if num.isna().any():
                if default is None:
                    raise LineError(
                        f"{where}: column {col!r} must be a number in every row; rows {bad[:10]} are not{empty_default}"
                    )
                num = num.fillna(Q_(default).to(given or unit).magnitude)
            try:
                return (Q_(num.to_numpy(dtype="float64"), given or unit)).to(unit).magnitude
            except pint.DimensionalityError:
                raise LineError(f"{where}: column {col!r} is in {given}, which is not a {unit}") from None
    if default is None:
        raise LineError(f"{where}: column {name!r} [{unit}] is missing{empty_default}")
    return np.full(len(df), Q_(default).to(unit).magnitude)
