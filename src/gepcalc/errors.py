"""The gepcalc exception family.

Every error a user can trigger is a :class:`GepcalcError` and also inherits the
builtin it resembles, so ``except ValueError`` and ``except KeyError`` keep
working (the rasterio habit: ``RasterioIOError(RasterioError, OSError)``).
Messages name the culprit (file, layer, class, column) and what was expected.
"""

from __future__ import annotations


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
