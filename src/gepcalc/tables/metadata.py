"""A coefficient table's metadata (the TOML sidecar): its declared columns and its sources.

:func:`read_columns` and :func:`read_sources` turn the metadata's ``[columns.NAME]`` and
``[sources.ID]`` tables into :class:`~gepcalc.tables.model.Column` and
:class:`~gepcalc.tables.model.Source`, with the problems of the words and units they use;
:func:`meta_of` writes a loaded table's metadata back as a dict (``load_table(csv, meta=table)``).
The keys and kinds of the metadata are checked by :class:`gepcalc.schema.TableMeta`; what depends
on the CSV (columns present, the index, every row's source) is checked by :mod:`gepcalc.tables.read`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from gepcalc.errors import TableProblem, UnitError
from gepcalc.tables.model import COLUMN_TYPES, SOURCE_STATUSES, CoefficientTable, Column, Source
from gepcalc.units import parse_unit

#: Statuses that need a ``note`` saying where (or why).
NOTE_REQUIRED = {
    "account": "paper and table",
    "secondary": "paper and section",
    "judgement": "the reasoning",
}
_COLUMN_KEYS = ("type", "unit", "unit_column", "min", "max", "description")


def _not_number(value: Any) -> bool:
    return isinstance(value, bool) or not isinstance(value, int | float)


def read_columns(meta: Mapping) -> tuple[dict[str, Column], list[TableProblem]]:
    """The declared columns of ``meta["columns"]`` and the problems of their types and units.

    A column spec that is not a table, or a bound that is not a number, was reported by the
    schema and is left out here.

    Returns
    -------
    columns
        :class:`Column` by name, the index column included.
    problems
        Unknown types, numeric columns without a unit, units pint cannot read.
    """
    columns: dict[str, Column] = {}
    problems = []
    for cname, cspec in (meta.get("columns") or {}).items():
        if not isinstance(cspec, Mapping):  # reported by the schema
            continue
        col = Column(  # a bound that is not a number was reported by the schema: left out here
            name=cname,
            **{k: cspec[k] for k in _COLUMN_KEYS if k in cspec and not (k in ("min", "max") and _not_number(cspec[k]))},
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
    return columns, problems


def read_sources(meta: Mapping, name: str) -> tuple[dict[str, Source], list[TableProblem]]:
    """The sources of ``meta["sources"]`` and the problems of their documents, statuses, notes and years.

    Parameters
    ----------
    meta
        The table's metadata.
    name
        The table's name, for messages.

    Returns
    -------
    sources
        :class:`Source` by id (a source without a document is left out).
    problems
        Sources without a document or year, unknown statuses, statuses lacking their note.
    """
    sources: dict[str, Source] = {}
    problems = []
    known = {f.name for f in dataclasses.fields(Source)} - {"id"}
    for sid, s in (meta.get("sources") or {}).items():
        if not isinstance(s, Mapping):  # reported by the schema
            continue
        if not s.get("document"):
            problems.append(TableProblem(f"source {sid!r} needs at least a document"))
            continue
        status = s.get("status", "primary")
        if status not in SOURCE_STATUSES:
            problems.append(TableProblem(f"source {sid!r}: status {status!r} is not one of {SOURCE_STATUSES}"))
        elif status in NOTE_REQUIRED and not str(s.get("note", "")).strip():
            problems.append(
                TableProblem(
                    f"table {name!r}, source {sid!r}: status {status!r} needs a note saying {NOTE_REQUIRED[status]}"
                )
            )
        if s.get("year") is None and status != "user":
            problems.append(TableProblem(f"source {sid!r} has no year"))
        sources[sid] = Source(id=sid, **{k: v for k, v in s.items() if k in known})
    return sources, problems


def meta_of(table: CoefficientTable) -> dict:
    """The metadata of a loaded table as a dict of the TOML sidecar's shape (for ``meta=table``)."""
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
