"""Resolving one parameter of a service: from the user's input or the default table, in the declared unit.

:func:`resolve` takes what the user gave for a parameter (parsed into a typed input by
:func:`gepcalc.inputs.parse`: a scalar, a raster, values per ecosystem type, possibly on another
land cover) or its default table, and returns it as a magnitude in the unit the service declares,
with the record of every value used.  :func:`resolve_param` does so once per item for per-item
parameters.  Region parameters are :mod:`gepcalc.resolve.regional`'s; reading tables is
:mod:`gepcalc.resolve.from_table`'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import xarray as xr

from gepcalc.errors import InputTypeError, MissingInputError, UnitError
from gepcalc.inputs import PerType, Raster, Scalar, parse
from gepcalc.io import raster_from_input
from gepcalc.landscape import Landscape
from gepcalc.plausible import check_values, raster_check
from gepcalc.resolve.carbon_basis import carbon_conversion
from gepcalc.resolve.from_table import from_table, present_ecosystems, spread
from gepcalc.resolve.pending import copy_record, defer_or_run
from gepcalc.resolve.provenance import origin_record, range_warning
from gepcalc.services.base import Param, Resolved, TableRef, describe_missing, on_pixels, per_ecosystem_values
from gepcalc.tables import CoefficientTable
from gepcalc.units import convert_array, magnitude_in, parse_unit, to_quantity
from gepcalc.zonal import accounted


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
            if p.optional:  # the function receives None and says what it lacks if it needs it
                return Resolved(None, [])
            raise MissingInputError(describe_missing(service_id, p))
        return from_table(p, tables[p.default.table], p.default.column, p.default.row, land, pixels, where)

    given = parse(given, where)
    if isinstance(given, CoefficientTable):
        column = p.name if p.name in given.columns else (p.default.column if p.default else p.name)
        return from_table(p, given, column, None, land, pixels, where)
    if isinstance(given, Scalar):
        _allow(p, "scalar", where)
        return _scalar(p, given.value, where)
    if isinstance(given, Raster):
        _allow(p, "raster", where)
        if not pixels:
            raise InputTypeError(f"{where}: a raster cannot be used for a value parameter; give a scalar")
        return _raster(p, given, land, where)
    if isinstance(given, PerType):
        _allow(p, "per_ecosystem", where)
        if given.landcover is not None:
            return _on_other_landcover(p, service_id, given, tables, land, pixels, where)
        return _per_type(p, given, land, pixels, where)
    raise InputTypeError(f"{where} is not given per region; give it as a scalar, a raster or per ecosystem type")


def _scalar(p: Param, given: Any, where: str) -> Resolved:
    q = to_quantity(given, where=where) if isinstance(given, str) else given
    extra = carbon_conversion(p, str(getattr(q, "units", "")), where)
    bare = "dimensionless" if parse_unit(p.unit).dimensionless else None  # a share may be a plain number
    value = magnitude_in(given, p.unit, where=where, default_unit=bare)
    warn = check_values(p.name, value, p.unit, f"{where} ({given})")
    return Resolved(value, [origin_record(p, "user input", str(given), **extra, **range_warning(warn))])


def _per_type(p: Param, given: PerType, land: Landscape, pixels: bool, where: str) -> Resolved:
    unit = given.unit or p.unit
    quantities = {k: (v if not isinstance(v, int | float) else f"{v} {unit}") for k, v in given.values.items()}
    lut = per_ecosystem_values(quantities, p.unit, land.ecosystem_ids, where=where)
    missing = tuple(e for e in present_ecosystems(land) if np.isnan(lut[land.ecosystem_ids.index(e)]))
    origin = [
        origin_record(
            p,
            "user input",
            f"{e}={v}",
            **range_warning(check_values(p.name, lut[land.ecosystem_ids.index(e)], p.unit, f"{where}[{e}]")),
        )
        for e, v in quantities.items()
    ]
    return Resolved(spread(lut, land, pixels), origin, missing)


def _allow(p: Param, kind: str, where: str) -> None:
    if kind not in p.kinds:
        raise MissingInputError(f"{where} cannot be given as {kind}; it takes {' or '.join(p.kinds)}")


def _raster(p: Param, given: Raster, land: Landscape, where: str) -> Resolved:
    """A raster input on the grid, in ``p.unit``; its range check computed now, or in the account's pass.

    Inside :func:`gepcalc.resolve.pending.deferred_checks` the check is only registered (what
    needs no pixel is checked at once): its ``warning`` and ``holes`` complete the origin record
    when it is judged, after the pass that reads the raster anyway.
    """
    unit, src = given.unit, given.source
    if not unit:
        raise UnitError(
            f"{where}: the raster {src if not isinstance(src, xr.DataArray) else src.name} "
            f"has no unit; say it, e.g. {{'raster': ..., 'unit': '{p.unit}'}}"
        )
    da = raster_from_input(src, name=p.name, like=land.landcover)
    declared = da.attrs.get("nodata") is not None
    da = convert_array(da, unit, p.unit, where=where)
    inside = None if p.fills_nodata else accounted(land)
    check = raster_check(p.name, da, p.unit, where, sentinels=not declared and not p.fills_nodata, inside=inside)
    origin = origin_record(p, "raster", str(da.attrs.get("source", "DataArray")), unit=unit)
    if "scaled" in da.attrs:
        origin["scaled"] = da.attrs["scaled"]
    defer_or_run(check, origin)
    return Resolved(da, [origin])


def _on_other_landcover(p: Param, service_id: str, given: PerType, tables, land: Landscape, pixels, where) -> Resolved:
    """:class:`PerType` with ``landcover``: per-type values on another land cover (else the table's values)."""
    if not pixels:
        raise InputTypeError(f"{where}: a land-cover raster cannot be used for a value parameter")
    inner = {p.name: PerType(given.values, given.unit)} if given.values else {}
    r = resolve(p, service_id, inputs=inner, tables=tables, land=land, pixels=False)
    codes = land.ecosystem_of(given.landcover)
    lut = np.broadcast_to(np.asarray(getattr(r.value, "values", r.value), dtype="float64"), len(land.ecosystem_ids))
    src = given.landcover if not isinstance(given.landcover, xr.DataArray) else "DataArray"
    origin = [{**o, "landcover": str(src)} for o in r.origin]
    return Resolved(on_pixels(np.array(lut), codes), origin, r.missing)


def resolve_param(
    p: Param,
    service_id: str,
    *,
    inputs: Mapping[str, Any],
    tables: Mapping[str, CoefficientTable],
    land: Landscape,
    pixels: bool = True,
    items: Sequence[str] = (),
) -> Resolved:
    """:func:`resolve`, once per item for per-item parameters (result stacked along ``item``).

    A per-item parameter is given as ``{"cod": value, "tp": value, ...}`` (each value in any
    form :func:`resolve` takes); items left out come from the default table, whose
    column or row names contain ``{item}``.
    """
    if not p.per_item:
        return resolve(p, service_id, inputs=inputs, tables=tables, land=land, pixels=pixels)
    where = f"input {p.name!r} of service {service_id!r}"
    given = user_value(inputs, service_id, p.name)
    if given is not None and not (isinstance(given, Mapping) and set(given) <= set(items)):
        raise MissingInputError(
            f"{where} is given per item, e.g. {{{', '.join(repr(i) + ': …' for i in items)}}}; "
            f"got {given!r} (items of this account: {', '.join(items)})"
        )
    parts, origins, missing = [], [], []
    for item in items:
        default = p.default and TableRef(
            p.default.table, p.default.column.format(item=item), p.default.row and p.default.row.format(item=item)
        )
        sub = replace(p, per_item=False, default=default)
        sub_inputs = {p.name: given[item]} if given and item in given else {}
        try:
            r = resolve(sub, service_id, inputs=sub_inputs, tables=tables, land=land, pixels=pixels)
        except (MissingInputError, KeyError) as exc:
            msg = exc.args[0] if exc.args else str(exc)
            raise MissingInputError(f"{where}, item {item!r}: {msg}") from None
        parts.append(xr.DataArray(r.value) if not isinstance(r.value, xr.DataArray) else r.value)
        origins.extend(copy_record(o, {**o, "item": item}) for o in r.origin)
        missing.extend(r.missing)
    stacked = xr.concat(xr.broadcast(*parts), dim=xr.Variable("item", list(items)), coords="minimal")
    stacked = stacked.assign_coords(item=list(items))
    return Resolved(stacked, origins, tuple(dict.fromkeys(missing)))
