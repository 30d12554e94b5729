"""The service plug-in contract.

A service is one GEP indicator.  It declares a frozen :class:`ServiceSpec`
(id, Chinese and English names, category, parameters with units, output unit,
references) and two pure functions on xarray objects (or numpy arrays, or pint
quantities):

* ``physical(area, **params)`` → the physical quantity per pixel, in
  ``spec.quantity_unit``;
* ``value(quantity, **value_params)`` → the money value, in
  ``spec.quantity_unit × price unit`` (converted by the account to CNY/yr).

The account converts every parameter to the unit the spec declares before
calling them (pint's ``wraps`` pattern), so the functions compute on plain
magnitudes and never read files.  A parameter can be given as a scalar with a
unit, a raster on the land-cover grid, or a per-ecosystem-type table; where the
spec names a default table the value comes from there unless the user overrides it.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pint
import xarray as xr

from gepcalc.errors import MissingInputError, ServiceError, UnitError
from gepcalc.units import VALUE_UNIT, factor, magnitude_in, parse_unit, ureg
from gepcalc.units import attach as attach  # re-exported: part of the plug-in API (services use it from here)
from gepcalc.units import strip as strip

CATEGORIES = ("provisioning", "regulating", "cultural")
CATEGORY_NAMES = {
    "provisioning": ("物质产品", "Provisioning services"),
    "regulating": ("调节服务", "Regulating services"),
    "cultural": ("文化服务", "Cultural services"),
}


@dataclass(frozen=True)
class TableRef:
    """Where a parameter's default comes from: a table column (and row for item tables)."""

    table: str
    column: str
    row: str | None = None


@dataclass(frozen=True)
class Param:
    """One parameter of a service: name, unit, meaning, and an optional default.

    ``kinds`` says how it may be supplied: ``"scalar"`` (one value for the whole
    account), ``"raster"`` (a raster on the land-cover grid) and
    ``"per_ecosystem"`` (a value per ecosystem type).
    """

    name: str
    unit: str
    description: str
    default: TableRef | None = None
    kinds: tuple[str, ...] = ("scalar", "raster", "per_ecosystem")
    symbol: str = ""
    #: resolved once per item of the service (pollutant, product); ``{item}`` in the
    #: default's column or row is replaced by the item id
    per_item: bool = False
    #: a typical value with units (``"1430 mm/yr"``), used by the conformance kit and in messages
    example: str | None = None
    #: the service fills this raster's nodata itself (e.g. a DEM with holes) instead of propagating it
    fills_nodata: bool = False
    #: a parameter that may be left out; the function then receives None
    optional: bool = False
    #: the items that need this parameter; when an account computes none of them it is not
    #: resolved and the function receives None (e.g. flood regulation's storm rainfall, vegetation only)
    needed_by: tuple[str, ...] = ()


#: the DEM input of every service that routes flow over the terrain (:mod:`gepcalc.terrain`; filled where it has holes)
DEM = Param(
    "dem",
    "m",
    "elevation (projected grid, square cells)",
    kinds=("raster",),
    example="400 m",
    fills_nodata=True,
)


@dataclass(frozen=True)
class Item:
    """One component of a service with several (a pollutant, a product)."""

    id: str
    name_zh: str
    name_en: str
    #: the item's own quantity unit where it differs from the service's ``quantity_unit``
    #: (soil retention: ``siltation`` in m³/yr beside ``soil`` in t/yr); "" = the service's
    unit: str = ""


@dataclass(frozen=True)
class Reference:
    """A document a service follows: what, which clause/equation, which year."""

    document: str
    clause: str = ""
    year: int | None = None

    def cite(self) -> str:
        return (
            f"{self.document}" + (f", {self.clause}" if self.clause else "") + (f" ({self.year})" if self.year else "")
        )


