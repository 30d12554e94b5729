"""Project-level GEP (项目级生态产品价值) and EOD project appraisal.

A project changes land cover or parameters inside a boundary.  gepcalc computes the
baseline (without project) and with-project accounts on that boundary and their
difference ΔGEP by service, category, ecosystem type and year, with the
implementation schedule, NPV, maps of where the value changes, one-at-a-time
sensitivity, seeded Monte Carlo, and for EOD projects the cash flow, the fund
self-balance ratio and the payback.  ``docs/project.md`` describes the format and
the formulas.

Quick use::

    import gepcalc as gep
    res = gep.project("PROJECT.toml")       # this module is callable: gep.project(...)
    res.by_service("万元"); res.annual(); res.npv("万元"); res.cash_flow(); res.summary()
    res.to_excel("project.xlsx"); res.to_html("project.html"); res.write_maps("maps/")

Modules, bottom to top (each imports only those before it; the report's modules name
:class:`ProjectResult` in type hints only):
:mod:`~gepcalc.project.schedule` (ramp-up, discounting, NPV, payback),
:mod:`~gepcalc.project.amounts` (rates, money, yearly flows as written in a file),
:mod:`~gepcalc.project.eod` (EOD cash flow, self-balance), :mod:`~gepcalc.project.finance`
(financing plan, loans, cash-flow tables, FIRR/DSCR …), :mod:`~gepcalc.project.definition`
(TOML/dict → Project), :mod:`~gepcalc.project.delta` (the two accounts and ΔGEP),
:mod:`~gepcalc.project.maps`, :mod:`~gepcalc.uncertainty.ranges` (declared ranges, draws),
:mod:`~gepcalc.project.uncertainty`, :mod:`~gepcalc.project.report` (workbook, HTML, charts),
:mod:`~gepcalc.project.result` (:func:`project`, :class:`ProjectResult`),
:mod:`~gepcalc.project.portfolio`.
"""

from __future__ import annotations

import sys
import types

from gepcalc.project.definition import Project, Scenario, load_project
from gepcalc.project.portfolio import monitored_delta, portfolio
from gepcalc.project.result import ProjectResult, project
from gepcalc.project.schedule import Schedule, discount_factors, effect_fractions, linear_ramp, npv, payback
from gepcalc.uncertainty.ranges import declared_ranges

__all__ = [
    "Project",
    "ProjectResult",
    "Scenario",
    "Schedule",
    "declared_ranges",
    "discount_factors",
    "effect_fractions",
    "linear_ramp",
    "load_project",
    "monitored_delta",
    "npv",
    "payback",
    "portfolio",
    "project",
]


class _CallableModule(types.ModuleType):
    """``gepcalc.project(...)`` runs :func:`project`, while ``gepcalc.project.<module>`` stays importable."""

    def __call__(self, *args, **kwargs) -> ProjectResult:
        return project(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
