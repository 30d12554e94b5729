"""The GEP account: service results summed over regions and ecosystem types.

:func:`account` runs the flow: land cover → landscape (ecosystem types, cell
areas, regions) → each service's physical quantity per pixel (lazy) → one zonal
sum by region × ecosystem type for all services at once (flox, chunk by chunk)
→ values → :class:`Account`.  The land cover is read twice (a class count, then
the one pass that computes every service); memory is bounded by the chunk size,
not the raster size (``docs/benchmarks.md``).

An :class:`Account` wraps an :class:`xarray.Dataset` with variables
``quantity`` and ``value`` (dims ``service, region, ecosystem, scenario, year``)
and ``area``; units live in coordinates and attributes.  Its views return
pandas tables; money can be shown in CNY, 万元 or 亿元.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pint
import xarray as xr

from gepcalc import services as registry
from gepcalc.areas import area_corrections, correct_areas
from gepcalc.context import AccountContext, revalued
from gepcalc.errors import (
    CoefficientTableError,
    ConfigError,
    LineError,
    MissingInputError,
    NodataError,
)
from gepcalc.io import Chunks, atomic, naming_unreadable
from gepcalc.landscape import Landscape, build_landscape, ecosystem_types
from gepcalc.lines import (
    UNALLOCATED,
    LinesLand,
    ValuedLines,
    allocation_weights,
    as_frame,
    compare_reported,
    item_unit,
    line_arrays,
    provenance,
    read_lines,
    refuse_value_only_in_rules,
    rule_values,
    value_lines,
)
from gepcalc.pricing import (
    FROM_PROFILE,
    FromProfile,
    default_rows,
    line_price_notes,
    price_index_of,
    price_regions_of,
    refuse_unrepriced,
    reprice_tables,
    source_notes,
)
from gepcalc.profiles import Profile, load_profile
from gepcalc.resolve import arguments, check_input_names
from gepcalc.rules import apply_rules
from gepcalc.services.base import CATEGORY_NAMES, Service, check_service
from gepcalc.tables import CoefficientTable, load_table
from gepcalc.units import Q_, VALUE_UNIT, factor, unit_label, ureg
from gepcalc.zonal import on_grid, zonal_sums

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

#: columns of :attr:`Account.not_computed`
NOT_COMPUTED_COLUMNS = ["service", "category", "reason", "item", "name_zh", "name_en", "quantity_unit"]

#: ``status`` of a computed row in the summary and the tidy table
COMPUTED = "computed"


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
        return (
            f"<gepcalc.Account {self.data.attrs.get('title', '')}: GEP = {gep.magnitude:,.2f} 亿元/yr, "
            f"{self.data.sizes['service']} services, {self.data.sizes['region']} regions, "
            f"scenario(s) {self.data.scenario.values.tolist()}, year(s) {self.data.year.values.tolist()}>"
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
        """
        dims = dims or ("category",)
        ds = self.data
        value = ds["value"]
        keep_dims = [d for d in dims if d != "category"]
        if "category" in dims:
            value = value.groupby("category").sum()
            keep_dims = ["category", *keep_dims]
        col = f"value [{unit}/yr]"
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
        return df

    def total(self, unit: str = "亿元") -> pd.DataFrame:
        """GEP by category (provisioning / regulating / cultural) with shares, and the total."""
        df = self.by("category", unit=unit)
        df.insert(1, "name_zh", [CATEGORY_NAMES[c][0] for c in df["category"]])
        df.insert(2, "name_en", [CATEGORY_NAMES[c][1] for c in df["category"]])
        col = f"value [{unit}/yr]"
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
        return pd.concat([df, total], ignore_index=True)

    def table(self, value_unit: str = "CNY") -> pd.DataFrame:
        """Tidy table, one row per region × service × ecosystem type × scenario × year.

        Columns: :data:`TIDY_COLUMNS` (region, category, service, item, ecosystem, quantity,
        quantity_unit, value, value_unit, year, price_year, scenario, profile, status).
        Ecosystem types absent from a region are left out.  Each indicator of
        :attr:`not_computed` adds one row per region, scenario and year with quantity and value
        empty, ecosystem empty and ``status`` ``"not computed: <what it needs>"``; computed rows
        have ``status`` ``"computed"``.
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
        df["price_year"] = ds.attrs.get("price_year")
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
                    "price_year": ds.attrs.get("price_year"),
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

        The last column, ``status``, is ``"computed"``; the indicators of :attr:`not_computed`
        follow the computed ones, one row each, with quantity, value and share empty and
        ``status`` ``"not computed: <what it needs>"``.
        """
        df = self.by("service", "item", unit=unit).rename(columns={"name_zh": "指标", "name_en": "indicator"})
        df["status"] = COMPUTED
        if not len(self.not_computed):
            return df
        nc = self.not_computed
        rows = pd.DataFrame(
            {
                "service": nc["service"].values,
                "item": nc["item"].values,
                "指标": nc["name_zh"].values,
                "indicator": nc["name_en"].values,
                "category": nc["category"].values,
                "quantity": np.nan,
                "quantity_unit": nc["quantity_unit"].values,
                f"value [{unit}/yr]": np.nan,
                "share": np.nan,
                "status": [f"not computed: {r}" for r in nc["reason"]],
            }
        )
        return pd.concat([df, rows[[c for c in df.columns if c in rows]]], ignore_index=True)

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
        return account(**{**self.context.kwargs, **changes})

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
    """Put accounts of several scenarios or years side by side (same services and regions)."""
    accounts = list(accounts)
    data = xr.combine_by_coords([a.data for a in accounts], combine_attrs="drop_conflicts")
    if len({int(y) for a in accounts for y in a.data["year"].values}) > 1 and all(
        a.data.sizes["year"] == 1 and int(a.data.attrs.get("price_year", -1)) == int(a.data["year"].values[0])
        for a in accounts
    ):  # each year at its own prices: gepcalc.deflators can still deflate the combined account
        data.attrs["price_basis"] = "current"
    sources = pd.concat([a.sources for a in accounts], ignore_index=True).drop_duplicates()
    notes = list(dict.fromkeys(n for a in accounts for n in a.notes))
    lines = pd.concat([a.lines for a in accounts], ignore_index=True)
    adjustments = pd.concat([a.adjustments for a in accounts], ignore_index=True)
    not_computed = pd.concat([a.not_computed for a in accounts], ignore_index=True).drop_duplicates()
    return Account(data, sources, notes, lines=lines, adjustments=adjustments, not_computed=not_computed)


