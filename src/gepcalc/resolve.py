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
from difflib import get_close_matches
from typing import Any

import numpy as np
import pint
import xarray as xr

from gepcalc.errors import ConfigError, InputTypeError, MissingInputError, UnitError, UnmappedClassError
from gepcalc.inputs import PerRegion, PerType, Raster, Scalar, parse
from gepcalc.io import raster_from_input
from gepcalc.landscape import Landscape, check_classes, map_codes
from gepcalc.plausible import check_raster, check_values
from gepcalc.services.base import (
    Param,
    Resolved,
    TableRef,
    describe_missing,
    on_pixels,
    per_ecosystem_values,
)
from gepcalc.tables import CoefficientTable
from gepcalc.units import carbon_basis, convert_array, magnitude_in, parse_unit, to_quantity


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
        return _from_table(p, tables[p.default.table], p.default.column, p.default.row, land, pixels, where)

    given = parse(given, where)
    if isinstance(given, CoefficientTable):
        column = p.name if p.name in given.columns else (p.default.column if p.default else p.name)
        return _from_table(p, given, column, None, land, pixels, where)
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
    extra = _carbon_conversion(p, str(getattr(q, "units", "")), where)
    bare = "dimensionless" if parse_unit(p.unit).dimensionless else None  # a share may be a plain number
    value = magnitude_in(given, p.unit, where=where, default_unit=bare)
    warn = check_values(p.name, value, p.unit, f"{where} ({given})")
    return Resolved(value, [_origin(p, "user input", str(given), **extra, **_warning(warn))])


def _per_type(p: Param, given: PerType, land: Landscape, pixels: bool, where: str) -> Resolved:
    unit = given.unit or p.unit
    quantities = {k: (v if not isinstance(v, int | float) else f"{v} {unit}") for k, v in given.values.items()}
    lut = per_ecosystem_values(quantities, p.unit, land.ecosystem_ids, where=where)
    missing = tuple(e for e in _present_ecosystems(land) if np.isnan(lut[land.ecosystem_ids.index(e)]))
    origin = [
        _origin(
            p,
            "user input",
            f"{e}={v}",
            **_warning(check_values(p.name, lut[land.ecosystem_ids.index(e)], p.unit, f"{where}[{e}]")),
        )
        for e, v in quantities.items()
    ]
    return Resolved(_spread(lut, land, pixels), origin, missing)


def _allow(p: Param, kind: str, where: str) -> None:
    if kind not in p.kinds:
        raise MissingInputError(f"{where} cannot be given as {kind}; it takes {' or '.join(p.kinds)}")


def _origin(p: Param, table: str, value: str, **extra) -> dict:
    return {"parameter": p.name, "table": table, "value": value, **extra}


def _raster(p: Param, given: Raster, land: Landscape, where: str) -> Resolved:
    unit, src = given.unit, given.source
    if not unit:
        raise UnitError(
            f"{where}: the raster {src if not isinstance(src, xr.DataArray) else src.name} "
            f"has no unit; say it, e.g. {{'raster': ..., 'unit': '{p.unit}'}}"
        )
    da = raster_from_input(src, name=p.name, like=land.landcover)
    declared = da.attrs.get("nodata") is not None
    da = convert_array(da, unit, p.unit, where=where)
    inside = None if p.fills_nodata else (land.ecosystem > 0) & (land.region > 0)
    warn, holes = check_raster(p.name, da, p.unit, where, sentinels=not declared and not p.fills_nodata, inside=inside)
    origin = _origin(p, "raster", str(da.attrs.get("source", "DataArray")), unit=unit, **_warning(warn))
    if holes:
        origin["holes"] = holes
    if "scaled" in da.attrs:
        origin["scaled"] = da.attrs["scaled"]
    return Resolved(da, [origin])


def _warning(notes: list[str]) -> dict:
    """``{"warning": text}`` for a value outside its usual range (the account lists it in its notes)."""
    return {"warning": "; ".join(notes)} if notes else {}


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
        overridden = all(s.status == "user" for s in table.source_of(row))  # a user's value: plain t is t CO₂
        extra = _carbon_conversion(
            p, table.unit(column, row), f"{where}, row {row!r}, column {column!r}", table=not overridden
        )
        val = magnitude_in(q, p.unit, where=f"{where}, row {row!r}")
        return Resolved(val, [{**_table_origin(p, table, row, column, q), **extra}])
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
        da = map_codes(land.landcover, keys[order], vals.to_numpy(dtype=float)[order], fill=np.nan)
        return Resolved(
            da,
            [_origin(p, table.name, f"{len(vals)} land-cover classes", file=table.origin, column=column, unit=p.unit)],
        )
    raise MissingInputError(f"{where}: table {table.name!r} is indexed by {table.index_kind}; name a row")


