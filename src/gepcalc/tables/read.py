"""Reading a coefficient table: find the CSV + TOML pair, read it, check it, build the table.

:func:`load_table` is the entry point (a built-in name, a file, or a table already loaded);
:func:`read_table` reads one pair in small steps — header units, declared columns, index keys,
typed cells, row sources — and raises one :class:`~gepcalc.errors.CoefficientTableError` listing
every problem found.  The metadata's columns and sources are read by :mod:`gepcalc.tables.metadata`;
the checks of values against bounds and ranges are in :mod:`gepcalc.tables.checks`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from gepcalc._data import data_dir
from gepcalc.errors import CoefficientTableError, InputFileError, TableProblem, UnitError
from gepcalc.io import read_csv, read_toml
from gepcalc.schema import TableMeta, check
from gepcalc.tables.checks import check_bounds, check_ranges
from gepcalc.tables.metadata import meta_of, read_columns, read_sources
from gepcalc.tables.model import INDEX_KINDS, CoefficientTable, Column, Source, split_ids
from gepcalc.units import Q_, magnitude_in, parse_unit

#: A CSV header with its unit in brackets: ``rate [t/km**2/yr]`` (groups ``name`` and ``unit``).
HEADER_UNIT = re.compile(r"^\s*(?P<name>[^\[]+?)\s*\[(?P<unit>[^\]]*)\]\s*$")
#: Columns every table may have without declaring them.
_RESERVED = ("source", "note")
_TRUE, _BOOL_WORDS = ["true", "1", "yes"], ["true", "false", "1", "0", "yes", "no"]


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
        out = read_table(csv_path, meta_dict)
    return out.override(overrides) if overrides else out


def _locate(table: str | Path, meta) -> tuple[Path, dict]:
    """The CSV file of ``table`` (a built-in name or a path) and its metadata (the sidecar or ``meta``)."""
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
        return csv_path, meta_of(meta)
    if isinstance(meta, Mapping):
        return csv_path, dict(meta)
    return csv_path, read_toml(Path(meta), "table metadata")


def read_table(csv_path: Path, meta: dict) -> CoefficientTable:
    """Read and check one table: ``csv_path`` with its metadata ``meta`` (a dict of the TOML's shape).

    Raises
    ------
    CoefficientTableError
        Every problem of the pair at once (metadata keys, columns, units, cells, sources, ranges);
        without a usable index column, the problems found before reading the rows.
    """
    # keys and kinds of the metadata (unknown keys with the closest known one): gepcalc.schema.TableMeta
    problems: list[Exception] = [TableProblem(p) for p in check(TableMeta, meta)]
    where = str(csv_path)
    raw = read_csv(csv_path, "coefficient table", dtype=str, keep_default_na=False, skipinitialspace=True)
    name, index, index_kind = meta.get("name", csv_path.stem), meta.get("index"), meta.get("index_kind", "item")
    if index_kind not in INDEX_KINDS:
        problems.append(TableProblem(f"index_kind {index_kind!r} is not one of {INDEX_KINDS}"))
    raw, header_units = split_header_units(raw)
    columns, found = read_columns(meta)
    problems += found + _index_problems(raw, index)
    columns.pop(index, None)
    raw, found = _with_source_column(raw, meta)
    problems += found + _column_problems(raw, columns, index)
    factors, found = header_factors(header_units, columns)
    sources, found_in_sources = read_sources(meta, name)
    problems += found + found_in_sources
    if problems and (index is None or index not in raw.columns):
        raise CoefficientTableError(f"coefficient table {name!r} ({where}) is invalid", problems)

    data, found = _index_rows(raw, index, index_kind)
    problems += found
    data, found = _typed_cells(data, columns, factors)
    problems += found + _row_source_problems(data, sources)
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
    problems += check_bounds(table) + check_ranges(table)
    if problems:
        raise CoefficientTableError(f"coefficient table {name!r} ({where}) has {len(problems)} problem(s)", problems)
    return table


# -- the steps of read_table ------------------------------------------------------------------


def split_header_units(raw: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Headers with a unit (``rate [t/km**2/yr]``) renamed to the column (``rate``), and the unit by column."""
    header_units: dict[str, str] = {}
    renames = {}
    for h in raw.columns:
        m = HEADER_UNIT.match(h)
        if m:
            renames[h] = m["name"]
            header_units[m["name"]] = m["unit"]
    return raw.rename(columns=renames), header_units


def _index_problems(raw: pd.DataFrame, index: str | None) -> list[TableProblem]:
    """The index column not named in the metadata, or missing from the file."""
    if index is None:
        return [TableProblem("the metadata does not say which column is the index (index = ...)")]
    if index not in raw.columns:
        return [TableProblem(f"index column {index!r} is missing; the file has {', '.join(raw.columns)}")]
    return []


def _with_source_column(raw: pd.DataFrame, meta: Mapping) -> tuple[pd.DataFrame, list[TableProblem]]:
    """``raw`` with its ``source`` column: the file's, else the metadata's ``default_source`` for every row."""
    if "source" in raw.columns:
        return raw, []
    if meta.get("default_source"):  # e.g. InVEST tables: one source for every row, said in the metadata
        return raw.assign(source=meta["default_source"]), []
    return raw, [TableProblem("column 'source' is missing: every row must name its source")]


def _column_problems(raw: pd.DataFrame, columns: Mapping[str, Column], index: str | None) -> list[TableProblem]:
    """Columns of the file the metadata does not declare, and declared columns the file lacks."""
    problems = [
        TableProblem(f"column {c!r} is not declared in [columns.{c}] of the metadata")
        for c in raw.columns
        if c not in columns and c not in _RESERVED and c != index
    ]
    return problems + [
        TableProblem(f"declared column {c!r} is missing from the file") for c in columns if c not in raw.columns
    ]


def header_factors(
    header_units: Mapping[str, str], columns: Mapping[str, Column]
) -> tuple[dict[str, float], list[TableProblem]]:
    """Factors from each header's unit to the declared unit of its column; a unit of another dimension is a problem.

    Returns
    -------
    factors
        ``{column: factor}`` [declared unit / header unit], for columns with a declared unit.
    problems
        Header units that cannot be converted to the declared one.
    """
    factors: dict[str, float] = {}
    problems = []
    for c, hu in header_units.items():
        col = columns.get(c)
        if col is None or not col.unit:
            continue
        try:
            factors[c] = magnitude_in(Q_(1.0, hu), col.unit, where=f"column {c!r} header [{hu}]")
        except UnitError as exc:
            problems.append(TableProblem(f"{exc}; the metadata declares {col.unit}"))
    return factors, problems


def _index_rows(raw: pd.DataFrame, index: str, index_kind: str) -> tuple[pd.DataFrame, list[TableProblem]]:
    """The rows indexed by ``index`` (integer codes for land-cover tables); keys not integers or repeated."""
    data = raw.copy()
    problems = []
    if index_kind == "landcover":
        keys = pd.to_numeric(data[index], errors="coerce")
        for k, v in zip(data[index], keys, strict=True):
            if pd.isna(v) or float(v) != int(float(v)):
                problems.append(TableProblem(f"index {index!r}: land-cover code {k!r} is not an integer"))
        data[index] = keys.fillna(-1).astype("int64")
    dup = data[index][data[index].duplicated()]
    for k in dup.unique():
        problems.append(TableProblem(f"index {index!r}: key {k!r} appears more than once"))
    return data.set_index(index), problems


def _typed_cells(
    data: pd.DataFrame, columns: Mapping[str, Column], factors: Mapping[str, float]
) -> tuple[pd.DataFrame, list[TableProblem]]:
    """The declared columns as their types (numbers in the declared unit); cells that are not of their type."""
    data = data.copy()
    problems = []
    for c, col in columns.items():
        if c not in data.columns or col.type == "text":
            continue
        if col.type == "bool":
            data[c], found = _flags(data[c])
            problems += found
            continue
        data[c], found = _numbers(data[c], col, factors.get(c, 1.0))
        problems += found
        if col.unit_column and col.unit_column in data.columns:
            problems += _row_unit_problems(data[col.unit_column])
    return data, problems


def _flags(cells: pd.Series) -> tuple[pd.Series, list[TableProblem]]:
    """A ``bool`` column from its words (true/false, 1/0, yes/no); other words are problems."""
    bad = ~cells.str.lower().isin(_BOOL_WORDS)
    problems = [
        TableProblem(f"row {k!r}, column {cells.name!r}: {cells.at[k]!r} is not true/false") for k in cells.index[bad]
    ]
    return cells.str.lower().isin(_TRUE), problems


def _numbers(cells: pd.Series, col: Column, factor: float) -> tuple[pd.Series, list[TableProblem]]:
    """A ``float`` or ``int`` column as numbers times ``factor`` (an empty cell: NaN, "no value").

    Cells that are not numbers, and fractions in an ``int`` column, are problems.
    """
    c = cells.name
    text = cells.fillna("").str.strip()
    nums = pd.to_numeric(text, errors="coerce")  # an empty cell means "no value" (NaN)
    bad_cells = nums.isna() & text.ne("")
    problems = [
        TableProblem(
            f"row {k!r}, column {c!r}: {cell!r} is not a number" + (f" (expected {col.unit})" if col.unit else "")
        )
        for k, cell in zip(cells.index[bad_cells], cells[bad_cells], strict=True)
    ]
    values = nums * factor
    if col.type == "int":
        frac = values.notna() & (values % 1 != 0)
        problems += [
            TableProblem(f"row {k!r}, column {c!r}: {values.at[k]!r} is not an integer") for k in values.index[frac]
        ]
        if not frac.any():
            values = values.astype("Int64")
    return values, problems


def _row_unit_problems(units: pd.Series) -> list[TableProblem]:
    """Units of a ``unit_column`` (one per row) that pint cannot read."""
    problems = []
    for k, u in units.items():
        try:
            parse_unit(u, where=f"row {k!r}, column {units.name!r}")
        except UnitError as exc:
            problems.append(TableProblem(str(exc)))
    return problems


def _row_source_problems(data: pd.DataFrame, sources: Mapping[str, Source]) -> list[TableProblem]:
    """Rows that name no source, or a source the metadata does not define."""
    if "source" not in data.columns:
        return []
    problems = []
    for k, s in data["source"].items():
        ids = split_ids(s)
        if not ids:
            problems.append(TableProblem(f"row {k!r} has no source"))
        for sid in ids:
            if sid not in sources:
                problems.append(TableProblem(f"row {k!r}: source {sid!r} is not defined in [sources]"))
    return problems