# -- building ---------------------------------------------------------------------------------


@naming_unreadable
def account(
    landcover=None,
    regions=None,
    *,
    region_field: str | None = None,
    region_name: str | None = None,
    landcover_classes: str | Path | CoefficientTable | bool | None = None,
    inputs: Mapping[str, Any] | None = None,
    lines: str | Path | pd.DataFrame | Sequence[str | Path | pd.DataFrame] | None = None,
    statistics: Mapping[str, Any] | None = None,
    tables: Mapping[str, str | Path | CoefficientTable] | None = None,
    overrides: Mapping[str, Mapping[Any, Mapping[str, Any]]] | None = None,
    services: Sequence[str | type[Service]] | None = None,
    methods: Mapping[str, str] | None = None,
    items: Mapping[str, Sequence[str]] | None = None,
    ecosystems: Mapping[str, Sequence[str]] | None = None,
    profile: str | Path | Profile = "mee-2020",
    year: int | None = None,
    price_year: int | None = None,
    price_index: str | FromProfile | None = FROM_PROFILE,
    price_region: str | Sequence[str] | None = None,
    deflators: str | Path | CoefficientTable | None = None,
    scenario: str = "baseline",
    title: str = "",
    chunks: Chunks = True,
    progress: bool = False,
    missing: str = "error",
    areas: Mapping[str, Mapping[str, Any]] | None = None,
    uncertainty: int | None = None,
    seed: int | None = None,
) -> Account:
    """Compute a GEP account.

    Parameters
    ----------
    landcover
        Land-cover raster (path or DataArray with CRS) of integer class codes; None for an
        account made of lines only (every service given by ``lines``/``statistics``).
    regions
        Region polygons (file or GeoDataFrame); None = the whole raster.
    region_field
        Column with region names.
    region_name
        Name of the single region when ``regions`` is None.
    landcover_classes
        Land-cover → ecosystem mapping table (default: the profile's, ``landcover_igbp``);
        False: no mapping, every pixel is of one type ``"all"`` (parameters then come
        per land-cover code, e.g. from an InVEST biophysical table).
    inputs
        Service inputs by parameter name (``"precipitation": "1430 mm/yr"``), or
        ``"service.param"`` for one service only.  Values may be scalars with units,
        ``{"raster": path, "unit": ...}``, or ``{ecosystem: value, ...}``.
    lines
        Reported quantities (CSV/Excel/DataFrame, or a list): region, service, item, quantity,
        unit, source, optional price/price_unit/price_source, value (reported), ecosystem,
        origin (see :mod:`gepcalc.lines`).  A service with lines takes its quantity from them
        instead of rasters; statistics services (provisioning, cultural) always do.
    statistics
        A statistics service's own table by service id, e.g. ``{"recreation": "sites.csv"}``
        (turned into lines by the service: ``to_lines``).
    tables
        Replacement tables by name (a path, or a loaded table); a CSV without a
        TOML sidecar takes the replaced table's metadata.
    overrides
        Single values: ``{"prices": {"water_storage_cost": {"price": "7.06 CNY/m**3"}}}``.
    services
        Service ids to compute (default: the profile's list), or service classes
        (e.g. one being developed, not registered).
    methods
        Method per service where not the profile's or the service's default,
        e.g. ``{"carbon_sequestration": "npp"}`` (``gepcalc services`` lists them).
    items
        Items (pollutants, products) per service where not the default,
        e.g. ``{"water_purification": ["cod", "tn", "tp"]}``.
    ecosystems
        Ecosystem types each service counts where not the profile's ``[ecosystems]`` or the
        ``included`` column of the service's table, e.g. ``{"water_conservation": ["forest",
        "shrubland", "grassland", "wetland", "farmland"]}`` (recorded in the notes and sources).
    profile
        Profile name or file fixing services and default tables.
    year, price_year, scenario
        Accounting year, price base year (default: ``year``), scenario label (recorded in
        every output).
    price_index
        Deflator series (``"cpi"``, ``"ppi"``, ``"agri_ppi"`` of the ``deflators`` table) that
        brings every price of the tables from its row's ``price_year`` to ``price_year``
        prices: :math:`p_t = p_s L_t / L_s`, with the series of the row's region (national
        where the table has none for it).  Default: the profile's (``cpi``).  None (or
        ``"none"``) uses the prices as they are and says so in the notes.  A price the deflator
        table cannot bring to ``price_year`` stops the account (table, row, year, years covered).
        A user's override of a price is not repriced unless it gives its ``price_year``.
    price_region
        Region(s) whose price rows are preferred: row ``X@zhejiang`` is used for ``X`` when
        ``"zhejiang"``; ``national`` rows otherwise.  Default: the profile's.
    deflators
        The price-index table used by ``price_index`` (name, path or table of the shape of
        ``deflators``, e.g. :func:`gepcalc.deflators.from_mapping`); the built-in one when None.
    chunks
        Raster chunking; the result does not depend on it.
    progress
        Show a progress bar while computing.
    missing
        What an indicator of the account that cannot be computed does: ``"error"`` (default)
        stops the account with the error naming what is missing; ``"list"`` leaves it out of
        the numbers and lists it in :attr:`Account.not_computed` with what it needs (and in
        ``summary``, ``table``, the CSV and the workbook), so the whole profile is shown.  Listed
        are: a service an input of which is not given (resolved before the raster pass), a
        service (or one of its items) with missing values after the zonal sum (an empty table
        cell, nodata in an input raster), a service whose per-region rule lacks an input, a
        service without a price (an empty price cell), and a statistics service of the profile
        without lines.  The raster is still summed once; the other services are unchanged.
    areas
        True areas of ecosystem types where the raster's pixels miss part of them, as
        ``{region: {ecosystem type: "573 km**2"}}`` (or ``{"area": "573 km**2", "source": "…"}``),
        e.g. a lake that 0.05° pixels see as 403 km².  After the zonal sum and before the
        per-region rules, the ``area`` of that region × type and the quantity of every extensive
        service (``spec.extensive``) there are multiplied by

        .. math:: f = A_{given} / A_{raster}

        so per-region rules (the lake-storage regression) see the corrected area; the factor is
        recorded in the notes and in ``sources`` (parameter ``area``, table ``areas (account
        input)``).  This assumes the missing area has the mean intensity of the type's pixels in
        the region: exact for services proportional to area with inputs constant over the type
        (per-area rates, per-type coefficients), an approximation where inputs vary in space
        (a precipitation or NPP raster).  A type with no pixel in the region (nothing to scale),
        a region or type not in the account and a value that is not an area are refused.
        Services given by lines are not scaled (their quantities are reported).
    uncertainty, seed
        Number of Monte Carlo draws over the coefficients that declare a range (``X_low``/``X_high``)
        and their seed (None = 0): every view then shows the mean and the 90 % interval
        (``value_p05``, ``value_p95``), see :mod:`gepcalc.uncertainty` (``docs/uncertainty.md``).

    Returns
    -------
    Account
        With :attr:`Account.context`: what it was computed from, these arguments included.
    """
    called = dict(locals())  # the arguments, first thing: Account.context.kwargs (Account.recompute)
    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    if missing not in ("error", "list"):
        raise ConfigError(f"account(missing={missing!r}): expected 'error' (stop) or 'list' (list what is missing)")
    listed: list[dict] | None = [] if missing == "list" else None  # rows of Account.not_computed
    chosen_methods = {**prof.methods, **(methods or {})}
    chosen_items = {**prof.items, **(items or {})}
    # unknown ids, methods, items, bad tables and bad lines fail before any raster work
    classes_cls = [
        check_service(s) if isinstance(s, type) else registry.get(s, chosen_methods.get(s))
        for s in (services or prof.services)
    ]
    order = {c.spec.id: i for i, c in enumerate(classes_cls)}  # not computed ones are listed in this order
    generic = _generic_lines(lines)
    stats = _statistics_tables(statistics)
    notes: list[str] = []
    classes_cls, generic, stats = _with_lines(
        classes_cls, generic, stats, explicit=services is not None, profile=prof, notes=notes, listed=listed
    )
    by_id = {c.spec.id: c for c in classes_cls}
    line_ids = set(generic["service"]) | set(stats)
    raster_cls = [c for c in classes_cls if c.spec.id not in line_ids]
    if landcover is None and services is None and raster_cls:  # an account of lines only
        if listed is not None:
            listed.extend(
                _nc_row(c, "needs a land-cover raster (landcover=...) or its quantities as lines (lines=...)")
                for c in raster_cls
            )
        else:
            notes.append(
                f"not computed, no land cover and no lines: {', '.join(c.spec.id for c in raster_cls)} "
                f"(profile {prof.id})"
            )
        classes_cls = [c for c in classes_cls if c.spec.id in line_ids]
        raster_cls = []
    item_ids = {cls.spec.id: cls.spec.item_ids(chosen_items.get(cls.spec.id)) for cls in raster_cls}
    price_year = price_year if price_year is not None else year
    price_index = price_index_of(price_index, prof)
    price_regions = price_regions_of(price_region, prof)
    chosen: dict[tuple[str, str], str] = {}
    loaded = load_tables(
        classes_cls, prof, tables or {}, overrides or {}, item_ids, regions=price_regions, chosen=chosen
    )
    repriced, unrepriced = reprice_tables(
        loaded,
        price_year,
        price_index,
        overrides or {},
        default_rows(classes_cls, item_ids, inputs or {}),
        deflators,
    )
    all_lines = _all_lines(generic, stats, by_id, loaded)
    valued = value_lines(all_lines, by_id, loaded, outside=prof.outside, provisioning=prof.provisioning)
    inputs = dict(inputs or {})
    notes += check_input_names(inputs, classes_cls, registry.all_methods())
    counted_types = _counted_types(prof, ecosystems or {}, by_id, inputs)
    notes.extend(note for _, note in counted_types.values())
    if landcover is None and raster_cls:
        raise MissingInputError(
            f"services {[c.spec.id for c in raster_cls]} are computed from a land-cover raster, and none was "
            "given; give `landcover`, or their quantities as lines (lines=...), or choose services=..."
        )
    land = (
        build_landscape(
            landcover,
            classes=None if landcover_classes is False else (landcover_classes or prof.landcover_classes),
            regions=regions,
            region_field=region_field,
            region_name=region_name,
            chunks=chunks,
        )
        if landcover is not None
        else None
    )

    origins: list[dict] = []
    gaps: dict[tuple[str, str], str] = {}

    def args(cls, which: str, where=None, its=None, record: bool = True) -> dict:
        return arguments(
            cls,
            which,
            inputs=inputs,
            tables=loaded,
            land=where or land,
            items=its if its is not None else item_ids[cls.spec.id],
            origins=origins if record else None,
            gaps=gaps,
        )

    corrections = area_corrections(areas, land)
    result, values, area = (
        _raster_services(
            raster_cls,
            land,
            args,
            item_ids,
            gaps,
            progress,
            origins=origins,
            listed=listed,
            corrections=corrections,
            notes=notes,
        )
        if land is not None
        else ({}, {}, None)
    )
    notes.extend(n for r in result.values() for n in r.attrs.pop("notes", []))  # per-region rules say what they did
    regions_ = list(land.region_names) if land is not None else list(dict.fromkeys(all_lines["region"]))
    ecosystems = [*(land.ecosystem_ids if land is not None else _line_ecosystems(all_lines)), UNALLOCATED]
    for cls in classes_cls:
        if cls.spec.id in line_ids:
            try:
                q, v, more = _line_service(cls, valued, loaded, regions_, ecosystems, area, args, origins)
            except (MissingInputError, NodataError) as exc:  # e.g. lines valued by a rule whose price is empty
                if listed is None:
                    raise
                _forget(origins, cls.spec.id)
                listed.append(_nc_row(cls, str(exc)))
                valued.lines = valued.lines[valued.lines["service"] != cls.spec.id]
                continue
            result[cls.spec.id], values[cls.spec.id] = q, v
            notes.extend(more)
    if listed:
        listed.sort(key=lambda r: order.get(r["service"], len(order)))  # stable: items keep their order
        dropped = {r["service"] for r in listed if not r["item"]}
        classes_cls = [c for c in classes_cls if c.spec.id not in dropped]
        if not classes_cls:
            raise MissingInputError(
                "no indicator of the account could be computed: "
                + "; ".join(f"{r['service']}: {r['reason']}" for r in listed)
            )
        notes.append(
            f"not computed (Account.not_computed, the 'not computed 未核算' sheet): "
            f"{', '.join(dict.fromkeys(r['service'] + ('.' + r['item'] if r['item'] else '') for r in listed))}"
        )
    if len(valued.lines):
        compare_reported(valued.lines)  # again: lines valued by their service now have values
    if area is None:
        area = xr.DataArray(
            np.zeros((len(regions_), len(ecosystems) - 1)),
            {"region": regions_, "ecosystem": ecosystems[:-1]},
            ("region", "ecosystem"),
        )
    units = _units(result, classes_cls, valued)
    refuse_value_only_in_rules(valued.lines, prof.double_counting, list(result))
    result, values, adjustments = apply_rules(prof, result, values, units)
    notes.extend(adjustments.attrs.get("notes", []))
    data = _assemble(
        classes_cls,
        result,
        area,
        values,
        land,
        units=units,
        names=_item_names(classes_cls, valued),
        from_lines=line_ids,
        year=year,
        price_year=price_year,
        scenario=scenario,
        profile=prof,
        title=title,
    )
    data.attrs["price_basis"] = (
        f"{price_year} prices ({price_index})" if price_index and price_year is not None else "table prices"
    )
    data.attrs["price_region"] = ", ".join(price_regions)
    sources = pd.DataFrame(origins)
    for sid, (by, note) in counted_types.items():  # the `included` values came from the choice, not from a table
        if by and len(sources) and "parameter" in sources:
            mine = (sources["service"] == sid) & (sources["parameter"] == "included")
            sources.loc[mine, "table"] = by
            sources.loc[mine, "source"] = note
    notes = (list(land.notes) if land is not None else []) + notes
    refuse_unrepriced(sources, unrepriced, valued.lines)
    notes += source_notes(sources, loaded, repriced, price_year, price_index, price_regions, chosen)
    notes += _outside_notes(valued, prof)
    if "warning" in sources:  # inputs outside their usual range (gepcalc.plausible)
        notes += list(dict.fromkeys(sources["warning"].dropna()))
    items_all = {sid: tuple(str(i) for i in r["item"].values) if "item" in r.dims else () for sid, r in result.items()}
    lines_table = provenance(valued)
    notes += line_price_notes(lines_table, repriced)
    acct = Account(
        data,
        sources,
        notes,
        lines=lines_table,
        adjustments=adjustments,
        not_computed=pd.DataFrame(listed or [], columns=NOT_COMPUTED_COLUMNS),
    )
    acct.context = AccountContext(
        land=land,
        tables=loaded,
        classes=tuple(classes_cls),
        items={**items_all, **item_ids},
        inputs=inputs,
        from_lines=frozenset(line_ids),
        profile=prof,
        overrides=overrides or {},
        corrections=tuple(corrections),
        kwargs=called,
    )
    if uncertainty:  # Monte Carlo over the declared ranges (no raster work per draw where linear)
        from gepcalc.uncertainty import attach

        attach(acct, uncertainty, seed)
    return acct


