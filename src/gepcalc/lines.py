"""Lines: physical quantities supplied directly, valued with prices, each with its provenance.

A *line* is one reported quantity: region, service (indicator), item (product,
pollutant or site), optionally the ecosystem type, the quantity with its unit and
where it comes from, and optionally a price (with unit and source) or a reported
value.  Lines are how statistics enter an account (yearbook production, water
use, hydropower, visitors) and how a published account is entered, audited and
reproduced line by line.

Flow: :func:`read_lines` (file or DataFrame → validated lines, Chinese or English
headers) → :func:`value_lines` (each line's quantity in the indicator's unit, its
price and value, and the origin of both) → :func:`line_arrays` (quantity and value
per service by item × region × ecosystem type, allocated to ecosystem types by
area where the line names none).  :func:`gepcalc.account` calls all three.

Value of a line (MEE 2020 / NDRC 2022: value = physical quantity × unit price):

.. math:: V = Q \\cdot P

with P from the line, else the service's default (the ``products`` table for
provisioning products, the service's own price parameters for regulating
services).  A line given in money (output value, 产值) is its own value, and so is a line
that gives only the value the source reports (``value``, no ``quantity``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pint
import xarray as xr

from gepcalc.errors import InputFileError, LineError
from gepcalc.io import read_csv
from gepcalc.tables import _HEADER_UNIT, CoefficientTable
from gepcalc.units import Q_, VALUE_UNIT, normalise_unit, parse_unit, ureg

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
_YEAR = ureg.Unit("yr")


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
        m = _HEADER_UNIT.match(str(col))
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
    value_only = df["quantity"].isna()
    priced = value_only & df["price"].notna()
    if priced.any():
        raise LineError(
            f"{where}: rows {df.loc[priced, 'row'].tolist()[:10]}, column 'price': a price needs a quantity to "
            "price; a line without a quantity carries only its reported value (value, value_unit)"
        )
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
    for col, rows in (
        ("region", df["region"].eq("")),
        ("service", df["service"].eq("")),
        ("unit", df["unit"].eq("") & ~value_only),
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
    return df


# -- valuing -----------------------------------------------------------------------------


@dataclass
class LinesLand:
    """What value rules need of a landscape when lines are valued: region and ecosystem names."""

    region_names: list[str]
    ecosystem_ids: list[str]
    source: str
    mapping: None = None


@dataclass
class ValuedLines:
    """Lines with their quantity in the indicator's unit, price and value (see :func:`value_lines`)."""

    lines: pd.DataFrame  # one row per line: the provenance table of the account
    units: dict[tuple[str, str], str]  # (service, item) → quantity unit


def _per_year(q: pint.Quantity, unit: str) -> pint.Quantity:
    """``q`` in ``unit``; an annual amount given without ``/yr`` (``t`` for ``t/yr``) is read as per year."""
    try:
        return q.to(unit)
    except pint.DimensionalityError:
        return (q / Q_(1, _YEAR)).to(unit)


def item_unit(spec, item: str) -> str:
    """The unit a (non-statistical) service accounts ``item`` in: the item's own, else the service's.

    Items may carry their own unit (``Item.unit``: soil retention's ``siltation`` in m³/yr
    beside soil in t/yr; climate regulation's ``transpiration`` in kWh/yr); an item without
    one, or the single quantity ``""``, is in ``spec.quantity_unit``.
    """
    for i in spec.items:
        own = getattr(i, "unit", None) or getattr(i, "quantity_unit", None)
        if i.id == item and own:
            return str(own)
    return spec.quantity_unit


def quantity_unit(cls, item: str, line_unit: str, products: CoefficientTable | None) -> str:
    """The unit an item is accounted in: the item's or service's, the product catalogue's, or the line's own."""
    if not cls.spec.statistical:
        return item_unit(cls.spec, item)
    key = f"{cls.spec.id}.{item}"
    if products is not None and key in products.keys:
        return f"({products.data.at[key, 'unit']}) / yr"
    per_time = ureg.Unit(line_unit).dimensionality.get("[time]", 0) < 0
    return line_unit if per_time else f"({line_unit}) / yr"


