"""Lines laid onto an account's dimensions: quantity and value by item × region × ecosystem type.

:func:`line_arrays` puts one service's valued lines on the account's grid of regions and types,
sharing a line that names no type among the producing types by area (:func:`allocation_weights`,
the ``allocation`` table); :func:`provenance` is the line-by-line table of ``Account.lines``.
Reading lines is :mod:`gepcalc.lines.read`, valuing them :mod:`gepcalc.lines.value`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from gepcalc.errors import LineError
from gepcalc.lines.read import UNALLOCATED
from gepcalc.lines.value import ValuedLines
from gepcalc.tables import CoefficientTable


def allocation_weights(
    sid: str, tables: Mapping[str, CoefficientTable], ecosystem_ids: Sequence[str]
) -> np.ndarray | None:
    """Weights of the producing ecosystem types of a statistics service (None: not allocated)."""
    table = tables.get("allocation")
    if table is None or sid not in table.columns:
        return None
    vals = table.values_in(sid, "dimensionless")
    return np.array([vals.get(e, 0.0) for e in ecosystem_ids], dtype="float64")


def line_arrays(
    df: pd.DataFrame,
    sid: str,
    *,
    regions: Sequence[str],
    ecosystems: Sequence[str],
    area: xr.DataArray | None,
    weights: np.ndarray | None,
) -> tuple[xr.DataArray, xr.DataArray, list[str]]:
    """Quantity and value of one service's lines over item × region × ecosystem.

    A line naming an ecosystem type goes to it; one naming none is shared among the
    region's types in proportion to ``weights × area`` (area [m²] by region ×
    ecosystem), else put under :data:`UNALLOCATED`.  Lines not counted (from outside,
    profile ignoring them) are left out; subtracted ones count negative.

    Returns quantity [each item's unit], value [CNY/yr] (NaN for lines the service still
    has to value) and notes.
    """
    df = df[(df["service"] == sid) & (df["counted"] != "not counted")]
    items = list(dict.fromkeys(df["item"]))
    ecos = list(ecosystems)
    shape = (len(items), len(regions), len(ecos))
    qty, val = np.zeros(shape), np.zeros(shape)
    notes = []
    for r in df.itertuples():
        sign = -1.0 if r.counted == "subtracted" else 1.0
        if r.region not in regions:
            raise LineError(
                f"{r.file}, row {r.row}: region {r.region!r} is not a region of this account "
                f"({', '.join(list(regions)[:10])})"
            )
        ri, ii = list(regions).index(r.region), items.index(r.item)
        share = np.zeros(len(ecos))
        if r.ecosystem:
            if r.ecosystem not in ecos:
                raise LineError(
                    f"{r.file}, row {r.row}: ecosystem type {r.ecosystem!r} is not one of {', '.join(ecos)}"
                )
            share[ecos.index(r.ecosystem)] = 1.0
        else:
            w = (
                weights * area.reindex(ecosystem=ecos, fill_value=0.0).sel(region=r.region).values
                if (weights is not None and area is not None)
                else None
            )
            if w is not None and w.sum() > 0:
                share = w / w.sum()
            else:
                share[ecos.index(UNALLOCATED)] = 1.0
                if weights is not None and area is not None:
                    notes.append(
                        f"{sid}: region {r.region!r} has none of the ecosystem types that produce it; "
                        f"its line (row {r.row}) is reported as '{UNALLOCATED}'"
                    )
        # a line reporting only its value leaves its cells' quantity NaN (not given), not other cells'
        qty[ii, ri] += np.where(share > 0, sign * r.quantity_in_unit * share, 0.0)
        val[ii, ri] += np.where(share > 0, sign * r.value_CNY * share, 0.0)
    coords = {"item": items, "region": list(regions), "ecosystem": ecos}
    dims = ("item", "region", "ecosystem")
    return xr.DataArray(qty, coords, dims), xr.DataArray(val, coords, dims), notes


def provenance(valued: ValuedLines) -> pd.DataFrame:
    """The line-by-line table of an account: what was reported, how it was priced, where both came from."""
    cols = {
        "region": "region",
        "service": "service",
        "item": "item",
        "ecosystem": "ecosystem",
        "quantity": "quantity",
        "unit": "unit",
        "source": "quantity_source",
        "quantity_in_unit": "quantity_accounted",
        "account_unit": "accounted_unit",
        "price_used": "price",
        "price_source": "price_source",
        "priced_by": "priced_by",
        "value_CNY": "value_accounted",
        "value": "reported_value",
        "value_unit": "reported_value_unit",
        "reported_value_CNY_difference": "difference_from_reported",
        "origin": "origin",
        "share_applied": "ecosystem_share",
        "counted": "counted",
        "file": "file",
        "row": "row",
        "note": "note",
    }
    df = valued.lines
    out = df[[c for c in cols if c in df]].rename(columns=cols)
    out.attrs["units"] = {"value_accounted": "CNY/yr"}  # quantity_accounted: per row, in accounted_unit
    return out
