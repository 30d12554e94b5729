r"""Uncertainty of a county account: seeded Monte Carlo over declared ranges, and sensitivity.

``gepcalc.account(..., uncertainty=N, seed=S)`` draws every coefficient the account used that
declares a range in its table (``X_low``/``X_high``, ``docs/tables.md``, "Ranges") — physical
coefficients (rates, capacities, runoff coefficients) and prices alike — and reports the mean and
the 90 % interval (P05, P95) of GEP, of each category, service, region and row.  A coefficient
whose table row has no range is held at its value, and the notes say so: no range is invented.

**Draws.**  A coefficient c is scaled by a factor :math:`\varphi_c` drawn from a triangular
distribution (low/value, mode 1, high/value; :func:`gepcalc.project.draw_factors`, the same
generator as the project Monte Carlo), in every service and region that uses it (the forest
sequestration rate moves carbon and oxygen together).

**How a draw is evaluated** (:class:`Engine`; no raster work per draw where the quantity is
linear in the coefficient):

* *value parameters* (prices, contents): the service's own ``value()`` is evaluated on the
  account's quantities with the parameter × φ, all draws at once (exact for any value rule);
* *region parameters* (``regional()`` inputs such as the reservoir flood share): ``regional()``
  is re-run on the zonal sums with the parameter × φ (exact; the per-region rules, e.g.
  min(load, capacity), are not linear);
* *physical parameters declared multiplicative* (:data:`LINEARITY`): the quantity is
  proportional to the coefficient, so the zonal sum of its ecosystem type (every type for a
  constant) is scaled: :math:`S' = S\,\varphi_c`;
* *physical parameters declared affine* (the water-balance runoff coefficient,
  :math:`Q = (P - \alpha P - ET) A`): one extra zonal pass with the parameter doubled gives
  :math:`D = S(2X) - S(X)`, and :math:`S' = S + (\varphi_c - 1) D` — exact for an affine
  quantity; per-type coefficients of one parameter act on disjoint pixels, so one pass serves
  them all.  Two different affine parameters of one service are not jointly affine
  (:math:`P\alpha`), so such a service is recomputed;
* *other physical parameters* (Budyko, RUSLE's LS, RWEQ, anything not declared): the service's
  ``physical()`` is recomputed **on the full grid** for every draw (one zonal pass for all
  draws, n × the service's raster cost; no coarsened sample is used, so keep n small there).

Area corrections (``account(areas=...)``), ``regional()``, ``value()`` and the profile's
double-counting rules are then applied to every draw as in the account.  Each draw is anchored
to the account: draw = point value + (engine(φ) − engine(1)), so ranges of zero width give the
point account exactly, bit for bit, and services given by lines (reported quantities) stay at
their point values (noted).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from gepcalc.context import AccountContext
from gepcalc.errors import ConfigError
from gepcalc.io import atomic
from gepcalc.project.uncertainty import Coefficient, declared_ranges, draw_factors
from gepcalc.units import VALUE_UNIT, factor

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

#: values per chunk (draws × pixels) of one batch of a service recomputed on the grid (~32 MB of float64)
BATCH_VALUES = 4_000_000

#: the interval reported: P05 and P95 (a 90 % interval)
QUANTILES = (0.05, 0.95)


def linearity(cls) -> dict[str, str]:
    """How each physical parameter of a service enters its quantity (see :data:`LINEARITY`)."""
    own = getattr(cls, "uncertainty_linearity", None)
    return dict(own) if own is not None else dict(LINEARITY.get(cls.spec.key, {}))


# -- ranged coefficients of an account --------------------------------------------------------------------


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
    by_id = {c.spec.id: c for c in classes}
    found: dict[tuple, list[Use]] = {}
    unranged: dict[str, set] = {}
    held: list[str] = []
    if not len(sources) or "row" not in sources or "column" not in sources:
        return [], {}, ["no coefficient of the account comes from a table row"]
    for _, r in sources.dropna(subset=["row"]).iterrows():
        t = tables.get(r.get("table"))
        sid = r.get("service")
        if t is None or sid not in by_id or r.get("column") not in t.columns:
            continue
        if t.columns[r["column"]].type in ("bool", "text"):
            continue
        row = _key(t, r["row"])
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
        cls = by_id[sid]
        p = cls.spec.param(r["parameter"])
        stage = "value" if p in cls.spec.value_params else ("regional" if p in cls.spec.region_params else "physical")
        eco = str(row) if t.index_kind == "ecosystem" else None
        item = r.get("item") if isinstance(r.get("item"), str) and r.get("item") else None
        found.setdefault((t.name, row, col), []).append(Use(sid, p.name, stage, eco, item))
    coeffs, uses = [], {}
    for (tname, row, col), us in sorted(found.items(), key=lambda kv: tuple(map(str, kv[0]))):
        t = tables[tname]
        rng = declared_ranges(t, rows=[row])
        hit = rng[(rng["row"] == row) & (rng["column"] == col)]
        h = hit.iloc[0]
        if h["value"] == 0:
            held.append(f"{tname}[{row}].{col}: range around a value of 0 cannot be applied relatively; held")
            continue
        c = Coefficient(
            tname,
            row,
            col,
            "value" if all(u.stage == "value" for u in us) else "physical",
            tuple(sorted({u.service for u in us})),
            float(h["value"]),
            t.unit(col, row),
            float(h["low"]) / float(h["value"]),
            float(h["high"]) / float(h["value"]),
            _range_note(t, row),
        )
        coeffs.append(c)
        uses[c.key] = list(dict.fromkeys(us))
    for tname, cells in sorted(unranged.items()):
        held.append(f"table {tname!r}: no declared range for {', '.join(sorted(cells))}: no uncertainty drawn")
    return coeffs, uses, held


def _key(table, row):
    if table.index_kind == "landcover":
        try:
            return int(row)
        except (TypeError, ValueError):
            return row
    return row


def _range_note(table, row) -> str:
    note = table.data.at[row, "note"] if "note" in table.data.columns else ""
    src = table.data.at[row, "source"] if "source" in table.data.columns else ""
    return f"{src}: {note}" if isinstance(note, str) and note else str(src)


# -- the engine ------------------------------------------------------------------------------------------


class Engine:
    """Evaluate an account's values for any matrix of coefficient factors φ (draws × coefficients).

    Built once from the account and what it was computed from (``acct.context``,
    :class:`gepcalc.context.AccountContext`): the zonal sums at the table values, one extra sum
    per affine parameter drawn, the resolved arguments.  :meth:`values` then costs no raster
    work for linear parameters.

    Parameters
    ----------
    acct
        The point account (with its ``context``: landscape, tables, services, items, inputs,
        services given by lines, profile, area corrections, overrides).
    """

    def __init__(self, acct):
        if acct.context is None:
            raise ConfigError(
                "uncertainty: the account has no context (made by gepcalc.concat or Account.sel); "
                "draw the accounts it was made of"
            )
        self.acct = acct
        self.context: AccountContext = acct.context
        self.land = self.context.land
        self.profile = self.context.profile
        present = set(acct.data["service"].values)
        lines = set(self.context.from_lines)
        self.classes = [c for c in self.context.classes if c.spec.id in present]
        self.raster = [c for c in self.classes if c.spec.id not in lines] if self.land is not None else []
        ids = [c.spec.id for c in self.raster]
        self.coefficients, self.uses, self.held = ranged_coefficients(
            acct.sources, self.context.tables, self.classes, ids, self.context.overrides
        )
        self.keys = [c.key for c in self.coefficients]
        self.notes: list[str] = []
        self._prepare()

    # resolved arguments and sums at the table values
    def _args(self, cls, which: str) -> dict:
        return self.context.arguments(cls, which)

    def _items(self, cls) -> tuple:
        return self.context.items_of(cls)

    def _drawn(self, sid: str, stage: str) -> dict[str, list[tuple[int, Use]]]:
        """Per parameter of service ``sid`` at ``stage``: the (coefficient index, use) drawn."""
        out: dict[str, list] = {}
        for i, k in enumerate(self.keys):
            for u in self.uses[k]:
                if u.service == sid and u.stage == stage:
                    out.setdefault(u.parameter, []).append((i, u))
        return out

    def _prepare(self) -> None:
        from gepcalc.zonal import zonal_sums

        self.pargs, self.mode, quantities = {}, {}, {}
        self.affine: dict[str, list[str]] = {}
        for cls in self.raster:
            sid = cls.spec.id
            pargs = self._args(cls, "physical")
            self.pargs[sid] = pargs
            quantities[sid] = self._physical(cls, pargs)
            drawn = self._drawn(sid, "physical")
            lin = linearity(cls)
            kinds = {p: lin.get(p, "nonlinear") for p in drawn}
            affine = [p for p, k in kinds.items() if k == "affine"]
            if "nonlinear" in kinds.values() or len(affine) > 1:
                self.mode[sid] = "recomputed"
                why = [p for p, k in kinds.items() if k == "nonlinear"] or affine
                self.notes.append(
                    f"{sid}: parameter(s) {', '.join(why)} drawn by recomputing the service on the full grid "
                    "for every draw (not linear in them)"
                )
            else:
                self.mode[sid] = "linear"
                self.affine[sid] = affine
                for p in affine:  # D = S(2X) − S(X): one extra sum per affine parameter
                    doubled = {**pargs, p: _times(pargs[p], 2.0)}
                    quantities[f"{sid}#{p}"] = self._physical(cls, doubled)
        self.sums = zonal_sums(quantities, self.land, False) if quantities else {}
        for sid, ps in self.affine.items():
            for p in ps:
                self.sums[f"{sid}#{p}"] = self.sums[f"{sid}#{p}"] - self.sums[sid]
        self.rargs = {c.spec.id: self._args(c, "regional") for c in self.raster}
        self.vargs = {c.spec.id: self._args(c, "value") for c in self.raster}

    def _physical(self, cls, pargs) -> xr.DataArray:
        from gepcalc.zonal import on_grid

        q = on_grid(cls.physical(area=self.land.area, **pargs), self.land)
        if "item" in q.dims:
            q = q.sel(item=list(self._items(cls)))
        return q

    # factors on parameters
    def _factor(self, phi: np.ndarray, drawn: list[tuple[int, Use]], like) -> xr.DataArray:
        """The factor array (draw[, ecosystem][, item]) a parameter is multiplied by."""
        dims, coords = ["draw"], {"draw": np.arange(phi.shape[0])}
        ecos = [u.ecosystem for _, u in drawn if u.ecosystem is not None]
        items = [u.item for _, u in drawn if u.item is not None]
        if ecos:
            dims.append("ecosystem")
            coords["ecosystem"] = list(self.land.ecosystem_ids) if self.land is not None else sorted(set(ecos))
        if items:
            dims.append("item")
            coords["item"] = (
                list(like["item"].values) if isinstance(like, xr.DataArray) and "item" in like.dims else items
            )
        f = xr.DataArray(np.ones([len(coords[d]) for d in dims]), coords=coords, dims=dims)
        for i, u in drawn:
            at = {}
            if u.ecosystem is not None:
                at["ecosystem"] = u.ecosystem
            if u.item is not None:
                at["item"] = u.item
            if at:
                f.loc[at] = f.loc[at] * _bcast(phi[:, i], f.loc[at])
            else:
                f = f * xr.DataArray(phi[:, i], dims=["draw"], coords={"draw": coords["draw"]})
        return f

    def _perturbed(self, args: dict, sid: str, stage: str, phi: np.ndarray) -> dict:
        out = dict(args)
        for p, drawn in self._drawn(sid, stage).items():
            if out.get(p) is None:
                continue
            out[p] = _times(out[p], self._factor(phi, drawn, out[p]))
        return out

    def _sums(self, cls, phi: np.ndarray) -> xr.DataArray:
        """Zonal sums of one service for every draw (dim ``draw``)."""

        sid = cls.spec.id
        drawn = self._drawn(sid, "physical")
        s0 = self.sums[sid]
        if not drawn:
            return s0.expand_dims(draw=np.arange(phi.shape[0]))
        if self.mode[sid] == "linear":
            s = s0
            for p in self.affine[sid]:
                f = self._factor(phi, drawn[p], s0)
                s = s + (f - 1.0) * self.sums[f"{sid}#{p}"]
            for p, d in drawn.items():
                if p not in self.affine[sid]:
                    s = s * self._factor(phi, d, s0)
            return s.broadcast_like(s0.expand_dims(draw=np.arange(phi.shape[0]))).transpose("draw", *s0.dims)
        try:  # all draws of a batch in one graph: parameters with a `draw` dim
            return self._recomputed(cls, phi, drawn, batched=True)
        except Exception:  # a physical() that does not broadcast an extra dim: draw by draw
            return self._recomputed(cls, phi, drawn, batched=False)

    def _recomputed(self, cls, phi: np.ndarray, drawn: dict, *, batched: bool) -> xr.DataArray:
        """Zonal sums of a service recomputed on the full grid for every draw, in one zonal pass.

        ``batched``: draws in batches of :data:`BATCH_VALUES` / (pixels per chunk), each batch one
        ``physical()`` call on parameters carrying a ``draw`` dim; else one call per draw.
        """
        from gepcalc.zonal import zonal_sums

        sid, n = cls.spec.id, phi.shape[0]
        chunk = int(np.prod([max(c) for c in self.land.ecosystem.chunks])) if self.land.ecosystem.chunks else 1
        size = max(1, int(BATCH_VALUES // max(chunk, 1))) if batched else 1
        quantities, keys = {}, []
        for start in range(0, n, size):
            ph = phi[start : start + size]
            pargs = dict(self.pargs[sid])
            for p, uses in drawn.items():
                g = self._factor(ph, uses, pargs[p])
                if not batched:
                    g = g.isel(draw=0, drop=True)
                pargs[p] = _times(pargs[p], self._on_pixels(g))
            q = self._physical(cls, pargs)
            key = f"{sid}#draws{start}"
            if batched:
                if "draw" not in q.dims:
                    raise ValueError("physical() dropped the draw dim")
                q = q.rename(draw=f"draw_{start}")
            quantities[key] = q
            keys.append((key, start))
        sums = zonal_sums(quantities, self.land, False)
        parts = [sums[k].rename({f"draw_{s}": "draw"}) if batched else sums[k].expand_dims(draw=[s]) for k, s in keys]
        return xr.concat(parts, dim="draw").assign_coords(draw=np.arange(n)).transpose("draw", ...)

    def _on_pixels(self, g: xr.DataArray) -> xr.DataArray:
        """A per-type factor spread onto the pixels (any other dims, ``draw`` and ``item``, kept in front).

        Nodata pixels (type code 0) get the factor 1.
        """
        if "ecosystem" not in g.dims:
            return g
        import dask.array as dsa

        other = [d for d in g.dims if d != "ecosystem"]
        g = g.transpose(*other, "ecosystem")
        lut = np.concatenate([np.ones((*g.shape[:-1], 1)), g.values], axis=-1)
        eco = self.land.ecosystem
        if isinstance(eco.data, dsa.Array):
            data = eco.data.map_blocks(
                lambda b: lut[..., b],
                new_axis=list(range(len(other))),
                chunks=(*[(k,) for k in g.shape[:-1]], *eco.data.chunks),
                dtype="float64",
            )
        else:
            data = lut[..., np.asarray(eco.values)]
        coords = {d: g[d].values for d in other}
        return xr.DataArray(data, dims=(*other, *eco.dims), coords={**coords, **{d: eco[d] for d in eco.dims}})

    def values(self, phi: np.ndarray) -> xr.DataArray:
        """Value [CNY/yr] by draw × service × item × region × ecosystem for factors ``phi`` (draws × coefficients).

        Only the raster services of the account; anchored values are :meth:`anchored`.
        """
        from gepcalc.areas import correct_areas

        phi = np.atleast_2d(np.asarray(phi, dtype="float64"))
        if phi.shape[1] != len(self.keys):
            raise ConfigError(f"factors for {phi.shape[1]} coefficients given, the account has {len(self.keys)}")
        sums = {c.spec.id: self._sums(c, phi) for c in self.raster}
        if not sums:
            return xr.DataArray(np.zeros((phi.shape[0], 0)), dims=("draw", "service"))
        sums["__area__"] = self.sums["__area__"]
        area = correct_areas(sums, self.context.corrections, self.raster, [], None)
        quantities, values = {}, {}
        for cls in self.raster:
            sid = cls.spec.id
            q = sums[sid]
            items = self._items(cls)
            if cls.spec.items and "item" not in q.dims:
                q = q.expand_dims(item=list(items))
            rargs = self._perturbed(self.rargs[sid], sid, "regional", phi)
            vargs = self._perturbed(self.vargs[sid], sid, "value", phi)
            if getattr(cls, "regional_uses_value_params", False):
                rargs = {**vargs, **rargs}
            r = _regional_draws(cls, q, area, rargs)
            keep = self._kept_items(sid)
            if keep is not None and "item" in r.dims:
                r = r.sel(item=keep)
            v = _per_draw(lambda q, c=cls, **kw: c.value(q, **kw), r, vargs) * cls.value_factor()
            quantities[sid], values[sid] = r, v.broadcast_like(r)
        values = self._rules(quantities, values)
        return _stack(values)

    def _kept_items(self, sid: str):
        q = self.acct.data["quantity"].sel(service=sid)
        v = self.acct.data["value"].sel(service=sid)
        ok = (q.notnull() | v.notnull()).any([d for d in q.dims if d != "item"])
        items = [str(i) for i in q["item"].values[ok.values]]
        return items if items != [""] else None

    def _rules(self, quantities: dict, values: dict) -> dict:
        """The profile's double-counting rules, draw by draw, where both services are in the account."""
        from gepcalc.rules import apply_rules

        active = [
            r
            for r in self.profile.double_counting
            if r["service"] in self.acct.data["service"] and r["minus"] in self.acct.data["service"]
        ]
        if not active:
            return values
        ds = self.acct.data
        units = {
            (str(s), str(i)): str(ds["item_unit"].sel(service=s, item=i).item())
            for s in ds["service"].values
            for i in ds["item"].values
            if ds["item_unit"].sel(service=s, item=i).item()
        }
        fixed = {}
        for s in ds["service"].values:
            if s not in quantities:  # a service of lines: its point quantity
                q = ds["quantity"].sel(service=s).isel(scenario=0, year=0, drop=True)
                fixed[str(s)] = q.dropna("item", how="all") if "item" in q.dims else q
        n = next(iter(values.values())).sizes["draw"]
        out = {k: [] for k in values}
        for d in range(n):
            q = {**fixed, **{k: v.isel(draw=d, drop=True) for k, v in quantities.items()}}
            v = {**fixed, **{k: v.isel(draw=d, drop=True) for k, v in values.items()}}
            _, v2, _ = apply_rules(self.profile, q, v, units)
            for k in values:
                out[k].append(v2[k])
        return {k: xr.concat(vs, dim="draw").assign_coords(draw=np.arange(n)) for k, vs in out.items()}

    def delta(self, phi: np.ndarray) -> xr.DataArray:
        """Change of value [CNY/yr] from the table values for factors ``phi``: engine(φ) − engine(1).

        Dims ``draw, service, item, region, ecosystem`` aligned to the account's data (0 elsewhere).
        """
        phi = np.atleast_2d(np.asarray(phi, dtype="float64"))
        both = self.values(np.vstack([np.ones((1, phi.shape[1])), phi]))
        if not both.sizes.get("service", 0):
            return both.isel(draw=slice(1, None))
        d = both.isel(draw=slice(1, None)) - both.isel(draw=0)
        d = d.assign_coords(draw=np.arange(phi.shape[0]))
        ref = self.acct.data["value"].isel(scenario=0, year=0, drop=True)
        d = d.reindex(item=ref["item"], region=ref["region"], ecosystem=ref["ecosystem"], fill_value=0.0)
        return d.fillna(0.0).transpose("draw", "service", "item", "region", "ecosystem")

    def gep(self, phi: np.ndarray) -> np.ndarray:
        """GEP [CNY/yr] for each row of factors ``phi``."""
        base = float(self.acct.data["value"].sum())
        d = self.delta(phi)
        return base + (d.sum([x for x in d.dims if x != "draw"]).values if d.sizes.get("service", 0) else 0.0)


