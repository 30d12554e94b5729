"""The engine of an account's Monte Carlo: its values for any matrix of coefficient factors φ.

:class:`Engine` is built once from an account and its context (zonal sums at the table values, one
extra sum per affine parameter, the resolved arguments) and evaluates draws on those sums: linear
parameters rescale them, others recompute the service on the full grid (in batches of
:data:`BATCH_VALUES`).  Which coefficients are drawn is :mod:`gepcalc.uncertainty.coefficients`;
the factors themselves, the summary of the draws and the sensitivity are elsewhere in
:mod:`gepcalc.uncertainty`.
"""

from __future__ import annotations

import dask.array as dsa
import numpy as np
import xarray as xr

from gepcalc.areas import correct_areas
from gepcalc.context import AccountContext
from gepcalc.errors import ConfigError
from gepcalc.rules import apply_rules
from gepcalc.uncertainty.coefficients import Use, linearity, ranged_coefficients
from gepcalc.uncertainty.per_draw import per_draw, regional_draws, stack_services, times
from gepcalc.zonal import on_grid, zonal_sums

#: values per chunk (draws × pixels) of one batch of a service recomputed on the grid (~32 MB of float64)
BATCH_VALUES = 4_000_000


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
    batch_values
        Values per chunk (draws × pixels) of one batch of a service recomputed on the grid;
        :data:`BATCH_VALUES` when None.
    """

    def __init__(self, acct, batch_values: int | None = None):
        if acct.context is None:
            raise ConfigError(
                "uncertainty: the account has no context (made by gepcalc.concat or Account.sel); "
                "draw the accounts it was made of"
            )
        self.acct = acct
        self.batch_values = BATCH_VALUES if batch_values is None else int(batch_values)
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
        """The resolved arguments of ``cls`` for stage ``which`` (physical, regional, value)."""
        return self.context.arguments(cls, which)

    def _items(self, cls) -> tuple:
        """The items of ``cls`` in the account."""
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
        """Zonal sums at the table values (and per affine parameter, S(2X) − S(X)); how each service is drawn."""
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
                    doubled = {**pargs, p: times(pargs[p], 2.0)}
                    quantities[f"{sid}#{p}"] = self._physical(cls, doubled)
        self.sums = zonal_sums(quantities, self.land, False) if quantities else {}
        for sid, ps in self.affine.items():
            for p in ps:
                self.sums[f"{sid}#{p}"] = self.sums[f"{sid}#{p}"] - self.sums[sid]
        self.rargs = {c.spec.id: self._args(c, "regional") for c in self.raster}
        self.vargs = {c.spec.id: self._args(c, "value") for c in self.raster}

    def _physical(self, cls, pargs) -> xr.DataArray:
        """The per-pixel quantity of ``cls`` with physical arguments ``pargs``, on the grid, the account's items."""
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
        """``args`` of service ``sid`` at ``stage`` with each drawn parameter × its factor (dim ``draw``)."""
        out = dict(args)
        for p, drawn in self._drawn(sid, stage).items():
            if out.get(p) is None:
                continue
            out[p] = times(out[p], self._factor(phi, drawn, out[p]))
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

        ``batched``: draws in batches of ``batch_values`` / (pixels per chunk), each batch one
        ``physical()`` call on parameters carrying a ``draw`` dim; else one call per draw.
        """
        sid, n = cls.spec.id, phi.shape[0]
        chunk = int(np.prod([max(c) for c in self.land.ecosystem.chunks])) if self.land.ecosystem.chunks else 1
        size = max(1, int(self.batch_values // max(chunk, 1))) if batched else 1
        quantities, keys = {}, []
        for start in range(0, n, size):
            ph = phi[start : start + size]
            pargs = dict(self.pargs[sid])
            for p, uses in drawn.items():
                g = self._factor(ph, uses, pargs[p])
                if not batched:
                    g = g.isel(draw=0, drop=True)
                pargs[p] = times(pargs[p], self._on_pixels(g))
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
            r = regional_draws(cls, q, area, rargs)
            keep = self._kept_items(sid)
            if keep is not None and "item" in r.dims:
                r = r.sel(item=keep)
            v = per_draw(lambda q, c=cls, **kw: c.value(q, **kw), r, vargs) * cls.value_factor()
            quantities[sid], values[sid] = r, v.broadcast_like(r)
        values = self._rules(quantities, values)
        return stack_services(values)

    def _kept_items(self, sid: str):
        """The items of ``sid`` the account has a quantity or value for (None: the single item ``""``)."""
        q = self.acct.data["quantity"].sel(service=sid)
        v = self.acct.data["value"].sel(service=sid)
        ok = (q.notnull() | v.notnull()).any([d for d in q.dims if d != "item"])
        items = [str(i) for i in q["item"].values[ok.values]]
        return items if items != [""] else None

    def _rules(self, quantities: dict, values: dict) -> dict:
        """The profile's double-counting rules, draw by draw, where both services are in the account."""
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


def _bcast(v: np.ndarray, like: xr.DataArray):
    """``v`` (one value per draw) shaped to broadcast against ``like`` (draw first)."""
    return v.reshape((-1,) + (1,) * (like.ndim - 1))