def _nc_row(cls, reason: str, item: str = "") -> dict:
    """One row of :attr:`Account.not_computed`: the service (or one of its items) and what it needs."""
    spec = cls.spec
    zh, en = spec.name_zh, spec.name_en
    if item:
        it = next((i for i in spec.items if i.id == item), None)
        zh += f" · {it.name_zh if it else item}"
        en += f" · {it.name_en if it else item}"
    unit = item_unit(spec, item) if item else spec.quantity_unit
    return {
        "service": spec.id,
        "category": spec.category,
        "reason": reason,
        "item": item,
        "name_zh": zh,
        "name_en": en,
        "quantity_unit": _label(unit),
    }


def _label(unit: str) -> str:
    try:
        return unit_label(unit) if unit else ""
    except Exception:  # a statistics service's unit that pint does not read: shown as written
        return str(unit)


def _counted_types(
    prof: Profile, given: Mapping[str, Sequence[str]], by_id, inputs: dict
) -> dict[str, tuple[str, str]]:
    """The ecosystem types counted per service chosen by the profile (``[ecosystems]``) or ``account(ecosystems=)``.

    Each choice becomes the service's ``included`` input (1 for the types named, 0 for the
    others), unless the user gave ``included`` for that service; returns per service who chose
    (``""`` where the choice was not used) and a note.
    """
    known = list(ecosystem_types().keys)
    out = {}
    for sid, types in {**prof.ecosystems, **given}.items():
        by = "account(ecosystems=...)" if sid in given else f"profile {prof.id} [ecosystems]"
        cls = by_id.get(sid)
        if cls is None:
            if sid in given and sid not in registry.available():
                raise MissingInputError(f"{by}: unknown service {sid!r}")
            continue  # a service the account does not compute
        unknown = [t for t in types if t not in known]
        if unknown:
            raise MissingInputError(f"{by}: {sid} names unknown ecosystem type(s) {unknown}; known: {', '.join(known)}")
        p = next((p for p in cls.spec.params if p.name == "included" and "per_ecosystem" in p.kinds), None)
        if p is None:
            raise MissingInputError(
                f"{by}: service {sid!r} ({cls.spec.key}) has no per-type switch 'included'; its types are set "
                "by its own table columns (see `gepcalc tables`)"
            )
        if f"{sid}.included" in inputs or "included" in inputs:
            out[sid] = ("", f"{sid}: ecosystem types of {by} not used: the input 'included' was given")
            continue
        inputs[f"{sid}.included"] = {e: 1.0 if e in types else 0.0 for e in known}
        table = p.default.table if p.default else "?"
        out[sid] = (
            by,
            f"{sid}: ecosystem types counted {', '.join(types) or '(none)'} ({by}), "
            f"instead of the 'included' column of table {table!r}",
        )
    return out


