"""Parameters resolved with their provenance: what the quantity and value stages compute with.

:class:`Parameters` is where a service's arguments come from (the user's inputs, the account's
tables, the landscape, the items); :meth:`Parameters.arguments` resolves them
(:func:`gepcalc.resolve.arguments`) into :class:`Arguments`: the values, one source row per
value used, and the ecosystem types (or raster pixels) that lack a value.  :func:`counted_types`
turns the ecosystem types a profile or the user says a service counts into its ``included``
input.  Converting units and reading rasters is :mod:`gepcalc.resolve`'s work, not this module's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import gepcalc.services as registry
from gepcalc.errors import MissingInputError
from gepcalc.landscape import Landscape, ecosystem_types
from gepcalc.lines import LinesLand
from gepcalc.profiles import Profile
from gepcalc.resolve import arguments
from gepcalc.services.base import Service
from gepcalc.tables import CoefficientTable


@dataclass(frozen=True)
class Arguments:
    """A service's resolved arguments for one of its functions, and where each value came from.

    Attributes
    ----------
    values : dict
        Keyword arguments of ``physical``, ``regional`` or ``value``: magnitudes in the units the
        service declares (floats, per-pixel DataArrays, DataArrays over ``ecosystem``/``region``).
    sources : tuple of dict
        One row of :attr:`gepcalc.Account.sources` per value used (service, parameter, table,
        row, value, unit, source, status).
    gaps : dict
        ``{(service, ecosystem): parameter}`` for types without a value, and
        ``{(service, ("raster", parameter)): message}`` for input rasters with holes: what a
        missing sum is blamed on (:func:`gepcalc.stages.missing.refuse_nan`).
    """

    values: dict[str, Any]
    sources: tuple[dict, ...]
    gaps: dict


@dataclass(frozen=True)
class Parameters:
    """Where the parameters of an account's services come from.

    Attributes
    ----------
    inputs : dict
        The user's inputs by parameter name (``account(inputs=...)``), ecosystem choices included.
    tables : dict of str to CoefficientTable
        The account's coefficient tables (:attr:`gepcalc.stages.plan.Plan.tables`).
    land : Landscape or None
        The landscape the parameters are resolved on (None: an account of lines only).
    items : dict of str to tuple of str
        The items of each raster service.
    """

    inputs: Mapping[str, Any]
    tables: Mapping[str, CoefficientTable]
    land: Landscape | None
    items: Mapping[str, tuple[str, ...]]

    def arguments(
        self,
        cls: type[Service],
        which: str,
        *,
        land: Landscape | LinesLand | None = None,
        items: Sequence[str] | None = None,
    ) -> Arguments:
        """The arguments of ``cls``'s ``physical``, ``regional`` or ``value`` (``which``).

        ``land`` and ``items`` replace the landscape and the service's items (a service given by
        lines is valued on the regions and types of its lines).
        """
        origins: list[dict] = []
        gaps: dict = {}
        values = arguments(
            cls,
            which,
            inputs=self.inputs,
            tables=self.tables,
            land=land or self.land,
            items=items if items is not None else self.items[cls.spec.id],
            origins=origins,
            gaps=gaps,
        )
        return Arguments(values, tuple(origins), gaps)

    def with_items(self, items: Mapping[str, tuple[str, ...]]) -> Parameters:
        """The same, with the items of some services replaced (items left out after the zonal sum)."""
        return dataclasses.replace(self, items={**self.items, **items})


class TypesCounted(NamedTuple):
    """The ecosystem types each service counts, as inputs (:func:`counted_types`)."""

    inputs: dict[str, Any]
    """The user's inputs with ``"<service>.included"`` added for each choice used."""
    chosen_by: dict[str, tuple[str, str]]
    """Per service: who chose (``""`` where the choice was not used) and a note."""

    @property
    def notes(self) -> list[str]:
        """What the choices did (one note per service)."""
        return [note for _, note in self.chosen_by.values()]


def counted_types(
    prof: Profile, given: Mapping[str, Sequence[str]], services: Sequence[type[Service]], inputs: Mapping[str, Any]
) -> TypesCounted:
    """The ecosystem types counted per service, chosen by the profile (``[ecosystems]``) or ``account(ecosystems=)``.

    Each choice becomes the service's ``included`` input (1 for the types named, 0 for the
    others), unless the user gave ``included`` for that service.
    """
    by_id = {c.spec.id: c for c in services}
    known = list(ecosystem_types().keys)
    inputs = dict(inputs)
    out = {}
    for sid, types in {**prof.ecosystems, **given}.items():
        by = "account(ecosystems=...)" if sid in given else f"profile {prof.id} [ecosystems]"
        cls = by_id.get(sid)
        if cls is None:
            if sid in given and sid not in registry.available():
                raise MissingInputError(f"{by}: unknown service {sid!r}")
            continue  # a service the account does not compute
        unknown = [t for t in types if t not in known]
        if unknown:
            raise MissingInputError(f"{by}: {sid} names unknown ecosystem type(s) {unknown}; known: {', '.join(known)}")
        p = next((p for p in cls.spec.params if p.name == "included" and "per_ecosystem" in p.kinds), None)
        if p is None:
            raise MissingInputError(
                f"{by}: service {sid!r} ({cls.spec.key}) has no per-type switch 'included'; its types are set "
                "by its own table columns (see `gepcalc tables`)"
            )
        if f"{sid}.included" in inputs or "included" in inputs:
            out[sid] = ("", f"{sid}: ecosystem types of {by} not used: the input 'included' was given")
            continue
        inputs[f"{sid}.included"] = {e: 1.0 if e in types else 0.0 for e in known}
        table = p.default.table if p.default else "?"
        out[sid] = (
            by,
            f"{sid}: ecosystem types counted {', '.join(types) or '(none)'} ({by}), "
            f"instead of the 'included' column of table {table!r}",
        )
    return TypesCounted(inputs, out)
