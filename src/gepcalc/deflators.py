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
from collections.abc import Iterable, Mapping, Sequence
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


def _covered(rows: pd.DataFrame) -> str:
    """Years of price *levels* a series covers, as runs: ``"1999-2009, 2011-2024"``.

    A run of index values for years a..b gives levels for a-1..b (the level of the year
    before the first index is 1); an empty cell (or a missing year) breaks the run.
    """
    years = [int(y) for y, r in rows["ratio"].items() if pd.notna(r)]
    if not years:
        return "no year (every value is empty)"
    runs, first, prev = [], years[0], years[0]
    for y in years[1:]:
        if y != prev + 1:
            runs.append((first, prev))
            first = y
        prev = y
    runs.append((first, prev))
    out = ", ".join(f"{a - 1}-{b}" for a, b in runs)
    empty = [int(y) for y, r in rows["ratio"].items() if pd.isna(r)]
    return out + (f"; empty cells for {_runs(empty)}" if empty else "")


def _runs(years: list[int]) -> str:
    """``[2000, 2001, 2002, 2005]`` → ``"2000-2002, 2005"``."""
    out: list[str] = []
    for y in sorted(years):
        if out and int(out[-1].split("-")[-1]) == y - 1:
            out[-1] = f"{out[-1].split('-')[0]}-{y}"
        else:
            out.append(str(y))
    return ", ".join(out)


def _factor(rows: pd.DataFrame, t: CoefficientTable, index: str, region: str, s: int, e: int) -> float:
    r"""Factor from year ``s`` to year ``e`` prices, every year it needs checked.

    .. math::  F_{s\to e} = \prod_{k=s+1}^{e} r_k / 100 \quad (e \ge s), \qquad F_{e\to s} = 1 / F_{s\to e}

    A year outside the series (its level unknown), or a missing or empty index between
    ``s`` and ``e``, is a MissingInputError naming the series, region, table and year(s)
    and the years the table covers.
    """
    lo, hi = min(s, e), max(s, e)
    have = rows["ratio"].dropna()
    first, last = (int(have.index.min()) - 1, int(have.index.max())) if len(have) else (None, None)
    where = f"price index {index!r} for region {region!r} (table {t.name!r}, {t.origin})"
    outside = sorted({y for y in (s, e) if first is None or not first <= y <= last})
    if outside:
        raise MissingInputError(
            f"{where} has no level for year(s) {outside}: it covers {_covered(rows)} (the first year's level "
            "comes from the next year's index, previous year = 100); add the missing years to the table or "
            "pass table=..."
        )
    need = list(range(lo + 1, hi + 1))
    gaps = [y for y in need if y not in have.index]
    if gaps:
        empty = [y for y in gaps if y in rows.index]
        raise MissingInputError(
            f"{where} has no value for year(s) {gaps}"
            + (f" (empty cell(s) for {empty})" if empty else "")
            + f"; chain-linking {lo} to {hi} needs every year between; the table covers {_covered(rows)}"
        )
    f = float(np.prod(have.loc[need].to_numpy())) if need else 1.0
    return f if e >= s else 1.0 / f


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
    rows, t = _rows(index, region, table)
    have = rows["ratio"].dropna()
    first = int(have.index.min()) - 1 if len(have) else int(rows.index.min()) - 1
    wanted = list(range(first, int(rows.index.max()) + 1)) if years is None else [int(y) for y in years]
    anchor = int(base) if base is not None else first
    values = [_factor(rows, t, index, region, anchor, y) for y in wanted]
    return pd.Series(values, index=pd.Index(wanted, name="year"), name="level")


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
    rows, t = _rows(index, region, table)
    return _factor(rows, t, index, region, from_year, to_year)


def used_levels(index: str, region: str, years: Iterable[int], table: TableLike) -> pd.DataFrame:
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
    used = used_levels(index, region, [*pyears.values(), base_year], table)
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
        return (
            f"{self.table}[{self.row}]: {self.from_year} prices × {self.factor:.4f} ({self.index}, {self.region}) "
            f"→ {self.to_year} prices"
        )


def _is_money(unit: str | None) -> bool:
    from gepcalc.units import ureg

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
    data = _table(deflators).data
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


__all__ = [
    "CURRENT",
    "NATIONAL",
    "REGION_SEP",
    "Repriced",
    "constant_prices",
    "from_mapping",
    "level",
    "money_columns",
    "price_factor",
    "price_years",
    "regional",
    "reprice",
]
