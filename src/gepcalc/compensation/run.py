"""``gepcalc.compensation(...)``: flow matrices from an account, valued, and the rules' amounts.

Steps (see ``docs/compensation.md``):

1. An account of the flow services (:func:`gepcalc.account`, same inputs, tables,
   prices) on the land cover and regions; its values by region are the prices of
   the flows.
2. Each service's per-pixel quantity (its ``physical()`` on the account's
   landscape; a service with items, such as pollutants, per item) is carried down
   the DEM (:mod:`gepcalc.compensation.flows`), ``delivery`` × quantity routed and
   the rest kept in the source region.
3. Value matrix = physical matrix × the source region's unit value
   :math:`V_A / S_A` (the account's value of the service in A over the per-pixel
   supply of A), so each row of the first-receiver value matrix adds up to A's value
   in the account.
4. The rules (:mod:`gepcalc.compensation.rules`) turn matrices, monitoring lines
   and statistics into amounts by payer, payee and year.

The water-quality rule needs no DEM: a configuration with only section lines and
no ``dem`` computes no flows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gepcalc.compensation import rules as R
from gepcalc.compensation.flows import FlowMatrices, flow_graph, flow_matrices
from gepcalc.errors import ConfigError, RegionError
from gepcalc.io import read_toml

__all__ = ["CompensationResult", "compensation", "load_config"]

_TOP_KEYS = {
    "title",
    "year",
    "years",
    "price_year",
    "dem",
    "landcover",
    "regions",
    "region_field",
    "routing",
    "outlets",
    "landcover_classes",
    "profile",
    "price_index",
    "inputs",
    "tables",
    "overrides",
    "methods",
    "flows",
    "rules",
    "chunks",
}
_RULE_KEYS = {
    "gep_flow": {
        "name",
        "method",
        "services",
        "matrix",
        "share",
        "discount_rate",
        "base_year",
        "pairs",
        "min_share",
        "source",
    },
    "water_quality_section": {
        "name",
        "method",
        "section",
        "lines",
        "upstream",
        "downstream",
        "k0",
        "baseline",
        "pollutants",
        "weights",
        "tiers",
        "source",
    },
    "opportunity_cost": {
        "name",
        "method",
        "region",
        "payer",
        "income",
        "reference_income",
        "population",
        "share",
        "source",
    },
}


@dataclass
class Layer:
    """One routed quantity: a service (and item), its matrices and the value matrices [CNY/yr]."""

    service: str
    item: str
    name_zh: str
    name_en: str
    flows: FlowMatrices
    value_first: pd.DataFrame
    value_through: pd.DataFrame
    value: pd.Series  # the account's value per source region [CNY/yr]

    @property
    def key(self) -> str:
        return f"{self.service}.{self.item}" if self.item else self.service


@dataclass
class CompensationResult:
    """Flow layers, amounts by pair and year, the sections' P index and notes."""

    title: str
    layers: dict[str, Layer]
    amounts: pd.DataFrame
    sections: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    price_basis: str = ""
    centroids: dict[str, tuple[float, float]] = field(default_factory=dict)

    def flows_table(self) -> pd.DataFrame:
        """Tidy: layer, unit, matrix, source, receiver, quantity, value [CNY/yr]."""
        rows = []
        for key, layer in self.layers.items():
            for matrix, q, v in (
                ("first", layer.flows.first, layer.value_first),
                ("through", layer.flows.through, layer.value_through),
            ):
                for s in q.index:
                    for r in q.columns:
                        if matrix == "through" and r == s:
                            continue
                        rows.append([key, layer.flows.unit, matrix, s, r, float(q.loc[s, r]), float(v.loc[s, r])])
        return pd.DataFrame(rows, columns=["layer", "unit", "matrix", "source", "receiver", "quantity", "value"])

    def totals(self) -> pd.DataFrame:
        """Amounts summed by payer, payee and year [CNY]."""
        if self.amounts.empty:
            return self.amounts
        return self.amounts.groupby(["year", "payer", "payee"], as_index=False)["amount"].sum()

    def to_excel(self, path: str | Path) -> Path:
        from gepcalc.compensation.export import write_excel

        return write_excel(self, Path(path))

    def to_html(self, path: str | Path) -> Path:
        from gepcalc.compensation.export import write_html

        return write_html(self, Path(path))


