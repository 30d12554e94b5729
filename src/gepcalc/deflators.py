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

This module holds what works on an account (:func:`price_years`, :func:`constant_prices`) and
re-exports the index series (:mod:`gepcalc.price_index`: :func:`level`, :func:`price_factor` …)
and the repricing of price tables (:mod:`gepcalc.repricing`: :func:`reprice`, :func:`regional` …),
which need no account.
"""

from __future__ import annotations

import pandas as pd
import xarray as xr

from gepcalc.errors import ConfigError
from gepcalc.price_index import (
    DEFAULT_TABLE,
    TableLike,
    deflator_table,
    from_mapping,
    level,
    price_factor,
    used_levels,
)
from gepcalc.repricing import NATIONAL, REGION_SEP, Repriced, money_columns, regional, reprice, row_region
from gepcalc.result import Account, known_year

#: attrs value of a (multi-year) account whose values are at current prices of each year
CURRENT = "current"


def price_years(acct: Account) -> dict[int, int]:
    """Price year of the values of each year of an account.

    ``attrs["price_basis"] == "current"``: each year's values are at that year's prices;
    otherwise all values are at ``attrs["price_year"]`` prices.

    Raises
    ------
    ConfigError
        When neither is known (an account without price year, or ``concat`` of accounts of
        different price years, which drops the attribute), or an account at current prices has no
        year.  "No year" is a NaN year coordinate or a None price year
        (:func:`gepcalc.result.known_year`).
    """
    ds = acct.data
    years = [known_year(y) for y in ds["year"].values]
    basis = str(ds.attrs.get("price_basis", ""))
    if basis == CURRENT:
        if any(y is None for y in years):
            raise ConfigError("an account at current prices needs real years in its year coordinate (found none)")
        return {y: y for y in years}
    py = known_year(ds.attrs.get("price_year"))
    if py is None:
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
        [factors[known_year(y)] for y in acct.data["year"].values], dims="year", coords={"year": acct.data["year"]}
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


__all__ = [
    "CURRENT",
    "DEFAULT_TABLE",
    "NATIONAL",
    "REGION_SEP",
    "Repriced",
    "TableLike",
    "constant_prices",
    "deflator_table",
    "from_mapping",
    "level",
    "money_columns",
    "price_factor",
    "price_years",
    "regional",
    "reprice",
    "row_region",
    "used_levels",
]
