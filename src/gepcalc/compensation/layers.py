"""The routed flow layers of a compensation: the account of the flow services, each service's
per-pixel quantity (per item where it has items) carried down the DEM and valued at the source
region's unit value (:func:`route_flows`), and the delivery share of each pixel (a number, a raster
or the sediment-delivery ratio).

The routing itself is :mod:`~gepcalc.compensation.flows` (and :mod:`~gepcalc.compensation.sdr`); the
rules that pay for the flows are applied in :mod:`~gepcalc.compensation.apply`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from gepcalc.account import account
from gepcalc.compensation.flows import FlowMatrices, flow_matrices
from gepcalc.compensation.graph import FlowGraph, flow_graph
from gepcalc.compensation.sdr import sediment_delivery_ratio
from gepcalc.errors import ConfigError, RegionError
from gepcalc.io import check_same_grid, open_raster, raster_from_input
from gepcalc.routing import terrain
from gepcalc.terrain import cell_size
from gepcalc.zonal import on_grid

__all__ = ["Layer", "RoutedFlows", "on_grid_values", "route_flows"]

#: the keys of a sediment-delivery-ratio ``delivery`` (InVEST's k, IC0, SDR_max, stream threshold)
SDR_KEYS = {"k", "ic0", "sdr_max", "stream_threshold"}


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
        """``service.item``, or the service alone for a single-quantity service."""
        return f"{self.service}.{self.item}" if self.item else self.service


class RoutedFlows(NamedTuple):
    """What :func:`route_flows` returns: the layers by key, the account's price basis, the regions'
    centroids (x, y) in the grid's CRS, and the account's notes."""

    layers: dict[str, Layer]
    price_basis: str
    centroids: dict[str, tuple[float, float]]
    notes: list[str]


def on_grid_values(v, land) -> np.ndarray:
    """A resolved per-pixel parameter as a plain array on the land cover's grid."""
    return np.asarray(on_grid(v, land).values)


def _sediment_delivery(value: Mapping[str, Any], land, where: str, graph: FlowGraph, dem, pargs) -> np.ndarray:
    """The sediment-delivery ratio [-] of every pixel from the routing, with the service's ``cover_factor`` as C."""
    missing = sorted(SDR_KEYS - set(value))
    if missing:
        raise ConfigError(
            f"{where}: the sediment-delivery ratio needs {missing} (InVEST's k, IC0, SDR_max, "
            "stream threshold in cells; no defaults)"
        )
    unknown = set(value) - SDR_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)} (allowed: {sorted(SDR_KEYS)})")
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


def delivery_share(value: Any, land, where: str, *, graph=None, dem=None, pargs=None):
    """A delivery share [-]: a number, ``{raster = ..., unit = "dimensionless"}`` on the grid, or the SDR from the
    routing, ``{k = .., ic0 = .., sdr_max = .., stream_threshold = ..}`` (:mod:`gepcalc.compensation.sdr`), with the
    service's own ``cover_factor`` as C."""
    if value is None:
        return 1.0
    if isinstance(value, Mapping) and set(value) & SDR_KEYS:
        return _sediment_delivery(value, land, where, graph, dem, pargs)
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


def _flow_services(flows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The service ids of the ``[[flows]]`` entries, each checked for its keys."""
    sids = []
    for i, f in enumerate(flows, start=1):
        if "service" not in f:
            raise ConfigError(f"flows {i}: needs 'service' (e.g. water_conservation)")
        unknown = set(f) - {"service", "delivery", "items"}
        if unknown:
            raise ConfigError(f"flows {i} ({f['service']}): unknown keys {sorted(unknown)} (service, delivery, items)")
        sids.append(f["service"])
    return sids


def _region_centroids(land, names: list[str], codes: np.ndarray) -> dict[str, tuple[float, float]]:
    """Mean (x, y) of each region's cells, in the grid's CRS."""
    centroids = {}
    ys, xs = np.asarray(land.landcover["y"].values), np.asarray(land.landcover["x"].values)
    for i, n in enumerate(names, start=1):
        rr, cc = np.nonzero(codes == i)
        centroids[n] = (float(xs[cc].mean()), float(ys[rr].mean()))
    return centroids


def _valued_layer(
    sid: str,
    it: str,
    cls,
    item,
    graph: FlowGraph,
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


def _service_layers(f: Mapping[str, Any], acct, graph: FlowGraph, dem, outlets: Sequence[str]) -> dict[str, Layer]:
    """The layers of one ``[[flows]]`` entry: its service's quantity (each chosen item), routed and valued."""
    ctx, land = acct.context, acct.context.land
    names, codes = list(land.region_names), np.asarray(land.region.values)
    sid = f["service"]
    cls = ctx.service(sid)
    items = ctx.items_of(cls)
    pargs = ctx.physical_arguments(cls)
    q = on_grid(cls.physical(area=land.area, **pargs), land)
    eco = np.asarray(land.ecosystem.values)
    delivery = delivery_share(f.get("delivery"), land, f"flows {sid}, delivery", graph=graph, dem=dem, pargs=pargs)
    unit = cls.spec.quantity_unit
    value = acct.data.isel(scenario=0, year=0, drop=True)["value"].sel(service=sid).sum("ecosystem")
    if "item" not in q.dims:
        qa = np.where(eco > 0, np.nan_to_num(np.asarray(q.values)), 0.0)
        vi = value.sum("item").to_series()
        return {sid: _valued_layer(sid, "", cls, None, graph, codes, names, qa, delivery, outlets, unit, vi)}
    out = {}
    for it in [str(i) for i in f.get("items", [i for i in q["item"].values if i in items])]:
        qi = np.where(eco > 0, np.nan_to_num(np.asarray(q.sel(item=it).values)), 0.0)
        vi = value.sel(item=it).to_series()
        item = next((x for x in cls.spec.items if x.id == it), None)
        out[f"{sid}.{it}"] = _valued_layer(sid, it, cls, item, graph, codes, names, qi, delivery, outlets, unit, vi)
    return out


def route_flows(
    flows: Sequence[Mapping[str, Any]],
    *,
    dem,
    landcover,
    regions,
    region_field,
    routing,
    outlets,
    account_kwargs: Mapping[str, Any],
) -> RoutedFlows:
    """The account of the flow services, then every layer routed and valued.

    Parameters
    ----------
    flows
        The ``[[flows]]`` entries (``service``, ``delivery``, ``items``).
    dem
        Elevation raster [m] on the land cover's grid.
    landcover, regions, region_field
        As for :func:`gepcalc.account`.
    routing
        ``"d8"`` or ``"mfd"``.
    outlets
        Region names that are sinks.
    account_kwargs
        The other arguments of :func:`gepcalc.account`.

    Returns
    -------
    RoutedFlows
    """
    acct = account(landcover, regions, region_field=region_field, services=_flow_services(flows), **account_kwargs)
    land = acct.context.land
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
    graph = flow_graph(np.asarray(dem_da.values, dtype="float64"), dem_da.attrs.get("nodata"), routing)
    off = [n for i, n in enumerate(names, start=1) if not (graph.ok & (codes == i)).any()]
    if off:
        raise RegionError(f"regions {off} lie entirely on nodata of the DEM {dem_da.attrs.get('source', dem)}")
    centroids = _region_centroids(land, names, codes)
    layers: dict[str, Layer] = {}
    for f in flows:
        layers.update(_service_layers(f, acct, graph, dem_da, outlets))
    return RoutedFlows(layers, acct.data.attrs.get("price_basis", ""), centroids, list(acct.notes))
