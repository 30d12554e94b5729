"""Schemas of the configuration files: account, project and portfolio TOML as pydantic models.

Each TOML table is a :class:`Section` (``extra="forbid"``): a key the schema does not know is
refused with the closest known key, a value of the wrong kind is named with what was
expected, and **every** problem of a file is reported at once in one
:class:`~gepcalc.errors.ConfigError` (:func:`validate`)::

    account.toml: 3 problems:
      - unknown key(s) ['landcovr'] in [account] (did you mean 'landcovr' → 'landcover'?); expected [...]
      - [account] `year` must be a whole number (a year), got '2020'
      - unknown key(s) ['dri'] in [output] (did you mean 'dri' → 'dir'?); expected ['csv', 'dir', 'xlsx']

The models check structure and kinds only; the parse functions of :mod:`gepcalc.config`,
:mod:`gepcalc.project.definition`, :mod:`gepcalc.project.eod` and :mod:`gepcalc.project.finance`
keep converting the values (paths relative to the file, units, rates, flows by year) and
checking what depends on several values (shares adding up to 1, years within the horizon).
A project given as a Python dict may hold objects (a GeoDataFrame boundary, a DataArray land
cover, a CoefficientTable): those fields accept any value.
"""

from __future__ import annotations

import difflib
import numbers
import os
import re
import types
from collections.abc import Callable, Mapping
from typing import Annotated, Any, ClassVar, TypeVar, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Tag, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from gepcalc.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


# -- kinds of values ---------------------------------------------------------------------------------------


def _expect(test: Callable[[Any], bool], expected: str) -> Any:
    """A field type accepting any value that passes ``test`` (or None: not given); else "must be {expected}"."""

    def check(value: Any) -> Any:
        if value is not None and not test(value):
            raise PydanticCustomError("expected", "must be {expected}", {"expected": expected})
        return value

    return Annotated[Any, AfterValidator(check)]