def _times(x, f):
    """x × f for a float, a per-pixel or a per-ecosystem DataArray, or None."""
    if x is None:
        return None
    if isinstance(f, xr.DataArray) and not isinstance(x, xr.DataArray) and np.ndim(x):
        x = xr.DataArray(x)
    return x * f


def _bcast(v: np.ndarray, like: xr.DataArray):
    return v.reshape((-1,) + (1,) * (like.ndim - 1))


def _per_draw(fn, q: xr.DataArray, kw: dict) -> xr.DataArray:
    """``fn(q, **kw)`` on all draws at once, or draw by draw where the rule does not broadcast."""
    try:
        out = fn(q, **kw)
        if isinstance(out, xr.DataArray) and "draw" in out.dims:
            return out
    except Exception:  # a rule written for one draw (numpy on .values, scalar comparisons)
        pass
    n = q.sizes["draw"] if "draw" in q.dims else next(v.sizes["draw"] for v in kw.values() if _has_draw(v))
    parts = []
    for d in range(n):
        qd = q.isel(draw=d, drop=True) if "draw" in q.dims else q
        kd = {k: (v.isel(draw=d, drop=True) if _has_draw(v) else v) for k, v in kw.items()}
        parts.append(fn(qd, **kd))
    return xr.concat(parts, dim="draw").assign_coords(draw=np.arange(n))


