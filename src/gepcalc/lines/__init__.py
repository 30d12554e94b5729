"""Lines: physical quantities supplied directly, valued with prices, each with its provenance.

A *line* is one reported quantity: region, service (indicator), item (product,
pollutant or site), optionally the ecosystem type, the quantity with its unit and
where it comes from, and optionally a price (with unit and source) or a reported
value.  Lines are how statistics enter an account (yearbook production, water
use, hydropower, visitors) and how a published account is entered, audited and
reproduced line by line.

Flow: :func:`read_lines` (file or DataFrame → validated lines, Chinese or English
headers) → :func:`value_lines` (each line's quantity in the indicator's unit, its
price and value, and the origin of both) → :func:`line_arrays` (quantity and value
per service by item × region × ecosystem type, allocated to ecosystem types by
area where the line names none).  :func:`gepcalc.account` calls all three.

Value of a line (MEE 2020 / NDRC 2022: value = physical quantity × unit price):

.. math:: V = Q \\cdot P

with P from the line, else the service's default (the ``products`` table for
provisioning products, the service's own price parameters for regulating
services).  A line given in money (output value, 产值) is its own value, and so is a line
that gives only the value the source reports (``value``, no ``quantity``).

Where it lives: :mod:`gepcalc.lines.read` (columns, reading, checks), :mod:`gepcalc.lines.value`
(units, prices, values), :mod:`gepcalc.lines.layout` (item × region × ecosystem, provenance);
this module re-exports their public names.
"""

from gepcalc.lines.layout import allocation_weights, line_arrays, provenance
from gepcalc.lines.read import (
    LINE_COLUMNS,
    LINE_KEY,
    ORIGINS,
    PARAM_COLUMNS,
    REQUIRED,
    UNALLOCATED,
    as_frame,
    canonical_columns,
    column_values,
    read_frame,
    read_lines,
    refuse_duplicates,
    without_thousands,
)
from gepcalc.lines.value import (
    LinesLand,
    ValuedLines,
    compare_reported,
    expected_dimension,
    item_unit,
    quantity_unit,
    refuse_value_only_in_rules,
    rule_values,
    value_lines,
)

__all__ = [
    "LINE_COLUMNS",
    "LINE_KEY",
    "ORIGINS",
    "PARAM_COLUMNS",
    "REQUIRED",
    "UNALLOCATED",
    "LinesLand",
    "ValuedLines",
    "allocation_weights",
    "as_frame",
    "canonical_columns",
    "column_values",
    "compare_reported",
    "expected_dimension",
    "item_unit",
    "line_arrays",
    "provenance",
    "quantity_unit",
    "read_frame",
    "read_lines",
    "refuse_duplicates",
    "refuse_value_only_in_rules",
    "rule_values",
    "value_lines",
    "without_thousands",
]
