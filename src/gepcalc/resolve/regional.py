"""Resolving a region parameter: a DataArray over ``region`` (and ``item``), for a service's ``regional()``.

Given per region (``{region: value}``, ``{"all": value}``, one value for a one-region account),
from a table constant, or from the table row each region chooses by another input
(``TableRef(row="{lake_zone}")``).  Per-pixel and value parameters are :mod:`gepcalc.resolve.params`'.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from gepcalc.errors import InputTypeError, MissingInputError
from gepcalc.inputs import PerRegion, Scalar, parse
from gepcalc.landscape import Landscape
from gepcalc.plausible import check_values
from gepcalc.resolve.from_table import from_table
from gepcalc.resolve.params import user_value
from gepcalc.resolve.provenance import origin_record, range_warning, table_record
from gepcalc.services.base import Param, Resolved
from gepcalc.tables import CoefficientTable
from gepcalc.units import magnitude_in


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
        r = from_table(p, tables[p.default.table], p.default.column, p.default.row, land, False, where)
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
        origins.append({**table_record(p, table, row, p.default.column, q), "region": n})
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
        origin_record(
            p, "user input", f"{n}={given[n]}", region=n, **range_warning(check_values(p.name, v, p.unit, where))
        )
        for n, v in zip(names, values, strict=True)
    ]
