"""Coefficient tables: values in CSV, metadata in a TOML sidecar.

A table is ``NAME.csv`` (values) plus ``NAME.toml`` (units per column, allowed
ranges, index column, sources with clause and year, price base year); the format
is described in ``docs/tables.md``.  :func:`load_table` validates the pair and
raises one :class:`~gepcalc.errors.CoefficientTableError` listing every problem.

A CSV header may carry a unit in brackets (``rate [t/km**2/yr]``); that unit is
checked against the declared one and the values converted, so a table written in
t/km² where t/ha is declared is converted, and one in kg where t/ha is declared is
refused.  Tables are immutable: :meth:`CoefficientTable.override` returns a copy.

The package holds:

* :mod:`~gepcalc.tables.model`: :class:`CoefficientTable`, :class:`Column`, :class:`Source`
  (lookups, units, statuses, overrides) and the words a table may use;
* :mod:`~gepcalc.tables.read`: :func:`load_table`, finding and reading the CSV + TOML pair;
* :mod:`~gepcalc.tables.metadata`: the TOML sidecar's columns and sources;
* :mod:`~gepcalc.tables.checks`: value checks (declared bounds, range columns);
* :mod:`~gepcalc.tables.report`: :func:`table_summary`, :func:`status_counts`, :func:`sources_report`.
"""

from gepcalc.tables.model import (
    COLUMN_TYPES,
    EMPTY,
    INDEX_KINDS,
    SOURCE_STATUSES,
    STATUS_ORDER,
    CoefficientTable,
    Column,
    Source,
    lookup_array,
)
from gepcalc.tables.read import HEADER_UNIT, builtin_tables, coefficients_dir, load_table
from gepcalc.tables.report import sources_report, status_counts, table_summary

__all__ = [
    "COLUMN_TYPES",
    "EMPTY",
    "HEADER_UNIT",
    "INDEX_KINDS",
    "SOURCE_STATUSES",
    "STATUS_ORDER",
    "CoefficientTable",
    "Column",
    "Source",
    "builtin_tables",
    "coefficients_dir",
    "load_table",
    "lookup_array",
    "sources_report",
    "status_counts",
    "table_summary",
]