def _regional_draws(cls, q: xr.DataArray, area: xr.DataArray, kw: dict) -> xr.DataArray:
    """``cls.regional`` for every draw: at once; else with draws stacked as regions; else draw by draw.

    A per-region rule treats each region on its own (``DESIGN.md``, per-region rules), so draw d of
    region r can be handed to it as a region of its own, ``"r␟d"``: one call for all draws (rules
    written with per-region ``float(...sel(region=r))`` do not broadcast an extra dim).
    """
    try:
        out = cls.regional(q, area, **kw)
        if isinstance(out, xr.DataArray) and "draw" in out.dims:
            return out
    except Exception:
        pass
    try:
        return _stacked_regions(cls, q, area, kw)
    except Exception:  # a rule that looks across regions: draw by draw
        return _per_draw(lambda x, **k: cls.regional(x, area, **k), q, kw)


def _stacked_regions(cls, q: xr.DataArray, area: xr.DataArray, kw: dict) -> xr.DataArray:
    n = q.sizes["draw"] if "draw" in q.dims else next(v.sizes["draw"] for v in kw.values() if _has_draw(v))
    regions = [str(r) for r in q["region"].values]
    labels = [f"{r}\u241f{d}" for d in range(n) for r in regions]
    draws = xr.DataArray(np.arange(n), dims="draw", coords={"draw": np.arange(n)})

    def flat(x):
        if not isinstance(x, xr.DataArray) or "region" not in x.dims:
            return x
        attrs = dict(x.attrs)
        x = x.broadcast_like(draws) if "draw" not in x.dims else x
        rest = [d for d in x.dims if d not in ("draw", "region")]
        x = x.transpose("draw", "region", *rest)
        out = xr.DataArray(
            x.values.reshape(n * len(regions), *x.shape[2:]),
            dims=("region", *rest),
            coords={"region": labels, **{d: x[d].values for d in rest if d in x.coords}},
        )
        out.attrs = attrs
        return out

    res = cls.regional(flat(q), flat(area), **{k: flat(v) for k, v in kw.items()})
    rest = [d for d in res.dims if d != "region"]
    res = res.transpose("region", *rest)
    return xr.DataArray(
        res.values.reshape(n, len(regions), *res.shape[1:]),
        dims=("draw", "region", *rest),
        coords={
            "draw": np.arange(n),
            "region": q["region"].values,
            **{d: res[d].values for d in rest if d in res.coords},
        },
    )


