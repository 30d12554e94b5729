"""Kinds of values a configuration key may hold: the field types of the schemas.

``Text``, ``Flag``, ``Whole``, ``Year``, ``Number``, ``Rate``, ``Amount``, ``File`` … each accept
any value of their kind (or None: not given) and otherwise fail with "must be {expected}", which
:mod:`gepcalc.schema.messages` turns into a line naming the key.  :func:`expect` makes a new kind;
:func:`either` lets a key hold a table (a model) or a plain value.  The models themselves are in
:mod:`gepcalc.schema.account`, :mod:`~gepcalc.schema.project`, :mod:`~gepcalc.schema.portfolio`
and :mod:`~gepcalc.schema.table_meta`.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Union

from pydantic import AfterValidator, BaseModel, Discriminator, Tag
from pydantic_core import PydanticCustomError


def expect(test: Callable[[Any], bool], expected: str) -> Any:
    """A field type accepting any value that passes ``test`` (or None: not given); else "must be {expected}"."""

    def check(value: Any) -> Any:
        if value is not None and not test(value):
            raise PydanticCustomError("expected", "must be {expected}", {"expected": expected})
        return value

    return Annotated[Any, AfterValidator(check)]


def _whole(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _number(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def is_year(key: Any) -> bool:
    """A table key that is a year: ``2028`` or ``"2028"``."""
    try:
        int(key)
    except (TypeError, ValueError):
        return False
    return True


def _texts(v: Any) -> bool:
    return isinstance(v, list | tuple) and all(isinstance(x, str) for x in v)


Text = expect(lambda v: isinstance(v, str), "a text (in quotes)")
Flag = expect(lambda v: isinstance(v, bool), "true or false")
Whole = expect(_whole, "a whole number")
Year = expect(_whole, "a whole number (a year)")
Number = expect(_number, "a number")


def _quantity(v: Any) -> bool:
    """A number, a text with its unit, or (from Python) a pint Quantity."""
    return _number(v) or isinstance(v, str) or hasattr(v, "magnitude")


Rate = expect(_quantity, "a rate such as 0.06 or '6 %'")
Amount = expect(_quantity, "an amount such as 500 or '500 万元'")
File = expect(lambda v: isinstance(v, str | os.PathLike), "a file name (in quotes)")
Files = expect(lambda v: isinstance(v, str | os.PathLike) or _texts(v), "a file name or a list of file names")
Names = expect(_texts, "a list of names")
NameOrNames = expect(lambda v: isinstance(v, str) or _texts(v), "a name or a list of names")
Years = expect(
    lambda v: _whole(v) or (isinstance(v, list | tuple) and all(map(_whole, v))), "a year or a list of years"
)
Ramp = expect(
    lambda v: _number(v) or (isinstance(v, list | tuple) and all(map(_number, v))),
    "a number of years or a list of fractions",
)
Services = expect(
    lambda v: isinstance(v, list | tuple) and all(isinstance(x, str | type) for x in v), "a list of service ids"
)


def _table_or_value(v: Any) -> str:
    """Discriminator: a TOML table (a mapping of plain values) or anything else."""
    if isinstance(v, Mapping) and not any(not isinstance(x, str | int | float | Mapping | list) for x in v.values()):
        return "<table>"
    return "<value>"


def either(table: type[BaseModel], value: Any = Any) -> Any:
    """``table`` when the value is a table of plain values, else ``value`` (tags are left out of messages)."""
    return Annotated[
        Union[Annotated[table, Tag("<table>")], Annotated[value, Tag("<value>")]],  # noqa: UP007
        Discriminator(_table_or_value),
    ]