# ---------------------------------------------------------------------------------------------


_SDR_KEYS = {"k", "ic0", "sdr_max", "stream_threshold"}


def _delivery(value: Any, land, where: str, *, graph=None, dem=None, pargs=None):
    """A delivery share [-]: a number, ``{raster = ..., unit = "dimensionless"}`` on the grid, or the SDR from the
    routing, ``{k = .., ic0 = .., sdr_max = .., stream_threshold = ..}`` (:mod:`gepcalc.compensation.sdr`), with the
    service's own ``cover_factor`` as C."""
    from gepcalc.io import raster_from_input

    if value is None:
        return 1.0
    if isinstance(value, Mapping) and set(value) & _SDR_KEYS:
        from gepcalc.compensation.sdr import sediment_delivery_ratio
        from gepcalc.routing import terrain
        from gepcalc.terrain import cell_size

        missing = sorted(_SDR_KEYS - set(value))
        if missing:
            raise ConfigError(
                f"{where}: the sediment-delivery ratio needs {missing} (InVEST's k, IC0, SDR_max, "
                "stream threshold in cells; no defaults)"
            )
        unknown = set(value) - _SDR_KEYS
        if unknown:
            raise ConfigError(f"{where}: unknown keys {sorted(unknown)} (allowed: {sorted(_SDR_KEYS)})")
        if pargs is None or "cover_factor" not in pargs:
            raise ConfigError(
                f"{where}: the sediment-delivery ratio takes C from the service's cover_factor; "
                "this service has none (give a share or a raster)"
            )
        size = cell_size(dem)
        z = np.asarray(dem.values, dtype="float64")
        slope = terrain(z, size, dem.attrs.get("nodata"), route_through_holes=False).slope
        cover = np.broadcast_to(np.asarray(on_grid_values(pargs["cover_factor"], land)), graph.shape)
        return sediment_delivery_ratio(
            graph,
            np.nan_to_num(slope, nan=0.0),
            np.nan_to_num(cover, nan=1.0),
            size,
            k=float(value["k"]),
            ic0=float(value["ic0"]),
            sdr_max=float(value["sdr_max"]),
            stream_threshold=float(value["stream_threshold"]),
        )
    if isinstance(value, Mapping):
        da = raster_from_input(value, name=where, like=land.landcover)
        return np.asarray(da.values, dtype="float64")
    try:
        d = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: delivery must be a share 0…1, a raster or SDR parameters, got {value!r}") from None
    if not 0.0 <= d <= 1.0:
        raise ConfigError(f"{where}: delivery share must be within 0…1, got {d}")
    return d


def on_grid_values(v, land) -> np.ndarray:
    """A resolved per-pixel parameter as a plain array on the land cover's grid."""
    from gepcalc.zonal import on_grid

    return np.asarray(on_grid(v, land).values)