def _raster_services(
    raster_cls,
    land: Landscape,
    args,
    item_ids,
    gaps,
    progress,
    *,
    origins: list[dict],
    listed: list[dict] | None = None,
    corrections: Sequence[tuple] = (),
    notes: list[str] | None = None,
):
    """Quantities (summed by region × ecosystem, then per-region rules), values and areas of raster services.

    With ``listed`` (``account(missing="list")``) a service that cannot be computed is left out
    and a row saying what it needs is appended to ``listed``, at four points: its arguments are
    resolved before the raster pass (an input not given); after the one zonal sum (missing values:
    the service, or only the items that have them); its per-region rule (an input it lacks); its
    value (an empty price).  Without it the first such problem stops the account.
    ``corrections`` (:func:`gepcalc.areas.area_corrections`) scale areas and extensive quantities after the sum.
    """
    by_id = {c.spec.id: c for c in raster_cls}
    quantities = {}
    for cls in raster_cls:
        try:
            pargs = args(cls, "physical")
            if listed is not None:  # every argument, so that a missing one is known before the raster pass
                args(cls, "regional", record=False)
                args(cls, "value", record=False)
            q = on_grid(cls.physical(area=land.area, **pargs), land)
        except (MissingInputError, NodataError) as exc:
            if listed is None:
                raise
            _forget(origins, cls.spec.id)  # the values of a service left out are not sources of the account
            listed.append(_nc_row(cls, str(exc)))
            continue
        if "item" in q.dims:  # a service computing all its components keeps the chosen ones
            q = q.sel(item=list(item_ids[cls.spec.id]))
        quantities[cls.spec.id] = q
    ids = list(quantities)
    sums = zonal_sums(quantities, land, progress)
    ids = _drop_nan(sums, land, ids, gaps, by_id, listed, item_ids, origins)
    area = correct_areas(sums, corrections, [by_id[s] for s in ids], origins, notes)
    result = {}
    for sid in ids:
        cls = by_id[sid]
        q = sums[sid]
        if cls.spec.items and "item" not in q.dims:  # one quantity for all items: regional() makes each item's
            q = q.expand_dims(item=list(item_ids[sid]))
        try:
            rargs = args(cls, "regional")
            if getattr(cls, "regional_uses_value_params", False):  # e.g. soil contents turning soil into nutrients
                rargs = {**args(cls, "value", record=False), **rargs}
            result[sid] = cls.regional(q, area, **rargs)
        except (MissingInputError, NodataError) as exc:
            if listed is None:
                raise
            _forget(origins, sid)
            listed.append(_nc_row(cls, str(exc)))
    ids = _drop_nan(result, land, list(result), gaps, by_id, listed, item_ids, origins)
    values = {}
    for sid in ids:
        cls = by_id[sid]
        vargs = args(cls, "value")
        values[sid] = cls.value(result[sid], **vargs) * cls.value_factor()
        try:
            _refuse_missing_price(cls, values[sid], result[sid], vargs)
        except NodataError as exc:
            if listed is None:
                raise
            bad = _items_lacking_price(cls, values[sid], result[sid], vargs)
            if bad is None:  # the whole service
                _forget(origins, sid)
                listed.append(_nc_row(cls, str(exc)))
                del values[sid]
                continue
            listed.extend(_nc_row(cls, why, item=i) for i, why in bad.items())
            keep = [i for i in result[sid]["item"].values if i not in bad]
            result[sid], values[sid] = result[sid].sel(item=keep), values[sid].sel(item=keep)
    return {sid: result[sid] for sid in values}, values, area


