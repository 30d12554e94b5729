"""The carbon basis of a value: per tonne of carbon (``tC``) or of CO₂ (``tCO2``).

:func:`carbon_conversion` refuses a value whose basis does not fit the parameter and says how a
``tC`` value was converted to ``tCO2`` (recorded in ``Account.sources``).  The units themselves are
defined in ``units.txt`` (:mod:`gepcalc.units`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gepcalc.errors import UnitError
from gepcalc.units import carbon_basis, magnitude_in

if TYPE_CHECKING:
    from gepcalc.services.base import Param


def carbon_conversion(p: Param, unit: str, where: str, *, table: bool = False) -> dict:
    r"""Check the carbon basis of a value and say how it was converted.

    A parameter declared per t CO₂ (unit with ``tCO2``, e.g. the carbon price ``CNY / tCO2``)
    takes values per ``tC`` (converted: CNY/tC × 12.011/44.0095 = CNY/tCO2, recorded in the
    ``unit_conversion`` column of ``Account.sources``) or per ``tCO2``; a *table* value per
    plain ``t`` is refused (per t of C or of CO₂?), a user's (input or override) is taken per t CO₂.  A parameter
    not declared in tC/tCO2 (a sequestration rate, a carbon density, per t of C) refuses tC/tCO2.
    """
    if not unit:
        return {}
    declared, given = carbon_basis(p.unit), carbon_basis(unit)
    if declared is None:
        if given is not None:
            raise UnitError(
                f"{where}: {unit!r} uses tC/tCO2, which gepcalc keeps for CO₂ quantities and carbon prices; "
                f"this parameter is in {p.unit} ({p.description}): write it in that unit"
            )
        return {}
    if given is None and table:
        raise UnitError(
            f"{where}: the carbon price is in {unit!r}, which does not say per tonne of what: write the "
            f"row's unit as 'CNY / tC' (per tonne of carbon) or 'CNY / tCO2' (per tonne of CO2)"
        )
    if given is not None and given != declared:
        f = magnitude_in(f"1 {unit}", p.unit)
        return {"unit_conversion": f"{unit} → {p.unit} × {f:.6g} (12/44: 12.011/44.0095, IUPAC 2021)"}
    return {}
