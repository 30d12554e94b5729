r"""Bringing a price table to one year's prices, and choosing its regional rows.

:func:`reprice` multiplies the money columns of a coefficient table by the price-index factor
:math:`F_{s\to t}` from each row's price year (:func:`gepcalc.price_index.price_factor`);
:func:`regional` puts a row's regional variant (``X@zhejiang``) in its place.  Both work on
tables, before an account values anything; deflating a finished account is
:func:`gepcalc.deflators.constant_prices`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

import pandas as pd

from gepcalc.errors import ConfigError, MissingInputError
from gepcalc.price_index import TableLike, deflator_table, price_factor
from gepcalc.tables import CoefficientTable
from gepcalc.units import ureg

#: region of a price row without a ``region`` cell, and the last region of every look-up
NATIONAL = "national"
#: separator of a regional variant's row id: ``electricity_price@zhejiang`` is the Zhejiang row of ``electricity_price``
REGION_SEP = "@"


@dataclasses.dataclass(frozen=True)
class Repriced:
    """One table row brought to another year's prices: :math:`p_t = p_s \\cdot F_{s\\to t}`."""

    table: str
    row: str
    from_year: int
    to_year: int
    factor: float
    index: str
    region: str

    def note(self) -> str:
        """One line for ``Account.notes``: the row, the years and the factor."""
        return (
            f"{self.table}[{self.row}]: {self.from_year} prices × {self.factor:.4f} ({self.index}, {self.region}) "
            f"→ {self.to_year} prices"
        )


def _is_money(unit: str | None) -> bool:
    """Whether ``unit`` is money or money per something (has the dimension currency)."""
    return bool(unit) and isinstance(unit, str) and "[currency]" in ureg.Unit(unit).dimensionality


def money_columns(table: CoefficientTable) -> list[str]:
    """Numeric columns of ``table`` holding money (their unit, or a row's unit, has a currency)."""
    data = table.data
    return [
        c.name
        for c in table.columns.values()
        if c.type in ("float", "int")
        and c.name != "price_year"
        and c.name in data.columns
        and (_is_money(c.unit) or (c.unit_column and any(_is_money(u) for u in data[c.unit_column].dropna() if u)))
    ]


def row_region(table: CoefficientTable, key) -> str:
    """The ``region`` cell of a row (``national`` when the table has no such column or the cell is empty)."""
    if "region" not in table.data.columns:
        return NATIONAL
    r = table.data.at[key, "region"]
    return str(r).strip() if isinstance(r, str) and r.strip() else NATIONAL


def _series_regions(index: str, deflators: TableLike) -> set[str]:
    """The regions the deflator table has series ``index`` for."""
    data = deflator_table(deflators).data
    if "series" not in data.columns or "region" not in data.columns:
        return set()
    return set(data.loc[data["series"] == index, "region"].astype(str))