def _forget(origins: list[dict], sid: str) -> None:
    """Take the values used by service ``sid`` (left out of the account) out of its sources, in place."""
    origins[:] = [o for o in origins if o.get("service") != sid]


def _drop_nan(sums, land: Landscape, ids: list[str], gaps: dict, by_id, listed, item_ids, origins) -> list[str]:
    """:func:`_refuse_nan`, or with ``listed`` the services (or items) with missing values listed and dropped.

    Returns the ids still computed.  A service several items of which are summed loses only the
    items with missing values where others have none (each listed on its own row).
    """
    if listed is None:
        _refuse_nan(sums, land, ids, gaps, by_id)
        return ids
    keep = []
    for sid in ids:
        try:
            _refuse_nan(sums, land, [sid], gaps, by_id)
            keep.append(sid)
            continue
        except NodataError as exc:
            whole = str(exc)
        da = sums[sid]
        if "item" in da.dims and da.sizes["item"] > 1:
            items = [str(i) for i in da["item"].values]
            bad = [i for i in items if bool(da.sel(item=i).isnull().any())]
            good = [i for i in items if i not in bad]
            if good:
                for i in bad:
                    try:
                        _refuse_nan({sid: da.sel(item=[i])}, land, [sid], gaps, by_id)
                    except NodataError as exc:
                        listed.append(_nc_row(by_id[sid], str(exc), item=i))
                sums[sid] = da.sel(item=good)
                item_ids[sid] = tuple(good)  # the value parameters are resolved for these only
                keep.append(sid)
                continue
        listed.append(_nc_row(by_id[sid], whole))
        _forget(origins, sid)
    return keep


def _items_lacking_price(cls, value, quantity, vargs: dict) -> dict[str, str] | None:
    """Items whose value lacks a price, with the message; None where it is the whole service."""
    if "item" not in value.dims or value.sizes["item"] < 2:
        return None
    bad = {}
    for i in [str(x) for x in value["item"].values]:
        try:
            _refuse_missing_price(cls, value.sel(item=[i]), quantity.sel(item=[i]), vargs)
        except NodataError as exc:
            bad[i] = str(exc)
    return bad if bad and len(bad) < value.sizes["item"] else None


def _line_ecosystems(all_lines: pd.DataFrame) -> list[str]:
    """Ecosystem types named by lines (an account without land cover), checked against the types table."""
    known = list(ecosystem_types().keys)
    named = [e for e in dict.fromkeys(all_lines["ecosystem"]) if e and e != UNALLOCATED] if len(all_lines) else []
    bad = all_lines[all_lines["ecosystem"].isin([e for e in named if e not in known])]
    if len(bad):
        r = bad.iloc[0]
        raise LineError(
            f"{r['file']}, row {r['row']}: ecosystem type {r['ecosystem']!r} is not one of {', '.join(known)}"
        )
    return sorted(named, key=known.index)


def _generic_lines(lines) -> pd.DataFrame:
    """The ``lines=`` of the account, read and checked (an empty frame when none)."""
    frames = as_frame(lines)
    if not frames:
        return read_lines(pd.DataFrame({"region": [], "service": [], "quantity": [], "unit": []}))
    return pd.concat(frames, ignore_index=True)


