"""Checks of a loaded table's values: declared bounds (``min``/``max``) and range columns.

Both take a :class:`~gepcalc.tables.model.CoefficientTable` and return its problems (empty: none);
they run when a table is read (:mod:`gepcalc.tables.read`) and, for the bounds, after an override.
The checks of the files themselves (columns, units, cells, sources) are in the reader.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from gepcalc.errors import TableProblem

if TYPE_CHECKING:
    from gepcalc.tables.model import CoefficientTable


def check_bounds(table: CoefficientTable) -> list[TableProblem]:
    """Values of numeric columns outside their declared ``[min, max]`` (in the declared units).

    Parameters
    ----------
    table
        The table, its values already in the declared units.

    Returns
    -------
    list of TableProblem
        One per value out of bounds, naming row, column, value and bounds.
    """
    problems = []
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
    return problems


def check_ranges(table: CoefficientTable) -> list[TableProblem]:
    """Range columns ``X_low``/``X_high``: same unit as ``X``, both or neither, ``X_low ≤ X ≤ X_high``.

    Checked when a table is read, not on overrides (an override of ``X`` drops its range).

    Returns
    -------
    list of TableProblem
        One per column of another unit and per row whose range does not hold its value.
    """
    problems: list[TableProblem] = []
    if not table.data.index.is_unique:  # already a problem ("appears more than once"); .at would be ambiguous
        return problems
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
    return problems
