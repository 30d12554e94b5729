"""Service-flow matrices: how much of each region's supply reaches which other region.

A region's supply is a per-pixel quantity (water yield [m³/yr], sediment retained
[t/yr], a pollutant retained [t/yr]). Each pixel's amount is carried down the flow
directions of the depression-filled DEM (D8 or MFD: :func:`flow_graph`, defined in
:mod:`gepcalc.compensation.graph` and importable from here).

Two matrices, source region × receiver:

``first`` (first receiver, 首个受益区)
    Each pixel's amount follows the flow until it first enters a cell of another
    region (the receiver), or leaves the data (grid edge, nodata, a nodata hole:
    the receiver is :data:`OUTLET`). Cells in no region are crossed (water goes on
    through them). A share ``1 − delivery`` of each pixel's amount (e.g. sediment
    that a sediment-delivery ratio keeps on the slope) is not routed and stays on
    the diagonal. **Each row adds up to the region's supply** (checked to 1e-9
    relative).
``through`` (cumulative, 途经受益区)
    ``through[A, B]`` is the amount of A's routed supply that passes through B at
    least once on its way down (counted once, however often a path re-enters B).
    In a cascade A → B → C all of A's water benefits B *and* C:
    ``through[A, B] = through[A, C] = S_A``. The diagonal is 0 (a region does not
    receive from itself) and ``through[A, OUTLET]`` is what leaves the data. Rows do
    not add up to the supply (the same water is counted in every region it crosses).

Regions named in ``outlets`` (a sea, a lake, a basin edge drawn as polygons) are
sinks: water entering them stops there (they are receivers in both matrices and pass
nothing on).

The kernels below carry one source region's supply down the graph and stop it at the
first cell of the receivers (:func:`flow_matrices`); the graph itself is built in
:mod:`gepcalc.compensation.graph`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numba
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from gepcalc.compensation.graph import FlowGraph, flow_graph
from gepcalc.errors import InputFileError, RegionError

__all__ = ["OUTLET", "FlowGraph", "FlowMatrices", "flow_graph", "flow_matrices"]

#: name of the receiver "leaves the data" (grid edge, nodata, a hole in the DEM)
OUTLET = "outlet"

#: relative tolerance of the check that rows add up to the supply
RTOL = 1e-9


@numba.njit(cache=True)
def _carry(order, recv, frac, weight, lab, a, b, sink, nlab):  # pragma: no cover - compiled
    """Carry source ``a``'s ``weight`` down the graph; returns what reaches each label, and what leaves the data.

    ``b < 0``: stop at the first cell of any other region (first receiver); ``b >= 0``:
    stop at region ``b`` or at a sink region other than ``a`` (``through``). Cells in
    no region (label −1) and, for ``b >= 0``, cells of other regions are crossed.
    """
    n, kk = recv.shape
    acc = np.zeros(n)
    arrived = np.zeros(nlab)
    out = 0.0
    for m in range(order.size):
        i = order[m]
        li = lab[i]
        if li == a:
            acc[i] += weight[i]
        elif li >= 0 and (b < 0 or li == b or sink[li]):
            continue  # a stop cell: what came here stays here
        v = acc[i]
        if v == 0.0:
            continue
        for k in range(kk):
            f = frac[i, k]
            if f == 0.0:
                continue
            j = recv[i, k]
            if j < 0:
                out += v * f
                continue
            lj = lab[j]
            if lj >= 0 and lj != a and (b < 0 or lj == b or sink[lj]):
                arrived[lj] += v * f
            else:
                acc[j] += v * f
    return arrived, out


@numba.njit(cache=True)
def _reached(order, recv, frac, weight, lab, a, nlab):  # pragma: no cover - compiled
    """Labels that any of source ``a``'s water can reach (crossing everything), to skip empty ``through`` passes."""
    n, kk = recv.shape
    wet = np.zeros(n, dtype=np.uint8)
    hit = np.zeros(nlab, dtype=np.uint8)
    for m in range(order.size):
        i = order[m]
        if lab[i] == a and weight[i] != 0.0:
            wet[i] = 1
        if not wet[i]:
            continue
        if lab[i] >= 0:
            hit[lab[i]] = 1
        for k in range(kk):
            j = recv[i, k]
            if j >= 0 and frac[i, k] > 0.0:
                wet[j] = 1
    return hit


@dataclass
class FlowMatrices:
    """Source region × receiver matrices of one supply layer, in its unit (see the module docstring)."""

    first: pd.DataFrame
    through: pd.DataFrame
    supply: pd.Series
    unit: str = ""
    routing: str = "d8"
    notes: list[str] = field(default_factory=list)


def _labels(regions: ArrayLike, names: Sequence[str], shape: tuple[int, int]) -> NDArray[np.int64]:
    lab = np.asarray(regions)
    if lab.shape != shape:
        raise RegionError(f"region grid of shape {lab.shape} is not on the DEM's grid {shape}")
    lab = lab.astype(np.int64)
    if lab.min() < 0 or lab.max() > len(names):
        raise RegionError(
            f"region codes must be 0 (none) or 1…{len(names)} (the names given), found {lab.min()}…{lab.max()}"
        )
    return lab.ravel() - 1  # −1 = no region