def _statistics_tables(statistics) -> dict[str, list[pd.DataFrame]]:
    """Each statistics service's own tables, read (English column names) but not yet turned into lines."""
    from gepcalc.lines import canonical_columns, read_frame

    out = {}
    for sid, src in (statistics or {}).items():
        if not registry.get(sid).spec.statistical:
            raise MissingInputError(
                f"statistics={{{sid!r}: ...}}: {sid!r} is computed from rasters; give its reported "
                "quantities as lines (lines=...) instead"
            )
        out[sid] = []
        for one in [src] if isinstance(src, str | Path | pd.DataFrame) else src:
            df, where = read_frame(one)
            df = canonical_columns(df, where)
            df.attrs["source"] = where
            out[sid].append(df)
    return out


def _all_lines(generic: pd.DataFrame, stats, by_id, tables) -> pd.DataFrame:
    """Generic lines and the statistics tables turned into lines by their services (with the account's tables).

    A statistics table that already has a quantity column is read as lines as it is.
    """
    frames = [generic]
    for sid, raws in stats.items():
        for raw in raws:
            where = raw.attrs["source"]
            table = raw if "quantity" in raw else by_id[sid].to_lines(raw, where=where, tables=tables)
            table.attrs["source"] = where
            frames.append(read_lines(table, service=sid))
    return pd.concat(frames, ignore_index=True)


def _with_lines(
    classes_cls,
    generic: pd.DataFrame,
    stats: dict,
    *,
    explicit: bool,
    profile: Profile,
    notes: list,
    listed: list | None = None,
):
    """Check the lines name services of the account; leave out statistics services without lines.

    A statistics service in the profile's list but without lines is left out with a note
    (the account then lacks it, and says so), or listed in ``listed`` (``missing="list"``:
    rows of :attr:`Account.not_computed`); one the user asked for by name is an error unless
    ``listed`` is given.
    Lines of a registered service the profile does not count are left out with a note.
    """
    ids = [c.spec.id for c in classes_cls]
    named = set(generic["service"]) | set(stats)
    unknown = sorted(named - set(ids))
    typos = [u for u in unknown if u not in registry.available()]
    if unknown and (explicit or typos):
        rows = generic[generic["service"].isin(unknown)][["file", "row"]].head(3).to_dict("records")
        raise LineError(
            f"lines name service(s) {unknown} (e.g. {rows or 'statistics=...'}) that are not in this account "
            f"({'services given' if explicit else 'profile ' + profile.id}: {', '.join(ids)}); "
            "add them to services=..., or check the spelling (`gepcalc services` lists the ids)"
        )
    if unknown:  # indicators the profile does not count (e.g. negative oxygen ions outside Zhejiang's)
        generic = generic[~generic["service"].isin(unknown)].reset_index(drop=True)
        stats = {k: v for k, v in stats.items() if k not in unknown}
        notes.append(
            f"lines of {unknown} left out: profile {profile.id} does not count these indicators "
            "(give services=... to count them anyway)"
        )
    keep, skipped = [], []
    for cls in classes_cls:
        if cls.spec.statistical and cls.spec.id not in named:
            if explicit and listed is None:
                raise MissingInputError(
                    f"service {cls.spec.id!r} is valued from statistics and no lines were given for it: give "
                    f"lines=... (region, service, item, quantity, unit, source) or statistics={{'{cls.spec.id}': "
                    "'file.csv'}"
                )
            if listed is not None:
                listed.append(
                    _nc_row(
                        cls,
                        f"needs statistics lines: give lines=... (region, service={cls.spec.id!r}, item, quantity, "
                        f"unit, source) or statistics={{'{cls.spec.id}': 'file.csv'}}",
                    )
                )
            else:
                skipped.append(f"{cls.spec.id} ({cls.spec.name_zh})")
            continue
        keep.append(cls)
    if skipped:
        notes.append(f"not computed, no statistics lines given: {', '.join(skipped)} (profile {profile.id})")
    return keep, generic, stats


def _line_service(cls, valued: ValuedLines, tables, regions, ecosystems, area, args, origins):
    """Quantity and value of a service given by lines (priced by the lines or by the service's rule)."""
    sid = cls.spec.id
    df = valued.lines[valued.lines["service"] == sid]
    weights = allocation_weights(sid, tables, ecosystems) if cls.spec.statistical else None
    priced, rest = df[df["priced_by"] != "service"], df[df["priced_by"] == "service"]
    q, v, notes = line_arrays(priced, sid, regions=regions, ecosystems=ecosystems, area=area, weights=weights)
    if len(rest):
        q2, v2, more = _valued_by_service(cls, rest, valued, regions, args, origins)
        notes += more
        q = xr.concat([q, q2.reindex(ecosystem=ecosystems, fill_value=0.0)], "item").groupby("item").sum(skipna=False)
        v = xr.concat([v, v2.reindex(ecosystem=ecosystems, fill_value=0.0)], "item").groupby("item").sum(skipna=False)
    missing = sorted(set(regions) - set(df["region"]))
    if missing and not cls.spec.statistical:
        notes.append(f"{sid}: no line for region(s) {missing[:10]}; counted as 0 there")
    if not cls.spec.items and not cls.spec.statistical:
        q, v = q.sel(item=NO_ITEM, drop=True), v.sel(item=NO_ITEM, drop=True)
    return q, v, notes


def _valued_by_service(cls, rest: pd.DataFrame, valued: ValuedLines, regions, args, origins):
    """Lines without a price, valued by the service's own value rule and price parameters."""
    sid = cls.spec.id
    ecos = list(dict.fromkeys(e or UNALLOCATED for e in rest["ecosystem"]))
    q, _, notes = line_arrays(rest, sid, regions=regions, ecosystems=ecos, area=None, weights=None)
    stand_in = LinesLand(list(regions), ecos, source=f"the lines of {sid!r}")
    start = len(origins)
    vargs = args(cls, "value", where=stand_in, its=list(q["item"].values) if cls.spec.items else [])
    # each line: quantity × the rule's value of one unit, with the parameters the line carries (lines.rule_values)
    per_line = rule_values(cls, rest, q, vargs)
    for (idx, r), value in zip(rest.iterrows(), per_line, strict=True):
        given = r.get("line_params") if isinstance(r.get("line_params"), Mapping) else {}
        if np.isnan(value) and r["quantity_in_unit"] != 0:
            rule_params = {k: v for k, v in vargs.items() if k not in given}
            _refuse_missing_price(cls, xr.DataArray([np.nan]), xr.DataArray([1.0]), rule_params)
        used = "; ".join(
            dict.fromkeys(
                f"{o['parameter']} = {o['value']} ({o.get('source') or o['table']})"
                for o in origins[start:]
                if o["parameter"] not in given
            )
        )
        mine = ", ".join(f"{k} = {m} {u}" for k, (m, u) in given.items())
        from_line = f"line: {mine}" + (f" ({r['price_source']})" if r["price_source"] else "") if mine else ""
        valued.lines.at[idx, "value_CNY"] = value
        valued.lines.at[idx, "price_used"] = f"value rule of {cls.spec.key}" + (f" with {mine}" if mine else "")
        valued.lines.at[idx, "price_source"] = "; ".join(x for x in (from_line, used) if x)
    _, v, _ = line_arrays(valued.lines.loc[rest.index], sid, regions=regions, ecosystems=ecos, area=None, weights=None)
    return q, v, notes