def _layers(
    flows: Sequence[Mapping[str, Any]],
    *,
    dem,
    landcover,
    regions,
    region_field,
    routing,
    outlets,
    account_kwargs: Mapping[str, Any],
    notes: list[str],
) -> tuple[dict[str, Layer], str, dict]:
    """The account of the flow services, then every layer routed and valued."""
    from gepcalc.account import account
    from gepcalc.io import check_same_grid, open_raster
    from gepcalc.zonal import on_grid

    sids = []
    for i, f in enumerate(flows, start=1):
        if "service" not in f:
            raise ConfigError(f"flows {i}: needs 'service' (e.g. water_conservation)")
        unknown = set(f) - {"service", "delivery", "items"}
        if unknown:
            raise ConfigError(f"flows {i} ({f['service']}): unknown keys {sorted(unknown)} (service, delivery, items)")
        sids.append(f["service"])
    acct = account(landcover, regions, region_field=region_field, services=sids, **account_kwargs)
    ctx = acct.context
    land = ctx.land
    names = list(land.region_names)
    codes = np.asarray(land.region.values)
    empty = [n for i, n in enumerate(names, start=1) if not (codes == i).any()]
    if empty:
        raise RegionError(
            f"regions {empty} of {regions} have no cell on the grid of {land.source} (and its DEM); "
            "check their CRS and extent"
        )
    dem_da = open_raster(dem, name="DEM")
    check_same_grid(land.landcover, dem_da)
    z = np.asarray(dem_da.values, dtype="float64")
    nodata = dem_da.attrs.get("nodata")
    graph = flow_graph(z, nodata, routing)
    on_dem = graph.ok
    off = [n for i, n in enumerate(names, start=1) if not (on_dem & (codes == i)).any()]
    if off:
        raise RegionError(f"regions {off} lie entirely on nodata of the DEM {dem_da.attrs.get('source', dem)}")
    centroids = {}
    ys, xs = np.asarray(land.landcover["y"].values), np.asarray(land.landcover["x"].values)
    for i, n in enumerate(names, start=1):
        rr, cc = np.nonzero(codes == i)
        centroids[n] = (float(xs[cc].mean()), float(ys[rr].mean()))
    data = acct.data.isel(scenario=0, year=0, drop=True)
    out: dict[str, Layer] = {}
    for f in flows:
        sid = f["service"]
        cls = ctx.service(sid)
        items = ctx.items_of(cls)
        pargs = ctx.physical_arguments(cls)
        q = on_grid(cls.physical(area=land.area, **pargs), land)
        eco = np.asarray(land.ecosystem.values)
        delivery = _delivery(f.get("delivery"), land, f"flows {sid}, delivery", graph=graph, dem=dem_da, pargs=pargs)
        unit = cls.spec.quantity_unit
        value = data["value"].sel(service=sid).sum("ecosystem")
        if "item" in q.dims:
            chosen = [str(i) for i in f.get("items", [i for i in q["item"].values if i in items])]
            for it in chosen:
                qi = np.where(eco > 0, np.nan_to_num(np.asarray(q.sel(item=it).values)), 0.0)
                vi = value.sel(item=it).to_series()
                item = next((x for x in cls.spec.items if x.id == it), None)
                out[f"{sid}.{it}"] = _one(sid, it, cls, item, graph, codes, names, qi, delivery, outlets, unit, vi)
        else:
            qa = np.where(eco > 0, np.nan_to_num(np.asarray(q.values)), 0.0)
            vi = value.sum("item").to_series()
            out[sid] = _one(sid, "", cls, None, graph, codes, names, qa, delivery, outlets, unit, vi)
    notes.extend(acct.notes)
    basis = acct.data.attrs.get("price_basis", "")
    return out, basis, centroids


