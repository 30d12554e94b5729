"""The coefficient-table objects: :class:`CoefficientTable`, its :class:`Column` and :class:`Source`.

What a table *is* once loaded (lookups, units, statuses, overrides on a copy) and the words a
table's metadata may use (index kinds, column types, source statuses).  Reading the CSV + TOML pair
is in :mod:`gepcalc.tables.read`, the metadata in :mod:`gepcalc.tables.metadata`, the value
checks in :mod:`gepcalc.tables.checks`, summaries and reports in :mod:`gepcalc.tables.report`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pint

from gepcalc.errors import CoefficientTableError, TableProblem, UnitError, did_you_mean
from gepcalc.tables.checks import check_bounds
from gepcalc.units import Q_, magnitude_in

#: What a table's index holds: ecosystem ids, integer land-cover codes, or item names.
INDEX_KINDS = ("ecosystem", "landcover", "item")
#: Kinds of a column's cells.
COLUMN_TYPES = ("float", "int", "bool", "text")
#: How a value was read.  ``primary``: in the standard's own text; ``account``: the value a named
#: published account used (note: paper + table); ``secondary``: a paper quoting the standard (note:
#: paper + section); ``judgement``: gepcalc's reasoned choice (note: the reasoning); ``user``: an
#: override made at run time (internal).
SOURCE_STATUSES = ("primary", "account", "secondary", "judgement", "user")
#: Strongest first: a row with several sources counts under its weakest.
STATUS_ORDER = ("primary", "account", "secondary", "judgement", "user")
#: The count of a row whose value cells are all empty.
EMPTY = "empty"


@dataclass(frozen=True)
class Source:
    """Where a value comes from: document, clause/table/equation, year, status."""

    id: str
    document: str
    clause: str = ""
    year: int | None = None
    status: str = "primary"
    url: str = ""
    note: str = ""

    def cite(self) -> str:
        """One-line citation, e.g. ``"Doc, Table 3 (2020)"``, plus ``[status]`` when not primary."""
        parts = [self.document.rstrip(".")]
        if self.clause:
            parts.append(self.clause)
        text = ", ".join(parts) + (f" ({self.year})" if self.year else "")
        return text + ("" if self.status == "primary" else f" [{self.status}]")


@dataclass(frozen=True)
class Column:
    """Declared type, unit and allowed range of one table column."""

    name: str
    type: str = "float"
    unit: str | None = None
    unit_column: str | None = None
    min: float | None = None
    max: float | None = None
    description: str = ""


@dataclass(frozen=True)
class CoefficientTable:
    """A validated coefficient table.

    Attributes
    ----------
    name, title, title_zh, description
        Identity and plain-words meaning.
    index, index_kind
        The column rows are looked up by, and what its keys are: ecosystem ids,
        integer land-cover codes, or item names (constants, prices).
    columns
        Declared :class:`Column` of every value column.
    sources
        :class:`Source` by id; every row's ``source`` cell names one or more.
    data
        The values, indexed by ``index``, converted to the declared units.
    path
        The CSV file it was read from (None when built in memory).
    price_year
        Price base year of monetary values, where the table holds money.
    """

    name: str
    index: str
    index_kind: str
    columns: dict[str, Column]
    sources: dict[str, Source]
    data: pd.DataFrame
    title: str = ""
    title_zh: str = ""
    description: str = ""
    path: Path | None = None
    price_year: int | None = None

    # -- lookup ----------------------------------------------------------------
    def __repr__(self) -> str:
        return f"<CoefficientTable {self.name!r}: {len(self.data)} rows, from {self.origin}>"

    @property
    def origin(self) -> str:
        """Where the table came from (file path or 'memory')."""
        return str(self.path) if self.path else "memory"

    @property
    def keys(self) -> list:
        """Row keys (index values)."""
        return list(self.data.index)

    def unit(self, column: str, row: Any = None) -> str:
        """Unit of ``column`` (of ``row`` for long tables with a unit column)."""
        col = self._column(column)
        if col.unit_column:
            if row is None:
                raise UnitError(f"table {self.name!r}: column {column!r} has a unit per row; name the row")
            return str(self.data.at[row, col.unit_column])
        return col.unit or "dimensionless"

    def quantity(self, row: Any, column: str) -> pint.Quantity:
        """The value at (row, column) as a pint Quantity."""
        self._row(row)
        return Q_(float(self.data.at[row, column]), self.unit(column, row))

    def values_in(self, column: str, unit: str) -> pd.Series:
        """All values of ``column`` converted to ``unit`` (a UnitError names the table)."""
        col = self._column(column)
        if col.type == "bool":
            return self.data[column].astype(float)
        where = f"column {column!r} of table {self.name!r} ({self.origin})"
        if col.unit_column:
            return pd.Series(
                [magnitude_in(self.quantity(k, column), unit, where=f"{where}, row {k!r}") for k in self.keys],
                index=self.data.index,
            )
        f = magnitude_in(Q_(1.0, self.unit(column)), unit, where=where)
        return self.data[column].astype(float) * f

    def source_of(self, row: Any) -> list[Source]:
        """Sources of one row."""
        self._row(row)
        return [self.sources[s] for s in split_ids(self.data.at[row, "source"])]

    def non_primary(self) -> pd.DataFrame:
        """Rows whose sources are not all primary (account, secondary, judgement or user values).

        Returns
        -------
        pandas.DataFrame
            Those rows, with a column ``status`` listing ``"source id: status"`` of each
            non-primary source.
        """
        flags = [
            ", ".join(f"{s.id}: {s.status}" for s in self.source_of(k) if s.status != "primary") for k in self.keys
        ]
        out = self.data.assign(status=flags)
        return out[out["status"] != ""]

    def value_columns(self) -> list[str]:
        """Value columns: the ``float`` columns without the range companions ``X_low``/``X_high``.

        Integer columns (years, codes) describe a row rather than hold its value.
        """
        numeric = [c for c, col in self.columns.items() if col.type == "float"]
        ranged = {f"{c}_{end}" for c in numeric for end in ("low", "high")}
        return [c for c in numeric if c not in ranged and c in self.data.columns]

    def row_status(self, row: Any) -> str:
        """Status a row counts under: ``"empty"`` when all its value cells are empty, else its weakest source.

        The order is ``primary > account > secondary > judgement`` (then the deprecated
        words and ``user``); a row citing a primary and a secondary source is ``secondary``.
        A table without float columns (land-cover mappings) has no empty rows.
        """
        self._row(row)
        cols = self.value_columns()
        if cols and self.data.loc[row, cols].isna().all():
            return EMPTY
        statuses = [s.status for s in self.source_of(row)]
        return max(statuses, key=_status_rank) if statuses else EMPTY

    def _column(self, column: str) -> Column:
        if column not in self.columns:
            raise KeyError(
                f"table {self.name!r} ({self.origin}) has no column {column!r}; it has {', '.join(self.columns)}"
            )
        return self.columns[column]

    def _row(self, row: Any) -> None:
        if row not in self.data.index:
            raise KeyError(f"table {self.name!r} ({self.origin}) has no row {row!r} in column {self.index!r}")

    # -- changes (always on a copy) ----------------------------------------------
    def override(
        self, values: Mapping[Any, Mapping[str, Any]], *, source: str = "user override", new_rows: bool = False
    ) -> CoefficientTable:
        """A copy with single values replaced.

        Parameters
        ----------
        values
            ``{row: {column: value}}``; a value may carry a unit (``"2.1 t/ha/yr"``,
            a pint Quantity) and is converted to the column's unit; a bare number is
            taken in the column's unit.  A row the table lacks is an error naming the
            closest row (a misspelt ``forrest`` must not add a row and leave ``forest`` at
            its default); a new row is added only when its key starts with ``+``
            (``{"+bamboo": {...}}``) or ``new_rows`` is True.
        source
            Text recorded as the changed rows' source (status ``user``).
        new_rows
            Allow rows the table lacks without the ``+`` mark.
        """
        data = self.data.copy()
        sources = dict(self.sources)
        sid = "override"
        sources[sid] = Source(sid, document=source, status="user")
        problems: list[Exception] = []
        for row, cols in values.items():
            add = isinstance(row, str) and row.startswith("+")
            key = _coerce_key(row[1:] if add else row, self.index_kind)
            if key not in data.index and not (add or new_rows):
                problems.append(
                    TableProblem(
                        f"table {self.name!r} ({self.origin}) has no row {key!r}{did_you_mean(key, data.index)}; "
                        f"to add a row write its key as '+{key}'"
                    )
                )
                continue
            for column, value in cols.items():
                try:
                    data.loc[key, column] = self._override_cell(data, key, column, value)
                except (KeyError, UnitError) as exc:
                    problems.append(TableProblem(str(exc).strip("'\"")))
            data.loc[key, "source"] = sid
        if problems:
            raise CoefficientTableError(f"cannot override table {self.name!r}", problems)
        table = dataclasses.replace(self, data=data, sources=sources)
        if bad := check_bounds(table):
            raise CoefficientTableError(f"override of table {self.name!r} is invalid", bad)
        return table

    def _override_cell(self, data: pd.DataFrame, key: Any, column: str, value: Any) -> Any:
        """``value`` as a cell of ``column`` holds it (a UnitError or KeyError says why not).

        Text and flags as given, a whole number for ``int`` columns, else a magnitude in the
        column's unit (the row's, for a unit column).  ``data`` is the copy being overridden
        (a new row has no unit of its own yet).
        """
        col = self._column(column)
        where = f"override of {self.name}[{key!r}, {column!r}]"
        if col.type in ("text", "bool"):
            return value
        if col.type == "int":  # a plain whole number (a price year), no unit
            return _plain_int(value, where)
        unit = col.unit if not col.unit_column else (data.at[key, col.unit_column] if key in data.index else None)
        return magnitude_in(value, unit or "dimensionless", default_unit=unit, where=where)


def _plain_int(value: Any, where: str) -> int:
    """A whole number given as an int, an integral float or its text (``2010``, ``"2010"``), else UnitError."""
    if isinstance(value, bool | pint.Quantity):
        raise UnitError(f"{value!r} for {where} must be a plain whole number (e.g. 2010), without a unit")
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise UnitError(f"{value!r} for {where} must be a plain whole number (e.g. 2010)") from None
    if not number.is_integer():
        raise UnitError(f"{value!r} for {where} must be a whole number (e.g. 2010)")
    return int(number)


def split_ids(cell: Any) -> list[str]:
    """The source ids of a row's ``source`` cell (``"s1; s2"`` -> ``["s1", "s2"]``; not a text: none)."""
    if not isinstance(cell, str):
        return []
    return [s.strip() for s in cell.split(";") if s.strip()]


def _coerce_key(row: Any, index_kind: str) -> Any:
    if index_kind == "landcover":
        return int(row)
    return row


def lookup_array(table: CoefficientTable, column: str, unit: str) -> tuple[np.ndarray, np.ndarray]:
    """Sorted keys and the matching values of ``column`` in ``unit``, for raster lookups."""
    values = table.values_in(column, unit)
    order = np.argsort(np.asarray(values.index))
    return np.asarray(values.index)[order], np.asarray(values.to_numpy(dtype=float))[order]


def _status_rank(status: str) -> int:
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)