#: words for the dimensions a line's quantity may have (an example unit of each)
_DIMENSIONS = (
    ("t", "a mass (t)"),
    ("m**3", "a volume (m³)"),
    ("ha", "an area (ha, hm², 公顷, 亩, km²)"),
    ("kWh", "an energy (kWh)"),
    ("CNY", "money (CNY, 万元)"),
    ("dimensionless", "a count (visits, ions)"),
)


def expected_dimension(unit: str) -> str:
    """Words for the dimension of ``unit``, per year or not (``t/yr`` → ``a mass (t)``)."""
    u = ureg.Unit(unit)
    for ref, words in _DIMENSIONS:
        dim = ureg.Unit(ref).dimensionality
        if u.dimensionality in (dim, (ureg.Unit(ref) / _YEAR).dimensionality):
            return words
    return f"a quantity of dimension {u.dimensionality}"


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


def value_lines(
    lines: pd.DataFrame,
    classes: Mapping[str, type],
    tables: Mapping[str, CoefficientTable],
    *,
    outside: str = "ignore",
    provisioning: str = "gross",
) -> ValuedLines:
    """Quantity in the indicator's unit, price and value of every line, with where each came from.

    Lines of statistics services take their price from the line, else from the
    ``products`` table; lines of other services with no price are valued later by
    the service's own value rule (``price`` left NaN here, ``priced_by = "service"``).

    Parameters
    ----------
    lines
        From :func:`read_lines`.
    classes
        Service classes by id (those of the account).
    tables
        The account's coefficient tables (``products`` among them).
    outside
        What to do with lines marked ``origin = outside``: ``"subtract"`` (GB/T 46869-2025:
        GEP minus eco-products from outside the region) or ``"ignore"`` (left out).
    provisioning
        ``"gross"``: products at their full value; ``"net"``: times the ecosystem's share
        (the line's ``share``, else the ``products`` table's ``ecosystem_share``).
    """
    products = tables.get("products")
    refuse_duplicates(lines)
    rows = []
    units: dict[tuple[str, str], str] = {}
    for line in lines.to_dict("records"):
        where = f"{line['file']}, row {line['row']}"
        cls = classes.get(line["service"])
        if cls is None:
            raise LineError(
                f"{where}: service {line['service']!r} is not in this account; its services: {', '.join(classes)}"
            )
        spec = cls.spec
        item = line["item"]
        known = [i.id for i in spec.items]
        # a service whose items add up (climate regulation, flood regulation) also takes its total (item "")
        if not spec.statistical and known and item not in known and not (item == "" and spec.additive_items):
            raise LineError(f"{where}: service {spec.id!r} has items {known}; got item {item!r}")
        if not spec.statistical and not known and item:
            raise LineError(f"{where}: service {spec.id!r} has no items; leave 'item' empty (got {item!r})")
        if spec.statistical and not item:
            raise LineError(f"{where}: a {spec.id!r} line needs an item (product), e.g. {known[:3] or ['grain']}")
        params = _line_params(line, spec, where)
        if pd.isna(line["quantity"]):
            rows.append(_value_only(line, cls, units, products, where, outside, provisioning))
            continue
        unit = units.setdefault((spec.id, item), quantity_unit(cls, item, line["unit"], products))
        q_given = Q_(line["quantity"], line["unit"])
        out = dict(line)
        try:
            q = _per_year(q_given, unit)
        except pint.DimensionalityError:
            raise LineError(
                f"{where}: quantity {q_given:~P} of {spec.id!r}/{item or '-'} cannot be expressed in {unit} "
                f"(column 'unit' is {line['unit']!r}; {spec.id}/{item or '-'} is {expected_dimension(unit)})"
            ) from None
        out.update(quantity_in_unit=float(q.magnitude), account_unit=unit, priced_by="line", price_used="")
        money = q.check("[currency] / [time]")
        price = Q_(line["price"], line["price_unit"]) if pd.notna(line["price"]) else None
        by_rule = price is not None and not money and not _prices_directly(q, price)
        if params and not (by_rule or (price is None and not spec.statistical)):
            raise LineError(
                f"{where}: column(s) {sorted(params)} are used only when the line is valued by the "
                f"{spec.id!r} value rule (no price, or a price per {_rule_price_unit(spec)}); this line's value "
                "does not use them"
            )
        if money:
            if pd.notna(line["price"]):
                raise LineError(f"{where}: the quantity is already money ({q_given:~P}); give no price")
            value = q.to(VALUE_UNIT)
            out.update(price_used="1", price_source=line["price_source"] or "output value (产值) counted as value")
        elif by_rule:
            name = _rule_price(spec, price, q, where)
            value = None
            given = {name: (line["price"], line["price_unit"]), **{k: (v, _param_unit(k)) for k, v in params.items()}}
            out.update(priced_by="service", line_params=given)
        elif price is not None:
            value = _value(q, price, where)
            out.update(price_used=f"{line['price']} {line['price_unit']}", price_source=line["price_source"] or "")
        elif spec.statistical:
            value, used, src = _catalogue_value(q, spec.id, item, products, where)
            out.update(price_used=used, price_source=src, priced_by="products table")
        else:
            value = None
            out.update(priced_by="service", line_params={k: (v, _param_unit(k)) for k, v in params.items()})
        if provisioning == "net" and spec.category == "provisioning" and value is not None:
            share = _ecosystem_share(line, spec.id, item, products, where)
            value = value * share
            out["share_applied"] = share
        out["value_CNY"] = float(value.magnitude) if value is not None else np.nan
        if line["origin"] == "outside":
            out["counted"] = "subtracted" if outside == "subtract" else "not counted"
        else:
            out["counted"] = "counted"
        rows.append(out)
    df = pd.DataFrame(rows)
    if len(df):
        compare_reported(df)
    return ValuedLines(df, units)


