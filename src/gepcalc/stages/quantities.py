"""The raster stages of an account: per-pixel quantities, one zonal sum, per-region rules, values.

* :func:`pixel_quantities` resolves each raster service's parameters and calls its
  ``physical()`` (lazy, on the grid) → :class:`PixelQuantities`;
* :func:`zonal_stage` sums them all by region × ecosystem type in one flox pass
  (:func:`gepcalc.zonal.zonal_sums`) and corrects areas (``account(areas=...)``) → :class:`ZonalSums`;
* :func:`regional_stage` runs each service's ``regional()`` rule on the sums → :class:`RegionalQuantities`;
* :func:`value_stage` prices them with ``value()`` → :class:`Values`.

With ``listing`` (``account(missing="list")``) a service that cannot be computed is left out
with a row saying what it needs (:mod:`gepcalc.stages.missing`), at four points: an input not
given (before the raster pass), missing values after the zonal sum (the service, or only the
items that have them), an input its per-region rule lacks, an empty price.  Without it the
first such problem stops the account.  Services given by lines are :mod:`gepcalc.stages.lines`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import xarray as xr

from gepcalc.areas import correct_areas
from gepcalc.errors import MissingInputError, NodataError
from gepcalc.landscape import Landscape
from gepcalc.resolve.pending import PendingChecks, deferred_checks
from gepcalc.resolve.service_arguments import raster_gaps
from gepcalc.services.base import Service
from gepcalc.stages.missing import (
    drop_missing,
    items_lacking_price,
    not_computed_row,
    refuse_missing_price,
    refuse_nan,
)
from gepcalc.stages.parameters import Parameters
from gepcalc.zonal import on_grid, zonal_sums


@dataclass(frozen=True)
class PixelQuantities:
    """Each raster service's quantity per pixel (:func:`pixel_quantities`).

    Attributes
    ----------
    quantities : dict of str to xarray.DataArray
        Lazy per-pixel quantities in each service's unit (per item where it has several).
    sources : tuple of dict
        The values their ``physical()`` used (rows of :attr:`gepcalc.Account.sources`); an input
        raster's row gets its range ``warning`` and ``holes`` when its check is judged.
    gaps : dict
        What a missing value would be blamed on (:attr:`gepcalc.stages.parameters.Arguments.gaps`);
        the input rasters' holes are added when their checks are judged (:func:`zonal_stage`).
    not_computed : tuple of dict
        Services left out for an input not given (``listing`` only).
    checks : PendingChecks
        The input rasters' range checks, not yet computed (:mod:`gepcalc.resolve.pending`):
        :func:`zonal_stage` computes them in its pass and judges them.
    """

    quantities: dict[str, xr.DataArray]
    sources: tuple[dict, ...]
    gaps: dict
    not_computed: tuple[dict, ...]
    checks: PendingChecks = field(default_factory=PendingChecks)


def pixel_quantities(
    services: Sequence[type[Service]], land: Landscape | None, params: Parameters, listing: bool
) -> PixelQuantities:
    """Resolve each service's ``physical`` parameters and compute its quantity per pixel (lazily).

    With ``listing`` the ``regional`` and ``value`` parameters are resolved too, so that a missing
    one is known before the raster pass.  A service computing all its items keeps the chosen ones.
    The input rasters' range checks wait for the zonal pass (:attr:`PixelQuantities.checks`).
    """
    quantities, sources, gaps, rows = {}, [], {}, []
    with deferred_checks() as pending:
        for cls in services:
            sid = cls.spec.id
            try:
                physical = params.arguments(cls, "physical")
                checked = [params.arguments(cls, which) for which in ("regional", "value")] if listing else []
                q = on_grid(cls.physical(area=land.area, **physical.values), land)
            except (MissingInputError, NodataError) as exc:
                if not listing:
                    _judge_alone(pending)  # an implausible raster resolved before is the first error, as it was
                    raise
                rows.append(not_computed_row(cls, str(exc)))
                continue
            for got in (physical, *checked):
                gaps.update(got.gaps)
            sources.extend(physical.sources)
            if "item" in q.dims:
                q = q.sel(item=list(params.items[sid]))
            quantities[sid] = q
    return PixelQuantities(quantities, tuple(sources), gaps, tuple(rows), pending)


@dataclass(frozen=True)
class ZonalSums:
    """Quantities summed by (item ×) region × ecosystem type (:func:`zonal_stage`).

    Attributes
    ----------
    sums : dict of str to xarray.DataArray
        The services still computed; extensive ones scaled where an area was corrected.
    area : xarray.DataArray or None
        Area [m²] by region × ecosystem type, corrected; None without a landscape.
    items : dict of str to tuple of str
        The items of each service: fewer where some had missing values (``listing``).
    sources, notes : tuple
        The area corrections (``account(areas=...)``), as sources and as notes.
    not_computed : tuple of dict
        Services or items left out for missing values (``listing`` only).
    """

    sums: dict[str, xr.DataArray]
    area: xr.DataArray | None
    items: dict[str, tuple[str, ...]]
    sources: tuple[dict, ...]
    notes: tuple[str, ...]
    not_computed: tuple[dict, ...]


def zonal_stage(
    pixels: PixelQuantities,
    services: Sequence[type[Service]],
    land: Landscape | None,
    items: Mapping[str, tuple[str, ...]],
    corrections: Sequence[tuple] = (),
    progress: bool = False,
    listing: bool = False,
) -> ZonalSums:
    """One zonal sum of every service and the cell area; missing values refused (or listed); areas corrected.

    ``corrections`` (:func:`gepcalc.areas.area_corrections`) scale the area and the extensive
    quantities of a region × type to a known true area.  The input rasters' range checks
    (:attr:`PixelQuantities.checks`) are computed in the same pass, band by band, and judged
    after it, before anything uses the sums: an implausible raster stops the account here, and
    the holes the checks counted are added to ``pixels.gaps`` (what a missing sum is blamed on).
    """
    if land is None:
        return ZonalSums({}, None, dict(items), (), (), ())
    by_id = {c.spec.id: c for c in services}
    sums = _checked_sums(pixels, land, progress)
    mine = {sid: sums[sid] for sid in pixels.quantities}
    if listing:
        mine, items, rows = drop_missing(mine, land, pixels.gaps, by_id, items)
    else:
        refuse_nan(sums, land, list(mine), pixels.gaps, by_id)
        items, rows = dict(items), ()
    scaled = {**mine, "__area__": sums["__area__"]}
    sources, notes = [], []
    area = correct_areas(scaled, corrections, [by_id[s] for s in mine], sources, notes)
    return ZonalSums({s: scaled[s] for s in mine}, area, items, tuple(sources), tuple(notes), rows)


def _checked_sums(pixels: PixelQuantities, land: Landscape, progress: bool) -> dict[str, xr.DataArray]:
    """:func:`gepcalc.zonal.zonal_sums` with the input checks computed in its bands, then judged.

    Should the pass fail (an input so wrong that a service's formula breaks on it), the checks are
    computed on their own: an implausible input is then named by its check's message.
    """
    checks = pixels.checks
    try:
        sums = zonal_sums(pixels.quantities, land, progress, also=checks if len(checks) else None)
    except Exception:
        _judge_alone(checks)  # an ImplausibleInputError replaces the pass's error
        raise
    checks.judge()  # raises for an implausible input raster
    pixels.gaps.update(raster_gaps(pixels.sources))
    return sums


def _judge_alone(checks: PendingChecks) -> None:
    """Compute the checks on their own and judge them (raises for an implausible raster); nothing if
    they cannot be computed either (the pass's own error, e.g. a corrupt file, is the one to show)."""
    try:
        checks.compute()
    except Exception:
        return
    checks.judge()


@dataclass(frozen=True)
class RegionalQuantities:
    """Quantities after each service's per-region rule (:func:`regional_stage`).

    Attributes
    ----------
    quantities : dict of str to xarray.DataArray
        By (item ×) region × ecosystem type, in each item's unit.
    items : dict of str to tuple of str
        The items of each service: fewer where a rule left some missing (``listing``).
    sources : tuple of dict
        The region parameters used.
    not_computed : tuple of dict
        Services or items left out: an input a rule lacks, missing values after it (``listing``).
    """

    quantities: dict[str, xr.DataArray]
    items: dict[str, tuple[str, ...]]
    sources: tuple[dict, ...]
    not_computed: tuple[dict, ...]


def regional_stage(
    sums: ZonalSums, services: Sequence[type[Service]], land: Landscape, params: Parameters, gaps: dict, listing: bool
) -> RegionalQuantities:
    """Each service's ``regional(quantity, area, **region_params)`` on its sums; missing results refused (or listed).

    ``gaps`` are the pixel stage's (:attr:`PixelQuantities.gaps`): a missing result is blamed
    on them or on a region parameter's.  A service with items but one summed quantity has it
    repeated per item first (``regional()`` makes each item's).
    """
    by_id = {c.spec.id: c for c in services}
    params = params.with_items(sums.items)
    out, sources, found, rows = {}, [], dict(gaps), []
    for sid, q in sums.sums.items():
        cls = by_id[sid]
        if cls.spec.items and "item" not in q.dims:
            q = q.expand_dims(item=list(sums.items[sid]))
        try:
            regional = params.arguments(cls, "regional")
            value = params.arguments(cls, "value") if getattr(cls, "regional_uses_value_params", False) else None
            # e.g. soil contents turning soil into nutrients
            kwargs = {**value.values, **regional.values} if value is not None else regional.values
            out[sid] = cls.regional(q, sums.area, **kwargs)
        except (MissingInputError, NodataError) as exc:
            if not listing:
                raise
            rows.append(not_computed_row(cls, str(exc)))
            continue
        sources.extend(regional.sources)
        found.update(regional.gaps)
        found.update(value.gaps if value is not None else {})
    items = dict(sums.items)
    if listing:
        out, items, more = drop_missing(out, land, found, by_id, items)
        rows.extend(more)
    else:
        refuse_nan(out, land, list(out), found, by_id)
    return RegionalQuantities(out, items, tuple(sources), tuple(rows))


@dataclass(frozen=True)
class Values:
    """Raster services' quantities and values (:func:`value_stage`).

    Attributes
    ----------
    quantities : dict of str to xarray.DataArray
        The quantities of the services valued (items without a price left out, ``listing``).
    values : dict of str to xarray.DataArray
        Their values [CNY/yr] by (item ×) region × ecosystem type.
    sources : tuple of dict
        The value parameters used (prices, contents).
    notes : tuple of str
        What the per-region rules said they did (e.g. a load capped by a capacity).
    not_computed : tuple of dict
        Services or items left out for an empty price (``listing`` only).
    """

    quantities: dict[str, xr.DataArray]
    values: dict[str, xr.DataArray]
    sources: tuple[dict, ...]
    notes: tuple[str, ...]
    not_computed: tuple[dict, ...]


def value_stage(
    regional: RegionalQuantities, services: Sequence[type[Service]], params: Parameters, listing: bool
) -> Values:
    """``value(quantity, **value_params) · value_factor`` of each service; an empty price refused (or listed)."""
    by_id = {c.spec.id: c for c in services}
    params = params.with_items(regional.items)
    quantities, values, sources, rows = dict(regional.quantities), {}, [], []
    for sid, q in regional.quantities.items():
        cls = by_id[sid]
        got = params.arguments(cls, "value")
        sources.extend(got.sources)
        v = cls.value(q, **got.values) * cls.value_factor()
        try:
            refuse_missing_price(cls, v, q, got.values)
        except NodataError as exc:
            if not listing:
                raise
            bad = items_lacking_price(cls, v, q, got.values)
            if bad is None:  # the whole service
                rows.append(not_computed_row(cls, str(exc)))
                continue
            rows.extend(not_computed_row(cls, why, item=i) for i, why in bad.items())
            keep = [i for i in q["item"].values if i not in bad]
            quantities[sid], v = q.sel(item=keep), v.sel(item=keep)
        values[sid] = v
    kept = {sid: _without_notes(quantities[sid]) for sid in values}
    notes = [n for sid in values for n in quantities[sid].attrs.get("notes", [])]  # per-region rules say what they did
    return Values(kept, values, tuple(sources), tuple(notes), tuple(rows))


def _without_notes(da: xr.DataArray) -> xr.DataArray:
    """``da`` without its ``notes`` attribute (a shallow copy: the notes go to the account's notes)."""
    out = da.copy(deep=False)
    out.attrs = {k: v for k, v in da.attrs.items() if k != "notes"}
    return out
