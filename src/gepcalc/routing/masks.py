"""Which cells of a DEM hold data, and which nodata cells are interior holes.

Plain numpy/scipy on boolean masks, shared by the whole-grid routing and :mod:`gepcalc.tiles`.
No filling or routing here (see :mod:`gepcalc.routing.fill`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

__all__ = ["data_mask", "interior_holes"]


def data_mask(dem: NDArray, nodata: float | None) -> NDArray[np.bool_]:
    """Cells of ``dem`` that hold data: finite and not equal to ``nodata``.

    Parameters
    ----------
    dem
        Elevation [m], 2-D.
    nodata
        Value marking missing cells (None or NaN: only non-finite cells are missing).

    Returns
    -------
    numpy.ndarray
        Boolean mask, True on data cells.
    """
    mask = np.isfinite(dem)
    if nodata is not None and not np.isnan(nodata):
        mask &= dem != nodata
    return mask


def interior_holes(data: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Nodata cells whose 8-connected nodata region does not reach the raster edge."""
    if data.all():
        return np.zeros_like(data)
    labels, n = ndimage.label(~data, structure=np.ones((3, 3), dtype=bool))
    if n == 0:
        return np.zeros_like(data)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    inside = np.ones(n + 1, dtype=bool)
    inside[edge] = False
    inside[0] = False
    return inside[labels]