def _annual_money(x: pint.Quantity) -> pint.Quantity:
    """Money per year; money without "per year" is the year's (an area × a cost per ha of the year)."""
    return x.to(VALUE_UNIT) if x.check("[currency] / [time]") else (x / Q_(1, _YEAR)).to(VALUE_UNIT)


def _prices_directly(q: pint.Quantity, price: pint.Quantity) -> bool:
    """Whether quantity × price is money (per year, or the year's money)."""
    x = q * price
    return bool(x.check("[currency] / [time]") or x.check("[currency]"))


def _value(q: pint.Quantity, price: pint.Quantity, where: str) -> pint.Quantity:
    """V = Q·P [CNY/yr]; a price per unit without "per year" (CNY/ha, 元/亩) prices the year's quantity."""
    try:
        return _annual_money(q * price)
    except pint.DimensionalityError:
        raise LineError(f"{where}: {q:~P} × price {price:~P} is not money per year (CNY/yr)") from None


def _param_unit(name: str) -> str:
    return PARAM_COLUMNS[name][1]


def _line_params(line: Mapping, spec, where: str) -> dict[str, float]:
    """Value parameters the line gives for its service (:data:`PARAM_COLUMNS`), in their units."""
    given = {k: float(line[k]) for k in PARAM_COLUMNS if k in line and pd.notna(line[k])}
    names = {p.name for p in spec.value_params}
    foreign = sorted(set(given) - names)
    if foreign:
        raise LineError(
            f"{where}: column(s) {foreign} are not value parameters of {spec.id!r} "
            f"(its value parameters: {sorted(names) or 'none'}); leave them empty in this line"
        )
    for k, v in given.items():
        if v <= 0:
            raise LineError(f"{where}, column {k!r}: {v} must be positive [{_param_unit(k)}]")
    return given


def _price_params(spec) -> list:
    """Value parameters of a service that are money per something (its prices)."""
    return [p for p in spec.value_params if ureg.Unit(p.unit).dimensionality.get("[currency]", 0) == 1]


def _rule_price_unit(spec) -> str:
    return ", ".join(p.unit for p in _price_params(spec)) or "-"