def _has_draw(v) -> bool:
    return isinstance(v, xr.DataArray) and "draw" in v.dims


def _stack(values: dict[str, xr.DataArray]) -> xr.DataArray:
    def full(v):
        v = v.drop_vars([c for c in v.coords if c not in v.dims])  # spatial_ref and other scalar coords
        v = v if "item" in v.dims else v.expand_dims(item=[""])
        return v.transpose("draw", "item", "region", "ecosystem")

    ids = list(values)
    return xr.concat([full(values[s]) for s in ids], dim=pd.Index(ids, name="service"), join="outer").transpose(
        "draw", "service", "item", "region", "ecosystem"
    )


# -- Monte Carlo on an account ---------------------------------------------------------------------------


@dataclass
class AccountUncertainty:
    """Draws of an account's values: the intervals every output shows (``Account.uncertainty``).

    Attributes
    ----------
    delta : xarray.DataArray
        Change of value [CNY/yr] from the point account per draw, dims ``draw, service, item, region,
        ecosystem`` (services without a drawn coefficient are left out: their change is 0).
    factors : pandas.DataFrame
        The factor φ of each drawn coefficient in each draw.
    coefficients : pandas.DataFrame
        The coefficients drawn: table, row, column, unit, value, low, high, services, how drawn, source.
    n, seed, distribution
        How the draws were made (the same seed gives the same draws, bit for bit).
    notes : list of str
        What was held at its value and why, and how each service was drawn.
    """

    delta: xr.DataArray
    point: xr.DataArray
    factors: pd.DataFrame
    coefficients: pd.DataFrame
    n: int
    seed: int
    distribution: str = "triangular"
    notes: list[str] = field(default_factory=list)
    engine: Engine | None = field(default=None, repr=False)

    def sensitivity(self, unit: str = "亿元") -> pd.DataFrame:
        """One-at-a-time sensitivity of GEP to each drawn coefficient (:func:`one_at_a_time`)."""
        return one_at_a_time(self.engine, unit)

    def sobol(self, n: int = 256, seed: int | None = None) -> pd.DataFrame:
        """Sobol indices of GEP (:func:`sobol`), seeded with the account's seed by default."""
        return sobol(self.engine, n, self.seed if seed is None else seed)

    def tornado(self, path=None, unit: str = "亿元"):
        """Tornado chart of :meth:`sensitivity` (:func:`tornado`)."""
        return tornado(self.sensitivity(unit), path, unit)

    def _point_and_change(self, dims: Sequence[str]) -> tuple[xr.DataArray, xr.DataArray]:
        """Point value and change per draw [CNY/yr], summed over all but ``dims``."""
        point = self.point
        delta = self.delta.reindex(service=point["service"], fill_value=0.0)
        delta = delta.assign_coords(category=("service", point["category"].values))
        keep = [d for d in dims if d != "category"]
        p, d = point, delta
        if "category" in dims:
            p = p.groupby("category").sum()
            d = d.groupby("category").sum()
            keep = ["category", *keep]
        p = p.sum([x for x in p.dims if x not in keep])
        d = d.sum([x for x in d.dims if x not in keep and x != "draw"])
        return p, d.transpose("draw", *keep)

    def draws(self, dims: Sequence[str]) -> xr.DataArray:
        """Value draws [CNY/yr] summed over all but ``dims`` (any of service, item, category, region, ecosystem)."""
        p, d = self._point_and_change(dims)
        return (p + d).transpose("draw", *[x for x in d.dims if x != "draw"])

    def interval(self, dims: Sequence[str], unit: str = "CNY") -> pd.DataFrame:
        """Mean, P05 and P95 of the value summed over all but ``dims``, in ``unit`` per year.

        Computed as point + statistic of the change, so that ranges of zero width give the point value exactly.
        """
        f = factor(VALUE_UNIT, f"{unit} / yr")
        p, d = self._point_and_change(dims)
        keep = [x for x in d.dims if x != "draw"]
        stats = xr.Dataset(
            {
                "mean": (p + d.mean("draw")) * f,
                "p05": (p + d.quantile(QUANTILES[0], "draw", method="linear").drop_vars("quantile")) * f,
                "p95": (p + d.quantile(QUANTILES[1], "draw", method="linear").drop_vars("quantile")) * f,
            }
        )
        if not keep:
            return pd.DataFrame({k: [float(stats[k])] for k in stats})
        return stats.to_dataframe().reset_index()[[*keep, "mean", "p05", "p95"]]

    def gep(self, unit: str = "亿元") -> dict[str, float]:
        """GEP's point value, mean, P05 and P95 [unit/yr]."""
        s = self.interval((), unit).iloc[0]
        f = factor(VALUE_UNIT, f"{unit} / yr")
        return {"point": float(self.point.sum()) * f, "mean": s["mean"], "p05": s["p05"], "p95": s["p95"]}

    def add_columns(self, df: pd.DataFrame, dims: Sequence[str], col: str, unit: str) -> pd.DataFrame:
        """``df`` (a view of :meth:`Account.by`) with ``mean``, ``p05``, ``p95`` columns after ``col``."""
        dims = list(dims)
        st = self.interval(dims, unit).rename(columns={k: f"value_{k} [{unit}/yr]" for k in ("mean", "p05", "p95")})
        if not dims:
            for k in st.columns:
                df[k] = st[k].iloc[0]
        else:
            for d in dims:
                st[d] = st[d].astype(df[d].dtype) if d in df else st[d]
            df = df.merge(st, on=dims, how="left")
        return _after(df, col, list(st.columns[len(dims) :]))

    def sheets(self, unit: str = "亿元") -> dict[str, pd.DataFrame]:
        """Workbook sheets: the coefficients drawn (with how and their range's source) and the sensitivity."""
        return {
            "uncertainty 不确定性": self.coefficients,
            "sensitivity 敏感性": self.sensitivity(unit) if self.engine is not None else pd.DataFrame(),
        }

    def tidy(self, df: pd.DataFrame, f: float, columns: Sequence[str]) -> tuple[pd.DataFrame, list[str]]:
        """Rows of :meth:`Account.table` with ``value_p05``, ``value_p95`` (the table's unit: × ``f``)."""
        delta = self.delta.reindex(service=self.point["service"], fill_value=0.0)
        q = (self.point + delta.quantile(list(QUANTILES), "draw", method="linear")) * f
        st = pd.DataFrame(
            {
                "value_p05": q.sel(quantile=QUANTILES[0], drop=True).to_series(),
                "value_p95": q.sel(quantile=QUANTILES[1], drop=True).to_series(),
            }
        ).reset_index()
        df = df.merge(st, on=["service", "item", "region", "ecosystem"], how="left")
        cols = list(columns)
        i = cols.index("value") + 1
        return df, [*cols[:i], "value_p05", "value_p95", *cols[i:]]

    def notes_text(self) -> list[str]:
        head = (
            f"uncertainty: {self.n} draws (seed {self.seed}, {self.distribution} on declared ranges) of "
            f"{len(self.coefficients)} coefficient(s): "
            + (", ".join(self.coefficients["coefficient"]) if len(self.coefficients) else "none has a range")
            + "; intervals are P05–P95 (90 %)"
        )
        return [head, *(f"uncertainty: {n}" for n in self.notes)]


