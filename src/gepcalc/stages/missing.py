"""What an account cannot compute, and the errors that say why.

A service that lacks an input stops the account with an error naming the service, the region,
the ecosystem type and the input (:func:`refuse_nan`, :func:`refuse_missing_price`), or, with
``account(missing="list")``, is left out and described by a row of
:attr:`gepcalc.Account.not_computed` (:func:`not_computed_row`).  The stages of
:mod:`gepcalc.stages` call these; nothing here computes a quantity or a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import xarray as xr

from gepcalc.errors import NodataError
from gepcalc.landscape import Landscape
from gepcalc.lines import item_unit
from gepcalc.units import unit_label


def not_computed_row(cls, reason: str, item: str = "") -> dict:
    """One row of :attr:`Account.not_computed`: the service (or one of its items) and what it needs."""
    spec = cls.spec
    zh, en = spec.name_zh, spec.name_en
    if item:
        it = next((i for i in spec.items if i.id == item), None)
        zh += f" · {it.name_zh if it else item}"
        en += f" · {it.name_en if it else item}"
    unit = item_unit(spec, item) if item else spec.quantity_unit
    return {
        "service": spec.id,
        "category": spec.category,
        "reason": reason,
        "item": item,
        "name_zh": zh,
        "name_en": en,
        "quantity_unit": unit_label_of(unit),
    }


def unit_label_of(unit: str) -> str:
    """A unit as accounts print it; a unit pint does not read (a statistics service's) as written."""
    try:
        return unit_label(unit) if unit else ""
    except Exception:  # a statistics service's unit that pint does not read: shown as written
        return str(unit)


def refuse_nan(sums, land: Landscape, service_ids: list[str], gaps: dict, by_id=None) -> None:
    """Raise NodataError naming service, region, ecosystem type and, where known, the input lacking a value.

    With ``by_id`` (service classes by id) the message also says how to give that input (unit).
    """
    for sid in service_ids:
        bad = sums[sid].isnull()
        bad = bad.any([d for d in bad.dims if d not in ("region", "ecosystem")])
        if not bool(bad.any()):
            continue
        ri, ei = np.nonzero(bad.transpose("region", "ecosystem").values)
        regions = [str(r) for r in bad["region"].values[ri]]
        ecos = [str(e) for e in bad["ecosystem"].values[ei]]
        lacking = sorted(
            {f"{gaps[(sid, e)]!r} has no value for ecosystem type {e!r}" for e in ecos if (sid, e) in gaps}
        )
        hints = []
        if by_id and sid in by_id:
            for name in sorted({gaps[(sid, e)] for e in ecos if (sid, e) in gaps}):
                try:
                    unit = by_id[sid].spec.param(name).unit
                except (KeyError, ValueError, StopIteration):
                    continue
                types = sorted({e for e in ecos if gaps.get((sid, e)) == name})
                per = ", ".join(f"'{e}': '… {unit}'" for e in types)
                hints.append(f"give it as inputs={{'{sid}.{name}': {{{per}}}}} or fill the table")
        lacking = lacking + hints
        where = [f"{r}/{e}" for r, e in zip(regions, ecos, strict=True)]
        rasters = [v for (s, k), v in gaps.items() if s == sid and isinstance(k, tuple)]  # gepcalc.resolve
        why = "; ".join(lacking or rasters) or "an input raster has nodata (or NaN) where the land cover has data"
        raise NodataError(
            f"service {sid!r} has missing values in region/ecosystem {', '.join(where[:6])}"
            f"{' …' if len(where) > 6 else ''} of {land.source}: {why}"
        )


def refuse_missing_price(cls, value, quantity, vargs: dict) -> None:
    """A price (or other value parameter) without a value must stop the account, not give NaN or 0."""
    if not bool((value.isnull() & quantity.notnull() & (quantity != 0)).any()):
        return
    empty = [n for n, v in vargs.items() if v is not None and np.isnan(np.asarray(v, dtype="float64")).any()]
    empty = _needed(cls, quantity, vargs, empty)
    hints = ", ".join(f"'{cls.spec.id}.{n}': '… {cls.spec.param(n).unit}'" for n in empty)
    raise NodataError(
        f"service {cls.spec.id!r} cannot be valued: value parameter(s) {empty} have no value "
        f"(an empty cell in the table); give them as inputs={{{hints}}} or fill the table"
    )


def _needed(cls, quantity, vargs: dict, empty: list[str]) -> list[str]:
    """Those of the ``empty`` value parameters the value of ``quantity`` needs (others, e.g. the
    content of an item not counted, are left out of the message); all of them if that cannot be told."""
    try:
        filled = {**vargs, **dict.fromkeys(empty, 1.0)}
        needed = [n for n in empty if bool(cls.value(quantity, **{**filled, n: np.nan}).isnull().any())]
    except Exception:  # a value rule that cannot run on these stand-ins: name every empty one
        return empty
    return needed or empty


def items_lacking_price(cls, value, quantity, vargs: dict) -> dict[str, str] | None:
    """Items whose value lacks a price, with the message; None where it is the whole service."""
    if "item" not in value.dims or value.sizes["item"] < 2:
        return None
    bad = {}
    for i in [str(x) for x in value["item"].values]:
        try:
            refuse_missing_price(cls, value.sel(item=[i]), quantity.sel(item=[i]), vargs)
        except NodataError as exc:
            bad[i] = str(exc)
    return bad if bad and len(bad) < value.sizes["item"] else None


def drop_missing(
    sums: dict[str, xr.DataArray], land: Landscape, gaps: Mapping, by_id: Mapping, items: Mapping[str, tuple[str, ...]]
) -> MissingDropped:
    """The services (or items) of ``sums`` with missing values, left out (``account(missing="list")``).

    A service several items of which are summed loses only the items with missing values where
    others have none (each listed on its own row); the others are left out whole.  See
    :func:`refuse_nan` for what each row's reason says.
    """
    kept, out_items, rows, whole = {}, dict(items), [], []
    for sid, da in sums.items():
        try:
            refuse_nan({sid: da}, land, [sid], gaps, by_id)
            kept[sid] = da
            continue
        except NodataError as exc:
            reason = str(exc)
        if "item" in da.dims and da.sizes["item"] > 1:
            names = [str(i) for i in da["item"].values]
            bad = [i for i in names if bool(da.sel(item=i).isnull().any())]
            good = [i for i in names if i not in bad]
            if good:
                for i in bad:
                    try:
                        refuse_nan({sid: da.sel(item=[i])}, land, [sid], gaps, by_id)
                    except NodataError as exc:
                        rows.append(not_computed_row(by_id[sid], str(exc), item=i))
                kept[sid] = da.sel(item=good)
                out_items[sid] = tuple(good)  # the value parameters are resolved for these only
                continue
        rows.append(not_computed_row(by_id[sid], reason))
        whole.append(sid)
    return MissingDropped(kept, out_items, tuple(rows))


class MissingDropped(NamedTuple):
    """What :func:`drop_missing` kept and left out."""

    sums: dict[str, xr.DataArray]
    """The services still computed, each with the items still computed."""
    items: dict[str, tuple[str, ...]]
    """Items of each service: fewer where some had missing values."""
    not_computed: tuple[dict, ...]
    """Rows of :attr:`gepcalc.Account.not_computed` for what was left out."""
