"""Turn what the user gave (or the default tables) into service arguments.

Each declared :class:`~gepcalc.services.base.Param` becomes a magnitude in the
unit the service declares: a float (scalar), a per-pixel DataArray (raster, or a
per-ecosystem / per-land-cover table spread onto the pixels) or, for value
parameters, a DataArray over the ``ecosystem`` dimension.  Every value used is
recorded with its table, row, unit and source, so an account can be audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pint
import xarray as xr

from gepcalc.errors import MissingInputError, UnitError, UnmappedClassError
from gepcalc.io import raster_from_input
from gepcalc.landscape import Landscape, _map_codes, check_classes
from gepcalc.services.base import (
    Param,
    Resolved,
    describe_missing,
    is_quantity_like,
    on_pixels,
    per_ecosystem_values,
)
from gepcalc.tables import CoefficientTable
from gepcalc.units import convert_array, magnitude_in


def user_value(inputs: Mapping[str, Any], service_id: str, name: str) -> Any:
    """A user's value for a parameter: ``"service.name"`` wins over plain ``"name"``."""
    return inputs.get(f"{service_id}.{name}", inputs.get(name))


def resolve(
    p: Param,
    service_id: str,
    *,
    inputs: Mapping[str, Any],
    tables: Mapping[str, CoefficientTable],
    land: Landscape,
    pixels: bool = True,
) -> Resolved:
    """Resolve one parameter for one service (see module docstring).

    Parameters
    ----------
    pixels
        True for ``physical`` parameters (result on the grid), False for value
        parameters (result a float or a DataArray over ``ecosystem``).
    """
    where = f"input {p.name!r} of service {service_id!r}"
    given = user_value(inputs, service_id, p.name)
    if given is None:
        if p.default is None:
            raise MissingInputError(describe_missing(service_id, p))
        return _from_table(p, tables[p.default.table], p.default.column, p.default.row, land, pixels, where)

    if isinstance(given, CoefficientTable):
        column = p.name if p.name in given.columns else (p.default.column if p.default else p.name)
        return _from_table(p, given, column, None, land, pixels, where)
    if is_quantity_like(given):
        _allow(p, "scalar", where)
        return Resolved(magnitude_in(given, p.unit, where=where), [_origin(p, "user input", str(given))])
    if isinstance(given, xr.DataArray) or (isinstance(given, Mapping) and "raster" in given):
        _allow(p, "raster", where)
        if not pixels:
            raise MissingInputError(f"{where}: a raster cannot be used for a value parameter; give a scalar")
        return _raster(p, given, land, where)
    if isinstance(given, Mapping):
        _allow(p, "per_ecosystem", where)
        values = given.get("values", {k: v for k, v in given.items() if k not in ("unit", "source", "note", "name_zh")})
        unit = given.get("unit", p.unit)
        quantities = {k: (v if not isinstance(v, int | float) else f"{v} {unit}") for k, v in values.items()}
        lut = per_ecosystem_values(quantities, p.unit, land.ecosystem_ids, where=where)
        missing = tuple(e for e in _present_ecosystems(land) if np.isnan(lut[land.ecosystem_ids.index(e)]))
        return Resolved(
            _spread(lut, land, pixels), [_origin(p, "user input", f"{k}={v}") for k, v in quantities.items()], missing
        )
    if isinstance(given, str | Path):
        raise MissingInputError(
            f"{where}: {given!r} is neither a quantity with units nor a table; give a raster as "
            f"{{'raster': '{given}', 'unit': '{p.unit}'}}"
        )
    raise MissingInputError(f"{where}: cannot use a {type(given).__name__}")


def _allow(p: Param, kind: str, where: str) -> None:
    if kind not in p.kinds:
        raise MissingInputError(f"{where} cannot be given as {kind}; it takes {' or '.join(p.kinds)}")


def _origin(p: Param, table: str, value: str, **extra) -> dict:
    return {"parameter": p.name, "table": table, "value": value, **extra}


def _raster(p: Param, given, land: Landscape, where: str) -> Resolved:
    if isinstance(given, xr.DataArray):
        unit = given.attrs.get("units")
        src = given
    else:
        unit = given.get("unit")
        src = given["raster"]
    if not unit:
        raise UnitError(
            f"{where}: the raster {src if not isinstance(src, xr.DataArray) else src.name} "
            f"has no unit; say it, e.g. {{'raster': ..., 'unit': '{p.unit}'}}"
        )
    da = raster_from_input(src, name=p.name, like=land.landcover)
    da = convert_array(da, unit, p.unit, where=where)
    return Resolved(da, [_origin(p, "raster", str(da.attrs.get("source", "DataArray")), unit=unit)])


def _spread(lut: np.ndarray, land: Landscape, pixels: bool):
    if pixels:
        return on_pixels(lut, land.ecosystem)
    return xr.DataArray(lut, dims=("ecosystem",), coords={"ecosystem": land.ecosystem_ids})


def _present_ecosystems(land: Landscape) -> list[str]:
    if land.mapping is None:
        return list(land.ecosystem_ids)
    eco = land.mapping.data["ecosystem"]
    codes = [c for c in land.class_counts.index if c in eco.index]
    return sorted({eco[c] for c in codes}, key=land.ecosystem_ids.index)


def _from_table(
    p: Param, table: CoefficientTable, column: str, row, land: Landscape, pixels: bool, where: str
) -> Resolved:
    where = f"{where} (table {table.name!r}, {table.origin})"
    if row is not None:
        q: pint.Quantity = table.quantity(row, column)
        val = magnitude_in(q, p.unit, where=f"{where}, row {row!r}")
        return Resolved(val, [_table_origin(p, table, row, column, q)])
    if table.index_kind == "ecosystem":
        vals = table.values_in(column, p.unit)
        present = _present_ecosystems(land)
        missing = [e for e in present if e not in vals.index]
        if missing:
            raise UnmappedClassError(
                f"ecosystem types {missing} occur in {land.source} but have no row in table "
                f"{table.name!r} ({table.origin}), needed for {where}"
            )
        lut = np.array([vals.get(e, np.nan) for e in land.ecosystem_ids], dtype="float64")
        origins = [
            _table_origin(
                p,
                table,
                e,
                column,
                table.quantity(e, column) if table.columns[column].type != "bool" else bool(table.data.at[e, column]),
            )
            for e in present
        ]
        return Resolved(_spread(lut, land, pixels), origins)
    if table.index_kind == "landcover":
        if not pixels:
            raise MissingInputError(f"{where}: a per-land-cover table cannot be used for a value parameter")
        check_classes(land.class_counts, table, raster=land.source, nodata=land.landcover.attrs.get("nodata"))
        vals = table.values_in(column, p.unit)
        keys = np.asarray(vals.index, dtype="int64")
        order = np.argsort(keys)
        da = _map_codes(land.landcover, keys[order], vals.to_numpy(dtype=float)[order], fill=np.nan)
        return Resolved(
            da,
            [_origin(p, table.name, f"{len(vals)} land-cover classes", file=table.origin, column=column, unit=p.unit)],
        )
    raise MissingInputError(f"{where}: table {table.name!r} is indexed by {table.index_kind}; name a row")


def _table_origin(p: Param, table: CoefficientTable, row, column: str, q) -> dict:
    sources = table.source_of(row)
    return {
        "parameter": p.name,
        "table": table.name,
        "file": table.origin,
        "row": str(row),
        "column": column,
        "value": f"{q:~P}" if isinstance(q, pint.Quantity) else str(q),
        "source": "; ".join(s.cite() for s in sources),
        "status": ", ".join(sorted({s.status for s in sources})),
    }