def _whole(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _number(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _year(key: Any) -> bool:
    """A table key that is a year: ``2028`` or ``"2028"``."""
    try:
        int(key)
    except (TypeError, ValueError):
        return False
    return True


def _texts(v: Any) -> bool:
    return isinstance(v, list | tuple) and all(isinstance(x, str) for x in v)


Text = _expect(lambda v: isinstance(v, str), "a text (in quotes)")
Flag = _expect(lambda v: isinstance(v, bool), "true or false")
Whole = _expect(_whole, "a whole number")
Year = _expect(_whole, "a whole number (a year)")
Number = _expect(_number, "a number")


def _quantity(v: Any) -> bool:
    """A number, a text with its unit, or (from Python) a pint Quantity."""
    return _number(v) or isinstance(v, str) or hasattr(v, "magnitude")


Rate = _expect(_quantity, "a rate such as 0.06 or '6 %'")
Amount = _expect(_quantity, "an amount such as 500 or '500 万元'")
File = _expect(lambda v: isinstance(v, str | os.PathLike), "a file name (in quotes)")
Files = _expect(lambda v: isinstance(v, str | os.PathLike) or _texts(v), "a file name or a list of file names")
Names = _expect(_texts, "a list of names")
NameOrNames = _expect(lambda v: isinstance(v, str) or _texts(v), "a name or a list of names")
Years = _expect(
    lambda v: _whole(v) or (isinstance(v, list | tuple) and all(map(_whole, v))), "a year or a list of years"
)
Ramp = _expect(
    lambda v: _number(v) or (isinstance(v, list | tuple) and all(map(_number, v))),
    "a number of years or a list of fractions",
)
Services = _expect(
    lambda v: isinstance(v, list | tuple) and all(isinstance(x, str | type) for x in v), "a list of service ids"
)


def _table_or_value(v: Any) -> str:
    """Discriminator: a TOML table (a mapping of plain values) or anything else."""
    if isinstance(v, Mapping) and not any(not isinstance(x, str | int | float | Mapping | list) for x in v.values()):
        return "<table>"
    return "<value>"


def _either(table: type[BaseModel], value: Any = Any) -> Any:
    """``table`` when the value is a table of plain values, else ``value`` (tags are left out of messages)."""
    return Annotated[
        Union[Annotated[table, Tag("<table>")], Annotated[value, Tag("<value>")]],  # noqa: UP007
        Discriminator(_table_or_value),
    ]


# -- tables ------------------------------------------------------------------------------------------------


class Section(BaseModel):
    """A TOML table: unknown keys are refused (``extra="forbid"``); every field is optional unless stated.

    :meth:`rules` adds the checks across keys of a table; they are reported together with the
    problems of its keys (pydantic's ``after`` validators would run only once the keys are right).
    """

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def rules(cls, raw: Mapping) -> list[str]:
        """Problems across keys of ``raw`` (e.g. "needs `value`, `raster` or `values`"); none by default."""
        return []

    @model_validator(mode="wrap")
    @classmethod
    def _with_rules(cls, data: Any, handler: Any) -> Any:
        found = [
            InitErrorDetails(type=PydanticCustomError("needs", text), loc=(), input=data)
            for text in (cls.rules(data) if isinstance(data, Mapping) else [])
        ]
        try:
            out = handler(data)
        except ValidationError as exc:
            errors = [
                InitErrorDetails(
                    type=PydanticCustomError(e["type"], e["msg"].replace("{", "{{").replace("}", "}}")),
                    loc=e["loc"],
                    input=e["input"],
                )
                for e in exc.errors()
            ]
            raise ValidationError.from_exception_data(cls.__name__, errors + found) from None
        if found:
            raise ValidationError.from_exception_data(cls.__name__, found)
        return out


class FileSchema(Section):
    """A whole file. ``HINTS`` maps a location (``"*"`` any key) to the phrase for a missing or wrong value."""

    HINTS: ClassVar[dict[tuple, str]] = {}
    TOP: ClassVar[str] = ""

    @classmethod
    def label(cls, loc: tuple, raw: Any) -> str | None:
        """A file's own name for the table at ``loc`` (None: ``[a.b]``)."""
        return None


class InputTable(Section):
    """One input as a table: ``{value, unit}`` (with ``region``), ``{raster, unit}`` or ``{unit, values}``."""

    value: Amount = None
    unit: Text = None
    raster: File = None
    values: dict[str, Amount] | None = None
    region: _expect(lambda v: isinstance(v, str | int) and not isinstance(v, bool), "a region name") = None
    source: Text = None
    note: Text = None
    name_zh: Text = None
    name_en: Text = None

    @classmethod
    def rules(cls, raw: Mapping) -> list[str]:
        if not {"raster", "value", "values"} & set(raw):
            return ["needs `value`, `raster` or `values` (with `unit`)"]
        if "value" in raw and "unit" not in raw:
            return ["has a value but no `unit`"]
        return []


#: an input: a value with its unit ("1430 mm/yr"), a number, a table, or (from Python) an object
Input = _either(InputTable)
Inputs = dict[str, Input]
Overrides = dict[str, dict[Any, dict[str, Any]]]


class AccountSection(Section):
    """``[account]`` of an account config (keyword arguments of :func:`gepcalc.account`)."""

    title: Text = None
    landcover: File = None
    landcover_classes: _expect(lambda v: isinstance(v, str | bool), "a table name or file") = None
    regions: _expect(lambda v: isinstance(v, str | Mapping), "a file name or { adcode = …, level = … }") = None
    region_field: Text = None
    region_name: Text = None
    year: Year = None
    price_year: Year = None
    scenario: Text = None
    profile: Text = None
    services: Names = None
    methods: dict[str, Text] | None = None
    items: dict[str, Names] | None = None
    ecosystems: dict[str, Names] | None = None
    inputs: File = None
    lines: Files = None
    price_index: _expect(lambda v: isinstance(v, str | bool), "a price-index name or false") = None
    price_region: NameOrNames = None
    chunks: Any = None
    missing: _expect(lambda v: v in ("error", "list"), "'error' or 'list'") = None
    areas: dict[str, dict[str, Any]] | None = None


class OutputSection(Section):
    """``[output]`` of an account config: where the tables are written (relative to the file)."""

    dir: File = None
    csv: File = None
    xlsx: File = None


class AccountFile(FileSchema):
    """An account config (``gepcalc account CONFIG.toml``, :func:`gepcalc.config.load_config`)."""

    TOP: ClassVar[str] = "the file's sections"
    HINTS: ClassVar[dict[tuple, str]] = {
        ("overrides", "*"): "must hold one table per row, e.g. [overrides.{1}.<row>] with column = value lines",
        ("overrides", "*", "*"): "must be a table of column = value lines",
    }

    account: AccountSection | None = None
    inputs: Inputs | None = None
    statistics: dict[str, Files] | None = None
    tables: dict[str, Text] | None = None
    overrides: Overrides | None = None
    output: OutputSection | None = None

    @classmethod
    def rules(cls, raw: Mapping) -> list[str]:
        acc = raw.get("account")
        acc = acc if isinstance(acc, Mapping) else {}
        if "landcover" not in acc and "lines" not in acc and "statistics" not in raw:
            return [
                '[account] needs `landcover = "FILE"` (the land-cover raster), or `lines = [...]` / a '
                "[statistics] section for an account made of reported quantities only"
            ]
        return []


class InputsFile(BaseModel):
    """A file of inputs (``inputs = "inputs.toml"``): its ``[inputs]`` table; other tables (sources) are notes."""

    model_config = ConfigDict(extra="allow")
    inputs: Inputs | None = None


# -- project -----------------------------------------------------------------------------------------------


class ProjectSection(Section):
    """``[project]``: name, boundary and the keyword arguments of :func:`gepcalc.account` common to both states."""

    name: Text = None
    name_zh: Text = None
    description: Text = None
    boundary: Any  # a file name, or (from Python) a GeoDataFrame
    boundary_layer: _expect(lambda v: isinstance(v, str | int) and not isinstance(v, bool), "a layer name") = None
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
            _expect(lambda v: isinstance(v, str | os.PathLike), "a file name or a table of inputs"), Tag("<file>")
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
    uncertainty: dict[str, Any] | None = None  # keys checked by gepcalc.project.uncertainty
    output: dict[str, Any] | None = None


# -- portfolio ---------------------------------------------------------------------------------------------


class MonitoredData(Section):
    """Monitored data of one year: the land cover surveyed (an account on the boundary − the baseline)."""

    landcover: File


class PortfolioEntry(Section):
    """``[[projects]]``: a project's name, its PROJECT.toml and monitored ΔGEP by year."""

    name: Text
    project: File
    monitored: dict[str, _either(MonitoredData, Amount)] | None = None

    @classmethod
    def rules(cls, raw: Mapping) -> list[str]:
        mon = raw.get("monitored")
        return [
            f"monitored year {y!r} is not a year" for y in (mon if isinstance(mon, Mapping) else ()) if not _year(y)
        ]


class PortfolioFile(FileSchema):
    """A PORTFOLIO.toml: :func:`gepcalc.project.portfolio.load_portfolio`."""

    HINTS: ClassVar[dict[tuple, str]] = {
        ("projects", "*", "name"): "has no `name` (the project's name)",
        ("projects", "*", "project"): "has no `project` (its PROJECT.toml, relative to this file)",
        (
            "projects",
            "*",
            "monitored",
            "*",
            "landcover",
        ): 'monitored data needs `landcover = "FILE"` (or give an amount)',
        ("projects",): "needs [[projects]] entries (each with `name` and `project`)",
    }

    projects: list[PortfolioEntry]

    @classmethod
    def rules(cls, raw: Mapping) -> list[str]:
        entries = raw.get("projects")
        if not isinstance(entries, list):
            return []  # missing or not a list: pydantic says so
        if not entries:
            return ["needs [[projects]] entries (each with `name` and `project`)"]
        names = [str(p["name"]) for p in entries if isinstance(p, Mapping) and "name" in p]
        return [
            f"project name {n!r} appears twice in [[projects]]"
            for n in sorted({n for n in names if names.count(n) > 1})
        ]

    @classmethod
    def label(cls, loc: tuple, raw: Any) -> str | None:
        if len(loc) >= 4 and loc[0] == "projects" and loc[2] == "monitored":
            try:
                name = raw["projects"][loc[1]]["name"]
            except (KeyError, IndexError, TypeError):
                name = f"entry {loc[1] + 1}"
            return f"project {name!r}, monitored year {loc[3]!r}"
        return None


# -- coefficient-table metadata ---------------------------------------------------------------------------


class ColumnMeta(Section):
    """``[columns.NAME]`` of a table's metadata (``docs/tables.md``): kind, unit, bounds."""

    type: Text = None
    unit: Text = None
    unit_column: Text = None
    min: Number = None
    max: Number = None
    description: Text = None


class SourceMeta(Section):
    """``[sources.ID]`` of a table's metadata: the document a row's value comes from and its status."""

    document: Text = None
    clause: Text = None
    year: Year = None
    status: Text = None
    url: Text = None
    note: Text = None


class TableMeta(FileSchema):
    """A coefficient table's metadata (``NAME.toml`` beside ``NAME.csv``, or ``meta=``): keys and kinds.

    What depends on the CSV (declared columns present, the index column, sources of every row) and
    the allowed words (column types, source statuses) are checked by :func:`gepcalc.tables.load_table`.
    """

    TOP: ClassVar[str] = "the metadata"

    name: Text = None
    title: Text = None
    title_zh: Text = None
    description: Text = None
    index: Text = None
    index_kind: Text = None
    price_year: Year = None
    default_source: Text = None
    columns: dict[str, ColumnMeta] | None = None
    sources: dict[str, SourceMeta] | None = None


# -- messages ----------------------------------------------------------------------------------------------

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _key(k: Any) -> str:
    return str(k) if _BARE.fullmatch(str(k)) else f'"{k}"'


def _table(loc: tuple) -> str:
    """``("financing", "loans", "bank")`` → ``[financing.loans.bank]``; list entries as ``[[projects]] entry 1``."""
    out, parts = "", []
    for x in loc:
        if isinstance(x, int):
            out = f"{out + ' ' if out else ''}[[{'.'.join(parts)}]] entry {x + 1}"
            parts = []
        else:
            parts.append(_key(x))
    if parts:
        out = f"{out + ' ' if out else ''}[{'.'.join(parts)}]"
    return out


def _unwrap(tp: Any) -> Any:
    """The model inside ``Annotated``, ``X | None`` and tagged unions, else ``tp``."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin is Union or origin is types.UnionType:
            args = [_unwrap(a) for a in get_args(tp) if a is not type(None)]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            tables = [a for a in args if get_origin(a) in (dict, list)]
            if not (models or tables):
                return tp
            tp = (models or tables)[0]
        else:
            return tp


def _model_at(root: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The model class of the table at ``loc`` (None if the location is not a model)."""
    tp: Any = root
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(part) if isinstance(part, str) else None
            if field is None:
                return None
            tp = field.annotation
        elif get_origin(tp) in (dict, Mapping):
            tp = get_args(tp)[1]
        elif get_origin(tp) in (list, tuple):
            tp = get_args(tp)[0]
        else:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _hint(root: type[FileSchema], loc: tuple) -> str | None:
    for pattern, phrase in getattr(root, "HINTS", {}).items():
        if len(pattern) == len(loc) and all(p == "*" or p == x for p, x in zip(pattern, loc, strict=True)):
            return phrase.format(*loc)
    return None


def _place(root: type[FileSchema], loc: tuple, raw: Any) -> str:
    if issubclass(root, FileSchema) and (label := root.label(loc, raw)) is not None:
        return label
    return _table(loc)


def _at(where: str, text: str) -> str:
    """``[account] needs …`` after a table, ``project 'east', monitored year '2028': …`` after a label."""
    if not where:
        return text
    return f"{where} {text}" if where[0] in "[`" else f"{where}: {text}"


def _unknown(bad: list[str], allowed: list[str], place: str, top: str) -> str:
    """``unknown key(s) ['landcovr'] in [account] (did you mean 'landcovr' → 'landcover'?); expected [...]``."""
    near = {k: difflib.get_close_matches(k, allowed, n=1, cutoff=0.6) for k in bad}
    hints = ", ".join(f"{k!r} → {m[0]!r}" for k, m in near.items() if m)
    text = f"unknown key(s) {bad}"
    if place.startswith("["):
        text += f" in {place}"
    elif place:
        text = f"{place}: {text}"
    elif top:
        text += f" in {top}"
    return text + (f" (did you mean {hints}?)" if hints else "") + f"; expected {allowed}"


def _got(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def problems(exc: ValidationError, root: type[BaseModel], raw: Any) -> list[str]:
    """One line per problem of ``exc`` (unknown keys of one table together), naming the table and the key."""
    out: list[str | tuple] = []  # a tuple: the table of unknown keys, written once all are collected
    unknown: dict[tuple, list[str]] = {}
    for err in exc.errors():
        loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and x.startswith("<") and x.endswith(">")))
        kind = err["type"]
        if kind == "extra_forbidden":
            if loc[:-1] not in unknown:
                unknown[loc[:-1]] = []
                out.append(loc[:-1])
            unknown[loc[:-1]].append(str(loc[-1]))
            continue
        hint = _hint(root, loc)
        if kind == "missing":
            out.append(_at(_place(root, loc[:-1], raw), hint or f"needs `{loc[-1]}`"))
        elif kind in ("dict_type", "model_type", "model_attributes_type", "list_type", "needs"):
            where = _place(root, loc, raw)
            what = "a list" if kind == "list_type" else "a table"
            text = err["msg"] if kind == "needs" else f"{hint or 'must be ' + what} (got {_got(err['input'])})"
            out.append(_at(where, text))
        elif kind == "expected":
            text = f"{hint or err['msg']}, got {_got(err['input'])}"
            label = root.label(loc, raw) if issubclass(root, FileSchema) else None
            out.append(_at(label, text) if label else _at(f"{_place(root, loc[:-1], raw)} `{loc[-1]}`".strip(), text))
        else:
            out.append(f"{_place(root, loc, raw) or 'the file'}: {err['msg']}")
    top = getattr(root, "TOP", "")
    lines = []
    for item in out:
        if isinstance(item, tuple):
            model = _model_at(root, item)
            allowed = sorted(model.model_fields) if model else []
            lines.append(_unknown(sorted(unknown[item]), allowed, _place(root, item, raw), top))
        else:
            lines.append(item)
    return lines


def config_error(exc: ValidationError, root: type[BaseModel], raw: Any, where: str) -> ConfigError:
    """A :class:`ConfigError` naming ``where`` (the file) and every problem of ``exc`` at once.

    One problem: ``"{where}: {problem}"``; several: ``"{where}: N problems:"`` and one line each.
    The problems are also in the error's ``problems`` attribute.
    """
    lines = problems(exc, root, raw)
    if len(lines) == 1:
        err = ConfigError(f"{where}: {lines[0]}")
    else:
        err = ConfigError(f"{where}: {len(lines)} problems:\n" + "\n".join(f"  - {line}" for line in lines))
    err.problems = lines
    return err


def check(model: type[BaseModel], raw: Mapping) -> list[str]:
    """The problems of ``raw`` against ``model``, one line each (empty: none), without raising."""
    try:
        model.model_validate(dict(raw))
    except ValidationError as exc:
        return problems(exc, model, raw)
    return []


def validate(model: type[M], raw: Any, where: str) -> M:
    """``raw`` checked against ``model``; every problem at once in one ConfigError naming ``where``.

    Parameters
    ----------
    model
        A schema of this module (:class:`AccountFile`, :class:`ProjectFile`, :class:`ScheduleSection` …).
    raw
        The table read from TOML (or the dict given from Python).
    where
        The file (and section, for a section checked on its own), for messages.

    Raises
    ------
    ConfigError
        Unknown keys (with the closest known key), missing keys and values of the wrong kind, all listed.
    """
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where} must be a table, got {_got(raw)}")
    try:
        return model.model_validate(dict(raw))
    except ValidationError as exc:
        raise config_error(exc, model, raw, where) from None
