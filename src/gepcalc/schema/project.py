"""Schemas of a project file (PROJECT.toml, or a dict of the same shape): :class:`ProjectFile`.

``[project]``, ``[schedule]``, ``[baseline]`` / ``[with_project]``, ``[eod]`` and ``[financing]``
(loans, bonds, subsidies, the economic analysis).  The values are converted by
:mod:`gepcalc.project.definition`, :mod:`gepcalc.project.eod` and :mod:`gepcalc.project.finance`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Union

from pydantic import Discriminator, Tag

from gepcalc.schema.account import Inputs, Overrides
from gepcalc.schema.base import FileSchema, Section
from gepcalc.schema.fields import (
    Flag,
    NameOrNames,
    Names,
    Number,
    Ramp,
    Rate,
    Services,
    Text,
    Whole,
    Year,
    Years,
    expect,
)


class ProjectSection(Section):
    """``[project]``: name, boundary and the keyword arguments of :func:`gepcalc.account` common to both states."""

    name: Text = None
    name_zh: Text = None
    description: Text = None
    boundary: Any  # a file name, or (from Python) a GeoDataFrame
    boundary_layer: expect(lambda v: isinstance(v, str | int) and not isinstance(v, bool), "a layer name") = None
    boundary_field: Text = None
    landcover_classes: Any = None
    profile: Any = None
    services: Services = None
    methods: dict[str, Text] | None = None
    items: dict[str, Names] | None = None
    ecosystems: dict[str, Names] | None = None
    year: Year = None
    price_year: Year = None
    price_index: Any = None
    price_region: NameOrNames = None
    chunks: Any = None


class ScheduleSection(Section):
    """``[schedule]``: years appraised, construction, ramp-up and discounting."""

    start_year: Year
    horizon: Whole
    construction: Years = None
    ramp_up: Ramp = None
    cumulative: Flag = None
    discount_rate: Rate = None
    base_year: Year = None
    timing: Text = None


#: a state's inputs: a file with an [inputs] table, or a table of inputs
ScenarioInputs = Annotated[
    Union[  # noqa: UP007
        Annotated[Inputs, Tag("<table>")],
        Annotated[
            expect(lambda v: isinstance(v, str | os.PathLike), "a file name or a table of inputs"), Tag("<file>")
        ],
    ],
    Discriminator(lambda v: "<table>" if isinstance(v, Mapping) else "<file>"),
]


class ScenarioSection(Section):
    """``[baseline]`` or ``[with_project]``: land cover, inputs (a file or a table), tables, overrides."""

    landcover: Any = None
    inputs: ScenarioInputs | None = None
    tables: dict[str, Any] | None = None
    overrides: Overrides | None = None


class MonetisedSection(Section):
    """``[eod.monetised.NAME]``: a part of one service's ΔGEP that becomes cash."""

    service: Text = None
    share: Rate = None
    price: Text = None
    name_zh: Text = None
    name_en: Text = None
    kind: Text = None
    note: Text = None


class EODSection(Section):
    """``[eod]``: investment, operating cost and revenues by year, monetised ΔGEP."""

    unit: Text = None
    investment: dict[Any, Any] | None = None
    operating_cost: dict[Any, Any] | None = None
    revenue: dict[str, dict[Any, Any]] | None = None
    monetised: dict[str, MonetisedSection] | None = None


class DebtSection(Section):
    """``[financing.loans.NAME]`` or ``[financing.bonds.NAME]``."""

    name_zh: Text = None
    name_en: Text = None
    note: Text = None
    share: Rate = None
    drawdown: dict[Any, Any] | None = None
    rate: Rate = None
    grace: Whole = None
    term: Whole = None
    repayment: Text = None
    idc: Text = None


class SubsidySection(Section):
    """``[financing.subsidies.NAME]``."""

    name_zh: Text = None
    name_en: Text = None
    note: Text = None
    share: Rate = None
    amounts: dict[Any, Any] | None = None
    kind: Text = None


class EconomicSection(Section):
    """``[financing.economic]``: social discount rate and conversion factors."""

    social_discount_rate: Rate = None
    investment_factor: Number = None
    operating_cost_factor: Number = None
    revenue_factor: Number = None
    monetised_factor: Number = None
    non_market_factor: Number = None
    note: Text = None


class UncertaintySection(Section):
    """``[uncertainty]``: Monte Carlo and sensitivity of a project.

    Kinds only; :func:`gepcalc.project.uncertainty.parse_uncertainty` checks the ranges (draws ≥ 1,
    shares in (0, 1), a known distribution).
    """

    run: Flag = None
    draws: Whole = None
    seed: Whole = None
    distribution: Text = None
    physical: Flag = None
    sensitivity: Rate = None
    tables: Names = None
    investment: Rate = None
    revenue: Rate = None


class FinancingSection(Section):
    """``[financing]``: capital, loans, bonds, subsidies, benchmarks, tax and the economic analysis."""

    unit: Text = None
    capital_share: Rate = None
    capital: dict[Any, Any] | None = None
    loans: dict[str, DebtSection] | None = None
    bonds: dict[str, DebtSection] | None = None
    subsidies: dict[str, SubsidySection] | None = None
    benchmark_rate: Rate = None
    capital_benchmark: Rate = None
    income_tax: Rate = None
    depreciation_years: Whole = None
    dscr_required: Number = None
    economic: EconomicSection | None = None
    note: Text = None


class ProjectFile(FileSchema):
    """A PROJECT.toml (or a dict of the same shape): :func:`gepcalc.project.load_project`."""

    TOP: ClassVar[str] = "the file's sections"
    HINTS: ClassVar[dict[tuple, str]] = {
        ("project", "boundary"): 'needs `boundary = "FILE"` (the project boundary polygon(s))',
        ("project",): 'needs [project] with `boundary = "FILE"` (the project boundary polygon(s))',
    }

    project: ProjectSection
    schedule: ScheduleSection | None = None
    baseline: ScenarioSection | None = None
    with_project: ScenarioSection | None = None
    eod: EODSection | None = None
    financing: FinancingSection | None = None
    uncertainty: UncertaintySection | None = None
    output: dict[str, Any] | None = None