def load_tables(
    classes_cls: list[type[Service]],
    prof: Profile,
    user_tables,
    overrides,
    item_ids,
    *,
    regions: Sequence[str] = ("national",),
    chosen: dict | None = None,
) -> dict[str, CoefficientTable]:
    """The tables of the account: the profile's or the user's, overridden, and seen from ``regions``.

    In an item table with regional rows, row ``X`` takes the values of ``X@R`` for the first
    ``R`` of ``regions`` that has one (:func:`gepcalc.deflators.regional`); a row the user
    overrode stays as given.  ``chosen`` (when given) receives ``{(table, X): "X@R"}``.
    """
    from gepcalc.deflators import regional

    needed = {
        p.default.table
        for cls in classes_cls
        for p in (*cls.spec.params, *cls.spec.value_params, *cls.spec.region_params)
        if p.default
    } | {t for cls in classes_cls for t in cls.spec.tables}
    needed |= set(user_tables) | set(overrides)
    out = {}
    for name in sorted(needed):
        default = prof.tables.get(name, name)
        given = user_tables.get(name)
        if given is None:
            table = load_table(default)
        elif isinstance(given, CoefficientTable):
            table = given
        else:
            path = Path(given)
            meta = None if path.with_suffix(".toml").is_file() else load_table(default)
            table = load_table(path, meta=meta)
        out[name] = load_table(table, overrides=overrides.get(name))
        if out[name].index_kind == "item":
            out[name], picked = regional(out[name], regions, keep=(overrides.get(name) or {}).keys())
            if chosen is not None:
                chosen.update({(name, x): v for x, v in picked.items()})
    _check_item_defaults(classes_cls, out, item_ids)
    return out


def _check_item_defaults(classes_cls, tables: Mapping[str, CoefficientTable], item_ids) -> None:
    """A per-item default must exist for every chosen item (column or row), before any raster work."""
    for cls in classes_cls:
        if cls.spec.id not in item_ids:  # given by lines: items come from the lines
            continue
        for p in (*cls.spec.params, *cls.spec.value_params, *cls.spec.region_params):
            if not (p.per_item and p.default):
                continue
            t = tables[p.default.table]
            for item in item_ids[cls.spec.id]:
                col, row = p.default.column.format(item=item), p.default.row and p.default.row.format(item=item)
                if col not in t.columns or (row is not None and row not in t.keys):
                    raise CoefficientTableError(
                        f"table {t.name!r} ({t.origin})",
                        [
                            KeyError(
                                f"service {cls.spec.id!r}, item {item!r} needs column {col!r}"
                                + (f" row {row!r}" if row else "")
                                + " for its default of parameter "
                                f"{p.name!r}; add it or give the input per item"
                            )
                        ],
                    )


def _refuse_nan(sums, land: Landscape, service_ids: list[str], gaps: dict, by_id=None) -> None:
    """Raise NodataError naming service, region, ecosystem type and, where known, the input lacking a value.

    With ``by_id`` (service classes by id) the message also says how to give that input (unit).
    """
    for sid in service_ids:
        bad = sums[sid].isnull()
        bad = bad.any([d for d in bad.dims if d not in ("region", "ecosystem")])
        if not bool(bad.any()):
            continue
        ri, ei = np.nonzero(bad.transpose("region", "ecosystem").values)
        regions = [str(r) for r in bad["region"].values[ri]]
        ecos = [str(e) for e in bad["ecosystem"].values[ei]]
        lacking = sorted(
            {f"{gaps[(sid, e)]!r} has no value for ecosystem type {e!r}" for e in ecos if (sid, e) in gaps}
        )
        hints = []
        if by_id and sid in by_id:
            for name in sorted({gaps[(sid, e)] for e in ecos if (sid, e) in gaps}):
                try:
                    unit = by_id[sid].spec.param(name).unit
                except (KeyError, ValueError, StopIteration):
                    continue
                types = sorted({e for e in ecos if gaps.get((sid, e)) == name})
                per = ", ".join(f"'{e}': '… {unit}'" for e in types)
                hints.append(f"give it as inputs={{'{sid}.{name}': {{{per}}}}} or fill the table")
        lacking = lacking + hints
        where = [f"{r}/{e}" for r, e in zip(regions, ecos, strict=True)]
        rasters = [v for (s, k), v in gaps.items() if s == sid and isinstance(k, tuple)]  # gepcalc.resolve
        why = "; ".join(lacking or rasters) or "an input raster has nodata (or NaN) where the land cover has data"
        raise NodataError(
            f"service {sid!r} has missing values in region/ecosystem {', '.join(where[:6])}"
            f"{' …' if len(where) > 6 else ''} of {land.source}: {why}"
        )


#: item label of services with a single quantity
NO_ITEM = ""


def _with_item(da: xr.DataArray) -> xr.DataArray:
    return da if "item" in da.dims else da.expand_dims(item=[NO_ITEM])


def _refuse_missing_price(cls, value, quantity, vargs: dict) -> None:
    """A price (or other value parameter) without a value must stop the account, not give NaN or 0."""
    if not bool((value.isnull() & quantity.notnull() & (quantity != 0)).any()):
        return
    empty = [n for n, v in vargs.items() if v is not None and np.isnan(np.asarray(v, dtype="float64")).any()]
    empty = _needed(cls, quantity, vargs, empty)
    hints = ", ".join(f"'{cls.spec.id}.{n}': '… {cls.spec.param(n).unit}'" for n in empty)
    raise NodataError(
        f"service {cls.spec.id!r} cannot be valued: value parameter(s) {empty} have no value "
        f"(an empty cell in the table); give them as inputs={{{hints}}} or fill the table"
    )


