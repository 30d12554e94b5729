"""One pint registry for the whole library.

Every coefficient, input and output of gepcalc carries a unit understood by
this registry.  Besides pint's defaults it knows the Chinese currency (``CNY``,
``万元`` = 10⁴ CNY, ``亿元`` = 10⁸ CNY) and area unit (``mu``/``亩`` = 666.67 m²);
see ``units.txt``.  Carbon carries its basis in the unit: ``tCO2`` (a tonne of CO₂, = t)
and ``tC`` (a tonne of carbon, = 44.0095/12.011 tCO2), so ``CNY / tC`` converts to
``CNY / tCO2`` by × 12.011/44.0095 (:func:`carbon_basis`).

Quantities are put on at the boundaries (tables, inputs, outputs) and taken off
before the raster arithmetic, which runs on plain magnitudes in the units a
service declares (the pattern of pint's ``wraps``).
"""

from __future__ import annotations

import re
from importlib.resources import files
from typing import Any

import pint
import pint_xarray  # noqa: F401  (registers the .pint accessor)
import xarray as xr

from gepcalc.errors import UnitError

ureg: pint.UnitRegistry = pint.UnitRegistry(cache_folder=None, force_ndarray_like=True)
ureg.load_definitions(str(files("gepcalc") / "units.txt"))
ureg.formatter.default_format = "~P"
pint.set_application_registry(ureg)
Quantity = ureg.Quantity
Q_ = Quantity

#: the money unit values are computed in
VALUE_UNIT = "CNY / yr"


_COUNT_WORD = re.compile(r"(万|亿)(?!元)([^\s/()]+)")


def normalise_unit(unit: str) -> str:
    """Yearbook units as pint reads them: ``"万t"`` → ``"(万 * t)"``, ``"亿m**3"`` → ``"(亿 * m**3)"``.

    万 (10⁴) and 亿 (10⁸) are factors of the whole unit, as Chinese statistics write
    them; 万元 and 亿元 are units of their own and stay as they are.
    """
    return _COUNT_WORD.sub(r"(\1 * \2)", unit)


def parse_unit(unit: str | pint.Unit, *, where: str = "") -> pint.Unit:
    """Parse a unit string, with an error that says where it came from."""
    try:
        return ureg.Unit(normalise_unit(unit) if isinstance(unit, str) else unit)
    except Exception as exc:  # pint raises several unrelated types here
        place = f" in {where}" if where else ""
        raise UnitError(f"cannot read the unit {unit!r}{place}: {exc}") from None


def to_quantity(value: Any, default_unit: str | None = None, *, where: str = "") -> pint.Quantity:
    """Turn ``"1430 mm/yr"``, a number or a Quantity into a pint Quantity.

    A bare number takes ``default_unit``; without one it is an error, so that
    no number enters an account without a unit.
    """
    place = f" for {where}" if where else ""
    if isinstance(value, pint.Quantity):
        return Q_(value.magnitude, str(value.units))
    if isinstance(value, str):
        try:
            q = ureg.Quantity(normalise_unit(value))  # "216.26 亿m**3" as Chinese statistics write it
        except Exception as exc:
            raise UnitError(f"cannot read {value!r}{place} as a quantity: {exc}") from None
        if not isinstance(q, pint.Quantity):  # a plain number in a string
            q = Q_(float(q), default_unit or "dimensionless")
        return q
    if isinstance(value, int | float):
        if default_unit is None:
            raise UnitError(f"{value!r}{place} has no unit; write it as e.g. '{value} mm/yr'")
        return Q_(float(value), default_unit)
    raise UnitError(f"cannot read {value!r}{place} as a quantity (type {type(value).__name__})")


def magnitude_in(value: Any, unit: str, *, where: str = "", default_unit: str | None = None) -> float:
    """Magnitude of ``value`` expressed in ``unit``; a dimension mismatch is a UnitError."""
    q = to_quantity(value, default_unit, where=where)
    target = parse_unit(unit, where=where or "the unit asked for")
    try:
        return float(q.to(target).magnitude)
    except pint.DimensionalityError:
        place = f" for {where}" if where else ""
        raise UnitError(
            f"{q:~P}{place} cannot be expressed in {unit} "
            f"(dimension {q.dimensionality} is not {ureg.Unit(unit).dimensionality})"
        ) from None


def factor(from_unit: str, to_unit: str) -> float:
    """Conversion factor between two units, e.g. ``factor("mm * m**2", "m**3") == 1e-3``.

    Formulas use this instead of bare powers of ten, so every scale factor is
    derived from unit definitions.
    """
    return magnitude_in(Q_(1.0, parse_unit(from_unit)), to_unit)


def convert_array(da: xr.DataArray, from_unit: str, to_unit: str, *, where: str = "") -> xr.DataArray:
    """Convert a (possibly dask-backed) DataArray of magnitudes with pint-xarray."""
    if ureg.Unit(from_unit) == ureg.Unit(to_unit):
        return da
    try:
        out = da.pint.quantify(from_unit).pint.to(to_unit).pint.dequantify()
    except pint.DimensionalityError:
        raise UnitError(f"{where or da.name}: values in {from_unit} cannot be expressed in {to_unit}") from None
    out.attrs["units"] = to_unit
    return out


#: a per-area mass rate [t/ha] times an area [m²] gives tonnes: this factor (1e-4), from the unit definitions
T_PER_HA_M2 = factor("t / ha * m**2", "t")

#: carbon units of gepcalc's registry and the basis each one names
CARBON_UNITS = {"tC": "C", "t_C": "C", "tCO2": "CO2", "t_CO2": "CO2"}


def carbon_basis(unit: str | pint.Unit) -> str | None:
    """Which carbon basis a unit names: ``"C"`` (``tC``), ``"CO2"`` (``tCO2``) or None (neither).

    ``"CNY / tC"`` → ``"C"``; ``"CNY / tCO2"`` → ``"CO2"``; ``"CNY / t"`` → None (a plain mass:
    ambiguous for a carbon price); a unit naming both is an error.
    """
    names = {str(n) for n in parse_unit(unit)._units}
    found = {CARBON_UNITS[n] for n in names if n in CARBON_UNITS}
    if len(found) > 1:
        raise UnitError(f"the unit {unit!r} names both tC and tCO2; use one carbon basis")
    return found.pop() if found else None


def unit_label(unit: str | pint.Unit) -> str:
    """Short human label of a unit, e.g. ``m³/a`` for ``m**3 / yr``."""
    return f"{ureg.Unit(unit):~P}"


__all__ = [
    "CARBON_UNITS",
    "Q_",
    "VALUE_UNIT",
    "Quantity",
    "carbon_basis",
    "convert_array",
    "factor",
    "magnitude_in",
    "normalise_unit",
    "parse_unit",
    "to_quantity",
    "unit_label",
    "ureg",
]


def strip(x, unit: str):
    """Magnitude of ``x`` in ``unit`` if it carries units (pint), else ``x`` itself.

    For empirical formulas (RWEQ, regressions) whose constants are fitted to
    magnitudes in fixed units; the result is given back its unit with :func:`attach`.
    """
    return x.to(unit).magnitude if hasattr(x, "units") and hasattr(x, "to") else x


def attach(x, unit: str, like):
    """``x`` with ``unit`` when ``like`` carries units (pint), else ``x``: the inverse of :func:`strip`."""
    return x * ureg.Unit(unit) if hasattr(like, "units") and hasattr(like, "to") else x
