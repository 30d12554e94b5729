"""The account's prices: which index and region, the tables brought to the price year, what is recorded.

One stage of :func:`gepcalc.account`: it picks the profile's price index and price region
(:func:`price_index_of`, :func:`price_regions_of`), brings every money column of the loaded
tables from its row's ``price_year`` to the account's price year (:func:`reprice_tables`, with
:func:`gepcalc.deflators.reprice`), refuses a used value that could not be brought there
(:func:`refuse_unrepriced`), and writes the price columns and notes of ``Account.sources``
(:func:`source_notes`, :func:`line_price_notes`). docs/prices_and_years.md has the formulas.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from gepcalc.errors import MissingInputError
from gepcalc.profiles import Profile
from gepcalc.repricing import money_columns, reprice, row_region
from gepcalc.resolve import user_value
from gepcalc.tables import CoefficientTable, load_table


class FromProfile:
    """Type of :data:`FROM_PROFILE` (``price_index`` not given: the profile's)."""

    def __repr__(self) -> str:
        return "FROM_PROFILE"


#: default of ``account(price_index=...)``: the profile's index (an explicit None keeps table prices)
FROM_PROFILE = FromProfile()


def price_index_of(price_index, prof: Profile) -> str | None:
    if isinstance(price_index, FromProfile):
        return prof.price_index
    if price_index is None or (isinstance(price_index, str) and price_index.strip().lower() == "none"):
        return None
    return str(price_index)


def price_regions_of(price_region, prof: Profile) -> tuple[str, ...]:
    if price_region is None:
        return tuple(prof.price_region)
    return (price_region,) if isinstance(price_region, str) else tuple(price_region)


def default_rows(classes_cls, item_ids, inputs: Mapping[str, Any]) -> dict[str, set[str]]:
    """Rows of item tables the account's services read by default (not given as inputs): {table: rows}."""
    out: dict[str, set[str]] = {}
    for cls in classes_cls:
        for p in (*cls.spec.params, *cls.spec.value_params, *cls.spec.region_params):
            if not (p.default and p.default.row) or user_value(inputs, cls.spec.id, p.name) is not None:
                continue
            its = item_ids.get(cls.spec.id, ()) if p.per_item else (None,)
            for item in its:
                row = p.default.row.format(item=item) if item is not None else p.default.row
                out.setdefault(p.default.table, set()).add(row)
    return out


def reprice_tables(loaded: dict, price_year, price_index, overrides, needed, deflators=None) -> tuple[dict, dict]:
    """Bring every table's money columns to ``price_year`` prices (in place).

    :math:`p_t = p_s \\cdot L_t / L_s` per row (:func:`gepcalc.deflators.reprice`).  Rows the
    account's services read by default (``needed``) must be repriceable, else the account stops
    here; other rows that cannot be are left as they are and recorded, and stop the account only
    if a value of theirs is used (:func:`refuse_unrepriced`).  A user's value (a row overridden,
    source status ``user``) is taken at the account's price year: it is not repriced unless the
    override also gives ``price_year``.

    Returns
    -------
    repriced, unrepriced
        ``{(table, row): Repriced}`` and ``{(table, row): error message}``.
    """
    if price_index is None or price_year is None:
        return {}, {}
    deflators = load_table(deflators if deflators is not None else "deflators")  # once, not per row
    repriced, failed = {}, {}
    for name, t in list(loaded.items()):
        if not money_columns(t):
            continue
        # a user's value (override, status user) is taken at the account's price year unless it gives its own
        dated = {k for k, cols in (overrides.get(name) or {}).items() if "price_year" in cols}
        skip = {k for k in t.data.index if k not in dated and all(x.status == "user" for x in t.source_of(k))}
        if "price_year" not in t.data.columns:  # one price year for the table (a per-ecosystem table of money)
            try:
                loaded[name], done = reprice(t, price_year, price_index, skip=skip, deflators=deflators)
            except MissingInputError as exc:
                failed.update({(name, str(k)): exc.args[0] if exc.args else str(exc) for k in t.data.index})
                continue
            repriced.update({(name, key): r for key, r in done.items()})
            continue
        must = [k for k in needed.get(name, ()) if k in t.data.index]
        t, done = reprice(t, price_year, price_index, keys=must, skip=skip, deflators=deflators)
        for key in t.data.index:
            if key in must or key in skip:
                continue
            try:
                t, more = reprice(t, price_year, price_index, keys=[key], deflators=deflators)
            except MissingInputError as exc:
                failed[(name, str(key))] = exc.args[0] if exc.args else str(exc)
                continue
            done.update(more)
        loaded[name] = t
        repriced.update({(name, key): r for key, r in done.items()})
    return repriced, failed


def line_price_notes(lines: pd.DataFrame, repriced) -> list[str]:
    """Lines priced by the ``products`` table say how their price was repriced (column ``repriced``, in place)."""
    if not len(lines) or "priced_by" not in lines:
        return []
    rec = [
        repriced.get(("products", f"{r.service}.{r.item}")) if r.priced_by == "products table" else None
        for r in lines[["service", "item", "priced_by"]].itertuples()
    ]
    lines["repriced"] = [r.note() if r else "" for r in rec]
    n = sum(r is not None for r in rec)
    return [f"{n} line(s) priced by the products table at repriced prices; see the lines sheet (repriced)"] if n else []


def refuse_unrepriced(
    sources: pd.DataFrame, unrepriced: Mapping[tuple[str, str], str], lines: pd.DataFrame | None = None
) -> None:
    """A value of a row that could not be brought to the price year was used: stop, with the reason.

    Used means: in ``sources`` (parameters), or the ``products`` row of a line priced by that table.
    """
    if not unrepriced:
        return
    if len(sources) and "row" in sources:
        for t, r in zip(sources["table"], sources["row"], strict=True):
            if (t, str(r)) in unrepriced:
                raise MissingInputError(unrepriced[(t, str(r))])
    if lines is not None and len(lines) and "priced_by" in lines:
        for r in lines[lines["priced_by"] == "products table"].itertuples():
            key = ("products", f"{r.service}.{r.item}")
            if key in unrepriced:
                raise MissingInputError(unrepriced[key])


def source_notes(sources: pd.DataFrame, loaded, repriced, price_year, price_index, price_regions, chosen) -> list[str]:
    """Notes on the prices and coefficients used: regional rows, repricing, price years, non-primary sources.

    Adds to ``sources`` (in place), for every value of a table with price years: ``price_year``
    (the row's own), ``price_region`` (the row's region), ``repriced_to``, ``price_factor``,
    ``price_index`` (series/region) and ``repriced`` (the same in words); and writes the row
    actually read (``X@zhejiang``) in ``row``.
    """
    notes = []
    if len(sources) and "row" in sources:
        _price_columns(sources, loaded, repriced, chosen)
        if repriced:
            n = int((sources["repriced"] != "").sum())
            notes.append(
                f"{n} price value(s) brought to {price_year} prices with {price_index} (the series of each "
                "price's region, national where the deflator table has none); see the sources sheet"
            )
    notes += _price_notes(sources, loaded, price_year, price_index)
    if "status" in sources:
        unconf = sources[sources["status"].fillna("primary").ne("primary")]
        if len(unconf):
            notes.append(
                f"{len(unconf)} coefficient value(s) come from sources that are not primary "
                "(account, secondary or judgement); see the sources sheet"
            )
    return notes


def _price_columns(sources: pd.DataFrame, loaded, repriced, chosen) -> None:
    """The price columns of ``sources`` (see :func:`source_notes`), in place."""
    keys = list(zip(sources["table"], sources["row"].astype(str), strict=True))
    rec = [repriced.get(k) for k in keys]
    sources["repriced"] = [r.note() if r else "" for r in rec]
    sources["repriced_to"] = [r.to_year if r else pd.NA for r in rec]
    sources["price_factor"] = [r.factor if r else np.nan for r in rec]
    sources["price_index"] = [f"{r.index}/{r.region}" if r else "" for r in rec]
    years, regions = [], []
    for (t, r), one in zip(keys, rec, strict=True):
        table = loaded.get(t)
        if one is not None:
            years.append(one.from_year)
        elif table is not None and "price_year" in table.data.columns and r in table.data.index:
            y = pd.to_numeric(table.data.at[r, "price_year"], errors="coerce")
            years.append(int(y) if pd.notna(y) else pd.NA)
        elif table is not None and table.price_year is not None and money_columns(table):
            years.append(int(table.price_year))  # a per-ecosystem table of money with one price year
        else:
            years.append(pd.NA)
        has_region = table is not None and "region" in table.data.columns and r in table.data.index
        regions.append(row_region(table, r) if has_region else "")
    sources["price_year"] = pd.array(years, dtype="Int64")
    sources["price_region"] = regions
    if chosen:
        sources["row"] = [chosen.get(k, k[1]) for k in keys]


def _price_notes(sources: pd.DataFrame, tables: Mapping[str, CoefficientTable], price_year, price_index) -> list[str]:
    """Prices used at another year's prices: when the account was asked not to reprice, or has no year."""
    notes = []
    if not len(sources) or "table" not in sources or "price_year" not in sources:
        return notes
    if price_index and price_year is not None:
        return notes  # every price was brought to price_year (or the account stopped)
    used = sources[sources["price_year"].notna()].drop_duplicates(["table", "row"])
    if price_year is None:
        if len(used):
            notes.append(
                f"no year or price_year given: {len(used)} price value(s) used at the prices of their own years "
                f"({', '.join(sorted({str(int(y)) for y in used['price_year']}))}); give year= or price_year= to "
                "bring them to one year's prices"
            )
        return notes
    for r in used.itertuples():
        if int(r.price_year) != int(price_year):
            notes.append(
                f"price {r.row!r} is of {int(r.price_year)}, used as is for price year {price_year} (price_index=None: "
                f"no deflator applied; price_index='cpi' brings it to {price_year} prices)"
            )
    return notes