@dataclass(frozen=True)
class ServiceSpec:
    """Frozen declaration of a service (checked when the service is registered)."""

    id: str
    name_zh: str
    name_en: str
    category: str
    quantity_unit: str
    quantity_name: str
    params: tuple[Param, ...]
    value_params: tuple[Param, ...]
    references: tuple[Reference, ...]
    method: str = "default"
    value_unit: str = VALUE_UNIT
    description: str = ""
    tables: tuple[str, ...] = field(default=())
    #: components (pollutants, products) the quantity is computed for, each its own line
    items: tuple[Item, ...] = ()
    #: the items computed unless the profile or the user chooses others (default: all)
    default_items: tuple[str, ...] = ()
    #: parameters given per region (emission loads, reservoir capacities), used by ``regional()``
    region_params: tuple[Param, ...] = ()
    #: unit of ``physical()``'s per-pixel result when ``regional()`` turns it into the quantity
    pixel_unit: str | None = None
    #: the per-pixel quantity is proportional to the pixel's area (checked by the conformance kit)
    extensive: bool = True
    #: computed from statistics lines (yearbook production, visitors), not from rasters; see
    #: :class:`gepcalc.services.statistics.StatisticsService`
    statistical: bool = False
    #: the items are parts of one quantity in one unit (climate regulation: transpiration +
    #: evaporation), so the service's quantity is their sum; otherwise (COD and TP) it is not shown
    additive_items: bool = False

    def param(self, name: str) -> Param:
        for p in (*self.params, *self.value_params, *self.region_params):
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def key(self) -> str:
        """Registry key: ``id.method``."""
        return f"{self.id}.{self.method}"

    def unit_of(self, item: str) -> str:
        """Quantity unit of ``item``: its own (``Item.unit``), else ``quantity_unit``."""
        return next((i.unit for i in self.items if i.id == item and i.unit), self.quantity_unit)

    def item_ids(self, chosen: Sequence[str] | None = None) -> tuple[str, ...]:
        """The items to compute: ``chosen`` (checked), else the defaults, else all."""
        known = tuple(i.id for i in self.items)
        if chosen is None:
            return tuple(self.default_items) or known
        unknown = [c for c in chosen if c not in known]
        if unknown or not chosen:
            raise ServiceError(
                f"service {self.id!r}: unknown item(s) {unknown or '(none chosen)'}; it knows {', '.join(known)}"
            )
        return tuple(chosen)


class Service:
    """Base class of service plug-ins (see the module docstring)."""

    spec: ClassVar[ServiceSpec]
    # Subclasses define ``physical(area, **params)`` as a staticmethod; check_service() verifies
    # that its arguments match the spec.
    #: ``regional()`` also receives the value parameters (soil retention turns the soil retained
    #: into siltation and nutrients with λ, ρ and the soil contents its value rule uses too)
    regional_uses_value_params: ClassVar[bool] = False

    @staticmethod
    def value(quantity, price):
        """Value = quantity × unit price (the shadow-price / market-price rule)."""
        return quantity * price

    @staticmethod
    def regional(quantity, area, **region_params):
        """Quantity by region × ecosystem type [× item] after the zonal sum (default: unchanged).

        Services whose rule is not a sum over pixels (e.g. ``min(emission load,
        purification capacity)`` per region) override this; ``area`` [m²] is the
        area by region × ecosystem type and ``region_params`` are DataArrays over ``region``.
        A service with items whose ``physical()`` gives one quantity receives it once per
        chosen item (dimension ``item``) and turns each into the item's quantity. Notes on
        what the rule did go in the result's ``attrs["notes"]`` (the account reports them).
        """
        return quantity

    @classmethod
    def value_factor(cls) -> float:
        """Factor from the unit ``value()`` returns on the declared units to ``value_unit``.

        Found from the unit ``value()`` returns on pint quantities of 1 (the magnitude
        is not used: a rule adding two terms gives 2), so a value rule that divides
        (e.g. by a design life) is converted as correctly as a product.
        """
        ones = {p.name: ureg.Quantity(1.0, p.unit) for p in cls.spec.value_params}
        out = cls.value(ureg.Quantity(1.0, cls.spec.quantity_unit), **ones)
        if not isinstance(out, pint.Quantity):
            raise UnitError(f"value() of {cls.spec.id!r} returned {type(out).__name__} without units")
        return factor(str(out.units), cls.spec.value_unit)


