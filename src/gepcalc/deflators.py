r"""Price indices, chain-linked levels and constant-price accounts.

China's statistics publish price indices with the **previous year = 100**
(上年=100): :math:`r_t = 100\,P_t / P_{t-1}`.  Chain-linking them gives a price
level relative to the year before the first row of a series (:math:`L_{a-1} = 1`)

.. math::  L_t = \prod_{k=a}^{t} \frac{r_k}{100},

and the factor that brings a money amount of year :math:`s` prices to year
:math:`t` prices is :math:`F_{s\to t} = L_t / L_s` (so :math:`F_{s\to s} = 1` and
:math:`F_{t\to s} = 1 / F_{s\to t}`).

The indices live in the coefficient table ``deflators`` (``data/coefficients/deflators.csv``):
columns ``series`` (``cpi``, ``ppi``, ``agri_ppi``), ``region`` (``national``,
``zhejiang``), ``year`` and ``value`` [percent, previous year = 100], each row with its
source.  A user table of the same shape (any other series or region) can be passed as
``table=``.  :func:`constant_prices` deflates an :class:`~gepcalc.account.Account`;
``docs/prices_and_years.md`` explains the choices.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from gepcalc.account import Account
from gepcalc.errors import ConfigError, MissingInputError
from gepcalc.tables import CoefficientTable, Source, load_table

#: the built-in table of price indices
DEFAULT_TABLE = "deflators"

#: attrs value of a (multi-year) account whose values are at current prices of each year
CURRENT = "current"

TableLike = str | Path | CoefficientTable | None


def _table(table: TableLike) -> CoefficientTable:
    return load_table(table if table is not None else DEFAULT_TABLE)


def _rows(index: str, region: str, table: TableLike) -> tuple[pd.DataFrame, CoefficientTable]:
    """The rows of one series and region, by year, with the index as a ratio (1.025 for 102.5)."""
    t = _table(table)
    data = t.data
    for col in ("series", "region", "year", "value"):
        if col not in data.columns:
            raise ConfigError(
                f"price-index table {t.name!r} ({t.origin}) has no column {col!r}; "
                "a deflator table needs series, region, year and value [percent, previous year = 100]"
            )
    sel = data[(data["series"] == index) & (data["region"] == region)]
    if sel.empty:
        have = sorted({f"{s}/{r}" for s, r in zip(data["series"], data["region"], strict=True)})
        raise MissingInputError(
            f"price-index table {t.name!r} ({t.origin}) has no series {index!r} for region {region!r}; "
            f"it has {', '.join(have)}"
        )
    years = sel["year"].astype(int)
    if years.duplicated().any():
        dup = sorted(years[years.duplicated()].unique())
        raise ConfigError(f"price-index table {t.name!r}: {index}/{region} has years {dup} more than once")
    values = t.values_in("value", "dimensionless").loc[sel.index].astype(float)
    out = pd.DataFrame({"ratio": values.to_numpy(), "key": sel.index}, index=pd.Index(years.to_numpy(), name="year"))
    return out.sort_index(), t


def _levels(index: str, region: str, table: TableLike) -> pd.Series:
    """Chain-linked levels, 1.0 in the year before the first row; every year in between must be present."""
    rows, t = _rows(index, region, table)
    years = rows.index.to_numpy()
    gaps = sorted(set(range(years.min(), years.max() + 1)) - set(years.tolist()))
    if gaps:
        raise MissingInputError(
            f"price index {index!r} for region {region!r} in table {t.name!r} ({t.origin}) has no value for "
            f"year(s) {gaps}; chain-linking needs every year between {years.min()} and {years.max()}"
        )
    levels = np.concatenate([[1.0], np.cumprod(rows["ratio"].to_numpy())])
    return pd.Series(levels, index=pd.Index(np.arange(years.min() - 1, years.max() + 1), name="year"), name="level")


def level(
    index: str = "cpi",
    region: str = "national",
    years: Iterable[int] | None = None,
    *,
    base: int | None = None,
    table: TableLike = None,
) -> pd.Series:
    r"""Chain-linked price level of a series.

    .. math::  L_t = \prod_{k=a}^{t} r_k / 100, \qquad L_{a-1} = 1

    where :math:`r_k` [percent] is the index with the previous year = 100 and :math:`a` the
    first year of the series in the table.

    Parameters
    ----------
    index
        Series id in the table (``"cpi"``, ``"ppi"``, ``"agri_ppi"``).
    region
        ``"national"`` or a region id of the table (``"zhejiang"``).
    years
        Years to return; all years the series covers when None.
    base
        When given, the levels are divided by the level of ``base`` (so ``base`` = 1).
    table
        A table name, path or loaded table; the built-in ``deflators`` when None.

    Returns
    -------
    pandas.Series
        Levels [dimensionless] indexed by year.

    Raises
    ------
    MissingInputError
        When the series or a requested year is not in the table (names series, region and year).
    """
    lv = _levels(index, region, table)
    wanted = list(lv.index) if years is None else [int(y) for y in years]
    if base is not None:
        wanted_all = [*wanted, int(base)]
    else:
        wanted_all = wanted
    _check_years(lv, wanted_all, index, region, table)
    out = lv.loc[wanted].copy()
    if base is not None:
        out = out / lv.loc[int(base)]
    return out


def _check_years(lv: pd.Series, years: Iterable[int], index: str, region: str, table: TableLike) -> None:
    missing = sorted({int(y) for y in years} - set(lv.index.tolist()))
    if missing:
        name = _table(table).name
        raise MissingInputError(
            f"price index {index!r} for region {region!r} (table {name!r}) has no level for year(s) {missing}: "
            f"it covers {lv.index.min()}-{lv.index.max()} (the first year's level comes from the next year's "
            "index, previous year = 100); add the missing years to the table or pass table=..."
        )


def price_factor(
    from_year: int,
    to_year: int,
    index: str = "cpi",
    region: str = "national",
    table: TableLike = None,
) -> float:
    r"""Factor that brings a money amount at ``from_year`` prices to ``to_year`` prices.

    .. math::  F_{s\to t} = L_t / L_s = \prod_{k=s+1}^{t} r_k / 100 \quad (t > s)

    Parameters
    ----------
    from_year, to_year
        Price years :math:`s` and :math:`t`.
    index, region, table
        The price series, see :func:`level`.

    Returns
    -------
    float
        :math:`F_{s\to t}` [dimensionless]; multiply a value [CNY] at ``from_year`` prices by it.

    Raises
    ------
    MissingInputError
        When a year needed is not covered (names series, region and year).
    """
    from_year, to_year = int(from_year), int(to_year)
    if from_year == to_year:
        return 1.0
    lv = _levels(index, region, table)
    _check_years(lv, [from_year, to_year], index, region, table)
    return float(lv.loc[to_year] / lv.loc[from_year])


def _used(index: str, region: str, years: Iterable[int], table: TableLike) -> pd.DataFrame:
    """Source rows of the index values behind the levels of ``years`` (for Account.sources)."""
    rows, t = _rows(index, region, table)
    ys = sorted({int(y) for y in years})
    if len(ys) < 2:
        return pd.DataFrame()
    keys = rows.loc[(rows.index > ys[0]) & (rows.index <= ys[-1]), "key"]
    out = []
    for key in keys:
        srcs = t.source_of(key)
        out.append(
            {
                "service": "",
                "parameter": f"deflator {index}/{region}",
                "table": t.name,
                "file": t.origin,
                "row": str(key),
                "column": "value",
                "value": f"{t.data.at[key, 'value']:g} (previous year = 100)",
                "source": "; ".join(s.cite() for s in srcs),
                "status": ", ".join(sorted({s.status for s in srcs})),
            }
        )
    return pd.DataFrame(out)


def price_years(acct: Account) -> dict[int, int]:
    """Price year of the values of each year of an account.

    ``attrs["price_basis"] == "current"``: each year's values are at that year's prices;
    otherwise all values are at ``attrs["price_year"]`` prices.

    Raises
    ------
    ConfigError
        When neither is known (an account without price year, or ``concat`` of accounts of
        different price years, which drops the attribute).
    """
    ds = acct.data
    years = [int(y) for y in ds["year"].values]
    basis = str(ds.attrs.get("price_basis", ""))
    if basis == CURRENT:
        if any(y < 0 for y in years):
            raise ConfigError("an account at current prices needs real years in its year coordinate (found -1)")
        return {y: y for y in years}
    py = ds.attrs.get("price_year")
    if py is None or int(py) < 0:
        raise ConfigError(
            "cannot tell the price year of this account's values: attrs has no price_year "
            f"(price_basis={basis or 'unset'!r}); set acct.data.attrs['price_year'] = YEAR, or "
            "attrs['price_basis'] = 'current' for a multi-year account at current prices of each year"
        )
    return dict.fromkeys(years, int(py))


def constant_prices(
    acct: Account,
    base_year: int,
    index: str = "cpi",
    region: str = "national",
    *,
    table: TableLike = None,
) -> Account:
    r"""The account with its values at constant ``base_year`` prices.

    .. math::  V^{\mathrm{const}}_{t} = V_t \, \frac{L_{b}}{L_{p(t)}}

    with :math:`b` the base year and :math:`p(t)` the price year of year :math:`t`'s values
    (:func:`price_years`).  Quantities and areas are unchanged.

    Parameters
    ----------
    acct
        An account; its ``value`` [CNY/yr] is at ``attrs["price_year"]`` prices, or at current
        prices of each year when ``attrs["price_basis"] == "current"``.
    base_year
        Price base year :math:`b`.
    index, region, table
        The deflator series, see :func:`level`.

    Returns
    -------
    Account
        A new account: ``value`` at constant prices; attrs ``price_year = base_year``,
        ``price_basis = "constant {base_year} prices ({index})"``, ``deflator`` (series/region);
        the index values used are added to ``sources`` and a line to ``notes``.
    """
    base_year = int(base_year)
    pyears = price_years(acct)
    factors = {y: price_factor(p, base_year, index, region, table) for y, p in pyears.items()}
    f = xr.DataArray(
        [factors[int(y)] for y in acct.data["year"].values], dims="year", coords={"year": acct.data["year"]}
    )
    ds = acct.data.copy()
    ds["value"] = (acct.data["value"] * f).transpose(*acct.data["value"].dims)
    ds["value"].attrs = dict(acct.data["value"].attrs)
    basis = f"constant {base_year} prices ({index})"
    ds.attrs.update(price_year=base_year, price_basis=basis, deflator=f"{index}/{region}")
    used = _used(index, region, [*pyears.values(), base_year], table)
    sources = pd.concat([acct.sources, used], ignore_index=True) if not used.empty else acct.sources
    moves = ", ".join(f"{p}→{base_year}: ×{factors[y]:.4f}" for y, p in sorted(pyears.items()))
    notes = [*acct.notes, f"values brought to {basis} with the {index}/{region} index ({moves})"]
    return Account(ds, sources, notes)


def from_mapping(values: Mapping[int, float], index: str = "user", region: str = "national") -> CoefficientTable:
    """A deflator table from ``{year: index (previous year = 100)}``, e.g. for tests or a user's own series.

    The rows get a ``user`` source; pass the result as ``table=`` to the functions here.
    """
    rows = pd.DataFrame(
        {
            "series": index,
            "region": region,
            "year": pd.array([int(y) for y in values], dtype="Int64"),
            "value": [float(v) for v in values.values()],
            "source": "user",
            "note": "",
        },
        index=pd.Index([f"{index}:{region}:{int(y)}" for y in values], name="key"),
    )
    base = _table(None)
    return CoefficientTable(
        name=f"deflators_{index}",
        index="key",
        index_kind="item",
        columns=dict(base.columns),
        sources={"user": Source("user", document=f"user-supplied {index} index for {region}", status="user")},
        data=rows,
        title=f"user price index {index}",
    )


__all__ = ["CURRENT", "constant_prices", "from_mapping", "level", "price_factor", "price_years"]


def reprice(
    table: CoefficientTable, to_year: int, index: str = "cpi", region: str = "national", *, deflators: TableLike = None
) -> tuple[CoefficientTable, dict[str, str]]:
    r"""A coefficient table with its money columns brought to ``to_year`` prices.

    Every column whose unit is money (``CNY / m**3``, ``CNY / ha / yr`` …) is multiplied by
    :math:`F_{s\to t}` (:func:`price_factor`), where :math:`s` is the row's
    ``price_year`` (or the table's) and :math:`t` = ``to_year``; rows already at
    ``to_year`` or without a price year are left as they are.

    Returns
    -------
    table, notes
        The repriced copy (``price_year`` column set to ``to_year``) and, per row changed,
        a note naming the row, the factor and the index.
    """
    from gepcalc.units import ureg

    data = table.data.copy()

    def is_money(unit: str | None) -> bool:
        return bool(unit) and "[currency]" in ureg.Unit(unit).dimensionality

    money = [
        c.name
        for c in table.columns.values()
        if c.type in ("float", "int")
        and c.name != "price_year"
        and (is_money(c.unit) or (c.unit_column and any(is_money(u) for u in data[c.unit_column].dropna() if u)))
    ]
    if not money:
        return table, {}
    years = (
        pd.to_numeric(data["price_year"], errors="coerce")
        if "price_year" in data.columns
        else pd.Series(table.price_year, index=data.index, dtype="float64")
    )
    notes = {}
    for key, y in years.items():
        if pd.isna(y) or int(y) == int(to_year):
            continue
        f = price_factor(int(y), int(to_year), index, region, deflators)
        cols = [
            c for c in money if not table.columns[c].unit_column or is_money(data.at[key, table.columns[c].unit_column])
        ]
        for c in cols:
            data.at[key, c] = data.at[key, c] * f
        if "price_year" in data.columns:
            data.at[key, "price_year"] = int(to_year)
        notes[str(key)] = f"{table.name}[{key}]: {int(y)} prices × {f:.4f} ({index}, {region}) → {int(to_year)} prices"
    if "price_year" not in data.columns and notes:
        return dataclasses.replace(table, data=data, price_year=int(to_year)), notes
    return dataclasses.replace(table, data=data), notes