def _rule_price(spec, price: pint.Quantity, q: pint.Quantity, where: str) -> str:
    """The price parameter of the service's value rule that a line's price stands for (same dimension)."""
    fits = [
        p.name
        for p in _price_params(spec)
        if price.check(ureg.Unit(p.unit).dimensionality)
        or (price / Q_(1, _YEAR)).check(ureg.Unit(p.unit).dimensionality)
    ]
    if spec.statistical or len(fits) != 1:
        raise LineError(
            f"{where}: {q:~P} × price {price:~P} is not money per year (CNY/yr)"
            + (f", nor a price of {spec.id!r}'s value rule ({_rule_price_unit(spec)})" if not spec.statistical else "")
            + "; check column 'price_unit'"
        )
    return fits[0]


def _value_only(line: Mapping, cls, units: dict, products, where: str, outside: str, provisioning: str) -> dict:
    """A line that reports only its value: the value is the line's, the quantity is not given (NaN)."""
    spec, item = cls.spec, line["item"]
    if spec.statistical and not line["unit"] and not (products is not None and f"{spec.id}.{item}" in products.keys):
        raise LineError(
            f"{where}, column 'unit': {spec.id!r} item {item!r} is not in the products table; a line giving only "
            "its value still needs the unit its quantity would have (column unit)"
        )
    unit = units.setdefault((spec.id, item), quantity_unit(cls, item, line["unit"] or "CNY", products))
    if line["unit"]:
        try:
            _per_year(Q_(1.0, line["unit"]), unit)
        except pint.DimensionalityError:
            raise LineError(
                f"{where}: column 'unit' is {line['unit']!r}, but {spec.id}/{item or '-'} is {expected_dimension(unit)}"
            ) from None
    try:
        value = _annual_money(Q_(line["value"], line["value_unit"]))
    except pint.DimensionalityError:
        raise LineError(
            f"{where}, column 'value_unit': {line['value_unit']!r} is not money (CNY, 万元, 亿元)"
        ) from None
    out = dict(line)
    out.update(
        quantity_in_unit=np.nan,
        account_unit=unit,
        priced_by="reported value",
        price_used="",
        price_source=line["price_source"] or "the value as reported in the line (no quantity given)",
    )
    if provisioning == "net" and spec.category == "provisioning":
        share = _ecosystem_share(line, spec.id, item, products, where)
        value = value * share
        out["share_applied"] = share
    out["value_CNY"] = float(value.magnitude)
    if line["origin"] == "outside":
        out["counted"] = "subtracted" if outside == "subtract" else "not counted"
    else:
        out["counted"] = "counted"
    return out


def _ecosystem_share(line: Mapping, sid: str, item: str, products: CoefficientTable | None, where: str) -> float:
    """The ecosystem's share of a product's value: the line's ``share``, else the products table's."""
    if pd.notna(line.get("share")):
        return float(line["share"])
    key = f"{sid}.{item}"
    if products is not None and key in products.keys and pd.notna(products.data.at[key, "ecosystem_share"]):
        return float(products.data.at[key, "ecosystem_share"])
    raise LineError(
        f"{where}: the profile values provisioning net of intermediate inputs and {sid!r}/{item!r} has no "
        "ecosystem share; give a 'share' column (0-1) in the line or an ecosystem_share in the products table"
    )


def _catalogue_value(q, sid: str, item: str, products: CoefficientTable | None, where: str):
    key = f"{sid}.{item}"
    if products is None or key not in products.keys:
        raise LineError(
            f"{where}: {sid!r} item {item!r} is not in the products table; give its price "
            "(columns price, price_unit, price_source) in the line"
        )
    if pd.isna(products.data.at[key, "price"]):
        raise LineError(
            f"{where}: the products table ({products.origin}) has no price for {key!r}; give the local price "
            f"in the line (price, price_unit e.g. '{products.data.at[key, 'price_unit']}', price_source) "
            "or in your own products table"
        )
    price = products.quantity(key, "price")
    src = "; ".join(s.cite() for s in products.source_of(key))
    return _value(q, price, where), f"{price:~P}", f"products table, row {key}: {src}"


