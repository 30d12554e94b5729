"""Sediment-delivery ratio from the routing: the share of a cell's sediment that reaches a channel.

The connectivity index of Borselli et al. (2008) in the form InVEST SDR uses
(``natcap.invest.sdr.sdr``: ``_threshold_slope``, ``_calculate_w``,
``_calculate_bar_factor``, ``_calculate_d_up``, ``_calculate_inverse_ws_factor``,
``_calculate_ic``, ``_calculate_sdr``; read in the natcap/invest repository), on the flow
graph of :mod:`gepcalc.compensation.graph`:

.. math::

    s = \\min(1, \\max(0.005, S/100)),\\qquad w = \\max(0.001, C)

    D_{up} = \\bar w\\, \\bar s\\, \\sqrt{A},\\qquad
    D_{dn} = \\sum_{i \\in \\text{path}} \\frac{d_i}{w_i s_i},\\qquad
    IC = \\log_{10}\\frac{D_{up}}{D_{dn}}

    SDR = \\frac{SDR_{max}}{1 + \\exp\\left(\\frac{IC_0 - IC}{k}\\right)}

with S the percent slope of the filled DEM, C the cover-management factor, w̄ and s̄
their means over the cell's upslope area (the cell included), A that area [m²], d_i
the flow length from a cell to the next (cell size, √2 × on diagonals) and the sum
running down the flow path to the first channel cell (accumulation above
``stream_threshold`` cells) or, here, off the data. SDR is 0 on channel cells, as in
InVEST. ``k``, ``IC0`` and ``SDR_max`` are InVEST's calibration parameters
(``k_param``, ``ic_0_param``, ``sdr_max``); InVEST gives them no default and neither
does gepcalc.

Differences from InVEST 3.20, stated so that nobody expects its numbers: channels are
cells over the accumulation threshold (InVEST traces MFD streams with a 0.7 proportion);
a path that leaves the data before reaching a channel ends there (InVEST leaves its
SDR undefined); with ``routing = "d8"`` means and distances follow one path (InVEST
always uses MFD).
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from gepcalc.compensation.graph import FlowGraph
from gepcalc.errors import ConfigError

__all__ = ["sediment_delivery_ratio"]

_SQRT2 = 1.4142135623730951
#: InVEST's slope bounds [m/m] (``_threshold_slope``, after Cavalli et al. 2013) and floor of w
_S_MIN, _S_MAX, _W_MIN = 0.005, 1.0, 0.001


@numba.njit(cache=True)
def _upslope(order, recv, frac, s, w):  # pragma: no cover - compiled
    """Upslope cells A, Σ s and Σ w over them (each cell counted with its share of flow)."""
    n, kk = recv.shape
    acc = np.zeros(n)
    s_acc = np.zeros(n)
    w_acc = np.zeros(n)
    for m in range(order.size):
        i = order[m]
        acc[i] += 1.0
        s_acc[i] += s[i]
        w_acc[i] += w[i]
        for k in range(kk):
            j = recv[i, k]
            f = frac[i, k]
            if j >= 0 and f > 0.0:
                acc[j] += acc[i] * f
                s_acc[j] += s_acc[i] * f
                w_acc[j] += w_acc[i] * f
    return acc, s_acc, w_acc


@numba.njit(cache=True)
def _downslope(order, recv, frac, inv_ws, stream, nx, size):  # pragma: no cover - compiled
    """D_dn: Σ d_i / (w_i s_i) down to a channel (0 there) or off the data, flow-weighted."""
    n, kk = recv.shape
    d = np.zeros(n)
    for m in range(order.size - 1, -1, -1):
        i = order[m]
        if stream[i]:
            d[i] = 0.0
            continue
        total = 0.0
        for k in range(kk):
            f = frac[i, k]
            if f == 0.0:
                continue
            j = recv[i, k]
            if j < 0:
                step = size
                below = 0.0
            else:
                diagonal = (j // nx != i // nx) and (j % nx != i % nx)
                step = size * (_SQRT2 if diagonal else 1.0)
                below = d[j]
            total += f * (step * inv_ws[i] + below)
        d[i] = total
    return d


def sediment_delivery_ratio(
    graph: FlowGraph,
    slope_pct: ArrayLike,
    cover: ArrayLike,
    cell_size: float,
    *,
    k: float,
    ic0: float,
    sdr_max: float,
    stream_threshold: float,
) -> NDArray[np.float64]:
    """SDR [-] per cell (see the module docstring); NaN outside the data.

    Parameters
    ----------
    graph
        Flow graph (:func:`gepcalc.compensation.graph.flow_graph`).
    slope_pct
        Percent slope of the filled DEM [%].
    cover
        Cover-management factor C [-] (InVEST's ``usle_c``).
    cell_size
        Side of the square cells [m].
    k, ic0, sdr_max
        Borselli k [-], IC₀ [-] and the largest SDR [-].
    stream_threshold
        Upslope cells above which a cell is a channel [cells].

    Returns
    -------
    numpy.ndarray
        SDR [-], 0 on channels.
    """
    for name, v in (("k", k), ("sdr_max", sdr_max), ("stream_threshold", stream_threshold)):
        if not v > 0:
            raise ConfigError(f"sediment delivery: {name} must be positive, got {v}")
    if sdr_max > 1:
        raise ConfigError(f"sediment delivery: sdr_max is a share ≤ 1, got {sdr_max}")
    ok = graph.ok.ravel()
    s = np.clip(np.asarray(slope_pct, dtype=np.float64).ravel() / 100.0, _S_MIN, _S_MAX)
    w = np.maximum(np.asarray(cover, dtype=np.float64).ravel(), _W_MIN)
    bad = ok & ~(np.isfinite(s) & np.isfinite(w))
    if bad.any():
        raise ConfigError(f"sediment delivery: {int(bad.sum())} cells of the DEM have no slope or cover factor")
    s = np.where(ok, s, 1.0)
    w = np.where(ok, w, 1.0)
    acc, s_acc, w_acc = _upslope(graph.order, graph.receiver, graph.fraction, s, w)
    area = acc * float(cell_size) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        d_up = (w_acc / acc) * (s_acc / acc) * np.sqrt(area)
        stream = acc > stream_threshold
        d_dn = _downslope(
            graph.order, graph.receiver, graph.fraction, 1.0 / (w * s), stream, graph.shape[1], float(cell_size)
        )
        ic = np.log10(d_up / d_dn)
        sdr = sdr_max / (1.0 + np.exp((ic0 - ic) / k))
    sdr = np.where(stream, 0.0, sdr)
    sdr = np.where(ok, sdr, np.nan)
    return sdr.reshape(graph.shape)
