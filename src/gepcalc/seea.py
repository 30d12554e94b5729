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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gepcalc.errors import ConfigError
from gepcalc.units import VALUE_UNIT, factor

#: economic units of the use tables
ECONOMIC_UNITS = ("households", "government", "industries")

#: default use of each service by economic unit (shares summing to 1), with the reasoning; a
#: gepcalc judgement following the SEEA EA convention that services with collective beneficiaries
#: (global climate regulation, flood control) are recorded as used by government (collective
#: consumption), those harvested as inputs to production by the industries harvesting them, and
#: those enjoyed by people directly by households.  Override per service with ``use=``.
DEFAULT_USE: dict[str, tuple[dict[str, float], str]] = {
    "agricultural_products": ({"industries": 1.0}, "input to agriculture (crop and grazed biomass harvested)"),
    "forestry_products": ({"industries": 1.0}, "input to forestry (wood and non-wood products harvested)"),
    "livestock_products": ({"industries": 1.0}, "input to animal husbandry"),
    "fishery_products": ({"industries": 1.0}, "input to fishing and aquaculture"),
    "other_products": ({"industries": 1.0}, "input to the industries harvesting them"),
    "water_supply": ({"industries": 1.0}, "input to the water collection and supply industry"),
    "hydropower": ({"industries": 1.0}, "input to electricity generation"),
    "water_conservation": ({"government": 1.0}, "water flow regulation: collective beneficiaries downstream"),
    "flood_regulation": ({"government": 1.0}, "flood control: collective beneficiaries"),
    "soil_retention": ({"government": 1.0}, "soil and sediment retention: collective (reservoirs, waterways)"),
    "sand_fixation": ({"government": 1.0}, "collective beneficiaries downwind"),
    "coastal_protection": ({"government": 1.0}, "coastal protection: collective beneficiaries"),
    "carbon_sequestration": ({"government": 1.0}, "global climate regulation: collective consumption"),
    "oxygen_release": ({"government": 1.0}, "collective beneficiaries (no identifiable user)"),
    "water_purification": ({"government": 1.0}, "collective (water quality of the region)"),
    "air_purification": ({"households": 1.0}, "air filtration: people breathing the air"),
    "climate_regulation": ({"households": 1.0}, "local climate regulation: people cooled"),
    "negative_oxygen_ions": ({"households": 1.0}, "people enjoying the air"),
    "pest_control": ({"industries": 1.0}, "biological control: input to forestry and agriculture"),
    "recreation": ({"households": 1.0}, "recreation-related services: visitors"),
    "landscape_value": ({"households": 1.0}, "visual amenity: residents"),
}

#: each GEP indicator in the SEEA EA reference list of selected ecosystem services (names as in
#: docs/seea.md; those marked "not verified" were not read in the SEEA EA text during this work)
SEEA_SERVICE: dict[str, str] = {
    "agricultural_products": "biomass provisioning services (crops, grazed biomass)",
    "forestry_products": "biomass provisioning services (wood and non-wood forest products)",
    "livestock_products": "biomass provisioning services (grazed biomass; livestock)",
    "fishery_products": "biomass provisioning services (wild fish and aquatic biomass)",
    "other_products": "biomass provisioning services (other)",
    "water_supply": "water supply",
    "hydropower": "water supply (for hydroelectricity)",
    "water_conservation": "water flow regulation services (baseline flow maintenance)",
    "flood_regulation": "water flow regulation services (peak flow mitigation: flood control)",
    "soil_retention": "soil and sediment retention services",
    "sand_fixation": "soil and sediment retention services (wind erosion)",
    "coastal_protection": "coastal protection services",
    "carbon_sequestration": "global climate regulation services",
    "oxygen_release": "other regulating and maintenance services (no counterpart in the reference list)",
    "water_purification": "water purification services (retention and breakdown of nutrients and pollutants)",
    "air_purification": "air filtration services",
    "climate_regulation": "local (micro and meso) climate regulation services",
    "negative_oxygen_ions": "other regulating and maintenance services (no counterpart in the reference list)",
    "pest_control": "biological control services (pest control)",
    "recreation": "recreation-related services",
    "landscape_value": "visual amenity services",
}

