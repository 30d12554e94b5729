"""The stages of the services given by lines: lines valued, then laid on region × ecosystem type.

* :func:`value_the_lines` turns the statistics tables into lines and puts every line's quantity
  in its indicator's unit and price (:func:`gepcalc.lines.value_lines`) → :class:`LinesRead`;
* :func:`axes_of` says on which regions and ecosystem types the account lies (the landscape's,
  or the lines' own for an account of lines only) → :class:`Axes`;
* :func:`line_services` lays each such service's lines on item × region × ecosystem type,
  valuing the lines without a price by the service's own value rule → :class:`LineQuantities`.

Reading and checking a line, and valuing one, are :mod:`gepcalc.lines`'s work; this module only
runs them for an account.  Raster services are :mod:`gepcalc.stages.quantities`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
import xarray as xr

from gepcalc.errors import LineError, MissingInputError, NodataError
from gepcalc.landscape import Landscape, ecosystem_types
from gepcalc.lines import (
    UNALLOCATED,
    LinesLand,
    ValuedLines,
    allocation_weights,
    compare_reported,
    line_arrays,
    read_lines,
    rule_values,
    value_lines,
)
from gepcalc.result import NO_ITEM
from gepcalc.services.base import Service
from gepcalc.stages.missing import not_computed_row, refuse_missing_price
from gepcalc.stages.parameters import Parameters
from gepcalc.stages.plan import Plan


@dataclass(frozen=True)
class LinesRead:
    """Every line of the account, valued (:func:`value_the_lines`).

    Attributes
    ----------
    lines : pandas.DataFrame
        The ``lines=`` and the statistics tables turned into lines, as read.
    valued : ValuedLines
        Each line with its quantity in the indicator's unit, its price and value, and the
        quantity unit of each (service, item).
    """

    lines: pd.DataFrame
    valued: ValuedLines


def value_the_lines(plan: Plan) -> LinesRead:
    """The plan's lines and statistics tables as lines (a statistics service's ``to_lines``), valued.

    A statistics table that already has a quantity column is read as lines as it is.
    """
    by_id = {c.spec.id: c for c in plan.chosen}
    frames = [plan.lines]
    for sid, raws in plan.statistics.items():
        for raw in raws:
            where = raw.attrs["source"]
            table = raw if "quantity" in raw else by_id[sid].to_lines(raw, where=where, tables=plan.tables)
            table.attrs["source"] = where
            frames.append(read_lines(table, service=sid))
    lines = pd.concat(frames, ignore_index=True)
    prof = plan.profile
    valued = value_lines(lines, by_id, plan.tables, outside=prof.outside, provisioning=prof.provisioning)
    return LinesRead(lines, valued)


class Axes(NamedTuple):
    """The regions and ecosystem types an account lies on (:func:`axes_of`)."""

    regions: list[str]
    """Region names, in order."""
    ecosystems: list[str]
    """Ecosystem type ids, :data:`gepcalc.lines.UNALLOCATED` last (lines that name no type)."""


def axes_of(land: Landscape | None, lines: pd.DataFrame) -> Axes:
    """The landscape's regions and types, or, without one, those the lines name (checked against the types table)."""
    if land is not None:
        return Axes(list(land.region_names), [*land.ecosystem_ids, UNALLOCATED])
    known = list(ecosystem_types().keys)
    named = [e for e in dict.fromkeys(lines["ecosystem"]) if e and e != UNALLOCATED] if len(lines) else []
    bad = lines[lines["ecosystem"].isin([e for e in named if e not in known])]
    if len(bad):
        r = bad.iloc[0]
        raise LineError(
            f"{r['file']}, row {r['row']}: ecosystem type {r['ecosystem']!r} is not one of {', '.join(known)}"
        )
    return Axes(list(dict.fromkeys(lines["region"])), [*sorted(named, key=known.index), UNALLOCATED])


@dataclass(frozen=True)
class LineQuantities:
    """Quantities and values of the services given by lines (:func:`line_services`).

    Attributes
    ----------
    quantities, values : dict of str to xarray.DataArray
        By (item ×) region × ecosystem type; values [CNY/yr].
    sources : tuple of dict
        The value parameters of lines valued by their service's rule.
    notes : tuple of str
        Regions without a line, lines allocated to types by area.
    not_computed : tuple of dict
        Services left out (``listing``): e.g. lines valued by a rule whose price is empty.
    valued : ValuedLines
        The lines of the services computed, with the values their rules gave and each line's
        difference from its reported value.
    """

    quantities: dict[str, xr.DataArray]
    values: dict[str, xr.DataArray]
    sources: tuple[dict, ...]
    notes: tuple[str, ...]
    not_computed: tuple[dict, ...]
    valued: ValuedLines


