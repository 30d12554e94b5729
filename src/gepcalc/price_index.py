r"""Price indices and chain-linked price levels: the factor between two years' prices.

China's statistics publish price indices with the **previous year = 100**
(上年=100): :math:`r_t = 100\,P_t / P_{t-1}`.  Chain-linking them gives
:math:`L_t = \prod_{k=a}^{t} r_k / 100` (:func:`level`) and the factor
:math:`F_{s\to t} = L_t / L_s` (:func:`price_factor`), every year it needs checked.  The indices
are the coefficient table ``deflators`` or a user's table of the same shape
(:func:`from_mapping`).  This module knows nothing of accounts or price tables: bringing a price
table to a year is :mod:`gepcalc.repricing`, deflating an account :mod:`gepcalc.deflators`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from gepcalc.errors import ConfigError, MissingInputError
from gepcalc.tables import CoefficientTable, Source, load_table

#: the built-in table of price indices
DEFAULT_TABLE = "deflators"

TableLike = str | Path | CoefficientTable | None


def deflator_table(table: TableLike) -> CoefficientTable:
    """The price-index table ``table`` (name, path or loaded table); the built-in ``deflators`` when None."""
    return load_table(table if table is not None else DEFAULT_TABLE)


def _rows(index: str, region: str, table: TableLike) -> tuple[pd.DataFrame, CoefficientTable]:
    """The rows of one series and region, by year, with the index as a ratio (1.025 for 102.5)."""
    t = deflator_table(table)
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
    base = deflator_table(None)
    return CoefficientTable(
        name=f"deflators_{index}",
        index="key",
        index_kind="item",
        columns=dict(base.columns),
        sources={"user": Source("user", document=f"user-supplied {index} index for {region}", status="user")},
        data=rows,
        title=f"user price index {index}",
    )
