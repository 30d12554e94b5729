"""Messages of the schemas: every problem of a file, one line each, and the functions that check.

:func:`validate` (raise one :class:`~gepcalc.errors.ConfigError` listing every problem),
:func:`check` (the problems as lines, without raising), :func:`problems` and
:func:`config_error` turn pydantic's errors into lines naming the table and key, with the closest
known key for an unknown one.  The models are in the other modules of :mod:`gepcalc.schema`.
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from gepcalc.errors import ConfigError
from gepcalc.schema.base import FileSchema

M = TypeVar("M", bound=BaseModel)


_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _key(k: Any) -> str:
    return str(k) if _BARE.fullmatch(str(k)) else f'"{k}"'


def _table(loc: tuple) -> str:
    """``("financing", "loans", "bank")`` → ``[financing.loans.bank]``; list entries as ``[[projects]] entry 1``."""
    out, parts = "", []
    for x in loc:
        if isinstance(x, int):
            out = f"{out + ' ' if out else ''}[[{'.'.join(parts)}]] entry {x + 1}"
            parts = []
        else:
            parts.append(_key(x))
    if parts:
        out = f"{out + ' ' if out else ''}[{'.'.join(parts)}]"
    return out


def _unwrap(tp: Any) -> Any:
    """The model inside ``Annotated``, ``X | None`` and tagged unions, else ``tp``."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin is Union or origin is types.UnionType:
            args = [_unwrap(a) for a in get_args(tp) if a is not type(None)]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            tables = [a for a in args if get_origin(a) in (dict, list)]
            if not (models or tables):
                return tp
            tp = (models or tables)[0]
        else:
            return tp


def _model_at(root: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The model class of the table at ``loc`` (None if the location is not a model)."""
    tp: Any = root
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(part) if isinstance(part, str) else None
            if field is None:
                return None
            tp = field.annotation
        elif get_origin(tp) in (dict, Mapping):
            tp = get_args(tp)[1]
        elif get_origin(tp) in (list, tuple):
            tp = get_args(tp)[0]
        else:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _hint(root: type[FileSchema], loc: tuple) -> str | None:
    for pattern, phrase in getattr(root, "HINTS", {}).items():
        if len(pattern) == len(loc) and all(p == "*" or p == x for p, x in zip(pattern, loc, strict=True)):
            return phrase.format(*loc)
    return None


def _place(root: type[FileSchema], loc: tuple, raw: Any) -> str:
    if issubclass(root, FileSchema) and (label := root.label(loc, raw)) is not None:
        return label
    return _table(loc)


def _at(where: str, text: str) -> str:
    """``[account] needs …`` after a table, ``project 'east', monitored year '2028': …`` after a label."""
    if not where:
        return text
    return f"{where} {text}" if where[0] in "[`" else f"{where}: {text}"


def _unknown(bad: list[str], allowed: list[str], place: str, top: str) -> str:
    """``unknown key(s) ['landcovr'] in [account] (did you mean 'landcovr' → 'landcover'?); expected [...]``."""
    near = {k: difflib.get_close_matches(k, allowed, n=1, cutoff=0.6) for k in bad}
    hints = ", ".join(f"{k!r} → {m[0]!r}" for k, m in near.items() if m)
    text = f"unknown key(s) {bad}"
    if place.startswith("["):
        text += f" in {place}"
    elif place:
        text = f"{place}: {text}"
    elif top:
        text += f" in {top}"
    return text + (f" (did you mean {hints}?)" if hints else "") + f"; expected {allowed}"


def _got(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def problems(exc: ValidationError, root: type[BaseModel], raw: Any) -> list[str]:
    """One line per problem of ``exc`` (unknown keys of one table together), naming the table and the key."""
    out: list[str | tuple] = []  # a tuple: the table of unknown keys, written once all are collected
    unknown: dict[tuple, list[str]] = {}
    for err in exc.errors():
        loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and x.startswith("<") and x.endswith(">")))
        kind = err["type"]
        if kind == "extra_forbidden":
            if loc[:-1] not in unknown:
                unknown[loc[:-1]] = []
                out.append(loc[:-1])
            unknown[loc[:-1]].append(str(loc[-1]))
            continue
        hint = _hint(root, loc)
        if kind == "missing":
            out.append(_at(_place(root, loc[:-1], raw), hint or f"needs `{loc[-1]}`"))
        elif kind in ("dict_type", "model_type", "model_attributes_type", "list_type", "needs"):
            where = _place(root, loc, raw)
            what = "a list" if kind == "list_type" else "a table"
            text = err["msg"] if kind == "needs" else f"{hint or 'must be ' + what} (got {_got(err['input'])})"
            out.append(_at(where, text))
        elif kind == "expected":
            text = f"{hint or err['msg']}, got {_got(err['input'])}"
            label = root.label(loc, raw) if issubclass(root, FileSchema) else None
            out.append(_at(label, text) if label else _at(f"{_place(root, loc[:-1], raw)} `{loc[-1]}`".strip(), text))
        else:
            out.append(f"{_place(root, loc, raw) or 'the file'}: {err['msg']}")
    top = getattr(root, "TOP", "")
    lines = []
    for item in out:
        if isinstance(item, tuple):
            model = _model_at(root, item)
            allowed = sorted(model.model_fields) if model else []
            lines.append(_unknown(sorted(unknown[item]), allowed, _place(root, item, raw), top))
        else:
            lines.append(item)
    return lines


def config_error(exc: ValidationError, root: type[BaseModel], raw: Any, where: str) -> ConfigError:
    """A :class:`ConfigError` naming ``where`` (the file) and every problem of ``exc`` at once.

    One problem: ``"{where}: {problem}"``; several: ``"{where}: N problems:"`` and one line each.
    The problems are also in the error's ``problems`` attribute.
    """
    lines = problems(exc, root, raw)
    if len(lines) == 1:
        err = ConfigError(f"{where}: {lines[0]}")
    else:
        err = ConfigError(f"{where}: {len(lines)} problems:\n" + "\n".join(f"  - {line}" for line in lines))
    err.problems = lines
    return err


def check(model: type[BaseModel], raw: Mapping) -> list[str]:
    """The problems of ``raw`` against ``model``, one line each (empty: none), without raising."""
    try:
        model.model_validate(dict(raw))
    except ValidationError as exc:
        return problems(exc, model, raw)
    return []


def validate(model: type[M], raw: Any, where: str) -> M:
    """``raw`` checked against ``model``; every problem at once in one ConfigError naming ``where``.

    Parameters
    ----------
    model
        A schema of this module (:class:`AccountFile`, :class:`ProjectFile`, :class:`ScheduleSection` …).
    raw
        The table read from TOML (or the dict given from Python).
    where
        The file (and section, for a section checked on its own), for messages.

    Raises
    ------
    ConfigError
        Unknown keys (with the closest known key), missing keys and values of the wrong kind, all listed.
    """
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where} must be a table, got {_got(raw)}")
    try:
        return model.model_validate(dict(raw))
    except ValidationError as exc:
        raise config_error(exc, model, raw, where) from None