def _after(df: pd.DataFrame, col: str, new: list[str]) -> pd.DataFrame:
    cols = [c for c in df.columns if c not in new]
    i = cols.index(col) + 1 if col in cols else len(cols)
    return df[cols[:i] + new + cols[i:]]


def monte_carlo(acct, n: int, seed: int | None = None, distribution: str = "triangular"):
    """Draw the account ``n`` times (see module docstring) and return :class:`AccountUncertainty`.

    Parameters
    ----------
    acct
        The point account, with its ``context`` (what it was computed from, :mod:`gepcalc.context`).
    n
        Number of draws (≥ 1).
    seed
        Random seed (None = 0); the same seed gives the same draws, bit for bit.
    distribution
        ``triangular`` (default: low, mode the table value, high), ``uniform`` or ``pert``.
    """
    if int(n) != n or n < 1:
        raise ConfigError(f"account(uncertainty={n!r}): the number of draws must be a whole number ≥ 1")
    seed = 0 if seed is None else int(seed)
    eng = Engine(acct)
    phi = draw_factors(eng.coefficients, int(n), seed, distribution)
    point = acct.data["value"].isel(scenario=0, year=0, drop=True)
    delta = eng.delta(phi.to_numpy()) if len(eng.coefficients) else None
    affected = (
        [s for s in delta["service"].values if bool((delta.sel(service=s) != 0).any())] if delta is not None else []
    )
    return AccountUncertainty(
        delta=delta.sel(service=affected) if affected else _no_delta(int(n), point),
        point=point,
        factors=phi,
        coefficients=coefficient_table(eng),
        n=int(n),
        seed=seed,
        distribution=distribution,
        notes=[*eng.held, *eng.notes, *_line_notes(eng)],
        engine=eng,
    )


