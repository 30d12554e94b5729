"""Schemas of an account config (``gepcalc account CONFIG.toml``) and of a file of inputs.

:class:`AccountFile` (``[account]``, ``[inputs]``, ``[statistics]``, ``[tables]``, ``[overrides]``,
``[output]``), :class:`InputsFile`, and one input as a table (:class:`InputTable`), which project
files use too.  Parsing the values is :mod:`gepcalc.config`'s work, not this module's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from gepcalc.schema.base import FileSchema, Section
from gepcalc.schema.fields import Amount, File, Files, NameOrNames, Names, Text, Year, either, expect


class InputTable(Section):
    """One input as a table: ``{value, unit}`` (with ``region``), ``{raster, unit}`` or ``{unit, values}``."""

    value: Amount = None
    unit: Text = None
    raster: File = None
    values: dict[str, Amount] | None = None
    region: expect(lambda v: isinstance(v, str | int) and not isinstance(v, bool), "a region name") = None
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
Input = either(InputTable)
Inputs = dict[str, Input]
Overrides = dict[str, dict[Any, dict[str, Any]]]


class AccountSection(Section):
    """``[account]`` of an account config (keyword arguments of :func:`gepcalc.account`)."""

    title: Text = None
    landcover: File = None
    landcover_classes: expect(lambda v: isinstance(v, str | bool), "a table name or file") = None
    regions: expect(lambda v: isinstance(v, str | Mapping), "a file name or { adcode = …, level = … }") = None
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
    price_index: expect(lambda v: isinstance(v, str | bool), "a price-index name or false") = None
    price_region: NameOrNames = None
    chunks: Any = None
    missing: expect(lambda v: v in ("error", "list"), "'error' or 'list'") = None
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