#: per-type inputs of an account that are ecosystem condition variables (SEEA EA condition typology)
CONDITION_INPUTS = {
    "npp": "functional state: net primary productivity",
    "npp_dry_matter": "functional state: net primary productivity (dry matter)",
    "evapotranspiration": "functional state: actual evapotranspiration",
    "vegetation_cover": "structural state: vegetation cover",
    "carbon_density": "structural state: carbon stock density",
    "ion_concentration": "physical state: negative air-ion concentration",
    "cover_factor": "structural state: RUSLE cover-management factor",
}


@dataclass
class SeeaTables:
    """The SEEA EA tables of an account (``name → DataFrame``), the inputs used and notes."""

    tables: dict[str, pd.DataFrame]
    notes: list[str] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def to_excel(self, path: str | Path) -> Path:
        """Write one sheet per table, then the parameters and notes (``about``)."""
        from gepcalc.export import write_sheets

        about = pd.DataFrame(
            [(k, str(v)) for k, v in self.parameters.items()] + [("note", n) for n in self.notes],
            columns=["item", "value"],
        )
        return write_sheets(Path(path), {**self.tables, "about": about})


# -- extent ----------------------------------------------------------------------------------------------


def change_matrix(
    opening,
    closing,
    *,
    classes: str | Path | Any = "landcover_igbp",
    regions=None,
    region_field: str | None = None,
    region_name: str | None = None,
    unit: str = "ha",
) -> pd.DataFrame:
    """Ecosystem type change matrix: area [``unit``] of each opening type (rows) becoming each closing type.

    The two land covers must be on one grid; cell areas are true areas (``gepcalc.grid``); only
    cells inside the regions with data in both years count (a cell that is nodata in either year
    is left out and counted in ``attrs["nodata_area"]``).

    Parameters
    ----------
    opening, closing
        Land-cover rasters (paths or DataArrays) of the two years.
    classes
        Land-cover → ecosystem mapping table, as for :func:`gepcalc.account`.
    regions, region_field, region_name
        The accounting area, as for :func:`gepcalc.account` (None: the whole raster).
    """
    import dask.array as dsa
    import xarray as xr

    from gepcalc.landscape import build_landscape
    from gepcalc.zonal import on_grid

    land = build_landscape(
        opening, classes=classes, regions=regions, region_field=region_field, region_name=region_name
    )
    e0 = land.ecosystem
    e1 = land.ecosystem_of(closing)
    area = on_grid(land.area, land)
    n = len(land.ecosystem_ids) + 1
    inside = land.region > 0
    both = inside & (e0 > 0) & (e1 > 0)
    idx = (e0.astype("int64") * n + e1.astype("int64")).where(both, 0)
    w = area.where(both, 0.0)
    data = [x.data if isinstance(x.data, dsa.Array) else dsa.from_array(x.data) for x in (idx, w)]
    counts = dsa.bincount(data[0].ravel(), weights=data[1].ravel(), minlength=n * n).compute()
    lost = float(xr.where(inside & ~both, area, 0.0).sum())
    m = counts.reshape(n, n)[1:, 1:] * factor("m**2", unit)
    ids = list(land.ecosystem_ids)
    df = pd.DataFrame(m, index=pd.Index(ids, name="opening"), columns=pd.Index(ids, name="closing"))
    keep = [e for e in ids if df.loc[e].sum() > 0 or df[e].sum() > 0]
    df = df.loc[keep, keep]
    df.attrs.update(unit=unit, nodata_area=lost * factor("m**2", unit))
    return df


