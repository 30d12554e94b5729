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

import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pint
import xarray as xr
from flox.xarray import xarray_reduce

from gepcalc import services as registry
from gepcalc.errors import NodataError
from gepcalc.io import Chunks
from gepcalc.landscape import Landscape, build_landscape, ecosystem_types
from gepcalc.profiles import Profile, load_profile
from gepcalc.resolve import resolve
from gepcalc.services.base import CATEGORY_NAMES, Service
from gepcalc.tables import CoefficientTable, load_table
from gepcalc.units import Q_, VALUE_UNIT, factor, unit_label

TIDY_COLUMNS = [
    "region",
    "category",
    "service",
    "ecosystem",
    "quantity",
    "quantity_unit",
    "value",
    "value_unit",
    "year",
    "price_year",
    "scenario",
]


class Account:
    """A computed GEP account (see module docstring).

    Attributes
    ----------
    data : xarray.Dataset
        ``quantity`` [each service's unit], ``value`` [CNY/yr], ``area`` [m²].
    sources : pandas.DataFrame
        Every coefficient and input used: service, parameter, table, row, value, source, status.
    notes : list of str
        What the user should know (nodata left out, price years, unconfirmed values).
    """

    def __init__(self, data: xr.Dataset, sources: pd.DataFrame | None = None, notes: Sequence[str] = ()):
        self.data = data
        self.sources = sources if sources is not None else pd.DataFrame()
        self.notes = list(notes)

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

        ``dims`` are any of ``service, category, region, ecosystem, scenario, year``.
        """
        dims = dims or ("category",)
        ds = self.data
        keep = [d for d in dims if d != "category"]
        value = ds["value"]
        if "category" in dims:
            value = value.groupby("category").sum()
            keep_dims = ["category", *keep]
        else:
            keep_dims = list(keep)
        other = [d for d in value.dims if d not in keep_dims]
        v = value.sum(other) * self._value_factor(unit)
        df = v.to_dataframe(name=f"value [{unit}/yr]").reset_index()
        df = df[[*keep_dims, f"value [{unit}/yr]"]]
        if dims == ("service",):
            q = ds["quantity"].sum([d for d in ds["quantity"].dims if d != "service"])
            df.insert(1, "quantity", q.values)
            df.insert(2, "quantity_unit", [unit_label(u) for u in ds["quantity_unit"].values])
            df.insert(1, "name_zh", ds["name_zh"].values)
            df.insert(2, "name_en", ds["name_en"].values)
            df.insert(3, "category", ds["category"].values)
        total = df[f"value [{unit}/yr]"].sum()
        df["share"] = df[f"value [{unit}/yr]"] / total if total else np.nan
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
        return pd.concat([df, total], ignore_index=True)

    def table(self, value_unit: str = "CNY") -> pd.DataFrame:
        """Tidy table, one row per region × service × ecosystem type × scenario × year.

        Columns (in this order): region, category, service, ecosystem, quantity,
        quantity_unit, value, value_unit, year, price_year, scenario.  Ecosystem
        types absent from a region are left out.
        """
        ds = self.data
        df = (
            xr.Dataset(
                {"quantity": ds["quantity"], "value": ds["value"] * self._value_factor(value_unit), "area": ds["area"]}
            )
            .to_dataframe()
            .reset_index()
        )
        df = df[df["area"] > 0]
        units = dict(zip(ds["service"].values, ds["quantity_unit"].values, strict=True))
        cats = dict(zip(ds["service"].values, ds["category"].values, strict=True))
        df["quantity_unit"] = df["service"].map(lambda s: unit_label(units[s]))
        df["category"] = df["service"].map(cats)
        df["value_unit"] = unit_label(f"{value_unit} / yr")
        df["price_year"] = ds.attrs.get("price_year")
        return df[TIDY_COLUMNS].reset_index(drop=True)

    def summary(self, unit: str = "亿元") -> pd.DataFrame:
        """One row per service: names (中文/English), quantity with unit, value and share."""
        df = self.by("service", unit=unit)
        return df.rename(columns={"name_zh": "指标", "name_en": "indicator"})

    # -- combining ------------------------------------------------------------------------
    def sel(self, **indexers) -> Account:
        """A sub-account, e.g. ``acct.sel(region=["A", "B"])`` (values are not recomputed)."""
        return Account(self.data.sel(**indexers), self.sources, self.notes)

    # -- exports --------------------------------------------------------------------------
    def to_csv(self, path: str | Path, value_unit: str = "CNY") -> Path:
        """Write the tidy table as UTF-8 CSV with a BOM (so Excel shows Chinese correctly)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.table(value_unit).to_csv(path, index=False, encoding="utf-8-sig")
        return path

    def to_excel(self, path: str | Path, value_unit: str = "万元") -> Path:
        """Write a workbook: summary, by category, by region, tidy account, sources, notes."""
        from gepcalc.export import write_excel

        return write_excel(self, Path(path), value_unit)


