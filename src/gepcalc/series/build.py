"""Building a multi-year series from accounts: each year's values at current and constant prices.

:func:`series` checks the accounts' years, brings each year's values from its price year to that
year's prices and to the base year's (:func:`gepcalc.price_index.price_factor`), reads GDP, and
returns a :class:`gepcalc.series.result.Series`, which holds the views.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
import pint
import xarray as xr

from gepcalc.account import Account
from gepcalc.deflators import price_years
from gepcalc.errors import ConfigError, UnitError
from gepcalc.price_index import TableLike, price_factor, used_levels
from gepcalc.result import known_year
from gepcalc.series.result import CELL_DIMS, Series
from gepcalc.units import VALUE_UNIT, factor, to_quantity


def series(
    accounts: Iterable[Account] | Account,
    base_year: int,
    index: str = "cpi",
    region: str = "national",
    gdp: Mapping | None = None,
    *,
    table: TableLike = None,
) -> Series:
    r"""A multi-year GEP series at current and constant ``base_year`` prices.

    Parameters
    ----------
    accounts
        Accounts of different years (or one multi-year account).  An account's values
        [CNY/yr] are at the prices of its ``attrs["price_year"]``; when that is unset (None) they are
        taken as current prices of its year, as they are when ``attrs["price_basis"] == "current"``.
        Its ``year`` coordinate must hold real years.
    base_year
        Price base year :math:`b` of the constant-price values.
    index, region, table
        Deflator series (see :func:`gepcalc.deflators.level`).
    gdp
        Optional GDP at current prices: ``{year: "470.2 亿元"}`` for the whole area, or
        ``{region: {year: …}}`` per region.  Amounts need units (CNY, 万元, 亿元; ``/yr`` allowed).

    Returns
    -------
    Series

    Raises
    ------
    ConfigError
        A year given twice, or an account without real years.
    MissingInputError
        A year the deflator series does not cover.
    """
    accounts = [accounts] if isinstance(accounts, Account) else list(accounts)
    if not accounts:
        raise ConfigError("series() needs at least one account")
    base_year = int(base_year)
    parts, notes, srcs, seen = [], [], [], {}
    names: dict[str, dict[str, str]] = {"category": {}, "name_zh": {}, "name_en": {}}
    for i, acct in enumerate(accounts):
        ds = acct.data
        years = _account_years(acct, i, seen)
        try:
            pyears = price_years(acct)
        except ConfigError:
            pyears = {y: y for y in years}
            notes.append(f"account #{i} has no price year; its values are taken as current prices of {years}")
        parts.append(_at_both_prices(ds, pyears, base_year, index, region, table))
        for coord, store in names.items():
            if coord in ds.coords:
                store.update(zip(ds["service"].values.tolist(), ds[coord].values.tolist(), strict=True))
        srcs.append(acct.sources)
        srcs.append(used_levels(index, region, [*pyears.values(), *years, base_year], table))
        notes += acct.notes
    data = _combined(parts)
    data.attrs.update(base_year=base_year, deflator=f"{index}/{region}", price_basis=f"constant {base_year} prices")
    sources = pd.concat([s for s in srcs if not s.empty], ignore_index=True) if any(not s.empty for s in srcs) else None
    if sources is not None:
        sources = sources.astype(str).drop_duplicates().reset_index(drop=True)
    return Series(
        data=data,
        base_year=base_year,
        index=index,
        region=region,
        categories=names["category"],
        names_zh=names["name_zh"],
        names_en=names["name_en"],
        gdp=_gdp_frame(gdp),
        sources=sources if sources is not None else pd.DataFrame(),
        notes=list(dict.fromkeys(notes)),
        table_=table,
    )


def _account_years(acct: Account, i: int, seen: dict[int, int]) -> list[int]:
    """The years of account number ``i``, refused when missing (NaN, :func:`gepcalc.result.known_year`) or
    already in an earlier account (``seen``)."""
    ds = acct.data
    years = [known_year(y) for y in ds["year"].values]
    if any(y is None for y in years):
        raise ConfigError(
            f"account #{i} ({ds.attrs.get('title', '')!r}) has no year (year coordinate missing); "
            "compute it with year=... or set its year coordinate"
        )
    for y in years:
        if y in seen:
            raise ConfigError(f"year {y} is in account #{seen[y]} and account #{i}; give each year once")
        seen[y] = i
    return years


def _at_both_prices(
    ds: xr.Dataset, pyears: Mapping[int, int], base_year: int, index: str, region: str, table: TableLike
) -> xr.Dataset:
    """An account's quantity, area and value [CNY/yr] at current and at constant ``base_year`` prices.

    ``pyears``: the price year of each year's values (:func:`gepcalc.deflators.price_years`).
    """
    years = [int(y) for y in ds["year"].values]
    cur = [price_factor(pyears[y], y, index, region, table) for y in years]
    const = [price_factor(pyears[y], base_year, index, region, table) for y in years]
    fy = {"dims": "year", "coords": {"year": ds["year"].values}}
    part = xr.Dataset(
        {
            "quantity": ds["quantity"],
            "area": ds["area"],
            "value_current": ds["value"] * xr.DataArray(cur, **fy),
            "value_constant": ds["value"] * xr.DataArray(const, **fy),
        }
    )
    return part.reset_coords(drop=True)


def _combined(parts: Sequence[xr.Dataset]) -> xr.Dataset:
    """The accounts' years in one Dataset, sorted by year, cell dims in order, units in attrs (no area: 0)."""
    data = xr.concat(parts, dim="year", join="outer", combine_attrs="drop")
    data = data.sortby("year")
    for v in ("quantity", "value_current", "value_constant"):
        data[v] = data[v].transpose(*CELL_DIMS)
    data["area"] = data["area"].fillna(0.0)
    data["value_current"].attrs["units"] = VALUE_UNIT
    data["value_constant"].attrs["units"] = VALUE_UNIT
    data["area"].attrs["units"] = "m**2"
    return data


def _gdp_frame(gdp: Any) -> pd.DataFrame:
    """GDP given as ``{year: "470.2 亿元"}`` or ``{region: {year: ...}}`` → columns region, year, gdp [CNY]."""
    cols = ["region", "year", "gdp"]
    if gdp is None:
        return pd.DataFrame(columns=cols)
    if not isinstance(gdp, Mapping):
        raise ConfigError("gdp must be a mapping {year: '470.2 亿元'} or {region: {year: '…'}}")
    rows = []
    for k, v in gdp.items():
        if isinstance(v, Mapping):
            rows += [(str(k), int(y), _cny(q, f"GDP of {k} in {y}")) for y, q in v.items()]
        else:
            rows.append(("", int(k), _cny(v, f"GDP in {k}")))
    return pd.DataFrame(rows, columns=cols)


def _cny(value: Any, where: str) -> float:
    """An annual GDP amount in CNY (a money amount, or a money flow per year)."""
    q = to_quantity(value, where=where)
    for unit, scale in (("CNY", "CNY"), ("CNY / yr", "CNY / yr * yr")):
        try:
            return float(q.to(unit).magnitude) * factor(scale, "CNY")
        except pint.DimensionalityError:
            continue
    raise UnitError(f"{where}: {q:~P} is not a money amount (CNY, 万元, 亿元) or an annual one (… / yr)")