def extent_account(
    opening_area: pd.Series, closing_area: pd.Series | None = None, matrix: pd.DataFrame | None = None
) -> pd.DataFrame:
    r"""Ecosystem extent account [ha]: rows opening, additions, reductions, net change, closing; a column per type.

    With a change matrix M (rows opening, columns closing):
    :math:`\text{additions}_e = \sum_{o \ne e} M_{oe}`, :math:`\text{reductions}_e = \sum_{c \ne e} M_{ec}`,
    opening = row sums, closing = column sums, so opening + additions − reductions = closing.
    Without one, additions and reductions are the net change's positive and negative parts.
    """
    if matrix is not None:
        types = list(dict.fromkeys([*matrix.index, *matrix.columns]))
        m = matrix.reindex(index=types, columns=types, fill_value=0.0)
        diag = np.diag(m.to_numpy())
        opening = m.sum(axis=1)
        closing = m.sum(axis=0)
        additions = closing - diag
        reductions = opening - diag
    else:
        closing = closing_area if closing_area is not None else opening_area
        types = list(dict.fromkeys([*opening_area.index, *closing.index]))
        opening = opening_area.reindex(types, fill_value=0.0)
        closing = closing.reindex(types, fill_value=0.0)
        net = closing - opening
        additions, reductions = net.clip(lower=0.0) + 0.0, (-net).clip(lower=0.0) + 0.0  # + 0.0: no −0
    rows = {
        "opening extent": opening,
        "additions to extent": additions,
        "reductions in extent": reductions,
        "net change in extent": closing - opening,
        "closing extent": closing,
    }
    df = pd.DataFrame(rows).T.reindex(columns=types)
    df["total"] = df.sum(axis=1)
    df.index.name = "extent [ha]"
    return df.reset_index()


# -- supply and use --------------------------------------------------------------------------------------


def _flows(acct, which: str) -> pd.DataFrame:
    """Quantity or value of every service × item by ecosystem type (summed over regions)."""
    ds = acct.data
    da = ds[which].sum(["region", "scenario", "year"], skipna=True, min_count=1)
    df = da.to_dataframe(name=which).reset_index()
    df = df.dropna(subset=[which])
    wide = df.pivot_table(index=["service", "item"], columns="ecosystem", values=which, aggfunc="sum", sort=False)
    order = [e for e in ds["ecosystem"].values if e in wide.columns]
    wide = wide[order]
    wide = wide.loc[:, (wide != 0).any(axis=0)] if len(wide) else wide
    wide["total"] = wide.sum(axis=1)
    return wide


