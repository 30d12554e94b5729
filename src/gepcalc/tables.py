"""Coefficient tables: values in CSV, metadata in a TOML sidecar.

A table is ``NAME.csv`` (values) plus ``NAME.toml`` (units per column, allowed
ranges, index column, sources with clause and year, price base year); the format
is described in ``docs/tables.md``.  :func:`load_table` validates the pair and
raises one :class:`~gepcalc.errors.CoefficientTableError` listing every problem.

A CSV header may carry a unit in brackets (``rate [t/km**2/yr]``); that unit is
checked against the declared one and the values converted, so a table written in
t/km² where t/ha is declared is converted, and one in kg where t/ha is declared is
refused.  Tables are immutable: :meth:`CoefficientTable.override` returns a copy.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pint

from gepcalc._data import data_dir
from gepcalc.errors import CoefficientTableError, InputFileError, TableProblem, UnitError, did_you_mean
from gepcalc.io import read_csv, read_toml
from gepcalc.schema import TableMeta, check
from gepcalc.units import Q_, magnitude_in, parse_unit

INDEX_KINDS = ("ecosystem", "landcover", "item")
COLUMN_TYPES = ("float", "int", "bool", "text")
#: How a value was read.  ``primary``: in the standard's own text; ``account``: the value a named
#: published account used (note: paper + table); ``secondary``: a paper quoting the standard (note:
#: paper + section); ``judgement``: gepcalc's reasoned choice (note: the reasoning); ``user``: an
#: override made at run time (internal).
SOURCE_STATUSES = ("primary", "account", "secondary", "judgement", "user")
#: Statuses that need a ``note`` saying where (or why).
_NOTE_REQUIRED = {
    "account": "paper and table",
    "secondary": "paper and section",
    "judgement": "the reasoning",
}
#: Strongest first: a row with several sources counts under its weakest.
STATUS_ORDER = ("primary", "account", "secondary", "judgement", "user")
#: The count of a row whose value cells are all empty.
EMPTY = "empty"
_RESERVED = ("source", "note")
_HEADER_UNIT = re.compile(r"^\s*(?P<name>[^\[]+?)\s*\[(?P<unit>[^\]]*)\]\s*$")


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
        return [self.sources[s] for s in _split_ids(self.data.at[row, "source"])]

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
                    col = self._column(column)
                    if col.type in ("text", "bool"):
                        data.loc[key, column] = value
                    elif col.type == "int":  # a plain whole number (a price year), no unit
                        data.loc[key, column] = _plain_int(value, f"override of {self.name}[{key!r}, {column!r}]")
                    else:
                        unit = (
                            col.unit
                            if not col.unit_column
                            else (data.at[key, col.unit_column] if key in data.index else None)
                        )
                        data.loc[key, column] = magnitude_in(
                            value,
                            unit or "dimensionless",
                            default_unit=unit,
                            where=f"override of {self.name}[{key!r}, {column!r}]",
                        )
                except (KeyError, UnitError) as exc:
                    problems.append(TableProblem(str(exc).strip("'\"")))
            data.loc[key, "source"] = sid
        if problems:
            raise CoefficientTableError(f"cannot override table {self.name!r}", problems)
        table = dataclasses.replace(self, data=data, sources=sources)
        _validate_values(table, problems := [])
        if problems:
            raise CoefficientTableError(f"override of table {self.name!r} is invalid", problems)
        return table


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


# -- loading -----------------------------------------------------------------------


def coefficients_dir() -> Path:
    """Folder of the built-in coefficient tables."""
    return data_dir("coefficients")


@cache
def builtin_tables() -> tuple[str, ...]:
    """Names of the built-in tables."""
    return tuple(sorted(p.stem for p in coefficients_dir().glob("*.toml")))


def load_table(
    table: str | Path | CoefficientTable,
    *,
    meta: str | Path | Mapping | CoefficientTable | None = None,
    overrides: Mapping[Any, Mapping[str, Any]] | None = None,
) -> CoefficientTable:
    """Load and validate a coefficient table.

    Parameters
    ----------
    table
        A built-in table name (``"prices"``), a path to ``NAME.csv`` or
        ``NAME.toml``, or a table already loaded.
    meta
        Metadata for a CSV without a TOML sidecar: a path to a TOML file, a dict
        of the same shape, or a table (e.g. the built-in one it replaces) whose
        metadata applies.
    overrides
        Single values to replace, see :meth:`CoefficientTable.override`.

    Raises
    ------
    CoefficientTableError
        With every problem found (columns, units, ranges, sources).
    InputFileError
        When a file is missing or unreadable.
    """
    if isinstance(table, CoefficientTable):
        out = table
    else:
        csv_path, meta_dict = _locate(table, meta)
        out = _read(csv_path, meta_dict)
    return out.override(overrides) if overrides else out


def _locate(table: str | Path, meta) -> tuple[Path, dict]:
    path = Path(table)
    if path.suffix.lower() not in (".csv", ".toml"):
        if isinstance(table, str) and not path.exists():
            if table not in builtin_tables():
                raise InputFileError(
                    f"no coefficient table {table!r}: not a file, and not one of the built-in "
                    f"tables ({', '.join(builtin_tables())})"
                )
            path = coefficients_dir() / f"{table}.csv"
        else:
            raise InputFileError(f"{path}: a coefficient table must be a .csv or .toml file")
    csv_path = path.with_suffix(".csv")
    if not csv_path.is_file():
        raise InputFileError(f"{csv_path}: coefficient table file not found")
    if meta is None:
        toml_path = csv_path.with_suffix(".toml")
        if not toml_path.is_file():
            raise InputFileError(
                f"{csv_path}: no metadata file {toml_path.name} beside it; write one "
                "(see docs/tables.md) or pass meta= (e.g. the built-in table it replaces)"
            )
        return csv_path, read_toml(toml_path, "table metadata")
    if isinstance(meta, CoefficientTable):
        return csv_path, _meta_of(meta)
    if isinstance(meta, Mapping):
        return csv_path, dict(meta)
    return csv_path, read_toml(Path(meta), "table metadata")


def _meta_of(table: CoefficientTable) -> dict:
    cols = {
        c.name: {k: v for k, v in dataclasses.asdict(c).items() if k != "name" and v not in (None, "")}
        for c in table.columns.values()
    }
    return {
        "name": table.name,
        "title": table.title,
        "title_zh": table.title_zh,
        "description": table.description,
        "index": table.index,
        "index_kind": table.index_kind,
        "price_year": table.price_year,
        "columns": cols,
        "sources": {k: {f: v for f, v in dataclasses.asdict(s).items() if f != "id"} for k, s in table.sources.items()},
    }


def _read(csv_path: Path, meta: dict) -> CoefficientTable:
    # keys and kinds of the metadata (unknown keys with the closest known one): gepcalc.schema.TableMeta
    problems: list[Exception] = [TableProblem(p) for p in check(TableMeta, meta)]
    where = str(csv_path)
    raw = read_csv(csv_path, "coefficient table", dtype=str, keep_default_na=False, skipinitialspace=True)

    name = meta.get("name", csv_path.stem)
    index = meta.get("index")
    index_kind = meta.get("index_kind", "item")
    if index_kind not in INDEX_KINDS:
        problems.append(TableProblem(f"index_kind {index_kind!r} is not one of {INDEX_KINDS}"))

    # header units: "rate [t/km**2/yr]" -> column rate in that unit
    header_units: dict[str, str] = {}
    renames = {}
    for h in raw.columns:
        m = _HEADER_UNIT.match(h)
        if m:
            renames[h] = m["name"]
            header_units[m["name"]] = m["unit"]
    raw = raw.rename(columns=renames)

    columns: dict[str, Column] = {}
    for cname, cspec in (meta.get("columns") or {}).items():
        if not isinstance(cspec, Mapping):  # reported by the schema
            continue
        kept = ("type", "unit", "unit_column", "min", "max", "description")
        col = Column(  # a bound that is not a number was reported by the schema: left out here
            name=cname,
            **{k: cspec[k] for k in kept if k in cspec and not (k in ("min", "max") and _not_number(cspec[k]))},
        )
        if col.type not in COLUMN_TYPES:
            problems.append(TableProblem(f"column {cname!r}: type {col.type!r} is not one of {COLUMN_TYPES}"))
        if col.type == "float" and not (col.unit or col.unit_column):
            problems.append(TableProblem(f"column {cname!r}: a numeric column needs a unit (or unit_column)"))
        if col.unit:
            try:
                parse_unit(col.unit, where=f"column {cname!r}")
            except UnitError as exc:
                problems.append(TableProblem(str(exc)))
        columns[cname] = col

    if index is None:
        problems.append(TableProblem("the metadata does not say which column is the index (index = ...)"))
    elif index not in raw.columns:
        problems.append(TableProblem(f"index column {index!r} is missing; the file has {', '.join(raw.columns)}"))
    columns.pop(index, None)
    if "source" not in raw.columns:
        if meta.get("default_source"):  # e.g. InVEST tables: one source for every row, said in the metadata
            raw["source"] = meta["default_source"]
        else:
            problems.append(TableProblem("column 'source' is missing: every row must name its source"))
    for c in raw.columns:
        if c not in columns and c not in _RESERVED and c != index:
            problems.append(TableProblem(f"column {c!r} is not declared in [columns.{c}] of the metadata"))
    for c in columns:
        if c not in raw.columns:
            problems.append(TableProblem(f"declared column {c!r} is missing from the file"))

    # header units: convert to the declared unit or refuse
    factors: dict[str, float] = {}
    for c, hu in header_units.items():
        col = columns.get(c)
        if col is None or not col.unit:
            continue
        try:
            factors[c] = magnitude_in(Q_(1.0, hu), col.unit, where=f"column {c!r} header [{hu}]")
        except UnitError as exc:
            problems.append(TableProblem(f"{exc}; the metadata declares {col.unit}"))

    sources: dict[str, Source] = {}
    for sid, s in (meta.get("sources") or {}).items():
        if not isinstance(s, Mapping):  # reported by the schema
            continue
        if not s.get("document"):
            problems.append(TableProblem(f"source {sid!r} needs at least a document"))
            continue
        status = s.get("status", "primary")
        if status not in SOURCE_STATUSES:
            problems.append(TableProblem(f"source {sid!r}: status {status!r} is not one of {SOURCE_STATUSES}"))
        elif status in _NOTE_REQUIRED and not str(s.get("note", "")).strip():
            problems.append(
                TableProblem(
                    f"table {name!r}, source {sid!r}: status {status!r} needs a note saying {_NOTE_REQUIRED[status]}"
                )
            )
        if s.get("year") is None and status != "user":
            problems.append(TableProblem(f"source {sid!r} has no year"))
        known = {f.name for f in dataclasses.fields(Source)} - {"id"}
        sources[sid] = Source(id=sid, **{k: v for k, v in s.items() if k in known})

    if problems and (index is None or index not in raw.columns):
        raise CoefficientTableError(f"coefficient table {name!r} ({where}) is invalid", problems)

    data = raw.copy()
    # index keys
    if index_kind == "landcover":
        keys = pd.to_numeric(data[index], errors="coerce")
        for k, v in zip(data[index], keys, strict=True):
            if pd.isna(v) or float(v) != int(float(v)):
                problems.append(TableProblem(f"index {index!r}: land-cover code {k!r} is not an integer"))
        data[index] = keys.fillna(-1).astype("int64")
    dup = data[index][data[index].duplicated()]
    for k in dup.unique():
        problems.append(TableProblem(f"index {index!r}: key {k!r} appears more than once"))
    data = data.set_index(index)

    # typed columns
    for c, col in columns.items():
        if c not in data.columns:
            continue
        if col.type == "text":
            continue
        if col.type == "bool":
            bad = ~data[c].str.lower().isin(["true", "false", "1", "0", "yes", "no"])
            for k in data.index[bad]:
                problems.append(TableProblem(f"row {k!r}, column {c!r}: {data.at[k, c]!r} is not true/false"))
            data[c] = data[c].str.lower().isin(["true", "1", "yes"])
            continue
        cells = data[c].fillna("").str.strip()
        nums = pd.to_numeric(cells, errors="coerce")  # an empty cell means "no value" (NaN)
        bad_cells = nums.isna() & cells.ne("")
        for k, cell in zip(data.index[bad_cells], data[c][bad_cells], strict=True):
            problems.append(
                TableProblem(
                    f"row {k!r}, column {c!r}: {cell!r} is not a number"
                    + (f" (expected {col.unit})" if col.unit else "")
                )
            )
        data[c] = nums * factors.get(c, 1.0)
        if col.type == "int":
            frac = data[c].notna() & (data[c] % 1 != 0)
            for k in data.index[frac]:
                problems.append(TableProblem(f"row {k!r}, column {c!r}: {data.at[k, c]!r} is not an integer"))
            if not frac.any():
                data[c] = data[c].astype("Int64")
        if col.unit_column and col.unit_column in data.columns:
            for k, u in data[col.unit_column].items():
                try:
                    parse_unit(u, where=f"row {k!r}, column {col.unit_column!r}")
                except UnitError as exc:
                    problems.append(TableProblem(str(exc)))
    if "source" in data.columns:
        for k, s in data["source"].items():
            ids = _split_ids(s)
            if not ids:
                problems.append(TableProblem(f"row {k!r} has no source"))
            for sid in ids:
                if sid not in sources:
                    problems.append(TableProblem(f"row {k!r}: source {sid!r} is not defined in [sources]"))
    if "note" not in data.columns:
        data["note"] = ""

    table = CoefficientTable(
        name=name,
        index=index,
        index_kind=index_kind,
        columns=columns,
        sources=sources,
        data=data,
        title=meta.get("title", ""),
        title_zh=meta.get("title_zh", ""),
        description=meta.get("description", ""),
        path=csv_path,
        price_year=meta.get("price_year"),
    )
    _validate_values(table, problems)
    _validate_ranges(table, problems)
    if problems:
        raise CoefficientTableError(f"coefficient table {name!r} ({where}) has {len(problems)} problem(s)", problems)
    return table


def _not_number(value: Any) -> bool:
    return isinstance(value, bool) or not isinstance(value, int | float)


def _validate_values(table: CoefficientTable, problems: list[Exception]) -> None:
    """Range checks of numeric columns (in declared units)."""
    for c, col in table.columns.items():
        if c not in table.data.columns or col.type not in ("float", "int"):
            continue
        vals = table.data[c]
        for k, v in vals.items():
            if pd.isna(v):
                continue
            unit = f" {col.unit}" if col.unit else ""
            if (col.min is not None and v < col.min) or (col.max is not None and v > col.max):
                problems.append(
                    TableProblem(
                        f"row {k!r}, column {c!r}: {v:g}{unit} is outside the allowed range "
                        f"[{col.min}, {col.max}]{unit}"
                    )
                )


def _validate_ranges(table: CoefficientTable, problems: list[Exception]) -> None:
    """Range columns ``X_low``/``X_high``: same unit as ``X``, both or neither, ``X_low ≤ X ≤ X_high``.

    Checked when a table is read, not on overrides (an override of ``X`` drops its range).
    """
    if not table.data.index.is_unique:  # already a problem ("appears more than once"); .at would be ambiguous
        return
    for c, col in table.columns.items():
        lo, hi = table.columns.get(f"{c}_low"), table.columns.get(f"{c}_high")
        if lo is None or hi is None or not {c, lo.name, hi.name} <= set(table.data.columns):
            continue  # a missing column is already a problem ("declared column … is missing")
        for r in (lo, hi):
            if (r.unit, r.unit_column) != (col.unit, col.unit_column):
                problems.append(TableProblem(f"column {r.name!r} must have the unit of {c!r} (unit or unit_column)"))
        for k in table.keys:
            v, a, b = (table.data.at[k, x] for x in (c, lo.name, hi.name))
            if pd.isna(a) and pd.isna(b):
                continue
            if pd.isna(a) or pd.isna(b) or pd.isna(v) or not a <= v <= b:
                problems.append(
                    TableProblem(f"row {k!r}: the range [{a}, {b}] of column {c!r} must hold its value {v}")
                )


def _split_ids(cell: Any) -> list[str]:
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


def table_summary(tables: Iterable[CoefficientTable]) -> pd.DataFrame:
    """One row per table: name, title, index, columns with units, sources."""
    rows = []
    for t in tables:
        cols = ", ".join(
            f"{c.name} [{c.unit or ('per row' if c.unit_column else c.type)}]"
            for c in t.columns.values()
            if c.type != "text"
        )
        rows.append(
            {
                "table": t.name,
                "title": t.title,
                "title_zh": t.title_zh,
                "index": f"{t.index} ({t.index_kind})",
                "rows": len(t.data),
                "columns": cols,
                "sources": "; ".join(s.cite() for s in t.sources.values()),
                "non_primary_rows": len(t.non_primary()),
            }
        )
    return pd.DataFrame(rows)


def _status_rank(status: str) -> int:
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)


def status_counts(tables: Iterable[CoefficientTable] | None = None) -> pd.DataFrame:
    """Rows per status, per table and in all (the ``TOTAL`` row).

    Each row counts once, under :meth:`CoefficientTable.row_status`: ``empty`` when its
    value cells are all empty, else its weakest source status (``primary > account >
    secondary > judgement``).

    Parameters
    ----------
    tables
        The tables to count; the built-in tables when None.

    Returns
    -------
    pandas.DataFrame
        Index ``table`` (plus ``TOTAL``), one integer column per status that occurs, in the
        order primary, account, secondary, judgement, (deprecated words), user, empty;
        and ``rows``.
    """
    if tables is None:
        tables = [load_table(n) for n in builtin_tables()]
    counts = {t.name: pd.Series([t.row_status(k) for k in t.keys], dtype=object).value_counts() for t in tables}
    df = pd.DataFrame(counts).T.fillna(0).astype(int)
    order = [s for s in (*STATUS_ORDER, EMPTY) if s in df.columns]
    df = df.reindex(columns=order + [c for c in df.columns if c not in order], fill_value=0)
    df.index.name = "table"
    df["rows"] = df.sum(axis=1)
    df.loc["TOTAL"] = df.sum(axis=0)
    return df


def sources_report(tables: Iterable[CoefficientTable] | None = None) -> str:
    """Markdown listing every row that is not ``primary``, with its sources (``docs/sources.md``).

    One section per table holding such rows: a line per row (key, status, source ids) and,
    below, each cited source with its document, clause, year, status and note.  Empty rows
    are listed too (their note says what is missing).

    Parameters
    ----------
    tables
        The tables to report; the built-in tables when None.
    """
    if tables is None:
        tables = [load_table(n) for n in builtin_tables()]
    out = [
        "# Sources of the coefficients that are not primary",
        "",
        "Generated by `gepcalc.tables.sources_report()` (`gepcalc tables --sources`); do not edit by hand.",
        "Statuses (see `docs/tables.md`): `account` = the value a named published account used; "
        "`secondary` = a paper quoting the standard; `judgement` = gepcalc's reasoned choice; "
        "`empty` = no value (an account needing it stops and names it).",
        "",
    ]
    for t in tables:
        rows = [(k, t.row_status(k)) for k in t.keys]
        rows = [(k, st) for k, st in rows if st != "primary"]
        if not rows:
            continue
        out += [f"## {t.name}", "", f"{t.title} ({t.origin.rsplit('/', 1)[-1]})", ""]
        out += ["| row | status | source | note |", "|---|---|---|---|"]
        cited: dict[str, Source] = {}
        for k, st in rows:
            ids = _split_ids(t.data.at[k, "source"])
            cited.update({i: t.sources[i] for i in ids})
            note = str(t.data.at[k, "note"] or "").replace("|", "\\|").replace("\n", " ")
            out.append(f"| {k} | {st} | {', '.join(ids)} | {note} |")
        out.append("")
        for sid, src in cited.items():
            if src.status == "primary":
                continue
            line = f"* `{sid}`: {src.cite()}"
            if src.note:
                line += f" — {src.note}"
            out.append(line.replace("\n", " "))
        out.append("")
    return "\n".join(out).rstrip() + "\n"


__all__ = [
    "EMPTY",
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
