"""Declared ranges of coefficient tables, the coefficients that carry them, and seeded draws of factors.

Holds :func:`declared_ranges` (the ``X_low``/``X_high`` columns of a table, checked against the
value), :class:`Coefficient` (one table cell with its relative range) and :func:`draw_factors`
(reproducible factors φ per draw: triangular, uniform or PERT).  It depends only on the tables and
numpy, so the account's Monte Carlo (:mod:`gepcalc.uncertainty`) and the project's
(:mod:`gepcalc.project.uncertainty`) can share it; it does not know which coefficients an account
uses or evaluate anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gepcalc.errors import CoefficientTableError, ConfigError, TableProblem
from gepcalc.tables import CoefficientTable

DISTRIBUTIONS = ("triangular", "uniform", "pert")


def table_key(table: CoefficientTable, row):
    """A ``sources`` row id as the table's index holds it (land-cover codes are integers, others as given)."""
    if table.index_kind == "landcover":
        try:
            return int(row)
        except (TypeError, ValueError):
            return row
    return row


def declared_ranges(table: CoefficientTable, rows: Sequence | None = None) -> pd.DataFrame:
    """Rows with a declared range: ``row, column, value, low, high`` in the column's (row's) unit.

    ``rows`` limits the check to these rows (default: all).

    Raises
    ------
    CoefficientTableError
        A range that does not contain the value (or low > high), naming the table, row and column.
    """
    found, problems = [], []
    keys = table.keys if rows is None else [r for r in rows if r in table.data.index]
    for col in table.columns:
        lo, hi = f"{col}_low", f"{col}_high"
        if lo not in table.columns or hi not in table.columns:
            continue
        for key in keys:
            v, a, b = (table.data.at[key, c] for c in (col, lo, hi))
            if pd.isna(a) and pd.isna(b):
                continue
            if pd.isna(a) or pd.isna(b) or pd.isna(v):
                problems.append(TableProblem(f"row {key!r}: {lo} and {hi} must both be given (and {col})"))
                continue
            if not float(a) <= float(v) <= float(b):
                problems.append(
                    TableProblem(f"row {key!r}: range [{a:g}, {b:g}] of column {col!r} does not contain its {v:g}")
                )
                continue
            found.append({"row": key, "column": col, "value": float(v), "low": float(a), "high": float(b)})
    if problems:
        raise CoefficientTableError(f"coefficient table {table.name!r} ({table.origin}) has bad ranges", problems)
    return pd.DataFrame(found, columns=["row", "column", "value", "low", "high"])


@dataclass(frozen=True)
class Coefficient:
    """One table cell used by the accounts: its kind (value or physical), services and relative range."""

    table: str
    row: object
    column: str
    kind: str  # "value" or "physical"
    services: tuple[str, ...]
    value: float  # in the table's unit, baseline state
    unit: str
    low: float | None = None  # relative factors φ_low, φ_high, from a declared range
    high: float | None = None
    range_note: str = ""

    @property
    def key(self) -> str:
        return f"{self.table}[{self.row}].{self.column}"


def draw_factors(coeffs: Sequence[Coefficient], n: int, seed: int, distribution: str = "triangular") -> pd.DataFrame:
    """n × len(coeffs) relative factors φ, one column per coefficient (reproducible with ``seed``).

    ``triangular``: low, mode 1 (the table's value), high; ``uniform``: low…high;
    ``pert``: Beta-PERT with mode 1 (λ = 4).
    """
    if distribution not in DISTRIBUTIONS:
        raise ConfigError(f"[uncertainty] distribution {distribution!r} is not one of {DISTRIBUTIONS}")
    rng = np.random.default_rng(seed)
    cols = {}
    for c in coeffs:
        lo, hi = float(c.low), float(c.high)
        if hi == lo:
            cols[c.key] = np.full(n, lo)
        elif distribution == "uniform":
            cols[c.key] = rng.uniform(lo, hi, n)
        elif distribution == "triangular":
            cols[c.key] = rng.triangular(lo, min(max(1.0, lo), hi), hi, n)
        else:
            mode = min(max(1.0, lo), hi)
            a = 1 + 4 * (mode - lo) / (hi - lo)
            b = 1 + 4 * (hi - mode) / (hi - lo)
            cols[c.key] = lo + rng.beta(a, b, n) * (hi - lo)
    return pd.DataFrame(cols, index=pd.RangeIndex(n, name="draw"))