_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def check_service(cls: Any) -> type[Service]:
    """Validate a service class; raise :class:`ServiceError` listing every problem.

    The spec's identity and references, its units, the unit ``value()`` returns (checked only
    when the rest of the spec is sound), its parameters and items, and the signatures of
    ``physical``, ``value`` and ``regional`` against the declared parameters.
    """
    spec = getattr(cls, "spec", None)
    if not isinstance(spec, ServiceSpec):
        raise ServiceError(f"{cls!r} has no `spec` of type ServiceSpec")
    problems = _identity_problems(spec) + _unit_problems(spec)
    if not problems and not spec.statistical:
        problems += _value_unit_problems(cls, spec)
    problems += _declaration_problems(spec) + _signature_problems(cls, spec)
    if problems:
        raise ServiceError(f"service {getattr(spec, 'id', cls)!r} is invalid: " + "; ".join(problems))
    return cls


def _identity_problems(spec: ServiceSpec) -> list[str]:
    """Problems of the id, category, names and the presence of references."""
    problems = []
    if not _ID.match(spec.id):
        problems.append(f"id {spec.id!r} must be lower_snake_case")
    if spec.category not in CATEGORIES:
        problems.append(f"category {spec.category!r} is not one of {CATEGORIES}")
    if not spec.name_zh or not spec.name_en:
        problems.append("both name_zh and name_en are required")
    if not spec.references:
        problems.append("at least one reference (document, clause, year) is required")
    return problems


def _unit_problems(spec: ServiceSpec) -> list[str]:
    """Units of the quantity, value, pixels, parameters and items that pint cannot read."""
    units = [
        ("quantity_unit", spec.quantity_unit),
        ("value_unit", spec.value_unit),
        ("pixel_unit", spec.pixel_unit or spec.quantity_unit),
        *((f"param {p.name!r}", p.unit) for p in (*spec.params, *spec.value_params, *spec.region_params)),
        *((f"item {i.id!r}", i.unit) for i in spec.items if i.unit),
    ]
    problems = []
    for label, unit in units:
        try:
            parse_unit(unit)
        except UnitError as exc:
            problems.append(f"{label}: {exc}")
    return problems


def _value_unit_problems(cls: Any, spec: ServiceSpec) -> list[str]:
    """``value()`` on pint quantities of the declared units not giving a ``value_unit`` (or failing)."""
    try:
        cls.value_factor()
    except UnitError as exc:
        prices = ", ".join(p.unit for p in spec.value_params)
        return [
            f"value() of quantity [{spec.quantity_unit}] and value params [{prices}] is not a {spec.value_unit}: {exc}"
        ]
    except Exception as exc:  # value() itself failed on pint quantities
        return [f"value() failed on quantities with units: {type(exc).__name__}: {exc}"]
    return []


def _declaration_problems(spec: ServiceSpec) -> list[str]:
    """Incomplete references, parameter names used twice, per-item parameters or default items without items."""
    problems = [
        f"reference {ref.document!r} needs a document and a clause or year"
        for ref in spec.references
        if not ref.document or not (ref.clause or ref.year)
    ]
    params = (*spec.params, *spec.value_params, *spec.region_params)
    names = [p.name for p in params]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        problems.append(f"parameter names used twice: {dup}")
    item_ids = [i.id for i in spec.items]
    if any(p.per_item for p in params) and not item_ids:
        problems.append("per-item parameters need `items`")
    if set(spec.default_items) - set(item_ids):
        problems.append(f"default_items {sorted(set(spec.default_items) - set(item_ids))} are not among items")
    return problems


def _signature_problems(cls: Any, spec: ServiceSpec) -> list[str]:
    """``physical``, ``value`` and ``regional`` missing, or taking other arguments than the spec declares.

    A function with ``**kwargs`` may take a subset of the declared names.  Statistics services
    (``spec.statistical``) have none of these functions.
    """
    if spec.statistical:
        return []
    problems = []
    for fn, expected in (
        ("physical", {"area"} | {p.name for p in spec.params}),
        ("value", {"quantity"} | {p.name for p in spec.value_params}),
        ("regional", {"quantity", "area"} | {p.name for p in spec.region_params}),
    ):
        if not callable(getattr(cls, fn, None)):
            problems.append(f"{fn}() is missing")
            continue
        sig = inspect.signature(getattr(cls, fn))
        names = {n for n, p in sig.parameters.items() if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
        has_kwargs = any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values())
        if names != expected and not (has_kwargs and names <= expected):
            problems.append(f"{fn}() takes {sorted(names)} but the spec declares {sorted(expected)}")
    return problems


