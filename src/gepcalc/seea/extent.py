"""Ecosystem extent in SEEA EA: the type change matrix of two land covers and the extent account.

:func:`change_matrix` counts the true area of each opening type becoming each closing type;
:func:`extent_account` turns areas (and a matrix, when there is one) into opening, additions,
reductions and closing extent; :func:`extent_tables` is what :func:`gepcalc.seea.seea` puts in its
workbook.  Supply and use, condition and assets are the other modules of :mod:`gepcalc.seea`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dask.array as dsa
import numpy as np
import pandas as pd
import xarray as xr

from gepcalc.landscape import build_landscape
from gepcalc.units import factor
from gepcalc.zonal import on_grid


def change_matrix(
    opening,
    closing,
    *,
    classes: str | Path | Any = "landcover_igbp",
    regions=None,
    region_field: str | None = None,
    region_name: str | None = None,
    unit: str = "ha",
) -> pd.DataFrame:
    """Ecosystem type change matrix: area [``unit``] of each opening type (rows) becoming each closing type.

    The two land covers must be on one grid; cell areas are true areas (``gepcalc.grid``); only
    cells inside the regions with data in both years count (a cell that is nodata in either year
    is left out and counted in ``attrs["nodata_area"]``).

    Parameters
    ----------
    opening, closing
        Land-cover rasters (paths or DataArrays) of the two years.
    classes
        Land-cover → ecosystem mapping table, as for :func:`gepcalc.account`.
    regions, region_field, region_name
        The accounting area, as for :func:`gepcalc.account` (None: the whole raster).
    """
    land = build_landscape(
        opening, classes=classes, regions=regions, region_field=region_field, region_name=region_name
    )
    e0 = land.ecosystem
    e1 = land.ecosystem_of(closing)
    area = on_grid(land.area, land)
    n = len(land.ecosystem_ids) + 1
    inside = land.region > 0
    both = inside & (e0 > 0) & (e1 > 0)
    idx = (e0.astype("int64") * n + e1.astype("int64")).where(both, 0)
    w = area.where(both, 0.0)
    data = [x.data if isinstance(x.data, dsa.Array) else dsa.from_array(x.data) for x in (idx, w)]
    counts = dsa.bincount(data[0].ravel(), weights=data[1].ravel(), minlength=n * n).compute()
    lost = float(xr.where(inside & ~both, area, 0.0).sum())
    m = counts.reshape(n, n)[1:, 1:] * factor("m**2", unit)
    ids = list(land.ecosystem_ids)
    df = pd.DataFrame(m, index=pd.Index(ids, name="opening"), columns=pd.Index(ids, name="closing"))
    keep = [e for e in ids if df.loc[e].sum() > 0 or df[e].sum() > 0]
    df = df.loc[keep, keep]
    df.attrs.update(unit=unit, nodata_area=lost * factor("m**2", unit))
    return df


def extent_account(
    opening_area: pd.Series, closing_area: pd.Series | None = None, matrix: pd.DataFrame | None = None
) -> pd.DataFrame:
    r"""Ecosystem extent account [ha]: rows opening, additions, reductions, net change, closing; a column per type.

    With a change matrix M (rows opening, columns closing):
    :math:`\text{additions}_e = \sum_{o \ne e} M_{oe}`, :math:`\text{reductions}_e = \sum_{c \ne e} M_{ec}`,
    opening = row sums, closing = column sums, so opening + additions − reductions = closing.
    Without one, additions and reductions are the net change's positive and negative parts.
    """
    if matrix is not None:
        types = list(dict.fromkeys([*matrix.index, *matrix.columns]))
        m = matrix.reindex(index=types, columns=types, fill_value=0.0)
        diag = np.diag(m.to_numpy())
        opening = m.sum(axis=1)
        closing = m.sum(axis=0)
        additions = closing - diag
        reductions = opening - diag
    else:
        closing = closing_area if closing_area is not None else opening_area
        types = list(dict.fromkeys([*opening_area.index, *closing.index]))
        opening = opening_area.reindex(types, fill_value=0.0)
        closing = closing.reindex(types, fill_value=0.0)
        net = closing - opening
        additions, reductions = net.clip(lower=0.0) + 0.0, (-net).clip(lower=0.0) + 0.0  # + 0.0: no −0
    rows = {
        "opening extent": opening,
        "additions to extent": additions,
        "reductions in extent": reductions,
        "net change in extent": closing - opening,
        "closing extent": closing,
    }
    df = pd.DataFrame(rows).T.reindex(columns=types)
    df["total"] = df.sum(axis=1)
    df.index.name = "extent [ha]"
    return df.reset_index()


def areas_ha(acct) -> pd.Series:
    """Area [ha] of each ecosystem type of an account (summed over regions, scenarios and years)."""
    area = acct.data["area"]
    return area.sum([d for d in area.dims if d != "ecosystem"]).to_series() * factor("m**2", "ha")


def extent_tables(
    opening, closing=None, matrix: pd.DataFrame | None = None
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The extent account (and the change matrix when given) of the accounts, with their notes.

    Returns ``{"extent account": …[, "change matrix (ha)": …]}`` and notes on nodata left out of the
    matrix, on a matrix whose total differs from the account's area, or on having no matrix.
    """
    notes: list[str] = []
    a0 = areas_ha(opening)
    a0 = a0[a0 > 0]
    a1 = areas_ha(closing) if closing is not None else None
    if a1 is not None:
        a1 = a1[a1 > 0]
    tables = {"extent account": extent_account(a0, a1, matrix)}
    if matrix is not None:
        tables["change matrix (ha)"] = matrix.reset_index()
        if matrix.attrs.get("nodata_area"):
            notes.append(f"change matrix: {matrix.attrs['nodata_area']:,.6g} ha nodata in one of the years left out")
        acct_total = float(a0.sum())
        if not np.isclose(acct_total, float(matrix.to_numpy().sum()), rtol=1e-9):
            notes.append(
                f"extent from the land covers ({float(matrix.to_numpy().sum()):,.6g} ha) differs from the account's "
                f"area ({acct_total:,.6g} ha): area corrections (account(areas=...)) or other regions"
            )
    else:
        notes.append(
            "extent account: no change matrix (landcover=... or matrix=...): additions and reductions are "
            "the net change by type"
        )
    return tables, notes