def _no_delta(n: int, point: xr.DataArray) -> xr.DataArray:
    """No service moves: a change of shape (draw, 0 services, items, regions, types)."""
    like = point.isel(service=slice(0, 0)).transpose("service", "item", "region", "ecosystem")
    return xr.zeros_like(like).expand_dims(draw=np.arange(n)).copy()


def _line_notes(eng: Engine) -> list[str]:
    lines = [c.spec.id for c in eng.classes if c not in eng.raster]
    return [f"services given by lines held at their reported values: {', '.join(lines)}"] if lines else []


def coefficient_table(eng: Engine) -> pd.DataFrame:
    """The coefficients drawn: where from, their range, the services using them and how each is drawn."""
    rows = []
    for c in eng.coefficients:
        how = sorted(
            {
                f"{u.service}: "
                + (
                    "value rule re-evaluated"
                    if u.stage == "value"
                    else "regional rule re-run"
                    if u.stage == "regional"
                    else (
                        f"{linearity(next(k for k in eng.raster if k.spec.id == u.service)).get(u.parameter)} "
                        "(zonal sums rescaled)"
                        if eng.mode.get(u.service) == "linear"
                        else "recomputed on the full grid per draw"
                    )
                )
                for u in eng.uses[c.key]
            }
        )
        rows.append(
            {
                "coefficient": c.key,
                "table": c.table,
                "row": str(c.row),
                "column": c.column,
                "unit": c.unit,
                "value": c.value,
                "low": c.value * c.low,
                "high": c.value * c.high,
                "services": ", ".join(c.services),
                "how drawn": "; ".join(how),
                "range source": c.range_note,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "coefficient",
            "table",
            "row",
            "column",
            "unit",
            "value",
            "low",
            "high",
            "services",
            "how drawn",
            "range source",
        ],
    )