def _carbon_conversion(p: Param, unit: str, where: str, *, table: bool = False) -> dict:
    r"""Check the carbon basis of a value and say how it was converted.

    A parameter declared per t CO₂ (unit with ``tCO2``, e.g. the carbon price ``CNY / tCO2``)
    takes values per ``tC`` (converted: CNY/tC × 12.011/44.0095 = CNY/tCO2, recorded in the
    ``unit_conversion`` column of ``Account.sources``) or per ``tCO2``; a *table* value per
    plain ``t`` is refused (per t of C or of CO₂?), a user's (input or override) is taken per t CO₂.  A parameter
    not declared in tC/tCO2 (a sequestration rate, a carbon density, per t of C) refuses tC/tCO2.
    """
    if not unit:
        return {}
    declared, given = carbon_basis(p.unit), carbon_basis(unit)
    if declared is None:
        if given is not None:
            raise UnitError(
                f"{where}: {unit!r} uses tC/tCO2, which gepcalc keeps for CO₂ quantities and carbon prices; "
                f"this parameter is in {p.unit} ({p.description}): write it in that unit"
            )
        return {}
    if given is None and table:
        raise UnitError(
            f"{where}: the carbon price is in {unit!r}, which does not say per tonne of what: write the "
            f"row's unit as 'CNY / tC' (per tonne of carbon) or 'CNY / tCO2' (per tonne of CO2)"
        )
    if given is not None and given != declared:
        f = magnitude_in(f"1 {unit}", p.unit)
        return {"unit_conversion": f"{unit} → {p.unit} × {f:.6g} (12/44: 12.011/44.0095, IUPAC 2021)"}
    return {}


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
    if given is None and p.default.row and p.default.row.startswith("{"):
        return _chosen_row(p, service_id, inputs=inputs, tables=tables, land=land)
    if given is None:  # a table constant holds for every region
        r = _from_table(p, tables[p.default.table], p.default.column, p.default.row, land, False, where)
        v, _ = _per_region(p, {"all": f"{r.value} {p.unit}"}, land, where)
        return Resolved(v, r.origin)
    v, o = _per_region(p, given, land, where)
    return Resolved(v, o)


def _chosen_row(
    p: Param, service_id: str, *, inputs: Mapping[str, Any], tables: Mapping[str, CoefficientTable], land: Landscape
) -> Resolved:
    """A region parameter read from the table row each region chooses by another input.

    ``TableRef(table, column, row="{lake_zone}")``: the row of each region is its value of the
    input ``lake_zone`` (``{"all": "青藏高原"}`` or ``{region: zone}``; one zone for a one-region
    account).  An unknown row is an error listing the rows.  A region without a choice, or whose
    row has an empty cell, gets NaN, and ``attrs["missing"][region]`` says why (the service raises
    it where it needs the value: a region without lakes needs no lake regression);
    ``attrs["rows"][region]`` is the row used.
    """
    key = p.default.row[1:-1]
    table = tables[p.default.table]
    rows = [str(k) for k in table.keys]
    names = list(land.region_names)
    where = f"region input {key!r} of service {service_id!r}"
    choice = user_value(inputs, service_id, key)
    if isinstance(choice, str):
        if len(names) > 1:
            raise MissingInputError(
                f"{where}: one {key} {choice!r} for {len(names)} regions is ambiguous; give "
                f"{{'all': {choice!r}}} or {{region: {key}}} for {', '.join(names[:5])}"
            )
        choice = {names[0]: choice}
    choice = dict(choice or {})
    if set(choice) == {"all"}:
        choice = dict.fromkeys(names, choice["all"])
    unknown_regions = sorted(set(choice) - set(names))
    unknown_rows = sorted({str(v) for v in choice.values()} - set(rows))
    if unknown_regions or unknown_rows:
        raise MissingInputError(
            f"{where}: "
            + (f"unknown region(s) {unknown_regions} (regions: {', '.join(names[:20])}); " if unknown_regions else "")
            + (f"unknown {key} {unknown_rows}; " if unknown_rows else "")
            + f"the {key} values are the rows of table {table.name!r} ({table.origin}): {', '.join(rows)}"
        )
    values, origins, missing = [], [], {}
    for n in names:
        row = choice.get(n)
        if row is None:
            values.append(np.nan)
            missing[n] = (
                f"service {service_id!r} needs {key!r} for region {n!r} to read {p.name!r} ({p.description}) "
                f"from table {table.name!r} ({table.origin}): give inputs={{'{service_id}.{key}': "
                f"{{'all': '<{key}>'}}}} (or {{region: {key}}}) with one of: {', '.join(rows)}; "
                f"or give '{service_id}.{p.name}' per region with its source"
            )
            continue
        q = table.quantity(row, p.default.column)
        values.append(magnitude_in(q, p.unit, where=f"{where}, table {table.name!r} row {row!r}"))
        origins.append({**_table_origin(p, table, row, p.default.column, q), "region": n})
        if np.isnan(values[-1]):
            note = table.data.at[row, "note"] if "note" in table.data.columns else ""
            missing[n] = (
                f"service {service_id!r}: {key} {row!r} of region {n!r} has no value in column "
                f"{p.default.column!r} of table {table.name!r} ({table.origin})"
                + (f" [{note}]" if isinstance(note, str) and note else "")
                + f"; give '{service_id}.{p.name}' for the region with its source, or choose another {key}"
            )
    da = xr.DataArray(np.array(values, dtype="float64"), dims=("region",), coords={"region": names})
    da.attrs.update(missing=missing, rows={n: choice[n] for n in names if n in choice}, choice=key)
    return Resolved(da, origins)