def compare_reported(df: pd.DataFrame) -> None:
    """Compare computed values with reported ones (``value`` column) and note the difference."""
    diffs = []
    for r in df.itertuples():
        if pd.isna(r.value) or pd.isna(r.value_CNY) or r.priced_by == "reported value":
            diffs.append(np.nan)
            continue
        reported = Q_(r.value, r.value_unit)
        reported = reported if reported.check("[currency] / [time]") else reported / Q_(1, _YEAR)
        rep = reported.to(VALUE_UNIT).magnitude
        diffs.append((r.value_CNY - rep) / rep if rep else np.nan)
    df["reported_value_CNY_difference"] = diffs


def refuse_value_only_in_rules(lines: pd.DataFrame, rules: Sequence[Mapping], services: Sequence[str]) -> None:
    """A ``subtract`` rule works on quantities: a line of either service reporting only its value stops it.

    Q'_A = max(Q_A − Q_B, 0) and V'_A = V_A·Q'_A/Q_A need Q_A and Q_B; a line without a
    quantity (a value as reported) cannot enter them, so the account asks for the quantity.
    """
    if not len(lines) or "priced_by" not in lines:
        return
    value_only = lines[(lines["priced_by"] == "reported value") & (lines["counted"] != "not counted")]
    for rule in rules:
        a, b = rule["service"], rule["minus"]
        if rule.get("rule", "subtract") != "subtract" or a not in services or b not in services:
            continue
        hit = value_only[value_only["service"].isin([a, b])]
        if len(hit):
            r = hit.iloc[0]
            raise LineError(
                f"{r['file']}, row {r['row']}, column 'quantity': the line of {r['service']!r} gives only a value, "
                f"and the profile subtracts {b!r} from {a!r} by quantity (rule {rule.get('id', a)!r}); "
                "give the line's quantity"
            )


# -- onto the account's dimensions -------------------------------------------------------------


def allocation_weights(
    sid: str, tables: Mapping[str, CoefficientTable], ecosystem_ids: Sequence[str]
) -> np.ndarray | None:
    """Weights of the producing ecosystem types of a statistics service (None: not allocated)."""
    table = tables.get("allocation")
    if table is None or sid not in table.columns:
        return None
    vals = table.values_in(sid, "dimensionless")
    return np.array([vals.get(e, 0.0) for e in ecosystem_ids], dtype="float64")


def line_arrays(
    df: pd.DataFrame,
    sid: str,
    *,
    regions: Sequence[str],
    ecosystems: Sequence[str],
    area: xr.DataArray | None,
    weights: np.ndarray | None,
) -> tuple[xr.DataArray, xr.DataArray, list[str]]:
    """Quantity and value of one service's lines over item × region × ecosystem.

    A line naming an ecosystem type goes to it; one naming none is shared among the
    region's types in proportion to ``weights × area`` (area [m²] by region ×
    ecosystem), else put under :data:`UNALLOCATED`.  Lines not counted (from outside,
    profile ignoring them) are left out; subtracted ones count negative.

    Returns quantity [each item's unit], value [CNY/yr] (NaN for lines the service still
    has to value) and notes.
    """
    df = df[(df["service"] == sid) & (df["counted"] != "not counted")]
    items = list(dict.fromkeys(df["item"]))
    ecos = list(ecosystems)
    shape = (len(items), len(regions), len(ecos))
    qty, val = np.zeros(shape), np.zeros(shape)
    notes = []
    for r in df.itertuples():
        sign = -1.0 if r.counted == "subtracted" else 1.0
        if r.region not in regions:
            raise LineError(
                f"{r.file}, row {r.row}: region {r.region!r} is not a region of this account "
                f"({', '.join(list(regions)[:10])})"
            )
        ri, ii = list(regions).index(r.region), items.index(r.item)
        share = np.zeros(len(ecos))
        if r.ecosystem:
            if r.ecosystem not in ecos:
                raise LineError(
                    f"{r.file}, row {r.row}: ecosystem type {r.ecosystem!r} is not one of {', '.join(ecos)}"
                )
            share[ecos.index(r.ecosystem)] = 1.0
        else:
            w = (
                weights * area.reindex(ecosystem=ecos, fill_value=0.0).sel(region=r.region).values
                if (weights is not None and area is not None)
                else None
            )
            if w is not None and w.sum() > 0:
                share = w / w.sum()
            else:
                share[ecos.index(UNALLOCATED)] = 1.0
                if weights is not None and area is not None:
                    notes.append(
                        f"{sid}: region {r.region!r} has none of the ecosystem types that produce it; "
                        f"its line (row {r.row}) is reported as '{UNALLOCATED}'"
                    )
        # a line reporting only its value leaves its cells' quantity NaN (not given), not other cells'
        qty[ii, ri] += np.where(share > 0, sign * r.quantity_in_unit * share, 0.0)
        val[ii, ri] += np.where(share > 0, sign * r.value_CNY * share, 0.0)
    coords = {"item": items, "region": list(regions), "ecosystem": ecos}
    dims = ("item", "region", "ecosystem")
    return xr.DataArray(qty, coords, dims), xr.DataArray(val, coords, dims), notes


