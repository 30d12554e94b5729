"""Parameter values from a coefficient table: a single row, per ecosystem type, or per land-cover class.

:func:`from_table` reads a parameter's column of a table and lays it on the pixels (or over the
``ecosystem`` dimension for value parameters), recording every row used.  Which table and row a
parameter reads is decided by :mod:`gepcalc.resolve.params`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pint
import xarray as xr

from gepcalc.errors import MissingInputError, UnmappedClassError
from gepcalc.landscape import Landscape, check_classes, map_codes
from gepcalc.resolve.carbon_basis import carbon_conversion
from gepcalc.resolve.provenance import origin_record, table_record
from gepcalc.services.base import Param, Resolved, on_pixels
from gepcalc.tables import CoefficientTable
from gepcalc.units import magnitude_in


def spread(lut: np.ndarray, land: Landscape, pixels: bool) -> xr.DataArray:
    """Values per ecosystem type (``lut``, in ``land.ecosystem_ids`` order) on the pixels, or over ``ecosystem``."""
    if pixels:
        return on_pixels(lut, land.ecosystem)
    return xr.DataArray(lut, dims=("ecosystem",), coords={"ecosystem": land.ecosystem_ids})


def present_ecosystems(land: Landscape) -> list[str]:
    """The ecosystem types that occur in the landscape (all of them when it has no land-cover mapping)."""
    if land.mapping is None:
        return list(land.ecosystem_ids)
    eco = land.mapping.data["ecosystem"]
    codes = [c for c in land.class_counts.index if c in eco.index]
    return sorted({eco[c] for c in codes}, key=land.ecosystem_ids.index)


def from_table(
    p: Param, table: CoefficientTable, column: str, row: Any, land: Landscape, pixels: bool, where: str
) -> Resolved:
    """The value of ``p`` from ``column`` of ``table``: one ``row``, else per ecosystem type or land-cover class.

    Parameters
    ----------
    row
        The row of a constant (None: the table is indexed by ecosystem type or land-cover code).
    pixels
        True for a per-pixel result, False for a value parameter (a float or a DataArray over ``ecosystem``).
    where
        The input, for messages.

    Raises
    ------
    UnmappedClassError
        An ecosystem type of the landscape without a row in the table.
    MissingInputError
        A per-land-cover table for a value parameter, or an item table without a row named.
    """
    where = f"{where} (table {table.name!r}, {table.origin})"
    if row is not None:
        q: pint.Quantity = table.quantity(row, column)
        overridden = all(s.status == "user" for s in table.source_of(row))  # a user's value: plain t is t CO₂
        extra = carbon_conversion(
            p, table.unit(column, row), f"{where}, row {row!r}, column {column!r}", table=not overridden
        )
        val = magnitude_in(q, p.unit, where=f"{where}, row {row!r}")
        return Resolved(val, [{**table_record(p, table, row, column, q), **extra}])
    if table.index_kind == "ecosystem":
        vals = table.values_in(column, p.unit)
        present = present_ecosystems(land)
        missing = [e for e in present if e not in vals.index]
        if missing:
            raise UnmappedClassError(
                f"ecosystem types {missing} occur in {land.source} but have no row in table "
                f"{table.name!r} ({table.origin}), needed for {where}"
            )
        lut = np.array([vals.get(e, np.nan) for e in land.ecosystem_ids], dtype="float64")
        empty = tuple(e for e in present if np.isnan(lut[land.ecosystem_ids.index(e)]))
        origins = [
            table_record(
                p,
                table,
                e,
                column,
                table.quantity(e, column) if table.columns[column].type != "bool" else bool(table.data.at[e, column]),
            )
            for e in present
        ]
        return Resolved(spread(lut, land, pixels), origins, empty)
    if table.index_kind == "landcover":
        if not pixels:
            raise MissingInputError(f"{where}: a per-land-cover table cannot be used for a value parameter")
        check_classes(land.class_counts, table, raster=land.source, nodata=land.landcover.attrs.get("nodata"))
        vals = table.values_in(column, p.unit)
        keys = np.asarray(vals.index, dtype="int64")
        order = np.argsort(keys)
        da = map_codes(land.landcover, keys[order], vals.to_numpy(dtype=float)[order], fill=np.nan)
        return Resolved(
            da,
            [
                origin_record(
                    p, table.name, f"{len(vals)} land-cover classes", file=table.origin, column=column, unit=p.unit
                )
            ],
        )
    raise MissingInputError(f"{where}: table {table.name!r} is indexed by {table.index_kind}; name a row")