def _checked_supply(
    graph: FlowGraph, lab: NDArray[np.int64], names: Sequence[str], supply: ArrayLike, delivery, what: str
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The supply [its unit] and delivery share [-] per cell as flat arrays, supply 0 outside the regions or data.

    Refuses a grid of another shape, supply on the DEM's nodata, NaN supply inside a region and a
    delivery share outside 0…1.
    """
    w = np.asarray(supply, dtype=np.float64)
    if w.shape != graph.shape:
        raise InputFileError(f"{what}: grid of shape {w.shape} is not the DEM's {graph.shape}")
    w = w.ravel()
    d = np.broadcast_to(np.asarray(delivery, dtype=np.float64), graph.shape).ravel()
    ok = graph.ok.ravel()
    inside = lab >= 0
    missing = inside & ~ok
    if missing.any() and np.nansum(np.abs(w[missing])) > 0:
        r = names[int(lab[missing][0])]
        raise RegionError(
            f"{what}: {int(missing.sum())} cells of region(s) lie on nodata of the DEM (first in {r!r}) "
            "and carry supply; fill the DEM there or clip the regions"
        )
    nan = inside & ok & ~np.isfinite(w)
    if nan.any():
        r = names[int(lab[nan][0])]
        raise RegionError(f"{what}: {int(nan.sum())} cells inside regions have no value (NaN), first in region {r!r}")
    dn = inside & ok & ~((d >= 0) & (d <= 1))
    if dn.any():
        raise RegionError(f"{what}: delivery share must be within 0…1; {int(dn.sum())} cells are not")
    return np.where(inside & ok, w, 0.0), d


def _route_regions(
    graph: FlowGraph,
    lab: NDArray[np.int64],
    routed: NDArray[np.float64],
    kept: NDArray[np.float64],
    sink: NDArray[np.bool_],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The first-receiver and through matrices (source × receivers and the outlet column) of the routed supply.

    ``kept`` is what each region keeps (its diagonal of ``first``); ``sink`` marks the outlet regions.
    """
    n = len(kept)
    first = np.zeros((n, n + 1))
    through = np.zeros((n, n + 1))
    args = (graph.order, graph.receiver, graph.fraction, routed, lab)
    for a in range(n):
        first[a, a] = kept[a]
        arrived, out = _carry(*args, a, -1, sink, n)
        first[a, :n] += arrived
        first[a, n] = out
        reached = _reached(*args, a, n)
        for b in range(n):
            if b != a and reached[b]:
                through[a, b] = _carry(*args, a, b, sink, n)[0][b]
        no_sink = sink.copy()
        no_sink[a] = False
        if no_sink.any():  # what leaves the data without ending in a sink region
            through[a, n] = _carry(*args, a, n + 1, sink, n)[1]
        else:
            through[a, n] = out + arrived.sum()
    return first, through


def flow_matrices(
    graph: FlowGraph,
    regions: ArrayLike,
    names: Sequence[str],
    supply: ArrayLike,
    *,
    delivery: ArrayLike | float = 1.0,
    outlets: Sequence[str] = (),
    unit: str = "",
    what: str = "supply",
) -> FlowMatrices:
    """First-receiver and cumulative matrices of one per-pixel supply (see the module docstring).

    Parameters
    ----------
    graph
        From :func:`flow_graph`.
    regions
        Region code per cell, 1…n (``names[code − 1]``), 0 outside every region.
    names
        Region names.
    supply
        Amount supplied per cell [``unit``] (NaN or nodata cells count 0 outside the data;
        NaN inside a region is refused).
    delivery
        Share of each cell's amount that is carried downstream [-], 0…1 (a
        sediment-delivery ratio); the rest stays in its own region (diagonal of
        ``first``).
    outlets
        Region names that are sinks (water entering them stays there).
    unit
        Unit of ``supply`` (kept in the result).
    what
        Name of the layer, for messages.

    Returns
    -------
    FlowMatrices
    """
    lab = _labels(regions, names, graph.shape)
    bad = [o for o in outlets if o not in names]
    if bad:
        raise RegionError(f"outlet regions {bad} are not among the regions {list(names)}")
    w, d = _checked_supply(graph, lab, names, supply, delivery, what)
    n = len(names)
    inside = lab >= 0
    supply_by = np.bincount(lab[inside], weights=w[inside], minlength=n)[:n]
    kept = np.bincount(lab[inside], weights=(w * (1.0 - d))[inside], minlength=n)[:n]
    sink = np.zeros(n, dtype=bool)
    for o in outlets:
        sink[names.index(o)] = True
    first, through = _route_regions(graph, lab, w * d, kept, sink)
    for a in range(n):
        total = first[a].sum()
        if not np.isclose(total, supply_by[a], rtol=RTOL, atol=RTOL * max(abs(supply_by).max(), 1e-300)):
            raise RuntimeError(
                f"{what}: row {names[a]!r} of the flow matrix adds up to {total!r}, not the supply {supply_by[a]!r}"
            )
    cols = [*names, OUTLET]
    idx = pd.Index(list(names), name="source")
    colx = pd.Index(cols, name="receiver")
    return FlowMatrices(
        pd.DataFrame(first, idx, colx),
        pd.DataFrame(through, idx, colx),
        pd.Series(supply_by, idx, name="supply"),
        unit=unit,
        routing=graph.routing,
    )