def line_services(
    plan: Plan, read: LinesRead, axes: Axes, area: xr.DataArray | None, params: Parameters, listing: bool
) -> LineQuantities:
    """Each service of the plan given by lines, on item × region × ecosystem type (see module docstring).

    ``area`` [m²] by region × type (the zonal stage's; None without a landscape) allocates
    lines that name no type.  Without ``listing`` the first service that cannot be valued stops
    the account.
    """
    table = read.valued.lines.copy()  # this stage fills in the values of the lines its rules price
    quantities, values, sources, notes, rows = {}, {}, [], [], []
    for cls in plan.services:
        sid = cls.spec.id
        if sid not in plan.by_lines:
            continue
        try:
            q, v, more, used = _line_service(cls, table, plan.tables, axes, area, params)
        except (MissingInputError, NodataError) as exc:
            if not listing:
                raise
            rows.append(not_computed_row(cls, str(exc)))
            table = table[table["service"] != sid]
            continue
        quantities[sid], values[sid] = q, v
        notes.extend(more)
        sources.extend(used)
    if len(table):
        compare_reported(table)  # again: lines valued by their service now have values
    valued = ValuedLines(lines=table, units=read.valued.units)
    return LineQuantities(quantities, values, tuple(sources), tuple(notes), tuple(rows), valued)


def _line_service(cls: type[Service], table: pd.DataFrame, tables, axes: Axes, area, params: Parameters):
    """Quantity, value, notes and sources of one service given by lines (priced by the lines or by its rule)."""
    sid = cls.spec.id
    regions, ecosystems = axes
    df = table[table["service"] == sid]
    weights = allocation_weights(sid, tables, ecosystems) if cls.spec.statistical else None
    priced, rest = df[df["priced_by"] != "service"], df[df["priced_by"] == "service"]
    q, v, notes = line_arrays(priced, sid, regions=regions, ecosystems=ecosystems, area=area, weights=weights)
    used: tuple[dict, ...] = ()
    if len(rest):
        q2, v2, more, used = _valued_by_service(cls, rest, table, regions, params)
        notes += more
        q = xr.concat([q, q2.reindex(ecosystem=ecosystems, fill_value=0.0)], "item").groupby("item").sum(skipna=False)
        v = xr.concat([v, v2.reindex(ecosystem=ecosystems, fill_value=0.0)], "item").groupby("item").sum(skipna=False)
    missing = sorted(set(regions) - set(df["region"]))
    if missing and not cls.spec.statistical:
        notes.append(f"{sid}: no line for region(s) {missing[:10]}; counted as 0 there")
    if not cls.spec.items and not cls.spec.statistical:
        q, v = q.sel(item=NO_ITEM, drop=True), v.sel(item=NO_ITEM, drop=True)
    return q, v, notes, used


def _valued_by_service(cls: type[Service], rest: pd.DataFrame, table: pd.DataFrame, regions, params: Parameters):
    """Lines without a price, valued by the service's own value rule and price parameters.

    Each line's value, the rule and the parameters it used are written into ``table`` (the
    stage's own copy of the lines).
    """
    sid = cls.spec.id
    ecos = list(dict.fromkeys(e or UNALLOCATED for e in rest["ecosystem"]))
    q, _, notes = line_arrays(rest, sid, regions=regions, ecosystems=ecos, area=None, weights=None)
    stand_in = LinesLand(list(regions), ecos, source=f"the lines of {sid!r}")
    got = params.arguments(cls, "value", land=stand_in, items=list(q["item"].values) if cls.spec.items else [])
    # each line: quantity × the rule's value of one unit, with the parameters the line carries (lines.rule_values)
    per_line = rule_values(cls, rest, q, got.values)
    for (idx, r), value in zip(rest.iterrows(), per_line, strict=True):
        given = r.get("line_params") if isinstance(r.get("line_params"), Mapping) else {}
        if np.isnan(value) and r["quantity_in_unit"] != 0:
            rule_params = {k: v for k, v in got.values.items() if k not in given}
            refuse_missing_price(cls, xr.DataArray([np.nan]), xr.DataArray([1.0]), rule_params)
        used = "; ".join(
            dict.fromkeys(
                f"{o['parameter']} = {o['value']} ({o.get('source') or o['table']})"
                for o in got.sources
                if o["parameter"] not in given
            )
        )
        mine = ", ".join(f"{k} = {m} {u}" for k, (m, u) in given.items())
        from_line = f"line: {mine}" + (f" ({r['price_source']})" if r["price_source"] else "") if mine else ""
        table.at[idx, "value_CNY"] = value
        table.at[idx, "price_used"] = f"value rule of {cls.spec.key}" + (f" with {mine}" if mine else "")
        table.at[idx, "price_source"] = "; ".join(x for x in (from_line, used) if x)
    _, v, _ = line_arrays(table.loc[rest.index], sid, regions=regions, ecosystems=ecos, area=None, weights=None)
    return q, v, notes, got.sources
