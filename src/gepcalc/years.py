"""Reading a year that may be missing: :func:`known_year`.

An account computed without a year has a NaN ``year`` coordinate, one without a price year
``attrs["price_year"] = None`` (:mod:`gepcalc.result`).  This module holds the one function that
reads either as an int or None, low in the layers so that writers (:mod:`gepcalc.seea`, reports)
and the account alike can use it.  It does not format years for display (each writer shows a
missing year its own way, e.g. "—").
"""

from __future__ import annotations

from typing import Any


def known_year(year: Any) -> int | None:
    """A year (coordinate value or ``attrs["price_year"]``) as an int, or None where there is none.

    "No year" is a NaN coordinate or a None attribute (see :mod:`gepcalc.result`); the −1 that
    older accounts used for it, and any negative year, also read as None.

    Parameters
    ----------
    year
        A year coordinate value, an attribute, a string of digits, or None.
    """
    if year is None:
        return None
    try:
        y = float(year)
    except (TypeError, ValueError):
        return None
    if y != y or y < 0:
        return None
    return int(y)
