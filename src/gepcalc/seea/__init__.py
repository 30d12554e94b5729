r"""SEEA Ecosystem Accounting (UN et al. 2021) tables from one GEP account or a pair (opening, closing).

:func:`seea` (``Account.to_seea``) lays out what a GEP account already holds in the accounts of the
System of Environmental-Economic Accounting — Ecosystem Accounting (SEEA EA, adopted by the UN
Statistical Commission in March 2021):

* **ecosystem extent account** — opening extent, additions, reductions, net change, closing
  extent by ecosystem type [ha]; with two land covers the additions and reductions come from the
  **ecosystem type change matrix** (:func:`change_matrix`), else only the net change is known;
* **ecosystem condition account** — condition variables by type, opening and closing, with a
  reference level where given (``condition=``), and the per-type inputs of the account that are
  condition variables (NPP, vegetation cover, actual evapotranspiration, …);
* **ecosystem services supply and use tables**, physical and monetary — supply by ecosystem type
  (the account's quantities and values), use by economic unit (households, government,
  industries) by a default share per service (:data:`DEFAULT_USE`, overridable with ``use=``), so
  that supply = use for every service;
* **monetary ecosystem asset account** — the net present value of the expected flows of each type,
  :math:`NPV = V \, a(r, T)` with the annuity factor :math:`a(r, T) = (1 - (1 + r)^{-T}) / r` for a
  constant flow V [CNY/yr] received at the end of each of T years at discount rate r (both
  inputs, recorded), opening and closing, the change split into ecosystem conversions (extent)
  and enhancement / degradation (flow per hectare).

The table numbers of the SEEA EA 2021 publication could not be read in this work (the text was
not available); the tables are named by their accounts, and ``docs/seea.md`` says which numbers
were not verified.  Excel output: one sheet per table (:meth:`SeeaTables.to_excel`).

Where it lives: :mod:`gepcalc.seea.extent`, :mod:`gepcalc.seea.condition`,
:mod:`gepcalc.seea.supply_use`, :mod:`gepcalc.seea.assets` (one account each); this module
assembles them (:func:`seea`, :class:`SeeaTables`), re-exports their public names and is itself
callable: ``gepcalc.seea(opening, closing, ...)``.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from gepcalc.export import write_sheets
from gepcalc.seea.assets import annuity_factor, asset_account
from gepcalc.seea.condition import CONDITION_INPUTS, condition_account
from gepcalc.seea.extent import change_matrix, extent_account, extent_tables
from gepcalc.seea.supply_use import (
    DEFAULT_USE,
    ECONOMIC_UNITS,
    SEEA_SERVICE,
    supply_tables,
    supply_use_tables,
    use_shares,
    use_table,
)
from gepcalc.years import known_year

__all__ = [
    "CONDITION_INPUTS",
    "DEFAULT_USE",
    "ECONOMIC_UNITS",
    "SEEA_SERVICE",
    "SeeaTables",
    "annuity_factor",
    "asset_account",
    "change_matrix",
    "condition_account",
    "extent_account",
    "seea",
    "supply_tables",
    "use_shares",
    "use_table",
]


@dataclass
class SeeaTables:
    """The SEEA EA tables of an account (``name → DataFrame``), the inputs used and notes."""

    tables: dict[str, pd.DataFrame]
    notes: list[str] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> pd.DataFrame:
        """The table ``name``."""
        return self.tables[name]

    def to_excel(self, path: str | Path) -> Path:
        """Write one sheet per table, then the parameters and notes (``about``)."""
        about = pd.DataFrame(
            [(k, str(v)) for k, v in self.parameters.items()] + [("note", n) for n in self.notes],
            columns=["item", "value"],
        )
        return write_sheets(Path(path), {**self.tables, "about": about})


def seea(
    opening,
    closing=None,
    *,
    landcover: tuple | None = None,
    classes: str | Path | Any | None = None,
    regions=None,
    region_field: str | None = None,
    matrix: pd.DataFrame | None = None,
    use: Mapping[str, Mapping[str, float]] | None = None,
    condition: Mapping[str, Mapping] | None = None,
    discount_rate: float | None = None,
    asset_life: float | None = None,
    unit: str = "万元",
    path: str | Path | None = None,
) -> SeeaTables:
    """The SEEA EA tables of an account, or of an opening and a closing account (see module docstring).

    Parameters
    ----------
    opening, closing
        The accounts (:class:`gepcalc.Account`); ``closing`` None: one period, no change.
    landcover
        ``(opening raster, closing raster)`` for the change matrix, with ``classes`` (default: the
        account's mapping) and ``regions``/``region_field`` (the accounting area); or give ``matrix``.
    use
        Use by economic unit per service, ``{service: {"households": share, ...}}``, replacing
        :data:`DEFAULT_USE` for the services named.
    condition
        Condition variables by type (:func:`condition_account`).
    discount_rate, asset_life
        Discount rate [1/yr, e.g. 0.03] and asset life [yr] of the asset account; both needed for
        it (no default: the account is left out and the notes say so).
    unit
        Money unit of the monetary tables (CNY, 万元, 亿元).
    path
        Also write the workbook there (one sheet per table).
    """
    params: dict[str, Any] = {
        "SEEA EA": "United Nations et al. (2021), System of Environmental-Economic "
        "Accounting—Ecosystem Accounting; table numbers not verified (docs/seea.md)"
    }
    if landcover is not None and matrix is None:
        cls = classes or opening.data.attrs.get("landcover_classes") or "landcover_igbp"
        matrix = change_matrix(*landcover, classes=cls, regions=regions, region_field=region_field)
        params["change matrix"] = f"land covers {landcover[0]} → {landcover[1]} ({cls})"
    tables, notes = extent_tables(opening, closing, matrix)
    tables["condition account"] = condition_account(opening, closing, condition)
    tables.update(supply_use_tables(opening, closing, use, unit))
    if discount_rate is not None and asset_life is not None:
        tables["asset account"] = asset_account(
            opening, closing, discount_rate=discount_rate, asset_life=asset_life, unit=unit
        )
        params.update(
            discount_rate=discount_rate,
            asset_life=f"{asset_life} yr",
            annuity_factor=annuity_factor(discount_rate, asset_life),
        )
        if closing is not None and price_year_text(opening) != price_year_text(closing):
            notes.append(
                f"asset account: opening at {price_year_text(opening)} prices, closing at "
                f"{price_year_text(closing)} prices; revaluation is not separated"
            )
    else:
        notes.append("asset account left out: give discount_rate and asset_life (both recorded)")
    notes.append(
        "use tables: default shares per service (gepcalc.seea.DEFAULT_USE, a judgement), overridable with use=..."
    )
    out = SeeaTables(tables, notes, params)
    if path is not None:
        out.to_excel(path)
    return out


def price_year_text(acct) -> str:
    """An account's price year as text, ``—`` where it has none (:func:`gepcalc.years.known_year`)."""
    year = known_year(acct.data.attrs.get("price_year"))
    return "—" if year is None else str(year)


class _CallableModule(types.ModuleType):
    """``gepcalc.seea(...)`` calls :func:`seea`; ``gepcalc.seea.change_matrix`` etc. stay reachable."""

    def __call__(self, *args, **kwargs) -> SeeaTables:
        return seea(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
