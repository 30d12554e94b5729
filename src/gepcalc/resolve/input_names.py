"""Checking the user's input names against the parameters the services read.

:func:`check_input_names` refuses a name no registered service reads (with the closest valid name)
and notes names only other services read.  Resolving the values is the rest of :mod:`gepcalc.resolve`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from difflib import get_close_matches
from typing import Any

from gepcalc.errors import ConfigError


def _names_of(cls) -> set[str]:
    """The input names a service class reads: its parameters and the row choices of its tables."""
    spec = cls.spec
    params = (*spec.params, *spec.value_params, *spec.region_params)
    names = {p.name for p in params}
    names |= {p.default.row.strip("{}") for p in params if p.default and p.default.row and p.default.row[0] == "{"}
    return names


def check_input_names(inputs: Mapping[str, Any], used: Sequence, known: Mapping[str, Any]) -> list[str]:
    """Refuse input names no service reads; list those only other services read.

    Parameters
    ----------
    inputs
        The user's ``{name or "service.name": value}``.
    used
        The service classes of this account.
    known
        Every registered service class by ``id`` or ``id.method`` (:func:`gepcalc.services.all_methods`).

    Returns
    -------
    list of str
        Notes for names that some other service (or method) reads but none of this account does.

    Raises
    ------
    ConfigError
        A name no registered service reads (``precipitaton``, ``water_conservation.runoff_coeficient``),
        with the closest valid name.
    """
    by_service: dict[str, set[str]] = {}
    for key, cls in known.items():
        by_service.setdefault(key.split(".")[0], set()).update(_names_of(cls))
    mine = {n for c in used for n in _names_of(c)} | {f"{c.spec.id}.{n}" for c in used for n in _names_of(c)}
    valid = set().union(*by_service.values()) | {f"{s}.{n}" for s, ns in by_service.items() for n in ns}
    unknown = [k for k in inputs if k not in valid | mine]
    if unknown:
        hints = []
        for k in unknown:
            near = get_close_matches(k, sorted(mine) or sorted(valid), n=1, cutoff=0.6) or get_close_matches(
                k, sorted(valid), n=1, cutoff=0.6
            )
            hints.append(f"{k!r}" + (f" (did you mean {near[0]!r}?)" if near else ""))
        raise ConfigError(
            f"unknown input name{'s' if len(unknown) > 1 else ''} {', '.join(hints)}: no service reads "
            f"{'them' if len(unknown) > 1 else 'it'}; this account's services read "
            f"{', '.join(sorted(n for n in mine if '.' not in n))}"
        )
    unused = [k for k in inputs if k not in mine]
    return [f"inputs {', '.join(map(repr, unused))} are not read by any service of this account"] if unused else []
