"""The flow graph of a DEM for the service-flow matrices: where each cell's water goes (:func:`flow_graph`).

Each pixel's amount is carried down the flow directions of the depression-filled DEM:

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

The kernels are written here and not taken from :mod:`gepcalc.routing`: the routing package
computes accumulations with InVEST's MFD weights, while the matrices
(:mod:`gepcalc.compensation.flows`, which carries the supply down this graph) need to *stop* each
source's water at the first cell of a given set of regions and use fractions rounded to sixteenths
that add up to 1 exactly; so this module keeps its own small D8/MFD graph on the filled DEM and
only uses the public :func:`gepcalc.routing.fill_depressions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from gepcalc.routing import DCOL, DROW, fill_depressions  # neighbour order: 0 = east, counter-clockwise

__all__ = ["FlowGraph", "Routing", "flow_graph"]

Routing = Literal["d8", "mfd"]

_SQRT2_INV = 1.0 / 1.4142135623730951


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
def _steepest_receivers(z, ok, recv, queue):  # pragma: no cover - compiled
    """Set ``recv`` of every cell that has a lower neighbour to its steepest one; queue those cells.

    Returns the number of cells queued.
    """
    ny, nx = z.shape
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
    return qt


@numba.njit(cache=True)
def _flats_at_edges(ok, recv, queue):  # pragma: no cover - compiled
    """Flats without a lower cell drain off the data where they touch it (edge or nodata): ``recv`` −1, queued.

    Returns the number of cells queued.
    """
    ny, nx = ok.shape
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
    return qt


@numba.njit(cache=True)
def _drain_flats(z, ok, recv, queue, qt):  # pragma: no cover - compiled
    """Breadth-first from the ``qt`` queued cells: a not-yet-routed neighbour of the same height drains to it."""
    ny, nx = z.shape
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


@numba.njit(cache=True)
def _d8_and_flats(z, ok):  # pragma: no cover - compiled
    """Steepest-descent receiver per cell (flat index; −1 = leaves the data; −2 = not routable).

    Cells with no lower neighbour (flats of the filled DEM) drain breadth-first to
    the nearest cell of the same height that has a lower neighbour; flats with none
    drain to the edge or nodata they touch.
    """
    n = z.shape[0] * z.shape[1]
    recv = np.full(n, -2, dtype=np.int64)
    queue = np.empty(n, dtype=np.int64)
    _drain_flats(z, ok, recv, queue, _steepest_receivers(z, ok, recv, queue))
    _drain_flats(z, ok, recv, queue, _flats_at_edges(ok, recv, queue))
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