def attach(acct, n: int, seed: int | None = None) -> None:
    """Compute :func:`monte_carlo` and hang it on the account (``acct.uncertainty``), with its notes."""
    acct.uncertainty = monte_carlo(acct, n, seed)
    acct.notes.extend(acct.uncertainty.notes_text())


# -- sensitivity -------------------------------------------------------------------------------------


def one_at_a_time(eng: Engine, unit: str = "亿元") -> pd.DataFrame:
    """GEP with each ranged coefficient at its low and at its high end, the others at their values.

    Returns one row per coefficient, sorted by swing: coefficient, value, low, high, unit,
    ``GEP low``, ``GEP high``, ``swing`` [unit/yr], services.
    """
    f = factor(VALUE_UNIT, f"{unit} / yr")
    k = len(eng.keys)
    if not k:
        return pd.DataFrame(columns=["coefficient", "GEP low", "GEP high", "swing"])
    phi = np.ones((2 * k, k))
    for i, c in enumerate(eng.coefficients):
        phi[2 * i, i], phi[2 * i + 1, i] = c.low, c.high
    g = eng.gep(phi) * f
    rows = [
        {
            "coefficient": c.key,
            "value": c.value,
            "low": c.value * c.low,
            "high": c.value * c.high,
            "unit": c.unit,
            f"GEP low [{unit}/yr]": g[2 * i],
            f"GEP high [{unit}/yr]": g[2 * i + 1],
            f"swing [{unit}/yr]": abs(g[2 * i + 1] - g[2 * i]),
            "services": ", ".join(c.services),
        }
        for i, c in enumerate(eng.coefficients)
    ]
    df = pd.DataFrame(rows).sort_values(f"swing [{unit}/yr]", ascending=False, kind="stable").reset_index(drop=True)
    df.attrs["GEP"] = float(eng.gep(np.ones((1, k)))[0]) * f
    return df