def _per_region(p: Param, given, land: Landscape, where: str) -> tuple[xr.DataArray, list[dict]]:
    names = list(land.region_names)
    typed = parse(given, where, per_region=True)
    if isinstance(typed, Scalar):
        if len(names) > 1:
            raise MissingInputError(
                f"{where}: one value {typed.value!r} for {len(names)} regions is ambiguous; give "
                f"{{region: value}} for {', '.join(names[:5])}{' …' if len(names) > 5 else ''}, "
                f"or {{'all': value}} if every region has it"
            )
        typed = PerRegion({names[0]: typed.value})
    if not isinstance(typed, PerRegion):
        raise InputTypeError(f"{where}: expected a value with units or {{region: value}}, got {given!r}")
    given = {
        k: (f"{v} {typed.unit}" if typed.unit and isinstance(v, int | float) else v) for k, v in typed.values.items()
    }
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
    return da, [
        _origin(p, "user input", f"{n}={given[n]}", region=n, **_warning(check_values(p.name, v, p.unit, where)))
        for n, v in zip(names, values, strict=True)
    ]


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
        if p.needed_by and items and not set(p.needed_by) & set(items):
            out[p.name] = None  # only items this account does not compute need it
            continue
        if which == "regional":
            r = resolve_regional(p, sid, inputs=inputs, tables=tables, land=land, items=items)
        else:
            r = resolve_param(p, sid, inputs=inputs, tables=tables, land=land, pixels=which == "physical", items=items)
        out[p.name] = r.value
        if origins is not None:
            origins.extend({"service": sid, **o} for o in r.origin)
        if gaps is not None:
            gaps.update({(sid, e): p.name for e in r.missing})
            for o in r.origin:
                if o.get("holes"):  # named by _refuse_nan if the service's sums come out missing
                    gaps[(sid, ("raster", p.name))] = (
                        f"input raster {p.name!r} ({o['value']}) has no value on {o['holes']:,} pixels where the "
                        "land cover has data; fill or mask it"
                    )
    return out


def _names_of(cls) -> set[str]:
    """The input names a service class reads: its parameters and the row choices of its tables."""
    spec = cls.spec
    params = (*spec.params, *spec.value_params, *spec.region_params)
    names = {p.name for p in params}
    names |= {p.default.row.strip("{}") for p in params if p.default and p.default.row and p.default.row[0] == "{"}
    return names


def check_input_names(inputs: Mapping[str, Any], used: Sequence, known: Mapping[str, Any]) -> list[str]:
    """Refuse input names no service reads; list those only other services read.

    Parameters
    ----------
    inputs
        The user's ``{name or "service.name": value}``.
    used
        The service classes of this account.
    known
        Every registered service class by ``id`` or ``id.method`` (:func:`gepcalc.services.all_methods`).

    Returns
    -------
    list of str
        Notes for names that some other service (or method) reads but none of this account does.

    Raises
    ------
    ConfigError
        A name no registered service reads (``precipitaton``, ``water_conservation.runoff_coeficient``),
        with the closest valid name.
    """
    by_service: dict[str, set[str]] = {}
    for key, cls in known.items():
        by_service.setdefault(key.split(".")[0], set()).update(_names_of(cls))
    mine = {n for c in used for n in _names_of(c)} | {f"{c.spec.id}.{n}" for c in used for n in _names_of(c)}
    valid = set().union(*by_service.values()) | {f"{s}.{n}" for s, ns in by_service.items() for n in ns}
    unknown = [k for k in inputs if k not in valid | mine]
    if unknown:
        hints = []
        for k in unknown:
            near = get_close_matches(k, sorted(mine) or sorted(valid), n=1, cutoff=0.6) or get_close_matches(
                k, sorted(valid), n=1, cutoff=0.6
            )
            hints.append(f"{k!r}" + (f" (did you mean {near[0]!r}?)" if near else ""))
        raise ConfigError(
            f"unknown input name{'s' if len(unknown) > 1 else ''} {', '.join(hints)}: no service reads "
            f"{'them' if len(unknown) > 1 else 'it'}; this account's services read "
            f"{', '.join(sorted(n for n in mine if '.' not in n))}"
        )
    unused = [k for k in inputs if k not in mine]
    return [f"inputs {', '.join(map(repr, unused))} are not read by any service of this account"] if unused else []