def _one(
    sid: str,
    it: str,
    cls,
    item,
    graph,
    codes: np.ndarray,
    names: list[str],
    supply: np.ndarray,
    delivery,
    outlets: Sequence[str],
    unit: str,
    value: pd.Series,
) -> Layer:
    """Route one per-pixel quantity and value it at the source region's unit value V_A / S_A [CNY per unit]."""
    what = f"{sid}.{it}" if it else sid
    m = flow_matrices(graph, codes, names, supply, delivery=delivery, outlets=outlets, unit=unit, what=what)
    v = value.reindex(names).fillna(0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_unit = np.where(m.supply.to_numpy() > 0, v.to_numpy() / m.supply.to_numpy(), 0.0)
    vf = m.first.mul(per_unit, axis=0)
    vt = m.through.mul(per_unit, axis=0)
    zh = f"{cls.spec.name_zh}·{item.name_zh}" if item is not None else cls.spec.name_zh
    en = f"{cls.spec.name_en}, {item.name_en}" if item is not None else cls.spec.name_en
    return Layer(sid, it, zh, en, m, vf, vt, v.rename("value"))


def compensation(
    *,
    flows: Sequence[Mapping[str, Any]] = (),
    rules: Sequence[Mapping[str, Any]] = (),
    dem: Any = None,
    landcover: Any = None,
    regions: Any = None,
    region_field: str | None = None,
    routing: str = "d8",
    outlets: Sequence[str] = (),
    years: Sequence[int] | None = None,
    year: int | None = None,
    price_year: int | None = None,
    title: str = "",
    base: str | Path | None = None,
    **account_kwargs: Any,
) -> CompensationResult:
    """Eco-compensation between regions: flow matrices, valued, and the amounts of the rules.

    Parameters
    ----------
    flows
        Services to route, ``[{"service": "water_conservation"}, {"service": "soil_retention",
        "delivery": 0.25}, {"service": "water_purification", "items": ["tp"]}]``; ``delivery``
        [-] is the share of each pixel's quantity carried downstream (a number or a raster).
    rules
        Rules, each ``{"method": "gep_flow" | "water_quality_section" | "opportunity_cost", ...}``
        (keys in ``docs/compensation.md``).
    dem
        Elevation raster [m] on the land cover's grid (needed when ``flows`` is given).
    landcover, regions, region_field
        As for :func:`gepcalc.account`.
    routing
        ``"d8"`` (default) or ``"mfd"``.
    outlets
        Region names that are sinks (a sea, a lake).
    years
        Years the amounts are for (default: ``[year]``).
    year, price_year
        The account's year and price year.
    title
        Title of the outputs.
    base
        Folder that relative paths in ``rules`` (monitoring lines) are read from.
    account_kwargs
        Passed to :func:`gepcalc.account` (``inputs``, ``tables``, ``overrides``, ``methods``,
        ``profile``, ``landcover_classes``, ``chunks``).

    Returns
    -------
    CompensationResult
    """
    years = list(years) if years else ([year] if year is not None else [])
    notes: list[str] = []
    layers: dict[str, Layer] = {}
    basis, centroids = "", {}
    if flows:
        if dem is None or landcover is None:
            raise ConfigError("flows need a DEM (dem=...) and a land cover (landcover=...) on the same grid")
        inputs = dict(account_kwargs.pop("inputs", None) or {})
        if "dem" not in inputs and isinstance(dem, str | Path):  # services that route (soil retention) use it too
            inputs["dem"] = {"raster": str(dem), "unit": "m"}
        account_kwargs["inputs"] = inputs
        layers, basis, centroids = _layers(
            flows,
            dem=dem,
            landcover=landcover,
            regions=regions,
            region_field=region_field,
            routing=routing,
            outlets=outlets,
            account_kwargs={"year": year, "price_year": price_year, **account_kwargs},
            notes=notes,
        )
    amounts, sections = [], []
    for i, rule in enumerate(rules, start=1):
        a, s = _apply(rule, i, layers, years, basis, Path(base) if base else Path("."))
        amounts.append(a)
        if s is not None:
            sections.append(s)
    amounts_df = pd.concat(amounts, ignore_index=True) if amounts else pd.DataFrame(columns=R.AMOUNT_COLUMNS)
    sections_df = pd.concat(sections, ignore_index=True) if sections else pd.DataFrame()
    return CompensationResult(title, layers, amounts_df, sections_df, notes, basis, centroids)


def _apply(rule: Mapping[str, Any], i: int, layers: dict[str, Layer], years, basis: str, base: Path):
    method = rule.get("method")
    name = str(rule.get("name", f"{method}-{i}"))
    where = f"rule {i} ({name})"
    if method not in _RULE_KEYS:
        raise ConfigError(f"{where}: method must be one of {sorted(_RULE_KEYS)}, got {method!r}")
    unknown = set(rule) - _RULE_KEYS[method]
    if unknown:
        raise ConfigError(
            f"{where}: unknown keys {sorted(unknown)} for {method} (allowed: {sorted(_RULE_KEYS[method])})"
        )

    def need(key):
        if key not in rule:
            raise ConfigError(f"{where}: {method} needs {key!r}")
        return rule[key]

    if method == "gep_flow":
        if not layers:
            raise ConfigError(f"{where}: gep_flow needs flows (a DEM, a land cover and [[flows]])")
        chosen = rule.get("services") or list(layers)
        keys = [k for k in layers if k in chosen or layers[k].service in chosen]
        if not keys:
            raise ConfigError(f"{where}: services {chosen} are not among the flows {list(layers)}")
        matrix = rule.get("matrix", "first")
        if matrix not in ("first", "through"):
            raise ConfigError(f"{where}: matrix must be 'first' or 'through', got {matrix!r}")
        values = sum(getattr(layers[k], f"value_{matrix}") for k in keys)
        if not years:
            raise ConfigError(f"{where}: gep_flow needs the years paid for (year = or years = )")
        pairs = rule.get("pairs")
        out = R.gep_flow(
            values,  # the outlet column counts in min_share; it pays nothing (not a source)
            share=float(need("share")),
            years=years,
            rule=name,
            discount_rate=float(rule.get("discount_rate", 0.0)),
            base_year=rule.get("base_year"),
            pairs=[tuple(p) for p in pairs] if pairs else None,
            price_basis=f"{matrix} receiver; {'+'.join(keys)}; {basis}",
            min_share=float(rule.get("min_share", 0.0)),
        )
        return out, None
    if method == "water_quality_section":
        lines_src = need("lines")
        path = lines_src if isinstance(lines_src, pd.DataFrame) else base / str(lines_src)
        means = R.section_means(R.read_section_lines(path))
        tiers = R.parse_tiers(need("tiers"), where)
        baseline = rule.get("baseline")
        if not baseline:
            raise ConfigError(
                f"{where}: section {rule.get('section')!r} has no baseline concentrations (baseline = {{...}})"
            )
        base_mg = {
            str(k).lower(): R.magnitude_in(v, "mg/L", where=f"{where}, baseline {k}", default_unit="mg/L")
            for k, v in baseline.items()
        }
        if "k0" not in rule:
            raise ConfigError(
                f"{where}: k0 (the stability coefficient of the agreement) is required; gepcalc has no default"
            )
        amounts, index = R.water_quality_section(
            means,
            section=str(need("section")),
            upstream=str(need("upstream")),
            downstream=str(need("downstream")),
            k0=float(rule["k0"]),
            baseline=base_mg,
            tiers=tiers,
            pollutants=[str(p).lower() for p in rule["pollutants"]] if rule.get("pollutants") else None,
            weights={str(k).lower(): float(v) for k, v in rule.get("weights", {}).items()} or None,
            rule=name,
        )
        if years:
            amounts = amounts[amounts["year"].isin(years)]
            index = index[index["year"].isin(years)]
        return amounts, index
    if not years:
        raise ConfigError(f"{where}: opportunity_cost needs the years paid for (year = or years = )")
    out = R.opportunity_cost(
        region=str(need("region")),
        payer=str(need("payer")),
        years=years,
        income=need("income"),
        reference_income=need("reference_income"),
        population=need("population"),
        share=float(rule.get("share", 1.0)),
        rule=name,
    )
    return out, None


def load_config(path: str | Path) -> dict:
    """Read a compensation TOML (keys in ``docs/compensation.md``); relative paths are to its folder."""
    path = Path(path)
    raw = read_toml(path, "compensation config", ConfigError)
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown keys {sorted(unknown)} (allowed: {sorted(_TOP_KEYS)})")
    base = path.parent

    def rel(v):
        if isinstance(v, str) and v and not Path(v).is_absolute():
            return str(base / v)
        if isinstance(v, Mapping) and "raster" in v:
            return {**v, "raster": rel(v["raster"])}
        return v

    out = dict(raw)
    for k in ("dem", "landcover", "regions"):
        if k in out:
            out[k] = rel(out[k])
    if isinstance(out.get("landcover_classes"), str):
        out["landcover_classes"] = rel(out["landcover_classes"])
    if "inputs" in out:
        out["inputs"] = {k: rel(v) if isinstance(v, Mapping) else v for k, v in out["inputs"].items()}
    if "tables" in out:
        out["tables"] = {k: rel(v) for k, v in out["tables"].items()}
    if "flows" in out:
        out["flows"] = [
            {**f, "delivery": rel(f["delivery"])} if isinstance(f.get("delivery"), Mapping) else f for f in out["flows"]
        ]
    out["base"] = str(base)
    return out


def run_config(path: str | Path) -> CompensationResult:
    """:func:`compensation` with the keys of a config TOML."""
    return compensation(**load_config(path))