def sobol(eng: Engine, n: int = 256, seed: int = 0) -> pd.DataFrame:
    """First-order and total Sobol indices of GEP (Saltelli sampling, SALib) over the declared ranges.

    Each coefficient's factor is uniform on [low/value, high/value] here (SALib's Saltelli design);
    ``n`` base samples give n (2k + 2) evaluations.  Needs SALib (``pip install gepcalc[uncertainty]``).
    """
    try:
        from SALib.analyze import sobol as sobol_analyze
        from SALib.sample import sobol as sobol_sample
    except ImportError as exc:  # pragma: no cover - SALib is in the test and uncertainty extras
        raise ConfigError("Sobol indices need SALib: pip install 'gepcalc[uncertainty]'") from exc
    k = len(eng.keys)
    if k < 1:
        return pd.DataFrame(columns=["coefficient", "S1", "S1_conf", "ST", "ST_conf"])
    lo = np.array([c.low for c in eng.coefficients])
    hi = np.array([c.high for c in eng.coefficients])
    hi = np.where(hi > lo, hi, lo + 1e-12)  # SALib needs an interval; a zero-width range gets index 0
    problem = {"num_vars": k, "names": eng.keys, "bounds": np.column_stack([lo, hi]).tolist()}
    x = sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
    y = eng.gep(x)
    res = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
    return (
        pd.DataFrame(
            {
                "coefficient": eng.keys,
                "S1": res["S1"],
                "S1_conf": res["S1_conf"],
                "ST": res["ST"],
                "ST_conf": res["ST_conf"],
            }
        )
        .sort_values("ST", ascending=False, kind="stable")
        .reset_index(drop=True)
    )


def tornado(table: pd.DataFrame, path=None, unit: str = "亿元"):
    """Tornado chart of :func:`one_at_a_time` (a matplotlib Figure; saved to ``path`` if given)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    lo_col, hi_col = f"GEP low [{unit}/yr]", f"GEP high [{unit}/yr]"
    ref = table.attrs.get("GEP", 0.0)
    t = table.iloc[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.5 * max(len(t), 1) + 1.2))
    y = np.arange(len(t))
    ax.barh(y, t[lo_col] - ref, left=ref, color="#4477aa", label="coefficient at its low end")
    ax.barh(y, t[hi_col] - ref, left=ref, color="#ee6677", label="coefficient at its high end")
    ax.axvline(ref, color="k", lw=0.8)
    ax.set_yticks(y, t["coefficient"])
    ax.set_xlabel(f"GEP [{unit}/yr]")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    if path is not None:
        with atomic(path) as tmp:
            fig.savefig(tmp, dpi=150)
    return fig
