"""The computed account: :class:`Account` (a dataset, its views and exports) and :func:`concat`.

An :class:`Account` wraps an :class:`xarray.Dataset` with variables ``quantity`` and ``value``
(dims ``service, item, region, ecosystem, scenario, year``) and ``area``; units live in
coordinates and attributes.  Its views (``gep``, ``by``, ``total``, ``table``, ``summary``)
return pandas tables with machine column names (``service``, ``ecosystem``, ``value``, ``share``,
``quantity``, ``quantity_unit``, ``name_zh``, ``name_en`` …) and the units of their value columns
in ``df.attrs["units"]`` (e.g. ``{"value": "亿元/yr"}``), with money in CNY, 万元 or 亿元.  Bilingual
and unit-bearing headers (``指标``, ``value [亿元/yr]``) are made only where a table is shown: the
exports, the HTML report and the console (:func:`gepcalc.export.labelled`).
``to_csv``/``to_excel``/``to_html``/``to_seea`` write them.  :func:`concat` puts accounts of several
scenarios or years side by side.

An account computed without a year has a ``year`` dimension of size 1 whose coordinate is a float
NaN (not a made-up year such as −1): xarray aligns, selects and combines it like any coordinate,
the tidy table and its CSV show an empty year, and :func:`known_year` (from :mod:`gepcalc.years`,
importable from here) reads it as None.  Likewise
an account without a price year has ``attrs["price_year"] = None``.

This module does not compute an account: :func:`gepcalc.account.account` runs the stages of
:mod:`gepcalc.stages` and hands their results to :class:`Account`.  Both names are importable
from :mod:`gepcalc.account` as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pint
import xarray as xr

from gepcalc.context import AccountContext, revalued
from gepcalc.errors import ConfigError
from gepcalc.io import atomic
from gepcalc.services.base import CATEGORY_NAMES
from gepcalc.tables import CoefficientTable
from gepcalc.units import Q_, VALUE_UNIT, factor, unit_label
from gepcalc.years import known_year

TIDY_COLUMNS = [
    "region",
    "category",
    "service",
    "item",
    "ecosystem",
    "quantity",
    "quantity_unit",
    "value",
    "value_unit",
    "year",
    "price_year",
    "scenario",
    "profile",
    "status",
]

#: item label of services with a single quantity
NO_ITEM = ""

#: columns of :attr:`Account.not_computed`
NOT_COMPUTED_COLUMNS = ["service", "category", "reason", "item", "name_zh", "name_en", "quantity_unit"]

#: ``status`` of a computed row in the summary and the tidy table
COMPUTED = "computed"

#: value columns of the views; their units are in ``df.attrs["units"]`` (the draws' mean, P05, P95 where drawn)
VALUE_COLUMNS = ("value", "value_mean", "value_p05", "value_p95")


def with_units(df: pd.DataFrame, unit: str) -> pd.DataFrame:
    """``df`` with ``attrs["units"]`` naming the unit of each of its value columns (``{unit}/yr``).

    Parameters
    ----------
    df
        A view of an account (:meth:`Account.by`, :meth:`Account.total`, :meth:`Account.summary`).
    unit
        Money unit of its values: CNY, 万元 or 亿元 (per year).
    """
    df.attrs["units"] = {c: f"{unit}/yr" for c in VALUE_COLUMNS if c in df.columns}
    return df


class Account:
    """A computed GEP account (see module docstring).

    Attributes
    ----------
    data : xarray.Dataset
        ``quantity`` [each service's unit], ``value`` [CNY/yr], ``area`` [m²].
    sources : pandas.DataFrame
        Every coefficient and input used: service, parameter, table, row, value, source, status.
    lines : pandas.DataFrame
        Every statistics or reported line: quantity and its source, price and its source, value.
    adjustments : pandas.DataFrame
        The profile's double-counting and outside-region rules where they changed a value.
    notes : list of str
        What the user should know (nodata left out, price years, values that are not primary).
    not_computed : pandas.DataFrame
        Indicators of the account that could not be computed (``account(missing="list")``): one
        row per service, or per item where only an item lacks an input; columns
        ``service, category, reason`` (what it needs: the input, its unit and how to give it),
        ``item, name_zh, name_en, quantity_unit``.  They are in no number of the account
        (``gep``, ``total``, ``by``) and are listed by ``summary``, ``table`` and the exports.
    context : AccountContext or None
        What the account was computed from (landscape, tables, services, items, inputs, the
        arguments of :func:`account`), :mod:`gepcalc.context`; used by :meth:`revalue`,
        :meth:`recompute`, projects, maps and Monte Carlo.  None for an account made by
        :func:`concat` or :meth:`sel` (not computed from one set of inputs).
    """

    def __init__(
        self,
        data: xr.Dataset,
        sources: pd.DataFrame | None = None,
        notes: Sequence[str] = (),
        *,
        lines: pd.DataFrame | None = None,
        adjustments: pd.DataFrame | None = None,
        not_computed: pd.DataFrame | None = None,
    ):
        self.data = data
        self.sources = sources if sources is not None else pd.DataFrame()
        self.notes = list(notes)
        self.lines = lines if lines is not None else pd.DataFrame()
        self.adjustments = adjustments if adjustments is not None else pd.DataFrame()
        self.not_computed = (
            not_computed.reindex(columns=NOT_COMPUTED_COLUMNS, fill_value="")
            if not_computed is not None
            else pd.DataFrame(columns=NOT_COMPUTED_COLUMNS)
        )
        #: Monte Carlo draws (:class:`gepcalc.uncertainty.AccountUncertainty`) when computed with ``uncertainty=N``
        self.uncertainty = None
        # what the account was computed from (:class:`gepcalc.context.AccountContext`); None when not computed
        self.context: AccountContext | None = None

    def __repr__(self) -> str:
        gep = self.gep("亿元")
        years = [known_year(y) for y in self.data.year.values]
        return (
            f"<gepcalc.Account {self.data.attrs.get('title', '')}: GEP = {gep.magnitude:,.2f} 亿元/yr, "
            f"{self.data.sizes['service']} services, {self.data.sizes['region']} regions, "
            f"scenario(s) {self.data.scenario.values.tolist()}, year(s) {years}>"
        )

    # -- totals and views ---------------------------------------------------------------
    def gep(self, unit: str = "CNY") -> pint.Quantity:
        """Total GEP over everything in the account, per year, in ``unit`` (CNY, 万元, 亿元)."""
        total = float(self.data["value"].sum())
        return Q_(total, VALUE_UNIT).to(f"{unit} / yr")

    def _value_factor(self, unit: str) -> float:
        return factor(VALUE_UNIT, f"{unit} / yr")

    def by(self, *dims: str, unit: str = "亿元") -> pd.DataFrame:
        """Value (and quantity, for ``service``) summed over all but ``dims``, with shares.

        ``dims`` are any of ``service, item, category, region, ecosystem, scenario, year``.
        With ``service`` the quantity is given too (per item where the service has several:
        add ``item`` to see it, else it is left empty rather than adding different pollutants).

        Returns
        -------
        pandas.DataFrame
            Columns ``dims``, then (with ``service``) ``name_zh``, ``name_en``, ``category``,
            ``quantity``, ``quantity_unit``; ``value`` [``unit``/yr], with the Monte Carlo's
            ``value_mean``, ``value_p05``, ``value_p95`` after it where the account was drawn, and
            ``share`` (of the total, 0–1).  ``df.attrs["units"]`` holds the unit of each value
            column, e.g. ``{"value": "亿元/yr"}``.
        """
        dims = dims or ("category",)
        ds = self.data
        value = ds["value"]
        keep_dims = [d for d in dims if d != "category"]
        if "category" in dims:
            value = value.groupby("category").sum()
            keep_dims = ["category", *keep_dims]
        col = "value"
        v = value.sum([d for d in value.dims if d not in keep_dims]) * self._value_factor(unit)
        df = v.to_dataframe(name=col).reset_index()[[*keep_dims, col]]
        if "service" in dims:
            # a cell exists where it has a quantity or a value (a line reporting only its value has no quantity,
            # and makes the quantity of whatever it is summed into NaN: not given)
            cell = ds["quantity"].notnull() | ds["value"].notnull()
            exists = cell.any([d for d in ds["quantity"].dims if d not in ("service", "item")])
            summed = [d for d in ds["quantity"].dims if d not in keep_dims]
            q = ds["quantity"].where(cell, 0.0).sum(summed, skipna=False).where(cell.any(summed))
            if "item" not in dims:
                several = exists.sum("item") > 1
                if "additive_items" in ds.coords:  # parts of one quantity in one unit: their sum is shown
                    several = several & ~ds["additive_items"].astype(bool)
                q = q.where(~several.sel(service=q["service"]))
            df = df.merge(q.to_dataframe(name="quantity").reset_index()[[*keep_dims, "quantity"]], on=keep_dims)
            if "item" in dims:
                ok = exists.to_dataframe(name="ok").reset_index()
                df = df.merge(ok[["service", "item", "ok"]], on=["service", "item"])
                df = df[df.pop("ok")].reset_index(drop=True)
            svc = ds[["name_zh", "name_en", "category"]].to_dataframe().reset_index()
            df = df.merge(svc[["service", "name_zh", "name_en", "category"]], on="service")
            df["quantity_unit"] = _unit_labels(ds, df, "item" in dims)
            if "item" in dims:
                zh = dict(zip(ds["item"].values, ds["item_zh"].values, strict=True))
                en = dict(zip(ds["item"].values, ds["item_en"].values, strict=True))
                has = df["item"] != NO_ITEM
                df.loc[has, "name_zh"] += " · " + df.loc[has, "item"].map(zh)
                df.loc[has, "name_en"] += " · " + df.loc[has, "item"].map(en)
            front = [*keep_dims, "name_zh", "name_en", "category", "quantity", "quantity_unit"]
            df = df[[c for c in front if c in df] + [col]]
            df = df.loc[:, ~df.columns.duplicated()]
        total = df[col].sum()
        df["share"] = df[col] / total if total else np.nan
        if self.uncertainty is not None:  # mean, P05, P95 of the draws (gepcalc.uncertainty)
            df = self.uncertainty.add_columns(df, keep_dims, col, unit)
        return with_units(df, unit)

    def total(self, unit: str = "亿元") -> pd.DataFrame:
        """GEP by category (provisioning / regulating / cultural) with shares, and the total.

        Columns ``category`` (the last row ``"GEP"``), ``name_zh``, ``name_en``, ``value``
        [``unit``/yr] (and ``value_mean``, ``value_p05``, ``value_p95`` where drawn), ``share``;
        units in ``df.attrs["units"]`` as in :meth:`by`.
        """
        df = self.by("category", unit=unit)
        df.insert(1, "name_zh", [CATEGORY_NAMES[c][0] for c in df["category"]])
        df.insert(2, "name_en", [CATEGORY_NAMES[c][1] for c in df["category"]])
        col = "value"
        total = pd.DataFrame(
            [
                {
                    "category": "GEP",
                    "name_zh": "生态系统生产总值",
                    "name_en": "Gross Ecosystem Product",
                    col: df[col].sum(),
                    "share": 1.0,
                }
            ]
        )
        if self.uncertainty is not None:
            total = self.uncertainty.add_columns(total, [], col, unit)
        return with_units(pd.concat([df, total], ignore_index=True), unit)

    def table(self, value_unit: str = "CNY") -> pd.DataFrame:
        """Tidy table, one row per region × service × ecosystem type × scenario × year.

        Columns: :data:`TIDY_COLUMNS` (region, category, service, item, ecosystem, quantity,
        quantity_unit, value, value_unit, year, price_year, scenario, profile, status).
        Ecosystem types absent from a region are left out.  Each indicator of
        :attr:`not_computed` adds one row per region, scenario and year with quantity and value
        empty, ecosystem empty and ``status`` ``"not computed: <what it needs>"``; computed rows
        have ``status`` ``"computed"``.  ``year`` and ``price_year`` are empty (NaN) for an
        account computed without them (no −1).
        """
        ds = self.data
        df = (
            xr.Dataset(
                {"quantity": ds["quantity"], "value": ds["value"] * self._value_factor(value_unit), "area": ds["area"]}
            )
            .to_dataframe()
            .reset_index()
        )
        from_lines = df["service"].map(dict(zip(ds["service"].values, ds["basis"].values, strict=True))) == "lines"
        shown = (df["area"] > 0) & ~from_lines | from_lines & ((df["quantity"] != 0) | (df["value"] != 0))
        df = df[shown & (df["quantity"].notna() | df["value"].notna())]  # quantity NaN: a line gave only its value
        cats = dict(zip(ds["service"].values, ds["category"].values, strict=True))
        df["quantity_unit"] = _unit_labels(ds, df, True)
        df["category"] = df["service"].map(cats)
        df["value_unit"] = unit_label(f"{value_unit} / yr")
        df["price_year"] = known_year(ds.attrs.get("price_year"))
        df["profile"] = ds.attrs.get("profile", "")
        df["status"] = COMPUTED
        columns = TIDY_COLUMNS
        if self.uncertainty is not None:  # value_p05, value_p95 after value (gepcalc.uncertainty)
            df, columns = self.uncertainty.tidy(df, self._value_factor(value_unit), TIDY_COLUMNS)
        if len(self.not_computed):
            missing = [
                {
                    "region": region,
                    "category": r.category,
                    "service": r.service,
                    "item": r.item,
                    "ecosystem": "",
                    "quantity": np.nan,
                    "quantity_unit": r.quantity_unit,
                    "value": np.nan,
                    "value_unit": unit_label(f"{value_unit} / yr"),
                    "year": year,
                    "price_year": known_year(ds.attrs.get("price_year")),
                    "scenario": scenario,
                    "profile": ds.attrs.get("profile", ""),
                    "status": f"not computed: {r.reason}",
                }
                for region in ds["region"].values
                for scenario in ds["scenario"].values
                for year in ds["year"].values
                for r in self.not_computed.itertuples()
            ]
            df = pd.concat([df[columns], pd.DataFrame(missing, columns=TIDY_COLUMNS)], ignore_index=True)
        return df[columns].reset_index(drop=True)

    def summary(self, unit: str = "亿元") -> pd.DataFrame:
        """One row per service and item: names (中文/English), quantity with unit, value and share.

        Columns as :meth:`by` ``("service", "item")``: ``service``, ``item``, ``name_zh``,
        ``name_en``, ``category``, ``quantity``, ``quantity_unit``, ``value`` [``unit``/yr]
        (units in ``df.attrs["units"]``), ``share``.  The last column, ``status``, is
        ``"computed"``; the indicators of :attr:`not_computed` follow the computed ones, one row
        each, with quantity, value and share empty and ``status`` ``"not computed: <what it needs>"``.
        """
        df = self.by("service", "item", unit=unit)
        df["status"] = COMPUTED
        if not len(self.not_computed):
            return with_units(df, unit)
        nc = self.not_computed
        rows = pd.DataFrame(
            {
                "service": nc["service"].values,
                "item": nc["item"].values,
                "name_zh": nc["name_zh"].values,
                "name_en": nc["name_en"].values,
                "category": nc["category"].values,
                "quantity": np.nan,
                "quantity_unit": nc["quantity_unit"].values,
                "value": np.nan,
                "share": np.nan,
                "status": [f"not computed: {r}" for r in nc["reason"]],
            }
        )
        return with_units(pd.concat([df, rows[[c for c in df.columns if c in rows]]], ignore_index=True), unit)

    # -- combining ------------------------------------------------------------------------
    def revalue(
        self,
        prices: Mapping[str, str | Path | CoefficientTable] | None = None,
        overrides: Mapping[str, Mapping[Any, Mapping[str, Any]]] | None = None,
    ) -> Account:
        r"""The same quantities at other prices: a new account, no raster work.

        Each service's value parameters are resolved again from the context's tables with
        ``prices`` (replacement tables by name, e.g. ``{"prices": "my_prices.csv"}``) and
        ``overrides`` (single values, ``{"prices": {"water_storage_cost": {"price": "7.06 CNY/m**3"}}}``)
        applied, and the value is

        .. math:: V'_{s,i,r,e} = \mathrm{value}_s(Q_{s,i,r,e}, P') \cdot f_s  \quad [CNY/yr]

        on the account's quantities :math:`Q` (after the profile's double-counting rules, which
        scale quantity and value alike).  Replacements and overrides are taken at the account's
        price year as given (not repriced).  Services given by lines keep their line values; a
        parameter that also changes a quantity (soil contents of soil retention's nutrients,
        ``regional_uses_value_params``) is only re-valued here: use :meth:`recompute` for it.
        ``sources`` gets the new values' rows for the changed tables, the notes say what was
        revalued; ``adjustments`` and ``uncertainty`` are not recomputed.

        Raises
        ------
        ConfigError
            The account has no context (:func:`concat`, :meth:`sel`), or a table it did not use.
        """
        return revalued(self, prices, overrides)

    def recompute(self, **changes) -> Account:
        """:func:`account` again with the arguments this one was computed with, ``changes`` replacing some.

        E.g. ``acct.recompute(year=2021, landcover="lc2021.tif")``.  The raster work is done again.

        Raises
        ------
        ConfigError
            The account has no context (made by :func:`concat` or :meth:`sel`).
        """
        if self.context is None:
            raise ConfigError(
                "this account has no context (made by gepcalc.concat or Account.sel, not computed from one set of "
                "inputs): recompute the accounts it was made of"
            )
        return self.context.recompute(**changes)

    def sel(self, **indexers) -> Account:
        """A sub-account, e.g. ``acct.sel(region=["A", "B"])`` (values are not recomputed)."""
        return Account(
            self.data.sel(**indexers),
            self.sources,
            self.notes,
            lines=self.lines,
            adjustments=self.adjustments,
            not_computed=self.not_computed,
        )

    # -- exports --------------------------------------------------------------------------
    def to_csv(self, path: str | Path, value_unit: str = "CNY") -> Path:
        """Write the tidy table as UTF-8 CSV with a BOM (so Excel shows Chinese correctly)."""
        path = Path(path)
        with atomic(path) as tmp:
            self.table(value_unit).to_csv(tmp, index=False, encoding="utf-8-sig")
        return path

    def to_excel(self, path: str | Path, value_unit: str = "万元") -> Path:
        """Write a workbook: summary, by category, by region, tidy account, sources, notes."""
        from gepcalc.export import write_excel

        return write_excel(self, Path(path), value_unit)

    def to_seea(self, closing: Account | None = None, **kwargs):
        """SEEA EA tables of this account (the opening one) and ``closing``: :func:`gepcalc.seea.seea`."""
        from gepcalc.seea import seea

        return seea(self, closing, **kwargs)

    def to_html(self, path: str | Path, unit: str = "亿元", **map_args) -> Path:
        """Write the county report (:func:`gepcalc.report.write_html`): totals, charts, value map, sources.

        ``map_args``: ``landcover``, ``regions``, ``region_field`` … as given to :func:`account`, for the
        value map (default: the land cover recorded in the account, no outline).
        """
        from gepcalc.report import write_html

        return write_html(self, Path(path), unit, **map_args)


def _unit_labels(ds: xr.Dataset, df: pd.DataFrame, per_item: bool) -> list[str]:
    """Quantity unit of each row of ``df`` (its service and, if ``per_item``, item; else the only item)."""
    table = ds["item_unit"].transpose("service", "item").values
    by_pair = {
        (s, i): table[a, b]
        for a, s in enumerate(ds["service"].values)
        for b, i in enumerate(ds["item"].values)
        if table[a, b]
    }
    single = {}
    for (s, _), u in by_pair.items():
        single[s] = u if single.get(s, u) == u else None
    out = []
    for r in df.itertuples():
        u = by_pair.get((r.service, r.item)) if per_item else single.get(r.service)
        out.append(unit_label(u) if u else "")
    return out


def concat(accounts: Iterable[Account]) -> Account:
    """Put accounts of several scenarios or years side by side (same services and regions).

    Accounts without a year (NaN year coordinate, module docstring) combine along ``scenario`` and
    keep their missing year; an account of each year at that year's prices gets
    ``attrs["price_basis"] = "current"``.
    """
    accounts = list(accounts)
    data = xr.combine_by_coords([a.data for a in accounts], combine_attrs="drop_conflicts")
    years = [known_year(y) for a in accounts for y in a.data["year"].values]
    if len(set(years)) > 1 and all(
        a.data.sizes["year"] == 1
        and known_year(a.data["year"].values[0]) is not None
        and known_year(a.data.attrs.get("price_year")) == known_year(a.data["year"].values[0])
        for a in accounts
    ):  # each year at its own prices: gepcalc.deflators can still deflate the combined account
        data.attrs["price_basis"] = "current"
    sources = pd.concat([a.sources for a in accounts], ignore_index=True).drop_duplicates()
    notes = list(dict.fromkeys(n for a in accounts for n in a.notes))
    lines = pd.concat([a.lines for a in accounts], ignore_index=True)
    adjustments = pd.concat([a.adjustments for a in accounts], ignore_index=True)
    not_computed = pd.concat([a.not_computed for a in accounts], ignore_index=True).drop_duplicates()
    return Account(data, sources, notes, lines=lines, adjustments=adjustments, not_computed=not_computed)