def concat(accounts: Iterable[Account]) -> Account:
    """Put accounts of several scenarios or years side by side (same services and regions)."""
    accounts = list(accounts)
    data = xr.combine_by_coords([a.data for a in accounts], combine_attrs="drop_conflicts")
    sources = pd.concat([a.sources for a in accounts], ignore_index=True).drop_duplicates()
    notes = list(dict.fromkeys(n for a in accounts for n in a.notes))
    return Account(data, sources, notes)


# -- building ---------------------------------------------------------------------------------


def account(
    landcover,
    regions=None,
    *,
    region_field: str | None = None,
    region_name: str | None = None,
    landcover_classes: str | Path | CoefficientTable | None = None,
    inputs: Mapping[str, Any] | None = None,
    tables: Mapping[str, str | Path | CoefficientTable] | None = None,
    overrides: Mapping[str, Mapping[Any, Mapping[str, Any]]] | None = None,
    services: Sequence[str] | None = None,
    profile: str | Path | Profile = "mee-2020",
    year: int | None = None,
    price_year: int | None = None,
    scenario: str = "baseline",
    title: str = "",
    chunks: Chunks = True,
    progress: bool = False,
) -> Account:
    """Compute a GEP account.

    Parameters
    ----------
    landcover
        Land-cover raster (path or DataArray with CRS) of integer class codes.
    regions
        Region polygons (file or GeoDataFrame); None = the whole raster.
    region_field
        Column with region names.
    region_name
        Name of the single region when ``regions`` is None.
    landcover_classes
        Land-cover → ecosystem mapping table (default: the profile's, ``landcover_igbp``).
    inputs
        Service inputs by parameter name (``"precipitation": "1430 mm/yr"``), or
        ``"service.param"`` for one service only.  Values may be scalars with units,
        ``{"raster": path, "unit": ...}``, or ``{ecosystem: value, ...}``.
    tables
        Replacement tables by name (a path, or a loaded table); a CSV without a
        TOML sidecar takes the replaced table's metadata.
    overrides
        Single values: ``{"prices": {"water_storage_cost": {"price": "7.06 CNY/m**3"}}}``.
    services
        Service ids to compute (default: the profile's list).
    profile
        Profile name or file fixing services and default tables.
    year, price_year, scenario
        Accounting year, price base year, scenario label (recorded in every output).
    chunks
        Raster chunking; the result does not depend on it.
    progress
        Show a progress bar while computing.
    """
    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    service_ids = list(services or prof.services)
    classes_cls = [registry.get(s) for s in service_ids]  # unknown ids and bad tables fail before any raster work
    loaded = _load_tables(classes_cls, prof, tables or {}, overrides or {})
    inputs = dict(inputs or {})
    land = build_landscape(
        landcover,
        classes=landcover_classes or prof.landcover_classes,
        regions=regions,
        region_field=region_field,
        region_name=region_name,
        chunks=chunks,
    )

    origins: list[dict] = []
    gaps: dict[tuple[str, str], str] = {}

    def arguments(cls, params, pixels: bool) -> dict:
        """Resolve a service's parameters, recording their origins and missing per-type values."""
        args = {}
        for p in params:
            r = resolve(p, cls.spec.id, inputs=inputs, tables=loaded, land=land, pixels=pixels)
            args[p.name] = r.value
            origins.extend({"service": cls.spec.id, **o} for o in r.origin)
            gaps.update({(cls.spec.id, e): p.name for e in r.missing})
        return args

    quantities = {
        cls.spec.id: _on_grid(cls.physical(area=land.area, **arguments(cls, cls.spec.params, True)), land)
        for cls in classes_cls
    }
    sums = _zonal_sums(quantities, land, progress)
    _refuse_nan(sums, land, service_ids, gaps)
    values = {
        cls.spec.id: cls.value(sums[cls.spec.id], **arguments(cls, cls.spec.value_params, False)) * cls.value_factor()
        for cls in classes_cls
    }

    data = _assemble(
        classes_cls, sums, values, land, year=year, price_year=price_year, scenario=scenario, profile=prof, title=title
    )
    sources = pd.DataFrame(origins)
    notes = list(land.notes) + _price_notes(sources, loaded, price_year)
    if "status" in sources:
        unconf = sources[sources["status"].fillna("primary").ne("primary")]
        if len(unconf):
            notes.append(
                f"{len(unconf)} coefficient value(s) come from sources that are not primary "
                "(unconfirmed or derived); see the sources sheet"
            )
    return Account(data, sources, notes)


def _load_tables(
    classes_cls: list[type[Service]], prof: Profile, user_tables, overrides
) -> dict[str, CoefficientTable]:
    needed = {p.default.table for cls in classes_cls for p in (*cls.spec.params, *cls.spec.value_params) if p.default}
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
    return out


def _on_grid(q, land: Landscape) -> xr.DataArray:
    """Broadcast a service result onto the land-cover grid (chunked like it)."""
    template = land.ecosystem
    if not isinstance(q, xr.DataArray) or set(q.dims) != set(template.dims):
        q = xr.zeros_like(template, dtype="float64") + q
    return q.transpose(*template.dims).astype("float64")


