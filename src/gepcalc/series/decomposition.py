r"""Splitting a change of constant-price GEP into extent, condition and price effects (Shapley, exact).

:func:`decompose_cells` is the three-factor decomposition of :math:`V = A \cdot (Q/A) \cdot (V/Q)`
cell by cell (numpy arrays); :func:`cell_effects` applies it to a series' Dataset between two
years, :func:`effects_table` lays grouped effects out as a table.  Building the series
(prices, years, GDP) is :mod:`gepcalc.series.build`; :meth:`gepcalc.series.Series.decompose` is the
entry point and documents the rules for degenerate cells.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

#: the columns of a decomposition, in order
EFFECTS = ("value_y0", "value_y1", "change", "extent", "condition", "price")


def decompose_cells(
    A0: np.ndarray, A1: np.ndarray, Q0: np.ndarray, Q1: np.ndarray, V0: np.ndarray, V1: np.ndarray
) -> dict[str, np.ndarray]:
    r"""Cell-wise three-factor decomposition of :math:`V = A \cdot (Q/A) \cdot (V/Q)`.

    Parameters
    ----------
    A0, A1
        Area [m²] in the two years.
    Q0, Q1
        Quantity [service unit] in the two years.
    V0, V1
        Value [CNY/yr] at constant prices in the two years.

    Returns
    -------
    dict
        ``value_y0``, ``value_y1``, ``change``, ``extent``, ``condition``, ``price`` (same shape);
        ``extent + condition + price == change`` to rounding.  Degenerate cells follow the rules
        in :meth:`Series.decompose`.
    """
    A0, A1, Q0, Q1, V0, V1 = (np.nan_to_num(np.asarray(x, dtype="float64")) for x in (A0, A1, Q0, Q1, V0, V1))
    no_area = (A0 <= 0) & (A1 <= 0)
    a0 = np.where(no_area, 1.0, A0)
    a1 = np.where(no_area, 1.0, A1)
    # a value without quantity, or a quantity without area next to a year with area: pure price change
    pure = ((Q0 <= 0) & (V0 != 0)) | ((Q1 <= 0) & (V1 != 0)) | ((a0 <= 0) & (Q0 > 0)) | ((a1 <= 0) & (Q1 > 0))
    pure |= (Q0 <= 0) & (Q1 <= 0)
    a0 = np.where(pure, 1.0, a0)
    a1 = np.where(pure, 1.0, a1)
    with np.errstate(divide="ignore", invalid="ignore"):
        b0 = np.where(pure, 1.0, np.where(a0 > 0, Q0 / a0, 0.0))
        b1 = np.where(pure, 1.0, np.where(a1 > 0, Q1 / a1, 0.0))
        c0 = np.where(pure, V0, np.where(Q0 > 0, V0 / Q0, np.nan))
        c1 = np.where(pure, V1, np.where(Q1 > 0, V1 / Q1, np.nan))
    # an area appearing / disappearing: carry the other year's condition and price over (all extent)
    enter = (a0 <= 0) & (a1 > 0)
    leave = (a1 <= 0) & (a0 > 0)
    b0 = np.where(enter, b1, b0)
    c0 = np.where(enter, c1, c0)
    b1 = np.where(leave, b0, b1)
    c1 = np.where(leave, c0, c1)
    # a quantity appearing / vanishing on an area present in both years: carry the price over
    c0 = np.where(np.isnan(c0), c1, c0)
    c1 = np.where(np.isnan(c1), c0, c1)
    c0 = np.nan_to_num(c0)
    c1 = np.nan_to_num(c1)
    da, db, dc = a1 - a0, b1 - b0, c1 - c0
    extent = da * ((b0 * c0 + b1 * c1) / 3 + (b0 * c1 + b1 * c0) / 6)
    condition = db * ((a0 * c0 + a1 * c1) / 3 + (a0 * c1 + a1 * c0) / 6)
    price = dc * ((a0 * b0 + a1 * b1) / 3 + (a0 * b1 + a1 * b0) / 6)
    return {
        "value_y0": V0,
        "value_y1": V1,
        "change": V1 - V0,
        "extent": extent,
        "condition": condition,
        "price": price,
    }


def cell_effects(data: xr.Dataset, y0: int, y1: int) -> dict[str, xr.DataArray]:
    """The effects of :func:`decompose_cells` [CNY/yr] per cell of a series' ``data`` between ``y0`` and ``y1``.

    ``data`` holds ``area`` [m²], ``quantity`` and ``value_constant`` [CNY/yr] with a ``year`` dim; the
    result has the cell dims of ``value_constant`` without ``year``.
    """
    cells = {}
    for name, var in (("A", "area"), ("Q", "quantity"), ("V", "value_constant")):
        for tag, y in (("0", y0), ("1", y1)):
            cells[name + tag] = data[var].sel(year=y, drop=True)
    template = data["value_constant"].sel(year=y0, drop=True)
    arrays = xr.broadcast(*cells.values(), template)
    np_cells = {
        k: np.asarray(a.transpose(*template.dims).values, dtype="float64")
        for k, a in zip(cells, arrays[:-1], strict=True)
    }
    effects = decompose_cells(**np_cells)
    coords = {d: template[d] for d in template.dims}
    return {name: xr.DataArray(arr, dims=template.dims, coords=coords) for name, arr in effects.items()}


def effects_table(
    grouped: Mapping[str, xr.DataArray],
    by: Sequence[str],
    unit: str,
    years: str,
    names_zh: Mapping[str, str],
    names_en: Mapping[str, str],
) -> pd.DataFrame:
    """Effects summed per group of ``by`` (already in ``unit``/yr) as a table with a ``total`` row.

    Columns ``years`` (``"2015-2020"``), the ``by`` columns (service names after ``service``) and
    one column per effect of :data:`EFFECTS` [unit/yr], their units in ``df.attrs["units"]``;
    ``by = ()`` gives the one total row.
    """
    by = list(by)
    cols = {k: k for k in EFFECTS}
    if by:
        df = xr.Dataset({cols[k]: v for k, v in grouped.items()}).to_dataframe().reset_index()
        df = df[[*by, *cols.values()]]
        if "service" in by:
            df.insert(by.index("service") + 1, "name_zh", df["service"].map(names_zh))
            df.insert(by.index("service") + 2, "name_en", df["service"].map(names_en))
        total = {c: df[c].sum() for c in cols.values()}
        total[by[0]] = "total"
        df = pd.concat([df, pd.DataFrame([total])], ignore_index=True)
    else:
        df = pd.DataFrame([{cols[k]: float(v) for k, v in grouped.items()}])
    df.insert(0, "years", years)
    df.attrs["units"] = dict.fromkeys(EFFECTS, f"{unit}/yr")
    return df
