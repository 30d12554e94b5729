"""The base models of the schemas: :class:`Section` (a TOML table) and :class:`FileSchema` (a whole file).

A :class:`Section` refuses unknown keys and reports its checks across keys (:meth:`Section.rules`)
together with the problems of its keys; a :class:`FileSchema` adds the phrases and labels the
messages use.  The field kinds are in :mod:`gepcalc.schema.fields`, the messages in
:mod:`gepcalc.schema.messages`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError


class Section(BaseModel):
    """A TOML table: unknown keys are refused (``extra="forbid"``); every field is optional unless stated.

    :meth:`rules` adds the checks across keys of a table; they are reported together with the
    problems of its keys (pydantic's ``after`` validators would run only once the keys are right).
    """

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def rules(cls, raw: Mapping) -> list[str]:
        """Problems across keys of ``raw`` (e.g. "needs `value`, `raster` or `values`"); none by default."""
        return []

    @model_validator(mode="wrap")
    @classmethod
    def _with_rules(cls, data: Any, handler: Any) -> Any:
        found = [
            InitErrorDetails(type=PydanticCustomError("needs", text), loc=(), input=data)
            for text in (cls.rules(data) if isinstance(data, Mapping) else [])
        ]
        try:
            out = handler(data)
        except ValidationError as exc:
            errors = [
                InitErrorDetails(
                    type=PydanticCustomError(e["type"], e["msg"].replace("{", "{{").replace("}", "}}")),
                    loc=e["loc"],
                    input=e["input"],
                )
                for e in exc.errors()
            ]
            raise ValidationError.from_exception_data(cls.__name__, errors + found) from None
        if found:
            raise ValidationError.from_exception_data(cls.__name__, found)
        return out


class FileSchema(Section):
    """A whole file. ``HINTS`` maps a location (``"*"`` any key) to the phrase for a missing or wrong value."""

    HINTS: ClassVar[dict[tuple, str]] = {}
    TOP: ClassVar[str] = ""

    @classmethod
    def label(cls, loc: tuple, raw: Any) -> str | None:
        """A file's own name for the table at ``loc`` (None: ``[a.b]``)."""
        return None