def provenance(valued: ValuedLines) -> pd.DataFrame:
    """The line-by-line table of an account: what was reported, how it was priced, where both came from."""
    cols = {
        "region": "region",
        "service": "service",
        "item": "item",
        "ecosystem": "ecosystem",
        "quantity": "quantity",
        "unit": "unit",
        "source": "quantity_source",
        "quantity_in_unit": "quantity_accounted",
        "account_unit": "accounted_unit",
        "price_used": "price",
        "price_source": "price_source",
        "priced_by": "priced_by",
        "value_CNY": "value_CNY",
        "value": "reported_value",
        "value_unit": "reported_value_unit",
        "reported_value_CNY_difference": "difference_from_reported",
        "origin": "origin",
        "share_applied": "ecosystem_share",
        "counted": "counted",
        "file": "file",
        "row": "row",
        "note": "note",
    }
    df = valued.lines
    return df[[c for c in cols if c in df]].rename(columns=cols)


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
        m = _HEADER_UNIT.match(str(col))
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


def rule_values(cls, rest: pd.DataFrame, quantity: xr.DataArray, vargs: Mapping[str, Any]) -> list[float]:
    """Value [CNY/yr] of each line valued by its service's own value rule (NaN: a parameter has no value).

    The value rules are linear in the quantity, so a line's value is its quantity
    times the rule's value of one unit in the line's cell (item, region, ecosystem)::

        V_line = Q_line · value(1, params)

    with ``params`` the service's value parameters as the account resolved them
    (``vargs``: inputs or tables), replaced by those the line carries itself (its price
    standing for the rule's price parameter, :data:`PARAM_COLUMNS`).  E.g. sand
    fixation priced per m²: V = Q / (ρ·h) · P.

    Parameters
    ----------
    cls
        The service.
    rest
        Its lines valued by the rule (``priced_by == "service"``), with ``line_params``.
    quantity
        Their quantities laid out by :func:`line_arrays` (item × region × ecosystem).
    vargs
        The value parameters as resolved for the account (magnitudes in the declared units).
    """
    spec = cls.spec
    ones = xr.ones_like(quantity) if spec.items else xr.ones_like(quantity.sel(item="", drop=True))
    factor_ = cls.value_factor()

    def per_unit(args: Mapping[str, Any]) -> xr.DataArray:
        v = (cls.value(ones, **args) * factor_).broadcast_like(ones)
        return v if "item" in v.dims else v.expand_dims(item=[""])

    default = None
    out = []
    for r in rest.to_dict("records"):
        given = r.get("line_params") if isinstance(r.get("line_params"), Mapping) else {}
        if given:
            args = dict(vargs)
            for name, (magnitude, unit) in given.items():
                args[name] = float(_per_year(Q_(magnitude, unit), spec.param(name).unit).magnitude)
            pu = per_unit(args)
        else:
            default = per_unit(vargs) if default is None else default
            pu = default
        cell = pu.sel(item=r["item"], region=r["region"], ecosystem=r["ecosystem"] or UNALLOCATED)
        out.append(float(r["quantity_in_unit"]) * float(cell))
    return out