# -- resolving parameters ----------------------------------------------------------------


@dataclass
class Resolved:
    """A parameter's magnitude in its declared unit, and where it came from."""

    value: Any  # float, per-pixel DataArray, or DataArray over `ecosystem`
    origin: list[dict]
    missing: tuple[str, ...] = ()  # ecosystem types without a value (NaN)


def _counted_block(mask: np.ndarray, expr) -> np.ndarray:
    """:func:`counted` of one block (float64): ``expr`` where ``mask`` > 0, else 0, NaN where ``mask`` is NaN."""
    out = np.where(mask > 0, expr, np.float64(0.0))
    if np.asarray(mask).dtype.kind == "f":
        np.copyto(out, np.nan, where=np.isnan(mask))
    return out


def counted(mask, expr):
    """``expr`` where ``mask`` > 0, 0 where ``mask`` is 0, NaN where ``mask`` is NaN.

    A NaN outside the mask does not leak into the sum, and a missing mask value
    (a type without a row) stays missing instead of becoming a silent 0.
    Works on DataArrays (lazily), numpy arrays and pint quantities alike.
    """
    if isinstance(expr, xr.DataArray) or isinstance(mask, xr.DataArray):
        expr = expr if isinstance(expr, xr.DataArray) or not np.ndim(expr) else xr.DataArray(expr)
        if not isinstance(mask, xr.DataArray):
            return xr.where(mask > 0, expr, 0.0)
        # one block function instead of xarray's isnull, where, > and where: one full-size array
        # less per block (the where with a NaN scalar alone took 4 ms a 1024² block)
        return xr.apply_ufunc(_counted_block, mask, expr, dask="parallelized", output_dtypes=["float64"])
    m = np.asarray(getattr(mask, "magnitude", mask), dtype="float64")
    zero = np.where(np.isnan(m), np.nan, 0.0)
    return np.where(m > 0, expr, zero * expr.units if hasattr(expr, "units") else zero)


def capped(quantity, limit, over: str = "ecosystem"):
    """Scale ``quantity`` so that its sum over ``over`` is at most ``limit`` (e.g. the emission load).

    ``min(limit, Σ quantity)`` shared among the parts in proportion to their
    quantity (the rule ``min(emission, purification capacity)`` of the standards);
    a NaN limit propagates.
    """
    total = quantity.sum(over)
    share = xr.where(total > limit, limit / total.where(total > 0), 1.0)
    return quantity * share


def per_ecosystem_values(values: Mapping[str, Any], unit: str, ecosystem_ids: list[str], *, where: str) -> np.ndarray:
    """A value per ecosystem type from ``{ecosystem_id: quantity}``, in ``unit``.

    Types not listed get NaN, so a pixel of such a type shows up as missing
    rather than as a silent zero.
    """
    unknown = set(values) - set(ecosystem_ids)
    if unknown:
        raise MissingInputError(
            f"{where}: unknown ecosystem types {sorted(unknown)}; known: {', '.join(ecosystem_ids)}"
        )
    return np.array(
        [
            magnitude_in(values[e], unit, where=f"{where}[{e}]", default_unit=unit) if e in values else np.nan
            for e in ecosystem_ids
        ],
        dtype="float64",
    )


def on_pixels(lut: np.ndarray, ecosystem: xr.DataArray) -> xr.DataArray:
    """Spread a per-ecosystem array (index = code − 1) onto the pixels; code 0 → 0."""
    full = np.concatenate([[0.0], lut])
    return xr.apply_ufunc(lambda b: full[b], ecosystem, dask="parallelized", output_dtypes=["float64"])


def describe_missing(service: str, p: Param) -> str:
    how = {
        "scalar": f"a scalar with units, e.g. inputs={{'{p.name}': '1 {p.unit}'}}",
        "raster": (
            f"a raster on the land-cover grid, e.g. inputs={{'{p.name}': {{'raster': 'file.tif', 'unit': '{p.unit}'}}}}"
        ),
        "per_ecosystem": f"a value per ecosystem type, e.g. inputs={{'{p.name}': {{'forest': '… {p.unit}', …}}}}",
    }
    ways = "; or ".join(how[k] for k in p.kinds)
    return f"service {service!r} needs input {p.name!r} ({p.description}) [{p.unit}]; give it as {ways}"
