"""Which coefficients of an account are drawn, and how each physical parameter enters its quantity.

Holds :data:`LINEARITY` (multiplicative / affine parameters per service method), :class:`Use` (one
use of a ranged coefficient by a service) and :func:`ranged_coefficients`, which reads
``Account.sources`` and the tables' declared ranges (``X_low``/``X_high``).  It draws nothing and
evaluates nothing: the draws are :func:`gepcalc.project.draw_factors`, their evaluation
:class:`gepcalc.uncertainty.engine.Engine`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from gepcalc.uncertainty.ranges import Coefficient, declared_ranges, table_key

#: how a physical parameter enters the quantity of a service (by ``spec.key``), read from each
#: service's ``physical()``: ``"multiplicative"`` (Q ∝ X), ``"affine"`` (Q = a + b X); a parameter
#: not listed is recomputed per draw.  A plug-in declares its own as a class attribute
#: ``uncertainty_linearity = {"param": "multiplicative", ...}``.
LINEARITY: dict[str, dict[str, str]] = {
    # Q = rate × A × 44/12 (carbon_sequestration.py)
    "carbon_sequestration.per_area_rate": {"sequestration_rate": "multiplicative"},
    "oxygen_release.per_area_rate": {"sequestration_rate": "multiplicative"},
    # Q = k × B × A
    "carbon_sequestration.dry_matter": {"npp_dry_matter": "multiplicative", "co2_per_dry_matter": "multiplicative"},
    "oxygen_release.dry_matter": {"npp_dry_matter": "multiplicative", "o2_per_dry_matter": "multiplicative"},
    # Q = (NPP − Rs) × A
    "carbon_sequestration.npp": {"npp": "affine", "soil_respiration": "affine"},
    "oxygen_release.npp": {"npp": "affine", "soil_respiration": "affine"},
    # Q = (C1 − C0) × A / T
    "carbon_sequestration.stock_change": {"carbon_density": "affine", "carbon_density_before": "affine"},
    "oxygen_release.stock_change": {"carbon_density": "affine", "carbon_density_before": "affine"},
    # Q = (P − αP − ET) × A (water_conservation.py)
    "water_conservation.water_balance": {
        "precipitation": "affine",
        "runoff_coefficient": "affine",
        "evapotranspiration": "affine",
    },
    # items: E_pt = EPP × A × D / EER, E_we = E_w ρ λ + y E_w (climate_regulation.py)
    "climate_regulation.transpiration_evaporation": {
        "transpiration_heat": "affine",
        "hot_days": "affine",
        "evaporation_water": "affine",
        "latent_heat_vaporization": "affine",
        "water_density": "affine",
        "humidifier_energy": "affine",
    },
    "climate_regulation.evapotranspiration": {
        "transpiration": "affine",
        "evaporation_water": "affine",
        "latent_heat_vaporization": "affine",
        "humidifier_energy": "affine",
    },
    # vegetation: R (1 − α) A; marsh: depth × A (flood_regulation.py)
    "flood_regulation.storage_components": {
        "storm_rainfall": "affine",
        "storm_runoff_coefficient": "affine",
        "marsh_depth": "affine",
    },
    "pest_control.prevention_cost": {"self_recovering_share": "multiplicative"},
    # Q_j = C_j × A (before min(load, Q) in regional(), which is re-run per draw)
    "water_purification.capacity_and_load": {"capacity": "multiplicative"},
    "water_purification.capacity": {"capacity": "multiplicative"},
    "air_purification.capacity_and_load": {"capacity": "multiplicative"},
    "air_purification.capacity": {"capacity": "multiplicative"},
    # R K LS (1 − C P): R and K multiplicative, C and P affine (LS needs the DEM: not drawn)
    "soil_retention.rusle": {
        "erosivity": "multiplicative",
        "erodibility": "multiplicative",
        "cover_factor": "affine",
        "practice_factor": "affine",
    },
    # (excess ions) × A × H × renewals: H multiplicative; concentration, threshold, lifetime are not
    "negative_oxygen_ions.ion_lifetime": {"vegetation_height": "multiplicative"},
}


def linearity(cls) -> dict[str, str]:
    """How each physical parameter of a service enters its quantity (see :data:`LINEARITY`)."""
    own = getattr(cls, "uncertainty_linearity", None)
    return dict(own) if own is not None else dict(LINEARITY.get(cls.spec.key, {}))


@dataclass(frozen=True)
class Use:
    """One use of a ranged coefficient: service, parameter, stage (physical/regional/value), type, item."""

    service: str
    parameter: str
    stage: str
    ecosystem: str | None = None
    item: str | None = None


def ranged_coefficients(
    sources: pd.DataFrame,
    tables: Mapping[str, Any],
    classes: Sequence,
    raster_ids: Sequence[str],
    overrides: Mapping[str, Mapping] | None = None,
) -> tuple[list[Coefficient], dict[str, list[Use]], list[str]]:
    """The coefficients of ``sources`` (``Account.sources``) whose table row declares a range.

    A row the user overrode keeps a range only where the override gives ``X_low`` and ``X_high``
    too (``docs/tables.md``, "Ranges").  Returns the coefficients (relative factors φ_low,
    φ_high), their uses by key, and notes on what is held: rows without a range, rows overridden
    without one, coefficients of services given by lines.
    """
    if not len(sources) or "row" not in sources or "column" not in sources:
        return [], {}, ["no coefficient of the account comes from a table row"]
    found, unranged, held = _ranged_uses(sources, tables, classes, raster_ids, overrides)
    coeffs, uses = [], {}
    for (tname, row, col), us in sorted(found.items(), key=lambda kv: tuple(map(str, kv[0]))):
        c = _coefficient(tables[tname], row, col, us)
        if c is None:
            held.append(f"{tname}[{row}].{col}: range around a value of 0 cannot be applied relatively; held")
            continue
        coeffs.append(c)
        uses[c.key] = list(dict.fromkeys(us))
    for tname, cells in sorted(unranged.items()):
        held.append(f"table {tname!r}: no declared range for {', '.join(sorted(cells))}: no uncertainty drawn")
    return coeffs, uses, held


def _ranged_uses(
    sources: pd.DataFrame,
    tables: Mapping[str, Any],
    classes: Sequence,
    raster_ids: Sequence[str],
    overrides: Mapping[str, Mapping] | None,
) -> tuple[dict[tuple, list[Use]], dict[str, set], list[str]]:
    """The uses of each ranged table cell ``(table, row, column)`` among the rows of ``sources``.

    Also returns the cells used without a declared range (by table) and the notes on ranged cells
    that are held (overridden by the user without a range, used by a service given by lines).
    """
    by_id = {c.spec.id: c for c in classes}
    found: dict[tuple, list[Use]] = {}
    unranged: dict[str, set] = {}
    held: list[str] = []
    for _, r in sources.dropna(subset=["row"]).iterrows():
        t = tables.get(r.get("table"))
        sid = r.get("service")
        if t is None or sid not in by_id or r.get("column") not in t.columns:
            continue
        if t.columns[r["column"]].type in ("bool", "text"):
            continue
        row = table_key(t, r["row"])
        if row not in t.data.index:
            continue
        col = r["column"]
        lo, hi = f"{col}_low", f"{col}_high"
        if lo not in t.columns or pd.isna(t.data.at[row, lo]):
            unranged.setdefault(t.name, set()).add(f"{row}.{col}")
            continue
        given = next((v for k, v in ((overrides or {}).get(t.name) or {}).items() if str(k) == str(row)), None)
        if "user" in str(r.get("status", "")) and not (given and lo in given and hi in given):
            held.append(f"{t.name}[{row}].{col}: overridden by the user, the table's range is not used")
            continue
        if sid not in raster_ids:
            held.append(f"{t.name}[{row}].{col} of {sid}: the service is given by lines, held at its value")
            continue
        found.setdefault((t.name, row, col), []).append(_use(by_id[sid], r, t, row))
    return found, unranged, held


def _use(cls, r: pd.Series, table, row) -> Use:
    """The use of a table cell by service ``cls`` as recorded in the ``sources`` row ``r``."""
    p = cls.spec.param(r["parameter"])
    stage = "value" if p in cls.spec.value_params else ("regional" if p in cls.spec.region_params else "physical")
    eco = str(row) if table.index_kind == "ecosystem" else None
    item = r.get("item") if isinstance(r.get("item"), str) and r.get("item") else None
    return Use(cls.spec.id, p.name, stage, eco, item)


def _coefficient(table, row, col: str, uses: list[Use]) -> Coefficient | None:
    """The coefficient of cell ``row``, ``col`` with its relative range, or None for a value of 0."""
    rng = declared_ranges(table, rows=[row])
    h = rng[(rng["row"] == row) & (rng["column"] == col)].iloc[0]
    if h["value"] == 0:
        return None
    return Coefficient(
        table.name,
        row,
        col,
        "value" if all(u.stage == "value" for u in uses) else "physical",
        tuple(sorted({u.service for u in uses})),
        float(h["value"]),
        table.unit(col, row),
        float(h["low"]) / float(h["value"]),
        float(h["high"]) / float(h["value"]),
        _range_note(table, row),
    )


def _range_note(table, row) -> str:
    """Where a row's range comes from: its source, and its note if any."""
    note = table.data.at[row, "note"] if "note" in table.data.columns else ""
    src = table.data.at[row, "source"] if "source" in table.data.columns else ""
    return f"{src}: {note}" if isinstance(note, str) and note else str(src)
