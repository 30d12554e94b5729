"""Schema of a coefficient table's metadata (``NAME.toml`` beside ``NAME.csv``): :class:`TableMeta`.

Keys and kinds only; what depends on the CSV and the allowed words are checked by
:mod:`gepcalc.tables` when it reads the table.
"""

from __future__ import annotations

from typing import ClassVar

from gepcalc.schema.base import FileSchema, Section
from gepcalc.schema.fields import Number, Text, Year


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