def _needed(cls, quantity, vargs: dict, empty: list[str]) -> list[str]:
    """Those of the ``empty`` value parameters the value of ``quantity`` needs (others, e.g. the
    content of an item not counted, are left out of the message); all of them if that cannot be told."""
    try:
        filled = {**vargs, **dict.fromkeys(empty, 1.0)}
        needed = [n for n in empty if bool(cls.value(quantity, **{**filled, n: np.nan}).isnull().any())]
    except Exception:  # a value rule that cannot run on these stand-ins: name every empty one
        return empty
    return needed or empty


def _units(result: Mapping[str, xr.DataArray], classes_cls, valued: ValuedLines) -> dict[tuple[str, str], str]:
    """Quantity unit of every (service, item): the line's where given by lines, else the service's."""
    out = {}
    for cls in classes_cls:
        items = result[cls.spec.id]["item"].values if "item" in result[cls.spec.id].dims else [NO_ITEM]
        for item in items:
            out[(cls.spec.id, str(item))] = valued.units.get((cls.spec.id, str(item)), item_unit(cls.spec, str(item)))
    return out


def _item_names(classes_cls, valued: ValuedLines) -> dict[str, tuple[str, str]]:
    names = {NO_ITEM: ("", "")} | {i.id: (i.name_zh, i.name_en) for c in classes_cls for i in c.spec.items}
    for r in valued.lines.itertuples() if len(valued.lines) else ():
        if r.item and (r.item not in names or r.name_zh or r.name_en):
            old = names.get(r.item, (r.item, r.item))
            names[r.item] = (r.name_zh or old[0], r.name_en or old[1])
    return names


def _assemble(
    classes_cls,
    sums,
    area,
    values,
    land: Landscape | None,
    *,
    units: Mapping[tuple[str, str], str],
    names: Mapping[str, tuple[str, str]],
    from_lines: set[str],
    year,
    price_year,
    scenario,
    profile: Profile,
    title,
) -> xr.Dataset:
    ids = [c.spec.id for c in classes_cls]
    ecos = list(area["ecosystem"].values)
    if any(
        UNALLOCATED in d["ecosystem"] and bool((d.sel(ecosystem=UNALLOCATED) != 0).any())
        for d in (*sums.values(), *values.values())
    ):
        ecos.append(UNALLOCATED)

    def full(d):
        # scalar coordinates (rioxarray's `spatial_ref` on raster services, none on lines) would make
        # xr.concat refuse the mix of two or more raster services with lines: none is part of an account
        d = d.drop_vars([c for c in d.coords if c not in d.dims and d[c].ndim == 0])
        return _with_item(d).reindex(ecosystem=ecos, fill_value=0.0)

    # Items differ between services: the union is the `item` dim, NaN where a service lacks an item.
    q = xr.concat([full(sums[s]) for s in ids], dim=pd.Index(ids, name="service"), join="outer")
    v = xr.concat(
        [full(values[s].broadcast_like(sums[s])) for s in ids], dim=pd.Index(ids, name="service"), join="outer"
    )
    et = ecosystem_types()
    ds = xr.Dataset(
        {
            "quantity": q.transpose("service", "item", "region", "ecosystem"),
            "value": v.transpose("service", "item", "region", "ecosystem"),
            "area": area.reindex(ecosystem=ecos, fill_value=0.0).transpose("region", "ecosystem"),
        },
    )
    item_unit = [
        [f"{ureg.Unit(units[(s, str(i))]):~C}" if (s, str(i)) in units else "" for i in ds["item"].values] for s in ids
    ]
    zh = {**et.data["name_zh"].to_dict(), UNALLOCATED: "未分配"}
    en = {**et.data["name_en"].to_dict(), UNALLOCATED: "not allocated to a type"}
    ds = ds.assign_coords(
        category=("service", [c.spec.category for c in classes_cls]),
        name_zh=("service", [c.spec.name_zh for c in classes_cls]),
        name_en=("service", [c.spec.name_en for c in classes_cls]),
        quantity_unit=("service", [c.spec.quantity_unit for c in classes_cls]),
        quantity_name=("service", [c.spec.quantity_name for c in classes_cls]),
        method=("service", [c.spec.method for c in classes_cls]),
        additive_items=("service", [bool(c.spec.additive_items) for c in classes_cls]),
        basis=("service", ["lines" if c.spec.id in from_lines else "raster" for c in classes_cls]),
        item_unit=(("service", "item"), np.array(item_unit, dtype=object)),
        item_zh=("item", [names.get(i, (i, i))[0] for i in ds["item"].values]),
        item_en=("item", [names.get(i, (i, i))[1] for i in ds["item"].values]),
        ecosystem_zh=("ecosystem", [zh.get(e, "全部") for e in ecos]),
        ecosystem_en=("ecosystem", [en.get(e, "all") for e in ecos]),
    )
    ds = ds.expand_dims(scenario=[scenario], year=[year if year is not None else -1])
    ds = ds.transpose("service", "item", "region", "ecosystem", "scenario", "year")
    ds["quantity"].attrs["description"] = "physical quantity, unit in coordinate item_unit; NaN: no such item"
    ds["value"].attrs["units"] = VALUE_UNIT
    ds["area"].attrs["units"] = "m**2"
    ds.attrs.update(
        title=title,
        profile=profile.id,
        profile_version=profile.version,
        profile_document=profile.document,
        landcover=land.source if land is not None else "",
        landcover_classes=land.mapping.name if land is not None and land.mapping else "",
        price_year=price_year if price_year else -1,
        nodata_pixels=land.nodata_pixels if land is not None else 0,
        gepcalc_version=_version(),
    )
    return ds


def _outside_notes(valued: ValuedLines, prof: Profile) -> list[str]:
    df = valued.lines
    if not len(df) or not (df["origin"] == "outside").any():
        return []
    out = df[df["origin"] == "outside"]
    total = Q_(float(out["value_CNY"].sum()), VALUE_UNIT).to("亿元 / yr").magnitude
    what = "subtracted" if prof.outside == "subtract" else "not counted"
    why = (
        f"profile {prof.id}: GEP = eco-products of the region minus those from outside it"
        if prof.outside == "subtract"
        else f"profile {prof.id} does not subtract eco-products from outside the region"
    )
    return [f"{len(out)} line(s) from outside the region ({total:,.4g} 亿元/yr) {what} ({why})"]


def _version() -> str:
    from gepcalc import __version__

    return __version__
