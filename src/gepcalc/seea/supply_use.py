"""Ecosystem services supply and use tables of SEEA EA, physical and monetary.

Supply is the account's quantities and values by ecosystem type (:func:`supply_tables`); use is
the supply shared among economic units (households, government, industries) by a share per
service (:data:`DEFAULT_USE`, a gepcalc judgement, or ``use=``), so that supply = use.
:data:`SEEA_SERVICE` names each indicator's SEEA EA service.  Extent, condition and assets are the
other modules of :mod:`gepcalc.seea`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from gepcalc.errors import ConfigError
from gepcalc.units import VALUE_UNIT, factor, unit_label
from gepcalc.years import known_year

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


def supply_use_tables(
    opening, closing=None, use: Mapping[str, Mapping[str, float]] | None = None, unit: str = "万元"
) -> dict[str, pd.DataFrame]:
    """Supply and use tables, physical and monetary [``unit``/yr], of one account or of both years.

    With a closing account each table appears once per year, its name ending in the year
    (``opening``/``closing`` for an account without a year, :func:`year_label`).
    """
    tables: dict[str, pd.DataFrame] = {}
    years = (
        (("", opening),)
        if closing is None
        else ((f" {year_label(opening, 'opening')}", opening), (f" {year_label(closing, 'closing')}", closing))
    )
    for label, acct in years:
        phys, mon = supply_tables(acct, unit)
        shares = use_shares(list(dict.fromkeys(phys["service"])), use)
        tables[f"supply physical{label}"] = phys
        tables[f"use physical{label}"] = use_table(phys, shares)
        tables[f"supply monetary{label}"] = mon
        tables[f"use monetary{label}"] = use_table(mon, shares)
    return tables


def year_label(acct, missing: str) -> str:
    """The (first) year of an account as text, or ``missing`` for an account without a year (NaN)."""
    year = known_year(acct.data["year"].values[0])
    return missing if year is None else str(year)
