"""Provenance records of resolved values: the rows that end up in ``Account.sources``.

Each value a parameter takes is recorded as a dict (parameter, table or "user input", value,
and for table values file, row, column, source and status); a value outside its usual range adds a
``warning``.  Building the values themselves is :mod:`gepcalc.resolve.params`' and
:mod:`gepcalc.resolve.regional`'s work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pint

if TYPE_CHECKING:
    from gepcalc.services.base import Param
    from gepcalc.tables import CoefficientTable


def origin_record(p: Param, table: str, value: str, **extra: Any) -> dict:
    """The record of a value of ``p``: ``table`` ("user input", "raster" or a table name), ``value`` and ``extra``."""
    return {"parameter": p.name, "table": table, "value": value, **extra}


def range_warning(notes: list[str]) -> dict:
    """``{"warning": text}`` for a value outside its usual range (the account lists it in its notes)."""
    return {"warning": "; ".join(notes)} if notes else {}


def table_record(p: Param, table: CoefficientTable, row: Any, column: str, q: Any) -> dict:
    """The record of the value ``q`` of ``p`` read from ``table`` at (``row``, ``column``), with its sources."""
    sources = table.source_of(row)
    return {
        "parameter": p.name,
        "table": table.name,
        "file": table.origin,
        "row": str(row),
        "column": column,
        "value": f"{q:~P}" if isinstance(q, pint.Quantity) else str(q),
        "source": "; ".join(s.cite() for s in sources),
        "status": ", ".join(sorted({s.status for s in sources})),
    }
