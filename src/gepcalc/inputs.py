"""Typed inputs: what a user gives for a parameter, parsed once at the edge.

A parameter of a service can be given in four forms, each its own type::

    from gepcalc.inputs import PerRegion, PerType, Raster, Scalar

    inputs = {
        "precipitation": Scalar("1430 mm/yr"),                             # one value for the account
        "evaporation_water": Raster("evap.tif", "mm/yr"),                  # a raster on the land-cover grid
        "evapotranspiration": PerType({"forest": 800, "grassland": 600}, "mm/yr"),  # per ecosystem type
        "flood_regulation.reservoir_capacity": PerRegion({"all": "216.26 亿m**3"}),  # per region
    }

The plain forms stay accepted and mean what they always meant: a string or a pint quantity is a
:class:`Scalar`; ``{"raster": path, "unit": u}`` or a DataArray a :class:`Raster`;
``{"landcover": path, "values": {...}}`` a :class:`PerType` on another land cover; another mapping a
:class:`PerType` (``{"values": {...}, "unit": u}`` or ``{type: value}``) — or, for a parameter given
per region, a :class:`PerRegion`.  :func:`parse` turns them into these types once, so the code that
resolves a parameter (:mod:`gepcalc.resolve`) dispatches on a type instead of on dictionary keys, and
a value of a type no form takes is an :class:`~gepcalc.errors.InputTypeError` naming the parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pint
import xarray as xr

from gepcalc.errors import InputTypeError

#: keys of a per-type mapping that describe it rather than name a type
_META = ("unit", "source", "note", "name_zh")


@dataclass(frozen=True)
class Scalar:
    """One value with its unit for the whole account: ``"1430 mm/yr"``, a pint quantity, or a bare number
    for a dimensionless parameter (a share)."""

    value: Any


@dataclass(frozen=True)
class Raster:
    """A raster on the land-cover grid (a path GDAL reads, or a DataArray) and the unit of its values."""

    source: str | Path | xr.DataArray
    unit: str | None = None


@dataclass(frozen=True)
class PerType:
    """A value per ecosystem type (``{"forest": 800, ...}``, numbers in ``unit`` or quantities with units).

    With ``landcover`` the types are those of another land-cover raster (a with-project land cover):
    each pixel takes the value of its type there; without ``values`` the default table's values are used.
    """

    values: Mapping[str, Any] = field(default_factory=dict)
    unit: str | None = None
    landcover: Any = None


@dataclass(frozen=True)
class PerRegion:
    """A value per region (``{"淳安县": "216.26 亿m**3"}``, or ``{"all": value}`` for every region)."""

    values: Mapping[str, Any]
    unit: str | None = None


Input = Scalar | Raster | PerType | PerRegion


def is_scalar(value: Any) -> bool:
    """A value that is one quantity: a string, a number (not a bool) or a pint Quantity."""
    return isinstance(value, str | int | float | pint.Quantity) and not isinstance(value, bool)


def parse(value: Any, where: str, *, per_region: bool = False) -> Any:
    """The typed form of ``value`` (see the module docstring); a coefficient table is returned as it is.

    Parameters
    ----------
    value
        What the user gave for one parameter.
    where
        The parameter and service, for messages.
    per_region
        The parameter is given per region: a plain mapping is a :class:`PerRegion`.

    Raises
    ------
    InputTypeError
        A value of a type no form takes (a list, a bool, a path that is not a raster form).
    """
    if isinstance(value, Scalar | Raster | PerType | PerRegion):
        return value
    if hasattr(value, "columns") and hasattr(value, "quantity"):  # a CoefficientTable (no import cycle)
        return value
    if is_scalar(value):
        return Scalar(value)
    if isinstance(value, xr.DataArray):
        return Raster(value, value.attrs.get("units"))
    if isinstance(value, Mapping):
        if "raster" in value:
            return Raster(value["raster"], value.get("unit"))
        if "landcover" in value:
            return PerType(value.get("values", {}), value.get("unit"), landcover=value["landcover"])
        if per_region:
            return PerRegion({k: v for k, v in value.items() if k != "unit"}, value.get("unit"))
        values = value.get("values", {k: v for k, v in value.items() if k not in _META})
        return PerType(values, value.get("unit"))
    if isinstance(value, Path):
        raise InputTypeError(
            f"{where}: a path {str(value)!r} alone does not say what it is; give a raster as "
            f"Raster({str(value)!r}, unit) or {{'raster': {str(value)!r}, 'unit': ...}}"
        )
    raise InputTypeError(
        f"{where}: cannot use a {type(value).__name__} ({value!r}); give a Scalar, Raster, PerType or "
        "PerRegion (gepcalc.inputs), or their plain forms"
    )
