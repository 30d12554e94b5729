"""Rates, amounts of money and yearly flows as written in a project file.

Holds the small parsers every project section shares: :func:`parse_rate` (``0.06``, ``"6 %"``),
:func:`parse_money` (a number in a money unit or ``"500 万元"``) and :func:`parse_flow`
(``{year = amount}`` or ``{from, to, value, growth}`` over the appraisal years).  It does not
hold the sections themselves: ``[schedule]`` and the states are in
:mod:`~gepcalc.project.definition`, ``[eod]`` in :mod:`~gepcalc.project.eod`, ``[financing]`` in
:mod:`~gepcalc.project.finance`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from gepcalc.errors import ConfigError
from gepcalc.project.schedule import Schedule
from gepcalc.units import Q_, magnitude_in

#: keys of a flow table that are not years
FLOW_META = {"name_zh", "name_en", "note", "from", "to", "value", "growth"}


def parse_rate(value: Any, where: str) -> float:
    """A rate as a fraction [1]: ``0.06``, ``"6 %"``, ``"6 percent"``."""
    if isinstance(value, bool) or value is None:
        raise ConfigError(f"{where}: expected a rate such as 0.06 or '6 %', got {value!r}")
    if isinstance(value, int | float) and 1 < abs(value) <= 100:  # 6 for 6 %: a 600 % rate is a slip
        raise ConfigError(
            f"{where}: {value!r} is a rate of {value:.0%}; did you mean {value:g} %? write '{value:g} %' or "
            f"{value / 100:g} (a rate above 100 % must be written with its % sign)"
        )
    if isinstance(value, str):
        value = value.replace("%", " percent")
    try:
        return magnitude_in(value, "dimensionless", where=where, default_unit="dimensionless")
    except Exception as exc:
        raise ConfigError(f"{where}: expected a rate such as 0.06 or '6 %', got {value!r} ({exc})") from None


def parse_money(value, unit: str, where: str) -> float:
    """A yearly amount in CNY: a number in ``unit`` or a string with a money (or money per year) unit."""
    if isinstance(value, bool):
        raise ConfigError(f"{where}: {value!r} is not an amount of money")
    if isinstance(value, int | float):
        return float(value) * magnitude_in(Q_(1.0, unit), "CNY", where=where)
    try:
        return magnitude_in(value, "CNY", where=where)
    except Exception:
        try:
            return magnitude_in(value, "CNY / yr", where=where)
        except Exception as exc:
            raise ConfigError(f"{where}: {value!r} is not an amount of money such as '500 万元' ({exc})") from None


def parse_flow(raw, schedule: Schedule, unit: str, where: str) -> pd.Series:
    """A yearly flow [CNY] over the appraisal years from ``{year = amount, ...}`` or ``{from, to, value, growth}``.

    ``growth`` is a yearly rate: value_t = value · (1 + g)^(t − from).
    """
    years = schedule.years
    out = pd.Series(0.0, index=pd.Index(years, name="year"))
    if raw is None:
        return out
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: expected {{year = amount, …}} or {{from = YEAR, value = amount}}, got {raw!r}")
    if "value" in raw:
        first = int(raw.get("from", years[0]))
        last = int(raw.get("to", years[-1]))
        for y in (first, last):
            if y not in years:
                raise ConfigError(f"{where}: year {y} is outside the appraisal horizon {years[0]}–{years[-1]}")
        g = parse_rate(raw.get("growth", 0.0), f"{where} growth")
        v = parse_money(raw["value"], unit, where)
        for y in range(first, last + 1):
            out[y] = v * (1 + g) ** (y - first)
        return out
    for k, v in raw.items():
        if k in FLOW_META:
            continue
        try:
            y = int(k)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: key {k!r} is not a year") from None
        if y not in years:
            raise ConfigError(f"{where}: year {y} is outside the appraisal horizon {years[0]}–{years[-1]}")
        out[y] = parse_money(v, unit, f"{where} year {y}")
    return out