def supply_tables(acct, unit: str = "万元") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Physical and monetary supply tables: one row per service (× item), a column per ecosystem type."""
    ds = acct.data
    q = _flows(acct, "quantity")
    v = _flows(acct, "value") * factor(VALUE_UNIT, f"{unit} / yr")
    units = {
        (str(s), str(i)): str(ds["item_unit"].sel(service=s, item=i).item())
        for s in ds["service"].values
        for i in ds["item"].values
    }
    names = dict(zip(ds["service"].values, ds["name_en"].values, strict=True))

    def front(df: pd.DataFrame, unit_of) -> pd.DataFrame:
        df = df.reset_index()
        df.columns.name = None
        df.insert(2, "indicator", df["service"].map(names))
        df.insert(3, "SEEA EA service", df["service"].map(lambda s: SEEA_SERVICE.get(s, "not mapped")))
        df.insert(4, "unit", [unit_of(s, i) for s, i in zip(df["service"], df["item"], strict=True)])
        return df

    from gepcalc.units import unit_label

    phys = front(q, lambda s, i: unit_label(units[(s, i)]) if units.get((s, i)) else "")
    mon = front(v, lambda s, i: f"{unit}/yr")
    return phys, mon


def use_shares(services: Sequence[str], use: Mapping[str, Mapping[str, float]] | None = None) -> pd.DataFrame:
    """Share of each service used by each economic unit (:data:`DEFAULT_USE`, then ``use=``); rows sum to 1.

    Raises
    ------
    ConfigError
        An unknown economic unit, a negative share, shares not adding up to 1, or a service with
        neither a default nor a given use.
    """
    rows = []
    for s in services:
        given = (use or {}).get(s)
        if given is not None:
            shares, why = dict(given), "given (use=...)"
        elif s in DEFAULT_USE:
            shares, why = DEFAULT_USE[s]
            why = f"gepcalc default: {why}"
        else:
            raise ConfigError(
                f"SEEA use table: service {s!r} has no default use; give use={{'{s}': {{'households': …, "
                "'government': …, 'industries': …}} (shares adding up to 1)"
            )
        bad = sorted(set(shares) - set(ECONOMIC_UNITS))
        if bad:
            raise ConfigError(f"SEEA use table, service {s!r}: unknown economic unit(s) {bad}; use {ECONOMIC_UNITS}")
        if any(float(x) < 0 for x in shares.values()) or not np.isclose(sum(map(float, shares.values())), 1.0):
            raise ConfigError(f"SEEA use table, service {s!r}: shares {shares} must be ≥ 0 and add up to 1")
        rows.append({"service": s, **{u: float(shares.get(u, 0.0)) for u in ECONOMIC_UNITS}, "basis": why})
    return pd.DataFrame(rows, columns=["service", *ECONOMIC_UNITS, "basis"])


def use_table(supply: pd.DataFrame, shares: pd.DataFrame) -> pd.DataFrame:
    """Use by economic unit: each row's total supply × the service's shares; a ``total`` column (= supply)."""
    s = shares.set_index("service")
    out = supply[["service", "item", "indicator", "SEEA EA service", "unit"]].copy()
    for u in ECONOMIC_UNITS:
        out[u] = supply["total"].to_numpy() * supply["service"].map(s[u]).to_numpy()
    out["total"] = out[list(ECONOMIC_UNITS)].sum(axis=1)
    out["use basis"] = supply["service"].map(s["basis"]).to_numpy()
    return out


# -- condition -------------------------------------------------------------------------------------------


def _condition_inputs(acct) -> dict[str, dict]:
    """Per-type inputs of the account that are condition variables: ``{param: {type: (value, unit)}}``."""
    src = acct.sources
    out: dict[str, dict] = {}
    if not len(src) or "parameter" not in src:
        return out
    for r in src.itertuples():
        p = getattr(r, "parameter", "")
        if p not in CONDITION_INPUTS or getattr(r, "table", "") != "user input":
            continue
        text = str(getattr(r, "value", ""))
        if "=" not in text:
            continue
        eco, rest = text.split("=", 1)
        parts = rest.strip().split(" ", 1)
        try:
            out.setdefault(p, {})[eco.strip()] = (float(parts[0]), parts[1] if len(parts) > 1 else "")
        except ValueError:
            continue
    return out


def condition_account(opening, closing=None, condition: Mapping[str, Mapping] | None = None) -> pd.DataFrame:
    """Ecosystem condition account: one row per variable × ecosystem type.

    Columns: variable, class (SEEA EA condition typology), ecosystem, unit, opening, closing, change,
    reference level, source.  Variables come from ``condition={name: {"unit": …, "opening": {type:
    value}, "closing": {type: value}, "reference": {type: value} or value, "class": …, "source":
    …}}`` and from the per-type inputs of the accounts listed in :data:`CONDITION_INPUTS`.
    """
    rows = []
    for p, label in CONDITION_INPUTS.items():
        a = _condition_inputs(opening).get(p, {})
        b = _condition_inputs(closing).get(p, {}) if closing is not None else {}
        for eco in dict.fromkeys([*a, *b]):
            o, c = a.get(eco, (np.nan, "")), b.get(eco, (np.nan, ""))
            rows.append(
                {
                    "variable": p,
                    "class": label,
                    "ecosystem": eco,
                    "unit": o[1] or c[1],
                    "opening": o[0],
                    "closing": c[0] if closing is not None else np.nan,
                    "reference level": np.nan,
                    "source": "input of the account (Account.sources)",
                }
            )
    for name, spec in (condition or {}).items():
        ref = spec.get("reference")
        op, cl = spec.get("opening", {}) or {}, spec.get("closing", {}) or {}
        for eco in dict.fromkeys([*op, *cl]):
            rows.append(
                {
                    "variable": name,
                    "class": spec.get("class", ""),
                    "ecosystem": eco,
                    "unit": spec.get("unit", ""),
                    "opening": float(op.get(eco, np.nan)),
                    "closing": float(cl.get(eco, np.nan)),
                    "reference level": float(ref.get(eco, np.nan) if isinstance(ref, Mapping) else (ref or np.nan)),
                    "source": spec.get("source", "given (condition=...)"),
                }
            )
    df = pd.DataFrame(
        rows, columns=["variable", "class", "ecosystem", "unit", "opening", "closing", "reference level", "source"]
    )
    df.insert(6, "change", df["closing"] - df["opening"])
    return df


# -- assets ----------------------------------------------------------------------------------------------


def annuity_factor(rate: float, life: float) -> float:
    r"""Present value of 1 per year for ``life`` years at discount ``rate``: :math:`(1 - (1 + r)^{-T}) / r` [yr].

    Flows at the end of each year; :math:`a = T` when r = 0.
    """
    if life <= 0 or rate <= -1:
        raise ConfigError(f"asset account: asset life must be > 0 years and the discount rate > −1, got {life}, {rate}")
    return float(life) if rate == 0 else (1.0 - (1.0 + rate) ** -float(life)) / rate


def asset_account(
    opening,
    closing=None,
    *,
    discount_rate: float,
    asset_life: float,
    unit: str = "万元",
) -> pd.DataFrame:
    r"""Monetary ecosystem asset account by ecosystem type [``unit``]: NPV of the expected flows.

    :math:`NPV_e = V_e\,a(r, T)` with :math:`V_e` the type's GEP [CNY/yr] (held constant) and
    :func:`annuity_factor`.  With a closing account the change is split per type with the flow per
    hectare :math:`u = V / A`:

    * ecosystem conversions :math:`a\,(A_1 - A_0)\,u_0` (extent: additions where positive,
      reductions where negative);
    * ecosystem enhancement / degradation :math:`a\,A_1\,(u_1 - u_0)` (flow per hectare);

    so that opening + additions − reductions = closing.  A type absent in the opening year
    enters entirely as a conversion.  Revaluation (a change of price level) is not separated: both
    accounts are valued at their own price year (noted when they differ).
    """
    a = annuity_factor(discount_rate, asset_life)
    f = factor(VALUE_UNIT, f"{unit} / yr")

    def by_type(acct):
        v = acct.data["value"].sum([d for d in acct.data["value"].dims if d != "ecosystem"]).to_series() * f
        area = acct.data["area"].sum([d for d in acct.data["area"].dims if d != "ecosystem"]).to_series()
        return v, area

    v0, a0 = by_type(opening)
    if closing is None:
        types = [e for e in v0.index if v0[e] != 0 or a0.get(e, 0) > 0]
        df = pd.DataFrame([v0.reindex(types) * a], index=["asset value (NPV)"])
        df["total"] = df.sum(axis=1)
        df.index.name = f"asset account [{unit}]"
        return df.reset_index()
    v1, a1 = by_type(closing)
    types = [e for e in dict.fromkeys([*v0.index, *v1.index]) if v0.get(e, 0) or v1.get(e, 0)]
    v0, v1 = v0.reindex(types, fill_value=0.0), v1.reindex(types, fill_value=0.0)
    a0, a1 = a0.reindex(types, fill_value=0.0), a1.reindex(types, fill_value=0.0)
    u0 = (v0 / a0.where(a0 > 0)).fillna(0.0)
    u1 = (v1 / a1.where(a1 > 0)).fillna(0.0)
    conv = a * (a1 - a0) * u0
    conv = conv.where(a0 > 0, a * v1)  # a new type: all of it is a conversion
    enh = a * a1 * (u1 - u0)
    enh = enh.where(a0 > 0, 0.0)
    rows = {
        "opening value": a * v0,
        "additions: ecosystem enhancement": enh.clip(lower=0.0),
        "additions: ecosystem conversions": conv.clip(lower=0.0),
        "reductions: ecosystem degradation": (-enh).clip(lower=0.0),
        "reductions: ecosystem conversions": (-conv).clip(lower=0.0),
        "revaluations": pd.Series(0.0, index=types),
        "closing value": a * v1,
    }
    df = pd.DataFrame(rows).T[types]
    df["total"] = df.sum(axis=1)
    df.index.name = f"asset account [{unit}]"
    return df.reset_index()


# -- all tables ------------------------------------------------------------------------------------------


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
    notes: list[str] = []
    params: dict[str, Any] = {
        "SEEA EA": "United Nations et al. (2021), System of Environmental-Economic "
        "Accounting—Ecosystem Accounting; table numbers not verified (docs/seea.md)"
    }
    if landcover is not None and matrix is None:
        cls = classes or opening.data.attrs.get("landcover_classes") or "landcover_igbp"
        matrix = change_matrix(*landcover, classes=cls, regions=regions, region_field=region_field)
        params["change matrix"] = f"land covers {landcover[0]} → {landcover[1]} ({cls})"
    area_ha = factor("m**2", "ha")

    def areas(acct):
        return acct.data["area"].sum([d for d in acct.data["area"].dims if d != "ecosystem"]).to_series() * area_ha

    tables: dict[str, pd.DataFrame] = {}
    a0 = areas(opening)
    a0 = a0[a0 > 0]
    a1 = areas(closing) if closing is not None else None
    if a1 is not None:
        a1 = a1[a1 > 0]
    tables["extent account"] = extent_account(a0, a1, matrix)
    if matrix is not None:
        tables["change matrix (ha)"] = matrix.reset_index()
        if matrix.attrs.get("nodata_area"):
            notes.append(f"change matrix: {matrix.attrs['nodata_area']:,.6g} ha nodata in one of the years left out")
        acct_total = float(a0.sum())
        if not np.isclose(acct_total, float(matrix.to_numpy().sum()), rtol=1e-9):
            notes.append(
                f"extent from the land covers ({float(matrix.to_numpy().sum()):,.6g} ha) differs from the account's "
                f"area ({acct_total:,.6g} ha): area corrections (account(areas=...)) or other regions"
            )
    else:
        notes.append(
            "extent account: no change matrix (landcover=... or matrix=...): additions and reductions are "
            "the net change by type"
        )
    tables["condition account"] = condition_account(opening, closing, condition)
    for label, acct in (
        (("", opening),)
        if closing is None
        else (
            (f" {_year(opening)}", opening),
            (f" {_year(closing)}", closing),
        )
    ):
        phys, mon = supply_tables(acct, unit)
        shares = use_shares(list(dict.fromkeys(phys["service"])), use)
        tables[f"supply physical{label}"] = phys
        tables[f"use physical{label}"] = use_table(phys, shares)
        tables[f"supply monetary{label}"] = mon
        tables[f"use monetary{label}"] = use_table(mon, shares)
    if discount_rate is not None and asset_life is not None:
        tables["asset account"] = asset_account(
            opening, closing, discount_rate=discount_rate, asset_life=asset_life, unit=unit
        )
        params.update(
            discount_rate=discount_rate,
            asset_life=f"{asset_life} yr",
            annuity_factor=annuity_factor(discount_rate, asset_life),
        )
        if closing is not None and opening.data.attrs.get("price_year") != closing.data.attrs.get("price_year"):
            notes.append(
                f"asset account: opening at {opening.data.attrs.get('price_year')} prices, closing at "
                f"{closing.data.attrs.get('price_year')} prices; revaluation is not separated"
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


def _year(acct) -> str:
    return str(int(acct.data["year"].values[0]))


class _CallableModule(__import__("types").ModuleType):
    """``gepcalc.seea(...)`` calls :func:`seea`; ``gepcalc.seea.change_matrix`` etc. stay reachable."""

    def __call__(self, *args, **kwargs) -> SeeaTables:
        return seea(*args, **kwargs)


__import__("sys").modules[__name__].__class__ = _CallableModule