def reprice(
    table: CoefficientTable,
    to_year: int,
    index: str = "cpi",
    region: str | None = None,
    *,
    deflators: TableLike = None,
    keys: Iterable | None = None,
    skip: Iterable = (),
) -> tuple[CoefficientTable, dict[str, Repriced]]:
    r"""A coefficient table with its money columns brought to ``to_year`` prices.

    .. math::  p_t = p_s \cdot F_{s\to t} = p_s \cdot L_t / L_s

    Every column whose unit is money (``CNY / m**3``, ``CNY / ha / yr`` …) is multiplied by
    :math:`F_{s\to t}` (:func:`price_factor`), where :math:`s` is the row's ``price_year``
    (or the table's) and :math:`t` = ``to_year``.

    Parameters
    ----------
    table
        A coefficient table; rows without any money value (empty cells) are left as they are.
    to_year
        Price year :math:`t` to bring the rows to.
    index
        Series of the deflator table (``"cpi"``, ``"ppi"``, ``"agri_ppi"``).
    region
        Region of the series for every row; None (the default): each row's own ``region``
        cell when the deflator table has ``index`` for that region, else ``national``
        (a national price moves with the national index, a Zhejiang price with Zhejiang's).
    deflators
        The deflator table (name, path or table); the built-in ``deflators`` when None.
    keys
        Rows to reprice (all rows when None).
    skip
        Rows left at their own prices (e.g. a user's override that names no price year).

    Returns
    -------
    table, repriced
        The repriced copy (``price_year`` column set to ``to_year`` on the rows changed) and,
        per row changed, a :class:`Repriced` record (from-year, to-year, factor, index, region).

    Raises
    ------
    MissingInputError
        A row with a price and no price year, or a price year (or ``to_year``) the deflator
        table does not cover or that needs an empty index: the message names the table, the
        row, the year and the years the deflator table covers.
    """
    data = table.data.copy()
    money = money_columns(table)
    if not money:
        return table, {}
    to_year = int(to_year)
    years = (
        pd.to_numeric(data["price_year"], errors="coerce")
        if "price_year" in data.columns
        else pd.Series(table.price_year, index=data.index, dtype="float64")
    )
    regions = _series_regions(index, deflators) if region is None else set()
    skip = set(skip)
    wanted = list(data.index) if keys is None else [k for k in keys if k in data.index]
    out: dict[str, Repriced] = {}
    for key in wanted:
        if key in skip:
            continue
        cols = [
            c
            for c in money
            if not table.columns[c].unit_column or _is_money(data.at[key, table.columns[c].unit_column])
        ]
        if not cols or data.loc[key, cols].isna().all():
            continue
        y = years.get(key)
        if y is None or pd.isna(y):
            raise MissingInputError(
                f"table {table.name!r} ({table.origin}), row {key!r}: a price without a price year (column "
                f"'price_year' empty and no table price_year); cannot bring it to {to_year} prices. Fill the cell."
            )
        if int(y) == to_year:
            continue
        own = row_region(table, key)
        reg = region if region is not None else (own if own in regions else NATIONAL)
        try:
            f = price_factor(int(y), to_year, index, reg, deflators)
        except MissingInputError as exc:
            raise MissingInputError(
                f"table {table.name!r} ({table.origin}), row {key!r}, price_year {int(y)}: cannot bring it to "
                f"{to_year} prices: {exc.args[0] if exc.args else exc}"
            ) from None
        for c in cols:
            data.at[key, c] = data.at[key, c] * f
        if "price_year" in data.columns:
            data.at[key, "price_year"] = to_year
        out[str(key)] = Repriced(table.name, str(key), int(y), to_year, f, index, reg)
    if "price_year" not in data.columns and out:
        return dataclasses.replace(table, data=data, price_year=to_year), out
    return dataclasses.replace(table, data=data), out


def regional(
    table: CoefficientTable, regions: str | Sequence[str] = NATIONAL, *, keep: Iterable = ()
) -> tuple[CoefficientTable, dict[str, str]]:
    """The rows of a price table as seen from ``regions``: row ``X`` holds its best regional variant.

    A regional variant of row ``X`` is the row ``X@R`` whose ``region`` cell is ``R``
    (``electricity_price@zhejiang``).  For each ``X`` the first of ``X@R1``, ``X@R2``, …
    (``regions`` in order; ``national`` is always last and is row ``X`` itself) takes its
    place: all its cells (price, unit, price year, region, source, note) are copied onto ``X``,
    so ``TableRef(..., row="X")`` and ``overrides={"prices": {"X": …}}`` keep working.  A row
    ``X`` named in ``keep`` (a user's override) is never replaced.

    Returns
    -------
    table, chosen
        The table seen from ``regions`` and ``{X: "X@R"}`` for each row replaced (for
        ``Account.sources``, which names the row actually read).

    Raises
    ------
    ConfigError
        A row ``X@R`` whose ``region`` cell is not ``R`` (names the table, file and row).
    """
    order = [regions] if isinstance(regions, str) else list(regions)
    order = [r for r in dict.fromkeys([*order, NATIONAL]) if r != NATIONAL]
    data = table.data
    variants = [k for k in data.index if isinstance(k, str) and REGION_SEP in k]
    if not variants:
        return table, {}
    bad = [k for k in variants if row_region(table, k) != k.rsplit(REGION_SEP, 1)[1]]
    if bad:
        k = bad[0]
        raise ConfigError(
            f"table {table.name!r} ({table.origin}), row {k!r}: a regional variant X{REGION_SEP}R must have "
            f"region = R in column 'region'; it has {row_region(table, k)!r}"
        )
    keep = {str(k) for k in keep}
    data = data.copy()
    chosen: dict[str, str] = {}
    for base in dict.fromkeys(k.rsplit(REGION_SEP, 1)[0] for k in variants):
        if base in keep:
            continue
        for r in order:
            v = f"{base}{REGION_SEP}{r}"
            if v in data.index:
                if base in data.index:
                    data.loc[base] = data.loc[v]
                else:
                    data = pd.concat([data, data.loc[[v]].rename(index={v: base})])
                chosen[base] = v
                break
    if not chosen:
        return table, {}
    return dataclasses.replace(table, data=data), chosen
