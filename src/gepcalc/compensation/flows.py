"""Service-flow matrices: how much of each region's supply reaches which other region.

A region's supply is a per-pixel quantity (water yield [m³/yr], sediment retained
[t/yr], a pollutant retained [t/yr]). Each pixel's amount is carried down the flow
directions of the depression-filled DEM:

* **D8** (default): all of a cell's water goes to its steepest downslope
  neighbour (drop / distance, distance 1 or √2 cells); a flat drains to the
  nearest of its cells that have a lower neighbour (breadth-first, in steps), else
  to the grid edge or nodata next to it. Paths are single lines, so every matrix is
  exact.
* **MFD**: a cell splits its water among all lower neighbours in proportion to
  drop / distance (the weights of ``pygeoprocessing.routing.flow_dir_mfd``, not
  rounded to sixteenths, so that a cell's fractions add up to 1 exactly); flats as
  in D8. The matrices are then expected amounts of a random walk with these
  fractions as probabilities.

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

The kernels below are written here and not taken from :mod:`gepcalc.routing`:
routing.py computes accumulations (a sum over everything upslope), while these
matrices need to *stop* each source's water at the first cell of a given set of
regions, once per source region (and per source × receiver for ``through``); the
private direction kernels of routing.py are being reorganised (tiled routing), so
this module keeps its own small D8/MFD graph on the filled DEM and only uses the
public :func:`gepcalc.routing.fill_depressions`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numba
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from gepcalc.errors import InputFileError, RegionError
from gepcalc.routing import DCOL, DROW, fill_depressions  # neighbour order: 0 = east, counter-clockwise

__all__ = ["OUTLET", "FlowGraph", "FlowMatrices", "flow_graph", "flow_matrices"]

#: name of the receiver "leaves the data" (grid edge, nodata, a hole in the DEM)
OUTLET = "outlet"

Routing = Literal["d8", "mfd"]

_SQRT2_INV = 1.0 / 1.4142135623730951
#: relative tolerance of the check that rows add up to the supply
RTOL = 1e-9


@dataclass
class FlowGraph:
    """Where each cell's water goes: ``receiver[i, k]`` (flat cell index, −1 = leaves the data) with ``fraction[i, k]``.

    ``order`` lists the routable cells upstream before downstream; ``ok`` marks them.
    """

    receiver: NDArray[np.int64]
    fraction: NDArray[np.float64]
    order: NDArray[np.int64]
    ok: NDArray[np.bool_]
    shape: tuple[int, int]
    routing: str


@numba.njit(cache=True)
def _d8_and_flats(z, ok):  # pragma: no cover - compiled
    """Steepest-descent receiver per cell (flat index; −1 = leaves the data; −2 = not routable).

    Cells with no lower neighbour (flats of the filled DEM) drain breadth-first to
    the nearest cell of the same height that has a lower neighbour; flats with none
    drain to the edge or nodata they touch.
    """
    ny, nx = z.shape
    n = ny * nx
    recv = np.full(n, -2, dtype=np.int64)
    queue = np.empty(n, dtype=np.int64)
    qt = 0
    for r0 in range(ny):
        for c0 in range(nx):
            if not ok[r0, c0]:
                continue
            best = -1
            best_s = 0.0
            for k in range(8):
                r = r0 + DROW[k]
                c = c0 + DCOL[k]
                if r < 0 or r >= ny or c < 0 or c >= nx or not ok[r, c]:
                    continue
                s = z[r0, c0] - z[r, c]
                if k & 1:
                    s *= _SQRT2_INV
                if s > best_s:
                    best_s = s
                    best = r * nx + c
            if best >= 0:
                recv[r0 * nx + c0] = best
                queue[qt] = r0 * nx + c0
                qt += 1
    for phase in range(2):
        if phase == 1:  # flats without a lower cell: drain off the data where they touch it
            qt = 0
            for r0 in range(ny):
                for c0 in range(nx):
                    if not ok[r0, c0] or recv[r0 * nx + c0] != -2:
                        continue
                    edge = False
                    for k in range(8):
                        r = r0 + DROW[k]
                        c = c0 + DCOL[k]
                        if r < 0 or r >= ny or c < 0 or c >= nx or not ok[r, c]:
                            edge = True
                    if edge:
                        recv[r0 * nx + c0] = -1
                        queue[qt] = r0 * nx + c0
                        qt += 1
        head = 0
        while head < qt:
            idx = queue[head]
            head += 1
            r1 = idx // nx
            c1 = idx % nx
            for k in range(8):
                r = r1 + DROW[k]
                c = c1 + DCOL[k]
                if r < 0 or r >= ny or c < 0 or c >= nx or not ok[r, c]:
                    continue
                j = r * nx + c
                if recv[j] == -2 and z[r, c] == z[r1, c1]:
                    recv[j] = idx
                    queue[qt] = j
                    qt += 1
    return recv


@numba.njit(cache=True)
def _mfd(z, ok, flat_recv):  # pragma: no cover - compiled
    """Receivers and fractions (drop / distance, normalised) of every lower neighbour; flats as D8."""
    ny, nx = z.shape
    n = ny * nx
    recv = np.full((n, 8), -2, dtype=np.int64)
    frac = np.zeros((n, 8))
    for r0 in range(ny):
        for c0 in range(nx):
            i = r0 * nx + c0
            if not ok[r0, c0]:
                continue
            total = 0.0
            for k in range(8):
                r = r0 + DROW[k]
                c = c0 + DCOL[k]
                if r < 0 or r >= ny or c < 0 or c >= nx or not ok[r, c]:
                    continue
                s = z[r0, c0] - z[r, c]
                if s > 0.0:
                    if k & 1:
                        s *= _SQRT2_INV
                    recv[i, k] = r * nx + c
                    frac[i, k] = s
                    total += s
            if total > 0.0:
                for k in range(8):
                    frac[i, k] /= total
            else:
                recv[i, 0] = flat_recv[i]
                frac[i, 0] = 1.0
    return recv, frac


@numba.njit(cache=True)
def _topological(recv, frac, n_ok):  # pragma: no cover - compiled
    """Routable cells, every cell before the cells it drains to (Kahn)."""
    n, kk = recv.shape
    indeg = np.zeros(n, dtype=np.int64)
    for i in range(n):
        for k in range(kk):
            j = recv[i, k]
            if j >= 0 and frac[i, k] > 0.0:
                indeg[j] += 1
    order = np.empty(n_ok, dtype=np.int64)
    stack = np.empty(n_ok, dtype=np.int64)
    top = 0
    for i in range(n):
        routable = False
        for k in range(kk):
            if frac[i, k] > 0.0:
                routable = True
        if routable and indeg[i] == 0:
            stack[top] = i
            top += 1
    m = 0
    while top > 0:
        top -= 1
        i = stack[top]
        order[m] = i
        m += 1
        for k in range(kk):
            j = recv[i, k]
            if j >= 0 and frac[i, k] > 0.0:
                indeg[j] -= 1
                if indeg[j] == 0:
                    stack[top] = j
                    top += 1
    return order[:m]


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


def flow_graph(dem: ArrayLike, nodata: float | None = None, routing: Routing = "d8") -> FlowGraph:
    """Flow graph of a DEM [m]: depressions filled, nodata (holes too) as outlets.

    Parameters
    ----------
    dem
        Elevation [m], 2-D.
    nodata
        Value marking missing cells (non-finite cells are missing too).
    routing
        ``"d8"`` (one receiver per cell) or ``"mfd"`` (every lower neighbour).

    Returns
    -------
    FlowGraph
    """
    if routing not in ("d8", "mfd"):
        raise ValueError(f"routing must be 'd8' or 'mfd', got {routing!r}")
    filled = fill_depressions(dem, nodata, route_through_holes=False)
    ok = np.isfinite(filled)
    z = np.where(ok, filled, 0.0)
    recv8 = _d8_and_flats(z, ok)
    if routing == "d8":
        receiver = recv8[:, None].copy()
        fraction = (recv8 != -2).astype("float64")[:, None]
    else:
        receiver, fraction = _mfd(z, ok, recv8)
    order = _topological(receiver, fraction, int(ok.sum()))
    if order.size != ok.sum():  # a cycle would lose water; the filled surface has none
        raise RuntimeError(f"flow graph has a cycle: {ok.sum() - order.size} cells not ordered")
    return FlowGraph(receiver, fraction, order, ok, ok.shape, routing)


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
    w = np.where(inside & ok, w, 0.0)
    n = len(names)
    cols = [*names, OUTLET]
    first = np.zeros((n, n + 1))
    through = np.zeros((n, n + 1))
    supply_by = np.bincount(lab[inside], weights=w[inside], minlength=n)[:n]
    kept = np.bincount(lab[inside], weights=(w * (1.0 - d))[inside], minlength=n)[:n]
    routed = w * d
    sink = np.zeros(n, dtype=bool)
    for o in outlets:
        sink[names.index(o)] = True
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
    for a in range(n):
        total = first[a].sum()
        if not np.isclose(total, supply_by[a], rtol=RTOL, atol=RTOL * max(abs(supply_by).max(), 1e-300)):
            raise RuntimeError(
                f"{what}: row {names[a]!r} of the flow matrix adds up to {total!r}, not the supply {supply_by[a]!r}"
            )
    idx = pd.Index(list(names), name="source")
    colx = pd.Index(cols, name="receiver")
    return FlowMatrices(
        pd.DataFrame(first, idx, colx),
        pd.DataFrame(through, idx, colx),
        pd.Series(supply_by, idx, name="supply"),
        unit=unit,
        routing=graph.routing,
    )
