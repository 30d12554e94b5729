"""Turn what the user gave (or the default tables) into service arguments.

Each declared :class:`~gepcalc.services.base.Param` becomes a magnitude in the
unit the service declares: a float (scalar), a per-pixel DataArray (raster, or a
per-ecosystem / per-land-cover table spread onto the pixels) or, for value
parameters, a DataArray over the ``ecosystem`` dimension.  Every value used is
recorded with its table, row, unit and source, so an account can be audited.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
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
    TableRef,
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
    if isinstance(given, Mapping) and "landcover" in given:
        _allow(p, "per_ecosystem", where)
        return _on_other_landcover(p, service_id, given, tables, land, pixels, where)
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
        empty = tuple(e for e in present if np.isnan(lut[land.ecosystem_ids.index(e)]))
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
        return Resolved(_spread(lut, land, pixels), origins, empty)
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


def _on_other_landcover(p: Param, service_id: str, given: Mapping, tables, land: Landscape, pixels, where) -> Resolved:
    """``{"landcover": raster[, "values": {...}, "unit": ...]}``: per-type values on another land cover."""
    if not pixels:
        raise MissingInputError(f"{where}: a land-cover raster cannot be used for a value parameter")
    inner = {k: v for k, v in given.items() if k != "landcover"}  # values given with it, else the table's
    r = resolve(p, service_id, inputs={p.name: inner} if inner else {}, tables=tables, land=land, pixels=False)
    codes = land.ecosystem_of(given["landcover"])
    lut = np.broadcast_to(np.asarray(getattr(r.value, "values", r.value), dtype="float64"), len(land.ecosystem_ids))
    src = given["landcover"] if not isinstance(given["landcover"], xr.DataArray) else "DataArray"
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
        origins.extend({**o, "item": item} for o in r.origin)
        missing.extend(r.missing)
    stacked = xr.concat(xr.broadcast(*parts), dim=xr.Variable("item", list(items)), coords="minimal")
    stacked = stacked.assign_coords(item=list(items))
    return Resolved(stacked, origins, tuple(dict.fromkeys(missing)))


def resolve_regional(
    p: Param,
    service_id: str,
    *,
    inputs: Mapping[str, Any],
    tables: Mapping[str, CoefficientTable],
    land: Landscape,
    items: Sequence[str] = (),
) -> Resolved:
    """A region parameter as a DataArray over ``region`` (and ``item`` for per-item ones).

    Given as a scalar with units (allowed when the account has one region, or when
    every region shares it: ``{"all": value}``) or as ``{region: value, ...}`` naming
    every region; per-item ones as ``{item: <that>, ...}``.  Optional ones left out are None.
    """
    where = f"region input {p.name!r} of service {service_id!r}"
    given = user_value(inputs, service_id, p.name)
    if given is None and p.default is None:
        if p.optional:
            return Resolved(None, [])
        raise MissingInputError(
            f"service {service_id!r} needs {p.name!r} ({p.description}) [{p.unit}] for each region: "
            f"give it as inputs={{'{service_id}.{p.name}': "
            + ("{'<item>': " if p.per_item else "")
            + f"{{'{land.region_names[0]}': '{p.example or '… ' + p.unit}', …}}"
            + ("}" if p.per_item else "")
            + "}"
        )
    if p.per_item:
        if not isinstance(given, Mapping) or set(given) - set(items):
            raise MissingInputError(f"{where} is given per item: {{{', '.join(repr(i) + ': …' for i in items)}}}")
        parts = []
        origins = []
        for item in items:
            if item not in given:
                raise MissingInputError(f"{where} has no value for item {item!r}")
            v, o = _per_region(p, given[item], land, f"{where}[{item}]")
            parts.append(v)
            origins.extend({**x, "item": item} for x in o)
        return Resolved(xr.concat(parts, dim=xr.Variable("item", list(items))).assign_coords(item=list(items)), origins)
    if given is None:  # a table constant holds for every region
        r = _from_table(p, tables[p.default.table], p.default.column, p.default.row, land, False, where)
        v, _ = _per_region(p, {"all": f"{r.value} {p.unit}"}, land, where)
        return Resolved(v, r.origin)
    v, o = _per_region(p, given, land, where)
    return Resolved(v, o)


def _per_region(p: Param, given, land: Landscape, where: str) -> tuple[xr.DataArray, list[dict]]:
    names = list(land.region_names)
    if is_quantity_like(given):
        if len(names) > 1:
            raise MissingInputError(
                f"{where}: one value {given!r} for {len(names)} regions is ambiguous; give "
                f"{{region: value}} for {', '.join(names[:5])}{' …' if len(names) > 5 else ''}, "
                f"or {{'all': value}} if every region has it"
            )
        given = {names[0]: given}
    if not isinstance(given, Mapping):
        raise MissingInputError(f"{where}: expected a value with units or {{region: value}}, got {given!r}")
    if set(given) == {"all"}:
        given = dict.fromkeys(names, given["all"])
    unknown = sorted(set(given) - set(names))
    lacking = [n for n in names if n not in given]
    if unknown or lacking:
        raise MissingInputError(
            f"{where}: "
            + (f"unknown region(s) {unknown}; " if unknown else "")
            + (f"no value for region(s) {lacking[:10]}; " if lacking else "")
            + f"regions of this account: {', '.join(names[:20])}"
        )
    values = [magnitude_in(given[n], p.unit, where=f"{where}[{n}]", default_unit=None) for n in names]
    da = xr.DataArray(np.array(values, dtype="float64"), dims=("region",), coords={"region": names})
    return da, [_origin(p, "user input", f"{n}={given[n]}", region=n) for n in names]


def arguments(
    cls,
    which: str,
    *,
    inputs: Mapping[str, Any],
    tables: Mapping[str, CoefficientTable],
    land: Landscape,
    items: Sequence[str] = (),
    origins: list[dict] | None = None,
    gaps: dict | None = None,
) -> dict[str, Any]:
    """All arguments of one of a service's functions: ``which`` is ``physical``, ``regional`` or ``value``.

    Origins of every value are appended to ``origins``; ecosystem types lacking a
    value are recorded in ``gaps`` as ``{(service, ecosystem): parameter}``.
    """
    sid = cls.spec.id
    params = {"physical": cls.spec.params, "regional": cls.spec.region_params, "value": cls.spec.value_params}[which]
    out = {}
    for p in params:
        if which == "regional":
            r = resolve_regional(p, sid, inputs=inputs, tables=tables, land=land, items=items)
        else:
            r = resolve_param(p, sid, inputs=inputs, tables=tables, land=land, pixels=which == "physical", items=items)
        out[p.name] = r.value
        if origins is not None:
            origins.extend({"service": sid, **o} for o in r.origin)
        if gaps is not None:
            gaps.update({(sid, e): p.name for e in r.missing})
    return out