def _zonal_sums(quantities: dict[str, xr.DataArray], land: Landscape, progress: bool) -> xr.Dataset:
    """Sum every service and the area by region × ecosystem in one pass over the chunks."""
    area = _on_grid(land.area, land)
    ds = xr.Dataset({**quantities, "__area__": area})
    region = land.region.rename("region")
    eco = land.ecosystem.astype("int32").rename("ecosystem")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        # No fill_value: flox would also write it over groups whose pixels are all NaN
        # (flox 0.11), hiding missing inputs. Empty groups are zeroed below by their area.
        out = xarray_reduce(
            ds,
            region,
            eco,
            func="sum",
            skipna=False,  # a NaN must surface as an error, not vanish from the sum
            expected_groups=(np.arange(1, len(land.region_names) + 1), np.arange(1, len(land.ecosystem_ids) + 1)),
        )
        if progress:
            from gepcalc.progress import RichProgress

            with RichProgress("computing account"):
                out = out.compute()
        else:
            out = out.compute()
    present = out["__area__"].fillna(0.0) > 0
    out = out.where(present, 0.0)
    out = out.assign_coords(region=land.region_names, ecosystem=land.ecosystem_ids)
    return out


def _refuse_nan(sums: xr.Dataset, land: Landscape, service_ids: list[str], gaps: dict) -> None:
    """Raise NodataError naming service, region, ecosystem type and, where known, the input lacking a value."""
    for sid in service_ids:
        bad = sums[sid].isnull()
        if not bool(bad.any()):
            continue
        ri, ei = np.nonzero(bad.transpose("region", "ecosystem").values)
        regions = [str(r) for r in sums["region"].values[ri]]
        ecos = [str(e) for e in sums["ecosystem"].values[ei]]
        lacking = sorted(
            {f"{gaps[(sid, e)]!r} has no value for ecosystem type {e!r}" for e in ecos if (sid, e) in gaps}
        )
        where = [f"{r}/{e}" for r, e in zip(regions, ecos, strict=True)]
        why = (
            "; ".join(lacking)
            if lacking
            else ("an input raster has nodata (or NaN) where the land cover has data; fill or mask it")
        )
        raise NodataError(
            f"service {sid!r} has missing values in region/ecosystem {', '.join(where[:6])}"
            f"{' …' if len(where) > 6 else ''} of {land.source}: {why}"
        )


def _assemble(
    classes_cls, sums, values, land: Landscape, *, year, price_year, scenario, profile: Profile, title
) -> xr.Dataset:
    ids = [c.spec.id for c in classes_cls]
    q = xr.concat([sums[s] for s in ids], dim=pd.Index(ids, name="service"))
    v = xr.concat([values[s].broadcast_like(sums[s]) for s in ids], dim=pd.Index(ids, name="service"))
    et = ecosystem_types()
    ds = xr.Dataset(
        {
            "quantity": q.transpose("service", "region", "ecosystem"),
            "value": v.transpose("service", "region", "ecosystem"),
            "area": sums["__area__"].transpose("region", "ecosystem"),
        },
    )
    ds = ds.assign_coords(
        category=("service", [c.spec.category for c in classes_cls]),
        name_zh=("service", [c.spec.name_zh for c in classes_cls]),
        name_en=("service", [c.spec.name_en for c in classes_cls]),
        quantity_unit=("service", [c.spec.quantity_unit for c in classes_cls]),
        quantity_name=("service", [c.spec.quantity_name for c in classes_cls]),
        method=("service", [c.spec.method for c in classes_cls]),
        ecosystem_zh=("ecosystem", [et.data.at[e, "name_zh"] for e in land.ecosystem_ids]),
        ecosystem_en=("ecosystem", [et.data.at[e, "name_en"] for e in land.ecosystem_ids]),
    )
    ds = ds.expand_dims(scenario=[scenario], year=[year if year is not None else -1])
    ds = ds.transpose("service", "region", "ecosystem", "scenario", "year")
    ds["quantity"].attrs["description"] = "physical quantity, unit in coordinate quantity_unit"
    ds["value"].attrs["units"] = VALUE_UNIT
    ds["area"].attrs["units"] = "m**2"
    ds.attrs.update(
        title=title,
        profile=profile.id,
        profile_document=profile.document,
        landcover=land.source,
        landcover_classes=land.mapping.name if land.mapping else "",
        price_year=price_year if price_year else -1,
        nodata_pixels=land.nodata_pixels,
        gepcalc_version=_version(),
    )
    return ds


def _price_notes(sources: pd.DataFrame, tables: Mapping[str, CoefficientTable], price_year) -> list[str]:
    notes = []
    prices = tables.get("prices")
    if prices is None or "table" not in sources or price_year is None:
        return notes
    used = sources[(sources["table"] == "prices")]["row"].dropna().unique()
    for item in used:
        y = prices.data.at[item, "price_year"] if "price_year" in prices.data.columns else None
        if y is not None and pd.notna(y) and int(float(y)) != int(price_year):
            notes.append(
                f"price {item!r} is of {int(float(y))}, used as is for price year {price_year} (no deflator applied)"
            )
    return notes


def _version() -> str:
    from gepcalc import __version__

    return __version__
