"""The last stages of an account: what could not be computed, the profile's rules, the :class:`Account`.

* :func:`settle_not_computed` gathers the rows of :attr:`gepcalc.Account.not_computed` every
  stage returned, in the order the services were asked for → :class:`NotComputed`;
* :func:`profile_rules` applies the profile's double-counting and outside-region rules to the
  quantities and values of raster and line services alike → :class:`RulesApplied`;
* :func:`assemble` builds the Dataset (:mod:`gepcalc.stages.dataset`) and concatenates, once,
  the sources and notes each stage returned → :class:`~gepcalc.result.Account`.

No number is computed here but the rules' adjustments; the views of an account are :mod:`gepcalc.result`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import xarray as xr

from gepcalc.context import AccountContext
from gepcalc.errors import MissingInputError
from gepcalc.landscape import Landscape
from gepcalc.lines import ValuedLines, provenance, refuse_value_only_in_rules
from gepcalc.pricing import line_price_notes, refuse_unrepriced, source_notes
from gepcalc.profiles import Profile
from gepcalc.result import NOT_COMPUTED_COLUMNS, Account
from gepcalc.rules import apply_rules
from gepcalc.services.base import Service
from gepcalc.stages.by_lines import Axes, LineQuantities
from gepcalc.stages.dataset import account_dataset, item_names, quantity_units
from gepcalc.stages.parameters import TypesCounted
from gepcalc.stages.plan import Plan
from gepcalc.stages.quantities import PixelQuantities, RegionalQuantities, Values, ZonalSums
from gepcalc.units import Q_, VALUE_UNIT


class QuantityStages(NamedTuple):
    """The results of the stages that compute quantities, in the order they ran."""

    pixels: PixelQuantities
    sums: ZonalSums
    regional: RegionalQuantities
    raster: Values
    lines: LineQuantities

    @property
    def sources(self) -> list[dict]:
        """Every value used (rows of :attr:`gepcalc.Account.sources`), stage by stage."""
        return [o for stage in self for o in stage.sources]

    @property
    def not_computed(self) -> list[dict]:
        """Every row of :attr:`gepcalc.Account.not_computed`, stage by stage."""
        return [r for stage in self for r in stage.not_computed]

    @property
    def quantities(self) -> dict[str, xr.DataArray]:
        """Quantities of the services computed: raster ones, then those given by lines."""
        return {**self.raster.quantities, **self.lines.quantities}

    @property
    def values(self) -> dict[str, xr.DataArray]:
        """Values [CNY/yr] of the services computed: raster ones, then those given by lines."""
        return {**self.raster.values, **self.lines.values}


@dataclass(frozen=True)
class NotComputed:
    """What an account lists as not computed (:func:`settle_not_computed`).

    Attributes
    ----------
    services : tuple of Service classes
        The services still in the account (some of their items may be listed).
    rows : tuple of dict
        Rows of :attr:`gepcalc.Account.not_computed`, in the order the services were asked for.
    notes : tuple of str
        The note that says so (none when nothing is listed).
    """

    services: tuple[type[Service], ...]
    rows: tuple[dict, ...]
    notes: tuple[str, ...]


def settle_not_computed(plan: Plan, stages: QuantityStages) -> NotComputed:
    """The rows the plan and each stage returned, sorted (stably) by the order of :attr:`Plan.requested`.

    A service listed whole leaves the account; items listed leave only their rows.

    Raises
    ------
    MissingInputError
        Nothing of the account could be computed.
    """
    order = {sid: i for i, sid in enumerate(plan.requested)}
    found = [*plan.not_computed, *stages.not_computed]
    rows = sorted(found, key=lambda r: order.get(r["service"], len(order)))  # stable: items keep their order
    if not rows:
        return NotComputed(plan.services, (), ())
    dropped = {r["service"] for r in rows if not r["item"]}
    services = tuple(c for c in plan.services if c.spec.id not in dropped)
    if not services:
        raise MissingInputError(
            "no indicator of the account could be computed: "
            + "; ".join(f"{r['service']}: {r['reason']}" for r in rows)
        )
    note = (
        f"not computed (Account.not_computed, the 'not computed 未核算' sheet): "
        f"{', '.join(dict.fromkeys(r['service'] + ('.' + r['item'] if r['item'] else '') for r in rows))}"
    )
    return NotComputed(services, tuple(rows), (note,))


@dataclass(frozen=True)
class RulesApplied:
    """Quantities and values after the profile's rules (:func:`profile_rules`).

    Attributes
    ----------
    quantities, values : dict of str to xarray.DataArray
        Per service, by (item ×) region × ecosystem type; values [CNY/yr].
    units : dict
        Quantity unit of every (service, item).
    adjustments : pandas.DataFrame
        Where a rule changed a value (:attr:`gepcalc.Account.adjustments`).
    notes : tuple of str
        What the rules did.
    """

    quantities: dict[str, xr.DataArray]
    values: dict[str, xr.DataArray]
    units: dict[tuple[str, str], str]
    adjustments: pd.DataFrame
    notes: tuple[str, ...]


def profile_rules(profile: Profile, services: Sequence[type[Service]], stages: QuantityStages) -> RulesApplied:
    """The profile's double-counting rules (``subtract``, ``drop``) per region (:func:`gepcalc.rules.apply_rules`).

    A ``subtract`` rule needs quantities: a line of either service reporting only its value stops it.
    """
    quantities, valued = stages.quantities, stages.lines.valued
    units = quantity_units(quantities, services, valued)
    refuse_value_only_in_rules(valued.lines, profile.double_counting, list(quantities))
    q, v, adjustments = apply_rules(profile, quantities, stages.values, units)
    return RulesApplied(q, v, units, adjustments, tuple(adjustments.attrs.get("notes", [])))


def assemble(
    plan: Plan,
    types: TypesCounted,
    land: Landscape | None,
    axes: Axes,
    stages: QuantityStages,
    computed: NotComputed,
    rules: RulesApplied,
    *,
    year: int | None,
    scenario: str,
    title: str,
) -> Account:
    """The :class:`Account`: its Dataset, sources, notes, lines, adjustments and what was not computed.

    Sources and notes are every stage's, in stage order; the sources of a service left out are
    dropped, and the notes on prices, outside-region lines and unusual inputs are added.
    """
    area, valued = stages.sums.area, stages.lines.valued
    if area is None:  # an account of lines only: no area
        area = xr.DataArray(
            np.zeros((len(axes.regions), len(axes.ecosystems) - 1)),
            {"region": axes.regions, "ecosystem": axes.ecosystems[:-1]},
            ("region", "ecosystem"),
        )
    data = account_dataset(
        computed.services,
        rules.quantities,
        rules.values,
        area,
        land,
        units=rules.units,
        names=item_names(computed.services, valued),
        from_lines=plan.by_lines,
        year=year,
        price_year=plan.price_year,
        scenario=scenario,
        profile=plan.profile,
        title=title,
    )
    py, index = plan.price_year, plan.price_index
    data.attrs["price_basis"] = f"{py} prices ({index})" if index and py is not None else "table prices"
    data.attrs["price_region"] = ", ".join(plan.price_regions)
    table = _sources(stages.sources, computed, types)
    notes = [*(land.notes if land is not None else []), *plan.notes, *types.notes, *stages.sums.notes]
    notes += [*stages.raster.notes, *stages.lines.notes, *computed.notes, *rules.notes]
    notes += _notes(plan, table, valued)
    lines_table = provenance(valued)
    notes += line_price_notes(lines_table, plan.repriced)
    return Account(
        data,
        table,
        notes,
        lines=lines_table,
        adjustments=rules.adjustments,
        not_computed=pd.DataFrame(list(computed.rows), columns=NOT_COMPUTED_COLUMNS),
    )


def account_context(
    plan: Plan,
    types: TypesCounted,
    land: Landscape | None,
    stages: QuantityStages,
    computed: NotComputed,
    rules: RulesApplied,
    *,
    corrections: Sequence[tuple],
    kwargs: Mapping[str, Any],
    compute: Callable[..., Account],
) -> AccountContext:
    """What the account was computed from (:attr:`gepcalc.Account.context`).

    ``kwargs`` are the arguments of :func:`gepcalc.account` and ``compute`` that function
    (:meth:`gepcalc.Account.recompute` calls it again).
    """
    items = {
        s: tuple(str(i) for i in q["item"].values) if "item" in q.dims else () for s, q in rules.quantities.items()
    }
    return AccountContext(
        land=land,
        tables=plan.tables,
        classes=computed.services,
        items={**items, **stages.regional.items},
        inputs=types.inputs,
        from_lines=plan.by_lines,
        profile=plan.profile,
        overrides=kwargs.get("overrides") or {},
        corrections=tuple(corrections),
        kwargs=kwargs,
        compute=compute,
    )


def _sources(found: Sequence[dict], computed: NotComputed, types: TypesCounted) -> pd.DataFrame:
    """:attr:`gepcalc.Account.sources`: every value used, less those of services left out.

    The ``included`` values of a service whose types were chosen (:func:`gepcalc.stages.parameters.counted_types`)
    name who chose them instead of a table.
    """
    gone = {r["service"] for r in computed.rows if not r["item"]}
    sources = pd.DataFrame([o for o in found if o.get("service") not in gone])
    for sid, (by, note) in types.chosen_by.items():
        if by and len(sources) and "parameter" in sources:
            mine = (sources["service"] == sid) & (sources["parameter"] == "included")
            sources.loc[mine, "table"] = by
            sources.loc[mine, "source"] = note
    return sources


def _notes(plan: Plan, sources: pd.DataFrame, valued: ValuedLines) -> list[str]:
    """Notes on the prices and sources used (:func:`gepcalc.pricing.source_notes`), outside lines, unusual inputs.

    A value of a price row that could not be brought to the price year stops the account here.
    """
    refuse_unrepriced(sources, plan.unrepriced, valued.lines)
    notes = source_notes(
        sources, plan.tables, plan.repriced, plan.price_year, plan.price_index, plan.price_regions, plan.chosen_rows
    )
    notes += _outside_notes(valued, plan.profile)
    if "warning" in sources:  # inputs outside their usual range (gepcalc.plausible)
        notes += list(dict.fromkeys(sources["warning"].dropna()))
    return notes


def _outside_notes(valued: ValuedLines, prof: Profile) -> list[str]:
    """What was done with the lines from outside the region (subtracted or not counted)."""
    df = valued.lines
    if not len(df) or not (df["origin"] == "outside").any():
        return []
    out = df[df["origin"] == "outside"]
    total = Q_(float(out["value_CNY"].sum()), VALUE_UNIT).to("亿元 / yr").magnitude
    what = "subtracted" if prof.outside == "subtract" else "not counted"
    why = (
        f"profile {prof.id}: GEP = eco-products of the region minus those from outside it"
        if prof.outside == "subtract"
        else f"profile {prof.id} does not subtract eco-products from outside the region"
    )
    return [f"{len(out)} line(s) from outside the region ({total:,.4g} 亿元/yr) {what} ({why})"]
