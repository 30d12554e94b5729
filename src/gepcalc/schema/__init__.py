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

The package holds, by kind of file: :mod:`~gepcalc.schema.account` (account configs and input
files), :mod:`~gepcalc.schema.project`, :mod:`~gepcalc.schema.portfolio`,
:mod:`~gepcalc.schema.table_meta` (coefficient-table metadata); shared by them:
:mod:`~gepcalc.schema.fields` (kinds of values), :mod:`~gepcalc.schema.base` (:class:`Section`,
:class:`FileSchema`) and :mod:`~gepcalc.schema.messages` (:func:`validate`, :func:`check`, the
problem lines).
"""

from gepcalc.schema.account import (
    AccountFile,
    AccountSection,
    Input,
    Inputs,
    InputsFile,
    InputTable,
    OutputSection,
    Overrides,
)
from gepcalc.schema.base import FileSchema, Section
from gepcalc.schema.fields import (
    Amount,
    File,
    Files,
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
)
from gepcalc.schema.messages import M, check, config_error, problems, validate
from gepcalc.schema.portfolio import MonitoredData, PortfolioEntry, PortfolioFile
from gepcalc.schema.project import (
    DebtSection,
    EconomicSection,
    EODSection,
    FinancingSection,
    MonetisedSection,
    ProjectFile,
    ProjectSection,
    ScenarioInputs,
    ScenarioSection,
    ScheduleSection,
    SubsidySection,
    UncertaintySection,
)
from gepcalc.schema.table_meta import ColumnMeta, SourceMeta, TableMeta

__all__ = [
    "AccountFile",
    "AccountSection",
    "Amount",
    "ColumnMeta",
    "DebtSection",
    "EODSection",
    "EconomicSection",
    "File",
    "FileSchema",
    "Files",
    "FinancingSection",
    "Flag",
    "Input",
    "InputTable",
    "Inputs",
    "InputsFile",
    "M",
    "MonetisedSection",
    "MonitoredData",
    "NameOrNames",
    "Names",
    "Number",
    "OutputSection",
    "Overrides",
    "PortfolioEntry",
    "PortfolioFile",
    "ProjectFile",
    "ProjectSection",
    "Ramp",
    "Rate",
    "ScenarioInputs",
    "ScenarioSection",
    "ScheduleSection",
    "Section",
    "Services",
    "SourceMeta",
    "SubsidySection",
    "TableMeta",
    "Text",
    "UncertaintySection",
    "Whole",
    "Year",
    "Years",
    "check",
    "config_error",
    "problems",
    "validate",
]
