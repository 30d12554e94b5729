"""A project's definition: boundary, baseline and with-project inputs, schedule (TOML or dict → :class:`Project`).

The TOML format is documented in ``docs/project.md``; in short::

    [project]
    name = "..."
    boundary = "boundary.geojson"        # polygon(s); boundary_layer, boundary_field optional
    price_year = 2020                    # landcover_classes, profile, services, methods, items, year too

    [schedule]
    start_year = 2025
    horizon = 20                          # years appraised
    construction = [2025, 2026]           # effect 0 in these years
    ramp_up = 3                           # linear over 3 years, or a list of fractions
    discount_rate = "6 %"

    [baseline]                            # without project
    landcover = "lc.tif"
    inputs = "inputs.toml"                # a file with an [inputs] section, or a table of inputs
    [with_project]                        # only what changes (the rest is the baseline's)
    landcover = "lc_with.tif"
    [with_project.overrides.prices.carbon_price]
    price = "60 CNY/t"

    # [eod], [financing] (capital, loans, bonds, subsidies), [uncertainty], [output]: see docs/project.md

Relative paths are relative to the TOML file (for a dict: to ``base``, default the
working directory).  Nothing is read from disk here except the inputs files; the
rasters and the boundary are opened when the project runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gepcalc.config import parse_inputs
from gepcalc.errors import ConfigError
from gepcalc.io import read_toml
from gepcalc.project.amounts import parse_flow, parse_rate
from gepcalc.project.finance.plan import Financing, parse_financing
from gepcalc.project.schedule import Schedule, cumulative_ramp, linear_ramp
from gepcalc.schema import InputsFile, ProjectFile, ProjectSection, ScenarioSection, ScheduleSection, validate

#: the file's sections and keys (the schema: :class:`gepcalc.schema.ProjectFile`)
SECTIONS = set(ProjectFile.model_fields)
#: keys of [project] passed on to gepcalc.account for both accounts
ACCOUNT_KEYS = (
    "landcover_classes",
    "profile",
    "services",
    "methods",
    "items",
    "ecosystems",
    "year",
    "price_year",
    "price_index",
    "price_region",
    "chunks",
)
PROJECT_KEYS = set(ProjectSection.model_fields)
SCENARIO_KEYS = set(ScenarioSection.model_fields)
SCHEDULE_KEYS = set(ScheduleSection.model_fields)


@dataclass(frozen=True)
class Scenario:
    """Inputs of one state (baseline or with-project), as :func:`gepcalc.account` takes them."""

    landcover: Any
    inputs: dict = field(default_factory=dict)
    tables: dict = field(default_factory=dict)
    overrides: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Project:
    """A project: where, what changes, when, and how it is appraised.

    Attributes
    ----------
    name
        Project name (also the boundary's region name when it is one polygon).
    boundary
        Polygon file or GeoDataFrame; ``boundary_layer`` and ``boundary_field`` select a layer and name the parts.
    baseline, with_project
        The two states' land cover, inputs, tables and overrides.
    schedule
        Construction, ramp-up, horizon and discounting.
    account
        Keyword arguments of :func:`gepcalc.account` common to both states (price year, tables' profile…).
    eod, uncertainty, output
        The raw ``[eod]``, ``[uncertainty]`` and ``[output]`` sections (parsed by their modules).
    financing
        The ``[financing]`` plan, parsed and checked against the schedule and the ``[eod]`` investment
        (:class:`gepcalc.project.finance.Financing`), or None.
    source
        The TOML file (or ``"dict"``), for messages; ``base`` resolves relative paths.
    """

    name: str
    boundary: Any
    baseline: Scenario
    with_project: Scenario
    schedule: Schedule
    boundary_layer: str | None = None
    boundary_field: str | None = None
    account: dict = field(default_factory=dict)
    eod: dict = field(default_factory=dict)
    uncertainty: dict = field(default_factory=dict)
    output: dict = field(default_factory=dict)
    financing: Any = None
    description: str = ""
    source: str = "dict"
    base: Path = field(default_factory=Path.cwd)


def load_project(spec: str | Path | Mapping, *, base: str | Path | None = None) -> Project:
    """Read a project from a TOML file or a dict of the same shape.

    Parameters
    ----------
    spec
        Path of a PROJECT.toml, or a dict (values may also be Python objects: a
        GeoDataFrame boundary, DataArray land covers, CoefficientTable tables).
    base
        Folder relative paths of a dict refer to (default: the working directory).

    Raises
    ------
    ConfigError
        Unknown sections or keys, values of the wrong kind, a missing boundary or land cover, or an
        impossible schedule, naming the file and the key; the schema's problems
        (:class:`gepcalc.schema.ProjectFile`) all at once.
    """
    if isinstance(spec, str | Path):
        path = Path(spec).resolve()
        raw = read_toml(path, "project file", ConfigError)
        base_dir, where = path.parent, str(path)
    elif isinstance(spec, Mapping):
        raw = dict(spec)
        base_dir, where = Path(base or Path.cwd()).resolve(), "project dict"
    else:
        raise ConfigError(f"a project is a TOML file path or a dict, not a {type(spec).__name__}")
    validate(ProjectFile, raw, where)
    proj = dict(raw["project"])
    if proj.get("boundary") is None:
        raise ConfigError(f'{where}: [project] needs `boundary = "FILE"` (the project boundary polygon(s))')

    base_sc = _scenario(raw.get("baseline", {}), None, base_dir, f"{where} [baseline]")
    with_sc = _scenario(raw.get("with_project", {}), base_sc, base_dir, f"{where} [with_project]")
    account = {k: proj[k] for k in ACCOUNT_KEYS if k in proj}
    for key in ("landcover_classes", "profile"):
        v = account.get(key)
        if isinstance(v, str) and Path(v).suffix in (".csv", ".toml"):
            account[key] = _rel(v, base_dir)
    schedule = parse_schedule(raw.get("schedule", {}), f"{where} [schedule]")
    return Project(
        name=str(proj.get("name", "project")),
        description=str(proj.get("description", "")),
        boundary=_rel(proj["boundary"], base_dir),
        boundary_layer=proj.get("boundary_layer"),
        boundary_field=proj.get("boundary_field"),
        baseline=base_sc,
        with_project=with_sc,
        schedule=schedule,
        account=account,
        eod=dict(raw.get("eod", {})),
        financing=parse_financing_section(raw, schedule, where),
        uncertainty=dict(raw.get("uncertainty", {})),
        output={k: (_rel(v, base_dir) if k == "dir" else v) for k, v in dict(raw.get("output", {})).items()},
        source=where,
        base=base_dir,
    )


def parse_financing_section(raw: Mapping, schedule: Schedule, where: str) -> Financing | None:
    """``[financing]`` → :class:`~gepcalc.project.finance.Financing` (None without the section).

    The plan is checked against the ``[eod]`` investment (in the ``[eod]`` unit unless
    ``[financing] unit`` says otherwise): sources adding up to the investment year by year,
    shares adding up to 1, rates ≥ 0, loan terms within the horizon
    (:func:`~gepcalc.project.finance.parse_financing`).
    """
    if raw.get("financing") is None:
        return None
    eod = raw.get("eod") or {}
    if not isinstance(eod, Mapping) or "investment" not in eod:
        raise ConfigError(f"{where}: [financing] needs the construction investment by year in [eod] investment")
    unit = str(eod.get("unit", "万元"))
    inv = parse_flow(eod["investment"], schedule, unit, f"{where} [eod] investment")
    return parse_financing(raw["financing"], schedule, inv, unit=unit, where=where)


def parse_schedule(raw: Mapping, where: str) -> Schedule:
    """``[schedule]`` → :class:`Schedule` (see the module docstring; keys and kinds: :class:`ScheduleSection`)."""
    validate(ScheduleSection, raw, where)
    construction = raw.get("construction", [])
    if isinstance(construction, int):
        construction = [construction]
    ramp = raw.get("ramp_up", [1.0])
    if isinstance(ramp, int | float):
        fractions = linear_ramp(ramp) if ramp >= 1 else _bad_ramp(ramp, where)
    else:
        fractions = cumulative_ramp(ramp, cumulative=bool(raw.get("cumulative", True)), where=f"{where} ramp_up")
    return Schedule(
        start_year=int(raw["start_year"]),
        horizon=int(raw["horizon"]),
        construction_years=tuple(int(y) for y in construction),
        ramp_up=tuple(fractions),
        discount_rate=parse_rate(raw.get("discount_rate", 0.0), f"{where} discount_rate"),
        base_year=raw.get("base_year"),
        timing=str(raw.get("timing", "end")),
        where=where,
    )


def _bad_ramp(ramp, where):
    raise ConfigError(
        f"{where}: `ramp_up = {ramp!r}`: a number means a linear ramp over that many years (≥ 1); "
        "give fractions as a list, e.g. [0.5, 1.0]"
    )


def _scenario(raw: Mapping, parent: Scenario | None, base: Path, where: str) -> Scenario:
    """One state (keys and kinds already checked by :class:`ProjectFile`)."""
    landcover = raw.get("landcover", parent.landcover if parent else None)
    if landcover is None:
        raise ConfigError(f'{where} needs `landcover = "FILE"` (the land-cover raster of this state)')
    if "landcover" in raw:
        landcover = _rel(landcover, base)
    inputs = dict(parent.inputs) if parent else {}
    given = raw.get("inputs", {})
    if isinstance(given, str | Path):
        ipath = base / given
        iraw = read_toml(ipath, "inputs file", ConfigError)
        validate(InputsFile, iraw, str(ipath))
        inputs.update(parse_inputs(iraw.get("inputs", {}), ipath.parent, where=str(ipath)))
    elif isinstance(given, Mapping):
        plain = {k: v for k, v in given.items() if isinstance(v, str | int | float | Mapping) and not _obj_map(v)}
        inputs.update(parse_inputs(plain, base, where=where))
        inputs.update({k: v for k, v in given.items() if k not in plain})
    else:
        raise ConfigError(f"{where}: `inputs` is a file name or a table of inputs, got {given!r}")
    tables = dict(parent.tables) if parent else {}
    for k, v in dict(raw.get("tables", {})).items():
        tables[k] = _rel(v, base) if isinstance(v, str) and Path(v).suffix in (".csv", ".toml") else v
    overrides = merge_overrides(parent.overrides if parent else {}, raw.get("overrides", {}))
    return Scenario(landcover=landcover, inputs=inputs, tables=tables, overrides=overrides)


def merge_overrides(a: Mapping, b: Mapping) -> dict:
    """``{table: {row: {column: value}}}`` of ``a`` updated cell by cell with ``b`` (new dicts)."""
    out = {t: {r: dict(c) for r, c in rows.items()} for t, rows in a.items()}
    for t, rows in (b or {}).items():
        for r, cols in rows.items():
            out.setdefault(t, {}).setdefault(r, {}).update(cols)
    return out


def _obj_map(v) -> bool:
    """A mapping holding Python objects (not TOML values): pass it on unchanged."""
    return isinstance(v, Mapping) and any(not isinstance(x, str | int | float | Mapping | list) for x in v.values())


def _rel(value: Any, base: Path) -> Any:
    if isinstance(value, str | Path):
        return str((base / value).resolve())
    return value
