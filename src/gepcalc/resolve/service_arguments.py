"""All arguments of one of a service's functions (``physical``, ``regional`` or ``value``), resolved.

:func:`arguments` resolves each declared parameter (:mod:`gepcalc.resolve.params`,
:mod:`gepcalc.resolve.regional`) and collects the provenance records and the ecosystem types or
rasters lacking a value; it is what the account, the context and the conformance kit call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from gepcalc.landscape import Landscape
from gepcalc.resolve.params import resolve_param
from gepcalc.resolve.pending import copy_record
from gepcalc.resolve.regional import resolve_regional
from gepcalc.tables import CoefficientTable


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
            origins.extend(copy_record(o, {"service": sid, **o}) for o in r.origin)
        if gaps is not None:
            gaps.update({(sid, e): p.name for e in r.missing})
            gaps.update(raster_gaps({"service": sid, **o} for o in r.origin))
    return out


def raster_gaps(records: Iterable[dict]) -> dict:
    """``{(service, ("raster", parameter)): message}`` for the input rasters of ``records`` that have holes.

    What :func:`gepcalc.stages.missing.refuse_nan` names if the service's sums come out missing;
    a raster whose check waits for the account's pass (:mod:`gepcalc.resolve.pending`) has its
    ``holes`` once judged, so the account calls this again then.
    """
    return {
        (o["service"], ("raster", o["parameter"])): (
            f"input raster {o['parameter']!r} ({o['value']}) has no value on {o['holes']:,} pixels where the "
            "land cover has data; fill or mask it"
        )
        for o in records
        if o.get("holes")
    }
