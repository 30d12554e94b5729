"""The gepcalc exception family.

Every error a user can trigger is a :class:`GepcalcError` and also inherits the
builtin it resembles, so ``except ValueError`` and ``except KeyError`` keep
working (the rasterio habit: ``RasterioIOError(RasterioError, OSError)``).
Messages name the culprit (file, layer, class, column) and what was expected.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class GepcalcError(Exception):
    """Base class of every error raised by gepcalc."""


class _Plain:
    """Mix-in: show the message as is (KeyError would quote it)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class UnitError(GepcalcError, ValueError):
    """A unit that cannot be read, or a quantity with the wrong dimension."""


class InputFileError(GepcalcError, OSError):
    """A file cannot be read, or holds something else than expected."""


class MissingCRSError(GepcalcError, ValueError):
    """A raster or vector layer without a coordinate reference system."""


class GridMismatchError(GepcalcError, ValueError):
    """Two rasters that must share a grid (CRS, shape, transform) do not."""


class InputTypeError(_Plain, GepcalcError, TypeError):
    """An input of a type no form of the parameter takes (gepcalc.inputs)."""


class ImplausibleInputError(GepcalcError, ValueError):
    """An input outside its physically possible range (negative rainfall, a share above 1)."""


class NodataError(GepcalcError, ValueError):
    """Nodata where a value is needed."""


class UnmappedClassError(_Plain, GepcalcError, KeyError):
    """A land-cover or ecosystem class present in a raster but missing from a table."""


class MissingInputError(_Plain, GepcalcError, KeyError):
    """A service input that was not supplied."""


class RegionError(GepcalcError, ValueError):
    """Region polygons that cannot be used (no CRS, overlaps, missing name column)."""


class LineError(GepcalcError, ValueError):
    """A statistics / reported-quantity line that cannot be used (names file, row and column)."""


class ConfigError(GepcalcError, ValueError):
    """An account configuration that cannot be used."""


class MissingDependencyError(GepcalcError, ImportError):
    """An optional package a feature needs is not installed (the message says what to install)."""


class ServiceError(GepcalcError, TypeError):
    """A service plug-in whose spec is invalid, or an unknown service id."""


class TableProblem(GepcalcError, ValueError):
    """One problem found in a coefficient table (collected in CoefficientTableError)."""


class CoefficientTableError(GepcalcError, ExceptionGroup):
    """All problems found while loading one coefficient table, reported at once."""

    def __new__(cls, message: str, problems: list[Exception]):
        return super().__new__(cls, message, problems)

    def __str__(self) -> str:
        lines = [self.message] + [f"  - {e}" for e in self.exceptions]
        return "\n".join(lines)

    def derive(self, excs):  # keep the class on .split()/.subgroup()
        return CoefficientTableError(self.message, list(excs))


def did_you_mean(name: object, known: Iterable[object], *, listed: int = 15) -> str:
    """``"; did you mean 'forest'?"`` for the closest of ``known`` (difflib), else ``"; known: a, b, …"``.

    Appended to a message about an unknown key, row, column or input name.
    """
    names = [str(k) for k in known]
    near = difflib.get_close_matches(str(name), names, n=1, cutoff=0.6)
    if near:
        return f"; did you mean {near[0]!r}?"
    return f"; known: {', '.join(names[:listed])}{' …' if len(names) > listed else ''}"
